//! 工作人员 (the staff entry): the wiring between its controller (`controllers::staff`), its page
//! adapter (`ui::staff_adapter`) and the worker (central service, camera, outbox).

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiuzhu_core::api::{CaseDetail, CaseEventRequest, LoginAnswer, LoginRequest};
use slint::ComponentHandle;

use super::{CardFailure, Kiosk, NoCentral, go_home, kiosk, leave_to_home, lock_device, with_ui};
use crate::controllers::certify::Person;
use crate::controllers::staff::{
    Effect, Event, Failure, Field, Photo, RefusedRecord, ResidentEntry, StaffFlow, StaffIdentity,
    mask_digits,
};
use crate::services::{CentralError, CentralLink};
use crate::sync::client::SyncError;
use crate::ui::{MainWindow, StaffAdapter, app_adapter, staff_adapter};

/// How often the statistics are read again while shown.
const STATISTICS_REFRESH: Duration = Duration::from_secs(30);

/// The flow's state while its page is shown (and the staff member's login while they assist).
#[derive(Default)]
pub(super) struct State {
    flow: StaffFlow,
    refresh: Option<slint::Timer>,
    last_spoken: String,
}

impl State {
    /// Whether anything personal or secret (token, PIN, cases, a photo) is held.
    pub(super) fn holds_personal_data(&self) -> bool {
        self.flow.holds_personal_data()
    }

    /// Forgets everything (the token too) and clears the page's models.
    pub(super) fn wipe(&mut self, ui: &MainWindow) {
        self.flow.wipe();
        self.refresh = None;
        self.last_spoken.clear();
        staff_adapter::clear(ui);
    }

    /// The staff member helping a walk-in applicant, while a staff member is logged in and has
    /// chosen "帮助群众办理" (assist an applicant); `None` otherwise.
    ///
    /// The staff member opens the applicant's service from the staff page (申请救助, 签署授权,
    /// 进度查询 on the "assisting" screen); the resident flows (e.g. `apply.rs`) read this when
    /// they submit, to record the session as assisted by `username` (shown as `display_name`).
    /// It ends with the staff login: on 退出登录, on 结束协助, and on every wipe — 回到首页 at
    /// the end of the applicant's session and the inactivity reset — so a resident who comes
    /// later is never recorded as assisted.
    pub(super) fn assisting(&self) -> Option<StaffIdentity> {
        self.flow.assisting()
    }

    /// The logged-in staff member's token, for a request being sent now.
    pub(super) fn session_token(&self) -> Option<String> {
        self.flow.session().map(|s| s.token().expose().to_string())
    }

    /// The logged-in staff member's township (`None`: none logged in, or the district bureau).
    pub(super) fn session_township(&self) -> Option<String> {
        self.flow.session().and_then(|s| s.township.clone())
    }

    /// Whether a staff token is held (for tests: it must be gone after a timeout or home).
    pub(super) fn logged_in(&self) -> bool {
        self.flow.session().is_some()
    }
}

/// Whether a staff member is logged in on this kiosk (the token is in memory).
pub fn staff_logged_in() -> bool {
    kiosk().is_some_and(|k| k.borrow().staff.logged_in())
}

/// The staff member recorded on assisted sessions now, if any.
pub fn staff_assisting() -> Option<StaffIdentity> {
    kiosk().and_then(|k| k.borrow().staff.assisting())
}

/// The sequence number of the staff screen shown now (what a press on it carries).
pub fn staff_seq() -> Option<u64> {
    kiosk().map(|k| k.borrow().staff.flow.seq())
}

/// The staff screen shown now.
pub fn staff_screen() -> Option<crate::controllers::staff::Screen> {
    kiosk().map(|k| k.borrow().staff.flow.screen().clone())
}

/// Feeds an event tagged with `seq` to the staff flow, as the worker's answers arrive (tests
/// and screenshots use it to show screens without a central service).
pub fn staff_dispatch(seq: u64, event: Event) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| dispatch(ui, &mut k.borrow_mut(), seq, event));
}

/// Wires the page's callbacks.
pub(super) fn connect(ui: &MainWindow) {
    let a = ui.global::<StaffAdapter>();
    a.on_home(leave_to_home);
    a.on_key(|seq, key| {
        let event = match key.as_str() {
            "⌫" => Event::Backspace,
            k => match k.chars().next() {
                Some(c) if k.chars().count() == 1 => Event::Key(c),
                _ => return,
            },
        };
        feed(seq, event);
    });
    a.on_focus(|seq, pin| {
        feed(
            seq,
            Event::Focus(if pin { Field::Pin } else { Field::Username }),
        )
    });
    a.on_action(|seq, id| feed(seq, Event::Action(id.to_string())));
    a.on_pick(|seq, id| feed(seq, Event::Pick(id.to_string())));
}

/// Feeds a press carrying `seq` (the adapter's number, i32) to the flow.
fn feed(seq: i32, event: Event) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| {
        let mut k = k.borrow_mut();
        let seq = u64::try_from(seq).unwrap_or(u64::MAX);
        // The adapter shows the sequence modulo i32::MAX; it never gets there in practice.
        dispatch(ui, &mut k, seq, event);
    });
}

/// Feeds `event` tagged with `seq` to the flow, carries out its effects and shows the result.
fn dispatch(ui: &MainWindow, k: &mut Kiosk, seq: u64, event: Event) {
    k.session.activity(Instant::now());
    let today = jiuzhu_core::id::today_in_china();
    match k.staff.flow.handle(seq, event, today) {
        Ok(effects) => {
            let home = effects.contains(&Effect::GoHome);
            for e in effects {
                carry_out(ui, k, e);
            }
            if home {
                go_home(ui, k);
            } else {
                show(ui, k);
            }
        }
        Err(e) => tracing::debug!("staff: ignored: {e}"),
    }
}

fn show(ui: &MainWindow, k: &mut Kiosk) {
    let lang = app_adapter::current_language(ui);
    let speech = staff_adapter::render(ui, &k.staff.flow, lang);
    if speech != k.staff.last_spoken {
        k.voice.say_now(speech.clone());
        k.staff.last_spoken = speech;
    }
    let stats = matches!(
        k.staff.flow.screen(),
        crate::controllers::staff::Screen::Statistics
    );
    if stats && k.staff.refresh.is_none() {
        let t = slint::Timer::default();
        t.start(slint::TimerMode::Repeated, STATISTICS_REFRESH, || {
            let Some(k) = kiosk() else { return };
            with_ui(|ui| {
                let mut k = k.borrow_mut();
                let seq = k.staff.flow.seq();
                // A refresh is not the staff member's activity: it must not hold off the timeout.
                let today = jiuzhu_core::id::today_in_china();
                if let Ok(effects) = k.staff.flow.handle(seq, Event::Refresh, today) {
                    for e in effects {
                        carry_out(ui, &mut k, e);
                    }
                }
            });
        });
        k.staff.refresh = Some(t);
    } else if !stats {
        k.staff.refresh = None;
    }
}

/// Delivers a worker's answer for the flow's step `seq`.
fn answer(seq: u64) -> impl FnOnce(&MainWindow, &mut Kiosk, Event) + Send + 'static {
    move |ui, k, event| dispatch(ui, k, seq, event)
}

/// The failure of a staff request in the flow's terms; `login` tells a 401 at login (wrong
/// account or PIN) from a 401 later (the session ended).
pub(super) fn failure(e: &CentralError, login: bool) -> Failure {
    match e {
        CentralError::Sync(SyncError::Connect(_) | SyncError::Timeout) => Failure::Unreachable,
        CentralError::Sync(SyncError::Http {
            status,
            code,
            reason,
        }) => match (*status, login) {
            (401, true) => Failure::WrongCredentials,
            (423 | 429, true) => Failure::Locked,
            (401, false) => Failure::SessionExpired,
            (403, _) => Failure::Forbidden(reason.clone()),
            (409 | 422, _) => Failure::Conflict(reason.clone()),
            (404, _) => Failure::NotFound,
            (s, _) if s >= 500 => Failure::Unreachable,
            _ => Failure::Other(format!("{status} {code}: {reason}")),
        },
        CentralError::Sync(other) => Failure::Other(other.to_string()),
        other => Failure::Other(other.to_string()),
    }
}

/// Ends the staff member's session at central as well (`POST /v1/staff/logout`: the token stops
/// working there too) before the kiosk forgets it, on 退出登录, on the timeout and on 回到首页.
/// Best effort: when central is out of reach the token expires there on its own.
pub(super) fn end_central_session(k: &Kiosk) {
    let Some(token) = k
        .staff
        .flow
        .session()
        .map(|s| s.token().expose().to_string())
    else {
        return;
    };
    k.worker.central(
        move |c: Arc<CentralLink>| async move {
            if let Err(e) = c
                .staff::<serde_json::Value>("/v1/staff/logout", Some(&token), Some(Vec::new()))
                .await
            {
                tracing::info!(error = %e, "staff logout at central failed; the token expires there on its own");
            }
        },
        |_, _, _| {},
    );
}

fn no_central<T>(r: Result<Result<T, Failure>, NoCentral>) -> Result<T, Failure> {
    r.unwrap_or(Err(Failure::Unreachable))
}

fn carry_out(ui: &MainWindow, k: &mut Kiosk, effect: Effect) {
    let seq = k.staff.flow.seq();
    let deliver = answer(seq);
    match effect {
        Effect::Login { username, password } => {
            let body = serde_json::to_vec(&LoginRequest { username, password }).unwrap_or_default();
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.staff::<LoginAnswer>("/v1/staff/login", None, Some(body))
                        .await
                        .map_err(|e| failure(&e, true))
                },
                move |ui, k, r| deliver(ui, k, Event::LoggedIn(no_central(r))),
            );
        }
        Effect::StaffTimeouts => k.session.staff_logged_in(Instant::now()),
        Effect::LoadQueue { token, township } => {
            let token = token.expose().to_string();
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.staff(
                        &format!("/v1/staff/townships/{township}/queue"),
                        Some(&token),
                        None,
                    )
                    .await
                    .map_err(|e| failure(&e, false))
                },
                move |ui, k, r| deliver(ui, k, Event::Queue(no_central(r))),
            );
        }
        Effect::LoadStatistics { token, township } => {
            let token = token.expose().to_string();
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.staff(
                        &format!("/v1/staff/townships/{township}/statistics"),
                        Some(&token),
                        None,
                    )
                    .await
                    .map_err(|e| failure(&e, false))
                },
                move |ui, k, r| deliver(ui, k, Event::Statistics(no_central(r))),
            );
        }
        Effect::LoadCase { token, case_id } => {
            let token = token.expose().to_string();
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.staff::<CaseDetail>(&format!("/v1/staff/cases/{case_id}"), Some(&token), None)
                        .await
                        .map_err(|e| failure(&e, false))
                },
                move |ui, k, r| deliver(ui, k, Event::Case(no_central(r).map(Box::new))),
            );
        }
        Effect::Step {
            token,
            case_id,
            action,
        } => {
            let token = token.expose().to_string();
            let body = serde_json::to_vec(&CaseEventRequest { action }).unwrap_or_default();
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.staff::<CaseDetail>(
                        &format!("/v1/staff/cases/{case_id}/events"),
                        Some(&token),
                        Some(body),
                    )
                    .await
                    .map_err(|e| failure(&e, false))
                },
                move |ui, k, r| deliver(ui, k, Event::Case(no_central(r).map(Box::new))),
            );
        }
        Effect::LoadRefused => {
            k.worker.central(
                |c: Arc<CentralLink>| async move { refused(&c) },
                move |ui, k, r| deliver(ui, k, Event::Refused(no_central(r))),
            );
        }
        Effect::RetryRefused { id } => {
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    let id =
                        uuid::Uuid::parse_str(&id).map_err(|e| Failure::Other(e.to_string()))?;
                    c.retry_refused(id)
                        .map_err(|e| Failure::Other(e.to_string()))?;
                    refused(&c)
                },
                move |ui, k, r| deliver(ui, k, Event::Refused(no_central(r))),
            );
        }
        Effect::TakePhoto => {
            let camera = k.worker.camera.clone();
            k.worker.blocking(
                move |_cancel| take_photo(&camera),
                move |ui, k, r| deliver(ui, k, Event::Photo(r)),
            );
        }
        Effect::UploadPhoto { case_id, jpeg } => {
            k.worker.central(
                move |c: Arc<CentralLink>| async move {
                    c.upload_evidence(&case_id, jpeg)
                        .await
                        .map_err(|e| failure(&e, false))
                },
                move |ui, k, r| deliver(ui, k, Event::Uploaded(no_central(r))),
            );
        }
        Effect::OpenEntry(entry) => {
            let entry = match entry {
                ResidentEntry::Apply => crate::ui::Entry::Apply,
                ResidentEntry::Sign => crate::ui::Entry::Sign,
                ResidentEntry::Progress => crate::ui::Entry::Progress,
            };
            // After this press is done with the kiosk: opening an entry borrows it again.
            let _ =
                slint::invoke_from_event_loop(move || with_ui(|ui| super::open_entry(ui, entry)));
        }
        Effect::GoHome => {
            // Carried out by `dispatch` after the other effects.
            let _ = ui;
        }
    }
}

fn refused(c: &CentralLink) -> Result<Vec<RefusedRecord>, Failure> {
    let list = c
        .refused_records()
        .map_err(|e| Failure::Other(e.to_string()))?;
    Ok(list
        .into_iter()
        .map(|f| RefusedRecord {
            id: f.id.to_string(),
            kind: f.kind.as_str().to_string(),
            when: chrono::DateTime::from_timestamp_millis(f.created_at)
                .map(|t| {
                    t.with_timezone(&app_adapter::china_offset())
                        .format("%Y-%m-%d %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            reason: mask_digits(&f.error),
        })
        .collect())
}

/// One frame of the kiosk camera as a JPEG (quality 85).
fn take_photo(camera: &super::Shared<crate::services::FaceCamera>) -> Result<Photo, Failure> {
    let mut d = lock_device(camera);
    let Some(cam) = d.as_mut() else {
        return Err(Failure::Other(
            "no camera is configured on this kiosk / 本终端没有配置摄像头".into(),
        ));
    };
    let models = jiuzhu_vision::ModelPaths::locate();
    let frame = cam
        .with_session(&models, |src| src.next_frame().map_err(|e| e.to_string()))
        .and_then(|r| r)
        .map_err(Failure::Other)?
        .ok_or_else(|| Failure::Other("the camera gave no frame".into()))?;
    encode_jpeg(&frame).map_err(Failure::Other)
}

/// Encodes a camera frame (BGR or grey) as JPEG.
pub(super) fn encode_jpeg(frame: &jiuzhu_drivers_api::camera::Frame) -> Result<Photo, String> {
    use jiuzhu_drivers_api::camera::PixelFormat;
    let (w, h) = (frame.width, frame.height);
    let n = (w as usize) * (h as usize);
    let rgb: Vec<u8> = match frame.format {
        PixelFormat::Bgr8 => frame
            .data
            .get(..n * 3)
            .ok_or("short frame")?
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect(),
        PixelFormat::Gray8 => frame
            .data
            .get(..n)
            .ok_or("short frame")?
            .iter()
            .flat_map(|g| [*g, *g, *g])
            .collect(),
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| e.to_string())?;
    Ok(Photo {
        jpeg,
        width: w,
        height: h,
    })
}

/// The entry was chosen on the home screen: the login, or the menu when still logged in (a
/// staff member coming back from assisting).
pub(super) fn open(ui: &MainWindow, k: &mut Kiosk) {
    if k.staff.flow.session().is_some() {
        k.session.staff_logged_in(Instant::now());
    }
    k.staff.last_spoken.clear();
    show(ui, k);
}

/// The language changed: the page again in the new language (the voice stays Mandarin).
pub(super) fn relabel(ui: &MainWindow, k: &mut Kiosk) {
    if ui.global::<crate::ui::AppAdapter>().get_page() == crate::ui::Page::Staff {
        show(ui, k);
    }
}

/// A person identified (card or keypad) while this page is shown.
pub(super) fn identified(_ui: &MainWindow, _k: &mut Kiosk, person: Result<Person, CardFailure>) {
    tracing::debug!(
        ok = person.is_ok(),
        "identification with no step waiting for it"
    );
}
