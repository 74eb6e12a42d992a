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
//! The tables are bounded ([`LoginPolicy::max_tracked`] names and addresses each; names are kept
//! as SHA-256 digests), so a flood of made-up names cannot grow memory.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

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

/// The clock of the throttle (tests move it).
pub type Now = Arc<dyn Fn() -> Instant + Send + Sync>;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

struct Table<K> {
    entries: HashMap<K, Failures>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            entries: HashMap::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    fn blocked(&self, k: &K, now: Instant) -> Option<Duration> {
        self.entries
            .get(k)
            .and_then(|f| f.blocked_until)
            .and_then(|u| u.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    fn fail(&mut self, k: K, now: Instant, free: u32, p: &LoginPolicy) {
        if self.entries.len() >= p.max_tracked && !self.entries.contains_key(&k) {
            self.entries.retain(|_, f| {
                now.saturating_duration_since(f.last) < p.forget_after
                    || f.blocked_until.is_some_and(|u| u > now)
            });
            if self.entries.len() >= p.max_tracked
                && let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        let f = self.entries.entry(k).or_insert(Failures {
            count: 0,
            last: now,
            blocked_until: None,
        });
        if now.saturating_duration_since(f.last) >= p.forget_after {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count > free {
            let exp = (f.count - free - 1).min(20);
            let block = p
                .base_block
                .checked_mul(1u32 << exp)
                .unwrap_or(p.max_block)
                .min(p.max_block);
            f.blocked_until = Some(now + block);
        }
    }

    fn clear(&mut self, k: &K) {
        self.entries.remove(k);
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
    accounts: Mutex<Table<[u8; 32]>>,
    addresses: Mutex<Table<IpAddr>>,
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

fn name_key(username: &str) -> [u8; 32] {
    Sha256::digest(username.as_bytes()).into()
}

fn secs_up(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl LoginGuard {
    /// A throttle with `policy` on the system clock. Makes the dummy hash (one argon2 run).
    pub fn new(policy: LoginPolicy) -> Self {
        Self::with_clock(policy, Arc::new(Instant::now))
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
            accounts: Mutex::default(),
            addresses: Mutex::default(),
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

    /// Whether a login of `username` from `addr` may be tried now.
    pub fn admit(&self, username: &str, addr: Option<IpAddr>) -> Result<(), Refusal> {
        let now = (self.now)();
        let acct = self
            .accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .blocked(&name_key(username), now);
        let by_addr = addr.and_then(|a| {
            self.addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .blocked(&a, now)
        });
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

    /// Records a failed login.
    pub fn failed(&self, username: &str, addr: Option<IpAddr>) {
        let now = (self.now)();
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fail(
                name_key(username),
                now,
                self.policy.account_free,
                &self.policy,
            );
        if let Some(a) = addr {
            self.addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .fail(a, now, self.policy.address_free, &self.policy);
        }
    }

    /// Records a successful login: the account's failures are cleared (the address's are not,
    /// so one's own account cannot be used to reset a guessing run).
    pub fn succeeded(&self, username: &str) {
        self.accounts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear(&name_key(username));
    }

    /// Names and addresses tracked now (for tests of the bound).
    pub fn tracked(&self) -> (usize, usize) {
        (
            self.accounts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entries
                .len(),
            self.addresses
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entries
                .len(),
        )
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

    fn guard(policy: LoginPolicy) -> (LoginGuard, Arc<Mutex<Instant>>) {
        let t = Arc::new(Mutex::new(Instant::now()));
        let c = t.clone();
        (
            LoginGuard::with_clock(policy, Arc::new(move || *c.lock().unwrap())),
            t,
        )
    }

    #[test]
    fn back_off_grows_per_account_and_ends() {
        let (g, t) = guard(LoginPolicy {
            account_free: 3,
            ..LoginPolicy::default()
        });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(g.admit("clerk", Some(ip)), Ok(()));
            g.failed("clerk", Some(ip));
        }
        assert_eq!(g.admit("clerk", Some(ip)), Ok(()));
        g.failed("clerk", Some(ip));
        assert_eq!(
            g.admit("clerk", Some(ip)),
            Err(Refusal::Throttled {
                retry_after: 2,
                account: true
            })
        );
        // another name from the same address is not blocked yet (address limit is 20)
        assert_eq!(g.admit("leader", Some(ip)), Ok(()));
        *t.lock().unwrap() += Duration::from_secs(3);
        assert_eq!(g.admit("clerk", Some(ip)), Ok(()));
        g.failed("clerk", Some(ip));
        assert_eq!(
            g.admit("clerk", None),
            Err(Refusal::Throttled {
                retry_after: 4,
                account: true
            })
        );
        g.succeeded("clerk");
        assert_eq!(g.admit("clerk", None), Ok(()));
    }

    #[test]
    fn an_address_guessing_many_names_is_blocked() {
        let (g, _t) = guard(LoginPolicy {
            address_free: 4,
            ..LoginPolicy::default()
        });
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            g.failed(&format!("user{i}"), Some(ip));
        }
        assert!(matches!(
            g.admit("someone-else", Some(ip)),
            Err(Refusal::Throttled { account: false, .. })
        ));
        assert_eq!(
            g.admit("someone-else", Some("10.0.0.3".parse().unwrap())),
            Ok(())
        );
    }

    #[test]
    fn the_tables_stay_bounded() {
        let (g, _t) = guard(LoginPolicy {
            max_tracked: 100,
            ..LoginPolicy::default()
        });
        for i in 0..1000u32 {
            g.failed(&format!("name{i}"), Some(IpAddr::from(i.to_be_bytes())));
        }
        let (a, b) = g.tracked();
        assert!(a <= 100 && b <= 100, "{a} {b}");
    }

    #[test]
    fn verification_matches_argon2_and_reuses_its_buffers() {
        let (g, _t) = guard(LoginPolicy {
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
        let (g, _t) = guard(LoginPolicy {
            account_free: 0,
            ..LoginPolicy::default()
        });
        for _ in 0..100 {
            g.failed("x", None);
        }
        match g.admit("x", None) {
            Err(Refusal::Throttled { retry_after, .. }) => assert_eq!(retry_after, 15 * 60),
            other => panic!("{other:?}"),
        }
    }
}
