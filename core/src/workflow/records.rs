//! The case and what its steps record.

use super::*;

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
