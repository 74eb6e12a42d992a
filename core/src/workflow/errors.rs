//! Why an event cannot be applied.

use super::*;

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
