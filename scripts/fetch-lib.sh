# Shared by scripts/fetch-*.sh (sourced, not run): checking cached files against their SHA-256,
# pip from the system or a throw-away venv, and installing checked files atomically.

# fetch_all_present DEST NAME: every file of the associative array NAME (file → SHA-256) is in
# DEST with its hash.
fetch_all_present() {
  local dest="$1"
  local -n want="$2"
  local f
  for f in "${!want[@]}"; do
    [ -f "$dest/$f" ] || return 1
    echo "${want[$f]}  $dest/$f" | sha256sum -c --status - || return 1
  done
}

# fetch_pip WORK: sets PIP to pip from the system, or from a throw-away venv under WORK (Debian's
# python3-venv ships ensurepip).
fetch_pip() {
  if python3 -m pip --version >/dev/null 2>&1; then
    PIP=(python3 -m pip)
  else
    python3 -m venv "$1/venv"
    PIP=("$1/venv/bin/python" -m pip)
  fi
}

# fetch_check WHO SHA256 FILE: FILE exists with that hash, else WHO says so and the script fails.
fetch_check() {
  echo "$2  $3" | sha256sum -c --status - \
    || { echo "$1: $(basename "$3") missing or with an unexpected SHA-256" >&2; exit 1; }
}

# fetch_install WHO SRC DEST NAME: checks each file of the array NAME (file → SHA-256) in SRC and
# moves it into DEST through a temporary name (a reader never sees half a file).
fetch_install() {
  local who="$1" src="$2" dest="$3"
  local -n files="$4"
  local f
  for f in "${!files[@]}"; do
    fetch_check "$who" "${files[$f]}" "$src/$f"
    cp "$src/$f" "$dest/$f.tmp"
    mv "$dest/$f.tmp" "$dest/$f"
  done
}
