//! The transition function: [`next`] and each step's rule.

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
