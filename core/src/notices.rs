//! The workflow's [`Effect`]s as documents of the case's electronic archive: every effect becomes
//! one [`Document`] with its kind, its audience, the full plain-Chinese text and, where the
//! household must act by a day, that day. The household's documents (一次性告知书, 调查结果告知书,
//! 不予确认决定书, 延期告知书 …) say why (the reasons the law requires), what the household may do next
//! and by when, and the township's hotline and 举报 number. Central stores them in the transaction
//! of the step and records their delivery (送达).
//!
//! Remedies against a refusal and their periods: 行政复议 within 60 days of learning of the
//! decision (中华人民共和国行政复议法 2023 第二十条), 行政诉讼 within six months (行政诉讼法 第四十六条);
//! a period whose last day is a holiday ends on the next working day (民法典 第二百零三条), so the
//! dates printed are moved to the next working day with the [`Calendar`].
//!
//! Names appear masked (王*福): the notice is read at a kiosk and may be printed or sent on;
//! identity numbers never appear. SMS texts ([`sms_text`]) carry no name at all.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, add_calendar_days};
use crate::workflow::{Case, Effect, ExtensionReason, Notice, Recipient, TOTAL_LIMIT_EXTENDED};

/// Days to apply for 行政复议 after learning of a decision (行政复议法 第二十条).
pub const REVIEW_APPLICATION_DAYS: u32 = 60;
/// Months to bring 行政诉讼 after learning of a decision (行政诉讼法 第四十六条).
pub const LAWSUIT_MONTHS: u32 = 6;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 受理通知书.
    Acceptance,
    /// 一次性告知书 (missing materials and signatures).
    MissingMaterials,
    /// 视为自动放弃告知书.
    Abandoned,
    /// 家庭经济状况调查告知书.
    InvestigationStarted,
    /// 调查结果告知书（不符合条件告知书）.
    NotEligible,
    /// 复查结果告知书: the result of the re-check the household asked for (复查).
    RecheckResult,
    /// 公示告知书 (the applicant is told the 初审 opinion is posted).
    PublicityNotice,
    /// 审核确认决定书 (approved).
    Approval,
    /// 不予确认决定书.
    Refusal,
    /// 延期告知书.
    Extension,
    /// 撤回申请确认书.
    Withdrawal,
    /// 公示 (the posting in the village).
    Publicity,
    /// 公布 (the publication in the village).
    Publication,
    /// 备案 with the district bureau.
    DistrictFiling,
    /// A work notice for township or district staff (new case, objection, overdue …).
    StaffAlert,
}

impl DocumentKind {
    /// The document's title.
    pub fn label_zh(self) -> &'static str {
        match self {
            DocumentKind::Acceptance => "受理通知书",
            DocumentKind::MissingMaterials => "一次性告知书",
            DocumentKind::Abandoned => "视为自动放弃告知书",
            DocumentKind::InvestigationStarted => "家庭经济状况调查告知书",
            DocumentKind::NotEligible => "调查结果告知书（不符合条件）",
            DocumentKind::RecheckResult => "复查结果告知书",
            DocumentKind::PublicityNotice => "公示告知书",
            DocumentKind::Approval => "审核确认决定书",
            DocumentKind::Refusal => "不予确认决定书",
            DocumentKind::Extension => "延期告知书",
            DocumentKind::Withdrawal => "撤回申请确认书",
            DocumentKind::Publicity => "公示",
            DocumentKind::Publication => "公布",
            DocumentKind::DistrictFiling => "备案",
            DocumentKind::StaffAlert => "工作提示",
        }
    }

    /// English name.
    pub fn label_en(self) -> &'static str {
        match self {
            DocumentKind::Acceptance => "notice of acceptance",
            DocumentKind::MissingMaterials => "one-time notice of missing materials",
            DocumentKind::Abandoned => "notice of deemed abandonment",
            DocumentKind::InvestigationStarted => "notice of the investigation",
            DocumentKind::NotEligible => "investigation result: not eligible",
            DocumentKind::RecheckResult => "result of the re-check",
            DocumentKind::PublicityNotice => "notice of the posting",
            DocumentKind::Approval => "decision: approved",
            DocumentKind::Refusal => "decision: refused",
            DocumentKind::Extension => "notice of extension",
            DocumentKind::Withdrawal => "confirmation of withdrawal",
            DocumentKind::Publicity => "posting (公示)",
            DocumentKind::Publication => "publication (公布)",
            DocumentKind::DistrictFiling => "filing with the district",
            DocumentKind::StaffAlert => "work notice",
        }
    }

    /// Whether the document is addressed to the household and must be delivered (送达).
    pub fn is_for_household(self) -> bool {
        !matches!(
            self,
            DocumentKind::Publicity
                | DocumentKind::Publication
                | DocumentKind::DistrictFiling
                | DocumentKind::StaffAlert
        )
    }
}

/// Who a document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The applicant, and the agent when there is one; delivered and recorded.
    Household,
    /// The township's 民政办.
    Township,
    /// The township leader in charge.
    TownshipLeader,
    /// The district bureau.
    District,
    /// Posted in the village or community.
    Public,
}

/// The office that issues the documents: printed on each, with its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    /// The township's name, e.g. 涪陵区江东街道.
    pub township_name: String,
    /// Hotline (咨询电话).
    pub hotline: String,
    /// 举报 number.
    pub report_phone: String,
}

/// One document made from one effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Document {
    /// What it is.
    pub kind: DocumentKind,
    /// Who it is for.
    pub audience: Audience,
    /// The day it is issued.
    pub issued_on: NaiveDate,
    /// The full text (title first).
    pub text: String,
    /// The last day the household (or staff, for a work notice) must act by, if any.
    pub deadline: Option<NaiveDate>,
    /// The effect it was made from.
    pub effect: Effect,
}

fn cn_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The last day of a period of `days` calendar days after `from`, moved to the next working day
/// when it falls on a day off (民法典 第二百零三条).
pub fn period_end_days(cal: &Calendar, from: NaiveDate, days: u32) -> NaiveDate {
    cal.working_day_on_or_after(add_calendar_days(from, days))
        .value
}

/// The last day of a period of `months` months after `from` (the same day of the month, or the
/// month's last day), moved to the next working day when it falls on a day off.
pub fn period_end_months(cal: &Calendar, from: NaiveDate, months: u32) -> NaiveDate {
    let end = from.checked_add_months(Months::new(months)).unwrap_or(from);
    cal.working_day_on_or_after(end).value
}

fn extension_reason(r: ExtensionReason) -> &'static str {
    r.label_zh()
}

/// The documents for `effects`, the result of one step on `case` (the case *after* the step)
/// on `today`. `case_no` is the number printed for the household.
pub fn documents(
    case: &Case,
    effects: &[Effect],
    office: &Office,
    case_no: &str,
    cal: &Calendar,
    today: NaiveDate,
) -> Vec<Document> {
    effects
        .iter()
        .map(|e| document(case, e, office, case_no, cal, today))
        .collect()
}

fn footer(office: &Office, today: NaiveDate) -> String {
    format!(
        "\n咨询电话：{}　举报电话：{}\n{}\n{}",
        office.hotline,
        office.report_phone,
        office.township_name,
        cn_date(today)
    )
}

fn applicant_masked(case: &Case) -> String {
    case.application
        .household
        .applicant()
        .map(|a| a.name.masked())
        .unwrap_or_else(|| "申请人".into())
}

fn household_letter(
    case: &Case,
    kind: DocumentKind,
    office: &Office,
    case_no: &str,
    today: NaiveDate,
    body: &str,
) -> String {
    format!(
        "{title}\n案号：{case_no}\n{name}：\n　　您于{received}提出的{kind}申请，{body}{footer}",
        title = kind.label_zh(),
        name = applicant_masked(case),
        received = cn_date(case.received_on),
        kind = case.application.assistance_type.label_zh(),
        footer = footer(office, today),
    )
}

fn staff(
    kind_text: String,
    case_no: &str,
    deadline: Option<NaiveDate>,
) -> (String, Option<NaiveDate>) {
    (format!("工作提示（案号 {case_no}）：{kind_text}"), deadline)
}

fn document(
    case: &Case,
    effect: &Effect,
    office: &Office,
    case_no: &str,
    cal: &Calendar,
    today: NaiveDate,
) -> Document {
    let letter = |kind: DocumentKind, body: String, deadline: Option<NaiveDate>| Document {
        kind,
        audience: Audience::Household,
        issued_on: today,
        text: household_letter(case, kind, office, case_no, today, &body),
        deadline,
        effect: effect.clone(),
    };
    let alert = |audience: Audience, (text, deadline): (String, Option<NaiveDate>)| Document {
        kind: DocumentKind::StaffAlert,
        audience,
        issued_on: today,
        text,
        deadline,
        effect: effect.clone(),
    };
    let village = &case.application.household.village;
    match effect {
        Effect::Notify {
            to: Recipient::Applicant,
            notice,
        } => household_document(case, notice, office, cal, today, letter),
        Effect::Notify { to, notice } => {
            let audience = match to {
                Recipient::TownshipClerk | Recipient::Applicant => Audience::Township,
                Recipient::TownshipLeader => Audience::TownshipLeader,
                Recipient::DistrictBureau => Audience::District,
            };
            alert(audience, staff_text(notice, case_no))
        }
        Effect::Overdue { deadline, due } => alert(
            // Escalated: the leader in charge sees every missed deadline once.
            Audience::TownshipLeader,
            staff(
                format!(
                    "{}已于{}届满，尚未办理，请督促经办人员立即办理。",
                    deadline.label_zh(),
                    cn_date(*due)
                ),
                case_no,
                Some(*due),
            ),
        ),
        Effect::DoneLate {
            deadline,
            due,
            done_on,
        } => alert(
            Audience::Township,
            staff(
                format!(
                    "{}届满日为{}，于{}办理，超过时限。",
                    deadline.label_zh(),
                    cn_date(*due),
                    cn_date(*done_on)
                ),
                case_no,
                None,
            ),
        ),
        Effect::PostPublicity {
            village,
            round,
            name,
            household_size,
            include,
            amount,
            from,
            until,
        } => Document {
            kind: DocumentKind::Publicity,
            audience: Audience::Public,
            issued_on: today,
            text: format!(
                "{type_}初审意见公示（第{round}次）\n{village}：{name}，家庭人口{household_size}人，{opinion}。\n公示期：{from}至{until}。对公示内容有异议的，请在公示期内实名向{township}反映，或在救助通自助终端提出。{footer}",
                type_ = case.application.assistance_type.label_zh(),
                name = name.masked(),
                opinion = match (include, amount) {
                    (true, Some(a)) => format!("拟纳入，拟每月救助{a}"),
                    (true, None) => "拟纳入".into(),
                    (false, _) => "拟不纳入".into(),
                },
                from = cn_date(*from),
                until = cn_date(*until),
                township = office.township_name,
                footer = footer(office, today),
            ),
            deadline: Some(*until),
            effect: effect.clone(),
        },
        Effect::Publish(p) => Document {
            kind: DocumentKind::Publication,
            audience: Audience::Public,
            issued_on: today,
            text: format!(
                "{type_}公布\n{village}：{name}，家庭人口{size}人{amount}。{footer}",
                type_ = case.application.assistance_type.label_zh(),
                village = p.village,
                name = p.name.masked(),
                size = p.household_size,
                amount = p.amount.map(|a| format!("，每月{a}")).unwrap_or_default(),
                footer = footer(office, today),
            ),
            deadline: None,
            effect: effect.clone(),
        },
        Effect::FileWithDistrict { decided_on, amount } => Document {
            kind: DocumentKind::DistrictFiling,
            audience: Audience::District,
            issued_on: today,
            text: format!(
                "备案（案号 {case_no}）：{township}于{decided}审核确认{village}{name}的{type_}申请{amount}，确认审批表及相关材料报区民政局备案。",
                township = office.township_name,
                decided = cn_date(*decided_on),
                name = applicant_masked(case),
                type_ = case.application.assistance_type.label_zh(),
                amount = amount.map(|a| format!("，每月{a}")).unwrap_or_default(),
            ),
            deadline: None,
            effect: effect.clone(),
        },
    }
}

fn household_document(
    case: &Case,
    notice: &Notice,
    office: &Office,
    cal: &Calendar,
    today: NaiveDate,
    letter: impl Fn(DocumentKind, String, Option<NaiveDate>) -> Document,
) -> Document {
    let type_ = case.application.assistance_type.label_zh();
    match notice {
        Notice::Accepted { investigation_due } => {
            let total = case.total_due(cal);
            letter(
                DocumentKind::Acceptance,
                format!(
                    "已于{today}受理。乡镇（街道）将在{due}前开始家庭经济状况调查，可能通过信息核对、入户调查、邻里访问、信函索证等方式了解情况，请如实配合。审核确认自受理之日起{limit}个工作日内办结{total}。",
                    today = cn_date(today),
                    due = cn_date(*investigation_due),
                    limit = case.total_limit(),
                    total = total
                        .map(|d| format!("（{}前）", cn_date(d)))
                        .unwrap_or_default(),
                ),
                None,
            )
        }
        Notice::MissingMaterials {
            materials,
            unsigned,
            deadline,
            note,
        } => {
            let mut body = String::from("经审查，申请材料尚不齐全。请在");
            body.push_str(&cn_date(*deadline));
            body.push_str("（含当日）前补齐下列全部事项：");
            let mut n = 0;
            for m in materials {
                n += 1;
                body.push_str(&format!("\n　　{n}. 提交{}", m.label_zh()));
            }
            for p in unsigned {
                n += 1;
                body.push_str(&format!(
                    "\n　　{n}. {}签署家庭经济状况核对授权书",
                    p.masked()
                ));
            }
            if !note.trim().is_empty() {
                body.push_str(&format!("\n　　说明：{}", note.trim()));
            }
            body.push_str(&format!(
                "\n　　可以到任一救助通自助终端（“申请救助”“签署授权”）或{}便民服务中心办理；行动不便的，可请村（社区）工作人员协助。本告知书已一次性列明全部所缺事项。逾期未补齐的，视为自动放弃申请。",
                office.township_name
            ));
            letter(DocumentKind::MissingMaterials, body, Some(*deadline))
        }
        Notice::Abandoned { deadline } => letter(
            DocumentKind::Abandoned,
            format!(
                "一次性告知书所列事项未在{}前补齐，依照规定视为自动放弃申请，本案办结。如仍有困难，可以随时重新申请。",
                cn_date(*deadline)
            ),
            None,
        ),
        Notice::InvestigationStarted => letter(
            DocumentKind::InvestigationStarted,
            format!(
                "家庭经济状况调查已于{}开始。工作人员将通过信息核对、入户调查、邻里访问、信函索证等方式核实家庭人口、收入和财产情况，请如实提供情况并配合入户。",
                cn_date(today)
            ),
            None,
        ),
        Notice::RecheckResult { eligible, summary } => {
            let (how, income) = findings_words(case);
            let objected = case
                .objections
                .iter()
                .rev()
                .find(|o| o.target == crate::workflow::ObjectionTarget::Findings)
                .map(|o| format!("您于{}对调查结果提出异议，", cn_date(o.raised_on)))
                .unwrap_or_default();
            let summary = summary.trim().trim_end_matches('。');
            let body = if *eligible {
                format!(
                    "{objected}经复查{how}，您的家庭符合{type_}条件，申请转入乡镇（街道）初审。\n　　复查情况：{summary}。{income}\n　　初审意见将在{village}张榜公示，届时另行书面告知。",
                    village = case.application.household.village,
                )
            } else {
                format!(
                    "{objected}经复查{how}，您的家庭仍不符合{type_}条件。\n　　理由：{summary}。{income}\n　　{rights}",
                    rights = findings_rights(&office.township_name),
                )
            };
            letter(DocumentKind::RecheckResult, body, None)
        }
        Notice::NotEligible { summary } => {
            let (how, income) = findings_words(case);
            letter(
                DocumentKind::NotEligible,
                format!(
                    "经家庭经济状况调查{how}，您的家庭目前不符合{type_}条件。\n　　理由：{summary}。{income}\n　　{rights}",
                    summary = summary.trim().trim_end_matches('。'),
                    rights = findings_rights(&office.township_name),
                ),
                None,
            )
        }
        Notice::PublicityPosted { round, until } => {
            let opinion = case.opinions.last();
            let what = match opinion {
                Some(o) if o.include => match o.amount {
                    Some(a) => format!("拟纳入{type_}，拟每月救助{a}"),
                    None => format!("拟纳入{type_}"),
                },
                Some(o) => format!("拟不纳入{type_}，理由：{}", o.reasons.trim()),
                None => "初审意见".into(),
            };
            letter(
                DocumentKind::PublicityNotice,
                format!(
                    "乡镇（街道）初审意见为：{what}。该意见已于{today}在{village}张榜公示（第{round}次），公示期至{until}。公示期内，您和其他群众都可以实名提出异议（救助通自助终端或便民服务中心）。",
                    today = cn_date(today),
                    village = case.application.household.village,
                    until = cn_date(*until),
                ),
                Some(*until),
            )
        }
        Notice::Approved { amount } => letter(
            DocumentKind::Approval,
            format!(
                "经审核确认，决定给予{type_}{amount}，决定日期为{today}。结果将在{village}公布，只公布姓名、家庭人口和救助金额。家庭人口、收入或财产发生变化的，请及时告知乡镇（街道）。",
                amount = amount.map(|a| format!("，每月{a}")).unwrap_or_default(),
                today = cn_date(today),
                village = case.application.household.village,
            ),
            None,
        ),
        Notice::Refused { reasons } => {
            let review_by = period_end_days(cal, today, REVIEW_APPLICATION_DAYS);
            let suit_by = period_end_months(cal, today, LAWSUIT_MONTHS);
            letter(
                DocumentKind::Refusal,
                format!(
                    "经审核确认，决定不予确认{type_}。\n　　理由：{reasons}。\n　　如不服本决定，可以自收到本决定书之日起六十日内向区人民政府申请行政复议（今日收到的，至{review}止），也可以自收到之日起六个月内依法向人民法院提起行政诉讼（今日收到的，至{suit}止）。情况发生变化的，可以重新申请。",
                    reasons = reasons.trim().trim_end_matches('。'),
                    review = cn_date(review_by),
                    suit = cn_date(suit_by),
                ),
                Some(review_by),
            )
        }
        Notice::TimeLimitExtended { reason, due } => letter(
            DocumentKind::Extension,
            format!(
                "因{reason}，审核确认办理时限依照规定延长至{TOTAL_LIMIT_EXTENDED}个工作日，将于{due}前办结。",
                reason = extension_reason(*reason),
                due = cn_date(*due),
            ),
            None,
        ),
        Notice::Withdrawn => letter(
            DocumentKind::Withdrawal,
            format!(
                "已于{}按您的要求撤回，本案办结。如仍有困难，可以随时重新申请。",
                cn_date(today)
            ),
            None,
        ),
        other => {
            // A staff notice addressed to the applicant would be a workflow bug; keep it as a
            // plain letter rather than lose it.
            let (text, deadline) = staff_text(other, "");
            letter(DocumentKind::StaffAlert, text, deadline)
        }
    }
}

fn staff_text(notice: &Notice, case_no: &str) -> (String, Option<NaiveDate>) {
    match notice {
        Notice::ApplicationReceived { acceptance_due } => staff(
            format!(
                "收到新申请，请在{}前受理，或一次性告知所缺材料。",
                cn_date(*acceptance_due)
            ),
            case_no,
            Some(*acceptance_due),
        ),
        Notice::MaterialsComplete { acceptance_due } => staff(
            format!("所缺材料已补齐，请在{}前受理。", cn_date(*acceptance_due)),
            case_no,
            Some(*acceptance_due),
        ),
        Notice::RelativeDeclarationToFile => staff(
            "申请人申明有近亲属为低保经办人员或村（社区）干部，请办理备案登记后再初审。".into(),
            case_no,
            None,
        ),
        Notice::FindingsObjected { needs_help } => staff(
            format!(
                "申请人对调查结果提出异议，请审核其证明材料并组织复查{}。",
                if *needs_help {
                    "；申请人称证明材料难以取得，请协助调取"
                } else {
                    ""
                }
            ),
            case_no,
            None,
        ),
        Notice::PublicityObjected => staff(
            "公示期内有人实名提出异议，请重新组织调查或开展民主评议。".into(),
            case_no,
            None,
        ),
        Notice::ReadyForConfirmation => staff("公示期满无异议，请审核确认。".into(), case_no, None),
        Notice::ReadyForReport => staff(
            "公示期满无异议，请将初审意见及材料报送区民政局。".into(),
            case_no,
            None,
        ),
        Notice::ReportedForDecision { decision_due } => staff(
            format!(
                "收到乡镇（街道）报送，请在{}前审核确认。",
                cn_date(*decision_due)
            ),
            case_no,
            Some(*decision_due),
        ),
        Notice::Withdrawn => staff("申请人已撤回申请，本案办结。".into(), case_no, None),
        Notice::Accepted { .. }
        | Notice::MissingMaterials { .. }
        | Notice::Abandoned { .. }
        | Notice::InvestigationStarted
        | Notice::NotEligible { .. }
        | Notice::RecheckResult { .. }
        | Notice::PublicityPosted { .. }
        | Notice::Approved { .. }
        | Notice::Refused { .. }
        | Notice::TimeLimitExtended { .. } => staff(
            "一份给申请人的告知书已生成，请关注送达情况。".into(),
            case_no,
            None,
        ),
    }
}

/// How the latest findings were established ("（通过信息核对、入户调查）") and the per-capita
/// income they found ("经核算，家庭月人均收入为…。"), each empty when not recorded.
fn findings_words(case: &Case) -> (String, String) {
    let last = case.findings.last();
    let income = last
        .and_then(|f| f.per_capita_income)
        .map(|m| format!("经核算，家庭月人均收入为{m}。"))
        .unwrap_or_default();
    // the methods used, as the household should know how its situation was established
    let how = last
        .map(|f| {
            f.methods
                .iter()
                .map(|m| m.label_zh())
                .collect::<Vec<_>>()
                .join("、")
        })
        .filter(|m| !m.is_empty())
        .map(|m| format!("（通过{m}）"))
        .unwrap_or_default();
    (how, income)
}

/// The household's rights against not-eligible findings.
fn findings_rights(township: &str) -> String {
    format!(
        "如对调查结果有异议，可以提供相关证明材料申请复查：在乡镇（街道）提出初审意见之前，到救助通自助终端“进度查询”或{township}便民服务中心提出；证明材料难以取得的，可以请乡镇（街道）协助。初审意见公示期间，也可以对公示内容提出异议。"
    )
}

/// The text message telling the household a document waits, with no name, no identity number
/// and no reasons: the case number, the document's title, its deadline, and where to read it.
pub fn sms_text(
    kind: DocumentKind,
    case_no: &str,
    deadline: Option<NaiveDate>,
    office: &Office,
) -> String {
    // What the date means for this document: something to do by then, or a right's last day.
    let by = deadline
        .map(|d| match kind {
            DocumentKind::MissingMaterials => format!("，请于{}前补齐", cn_date(d)),
            DocumentKind::PublicityNotice => format!("，公示至{}", cn_date(d)),
            DocumentKind::Refusal => format!("，如不服可于{}前申请行政复议", cn_date(d)),
            _ => format!("，期限至{}", cn_date(d)),
        })
        .unwrap_or_default();
    format!(
        "【救助通】您的救助申请（案号{case_no}）有一份{}{by}。请持身份证到救助通自助终端“进度查询”查看，或致电{}。",
        kind.label_zh(),
        office.hotline
    )
}

/// A step the household, or any resident, takes at a kiosk: its printed receipt (回执).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentStep {
    /// A document was read at the kiosk and its receipt confirmed (送达).
    NoticeReceived(DocumentKind),
    /// The application was withdrawn.
    Withdrawal,
    /// The applicant objected to the findings and asked for a re-check (复查).
    FindingsObjection {
        /// The township was asked to help obtain evidence.
        needs_help: bool,
    },
    /// A named objection to a 公示.
    PublicityObjection,
}

/// The receipt of `step` by `person_masked` (a masked name) on `today`.
pub fn receipt_text(
    step: ResidentStep,
    case_no: &str,
    person_masked: &str,
    today: NaiveDate,
    office: &Office,
) -> String {
    let day = cn_date(today);
    let (title, body) = match step {
        ResidentStep::NoticeReceived(kind) => (
            "送达回执",
            format!(
                "{person_masked}已于{day}在救助通自助终端阅读并领取《{}》。",
                kind.label_zh()
            ),
        ),
        ResidentStep::Withdrawal => (
            "撤回申请回执",
            format!("{person_masked}已于{day}撤回申请，本案办结。如仍有困难，可以随时重新申请。"),
        ),
        ResidentStep::FindingsObjection { needs_help } => (
            "复查申请回执",
            format!(
                "{person_masked}已于{day}对家庭经济状况调查结果提出异议并申请复查。乡镇（街道）将审核您提供的证明材料并组织复查{}，复查结果将书面告知。",
                if needs_help {
                    "；您说明证明材料难以取得，乡镇（街道）将协助调取"
                } else {
                    ""
                }
            ),
        ),
        ResidentStep::PublicityObjection => (
            "公示异议回执",
            format!(
                "{person_masked}已于{day}对该公示实名提出异议。乡镇（街道）将重新组织调查或者开展民主评议；您的身份信息只用于核实，不向被反映的家庭公开。"
            ),
        ),
    };
    format!("{title}\n案号：{case_no}\n{body}{}", footer(office, today))
}

#[cfg(test)]
mod tests;
