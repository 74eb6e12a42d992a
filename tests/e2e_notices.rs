//! The household's notices end to end (issue #18): the real `jiuzhu-central` on loopback with
//! its SMS gateway simulator, and the kiosk's 进度查询 through Slint's testing backend with the
//! simulated receipt printer. A clerk sends the one-time notice through the staff API; it goes
//! out by SMS; the applicant withdraws through the kiosk route; at the kiosk the applicant reads
//! the withdrawal confirmation (shown and spoken), prints it and confirms receipt, and central
//! records the delivery at the kiosk on today's date; the one-time notice shows its deadline (core's
//! working-day calendar) and its SMS delivery.

mod common;

use std::time::Duration;

use common::pump_until;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::progress::Step;
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::ui::{MainWindow, ProgressAdapter};
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

/// Every touch target on screen is at least 80×80, labelled, inside the 1920×1080 window.
fn targets_fit(w: &MainWindow, screen: &str) {
    common::assert_targets_fit(&common::actionable(w), screen);
}

/// The household's notices at the kiosk (issue #18): a one-time notice already delivered by
/// SMS through the gateway simulator, and the withdrawal confirmation, which the applicant reads
/// on the screen (and hears), prints on the simulated printer and confirms: central records the
/// delivery at the kiosk on today's date. Dates are core's working-day calendar's.
#[test]
fn notices_are_sent_by_sms_read_printed_and_confirmed_at_the_kiosk() {
    use jiuzhu_central::sms::simulator::SmsSimulator;
    use jiuzhu_central::sms::{HttpSmsGateway, SmsConfig, deliver_pending};
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = common::kiosk_key(32);
    let central = common::Central::start(&[("kiosk-32", &key)]);
    let applicant = common::id_number(321);
    let member = common::id_number(322);
    let client = CentralClient::new(
        &central.url(),
        KioskIdentity::new("kiosk-32", common::kiosk_key(32)),
        Duration::from_secs(5),
    )
    .unwrap();
    let application = serde_json::json!({
        "township": common::TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": applicant, "name": "张秀英"},
        "members": [{"person": {"id_number": member, "name": "李建国"}, "relation": "spouse"}],
        "contact_phone": "13912345678",
    });
    let answer = central
        .runtime
        .block_on(client.post(
            "/v1/kiosk/applications",
            "application/json",
            application.to_string().into_bytes(),
            Some("ui-progress-notices-0001"),
        ))
        .expect("central takes the application");
    let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    let case = v["case_id"].as_str().unwrap().to_string();
    let case_no = v["case_no"].as_str().unwrap().to_string();
    assert_eq!(
        case_no,
        "江东-2026-00001".replace(
            "2026",
            &jiuzhu_core::id::today_in_china().format("%Y").to_string()
        )
    );
    let today = jiuzhu_core::id::today_in_china();
    let deadline = Calendar::builtin().add_working_days(today, 10).value;
    let deadline_zh = deadline.format("%Y年%-m月%-d日").to_string();
    common::notify_missing(&central, &case, deadline, None);

    // The SMS round through the gateway simulator: the one-time notice, no name in it.
    let state = jiuzhu_central::AppState::new(
        central.store.clone(),
        ed25519_dalek::SigningKey::from_bytes(&[42; 32]),
    );
    let sms = central.runtime.block_on(async {
        let sim = SmsSimulator::start("sms-token-ui").await.unwrap();
        let gw =
            HttpSmsGateway::new(SmsConfig::new(&sim.endpoint(), "sms-token-ui".into()).unwrap())
                .unwrap();
        let round = deliver_pending(&state, &gw).await.unwrap();
        assert_eq!((round.sent, round.failed), (1, 0));
        sim
    });
    let messages = sms.messages();
    assert_eq!(messages[0].to, "13912345678");
    assert!(messages[0].text.contains(&case_no) && messages[0].text.contains(&deadline_zh));
    assert!(!messages[0].text.contains("秀英") && !messages[0].text.contains(&applicant));

    // The applicant withdraws (the kiosk route): the 撤回申请确认书, not delivered yet.
    let r = central
        .runtime
        .block_on(
            client.post(
                &format!("/v1/kiosk/applications/{case}/withdrawal"),
                "application/json",
                serde_json::json!({"id_number": applicant})
                    .to_string()
                    .into_bytes(),
                None,
            ),
        )
        .expect("withdrawn");
    let r: serde_json::Value = serde_json::from_slice(&r).unwrap();
    assert_eq!(r["state"], "withdrawn");

    let (printer, printer_driver) = common::sim_printer();
    let (card, card_reader) = common::sim_card();
    let dir = tempfile::tempdir().unwrap();
    let applicant_card = common::card_file(dir.path(), &applicant, "张秀英");
    let link = common::kiosk_link(
        dir.path(),
        "kiosk-32",
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
    press(&w, "进度查询");
    // The applicant's own card (a typed number alone is refused, issue #17).
    card.command(&format!("place {applicant_card}")).unwrap();
    pump_until("the live answer", 30, || {
        matches!(app::progress_step(), Some(Step::Cases(_)))
    });
    card.command("remove").unwrap();
    let a = w.global::<ProgressAdapter>();
    pump_until("the notices button", 10, || {
        a.get_choices().iter().any(|c| c.name == "notices")
    });
    press(&w, "查看告知书");
    // The undelivered withdrawal confirmation first, read aloud.
    assert_eq!(a.get_title(), "撤回申请确认书（1/2）");
    let doc = a.get_document().to_string();
    assert!(
        doc.contains(&format!("案号：{case_no}")) && doc.contains("按您的要求撤回"),
        "{doc}"
    );
    assert!(doc.contains("举报电话：023-72333333"), "{doc}");
    pump_until("the notice is spoken", 10, || {
        app::spoken().iter().any(|s| s.contains("按您的要求撤回"))
    });
    targets_fit(&w, "notice");
    // Printed in full on the simulated printer.
    press(&w, "打印这份告知书");
    pump_until("the notice printed", 20, || {
        printer
            .control()
            .text()
            .join("\n")
            .contains("按您的要求撤回")
    });
    let printed = printer.control().text().join("\n");
    assert!(
        printed.contains("撤回申请确认书") && printed.contains(&case_no),
        "{printed}"
    );
    // The printed page, as the README's walk-through shows it (`UPDATE_DOCS=1` writes it to
    // docs/walkthrough/; the dates are today's).
    let page = printer
        .control()
        .pages()
        .into_iter()
        .last()
        .expect("a printed page");
    let out = if std::env::var_os("UPDATE_DOCS").is_some() {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/walkthrough")
    } else {
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("walkthrough")
    };
    std::fs::create_dir_all(&out).unwrap();
    jiuzhu_sim::printer::save_png(&page, &out.join("notice-printed.png")).unwrap();
    // Confirmed: central records the delivery at this kiosk today.
    press(&w, "我已阅读，确认收到");
    pump_until("the delivery recorded", 15, || {
        body(&w).contains("已登记送达")
    });
    assert!(
        body(&w).contains(&today.format("%Y年%-m月%-d日").to_string()),
        "{}",
        body(&w)
    );
    let notices = central.store.household_notices(&case).unwrap();
    let withdrawal = notices
        .iter()
        .find(|n| n.title == "撤回申请确认书")
        .unwrap();
    assert_eq!(withdrawal.delivered_on, Some(today));
    assert_eq!(
        withdrawal.delivered_how,
        Some(jiuzhu_core::api::DeliveryMethod::Kiosk)
    );
    // The one-time notice: its deadline, and delivered by SMS already (nothing to confirm).
    press(&w, "下一份");
    let doc = a.get_document().to_string();
    assert!(
        doc.contains(&format!("请在{deadline_zh}（含当日）前补齐")),
        "{doc}"
    );
    assert!(body(&w).contains("短信"), "{}", body(&w));
    assert!(!a.get_choices().iter().any(|c| c.name == "confirm-received"));
    press(&w, "回到首页");
    assert!(!app::holds_personal_data());
    assert_eq!(a.get_document(), "");
}
