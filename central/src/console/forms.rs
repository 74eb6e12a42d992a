//! Form fields (urlencoded, bounded, no control characters) and the workflow step each form
//! stands for: the form's `action` and fields become core's [`Action`], nothing else.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::NaiveDate;
use jiuzhu_core::application::{CloseRelation, Material, StaffPost, StaffRelative};
use jiuzhu_core::household::Money;
use jiuzhu_core::id::PersonName;
use jiuzhu_core::workflow::Case;
use jiuzhu_core::workflow::{Action, ExtensionReason, InvestigationMethod, ReviewMethod};

use super::views::ConsoleError;
use super::{MAX_FIELD_CHARS, MAX_FORM_BYTES};

/// Most fields a form may have.
pub const MAX_FIELDS: usize = 64;

/// Decoded form fields in order.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

/// Fields whose value may span lines.
const MULTILINE: &[&str] = &["note", "summary", "reasons", "statement", "reviewers"];

impl Fields {
    /// Reads an `application/x-www-form-urlencoded` body of at most [`MAX_FORM_BYTES`].
    pub async fn read(parts: &Parts, body: Body) -> Result<Fields, ConsoleError> {
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        {
            return Err(ConsoleError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "表单格式不对",
                "Send the form as application/x-www-form-urlencoded.",
            ));
        }
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| too_large())?;
        Fields::parse(&bytes)
    }

    /// Parses and checks urlencoded bytes.
    pub fn parse(bytes: &[u8]) -> Result<Fields, ConsoleError> {
        if bytes.len() > MAX_FORM_BYTES {
            return Err(too_large());
        }
        let mut out = Vec::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            if out.len() >= MAX_FIELDS {
                return Err(ConsoleError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "表单字段太多",
                    "The form has too many fields.",
                ));
            }
            check_text(&k, &v)?;
            out.push((k.into_owned(), v.into_owned()));
        }
        Ok(Fields(out))
    }

    /// Removes and returns the first value of `name`.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(i).1)
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A required field.
    pub fn req(&self, name: &str, zh: &str) -> Result<&str, ConsoleError> {
        self.get(name).ok_or_else(|| {
            invalid(
                format!("请填写“{zh}”"),
                format!("Fill in the field '{name}'."),
            )
        })
    }

    /// A checkbox or yes/no choice.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("1" | "true" | "on" | "yes"))
    }
}

fn too_large() -> ConsoleError {
    ConsoleError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "提交的内容太大",
        "The form is too large.",
    )
}

fn invalid(zh: impl Into<String>, en: impl Into<String>) -> ConsoleError {
    ConsoleError::new(StatusCode::UNPROCESSABLE_ENTITY, zh, en)
}

/// A field's name and value: bounded length, no control characters (line breaks and tabs only
/// in the multi-line fields).
fn check_text(name: &str, value: &str) -> Result<(), ConsoleError> {
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(invalid("表单字段名不对", "A field name is malformed."));
    }
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(ConsoleError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("“{name}”太长：最多 {MAX_FIELD_CHARS} 个字"),
            format!("The field '{name}' is too long: at most {MAX_FIELD_CHARS} characters."),
        ));
    }
    let multiline = MULTILINE.contains(&name);
    if value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(invalid(
            format!("“{name}”含有不可见的控制字符，请删去后再提交"),
            format!("The field '{name}' contains control characters; remove them."),
        ));
    }
    Ok(())
}

/// An amount in 元 with at most two decimals (e.g. `610` or `610.50`), 0 – 1,000,000.
pub fn parse_yuan(field: &str, v: &str) -> Result<Money, ConsoleError> {
    let bad = || {
        invalid(
            format!("“{field}”应为金额（元，最多两位小数），例如 610 或 610.50"),
            format!("'{field}' must be an amount in yuan with at most two decimals, e.g. 610.50."),
        )
    };
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty()
        || whole.len() > 7
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let fen = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .filter(|f| *f <= 100_000_000)
        .ok_or_else(bad)?;
    Ok(Money::fen(fen))
}

fn optional_yuan(f: &Fields, name: &str) -> Result<Option<Money>, ConsoleError> {
    f.get(name).map(|v| parse_yuan(name, v)).transpose()
}

fn enum_field<T: serde::de::DeserializeOwned>(
    f: &Fields,
    name: &str,
    zh: &str,
) -> Result<T, ConsoleError> {
    let v = f.req(name, zh)?;
    serde_json::from_value(serde_json::Value::String(v.to_string())).map_err(|_| {
        invalid(
            format!("“{zh}”的选项不对"),
            format!("'{name}' has an unknown value."),
        )
    })
}

fn text(f: &Fields, name: &str) -> String {
    f.get(name).unwrap_or("").to_string()
}

/// A 64-hex SHA-256.
pub fn is_sha256(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The workflow action a step form stands for, on `case` (the 近亲属申明's member is chosen by
/// their place in the household, so no identity number travels in the page).
pub fn action_for(f: &Fields, case: Option<&Case>) -> Result<Action, ConsoleError> {
    if f.get("action") != Some("declare_staff_relative") {
        return action_of(f);
    }
    let members = case
        .map(|c| c.application.household.members.as_slice())
        .unwrap_or_default();
    let member = f
        .req("member", "家庭成员")?
        .parse::<usize>()
        .ok()
        .and_then(|i| members.get(i))
        .ok_or_else(|| invalid("请选择家庭成员", "Choose a household member."))?;
    let name = f.req("staff_name", "工作人员姓名")?;
    let staff_name = PersonName::new(name).map_err(|e| {
        invalid(
            format!("“工作人员姓名”不对：{e}"),
            format!("'staff_name' is not a name: {e}"),
        )
    })?;
    Ok(Action::DeclareStaffRelative {
        relative: StaffRelative {
            member: member.id_number.clone(),
            staff_name,
            post: enum_field::<StaffPost>(f, "post", "工作人员职务")?,
            relation: enum_field::<CloseRelation>(f, "relation", "亲属关系")?,
        },
    })
}

/// The workflow action a step form stands for.
pub fn action_of(f: &Fields) -> Result<Action, ConsoleError> {
    let name = f.req("action", "办理步骤")?;
    Ok(match name {
        "accept" => Action::Accept,
        "notify_missing_materials" => {
            let deadline: NaiveDate = f
                .req("deadline", "补齐期限")?
                .parse()
                .map_err(|_| invalid("“补齐期限”应为日期", "'deadline' must be a date."))?;
            let mut unusable = Vec::new();
            for m in f.all("unusable") {
                unusable.push(
                    serde_json::from_value::<Material>(serde_json::Value::String(m.into()))
                        .map_err(|_| invalid("材料名称不对", "Unknown material in 'unusable'."))?,
                );
            }
            Action::NotifyMissingMaterials {
                deadline,
                unusable,
                note: text(f, "note"),
            }
        }
        "file_relatives_declaration" => Action::FileRelativesDeclaration,
        "start_investigation" => Action::StartInvestigation,
        "record_findings" => {
            let eligible = match f.req("eligible", "调查结论")? {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(invalid(
                        "“调查结论”只能是符合或不符合",
                        "'eligible' must be yes or no.",
                    ));
                }
            };
            let evidence: Vec<String> = f.all("evidence").into_iter().map(str::to_string).collect();
            if evidence.iter().any(|e| !is_sha256(e)) {
                return Err(invalid("照片编号不对", "An evidence digest is malformed."));
            }
            let mut methods = Vec::new();
            for m in f.all("method") {
                methods.push(
                    serde_json::from_value::<InvestigationMethod>(serde_json::Value::String(
                        m.into(),
                    ))
                    .map_err(|_| invalid("调查方式不对", "Unknown investigation method."))?,
                );
            }
            if methods.is_empty() {
                return Err(invalid(
                    "请勾选用过的调查方式（信息核对、入户调查、邻里访问、信函索证）",
                    "Tick the investigation methods used.",
                ));
            }
            Action::RecordFindings {
                eligible,
                summary: text(f, "summary"),
                per_capita_income: optional_yuan(f, "per_capita_income")?,
                evidence,
                methods,
            }
        }
        "propose_initial_opinion" => {
            let include = match f.req("include", "初审意见")? {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(invalid(
                        "“初审意见”只能是纳入或不纳入",
                        "'include' must be yes or no.",
                    ));
                }
            };
            let reviewers = text(f, "reviewers")
                .split(['\n', '、', ',', '，'])
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            Action::ProposeInitialOpinion {
                include,
                amount: optional_yuan(f, "amount")?,
                method: enum_field::<ReviewMethod>(f, "method", "评审方式")?,
                reviewers,
                reasons: text(f, "reasons"),
            }
        }
        "object_to_publicity" => Action::ObjectToPublicity {
            statement: text(f, "statement"),
        },
        "reinvestigate" => Action::Reinvestigate,
        "start_democratic_appraisal" => Action::StartDemocraticAppraisal,
        "record_appraisal" => Action::RecordAppraisal {
            summary: text(f, "summary"),
        },
        "conclude_publicity" => Action::ConcludePublicity,
        "report_to_district" => Action::ReportToDistrict,
        "confirm" => Action::Confirm {
            approve: match f.req("approve", "确认结论")? {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(invalid(
                        "“确认结论”只能是同意或不同意",
                        "'approve' must be yes or no.",
                    ));
                }
            },
            amount: optional_yuan(f, "amount")?,
            reasons: text(f, "reasons"),
            review_meeting: f.flag("review_meeting"),
        },
        "publish" => Action::Publish,
        "extend_time_limit" => Action::ExtendTimeLimit {
            reason: enum_field::<ExtensionReason>(f, "reason", "延期理由")?,
            note: text(f, "note"),
        },
        other => {
            return Err(invalid(
                "没有这个办理步骤",
                format!("'{}' is not a step of the console.", other.escape_debug()),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("610", Some(61_000))]
    #[case("610.5", Some(61_050))]
    #[case("0.05", Some(5))]
    #[case("1000000", Some(100_000_000))]
    #[case("1000000.01", None)]
    #[case("-1", None)]
    #[case("1e3", None)]
    #[case("12.345", None)]
    #[case("", None)]
    #[case(".5", None)]
    #[case("99999999999999999999", None)]
    fn yuan(#[case] v: &str, #[case] fen: Option<i64>) {
        assert_eq!(parse_yuan("amount", v).ok().map(Money::as_fen), fen);
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_in_text() {
        assert!(Fields::parse(b"summary=a%0Ab").is_ok());
        assert_eq!(
            Fields::parse(b"deadline=a%0Ab").unwrap_err().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            Fields::parse(b"summary=a%00b").unwrap_err().status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let long = format!("note={}", "a".repeat(MAX_FIELD_CHARS + 1));
        assert_eq!(
            Fields::parse(long.as_bytes()).unwrap_err().status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn every_console_step_is_a_core_action() {
        for (form, name) in [
            ("action=accept", "accept"),
            (
                "action=notify_missing_materials&deadline=2026-03-20&unusable=income_proof&note=x",
                "notify_missing_materials",
            ),
            ("action=start_investigation", "start_investigation"),
            (
                "action=record_findings&eligible=yes&summary=s&per_capita_income=300&method=home_visit&method=letter_enquiry",
                "record_findings",
            ),
            (
                "action=propose_initial_opinion&include=yes&amount=610&method=no_dispute&reviewers=a%E3%80%81b",
                "propose_initial_opinion",
            ),
            ("action=conclude_publicity", "conclude_publicity"),
            ("action=confirm&approve=yes&amount=610", "confirm"),
            ("action=publish", "publish"),
            (
                "action=extend_time_limit&reason=difficult_investigation&note=n",
                "extend_time_limit",
            ),
        ] {
            let a = action_of(&Fields::parse(form.as_bytes()).unwrap()).unwrap();
            assert_eq!(a.name(), name);
        }
        assert!(action_of(&Fields::parse(b"action=tick").unwrap()).is_err());
        assert!(
            action_of(&Fields::parse(b"action=record_findings&eligible=maybe").unwrap()).is_err()
        );
        // findings need the methods used, each a known one
        for bad in [
            "action=record_findings&eligible=yes&summary=s",
            "action=record_findings&eligible=yes&summary=s&method=guess",
        ] {
            assert!(
                action_of(&Fields::parse(bad.as_bytes()).unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
