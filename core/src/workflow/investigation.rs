//! 入户调查 (investigation): its start, the findings with the methods used and the income
//! established, and the household's objection asking for 复查.

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
            // The household asked for this re-check (复查): its latest objection is to the
            // findings, which can only follow not-eligible findings and leads only here. It is
            // owed the result in writing, whichever way it goes.
            let asked = c
                .objections
                .last()
                .is_some_and(|o| o.target == ObjectionTarget::Findings)
                && c.findings.last().is_some_and(|f| !f.eligible);
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
            c.state = if *eligible {
                CaseState::Investigated
            } else {
                CaseState::FindingsNotified
            };
            if asked {
                notify(
                    fx,
                    Recipient::Applicant,
                    Notice::RecheckResult {
                        eligible: *eligible,
                        summary: summary.clone(),
                    },
                );
            } else if !*eligible {
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
        other => return Err(not_in_state(c, other)),
    }
    Ok(())
}
