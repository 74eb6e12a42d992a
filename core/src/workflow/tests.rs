//! Table-driven tests for every rule of domain.md §2, with deadlines across 春节 and 国庆 and on
//! make-up working days, and a property test that no sequence of events skips a step.

use super::*;
use crate::application::tests::{agent, complete_application, digest, supplied};
use crate::application::{CloseRelation, StaffPost};
use crate::household::tests::make_id;
use chrono::TimeZone;
use proptest::prelude::*;
use rstest::rstest;

const TOWNSHIP: &str = "500102001";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 10:00 in Chongqing on that day.
fn at(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d(s).and_hms_opt(2, 0, 0).unwrap())
}

fn clerk() -> Actor {
    Actor::staff(Role::TownshipClerk, "clerk-1", TOWNSHIP)
}
fn leader() -> Actor {
    Actor::staff(Role::TownshipLeader, "leader-1", TOWNSHIP)
}
fn helper() -> Actor {
    Actor::staff(Role::VillageHelper, "helper-1", TOWNSHIP)
}
fn district() -> Actor {
    Actor::new(Role::DistrictBureau, "district-1")
}
fn applicant() -> Actor {
    Actor::new(Role::Applicant, "kiosk-7")
}
fn agent_actor() -> Actor {
    Actor::new(Role::Agent, "kiosk-7")
}
fn system() -> Actor {
    Actor::system()
}

fn findings(eligible: bool) -> Action {
    Action::RecordFindings {
        eligible,
        summary: if eligible {
            "入户调查：人均月收入 260 元，低于标准".into()
        } else {
            "入户调查：子女赡养能力足以保障基本生活".into()
        },
        per_capita_income: Some(Money::yuan(260)),
        evidence: vec![digest(9)],
        methods: vec![
            InvestigationMethod::HomeVisit,
            InvestigationMethod::InformationCheck,
            InvestigationMethod::HomeVisit,
        ],
    }
}

fn opinion(include: bool) -> Action {
    Action::ProposeInitialOpinion {
        include,
        amount: include.then_some(Money::yuan(620)),
        method: ReviewMethod::NoDispute,
        reviewers: vec!["分管领导".into(), "民政办主任".into(), "调查人员".into()],
        reasons: if include {
            String::new()
        } else {
            "人均收入高于低保标准".into()
        },
    }
}

/// The 初审 of a disputed case, reached in a review meeting.
fn opinion_in_meeting(include: bool) -> Action {
    match opinion(include) {
        Action::ProposeInitialOpinion {
            include,
            amount,
            reviewers,
            reasons,
            ..
        } => Action::ProposeInitialOpinion {
            include,
            amount,
            method: ReviewMethod::ReviewMeeting,
            reviewers,
            reasons,
        },
        _ => unreachable!(),
    }
}

fn approve() -> Action {
    Action::Confirm {
        approve: true,
        amount: Some(Money::yuan(620)),
        reasons: String::new(),
        review_meeting: false,
    }
}

fn refuse(reasons: &str) -> Action {
    Action::Confirm {
        approve: false,
        amount: None,
        reasons: reasons.into(),
        review_meeting: false,
    }
}

fn object_findings() -> Action {
    Action::ObjectToFindings {
        statement: "儿子已失业，无赡养能力".into(),
        evidence: vec![digest(11)],
        needs_help: false,
    }
}

fn object_publicity() -> Action {
    Action::ObjectToPublicity {
        statement: "邻居反映其家中有经营性车辆".into(),
    }
}

fn extend(reason: ExtensionReason) -> Action {
    Action::ExtendTimeLimit {
        reason,
        note: "详细情况".into(),
    }
}

fn withdraw() -> Action {
    Action::Withdraw {
        reason: String::new(),
    }
}

fn supply(kind: Material) -> Action {
    Action::SupplyMaterials {
        materials: vec![supplied(kind)],
    }
}

fn husband() -> IdNumber {
    make_id("500102", "19550611", 131)
}

fn notify_missing(deadline: &str) -> Action {
    Action::NotifyMissingMaterials {
        deadline: d(deadline),
        unusable: vec![],
        note: String::new(),
    }
}

/// An application lacking the income proof and the husband's signature.
fn incomplete_application() -> Application {
    let mut a = complete_application();
    a.materials.retain(|m| m.kind != Material::IncomeProof);
    a.signatures.remove(&husband());
    a
}

fn relative() -> StaffRelative {
    StaffRelative {
        member: husband(),
        staff_name: PersonName::new("李红").unwrap(),
        post: StaffPost::CommitteeMember,
        relation: CloseRelation::Sibling,
    }
}

struct Flow {
    case: Case,
    cal: Calendar,
    effects: Vec<Effect>,
    day: String,
}

impl Flow {
    fn submit(app: Application, delegated: bool, on: &str) -> Flow {
        let cal = Calendar::builtin();
        let (case, effects) = Case::submit(
            "case-1",
            app,
            delegated,
            &TypeAvailability::default(),
            &applicant(),
            at(on),
            &cal,
        )
        .unwrap();
        Flow {
            case,
            cal,
            effects,
            day: on.into(),
        }
    }

    fn new(delegated: bool, on: &str) -> Flow {
        Flow::submit(complete_application(), delegated, on)
    }

    fn try_do(
        &mut self,
        actor: &Actor,
        event: Action,
        on: &str,
    ) -> Result<Vec<Effect>, WorkflowError> {
        let (c, fx) = next(
            &self.case,
            &Event::new(actor.clone(), event),
            at(on),
            &self.cal,
        )?;
        self.case = c;
        self.effects = fx.clone();
        self.day = on.into();
        Ok(fx)
    }

    fn run(&mut self, actor: &Actor, event: Action, on: &str) -> Vec<Effect> {
        let name = event.name();
        self.try_do(actor, event, on)
            .unwrap_or_else(|e| panic!("{name} on {on}: {e}"))
    }

    /// Like `try_do` on the day of the last event, and checks the case is unchanged on error.
    fn attempt(&mut self, actor: &Actor, event: Action) -> Result<Vec<Effect>, WorkflowError> {
        let before = self.case.clone();
        let day = self.day.clone();
        let r = self.try_do(actor, event, &day);
        if r.is_err() {
            assert_eq!(self.case, before);
        }
        r
    }

    fn state(&self) -> CaseState {
        self.case.state
    }

    fn deadline(&self, kind: DeadlineKind, on: &str) -> Deadline {
        deadlines(&self.case, &self.cal, d(on))
            .into_iter()
            .find(|x| x.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} deadline in {}", self.case.state))
    }

    fn has_deadline(&self, kind: DeadlineKind, on: &str) -> bool {
        deadlines(&self.case, &self.cal, d(on))
            .iter()
            .any(|x| x.kind == kind)
    }
}

/// Drives a fresh case (submitted Monday 2026-03-02) along the plain path to `target`.
fn to_state(delegated: bool, target: CaseState) -> Flow {
    let mut f = Flow::new(delegated, "2026-03-02");
    let steps: Vec<(Actor, Action, &str)> = vec![
        (clerk(), Action::Accept, "2026-03-03"),
        (clerk(), Action::StartInvestigation, "2026-03-04"),
        (clerk(), findings(true), "2026-03-05"),
        (clerk(), opinion(true), "2026-03-06"),
        (clerk(), Action::ConcludePublicity, "2026-03-16"),
        (clerk(), Action::ReportToDistrict, "2026-03-16"),
        (
            if delegated { leader() } else { district() },
            approve(),
            "2026-03-17",
        ),
        (clerk(), Action::Publish, "2026-03-18"),
    ];
    for (actor, event, on) in steps {
        if f.state() == target {
            break;
        }
        if delegated && matches!(event, Action::ReportToDistrict) {
            continue;
        }
        f.run(&actor, event, on);
    }
    assert_eq!(f.state(), target);
    f
}

fn notices(fx: &[Effect]) -> Vec<(Recipient, Notice)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify { to, notice } => Some((*to, notice.clone())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The whole procedure
// ---------------------------------------------------------------------------------------------

#[test]
fn delegated_township_from_application_to_publication() {
    let mut f = Flow::new(true, "2026-03-02");
    assert_eq!(f.state(), CaseState::Submitted);
    assert_eq!(
        notices(&f.effects),
        [(
            Recipient::TownshipClerk,
            Notice::ApplicationReceived {
                acceptance_due: d("2026-03-04")
            }
        )]
    );
    let fx = f.run(&clerk(), Action::Accept, "2026-03-03");
    assert_eq!(
        notices(&fx),
        [(
            Recipient::Applicant,
            Notice::Accepted {
                investigation_due: d("2026-03-05")
            }
        )]
    );
    f.run(&clerk(), Action::StartInvestigation, "2026-03-04");
    f.run(&clerk(), findings(true), "2026-03-05");
    assert_eq!(f.state(), CaseState::Investigated);
    let fx = f.run(&clerk(), opinion(true), "2026-03-06");
    assert_eq!(f.state(), CaseState::InPublicity);
    assert!(fx.contains(&Effect::PostPublicity {
        village: "荔枝街道 太极村".into(),
        round: 1,
        name: PersonName::new("冉光秀").unwrap(),
        household_size: 3,
        include: true,
        amount: Some(Money::yuan(620)),
        from: d("2026-03-06"),
        until: d("2026-03-13"),
    }));
    let fx = f.run(&system(), Action::Tick, "2026-03-14");
    assert_eq!(f.state(), CaseState::PublicityEnded);
    assert_eq!(
        notices(&fx),
        [(Recipient::TownshipLeader, Notice::ReadyForConfirmation)]
    );
    let fx = f.run(&leader(), approve(), "2026-03-16");
    assert_eq!(f.state(), CaseState::Approved);
    assert!(fx.contains(&Effect::FileWithDistrict {
        decided_on: d("2026-03-16"),
        amount: Some(Money::yuan(620))
    }));
    assert!(!fx.iter().any(|e| matches!(e, Effect::DoneLate { .. })));
    let fx = f.run(&leader(), Action::Publish, "2026-03-17");
    assert_eq!(f.state(), CaseState::Published);
    assert_eq!(
        fx,
        [Effect::Publish(PublicNotice {
            village: "荔枝街道 太极村".into(),
            name: PersonName::new("冉光秀").unwrap(),
            household_size: 3,
            amount: Some(Money::yuan(620)),
        })]
    );
    assert_eq!(f.case.history.len(), 8);
    assert_eq!(f.case.closed_on, Some(d("2026-03-17")));
    assert!(deadlines(&f.case, &f.cal, d("2026-03-17")).is_empty());
}

#[test]
fn district_confirms_within_ten_working_days_when_not_delegated() {
    let mut f = to_state(false, CaseState::PublicityEnded);
    assert_eq!(
        notices(&f.effects),
        [(Recipient::TownshipClerk, Notice::ReadyForReport)]
    );
    // Reported Monday 2026-03-16: ten working days later is Monday 2026-03-30.
    let fx = f.run(&clerk(), Action::ReportToDistrict, "2026-03-16");
    assert_eq!(
        notices(&fx),
        [(
            Recipient::DistrictBureau,
            Notice::ReportedForDecision {
                decision_due: d("2026-03-30")
            }
        )]
    );
    assert_eq!(f.state(), CaseState::AwaitingDistrict);
    let fx = f.run(&district(), approve(), "2026-03-30");
    assert_eq!(f.state(), CaseState::Approved);
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::FileWithDistrict { .. }))
    );
    assert_eq!(f.case.decision.as_ref().unwrap().by, Role::DistrictBureau);
}

// ---------------------------------------------------------------------------------------------
// 受理 within 2 working days, across 春节 and 国庆 and onto make-up days
// ---------------------------------------------------------------------------------------------

#[rstest]
// Friday before 春节 2026: Sat 2/14 is a make-up day (1), 2/15–2/23 off, Tue 2/24 (2).
#[case::spring_festival_2026("2026-02-13", "2026-02-24")]
// Friday before 春节 2025: Sun 1/26 make-up (1), Mon 1/27 (2).
#[case::spring_festival_2025_make_up_sunday("2025-01-24", "2025-01-27")]
// Friday before 春节 2024: Sun 2/4 make-up (1), Mon 2/5 (2).
#[case::spring_festival_2024_make_up_sunday("2024-02-02", "2024-02-05")]
// Friday 2/9/2024 at the start of 春节: 2/10–2/17 off, Sun 2/18 make-up (1), Mon 2/19 (2).
#[case::spring_festival_2024_ends_on_make_up("2024-02-09", "2024-02-19")]
// 国庆 2025: Tue 9/30 → 10/1–10/8 off, Thu 10/9 (1), Fri 10/10 (2).
#[case::national_day_2025("2025-09-30", "2025-10-10")]
// 国庆 2025: Thu 10/9 → Fri 10/10 (1), Sat 10/11 make-up (2).
#[case::national_day_2025_lands_on_make_up_saturday("2025-10-09", "2025-10-11")]
// 国庆 2026: Fri 9/18 → Sun 9/20 make-up (1), Mon 9/21 (2).
#[case::national_day_2026_make_up_sunday("2026-09-18", "2026-09-21")]
// 国庆 2023: Thu 9/28 → 9/29–10/6 off, Sat 10/7 make-up (1), Sun 10/8 make-up (2).
#[case::national_day_2023_two_make_up_days("2023-09-28", "2023-10-08")]
#[case::plain_week("2026-03-02", "2026-03-04")]
#[case::over_a_weekend("2026-03-06", "2026-03-10")]
fn acceptance_due_within_two_working_days(#[case] received: &str, #[case] due: &str) {
    let f = Flow::new(true, received);
    let dl = f.deadline(DeadlineKind::Acceptance, received);
    assert_eq!(dl.due, d(due));
    assert_eq!(dl.allowed, 2);
    assert_eq!(dl.unit, DayUnit::Working);
    assert!(dl.unpublished_years.is_empty());
    assert_eq!(f.case.acceptance_due(&f.cal), d(due));
}

#[test]
fn a_deadline_in_a_year_without_a_notice_is_flagged() {
    // Received Wednesday 2026-12-30: 12/31 (1), then 2027, which has no notice in the table.
    let f = Flow::new(true, "2026-12-30");
    let dl = f.deadline(DeadlineKind::Acceptance, "2026-12-30");
    assert_eq!(dl.due, d("2027-01-01"));
    assert_eq!(dl.unpublished_years, BTreeSet::from([2027]));
    // Loading the 2027 notice (元旦 1/1 off) makes it certain and moves it.
    let mut cal = Calendar::builtin();
    cal.merge(
        Calendar::from_toml_str(
            "[[year]]\nyear = 2027\nnotice = \"test\"\nholidays = [ { name = \"元旦\", off = [\"2027-01-01\", \"2027-01-03\"] } ]",
        )
        .unwrap(),
    );
    let dl = deadlines(&f.case, &cal, d("2026-12-30"))
        .into_iter()
        .find(|x| x.kind == DeadlineKind::Acceptance)
        .unwrap();
    assert_eq!(dl.due, d("2027-01-04"));
    assert!(dl.unpublished_years.is_empty());
}

#[test]
fn late_acceptance_is_recorded_and_overdue_reported_once() {
    let mut f = Flow::new(true, "2026-02-13");
    assert!(f.run(&system(), Action::Tick, "2026-02-24").is_empty());
    let fx = f.run(&system(), Action::Tick, "2026-02-25");
    assert_eq!(
        fx,
        [Effect::Overdue {
            deadline: DeadlineKind::Acceptance,
            due: d("2026-02-24")
        }]
    );
    let history = f.case.history.len();
    assert!(f.run(&system(), Action::Tick, "2026-02-26").is_empty());
    assert_eq!(
        f.case.history.len(),
        history,
        "an idle tick leaves no trace"
    );
    let fx = f.run(&clerk(), Action::Accept, "2026-02-26");
    assert!(fx.contains(&Effect::DoneLate {
        deadline: DeadlineKind::Acceptance,
        due: d("2026-02-24"),
        done_on: d("2026-02-26")
    }));
}

// ---------------------------------------------------------------------------------------------
// The single missing-materials notice
// ---------------------------------------------------------------------------------------------

#[test]
fn one_notice_lists_everything_missing() {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    let fx = f.run(
        &clerk(),
        Action::NotifyMissingMaterials {
            deadline: d("2026-03-13"),
            unusable: vec![Material::HouseholdRegister],
            note: "户口簿照片不清晰".into(),
        },
        "2026-03-03",
    );
    assert_eq!(f.state(), CaseState::AwaitingMaterials);
    assert_eq!(
        notices(&fx),
        [(
            Recipient::Applicant,
            Notice::MissingMaterials {
                materials: vec![Material::HouseholdRegister, Material::IncomeProof],
                unsigned: vec![PersonName::new("李明德").unwrap()],
                deadline: d("2026-03-13"),
                note: "户口簿照片不清晰".into(),
            }
        )]
    );
    let n = f.case.missing_notice.as_ref().unwrap();
    assert_eq!(n.unsigned, [husband()]);
}

#[rstest]
#[case::second_notice(notify_missing("2026-03-20"), "second_missing_materials_notice")]
#[case::accept_incomplete(Action::Accept, "incomplete")]
fn after_the_notice_only_the_household_can_move(#[case] event: Action, #[case] code: &str) {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    let e = f.attempt(&clerk(), event).unwrap_err();
    assert_eq!(e.code(), code, "{e}");
    assert!(e.to_string().contains("wait for"), "{e}");
}

#[test]
fn supplying_everything_restarts_the_acceptance_period() {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    assert!(
        f.run(&applicant(), supply(Material::IncomeProof), "2026-03-05")
            .is_empty()
    );
    assert_eq!(f.state(), CaseState::AwaitingMaterials);
    let fx = f.run(
        &helper(),
        Action::SignAuthorization { signer: husband() },
        "2026-03-06",
    );
    assert_eq!(f.state(), CaseState::Submitted);
    // Completed Friday 3/6: acceptance by Tuesday 3/10.
    assert_eq!(
        notices(&fx),
        [(
            Recipient::TownshipClerk,
            Notice::MaterialsComplete {
                acceptance_due: d("2026-03-10")
            }
        )]
    );
    assert_eq!(
        f.deadline(DeadlineKind::Acceptance, "2026-03-06").due,
        d("2026-03-10")
    );
    // Still only one notice per case.
    let e = f
        .attempt(&clerk(), notify_missing("2026-03-20"))
        .unwrap_err();
    assert_eq!(e.code(), "second_missing_materials_notice");
    f.run(&clerk(), Action::Accept, "2026-03-09");
    // A tick after the old deadline does not abandon an accepted case.
    f.run(&system(), Action::Tick, "2026-03-16");
    assert_eq!(f.state(), CaseState::Accepted);
}

#[rstest]
#[case::on_the_deadline("2026-03-13", CaseState::AwaitingMaterials)]
#[case::the_day_after("2026-03-14", CaseState::Abandoned)]
#[case::a_week_after("2026-03-20", CaseState::Abandoned)]
fn not_supplied_by_the_deadline_is_deemed_abandoned(
    #[case] tick_on: &str,
    #[case] state: CaseState,
) {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    f.run(&applicant(), supply(Material::IncomeProof), "2026-03-05");
    let fx = f.run(&system(), Action::Tick, tick_on);
    assert_eq!(f.state(), state);
    if state == CaseState::Abandoned {
        assert_eq!(
            notices(&fx),
            [(
                Recipient::Applicant,
                Notice::Abandoned {
                    deadline: d("2026-03-13")
                }
            )]
        );
        assert_eq!(f.case.closed_on, Some(d(tick_on)));
    }
}

#[test]
fn materials_after_the_deadline_are_refused() {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    let e = f
        .try_do(&applicant(), supply(Material::IncomeProof), "2026-03-16")
        .unwrap_err();
    assert_eq!(
        e,
        WorkflowError::SupplementDeadlinePassed {
            deadline: d("2026-03-13")
        }
    );
}

#[rstest]
#[case::nothing_missing(
    complete_application(),
    notify_missing("2026-03-13"),
    "nothing_missing"
)]
#[case::deadline_today(
    incomplete_application(),
    notify_missing("2026-03-03"),
    "deadline_not_after_today"
)]
#[case::accept_without_notice(incomplete_application(), Action::Accept, "incomplete")]
fn notice_rules(#[case] app: Application, #[case] event: Action, #[case] code: &str) {
    let mut f = Flow::submit(app, true, "2026-03-02");
    let e = f.try_do(&clerk(), event, "2026-03-03").unwrap_err();
    assert_eq!(e.code(), code, "{e}");
}

#[test]
fn incomplete_acceptance_says_to_send_the_notice() {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    let e = f
        .try_do(&clerk(), Action::Accept, "2026-03-03")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the application is incomplete (家庭收入情况证明; 1 authorization(s) unsigned): send the missing-materials notice (一次性告知) instead"
    );
}

#[test]
fn supplement_deadline_colours() {
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    // (3/3, 3/13] has 8 working days.
    let dl = f.deadline(DeadlineKind::Supplement, "2026-03-03");
    assert_eq!(
        (dl.allowed, dl.left, dl.colour),
        (8, 8, DeadlineColour::Green)
    );
    let dl = f.deadline(DeadlineKind::Supplement, "2026-03-11");
    assert_eq!((dl.left, dl.colour), (2, DeadlineColour::Amber));
    let dl = f.deadline(DeadlineKind::Supplement, "2026-03-13");
    assert_eq!((dl.left, dl.colour), (0, DeadlineColour::Red));
    assert!(!f.has_deadline(DeadlineKind::Acceptance, "2026-03-03"));
}

// ---------------------------------------------------------------------------------------------
// 近亲属申明 → 备案登记
// ---------------------------------------------------------------------------------------------

/// `app` submitted (the clerk told of the declaration to file), accepted and investigated; the
/// initial opinion is refused until the declaration is filed. Returns the flow and that refusal.
fn investigated_with_a_declaration(app: Application) -> (Flow, WorkflowError) {
    let mut f = Flow::submit(app, true, "2026-03-02");
    assert!(
        notices(&f.effects)
            .contains(&(Recipient::TownshipClerk, Notice::RelativeDeclarationToFile))
    );
    f.run(&clerk(), Action::Accept, "2026-03-03");
    f.run(&clerk(), Action::StartInvestigation, "2026-03-03");
    f.run(&clerk(), findings(true), "2026-03-05");
    let e = f.attempt(&clerk(), opinion(true)).unwrap_err();
    assert_eq!(
        e,
        WorkflowError::MissingStep {
            event: "初审 (propose_initial_opinion)".into(),
            missing: Step::RelativesFiling
        }
    );
    (f, e)
}

#[test]
fn a_staff_relative_must_be_filed_before_the_initial_opinion() {
    let mut app = complete_application();
    app.staff_relatives.push(relative());
    let (mut f, e) = investigated_with_a_declaration(app);
    assert_eq!(
        e.to_string(),
        "初审 (propose_initial_opinion) cannot come yet: 近亲属申明备案登记 (filing the close-relative declaration) must be done first"
    );
    f.run(&clerk(), Action::FileRelativesDeclaration, "2026-03-05");
    assert_eq!(f.case.relatives_filed, 1);
    f.run(&clerk(), opinion(true), "2026-03-05");
    let e = f
        .attempt(&clerk(), Action::FileRelativesDeclaration)
        .unwrap_err();
    assert_eq!(e, WorkflowError::NothingToFile);
}

/// The kiosk asks the 近亲属申明 as yes or no: a "yes" reaches the clerk as a declaration whose
/// details the clerk records with the household (the clerk may record it), and the initial
/// opinion waits until it is recorded and filed.
#[test]
fn a_kiosk_yes_is_completed_by_the_clerk_and_filed_before_the_initial_opinion() {
    let mut app = complete_application();
    app.staff_relative_declared = true;
    let (mut f, _) = investigated_with_a_declaration(app);
    assert!(f.case.relatives_pending() && f.case.relative_details_missing());
    // filing needs the details first
    let e = f
        .attempt(&clerk(), Action::FileRelativesDeclaration)
        .unwrap_err();
    assert_eq!(e, WorkflowError::RelativeDetailsMissing);
    assert_eq!(e.code(), "relative_details_missing");
    f.run(
        &clerk(),
        Action::DeclareStaffRelative {
            relative: relative(),
        },
        "2026-03-05",
    );
    assert!(f.case.relatives_pending() && !f.case.relative_details_missing());
    f.run(&clerk(), Action::FileRelativesDeclaration, "2026-03-05");
    assert!(!f.case.relatives_pending());
    f.run(&clerk(), opinion(true), "2026-03-05");
}

/// A "no" at the kiosk asks nothing of the clerk.
#[test]
fn a_kiosk_no_needs_no_filing() {
    let f = Flow::submit(complete_application(), true, "2026-03-02");
    assert!(!f.case.relatives_pending());
    assert!(
        !notices(&f.effects)
            .contains(&(Recipient::TownshipClerk, Notice::RelativeDeclarationToFile))
    );
}

#[test]
fn a_late_declaration_blocks_confirmation_until_filed() {
    let mut f = to_state(true, CaseState::InPublicity);
    let fx = f.run(
        &applicant(),
        Action::DeclareStaffRelative {
            relative: relative(),
        },
        "2026-03-09",
    );
    assert_eq!(
        notices(&fx),
        [(Recipient::TownshipClerk, Notice::RelativeDeclarationToFile)]
    );
    f.run(&clerk(), Action::ConcludePublicity, "2026-03-16");
    let e = f.attempt(&leader(), approve()).unwrap_err();
    assert_eq!(
        e,
        WorkflowError::MissingStep {
            event: "审核确认 (confirm)".into(),
            missing: Step::RelativesFiling
        }
    );
    f.run(&clerk(), Action::FileRelativesDeclaration, "2026-03-16");
    f.run(&leader(), approve(), "2026-03-16");
}

// ---------------------------------------------------------------------------------------------
// Investigation: start within 2 working days, not-eligible notice, objection → 复查
// ---------------------------------------------------------------------------------------------

#[rstest]
// Accepted Tuesday 2026-09-29: 9/30 (1), 10/1–10/7 off, Thu 10/8 (2).
#[case::national_day_2026("2026-09-28", "2026-09-29", "2026-10-08")]
// Accepted Friday 2025-09-26: Sun 9/28 make-up (1), Mon 9/29 (2).
#[case::make_up_sunday_2025("2025-09-25", "2025-09-26", "2025-09-29")]
// Accepted Thursday 2026-02-12: Fri 2/13 (1), Sat 2/14 make-up (2).
#[case::lands_on_make_up_saturday_2026("2026-02-11", "2026-02-12", "2026-02-14")]
// Accepted Friday 2024-02-09: 2/10–2/17 off, Sun 2/18 make-up (1), Mon 2/19 (2).
#[case::spring_festival_2024("2024-02-08", "2024-02-09", "2024-02-19")]
fn investigation_starts_within_two_working_days(
    #[case] received: &str,
    #[case] accepted: &str,
    #[case] due: &str,
) {
    let mut f = Flow::new(true, received);
    let fx = f.run(&clerk(), Action::Accept, accepted);
    assert_eq!(
        notices(&fx),
        [(
            Recipient::Applicant,
            Notice::Accepted {
                investigation_due: d(due)
            }
        )]
    );
    let dl = f.deadline(DeadlineKind::InvestigationStart, accepted);
    assert_eq!((dl.due, dl.colour), (d(due), DeadlineColour::Green));
    assert_eq!(
        f.deadline(DeadlineKind::InvestigationStart, due).colour,
        DeadlineColour::Red
    );
    // Starting the day after the due day is recorded as late.
    let after = (d(due) + chrono::Days::new(1)).to_string();
    let fx = f.run(&clerk(), Action::StartInvestigation, &after);
    assert!(fx.contains(&Effect::DoneLate {
        deadline: DeadlineKind::InvestigationStart,
        due: d(due),
        done_on: d(&after)
    }));
    assert!(!f.has_deadline(DeadlineKind::InvestigationStart, &after));
}

#[test]
fn not_eligible_findings_are_notified_and_an_objection_leads_to_a_recheck() {
    let mut f = to_state(true, CaseState::Investigating);
    let fx = f.run(&clerk(), findings(false), "2026-03-05");
    assert_eq!(f.state(), CaseState::FindingsNotified);
    assert_eq!(
        notices(&fx),
        [(
            Recipient::Applicant,
            Notice::NotEligible {
                summary: "入户调查：子女赡养能力足以保障基本生活".into()
            }
        )]
    );
    let fx = f.run(
        &applicant(),
        Action::ObjectToFindings {
            statement: "儿子已失业".into(),
            evidence: vec![],
            needs_help: true,
        },
        "2026-03-06",
    );
    assert_eq!(f.state(), CaseState::Investigating);
    assert_eq!(
        notices(&fx),
        [(
            Recipient::TownshipClerk,
            Notice::FindingsObjected { needs_help: true }
        )]
    );
    f.run(&clerk(), findings(true), "2026-03-10");
    assert!(f.case.findings[1].recheck);
    assert_eq!(f.state(), CaseState::Investigated);
    // A re-checked case is disputed: the 初审 and a delegated confirmation need a meeting.
    assert_eq!(
        f.attempt(&clerk(), opinion(true)).unwrap_err(),
        WorkflowError::DisputedCase
    );
    f.run(&clerk(), opinion_in_meeting(true), "2026-03-10");
    f.run(&clerk(), Action::ConcludePublicity, "2026-03-18");
    assert_eq!(
        f.attempt(&leader(), approve()).unwrap_err(),
        WorkflowError::MeetingRequired
    );
    f.run(
        &leader(),
        Action::Confirm {
            approve: true,
            amount: Some(Money::yuan(620)),
            reasons: String::new(),
            review_meeting: true,
        },
        "2026-03-18",
    );
}

#[rstest]
#[case::no_statement(Action::ObjectToFindings { statement: " ".into(), evidence: vec![digest(1)], needs_help: false }, "text_required")]
#[case::no_evidence_no_help(Action::ObjectToFindings { statement: "不服".into(), evidence: vec![], needs_help: false }, "text_required")]
#[case::bad_digest(Action::ObjectToFindings { statement: "不服".into(), evidence: vec!["xyz".into()], needs_help: false }, "bad_digest")]
fn objections_need_substance(#[case] event: Action, #[case] code: &str) {
    let mut f = to_state(true, CaseState::Investigating);
    f.run(&clerk(), findings(false), "2026-03-05");
    assert_eq!(f.attempt(&applicant(), event).unwrap_err().code(), code);
}

#[test]
fn without_objection_a_not_eligible_case_goes_on_to_an_exclusion_and_a_written_refusal() {
    let mut f = to_state(true, CaseState::Investigating);
    f.run(&clerk(), findings(false), "2026-03-05");
    let e = f
        .attempt(
            &clerk(),
            Action::ProposeInitialOpinion {
                include: false,
                amount: None,
                method: ReviewMethod::NoDispute,
                reviewers: vec!["分管领导".into()],
                reasons: String::new(),
            },
        )
        .unwrap_err();
    assert_eq!(e.code(), "text_required");
    let fx = f.run(&clerk(), opinion(false), "2026-03-09");
    // Proposed exclusions are posted too.
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::PostPublicity {
            include: false,
            amount: None,
            ..
        }
    )));
    f.run(&clerk(), Action::ConcludePublicity, "2026-03-17");
    assert_eq!(
        f.attempt(&leader(), refuse(" ")).unwrap_err().code(),
        "text_required"
    );
    let fx = f.run(&leader(), refuse("人均收入高于低保标准"), "2026-03-17");
    assert_eq!(f.state(), CaseState::Refused);
    assert_eq!(
        notices(&fx),
        [(
            Recipient::Applicant,
            Notice::Refused {
                reasons: "人均收入高于低保标准".into()
            }
        )]
    );
    assert_eq!(
        f.attempt(&clerk(), Action::Publish).unwrap_err(),
        WorkflowError::Closed {
            state: CaseState::Refused
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 初审 with an amount; 7-day 公示; objection → re-investigation or appraisal → second 公示
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::include_without_amount(AssistanceType::Dibao, true, None, Some("amount_required"))]
#[case::include_with_zero(
    AssistanceType::Dibao,
    true,
    Some(Money::ZERO),
    Some("amount_required")
)]
#[case::exclude_with_amount(
    AssistanceType::Dibao,
    false,
    Some(Money::yuan(100)),
    Some("amount_not_allowed")
)]
#[case::include_with_amount(AssistanceType::Dibao, true, Some(Money::fen(62_050)), None)]
#[case::edge_household_without_amount(AssistanceType::LowIncomeEdge, true, None, None)]
#[case::tekun_without_amount(AssistanceType::Tekun, true, None, Some("amount_required"))]
fn the_initial_opinion_sets_the_amount(
    #[case] t: AssistanceType,
    #[case] include: bool,
    #[case] amount: Option<Money>,
    #[case] error: Option<&str>,
) {
    let mut app = complete_application();
    app.assistance_type = t;
    app.materials = crate::application::base_checklist(t)
        .iter()
        .map(|k| supplied(*k))
        .collect();
    let mut f = Flow::submit(app, true, "2026-03-02");
    f.run(&clerk(), Action::Accept, "2026-03-03");
    f.run(&clerk(), Action::StartInvestigation, "2026-03-03");
    f.run(&clerk(), findings(true), "2026-03-04");
    let r = f.attempt(
        &clerk(),
        Action::ProposeInitialOpinion {
            include,
            amount,
            method: ReviewMethod::ReviewMeeting,
            reviewers: vec!["分管领导".into()],
            reasons: "理由".into(),
        },
    );
    assert_eq!(r.err().map(|e| e.code()), error);
}

#[rstest]
// Posted Thursday 2026-02-12: seven calendar days 2/13–2/19 (all in 春节), concluded from 2/20.
#[case::over_spring_festival("2026-02-12", "2026-02-19")]
#[case::over_national_day("2025-09-30", "2025-10-07")]
#[case::plain("2026-03-06", "2026-03-13")]
fn publicity_lasts_seven_calendar_days(#[case] posted: &str, #[case] ends: &str) {
    let mut f = Flow::new(true, "2023-03-01");
    f.run(&clerk(), Action::Accept, "2023-03-02");
    f.run(&clerk(), Action::StartInvestigation, "2023-03-02");
    f.run(&clerk(), findings(true), "2023-03-03");
    f.run(&clerk(), opinion(true), posted);
    let p = f.case.current_publicity().unwrap().clone();
    assert_eq!(p.ends_on, d(ends));
    let dl = f.deadline(DeadlineKind::PublicityEnd, posted);
    assert_eq!((dl.unit, dl.allowed, dl.left), (DayUnit::Calendar, 7, 7));
    // On the last day it is still running, and objections are still taken.
    assert_eq!(
        f.try_do(&clerk(), Action::ConcludePublicity, ends)
            .unwrap_err(),
        WorkflowError::PublicityRunning { until: d(ends) }
    );
    let next_day = (d(ends) + chrono::Days::new(1)).to_string();
    let mut objecting = Flow {
        case: f.case.clone(),
        cal: Calendar::builtin(),
        effects: vec![],
        day: ends.into(),
    };
    objecting.run(&helper(), object_publicity(), ends);
    assert_eq!(objecting.state(), CaseState::PublicityObjected);
    // The day after, the objection is too late and the posting can be concluded.
    assert_eq!(
        f.try_do(&applicant(), object_publicity(), &next_day)
            .unwrap_err(),
        WorkflowError::PublicityOver { ended: d(ends) }
    );
    f.run(&clerk(), Action::ConcludePublicity, &next_day);
    assert_eq!(f.state(), CaseState::PublicityEnded);
    assert_eq!(
        f.attempt(&applicant(), object_publicity()).unwrap_err(),
        WorkflowError::PublicityOver { ended: d(ends) }
    );
}

#[rstest]
#[case::reinvestigation(Action::Reinvestigate, CaseState::Investigating)]
#[case::democratic_appraisal(Action::StartDemocraticAppraisal, CaseState::Appraising)]
fn an_objection_leads_to_a_new_opinion_and_a_second_publicity(
    #[case] response: Action,
    #[case] state: CaseState,
) {
    let mut f = to_state(true, CaseState::InPublicity);
    let fx = f.run(&clerk(), object_publicity(), "2026-03-09");
    assert_eq!(
        notices(&fx),
        [(Recipient::TownshipClerk, Notice::PublicityObjected)]
    );
    assert!(f.case.publicities[0].objected);
    // The posting is interrupted: nothing to conclude, nothing to confirm.
    assert_eq!(
        f.attempt(&clerk(), Action::ConcludePublicity)
            .unwrap_err()
            .code(),
        "not_in_state"
    );
    assert_eq!(
        f.attempt(
            &clerk(),
            Action::RecordAppraisal {
                summary: "x".into()
            }
        )
        .unwrap_err(),
        WorkflowError::MissingStep {
            event: "民主评议结果 (record_appraisal)".into(),
            missing: Step::DemocraticAppraisal
        }
    );
    f.run(&clerk(), response, "2026-03-10");
    assert_eq!(f.state(), state);
    if state == CaseState::Investigating {
        f.run(&clerk(), findings(true), "2026-03-12");
    } else {
        assert_eq!(
            f.attempt(&clerk(), Action::RecordAppraisal { summary: "".into() })
                .unwrap_err()
                .code(),
            "text_required"
        );
        f.run(
            &clerk(),
            Action::RecordAppraisal {
                summary: "民主评议：车辆系亲属所有，维持纳入".into(),
            },
            "2026-03-12",
        );
        assert_eq!(f.state(), CaseState::Appraised);
    }
    assert_eq!(
        f.attempt(&clerk(), opinion(true)).unwrap_err().code(),
        "disputed_case"
    );
    let fx = f.run(&clerk(), opinion_in_meeting(true), "2026-03-12");
    assert!(fx.contains(&Effect::Notify {
        to: Recipient::Applicant,
        notice: Notice::PublicityPosted {
            round: 2,
            until: d("2026-03-19")
        }
    }));
    assert_eq!(f.case.opinions.len(), 2);
    f.run(&system(), Action::Tick, "2026-03-20");
    assert_eq!(f.state(), CaseState::PublicityEnded);
    assert_eq!(
        f.attempt(&leader(), approve()).unwrap_err(),
        WorkflowError::MeetingRequired
    );
}

#[rstest]
#[case::reinvestigate(Action::Reinvestigate)]
#[case::appraisal(Action::StartDemocraticAppraisal)]
fn reinvestigation_needs_an_objection(#[case] event: Action) {
    let mut f = to_state(true, CaseState::InPublicity);
    let e = f.attempt(&clerk(), event).unwrap_err();
    assert_eq!(e.code(), "no_objection");
    assert!(e.to_string().contains("公示异议"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Confirmation
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::approve_without_amount(Action::Confirm { approve: true, amount: None, reasons: String::new(), review_meeting: false }, "amount_required")]
#[case::refuse_with_amount(Action::Confirm { approve: false, amount: Some(Money::yuan(1)), reasons: "r".into(), review_meeting: false }, "amount_not_allowed")]
#[case::refuse_without_reasons(refuse(""), "text_required")]
fn confirmation_rules(#[case] event: Action, #[case] code: &str) {
    let mut f = to_state(true, CaseState::PublicityEnded);
    assert_eq!(f.attempt(&leader(), event).unwrap_err().code(), code);
}

/// Seed 二(二)3: a disputed case may go to a 民主评议 before the 初审, called by the clerk;
/// the 初审 is then a review meeting's, and the leader confirms in a meeting too.
#[test]
fn the_clerk_may_call_a_democratic_appraisal_before_the_initial_opinion() {
    let mut f = to_state(true, CaseState::Investigated);
    f.run(&clerk(), Action::StartDemocraticAppraisal, "2026-03-06");
    assert_eq!(f.state(), CaseState::Appraising);
    assert!(f.case.publicities.is_empty());
    assert_eq!(
        f.attempt(&clerk(), opinion(true)).unwrap_err().code(),
        "not_in_state"
    );
    f.run(
        &clerk(),
        Action::RecordAppraisal {
            summary: "村民代表评议：家中无劳动力，同意纳入".into(),
        },
        "2026-03-09",
    );
    assert_eq!(f.state(), CaseState::Appraised);
    assert_eq!(
        f.attempt(&clerk(), opinion(true)).unwrap_err(),
        WorkflowError::DisputedCase
    );
    let fx = f.run(&clerk(), opinion_in_meeting(true), "2026-03-09");
    assert!(fx.contains(&Effect::Notify {
        to: Recipient::Applicant,
        notice: Notice::PublicityPosted {
            round: 1,
            until: d("2026-03-16")
        }
    }));
    f.run(&system(), Action::Tick, "2026-03-17");
    assert_eq!(f.state(), CaseState::PublicityEnded);
    assert_eq!(
        f.attempt(&leader(), approve()).unwrap_err(),
        WorkflowError::MeetingRequired
    );
}

/// A decision that is not what the 公示 posted — the other way, or another amount — needs the
/// revised opinion posted first; after that 公示 the decision that matches it stands.
#[rstest]
#[case::more_money(true, Action::Confirm { approve: true, amount: Some(Money::yuan(700)), reasons: String::new(), review_meeting: false })]
#[case::refused_after_a_proposed_inclusion(true, refuse("家庭财产超过规定"))]
#[case::included_after_a_proposed_exclusion(false, approve())]
fn a_decision_other_than_posted_needs_a_new_publicity(
    #[case] posted_include: bool,
    #[case] decision: Action,
) {
    for delegated in [true, false] {
        let mut f = Flow::new(delegated, "2026-03-02");
        f.run(&clerk(), Action::Accept, "2026-03-03");
        f.run(&clerk(), Action::StartInvestigation, "2026-03-04");
        f.run(&clerk(), findings(true), "2026-03-05");
        f.run(&clerk(), opinion(posted_include), "2026-03-06");
        f.run(&clerk(), Action::ConcludePublicity, "2026-03-16");
        let decider = if delegated {
            leader()
        } else {
            f.run(&clerk(), Action::ReportToDistrict, "2026-03-16");
            district()
        };
        let e = f.attempt(&decider, decision.clone()).unwrap_err();
        assert_eq!(e.code(), "differs_from_publicity", "{e}");
        assert!(e.to_string().contains("new 公示"), "{e}");
        // the township posts the revised opinion: round 2, seven calendar days
        let Action::Confirm {
            approve, amount, ..
        } = decision.clone()
        else {
            unreachable!()
        };
        let revised = Action::ProposeInitialOpinion {
            include: approve,
            amount,
            method: ReviewMethod::ReviewMeeting,
            reviewers: vec!["分管领导".into(), "民政办主任".into()],
            reasons: if approve {
                String::new()
            } else {
                "家庭财产超过规定".into()
            },
        };
        let fx = f.run(&clerk(), revised, "2026-03-18");
        assert_eq!(f.state(), CaseState::InPublicity);
        assert!(fx.iter().any(|e| matches!(
            e,
            Effect::PostPublicity { round: 2, include, amount: a, .. } if *include == approve && *a == amount
        )));
        f.run(&clerk(), Action::ConcludePublicity, "2026-03-26");
        if !delegated {
            f.run(&clerk(), Action::ReportToDistrict, "2026-03-26");
        }
        f.run(&decider, decision.clone(), "2026-03-27");
        assert!(matches!(
            f.state(),
            CaseState::Approved | CaseState::Refused
        ));
    }
}

#[test]
fn a_delegated_township_has_nothing_to_report() {
    let mut f = to_state(true, CaseState::PublicityEnded);
    assert_eq!(
        f.attempt(&clerk(), Action::ReportToDistrict).unwrap_err(),
        WorkflowError::DelegatedTownship
    );
}

#[rstest]
// Reported Monday 2026-09-28: 9/29, 9/30 (2), 10/1–10/7 off, 10/8, 10/9 (4), Sat 10/10 make-up
// (5), 10/12–10/16 (10).
#[case::national_day_2026("2026-09-28", "2026-10-16")]
// Reported Monday 2026-02-09: 2/10–2/13 (4), Sat 2/14 make-up (5), 2/15–2/23 off, 2/24–2/27 (9),
// Sat 2/28 make-up (10).
#[case::spring_festival_2026_ends_on_make_up("2026-02-09", "2026-02-28")]
// Reported Monday 2025-01-20: 1/21–1/24 (4), Sun 1/26 make-up (5), Mon 1/27 (6), 1/28–2/4 off,
// 2/5–2/7 (9), Sat 2/8 make-up (10).
#[case::spring_festival_2025_ends_on_make_up("2025-01-20", "2025-02-08")]
fn the_district_decides_within_ten_working_days(#[case] reported: &str, #[case] due: &str) {
    let r = d(reported);
    let day = |n: u64| (r - chrono::Days::new(n)).to_string();
    let mut f = Flow::new(false, &day(14));
    f.run(&clerk(), Action::Accept, &day(13));
    f.run(&clerk(), Action::StartInvestigation, &day(13));
    f.run(&clerk(), findings(true), &day(12));
    f.run(&clerk(), opinion(true), &day(11));
    f.run(&clerk(), Action::ConcludePublicity, &day(3));
    f.run(&clerk(), Action::ReportToDistrict, reported);
    assert_eq!(
        f.deadline(DeadlineKind::DistrictDecision, reported).due,
        d(due)
    );
    let after = (d(due) + chrono::Days::new(1)).to_string();
    let fx = f.run(&district(), approve(), &after);
    assert!(fx.contains(&Effect::DoneLate {
        deadline: DeadlineKind::DistrictDecision,
        due: d(due),
        done_on: d(&after)
    }));
}

// ---------------------------------------------------------------------------------------------
// Total limits 20 / 25 / 40 working days and the colours
// ---------------------------------------------------------------------------------------------

#[rstest]
// Accepted Tuesday 2026-02-10. 2/11–2/13 (3), Sat 2/14 (4), 2/15–2/23 off, 2/24–2/27 (8),
// Sat 2/28 (9), 3/2–3/6 (14), 3/9–3/13 (19), 3/16 (20) … 3/23 (25) … 4/3 (34), 4/4–4/6 清明 off,
// 4/7–4/10 (38), 4/13 (39), 4/14 (40).
#[case::delegated_over_spring_festival("2026-02-09", "2026-02-10", true, None, "2026-03-16")]
#[case::district_over_spring_festival("2026-02-09", "2026-02-10", false, None, "2026-03-23")]
#[case::extended_over_spring_festival_and_qingming(
    "2026-02-09",
    "2026-02-10",
    true,
    Some(ExtensionReason::DifficultInvestigation),
    "2026-04-14"
)]
// Accepted Monday 2025-09-22. 9/23–9/26 (4), Sun 9/28 make-up (5), 9/29–9/30 (7), 10/1–10/8
// off, 10/9–10/10 (9), Sat 10/11 make-up (10), 10/13–10/17 (15), 10/20–10/24 (20), … 10/31 (25).
#[case::delegated_over_national_day("2025-09-19", "2025-09-22", true, None, "2025-10-24")]
#[case::district_over_national_day("2025-09-19", "2025-09-22", false, None, "2025-10-31")]
fn total_time_limits(
    #[case] received: &str,
    #[case] accepted: &str,
    #[case] delegated: bool,
    #[case] extension: Option<ExtensionReason>,
    #[case] due: &str,
) {
    let mut f = Flow::new(delegated, received);
    f.run(&clerk(), Action::Accept, accepted);
    if let Some(r) = extension {
        let fx = f.run(&clerk(), extend(r), accepted);
        assert!(notices(&fx).contains(&(
            Recipient::Applicant,
            Notice::TimeLimitExtended {
                reason: r,
                due: d(due)
            }
        )));
    }
    let dl = f.deadline(DeadlineKind::Total, accepted);
    assert_eq!(dl.due, d(due));
    assert_eq!(dl.allowed, f.case.total_limit());
    assert_eq!(dl.colour, DeadlineColour::Green);
    assert_eq!(f.case.total_due(&f.cal), Some(d(due)));
}

#[rstest]
#[case(25, 25, DeadlineColour::Green)]
#[case(25, 7, DeadlineColour::Green)] // 28 %
#[case(25, 6, DeadlineColour::Amber)] // 24 %
#[case(20, 5, DeadlineColour::Amber)] // exactly 25 %
#[case(20, 2, DeadlineColour::Amber)] // exactly 10 %
#[case(25, 3, DeadlineColour::Amber)] // 12 %
#[case(25, 2, DeadlineColour::Red)] // 8 %
#[case(40, 4, DeadlineColour::Amber)]
#[case(40, 3, DeadlineColour::Red)]
#[case(2, 1, DeadlineColour::Green)]
#[case(2, 0, DeadlineColour::Red)]
#[case(0, 0, DeadlineColour::Red)]
fn colours(#[case] allowed: u32, #[case] left: u32, #[case] colour: DeadlineColour) {
    assert_eq!(DeadlineColour::of(allowed, left), colour);
}

#[rstest]
// Delegated, accepted 2026-03-03 → due 2026-03-31 (20 working days).
#[case("2026-03-03", 20, DeadlineColour::Green, 0)]
#[case("2026-03-24", 5, DeadlineColour::Amber, 0)]
#[case("2026-03-27", 2, DeadlineColour::Amber, 0)]
#[case("2026-03-30", 1, DeadlineColour::Red, 0)]
#[case("2026-03-31", 0, DeadlineColour::Red, 0)]
#[case("2026-04-02", 0, DeadlineColour::Overdue, 2)]
fn total_deadline_colour_over_time(
    #[case] today: &str,
    #[case] left: u32,
    #[case] colour: DeadlineColour,
    #[case] over: u32,
) {
    let f = to_state(true, CaseState::Investigated);
    let dl = f.deadline(DeadlineKind::Total, today);
    assert_eq!(dl.due, d("2026-03-31"));
    assert_eq!((dl.left, dl.colour, dl.overdue_by), (left, colour, over));
}

#[test]
fn overdue_total_is_reported_once_and_again_after_an_extension() {
    let mut f = to_state(true, CaseState::Investigated);
    let fx = f.run(&system(), Action::Tick, "2026-04-01");
    assert_eq!(
        fx,
        [Effect::Overdue {
            deadline: DeadlineKind::Total,
            due: d("2026-03-31")
        }]
    );
    assert!(f.run(&system(), Action::Tick, "2026-04-02").is_empty());
    f.run(
        &clerk(),
        extend(ExtensionReason::SeparatedResidence),
        "2026-04-02",
    );
    // 40 working days from 3/3 (清明 4/4–4/6 off): 4/29, 18 of 40 left on 4/2.
    let dl = f.deadline(DeadlineKind::Total, "2026-04-02");
    assert_eq!(
        (dl.due, dl.left, dl.colour),
        (d("2026-04-29"), 18, DeadlineColour::Green)
    );
    let fx = f.run(&system(), Action::Tick, "2026-05-06");
    assert_eq!(
        fx,
        [Effect::Overdue {
            deadline: DeadlineKind::Total,
            due: d("2026-04-29")
        }]
    );
}

#[rstest]
#[case::objection_without_objection(
    ExtensionReason::PublicityObjection,
    CaseState::InPublicity,
    "extension_not_justified"
)]
#[case::before_acceptance(
    ExtensionReason::DifficultInvestigation,
    CaseState::Submitted,
    "missing_step"
)]
#[case::after_the_decision(
    ExtensionReason::DifficultInvestigation,
    CaseState::Approved,
    "not_in_state"
)]
fn extension_rules(#[case] reason: ExtensionReason, #[case] state: CaseState, #[case] code: &str) {
    let mut f = to_state(true, state);
    assert_eq!(
        f.attempt(&clerk(), extend(reason)).unwrap_err().code(),
        code
    );
}

#[test]
fn an_objection_justifies_one_extension_with_a_recorded_reason() {
    let mut f = to_state(true, CaseState::InPublicity);
    f.run(&clerk(), object_publicity(), "2026-03-09");
    assert_eq!(
        f.attempt(
            &leader(),
            Action::ExtendTimeLimit {
                reason: ExtensionReason::PublicityObjection,
                note: "".into()
            }
        )
        .unwrap_err()
        .code(),
        "text_required"
    );
    f.run(
        &leader(),
        extend(ExtensionReason::PublicityObjection),
        "2026-03-09",
    );
    let ext = f.case.extension.clone().unwrap();
    assert_eq!(
        (ext.reason, ext.by.as_str()),
        (ExtensionReason::PublicityObjection, "leader-1")
    );
    assert_eq!(f.case.total_limit(), 40);
    assert_eq!(
        f.attempt(&clerk(), extend(ExtensionReason::DifficultInvestigation))
            .unwrap_err(),
        WorkflowError::AlreadyExtended {
            on: d("2026-03-09")
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Roles, townships, agents: acting outside one's role is an error naming the required role
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::applicant_accepts(true, applicant(), Action::Accept, vec![Role::TownshipClerk])]
#[case::helper_accepts(true, helper(), Action::Accept, vec![Role::TownshipClerk])]
#[case::leader_accepts(true, leader(), Action::Accept, vec![Role::TownshipClerk])]
#[case::system_accepts(true, system(), Action::Accept, vec![Role::TownshipClerk])]
#[case::helper_investigates(true, helper(), Action::StartInvestigation, vec![Role::TownshipClerk])]
#[case::applicant_records_findings(true, applicant(), findings(true), vec![Role::TownshipClerk])]
#[case::helper_proposes(true, helper(), opinion(true), vec![Role::TownshipClerk])]
#[case::clerk_confirms_delegated(true, clerk(), approve(), vec![Role::TownshipLeader])]
#[case::district_confirms_delegated(true, district(), approve(), vec![Role::TownshipLeader])]
#[case::leader_confirms_not_delegated(false, leader(), approve(), vec![Role::DistrictBureau])]
#[case::clerk_ticks(true, clerk(), Action::Tick, vec![Role::System])]
#[case::clerk_objects_to_findings(true, clerk(), object_findings(), vec![Role::Applicant, Role::Agent])]
#[case::clerk_withdraws(true, clerk(), withdraw(), vec![Role::Applicant, Role::Agent])]
#[case::helper_declares_relative(true, helper(), Action::DeclareStaffRelative { relative: relative() }, vec![Role::Applicant, Role::Agent, Role::TownshipClerk])]
#[case::district_supplies(true, district(), supply(Material::IncomeProof), vec![Role::Applicant, Role::Agent, Role::VillageHelper])]
#[case::clerk_signs(true, clerk(), Action::SignAuthorization { signer: husband() }, vec![Role::Applicant, Role::Agent, Role::VillageHelper])]
#[case::applicant_publishes(true, applicant(), Action::Publish, vec![Role::TownshipClerk, Role::TownshipLeader])]
#[case::helper_extends(true, helper(), extend(ExtensionReason::DifficultInvestigation), vec![Role::TownshipClerk, Role::TownshipLeader])]
#[case::district_objects_to_publicity(true, district(), object_publicity(), vec![Role::Applicant, Role::Agent, Role::Resident, Role::VillageHelper, Role::TownshipClerk])]
#[case::resident_withdraws(true, Actor::new(Role::Resident, "kiosk-7"), withdraw(), vec![Role::Applicant, Role::Agent])]
#[case::resident_objects_to_findings(true, Actor::new(Role::Resident, "kiosk-7"), object_findings(), vec![Role::Applicant, Role::Agent])]
#[case::applicant_reports(false, applicant(), Action::ReportToDistrict, vec![Role::TownshipClerk])]
fn acting_outside_ones_role_names_the_required_role(
    #[case] delegated: bool,
    #[case] actor: Actor,
    #[case] event: Action,
    #[case] required: Vec<Role>,
) {
    let mut f = Flow::new(delegated, "2026-03-02");
    let e = f.attempt(&actor, event).unwrap_err();
    let WorkflowError::WrongRole {
        required: Roles(got),
        actual,
        ..
    } = &e
    else {
        panic!("expected a role error, got {e}");
    };
    assert_eq!(got, &required);
    assert_eq!(*actual, actor.role);
    for r in required {
        assert!(e.to_string().contains(r.label_zh()), "{e}");
    }
}

#[test]
fn role_error_message() {
    let mut f = to_state(true, CaseState::PublicityEnded);
    assert_eq!(
        f.attempt(&clerk(), approve()).unwrap_err().to_string(),
        "审核确认 (confirm) must be done by 乡镇（街道）分管领导 (township leader); 乡镇（街道）民政经办人员 (township clerk) may not"
    );
}

#[rstest]
#[case::other_township(Actor::staff(Role::TownshipClerk, "clerk-9", "500102002"))]
#[case::no_township(Actor::new(Role::TownshipClerk, "clerk-9"))]
fn staff_act_only_in_their_own_township(#[case] actor: Actor) {
    let mut f = Flow::new(true, "2026-03-02");
    let e = f.attempt(&actor, Action::Accept).unwrap_err();
    assert_eq!(e.code(), "wrong_township");
    assert!(e.to_string().contains(TOWNSHIP), "{e}");
}

#[test]
fn an_agent_acts_only_when_recorded() {
    let mut f = Flow::new(true, "2026-03-02");
    let e = f.attempt(&agent_actor(), withdraw()).unwrap_err();
    assert_eq!(e.code(), "no_agent");
    let cal = Calendar::builtin();
    let e = Case::submit(
        "c",
        complete_application(),
        true,
        &TypeAvailability::default(),
        &agent_actor(),
        at("2026-03-02"),
        &cal,
    )
    .unwrap_err();
    assert_eq!(e.code(), "no_agent");
    let mut app = complete_application();
    app.agent = Some(agent());
    app.materials.push(supplied(Material::PowerOfAttorney));
    app.materials.push(supplied(Material::AgentIdCard));
    let (case, _) = Case::submit(
        "c",
        app,
        true,
        &TypeAvailability::default(),
        &agent_actor(),
        at("2026-03-02"),
        &cal,
    )
    .unwrap();
    let (case, _) = next(
        &case,
        &Event::new(agent_actor(), withdraw()),
        at("2026-03-03"),
        &cal,
    )
    .unwrap();
    assert_eq!(case.state, CaseState::Withdrawn);
    assert_eq!(case.history[1].role, Role::Agent);
}

#[rstest]
#[case::staff_submits(clerk(), "wrong_role")]
#[case::district_submits(district(), "wrong_role")]
fn only_the_household_submits(#[case] actor: Actor, #[case] code: &str) {
    let e = Case::submit(
        "c",
        complete_application(),
        true,
        &TypeAvailability::default(),
        &actor,
        at("2026-03-02"),
        &Calendar::builtin(),
    )
    .unwrap_err();
    assert_eq!(e.code(), code);
}

#[test]
fn a_type_not_yet_open_cannot_be_submitted() {
    let mut app = complete_application();
    app.assistance_type = AssistanceType::Education;
    let e = Case::submit(
        "c",
        app,
        true,
        &TypeAvailability::default(),
        &applicant(),
        at("2026-03-02"),
        &Calendar::builtin(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        WorkflowError::Application(ApplicationError::NotYetOpen(AssistanceType::Education))
    );
}

// ---------------------------------------------------------------------------------------------
// Skipping steps is an error naming the missing step
// ---------------------------------------------------------------------------------------------

#[rstest]
#[case::investigate_before_acceptance(
    CaseState::Submitted,
    true,
    clerk(),
    Action::StartInvestigation,
    Step::Acceptance
)]
#[case::findings_before_acceptance(
    CaseState::Submitted,
    true,
    clerk(),
    findings(true),
    Step::Acceptance
)]
#[case::opinion_before_acceptance(
    CaseState::Submitted,
    true,
    clerk(),
    opinion(true),
    Step::Acceptance
)]
#[case::leader_confirms_before_acceptance(
    CaseState::Submitted,
    true,
    leader(),
    approve(),
    Step::Acceptance
)]
#[case::district_confirms_before_acceptance(
    CaseState::Submitted,
    false,
    district(),
    approve(),
    Step::Acceptance
)]
#[case::publish_before_acceptance(
    CaseState::Submitted,
    true,
    clerk(),
    Action::Publish,
    Step::Acceptance
)]
#[case::extend_before_acceptance(
    CaseState::Submitted,
    true,
    clerk(),
    extend(ExtensionReason::DifficultInvestigation),
    Step::Acceptance
)]
#[case::findings_before_start(
    CaseState::Accepted,
    true,
    clerk(),
    findings(true),
    Step::InvestigationStart
)]
#[case::opinion_before_start(
    CaseState::Accepted,
    true,
    clerk(),
    opinion(true),
    Step::InvestigationStart
)]
#[case::objection_before_findings(
    CaseState::Accepted,
    true,
    applicant(),
    object_findings(),
    Step::Investigation
)]
#[case::opinion_before_findings(
    CaseState::Investigating,
    true,
    clerk(),
    opinion(true),
    Step::Investigation
)]
#[case::confirm_before_opinion(
    CaseState::Investigated,
    true,
    leader(),
    approve(),
    Step::InitialOpinion
)]
#[case::conclude_before_opinion(
    CaseState::Investigated,
    true,
    clerk(),
    Action::ConcludePublicity,
    Step::InitialOpinion
)]
#[case::report_before_opinion(
    CaseState::Investigated,
    false,
    clerk(),
    Action::ReportToDistrict,
    Step::InitialOpinion
)]
#[case::objection_before_posting(
    CaseState::Investigated,
    true,
    applicant(),
    object_publicity(),
    Step::InitialOpinion
)]
#[case::appraisal_before_investigation(
    CaseState::Accepted,
    true,
    clerk(),
    Action::StartDemocraticAppraisal,
    Step::PublicityObjection
)]
#[case::leader_confirms_during_publicity(
    CaseState::InPublicity,
    true,
    leader(),
    approve(),
    Step::Publicity
)]
#[case::report_during_publicity(
    CaseState::InPublicity,
    false,
    clerk(),
    Action::ReportToDistrict,
    Step::Publicity
)]
#[case::district_confirms_unreported(
    CaseState::PublicityEnded,
    false,
    district(),
    approve(),
    Step::ReportToDistrict
)]
#[case::publish_before_confirmation(
    CaseState::PublicityEnded,
    true,
    clerk(),
    Action::Publish,
    Step::Confirmation
)]
#[case::publish_before_district(
    CaseState::AwaitingDistrict,
    false,
    clerk(),
    Action::Publish,
    Step::Confirmation
)]
fn skipping_a_step_names_it(
    #[case] state: CaseState,
    #[case] delegated: bool,
    #[case] actor: Actor,
    #[case] event: Action,
    #[case] missing: Step,
) {
    let mut f = to_state(delegated, state);
    match f.attempt(&actor, event).unwrap_err() {
        WorkflowError::MissingStep { missing: m, .. } => assert_eq!(m, missing),
        e => panic!("expected a missing step, got {e}"),
    }
}

#[rstest]
#[case::accept_twice(CaseState::Accepted, clerk(), Action::Accept)]
#[case::notify_after_acceptance(CaseState::Accepted, clerk(), notify_missing("2026-04-30"))]
#[case::supply_after_acceptance(
    CaseState::Investigating,
    applicant(),
    supply(Material::IncomeProof)
)]
#[case::start_twice(CaseState::Investigating, clerk(), Action::StartInvestigation)]
#[case::withdraw_after_approval(CaseState::Approved, applicant(), withdraw())]
#[case::declare_after_approval(CaseState::Approved, applicant(), Action::DeclareStaffRelative { relative: relative() })]
#[case::object_to_eligible_findings(CaseState::Investigated, applicant(), object_findings())]
fn steps_already_past_are_refused(
    #[case] state: CaseState,
    #[case] actor: Actor,
    #[case] event: Action,
) {
    let mut f = to_state(true, state);
    let e = f.attempt(&actor, event).unwrap_err();
    assert_eq!(e.code(), "not_in_state", "{e}");
    assert!(e.to_string().contains(state.name()), "{e}");
}

#[test]
fn a_closed_case_takes_no_events_but_ticks_quietly() {
    let mut f = to_state(true, CaseState::Investigating);
    let fx = f.run(&applicant(), withdraw(), "2026-03-05");
    assert_eq!(
        notices(&fx),
        [
            (Recipient::TownshipClerk, Notice::Withdrawn),
            (Recipient::Applicant, Notice::Withdrawn)
        ]
    );
    assert_eq!(
        f.attempt(&clerk(), findings(true)).unwrap_err(),
        WorkflowError::Closed {
            state: CaseState::Withdrawn
        }
    );
    let before = f.case.clone();
    assert!(f.run(&system(), Action::Tick, "2026-06-01").is_empty());
    assert_eq!(f.case, before);
}

#[test]
fn the_clock_cannot_go_back() {
    let mut f = to_state(true, CaseState::Accepted);
    let e = f
        .try_do(&clerk(), Action::StartInvestigation, "2026-03-02")
        .unwrap_err();
    assert_eq!(e.code(), "clock_went_back");
}

#[test]
fn dates_are_china_dates() {
    // 2026-03-02 17:00 UTC is already 3/3 in Chongqing.
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 0).unwrap();
    assert_eq!(china_date(now), d("2026-03-03"));
    let cal = Calendar::builtin();
    let (case, _) = Case::submit(
        "c",
        complete_application(),
        true,
        &TypeAvailability::default(),
        &applicant(),
        now,
        &cal,
    )
    .unwrap();
    assert_eq!(case.received_on, d("2026-03-03"));
}

// ---------------------------------------------------------------------------------------------
// Privacy and storage
// ---------------------------------------------------------------------------------------------

#[test]
fn publication_carries_name_size_and_amount_only() {
    let mut f = to_state(true, CaseState::Approved);
    let fx = f.run(&clerk(), Action::Publish, "2026-03-18");
    let Effect::Publish(notice) = &fx[0] else {
        panic!("{fx:?}")
    };
    let json = serde_json::to_value(notice).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["amount", "household_size", "name", "village"]);
    let debug = format!("{fx:?}");
    assert!(!debug.contains("冉光秀"), "{debug}");
    assert!(debug.contains("冉**"), "{debug}");
}

#[test]
fn the_case_round_trips_through_json_and_debug_masks_it() {
    let mut f = to_state(false, CaseState::InPublicity);
    f.run(&clerk(), object_publicity(), "2026-03-09");
    f.run(
        &clerk(),
        extend(ExtensionReason::PublicityObjection),
        "2026-03-09",
    );
    let json = serde_json::to_string(&f.case).unwrap();
    let back: Case = serde_json::from_str(&json).unwrap();
    assert_eq!(back, f.case);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["state"], "publicity_objected");
    assert_eq!(v["history"][1]["event"], "accept");
    let debug = format!("{:?}", f.case);
    for m in &f.case.application.household.members {
        assert!(!debug.contains(m.id_number.as_unmasked_str()));
        assert!(!debug.contains(m.name.as_unmasked_str()));
    }
}

#[rstest]
#[case(r#"{"type":"accept"}"#, Action::Accept)]
#[case(
    r#"{"type":"notify_missing_materials","deadline":"2026-03-13"}"#,
    notify_missing("2026-03-13")
)]
#[case(
    r#"{"type":"extend_time_limit","reason":"separated_residence","note":"详细情况"}"#,
    extend(ExtensionReason::SeparatedResidence)
)]
#[case(r#"{"type":"tick"}"#, Action::Tick)]
fn events_in_json(#[case] json: &str, #[case] action: Action) {
    assert_eq!(serde_json::from_str::<Action>(json).unwrap(), action);
    let event = Event::new(clerk(), action);
    let text = serde_json::to_string(&event).unwrap();
    let head = r#"{"actor":{"role":"township_clerk","account":"clerk-1","township":"500102001"},"action":{"type":"#;
    assert!(text.starts_with(head), "{text}");
    let again: Event = serde_json::from_str(&text).unwrap();
    assert_eq!(again, event);
}

#[test]
fn state_names_match_serde() {
    use CaseState::*;
    for s in [
        Submitted,
        AwaitingMaterials,
        Accepted,
        Investigating,
        FindingsNotified,
        Investigated,
        InPublicity,
        PublicityObjected,
        Appraising,
        Appraised,
        PublicityEnded,
        AwaitingDistrict,
        Approved,
        Published,
        Refused,
        Abandoned,
        Withdrawn,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
        let _ = s.phase().label_zh();
    }
    assert_eq!(InPublicity.phase(), Phase::Review);
    assert_eq!(AwaitingDistrict.phase(), Phase::Confirmation);
}

// ---------------------------------------------------------------------------------------------
// No sequence of events includes a family without acceptance, investigation and confirmation
// ---------------------------------------------------------------------------------------------

fn event_pool(i: usize, today: NaiveDate) -> Action {
    let later = (today + chrono::Days::new(10)).to_string();
    match i {
        0 => Action::Accept,
        1 => notify_missing(&later),
        2 => supply(Material::IncomeProof),
        3 => Action::SignAuthorization { signer: husband() },
        4 => Action::StartInvestigation,
        5 => findings(true),
        6 => findings(false),
        7 => Action::ObjectToFindings {
            statement: "不服".into(),
            evidence: vec![],
            needs_help: true,
        },
        8 => opinion(true),
        9 => opinion_in_meeting(false),
        10 => object_publicity(),
        11 => Action::Reinvestigate,
        12 => Action::StartDemocraticAppraisal,
        13 => Action::RecordAppraisal {
            summary: "评议".into(),
        },
        14 => Action::ConcludePublicity,
        15 => Action::ReportToDistrict,
        16 => approve(),
        17 => Action::Confirm {
            approve: true,
            amount: Some(Money::yuan(500)),
            reasons: String::new(),
            review_meeting: true,
        },
        18 => refuse("不符合条件"),
        19 => Action::Publish,
        20 => extend(ExtensionReason::DifficultInvestigation),
        21 => extend(ExtensionReason::PublicityObjection),
        22 => Action::DeclareStaffRelative {
            relative: relative(),
        },
        23 => Action::FileRelativesDeclaration,
        24 => withdraw(),
        25 => opinion_in_meeting(true),
        _ => Action::Tick,
    }
}

/// The plain next step for a case, so random runs get far along the procedure.
fn advance(case: &Case, today: NaiveDate) -> (Actor, Action) {
    let later = (today + chrono::Days::new(10)).to_string();
    if case.relatives_pending() && case.accepted_on.is_some() && !case.state.is_decided() {
        return (clerk(), Action::FileRelativesDeclaration);
    }
    match case.state {
        CaseState::Submitted if case.application.is_complete(today) => (clerk(), Action::Accept),
        CaseState::Submitted => (clerk(), notify_missing(&later)),
        CaseState::AwaitingMaterials if !case.application.missing_materials().is_empty() => {
            (applicant(), supply(Material::IncomeProof))
        }
        CaseState::AwaitingMaterials => (helper(), Action::SignAuthorization { signer: husband() }),
        CaseState::Accepted => (clerk(), Action::StartInvestigation),
        CaseState::Investigating => (clerk(), findings(true)),
        CaseState::FindingsNotified | CaseState::Investigated | CaseState::Appraised => {
            (clerk(), opinion_in_meeting(true))
        }
        CaseState::InPublicity => (clerk(), Action::ConcludePublicity),
        CaseState::PublicityObjected => (clerk(), Action::StartDemocraticAppraisal),
        CaseState::Appraising => (
            clerk(),
            Action::RecordAppraisal {
                summary: "评议".into(),
            },
        ),
        CaseState::PublicityEnded if case.delegated => (
            leader(),
            Action::Confirm {
                approve: true,
                amount: Some(Money::yuan(500)),
                reasons: String::new(),
                review_meeting: true,
            },
        ),
        CaseState::PublicityEnded => (clerk(), Action::ReportToDistrict),
        CaseState::AwaitingDistrict => (district(), approve()),
        CaseState::Approved => (clerk(), Action::Publish),
        _ => (system(), Action::Tick),
    }
}

fn actor_pool(i: usize) -> Actor {
    match i {
        0 => applicant(),
        1 => helper(),
        2 => clerk(),
        3 => leader(),
        4 => district(),
        _ => system(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn no_step_can_be_skipped(
        delegated in any::<bool>(),
        complete in any::<bool>(),
        steps in prop::collection::vec((any::<bool>(), 0usize..6, 0usize..27, 0u64..4), 1..80),
    ) {
        let cal = Calendar::builtin();
        let app = if complete { complete_application() } else { incomplete_application() };
        let mut day = d("2026-01-26");
        let (mut case, _) = Case::submit("p", app, delegated, &TypeAvailability::default(), &applicant(), at(&day.to_string()), &cal).unwrap();
        for (plain, a, e, days) in steps {
            day = day + chrono::Days::new(days);
            // Half the time the plain next step, otherwise anything by anyone.
            let (actor, event) = if plain { advance(&case, day) } else { (actor_pool(a), event_pool(e, day)) };
            match next(&case, &Event::new(actor, event), at(&day.to_string()), &cal) {
                Ok((c, _)) => case = c,
                Err(err) => {
                    // Every refusal explains itself.
                    prop_assert!(!err.to_string().is_empty());
                    continue;
                }
            }
            if matches!(case.state, CaseState::Approved | CaseState::Published) {
                prop_assert!(case.accepted_on.is_some());
                prop_assert!(case.investigation_started_on.is_some());
                prop_assert!(!case.findings.is_empty());
                prop_assert!(!case.opinions.is_empty());
                let p = case.current_publicity().unwrap();
                prop_assert!(!p.objected);
                prop_assert!(p.closed_on.unwrap() > p.ends_on);
                prop_assert!(!case.relatives_pending());
                let decision = case.decision.as_ref().unwrap();
                prop_assert!(decision.approved);
                if delegated {
                    prop_assert_eq!(decision.by, Role::TownshipLeader);
                } else {
                    prop_assert_eq!(decision.by, Role::DistrictBureau);
                    prop_assert!(case.reported_on.is_some());
                }
                if case.is_disputed() && delegated {
                    prop_assert!(decision.review_meeting);
                }
            }
            if let Some(accepted) = case.accepted_on {
                prop_assert!(accepted >= case.received_on);
                prop_assert!(case.application.is_complete(case.received_on));
            }
            let h = &case.history;
            prop_assert!(h.windows(2).all(|w| w[0].at <= w[1].at && w[0].to == w[1].from));
            prop_assert_eq!(h.last().unwrap().to, case.state);
        }
    }
}

#[test]
fn awaiting_signature_lists_who_must_still_sign_until_signatures_close() {
    let ids = |f: &Flow, on: &str| -> Vec<IdNumber> {
        f.case
            .awaiting_signature(d(on))
            .iter()
            .map(|m| m.id_number.clone())
            .collect()
    };
    let mut f = Flow::submit(incomplete_application(), true, "2026-03-02");
    assert_eq!(ids(&f, "2026-03-02"), vec![husband()]);
    f.run(&clerk(), notify_missing("2026-03-13"), "2026-03-03");
    assert!(f.case.takes_signatures(d("2026-03-13")));
    assert!(!f.case.takes_signatures(d("2026-03-14")));
    assert!(
        ids(&f, "2026-03-14").is_empty(),
        "the notice's deadline passed"
    );
    f.run(
        &helper(),
        Action::SignAuthorization { signer: husband() },
        "2026-03-05",
    );
    assert!(ids(&f, "2026-03-05").is_empty());
    // Complete, with everyone signed: accepted, and signatures close.
    let mut f = Flow::new(true, "2026-03-02");
    assert!(ids(&f, "2026-03-02").is_empty());
    f.run(&clerk(), Action::Accept, "2026-03-03");
    assert!(!f.case.takes_signatures(d("2026-03-03")));
}

// ---------------------------------------------------------------------------------------------
// No case can hang
// ---------------------------------------------------------------------------------------------

#[test]
fn a_member_who_comes_of_age_before_acceptance_does_not_hang_the_case() {
    // Submitted with a 17-year-old daughter (no signature needed), who turns 18 on 2026-03-10,
    // while the one-time notice runs.
    let mut app = incomplete_application();
    app.household.members.push(crate::household::Member {
        name: PersonName::new("张小梅").unwrap(),
        id_number: make_id("500102", "20080310", 142),
        relationship: crate::household::Relationship::Child,
    });
    let mut f = Flow::submit(app, true, "2026-03-02");
    let fx = f.run(&clerk(), notify_missing("2026-03-20"), "2026-03-03");
    let Effect::Notify {
        notice: Notice::MissingMaterials { unsigned, .. },
        ..
    } = &fx[0]
    else {
        panic!("{fx:?}")
    };
    assert_eq!(unsigned.len(), 1, "only the husband must sign");
    f.run(&applicant(), supply(Material::IncomeProof), "2026-03-11");
    f.run(
        &helper(),
        Action::SignAuthorization { signer: husband() },
        "2026-03-12",
    );
    assert_eq!(f.state(), CaseState::Submitted);
    assert!(f.case.awaiting_signature(d("2026-03-12")).is_empty());
    f.run(&clerk(), Action::Accept, "2026-03-13");
    assert_eq!(f.state(), CaseState::Accepted);
}

/// Steps by staff or the timer alone (never the household) that can move a case on.
fn staff_steps(case: &Case, today: NaiveDate) -> Vec<(Actor, Action)> {
    let decider = if case.delegated { leader() } else { district() };
    let confirm = |approve: bool| Action::Confirm {
        approve,
        amount: approve.then_some(Money::yuan(500)),
        reasons: if approve {
            String::new()
        } else {
            "不符合条件".into()
        },
        review_meeting: true,
    };
    let later = (today + chrono::Days::new(10)).to_string();
    vec![
        (clerk(), Action::Accept),
        (clerk(), notify_missing(&later)),
        (clerk(), Action::StartInvestigation),
        (clerk(), findings(true)),
        (clerk(), findings(false)),
        (clerk(), opinion_in_meeting(true)),
        (clerk(), opinion_in_meeting(false)),
        (clerk(), Action::ConcludePublicity),
        (clerk(), Action::Reinvestigate),
        (clerk(), Action::StartDemocraticAppraisal),
        (
            clerk(),
            Action::RecordAppraisal {
                summary: "评议".into(),
            },
        ),
        (clerk(), Action::ReportToDistrict),
        (decider.clone(), confirm(true)),
        (decider, confirm(false)),
        (clerk(), Action::Publish),
        (system(), Action::Tick),
    ]
}

/// Whether staff or the timer can move `case` out of its state on `today`, filing a pending
/// close-relative declaration first when one blocks the step.
fn way_out(case: &Case, today: NaiveDate, cal: &Calendar) -> bool {
    let now = at(&today.to_string());
    let mut case = case.clone();
    if case.relatives_pending()
        && let Ok((c, _)) = next(
            &case,
            &Event::new(clerk(), Action::FileRelativesDeclaration),
            now,
            cal,
        )
    {
        case = c;
    }
    staff_steps(&case, today).into_iter().any(|(a, e)| {
        next(&case, &Event::new(a, e), now, cal).is_ok_and(|(c, _)| c.state != case.state)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]
    /// From every state a random history reaches, staff or the timer have a legal way out
    /// (today, after a 公示's 7 days, or after any deadline given), and every running deadline,
    /// once passed, is acted on by the timer: the case moves, or the missed deadline is reported.
    #[test]
    fn no_case_can_hang(
        delegated in any::<bool>(),
        complete in any::<bool>(),
        steps in prop::collection::vec((any::<bool>(), 0usize..6, 0usize..27, 0u64..4), 1..60),
    ) {
        let cal = Calendar::builtin();
        let app = if complete { complete_application() } else { incomplete_application() };
        let mut day = d("2026-09-14");
        let (mut case, _) = Case::submit("p", app, delegated, &TypeAvailability::default(), &applicant(), at(&day.to_string()), &cal).unwrap();
        for (plain, a, e, days) in steps {
            day = day + chrono::Days::new(days);
            let (actor, event) = if plain { advance(&case, day) } else { (actor_pool(a), event_pool(e, day)) };
            if let Ok((c, _)) = next(&case, &Event::new(actor, event), at(&day.to_string()), &cal) {
                case = c;
            }
            if case.state.is_final() {
                continue;
            }
            let out = [0u64, 8, 31]
                .iter()
                .any(|k| way_out(&case, day + chrono::Days::new(*k), &cal));
            prop_assert!(out, "stuck in {} on {day}", case.state);
            for dl in deadlines(&case, &cal, day) {
                let after = (dl.due + chrono::Days::new(1)).max(day);
                let (c, _) = next(&case, &Event::tick(), at(&after.to_string()), &cal).unwrap();
                prop_assert!(
                    c.state != case.state || c.overdue_reported.contains(&dl.kind),
                    "the {:?} deadline of a {} case ({}) was not acted on", dl.kind, case.state, dl.due
                );
            }
        }
    }
}

#[test]
fn findings_keep_each_investigation_method_once_in_the_procedures_order() {
    let f = to_state(true, CaseState::Investigated);
    assert_eq!(
        f.case.findings.last().unwrap().methods,
        [
            InvestigationMethod::InformationCheck,
            InvestigationMethod::HomeVisit
        ]
    );
}
