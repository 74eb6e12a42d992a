use super::*;

const APPLICANT: &str = "500102195805202427";
const SPOUSE: &str = "500102194110020032";
const CHILD: &str = "500102201506010036";
const AGENT: &str = "500102198001010052";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

fn person(id: &str, name: Option<&str>) -> Person {
    Person {
        id: IdNumber::parse_at(id, today()).unwrap(),
        name: name.map(|n| PersonName::new(n).unwrap()),
        address: None,
    }
}

fn flow() -> ApplyFlow {
    let mut f = ApplyFlow::new(
        vec![
            AssistanceType::Dibao,
            AssistanceType::Tekun,
            AssistanceType::Temporary,
            AssistanceType::LowIncomeEdge,
        ],
        today(),
    );
    f.start(today(), None);
    f
}

fn press(f: &mut ApplyFlow, c: Choice) -> Vec<Effect> {
    let seq = f.seq();
    f.handle(seq, Event::Chose(c))
        .unwrap_or_else(|e| panic!("{c:?} on {:?}: {e}", f.step()))
}

fn send(f: &mut ApplyFlow, e: Event) -> Vec<Effect> {
    let seq = f.seq();
    f.handle(seq, e).unwrap()
}

fn png() -> Vec<u8> {
    vec![0x89, b'P', b'N', b'G', 1, 2, 3]
}

/// Type → self → applicant by card → returns at the members screen.
fn to_members(f: &mut ApplyFlow) {
    press(f, Choice::Type(AssistanceType::Dibao));
    let fx = press(f, Choice::ForSelf);
    assert_eq!(fx, vec![Effect::ReadIdCard { seq: f.seq() }]);
    assert_eq!(f.step(), &Step::Identify(Who::Applicant));
    let fx = send(f, Event::Identified(person(APPLICANT, Some("陈淑芬"))));
    assert!(fx.contains(&Effect::CancelDevices));
    assert_eq!(f.step(), &Step::Members);
}

fn add_member(f: &mut ApplyFlow, id: &str, name: &str, rel: Relationship) {
    press(f, Choice::AddMember);
    send(f, Event::Identified(person(id, Some(name))));
    assert_eq!(f.step(), &Step::MemberRelation);
    press(f, Choice::Relation(rel));
    assert_eq!(f.step(), &Step::Members);
}

#[test]
fn closed_types_cannot_be_chosen_and_say_opening_soon() {
    let mut f = flow();
    assert!(!f.enabled(Choice::Type(AssistanceType::Medical)));
    let seq = f.seq();
    assert!(
        f.handle(seq, Event::Chose(Choice::Type(AssistanceType::Medical)))
            .is_err()
    );
    assert_eq!(f.step(), &Step::ChooseType);
    let label = choice_label(&f, Choice::Type(AssistanceType::Medical), Lang::Zh);
    assert!(label.contains("即将开放"), "{label}");
    assert!(!choice_label(&f, Choice::Type(AssistanceType::Dibao), Lang::Zh).contains("即将"));
}

#[test]
fn full_application_with_two_members_one_signing_later() {
    let mut f = flow();
    to_members(&mut f);
    add_member(&mut f, SPOUSE, "王德福", Relationship::Spouse);
    add_member(&mut f, CHILD, "陈小明", Relationship::Grandchild);
    press(&mut f, Choice::Next);
    assert_eq!(f.step(), &Step::Incomes);
    // Income: 600 yuan of transfers.
    press(
        &mut f,
        Choice::Edit(AmountField::Income(IncomeKind::Transfer)),
    );
    for d in [6, 0, 0] {
        send(&mut f, Event::AmountKey(Key::Digit(d)));
    }
    assert_eq!(f.typed(), "600");
    press(&mut f, Choice::Next);
    assert_eq!(f.step(), &Step::Incomes);
    assert_eq!(f.draft().monthly_income(), 600);
    press(&mut f, Choice::Next);
    assert_eq!(f.step(), &Step::Assets);
    press(&mut f, Choice::Next);
    assert_eq!(f.step(), &Step::Materials);
    // Two of the three materials captured; one retaken first.
    assert_eq!(
        f.draft().checklist(),
        vec![
            Material::IdCards,
            Material::HouseholdRegister,
            Material::IncomeProof
        ]
    );
    let fx = press(&mut f, Choice::Capture(Material::HouseholdRegister));
    assert_eq!(fx, vec![Effect::ScanPage { seq: f.seq() }]);
    send(&mut f, Event::Scanned(Ok(Page { jpeg: vec![1] })));
    assert_eq!(f.step(), &Step::ConfirmPage(Material::HouseholdRegister));
    let fx = press(&mut f, Choice::Retake);
    assert_eq!(fx, vec![Effect::ScanPage { seq: f.seq() }]);
    send(&mut f, Event::Scanned(Ok(Page { jpeg: vec![2] })));
    press(&mut f, Choice::UsePage);
    assert_eq!(f.step(), &Step::Materials);
    assert_eq!(
        f.draft().materials[&Material::HouseholdRegister].jpeg,
        vec![2]
    );
    press(&mut f, Choice::Capture(Material::IdCards));
    send(&mut f, Event::Scanned(Ok(Page { jpeg: vec![3] })));
    press(&mut f, Choice::UsePage);
    assert_eq!(f.draft().missing(), vec![Material::IncomeProof]);
    press(&mut f, Choice::Next);
    assert_eq!(f.step(), &Step::CloseRelative);
    press(&mut f, Choice::No);
    // Signers: the applicant and the adult spouse, not the child.
    assert_eq!(f.draft().signers(today()).len(), 2);
    assert_eq!(f.step(), &Step::Authorization(0));
    let text = screen_text(&f, Lang::Zh).body;
    let masked = PersonName::new("陈淑芬").unwrap().masked();
    assert!(
        text.contains("核对授权书") && text.contains(&masked),
        "{text}"
    );
    let fx = press(&mut f, Choice::SignFingerprint);
    assert!(matches!(
        fx.last(),
        Some(Effect::CheckSigner {
            proof: SignProof::Fingerprint,
            ..
        })
    ));
    send(&mut f, Event::SignerChecked(Ok(())));
    assert_eq!(f.step(), &Step::Handwriting(0, SignProof::Fingerprint));
    // An empty pad is refused and the screen stays.
    let seq = f.seq();
    assert!(f.handle(seq, Event::Handwritten(None)).is_err());
    send(&mut f, Event::Handwritten(Some(png())));
    assert_eq!(f.step(), &Step::Authorization(1));
    press(&mut f, Choice::SignLater);
    assert_eq!(f.step(), &Step::Review);
    let review = screen_text(&f, Lang::Zh).body;
    assert!(
        review.contains("家庭收入") || review.contains("每月收入合计：600元"),
        "{review}"
    );
    assert!(
        review.contains(&PersonName::new("王德福").unwrap().masked()),
        "{review}"
    );
    assert!(review.contains("家庭收入情况证明"), "{review}");
    let fx = press(&mut f, Choice::Submit);
    let Some(Effect::Submit { draft, .. }) = fx.last() else {
        panic!("{fx:?}")
    };
    assert_eq!(draft.members.len(), 2);
    assert_eq!(draft.signatures.len(), 1);
    assert_eq!(draft.sign_later.len(), 1);
    assert_eq!(draft.close_relative, Some(false));
    assert_eq!(f.step(), &Step::Submitting);
    let receipt = Receipt {
        reference: "R-1".into(),
        queued: false,
        record: "0190f1c2-7d3a-7b6e-9c1d-0123456789ab".into(),
        submitted_on: today(),
        accept_by: today(),
        decide_by: today(),
        missing: vec![Material::IncomeProof],
        unsigned: vec!["王*福".into()],
        applicant_masked: "陈*芬".into(),
        assistance_type: Some(AssistanceType::Dibao),
        township_name: None,
    };
    let fx = send(&mut f, Event::Submitted(Ok(receipt.clone())));
    assert!(fx.contains(&Effect::PrintReceipt(receipt.clone())));
    assert_eq!(f.step(), &Step::Done(receipt.clone()));
    assert!(
        !f.holds_personal_data() || matches!(f.step(), Step::Done(_)),
        "the draft is dropped once submitted"
    );
    assert_eq!(f.draft().applicant, None);
    assert_eq!(
        press(&mut f, Choice::Print),
        vec![Effect::PrintReceipt(receipt)]
    );
    assert!(press(&mut f, Choice::Home).contains(&Effect::GoHome));
}

#[test]
fn agent_applies_for_someone_else_and_brings_the_power_of_attorney() {
    let mut f = flow();
    press(&mut f, Choice::Type(AssistanceType::Tekun));
    press(&mut f, Choice::ForOther);
    assert_eq!(f.step(), &Step::Identify(Who::Agent));
    send(&mut f, Event::Identified(person(AGENT, Some("李代办"))));
    assert_eq!(f.step(), &Step::AgentRelation);
    press(&mut f, Choice::AgentRelation(AgentRelation::VillageCadre));
    assert_eq!(f.step(), &Step::Identify(Who::Applicant));
    // The agent cannot be the applicant.
    send(&mut f, Event::Identified(person(AGENT, Some("李代办"))));
    assert_eq!(f.step(), &Step::Problem(Problem::AlreadyListed));
    let fx = press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Identify(Who::Applicant));
    assert_eq!(fx, vec![Effect::ReadIdCard { seq: f.seq() }]);
    send(&mut f, Event::Identified(person(APPLICANT, Some("陈淑芬"))));
    let list = f.draft().checklist();
    assert!(list.contains(&Material::PowerOfAttorney) && list.contains(&Material::AgentIdCard));
    assert!(list.contains(&Material::IncapacityProof));
    assert_eq!(
        f.draft().agent.as_ref().map(|(_, r)| *r),
        Some(AgentRelation::VillageCadre)
    );
}

#[test]
fn a_typed_number_asks_for_the_name() {
    let mut f = flow();
    press(&mut f, Choice::Type(AssistanceType::Dibao));
    press(&mut f, Choice::ForSelf);
    send(&mut f, Event::Identified(person(APPLICANT, None)));
    assert_eq!(f.step(), &Step::NeedName(Who::Applicant));
    assert!(f.holds_personal_data());
    let seq = f.seq();
    assert!(f.handle(seq, Event::Named("  ".into())).is_err());
    assert_eq!(f.step(), &Step::NeedName(Who::Applicant));
    send(&mut f, Event::Named("陈淑芬".into()));
    assert_eq!(f.step(), &Step::Members);
    let a = f.draft().applicant.clone().unwrap();
    assert!(!a.from_card);
    assert_eq!(a.name.as_unmasked_str(), "陈淑芬");
}

#[test]
fn the_same_person_twice_is_refused_and_members_can_be_removed() {
    let mut f = flow();
    to_members(&mut f);
    add_member(&mut f, SPOUSE, "王德福", Relationship::Spouse);
    press(&mut f, Choice::AddMember);
    send(&mut f, Event::Identified(person(SPOUSE, Some("王德福"))));
    assert_eq!(f.step(), &Step::Problem(Problem::AlreadyListed));
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Identify(Who::Member));
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Members);
    // one tap only asks; "keep" keeps, then "remove" removes
    press(&mut f, Choice::RemoveMember(0));
    assert_eq!(f.step(), &Step::ConfirmRemove(0));
    assert_eq!(f.draft().members.len(), 1);
    let text = screen_text(&f, Lang::Zh);
    assert_eq!(text.title, "要删除这位家庭成员吗？");
    assert!(text.body.contains("王*"), "{}", text.body);
    press(&mut f, Choice::No);
    assert_eq!(f.step(), &Step::Members);
    assert_eq!(f.draft().members.len(), 1);
    press(&mut f, Choice::RemoveMember(0));
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Members);
    assert_eq!(f.draft().members.len(), 1);
    press(&mut f, Choice::RemoveMember(0));
    press(&mut f, Choice::Yes);
    assert!(f.draft().members.is_empty());
    assert_eq!(f.step(), &Step::Members);
    // Back from the list goes where it went before the removal, not to the question
    press(&mut f, Choice::Back);
    assert_ne!(f.step(), &Step::ConfirmRemove(0));
}

#[test]
fn card_failure_offers_a_retry_that_reads_again() {
    let mut f = flow();
    press(&mut f, Choice::Type(AssistanceType::Dibao));
    press(&mut f, Choice::ForSelf);
    send(
        &mut f,
        Event::CardFailed {
            detail: "timeout".into(),
        },
    );
    assert_eq!(f.step(), &Step::Problem(Problem::CardFailed));
    let fx = press(&mut f, Choice::Retry);
    assert_eq!(fx, vec![Effect::ReadIdCard { seq: f.seq() }]);
}

#[test]
fn stale_and_double_presses_cannot_skip_a_step() {
    let mut f = flow();
    let seq = f.seq();
    f.handle(seq, Event::Chose(Choice::Type(AssistanceType::Dibao)))
        .unwrap();
    // The same press again (same seq) is stale.
    assert!(matches!(
        f.handle(seq, Event::Chose(Choice::Type(AssistanceType::Dibao))),
        Err(FlowError::Stale { .. })
    ));
    // A button of another screen is refused.
    let seq = f.seq();
    assert!(f.handle(seq, Event::Chose(Choice::Submit)).is_err());
    // A late card result for an earlier screen is dropped.
    assert!(
        f.handle(1, Event::Identified(person(APPLICANT, Some("陈淑芬"))))
            .is_err()
    );
    assert_eq!(f.step(), &Step::ForWhom);
}

#[test]
fn amount_keypad_edits_and_caps_and_back_keeps_the_old_value() {
    let mut f = flow();
    to_members(&mut f);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Edit(AmountField::Income(IncomeKind::Wages)));
    assert!(!f.enabled(Choice::Next), "nothing typed yet");
    send(&mut f, Event::AmountKey(Key::Digit(0)));
    send(&mut f, Event::AmountKey(Key::Digit(5)));
    assert_eq!(f.typed(), "5", "a leading zero is dropped");
    send(&mut f, Event::AmountKey(Key::Backspace));
    assert_eq!(f.typed(), "");
    let seq = f.seq();
    assert!(f.handle(seq, Event::AmountKey(Key::X)).is_err());
    for _ in 0..8 {
        send(&mut f, Event::AmountKey(Key::Digit(9)));
    }
    let seq = f.seq();
    assert!(f.handle(seq, Event::AmountKey(Key::Digit(9))).is_err());
    press(&mut f, Choice::Next);
    assert_eq!(f.draft().incomes[&IncomeKind::Wages], MAX_YUAN);
    // Editing again and going back leaves the value.
    press(&mut f, Choice::Edit(AmountField::Income(IncomeKind::Wages)));
    assert_eq!(f.typed(), MAX_YUAN.to_string());
    send(&mut f, Event::AmountKey(Key::Clear));
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Incomes);
    assert_eq!(f.draft().incomes[&IncomeKind::Wages], MAX_YUAN);
    assert_eq!(money(12).0, 1200);
}

#[test]
fn scan_failure_offers_retry_or_skip() {
    let mut f = flow();
    to_members(&mut f);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Capture(Material::IdCards));
    send(&mut f, Event::Scanned(Err("没有找到材料".into())));
    assert!(matches!(f.step(), Step::Problem(Problem::ScanFailed(_))));
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Materials);
    assert!(f.draft().materials.is_empty());
}

#[test]
fn failed_signer_check_can_retry_or_sign_later() {
    let mut f = flow();
    to_members(&mut f);
    for _ in 0..4 {
        press(&mut f, Choice::Next);
    }
    press(&mut f, Choice::Yes);
    assert_eq!(f.draft().close_relative, Some(true));
    assert_eq!(f.step(), &Step::Authorization(0));
    press(&mut f, Choice::SignFace);
    send(&mut f, Event::SignerChecked(Err("no live face".into())));
    assert!(matches!(
        f.step(),
        Step::Problem(Problem::SignerCheckFailed(_))
    ));
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Authorization(0));
    press(&mut f, Choice::SignFace);
    send(&mut f, Event::SignerChecked(Err("no live face".into())));
    press(&mut f, Choice::SignLater);
    assert_eq!(f.step(), &Step::Review);
    assert_eq!(f.draft().sign_later.len(), 1);
}

#[test]
fn submit_failure_retries_the_same_draft() {
    let mut f = flow();
    to_members(&mut f);
    for _ in 0..4 {
        press(&mut f, Choice::Next);
    }
    press(&mut f, Choice::No);
    press(&mut f, Choice::SignLater);
    press(&mut f, Choice::Submit);
    send(&mut f, Event::Submitted(Err("disk full".into())));
    assert!(matches!(f.step(), Step::Problem(Problem::SubmitFailed(_))));
    let fx = press(&mut f, Choice::Retry);
    assert!(matches!(fx.as_slice(), [Effect::Submit { .. }]));
    assert_eq!(f.step(), &Step::Submitting);
}

#[test]
fn wipe_forgets_everything_and_late_events_are_stale() {
    let mut f = flow();
    to_members(&mut f);
    add_member(&mut f, SPOUSE, "王德福", Relationship::Spouse);
    assert!(f.holds_personal_data());
    let seq = f.seq();
    f.wipe();
    assert!(!f.holds_personal_data());
    assert_eq!(f.step(), &Step::ChooseType);
    assert!(f.handle(seq, Event::Chose(Choice::AddMember)).is_err());
}

#[test]
fn every_screen_has_words_in_both_languages_and_debug_masks() {
    let mut f = flow();
    to_members(&mut f);
    add_member(&mut f, SPOUSE, "王德福", Relationship::Spouse);
    for lang in [Lang::Zh, Lang::En] {
        let t = screen_text(&f, lang);
        assert!(!t.title.is_empty() && !t.body.is_empty());
        for c in f.choices() {
            assert!(!choice_label(&f, c, lang).is_empty(), "{c:?}");
        }
    }
    let dbg = format!("{:?}", f);
    assert!(!dbg.contains("王德福") && !dbg.contains(SPOUSE), "{dbg}");
}

#[test]
fn staff_assistance_is_kept_on_the_draft() {
    let mut f = flow();
    f.start(today(), Some(("clerk01".into(), "张文书".into())));
    to_members(&mut f);
    for _ in 0..4 {
        press(&mut f, Choice::Next);
    }
    press(&mut f, Choice::No);
    press(&mut f, Choice::SignLater);
    assert!(screen_text(&f, Lang::Zh).body.contains("协助办理：张文书"));
    let fx = press(&mut f, Choice::Submit);
    let Some(Effect::Submit { draft, .. }) = fx.last() else {
        panic!()
    };
    assert_eq!(
        draft.assisted_by.as_ref().map(|a| a.0.as_str()),
        Some("clerk01")
    );
}

/// The townships of a kiosk serving two: its own (江东) and one the district added (江北).
fn two_townships() -> Vec<(String, String)> {
    vec![
        ("500102900".into(), "涪陵区江东街道".into()),
        ("500102901".into(), "涪陵区江北街道".into()),
    ]
}

fn card(address: &str) -> Person {
    Person {
        address: Some(jiuzhu_drivers_api::idcard::MaskedText::new(address)),
        ..person(APPLICANT, Some("陈淑芬"))
    }
}

fn to_applicant_card(f: &mut ApplyFlow, address: &str) {
    f.set_townships(two_townships());
    press(f, Choice::Type(AssistanceType::Dibao));
    press(f, Choice::ForSelf);
    send(f, Event::Identified(card(address)));
}

#[test]
fn the_card_address_names_the_township_confirmed_on_screen() {
    let mut f = flow();
    to_applicant_card(&mut f, "重庆市涪陵区江北街道二渡村3组45号");
    assert_eq!(f.step(), &Step::ConfirmTownship(1));
    let text = screen_text(&f, Lang::Zh);
    assert!(text.body.contains("涪陵区江北街道"), "{}", text.body);
    assert_eq!(choice_label(&f, Choice::Yes, Lang::Zh), "对，是这里");
    // Not yet chosen: nothing in the draft until confirmed.
    assert_eq!(f.draft().township, None);
    press(&mut f, Choice::Yes);
    assert_eq!(f.step(), &Step::Members);
    assert_eq!(
        f.draft().township,
        Some(("500102901".into(), "涪陵区江北街道".into()))
    );
    // The review shows it.
    assert!(review_text(f.draft(), today(), Lang::Zh).contains("户籍所在地：涪陵区江北街道"));
}

#[test]
fn a_wrong_township_is_corrected_from_the_list() {
    let mut f = flow();
    to_applicant_card(&mut f, "重庆市涪陵区江北街道二渡村3组45号");
    press(&mut f, Choice::No);
    assert_eq!(f.step(), &Step::ChooseTownship);
    assert_eq!(
        f.choices(),
        vec![
            Choice::Township(0),
            Choice::Township(1),
            Choice::OtherTownship,
            Choice::Back
        ]
    );
    assert_eq!(
        choice_label(&f, Choice::Township(0), Lang::Zh),
        "涪陵区江东街道"
    );
    press(&mut f, Choice::Township(0));
    assert_eq!(f.draft().township.as_ref().unwrap().0, "500102900");
    // A township index that is not listed is refused.
    let seq = f.seq();
    assert!(f.handle(seq, Event::Chose(Choice::Township(5))).is_err());
}

#[test]
fn an_address_elsewhere_asks_and_none_of_these_says_where_to_go() {
    let mut f = flow();
    to_applicant_card(&mut f, "重庆市涪陵区崇义街道太白路12号3单元502");
    assert_eq!(f.step(), &Step::ChooseTownship);
    assert!(screen_text(&f, Lang::Zh).body.contains("不在本机受理"));
    press(&mut f, Choice::OtherTownship);
    assert_eq!(f.step(), &Step::Problem(Problem::OtherTownship));
    let text = screen_text(&f, Lang::Zh);
    assert!(
        text.body
            .contains("这里只受理涪陵区江东街道、涪陵区江北街道户籍的申请"),
        "{}",
        text.body
    );
    assert!(screen_text(&f, Lang::En).body.contains("registered"));
    assert_eq!(f.draft().township, None);
    // Back to the list; or home.
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::ChooseTownship);
    press(&mut f, Choice::OtherTownship);
    let fx = press(&mut f, Choice::Home);
    assert!(fx.contains(&Effect::GoHome));
}

#[test]
fn a_typed_number_chooses_the_township_and_a_start_keeps_the_list() {
    let mut f = flow();
    f.set_townships(two_townships());
    press(&mut f, Choice::Type(AssistanceType::Dibao));
    press(&mut f, Choice::ForSelf);
    send(&mut f, Event::Identified(person(APPLICANT, None)));
    send(&mut f, Event::Named("陈淑芬".into()));
    assert_eq!(f.step(), &Step::ChooseTownship);
    assert!(
        screen_text(&f, Lang::Zh)
            .body
            .contains("请点选申请人户口所在")
    );
    f.wipe();
    f.start(today(), None);
    assert_eq!(f.townships().len(), 2);
}

/// To the signature pad of the applicant (the first signer), with or without staff assisting.
fn to_pad(assisted: bool) -> ApplyFlow {
    let mut f = flow();
    if assisted {
        f.start(today(), Some(("tok-123".into(), "李*".into())));
    }
    to_members(&mut f);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::Next);
    press(&mut f, Choice::No);
    assert_eq!(f.step(), &Step::Authorization(0));
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Ok(())));
    assert_eq!(f.step(), &Step::Handwriting(0, SignProof::Fingerprint));
    f
}

#[test]
fn a_signer_who_cannot_write_marks_with_a_finger_before_staff() {
    let mut f = to_pad(true);
    assert!(f.choices().contains(&Choice::FingerMark));
    assert_eq!(
        choice_label(&f, Choice::FingerMark, Lang::Zh),
        "不会写字，按手印"
    );
    let fx = press(&mut f, Choice::FingerMark);
    assert_eq!(f.step(), &Step::FingerMark(0, SignProof::Fingerprint));
    assert_eq!(fx, vec![Effect::TakeMark { seq: f.seq() }]);
    let text = screen_text(&f, Lang::Zh);
    assert!(text.body.contains("工作人员李*在场见证"), "{}", text.body);
    // A failed capture: again, or later.
    send(&mut f, Event::Marked(Err("没有按到手指".into())));
    assert_eq!(
        f.step(),
        &Step::Problem(Problem::MarkFailed("没有按到手指".into()))
    );
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Handwriting(0, SignProof::Fingerprint));
    press(&mut f, Choice::FingerMark);
    send(&mut f, Event::Marked(Ok(png())));
    assert_eq!(f.step(), &Step::Review);
    let s = &f.draft().signatures[0];
    assert!(s.finger_mark);
    assert_eq!(s.handwriting_png, png());
}

#[test]
fn a_fingerprint_mark_without_staff_asks_for_a_witness() {
    let mut f = to_pad(false);
    press(&mut f, Choice::FingerMark);
    assert_eq!(f.step(), &Step::Problem(Problem::NeedsWitness));
    assert!(screen_text(&f, Lang::Zh).body.contains("工作人员在场见证"));
    assert_eq!(f.choices(), vec![Choice::Back, Choice::SignLater]);
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Handwriting(0, SignProof::Fingerprint));
    press(&mut f, Choice::FingerMark);
    press(&mut f, Choice::SignLater);
    assert_eq!(f.step(), &Step::Review);
    assert!(f.draft().signatures.is_empty());
    assert_eq!(f.draft().sign_later.len(), 1);
}

#[test]
fn back_to_the_applicants_card_reads_the_same_card_again() {
    let mut f = flow();
    to_applicant_card(&mut f, "重庆市涪陵区江东街道太白路12号");
    assert_eq!(f.step(), &Step::ConfirmTownship(0));
    press(&mut f, Choice::Yes);
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::ConfirmTownship(0));
    let fx = press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Identify(Who::Applicant));
    assert!(fx.contains(&Effect::ReadIdCard { seq: f.seq() }));
    assert_eq!(f.draft().applicant, None);
    assert_eq!(f.draft().township, None);
    // The same card again is the applicant, not "already on the application".
    send(
        &mut f,
        Event::Identified(card("重庆市涪陵区江东街道太白路12号")),
    );
    assert_eq!(f.step(), &Step::ConfirmTownship(0));
}
