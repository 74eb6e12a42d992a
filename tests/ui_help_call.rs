//! "呼叫工作人员" end to end: the resident presses the button in the real Slint UI (testing
//! backend), the kiosk raises the call at the real `jiuzhu-central` on loopback, a staff member
//! of the township lists the open calls and acknowledges one over HTTP, and the kiosk — polling
//! on its clock — shows and says "工作人员已收到，正在赶来".

mod common;

use std::time::{Duration, Instant};

use common::pump_until;
use i_slint_backend_testing::ElementHandle;
use jiuzhu_central::client::Conn;
use jiuzhu_central::store::Staff;
use jiuzhu_core::api::StaffRole;
use jiuzhu_core::help_call::HelpCall;
use jiuzhu_kiosk::app::{self, AppConfig, Devices};
use jiuzhu_kiosk::controllers::certify::{Choice, Event, FailedWhy, Person, StatusAnswer, Step};
use jiuzhu_kiosk::ui::{AppAdapter, Entry, HelpCallsAdapter, HomeAdapter};
use serde_json::json;
use slint::ComponentHandle;

fn staff_token(central: &common::Central, c: &mut Conn) -> String {
    let hash = jiuzhu_central::http::hash_password("clerk-pw-2026").unwrap();
    central
        .store
        .add_staff(
            &Staff {
                username: "clerk".into(),
                role: StaffRole::TownshipClerk,
                township: Some(common::TOWNSHIP.into()),
            },
            &hash,
            "test",
        )
        .unwrap();
    let r = central
        .runtime
        .block_on(
            c.send(
                "POST",
                "/v1/staff/login",
                &[("content-type", "application/json".into())],
                json!({"username": "clerk", "password": "clerk-pw-2026"})
                    .to_string()
                    .as_bytes(),
            ),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    r.json()["token"].as_str().unwrap().to_string()
}

fn open_calls(central: &common::Central, c: &mut Conn, token: &str) -> Vec<HelpCall> {
    let r = central
        .runtime
        .block_on(c.send(
            "GET",
            &format!("/v1/staff/townships/{}/help-calls", common::TOWNSHIP),
            &[("authorization", format!("Bearer {token}"))],
            b"",
        ))
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    serde_json::from_slice(&r.body).unwrap()
}

fn notice(w: &jiuzhu_kiosk::ui::MainWindow) -> String {
    w.global::<AppAdapter>().get_notice().to_string()
}

#[test]
fn a_staff_call_round_trips_kiosk_central_staff_resident() {
    let logs = common::Logs::capture();
    i_slint_backend_testing::init_integration_test_with_system_time();
    let key = common::kiosk_key(11);
    let central = common::Central::start(&[("kiosk-11", &key)]);
    let dir = tempfile::tempdir().unwrap();
    let link = common::kiosk_link(
        dir.path(),
        "kiosk-11",
        &key,
        &central.url(),
        Duration::from_secs(5),
    );
    let w = common::kiosk_window(&AppConfig::default(), Devices::default(), Some(link));
    let mut c = Conn::new(central.addr);
    let token = staff_token(&central, &mut c);
    assert!(open_calls(&central, &mut c, &token).is_empty());

    ElementHandle::find_by_accessible_label(&w, "呼叫工作人员")
        .next()
        .expect("the staff call button")
        .invoke_accessible_default_action();
    assert_eq!(notice(&w), "正在呼叫工作人员，请稍候。");
    pump_until("central to take the call", 10, || {
        notice(&w) == "已通知工作人员，请在原地稍候。"
    });

    let calls = open_calls(&central, &mut c, &token);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].kiosk_id, "kiosk-11");
    assert_eq!(calls[0].screen, "home");
    // a second press does not raise a second call
    ElementHandle::find_by_accessible_label(&w, "呼叫工作人员")
        .next()
        .unwrap()
        .invoke_accessible_default_action();
    pump_until("the repeat press", 5, || {
        notice(&w) == "已通知工作人员，请在原地稍候。"
    });
    assert_eq!(open_calls(&central, &mut c, &token).len(), 1);

    // polls before the acknowledgement change nothing
    let t0 = Instant::now();
    app::session_tick(t0 + Duration::from_secs(4));
    pump_until("a poll", 5, || true);
    assert_eq!(notice(&w), "已通知工作人员，请在原地稍候。");

    let r = central
        .runtime
        .block_on(c.send(
            "POST",
            &format!("/v1/staff/help-calls/{}/ack", calls[0].call_id),
            &[("authorization", format!("Bearer {token}"))],
            b"",
        ))
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());

    let mut t = t0 + Duration::from_secs(8);
    pump_until("the kiosk to see the acknowledgement", 20, || {
        t += Duration::from_secs(4);
        app::session_tick(t);
        notice(&w) == "工作人员已收到，正在赶来。"
    });
    pump_until("the acknowledgement said aloud", 10, || {
        app::spoken()
            .iter()
            .any(|s| s == "工作人员已收到，正在赶来。")
    });
    assert!(open_calls(&central, &mut c, &token).is_empty());
    assert!(logs.text().contains("staff_called"));

    // Staff at the kiosk's staff entry: another kiosk's resident calls, the clerk logs in here,
    // sees the call and acknowledges it with 我去处理; that kiosk learns someone is coming.
    let other_key = common::kiosk_key(12);
    central
        .store
        .add_kiosk(
            "kiosk-12",
            common::TOWNSHIP,
            other_key.verifying_key().as_bytes(),
            "test",
        )
        .unwrap();
    let other = jiuzhu_central::client::KioskSigner {
        id: "kiosk-12".into(),
        key: other_key,
    };
    let r = central
        .runtime
        .block_on(c.signed(
            &other,
            "POST",
            "/v1/kiosk/help-calls",
            // a certification whose face was live but not confirmed (FailedWhy::NotConfirmed)
            br#"{"screen":"certify_not_confirmed"}"#,
            &[],
        ))
        .unwrap();
    assert_eq!(r.status, 201, "{:?}", r.json());
    let other_call = r.json()["call_id"].as_str().unwrap().to_string();

    w.global::<HomeAdapter>().invoke_open(Entry::Staff);
    for ch in "clerk".chars() {
        press(&w, &ch.to_string());
    }
    press(&w, "密码");
    for ch in "clerk-pw-2026".chars() {
        press(&w, &ch.to_string());
    }
    press(&w, "登录");
    pump_until("the staff menu", 20, app::staff_logged_in);
    pump_until("the open call on the staff page", 20, || {
        app::session_tick(Instant::now());
        w.global::<HelpCallsAdapter>().get_calls().row_count() == 1
    });
    use slint::Model;
    let row = w
        .global::<HelpCallsAdapter>()
        .get_calls()
        .row_data(0)
        .unwrap();
    assert_eq!(row.id, other_call.as_str());
    assert!(
        row.text.contains("kiosk-12")
            && row.text.contains("资格认证")
            && row.text.contains("请核对身份证"),
        "{}",
        row.text
    );
    press(&w, "我去处理");
    pump_until("the acknowledgement", 20, || {
        w.global::<HelpCallsAdapter>()
            .get_message()
            .contains("正在赶去")
    });
    let seen = central
        .runtime
        .block_on(c.signed(
            &other,
            "GET",
            &format!("/v1/kiosk/help-calls/{other_call}"),
            b"",
            &[],
        ))
        .unwrap();
    assert_eq!(seen.json()["acknowledged_by"], "staff:clerk");
    pump_until("the list read again", 20, || {
        app::session_tick(Instant::now());
        w.global::<HelpCallsAdapter>().get_calls().row_count() == 0
    });

    // A resident whose face was live but not confirmed (FailedWhy::NotConfirmed) calls from the
    // bottom bar: the call says so, and the staff page reads "请核对身份证". The inactivity reset
    // first ends the acknowledged call and the staff session, as it does for the next resident.
    let later = Instant::now() + Duration::from_secs(600);
    app::session_tick(later);
    app::session_tick(later + Duration::from_secs(600));
    assert_eq!(
        w.global::<AppAdapter>().get_page(),
        jiuzhu_kiosk::ui::Page::Home
    );
    w.global::<HomeAdapter>().invoke_open(Entry::Certify);
    let dispatch = |e: Event| app::dispatch(app::current_seq().unwrap(), e);
    dispatch(Event::Chose(Choice::SelfCheck));
    dispatch(Event::Identified(Person {
        id: jiuzhu_core::id::IdNumber::parse("11010519491231002X").unwrap(),
        name: None,
        address: None,
    }));
    dispatch(Event::Status(StatusAnswer {
        recipient: true,
        certified_this_cycle: false,
        last_certified_on: None,
        valid_until: None,
    }));
    dispatch(Event::Chose(Choice::Consent));
    dispatch(Event::Verdict {
        live: true,
        matched: false,
        score: Some(0.68),
    });
    assert!(
        matches!(
            app::current_step(),
            Some(Step::Failed {
                why: FailedWhy::NotConfirmed,
                ..
            })
        ),
        "{:?}",
        app::current_step()
    );
    press(&w, "呼叫工作人员");
    pump_until("central to take the second call", 10, || {
        notice(&w) == "已通知工作人员，请在原地稍候。"
    });
    let calls = open_calls(&central, &mut c, &token);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].kiosk_id.as_str(), calls[0].screen.as_str()),
        ("kiosk-11", "certify_not_confirmed")
    );
    logs.assert_free_of(&["clerk-pw-2026"]);
}

fn press(w: &jiuzhu_kiosk::ui::MainWindow, label: &str) {
    ElementHandle::find_by_accessible_label(w, label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"))
        .invoke_accessible_default_action();
}
