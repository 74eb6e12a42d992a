//! 进度查询 through Slint's testing backend against the real `jiuzhu-central` on loopback: a
//! case is submitted through the kiosk API, a township clerk sends the one-time notice through
//! the staff API, and the applicant puts their ID card (the simulator on a pty, read by the real
//! driver) on the reader and sees the notice, its materials and its deadline; a typed number
//! alone is refused with the way forward (the card, or a member of staff). Then central stops:
//! the same query answers from the encrypted cache with its "最后更新" time, and a person with
//! nothing cached gets a clear message.

mod common;

use std::time::Duration;

use common::pump_until;
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use jiuzhu_central::store::Recipient;
use jiuzhu_core::api::AssistanceType;
use jiuzhu_core::calendar::Calendar;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::progress::Step;
use jiuzhu_kiosk::sync::client::{CentralClient, KioskIdentity};
use jiuzhu_kiosk::ui::{AppAdapter, MainWindow, Page, ProgressAdapter};
use slint::{ComponentHandle, Model};

fn press(w: &MainWindow, label: &str) {
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?} on {:?}", app::progress_step()))
        .invoke_accessible_default_action();
}

fn type_number(w: &MainWindow, id: &str) {
    for c in id.chars() {
        press(w, &c.to_string());
    }
    press(w, "确认号码");
}

fn body(w: &MainWindow) -> String {
    w.global::<ProgressAdapter>().get_body().to_string()
}

/// Every touch target on screen is at least 80×80 and inside the 1920×1080 window.
fn targets_fit(w: &MainWindow, screen: &str) {
    let targets = common::actionable(w);
    assert!(targets.len() >= 3, "{screen}: {} targets", targets.len());
    common::assert_targets_fit(&targets, screen);
}

/// Submits a 低保 application for `applicant` with one member through the kiosk API; returns
/// the case id.
fn submit(central: &common::Central, applicant: &str, member: &str) -> String {
    let client = CentralClient::new(
        &central.url(),
        KioskIdentity::new("kiosk-31", common::kiosk_key(31)),
        Duration::from_secs(5),
    )
    .unwrap();
    let body = serde_json::json!({
        "township": common::TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": applicant, "name": "张秀英"},
        "members": [{"person": {"id_number": member, "name": "李建国"}, "relation": "spouse"}],
    });
    let answer = central
        .runtime
        .block_on(client.post(
            "/v1/kiosk/applications",
            "application/json",
            body.to_string().into_bytes(),
            Some("ui-progress-application-1"),
        ))
        .expect("central takes the application");
    let v: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    v["case_id"].as_str().unwrap().to_string()
}

#[test]
fn progress_live_then_cached_then_nothing_cached() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = common::kiosk_key(31);
    let central = common::Central::start(&[("kiosk-31", &key)]);
    let applicant = common::id_number(311);
    let member = common::id_number(312);
    let case = submit(&central, &applicant, &member);
    // The applicant already receives 临时救助 and was certified this cycle: the screen offers
    // 补打认证证明 (issue #10).
    let today = jiuzhu_core::id::today_in_china();
    central
        .store
        .put_recipient(
            &Recipient {
                id_number: applicant.clone(),
                name: "张秀英".into(),
                township: common::TOWNSHIP.into(),
                assistance_type: AssistanceType::Temporary,
                household_size: 2,
                amount_fen: 61_000,
                since: today - chrono::Days::new(900),
                last_certified_on: Some(today - chrono::Days::new(10)),
            },
            "test",
        )
        .unwrap();
    let deadline = Calendar::builtin().add_working_days(today, 10).value;
    common::notify_missing(&central, &case, deadline, Some("户口簿复印件看不清"));

    let dir = tempfile::tempdir().unwrap();
    let (card, card_reader) = common::sim_card();
    let applicant_card = common::card_file(dir.path(), &applicant, "张秀英");
    let link = common::kiosk_link(
        dir.path(),
        "kiosk-31",
        &key,
        &central.url(),
        Duration::from_secs(3),
    );
    let w = common::kiosk_window(
        &AppConfig {
            proof: app::ProofPrinting {
                hotline: "023-72222222".into(),
                ..Default::default()
            },
            ..AppConfig::default()
        },
        Devices {
            id_card: Some(card_reader),
            ..Devices::default()
        },
        Some(link),
    );

    // Live: the notice, its materials and deadline, who must sign, hotline and 举报.
    press(&w, "进度查询");
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Progress);
    assert!(body(&w).contains("身份证号码"), "{}", body(&w));
    targets_fit(&w, "identify");
    // Knowing someone's number is not enough (issue #17): a typed number without a staff member
    // assisting is refused, and the screen says what to do.
    type_number(&w, &applicant);
    pump_until("the typed number refused", 10, || {
        body(&w).contains("只输入号码不能查询进度")
    });
    assert!(body(&w).contains("呼叫工作人员"), "{}", body(&w));
    assert!(
        matches!(app::progress_step(), Some(Step::Identify { .. })),
        "no query was sent for a typed number"
    );
    card.command(&format!("place {applicant_card}")).unwrap();
    pump_until("the live answer", 30, || {
        matches!(app::progress_step(), Some(Step::Cases(_)))
    });
    card.command("remove").unwrap();
    let a = w.global::<ProgressAdapter>();
    assert_eq!(a.get_cached(), "", "a live answer");
    let cases = a.get_cases();
    assert_eq!(cases.row_count(), 1);
    let c = cases.row_data(0).unwrap();
    assert_eq!(c.heading, "最低生活保障");
    assert_eq!(c.state, "待补齐材料");
    let deadline_zh = deadline.format("%Y年%-m月%-d日").to_string();
    assert!(
        c.notice.contains(&deadline_zh),
        "{} lacks {deadline_zh}",
        c.notice
    );
    // The rest of the case on the next pages (nothing cut off, nothing to swipe): page through it.
    let pages = a.get_page_text().to_string();
    let total: usize = pages
        .trim_end_matches(" 页")
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("page text {pages:?}"));
    assert!(total >= 2, "{pages}");
    targets_fit(&w, "cases, first page");
    let (mut missing, mut signatures, mut continued) = (Vec::new(), String::new(), false);
    for page in 1..=total {
        assert_eq!(a.get_page_text(), format!("第 {page} 页，共 {total} 页"));
        let cp = a.get_cases().row_data(0).unwrap();
        missing.extend(cp.missing.iter().map(|m| m.to_string()));
        signatures.push_str(&cp.signatures);
        continued |= page > 1 && cp.notice.ends_with("（续）");
        if page < total {
            press(&w, "下一页");
        }
    }
    assert!(missing.iter().any(|m| m == "居民户口簿"), "{missing:?}");
    assert!(
        missing.iter().any(|m| m.contains("户口簿复印件看不清")),
        "{missing:?}"
    );
    assert!(continued, "the notice's heading repeats with （续）");
    assert!(signatures.contains("还需签署授权书"), "{signatures}");
    assert!(
        !signatures.contains("秀英") && !signatures.contains("建国"),
        "names of others are masked: {signatures}"
    );
    for _ in 1..total {
        press(&w, "上一页");
    }
    // 长辈模式: bigger text, fewer lines a page; every button still above the bottom bar.
    let elder = || {
        ElementHandle::find_by_accessible_label(&w, "长辈模式")
            .next()
            .expect("the 长辈模式 toggle")
            .invoke_accessible_default_action()
    };
    let above_the_bar = |mode: &str| {
        let bar_top = ElementHandle::find_by_accessible_label(&w, "长辈模式")
            .next()
            .unwrap()
            .absolute_position()
            .y;
        let labels: Vec<String> = a
            .get_choices()
            .iter()
            .map(|c| c.label.to_string())
            .chain(["回到首页".to_string(), "下一页".to_string()])
            .collect();
        for label in &labels {
            for e in ElementHandle::find_by_accessible_label(&w, label) {
                let bottom = e.absolute_position().y + e.size().height;
                assert!(
                    bottom <= bar_top,
                    "{mode}: {label:?} reaches {bottom} below the bar at {bar_top}"
                );
            }
        }
    };
    above_the_bar("normal");
    elder();
    above_the_bar("长辈模式");
    let elder_pages = a.get_page_text().to_string();
    assert!(elder_pages.starts_with("第 1 页"), "{elder_pages}");
    assert_ne!(elder_pages, pages, "长辈模式 holds fewer lines a page");
    elder();
    assert_eq!(a.get_page_text(), pages);
    assert!(c.contact.contains("023-72222222") && c.contact.contains("023-72333333"));
    let deadlines: Vec<String> = c.deadlines.iter().map(|d| d.to_string()).collect();
    assert!(
        deadlines[0].starts_with("补齐材料期限") && deadlines[0].contains("工作日"),
        "{deadlines:?}"
    );
    let stages: Vec<i32> = c.stages.iter().map(|s| s.status).collect();
    assert_eq!(
        stages,
        vec![1, 0, 0],
        "申请 under way, 审核 and 确认 to come"
    );
    pump_until("the answer is spoken", 10, || {
        app::spoken().iter().any(|s| s.contains("待补齐材料"))
    });

    targets_fit(&w, "cases");

    // 补打认证证明 through the certification screen's path: central issues the copy; this
    // kiosk has no printer, so it says where to print it.
    pump_until("the reprint offer", 10, || {
        a.get_choices().iter().any(|c| c.name == "reprint")
    });
    press(&w, "补打认证证明");
    pump_until("the reprint outcome", 10, || {
        w.global::<AppAdapter>()
            .get_notice()
            .contains("本机没有打印机")
    });
    assert!(
        !a.get_choices().iter().any(|c| c.name == "reprint"),
        "offered once per screen"
    );

    // Central stops: the same person's query answers from the cache, with its time.
    drop(central);
    press(&w, "查询其他人");
    card.command(&format!("place {applicant_card}")).unwrap();
    pump_until("the cached answer", 30, || {
        matches!(app::progress_step(), Some(Step::Cases(_)))
    });
    card.command("remove").unwrap();
    let cached = a.get_cached().to_string();
    assert!(cached.contains("最后更新"), "{cached}");
    assert!(cached.contains(&today.format("%Y年%-m月%-d日").to_string()));
    assert_eq!(a.get_cases().row_count(), 1);

    // Someone with nothing cached: a clear message, never a hang.
    press(&w, "查询其他人");
    let other_card = common::card_file(dir.path(), &common::id_number(313), "刘桂兰");
    card.command(&format!("place {other_card}")).unwrap();
    pump_until("the offline message", 30, || {
        matches!(app::progress_step(), Some(Step::Unavailable(_)))
    });
    assert!(body(&w).contains("现在连不上服务器"), "{}", body(&w));
    assert!(body(&w).contains("023-72222222"), "{}", body(&w));

    press(&w, "回到首页");
    assert_eq!(w.global::<AppAdapter>().get_page(), Page::Home);
    assert!(!app::holds_personal_data());
    assert_eq!(a.get_cases().row_count(), 0);
}
