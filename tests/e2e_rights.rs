//! The resident's rights at the kiosk (issue #18): withdrawal, 复查 (an objection to
//! not-eligible findings) and a named objection to a 公示, each from 进度查询 through Slint's
//! testing backend, the ID-card simulator read by the real driver, the simulated receipt
//! printer, and the real `jiuzhu-central` on loopback; the cases are brought to their states
//! through central's staff API. Refusals are shown in plain words: a household member who is not
//! the applicant, and a withdrawal that came too late (the case ended in the meantime). The SMS
//! number is typed on the keypad, checked, and kept by central. With central down none of these
//! is offered or queued: the screen says they need the central service.

mod common;

use std::time::Duration;

use common::pump_until;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::progress::{RightStage, Step};
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::ui::{MainWindow, ProgressAdapter};
use serde_json::json;
use slint::{ComponentHandle, Model};

fn press(w: &MainWindow, label: &str) {
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", app::progress_step()))
        .invoke_accessible_default_action();
}

fn body(w: &MainWindow) -> String {
    w.global::<ProgressAdapter>().get_body().to_string()
}

fn has_choice(w: &MainWindow, name: &str) -> bool {
    w.global::<ProgressAdapter>()
        .get_choices()
        .iter()
        .any(|c| c.name == name)
}

/// The kiosk API and a township clerk's staff API on the test central.
struct Setup {
    client: CentralClient,
    token: String,
}

impl Setup {
    fn new(central: &common::Central) -> Setup {
        let hash = jiuzhu_central::http::hash_password("clerk-pin-2026").unwrap();
        central
            .store
            .add_staff(
                &jiuzhu_central::store::Staff {
                    username: "clerk-rights".into(),
                    role: jiuzhu_core::api::StaffRole::TownshipClerk,
                    township: Some(common::TOWNSHIP.into()),
                },
                &hash,
                "test",
            )
            .unwrap();
        let url = central.url();
        let token = central.runtime.block_on(async {
            let login: serde_json::Value = reqwest::Client::new()
                .post(format!("{url}/v1/staff/login"))
                .json(&json!({"username": "clerk-rights", "password": "clerk-pin-2026"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            login["token"].as_str().expect("logged in").to_string()
        });
        Setup {
            client: CentralClient::new(
                &url,
                KioskIdentity::new("kiosk-33", common::kiosk_key(33)),
                Duration::from_secs(5),
            )
            .unwrap(),
            token,
        }
    }

    fn kiosk_post(&self, central: &common::Central, path: &str, ct: &str, body: Vec<u8>) {
        central
            .runtime
            .block_on(self.client.post(path, ct, body, None))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }

    /// A 低保 application of `applicant` with `member`: both sign; the ID cards, household
    /// register and income proof uploaded. Returns (case id, case number).
    fn submit(&self, central: &common::Central, applicant: &str, member: &str) -> (String, String) {
        let body = json!({
            "township": common::TOWNSHIP,
            "assistance_type": "dibao",
            "village": "石佛村",
            "applicant": {"id_number": applicant, "name": "张秀英"},
            "members": [{"person": {"id_number": member, "name": "李建国"}, "relation": "spouse"}],
        });
        let answer = central
            .runtime
            .block_on(self.client.post(
                "/v1/kiosk/applications",
                "application/json",
                body.to_string().into_bytes(),
                Some(&format!("rights-{applicant}")),
            ))
            .expect("central takes the application");
        let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        let case = v["case_id"].as_str().unwrap().to_string();
        for (who, name) in [(applicant, "张秀英"), (member, "李建国")] {
            let sig = json!({"signer": {"id_number": who, "name": name}, "method": "id_card_face"});
            self.kiosk_post(
                central,
                &format!("/v1/kiosk/applications/{case}/signatures"),
                "application/json",
                sig.to_string().into_bytes(),
            );
        }
        for kind in ["id_cards", "household_register", "income_proof"] {
            let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            png.extend_from_slice(format!("{case}{kind}").as_bytes());
            self.kiosk_post(
                central,
                &format!("/v1/kiosk/applications/{case}/materials?kind={kind}"),
                "image/png",
                png,
            );
        }
        (case, v["case_no"].as_str().unwrap().to_string())
    }

    /// A clerk's step on `case`; returns the state afterwards.
    fn step(&self, central: &common::Central, case: &str, action: serde_json::Value) -> String {
        let url = central.url();
        central.runtime.block_on(async {
            let r = reqwest::Client::new()
                .post(format!("{url}/v1/staff/cases/{case}/events"))
                .bearer_auth(&self.token)
                .json(&json!({ "action": action }))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(status, 200, "{action}: {v}");
            v["summary"]["state"].as_str().unwrap().to_string()
        })
    }

    /// Accepted and investigated: `eligible` or not.
    fn investigate(&self, central: &common::Central, case: &str, eligible: bool) -> String {
        self.step(central, case, json!({"type": "accept"}));
        self.step(central, case, json!({"type": "start_investigation"}));
        self.step(
            central,
            case,
            json!({"type": "record_findings", "eligible": eligible,
                   "summary": "儿子在外务工，月收入 6000 元，有赡养能力", "per_capita_income": 98000}),
        )
    }
}

fn state_of(central: &common::Central, case: &str) -> String {
    central
        .store
        .case_summary(case)
        .unwrap()
        .expect("the case")
        .state
}

/// Opens 进度查询 and puts the card of `id` on the reader; waits for the cases.
fn open_cases(w: &MainWindow, card: &jiuzhu_sim::idcard::IdCardSim, file: &str) {
    press(w, "进度查询");
    card.command(&format!("place {file}")).unwrap();
    pump_until(
        "the live answer",
        30,
        || matches!(app::progress_step(), Some(Step::Cases(a)) if !a.from_cache),
    );
    card.command("remove").unwrap();
}

fn wait_stage(what: &str, done: impl Fn(&RightStage) -> bool) {
    pump_until(
        what,
        20,
        || matches!(app::progress_step(), Some(Step::Right(v)) if done(&v.stage)),
    );
}

#[test]
fn withdrawal_recheck_and_publicity_objection_at_the_kiosk() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = common::kiosk_key(33);
    let central = common::Central::start(&[("kiosk-33", &key)]);
    let setup = Setup::new(&central);
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = (331..340).map(common::id_number).collect();
    let (a_app, a_member, b_app, b_member, c_app, c_member, resident, d_app, d_member) = (
        &ids[0], &ids[1], &ids[2], &ids[3], &ids[4], &ids[5], &ids[6], &ids[7], &ids[8],
    );
    // A: not eligible (复查); B: submitted (withdrawn at the kiosk); C: in 公示; D: withdrawn
    // elsewhere while the kiosk asks.
    let (case_a, no_a) = setup.submit(&central, a_app, a_member);
    assert_eq!(
        setup.investigate(&central, &case_a, false),
        "findings_notified"
    );
    let (case_b, no_b) = setup.submit(&central, b_app, b_member);
    let (case_c, no_c) = setup.submit(&central, c_app, c_member);
    assert_eq!(setup.investigate(&central, &case_c, true), "investigated");
    assert_eq!(
        setup.step(
            &central,
            &case_c,
            json!({"type": "propose_initial_opinion", "include": true, "amount": 62000,
                   "method": "review_meeting", "reviewers": ["分管领导", "民政办主任"]})
        ),
        "in_publicity"
    );
    let (case_d, _) = setup.submit(&central, d_app, d_member);

    let (printer, printer_driver) = common::sim_printer();
    let (card, card_reader) = common::sim_card();
    let link = common::kiosk_link(
        dir.path(),
        "kiosk-33",
        &key,
        &central.url(),
        Duration::from_secs(3),
    );
    let w = common::kiosk_window(
        &AppConfig::default(),
        Devices {
            printer: Some(printer_driver),
            id_card: Some(card_reader),
            ..Devices::default()
        },
        Some(link),
    );
    let a = w.global::<ProgressAdapter>();
    let printed = || printer.control().text().join("\n");

    // 1. 复查 asked by a household member who is not the applicant: refused in plain words.
    let member_card = common::card_file(dir.path(), a_member, "李建国");
    open_cases(&w, &card, &member_card);
    assert!(
        a.get_cases()
            .iter()
            .any(|c| c.case_no == format!("案号 {no_a}")),
        "the short number is shown"
    );
    press(&w, "对调查结果有异议，申请复查");
    press(&w, "家庭收入算多了");
    assert!(body(&w).contains("确定提交吗"), "{}", body(&w));
    press(&w, "确定提交");
    wait_stage("the member's refusal", |s| {
        matches!(s, RightStage::Refused(_))
    });
    assert!(body(&w).contains("只有申请人本人"), "{}", body(&w));
    assert_eq!(state_of(&central, &case_a), "findings_notified");
    press(&w, "回到首页");
    assert!(!app::holds_personal_data());

    // 2. The applicant asks for 复查: recorded, the receipt printed, the case re-investigated.
    let a_card = common::card_file(dir.path(), a_app, "张秀英");
    open_cases(&w, &card, &a_card);
    press(&w, "对调查结果有异议，申请复查");
    press(&w, "家庭收入算多了");
    press(&w, "确定提交");
    wait_stage("the 复查 recorded", |s| {
        matches!(s, RightStage::Done { .. })
    });
    assert!(a.get_document().contains("复查申请回执"));
    pump_until("the 复查 receipt printed", 20, || {
        printed().contains("复查申请回执")
    });
    assert!(printed().contains(&no_a), "{}", printed());
    assert_eq!(state_of(&central, &case_a), "investigating");
    pump_until("the receipt spoken", 10, || {
        app::spoken().iter().any(|s| s.contains("回执正在打印"))
    });
    // 完成: the fresh answer has no 复查 button any more.
    press(&w, "完成");
    pump_until("the fresh answer", 20, || {
        matches!(app::progress_step(), Some(Step::Cases(_)))
    });
    assert!(!has_choice(&w, "object-findings"));
    // The SMS number for the case's notices, on the keypad: checked, then kept by central.
    press(&w, "短信通知号码");
    for d in "12345".chars() {
        press(&w, &d.to_string());
    }
    press(&w, "保存号码");
    assert!(body(&w).contains("这不是手机号码"), "{}", body(&w));
    for _ in 0..5 {
        press(&w, "删除");
    }
    for d in "13900001111".chars() {
        press(&w, &d.to_string());
    }
    press(&w, "保存号码");
    pump_until("the SMS number kept", 20, || body(&w).contains("已保存"));
    assert!(body(&w).contains("139****1111"), "{}", body(&w));
    assert_eq!(a.get_document(), "", "the number leaves the screen");
    press(&w, "返回进度");
    press(&w, "回到首页");

    // 3. Withdrawal: what it means, confirmed, recorded and printed.
    let b_card = common::card_file(dir.path(), b_app, "张秀英");
    open_cases(&w, &card, &b_card);
    press(&w, "撤回这件申请");
    assert!(
        body(&w).contains("撤回后，这件申请就办结了") && body(&w).contains("可以随时重新申请"),
        "{}",
        body(&w)
    );
    // 不撤回 leaves the case as it was.
    press(&w, "不撤回，返回");
    assert!(matches!(app::progress_step(), Some(Step::Cases(_))));
    press(&w, "撤回这件申请");
    press(&w, "确定撤回");
    wait_stage("the withdrawal recorded", |s| {
        matches!(s, RightStage::Done { .. })
    });
    pump_until("the withdrawal receipt printed", 20, || {
        printed().contains("撤回申请回执")
    });
    assert!(printed().contains(&no_b));
    assert_eq!(state_of(&central, &case_b), "withdrawn");
    press(&w, "完成");
    pump_until("the fresh answer", 20, || {
        matches!(app::progress_step(), Some(Step::Cases(_)))
    });
    assert!(
        !has_choice(&w, "withdraw"),
        "a withdrawn case is not withdrawn twice"
    );
    press(&w, "回到首页");

    // 4. Too late: the case ended (withdrawn elsewhere) while the confirmation was on screen.
    let d_card = common::card_file(dir.path(), d_app, "张秀英");
    open_cases(&w, &card, &d_card);
    press(&w, "撤回这件申请");
    setup.kiosk_post(
        &central,
        &format!("/v1/kiosk/applications/{case_d}/withdrawal"),
        "application/json",
        json!({"id_number": d_app}).to_string().into_bytes(),
    );
    press(&w, "确定撤回");
    wait_stage("the late withdrawal refused", |s| {
        matches!(s, RightStage::Refused(_))
    });
    assert!(
        body(&w).contains("已经作出决定或已经办结，不能再撤回"),
        "{}",
        body(&w)
    );
    press(&w, "回到首页");

    // 5. Any resident objects, by name, to the 公示 of case C, from the township's list.
    press(&w, "进度查询");
    press(&w, "对公示提出异议");
    assert!(body(&w).contains("实名"), "{}", body(&w));
    let r_card = common::card_file(dir.path(), resident, "赵大山");
    card.command(&format!("place {r_card}")).unwrap();
    pump_until("the 公示 list", 30, || {
        matches!(app::progress_step(), Some(Step::Postings(_)))
    });
    card.command("remove").unwrap();
    assert!(body(&w).contains(&no_c), "{}", body(&w));
    let posting = a.get_document().to_string();
    assert!(
        posting.contains("张**") || posting.contains("张*英"),
        "{posting}"
    );
    assert!(!posting.contains("张秀英"));
    press(&w, "对这一条提出异议");
    press(&w, "家庭有车、房等财产");
    assert!(body(&w).contains("不会告诉被反映的家庭"), "{}", body(&w));
    press(&w, "确定提交");
    wait_stage("the objection recorded", |s| {
        matches!(s, RightStage::Done { .. })
    });
    pump_until("the objection receipt printed", 20, || {
        printed().contains("公示异议回执")
    });
    assert!(printed().contains(&no_c));
    assert!(!printed().contains("赵大山"), "masked on the receipt");
    assert_eq!(state_of(&central, &case_c), "publicity_objected");
    // The list afresh: the interrupted posting is gone.
    press(&w, "完成");
    pump_until("the fresh list", 20, || {
        matches!(app::progress_step(), Some(Step::Postings(_)))
    });
    assert!(body(&w).contains("没有正在公示"), "{}", body(&w));
    press(&w, "回到首页");
    assert!(!app::holds_personal_data());

    // 6. Central down: these steps are never queued. The cached answer offers none of them and
    // says why; the 公示 list cannot be read.
    drop(central);
    press(&w, "进度查询");
    card.command(&format!("place {a_card}")).unwrap();
    pump_until(
        "the cached answer",
        30,
        || matches!(app::progress_step(), Some(Step::Cases(a)) if a.from_cache),
    );
    card.command("remove").unwrap();
    assert!(body(&w).contains("要连上服务器才能办理"), "{}", body(&w));
    for right in ["withdraw", "object-findings", "phone"] {
        assert!(!has_choice(&w, right), "{right} offered offline");
    }
    press(&w, "回到首页");
    press(&w, "进度查询");
    press(&w, "对公示提出异议");
    card.command(&format!("place {r_card}")).unwrap();
    pump_until("the offline message", 30, || {
        matches!(app::progress_step(), Some(Step::Unavailable(_)))
    });
    card.command("remove").unwrap();
    assert!(body(&w).contains("现在连不上服务器"), "{}", body(&w));
    press(&w, "回到首页");
    assert!(!app::holds_personal_data());
}
