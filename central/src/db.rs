//! Where central keeps its data: `--db` names a SQLite file (the default for `make run`, a demo,
//! one district on one machine) or a PostgreSQL database (`postgres://…` / `postgresql://…`, the
//! city-wide service with several instances). A connection string with a password does not
//! belong on a command line (`ps` shows it to every user of the machine): `--db-url-file` names a
//! file of the service account's only (mode 0600 or stricter, as systemd's `LoadCredential=`
//! provides) that holds it.
//!
//! **TLS to the database.** The connection string's `sslmode` is PostgreSQL's: `disable`,
//! `prefer` (the default: TLS when the server offers it), `require`, `verify-ca` and
//! `verify-full` (the last three refuse a server without TLS). Whenever TLS is used the server's
//! certificate is verified, chain and host name, against `sslrootcert=FILE` (PEM, the CA of a
//! private database) or else the public web roots — stricter than libpq, whose `require` and
//! `prefer` accept any certificate: a central that talks to a stolen address of its database
//! must not hand it every resident's data. `sslrootcert` is read here (the Rust client does not
//! know it) and removed before the rest is parsed.
//!
//! Nothing here repeats the connection string in an error or a log line: it may hold the
//! password. [`PgTarget`]'s `Display` shows user, hosts, ports and database only.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::SslMode;
use tokio_rustls::rustls;

/// What `--db` / `--db-url-file` name.
#[derive(Debug)]
pub enum DbTarget {
    /// A SQLite database file (created and migrated when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(Box<PgTarget>),
}

/// A PostgreSQL connection: the parsed configuration and how TLS is verified.
pub struct PgTarget {
    /// The client configuration (host, port, user, password, database, `sslmode`).
    pub config: postgres::Config,
    /// The TLS client configuration used whenever the connection is encrypted.
    pub tls: Arc<rustls::ClientConfig>,
    /// `sslrootcert`, when given.
    pub root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for PgTarget {
    // the configuration holds the password: only what Display shows
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgTarget({self})")
    }
}

impl std::fmt::Display for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.config;
        let hosts: Vec<String> = c
            .get_hosts()
            .iter()
            .map(|h| match h {
                postgres::config::Host::Tcp(h) => h.clone(),
                postgres::config::Host::Unix(p) => p.display().to_string(),
            })
            .collect();
        let ports: Vec<String> = c.get_ports().iter().map(u16::to_string).collect();
        write!(
            f,
            "postgresql://{}@{}:{}/{} (sslmode {})",
            c.get_user().unwrap_or("?"),
            hosts.join(","),
            ports.join(","),
            c.get_dbname().unwrap_or("?"),
            ssl_mode_name(c.get_ssl_mode()),
        )
    }
}

fn ssl_mode_name(m: SslMode) -> &'static str {
    match m {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require => "require",
        _ => "other",
    }
}

/// Why a database target was refused.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The connection string does not parse (the reason never repeats the string).
    #[error("the database connection string is not valid: {0}")]
    Url(String),
    /// The credentials file cannot be used.
    #[error("the database credentials file {path}: {reason}")]
    CredentialsFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The CA file of `sslrootcert` cannot be used.
    #[error("sslrootcert {path}: {reason}")]
    RootCert {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `--db` and `--db-url-file` both, or neither.
    #[error("{0}")]
    Usage(String),
}

/// True for a PostgreSQL connection string (as opposed to a SQLite path).
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

impl DbTarget {
    /// The target of `--db VALUE` / `--db-url-file FILE` (exactly one of them).
    pub fn from_args(db: Option<&str>, url_file: Option<&Path>) -> Result<DbTarget, DbError> {
        match (db, url_file) {
            (Some(_), Some(_)) => Err(DbError::Usage(
                "give --db or --db-url-file, not both".into(),
            )),
            (None, None) => Err(DbError::Usage(
                "no database: give --db PATH (SQLite), --db postgres://… or --db-url-file FILE"
                    .into(),
            )),
            (None, Some(file)) => Ok(DbTarget::Postgres(Box::new(PgTarget::parse(
                &read_credentials_file(file)?,
            )?))),
            (Some(db), None) if is_postgres_url(db) => {
                let t = PgTarget::parse(db)?;
                if t.config.get_password().is_some() {
                    tracing::warn!(
                        "the database password is on the command line, where `ps` shows it: \
                         put the connection string in a 0600 file and give --db-url-file"
                    );
                }
                Ok(DbTarget::Postgres(Box::new(t)))
            }
            (Some(db), None) => Ok(DbTarget::Sqlite(PathBuf::from(db))),
        }
    }

    /// The SQLite path, for what only SQLite has (a file beside which old keys may lie).
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DbTarget::Sqlite(p) => Some(p),
            DbTarget::Postgres(_) => None,
        }
    }
}

/// Reads a connection string from a file that only its owner may read (trailing whitespace and
/// `#` comment lines ignored).
pub fn read_credentials_file(path: &Path) -> Result<String, DbError> {
    let err = |reason: String| DbError::CredentialsFile {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(err("is not a regular file".into()));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(err(format!(
            "is readable by others (mode {:o}); it holds the database password: chmod 600",
            meta.mode() & 0o777
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot be read: {e}")))?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    match lines.as_slice() {
        [one] if is_postgres_url(one) => Ok((*one).to_string()),
        [_] => Err(err(
            "does not hold a postgres:// or postgresql:// connection string".into(),
        )),
        [] => Err(err("is empty".into())),
        _ => Err(err(
            "holds more than one line; it must hold the connection string only".into(),
        )),
    }
}

impl PgTarget {
    /// Parses a `postgres://` / `postgresql://` connection string, taking `sslrootcert`
    /// (and libpq's `verify-ca` / `verify-full`, which this client verifies always) out.
    pub fn parse(url: &str) -> Result<PgTarget, DbError> {
        let (base, query) = match url.split_once('?') {
            Some((b, q)) => (b, q),
            None => (url, ""),
        };
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            match k {
                "sslrootcert" => {
                    let path: String = form_urlencoded::parse(format!("p={v}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    if path.is_empty() {
                        return Err(DbError::Url("sslrootcert is empty".into()));
                    }
                    root_cert = Some(PathBuf::from(path));
                }
                // verified always: the same as require here
                "sslmode" if v == "verify-full" || v == "verify-ca" => {
                    kept.push("sslmode=require".to_string())
                }
                _ => kept.push(pair.to_string()),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        // the parser's message never repeats the string
        let config: postgres::Config = rest
            .parse()
            .map_err(|e: postgres::Error| DbError::Url(e.to_string()))?;
        if config.get_user().is_none() {
            return Err(DbError::Url(
                "no user: write postgresql://USER@HOST/DATABASE".into(),
            ));
        }
        if config.get_dbname().is_none() {
            return Err(DbError::Url(
                "no database: write postgresql://USER@HOST/DATABASE".into(),
            ));
        }
        let tls = client_tls(root_cert.as_deref())?;
        Ok(PgTarget {
            config,
            tls,
            root_cert,
        })
    }

    /// The connector the client uses for TLS.
    pub fn connector(&self) -> tokio_postgres_rustls::MakeRustlsConnect {
        tokio_postgres_rustls::MakeRustlsConnect::new((*self.tls).clone())
    }
}

/// A TLS client configuration trusting `root_cert` (PEM, one or more certificates), else the
/// public web roots.
fn client_tls(root_cert: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, DbError> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            use rustls_pki_types::CertificateDer;
            use rustls_pki_types::pem::PemObject as _;
            let err = |reason: String| DbError::RootCert {
                path: path.to_path_buf(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| err(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| err(e.to_string()))?;
            if certs.is_empty() {
                return Err(err("holds no PEM certificate".into()));
            }
            for c in certs {
                roots
                    .add(c)
                    .map_err(|e| err(format!("not a usable CA certificate: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| DbError::Url(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_path_is_sqlite_and_a_url_is_postgres() {
        assert!(matches!(
            DbTarget::from_args(Some("/var/lib/jiuzhu/central.db"), None).unwrap(),
            DbTarget::Sqlite(p) if p == Path::new("/var/lib/jiuzhu/central.db")
        ));
        let DbTarget::Postgres(t) =
            DbTarget::from_args(Some("postgresql://jz@db.example:6432/jiuzhu"), None).unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(t.config.get_ports(), &[6432]);
        assert_eq!(
            t.to_string(),
            "postgresql://jz@db.example:6432/jiuzhu (sslmode prefer)"
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let t = PgTarget::parse("postgres://jz:s3cret-pw@db/jiuzhu?sslmode=require").unwrap();
        for shown in [t.to_string(), format!("{t:?}")] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        for bad in [
            "postgres://jz:s3cret-pw@db/jiuzhu?sslmode=bogus",
            "postgres://jz:s3cret-pw@db:notaport/jiuzhu",
            "postgres://jz:s3cret-pw@db/jiuzhu?frobnicate=1",
        ] {
            let e = PgTarget::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(
                e.starts_with("the database connection string is not valid"),
                "{e}"
            );
        }
    }

    #[test]
    fn user_and_database_are_required() {
        for (url, what) in [
            ("postgres://db.example/jiuzhu", "no user"),
            ("postgres://jz@db.example", "no database"),
        ] {
            let e = PgTarget::parse(url).unwrap_err().to_string();
            assert!(e.contains(what), "{url}: {e}");
        }
    }

    #[test]
    fn verify_modes_and_root_cert_are_taken_out() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        let cert = rcgen::generate_simple_self_signed(vec!["db.example".into()]).unwrap();
        std::fs::write(&ca, cert.cert.pem()).unwrap();
        let url = format!(
            "postgresql://jz@db.example/jiuzhu?sslmode=verify-full&sslrootcert={}",
            ca.display()
        );
        let t = PgTarget::parse(&url).unwrap();
        assert_eq!(t.config.get_ssl_mode(), SslMode::Require);
        assert_eq!(t.root_cert.as_deref(), Some(ca.as_path()));
        // a missing or empty CA file is named, with the reason
        std::fs::write(&ca, "").unwrap();
        let e = PgTarget::parse(&url).unwrap_err().to_string();
        assert!(e.contains("holds no PEM certificate"), "{e}");
        let e = PgTarget::parse("postgresql://jz@h/d?sslrootcert=/nonexistent/ca.pem")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("sslrootcert /nonexistent/ca.pem"), "{e}");
        let e = PgTarget::parse("postgresql://jz@h/d?sslrootcert=")
            .unwrap_err()
            .to_string();
        assert!(e.contains("sslrootcert is empty"), "{e}");
    }

    #[test]
    fn the_credentials_file_must_be_private_and_hold_one_url() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("db.url");
        let write = |text: &str, mode: u32| {
            std::fs::write(&f, text).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        write("# the city database\npostgresql://jz:pw@db/jiuzhu\n", 0o600);
        let DbTarget::Postgres(t) = DbTarget::from_args(None, Some(&f)).unwrap() else {
            panic!("not postgres")
        };
        assert_eq!(t.config.get_password(), Some(&b"pw"[..]));
        write("postgresql://jz:pw@db/jiuzhu\n", 0o644);
        let e = DbTarget::from_args(None, Some(&f)).unwrap_err().to_string();
        assert!(e.contains("readable by others (mode 644)"), "{e}");
        for (text, why) in [
            ("", "is empty"),
            ("/var/lib/central.db", "does not hold a postgres://"),
            (
                "postgresql://a@b/c\npostgresql://d@e/f",
                "more than one line",
            ),
        ] {
            write(text, 0o600);
            let e = DbTarget::from_args(None, Some(&f)).unwrap_err().to_string();
            assert!(e.contains(why), "{text:?}: {e}");
            assert!(!e.contains("pw@"), "{e}");
        }
        let e = DbTarget::from_args(None, Some(&dir.path().join("nope")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot be read"), "{e}");
        assert!(DbTarget::from_args(Some("x.db"), Some(&f)).is_err());
        assert!(DbTarget::from_args(None, None).is_err());
    }
}
