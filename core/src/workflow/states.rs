//! Steps, states and running deadlines.

use super::*;

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
    pub(super) fn progress(self) -> u8 {
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
pub(super) fn main_step(progress: u8, delegated: bool) -> Step {
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
