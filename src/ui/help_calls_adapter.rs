//! `HelpCallsAdapter`: the open staff calls of the township on the staff page — which kiosk,
//! which screen, how long the resident has waited — and the "我去处理" acknowledgement.

use chrono::{DateTime, Utc};
use jiuzhu_core::help_call::HelpCall;
use slint::{ComponentHandle, ModelRc, VecModel};

use super::{HelpCallRow, HelpCallsAdapter, MainWindow};
use crate::controllers::text::Lang;

/// The screen a call came from, in words staff know.
pub fn screen_label(screen: &str, lang: Lang) -> &'static str {
    let (zh, en) = match screen {
        // the face was live but did not confirm the person: staff come to check the ID card
        "certify_not_confirmed" => (
            "资格认证 · 刷脸未能确认本人，请核对身份证",
            "certification · face not confirmed, check the ID card",
        ),
        _ => page_label(screen),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The page of a screen name (its first word), in words staff know.
fn page_label(screen: &str) -> (&'static str, &'static str) {
    match screen.split('_').next().unwrap_or("") {
        "home" => ("首页", "home screen"),
        "certify" => ("资格认证", "certification"),
        "apply" => ("申请救助", "application"),
        "sign" => ("签署授权", "authorisation signing"),
        "progress" => ("进度查询", "case progress"),
        "staff" => ("工作人员页", "staff page"),
        _ => ("其他页面", "another screen"),
    }
}

/// One line: kiosk · screen · waiting time.
pub fn row_text(call: &HelpCall, now: DateTime<Utc>, lang: Lang) -> String {
    let minutes = call.waiting_secs(now) / 60;
    let screen = screen_label(&call.screen, lang);
    match lang {
        Lang::Zh if minutes == 0 => format!("{} 号机 · {screen} · 刚刚呼叫", call.kiosk_id),
        Lang::Zh => format!("{} 号机 · {screen} · 已等 {minutes} 分钟", call.kiosk_id),
        Lang::En if minutes == 0 => format!("Kiosk {} · {screen} · just now", call.kiosk_id),
        Lang::En => format!("Kiosk {} · {screen} · waiting {minutes} min", call.kiosk_id),
    }
}

/// Shows `calls` (oldest first, as central lists them).
pub fn show(ui: &MainWindow, calls: &[HelpCall], now: DateTime<Utc>, lang: Lang) {
    let rows: Vec<HelpCallRow> = calls
        .iter()
        .map(|c| HelpCallRow {
            id: c.call_id.as_str().into(),
            text: row_text(c, now, lang).into(),
        })
        .collect();
    ui.global::<HelpCallsAdapter>()
        .set_calls(ModelRc::new(VecModel::from(rows)));
}

/// The line under the list ("" for none).
pub fn set_message(ui: &MainWindow, text: &str) {
    ui.global::<HelpCallsAdapter>().set_message(text.into());
}

/// Empties the panel.
pub fn clear(ui: &MainWindow) {
    let a = ui.global::<HelpCallsAdapter>();
    a.set_calls(ModelRc::default());
    a.set_message("".into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn rows_say_where_and_how_long() {
        let t0 = Utc::now();
        let call = HelpCall {
            call_id: "c1".into(),
            kiosk_id: "500102001-7f3a".into(),
            township: "500102001".into(),
            screen: "certify_route_to_staff".into(),
            raised_at: t0,
            acknowledged_at: None,
            acknowledged_by: None,
        };
        assert_eq!(
            row_text(&call, t0 + Duration::seconds(20), Lang::Zh),
            "500102001-7f3a 号机 · 资格认证 · 刚刚呼叫"
        );
        assert_eq!(
            row_text(&call, t0 + Duration::seconds(200), Lang::Zh),
            "500102001-7f3a 号机 · 资格认证 · 已等 3 分钟"
        );
        assert_eq!(
            row_text(&call, t0 + Duration::seconds(200), Lang::En),
            "Kiosk 500102001-7f3a · certification · waiting 3 min"
        );
        assert_eq!(screen_label("nonsense", Lang::Zh), "其他页面");
        // a face that was live but not confirmed: staff are told to check the ID card
        let not_confirmed = HelpCall {
            screen: "certify_not_confirmed".into(),
            ..call
        };
        assert!(jiuzhu_core::help_call::valid_screen(&not_confirmed.screen));
        assert_eq!(
            row_text(&not_confirmed, t0, Lang::Zh),
            "500102001-7f3a 号机 · 资格认证 · 刷脸未能确认本人，请核对身份证 · 刚刚呼叫"
        );
        assert!(
            row_text(&not_confirmed, t0, Lang::En).contains("check the ID card"),
            "{}",
            row_text(&not_confirmed, t0, Lang::En)
        );
    }
}
