//! One real central for the loopback tests: a real database — a SQLite file in a temporary
//! directory, or with `JIUZHU_TEST_STORE=postgres` a new database of the test binary's own
//! PostgreSQL cluster (`pg.rs`), so the same HTTP tests run on both backends — the demo
//! seed, two registered kiosks (one per demo township), a workflow clock the test may move, and the
//! server on 127.0.0.1:0. The HTTP helpers below speak to it as a kiosk (signed) or as staff
//! (bearer token), so the test files keep only what they test.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::conn::ConnLimits;
use jiuzhu_central::crypto_at_rest::KeysDir;
use jiuzhu_central::http::hash_password;
use jiuzhu_central::login_guard::{LoginGuard, LoginPolicy};
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP, OTHER_TOWNSHIP};
use jiuzhu_central::store::Recipient;
use jiuzhu_central::store::pg::PgStore;
use jiuzhu_central::{AppState, SqliteStore, Store};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::id::today_in_china;
use serde_json::{Value, json};

/// Monday 2 March 2026, 10:00 in China: an ordinary working week.
pub fn monday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

/// The district's signing key of every test central.
pub fn district_key() -> SigningKey {
    SigningKey::from_bytes(&[77; 32])
}

/// How a test central is set up; `Setup::default().start()` is the common case.
#[derive(Default)]
pub struct Setup {
    clock: Option<DateTime<Utc>>,
    keys_dir: bool,
    login: Option<LoginPolicy>,
    limits: Option<ConnLimits>,
}

impl Setup {
    /// The workflow clock starts at `t` and moves only when the test moves it
    /// (without this, central reads the system clock).
    pub fn clock(mut self, t: DateTime<Utc>) -> Self {
        self.clock = Some(t);
        self
    }

    /// At-rest keys from a key directory `keys/` and the database in `db/` of the temporary
    /// directory, as `jiuzhu-central serve` lays them out.
    pub fn keys_dir(mut self) -> Self {
        self.keys_dir = true;
        self
    }

    /// Staff logins throttled by `policy` instead of the default one.
    pub fn login_policy(mut self, policy: LoginPolicy) -> Self {
        self.login = Some(policy);
        self
    }

    /// Connection limits instead of the default ones.
    pub fn limits(mut self, limits: ConnLimits) -> Self {
        self.limits = Some(limits);
        self
    }

    pub async fn start(self) -> Central {
        let dir = tempfile::tempdir().unwrap();
        let kiosk = KioskSigner {
            id: "kiosk-1".into(),
            key: SigningKey::from_bytes(&[42; 32]),
        };
        let other_kiosk = KioskSigner {
            id: "kiosk-2".into(),
            key: SigningKey::from_bytes(&[43; 32]),
        };
        let keys_dir = self.keys_dir;
        let path = dir.path().to_path_buf();
        let kiosks = [
            (kiosk.clone(), DEMO_TOWNSHIP),
            (other_kiosk.clone(), OTHER_TOWNSHIP),
        ];
        // the store is opened and seeded off the async runtime: the synchronous PostgreSQL
        // client blocks on a runtime of its own
        let (backend, recipients) = tokio::task::spawn_blocking(move || {
            let backend = match Backend::from_env() {
                Kind::Sqlite => {
                    let store = if keys_dir {
                        let keys = KeysDir::at(path.join("keys")).load().unwrap();
                        std::fs::create_dir(path.join("db")).unwrap();
                        SqliteStore::open_with_keys(&path.join("db").join("central.db"), &keys)
                            .unwrap()
                    } else {
                        SqliteStore::open(&path.join("central.db")).unwrap()
                    };
                    Backend::Sqlite(Arc::new(store))
                }
                Kind::Postgres => {
                    let keys = KeysDir::at(path.join("keys")).load().unwrap();
                    let url = pg::shared().new_database();
                    let store = PgStore::connect(&url, &keys, 8).unwrap();
                    Backend::Postgres {
                        store: Arc::new(store),
                        url,
                    }
                }
            };
            let store = backend.store();
            let hash = |p: &str| hash_password(p).unwrap();
            let recipients = seed::seed_demo(store.as_ref(), today_in_china(), &hash).unwrap();
            for (k, township) in &kiosks {
                store
                    .add_kiosk(&k.id, township, k.key.verifying_key().as_bytes(), "test")
                    .unwrap();
            }
            (backend, recipients)
        })
        .await
        .unwrap();
        let store = backend.store();
        let clock = Arc::new(Mutex::new(self.clock.unwrap_or_else(Utc::now)));
        let mut state = AppState::new(store.clone(), district_key());
        if self.clock.is_some() {
            let c = clock.clone();
            state = state.with_clock(Arc::new(move || *c.lock().unwrap()));
        }
        if let Some(policy) = self.login {
            state = state.with_login_guard(LoginGuard::new(policy));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(jiuzhu_central::http::serve_with(
            listener,
            state.clone(),
            self.limits.unwrap_or_default(),
        ));
        Central {
            addr,
            store,
            backend,
            state,
            kiosk,
            other_kiosk,
            recipients,
            clock,
            dir,
        }
    }
}

/// Which backend the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// The store behind a test central.
pub enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres { store: Arc<PgStore>, url: String },
}

impl Backend {
    /// `JIUZHU_TEST_STORE`: `sqlite` (the default) or `postgres`.
    pub fn from_env() -> Kind {
        match std::env::var("JIUZHU_TEST_STORE").as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Kind::Sqlite,
            Ok("postgres") => Kind::Postgres,
            Ok(other) => panic!("JIUZHU_TEST_STORE={other:?}: use sqlite or postgres"),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Backend::Sqlite(_) => Kind::Sqlite,
            Backend::Postgres { .. } => Kind::Postgres,
        }
    }

    fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => s.clone(),
            Backend::Postgres { store, .. } => store.clone(),
        }
    }
}

/// A value read from the database in a test: every column the tests read is text, an integer
/// or bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(i) => i.to_string(),
            other => panic!("not text: {other:?}"),
        }
    }

    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            Cell::Null => 0,
            other => panic!("not an integer: {other:?}"),
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Cell::Bytes(b) => b.clone(),
            other => panic!("not bytes: {other:?}"),
        }
    }
}

/// A running test central.
pub struct Central {
    pub addr: SocketAddr,
    /// The store (either backend). The PostgreSQL client may not block inside the test's async
    /// runtime: call it through [`Central::db`].
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    pub state: AppState,
    /// Registered for DEMO_TOWNSHIP.
    pub kiosk: KioskSigner,
    /// Registered for OTHER_TOWNSHIP.
    pub other_kiosk: KioskSigner,
    /// The demo recipients the seed made.
    pub recipients: Vec<Recipient>,
    /// The workflow clock (read by central only with `Setup::clock`).
    pub clock: Arc<Mutex<DateTime<Utc>>>,
    pub dir: tempfile::TempDir,
}

impl Central {
    /// The default central: system clock, default limits.
    pub async fn start() -> Central {
        Setup::default().start().await
    }

    /// A central whose workflow clock starts at `t`.
    pub async fn at(t: DateTime<Utc>) -> Central {
        Setup::default().clock(t).start().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn conn(&self) -> Conn {
        Conn::new(self.addr)
    }

    /// A signed request of `k` with a raw body and extra headers.
    pub async fn signed_by(
        &self,
        k: &KioskSigner,
        c: &mut Conn,
        method: &str,
        path: &str,
        body: &[u8],
        extra: &[(&str, String)],
    ) -> Reply {
        c.signed(k, method, path, body, extra).await.unwrap()
    }

    /// A signed POST of the home kiosk with a raw body and extra headers.
    pub async fn kiosk_send(
        &self,
        c: &mut Conn,
        path: &str,
        body: &[u8],
        extra: &[(&str, String)],
    ) -> Reply {
        self.signed_by(&self.kiosk, c, "POST", path, body, extra)
            .await
    }

    /// A signed POST of the home kiosk with `body` as JSON.
    pub async fn kiosk_post(&self, c: &mut Conn, path: &str, body: &Value) -> Reply {
        self.kiosk_send(c, path, body.to_string().as_bytes(), &[])
            .await
    }

    /// A signed POST of the home kiosk with an `Idempotency-Key`.
    pub async fn kiosk_post_once(
        &self,
        c: &mut Conn,
        path: &str,
        body: &Value,
        key: &str,
    ) -> Reply {
        self.kiosk_send(
            c,
            path,
            body.to_string().as_bytes(),
            &[("idempotency-key", key.into())],
        )
        .await
    }

    /// A signed JSON POST of `k` on a fresh connection.
    pub async fn post_as(&self, k: &KioskSigner, path: &str, body: &Value) -> Reply {
        self.post_as_with(k, path, body, &[]).await
    }

    /// A signed JSON POST of `k` with extra headers on a fresh connection.
    pub async fn post_as_with(
        &self,
        k: &KioskSigner,
        path: &str,
        body: &Value,
        extra: &[(&str, String)],
    ) -> Reply {
        self.signed_by(
            k,
            &mut self.conn(),
            "POST",
            path,
            body.to_string().as_bytes(),
            extra,
        )
        .await
    }

    /// A signed GET of `k` on a fresh connection.
    pub async fn get_as(&self, k: &KioskSigner, path: &str) -> Reply {
        self.signed_by(k, &mut self.conn(), "GET", path, b"", &[])
            .await
    }

    /// `SELECT count(*) FROM table`.
    pub fn count(&self, table: &str) -> i64 {
        self.count_sql(&format!("SELECT count(*) FROM {table}"))
    }

    /// The one integer `sql` answers (NULL: 0).
    pub fn count_sql(&self, sql: &str) -> i64 {
        self.rows(sql)
            .first()
            .and_then(|r| r.first())
            .map_or(0, Cell::int)
    }

    /// Runs `f` on the store on a thread of its own: the synchronous PostgreSQL client cannot
    /// block inside the test's async runtime (central itself calls the store from
    /// `spawn_blocking`).
    pub fn db<R: Send>(&self, f: impl FnOnce(&dyn Store) -> R + Send) -> R {
        let store = self.store.as_ref();
        std::thread::scope(|s| s.spawn(|| f(store)).join().unwrap())
    }

    /// One round of the deadline scanner (on a thread of its own, as [`Central::db`]).
    pub fn scan_deadlines(&self) -> Result<usize, jiuzhu_central::StoreError> {
        let state = &self.state;
        std::thread::scope(|s| s.spawn(|| state.scan_deadlines()).join().unwrap())
    }

    /// Every row `sql` answers, on either backend (SQL both dialects read alike).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        std::thread::scope(|s| {
            s.spawn(|| match &self.backend {
                Backend::Sqlite(store) => store
                    .with_conn(|c| {
                        let mut st = c.prepare(sql)?;
                        let n = st.column_count();
                        st.query_map([], |r| {
                            (0..n)
                                .map(|i| {
                                    use rusqlite::types::ValueRef;
                                    Ok(match r.get_ref(i)? {
                                        ValueRef::Null => Cell::Null,
                                        ValueRef::Integer(i) => Cell::Int(i),
                                        ValueRef::Real(f) => Cell::Text(f.to_string()),
                                        ValueRef::Text(t) => {
                                            Cell::Text(String::from_utf8_lossy(t).into_owned())
                                        }
                                        ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                                    })
                                })
                                .collect()
                        })?
                        .collect::<Result<Vec<_>, _>>()
                    })
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
                Backend::Postgres { url, .. } => {
                    use postgres::types::Type;
                    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
                    c.query(sql, &[])
                        .unwrap_or_else(|e| panic!("{sql}: {e}"))
                        .iter()
                        .map(|r| {
                            (0..r.len())
                                .map(|i| {
                                    let t = r.columns()[i].type_().clone();
                                    if t == Type::INT8 {
                                        r.get::<_, Option<i64>>(i).map_or(Cell::Null, Cell::Int)
                                    } else if t == Type::INT4 {
                                        r.get::<_, Option<i32>>(i)
                                            .map_or(Cell::Null, |v| Cell::Int(v.into()))
                                    } else if t == Type::BYTEA {
                                        r.get::<_, Option<Vec<u8>>>(i)
                                            .map_or(Cell::Null, Cell::Bytes)
                                    } else if t == Type::BOOL {
                                        r.get::<_, Option<bool>>(i)
                                            .map_or(Cell::Null, |b| Cell::Int(b.into()))
                                    } else {
                                        r.get::<_, Option<String>>(i).map_or(Cell::Null, Cell::Text)
                                    }
                                })
                                .collect()
                        })
                        .collect()
                }
            })
            .join()
            .unwrap()
        })
    }

    /// Runs a statement (a test's tampering), on either backend; the rows it changed.
    pub fn exec(&self, sql: &str) -> u64 {
        std::thread::scope(|s| {
            s.spawn(|| match &self.backend {
                Backend::Sqlite(store) => store
                    .with_conn(|c| c.execute(sql, []))
                    .map(|n| n as u64)
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
                Backend::Postgres { url, .. } => postgres::Client::connect(url, postgres::NoTls)
                    .unwrap()
                    .execute(sql, &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}")),
            })
            .join()
            .unwrap()
        })
    }

    /// The workflow clock's day in China.
    pub fn today(&self) -> NaiveDate {
        jiuzhu_core::workflow::china_date(*self.clock.lock().unwrap())
    }

    /// Moves the workflow clock forward by `days` calendar days.
    pub fn advance(&self, days: u64) {
        let mut t = self.clock.lock().unwrap();
        *t = *t + Days::new(days);
    }

    /// Moves the workflow clock to `day` (same time of day).
    pub fn advance_to(&self, day: NaiveDate) {
        let today = self.today();
        assert!(day >= today);
        self.advance((day - today).num_days() as u64);
    }

    /// A seeded staff account's bearer token, on a fresh connection.
    pub async fn login(&self, user: &str) -> String {
        login(&mut self.conn(), user).await
    }

    /// A staff request on a fresh connection.
    pub async fn staff(
        &self,
        method: &str,
        token: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Reply {
        staff_send(&mut self.conn(), method, token, path, body).await
    }

    /// `GET /v1/health`'s status, 0 when no answer came.
    pub async fn health(&self) -> u16 {
        self.conn()
            .send("GET", "/v1/health", &[], b"")
            .await
            .map(|r| r.status)
            .unwrap_or(0)
    }
}

/// The demo password of a seeded staff account.
pub fn demo_password(user: &str) -> &'static str {
    seed::DEMO_STAFF.iter().find(|s| s.0 == user).unwrap().1
}

pub async fn try_login(c: &mut Conn, user: &str, pw: &str) -> Reply {
    c.send(
        "POST",
        "/v1/staff/login",
        &[("content-type", "application/json".into())],
        json!({"username": user, "password": pw})
            .to_string()
            .as_bytes(),
    )
    .await
    .unwrap()
}

/// A seeded staff account's bearer token.
pub async fn login(c: &mut Conn, user: &str) -> String {
    let r = try_login(c, user, demo_password(user)).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["token"].as_str().unwrap().to_string()
}

/// A staff request with an optional JSON body.
pub async fn staff_send(
    c: &mut Conn,
    method: &str,
    token: &str,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let mut h = vec![("authorization", format!("Bearer {token}"))];
    if body.is_some() {
        h.push(("content-type", "application/json".into()));
    }
    let b = body.map(|b| b.to_string()).unwrap_or_default();
    c.send(method, path, &h, b.as_bytes()).await.unwrap()
}

pub async fn staff_get(c: &mut Conn, token: &str, path: &str) -> Reply {
    staff_send(c, "GET", token, path, None).await
}

pub async fn staff_post(c: &mut Conn, token: &str, path: &str, body: &Value) -> Reply {
    staff_send(c, "POST", token, path, Some(body)).await
}

/// A staff POST of a raw (possibly malformed) JSON body.
pub async fn staff_post_raw(c: &mut Conn, token: &str, path: &str, body: &str) -> Reply {
    c.send(
        "POST",
        path,
        &[
            ("authorization", format!("Bearer {token}")),
            ("content-type", "application/json".into()),
        ],
        body.as_bytes(),
    )
    .await
    .unwrap()
}

/// A staff member takes one workflow step on a case.
pub async fn step(c: &mut Conn, token: &str, case: &str, action: Value) -> Reply {
    staff_post(
        c,
        token,
        &format!("/v1/staff/cases/{case}/events"),
        &json!({ "action": action }),
    )
    .await
}

/// A step that must succeed; returns the new state.
pub async fn step_ok(c: &mut Conn, token: &str, case: &str, action: Value) -> String {
    let r = step(c, token, case, action.clone()).await;
    assert_eq!(r.status, 200, "{action}: {:?}", r.json());
    r.json()["summary"]["state"].as_str().unwrap().to_string()
}

/// The day `n` working days after `from` on core's built-in calendar.
pub fn working_days(from: NaiveDate, n: u32) -> NaiveDate {
    Calendar::builtin().add_working_days(from, n).value
}

/// A PNG-looking upload whose bytes differ per `tag` (materials are content-addressed).
pub fn png(tag: &str) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend_from_slice(tag.as_bytes());
    v
}

/// The header `name` of a reply.
pub fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
pub mod pg;
pub mod procedure;
