//! "呼叫工作人员" on both sides of the kiosk.
//!
//! The resident: the button of every page raises a call at central; the controller
//! (`crate::controllers::help_call`) decides, this module raises and polls the call on the
//! worker and shows and says the notices.
//!
//! Staff: while a staff member is logged in on the staff page, the township's open calls are
//! listed there (read every [`DESK_EVERY`]) and "我去处理" acknowledges one.

use std::time::{Duration, Instant};

use jiuzhu_core::help_call::HelpCall;
use slint::ComponentHandle;

use super::{Kiosk, MainWindow, NoCentral, kiosk, with_ui};
use crate::controllers::help_call::{Effect, Event, Notice, State, next};
use crate::controllers::text::Lang;
use crate::services::CentralError;
use crate::ui::{AppAdapter, HelpCallsAdapter, Language, Page, app_adapter, help_calls_adapter};

/// How often the staff page reads the open calls.
pub const DESK_EVERY: Duration = Duration::from_secs(10);

/// The staff calls of this kiosk.
#[derive(Debug, Default)]
pub(super) struct HelpCalls {
    /// The resident's own call.
    resident: State,
    /// When the staff page reads the open calls next (`None`: at once).
    next_read: Option<Instant>,
    /// A read or an acknowledgement is out.
    busy: bool,
}

/// The screen's name as central records it: the page, never anything the resident entered.
fn screen(ui: &MainWindow) -> &'static str {
    match ui.global::<AppAdapter>().get_page() {
        Page::Home => "home",
        Page::Certify => "certify",
        Page::Apply => "apply",
        Page::Sign => "sign",
        Page::Progress => "progress",
        Page::Staff => "staff",
    }
}

/// [`screen`], told apart on the certification page where the flow knows more: a face that was
/// live but not confirmed asks staff to check the ID card against the person.
fn screen_of(ui: &MainWindow, k: &Kiosk) -> &'static str {
    match (screen(ui), k.flow.step()) {
        (
            "certify",
            crate::controllers::certify::Step::Failed {
                why: crate::controllers::certify::FailedWhy::NotConfirmed,
                ..
            },
        ) => k.flow.help_screen(),
        (s, _) => s,
    }
}

fn lang(ui: &MainWindow) -> Lang {
    match app_adapter::current_language(ui) {
        Language::ZhCn => Lang::Zh,
        Language::En => Lang::En,
    }
}

pub(super) fn connect(ui: &MainWindow) {
    // the preview row of the .slint file is no call
    help_calls_adapter::clear(ui);
    ui.global::<AppAdapter>().on_call_staff(|| {
        let Some(k) = kiosk() else { return };
        with_ui(|ui| {
            let mut k = k.borrow_mut();
            let name = screen_of(ui, &k);
            tracing::info!(
                event = "staff_called",
                screen = name,
                "a resident asked for staff help"
            );
            let e = Event::Pressed {
                screen: name.into(),
                now: Instant::now(),
            };
            feed(ui, &mut k, e);
        });
    });
    ui.global::<HelpCallsAdapter>().on_acknowledge(|id| {
        let Some(k) = kiosk() else { return };
        with_ui(|ui| acknowledge(ui, &mut k.borrow_mut(), id.to_string()));
    });
}

/// Raises a call from `screen` unless one is already raised (a screen that says staff were
/// called). The notices appear as for a press.
pub(super) fn raise_once(ui: &MainWindow, k: &mut Kiosk, screen: &str) {
    if k.help_calls.resident == State::Idle {
        let now = Instant::now();
        feed(
            ui,
            k,
            Event::Pressed {
                screen: screen.into(),
                now,
            },
        );
    }
}

/// The clock: polls the resident's open call when due; reads the township's calls for the
/// staff page when due.
pub(super) fn tick(ui: &MainWindow, k: &mut Kiosk, now: Instant) {
    feed(ui, k, Event::Tick(now));
    let desk_open =
        ui.global::<AppAdapter>().get_page() == Page::Staff && k.staff.session_token().is_some();
    if !desk_open {
        if k.help_calls.next_read.take().is_some() {
            help_calls_adapter::clear(ui);
        }
        return;
    }
    let due = k.help_calls.next_read.is_none_or(|t| now >= t);
    if due && !k.help_calls.busy {
        k.help_calls.next_read = Some(now + DESK_EVERY);
        read_calls(k);
    }
}

/// The resident left (inactivity reset): stop telling anyone about the call.
pub(super) fn end(ui: &MainWindow, k: &mut Kiosk) {
    feed(ui, k, Event::SessionEnded);
    k.help_calls.next_read = None;
    help_calls_adapter::clear(ui);
}

fn feed(ui: &MainWindow, k: &mut Kiosk, event: Event) {
    let (state, effects) = next(&k.help_calls.resident, event);
    k.help_calls.resident = state;
    for effect in effects {
        carry_out(ui, k, effect);
    }
}

type Answer = Result<Result<HelpCall, CentralError>, NoCentral>;

fn deliver(
    event: fn(Result<HelpCall, String>, Instant) -> Event,
) -> impl FnOnce(&MainWindow, &mut Kiosk, Answer) + Send + 'static {
    move |ui, k, r| {
        let r = match r {
            Ok(Ok(call)) => Ok(call),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the staff call did not reach central");
                Err(e.to_string())
            }
            Err(NoCentral) => {
                tracing::warn!("no central service is configured: the staff call reaches nobody");
                Err("no central service is configured".into())
            }
        };
        feed(ui, k, event(r, Instant::now()));
    }
}

fn carry_out(ui: &MainWindow, k: &mut Kiosk, effect: Effect) {
    match effect {
        Effect::Raise { screen } => k.worker.central(
            move |c| async move { c.raise_help_call(&screen).await },
            deliver(Event::Raised),
        ),
        Effect::Poll { call_id } => k.worker.central(
            move |c| async move { c.help_call(&call_id).await },
            deliver(Event::Polled),
        ),
        Effect::Notify(n) => {
            ui.global::<AppAdapter>()
                .set_notice(n.text(lang(ui)).into());
            // the voice is Mandarin whatever the screen language; the news that someone is
            // coming (or cannot come) interrupts, the rest waits for the screen's words
            match n {
                Notice::Calling | Notice::Waiting => k.voice.say(n.text(Lang::Zh)),
                Notice::Coming | Notice::Unreachable => k.voice.say_now(n.text(Lang::Zh)),
            }
        }
        Effect::Clear => ui.global::<AppAdapter>().set_notice("".into()),
    }
}

/// The township whose calls the staff page lists: the staff member's own, or (district bureau)
/// this kiosk's.
fn township(k: &Kiosk) -> String {
    k.staff
        .session_township()
        .unwrap_or_else(|| k.apply.office_township())
}

fn read_calls(k: &mut Kiosk) {
    let Some(token) = k.staff.session_token() else {
        return;
    };
    k.help_calls.busy = true;
    let path = format!("/v1/staff/townships/{}/help-calls", township(k));
    k.worker.central(
        move |c| async move { c.staff::<Vec<HelpCall>>(&path, Some(&token), None).await },
        |ui, k, r| {
            k.help_calls.busy = false;
            match r {
                Ok(Ok(calls)) => {
                    help_calls_adapter::show(ui, &calls, chrono::Utc::now(), lang(ui));
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "cannot read the open staff calls");
                    let text = match lang(ui) {
                        Lang::Zh => "暂时读不到群众的呼叫，稍后自动再试。",
                        Lang::En => "Residents' calls cannot be read now; retrying shortly.",
                    };
                    help_calls_adapter::set_message(ui, text);
                }
                Err(NoCentral) => {}
            }
        },
    );
}

fn acknowledge(ui: &MainWindow, k: &mut Kiosk, id: String) {
    let Some(token) = k.staff.session_token() else {
        return;
    };
    if k.help_calls.busy || uuid::Uuid::parse_str(&id).is_err() {
        return;
    }
    k.session.activity(Instant::now());
    k.help_calls.busy = true;
    help_calls_adapter::set_message(ui, "");
    let path = format!("/v1/staff/help-calls/{id}/ack");
    k.worker.central(
        move |c| async move {
            c.staff::<HelpCall>(&path, Some(&token), Some(b"{}".to_vec()))
                .await
        },
        |ui, k, r| {
            k.help_calls.busy = false;
            let l = lang(ui);
            let text = match (r, l) {
                (Ok(Ok(call)), Lang::Zh) => {
                    format!("已告诉 {} 号机的群众：您正在赶去。", call.kiosk_id)
                }
                (Ok(Ok(call)), Lang::En) => {
                    format!(
                        "The resident at kiosk {} is told you are coming.",
                        call.kiosk_id
                    )
                }
                (Ok(Err(e)), _) if e.code() == Some("already_acknowledged") => match l {
                    Lang::Zh => "另一位工作人员已经在处理这个呼叫。".to_string(),
                    Lang::En => "Another staff member is already on it.".to_string(),
                },
                (Ok(Err(e)), _) => {
                    tracing::warn!(error = %e, "cannot acknowledge the staff call");
                    match l {
                        Lang::Zh => "没有确认成功，请再点一次。".to_string(),
                        Lang::En => "Not acknowledged; tap again.".to_string(),
                    }
                }
                (Err(NoCentral), _) => String::new(),
            };
            help_calls_adapter::set_message(ui, &text);
            // read the list again at once
            k.help_calls.next_read = Some(Instant::now());
        },
    );
}
