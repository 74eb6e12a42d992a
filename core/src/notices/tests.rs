//! Every household document says what happened, why where the law requires it, what the
//! household may do and by when, and how to reach the township; dates follow the calendar.

use super::*;
use crate::application::Material;
use crate::application::tests::complete_application;
use crate::household::{Money, TypeAvailability};
use crate::workflow::{Action, Actor, Event, InvestigationMethod, ReviewMethod, Role, next};
use chrono::{DateTime, TimeZone, Utc};
use rstest::rstest;

const TOWNSHIP: &str = "500102001";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d(s).and_hms_opt(2, 0, 0).unwrap())
}

fn office() -> Office {
    Office {
        township_name: "涪陵区江东街道".into(),
        hotline: "023-72220000".into(),
        report_phone: "023-72221111".into(),
    }
}

fn clerk() -> Actor {
    Actor::staff(Role::TownshipClerk, "clerk-1", TOWNSHIP)
}

fn opinion(include: bool) -> Action {
    Action::ProposeInitialOpinion {
        include,
        amount: include.then_some(Money::yuan(620)),
        method: ReviewMethod::NoDispute,
        reviewers: vec!["分管领导".into()],
        reasons: if include {
            String::new()
        } else {
            "家庭人均收入高于低保标准".into()
        },
    }
}

/// Runs `steps` from a complete 低保 application submitted on 2026-03-02 in a delegated
/// township; returns the case and the documents of the last step.
fn run(steps: &[(Actor, Action, &str)]) -> (Case, Vec<Document>) {
    let cal = Calendar::builtin();
    let mut app = complete_application();
    app.household.township = TOWNSHIP.into();
    let (mut case, _) = Case::submit(
        "c",
        app,
        true,
        &TypeAvailability::default(),
        &Actor::new(Role::Applicant, "kiosk-1"),
        at("2026-03-02"),
        &cal,
    )
    .unwrap();
    let mut docs = vec![];
    for (actor, action, on) in steps {
        let (c, fx) = next(
            &case,
            &Event::new(actor.clone(), action.clone()),
            at(on),
            &cal,
        )
        .unwrap_or_else(|e| panic!("{} on {on}: {e}", action.name()));
        case = c;
        docs = documents(&case, &fx, &office(), "江东-2026-00007", &cal, d(on));
    }
    (case, docs)
}

fn household_doc(docs: &[Document]) -> &Document {
    let mut it = docs.iter().filter(|d| d.audience == Audience::Household);
    let doc = it.next().expect("a document for the household");
    assert!(it.next().is_none(), "one household document per step");
    doc
}

fn findings(eligible: bool) -> Action {
    Action::RecordFindings {
        eligible,
        summary: "子女有赡养能力，月支付赡养费 1500 元".into(),
        per_capita_income: Some(Money::yuan(980)),
        evidence: vec![],
        methods: vec![
            InvestigationMethod::NeighbourVisit,
            InvestigationMethod::InformationCheck,
        ],
    }
}

#[rstest]
#[case::accepted(
    vec![(clerk(), Action::Accept, "2026-03-03")],
    DocumentKind::Acceptance, None,
    &["受理通知书", "2026年3月3日受理", "2026年3月5日前开始", "20个工作日"]
)]
#[case::not_eligible(
    vec![(clerk(), Action::Accept, "2026-03-03"), (clerk(), Action::StartInvestigation, "2026-03-04"), (clerk(), findings(false), "2026-03-10")],
    DocumentKind::NotEligible, None,
    &["调查结果告知书", "经家庭经济状况调查（通过信息核对、邻里访问），您的家庭目前不符合城乡低保条件", "理由：子女有赡养能力，月支付赡养费 1500 元。", "月人均收入为980.00 元", "申请复查", "初审意见之前", "请乡镇（街道）协助"]
)]
#[case::recheck_eligible(
    vec![(clerk(), Action::Accept, "2026-03-03"), (clerk(), Action::StartInvestigation, "2026-03-04"), (clerk(), findings(false), "2026-03-10"),
         (Actor::new(Role::Applicant, "kiosk-1"), Action::ObjectToFindings { statement: "赡养费已于二月停付".into(), evidence: vec![], needs_help: true }, "2026-03-11"),
         (clerk(), findings(true), "2026-03-16")],
    DocumentKind::RecheckResult, None,
    &["复查结果告知书", "您于2026年3月11日对调查结果提出异议", "经复查（通过信息核对、邻里访问），您的家庭符合城乡低保条件", "转入乡镇（街道）初审", "复查情况：", "另行书面告知"]
)]
#[case::recheck_still_not_eligible(
    vec![(clerk(), Action::Accept, "2026-03-03"), (clerk(), Action::StartInvestigation, "2026-03-04"), (clerk(), findings(false), "2026-03-10"),
         (Actor::new(Role::Applicant, "kiosk-1"), Action::ObjectToFindings { statement: "赡养费已于二月停付".into(), evidence: vec![], needs_help: true }, "2026-03-11"),
         (clerk(), findings(false), "2026-03-16")],
    DocumentKind::RecheckResult, None,
    &["复查结果告知书", "经复查（通过信息核对、邻里访问），您的家庭仍不符合城乡低保条件", "理由：子女有赡养能力", "月人均收入为980.00 元", "申请复查"]
)]
#[case::posted_exclusion(
    vec![(clerk(), Action::Accept, "2026-03-03"), (clerk(), Action::StartInvestigation, "2026-03-04"), (clerk(), findings(false), "2026-03-10"), (clerk(), opinion(false), "2026-03-11")],
    DocumentKind::PublicityNotice, Some("2026-03-18"),
    &["公示告知书", "拟不纳入城乡低保，理由：家庭人均收入高于低保标准", "公示期至2026年3月18日", "实名提出异议"]
)]
#[case::refused_across_national_day(
    vec![(clerk(), Action::Accept, "2026-07-01"), (clerk(), Action::StartInvestigation, "2026-07-02"), (clerk(), findings(true), "2026-07-06"), (clerk(), opinion(false), "2026-07-07"),
         (clerk(), Action::ConcludePublicity, "2026-07-15"),
         (Actor::staff(Role::TownshipLeader, "leader-1", TOWNSHIP), Action::Confirm { approve: false, amount: None, reasons: "赡养人有能力履行赡养义务。".into(), review_meeting: false }, "2026-08-03")],
    DocumentKind::Refusal, Some("2026-10-08"),
    // 60 days after 8月3日 is 10月2日, inside 国庆 (10/1–10/7): the period ends on 10月8日.
    &["不予确认决定书", "理由：赡养人有能力履行赡养义务。", "六十日内向区人民政府申请行政复议（今日收到的，至2026年10月8日止）", "六个月内依法向人民法院提起行政诉讼（今日收到的，至2027年2月3日止）"]
)]
#[case::withdrawn(
    vec![(clerk(), Action::Accept, "2026-03-03"), (Actor::new(Role::Applicant, "kiosk-1"), Action::Withdraw { reason: String::new() }, "2026-03-04")],
    DocumentKind::Withdrawal, None,
    &["撤回申请确认书", "2026年3月4日按您的要求撤回", "可以随时重新申请"]
)]
fn household_documents_say_why_what_next_and_by_when(
    #[case] steps: Vec<(Actor, Action, &str)>,
    #[case] kind: DocumentKind,
    #[case] deadline: Option<&str>,
    #[case] phrases: &[&str],
) {
    let (case, docs) = run(&steps);
    let doc = household_doc(&docs);
    assert_eq!(doc.kind, kind);
    assert!(kind.is_for_household());
    assert_eq!(doc.deadline, deadline.map(d));
    for p in phrases {
        assert!(doc.text.contains(p), "missing {p:?} in:\n{}", doc.text);
    }
    // Every household document: case number, hotline, 举报 number, issuer; a masked name only.
    for p in [
        "案号：江东-2026-00007",
        "咨询电话：023-72220000",
        "举报电话：023-72221111",
        "涪陵区江东街道",
    ] {
        assert!(doc.text.contains(p), "missing {p:?} in:\n{}", doc.text);
    }
    let applicant = case.application.household.applicant().unwrap();
    assert!(doc.text.contains(&applicant.name.masked()));
    for m in &case.application.household.members {
        assert!(!doc.text.contains(m.id_number.as_unmasked_str()));
        assert!(!doc.text.contains(m.name.as_unmasked_str()), "{}", doc.text);
    }
}

#[test]
fn the_one_time_notice_lists_every_missing_item_and_the_deadline() {
    let cal = Calendar::builtin();
    let mut app = complete_application();
    app.household.township = TOWNSHIP.into();
    app.materials.retain(|m| m.kind != Material::IncomeProof);
    let (case, _) = Case::submit(
        "c",
        app,
        true,
        &TypeAvailability::default(),
        &Actor::new(Role::Applicant, "kiosk-1"),
        at("2026-09-28"),
        &cal,
    )
    .unwrap();
    let action = Action::NotifyMissingMaterials {
        deadline: d("2026-10-16"),
        unusable: vec![Material::HouseholdRegister],
        note: "户口簿复印件不清晰".into(),
    };
    let (case, fx) = next(&case, &Event::new(clerk(), action), at("2026-09-29"), &cal).unwrap();
    let docs = documents(
        &case,
        &fx,
        &office(),
        "江东-2026-00001",
        &cal,
        d("2026-09-29"),
    );
    let doc = household_doc(&docs);
    assert_eq!(doc.kind, DocumentKind::MissingMaterials);
    assert_eq!(doc.deadline, Some(d("2026-10-16")));
    for p in [
        "一次性告知书",
        "请在2026年10月16日（含当日）前补齐",
        "1. 提交",
        "2. 提交",
        "说明：户口簿复印件不清晰",
        "逾期未补齐的，视为自动放弃申请",
        "一次性列明全部所缺事项",
    ] {
        assert!(doc.text.contains(p), "missing {p:?} in:\n{}", doc.text);
    }
    assert!(doc.text.contains(Material::IncomeProof.label_zh()));
    assert!(doc.text.contains(Material::HouseholdRegister.label_zh()));
    // The clerk's work notice of the same step is not for the household.
    assert!(
        docs.iter()
            .all(|d| d.audience == Audience::Household || !d.kind.is_for_household())
    );
}

#[test]
fn postings_and_filings_are_public_or_for_the_district_and_masked() {
    let leader = Actor::staff(Role::TownshipLeader, "leader-1", TOWNSHIP);
    let approve = Action::Confirm {
        approve: true,
        amount: Some(Money::yuan(620)),
        reasons: String::new(),
        review_meeting: false,
    };
    let (case, docs) = run(&[
        (clerk(), Action::Accept, "2026-03-03"),
        (clerk(), Action::StartInvestigation, "2026-03-04"),
        (clerk(), findings(true), "2026-03-06"),
        (clerk(), opinion(true), "2026-03-09"),
        (clerk(), Action::ConcludePublicity, "2026-03-17"),
        (leader, approve, "2026-03-18"),
    ]);
    let kinds: Vec<_> = docs.iter().map(|d| (d.kind, d.audience)).collect();
    assert!(kinds.contains(&(DocumentKind::Approval, Audience::Household)));
    assert!(kinds.contains(&(DocumentKind::DistrictFiling, Audience::District)));
    let approval = household_doc(&docs);
    assert!(approval.text.contains("每月620.00 元"), "{}", approval.text);
    let filing = docs
        .iter()
        .find(|d| d.kind == DocumentKind::DistrictFiling)
        .unwrap();
    assert!(filing.text.contains("报区民政局备案"));
    let name = case.application.household.applicant().unwrap().name.clone();
    assert!(!filing.text.contains(name.as_unmasked_str()));
    assert!(filing.text.contains(&name.masked()));
}

#[test]
fn an_overdue_acceptance_is_escalated_to_the_leader() {
    let cal = Calendar::builtin();
    let mut app = complete_application();
    app.household.township = TOWNSHIP.into();
    let (case, _) = Case::submit(
        "c",
        app,
        true,
        &TypeAvailability::default(),
        &Actor::new(Role::Applicant, "kiosk-1"),
        at("2026-03-02"),
        &cal,
    )
    .unwrap();
    let (case, fx) = next(&case, &Event::tick(), at("2026-03-05"), &cal).unwrap();
    let docs = documents(
        &case,
        &fx,
        &office(),
        "江东-2026-00002",
        &cal,
        d("2026-03-05"),
    );
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].audience, Audience::TownshipLeader);
    assert!(
        docs[0].text.contains("受理时限已于2026年3月4日届满"),
        "{}",
        docs[0].text
    );
}

#[test]
fn the_sms_carries_no_name_and_no_reasons() {
    let text = sms_text(
        DocumentKind::MissingMaterials,
        "江东-2026-00007",
        Some(d("2026-10-16")),
        &office(),
    );
    assert_eq!(
        text,
        "【救助通】您的救助申请（案号江东-2026-00007）有一份一次性告知书，请于2026年10月16日前补齐。请持身份证到救助通自助终端“进度查询”查看，或致电023-72220000。"
    );
    let refusal = sms_text(DocumentKind::Refusal, "江东-2026-00007", None, &office());
    assert!(refusal.contains("不予确认决定书") && !refusal.contains("理由"));
}

/// The date in a message says what it is: something to do by then, or a right's last day —
/// never "办理" for a family that has nothing to do.
#[rstest]
#[case(DocumentKind::MissingMaterials, "请于2026年10月16日前补齐")]
#[case(DocumentKind::PublicityNotice, "公示至2026年10月16日")]
#[case(DocumentKind::Refusal, "如不服可于2026年10月16日前申请行政复议")]
#[case(DocumentKind::Extension, "期限至2026年10月16日")]
fn the_sms_says_what_its_date_means(#[case] kind: DocumentKind, #[case] words: &str) {
    let text = sms_text(kind, "江东-2026-00007", Some(d("2026-10-16")), &office());
    assert!(text.contains(words), "{text}");
    assert!(!text.contains("办理。"), "{text}");
}

#[rstest]
#[case("2026-08-03", 60, "2026-10-08")]
#[case("2026-01-05", 60, "2026-03-06")]
#[case("2026-04-04", 0, "2026-04-07")]
fn periods_ending_on_a_day_off_move_to_the_next_working_day(
    #[case] from: &str,
    #[case] days: u32,
    #[case] end: &str,
) {
    assert_eq!(period_end_days(&Calendar::builtin(), d(from), days), d(end));
}

#[rstest]
#[case(ResidentStep::NoticeReceived(DocumentKind::Refusal), &["送达回执", "阅读并领取《不予确认决定书》"])]
#[case(ResidentStep::Withdrawal, &["撤回申请回执", "撤回申请，本案办结"])]
#[case(ResidentStep::FindingsObjection { needs_help: true }, &["复查申请回执", "协助调取", "书面告知"])]
#[case(ResidentStep::PublicityObjection, &["公示异议回执", "不向被反映的家庭公开"])]
fn receipts(#[case] step: ResidentStep, #[case] phrases: &[&str]) {
    let text = receipt_text(step, "江东-2026-00007", "王*福", d("2026-03-04"), &office());
    for p in phrases.iter().chain(&[
        "案号：江东-2026-00007",
        "王*福已于2026年3月4日",
        "举报电话：023-72221111",
    ]) {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}
