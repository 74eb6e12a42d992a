//! Pure sync planning: which outbox records to send now, how long to wait after a failure, and
//! which HTTP request a record becomes. No clock, no randomness, no I/O: the caller passes `now`
//! and the jitter draw, so every decision is reproducible in tests.

use std::collections::HashSet;
use std::time::Duration;

use uuid::Uuid;

use crate::store::UnixMillis;
use crate::store::outbox::{Dependency, OutboxEntry, OutboxKind, PendingEntry};

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure (before jitter).
    pub base: Duration,
    /// Largest delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(2),
            max: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// Delay before the next try after `attempts` failures (1 = first failure). `jitter` in
    /// `[0, 1)` spreads the delay over its upper half (`d/2 + jitter·d/2`), so kiosks that lost the
    /// network together do not come back in lockstep and no delay collapses to zero.
    pub fn delay(&self, attempts: u32, jitter: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(30);
        let d = self.base.saturating_mul(1u32 << exp.min(31)).min(self.max);
        let j = jitter.clamp(0.0, 1.0);
        d / 2 + d.mul_f64(j / 2.0)
    }
}

/// Why a pending record is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// Its application is not acknowledged yet.
    WaitingForApplication,
    /// Its application failed permanently; it cannot go either.
    ApplicationFailed,
}

/// What to do now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Records to start sending now, in enqueue order.
    pub send: Vec<Uuid>,
    /// Records that can never go because what they depend on failed.
    pub blocked: Vec<Uuid>,
    /// Earliest time a record that is not due yet becomes due.
    pub next_due: Option<UnixMillis>,
}

/// Chooses up to `max_in_flight - in_flight.len()` due records in enqueue order.
pub fn plan(
    pending: &[PendingEntry],
    in_flight: &HashSet<Uuid>,
    now: UnixMillis,
    max_in_flight: usize,
) -> Plan {
    let mut p = Plan::default();
    let mut room = max_in_flight.saturating_sub(in_flight.len());
    for e in pending {
        if in_flight.contains(&e.id) {
            continue;
        }
        match e.dependency {
            Dependency::Failed => {
                p.blocked.push(e.id);
                continue;
            }
            Dependency::Waiting => continue,
            Dependency::None | Dependency::Acknowledged => {}
        }
        if e.next_attempt_at > now {
            p.next_due = Some(
                p.next_due
                    .map_or(e.next_attempt_at, |t| t.min(e.next_attempt_at)),
            );
            continue;
        }
        if room > 0 {
            p.send.push(e.id);
            room -= 1;
        }
    }
    p
}

/// One upload as HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Path under the central base URL.
    pub path: String,
    /// `Content-Type`.
    pub content_type: String,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// Why a record cannot become a request (a permanent failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The application's acknowledgement carries no case id.
    #[error(
        "the central service's answer to the application has no case_id; this record cannot be routed"
    )]
    NoCaseId,
    /// The application is not acknowledged yet.
    #[error("the application of this record is not acknowledged yet")]
    ApplicationPending,
    /// A material has no bytes.
    #[error("the material's bytes are missing")]
    NoMaterial,
}

fn case_id(entry: &OutboxEntry) -> Result<String, BuildError> {
    if let Some(id) = &entry.case_id {
        return if crate::store::outbox::valid_case_id(id) {
            Ok(id.clone())
        } else {
            Err(BuildError::NoCaseId)
        };
    }
    let ack = entry
        .dependency_ack
        .as_ref()
        .ok_or(BuildError::ApplicationPending)?;
    let v: serde_json::Value = serde_json::from_slice(ack).map_err(|_| BuildError::NoCaseId)?;
    let id = v
        .get("case_id")
        .and_then(|c| c.as_str())
        .ok_or(BuildError::NoCaseId)?;
    if !crate::store::outbox::valid_case_id(id) {
        return Err(BuildError::NoCaseId);
    }
    Ok(id.to_string())
}

/// The request a record becomes (the endpoints of `jiuzhu_core::api`).
pub fn request_for(entry: &OutboxEntry) -> Result<UploadRequest, BuildError> {
    let json = |path: String| UploadRequest {
        path,
        content_type: "application/json".into(),
        body: entry.payload.clone(),
    };
    Ok(match entry.kind {
        OutboxKind::Application => json("/v1/kiosk/applications".into()),
        OutboxKind::Certification => json("/v1/kiosk/certification/results".into()),
        OutboxKind::Signature => json(format!(
            "/v1/kiosk/applications/{}/signatures",
            case_id(entry)?
        )),
        OutboxKind::Material => {
            let (ct, bytes) = entry.material.as_ref().ok_or(BuildError::NoMaterial)?;
            // The checklist item, when the record names one (kinds are snake_case words).
            let kind = crate::store::outbox::material_kind(entry.version, &entry.payload)
                .filter(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .map(|k| format!("?kind={k}"))
                .unwrap_or_default();
            UploadRequest {
                path: format!("/v1/kiosk/applications/{}/materials{kind}", case_id(entry)?),
                content_type: ct.clone(),
                body: bytes.clone(),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn entry(seq: i64, due: i64, dep: Dependency) -> PendingEntry {
        PendingEntry {
            seq,
            id: Uuid::from_u128(seq as u128),
            kind: OutboxKind::Application,
            attempts: 0,
            next_attempt_at: due,
            dependency: dep,
        }
    }

    #[rstest]
    #[case(1, 0.0, 1_000)]
    #[case(1, 0.999_999, 2_000)]
    #[case(2, 0.0, 2_000)]
    #[case(3, 0.5, 6_000)]
    #[case(20, 0.0, 450_000)]
    #[case(u32::MAX, 1.0, 900_000)]
    fn backoff_grows_and_caps(#[case] attempts: u32, #[case] jitter: f64, #[case] ms: u128) {
        let d = RetryPolicy::default().delay(attempts, jitter).as_millis();
        assert!(
            d.abs_diff(ms) <= 1,
            "attempts {attempts} jitter {jitter}: {d} ms, expected {ms}"
        );
    }

    #[test]
    fn plan_respects_order_due_time_dependencies_and_room() {
        let pending = vec![
            entry(1, 0, Dependency::None),
            entry(2, 500, Dependency::None),
            entry(3, 0, Dependency::Waiting),
            entry(4, 0, Dependency::Failed),
            entry(5, 0, Dependency::Acknowledged),
            entry(6, 0, Dependency::None),
            entry(7, 300, Dependency::None),
        ];
        let p = plan(&pending, &HashSet::new(), 100, 2);
        assert_eq!(p.send, vec![Uuid::from_u128(1), Uuid::from_u128(5)]);
        assert_eq!(p.blocked, vec![Uuid::from_u128(4)]);
        assert_eq!(p.next_due, Some(300));
        let busy: HashSet<Uuid> = [Uuid::from_u128(1)].into();
        let p = plan(&pending, &busy, 100, 2);
        assert_eq!(p.send, vec![Uuid::from_u128(5)]);
        let p = plan(&pending, &busy, 1_000, 1);
        assert!(p.send.is_empty());
        let p = plan(&pending, &HashSet::new(), 1_000, 10);
        assert_eq!(p.send.len(), 5);
        assert_eq!(p.next_due, None);
    }

    fn full(kind: OutboxKind, ack: Option<&str>) -> OutboxEntry {
        OutboxEntry {
            seq: 1,
            id: Uuid::from_u128(9),
            kind,
            version: 1,
            attempts: 0,
            payload: b"{}".to_vec(),
            dependency_ack: ack.map(|a| a.as_bytes().to_vec()),
            case_id: None,
            material: (kind == OutboxKind::Material).then(|| ("image/png".to_string(), vec![1, 2])),
        }
    }

    #[test]
    fn requests_route_by_kind() {
        assert_eq!(
            request_for(&full(OutboxKind::Application, None))
                .unwrap()
                .path,
            "/v1/kiosk/applications"
        );
        assert_eq!(
            request_for(&full(OutboxKind::Certification, None))
                .unwrap()
                .path,
            "/v1/kiosk/certification/results"
        );
        let ack = r#"{"case_id":"0190f1c2-7d3a-7b6e-9c1d-0123456789ab"}"#;
        let s = request_for(&full(OutboxKind::Signature, Some(ack))).unwrap();
        assert_eq!(
            s.path,
            "/v1/kiosk/applications/0190f1c2-7d3a-7b6e-9c1d-0123456789ab/signatures"
        );
        let m = request_for(&full(OutboxKind::Material, Some(ack))).unwrap();
        assert_eq!(
            (m.content_type.as_str(), m.body.as_slice()),
            ("image/png", [1u8, 2].as_slice())
        );
        assert!(m.path.ends_with("/materials"), "{}", m.path);
        // Version 2 names the checklist item; a malformed kind is left off, never sent raw.
        let mut v2 = full(OutboxKind::Material, Some(ack));
        v2.version = 2;
        v2.payload =
            crate::store::outbox::material_payload("image/png", Some("household_register"));
        assert!(
            request_for(&v2)
                .unwrap()
                .path
                .ends_with("/materials?kind=household_register")
        );
        v2.payload = crate::store::outbox::material_payload("image/png", Some("x&y=1"));
        assert!(request_for(&v2).unwrap().path.ends_with("/materials"));
        v2.payload = crate::store::outbox::material_payload("image/png", None);
        assert!(request_for(&v2).unwrap().path.ends_with("/materials"));
        assert_eq!(
            request_for(&full(OutboxKind::Signature, None)),
            Err(BuildError::ApplicationPending)
        );
        assert_eq!(
            request_for(&full(OutboxKind::Signature, Some(r#"{"case_id":"../x"}"#))),
            Err(BuildError::NoCaseId)
        );
        // 签署授权: a record naming its case goes there without an application.
        let mut late = full(OutboxKind::Signature, None);
        late.case_id = Some("0190f1c2-7d3a-7b6e-9c1d-0123456789ab".into());
        assert_eq!(
            request_for(&late).unwrap().path,
            "/v1/kiosk/applications/0190f1c2-7d3a-7b6e-9c1d-0123456789ab/signatures"
        );
        late.case_id = Some("../staff".into());
        assert_eq!(request_for(&late), Err(BuildError::NoCaseId));
    }
}
