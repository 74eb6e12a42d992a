//! The review procedure of 《涪陵区社会救助网上申请办理流程（试行）》 (附件 一–四; domain.md §2) as a
//! pure state machine.
//!
//! A [`Case`] is created by [`Case::submit`] and moved on by [`next`]`(case, event, now, calendar)`,
//! where an [`Event`] is an [`Action`] together with the [`Actor`] taking it; `next` returns the new case and the [`Effect`]s the caller carries out (notices, postings,
//! filings), or a [`WorkflowError`] that names the missing step or the required role. Nothing
//! here reads a clock or does I/O: `now` and the [`Calendar`] are parameters. Timers are the
//! [`Action::Tick`] the central service sends (at least daily) as [`Role::System`]; a tick
//! abandons a case whose missing-materials deadline has passed, closes a 公示 whose 7 days are
//! over and reports each missed deadline once ([`Effect::Overdue`]). [`deadlines`] lists the
//! running deadlines with their colour for staff screens.
//!
//! # The procedure
//!
//! ```text
//! submit ─▶ submitted ──accept──────────────────────────▶ accepted ──start_investigation──▶ investigating
//!              │  ▲                                                                          │
//!   notify_missing_materials (once)  supply/sign completes it                 record_findings│
//!              ▼  │                                                     ┌────────────────────┴──────────────┐
//!        awaiting_materials ──tick after the deadline──▶ abandoned      ▼ eligible             not eligible ▼
//!                                                                 investigated         findings_notified ──object_to_findings──▶ investigating (复查)
//!                                                                        └──────propose_initial_opinion (初审)───┘
//!                                                                                        ▼
//!   appraised ◀─record_appraisal── appraising ◀─start_democratic_appraisal── publicity_objected ◀─object_to_publicity── in_publicity (7 days)
//!       └────────propose_initial_opinion (new 初审, second 公示)───────▶ in_publicity    reinvestigate ─▶ investigating            │
//!                                                                                                       conclude_publicity / tick ▼
//!                               delegated township: confirm (township leader) ◀──────────────────────────────── publicity_ended
//!                               otherwise: report_to_district ─▶ awaiting_district ─▶ confirm (district bureau, 10 working days)
//!                                                   confirm ─▶ approved ──publish──▶ published        confirm(refuse) ─▶ refused
//! ```
//!
//! `withdraw` ends any case before the decision; `declare_staff_relative` may come at any time
//! before the decision and must be filed (`file_relatives_declaration`, 备案登记) before the
//! 初审 and before the decision; `extend_time_limit` records the reason for the 40-day limit.
//!
//! # Days
//!
//! "Within N working days of day D" means by the end of the Nth working day after D, D itself
//! not counted ([`Calendar::add_working_days`]); the Civil Code counts periods the same way
//! (民法典 第二百零一条: the starting day is not counted). The 7-day 公示 is in calendar days: posted
//! on D, it runs D+1 … D+7 and can be concluded from D+8; objections are taken from D to D+7.
//! Dates are China Standard Time dates of `now` ([`china_date`]).
//!
//! | rule (seed) | constant |
//! |---|---|
//! | 受理 within 2 working days of receiving the application (or the supplied materials) | [`ACCEPTANCE_WORKING_DAYS`] |
//! | 调查 starts within 2 working days of acceptance | [`INVESTIGATION_START_WORKING_DAYS`] |
//! | 公示 7 days | [`PUBLICITY_CALENDAR_DAYS`] |
//! | 区民政局 decides within 10 working days of receiving the report | [`DISTRICT_DECISION_WORKING_DAYS`] |
//! | whole 审核确认 within 20 (delegated) / 25 working days of acceptance, 40 when extended | [`TOTAL_LIMIT_DELEGATED`], [`TOTAL_LIMIT`], [`TOTAL_LIMIT_EXTENDED`] |
//!
//! # Storage
//!
//! `Case`, [`CaseState`], [`Event`] ([`Actor`] + [`Action`]) and [`Effect`] are serde types; the central service stores a
//! case as JSON and `state` as its snake_case name ([`CaseState::name`]). Identity numbers and
//! names are written in full in JSON (the stored case is the archive) and masked in `Debug`.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::application::{
    Application, ApplicationError, Material, StaffRelative, SuppliedMaterial, is_sha256_hex,
};
use crate::calendar::{Calendar, add_calendar_days, calendar_days_between};
use crate::household::{AssistanceType, Money, TypeAvailability};
use crate::id::{IdNumber, PersonName};

/// 受理: the township accepts, or sends the missing-materials notice, within this many working
/// days of receiving the application (附件 一(二)).
pub const ACCEPTANCE_WORKING_DAYS: u32 = 2;
/// 家庭经济状况调查 starts within this many working days of acceptance (附件 二).
pub const INVESTIGATION_START_WORKING_DAYS: u32 = 2;
/// 公示 lasts this many calendar days (附件 三(二)).
pub const PUBLICITY_CALENDAR_DAYS: u32 = 7;
/// The district bureau decides within this many working days of receiving the report (附件 三(三)2).
pub const DISTRICT_DECISION_WORKING_DAYS: u32 = 10;
/// The whole review, acceptance to decision, in a township with delegated authority (附件 四).
pub const TOTAL_LIMIT_DELEGATED: u32 = 20;
/// The whole review, acceptance to decision, otherwise (附件 四).
pub const TOTAL_LIMIT: u32 = 25;
/// The limit when extended for a recorded reason (附件 四).
pub const TOTAL_LIMIT_EXTENDED: u32 = 40;

/// The China Standard Time (UTC+8) date of an instant.
pub fn china_date(now: DateTime<Utc>) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    now.with_timezone(&cst).date_naive()
}

// ---------------------------------------------------------------------------------------------
// Roles and actors
// ---------------------------------------------------------------------------------------------

/// Who acts (domain.md §5), plus the system timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The applicant or a household member, identified at the kiosk.
    Applicant,
    /// The agent recorded on the application (委托代办).
    Agent,
    /// Any resident identified at the kiosk by card, lodging a named (实名) objection to a 公示.
    Resident,
    /// A village or community helper (村/社区) assisting at the kiosk.
    VillageHelper,
    /// A township clerk (乡镇/街道 民政办).
    TownshipClerk,
    /// The township leader in charge, or the section head (分管领导/业务科室负责人).
    TownshipLeader,
    /// The district civil-affairs bureau (区民政局).
    DistrictBureau,
    /// The timer of the central service.
    System,
}

impl Role {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Applicant => "申请人",
            Role::Agent => "受托代办人",
            Role::Resident => "实名反映群众",
            Role::VillageHelper => "村（社区）协办人员",
            Role::TownshipClerk => "乡镇（街道）民政经办人员",
            Role::TownshipLeader => "乡镇（街道）分管领导",
            Role::DistrictBureau => "区民政局",
            Role::System => "系统定时任务",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Agent => "agent",
            Role::Resident => "resident (named)",
            Role::VillageHelper => "village helper",
            Role::TownshipClerk => "township clerk",
            Role::TownshipLeader => "township leader",
            Role::DistrictBureau => "district bureau",
            Role::System => "system timer",
        }
    }

    fn is_township_staff(self) -> bool {
        matches!(
            self,
            Role::VillageHelper | Role::TownshipClerk | Role::TownshipLeader
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.label_en())
    }
}

/// The roles allowed to take a step, for error messages: "A or B".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roles(pub Vec<Role>);

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Who sends an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The role they act in.
    pub role: Role,
    /// Staff account, kiosk session or `system`; recorded in the history.
    pub account: String,
    /// The township code the staff member belongs to (required for village and township roles,
    /// which may act only on cases of their own township).
    #[serde(default)]
    pub township: Option<String>,
}

impl Actor {
    /// An actor without a township (applicant, agent, district, system).
    pub fn new(role: Role, account: impl Into<String>) -> Actor {
        Actor {
            role,
            account: account.into(),
            township: None,
        }
    }

    /// A village or township staff member of `township`.
    pub fn staff(role: Role, account: impl Into<String>, township: impl Into<String>) -> Actor {
        Actor {
            role,
            account: account.into(),
            township: Some(township.into()),
        }
    }

    /// The timer.
    pub fn system() -> Actor {
        Actor::new(Role::System, "system")
    }
}

// ---------------------------------------------------------------------------------------------
// Steps, states, deadlines
// ---------------------------------------------------------------------------------------------

/// The steps of the procedure, named in errors ("… needs 受理 first").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 申请.
    Application,
    /// 受理.
    Acceptance,
    /// 补齐材料.
    MaterialsSupplement,
    /// 近亲属申明备案登记.
    RelativesFiling,
    /// 启动家庭经济状况调查.
    InvestigationStart,
    /// 家庭经济状况调查结论.
    Investigation,
    /// 公示异议 (the step that re-investigation or appraisal answers).
    PublicityObjection,
    /// 民主评议.
    DemocraticAppraisal,
    /// 初审.
    InitialOpinion,
    /// 公示 (its 7 days completed).
    Publicity,
    /// 报送区民政局.
    ReportToDistrict,
    /// 确认.
    Confirmation,
    /// 公布.
    Publication,
}

impl Step {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Application => "申请",
            Step::Acceptance => "受理",
            Step::MaterialsSupplement => "补齐材料",
            Step::RelativesFiling => "近亲属申明备案登记",
            Step::InvestigationStart => "启动家庭经济状况调查",
            Step::Investigation => "家庭经济状况调查结论",
            Step::PublicityObjection => "公示异议",
            Step::DemocraticAppraisal => "民主评议",
            Step::InitialOpinion => "初审",
            Step::Publicity => "公示期满",
            Step::ReportToDistrict => "报送区民政局",
            Step::Confirmation => "审核确认",
            Step::Publication => "公布",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Step::Application => "application",
            Step::Acceptance => "acceptance",
            Step::MaterialsSupplement => "supplying the missing materials",
            Step::RelativesFiling => "filing the close-relative declaration",
            Step::InvestigationStart => "starting the investigation",
            Step::Investigation => "the investigation findings",
            Step::PublicityObjection => "an objection to the publicity",
            Step::DemocraticAppraisal => "democratic appraisal",
            Step::InitialOpinion => "the initial opinion",
            Step::Publicity => "the end of the 7-day publicity",
            Step::ReportToDistrict => "the report to the district bureau",
            Step::Confirmation => "confirmation",
            Step::Publication => "publication",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.label_en())
    }
}

/// Where a case stands. Its data lives in the [`Case`] fields; the state is a plain name so the
/// central service can index it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Received, waiting for the township's acceptance review (2 working days).
    Submitted,
    /// The single missing-materials notice was sent; waiting for the household until its deadline.
    AwaitingMaterials,
    /// Accepted; the investigation must start within 2 working days.
    Accepted,
    /// The economic-status investigation (or a re-check, 复查) is under way.
    Investigating,
    /// The investigation found the household not eligible and the 调查结果通知书 was sent; the
    /// applicant may object with evidence, or the township proceeds to the 初审.
    FindingsNotified,
    /// The investigation found the household eligible; waiting for the 初审.
    Investigated,
    /// The 初审 opinion is posted in the village for 7 days.
    InPublicity,
    /// Someone objected to the 公示; the township re-investigates or holds a democratic appraisal.
    PublicityObjected,
    /// Democratic appraisal (民主评议) under way.
    Appraising,
    /// Democratic appraisal concluded; waiting for the new 初审.
    Appraised,
    /// The 公示 ended without objection; waiting for confirmation (delegated township) or for the
    /// report to the district.
    PublicityEnded,
    /// Reported to the district bureau, which decides within 10 working days.
    AwaitingDistrict,
    /// Confirmed with an amount; waiting for publication in the village.
    Approved,
    /// Published (公布). Final.
    Published,
    /// Not confirmed; the applicant was told why in writing. Final.
    Refused,
    /// The missing materials did not arrive by the deadline (视为自动放弃). Final.
    Abandoned,
    /// Withdrawn by the applicant. Final.
    Withdrawn,
}

/// The three stages applicants see (申请—审核—确认, seed §二(三)), plus closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 救助申请.
    Application,
    /// 救助审核.
    Review,
    /// 救助确认.
    Confirmation,
    /// 办结.
    Closed,
}

impl Phase {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Phase::Application => "救助申请",
            Phase::Review => "救助审核",
            Phase::Confirmation => "救助确认",
            Phase::Closed => "办结",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Phase::Application => "application",
            Phase::Review => "review",
            Phase::Confirmation => "confirmation",
            Phase::Closed => "closed",
        }
    }
}

impl CaseState {
    /// The snake_case name used in JSON and in the central service's index.
    pub fn name(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::AwaitingMaterials => "awaiting_materials",
            CaseState::Accepted => "accepted",
            CaseState::Investigating => "investigating",
            CaseState::FindingsNotified => "findings_notified",
            CaseState::Investigated => "investigated",
            CaseState::InPublicity => "in_publicity",
            CaseState::PublicityObjected => "publicity_objected",
            CaseState::Appraising => "appraising",
            CaseState::Appraised => "appraised",
            CaseState::PublicityEnded => "publicity_ended",
            CaseState::AwaitingDistrict => "awaiting_district",
            CaseState::Approved => "approved",
            CaseState::Published => "published",
            CaseState::Refused => "refused",
            CaseState::Abandoned => "abandoned",
            CaseState::Withdrawn => "withdrawn",
        }
    }

    /// Chinese label for status screens.
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseState::Submitted => "已提交，等乡镇接收",
            CaseState::AwaitingMaterials => "待补齐材料",
            CaseState::Accepted => "乡镇已接收，等调查",
            CaseState::Investigating => "家庭经济状况调查中",
            CaseState::FindingsNotified => "已告知调查结果",
            CaseState::Investigated => "调查完毕，待初审",
            CaseState::InPublicity => "初审意见公示中",
            CaseState::PublicityObjected => "公示有异议，待复核",
            CaseState::Appraising => "民主评议中",
            CaseState::Appraised => "民主评议完毕，待初审",
            CaseState::PublicityEnded => "公示期满，待确认",
            CaseState::AwaitingDistrict => "区民政局审核确认中",
            CaseState::Approved => "已确认同意，待公布",
            CaseState::Published => "已公布",
            CaseState::Refused => "不予确认",
            CaseState::Abandoned => "视为自动放弃",
            CaseState::Withdrawn => "已撤回",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted, awaiting acceptance",
            CaseState::AwaitingMaterials => "awaiting missing materials",
            CaseState::Accepted => "accepted, investigation to start",
            CaseState::Investigating => "investigation under way",
            CaseState::FindingsNotified => "findings notified",
            CaseState::Investigated => "investigated, awaiting initial opinion",
            CaseState::InPublicity => "initial opinion posted",
            CaseState::PublicityObjected => "objection to the posting",
            CaseState::Appraising => "democratic appraisal under way",
            CaseState::Appraised => "appraised, awaiting initial opinion",
            CaseState::PublicityEnded => "posting ended, awaiting confirmation",
            CaseState::AwaitingDistrict => "with the district bureau",
            CaseState::Approved => "approved, awaiting publication",
            CaseState::Published => "published",
            CaseState::Refused => "refused",
            CaseState::Abandoned => "deemed abandoned",
            CaseState::Withdrawn => "withdrawn",
        }
    }

    /// Whether no event can change the case any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::Published | CaseState::Refused | CaseState::Abandoned | CaseState::Withdrawn
        )
    }

    /// Whether the decision (确认) has been made or the case ended before it.
    pub fn is_decided(self) -> bool {
        self.is_final() || self == CaseState::Approved
    }

    /// The stage shown to applicants.
    pub fn phase(self) -> Phase {
        match self {
            CaseState::Submitted | CaseState::AwaitingMaterials => Phase::Application,
            CaseState::Accepted
            | CaseState::Investigating
            | CaseState::FindingsNotified
            | CaseState::Investigated
            | CaseState::InPublicity
            | CaseState::PublicityObjected
            | CaseState::Appraising
            | CaseState::Appraised => Phase::Review,
            CaseState::PublicityEnded | CaseState::AwaitingDistrict | CaseState::Approved => {
                Phase::Confirmation
            }
            CaseState::Published
            | CaseState::Refused
            | CaseState::Abandoned
            | CaseState::Withdrawn => Phase::Closed,
        }
    }

    /// How many steps of the main line are done (0 = none, 8 = published).
    fn progress(self) -> u8 {
        match self {
            CaseState::Submitted | CaseState::AwaitingMaterials => 0,
            CaseState::Accepted => 1,
            CaseState::Investigating => 2,
            CaseState::FindingsNotified | CaseState::Investigated | CaseState::Appraised => 3,
            CaseState::InPublicity | CaseState::PublicityObjected | CaseState::Appraising => 4,
            CaseState::PublicityEnded => 5,
            CaseState::AwaitingDistrict => 6,
            CaseState::Approved | CaseState::Refused => 7,
            CaseState::Published => 8,
            CaseState::Abandoned | CaseState::Withdrawn => 0,
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.label_zh(), self.name())
    }
}

/// The step that follows `progress` main-line steps.
fn main_step(progress: u8, delegated: bool) -> Step {
    match progress {
        0 => Step::Acceptance,
        1 => Step::InvestigationStart,
        2 => Step::Investigation,
        3 => Step::InitialOpinion,
        4 => Step::Publicity,
        5 if delegated => Step::Confirmation,
        5 => Step::ReportToDistrict,
        6 => Step::Confirmation,
        _ => Step::Publication,
    }
}

/// The kinds of deadline a case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// 受理 (or the missing-materials notice) within 2 working days of receipt.
    Acceptance,
    /// The household's deadline for the missing materials.
    Supplement,
    /// Investigation start within 2 working days of acceptance.
    InvestigationStart,
    /// End of the 7-day 公示 (calendar days).
    PublicityEnd,
    /// District decision within 10 working days of the report.
    DistrictDecision,
    /// The whole review: 20 / 25 / 40 working days from acceptance.
    Total,
}

impl DeadlineKind {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "受理时限",
            DeadlineKind::Supplement => "补齐材料期限",
            DeadlineKind::InvestigationStart => "启动调查时限",
            DeadlineKind::PublicityEnd => "公示期",
            DeadlineKind::DistrictDecision => "区民政局审核确认时限",
            DeadlineKind::Total => "审核确认办理时限",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "acceptance",
            DeadlineKind::Supplement => "missing materials",
            DeadlineKind::InvestigationStart => "investigation start",
            DeadlineKind::PublicityEnd => "publicity period",
            DeadlineKind::DistrictDecision => "district decision",
            DeadlineKind::Total => "whole review",
        }
    }
}

/// Deadline colour on staff screens (domain.md §2, after OpenSPP's grievance SLA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineColour {
    /// More than 25 % of the allowed time left.
    Green,
    /// 10–25 % left.
    Amber,
    /// Less than 10 % left (the due day itself is red).
    Red,
    /// Past the deadline (shown red, with the number of days over).
    Overdue,
}

impl DeadlineColour {
    /// The colour for `left` of `allowed` days: green above 25 %, amber from 10 % to 25 %, red
    /// below 10 %.
    pub fn of(allowed: u32, left: u32) -> DeadlineColour {
        let (allowed, left) = (u64::from(allowed.max(1)), u64::from(left));
        if left * 100 > allowed * 25 {
            DeadlineColour::Green
        } else if left * 100 >= allowed * 10 {
            DeadlineColour::Amber
        } else {
            DeadlineColour::Red
        }
    }

    /// Whether the screen shows it red (red or overdue).
    pub fn is_red(self) -> bool {
        matches!(self, DeadlineColour::Red | DeadlineColour::Overdue)
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineColour::Green => "正常",
            DeadlineColour::Amber => "临近",
            DeadlineColour::Red => "紧急",
            DeadlineColour::Overdue => "已超期",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineColour::Green => "on track",
            DeadlineColour::Amber => "due soon",
            DeadlineColour::Red => "urgent",
            DeadlineColour::Overdue => "overdue",
        }
    }
}

/// Whether a deadline counts working or calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// 工作日.
    Working,
    /// 自然日.
    Calendar,
}

impl DayUnit {
    /// 工作日 / 自然日.
    pub fn label_zh(self) -> &'static str {
        match self {
            DayUnit::Working => "工作日",
            DayUnit::Calendar => "自然日",
        }
    }

    /// working days / calendar days.
    pub fn label_en(self) -> &'static str {
        match self {
            DayUnit::Working => "working days",
            DayUnit::Calendar => "calendar days",
        }
    }
}

/// One running deadline of a case, as of a given day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// Which deadline.
    pub kind: DeadlineKind,
    /// The day the period started from (not counted).
    pub from: NaiveDate,
    /// The last day.
    pub due: NaiveDate,
    /// Working or calendar days.
    pub unit: DayUnit,
    /// Days allowed in (from, due].
    pub allowed: u32,
    /// Days left after today up to the due day; 0 on the due day and after it.
    pub left: u32,
    /// Days past the due day (0 unless overdue).
    pub overdue_by: u32,
    /// The colour.
    pub colour: DeadlineColour,
    /// Years whose holiday notice was missing while computing this deadline: such a deadline
    /// counted only weekends as days off there and must be shown as provisional.
    pub unpublished_years: BTreeSet<i32>,
}

// ---------------------------------------------------------------------------------------------
// Case records
// ---------------------------------------------------------------------------------------------

/// The single missing-materials notice (一次性告知).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingNotice {
    /// The day it was sent.
    pub issued_on: NaiveDate,
    /// The last day to supply the materials.
    pub deadline: NaiveDate,
    /// Every material missing or unusable on that day.
    pub materials: Vec<Material>,
    /// Everyone who still had to sign the verification authorization.
    pub unsigned: Vec<IdNumber>,
    /// What the clerk added (e.g. which copy was unreadable).
    #[serde(default)]
    pub note: String,
    /// The day the application became complete again.
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
}

/// The result of one investigation round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Findings {
    /// The day the findings were recorded.
    pub recorded_on: NaiveDate,
    /// Whether this round was a re-check (复查) after an objection.
    pub recheck: bool,
    /// Whether the household meets the conditions.
    pub eligible: bool,
    /// The findings in words (for a not-eligible result this is the 调查结果通知书 text).
    pub summary: String,
    /// Monthly income per person as established.
    #[serde(default)]
    pub per_capita_income: Option<Money>,
    /// SHA-256 of the uploaded evidence (home-visit photos, letters, verification reports).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The methods used, each once, in the procedure's order (empty in records made before they
    /// were kept, and from clients that do not send them).
    #[serde(default)]
    pub methods: Vec<InvestigationMethod>,
}

/// What an objection was raised against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectionTarget {
    /// The not-eligible investigation findings (调查结果).
    Findings,
    /// The posted initial opinion (公示).
    Publicity,
}

impl ObjectionTarget {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ObjectionTarget::Findings => "对调查结果有异议",
            ObjectionTarget::Publicity => "公示有异议",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ObjectionTarget::Findings => "objection to the findings",
            ObjectionTarget::Publicity => "objection to the publicity",
        }
    }
}

/// An objection, to the findings or to the 公示.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objection {
    /// The day it was raised.
    pub raised_on: NaiveDate,
    /// What it objects to.
    pub target: ObjectionTarget,
    /// Who recorded it.
    pub by: Role,
    /// What is objected, in words.
    pub statement: String,
    /// SHA-256 of supporting evidence.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// The objector finds the evidence hard to obtain and asks the township for help.
    #[serde(default)]
    pub needs_help: bool,
}

/// How the household's situation was established in the 家庭经济状况调查 (the procedure's four
/// methods); the findings record those used and the notices name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvestigationMethod {
    /// 信息核对: the economic-status verification across agencies (with the signed 授权书).
    InformationCheck,
    /// 入户调查: a visit to the home.
    HomeVisit,
    /// 邻里访问: asking neighbours and the village.
    NeighbourVisit,
    /// 信函索证: written enquiries for proof (employers, banks, other places).
    LetterEnquiry,
}

impl InvestigationMethod {
    /// Every method, in the procedure's order.
    pub const ALL: [InvestigationMethod; 4] = [
        InvestigationMethod::InformationCheck,
        InvestigationMethod::HomeVisit,
        InvestigationMethod::NeighbourVisit,
        InvestigationMethod::LetterEnquiry,
    ];

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            InvestigationMethod::InformationCheck => "信息核对",
            InvestigationMethod::HomeVisit => "入户调查",
            InvestigationMethod::NeighbourVisit => "邻里访问",
            InvestigationMethod::LetterEnquiry => "信函索证",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            InvestigationMethod::InformationCheck => "information check",
            InvestigationMethod::HomeVisit => "home visit",
            InvestigationMethod::NeighbourVisit => "neighbour visit",
            InvestigationMethod::LetterEnquiry => "letter enquiry",
        }
    }
}

/// How the 初审 was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewMethod {
    /// A case without dispute, decided by the reviewers without a meeting (not allowed once the
    /// case drew an objection or needed a re-check or appraisal).
    NoDispute,
    /// A review meeting (评审会).
    ReviewMeeting,
}

impl ReviewMethod {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewMethod::NoDispute => "无争议，不召开评审会",
            ReviewMethod::ReviewMeeting => "召开评审会",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ReviewMethod::NoDispute => "undisputed, no meeting",
            ReviewMethod::ReviewMeeting => "review meeting",
        }
    }
}

/// One 初审 opinion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialOpinion {
    /// The day it was made (and posted).
    pub made_on: NaiveDate,
    /// Proposed for inclusion.
    pub include: bool,
    /// Proposed monthly amount (required when including, except 低保边缘家庭).
    pub amount: Option<Money>,
    /// How it was reached.
    pub method: ReviewMethod,
    /// The reviewers (leader in charge, 民政办 director, investigators, village cadres).
    pub reviewers: Vec<String>,
    /// Reasons, required for a proposed exclusion.
    #[serde(default)]
    pub reasons: String,
}

/// One 7-day 公示 in the village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publicity {
    /// 1 for the first posting, 2 after an objection, …
    pub round: u32,
    /// Posting day (not counted).
    pub posted_on: NaiveDate,
    /// The 7th day.
    pub ends_on: NaiveDate,
    /// Whether it drew an objection.
    pub objected: bool,
    /// The day it was concluded or interrupted by an objection.
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
}

/// A democratic appraisal (民主评议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appraisal {
    /// Start day.
    pub started_on: NaiveDate,
    /// End day.
    #[serde(default)]
    pub concluded_on: Option<NaiveDate>,
    /// The outcome in words.
    #[serde(default)]
    pub summary: String,
}

/// Why the time limit may be extended to 40 working days (附件 四).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionReason {
    /// 公示有异议 (requires a recorded objection to the 公示).
    PublicityObjection,
    /// 人户分离.
    SeparatedResidence,
    /// 异地申办.
    NonLocalApplication,
    /// 家庭经济状况调查难度较大.
    DifficultInvestigation,
}

impl ExtensionReason {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ExtensionReason::PublicityObjection => "公示有异议",
            ExtensionReason::SeparatedResidence => "人户分离",
            ExtensionReason::NonLocalApplication => "异地申办",
            ExtensionReason::DifficultInvestigation => "家庭经济状况调查难度较大",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ExtensionReason::PublicityObjection => "objection to the publicity",
            ExtensionReason::SeparatedResidence => "residence separate from household registration",
            ExtensionReason::NonLocalApplication => "application away from home",
            ExtensionReason::DifficultInvestigation => "difficult investigation",
        }
    }
}

/// The recorded extension of the time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The reason.
    pub reason: ExtensionReason,
    /// The circumstances in words.
    pub note: String,
    /// The day it was recorded.
    pub recorded_on: NaiveDate,
    /// The account that recorded it.
    pub by: String,
}

/// The confirmation decision (确认).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The day.
    pub decided_on: NaiveDate,
    /// The township leader (delegated) or the district bureau.
    pub by: Role,
    /// Approved (确认同意) or refused.
    pub approved: bool,
    /// The monthly amount when approved.
    pub amount: Option<Money>,
    /// The reasons, required when refusing.
    #[serde(default)]
    pub reasons: String,
    /// Whether a review meeting decided it.
    pub review_meeting: bool,
}

/// One line of the case history (the audit trail of the electronic archive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// In which role.
    pub role: Role,
    /// Which account.
    pub account: String,
    /// The event's name ([`Action::name`]).
    pub event: String,
    /// State before.
    pub from: CaseState,
    /// State after.
    pub to: CaseState,
}

/// One application under review, with everything that happened to it. Created by
/// [`Case::submit`], changed only by [`next`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Case id, assigned by the central service (UUIDv7 text).
    pub id: String,
    /// The application, completed during 受理.
    pub application: Application,
    /// Whether the township had delegated approval authority (审批权限已下放) at submission:
    /// its leader confirms and the limit is 20 working days; otherwise the district confirms
    /// and the limit is 25.
    pub delegated: bool,
    /// Where the case stands.
    pub state: CaseState,
    /// The day the online application was received.
    pub received_on: NaiveDate,
    /// The single missing-materials notice, once sent.
    #[serde(default)]
    pub missing_notice: Option<MissingNotice>,
    /// The day of acceptance (受理): the start of the 20/25/40-day limit.
    #[serde(default)]
    pub accepted_on: Option<NaiveDate>,
    /// How many of `application.staff_relatives` are filed (备案登记).
    #[serde(default)]
    pub relatives_filed: usize,
    /// The day the investigation started.
    #[serde(default)]
    pub investigation_started_on: Option<NaiveDate>,
    /// Investigation rounds, oldest first.
    #[serde(default)]
    pub findings: Vec<Findings>,
    /// Objections, oldest first.
    #[serde(default)]
    pub objections: Vec<Objection>,
    /// Democratic appraisals.
    #[serde(default)]
    pub appraisals: Vec<Appraisal>,
    /// 初审 opinions, oldest first; the last one is current.
    #[serde(default)]
    pub opinions: Vec<InitialOpinion>,
    /// Postings, oldest first.
    #[serde(default)]
    pub publicities: Vec<Publicity>,
    /// The day the case was reported to the district (not delegated).
    #[serde(default)]
    pub reported_on: Option<NaiveDate>,
    /// The extension of the time limit, if recorded.
    #[serde(default)]
    pub extension: Option<Extension>,
    /// The confirmation decision.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// The day of publication.
    #[serde(default)]
    pub published_on: Option<NaiveDate>,
    /// The day the case ended (published, refused, abandoned, withdrawn).
    #[serde(default)]
    pub closed_on: Option<NaiveDate>,
    /// Deadlines already reported overdue, so each is reported once.
    #[serde(default)]
    pub overdue_reported: BTreeSet<DeadlineKind>,
    /// Every transition.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

// ---------------------------------------------------------------------------------------------
// Events and effects
// ---------------------------------------------------------------------------------------------

/// What an event does to a case. JSON: `{"type": "accept"}`,
/// `{"type": "notify_missing_materials", "deadline": "2026-03-13"}`, ….
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// 受理: the clerk accepts a complete application. Township clerk.
    Accept,
    /// The single notice (一次性告知) listing *every* missing material and unsigned
    /// authorization, with the deadline; `unusable` adds uploads the clerk rejects (they are
    /// removed and counted as missing). Township clerk, once per case.
    NotifyMissingMaterials {
        /// The last day to supply them.
        deadline: NaiveDate,
        /// Uploaded materials that cannot be used.
        #[serde(default)]
        unusable: Vec<Material>,
        /// Explanation for the household.
        #[serde(default)]
        note: String,
    },
    /// Materials uploaded before acceptance. Applicant, agent or village helper.
    SupplyMaterials {
        /// The uploads.
        materials: Vec<SuppliedMaterial>,
    },
    /// A member signs the verification authorization at the kiosk. Applicant, agent or village
    /// helper (the signer is identified by the kiosk).
    SignAuthorization {
        /// Who signed.
        signer: IdNumber,
    },
    /// 近亲属申明 made after submission. Applicant or agent.
    DeclareStaffRelative {
        /// The declaration.
        relative: StaffRelative,
    },
    /// 备案登记 of every pending close-relative declaration. Township clerk.
    FileRelativesDeclaration,
    /// Starts the economic-status investigation. Township clerk.
    StartInvestigation,
    /// Records the findings of the investigation or re-check. Township clerk.
    RecordFindings {
        /// Whether the household meets the conditions.
        eligible: bool,
        /// Findings in words.
        summary: String,
        /// Monthly income per person as established.
        #[serde(default)]
        per_capita_income: Option<Money>,
        /// SHA-256 of the uploaded evidence.
        #[serde(default)]
        evidence: Vec<String>,
        /// The methods used (信息核对, 入户调查, 邻里访问, 信函索证).
        #[serde(default)]
        methods: Vec<InvestigationMethod>,
    },
    /// The applicant objects to not-eligible findings; the township reviews the evidence and
    /// re-checks (复查). Applicant or agent.
    ObjectToFindings {
        /// The objection.
        statement: String,
        /// SHA-256 of the evidence.
        #[serde(default)]
        evidence: Vec<String>,
        /// Evidence is hard to obtain: the township must help.
        #[serde(default)]
        needs_help: bool,
    },
    /// 初审: the opinion on inclusion and amount, posted the same day for 7 days. Township clerk.
    ProposeInitialOpinion {
        /// Proposed for inclusion.
        include: bool,
        /// Monthly amount when including.
        #[serde(default)]
        amount: Option<Money>,
        /// How it was reached.
        method: ReviewMethod,
        /// The reviewers.
        reviewers: Vec<String>,
        /// Reasons (required for an exclusion).
        #[serde(default)]
        reasons: String,
    },
    /// An objection to the 公示, during its 7 days. Applicant, agent, any resident identified by
    /// card (实名), village helper or township clerk (who records objections from residents).
    ObjectToPublicity {
        /// The objection.
        statement: String,
    },
    /// After an objection to the 公示: investigate again. Township clerk.
    Reinvestigate,
    /// After an objection to the 公示: hold a democratic appraisal. Township clerk.
    StartDemocraticAppraisal,
    /// Concludes the democratic appraisal. Township clerk.
    RecordAppraisal {
        /// The outcome.
        summary: String,
    },
    /// Ends the 公示 after its 7 days (a [`Action::Tick`] does the same). Township clerk.
    ConcludePublicity,
    /// Sends the 初审, the materials and the findings to the district (not delegated).
    /// Township clerk.
    ReportToDistrict,
    /// 确认: approve with an amount, or refuse with reasons. Township leader when delegated,
    /// district bureau otherwise.
    Confirm {
        /// Approve (确认同意) or refuse.
        approve: bool,
        /// Monthly amount when approving (required except for 低保边缘家庭).
        #[serde(default)]
        amount: Option<Money>,
        /// Reasons, required when refusing.
        #[serde(default)]
        reasons: String,
        /// Decided in a review meeting; required in a delegated township for a case that drew
        /// an objection or needed a re-check or appraisal.
        #[serde(default)]
        review_meeting: bool,
    },
    /// 公布 in the village: name, household size and amount only. Township clerk or leader.
    Publish,
    /// Records the reason for the 40-working-day limit. Township clerk or leader; once.
    ExtendTimeLimit {
        /// The reason.
        reason: ExtensionReason,
        /// The circumstances.
        note: String,
    },
    /// The applicant withdraws before the decision. Applicant or agent.
    Withdraw {
        /// Why, if they say.
        #[serde(default)]
        reason: String,
    },
    /// The timer. System.
    Tick,
}

/// An action and the actor taking it: the input of [`next`]. JSON:
/// `{"actor": {"role": "township_clerk", "account": "clerk-1", "township": "500102001"},
/// "action": {"type": "accept"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Who acts.
    pub actor: Actor,
    /// What they do.
    pub action: Action,
}

impl Event {
    /// `actor` takes `action`.
    pub fn new(actor: Actor, action: Action) -> Event {
        Event { actor, action }
    }

    /// The timer event ([`Action::Tick`] by [`Role::System`]).
    pub fn tick() -> Event {
        Event::new(Actor::system(), Action::Tick)
    }
}

impl Action {
    /// The snake_case name (the JSON `type`).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::NotifyMissingMaterials { .. } => "notify_missing_materials",
            Action::SupplyMaterials { .. } => "supply_materials",
            Action::SignAuthorization { .. } => "sign_authorization",
            Action::DeclareStaffRelative { .. } => "declare_staff_relative",
            Action::FileRelativesDeclaration => "file_relatives_declaration",
            Action::StartInvestigation => "start_investigation",
            Action::RecordFindings { .. } => "record_findings",
            Action::ObjectToFindings { .. } => "object_to_findings",
            Action::ProposeInitialOpinion { .. } => "propose_initial_opinion",
            Action::ObjectToPublicity { .. } => "object_to_publicity",
            Action::Reinvestigate => "reinvestigate",
            Action::StartDemocraticAppraisal => "start_democratic_appraisal",
            Action::RecordAppraisal { .. } => "record_appraisal",
            Action::ConcludePublicity => "conclude_publicity",
            Action::ReportToDistrict => "report_to_district",
            Action::Confirm { .. } => "confirm",
            Action::Publish => "publish",
            Action::ExtendTimeLimit { .. } => "extend_time_limit",
            Action::Withdraw { .. } => "withdraw",
            Action::Tick => "tick",
        }
    }

    /// Chinese label.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::NotifyMissingMaterials { .. } => "一次性告知补齐材料",
            Action::SupplyMaterials { .. } => "提交材料",
            Action::SignAuthorization { .. } => "签署核对授权书",
            Action::DeclareStaffRelative { .. } => "近亲属申明",
            Action::FileRelativesDeclaration => "近亲属申明备案登记",
            Action::StartInvestigation => "启动家庭经济状况调查",
            Action::RecordFindings { .. } => "录入调查结果",
            Action::ObjectToFindings { .. } => "对调查结果提出异议",
            Action::ProposeInitialOpinion { .. } => "初审",
            Action::ObjectToPublicity { .. } => "公示异议",
            Action::Reinvestigate => "重新调查",
            Action::StartDemocraticAppraisal => "民主评议",
            Action::RecordAppraisal { .. } => "民主评议结果",
            Action::ConcludePublicity => "公示期满",
            Action::ReportToDistrict => "报送区民政局",
            Action::Confirm { .. } => "审核确认",
            Action::Publish => "公布",
            Action::ExtendTimeLimit { .. } => "延长办理时限",
            Action::Withdraw { .. } => "撤回申请",
            Action::Tick => "定时检查",
        }
    }

    fn label(&self) -> String {
        format!("{} ({})", self.label_zh(), self.name())
    }
}

/// Who a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The applicant, and the agent when there is one.
    Applicant,
    /// The township's clerks (民政办).
    TownshipClerk,
    /// The township leader in charge.
    TownshipLeader,
    /// The district bureau.
    DistrictBureau,
}

impl Recipient {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Recipient::Applicant => "申请人",
            Recipient::TownshipClerk => "乡镇（街道）民政办",
            Recipient::TownshipLeader => "乡镇（街道）分管领导",
            Recipient::DistrictBureau => "区民政局",
        }
    }

    /// English label.
    pub fn label_en(self) -> &'static str {
        match self {
            Recipient::Applicant => "applicant",
            Recipient::TownshipClerk => "township clerks",
            Recipient::TownshipLeader => "township leader",
            Recipient::DistrictBureau => "district bureau",
        }
    }
}

/// The content of a notice. The caller renders it (screen, SMS, print) in the recipient's
/// language from these fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A new application; accept or notify by `acceptance_due`.
    ApplicationReceived {
        /// Last day for the acceptance review.
        acceptance_due: NaiveDate,
    },
    /// 已受理.
    Accepted {
        /// The investigation starts by this day.
        investigation_due: NaiveDate,
    },
    /// 一次性告知: everything missing and the deadline; not supplied by then → deemed abandoned.
    MissingMaterials {
        /// Missing materials.
        materials: Vec<Material>,
        /// Who still has to sign the verification authorization.
        unsigned: Vec<PersonName>,
        /// The last day.
        deadline: NaiveDate,
        /// The clerk's explanation.
        note: String,
    },
    /// The missing materials are complete; accept by `acceptance_due`.
    MaterialsComplete {
        /// Last day for acceptance.
        acceptance_due: NaiveDate,
    },
    /// 视为自动放弃.
    Abandoned {
        /// The deadline that passed.
        deadline: NaiveDate,
    },
    /// A close-relative declaration to file (备案登记).
    RelativeDeclarationToFile,
    /// The investigation has started.
    InvestigationStarted,
    /// 调查结果通知书: not eligible, with the findings; the applicant may object with evidence.
    NotEligible {
        /// The findings.
        summary: String,
    },
    /// The applicant objects to the findings: review the evidence and re-check (复查); help
    /// when `needs_help`.
    FindingsObjected {
        /// The township must help obtain evidence.
        needs_help: bool,
    },
    /// The 初审 opinion is posted until `until`.
    PublicityPosted {
        /// Posting round.
        round: u32,
        /// Last day of the posting.
        until: NaiveDate,
    },
    /// An objection to the 公示: re-investigate or hold a democratic appraisal.
    PublicityObjected,
    /// The 公示 ended; confirm (delegated township).
    ReadyForConfirmation,
    /// The 公示 ended; report the case to the district.
    ReadyForReport,
    /// A case reported for decision by `decision_due`.
    ReportedForDecision {
        /// Last day for the decision.
        decision_due: NaiveDate,
    },
    /// 确认同意.
    Approved {
        /// Monthly amount.
        amount: Option<Money>,
    },
    /// 不予确认, in writing with the reasons.
    Refused {
        /// The reasons.
        reasons: String,
    },
    /// The time limit was extended.
    TimeLimitExtended {
        /// The reason.
        reason: ExtensionReason,
        /// The new last day.
        due: NaiveDate,
    },
    /// The applicant withdrew.
    Withdrawn,
}

/// The public notice of an approved case (公布): name, household size and amount and nothing
/// else, so nothing unrelated can be published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicNotice {
    /// The village or community where it is posted.
    pub village: String,
    /// The applicant's name.
    pub name: PersonName,
    /// Number of household members.
    pub household_size: usize,
    /// Monthly amount.
    pub amount: Option<Money>,
}

/// What the caller must do after a transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Send a notice.
    Notify {
        /// To whom.
        to: Recipient,
        /// What.
        notice: Notice,
    },
    /// Post the 初审 opinion in the village (公示): proposed inclusions *and* exclusions.
    PostPublicity {
        /// Where.
        village: String,
        /// Round (1, 2, …).
        round: u32,
        /// The applicant's name.
        name: PersonName,
        /// Household size.
        household_size: usize,
        /// Proposed inclusion.
        include: bool,
        /// Proposed amount.
        amount: Option<Money>,
        /// First day.
        from: NaiveDate,
        /// Last day.
        until: NaiveDate,
    },
    /// File the approval and the review forms with the district bureau (备案; delegated
    /// townships). Filed per case, not batched monthly (the seed forbids 一月一备案).
    FileWithDistrict {
        /// Decision day.
        decided_on: NaiveDate,
        /// Approved amount.
        amount: Option<Money>,
    },
    /// Publish in the village.
    Publish(PublicNotice),
    /// A deadline passed without the step being done (reported once per deadline).
    Overdue {
        /// Which.
        deadline: DeadlineKind,
        /// Its last day.
        due: NaiveDate,
    },
    /// A step was done after its deadline (for supervision, seed §四(四)).
    DoneLate {
        /// Which deadline.
        deadline: DeadlineKind,
        /// Its last day.
        due: NaiveDate,
        /// The day it was done.
        done_on: NaiveDate,
    },
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why an event cannot be applied. Every message names the missing step, the required role or
/// what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The actor's role may not take this step.
    #[error("{event} must be done by {required}; {actual} may not")]
    WrongRole {
        /// The event.
        event: String,
        /// The roles that may.
        required: Roles,
        /// The role that tried.
        actual: Role,
    },
    /// Staff of another township.
    #[error("{event}: this case belongs to township {required}; staff of {} may not act on it", actual.as_deref().unwrap_or("no township"))]
    WrongTownship {
        /// The event.
        event: String,
        /// The case's township.
        required: String,
        /// The actor's township.
        actual: Option<String>,
    },
    /// Someone acted as agent on a case without one.
    #[error("{event}: no agent (委托代办) is recorded on this case; act as the applicant")]
    NoAgent {
        /// The event.
        event: String,
    },
    /// A step was skipped.
    #[error("{event} cannot come yet: {missing} must be done first")]
    MissingStep {
        /// The event.
        event: String,
        /// The first step not yet done.
        missing: Step,
    },
    /// The step is already past, or does not apply in this state.
    #[error("{event} is not possible while the case is {state}")]
    NotInState {
        /// The event.
        event: String,
        /// The current state.
        state: CaseState,
    },
    /// The case is closed.
    #[error("the case is closed ({state}); start a new application instead")]
    Closed {
        /// The final state.
        state: CaseState,
    },
    /// A second missing-materials notice.
    #[error(
        "the missing-materials notice was already sent on {first_on}: the seed allows one single notice (一次性告知); wait for the materials or for the deadline"
    )]
    SecondMissingMaterialsNotice {
        /// The day of the first.
        first_on: NaiveDate,
    },
    /// A missing-materials notice when nothing is missing.
    #[error("nothing is missing: accept the application instead")]
    NothingMissing,
    /// Acceptance of an incomplete application.
    #[error("the application is incomplete ({}{}): {}", list_materials(materials), if *unsigned > 0 { format!("; {unsigned} authorization(s) unsigned") } else { String::new() }, if *notice_sent { "wait for the household to supply them or for the deadline" } else { "send the missing-materials notice (一次性告知) instead" })]
    Incomplete {
        /// Missing materials.
        materials: Vec<Material>,
        /// Number of missing signatures.
        unsigned: usize,
        /// Whether the single notice was already sent.
        notice_sent: bool,
    },
    /// A deadline that is not after today.
    #[error("the deadline {deadline} is not after today ({today}): give the household time")]
    DeadlineNotAfterToday {
        /// The deadline given.
        deadline: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// Materials after the deadline.
    #[error(
        "the deadline for the missing materials was {deadline}: the application is deemed abandoned; apply again"
    )]
    SupplementDeadlinePassed {
        /// The deadline.
        deadline: NaiveDate,
    },
    /// The 公示 is still running.
    #[error("the 公示 runs until {until}: conclude it from the next day")]
    PublicityRunning {
        /// Its last day.
        until: NaiveDate,
    },
    /// An objection after the 公示 ended.
    #[error("the 公示 ended on {ended}: objections are taken during the 7 days only")]
    PublicityOver {
        /// Its last day.
        ended: NaiveDate,
    },
    /// Re-investigation or appraisal without an objection.
    #[error("{event} follows an objection to the 公示 (公示异议), and there is none")]
    NoObjection {
        /// The event.
        event: String,
    },
    /// An amount is needed.
    #[error("{what} needs a monthly amount above zero")]
    AmountRequired {
        /// The opinion or decision.
        what: &'static str,
    },
    /// An amount where none belongs.
    #[error("{what} is an exclusion or refusal and takes no amount")]
    AmountNotAllowed {
        /// The opinion or decision.
        what: &'static str,
    },
    /// Reasons or text are needed.
    #[error("{what} must be given")]
    TextRequired {
        /// What is missing.
        what: &'static str,
    },
    /// The extension reason is not borne out.
    #[error("the time limit cannot be extended for {}: no objection to the 公示 is recorded", reason.label_zh())]
    ExtensionNotJustified {
        /// The reason given.
        reason: ExtensionReason,
    },
    /// A second extension.
    #[error(
        "the time limit was already extended on {on} to {TOTAL_LIMIT_EXTENDED} working days, the most the seed allows"
    )]
    AlreadyExtended {
        /// The day of the extension.
        on: NaiveDate,
    },
    /// A delegated confirmation without a meeting on a disputed case.
    #[error(
        "this case drew an objection or needed a re-check or appraisal: confirm it in a review meeting (评审会), not by the leader alone"
    )]
    MeetingRequired,
    /// A disputed case presented as undisputed at the 初审.
    #[error(
        "this case drew an objection or needed a re-check or appraisal, so it is not undisputed: reach the 初审 in a review meeting (评审会)"
    )]
    DisputedCase,
    /// A decision that is not what the last 公示 posted.
    #[error(
        "the decision ({decided}) differs from what was posted in the 公示 ({posted}): post the revised opinion (初审) for a new 公示 first"
    )]
    DiffersFromPublicity {
        /// What the 公示 posted, in words.
        posted: String,
        /// What the decision says, in words.
        decided: String,
    },
    /// A report to the district in a delegated township.
    #[error(
        "this township has delegated authority: its leader confirms the case; there is nothing to report to the district"
    )]
    DelegatedTownship,
    /// Nothing to file.
    #[error("there is no close-relative declaration waiting to be filed")]
    NothingToFile,
    /// The applicant declared a close relative among the staff without the details.
    #[error(
        "the applicant declared a close relative among the staff (近亲属申明) but its details are not recorded: record which member, which staff member, the post and the tie first, then file it"
    )]
    RelativeDetailsMissing,
    /// `now` before the last recorded event.
    #[error("the time {now} is before the case's last event at {last}: check the clock")]
    ClockWentBack {
        /// The last recorded time.
        last: DateTime<Utc>,
        /// The time given.
        now: DateTime<Utc>,
    },
    /// An evidence digest is malformed.
    #[error(
        "the evidence digest '{0}' is not a SHA-256 (64 lower-case hex characters): upload it again"
    )]
    BadDigest(String),
    /// The application or a change to it is invalid.
    #[error(transparent)]
    Application(#[from] ApplicationError),
}

fn list_materials(m: &[Material]) -> String {
    if m.is_empty() {
        return "no materials missing".into();
    }
    m.iter()
        .map(|m| m.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

impl WorkflowError {
    /// A stable machine-readable code for API error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::WrongRole { .. } => "wrong_role",
            WorkflowError::WrongTownship { .. } => "wrong_township",
            WorkflowError::NoAgent { .. } => "no_agent",
            WorkflowError::MissingStep { .. } => "missing_step",
            WorkflowError::NotInState { .. } => "not_in_state",
            WorkflowError::Closed { .. } => "closed",
            WorkflowError::SecondMissingMaterialsNotice { .. } => "second_missing_materials_notice",
            WorkflowError::NothingMissing => "nothing_missing",
            WorkflowError::Incomplete { .. } => "incomplete",
            WorkflowError::DeadlineNotAfterToday { .. } => "deadline_not_after_today",
            WorkflowError::SupplementDeadlinePassed { .. } => "supplement_deadline_passed",
            WorkflowError::PublicityRunning { .. } => "publicity_running",
            WorkflowError::PublicityOver { .. } => "publicity_over",
            WorkflowError::NoObjection { .. } => "no_objection",
            WorkflowError::AmountRequired { .. } => "amount_required",
            WorkflowError::AmountNotAllowed { .. } => "amount_not_allowed",
            WorkflowError::TextRequired { .. } => "text_required",
            WorkflowError::ExtensionNotJustified { .. } => "extension_not_justified",
            WorkflowError::AlreadyExtended { .. } => "already_extended",
            WorkflowError::MeetingRequired => "meeting_required",
            WorkflowError::DisputedCase => "disputed_case",
            WorkflowError::DiffersFromPublicity { .. } => "differs_from_publicity",
            WorkflowError::DelegatedTownship => "delegated_township",
            WorkflowError::NothingToFile => "nothing_to_file",
            WorkflowError::RelativeDetailsMissing => "relative_details_missing",
            WorkflowError::ClockWentBack { .. } => "clock_went_back",
            WorkflowError::BadDigest(_) => "bad_digest",
            WorkflowError::Application(_) => "invalid_application",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The case's derived dates
// ---------------------------------------------------------------------------------------------

impl Case {
    /// Whether the 核对授权书 can still be signed on `today`: before acceptance (受理), and
    /// while a one-time notice runs, until its deadline (the rule of [`Action::SignAuthorization`]).
    pub fn takes_signatures(&self, today: NaiveDate) -> bool {
        match self.state {
            CaseState::Submitted => true,
            CaseState::AwaitingMaterials => self
                .missing_notice
                .as_ref()
                .is_some_and(|n| today <= n.deadline),
            _ => false,
        }
    }

    /// The household members who must sign the 核对授权书 and have not (adults and obligated
    /// persons on the day the application was received, in household order); empty when
    /// signatures are no longer taken. Who must sign is fixed on the day of receipt, so a member
    /// who comes of age while the case waits for 受理 does not make a complete application
    /// incomplete again (the one-time notice could not list them, and the case would hang).
    pub fn awaiting_signature(&self, today: NaiveDate) -> Vec<&crate::household::Member> {
        if !self.takes_signatures(today) {
            return vec![];
        }
        self.application
            .household
            .members
            .iter()
            .filter(|m| {
                m.must_sign(self.received_on) && !self.application.signatures.contains(&m.id_number)
            })
            .collect()
    }
}

impl Case {
    /// Opens a case for a submitted application. The applicant or the recorded agent submits;
    /// the application must be valid ([`Application::validate`]) but may lack materials, which
    /// the township lists in its single notice.
    pub fn submit(
        id: impl Into<String>,
        application: Application,
        delegated: bool,
        availability: &TypeAvailability,
        actor: &Actor,
        now: DateTime<Utc>,
        cal: &Calendar,
    ) -> Result<(Case, Vec<Effect>), WorkflowError> {
        let today = china_date(now);
        let event = "申请 (submit)".to_string();
        if !matches!(actor.role, Role::Applicant | Role::Agent) {
            return Err(WorkflowError::WrongRole {
                event,
                required: Roles(vec![Role::Applicant, Role::Agent]),
                actual: actor.role,
            });
        }
        if actor.role == Role::Agent && application.agent.is_none() {
            return Err(WorkflowError::NoAgent { event });
        }
        application.validate(availability, today)?;
        let case = Case {
            id: id.into(),
            application,
            delegated,
            state: CaseState::Submitted,
            received_on: today,
            missing_notice: None,
            accepted_on: None,
            relatives_filed: 0,
            investigation_started_on: None,
            findings: vec![],
            objections: vec![],
            appraisals: vec![],
            opinions: vec![],
            publicities: vec![],
            reported_on: None,
            extension: None,
            decision: None,
            published_on: None,
            closed_on: None,
            overdue_reported: BTreeSet::new(),
            history: vec![HistoryEntry {
                at: now,
                role: actor.role,
                account: actor.account.clone(),
                event: "submit".into(),
                from: CaseState::Submitted,
                to: CaseState::Submitted,
            }],
        };
        let acceptance_due = case.acceptance_due(cal);
        let mut effects = vec![Effect::Notify {
            to: Recipient::TownshipClerk,
            notice: Notice::ApplicationReceived { acceptance_due },
        }];
        if !case.application.staff_relatives.is_empty() || case.application.staff_relative_declared
        {
            effects.push(Effect::Notify {
                to: Recipient::TownshipClerk,
                notice: Notice::RelativeDeclarationToFile,
            });
        }
        Ok((case, effects))
    }

    /// The township code handling the case.
    pub fn township(&self) -> &str {
        &self.application.household.township
    }

    /// The day the acceptance period runs from: receipt, or the day the missing materials were
    /// completed.
    pub fn acceptance_from(&self) -> NaiveDate {
        self.missing_notice
            .as_ref()
            .and_then(|n| n.completed_on)
            .unwrap_or(self.received_on)
    }

    /// Last day for the acceptance review.
    pub fn acceptance_due(&self, cal: &Calendar) -> NaiveDate {
        cal.add_working_days(self.acceptance_from(), ACCEPTANCE_WORKING_DAYS)
            .value
    }

    /// The total limit in working days now in force: 20 / 25, or 40 once extended.
    pub fn total_limit(&self) -> u32 {
        match (&self.extension, self.delegated) {
            (Some(_), _) => TOTAL_LIMIT_EXTENDED,
            (None, true) => TOTAL_LIMIT_DELEGATED,
            (None, false) => TOTAL_LIMIT,
        }
    }

    /// Last day of the whole review, once accepted.
    pub fn total_due(&self, cal: &Calendar) -> Option<NaiveDate> {
        self.accepted_on
            .map(|d| cal.add_working_days(d, self.total_limit()).value)
    }

    /// Whether any close-relative declaration is waiting to be filed — including one declared
    /// without its details ([`crate::application::Application::staff_relative_declared`]), whose
    /// details are still to be recorded.
    pub fn relatives_pending(&self) -> bool {
        self.relatives_filed < self.application.staff_relatives.len()
            || self.relative_details_missing()
    }

    /// The applicant declared a close relative among the staff, but which member, which staff
    /// member and the tie are not recorded yet.
    pub fn relative_details_missing(&self) -> bool {
        self.application.staff_relative_declared && self.application.staff_relatives.is_empty()
    }

    /// Whether the case drew an objection, a re-check or an appraisal (then a delegated
    /// township confirms in a review meeting).
    pub fn is_disputed(&self) -> bool {
        !self.objections.is_empty() || !self.appraisals.is_empty()
    }

    /// The current 公示, if one is posted.
    pub fn current_publicity(&self) -> Option<&Publicity> {
        self.publicities.last()
    }
}

/// The deadlines running for `case` on `today`, most urgent first.
pub fn deadlines(case: &Case, cal: &Calendar, today: NaiveDate) -> Vec<Deadline> {
    let mut out = Vec::new();
    let mut working = |kind: DeadlineKind, from: NaiveDate, due_n: Option<u32>, due: NaiveDate| {
        let mut years = BTreeSet::new();
        let due = match due_n {
            Some(n) => {
                let a = cal.add_working_days(from, n);
                years.extend(a.unpublished_years);
                a.value
            }
            None => due,
        };
        let allowed = cal.working_days_between(from, due);
        years.extend(allowed.unpublished_years);
        let left = cal.working_days_between(today, due);
        years.extend(left.unpublished_years);
        let (colour, overdue_by) = if today > due {
            let over = cal.working_days_between(due, today);
            years.extend(over.unpublished_years);
            (DeadlineColour::Overdue, over.value)
        } else {
            (DeadlineColour::of(allowed.value, left.value), 0)
        };
        out.push(Deadline {
            kind,
            from,
            due,
            unit: DayUnit::Working,
            allowed: allowed.value,
            left: left.value,
            overdue_by,
            colour,
            unpublished_years: years,
        });
    };
    match case.state {
        CaseState::Submitted => working(
            DeadlineKind::Acceptance,
            case.acceptance_from(),
            Some(ACCEPTANCE_WORKING_DAYS),
            today,
        ),
        CaseState::AwaitingMaterials => {
            if let Some(n) = &case.missing_notice {
                working(DeadlineKind::Supplement, n.issued_on, None, n.deadline);
            }
        }
        _ => {}
    }
    if let Some(accepted) = case.accepted_on
        && !case.state.is_decided()
    {
        if case.state == CaseState::Accepted {
            working(
                DeadlineKind::InvestigationStart,
                accepted,
                Some(INVESTIGATION_START_WORKING_DAYS),
                today,
            );
        }
        if case.state == CaseState::AwaitingDistrict
            && let Some(reported) = case.reported_on
        {
            working(
                DeadlineKind::DistrictDecision,
                reported,
                Some(DISTRICT_DECISION_WORKING_DAYS),
                today,
            );
        }
        working(
            DeadlineKind::Total,
            accepted,
            Some(case.total_limit()),
            today,
        );
    }
    if case.state == CaseState::InPublicity
        && let Some(p) = case.current_publicity()
    {
        let allowed = calendar_days_between(p.posted_on, p.ends_on);
        let left = calendar_days_between(today, p.ends_on);
        let (colour, overdue_by) = if today > p.ends_on {
            (
                DeadlineColour::Overdue,
                calendar_days_between(p.ends_on, today),
            )
        } else {
            (DeadlineColour::of(allowed, left), 0)
        };
        out.push(Deadline {
            kind: DeadlineKind::PublicityEnd,
            from: p.posted_on,
            due: p.ends_on,
            unit: DayUnit::Calendar,
            allowed,
            left,
            overdue_by,
            colour,
            unpublished_years: BTreeSet::new(),
        });
    }
    out.sort_by_key(|d| (std::cmp::Reverse(d.colour), d.due, d.kind));
    out
}

// ---------------------------------------------------------------------------------------------
// The transition function
// ---------------------------------------------------------------------------------------------

/// Applies `event` (its action, taken by its actor at `now`) to `case`. Returns the new case (with
/// a history line) and the effects to carry out, or an error; the input case is never changed.
///
/// A [`Action::Tick`] that finds nothing to do returns the case unchanged, without a history line.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use jiuzhu_core::calendar::Calendar;
/// use jiuzhu_core::workflow::{Action, Actor, Case, Event, Role, WorkflowError, next};
///
/// fn accept(case: &Case, now: DateTime<Utc>, cal: &Calendar) -> Result<Case, WorkflowError> {
///     let clerk = Actor::staff(Role::TownshipClerk, "clerk-1", case.township());
///     let (case, effects) = next(case, &Event::new(clerk, Action::Accept), now, cal)?;
///     // carry out `effects` (notices, postings, filings), then store `case`
///     # let _ = effects;
///     Ok(case)
/// }
/// ```
pub fn next(
    case: &Case,
    event: &Event,
    now: DateTime<Utc>,
    cal: &Calendar,
) -> Result<(Case, Vec<Effect>), WorkflowError> {
    let (actor, event) = (&event.actor, &event.action);
    if let Some(last) = case.history.last()
        && now < last.at
    {
        return Err(WorkflowError::ClockWentBack { last: last.at, now });
    }
    check_actor(case, actor, event)?;
    let today = china_date(now);
    if case.state.is_final() {
        if matches!(event, Action::Tick) {
            return Ok((case.clone(), vec![]));
        }
        return Err(WorkflowError::Closed { state: case.state });
    }
    let mut c = case.clone();
    let mut fx = Vec::new();
    apply(&mut c, actor, event, today, cal, &mut fx)?;
    if matches!(event, Action::Tick) && c == *case && fx.is_empty() {
        return Ok((c, fx));
    }
    c.history.push(HistoryEntry {
        at: now,
        role: actor.role,
        account: actor.account.clone(),
        event: event.name().into(),
        from: case.state,
        to: c.state,
    });
    Ok((c, fx))
}

fn required_roles(case: &Case, event: &Action) -> Vec<Role> {
    use Role::*;
    match event {
        Action::Accept
        | Action::NotifyMissingMaterials { .. }
        | Action::FileRelativesDeclaration
        | Action::StartInvestigation
        | Action::RecordFindings { .. }
        | Action::ProposeInitialOpinion { .. }
        | Action::Reinvestigate
        | Action::StartDemocraticAppraisal
        | Action::RecordAppraisal { .. }
        | Action::ConcludePublicity
        | Action::ReportToDistrict => vec![TownshipClerk],
        Action::SupplyMaterials { .. } | Action::SignAuthorization { .. } => {
            vec![Applicant, Agent, VillageHelper]
        }
        // the clerk records a declaration the household makes at the office (or completes one
        // made at a kiosk, where only yes or no is asked)
        Action::DeclareStaffRelative { .. } => vec![Applicant, Agent, TownshipClerk],
        Action::ObjectToFindings { .. } | Action::Withdraw { .. } => vec![Applicant, Agent],
        Action::ObjectToPublicity { .. } => {
            vec![Applicant, Agent, Resident, VillageHelper, TownshipClerk]
        }
        Action::Confirm { .. } if case.delegated => vec![TownshipLeader],
        Action::Confirm { .. } => vec![DistrictBureau],
        Action::Publish | Action::ExtendTimeLimit { .. } => vec![TownshipClerk, TownshipLeader],
        Action::Tick => vec![System],
    }
}

fn check_actor(case: &Case, actor: &Actor, event: &Action) -> Result<(), WorkflowError> {
    let required = required_roles(case, event);
    if !required.contains(&actor.role) {
        return Err(WorkflowError::WrongRole {
            event: event.label(),
            required: Roles(required),
            actual: actor.role,
        });
    }
    if actor.role.is_township_staff() && actor.township.as_deref() != Some(case.township()) {
        return Err(WorkflowError::WrongTownship {
            event: event.label(),
            required: case.township().to_string(),
            actual: actor.township.clone(),
        });
    }
    if actor.role == Role::Agent && case.application.agent.is_none() {
        return Err(WorkflowError::NoAgent {
            event: event.label(),
        });
    }
    Ok(())
}

/// Checks that the case has done exactly `needed` main-line steps.
fn at_step(case: &Case, event: &Action, needed: u8) -> Result<(), WorkflowError> {
    let done = case.state.progress();
    if done < needed {
        Err(WorkflowError::MissingStep {
            event: event.label(),
            missing: main_step(done, case.delegated),
        })
    } else if done > needed {
        Err(WorkflowError::NotInState {
            event: event.label(),
            state: case.state,
        })
    } else {
        Ok(())
    }
}

/// 纳入，每月 620.00 元 / 不纳入, for error messages.
fn opinion_words(include: bool, amount: Option<Money>) -> String {
    match (include, amount) {
        (true, Some(m)) => format!("纳入，每月 {m}"),
        (true, None) => "纳入".into(),
        (false, _) => "不纳入".into(),
    }
}

fn not_in_state(case: &Case, event: &Action) -> WorkflowError {
    WorkflowError::NotInState {
        event: event.label(),
        state: case.state,
    }
}

fn notify(fx: &mut Vec<Effect>, to: Recipient, notice: Notice) {
    fx.push(Effect::Notify { to, notice });
}

fn check_digests(digests: &[String]) -> Result<(), WorkflowError> {
    match digests.iter().find(|d| !is_sha256_hex(d)) {
        Some(d) => Err(WorkflowError::BadDigest(d.clone())),
        None => Ok(()),
    }
}

fn text_required(s: &str, what: &'static str) -> Result<(), WorkflowError> {
    if s.trim().is_empty() {
        Err(WorkflowError::TextRequired { what })
    } else {
        Ok(())
    }
}

/// Whether `t` is granted without a cash amount (低保边缘家庭 is a status).
fn amount_optional(t: AssistanceType) -> bool {
    t == AssistanceType::LowIncomeEdge
}

fn check_amount(
    t: AssistanceType,
    positive: bool,
    amount: Option<Money>,
    what: &'static str,
) -> Result<(), WorkflowError> {
    match (positive, amount) {
        (true, Some(a)) if a.is_positive() => Ok(()),
        (true, None) if amount_optional(t) => Ok(()),
        (true, _) => Err(WorkflowError::AmountRequired { what }),
        (false, None) => Ok(()),
        (false, Some(_)) => Err(WorkflowError::AmountNotAllowed { what }),
    }
}

fn late(fx: &mut Vec<Effect>, kind: DeadlineKind, due: NaiveDate, today: NaiveDate) {
    if today > due {
        fx.push(Effect::DoneLate {
            deadline: kind,
            due,
            done_on: today,
        });
    }
}

/// After materials or signatures arrive: a complete application in `awaiting_materials` goes
/// back to `submitted` and the acceptance period starts again from today.
fn after_supply(c: &mut Case, today: NaiveDate, cal: &Calendar, fx: &mut Vec<Effect>) {
    if c.state == CaseState::AwaitingMaterials && c.application.is_complete(c.received_on) {
        if let Some(n) = c.missing_notice.as_mut() {
            n.completed_on = Some(today);
        }
        c.state = CaseState::Submitted;
        c.overdue_reported.remove(&DeadlineKind::Acceptance);
        notify(
            fx,
            Recipient::TownshipClerk,
            Notice::MaterialsComplete {
                acceptance_due: c.acceptance_due(cal),
            },
        );
    }
}

fn apply(
    c: &mut Case,
    actor: &Actor,
    event: &Action,
    today: NaiveDate,
    cal: &Calendar,
    fx: &mut Vec<Effect>,
) -> Result<(), WorkflowError> {
    match event {
        Action::Accept => {
            if c.state == CaseState::AwaitingMaterials {
                return Err(incomplete(c));
            }
            at_step(c, event, 0)?;
            if !c.application.is_complete(c.received_on) {
                return Err(incomplete(c));
            }
            late(fx, DeadlineKind::Acceptance, c.acceptance_due(cal), today);
            c.accepted_on = Some(today);
            c.state = CaseState::Accepted;
            let investigation_due = cal
                .add_working_days(today, INVESTIGATION_START_WORKING_DAYS)
                .value;
            notify(
                fx,
                Recipient::Applicant,
                Notice::Accepted { investigation_due },
            );
        }
        Action::NotifyMissingMaterials {
            deadline,
            unusable,
            note,
        } => {
            if let Some(n) = &c.missing_notice {
                return Err(WorkflowError::SecondMissingMaterialsNotice {
                    first_on: n.issued_on,
                });
            }
            at_step(c, event, 0)?;
            if *deadline <= today {
                return Err(WorkflowError::DeadlineNotAfterToday {
                    deadline: *deadline,
                    today,
                });
            }
            c.application
                .materials
                .retain(|m| !unusable.contains(&m.kind));
            let mut materials = c.application.missing_materials();
            for m in unusable {
                if !materials.contains(m) {
                    materials.push(*m);
                }
            }
            let unsigned: Vec<&crate::household::Member> = c.application.unsigned(c.received_on);
            if materials.is_empty() && unsigned.is_empty() {
                return Err(WorkflowError::NothingMissing);
            }
            let names = unsigned.iter().map(|m| m.name.clone()).collect();
            let ids = unsigned.iter().map(|m| m.id_number.clone()).collect();
            late(fx, DeadlineKind::Acceptance, c.acceptance_due(cal), today);
            notify(
                fx,
                Recipient::Applicant,
                Notice::MissingMaterials {
                    materials: materials.clone(),
                    unsigned: names,
                    deadline: *deadline,
                    note: note.clone(),
                },
            );
            c.missing_notice = Some(MissingNotice {
                issued_on: today,
                deadline: *deadline,
                materials,
                unsigned: ids,
                note: note.clone(),
                completed_on: None,
            });
            c.state = CaseState::AwaitingMaterials;
        }
        Action::SupplyMaterials { materials } => {
            before_acceptance(c, event, today)?;
            for m in materials {
                if !is_sha256_hex(&m.sha256) {
                    return Err(ApplicationError::BadDigest {
                        kind: m.kind,
                        sha256: m.sha256.clone(),
                    }
                    .into());
                }
            }
            c.application.materials.extend(materials.iter().cloned());
            after_supply(c, today, cal, fx);
        }
        Action::SignAuthorization { signer } => {
            before_acceptance(c, event, today)?;
            c.application.check_signer(signer, c.received_on)?;
            c.application.signatures.insert(signer.clone());
            after_supply(c, today, cal, fx);
        }
        Action::DeclareStaffRelative { relative } => {
            if c.state.is_decided() {
                return Err(not_in_state(c, event));
            }
            if c.application.household.member(&relative.member).is_none() {
                return Err(ApplicationError::NotAMember {
                    what: "a close-relative declaration",
                    who: relative.member.clone(),
                }
                .into());
            }
            c.application.staff_relatives.push(relative.clone());
            notify(
                fx,
                Recipient::TownshipClerk,
                Notice::RelativeDeclarationToFile,
            );
        }
        Action::FileRelativesDeclaration => {
            if c.relative_details_missing() {
                return Err(WorkflowError::RelativeDetailsMissing);
            }
            if !c.relatives_pending() {
                return Err(WorkflowError::NothingToFile);
            }
            c.relatives_filed = c.application.staff_relatives.len();
        }
        Action::StartInvestigation => {
            at_step(c, event, 1)?;
            let accepted = c.accepted_on.expect("accepted");
            let due = cal
                .add_working_days(accepted, INVESTIGATION_START_WORKING_DAYS)
                .value;
            late(fx, DeadlineKind::InvestigationStart, due, today);
            c.investigation_started_on = Some(today);
            c.state = CaseState::Investigating;
            notify(fx, Recipient::Applicant, Notice::InvestigationStarted);
        }
        Action::RecordFindings {
            eligible,
            summary,
            per_capita_income,
            evidence,
            methods,
        } => {
            at_step(c, event, 2)?;
            text_required(summary, "a summary of the findings")?;
            check_digests(evidence)?;
            let recheck = !c.findings.is_empty();
            let mut methods = methods.clone();
            methods.sort();
            methods.dedup();
            c.findings.push(Findings {
                recorded_on: today,
                recheck,
                eligible: *eligible,
                summary: summary.clone(),
                per_capita_income: *per_capita_income,
                evidence: evidence.clone(),
                methods,
            });
            if *eligible {
                c.state = CaseState::Investigated;
            } else {
                c.state = CaseState::FindingsNotified;
                notify(
                    fx,
                    Recipient::Applicant,
                    Notice::NotEligible {
                        summary: summary.clone(),
                    },
                );
            }
        }
        Action::ObjectToFindings {
            statement,
            evidence,
            needs_help,
        } => {
            if c.state != CaseState::FindingsNotified {
                if c.state.progress() < 3 {
                    return Err(WorkflowError::MissingStep {
                        event: event.label(),
                        missing: Step::Investigation,
                    });
                }
                return Err(not_in_state(c, event));
            }
            text_required(statement, "the objection")?;
            check_digests(evidence)?;
            if evidence.is_empty() && !needs_help {
                return Err(WorkflowError::TextRequired {
                    what: "evidence for the objection (or a request for the township's help)",
                });
            }
            c.objections.push(Objection {
                raised_on: today,
                target: ObjectionTarget::Findings,
                by: actor.role,
                statement: statement.clone(),
                evidence: evidence.clone(),
                needs_help: *needs_help,
            });
            c.state = CaseState::Investigating;
            notify(
                fx,
                Recipient::TownshipClerk,
                Notice::FindingsObjected {
                    needs_help: *needs_help,
                },
            );
        }
        Action::ProposeInitialOpinion {
            include,
            amount,
            method,
            reviewers,
            reasons,
        } => {
            // A revised opinion after the 公示 (the decision is to differ from what was
            // posted) is posted again: a new round.
            let revision = matches!(
                c.state,
                CaseState::PublicityEnded | CaseState::AwaitingDistrict
            );
            if !revision {
                at_step(c, event, 3)?;
            }
            if c.relatives_pending() {
                return Err(WorkflowError::MissingStep {
                    event: event.label(),
                    missing: Step::RelativesFiling,
                });
            }
            check_amount(
                c.application.assistance_type,
                *include,
                *amount,
                "the initial opinion",
            )?;
            if !include {
                text_required(reasons, "the reasons for the proposed exclusion")?;
            }
            if reviewers.iter().all(|r| r.trim().is_empty()) {
                return Err(WorkflowError::TextRequired {
                    what: "the reviewers of the initial opinion",
                });
            }
            if c.is_disputed() && *method == ReviewMethod::NoDispute {
                return Err(WorkflowError::DisputedCase);
            }
            c.opinions.push(InitialOpinion {
                made_on: today,
                include: *include,
                amount: *amount,
                method: *method,
                reviewers: reviewers.clone(),
                reasons: reasons.clone(),
            });
            let round = c.publicities.len() as u32 + 1;
            let until = add_calendar_days(today, PUBLICITY_CALENDAR_DAYS);
            c.publicities.push(Publicity {
                round,
                posted_on: today,
                ends_on: until,
                objected: false,
                closed_on: None,
            });
            c.state = CaseState::InPublicity;
            let h = &c.application.household;
            fx.push(Effect::PostPublicity {
                village: h.village.clone(),
                round,
                name: h.applicant().expect("validated").name.clone(),
                household_size: h.size(),
                include: *include,
                amount: *amount,
                from: today,
                until,
            });
            notify(
                fx,
                Recipient::Applicant,
                Notice::PublicityPosted { round, until },
            );
        }
        Action::ObjectToPublicity { statement } => {
            match c.state {
                CaseState::InPublicity => {}
                CaseState::PublicityEnded | CaseState::AwaitingDistrict => {
                    let ended = c.current_publicity().expect("posted").ends_on;
                    return Err(WorkflowError::PublicityOver { ended });
                }
                s if s.progress() < 4 => {
                    return Err(WorkflowError::MissingStep {
                        event: event.label(),
                        missing: main_step(s.progress(), c.delegated),
                    });
                }
                _ => return Err(not_in_state(c, event)),
            }
            let p = c.publicities.last_mut().expect("posted");
            if today > p.ends_on {
                return Err(WorkflowError::PublicityOver { ended: p.ends_on });
            }
            text_required(statement, "the objection")?;
            p.objected = true;
            p.closed_on = Some(today);
            c.objections.push(Objection {
                raised_on: today,
                target: ObjectionTarget::Publicity,
                by: actor.role,
                statement: statement.clone(),
                evidence: vec![],
                needs_help: false,
            });
            c.state = CaseState::PublicityObjected;
            notify(fx, Recipient::TownshipClerk, Notice::PublicityObjected);
        }
        Action::StartDemocraticAppraisal if c.state == CaseState::Investigated => {
            // The clerk calls a 民主评议 for a disputed case before the 初审 (seed 二(二)3).
            c.appraisals.push(Appraisal {
                started_on: today,
                concluded_on: None,
                summary: String::new(),
            });
            c.state = CaseState::Appraising;
        }
        Action::Reinvestigate | Action::StartDemocraticAppraisal => {
            if c.state != CaseState::PublicityObjected {
                if matches!(c.state, CaseState::InPublicity | CaseState::PublicityEnded) {
                    return Err(WorkflowError::NoObjection {
                        event: event.label(),
                    });
                }
                if c.state.progress() < 4 {
                    return Err(WorkflowError::MissingStep {
                        event: event.label(),
                        missing: Step::PublicityObjection,
                    });
                }
                return Err(not_in_state(c, event));
            }
            if matches!(event, Action::Reinvestigate) {
                c.state = CaseState::Investigating;
            } else {
                c.appraisals.push(Appraisal {
                    started_on: today,
                    concluded_on: None,
                    summary: String::new(),
                });
                c.state = CaseState::Appraising;
            }
        }
        Action::RecordAppraisal { summary } => {
            if c.state != CaseState::Appraising {
                if c.state == CaseState::PublicityObjected {
                    return Err(WorkflowError::MissingStep {
                        event: event.label(),
                        missing: Step::DemocraticAppraisal,
                    });
                }
                return Err(not_in_state(c, event));
            }
            text_required(summary, "the outcome of the appraisal")?;
            let a = c.appraisals.last_mut().expect("started");
            a.concluded_on = Some(today);
            a.summary = summary.clone();
            c.state = CaseState::Appraised;
        }
        Action::ConcludePublicity => {
            at_step(c, event, 4)?;
            if c.state != CaseState::InPublicity {
                return Err(not_in_state(c, event));
            }
            conclude_publicity(c, today, fx)?;
        }
        Action::ReportToDistrict => {
            if c.delegated {
                return Err(WorkflowError::DelegatedTownship);
            }
            at_step(c, event, 5)?;
            c.reported_on = Some(today);
            c.state = CaseState::AwaitingDistrict;
            let decision_due = cal
                .add_working_days(today, DISTRICT_DECISION_WORKING_DAYS)
                .value;
            notify(
                fx,
                Recipient::DistrictBureau,
                Notice::ReportedForDecision { decision_due },
            );
        }
        Action::Confirm {
            approve,
            amount,
            reasons,
            review_meeting,
        } => {
            at_step(c, event, if c.delegated { 5 } else { 6 })?;
            if c.relatives_pending() {
                return Err(WorkflowError::MissingStep {
                    event: event.label(),
                    missing: Step::RelativesFiling,
                });
            }
            check_amount(
                c.application.assistance_type,
                *approve,
                *amount,
                "the decision",
            )?;
            if !approve {
                text_required(reasons, "the reasons for the refusal")?;
            }
            if let Some(posted) = c.opinions.last()
                && (posted.include != *approve || (*approve && posted.amount != *amount))
            {
                return Err(WorkflowError::DiffersFromPublicity {
                    posted: opinion_words(posted.include, posted.amount),
                    decided: opinion_words(*approve, *amount),
                });
            }
            if c.delegated && c.is_disputed() && !review_meeting {
                return Err(WorkflowError::MeetingRequired);
            }
            if let Some(reported) = c.reported_on {
                let due = cal
                    .add_working_days(reported, DISTRICT_DECISION_WORKING_DAYS)
                    .value;
                late(fx, DeadlineKind::DistrictDecision, due, today);
            }
            if let Some(due) = c.total_due(cal) {
                late(fx, DeadlineKind::Total, due, today);
            }
            c.decision = Some(Decision {
                decided_on: today,
                by: actor.role,
                approved: *approve,
                amount: *amount,
                reasons: reasons.clone(),
                review_meeting: *review_meeting,
            });
            if *approve {
                c.state = CaseState::Approved;
                notify(
                    fx,
                    Recipient::Applicant,
                    Notice::Approved { amount: *amount },
                );
                if c.delegated {
                    fx.push(Effect::FileWithDistrict {
                        decided_on: today,
                        amount: *amount,
                    });
                }
            } else {
                c.state = CaseState::Refused;
                c.closed_on = Some(today);
                notify(
                    fx,
                    Recipient::Applicant,
                    Notice::Refused {
                        reasons: reasons.clone(),
                    },
                );
            }
        }
        Action::Publish => {
            at_step(c, event, 7)?;
            let h = &c.application.household;
            let notice = PublicNotice {
                village: h.village.clone(),
                name: h.applicant().expect("validated").name.clone(),
                household_size: h.size(),
                amount: c.decision.as_ref().and_then(|d| d.amount),
            };
            fx.push(Effect::Publish(notice));
            c.published_on = Some(today);
            c.closed_on = Some(today);
            c.state = CaseState::Published;
        }
        Action::ExtendTimeLimit { reason, note } => {
            if c.accepted_on.is_none() {
                return Err(WorkflowError::MissingStep {
                    event: event.label(),
                    missing: Step::Acceptance,
                });
            }
            if c.state.is_decided() {
                return Err(not_in_state(c, event));
            }
            if let Some(e) = &c.extension {
                return Err(WorkflowError::AlreadyExtended { on: e.recorded_on });
            }
            text_required(note, "the circumstances of the extension")?;
            if *reason == ExtensionReason::PublicityObjection
                && !c
                    .objections
                    .iter()
                    .any(|o| o.target == ObjectionTarget::Publicity)
            {
                return Err(WorkflowError::ExtensionNotJustified { reason: *reason });
            }
            c.extension = Some(Extension {
                reason: *reason,
                note: note.clone(),
                recorded_on: today,
                by: actor.account.clone(),
            });
            c.overdue_reported.remove(&DeadlineKind::Total);
            let due = c.total_due(cal).expect("accepted");
            notify(
                fx,
                Recipient::Applicant,
                Notice::TimeLimitExtended {
                    reason: *reason,
                    due,
                },
            );
        }
        Action::Withdraw { .. } => {
            if c.state.is_decided() {
                return Err(not_in_state(c, event));
            }
            c.state = CaseState::Withdrawn;
            c.closed_on = Some(today);
            notify(fx, Recipient::TownshipClerk, Notice::Withdrawn);
            notify(fx, Recipient::Applicant, Notice::Withdrawn);
        }
        Action::Tick => tick(c, today, cal, fx)?,
    }
    Ok(())
}

fn incomplete(c: &Case) -> WorkflowError {
    WorkflowError::Incomplete {
        materials: c.application.missing_materials(),
        unsigned: c.application.unsigned(c.received_on).len(),
        notice_sent: c.missing_notice.is_some(),
    }
}

fn before_acceptance(c: &Case, event: &Action, today: NaiveDate) -> Result<(), WorkflowError> {
    match c.state {
        CaseState::Submitted => Ok(()),
        CaseState::AwaitingMaterials => {
            let deadline = c.missing_notice.as_ref().expect("notice").deadline;
            if today > deadline {
                Err(WorkflowError::SupplementDeadlinePassed { deadline })
            } else {
                Ok(())
            }
        }
        _ => Err(not_in_state(c, event)),
    }
}

fn conclude_publicity(
    c: &mut Case,
    today: NaiveDate,
    fx: &mut Vec<Effect>,
) -> Result<(), WorkflowError> {
    let p = c.publicities.last_mut().expect("posted");
    if today <= p.ends_on {
        return Err(WorkflowError::PublicityRunning { until: p.ends_on });
    }
    p.closed_on = Some(today);
    c.state = CaseState::PublicityEnded;
    if c.delegated {
        notify(fx, Recipient::TownshipLeader, Notice::ReadyForConfirmation);
    } else {
        notify(fx, Recipient::TownshipClerk, Notice::ReadyForReport);
    }
    Ok(())
}

fn tick(
    c: &mut Case,
    today: NaiveDate,
    cal: &Calendar,
    fx: &mut Vec<Effect>,
) -> Result<(), WorkflowError> {
    if c.state == CaseState::AwaitingMaterials {
        let deadline = c.missing_notice.as_ref().expect("notice").deadline;
        if today > deadline && !c.application.is_complete(c.received_on) {
            c.state = CaseState::Abandoned;
            c.closed_on = Some(today);
            notify(fx, Recipient::Applicant, Notice::Abandoned { deadline });
            return Ok(());
        }
    }
    if c.state == CaseState::InPublicity && today > c.current_publicity().expect("posted").ends_on {
        conclude_publicity(c, today, fx)?;
    }
    for d in deadlines(c, cal, today) {
        if d.colour == DeadlineColour::Overdue
            && !matches!(
                d.kind,
                DeadlineKind::Supplement | DeadlineKind::PublicityEnd
            )
            && c.overdue_reported.insert(d.kind)
        {
            fx.push(Effect::Overdue {
                deadline: d.kind,
                due: d.due,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
