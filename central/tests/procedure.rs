//! The procedure from the household's side, on a real server on loopback with an SMS gateway
//! simulator (an HTTP server on loopback): every effect of a step stored as a document in the
//! step's transaction, the household's documents on the kiosk status answer, delivered at a
//! kiosk and by SMS, undelivered ones on the staff list, the resident's rights (withdrawal,
//! 复查, a named 公示 objection) with their receipts, short case numbers, and an abuse test for
//! every new route. Dates are checked against core's working-day calendar.
//! A wrong gateway token is refused by the simulator and counted as a failed attempt.

use jiuzhu_central::client::Conn;
use jiuzhu_central::seed::{DEMO_TOWNSHIP, OTHER_TOWNSHIP, demo_id};
use jiuzhu_central::sms::{HttpSmsGateway, SmsConfig, deliver_pending};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::notices::period_end_days;
use serde_json::{Value, json};

mod support;
use support::procedure::{Household, cn, kinds, masked, server, text_has};
use support::{login, staff_get, step, step_ok, working_days};

#[tokio::test]
async fn notices_are_stored_with_their_step_delivered_by_sms_and_at_a_kiosk() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(301);
    let (case, no) = h.submit(&s, &mut c).await;
    assert_eq!(no, "江东-2026-00001");
    // The staff work notice of the submission is stored; nothing is for the household yet.
    assert!(s.notices(&mut c, &h.applicant, &case).await.is_empty());
    let all = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/notices"),
    )
    .await
    .json();
    let first = &all["notices"][0];
    assert_eq!(first["kind"], "staff_alert");
    assert_eq!(first["case_no"], no);
    let acceptance_due = working_days(s.today(), 2);
    assert_eq!(first["deadline"], acceptance_due.to_string());

    // A refused step stores no document.
    let before = s.count_sql("SELECT count(*) FROM notices");
    assert_eq!(
        step(&mut c, &clerk, &case, json!({"type": "accept"}))
            .await
            .status,
        409
    );
    assert_eq!(s.count_sql("SELECT count(*) FROM notices"), before);

    // 一次性告知 with the deadline the clerk gives (10 working days).
    let deadline = working_days(s.today(), 10);
    let notice =
        json!({"type": "notify_missing_materials", "deadline": deadline, "note": "请补交收入证明"});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, notice).await,
        "awaiting_materials"
    );
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    assert_eq!(kinds(&notices), ["missing_materials"]);
    let n = &notices[0];
    assert_eq!(n["title"], "一次性告知书");
    assert_eq!(n["issued_on"], s.today().to_string());
    assert_eq!(n["deadline"], deadline.to_string());
    assert_eq!(n["delivered_on"], Value::Null);
    text_has(
        n,
        &[
            &format!("案号：{no}"),
            &format!("请在{}（含当日）前补齐", cn(deadline)),
            "收入证明",
            "说明：请补交收入证明",
            "视为自动放弃",
            "咨询电话：023-7222-0000",
            "举报电话：023-7222-0001",
            &masked("王德福"),
        ],
    );
    assert!(!n["text"].as_str().unwrap().contains("王德福"));
    let undelivered = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/notices?undelivered=true"),
    )
    .await
    .json();
    assert_eq!(undelivered["notices"].as_array().unwrap().len(), 1);
    assert_eq!(undelivered["notices"][0]["id"], n["id"]);

    // The SMS round: the gateway is busy once, then takes it; the message has no name.
    s.gateway.fail_next(1);
    let round = deliver_pending(&s.state, &s.sms).await.unwrap();
    assert_eq!((round.sent, round.failed), (0, 1));
    let round = deliver_pending(&s.state, &s.sms).await.unwrap();
    assert_eq!((round.sent, round.failed), (1, 0));
    {
        let got = s.gateway.messages();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].to, "13800138000");
        assert_eq!(
            got[0].text,
            format!(
                "【救助通】您的救助申请（案号{no}）有一份一次性告知书，请于{}前补齐。请持身份证到救助通自助终端“进度查询”查看，或致电023-7222-0000。",
                cn(deadline)
            )
        );
        for secret in ["王", &h.applicant, "收入证明"] {
            assert!(!got[0].text.contains(secret));
        }
    }
    // Delivered now; a further round sends nothing.
    assert_eq!(deliver_pending(&s.state, &s.sms).await.unwrap().sent, 0);
    let n = &s.notices(&mut c, &h.applicant, &case).await[0];
    assert_eq!(n["delivered_on"], s.today().to_string());
    assert_eq!(n["delivered_how"], "sms");
    assert_eq!(
        s.count_sql("SELECT count(*) FROM notice_deliveries WHERE how = 'sms'"),
        2,
        "the failed attempt is kept"
    );

    // The household supplies the income proof two days later; the clerk accepts.
    s.advance_to(working_days(s.today(), 2));
    h.upload(&s, &mut c, &case, "income_proof", "income").await;
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "accept"})).await,
        "accepted"
    );
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    assert_eq!(kinds(&notices), ["missing_materials", "acceptance"]);
    let acc = &notices[1];
    text_has(
        acc,
        &[&format!(
            "{}前开始家庭经济状况调查",
            cn(working_days(s.today(), 2))
        )],
    );
    // Read at the kiosk and confirmed: delivered at the kiosk today.
    let path = format!("/v1/kiosk/notices/{}/delivered", acc["id"]);
    let r = s
        .kiosk_post(&mut c, &path, &json!({"id_number": h.applicant}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["recorded"], true);
    assert_eq!(r.json()["delivered_how"], "kiosk");
    assert_eq!(r.json()["delivered_on"], s.today().to_string());
    // Again: the first delivery is kept.
    let r = s
        .kiosk_post(&mut c, &path, &json!({"id_number": h.applicant}))
        .await;
    assert_eq!(
        (r.status, r.json()["recorded"].clone()),
        (200, json!(false))
    );
    // The SMS-delivered notice confirmed at the kiosk keeps its SMS delivery.
    let r = s
        .kiosk_post(
            &mut c,
            &format!("/v1/kiosk/notices/{}/delivered", notices[0]["id"]),
            &json!({"id_number": h.applicant}),
        )
        .await;
    assert_eq!(r.json()["delivered_how"], "sms");
    // The acceptance notice was delivered at the kiosk before the SMS round: no message for it.
    assert_eq!(deliver_pending(&s.state, &s.sms).await.unwrap().sent, 0);
    let undelivered = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/notices?undelivered=true"),
    )
    .await
    .json();
    assert!(undelivered["notices"].as_array().unwrap().is_empty());

    // Investigation: not eligible, with reasons and the established income; the applicant
    // objects at the kiosk with evidence (复查) and gets a receipt.
    assert_eq!(
        step_ok(
            &mut c,
            &clerk,
            &case,
            json!({"type": "start_investigation"})
        )
        .await,
        "investigating"
    );
    let findings = json!({"type": "record_findings", "eligible": false, "summary": "儿子在外务工，月收入 6000 元，有赡养能力", "per_capita_income": 98000});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, findings).await,
        "findings_notified"
    );
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    let ne = notices.last().unwrap();
    assert_eq!(ne["kind"], "not_eligible");
    text_has(
        ne,
        &[
            "理由：儿子在外务工，月收入 6000 元，有赡养能力。",
            "980.00 元",
            "申请复查",
        ],
    );
    let evidence = h.upload(&s, &mut c, &case, "", "unemployment").await;
    let objection = json!({"id_number": h.applicant, "statement": "儿子已于上月失业，无收入", "evidence": [evidence]});
    let r = s
        .kiosk_post(
            &mut c,
            &format!("/v1/kiosk/applications/{case}/objections"),
            &objection,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["state"], "investigating");
    assert_eq!(r.json()["case_no"], no);
    let receipt = r.json()["receipt"].as_str().unwrap().to_string();
    assert!(receipt.starts_with("复查申请回执"), "{receipt}");
    assert!(receipt.contains(&format!("{}已于{}", masked("王德福"), cn(s.today()))));

    // Re-check eligible → 初审 → 公示 (7 calendar days): a resident objects by name, once.
    let findings = json!({"type": "record_findings", "eligible": true, "summary": "复查：儿子失业，人均收入低于标准", "per_capita_income": 40000});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, findings).await,
        "investigated"
    );
    let opinion = json!({"type": "propose_initial_opinion", "include": true, "amount": 62000, "method": "review_meeting", "reviewers": ["分管领导", "民政办主任"]});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, opinion.clone()).await,
        "in_publicity"
    );
    let posted = s.today();
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    let pn = notices.last().unwrap();
    assert_eq!(pn["kind"], "publicity_notice");
    assert_eq!(pn["deadline"], (posted + chrono::Days::new(7)).to_string());
    let public = s
        .count_sql("SELECT count(*) FROM notices WHERE kind = 'publicity' AND audience = 'public'");
    assert_eq!(public, 1);
    // The kiosk's 公示 list: this posting, masked, with the number to cite.
    let list = c
        .signed(&s.kiosk, "GET", "/v1/kiosk/publicity", b"", &[])
        .await
        .unwrap();
    assert_eq!(list.status, 200, "{:?}", list.json());
    let postings = list.json()["postings"].as_array().unwrap().clone();
    assert_eq!(postings.len(), 1, "{postings:?}");
    assert_eq!(postings[0]["case_no"], no);
    assert_eq!(
        postings[0]["until"],
        (posted + chrono::Days::new(7)).to_string()
    );
    let text = postings[0]["text"].as_str().unwrap();
    assert!(
        text.contains(&masked("王德福")) && text.contains("拟纳入"),
        "{text}"
    );
    assert!(!text.contains("王德福") && !text.contains(&h.applicant));
    // A kiosk of another township neither sees the posting nor objects to it (404 as unknown).
    let other = &s.other_kiosk;
    let r = c
        .signed(other, "GET", "/v1/kiosk/publicity", b"", &[])
        .await
        .unwrap();
    assert_eq!(r.json()["postings"], json!([]));
    let r = c
        .signed(
            other,
            "POST",
            &format!("/v1/kiosk/publicity/{no}/objections"),
            json!({"objector": {"id_number": demo_id("19600101", 303), "name": "赵大山"}, "statement": "有车"})
                .to_string()
                .as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 404, "{:?}", r.json());
    let r = c
        .signed(
            other,
            "POST",
            &format!("/v1/kiosk/applications/{case}/withdrawal"),
            json!({"id_number": h.applicant}).to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "outside_kiosk_scope")
    );
    let neighbour = demo_id("19600101", 302);
    let obj = json!({"objector": {"id_number": neighbour, "name": "赵大山"}, "statement": "其家中有一辆经营性货车"});
    let path = format!("/v1/kiosk/publicity/{no}/objections");
    let r = s.kiosk_post(&mut c, &path, &obj).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        (r.json()["case_id"].clone(), r.json()["state"].clone()),
        (json!(""), json!("recorded"))
    );
    assert!(
        r.json()["receipt"]
            .as_str()
            .unwrap()
            .contains(&masked("赵大山"))
    );
    assert_eq!(s.count_sql("SELECT count(*) FROM publicity_objectors"), 1);
    // Objected: the posting is interrupted and leaves the list.
    let r = c
        .signed(&s.kiosk, "GET", "/v1/kiosk/publicity", b"", &[])
        .await
        .unwrap();
    assert_eq!(r.json()["postings"], json!([]));
    // Interrupted: a second objection by the same person is refused; the case is objected.
    let r = s.kiosk_post(&mut c, &path, &obj).await;
    assert_eq!(r.status, 409, "{:?}", r.json());
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "reinvestigate"})).await,
        "investigating"
    );
    let findings = json!({"type": "record_findings", "eligible": true, "summary": "货车为亲戚所有，已核实", "per_capita_income": 40000});
    step_ok(&mut c, &clerk, &case, findings).await;
    assert_eq!(
        step_ok(&mut c, &clerk, &case, opinion).await,
        "in_publicity"
    );
    // The 7 days end; the leader's meeting finds the property over the limit: a refusal is
    // not what was posted (纳入), so it needs the revised opinion posted first.
    s.advance_to(s.today() + chrono::Days::new(8));
    s.scan_deadlines().unwrap();
    let leader = login(&mut c, "leader").await;
    let refuse = json!({"type": "confirm", "approve": false, "reasons": "经评审会审议，家庭财产超过规定标准", "review_meeting": true});
    let r = step(&mut c, &leader, &case, refuse.clone()).await;
    assert_eq!(r.status, 409, "{:?}", r.json());
    assert_eq!(r.error_code(), "differs_from_publicity");
    let exclusion = json!({"type": "propose_initial_opinion", "include": false, "method": "review_meeting", "reviewers": ["分管领导", "民政办主任"], "reasons": "家庭财产超过规定标准"});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, exclusion).await,
        "in_publicity"
    );
    // The 7 days end; the timer concludes; the leader refuses in a review meeting.
    s.advance_to(s.today() + chrono::Days::new(8));
    s.scan_deadlines().unwrap();
    assert_eq!(step_ok(&mut c, &leader, &case, refuse).await, "refused");
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    let refusal = notices.last().unwrap();
    assert_eq!(refusal["kind"], "refusal");
    let review_by = period_end_days(&Calendar::builtin(), s.today(), 60);
    assert_eq!(refusal["deadline"], review_by.to_string());
    text_has(
        refusal,
        &[
            "理由：经评审会审议，家庭财产超过规定标准。",
            "行政复议",
            &cn(review_by),
            "行政诉讼",
        ],
    );
    // Every household notice of the case is in the archive in order, each with its audit row.
    assert_eq!(
        kinds(&notices),
        [
            "missing_materials",
            "acceptance",
            "investigation_started",
            "not_eligible",
            "recheck_result",
            "publicity_notice",
            "publicity_notice",
            "publicity_notice",
            "refusal"
        ]
    );
    assert_eq!(
        s.count_sql("SELECT count(*) FROM audit WHERE action = 'notice.issued'"),
        notices.len() as i64
    );
}

/// 近亲属申明 at the kiosk is a yes or no: a "yes" reaches the case, the clerk's 初审 waits until
/// the clerk has recorded its details with the household and filed it (备案登记); filing before
/// the details is refused with its own code.
#[tokio::test]
async fn a_close_relative_declared_at_the_kiosk_must_be_recorded_and_filed_before_the_opinion() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let h = Household::new(331);
    let (case, _) = h
        .submit_with(&s, &mut c, json!({"close_relative_declared": true}))
        .await;
    h.upload(&s, &mut c, &case, "income_proof", "income").await;
    let clerk = login(&mut c, "clerk").await;
    for action in [
        json!({"type": "accept"}),
        json!({"type": "start_investigation"}),
        json!({"type": "record_findings", "eligible": true, "summary": "人均收入低于标准", "per_capita_income": 40000}),
    ] {
        step_ok(&mut c, &clerk, &case, action).await;
    }
    let opinion = json!({"type": "propose_initial_opinion", "include": true, "amount": 62000, "method": "no_dispute", "reviewers": ["民政办主任"]});
    let r = step(&mut c, &clerk, &case, opinion.clone()).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "missing_step"),
        "{:?}",
        r.json()
    );
    assert_eq!(r.json()["error"]["missing_step"], "relatives_filing");
    let file = json!({"type": "file_relatives_declaration"});
    let r = step(&mut c, &clerk, &case, file.clone()).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "relative_details_missing"),
        "{:?}",
        r.json()
    );
    // A declaration naming someone outside the household is refused; the details, then 备案.
    let relative = |member: &str| {
        json!({"type": "declare_staff_relative", "relative": {
            "member": member, "staff_name": "赵六", "post": "committee_member", "relation": "sibling"}})
    };
    let r = step(&mut c, &clerk, &case, relative(&demo_id("19700101", 332))).await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    step_ok(&mut c, &clerk, &case, relative(&h.member)).await;
    step_ok(&mut c, &clerk, &case, file).await;
    assert_eq!(
        step_ok(&mut c, &clerk, &case, opinion).await,
        "in_publicity"
    );
}

#[tokio::test]
async fn withdrawal_by_the_applicant_or_agent_only() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let h = Household::new(311);
    let (case, no) = h.submit(&s, &mut c).await;
    let path = format!("/v1/kiosk/applications/{case}/withdrawal");
    // A member who is not the applicant, a stranger, an agent never recorded: 404, nothing done.
    for body in [
        json!({"id_number": h.member}),
        json!({"id_number": demo_id("19700101", 312)}),
        json!({"id_number": h.applicant, "agent_id_number": demo_id("19700101", 313)}),
    ] {
        let r = s.kiosk_post(&mut c, &path, &body).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (404, "not_found"),
            "{body}"
        );
    }
    // Bad input: 422 / 400 with the field named.
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "reason": "长".repeat(501)}),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    let r = s
        .kiosk_post(&mut c, &path, &json!({"id_number": "123"}))
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "invalid_id_number")
    );
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "extra": 1}),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/applications/no-such-case/withdrawal",
            &json!({"id_number": h.applicant}),
        )
        .await;
    assert_eq!(r.status, 404);
    // Unsigned: 401.
    let r = c
        .send(
            "POST",
            &path,
            &[("content-type", "application/json".into())],
            json!({"id_number": h.applicant}).to_string().as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    // The applicant withdraws; the receipt and the 撤回申请确认书.
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "reason": "家庭情况好转"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["state"], "withdrawn");
    assert!(
        r.json()["receipt"]
            .as_str()
            .unwrap()
            .contains(&format!("案号：{no}"))
    );
    let notices = s.notices(&mut c, &h.applicant, &case).await;
    assert_eq!(kinds(&notices), ["withdrawal"]);
    // Twice: the case is closed.
    let r = s
        .kiosk_post(&mut c, &path, &json!({"id_number": h.applicant}))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "closed"));
}

#[tokio::test]
async fn abuse_of_the_notice_objection_and_staff_routes() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(321);
    let (case, no) = h.submit(&s, &mut c).await;
    let deadline = working_days(s.today(), 10);
    step_ok(
        &mut c,
        &clerk,
        &case,
        json!({"type": "notify_missing_materials", "deadline": deadline}),
    )
    .await;
    let id = s.notices(&mut c, &h.applicant, &case).await[0]["id"]
        .as_i64()
        .unwrap();
    // A gateway that refuses our token: a failed attempt, the notice stays undelivered.
    let wrong =
        HttpSmsGateway::new(SmsConfig::new(&s.gateway.endpoint(), "not-the-token".into()).unwrap())
            .unwrap();
    let round = deliver_pending(&s.state, &wrong).await.unwrap();
    assert_eq!((round.sent, round.failed), (0, 1));
    assert!(s.gateway.messages().is_empty());
    assert_eq!(
        s.notices(&mut c, &h.applicant, &case).await[0]["delivered_on"],
        Value::Null
    );
    s.exec("DELETE FROM notice_deliveries");
    let staff_alert: i64 = s.count_sql("SELECT min(id) FROM notices WHERE audience != 'household'");
    // Delivery confirmed by someone else, for a staff document, for ids that are not numbers.
    for (path, body) in [
        (
            format!("/v1/kiosk/notices/{id}/delivered"),
            json!({"id_number": h.member}),
        ),
        (
            format!("/v1/kiosk/notices/{staff_alert}/delivered"),
            json!({"id_number": h.applicant}),
        ),
        (
            "/v1/kiosk/notices/-1/delivered".into(),
            json!({"id_number": h.applicant}),
        ),
        (
            "/v1/kiosk/notices/99999999999999999999/delivered".into(),
            json!({"id_number": h.applicant}),
        ),
        (
            "/v1/kiosk/notices/1%20OR%201/delivered".into(),
            json!({"id_number": h.applicant}),
        ),
    ] {
        let r = s.kiosk_post(&mut c, &path, &body).await;
        assert_eq!(r.status, 404, "{path}: {:?}", r.json());
    }
    assert_eq!(s.count_sql("SELECT count(*) FROM notice_deliveries"), 0);
    // 复查 before any findings: 409 naming the step; too long, too much evidence, evidence not
    // uploaded to the case: 422.
    let obj = format!("/v1/kiosk/applications/{case}/objections");
    let r = s
        .kiosk_post(
            &mut c,
            &obj,
            &json!({"id_number": h.applicant, "statement": "不服", "needs_help": true}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "missing_step"),
        "{:?}",
        r.json()
    );
    for body in [
        json!({"id_number": h.applicant, "statement": ""}),
        json!({"id_number": h.applicant, "statement": "x".repeat(501)}),
        json!({"id_number": h.applicant, "statement": "不服", "evidence": vec!["a".repeat(64); 21]}),
    ] {
        let r = s.kiosk_post(&mut c, &obj, &body).await;
        assert_eq!(r.status, 422, "{:?}", r.json());
    }
    // 公示 objections: unknown number 404, not in 公示 409, empty statement 422.
    let r = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/publicity/江东-2026-99999/objections",
            &json!({"objector": {"id_number": h.member, "name": "李秀英"}, "statement": "有车"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let pub_path = format!("/v1/kiosk/publicity/{no}/objections");
    let r = s
        .kiosk_post(
            &mut c,
            &pub_path,
            &json!({"objector": {"id_number": h.member, "name": "李秀英"}, "statement": "有车"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "missing_step"),
        "{:?}",
        r.json()
    );
    let r = s
        .kiosk_post(
            &mut c,
            &pub_path,
            &json!({"objector": {"id_number": h.member, "name": "李秀英"}, "statement": " "}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(s.count_sql("SELECT count(*) FROM publicity_objectors"), 0);
    // Staff list: another township's account 403, a bad query 422, no session 401.
    let bureau_scope = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{OTHER_TOWNSHIP}/notices"),
    )
    .await;
    assert_eq!(bureau_scope.status, 403);
    let r = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/notices?undelivered=maybe"),
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    let r = staff_get(
        &mut c,
        "nope",
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/notices"),
    )
    .await;
    assert_eq!(r.status, 401);
    // A bad mobile number on an application: 422, nothing stored.
    let before = s.count_sql("SELECT count(*) FROM cases");
    let body = json!({"township": DEMO_TOWNSHIP, "assistance_type": "dibao",
        "applicant": {"id_number": demo_id("19520101", 322), "name": "王德福"}, "contact_phone": "1234"});
    let r = s
        .kiosk_post_once(
            &mut c,
            "/v1/kiosk/applications",
            &body,
            "idem-bad-phone-0001",
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    assert_eq!(s.count_sql("SELECT count(*) FROM cases"), before);
}

/// The SMS number given at a kiosk after the application (`…/contact-phone`): only the applicant
/// (or recorded agent), only a mainland mobile number, only the kiosk's townships, at most three
/// changes a day, every change audited with the number masked; pending notices then go out by
/// SMS to it.
#[tokio::test]
async fn the_sms_number_is_set_at_a_kiosk_by_the_applicant_only_and_rate_limited() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(341);
    // An application with no number: the one-time notice waits for a kiosk.
    let body = json!({
        "township": DEMO_TOWNSHIP, "assistance_type": "dibao",
        "applicant": {"id_number": h.applicant, "name": "王德福"},
    });
    let r = s
        .kiosk_post_once(
            &mut c,
            "/v1/kiosk/applications",
            &body,
            "idem-phone-case-0341",
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    let notice =
        json!({"type": "notify_missing_materials", "deadline": working_days(s.today(), 10)});
    step_ok(&mut c, &clerk, &case, notice).await;
    assert_eq!(deliver_pending(&s.state, &s.sms).await.unwrap().sent, 0);

    let path = format!("/v1/kiosk/applications/{case}/contact-phone");
    // Not a mobile number: 422, nothing stored.
    for bad in ["1234", "23912345678", "139123456789", "1391234567x"] {
        let r = s
            .kiosk_post(
                &mut c,
                &path,
                &json!({"id_number": h.applicant, "phone": bad}),
            )
            .await;
        assert_eq!(r.status, 422, "{bad}: {:?}", r.json());
    }
    // Someone else (a stranger, the member): 404 as for an unknown case.
    for who in [demo_id("19600101", 342), h.member.clone()] {
        let r = s
            .kiosk_post(
                &mut c,
                &path,
                &json!({"id_number": who, "phone": "13900001111"}),
            )
            .await;
        assert_eq!(r.status, 404, "{:?}", r.json());
    }
    // A kiosk of another township: 403.
    let other = &s.other_kiosk;
    let r = c
        .signed(
            other,
            "POST",
            &path,
            json!({"id_number": h.applicant, "phone": "13900001111"})
                .to_string()
                .as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "outside_kiosk_scope")
    );
    assert_eq!(
        s.count_sql("SELECT count(*) FROM audit WHERE action = 'case.contact_phone'"),
        0
    );
    // The applicant: set, masked in the answer and the audit, sealed at rest.
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "phone": "13900001111"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["phone_masked"], "139****1111");
    let detail: String =
        s.rows("SELECT detail FROM audit WHERE action = 'case.contact_phone'")[0][0].text();
    assert!(detail.contains("139****1111") && !detail.contains("13900001111"));
    assert_eq!(
        s.count_sql("SELECT count(*) FROM cases WHERE contact_phone LIKE '%13900001111%'"),
        0,
        "sealed at rest"
    );
    // The waiting notice now goes out by SMS to it.
    let round = deliver_pending(&s.state, &s.sms).await.unwrap();
    assert_eq!((round.sent, round.failed), (1, 0));
    assert_eq!(s.gateway.messages().last().unwrap().to, "13900001111");
    // Two more changes in the day, then 429 and nothing changed.
    for p in ["13900002222", "13900003333"] {
        let r = s
            .kiosk_post(
                &mut c,
                &path,
                &json!({"id_number": h.applicant, "phone": p}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
    }
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "phone": "13900004444"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "too_many_changes"),
        "{:?}",
        r.json()
    );
    assert_eq!(
        s.count_sql("SELECT count(*) FROM audit WHERE action = 'case.contact_phone'"),
        3
    );
    // A day later it may change again.
    s.advance_to(s.today() + chrono::Days::new(1));
    let r = s
        .kiosk_post(
            &mut c,
            &path,
            &json!({"id_number": h.applicant, "phone": "13900004444"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
}

/// Requests on one case queue for the writer after reading the clock, so a step may arrive
/// stamped a little before the case's last event (a kiosk sends a case's pages and signatures in
/// parallel; under load one lost a page permanently to 409 clock_went_back): within
/// `MAX_QUEUE_SKEW` it takes the case's last time; a clock minutes behind is still refused.
#[tokio::test]
async fn a_step_queued_behind_a_later_one_is_taken_a_clock_gone_back_is_not() {
    use jiuzhu_central::store::{MAX_QUEUE_SKEW, WorkflowStep};
    use jiuzhu_core::workflow::{Action, Actor, Event};
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let (case, _) = Household::new(341).submit(&s, &mut c).await;
    let last = s
        .db(|store| store.case(&case))
        .unwrap()
        .unwrap()
        .history
        .last()
        .unwrap()
        .at;
    let cal = Calendar::builtin();
    let tick = |now| WorkflowStep {
        event: Event::new(Actor::system(), Action::Tick),
        now,
        calendar: &cal,
    };
    s.db(|store| store.apply_event(&case, "system", &tick(last - chrono::TimeDelta::seconds(2))))
        .expect("two seconds behind: queued, taken");
    let e = s
        .db(|store| {
            store.apply_event(
                &case,
                "system",
                &tick(last - MAX_QUEUE_SKEW - chrono::TimeDelta::seconds(60)),
            )
        })
        .unwrap_err();
    assert!(e.to_string().contains("check the clock"), "{e}");
}
