//! 受理 (intake): acceptance, the one-time notice (一次性告知) and what the household supplies
//! after it, signatures, the 近亲属申明 and its 备案, and the household's withdrawal.

use super::*;

/// One step of this phase (the engine dispatches only this phase's actions here).
pub(super) fn step(
    c: &mut Case,
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
        Action::Withdraw { .. } => {
            if c.state.is_decided() {
                return Err(not_in_state(c, event));
            }
            c.state = CaseState::Withdrawn;
            c.closed_on = Some(today);
            notify(fx, Recipient::TownshipClerk, Notice::Withdrawn);
            notify(fx, Recipient::Applicant, Notice::Withdrawn);
        }
        other => return Err(not_in_state(c, other)),
    }
    Ok(())
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
