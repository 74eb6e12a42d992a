//! Sync with the central service: the pure planner ([`plan`]), the signed HTTP client
//! ([`client`]), the staleness policy ([`staleness`]) and the [`SyncEngine`] that drains the
//! outbox with bounded concurrency.
//!
//! Delivery is at-least-once from the kiosk and exactly-once at the central service: a record is
//! marked acknowledged only after a 2xx, and every retry (after a crash too) carries the same
//! `Idempotency-Key` (the record's UUIDv7), so the central service answers a repeat with its first
//! result instead of creating a second record.

pub mod client;
pub mod plan;
pub mod staleness;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use jiuzhu_core::api::{StatusAnswer, StatusQuery};
use jiuzhu_core::id::IdNumber;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::store::{Store, StoreError, UnixMillis};
use client::{CentralClient, SyncError};
use plan::{RetryPolicy, plan, request_for};

/// A clock in Unix milliseconds (injected so tests can move time).
pub type Clock = Arc<dyn Fn() -> UnixMillis + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| chrono::Utc::now().timestamp_millis())
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    /// Records acknowledged by the central service.
    pub acknowledged: u64,
    /// Transient failures scheduled for retry.
    pub retried: u64,
    /// Permanent failures (now shown to staff).
    pub failed: u64,
}

/// Drains the outbox to the central service.
pub struct SyncEngine {
    store: Arc<Mutex<Store>>,
    client: CentralClient,
    retry: RetryPolicy,
    max_in_flight: usize,
    clock: Clock,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SyncEngine({:?}, {} in flight max)",
            self.client, self.max_in_flight
        )
    }
}

/// A status answer with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusView {
    /// The cases.
    pub answer: StatusAnswer,
    /// When the central service gave this answer ("last updated").
    pub last_updated: UnixMillis,
    /// `true` when the central service could not be reached and this is the cached answer.
    pub from_cache: bool,
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while holding the lock cannot leave SQLite half-written (transactions roll back).
    store.lock().unwrap_or_else(|p| p.into_inner())
}

impl SyncEngine {
    /// An engine over `store` and `client`.
    pub fn new(store: Arc<Mutex<Store>>, client: CentralClient, clock: Clock) -> Self {
        SyncEngine {
            store,
            client,
            retry: RetryPolicy::default(),
            max_in_flight: 4,
            clock,
        }
    }

    /// Sets the backoff policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how many uploads may be in flight at once (at least 1).
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Sends every record that is due, until none is due or the central service is unreachable.
    pub async fn drain(&self) -> Result<DrainReport, StoreError> {
        let mut report = DrainReport::default();
        let mut in_flight: HashSet<Uuid> = HashSet::new();
        let mut tasks: JoinSet<(Uuid, u32, Result<Vec<u8>, SyncError>)> = JoinSet::new();
        let mut unreachable = false;
        loop {
            if !unreachable {
                let now = (self.clock)();
                let entries = {
                    let mut s = lock(&self.store);
                    let p = plan(&s.pending()?, &in_flight, now, self.max_in_flight);
                    for id in &p.blocked {
                        s.mark_permanent(*id, "the application this record belongs to failed permanently; resolve it first", now)?;
                        report.failed += 1;
                    }
                    let mut entries = Vec::new();
                    for id in &p.send {
                        entries.push(s.load(*id)?);
                    }
                    entries
                };
                for entry in entries {
                    let id = entry.id;
                    match request_for(&entry) {
                        Err(e) => {
                            lock(&self.store).mark_permanent(id, &e.to_string(), now)?;
                            report.failed += 1;
                        }
                        Ok(req) => {
                            in_flight.insert(id);
                            let client = self.client.clone();
                            let attempts = entry.attempts;
                            tasks.spawn(async move {
                                let key = id.to_string();
                                let r = client
                                    .post(&req.path, &req.content_type, req.body, Some(&key))
                                    .await;
                                (id, attempts, r)
                            });
                        }
                    }
                }
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (id, attempts, result) = match joined {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "upload task failed");
                    continue;
                }
            };
            in_flight.remove(&id);
            let now = (self.clock)();
            let mut s = lock(&self.store);
            match result {
                Ok(answer) => {
                    s.mark_acknowledged(id, &answer, now)?;
                    report.acknowledged += 1;
                }
                Err(e) if e.is_permanent() => {
                    tracing::warn!(%id, error = %e, "outbox record failed permanently");
                    s.mark_permanent(id, &e.to_string(), now)?;
                    report.failed += 1;
                }
                Err(e) => {
                    if e.is_unreachable() {
                        unreachable = true;
                    }
                    let delay = self.retry.delay(attempts + 1, rand::random::<f64>());
                    tracing::info!(%id, error = %e, retry_in_ms = delay.as_millis() as u64, "upload will be retried");
                    s.mark_retry(id, &e.to_string(), now + delay.as_millis() as i64)?;
                    report.retried += 1;
                }
            }
        }
        Ok(report)
    }

    /// When the next record becomes due (for the caller's sleep), if any is waiting.
    pub fn next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        let s = lock(&self.store);
        Ok(s.pending()?.iter().map(|e| e.next_attempt_at).min())
    }

    /// 进度查询: asks the central service, caches the answer; when it cannot be reached, answers
    /// from the cache with its "last updated" time. `Ok(None)`: offline and nothing cached.
    pub async fn query_status(
        &self,
        id_number: &IdNumber,
    ) -> Result<Option<StatusView>, StatusError> {
        self.query_status_as(id_number, None).await
    }

    /// [`query_status`](Self::query_status) asked by `agent` (委托代办) when given: central
    /// answers only the cases that agent filed, and the answer is cached apart from the
    /// person's own (an agent offline never sees more than central showed that agent).
    pub async fn query_status_as(
        &self,
        id_number: &IdNumber,
        agent: Option<&IdNumber>,
    ) -> Result<Option<StatusView>, StatusError> {
        let body = serde_json::to_vec(&StatusQuery {
            id_number: id_number.clone(),
            agent_id_number: agent.cloned(),
        })
        .map_err(|e| StatusError::Answer(e.to_string()))?;
        let key = match agent {
            None => id_number.as_unmasked_str().to_string(),
            Some(a) => format!(
                "{}|agent:{}",
                id_number.as_unmasked_str(),
                a.as_unmasked_str()
            ),
        };
        let key = key.as_str();
        match self
            .client
            .post("/v1/kiosk/status", "application/json", body, None)
            .await
        {
            Ok(bytes) => {
                let answer: StatusAnswer = serde_json::from_slice(&bytes)
                    .map_err(|e| StatusError::Answer(e.to_string()))?;
                let now = (self.clock)();
                let mut s = lock(&self.store);
                s.record_contact(now)?;
                s.cache_status(key, &bytes, now)?;
                Ok(Some(StatusView {
                    answer,
                    last_updated: now,
                    from_cache: false,
                }))
            }
            Err(e) if e.is_permanent() => Err(StatusError::Refused(e)),
            Err(e) => {
                tracing::info!(error = %e, "status from cache");
                let cached = lock(&self.store).cached_status(key)?;
                match cached {
                    None => Ok(None),
                    Some(c) => {
                        let answer: StatusAnswer = serde_json::from_slice(&c.body)
                            .map_err(|e| StatusError::Answer(e.to_string()))?;
                        Ok(Some(StatusView {
                            answer,
                            last_updated: c.fetched_at,
                            from_cache: true,
                        }))
                    }
                }
            }
        }
    }
}

/// The kiosk's freshness from the store's last contact with central.
pub fn freshness(
    store: &Store,
    policy: &staleness::StalenessPolicy,
    now: UnixMillis,
) -> Result<staleness::Freshness, StoreError> {
    Ok(staleness::assess(
        policy,
        store.last_contact()?,
        store.created_at()?,
        now,
    ))
}

/// Why a status query failed.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The central service refused the query.
    #[error(transparent)]
    Refused(SyncError),
    /// The answer was not a status answer.
    #[error("the central service's status answer is unreadable: {0}")]
    Answer(String),
}
