use super::*;
use chrono::TimeZone;
use jiuzhu_core::household::Relationship;
use jiuzhu_core::id::IdNumber;

const SPOUSE: &str = "500102194110020032";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
}

fn person(name: Option<&str>) -> Person {
    Person {
        id: IdNumber::parse_at(SPOUSE, today()).unwrap(),
        name: name.map(|n| PersonName::new(n).unwrap()),
        address: None,
    }
}

fn pending(case: &str, applicant: &str) -> PendingSignature {
    PendingSignature {
        case_id: case.into(),
        township: "500102001".into(),
        township_name: "敦仁街道".into(),
        assistance_type: jiuzhu_core::api::AssistanceType::Dibao,
        // 23:30 UTC is the next morning in China.
        submitted_at: chrono::Utc
            .with_ymd_and_hms(2026, 11, 19, 23, 30, 0)
            .unwrap(),
        applicant_masked: applicant.into(),
        signer_masked: "王**".into(),
        relationship: Relationship::Spouse,
        sign_by: None,
        hotline: "023-7222-0000".into(),
    }
}

fn started() -> SignFlow {
    let mut f = SignFlow::new();
    let fx = f.start();
    assert_eq!(fx, vec![Effect::ReadIdCard { seq: f.seq() }]);
    f
}

fn press(f: &mut SignFlow, c: Choice) -> Vec<Effect> {
    let seq = f.seq();
    f.handle(seq, Event::Chose(c))
        .unwrap_or_else(|e| panic!("{c:?} on {:?}: {e}", f.step()))
}

fn send(f: &mut SignFlow, e: Event) -> Vec<Effect> {
    let seq = f.seq();
    f.handle(seq, e).unwrap()
}

fn png() -> Vec<u8> {
    vec![0x89, b'P', b'N', b'G', 1, 2, 3]
}

/// Card → lookup with `found` → returns the lookup's effects.
fn identified(f: &mut SignFlow, found: Vec<PendingSignature>) {
    let fx = send(f, Event::Identified(person(Some("王德福"))));
    assert!(fx.contains(&Effect::CancelDevices));
    assert_eq!(f.step(), &Step::Looking);
    assert!(fx.contains(&Effect::FindPending {
        seq: f.seq(),
        signer: person(Some("王德福"))
    }));
    send(f, Event::Found(Ok(found)));
}

#[test]
fn one_waiting_application_is_signed_with_a_finger_and_the_handwriting() {
    let mut f = started();
    identified(&mut f, vec![pending("case-1", "陈*芬")]);
    assert_eq!(
        f.step(),
        &Step::Authorization,
        "one: no list to choose from"
    );
    let text = screen_text(&f, Lang::Zh).body;
    assert!(
        text.contains("城乡低保 · 申请人 陈*芬 · 2026年11月20日提交"),
        "{text}"
    );
    assert!(text.contains("配偶"), "{text}");
    assert!(text.contains("核对授权书"), "{text}");
    assert!(
        !text.contains("王德福"),
        "only masked names are shown: {text}"
    );
    let fx = press(&mut f, Choice::SignFingerprint);
    assert_eq!(
        fx,
        vec![Effect::CheckSigner {
            seq: f.seq(),
            signer: person(Some("王德福")),
            proof: SignProof::Fingerprint
        }]
    );
    let fx = send(&mut f, Event::SignerChecked(Ok(())));
    assert_eq!(fx, vec![Effect::ClearPad]);
    assert_eq!(f.step(), &Step::Handwriting(SignProof::Fingerprint));
    // An empty pad is refused and changes nothing.
    let seq = f.seq();
    assert!(f.handle(seq, Event::Handwritten(None)).is_err());
    let fx = send(&mut f, Event::Handwritten(Some(png())));
    let [Effect::Submit { seq, signature }] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(*seq, f.seq());
    assert_eq!(signature.case_id, "case-1");
    assert!(signature.from_card);
    assert_eq!(signature.proof, SignProof::Fingerprint);
    assert_eq!(signature.handwriting_png, png());
    assert!(!format!("{signature:?}").contains(SPOUSE), "Debug masks");
    let fx = send(&mut f, Event::Submitted(Ok(false)));
    assert_eq!(f.step(), &Step::Done { queued: true });
    let [Effect::PrintReceipt(slip)] = fx.as_slice() else {
        panic!("the receipt prints: {fx:?}");
    };
    assert_eq!(
        (
            slip.case.case_id.as_str(),
            slip.proof,
            slip.from_card,
            slip.queued
        ),
        ("case-1", SignProof::Fingerprint, true, true)
    );
    assert!(screen_text(&f, Lang::Zh).body.contains("自动送达"));
    assert_eq!(f.choices(), vec![Choice::Print, Choice::Home]);
    assert_eq!(
        press(&mut f, Choice::Print),
        vec![Effect::PrintReceipt(slip.clone())],
        "another copy"
    );
    let fx = press(&mut f, Choice::Home);
    assert!(fx.contains(&Effect::GoHome));
    f.wipe();
    assert!(!f.holds_personal_data());
}

#[test]
fn several_applications_are_chosen_and_signed_one_after_another() {
    let mut f = started();
    identified(
        &mut f,
        vec![pending("case-1", "陈*芬"), pending("case-2", "王*")],
    );
    assert_eq!(f.step(), &Step::Choose);
    assert_eq!(
        f.choices(),
        vec![Choice::Case(0), Choice::Case(1), Choice::Back]
    );
    press(&mut f, Choice::Case(1));
    assert_eq!(f.chosen().unwrap().case_id, "case-2");
    // Back to the list, then the other one.
    press(&mut f, Choice::Back);
    assert_eq!(f.step(), &Step::Choose);
    press(&mut f, Choice::Case(0));
    press(&mut f, Choice::SignFace);
    send(&mut f, Event::SignerChecked(Ok(())));
    send(&mut f, Event::Handwritten(Some(png())));
    send(&mut f, Event::Submitted(Ok(true)));
    assert_eq!(f.step(), &Step::Done { queued: false });
    assert_eq!(
        f.choices(),
        vec![Choice::Another, Choice::Print, Choice::Home]
    );
    assert_eq!(
        choice_label(&f, Choice::Another, Lang::Zh),
        "签署下一份（还有1份）"
    );
    // The one left goes straight to its authorization.
    press(&mut f, Choice::Another);
    assert_eq!(f.step(), &Step::Authorization);
    assert_eq!(f.chosen().unwrap().case_id, "case-2");
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Ok(())));
    send(&mut f, Event::Handwritten(Some(png())));
    send(&mut f, Event::Submitted(Ok(true)));
    assert_eq!(f.choices(), vec![Choice::Print, Choice::Home]);
    assert!(f.remaining().is_empty());
}

#[test]
fn nothing_to_sign_offline_and_refusals_say_what_to_do() {
    let mut f = started();
    identified(&mut f, vec![]);
    assert_eq!(f.step(), &Step::Problem(Problem::NothingToSign));
    assert_eq!(f.choices(), vec![Choice::Home]);

    let mut f = started();
    send(&mut f, Event::Identified(person(Some("王德福"))));
    send(&mut f, Event::Found(Err("connection refused".into())));
    assert!(matches!(f.step(), Step::Problem(Problem::LookupFailed(_))));
    let fx = press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Looking);
    assert!(matches!(fx.as_slice(), [Effect::FindPending { .. }]));
    send(&mut f, Event::Found(Ok(vec![pending("case-1", "陈*芬")])));

    // A failed identity check goes back to the authorization.
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Err("不匹配".into())));
    assert!(screen_text(&f, Lang::En).body.contains("不匹配"));
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Authorization);

    // Central refuses the signature: sign again.
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Ok(())));
    send(&mut f, Event::Handwritten(Some(png())));
    send(&mut f, Event::Submitted(Err("409 already signed".into())));
    assert!(matches!(f.step(), Step::Problem(Problem::SubmitFailed(_))));
    let fx = press(&mut f, Choice::Retry);
    assert_eq!(fx, vec![Effect::ClearPad]);
    assert_eq!(f.step(), &Step::Handwriting(SignProof::Fingerprint));

    // A card that cannot be read.
    let mut f = started();
    send(
        &mut f,
        Event::CardFailed {
            detail: "timeout".into(),
        },
    );
    let fx = press(&mut f, Choice::Retry);
    assert_eq!(fx, vec![Effect::ReadIdCard { seq: f.seq() }]);
}

#[test]
fn a_typed_number_needs_the_name_and_is_not_from_the_card() {
    let mut f = started();
    send(&mut f, Event::Identified(person(None)));
    assert_eq!(f.step(), &Step::NeedName);
    let seq = f.seq();
    assert!(f.handle(seq, Event::Named("  ".into())).is_err());
    assert_eq!(f.step(), &Step::NeedName, "a bad name keeps the number");
    let fx = send(&mut f, Event::Named(" 王德福 ".into()));
    assert!(matches!(fx.as_slice(), [Effect::FindPending { signer, .. }] if signer.name.is_some()));
    send(&mut f, Event::Found(Ok(vec![pending("case-1", "陈*芬")])));
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Ok(())));
    let fx = send(&mut f, Event::Handwritten(Some(png())));
    assert!(matches!(fx.as_slice(), [Effect::Submit { signature, .. }] if !signature.from_card));
}

#[test]
fn stale_and_misplaced_events_are_refused() {
    let mut f = started();
    let old = f.seq();
    send(&mut f, Event::Identified(person(Some("王德福"))));
    assert!(matches!(
        f.handle(old, Event::Found(Ok(vec![]))),
        Err(FlowError::Stale { .. })
    ));
    let seq = f.seq();
    assert!(f.handle(seq, Event::Chose(Choice::SignFace)).is_err());
    assert!(f.handle(seq, Event::SignerChecked(Ok(()))).is_err());
    assert_eq!(f.step(), &Step::Looking);
    // Back from the authorization forgets the signer and waits for a card again.
    send(&mut f, Event::Found(Ok(vec![pending("case-1", "陈*芬")])));
    let fx = press(&mut f, Choice::Back);
    assert!(fx.contains(&Effect::ReadIdCard { seq: f.seq() }));
    assert_eq!(f.step(), &Step::Identify);
    assert!(!f.holds_personal_data());
}

#[test]
fn english_words_exist_for_every_screen() {
    let mut f = started();
    for lang in [Lang::Zh, Lang::En] {
        assert!(!screen_text(&f, lang).title.is_empty());
    }
    identified(&mut f, vec![pending("case-1", "陈*芬")]);
    let mut p = pending("case-2", "王*");
    p.sign_by = Some(NaiveDate::from_ymd_opt(2026, 12, 4).unwrap());
    let en = relation_line(&p, Lang::En);
    assert_eq!(
        en,
        "You (王**) are the applicant's: spouse; sign by 4 December 2026"
    );
    let zh = relation_line(&p, Lang::Zh);
    assert!(zh.contains("2026年12月4日前签署"), "{zh}");
}

/// The pad of the only waiting application, after the finger check.
fn at_the_pad(witness: Option<(String, String)>) -> SignFlow {
    let mut f = started();
    f.set_witness(witness);
    identified(&mut f, vec![pending("case-1", "陈*芬")]);
    press(&mut f, Choice::SignFingerprint);
    send(&mut f, Event::SignerChecked(Ok(())));
    assert_eq!(f.step(), &Step::Handwriting(SignProof::Fingerprint));
    f
}

#[test]
fn a_signer_who_cannot_write_marks_with_a_finger_witnessed_by_staff() {
    let mut f = at_the_pad(Some(("tok-9".into(), "李*".into())));
    assert_eq!(
        choice_label(&f, Choice::FingerMark, Lang::Zh),
        "不会写字，按手印"
    );
    let fx = press(&mut f, Choice::FingerMark);
    assert_eq!(fx, vec![Effect::TakeMark { seq: f.seq() }]);
    assert!(
        screen_text(&f, Lang::Zh)
            .body
            .contains("工作人员李*在场见证")
    );
    send(&mut f, Event::Marked(Err("没有按到手指".into())));
    assert!(screen_text(&f, Lang::Zh).body.contains("手印没有按好"));
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Handwriting(SignProof::Fingerprint));
    press(&mut f, Choice::FingerMark);
    let fx = send(&mut f, Event::Marked(Ok(png())));
    let Some(Effect::Submit { signature, .. }) =
        fx.iter().find(|e| matches!(e, Effect::Submit { .. }))
    else {
        panic!("no submission: {fx:?}");
    };
    assert_eq!(signature.witness.as_deref(), Some("tok-9"));
    assert_eq!(signature.handwriting_png, png());
    assert!(
        !format!("{signature:?}").contains("tok-9"),
        "Debug hides it"
    );
}

#[test]
fn a_fingerprint_mark_alone_asks_for_a_staff_witness() {
    let mut f = at_the_pad(None);
    press(&mut f, Choice::FingerMark);
    assert_eq!(f.step(), &Step::Problem(Problem::NeedsWitness));
    assert!(
        screen_text(&f, Lang::Zh)
            .body
            .contains("要有工作人员在场见证")
    );
    press(&mut f, Choice::Retry);
    assert_eq!(f.step(), &Step::Handwriting(SignProof::Fingerprint));
    // A written name goes without a witness.
    let fx = send(&mut f, Event::Handwritten(Some(png())));
    let Some(Effect::Submit { signature, .. }) =
        fx.iter().find(|e| matches!(e, Effect::Submit { .. }))
    else {
        panic!("no submission: {fx:?}");
    };
    assert_eq!(signature.witness, None);
}
