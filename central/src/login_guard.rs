//! Staff login throttling: per-account and per-address back-off, a bound on concurrent password
//! hashing, and the same argon2 work for unknown accounts as for known ones.
//!
//! - After [`LoginPolicy::account_free`] failed logins of one account name (known or not, so the
//!   answer never tells which names exist), each further failure blocks that name for
//!   `base · 2^(n − free)`, at most [`LoginPolicy::max_block`]; during a block every login of
//!   that name is answered 429 with `Retry-After`, without looking at the password. The same
//!   holds per client address with [`LoginPolicy::address_free`]. Failures are forgotten
//!   [`LoginPolicy::forget_after`] after the last one; a successful login clears its account.
//! - At most [`LoginPolicy::concurrent_hashes`] argon2 verifications run at once (each takes
//!   19 MiB); at most [`LoginPolicy::max_waiting`] logins wait for one, for at most
//!   [`LoginPolicy::max_wait`]; more are answered 503 `login_busy` with `Retry-After`. The
//!   verifications reuse a pool of that many argon2 memory buffers, so the memory they hold stays
//!   `concurrent_hashes × 19 MiB` whichever worker threads run them (a fresh 19 MiB allocation on
//!   each of many threads is kept by the allocator's per-thread arenas).
//! - An unknown, disabled or removed account is verified against a dummy hash made with the same
//!   parameters, so its answer takes as long as a wrong password of a real account.
//!
//! The failures are kept in the database ([`crate::store::LoginThrottleStore`]), so the back-off
//! holds across every central instance on one database and across restarts; the table is
//! bounded ([`LoginPolicy::max_tracked`] rows; names are kept as SHA-256 digests), so a flood of
//! made-up names cannot grow it. The verification slots and buffers are this process's own.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;
use crate::store::{Forget, LoginFailures, LoginThrottleStore, StoreError};

/// The numbers of the login throttle.
#[derive(Debug, Clone)]
pub struct LoginPolicy {
    /// Failures of one account name before back-off starts.
    pub account_free: u32,
    /// Failures from one address before back-off starts.
    pub address_free: u32,
    /// The first block.
    pub base_block: Duration,
    /// The longest block.
    pub max_block: Duration,
    /// Failures are forgotten this long after the last one.
    pub forget_after: Duration,
    /// Names (and addresses) tracked at most.
    pub max_tracked: usize,
    /// Password verifications at once.
    pub concurrent_hashes: usize,
    /// Logins waiting for a verification slot at most.
    pub max_waiting: usize,
    /// The longest wait for a verification slot.
    pub max_wait: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            account_free: 5,
            address_free: 20,
            base_block: Duration::from_secs(2),
            max_block: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
            max_tracked: 10_000,
            concurrent_hashes: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
                .clamp(1, 4),
            max_waiting: 64,
            max_wait: Duration::from_secs(10),
        }
    }
}

/// The clock of the throttle, Unix milliseconds (tests move it).
pub type Now = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What one more failure of a key makes of its kept failures: forgotten after
/// [`LoginPolicy::forget_after`], counted, and beyond `free` failures blocked for
/// `base · 2^(n − free − 1)`, at most [`LoginPolicy::max_block`].
pub fn next_failures(
    kept: Option<LoginFailures>,
    now_ms: i64,
    free: u32,
    p: &LoginPolicy,
) -> LoginFailures {
    let forget = i64::try_from(p.forget_after.as_millis()).unwrap_or(i64::MAX);
    let count = match kept {
        Some(k) if now_ms.saturating_sub(k.last_ms) < forget => k.count,
        _ => 0,
    }
    .saturating_add(1);
    let blocked_until_ms = if count > free {
        let exp = (count - free - 1).min(20);
        let block = p
            .base_block
            .checked_mul(1u32 << exp)
            .unwrap_or(p.max_block)
            .min(p.max_block);
        now_ms.saturating_add(i64::try_from(block.as_millis()).unwrap_or(i64::MAX))
    } else {
        0
    };
    LoginFailures {
        count,
        last_ms: now_ms,
        blocked_until_ms,
    }
}

/// Why a login was not even tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: 429 with `Retry-After`.
    Throttled {
        /// Seconds until the block ends.
        retry_after: u64,
        /// Whether the account name (rather than the address) is blocked.
        account: bool,
    },
    /// Too many logins wait for a verification slot: 503 with `Retry-After`.
    Busy,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (err, secs) = match self {
            Refusal::Throttled {
                retry_after,
                account,
            } => (
                ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_logins",
                    format!(
                        "too many failed logins {}; wait {retry_after} s, or ask the district bureau to check the account",
                        if account {
                            "for this account"
                        } else {
                            "from this address"
                        }
                    ),
                ),
                retry_after,
            ),
            Refusal::Busy => (
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "login_busy",
                    "too many logins at once; try again in a moment",
                ),
                1,
            ),
        };
        let mut r = err.into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        r
    }
}

/// The throttle shared by every login.
pub struct LoginGuard {
    policy: LoginPolicy,
    now: Now,
    hashing: Arc<Semaphore>,
    waiting: AtomicUsize,
    dummy_hash: String,
    verifications: AtomicUsize,
    in_flight: AtomicUsize,
    peak_in_flight: AtomicUsize,
    buffers: Mutex<Vec<Vec<argon2::Block>>>,
}

/// The largest argon2 memory a stored hash may ask for (64 MiB); a larger one is not verified.
const MAX_ARGON2_BLOCKS: usize = 64 * 1024;

impl std::fmt::Debug for LoginGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginGuard")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn account_key(username: &str) -> String {
    format!(
        "account:{}",
        hex::encode(Sha256::digest(username.as_bytes()))
    )
}

fn address_key(addr: IpAddr) -> String {
    format!("address:{addr}")
}

fn secs_up(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

impl LoginGuard {
    /// A throttle with `policy` on the system clock. Makes the dummy hash (one argon2 run).
    pub fn new(policy: LoginPolicy) -> Self {
        Self::with_clock(policy, Arc::new(|| chrono::Utc::now().timestamp_millis()))
    }

    /// A throttle with `policy` on the clock `now`.
    pub fn with_clock(policy: LoginPolicy, now: Now) -> Self {
        let mut seed = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let dummy_hash = crate::http::hash_password(&hex::encode(seed)).unwrap_or_default();
        LoginGuard {
            hashing: Arc::new(Semaphore::new(policy.concurrent_hashes.max(1))),
            policy,
            now,
            waiting: AtomicUsize::new(0),
            dummy_hash,
            verifications: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            peak_in_flight: AtomicUsize::new(0),
            buffers: Mutex::default(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &LoginPolicy {
        &self.policy
    }

    /// Verifies `password` against the account's stored PHC hash, or against the dummy hash
    /// when there is no account (or its hash is unusable), so both cost one argon2 run. Call it
    /// while holding a [`LoginGuard::permit`]. True only for a real hash that matches.
    pub fn verify(&self, stored: Option<&str>, password: &str) -> bool {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight.fetch_max(now, Ordering::SeqCst);
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let ok = match stored.and_then(|h| self.verify_phc(h, password.as_bytes())) {
            Some(ok) => ok,
            None => {
                let _ = self.verify_phc(&self.dummy_hash, password.as_bytes());
                false
            }
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        ok
    }

    /// Verifies against a PHC string in a pooled buffer; `None` when the string is unusable.
    fn verify_phc(&self, phc: &str, password: &[u8]) -> Option<bool> {
        use argon2::password_hash::{Output, PasswordHash};
        let parsed = PasswordHash::new(phc).ok()?;
        let alg = argon2::Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => argon2::Version::try_from(v).ok()?,
            None => argon2::Version::default(),
        };
        let params = argon2::Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt_buf = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
        let blocks = params.block_count();
        if blocks > MAX_ARGON2_BLOCKS {
            tracing::warn!(blocks, "a stored password hash asks for too much memory");
            return None;
        }
        let mut buf = self
            .buffers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        if buf.len() < blocks {
            buf.resize(blocks, argon2::Block::default());
        }
        let mut out = vec![0u8; expected.len()];
        let r = argon2::Argon2::new(alg, version, params).hash_password_into_with_memory(
            password,
            salt,
            &mut out,
            &mut buf[..],
        );
        {
            let mut pool = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < self.policy.concurrent_hashes.max(1) {
                pool.push(buf);
            }
        }
        r.ok()?;
        // Output's equality is constant-time
        Some(Output::new(&out).ok()? == expected)
    }

    /// Password verifications run so far, and the most that ran at once (tests of the bound).
    pub fn verification_counts(&self) -> (usize, usize) {
        (
            self.verifications.load(Ordering::SeqCst),
            self.peak_in_flight.load(Ordering::SeqCst),
        )
    }

    /// Whether a login of `username` from `addr` may be tried now (reads the shared table: call
    /// it off the async runtime). A table that cannot be read refuses as busy.
    pub fn admit(
        &self,
        store: &dyn LoginThrottleStore,
        username: &str,
        addr: Option<IpAddr>,
    ) -> Result<(), Refusal> {
        let now = (self.now)();
        let left = |key: String| -> Result<Option<i64>, Refusal> {
            match store.login_failures(&key) {
                Ok(f) => Ok(f
                    .map(|f| f.blocked_until_ms.saturating_sub(now))
                    .filter(|ms| *ms > 0)),
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the login throttle");
                    Err(Refusal::Busy)
                }
            }
        };
        let acct = left(account_key(username))?;
        let by_addr = match addr {
            Some(a) => left(address_key(a))?,
            None => None,
        };
        match (acct, by_addr) {
            (Some(a), b) => Err(Refusal::Throttled {
                retry_after: secs_up(b.map_or(a, |b| a.max(b))),
                account: true,
            }),
            (None, Some(b)) => Err(Refusal::Throttled {
                retry_after: secs_up(b),
                account: false,
            }),
            (None, None) => Ok(()),
        }
    }

    /// Waits for a password-verification slot (bounded queue and wait).
    pub async fn permit(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        if let Ok(p) = self.hashing.clone().try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.policy.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let r =
            tokio::time::timeout(self.policy.max_wait, self.hashing.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match r {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Refusal::Busy),
        }
    }

    /// Records a failed login of `username` from `addr` in the shared table.
    pub fn failed(
        &self,
        store: &dyn LoginThrottleStore,
        username: &str,
        addr: Option<IpAddr>,
    ) -> Result<(), StoreError> {
        let now = (self.now)();
        let p = &self.policy;
        let forget = Forget {
            now_ms: now,
            before_ms: now
                .saturating_sub(i64::try_from(p.forget_after.as_millis()).unwrap_or(i64::MAX)),
            max_rows: p.max_tracked,
        };
        store.record_login_failure(&account_key(username), forget, &|k| {
            next_failures(k, now, p.account_free, p)
        })?;
        if let Some(a) = addr {
            store.record_login_failure(&address_key(a), forget, &|k| {
                next_failures(k, now, p.address_free, p)
            })?;
        }
        Ok(())
    }

    /// Records a successful login: the account's failures are cleared (the address's are not,
    /// so one's own account cannot be used to reset a guessing run).
    pub fn succeeded(
        &self,
        store: &dyn LoginThrottleStore,
        username: &str,
    ) -> Result<(), StoreError> {
        store.clear_login_failures(&account_key(username))
    }
}

/// The client's IP address when the server was started with connect info (always with
/// [`crate::serve_on`]); `None` for a router driven in-process.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    /// A guard on a test clock and a real (SQLite) store.
    fn guard(policy: LoginPolicy) -> (LoginGuard, Arc<Mutex<i64>>, tempfile::TempDir, SqliteStore) {
        let t = Arc::new(Mutex::new(1_800_000_000_000i64));
        let c = t.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        (
            LoginGuard::with_clock(policy, Arc::new(move || *c.lock().unwrap())),
            t,
            dir,
            store,
        )
    }

    #[test]
    fn back_off_grows_per_account_and_ends() {
        let (g, t, _d, s) = guard(LoginPolicy {
            account_free: 3,
            ..LoginPolicy::default()
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(g.admit(&s, "clerk", Some(ip)), Ok(()));
            g.failed(&s, "clerk", Some(ip)).unwrap();
        }
        assert_eq!(g.admit(&s, "clerk", Some(ip)), Ok(()));
        g.failed(&s, "clerk", Some(ip)).unwrap();
        assert_eq!(
            g.admit(&s, "clerk", Some(ip)),
            Err(Refusal::Throttled {
                retry_after: 2,
                account: true
            })
        );
        // another name from the same address is not blocked yet (address limit is 20)
        assert_eq!(g.admit(&s, "leader", Some(ip)), Ok(()));
        *t.lock().unwrap() += 3_000;
        assert_eq!(g.admit(&s, "clerk", Some(ip)), Ok(()));
        g.failed(&s, "clerk", Some(ip)).unwrap();
        assert_eq!(
            g.admit(&s, "clerk", None),
            Err(Refusal::Throttled {
                retry_after: 4,
                account: true
            })
        );
        g.succeeded(&s, "clerk").unwrap();
        assert_eq!(g.admit(&s, "clerk", None), Ok(()));
    }

    #[test]
    fn the_back_off_is_the_stores_so_another_instance_and_a_restart_keep_it() {
        let (g, _t, dir, s) = guard(LoginPolicy {
            account_free: 0,
            ..LoginPolicy::default()
        });
        g.failed(&s, "clerk", None).unwrap();
        drop(s);
        // a second guard (another instance, or this one restarted) on the same database
        let s = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        let t = 1_800_000_000_500i64;
        let other = LoginGuard::with_clock(LoginPolicy::default(), Arc::new(move || t));
        assert_eq!(
            other.admit(&s, "clerk", None),
            Err(Refusal::Throttled {
                retry_after: 2,
                account: true
            })
        );
        // the name is kept as a digest, not in clear
        let keys: Vec<String> = s.with_conn(|c| {
            c.prepare("SELECT key FROM login_failures")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        });
        assert_eq!(keys.len(), 1);
        assert!(!keys[0].contains("clerk") && keys[0].starts_with("account:"));
    }

    #[test]
    fn an_address_guessing_many_names_is_blocked() {
        let (g, _t, _d, s) = guard(LoginPolicy {
            address_free: 4,
            ..LoginPolicy::default()
        });
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            g.failed(&s, &format!("user{i}"), Some(ip)).unwrap();
        }
        assert!(matches!(
            g.admit(&s, "someone-else", Some(ip)),
            Err(Refusal::Throttled { account: false, .. })
        ));
        assert_eq!(
            g.admit(&s, "someone-else", Some("10.0.0.3".parse().unwrap())),
            Ok(())
        );
    }

    #[test]
    fn the_table_stays_bounded_and_forgets() {
        let (g, t, _d, s) = guard(LoginPolicy {
            max_tracked: 100,
            ..LoginPolicy::default()
        });
        for i in 0..400u32 {
            g.failed(&s, &format!("name{i}"), Some(IpAddr::from(i.to_be_bytes())))
                .unwrap();
        }
        let rows = || -> i64 {
            s.with_conn(|c| c.query_row("SELECT count(*) FROM login_failures", [], |r| r.get(0)))
                .unwrap()
        };
        assert!(rows() <= 100, "{}", rows());
        // an hour and more later, one more failure clears what was forgotten
        *t.lock().unwrap() += 61 * 60 * 1000;
        g.failed(&s, "late", None).unwrap();
        assert_eq!(rows(), 1);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_hour() {
        let p = LoginPolicy {
            account_free: 1,
            ..LoginPolicy::default()
        };
        let f = next_failures(None, 0, 1, &p);
        assert_eq!((f.count, f.blocked_until_ms), (1, 0));
        let f = next_failures(Some(f), 1_000, 1, &p);
        assert_eq!((f.count, f.blocked_until_ms), (2, 3_000));
        let f = next_failures(Some(f), 1_000 + 60 * 60 * 1000, 1, &p);
        assert_eq!((f.count, f.blocked_until_ms), (1, 0), "forgotten");
    }

    #[test]
    fn verification_matches_argon2_and_reuses_its_buffers() {
        let (g, _t, _d, _s) = guard(LoginPolicy {
            concurrent_hashes: 2,
            ..LoginPolicy::default()
        });
        let h = crate::http::hash_password("correct horse 1").unwrap();
        assert!(g.verify(Some(&h), "correct horse 1"));
        assert!(!g.verify(Some(&h), "correct horse 2"));
        assert!(!g.verify(None, "correct horse 1"));
        assert!(!g.verify(Some("not a phc string"), "x"));
        assert!(
            !g.verify(Some(&g.dummy_hash.clone()), "anything"),
            "the dummy never matches a login"
        );
        assert_eq!(g.verification_counts(), (5, 1));
        assert_eq!(g.buffers.lock().unwrap().len(), 1, "one buffer, reused");
    }

    #[test]
    fn the_block_is_capped() {
        let (g, _t, _d, s) = guard(LoginPolicy {
            account_free: 0,
            ..LoginPolicy::default()
        });
        for _ in 0..100 {
            g.failed(&s, "x", None).unwrap();
        }
        match g.admit(&s, "x", None) {
            Err(Refusal::Throttled { retry_after, .. }) => assert_eq!(retry_after, 15 * 60),
            other => panic!("{other:?}"),
        }
    }
}
