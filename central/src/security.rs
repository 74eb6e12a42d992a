//! HTTP-side hardening (issue #17, part A): the kiosk scope, the assisting staff member's live
//! session, rules for every string and number of a request body, the body digest that binds an
//! `Idempotency-Key`, and bounded one-time-notice deadlines. The storage side is
//! `store/hardening.rs`; the threat model is `docs/security.md`.

use axum::http::StatusCode;
use chrono::NaiveDate;
use jiuzhu_core::api::StaffRole;
use jiuzhu_core::calendar::Calendar;
use serde_json::Value;

use crate::error::ApiError;
use crate::store::{Staff, Store};

/// Fewest working days a one-time notice (一次性告知) gives the household to supply what is
/// missing. The seed says only "在限定时间内补齐" (a limited time, domain.md §2); three working
/// days is the least that lets a household fetch a certificate from another office.
pub const NOTICE_MIN_WORKING_DAYS: u32 = 3;
/// Most working days a one-time notice may give: six weeks, past which the 25-working-day
/// review limit would be meaningless for an application that waits.
pub const NOTICE_MAX_WORKING_DAYS: u32 = 30;
/// Largest magnitude of any number in a request body (fen: ten billion 元). Sums of the
/// numbers a 64 KiB body can hold stay far inside `i64`.
pub const MAX_BODY_NUMBER: i64 = 1_000_000_000_000;
/// Fields in which a line break is allowed (statements, notes, reasons); every other string
/// is one line.
const MULTILINE_FIELDS: &[&str] = &["note", "summary", "statement", "reasons", "reason", "text"];

/// The SHA-256 (hex) of the request body, put in the request's extensions by the guard.
#[derive(Debug, Clone)]
pub struct BodyDigest(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for BodyDigest {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<BodyDigest>()
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the body digest is missing",
                )
            })
    }
}

/// 403 `outside_kiosk_scope`.
pub fn outside_scope(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "outside_kiosk_scope",
        format!(
            "{what} belongs to a township this kiosk does not serve; go to that township's hall, or ask the district to widen the kiosk's scope (jiuzhu-central kiosk scope)"
        ),
    )
}

/// `township` must be one the kiosk serves.
pub fn require_scope(scope: &[String], township: &str, what: &str) -> Result<(), ApiError> {
    if scope.iter().any(|t| t == township) {
        Ok(())
    } else {
        Err(outside_scope(what))
    }
}

/// The case's township must be in the kiosk's scope (404 for an unknown case).
pub fn require_case_scope(s: &dyn Store, scope: &[String], case_id: &str) -> Result<(), ApiError> {
    let summary = s
        .case_summary(case_id)?
        .ok_or_else(|| ApiError::not_found("no such case"))?;
    require_scope(scope, &summary.township, "this case")
}

/// The staff member whose live session token a kiosk sends as the person assisting: the
/// session must be live, and the account's township one the kiosk serves (the district bureau
/// serves all). The answer never says whether an account name exists: a token is not a name.
pub fn assisting_staff(s: &dyn Store, scope: &[String], token: &str) -> Result<Staff, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "staff_session_invalid",
            "the assisting staff member's session is unknown or expired; the staff member logs in at this kiosk again",
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(refused());
    }
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(token.as_bytes()));
    let staff = s
        .session(&hash, chrono::Utc::now().timestamp())?
        .ok_or_else(refused)?;
    match (&staff.township, staff.role) {
        (None, StaffRole::DistrictBureau) => Ok(staff),
        (Some(t), _) if scope.contains(t) => Ok(staff),
        _ => Err(outside_scope("the assisting staff member's account")),
    }
}

/// Whether `c` may appear in a one-line free-text field of a request: no control characters,
/// no format characters (bidi overrides and isolates, zero-width joiners, the BOM), no
/// characters that start markup.
pub fn bad_char(c: char, multiline: bool) -> bool {
    let format = matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}');
    let markup = matches!(c, '<' | '>' | '`');
    let control = c.is_control() && !(multiline && c == '\n');
    format || markup || control || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Checks every string and number of a request body: strings carry no control, bidi or markup
/// characters (line breaks only in notes, statements and reasons), numbers are within
/// ±[`MAX_BODY_NUMBER`]. 422 `invalid_text` / `invalid_number` naming the field.
pub fn check_body(v: &Value) -> Result<(), ApiError> {
    walk(v, &mut String::new(), false)
}

fn walk(v: &Value, path: &mut String, multiline: bool) -> Result<(), ApiError> {
    match v {
        Value::String(s) => {
            if let Some(c) = s.chars().find(|c| bad_char(*c, multiline)) {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_text",
                    format!(
                        "{}: character U+{:04X} is not allowed (no control, direction-override or markup characters); type plain text",
                        field(path),
                        c as u32
                    ),
                ));
            }
        }
        Value::Number(n) => {
            let ok = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => i.unsigned_abs() <= MAX_BODY_NUMBER.unsigned_abs(),
                (None, Some(_), _) => false,
                (_, _, Some(f)) => f.is_finite() && f.abs() <= MAX_BODY_NUMBER as f64,
                _ => false,
            };
            if !ok {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_number",
                    format!(
                        "{}: the number is out of range (at most {MAX_BODY_NUMBER} in magnitude)",
                        field(path)
                    ),
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, path, multiline)?;
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(item, path, MULTILINE_FIELDS.contains(&k.as_str()))?;
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    Ok(())
}

fn field(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

/// A staff step's action with its one-time-notice deadline made safe, before any storage:
/// `{"type": "notify_missing_materials", "working_days": N}` (N within
/// [`NOTICE_MIN_WORKING_DAYS`]..=[`NOTICE_MAX_WORKING_DAYS`]) becomes the Nth working day after
/// `today`; a `deadline` date is accepted when it lies within the same range and, falling on a
/// day off, moves to the next working day. Anything else → 422 `deadline_out_of_range`.
/// Costs O(years) with core's calendar, and runs before the writer transaction.
pub fn bound_notice_deadline(
    action: &mut Value,
    cal: &Calendar,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let Some(obj) = action.as_object_mut() else {
        return Ok(());
    };
    if obj.get("type").and_then(Value::as_str) != Some("notify_missing_materials") {
        return Ok(());
    }
    let out_of_range = |what: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "deadline_out_of_range",
            format!(
                "{what}: a one-time notice gives {NOTICE_MIN_WORKING_DAYS}–{NOTICE_MAX_WORKING_DAYS} working days; send working_days in that range"
            ),
        )
    };
    let deadline = match (obj.remove("working_days"), obj.get("deadline")) {
        (Some(_), Some(_)) => {
            return Err(out_of_range(
                "action: give working_days or deadline, not both".into(),
            ));
        }
        (Some(n), None) => {
            let n = n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (NOTICE_MIN_WORKING_DAYS..=NOTICE_MAX_WORKING_DAYS).contains(n))
                .ok_or_else(|| out_of_range(format!("action.working_days: {n}")))?;
            cal.add_working_days(today, n).value
        }
        (None, Some(d)) => {
            let d: NaiveDate = d.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_field",
                    "action.deadline: give a date YYYY-MM-DD, or working_days",
                )
            })?;
            let earliest = cal.add_working_days(today, NOTICE_MIN_WORKING_DAYS).value;
            let latest = cal.add_working_days(today, NOTICE_MAX_WORKING_DAYS).value;
            if d < earliest || d > latest {
                return Err(out_of_range(format!(
                    "action.deadline {d}: give a day from {earliest} to {latest}"
                )));
            }
            // A day off moves to the next working day (never past the range's last day, which
            // is itself a working day).
            cal.working_day_on_or_after(d).value.min(latest)
        }
        (None, None) => {
            return Err(out_of_range("action: the deadline is missing".into()));
        }
    };
    obj.insert("deadline".into(), Value::String(deadline.to_string()));
    Ok(())
}

/// A date a person supplies for a past event (death, suspension): within five years before
/// `today`, not after it.
pub fn bound_past_date(field: &str, d: NaiveDate, today: NaiveDate) -> Result<(), ApiError> {
    let earliest = today
        .checked_sub_months(chrono::Months::new(60))
        .unwrap_or(today);
    if d > today || d < earliest {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "date_out_of_range",
            format!("{field}: give a day from {earliest} to {today}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    #[rstest]
    #[case(json!({"village": "石板村\u{0}"}), "village")]
    #[case(json!({"village": "石板\u{7}村"}), "village")]
    #[case(json!({"village": "\u{202E}村板石"}), "village")]
    #[case(json!({"village": "<b>石板村</b>"}), "village")]
    #[case(json!({"members": [{"person": {"name": "张\u{2066}三"}}]}), "members[0].person.name")]
    #[case(json!({"village": "石板\n村"}), "village")]
    #[case(json!({"incomes": [{"monthly": 9223372036854775807i64}]}), "incomes[0].monthly")]
    #[case(json!({"score": 1e300}), "score")]
    fn hostile_bodies_name_the_field(#[case] body: Value, #[case] field: &str) {
        let e = check_body(&body).unwrap_err();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e.reason.starts_with(field), "{}", e.reason);
    }

    #[rstest]
    #[case(json!({"village": "石板村", "note": "请补齐\n户口簿", "n": -5, "x": 0.5}))]
    #[case(json!({"name": "欧阳·娜娜"}))]
    fn plain_bodies_pass(#[case] body: Value) {
        check_body(&body).unwrap();
    }

    #[test]
    fn notice_deadlines_are_working_days_within_the_range() {
        let cal = Calendar::builtin();
        // Thursday before 中秋 (9/25–9/27) and 国庆 (10/1–10/7): 9/28, 9/29, 9/30, then 10/8.
        let today: NaiveDate = "2026-09-24".parse().unwrap();
        let mut a = json!({"type": "notify_missing_materials", "working_days": 4});
        bound_notice_deadline(&mut a, &cal, today).unwrap();
        assert_eq!(a["deadline"], "2026-10-08", "across 国庆, on a working day");
        assert!(a.get("working_days").is_none());
        // A deadline on 国庆 moves to the first working day after it.
        let mut a = json!({"type": "notify_missing_materials", "deadline": "2026-10-03"});
        bound_notice_deadline(&mut a, &cal, "2026-09-21".parse().unwrap()).unwrap();
        assert_eq!(a["deadline"], "2026-10-08");
        for bad in [
            json!({"type": "notify_missing_materials", "working_days": 0}),
            json!({"type": "notify_missing_materials", "working_days": 31}),
            json!({"type": "notify_missing_materials", "working_days": -1}),
            json!({"type": "notify_missing_materials", "working_days": 4294967296u64}),
            json!({"type": "notify_missing_materials", "deadline": "9999-12-31"}),
            json!({"type": "notify_missing_materials", "deadline": "+262142-12-31"}),
            json!({"type": "notify_missing_materials", "deadline": "2026-09-26"}),
            json!({"type": "notify_missing_materials"}),
        ] {
            let mut a = bad.clone();
            let e = bound_notice_deadline(&mut a, &cal, today).unwrap_err();
            assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        }
    }
}
