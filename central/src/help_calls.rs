//! Staff calls ("呼叫工作人员", issue #19): a kiosk raises a call (which kiosk, which screen, since
//! when; no personal data), staff of the kiosk's township list the open calls and acknowledge
//! one, the kiosk polls its call and tells the resident that someone is coming.
//!
//! Every kiosk is treated as possibly stolen: the township comes from the kiosk's registration,
//! never from the body; a kiosk has at most one open call (raising again answers that call) and
//! at most [`MAX_CALLS_PER_HOUR`] calls an hour; it sees only its own calls.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use jiuzhu_core::help_call::{HelpCall, RaiseHelpCall, valid_screen};
use rusqlite::{OptionalExtension, Row, params};

use crate::audit;
use crate::error::ApiError;
use crate::http::{ApiJson, AppState, Kiosk, StaffUser, blocking, check_scope};
use crate::store::{SqliteStore, StoreError, col, now_str, parse_time};

/// Calls one kiosk may raise in any hour; more answer 429 `too_many_help_calls`.
pub const MAX_CALLS_PER_HOUR: i64 = 12;
/// Open calls listed for a township at most (oldest first).
pub const MAX_LISTED: i64 = 100;

/// What raising a call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raised {
    /// The kiosk's open call.
    pub call: HelpCall,
    /// Whether this request created it (false: the kiosk's call was already open).
    pub created: bool,
}

/// Storage of staff calls.
pub trait HelpCallStore {
    /// Raises a call for `kiosk` in `township` on `screen` at `now`, unless the kiosk has an
    /// open call (then that one). Refused (`too_many_help_calls`) past [`MAX_CALLS_PER_HOUR`].
    fn raise_help_call(
        &self,
        kiosk: &str,
        township: &str,
        screen: &str,
        now: DateTime<Utc>,
    ) -> Result<Raised, StoreError>;
    /// A call by id.
    fn help_call(&self, id: &str) -> Result<Option<HelpCall>, StoreError>;
    /// The open calls of a township, oldest first, at most [`MAX_LISTED`].
    fn open_help_calls(&self, township: &str) -> Result<Vec<HelpCall>, StoreError>;
    /// Acknowledges an open call as `actor`. Refused (`already_acknowledged`) when acknowledged.
    fn acknowledge_help_call(
        &self,
        id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<HelpCall, StoreError>;
}

const COLUMNS: &str =
    "id, kiosk_id, township, screen, raised_at, acknowledged_at, acknowledged_by FROM help_calls";

fn call_row(r: &Row<'_>) -> rusqlite::Result<HelpCall> {
    Ok(HelpCall {
        call_id: r.get(0)?,
        kiosk_id: r.get(1)?,
        township: r.get(2)?,
        screen: r.get(3)?,
        raised_at: col(r, 4, parse_time)?,
        acknowledged_at: col(r, 5, |t: Option<String>| t.map(parse_time).transpose())?,
        acknowledged_by: r.get(6)?,
    })
}

impl HelpCallStore for SqliteStore {
    fn raise_help_call(
        &self,
        kiosk: &str,
        township: &str,
        screen: &str,
        now: DateTime<Utc>,
    ) -> Result<Raised, StoreError> {
        self.write(|tx| {
            let open = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} WHERE kiosk_id = ?1 AND acknowledged_at IS NULL"
                ))?
                .query_row([kiosk], call_row)
                .optional()?;
            if let Some(call) = open {
                return Ok(Raised {
                    call,
                    created: false,
                });
            }
            let since = now_str(now - Duration::hours(1));
            let recent: i64 = tx
                .prepare_cached(
                    "SELECT count(*) FROM help_calls WHERE kiosk_id = ?1 AND raised_at > ?2",
                )?
                .query_row(params![kiosk, since], |r| r.get(0))?;
            if recent >= MAX_CALLS_PER_HOUR {
                return Err(StoreError::Refused {
                    code: "too_many_help_calls",
                    reason: format!(
                        "this kiosk raised {recent} staff calls in the last hour (at most {MAX_CALLS_PER_HOUR}); staff were alerted by the earlier ones"
                    ),
                });
            }
            let id = uuid::Uuid::now_v7().to_string();
            let at = now_str(now);
            tx.prepare_cached(
                "INSERT INTO help_calls (id, kiosk_id, township, screen, raised_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, kiosk, township, screen, at])?;
            audit::append(
                tx,
                &at,
                &format!("kiosk:{kiosk}"),
                "help_call.raised",
                &format!("help_call:{id}"),
                &serde_json::json!({ "screen": screen }).to_string(),
            )?;
            Ok(Raised {
                call: HelpCall {
                    call_id: id,
                    kiosk_id: kiosk.into(),
                    township: township.into(),
                    screen: screen.into(),
                    raised_at: parse_time(at)?,
                    acknowledged_at: None,
                    acknowledged_by: None,
                },
                created: true,
            })
        })
    }

    fn help_call(&self, id: &str) -> Result<Option<HelpCall>, StoreError> {
        Ok(self
            .read()
            .prepare_cached(&format!("SELECT {COLUMNS} WHERE id = ?1"))?
            .query_row([id], call_row)
            .optional()?)
    }

    fn open_help_calls(&self, township: &str) -> Result<Vec<HelpCall>, StoreError> {
        let c = self.read();
        let mut st = c.prepare_cached(&format!(
            "SELECT {COLUMNS} WHERE township = ?1 AND acknowledged_at IS NULL
             ORDER BY raised_at, id LIMIT ?2"
        ))?;
        let rows = st.query_map(params![township, MAX_LISTED], call_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn acknowledge_help_call(
        &self,
        id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<HelpCall, StoreError> {
        self.write(|tx| {
            let mut call = tx
                .prepare_cached(&format!("SELECT {COLUMNS} WHERE id = ?1"))?
                .query_row([id], call_row)
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("no staff call '{id}'")))?;
            if let Some(by) = &call.acknowledged_by {
                return Err(StoreError::Refused {
                    code: "already_acknowledged",
                    reason: format!("{by} already acknowledged this call and is on the way"),
                });
            }
            let at = now_str(now);
            tx.prepare_cached(
                "UPDATE help_calls SET acknowledged_at = ?2, acknowledged_by = ?3 WHERE id = ?1",
            )?
            .execute(params![id, at, actor])?;
            audit::append(
                tx,
                &at,
                actor,
                "help_call.acknowledged",
                &format!("help_call:{id}"),
                "{}",
            )?;
            call.acknowledged_at = Some(parse_time(at)?);
            call.acknowledged_by = Some(actor.into());
            Ok(call)
        })
    }
}

/// The routes of this module, merged into [`crate::http::router`] (and listed in its `ROUTES`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/kiosk/help-calls", post(raise))
        .route("/v1/kiosk/help-calls/{call_id}", get(kiosk_call))
        .route("/v1/staff/townships/{code}/help-calls", get(open_calls))
        .route("/v1/staff/help-calls/{call_id}/ack", post(acknowledge))
}

/// A call id as the routes take it: a UUID (anything else cannot exist).
fn call_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::not_found("no such staff call: the id is not a call id"))
}

/// `POST /v1/kiosk/help-calls`: 201 with the new call, 200 with the kiosk's open call, 422 a bad
/// screen name, 429 past the hourly limit.
async fn raise(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    ApiJson(req): ApiJson<RaiseHelpCall>,
) -> Result<Response, ApiError> {
    if !valid_screen(&req.screen) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "screen: give the screen's name, 1–32 characters of a-z _ -, starting with a letter; no digits",
        ));
    }
    let s = st.store.clone();
    let raised = blocking(move || {
        let kiosk = s
            .kiosk(&k.id)?
            .ok_or_else(|| ApiError::not_found("this kiosk is not registered"))?;
        s.raise_help_call(&k.id, &kiosk.township, &req.screen, Utc::now())
            .map_err(|e| match e {
                StoreError::Refused {
                    code: code @ "too_many_help_calls",
                    reason,
                } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, reason),
                e => e.into(),
            })
    })
    .await?;
    let status = if raised.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(raised.call)).into_response())
}

/// `GET /v1/kiosk/help-calls/{call_id}`: the kiosk's own call; another kiosk's is 404.
async fn kiosk_call(
    State(st): State<AppState>,
    Kiosk(k): Kiosk,
    Path(id): Path<String>,
) -> Result<Json<HelpCall>, ApiError> {
    let id = call_id(&id)?;
    let s = st.store.clone();
    blocking(move || {
        s.help_call(&id)?
            .filter(|c| c.kiosk_id == k.id)
            .ok_or_else(|| ApiError::not_found("this kiosk raised no such staff call"))
    })
    .await
    .map(Json)
}

/// `GET /v1/staff/townships/{code}/help-calls`: the township's open calls, oldest first.
async fn open_calls(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<HelpCall>>, ApiError> {
    check_scope(&staff, &code)?;
    let s = st.store.clone();
    blocking(move || {
        s.township(&code)?
            .ok_or_else(|| ApiError::not_found(format!("no township '{code}'")))?;
        Ok(s.open_help_calls(&code)?)
    })
    .await
    .map(Json)
}

/// `POST /v1/staff/help-calls/{call_id}/ack`: a staff member of the call's township (any role:
/// a village helper can walk over too) says they are coming. 409 when already acknowledged.
async fn acknowledge(
    State(st): State<AppState>,
    StaffUser(staff): StaffUser,
    Path(id): Path<String>,
) -> Result<Json<HelpCall>, ApiError> {
    let id = call_id(&id)?;
    let s = st.store.clone();
    blocking(move || {
        let call = s
            .help_call(&id)?
            .ok_or_else(|| ApiError::not_found("no such staff call"))?;
        check_scope(&staff, &call.township)?;
        Ok(s.acknowledge_help_call(&id, &format!("staff:{}", staff.username), Utc::now())?)
    })
    .await
    .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::prelude::*;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("c.db")).unwrap();
        crate::seed::seed_demo(&s, jiuzhu_core::id::today_in_china(), &|p| p.to_string()).unwrap();
        s.add_kiosk("kiosk-1", crate::seed::DEMO_TOWNSHIP, &[7; 32], "test")
            .unwrap();
        (dir, s)
    }

    fn kiosk_of(_s: &SqliteStore) -> (String, String) {
        ("kiosk-1".into(), crate::seed::DEMO_TOWNSHIP.into())
    }

    #[test]
    fn one_open_call_per_kiosk_and_an_hourly_limit() {
        let (_d, s) = store();
        let (k, t) = kiosk_of(&s);
        let t0 = Utc::now();
        let first = s.raise_help_call(&k, &t, "home", t0).unwrap();
        assert!(first.created);
        let again = s.raise_help_call(&k, &t, "certify_face", t0).unwrap();
        assert!(!again.created);
        assert_eq!(again.call, first.call, "a repeat answers the open call");
        assert_eq!(s.open_help_calls(&t).unwrap(), vec![first.call.clone()]);
        let acked = s
            .acknowledge_help_call(&first.call.call_id, "staff:clerk", t0)
            .unwrap();
        assert!(acked.acknowledged());
        assert!(s.open_help_calls(&t).unwrap().is_empty());
        assert!(matches!(
            s.acknowledge_help_call(&first.call.call_id, "staff:other", t0),
            Err(StoreError::Refused {
                code: "already_acknowledged",
                ..
            })
        ));
        // raise and acknowledge until the hour's limit
        for _ in 1..MAX_CALLS_PER_HOUR {
            let r = s.raise_help_call(&k, &t, "home", t0).unwrap();
            assert!(r.created);
            s.acknowledge_help_call(&r.call.call_id, "staff:clerk", t0)
                .unwrap();
        }
        assert!(matches!(
            s.raise_help_call(&k, &t, "home", t0),
            Err(StoreError::Refused {
                code: "too_many_help_calls",
                ..
            })
        ));
        // an hour later the kiosk may call again
        assert!(
            s.raise_help_call(&k, &t, "home", t0 + Duration::minutes(61))
                .unwrap()
                .created
        );
        s.verify_audit().unwrap();
    }
}
