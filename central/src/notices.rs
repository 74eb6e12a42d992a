//! The documents of a case (core's [`jiuzhu_core::notices`]) in SQLite: written in the
//! transaction of the step whose effects they are ([`persist`]), read back for the household
//! (kiosk status) and for staff (undelivered first), and their delivery (送达) recorded once per
//! document with every attempt kept ([`record_delivery`]). Also the short case numbers
//! ([`assign_case_no`]): `<township>-<year>-<sequence>`, e.g. `江东-2026-00123`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiuzhu_core::api::{CaseNotice, DeliveryMethod, StaffNotice};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::notices::{self, Audience, DocumentKind, Office};
use jiuzhu_core::workflow::{Case, Effect, china_date};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use crate::audit;
use crate::store::StoreError;

pub(crate) fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub(crate) fn parse_word<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|e| StoreError::Invalid(format!("stored value '{s}' is unreadable: {e}")))
}

fn date(s: Option<String>) -> Result<Option<NaiveDate>, StoreError> {
    s.map(|d| {
        d.parse()
            .map_err(|e| StoreError::Invalid(format!("stored date '{d}': {e}")))
    })
    .transpose()
}

fn at_str(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The township part of a case number: the township's name without the district before it,
/// its 街道/镇/乡 ending and any note in brackets (`涪陵区江东街道（演示）` → `江东`); the code
/// when nothing is left.
pub fn case_prefix(township_name: &str, code: &str) -> String {
    let mut name = township_name
        .split(['（', '('])
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if let Some(i) = name.find(['区', '县']) {
        let rest = &name[i + '区'.len_utf8()..];
        if !rest.is_empty() {
            name = rest.to_string();
        }
    }
    for end in ["街道办事处", "街道", "镇", "乡"] {
        if let Some(s) = name.strip_suffix(end)
            && !s.is_empty()
        {
            name = s.to_string();
            break;
        }
    }
    if name.is_empty() {
        code.to_string()
    } else {
        name
    }
}

/// The case number `<prefix>-<year>-<sequence>` (`江东-2026-00123`).
pub(crate) fn case_no_text(prefix: &str, year: i32, last: i64) -> String {
    format!("{prefix}-{year}-{last:05}")
}

/// The audit detail of an issued household document.
pub(crate) fn issued_detail(notice: i64, kind: DocumentKind) -> String {
    serde_json::json!({"notice": notice, "kind": word(&kind)}).to_string()
}

/// The audit row of a delivery attempt: (action, detail).
pub(crate) fn delivery_audit(d: &Delivery<'_>, recorded: bool) -> (&'static str, String) {
    (
        if d.ok {
            "notice.delivered"
        } else {
            "notice.delivery_failed"
        },
        serde_json::json!({"notice": d.notice, "how": word(&d.how), "recorded": recorded})
            .to_string(),
    )
}

/// Gives case `case_id` of `township` the next number of its year (China date of `now`).
pub fn assign_case_no(
    tx: &Transaction<'_>,
    case_id: &str,
    township: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let name: String = tx
        .prepare_cached("SELECT name FROM townships WHERE code = ?1")?
        .query_row([township], |r| r.get(0))?;
    let prefix = case_prefix(&name, township);
    let year = china_date(now).year();
    let last: i64 = tx
        .prepare_cached(
            "INSERT INTO case_numbers VALUES (?1, ?2, 1)
             ON CONFLICT(prefix, year) DO UPDATE SET last = last + 1 RETURNING last",
        )?
        .query_row(params![prefix, year], |r| r.get(0))?;
    let no = case_no_text(&prefix, year, last);
    tx.prepare_cached("UPDATE cases SET case_no = ?2 WHERE id = ?1")?
        .execute(params![case_id, no])?;
    Ok(no)
}

/// The case's short number, or its id for a case stored before numbers were given.
pub fn case_no(conn: &Connection, case_id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT case_no FROM cases WHERE id = ?1")?
        .query_row([case_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The case id of a short number or of an id.
pub fn case_id_of(conn: &Connection, no_or_id: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM cases WHERE case_no = ?1 OR id = ?1")?
        .query_row([no_or_id], |r| r.get(0))
        .optional()?)
}

fn office(conn: &Connection, township: &str) -> Result<Office, StoreError> {
    Ok(conn
        .prepare_cached("SELECT name, hotline, report_phone FROM townships WHERE code = ?1")?
        .query_row([township], |r| {
            Ok(Office {
                township_name: r.get(0)?,
                hotline: r.get(1)?,
                report_phone: r.get(2)?,
            })
        })?)
}

/// Writes the documents of `effects` (the result of one step on `case`, as it is after the
/// step), one row per effect, with an audit row per household document. Returns the ids of the
/// household documents.
pub fn persist(
    tx: &Transaction<'_>,
    case: &Case,
    effects: &[Effect],
    cal: &Calendar,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    if effects.is_empty() {
        return Ok(vec![]);
    }
    let office = office(tx, case.township())?;
    let no = case_no(tx, &case.id)?.unwrap_or_else(|| case.id.clone());
    let today = china_date(now);
    let at = at_str(now);
    let mut household = vec![];
    for doc in notices::documents(case, effects, &office, &no, cal, today) {
        let effect =
            serde_json::to_string(&doc.effect).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached(
            "INSERT INTO notices (case_id, kind, audience, issued_on, created_at, text, deadline, effect)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            case.id,
            word(&doc.kind),
            word(&doc.audience),
            doc.issued_on.to_string(),
            at,
            doc.text,
            doc.deadline.map(|d| d.to_string()),
            effect,
        ])?;
        let id = tx.last_insert_rowid();
        if doc.audience == Audience::Household {
            household.push(id);
            audit::append(
                tx,
                &at,
                "system:notices",
                "notice.issued",
                &case.id,
                &issued_detail(id, doc.kind),
            )?;
        }
    }
    Ok(household)
}

/// The columns of a document as stored: id, kind, issued_on, text, deadline, delivered_on,
/// delivered_how.
type NoticeRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn notice_row(r: &Row<'_>) -> rusqlite::Result<NoticeRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn case_notice(row: NoticeRow) -> Result<CaseNotice, StoreError> {
    let (id, kind, issued_on, text, deadline, delivered_on, delivered_how) = row;
    let kind: DocumentKind = parse_word(&kind)?;
    Ok(CaseNotice {
        id,
        kind,
        title: kind.label_zh().to_string(),
        issued_on: date(Some(issued_on))?.unwrap_or(NaiveDate::MIN),
        text,
        deadline: date(deadline)?,
        delivered_on: date(delivered_on)?,
        delivered_how: delivered_how.map(|h| parse_word(&h)).transpose()?,
    })
}

/// The household documents of a case, oldest first.
pub fn household_notices(conn: &Connection, case_id: &str) -> Result<Vec<CaseNotice>, StoreError> {
    let rows: Vec<NoticeRow> = conn
        .prepare_cached(
            "SELECT id, kind, issued_on, text, deadline, delivered_on, delivered_how FROM notices
             WHERE case_id = ?1 AND audience = 'household' ORDER BY id",
        )?
        .query_map([case_id], notice_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(case_notice).collect()
}

struct PostingRow {
    case_no: Option<String>,
    case_id: String,
    township: String,
    kind: String,
    text: String,
}

/// The 公示 postings running on `today` in `townships` (the latest posting of each case still
/// in publicity), oldest first.
pub fn publicity_postings(
    conn: &Connection,
    townships: &[String],
    today: NaiveDate,
) -> Result<Vec<jiuzhu_core::api::PublicityPosting>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT c.case_no, c.id, c.township, c.assistance_type, n.text, n.deadline
         FROM notices n JOIN cases c ON c.id = n.case_id
         WHERE n.kind = 'publicity' AND c.state = 'in_publicity' AND n.deadline >= ?1
           AND n.id = (SELECT max(m.id) FROM notices m WHERE m.case_id = c.id AND m.kind = 'publicity')
         ORDER BY n.id",
    )?;
    let rows: Vec<(PostingRow, Option<String>)> = st
        .query_map([today.to_string()], |r| {
            Ok((
                PostingRow {
                    case_no: r.get(0)?,
                    case_id: r.get(1)?,
                    township: r.get(2)?,
                    kind: r.get(3)?,
                    text: r.get(4)?,
                },
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (row, until) in rows {
        if !townships.contains(&row.township) {
            continue;
        }
        let Some(until) = date(until)? else { continue };
        out.push(jiuzhu_core::api::PublicityPosting {
            case_no: row.case_no.unwrap_or(row.case_id),
            township: row.township,
            assistance_type: parse_word(&row.kind)?,
            text: row.text,
            until,
        });
    }
    Ok(out)
}

/// A township's documents, oldest first: with `undelivered`, only household documents not yet
/// delivered.
pub fn township_notices(
    conn: &Connection,
    township: &str,
    undelivered: bool,
) -> Result<Vec<StaffNotice>, StoreError> {
    let sql = format!(
        "SELECT n.id, n.kind, n.issued_on, n.text, n.deadline, n.delivered_on, n.delivered_how,
                n.case_id, c.case_no, n.audience
         FROM notices n JOIN cases c ON c.id = n.case_id
         WHERE c.township = ?1 {} ORDER BY n.id",
        if undelivered {
            "AND n.audience = 'household' AND n.delivered_on IS NULL"
        } else {
            ""
        }
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows: Vec<(NoticeRow, String, Option<String>, String)> = st
        .query_map([township], |r| {
            Ok((notice_row(r)?, r.get(7)?, r.get(8)?, r.get(9)?))
        })?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(row, case_id, case_no, audience)| {
            let n = case_notice(row)?;
            Ok(StaffNotice {
                id: n.id,
                case_id,
                case_no,
                kind: n.kind,
                audience: parse_word(&audience)?,
                issued_on: n.issued_on,
                deadline: n.deadline,
                text: n.text,
                delivered_on: n.delivered_on,
                delivered_how: n.delivered_how,
            })
        })
        .collect()
}

/// The case of a household document, or `None` when `id` is not one.
pub fn household_notice_case(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT case_id FROM notices WHERE id = ?1 AND audience = 'household'")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// One attempt at delivering a household document.
pub struct Delivery<'a> {
    /// Document id.
    pub notice: i64,
    /// How.
    pub how: DeliveryMethod,
    /// Whether it reached the household (an SMS gateway's acceptance, a kiosk confirmation).
    pub ok: bool,
    /// Kiosk id, gateway message id or error, staff account (no personal data).
    pub detail: &'a str,
    /// Who, for the audit row (`kiosk:<id>`, `system:sms`, `staff:<user>`).
    pub actor: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

/// Records an attempt; a successful one marks the document delivered unless it already was.
/// Returns the first delivery (day and method) and whether this attempt recorded it.
pub fn record_delivery(
    tx: &Transaction<'_>,
    d: &Delivery<'_>,
) -> Result<Option<(NaiveDate, DeliveryMethod, bool)>, StoreError> {
    let at = at_str(d.now);
    let how = word(&d.how);
    tx.prepare_cached(
        "INSERT INTO notice_deliveries (notice_id, how, at, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![d.notice, how, at, d.ok, d.detail])?;
    let mut recorded = false;
    if d.ok {
        recorded = tx
            .prepare_cached(
                "UPDATE notices SET delivered_on = ?2, delivered_how = ?3
                 WHERE id = ?1 AND delivered_on IS NULL",
            )?
            .execute(params![d.notice, china_date(d.now).to_string(), how])?
            > 0;
    }
    let case_id: String = tx
        .prepare_cached("SELECT case_id FROM notices WHERE id = ?1")?
        .query_row([d.notice], |r| r.get(0))?;
    let (action, detail) = delivery_audit(d, recorded);
    audit::append(tx, &at, d.actor, action, &case_id, &detail)?;
    let first: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached("SELECT delivered_on, delivered_how FROM notices WHERE id = ?1")?
        .query_row([d.notice], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match first {
        Some((Some(on), Some(how))) => Ok(Some((
            date(Some(on))?.unwrap_or(NaiveDate::MIN),
            parse_word(&how)?,
            recorded,
        ))),
        _ => Ok(None),
    }
}

/// A household document waiting for its text message.
#[derive(Clone)]
pub struct PendingSms {
    /// Document id.
    pub notice: i64,
    /// The mobile number (full; never logged).
    pub phone: String,
    /// The message (no name, no reasons: [`notices::sms_text`]).
    pub text: String,
}

/// Most failed attempts before a document is left to the kiosk and staff.
pub const SMS_MAX_ATTEMPTS: i64 = 5;

/// Household documents not yet delivered, on cases with a mobile number, with no successful
/// text message and fewer than [`SMS_MAX_ATTEMPTS`] failed ones; at most `limit`, oldest first.
pub fn pending_sms(conn: &Connection, limit: u32) -> Result<Vec<PendingSms>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT n.id, n.kind, n.deadline, jz_open(c.contact_phone, 'cases.contact_phone'), c.case_no, c.id, t.name, t.hotline, t.report_phone
         FROM notices n JOIN cases c ON c.id = n.case_id JOIN townships t ON t.code = c.township
         WHERE n.audience = 'household' AND n.delivered_on IS NULL AND c.contact_phone IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM notice_deliveries d WHERE d.notice_id = n.id AND d.how = 'sms' AND d.ok)
           AND (SELECT count(*) FROM notice_deliveries d WHERE d.notice_id = n.id AND d.how = 'sms') < ?1
         ORDER BY n.id LIMIT ?2",
    )?;
    let rows = st.query_map(params![SMS_MAX_ATTEMPTS, limit], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, String>(5)?,
            Office {
                township_name: r.get(6)?,
                hotline: r.get(7)?,
                report_phone: r.get(8)?,
            },
        ))
    })?;
    let mut out = vec![];
    for row in rows {
        let (id, kind, deadline, phone, no, case_id, office) = row?;
        let kind: DocumentKind = parse_word(&kind)?;
        out.push(PendingSms {
            notice: id,
            phone,
            text: notices::sms_text(
                kind,
                no.as_deref().unwrap_or(&case_id),
                date(deadline)?,
                &office,
            ),
        });
    }
    Ok(out)
}

/// Records a named objector of round `round` of a case's 公示; false when this person already
/// objected to that round.
pub fn add_objector(
    tx: &Transaction<'_>,
    case_id: &str,
    round: u32,
    id_number: &str,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("INSERT OR IGNORE INTO publicity_objectors VALUES (?1, ?2, jz_bidx(?3), jz_seal(?4, 'publicity_objectors.name'), ?5)")?
        .execute(params![case_id, round, id_number, name, at_str(now)])?
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("涪陵区江东街道", "500102001", "江东")]
    #[case("涪陵区江东街道（演示）", "500102900", "江东")]
    #[case("涪陵区南沱镇", "500102101", "南沱")]
    #[case("石柱县黄水镇", "500240101", "黄水")]
    #[case("大木乡", "500102201", "大木")]
    #[case("街道", "500102999", "街道")]
    #[case("", "500102999", "500102999")]
    fn case_prefixes(#[case] name: &str, #[case] code: &str, #[case] prefix: &str) {
        assert_eq!(case_prefix(name, code), prefix);
    }
}
