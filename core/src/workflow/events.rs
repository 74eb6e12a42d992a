//! Events (an action and who takes it) and the effects the caller carries out.

use super::*;

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

    pub(super) fn label(&self) -> String {
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
    /// 复查结果告知书: the findings of the re-check the household asked for, eligible or not.
    RecheckResult {
        /// Eligible after the re-check.
        eligible: bool,
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
