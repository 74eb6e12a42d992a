//! `jiuzhu-central`: serve the reference central service and administer it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use jiuzhu_central::crypto_at_rest::{self, KeysDir};
use jiuzhu_central::db::DbTarget;
use jiuzhu_central::store::pg::PgStore;
use jiuzhu_central::store::{SessionsOf, StaffAccess};
use jiuzhu_central::store::{Staff, parse_role};
use jiuzhu_central::{AppState, SqliteStore, Store, http, keys as pubkeys, seed};

#[derive(Parser)]
#[command(
    name = "jiuzhu-central",
    about = "Reference central service for Jiuzhu Kiosk",
    version
)]
struct Cli {
    /// Directory of the service's keys (audit.key, data.key, district.key; created 0600 when
    /// missing). Default: $JIUZHU_CENTRAL_KEYS_DIR, else systemd's $CREDENTIALS_DIRECTORY
    /// (LoadCredential=, read-only). Never beside the database.
    #[arg(long, global = true)]
    keys_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve the HTTP API.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// PostgreSQL connections this instance keeps at most, 2–500 (several instances share
        /// the database's `max_connections`).
        #[arg(long, default_value_t = jiuzhu_central::store::pg::POOL_SIZE,
              value_parser = clap::value_parser!(u32).range(2..=500))]
        db_pool: u32,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8640")]
        listen: String,
        /// District signing key for proofs: a file with the 32-byte Ed25519 seed in hex. Created
        /// (mode 0600) when missing. Default: `district.key` in the keys directory.
        #[arg(long)]
        district_key: Option<PathBuf>,
        /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Deliver household notices by text message through this HTTP SMS gateway endpoint
        /// (needs --sms-token-file; see central/README.md for the wire format).
        #[arg(long, requires = "sms_token_file")]
        sms_gateway: Option<String>,
        /// File (mode 0600) with the SMS gateway's bearer token.
        #[arg(long, requires = "sms_gateway")]
        sms_token_file: Option<PathBuf>,
    },
    /// Register or revoke kiosks.
    Kiosk {
        #[command(subcommand)]
        cmd: KioskCmd,
    },
    /// Administer staff accounts.
    Staff {
        #[command(subcommand)]
        cmd: StaffCmd,
    },
    /// Check the audit log.
    Audit {
        #[command(subcommand)]
        cmd: AuditCmd,
    },
    /// Enrolled reference templates of recipients and guardians.
    Template {
        #[command(subcommand)]
        cmd: TemplateCmd,
    },
    /// Guardians (监护人) who may certify for a recipient.
    Guardian {
        #[command(subcommand)]
        cmd: GuardianCmd,
    },
    /// Create the keys directory and its keys (0700 / 0600) without touching a database.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// A recipient's death or suspension: revokes every proof of theirs.
    Recipient {
        #[command(subcommand)]
        cmd: RecipientCmd,
    },
    /// Check this instance's setup before it serves: the keys, the database (reached, TLS,
    /// server version, round trip, migrations, the audit chain). Exit 1 when a check fails.
    Doctor {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create demo data: a township, staff accounts, recipients.
    SeedDemo {
        #[command(flatten)]
        db: DbArgs,
        /// Register this kiosk public key (hex, base64 or PEM) as kiosk `demo-kiosk`.
        #[arg(long)]
        kiosk_pubkey: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KioskCmd {
    /// Register a kiosk's public key.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// Township code the kiosk stands in.
        #[arg(long)]
        township: String,
        /// Kiosk id (1–64 of A-Z a-z 0-9 _ -), sent as X-Jiuzhu-Kiosk.
        #[arg(long)]
        name: String,
        /// Public key file (64 hex, base64 of 32 bytes, or PEM PUBLIC KEY).
        #[arg(long)]
        pubkey: PathBuf,
        /// More townships this kiosk serves besides its own (a district decision, audited),
        /// comma-separated codes.
        #[arg(long, value_delimiter = ',')]
        serves: Vec<String>,
    },
    /// Set the townships a kiosk serves besides its own (replaces the list; none: only its
    /// own). Audited as `kiosk.scope`.
    Scope {
        #[command(flatten)]
        db: DbArgs,
        /// Kiosk id.
        #[arg(long)]
        name: String,
        /// Comma-separated township codes; leave empty to serve only its own township.
        #[arg(long, value_delimiter = ',')]
        serves: Vec<String>,
    },
    /// Revoke a kiosk: its requests are refused from now on.
    Revoke {
        #[command(flatten)]
        db: DbArgs,
        /// Kiosk id.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create audit.key, data.key and district.key in --keys-dir where missing; prints the
    /// district public key.
    Init,
}

#[derive(Subcommand)]
enum RecipientCmd {
    /// Record that a recipient died or their assistance is suspended (from --since, within
    /// the last five years); the public proof check then answers `revoked`.
    Standing {
        #[command(flatten)]
        db: DbArgs,
        /// The recipient's identity number.
        #[arg(long)]
        id_number: String,
        /// deceased or suspended.
        #[arg(long)]
        standing: String,
        /// The day (YYYY-MM-DD).
        #[arg(long)]
        since: chrono::NaiveDate,
    },
}

#[derive(Subcommand)]
enum StaffCmd {
    /// Add an account; the password is read from the first line of standard input.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        /// village_helper, township_clerk, township_leader or district_bureau.
        #[arg(long)]
        role: String,
        /// Township scope (required except for district_bureau).
        #[arg(long)]
        township: Option<String>,
    },
    /// Disable an account: no more logins, its sessions end (undo with `enable`).
    Disable {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
    /// Let a disabled account log in again.
    Enable {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
    /// Remove an account for good: its sessions end, its password hash is erased, the name is
    /// never given again.
    Remove {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
    /// End every session of an account (revoke its tokens) without disabling it.
    Logout {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum GuardianCmd {
    /// Register a recipient's guardian (checked at the township office); a repeat updates the
    /// relation. Import the guardian's references with `template import` afterwards.
    Add {
        #[command(flatten)]
        db: DbArgs,
        /// The recipient's identity number.
        #[arg(long)]
        recipient: String,
        /// The guardian's identity number.
        #[arg(long)]
        guardian: String,
        /// The guardian's name.
        #[arg(long)]
        name: String,
        /// Relation to the recipient: child, spouse, sibling, … (a-z and _).
        #[arg(long)]
        relation: String,
    },
}

fn add_guardian(
    db: &DbArgs,
    keys: &KeysDir,
    recipient: &str,
    guardian: &str,
    name: &str,
    relation: &str,
) -> anyhow::Result<()> {
    let r = jiuzhu_core::id::IdNumber::parse(recipient)
        .map_err(|e| anyhow::anyhow!("--recipient: {e}"))?;
    let g = jiuzhu_core::id::IdNumber::parse(guardian)
        .map_err(|e| anyhow::anyhow!("--guardian: {e}"))?;
    let n = jiuzhu_core::id::PersonName::new(name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    if relation.is_empty()
        || relation.len() > 32
        || !relation
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        bail!("--relation {relation:?}: give 1–32 characters of a-z and _, e.g. child");
    }
    open(db, keys)?.put_guardian(
        &jiuzhu_central::store::NewGuardian {
            recipient_id: r.as_unmasked_str(),
            guardian_id: g.as_unmasked_str(),
            name: n.as_unmasked_str(),
            relation,
            now: chrono::Utc::now(),
        },
        "admin:cli",
    )?;
    println!(
        "{} ({relation}) registered as guardian of {}",
        g.masked(),
        r.masked()
    );
    Ok(())
}

#[derive(Subcommand)]
enum TemplateCmd {
    /// Store the reference template of a recipient or a registered guardian (enrolled at the
    /// township office), replacing the previous one of that modality.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The person's identity number (a recipient, or a registered guardian).
        #[arg(long)]
        id_number: String,
        /// fingerprint (512-byte module template or ISO/IEC 19794-2 record) or face (embedding).
        #[arg(long)]
        modality: String,
        /// The template file.
        #[arg(long)]
        file: PathBuf,
    },
}

/// The largest template accepted (an ISO 19794-2 record with many minutiae is a few KiB).
const MAX_TEMPLATE_BYTES: u64 = 64 * 1024;

fn import_template(
    db: &DbArgs,
    keys: &KeysDir,
    id_number: &str,
    modality: &str,
    file: &Path,
) -> anyhow::Result<()> {
    use jiuzhu_core::api::Modality;
    let id = jiuzhu_core::id::IdNumber::parse(id_number)
        .map_err(|e| anyhow::anyhow!("--id-number: {e}"))?;
    let modality = match modality {
        "fingerprint" => Modality::Fingerprint,
        "face" => Modality::Face,
        other => bail!("--modality {other:?}: use fingerprint or face"),
    };
    let len = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    if len == 0 || len > MAX_TEMPLATE_BYTES {
        bail!(
            "{} holds {len} bytes; a template has 1 to {MAX_TEMPLATE_BYTES}",
            file.display()
        );
    }
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = open(db, keys)?;
    match store.put_template(id.as_unmasked_str(), modality, &data, "admin:cli") {
        Err(jiuzhu_central::StoreError::NotFound(_)) => bail!(
            "{} is neither a recipient nor a registered guardian in this database (register a guardian with `guardian add` first)",
            id.masked()
        ),
        r => r?,
    }
    println!(
        "{modality:?} template of {} stored ({len} bytes)",
        id.masked()
    );
    Ok(())
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Walk the keyed hash chain; exit 1 when a row was edited or deleted. With --checkpoint,
    /// also check that the chain still holds the signed checkpoint's head.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// A checkpoint written by `audit checkpoint` (signed with the district key).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Verify the chain and write its head, signed with the district key, to --out (keep it
    /// off this machine, or print it). Refuses to overwrite a file.
    Checkpoint {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        out: PathBuf,
    },
}

fn keys(flag: Option<&Path>) -> anyhow::Result<KeysDir> {
    Ok(KeysDir::resolve(flag)?)
}

/// Where the data is: `--db PATH|postgres://…` or `--db-url-file FILE` (see `db.rs`).
#[derive(clap::Args, Debug, Clone)]
struct DbArgs {
    /// The database: a SQLite file (created and migrated when missing), or a PostgreSQL
    /// connection string `postgresql://USER@HOST[:PORT]/DB[?sslmode=verify-full&sslrootcert=CA.pem]`
    /// — with the password in --db-url-file, not here, where `ps` shows it.
    #[arg(long, required_unless_present = "db_url_file")]
    db: Option<String>,
    /// A file only the service account may read (mode 0600) holding the PostgreSQL connection
    /// string, password included (e.g. systemd's $CREDENTIALS_DIRECTORY/central-db.url).
    #[arg(long, conflicts_with = "db")]
    db_url_file: Option<PathBuf>,
}

impl DbArgs {
    fn target(&self) -> anyhow::Result<DbTarget> {
        Ok(DbTarget::from_args(
            self.db.as_deref(),
            self.db_url_file.as_deref(),
        )?)
    }
}

/// An open store of either backend.
enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl std::ops::Deref for Opened {
    type Target = dyn Store;
    fn deref(&self) -> &(dyn Store + 'static) {
        match self {
            Opened::Sqlite(s) => s,
            Opened::Postgres(s) => s,
        }
    }
}

impl Opened {
    fn into_arc(self) -> Arc<dyn Store> {
        match self {
            Opened::Sqlite(s) => Arc::new(s),
            Opened::Postgres(s) => Arc::new(s),
        }
    }

    fn audit_checkpoint(
        &self,
        district: &ed25519_dalek::SigningKey,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<jiuzhu_central::audit::Checkpoint, jiuzhu_central::StoreError> {
        match self {
            Opened::Sqlite(s) => s.audit_checkpoint(district, now),
            Opened::Postgres(s) => s.audit_checkpoint(district, now),
        }
    }

    fn verify_audit_checkpoint(
        &self,
        cp: &jiuzhu_central::audit::Checkpoint,
        district: &ed25519_dalek::VerifyingKey,
    ) -> Result<i64, jiuzhu_central::StoreError> {
        match self {
            Opened::Sqlite(s) => s.verify_audit_checkpoint(cp, district),
            Opened::Postgres(s) => s.verify_audit_checkpoint(cp, district),
        }
    }
}

fn open(db: &DbArgs, keys: &KeysDir) -> anyhow::Result<Opened> {
    open_target(&db.target()?, keys, 2)
}

/// Opens the store `target` names (read once by the caller: the credentials file and the TLS
/// roots are not read again).
fn open_target(target: &DbTarget, keys: &KeysDir, pool: u32) -> anyhow::Result<Opened> {
    let k = keys.load()?;
    Ok(match target {
        DbTarget::Sqlite(path) => Opened::Sqlite(
            SqliteStore::open_with_keys(path, &k)
                .with_context(|| format!("cannot open the database {}", path.display()))?,
        ),
        DbTarget::Postgres(t) => Opened::Postgres(
            PgStore::connect_target(t, &k, pool)
                .with_context(|| format!("cannot open the database {t}"))?,
        ),
    })
}

/// The district key: `--district-key`, else `district.key` in the keys directory. A key left
/// beside the database by an older version is not used silently.
fn load_district_key(
    keys: &KeysDir,
    flag: Option<&Path>,
    db: Option<&Path>,
) -> anyhow::Result<ed25519_dalek::SigningKey> {
    if let Some(db) = db
        && flag.is_none()
        && !keys.path.join(crypto_at_rest::DISTRICT_KEY_FILE).exists()
    {
        let mut old = db.as_os_str().to_owned();
        old.push(".district-key");
        let old = PathBuf::from(old);
        if old.exists() {
            bail!(
                "the district key {} lies beside the database; move it to {} (mode 0600) or give --district-key",
                old.display(),
                keys.path.join(crypto_at_rest::DISTRICT_KEY_FILE).display()
            );
        }
    }
    Ok(keys.district_key(flag)?)
}

fn valid_kiosk_name(n: &str) -> bool {
    (1..=64).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // every file this process creates (database, WAL, keys, checkpoints) is private to the
    // service account, whatever the shell's umask
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let cli = Cli::parse();
    let kd = cli.keys_dir.clone();
    let kd = kd.as_deref();
    match cli.cmd {
        Cmd::Serve {
            db,
            db_pool,
            listen,
            district_key,
            tls_cert,
            tls_key,
            sms_gateway,
            sms_token_file,
        } => {
            let keys = keys(kd)?;
            let target = db.target()?;
            let key = load_district_key(&keys, district_key.as_deref(), target.sqlite_path())?;
            let store = open_target(&target, &keys, db_pool)?.into_arc();
            match &target {
                DbTarget::Sqlite(p) => tracing::info!(db = %p.display(), "SQLite store"),
                DbTarget::Postgres(t) => {
                    tracing::info!(db = %t, pool = db_pool, "PostgreSQL store")
                }
            }
            let tls = match (&tls_cert, &tls_key) {
                (Some(c), Some(k)) => Some(jiuzhu_central::tls::server_config(c, k)?),
                _ => None,
            };
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen}"))?;
                let addr = listener.local_addr()?;
                let state = AppState::new(store, key);
                if let (Some(url), Some(token)) = (&sms_gateway, &sms_token_file) {
                    let cfg = jiuzhu_central::sms::SmsConfig::from_token_file(url, token)?;
                    let gw = jiuzhu_central::sms::HttpSmsGateway::new(cfg)?;
                    tracing::info!(endpoint = %url, "notices by SMS through the gateway");
                    jiuzhu_central::sms::spawn_sender(
                        state.clone(),
                        gw,
                        std::time::Duration::from_secs(60),
                    );
                }
                if let Some(config) = tls {
                    tracing::info!(%addr, "jiuzhu-central listening (TLS)");
                    println!("listening on https://{addr}");
                    http::serve_tls_on(listener, config, state).await?;
                } else {
                    tracing::info!(%addr, "jiuzhu-central listening");
                    println!("listening on http://{addr}");
                    http::serve_on(listener, state).await?;
                }
                anyhow::Ok(())
            })?;
        }
        Cmd::Kiosk {
            cmd:
                KioskCmd::Add {
                    db,
                    township,
                    name,
                    pubkey,
                    serves,
                },
        } => {
            if !valid_kiosk_name(&name) {
                bail!("kiosk name '{name}' must be 1–64 characters of A-Z a-z 0-9 _ -");
            }
            let text = std::fs::read_to_string(&pubkey)
                .with_context(|| format!("cannot read {}", pubkey.display()))?;
            let key = pubkeys::parse_public_key(&text)?;
            let store = open(&db, &keys(kd)?)?;
            for t in &serves {
                if store.township(t)?.is_none() {
                    bail!("township '{t}' in --serves is not registered");
                }
            }
            store.add_kiosk(&name, &township, key.as_bytes(), "admin:cli")?;
            if !serves.is_empty() {
                store
                    .hardening()
                    .set_kiosk_serves(&name, &serves, "admin:cli")?;
            }
            println!(
                "kiosk {name} registered for township {township}{}",
                if serves.is_empty() {
                    String::new()
                } else {
                    format!(", also serving {}", serves.join(", "))
                }
            );
        }
        Cmd::Kiosk {
            cmd: KioskCmd::Scope { db, name, serves },
        } => {
            let store = open(&db, &keys(kd)?)?;
            store
                .hardening()
                .set_kiosk_serves(&name, &serves, "admin:cli")?;
            println!(
                "kiosk {name} serves {}",
                store.hardening().kiosk_scope(&name)?.join(", ")
            );
        }
        Cmd::Recipient {
            cmd:
                RecipientCmd::Standing {
                    db,
                    id_number,
                    standing,
                    since,
                },
        } => {
            let idn = jiuzhu_core::id::IdNumber::parse(&id_number)
                .map_err(|e| anyhow::anyhow!("--id-number: {e}"))?;
            let standing = match standing.as_str() {
                "deceased" => jiuzhu_central::store::Standing::Deceased,
                "suspended" => jiuzhu_central::store::Standing::Suspended,
                other => bail!("--standing '{other}': use deceased or suspended"),
            };
            let today = jiuzhu_core::id::today_in_china();
            jiuzhu_central::security::bound_past_date("--since", since, today)
                .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
            open(&db, &keys(kd)?)?.hardening().set_standing(
                idn.as_unmasked_str(),
                standing,
                since,
                "admin:cli",
                chrono::Utc::now(),
            )?;
            println!(
                "{} recorded as {} from {since}; their proofs now verify as revoked",
                idn.masked(),
                standing.name()
            );
        }
        Cmd::Kiosk {
            cmd: KioskCmd::Revoke { db, name },
        } => {
            open(&db, &keys(kd)?)?.revoke_kiosk(&name, "admin:cli")?;
            println!("kiosk {name} revoked");
        }
        Cmd::Staff {
            cmd:
                StaffCmd::Add {
                    db,
                    username,
                    role,
                    township,
                },
        } => {
            let role = parse_role(&role).with_context(|| {
                format!("unknown role '{role}': use village_helper, township_clerk, township_leader or district_bureau")
            })?;
            if township.is_none() && role != jiuzhu_core::api::StaffRole::DistrictBureau {
                bail!("--township is required for every role except district_bureau");
            }
            let mut pw = String::new();
            std::io::stdin().read_line(&mut pw)?;
            let pw = pw.trim_end_matches(['\n', '\r']);
            if pw.chars().count() < 10 {
                bail!("the password must have at least 10 characters");
            }
            let store = open(&db, &keys(kd)?)?;
            if let Some(t) = &township
                && store.township(t)?.is_none()
            {
                bail!("township '{t}' is not registered");
            }
            let hash = http::hash_password(pw).map_err(|e| anyhow::anyhow!(e.reason))?;
            store.add_staff(
                &Staff {
                    username: username.clone(),
                    role,
                    township,
                },
                &hash,
                "admin:cli",
            )?;
            println!("staff account {username} added");
        }
        Cmd::Staff { cmd } => staff_access(kd, cmd)?,
        Cmd::Keys { cmd: KeysCmd::Init } => {
            let keys = keys(kd)?;
            keys.load()?;
            let district = keys.district_key(None)?;
            println!(
                "keys in {}: {}, {}, {}",
                keys.path.display(),
                crypto_at_rest::AUDIT_KEY_FILE,
                crypto_at_rest::DATA_KEY_FILE,
                crypto_at_rest::DISTRICT_KEY_FILE
            );
            println!(
                "district public key: {}",
                hex::encode(district.verifying_key().as_bytes())
            );
        }
        Cmd::Audit {
            cmd: AuditCmd::Verify { db, checkpoint },
        } => {
            let keys = keys(kd)?;
            let store = open(&db, &keys)?;
            let r = match &checkpoint {
                None => store.verify_audit(),
                Some(file) => {
                    let text = std::fs::read_to_string(file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let cp: jiuzhu_central::audit::Checkpoint = serde_json::from_str(&text)
                        .with_context(|| {
                            format!("{} is not an audit checkpoint", file.display())
                        })?;
                    let district = keys.district_key(None)?;
                    store.verify_audit_checkpoint(&cp, &district.verifying_key())
                }
            };
            match r {
                Ok(n) => println!(
                    "audit log intact: {n} rows{}",
                    if checkpoint.is_some() {
                        ", the signed checkpoint's head is in place"
                    } else {
                        ""
                    }
                ),
                Err(e) => {
                    eprintln!("audit log damaged: {e}");
                    std::process::exit(1);
                }
            }
        }
        Cmd::Audit {
            cmd: AuditCmd::Checkpoint { db, out },
        } => {
            use std::io::Write as _;
            let keys = keys(kd)?;
            let store = open(&db, &keys)?;
            let district = keys.district_key(None)?;
            let cp = store.audit_checkpoint(&district, chrono::Utc::now())?;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .with_context(|| format!("cannot create {} (it must not exist)", out.display()))?;
            writeln!(f, "{}", serde_json::to_string_pretty(&cp)?)?;
            println!(
                "checkpoint of {} rows (head {}) written to {}",
                cp.seq,
                cp.hash,
                out.display()
            );
        }
        Cmd::Template {
            cmd:
                TemplateCmd::Import {
                    db,
                    id_number,
                    modality,
                    file,
                },
        } => import_template(&db, &keys(kd)?, &id_number, &modality, &file)?,
        Cmd::Guardian {
            cmd:
                GuardianCmd::Add {
                    db,
                    recipient,
                    guardian,
                    name,
                    relation,
                },
        } => add_guardian(&db, &keys(kd)?, &recipient, &guardian, &name, &relation)?,
        Cmd::Doctor { db } => {
            if !doctor(kd, &db) {
                std::process::exit(1);
            }
        }
        Cmd::SeedDemo { db, kiosk_pubkey } => {
            let store = open(&db, &keys(kd)?)?;
            let hash =
                |pw: &str| http::hash_password(pw).expect("argon2id hashes any demo password");
            let recipients = seed::seed_demo(&*store, jiuzhu_core::id::today_in_china(), &hash)?;
            println!(
                "township {} 涪陵区江东街道（演示） and {} (scope demo)",
                seed::DEMO_TOWNSHIP,
                seed::OTHER_TOWNSHIP
            );
            println!("staff accounts (demo passwords):");
            for (u, p, r, t) in seed::DEMO_STAFF {
                println!("  {u:<8} {p:<20} {r:?} {}", t.unwrap_or("all townships"));
            }
            println!("recipients (made-up people):");
            for r in &recipients {
                println!(
                    "  {} {} certified: {}",
                    r.id_number,
                    r.name,
                    r.last_certified_on
                        .map(|d| d.to_string())
                        .unwrap_or("never".into())
                );
            }
            for g in seed::DEMO_GUARDIANS {
                println!(
                    "guardian: {} {} ({}) for {}",
                    g.guardian_id, g.name, g.relation, g.recipient_id
                );
            }
            if let Some(p) = kiosk_pubkey {
                let text = std::fs::read_to_string(&p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                let key = pubkeys::parse_public_key(&text)?;
                match store.add_kiosk(
                    "demo-kiosk",
                    seed::DEMO_TOWNSHIP,
                    key.as_bytes(),
                    "admin:seed-demo",
                ) {
                    Ok(()) => println!("kiosk demo-kiosk registered"),
                    Err(jiuzhu_central::StoreError::Conflict(_)) => {
                        println!("kiosk demo-kiosk already registered")
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(())
}

/// `doctor`: one line per check, `ok` or `FAIL` with the reason; true when none failed.
fn doctor(kd: Option<&Path>, db: &DbArgs) -> bool {
    let mut ok = true;
    let mut line = |pass: bool, what: &str, detail: String| {
        println!("{} {what}: {detail}", if pass { "ok  " } else { "FAIL" });
        ok &= pass;
    };
    let keys = match keys(kd).and_then(|k| {
        k.load()?;
        k.district_key(None)?;
        Ok(k)
    }) {
        Ok(k) => {
            line(
                true,
                "keys",
                format!("{} (audit, data, district keys; 0600)", k.path.display()),
            );
            k
        }
        Err(e) => {
            line(false, "keys", format!("{e:#}"));
            return false;
        }
    };
    let target = match db.target() {
        Ok(t) => t,
        Err(e) => {
            line(false, "database", format!("{e:#}"));
            return false;
        }
    };
    match &target {
        DbTarget::Sqlite(path) => line(true, "database", format!("SQLite {}", path.display())),
        DbTarget::Postgres(t) => {
            if !doctor_postgres(t, &mut line) {
                return false;
            }
        }
    }
    // opening applies the migrations this version knows, as serve would
    match open_target(&target, &keys, 2) {
        Ok(store) => {
            match &store {
                Opened::Sqlite(_) => line(
                    true,
                    "schema",
                    format!(
                        "{} migrations, applied",
                        jiuzhu_central::store::MIGRATIONS.len()
                    ),
                ),
                Opened::Postgres(pg) => match pg.applied_migrations() {
                    Ok(applied) => {
                        let known: Vec<&str> = jiuzhu_central::store::pg::PG_MIGRATIONS
                            .iter()
                            .map(|(v, _)| *v)
                            .collect();
                        let unknown: Vec<&String> = applied
                            .iter()
                            .filter(|v| !known.contains(&v.as_str()))
                            .collect();
                        line(
                            unknown.is_empty(),
                            "schema",
                            if unknown.is_empty() {
                                format!("{} migrations, applied", known.len())
                            } else {
                                format!(
                                    "the database has migrations this version does not know ({}): a newer central wrote it",
                                    unknown
                                        .iter()
                                        .map(|s| s.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )
                            },
                        )
                    }
                    Err(e) => line(false, "schema", e.to_string()),
                },
            }
            match store.verify_audit() {
                Ok(n) => line(true, "audit chain", format!("{n} rows, intact")),
                Err(e) => line(false, "audit chain", e.to_string()),
            }
        }
        Err(e) => line(false, "database", format!("{e:#}")),
    }
    ok
}

/// `doctor`'s checks of a PostgreSQL database on a connection of its own, through the same
/// configuration and TLS as the store's; false when it cannot be reached.
fn doctor_postgres(
    t: &jiuzhu_central::db::PgTarget,
    line: &mut dyn FnMut(bool, &str, String),
) -> bool {
    let t0 = std::time::Instant::now();
    let mut c = match t.config.connect(t.connector()) {
        Ok(c) => c,
        Err(e) => {
            let e = jiuzhu_central::StoreError::from(e);
            line(false, "database", format!("{t}: {e}"));
            return false;
        }
    };
    line(
        true,
        "database",
        format!("{t}, connected in {:.1?}", t0.elapsed()),
    );
    let r = match c.query_one(
        "SELECT current_setting('server_version'), \
         coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false), \
         current_setting('max_connections')",
        &[],
    ) {
        Ok(r) => r,
        Err(e) => {
            line(
                false,
                "server",
                jiuzhu_central::StoreError::from(e).to_string(),
            );
            return true;
        }
    };
    let (version, ssl, max): (String, bool, String) = (r.get(0), r.get(1), r.get(2));
    let major = version
        .split('.')
        .next()
        .and_then(|v| v.parse::<u32>().ok());
    line(
        major >= Some(13),
        "server",
        format!("PostgreSQL {version} (13 or newer needed), max_connections {max}"),
    );
    let local = t.config.get_hosts().iter().all(|h| match h {
        postgres::config::Host::Tcp(h) => h == "localhost" || h == "127.0.0.1" || h == "::1",
        postgres::config::Host::Unix(_) => true,
    });
    let tls = if ssl {
        let roots = t
            .root_cert
            .as_ref()
            .map_or("the web roots".into(), |p| p.display().to_string());
        format!("encrypted, certificate verified against {roots}")
    } else if local {
        "not encrypted (the database is on this machine)".into()
    } else {
        "NOT encrypted to a database on another machine: set sslmode=verify-full and sslrootcert"
            .into()
    };
    line(ssl || local, "TLS", tls);
    let mut rtt: Vec<_> = (0..5)
        .filter_map(|_| {
            let t = std::time::Instant::now();
            c.simple_query("SELECT 1").ok().map(|_| t.elapsed())
        })
        .collect();
    rtt.sort();
    if let Some(m) = rtt.get(rtt.len() / 2) {
        line(
            *m < std::time::Duration::from_millis(20),
            "round trip",
            format!("{m:.2?} median of {} (under 20 ms wanted)", rtt.len()),
        );
    }
    true
}

fn staff_access(kd: Option<&Path>, cmd: StaffCmd) -> anyhow::Result<()> {
    let (db, username, what) = match cmd {
        StaffCmd::Disable { db, username } => (db, username, Some(StaffAccess::Disable)),
        StaffCmd::Enable { db, username } => (db, username, Some(StaffAccess::Enable)),
        StaffCmd::Remove { db, username } => (db, username, Some(StaffAccess::Remove)),
        StaffCmd::Logout { db, username } => (db, username, None),
        StaffCmd::Add { .. } => unreachable!("staff add is handled in main"),
    };
    let store = open(&db, &keys(kd)?)?;
    match what {
        Some(access) => {
            store.set_staff_access(&username, access, "admin:cli")?;
            let done = match access {
                StaffAccess::Disable => "disabled; its sessions ended",
                StaffAccess::Enable => "enabled",
                StaffAccess::Remove => "removed; its sessions ended",
            };
            println!("staff account {username} {done}");
        }
        None => {
            let n = store.end_sessions(SessionsOf::Account(&username), "admin:cli")?;
            println!("{n} session(s) of {username} ended");
        }
    }
    Ok(())
}
