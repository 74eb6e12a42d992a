"""labels.tsv, read once for every scorer (score.py, split.py, per_person.py, breakdown.py)."""


def read_labels(path):
    """{face id: (identity label, cluster)} from the tab-separated file at `path` (`#` comments, blank lines
    skipped); a line without exactly three columns is an error naming it."""
    lab = {}
    for n, ln in enumerate(open(path), 1):
        if ln.startswith("#") or not ln.strip():
            continue
        cols = ln.rstrip("\n").split("\t")
        if len(cols) != 3:
            raise SystemExit(f"{path}:{n}: want face id, label, cluster; got {cols!r}")
        lab[cols[0]] = (cols[1], cols[2])
    return lab
