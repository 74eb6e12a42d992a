//! [`HelpCallStore`] on PostgreSQL, with the same answers and audit rows as on SQLite
//! (`help_calls.rs`). A raise locks the kiosk's row, so the open-call check and the hourly count
//! hold across instances; an acknowledgement locks the call's row, so two staff members on two
//! instances cannot both take it.

use chrono::{DateTime, Duration, Utc};
use jiuzhu_core::help_call::HelpCall;
use postgres::Row;

use super::{Db as _, PgStore, append_audit};
use crate::help_calls::{HelpCallStore, MAX_CALLS_PER_HOUR, MAX_LISTED, Raised};
use crate::store::{StoreError, now_str, parse_time};

const COLUMNS: &str =
    "id, kiosk_id, township, screen, raised_at, acknowledged_at, acknowledged_by FROM help_calls";

fn call_row(r: &Row) -> HelpCall {
    HelpCall {
        call_id: r.get(0),
        kiosk_id: r.get(1),
        township: r.get(2),
        screen: r.get(3),
        raised_at: r.get(4),
        acknowledged_at: r.get(5),
        acknowledged_by: r.get(6),
    }
}

/// `now` as the store keeps it (microseconds), so an answer equals the row read back.
fn stored_time(now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
    parse_time(now_str(now))
}

impl HelpCallStore for PgStore {
    fn raise_help_call(
        &self,
        kiosk: &str,
        township: &str,
        screen: &str,
        now: DateTime<Utc>,
    ) -> Result<Raised, StoreError> {
        self.write(|tx| {
            if tx
                .query_opt("SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE", &[&kiosk])?
                .is_none()
            {
                return Err(StoreError::NotFound(format!("no kiosk '{kiosk}'")));
            }
            let open = tx.query_opt(
                &format!("SELECT {COLUMNS} WHERE kiosk_id = $1 AND acknowledged_at IS NULL"),
                &[&kiosk],
            )?;
            if let Some(r) = open {
                return Ok(Raised {
                    call: call_row(&r),
                    created: false,
                });
            }
            let raised_at = stored_time(now)?;
            let recent: i64 = tx
                .query_one(
                    "SELECT count(*) FROM help_calls WHERE kiosk_id = $1 AND raised_at > $2",
                    &[&kiosk, &stored_time(now - Duration::hours(1))?],
                )?
                .get(0);
            if recent >= MAX_CALLS_PER_HOUR {
                return Err(StoreError::Refused {
                    code: "too_many_help_calls",
                    reason: format!(
                        "this kiosk raised {recent} staff calls in the last hour (at most {MAX_CALLS_PER_HOUR}); staff were alerted by the earlier ones"
                    ),
                });
            }
            let id = uuid::Uuid::now_v7().to_string();
            tx.execute(
                "INSERT INTO help_calls (id, kiosk_id, township, screen, raised_at) VALUES ($1, $2, $3, $4, $5)",
                &[&id, &kiosk, &township, &screen, &raised_at],
            )?;
            append_audit(
                tx,
                &self.keys,
                raised_at,
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
                    raised_at,
                    acknowledged_at: None,
                    acknowledged_by: None,
                },
                created: true,
            })
        })
    }

    fn help_call(&self, id: &str) -> Result<Option<HelpCall>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query_opt(&format!("SELECT {COLUMNS} WHERE id = $1"), &[&id])?
            .map(|r| call_row(&r)))
    }

    fn open_help_calls(&self, township: &str) -> Result<Vec<HelpCall>, StoreError> {
        Ok(self
            .pool
            .get()?
            .query(
                &format!(
                    "SELECT {COLUMNS} WHERE township = $1 AND acknowledged_at IS NULL
                     ORDER BY raised_at, id LIMIT $2"
                ),
                &[&township, &MAX_LISTED],
            )?
            .iter()
            .map(call_row)
            .collect())
    }

    fn acknowledge_help_call(
        &self,
        id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<HelpCall, StoreError> {
        self.write(|tx| {
            let mut call = tx
                .query_opt(
                    &format!("SELECT {COLUMNS} WHERE id = $1 FOR UPDATE"),
                    &[&id],
                )?
                .map(|r| call_row(&r))
                .ok_or_else(|| StoreError::NotFound(format!("no staff call '{id}'")))?;
            if let Some(by) = &call.acknowledged_by {
                return Err(StoreError::Refused {
                    code: "already_acknowledged",
                    reason: format!("{by} already acknowledged this call and is on the way"),
                });
            }
            let at = stored_time(now)?;
            tx.execute(
                "UPDATE help_calls SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1",
                &[&id, &at, &actor],
            )?;
            append_audit(
                tx,
                &self.keys,
                at,
                actor,
                "help_call.acknowledged",
                &format!("help_call:{id}"),
                "{}",
            )?;
            call.acknowledged_at = Some(at);
            call.acknowledged_by = Some(actor.into());
            Ok(call)
        })
    }
}
