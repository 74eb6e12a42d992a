//! A throw-away PostgreSQL cluster for tests: Debian's `initdb` and `pg_ctl` (package
//! `postgresql`, installed by `packaging/deps.sh`) make a cluster in a temporary directory and
//! start it on a free loopback port with its socket in that directory. PostgreSQL refuses to run
//! as root, and CI runs as root, so then the tools run as the `postgres` system user the package
//! creates (`runuser -u postgres --`, the directory chowned to it); as any other user they run as
//! that user. A superuser password is set at `initdb`; every test gets its own database, owned by
//! a login role with a password (`jiuzhu`), reached over TCP with password authentication
//! (scram-sha-256) as central reaches its database.
//!
//! One cluster serves a whole test binary ([`shared`]); it is stopped (`pg_ctl stop -m fast`) and
//! its directory removed when the binary exits (an `atexit` hook, since statics are not dropped)
//! or, for a [`Cluster`] owned by a test, when it is dropped. A missing PostgreSQL fails the test
//! with a message naming `packaging/deps.sh`; nothing is skipped. The cluster runs with
//! `fsync=off` (a test database that dies with the machine loses nothing of value).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The login role tests connect as.
pub const ROLE: &str = "jiuzhu";
const SUPERUSER: &str = "postgres";

/// A running cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<String>,
    super_password: String,
    role_password: String,
    stopped: Mutex<bool>,
    databases: AtomicUsize,
    /// With TLS: the server's PEM certificate and key; the cluster then accepts TCP only over
    /// TLS (`hostssl` in `pg_hba.conf`).
    tls: Option<(String, String)>,
    /// How long `initdb` and the start took.
    pub startup: Duration,
}

/// The directory of the newest installed PostgreSQL's server tools, e.g.
/// `/usr/lib/postgresql/15/bin`.
pub fn bin_dir() -> Result<PathBuf, String> {
    let missing = || {
        "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb and pg_ctl): \
         run `packaging/deps.sh` (it installs Debian's `postgresql` package), then the tests again"
            .to_string()
    };
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| missing())?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b).ok_or_else(missing)
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // /proc/self belongs to the effective user
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

fn random_password() -> String {
    use rand::RngCore as _;
    let mut b = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl Cluster {
    /// Makes and starts a cluster; panics with what to do when it cannot.
    pub fn start() -> Cluster {
        Cluster::try_start().unwrap_or_else(|e| panic!("cannot start a test PostgreSQL: {e}"))
    }

    /// Makes and starts a cluster.
    pub fn try_start() -> Result<Cluster, String> {
        Cluster::try_start_with(None)
    }

    /// Makes and starts a cluster that serves TCP only over TLS with this PEM certificate
    /// (chain) and key; panics with what to do when it cannot.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Cluster {
        Cluster::try_start_with(Some((cert_pem.to_string(), key_pem.to_string())))
            .unwrap_or_else(|e| panic!("cannot start a test PostgreSQL with TLS: {e}"))
    }

    fn try_start_with(tls: Option<(String, String)>) -> Result<Cluster, String> {
        let t0 = Instant::now();
        let bin = bin_dir()?;
        let run_as = if is_root() {
            let ok = Command::new("id")
                .args(["-u", SUPERUSER])
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                return Err(format!(
                    "running as root, PostgreSQL needs an unprivileged user but there is no \
                     `{SUPERUSER}` user: run `packaging/deps.sh` (Debian's `postgresql` package creates it)"
                ));
            }
            Some(SUPERUSER.to_string())
        } else {
            None
        };
        // the postgres user must reach the directory: under /tmp, not a TMPDIR inside root's home
        // (and a short path keeps the socket's name within its 107 bytes)
        let parent = if run_as.is_some() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("jiuzhu-pg-")
            .tempdir_in(&parent)
            .map_err(|e| {
                format!(
                    "cannot create a temporary directory in {}: {e}",
                    parent.display()
                )
            })?
            .keep();
        let mut cluster = Cluster {
            bin,
            dir,
            port: 0,
            run_as,
            super_password: random_password(),
            role_password: random_password(),
            stopped: Mutex::new(true),
            databases: AtomicUsize::new(0),
            tls,
            startup: Duration::ZERO,
        };
        // from here on, Drop removes the directory whatever fails
        cluster.init()?;
        let mut last = String::new();
        for _ in 0..3 {
            cluster.port = free_port();
            match cluster.pg_ctl_start() {
                Ok(()) => {
                    *cluster.stopped.lock().unwrap() = false;
                    cluster.create_role()?;
                    cluster.startup = t0.elapsed();
                    return Ok(cluster);
                }
                // another process may have taken the port between the probe and the start
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn command(&self, tool: &str) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(self.bin.join(tool));
                c
            }
            None => Command::new(self.bin.join(tool)),
        }
    }

    fn run(&self, what: &str, mut c: Command) -> Result<(), String> {
        let out = c.output().map_err(|e| format!("cannot run {what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed ({}): {}{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log_tail()
            ))
        }
    }

    fn log_tail(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log"))
            .map(|l| {
                let lines: Vec<&str> = l.lines().collect();
                format!(
                    "\nserver log:\n{}",
                    lines[lines.len().saturating_sub(20)..].join("\n")
                )
            })
            .unwrap_or_default()
    }

    fn init(&self) -> Result<(), String> {
        let pwfile = self.dir.join("pwfile");
        std::fs::write(&pwfile, format!("{}\n", self.super_password))
            .map_err(|e| format!("cannot write {}: {e}", pwfile.display()))?;
        if let Some(user) = &self.run_as {
            let mut c = Command::new("chown");
            c.arg("-R").arg(format!("{user}:")).arg(&self.dir);
            self.run("chown", c)?;
        }
        let mut c = self.command("initdb");
        c.arg("-D")
            .arg(self.data())
            .args(["-U", SUPERUSER, "--pwfile"])
            .arg(&pwfile)
            .args([
                "--auth-local=scram-sha-256",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]);
        self.run("initdb", c)?;
        std::fs::remove_file(&pwfile).map_err(|e| format!("cannot remove the pwfile: {e}"))?;
        if let Some((cert, key)) = &self.tls {
            use std::os::unix::fs::PermissionsExt as _;
            let data = self.data();
            let write = |name: &str, text: &str| {
                let p = data.join(name);
                std::fs::write(&p, text)
                    .and_then(|()| {
                        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                    })
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))
            };
            write("server.crt", cert)?;
            write("server.key", key)?;
            // TCP only over TLS; the socket (the superuser's way in) as before
            write(
                "pg_hba.conf",
                "local all all scram-sha-256\n\
                 hostssl all all 127.0.0.1/32 scram-sha-256\n\
                 hostssl all all ::1/128 scram-sha-256\n",
            )?;
            if let Some(user) = &self.run_as {
                let mut c = Command::new("chown");
                c.arg("-R").arg(format!("{user}:")).arg(&data);
                self.run("chown", c)?;
            }
        }
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=60",
            self.port,
            self.dir.display()
        );
        if self.tls.is_some() {
            options.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        let mut c = self.command("pg_ctl");
        c.arg("start")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-t", "60", "-o", &options]);
        self.run("pg_ctl start", c)
    }

    /// A superuser connection to database `postgres` (over the socket: TCP may need TLS).
    fn superuser(&self) -> Result<postgres::Client, String> {
        postgres::Config::new()
            .host_path(&self.dir)
            .port(self.port)
            .user(SUPERUSER)
            .password(&self.super_password)
            .dbname("postgres")
            .connect(postgres::NoTls)
            .map_err(|e| format!("cannot connect as {SUPERUSER}: {e}{}", self.log_tail()))
    }

    fn create_role(&self) -> Result<(), String> {
        self.superuser()?
            .batch_execute(&format!(
                "CREATE ROLE {ROLE} LOGIN PASSWORD '{}'",
                self.role_password
            ))
            .map_err(|e| format!("cannot create role {ROLE}: {e}"))
    }

    /// The loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket directory (the cluster's temporary directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates a new, empty database owned by [`ROLE`]; its connection string (TCP, password).
    pub fn new_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("test_{}_{n}", std::process::id());
        self.superuser()
            .and_then(|mut c| {
                c.batch_execute(&format!("CREATE DATABASE {name} OWNER {ROLE}"))
                    .map_err(|e| format!("cannot create database {name}: {e}"))
            })
            .unwrap_or_else(|e| panic!("{e}"));
        self.url(&name)
    }

    /// The connection string of database `name` as [`ROLE`].
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgresql://{ROLE}:{}@127.0.0.1:{}/{name}",
            self.role_password, self.port
        )
    }

    /// Stops the server (`pg_ctl stop -m fast`) and removes the directory; once.
    pub fn stop(&self) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        if !*stopped {
            let mut c = self.command("pg_ctl");
            c.arg("stop")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "fast", "-w", "-t", "30"]);
            if let Err(e) = self.run("pg_ctl stop", c) {
                eprintln!("{e}");
            }
            *stopped = true;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("cannot remove {}: {e}", self.dir.display());
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

static SHARED: OnceLock<Cluster> = OnceLock::new();

extern "C" fn stop_shared() {
    if let Some(c) = SHARED.get() {
        c.stop();
    }
}

/// The test binary's cluster, started on first use and stopped when the binary exits.
pub fn shared() -> &'static Cluster {
    SHARED.get_or_init(|| {
        let c = Cluster::start();
        // SAFETY: registers a plain function with no arguments to run at exit.
        if unsafe { nix::libc::atexit(stop_shared) } != 0 {
            eprintln!("cannot register the PostgreSQL stop at exit; stop it by hand");
        }
        eprintln!(
            "test PostgreSQL on 127.0.0.1:{} started in {:.2?}",
            c.port, c.startup
        );
        c
    })
}
