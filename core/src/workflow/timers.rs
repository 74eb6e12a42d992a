//! Timers: what the passing of days does to a case (the minute scan's [`Action::Tick`]): an
//! expired one-time notice closes the case as abandoned, an ended 公示 concludes, and each
//! deadline passed is reported once.

use super::*;

pub(super) fn tick(
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
        review::conclude_publicity(c, today, fx)?;
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
