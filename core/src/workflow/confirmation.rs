//! 审核确认 (confirmation): the report to the district, the decision (by the township where
//! delegated, else by the district), 公布, and an extension of the time limit.

use super::*;

/// One step of this phase (the engine dispatches only this phase's actions here).
pub(super) fn step(
    c: &mut Case,
    actor: &Actor,
    event: &Action,
    today: NaiveDate,
    cal: &Calendar,
    fx: &mut Vec<Effect>,
) -> Result<(), WorkflowError> {
    match event {
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
            opinion_checks(
                c,
                event,
                (*approve, *amount, reasons),
                ("the decision", "the reasons for the refusal"),
            )?;
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
        other => return Err(not_in_state(c, other)),
    }
    Ok(())
}
