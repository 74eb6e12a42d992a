//! 初审 and 公示 (review and publicity): the township's opinion posted for 7 days, objections,
//! 民主评议 and re-investigation, and the end of the posting.

use super::*;

/// One step of this phase (the engine dispatches only this phase's actions here).
pub(super) fn step(
    c: &mut Case,
    actor: &Actor,
    event: &Action,
    today: NaiveDate,
    fx: &mut Vec<Effect>,
) -> Result<(), WorkflowError> {
    match event {
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
            opinion_checks(
                c,
                event,
                (*include, *amount, reasons),
                (
                    "the initial opinion",
                    "the reasons for the proposed exclusion",
                ),
            )?;
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
        other => return Err(not_in_state(c, other)),
    }
    Ok(())
}

pub(super) fn conclude_publicity(
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
