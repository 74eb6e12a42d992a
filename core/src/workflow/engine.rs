//! The transition function: [`next`], who may take which step, and the checks the steps share.
//! The steps themselves are in the modules of the procedure's phases: `intake`, `investigation`,
//! `review` (初审 and 公示), `confirmation` and `timers`; the documents they cause are made by
//! `crate::notices`.

use super::*;

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

pub(super) fn required_roles(case: &Case, event: &Action) -> Vec<Role> {
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

pub(super) fn check_actor(case: &Case, actor: &Actor, event: &Action) -> Result<(), WorkflowError> {
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
pub(super) fn at_step(case: &Case, event: &Action, needed: u8) -> Result<(), WorkflowError> {
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
pub(super) fn opinion_words(include: bool, amount: Option<Money>) -> String {
    match (include, amount) {
        (true, Some(m)) => format!("纳入，每月 {m}"),
        (true, None) => "纳入".into(),
        (false, _) => "不纳入".into(),
    }
}

pub(super) fn not_in_state(case: &Case, event: &Action) -> WorkflowError {
    WorkflowError::NotInState {
        event: event.label(),
        state: case.state,
    }
}

pub(super) fn notify(fx: &mut Vec<Effect>, to: Recipient, notice: Notice) {
    fx.push(Effect::Notify { to, notice });
}

pub(super) fn check_digests(digests: &[String]) -> Result<(), WorkflowError> {
    match digests.iter().find(|d| !is_sha256_hex(d)) {
        Some(d) => Err(WorkflowError::BadDigest(d.clone())),
        None => Ok(()),
    }
}

pub(super) fn text_required(s: &str, what: &'static str) -> Result<(), WorkflowError> {
    if s.trim().is_empty() {
        Err(WorkflowError::TextRequired { what })
    } else {
        Ok(())
    }
}

/// Whether `t` is granted without a cash amount (低保边缘家庭 is a status).
pub(super) fn amount_optional(t: AssistanceType) -> bool {
    t == AssistanceType::LowIncomeEdge
}

pub(super) fn check_amount(
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

/// What the 初审 opinion and the decision both require: a declared close relative filed (备案)
/// first, an amount exactly when one is due, and reasons for a no.
pub(super) fn opinion_checks(
    c: &Case,
    event: &Action,
    (yes, amount, reasons): (bool, Option<Money>, &str),
    (what, why): (&'static str, &'static str),
) -> Result<(), WorkflowError> {
    if c.relatives_pending() {
        return Err(WorkflowError::MissingStep {
            event: event.label(),
            missing: Step::RelativesFiling,
        });
    }
    check_amount(c.application.assistance_type, yes, amount, what)?;
    if !yes {
        text_required(reasons, why)?;
    }
    Ok(())
}

pub(super) fn late(fx: &mut Vec<Effect>, kind: DeadlineKind, due: NaiveDate, today: NaiveDate) {
    if today > due {
        fx.push(Effect::DoneLate {
            deadline: kind,
            due,
            done_on: today,
        });
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
        Action::Accept
        | Action::NotifyMissingMaterials { .. }
        | Action::SupplyMaterials { .. }
        | Action::SignAuthorization { .. }
        | Action::DeclareStaffRelative { .. }
        | Action::FileRelativesDeclaration
        | Action::Withdraw { .. } => intake::step(c, event, today, cal, fx)?,
        Action::StartInvestigation
        | Action::RecordFindings { .. }
        | Action::ObjectToFindings { .. } => investigation::step(c, actor, event, today, cal, fx)?,
        Action::ProposeInitialOpinion { .. }
        | Action::ObjectToPublicity { .. }
        | Action::StartDemocraticAppraisal
        | Action::Reinvestigate
        | Action::RecordAppraisal { .. }
        | Action::ConcludePublicity => review::step(c, actor, event, today, fx)?,
        Action::ReportToDistrict
        | Action::Confirm { .. }
        | Action::Publish
        | Action::ExtendTimeLimit { .. } => confirmation::step(c, actor, event, today, cal, fx)?,
        Action::Tick => timers::tick(c, today, cal, fx)?,
    }
    Ok(())
}
