//! 进度查询 (follow a case): the wiring between its controller
//! ([`crate::controllers::progress`]), its page adapter (`ProgressAdapter`) and the worker.

use std::time::{Duration, Instant};

use jiuzhu_core::calendar::Calendar;

use super::{CardFailure, Kiosk, NoCentral, kiosk, leave_to_home, reprint_proof};
use crate::controllers::certify::Person;
use crate::controllers::progress::{
    Answer, Effect, Event, LINES_PER_PAGE, NoAnswer, ProgressFlow, Recorded, Refusal, RightRequest,
};
use crate::sync::{StatusError, StatusView};
use crate::ui::{MainWindow, app_adapter, progress_adapter};
use jiuzhu_drivers_api::printer::{Document, ResidentNotice};
use slint::ComponentHandle;

/// The longest wait for central's answer or the cache: the screen never hangs on a network
/// that swallows packets (the client's own timeout normally answers first).
const QUERY_WAIT: Duration = Duration::from_secs(20);

/// The flow's state while its page is shown.
pub(super) struct State {
    flow: ProgressFlow,
    calendar: Calendar,
    /// The day deadlines are counted from; China's today unless pinned (screenshot references).
    today: Option<chrono::NaiveDate>,
}

impl Default for State {
    fn default() -> Self {
        State {
            flow: ProgressFlow::new(),
            calendar: Calendar::builtin(),
            today: None,
        }
    }
}

impl State {
    /// Whether anything personal is held.
    pub(super) fn holds_personal_data(&self) -> bool {
        self.flow.holds_personal_data()
    }

    /// Forgets everything personal and clears the page's models.
    pub(super) fn wipe(&mut self, ui: &MainWindow) {
        self.flow.reset();
        progress_adapter::clear(ui);
    }
}

/// Wires the page's callbacks.
pub(super) fn connect(ui: &MainWindow) {
    progress_adapter::connect(
        ui,
        |ui, seq, choice| {
            let Some(k) = kiosk() else { return };
            handle(ui, &mut k.borrow_mut(), seq, Event::Chose(choice));
        },
        leave_to_home,
    );
}

/// The entry was chosen on the home screen.
pub(super) fn open(ui: &MainWindow, k: &mut Kiosk) {
    // a typed number is taken only while a staff member assists (a live staff session)
    let staff = k.staff.assisting().is_some();
    let e = k.progress.flow.start_assisted(staff);
    carry_out(k, e);
    show(ui, k);
}

/// A person identified on the keypad while this page is shown (card reads come back through
/// [`carry_out`] with their own sequence number).
pub(super) fn identified(ui: &MainWindow, k: &mut Kiosk, person: Result<Person, CardFailure>) {
    let seq = k.progress.flow.seq();
    let event = match person {
        Ok(p) => Event::Identified(p),
        Err(f) => Event::CardFailed {
            timeout: f.timeout,
            detail: f.detail,
        },
    };
    handle(ui, k, seq, event);
}

/// Feeds one event to the flow, carries out its effects and shows the screen.
fn handle(ui: &MainWindow, k: &mut Kiosk, seq: u64, event: Event) {
    k.session.activity(Instant::now());
    match k.progress.flow.handle(seq, event) {
        Ok(effects) => {
            carry_out(k, effects);
            show(ui, k);
        }
        Err(e) => tracing::debug!("progress: ignored: {e}"),
    }
}

/// Shows the screen and speaks it (in Mandarin) when its words changed.
fn show(ui: &MainWindow, k: &mut Kiosk) {
    let today = k
        .progress
        .today
        .unwrap_or_else(jiuzhu_core::id::today_in_china);
    let lang = app_adapter::current_language(ui);
    let hotline = k.worker.proof.hotline.clone();
    let elder = ui.global::<crate::ui::Theme>().get_elder_mode();
    k.progress.flow.set_lines_per_page(if elder {
        LINES_PER_PAGE.1
    } else {
        LINES_PER_PAGE.0
    });
    progress_adapter::render(
        ui,
        &k.progress.flow,
        &k.progress.calendar,
        today,
        &hotline,
        lang,
    );
    let zh = crate::controllers::progress::screen_text(
        &k.progress.flow,
        &k.progress.calendar,
        today,
        &hotline,
        crate::controllers::text::Lang::Zh,
    )
    .speech();
    k.say_once(zh);
}

/// Re-renders the page in the current language (the language toggle).
pub(super) fn refresh(ui: &MainWindow, k: &mut Kiosk) {
    show(ui, k);
}

/// Central's refusal of a right in the flow's terms (its status and code).
fn refusal(e: &crate::services::CentralError) -> Refusal {
    use crate::services::CentralError;
    use crate::sync::client::SyncError;
    match e {
        CentralError::Sync(SyncError::Http { status, code, .. }) => {
            match (*status, code.as_str()) {
                (404, _) => Refusal::NotYours,
                (403, "outside_kiosk_scope") => Refusal::OtherTownship,
                (429, "too_many_changes") => Refusal::TooManyChanges,
                (409, "conflict") => Refusal::AlreadyObjected,
                (409, "not_in_state" | "publicity_over" | "missing_step" | "closed") => {
                    Refusal::TooLate
                }
                _ if e.is_transient() => Refusal::Offline,
                _ => Refusal::Failed(e.to_string()),
            }
        }
        _ if e.is_transient() => Refusal::Offline,
        _ => Refusal::Failed(e.to_string()),
    }
}

fn answer(
    r: Result<Result<Option<StatusView>, StatusError>, NoCentral>,
) -> Result<Answer, NoAnswer> {
    match r {
        Err(NoCentral) => Err(NoAnswer::NotConfigured),
        Ok(Ok(Some(v))) => Ok(Answer {
            cases: v.answer.cases,
            last_updated: v.last_updated,
            from_cache: v.from_cache,
        }),
        Ok(Ok(None)) => Err(NoAnswer::Offline),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "progress: no status answer");
            Err(NoAnswer::Failed(e.to_string()))
        }
    }
}

fn carry_out(k: &mut Kiosk, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::ReadIdCard { seq } => k.worker.read_card(move |ui, k, r| {
                let event = match r {
                    Ok(p) => Event::Identified(p),
                    Err(f) => Event::CardFailed {
                        timeout: f.timeout,
                        detail: f.detail,
                    },
                };
                handle(ui, k, seq, event);
            }),
            Effect::CancelCard => k.worker.cancel(),
            Effect::Query { seq, id, agent } => k.worker.central(
                move |c| async move {
                    match tokio::time::timeout(QUERY_WAIT, c.query_status(&id, agent.as_ref()))
                        .await
                    {
                        Ok(r) => r,
                        // Central accepted the connection and said nothing: the cache answers.
                        Err(_) => {
                            tracing::warn!("progress: central did not answer in time");
                            Ok(None)
                        }
                    }
                },
                move |ui, k, r| handle(ui, k, seq, Event::Answered(answer(r))),
            ),
            Effect::CheckCertification { seq, id } => k.worker.central(
                move |c| async move { c.certification_status(&id, None).await },
                move |ui, k, r| {
                    let certified = match r {
                        Ok(Ok(s)) => s.recipient && s.certified_this_cycle,
                        Ok(Err(e)) => {
                            tracing::info!(error = %e, "progress: no certification status");
                            false
                        }
                        Err(NoCentral) => false,
                    };
                    handle(ui, k, seq, Event::Certified(certified));
                },
            ),
            Effect::ReprintProof { recipient } => reprint_proof(&k.worker, recipient),
            Effect::PrintNotice {
                title,
                case_no,
                text,
            } => {
                let doc = Document::ResidentNotice(ResidentNotice {
                    title,
                    case_no,
                    text,
                    printed_at: chrono::Utc::now()
                        .with_timezone(&app_adapter::china_offset())
                        .naive_local(),
                });
                let printer = k.worker.printer.clone();
                k.worker.runtime.spawn_blocking(move || {
                    super::show_notice(super::apply::print_for_resident(&printer, &doc));
                });
            }
            Effect::Speak(zh) => {
                k.voice.say_now(zh.clone());
                k.last_spoken = zh;
            }
            Effect::QueryPublicity { seq } => k.worker.central(
                move |c| async move {
                    match tokio::time::timeout(QUERY_WAIT, c.publicity_list()).await {
                        Ok(r) => r.map(|l| l.postings),
                        Err(_) => Err(crate::services::CentralError::Sync(
                            crate::sync::client::SyncError::Timeout,
                        )),
                    }
                },
                move |ui, k, r| {
                    let r = match r {
                        Ok(Ok(p)) => Ok(p),
                        Ok(Err(e)) if e.is_transient() => Err(NoAnswer::Offline),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "progress: no 公示 list");
                            Err(NoAnswer::Failed(e.to_string()))
                        }
                        Err(NoCentral) => Err(NoAnswer::NotConfigured),
                    };
                    handle(ui, k, seq, Event::PublicityAnswered(r));
                },
            ),
            Effect::SetPhone {
                seq,
                case_id,
                id,
                agent,
                phone,
            } => k.worker.central(
                move |c| async move {
                    c.set_contact_phone(&case_id, &id, agent.as_ref(), &phone)
                        .await
                },
                move |ui, k, r| {
                    let r = match r {
                        Ok(Ok(set)) => Ok(set.phone_masked),
                        Ok(Err(e)) => {
                            tracing::info!(error = %e, "progress: SMS number not kept");
                            Err(refusal(&e))
                        }
                        Err(NoCentral) => Err(Refusal::Offline),
                    };
                    handle(ui, k, seq, Event::PhoneAnswered(r));
                },
            ),
            Effect::UseRight { seq, request } => k.worker.central(
                move |c| async move {
                    match request {
                        RightRequest::Withdraw { case_id, id, agent } => {
                            c.withdraw(&case_id, &id, agent.as_ref()).await
                        }
                        RightRequest::ObjectFindings {
                            case_id,
                            id,
                            agent,
                            statement,
                        } => {
                            // Evidence is brought to the office, or the township helps to get it.
                            c.object_to_findings(&case_id, &id, agent.as_ref(), &statement, true)
                                .await
                        }
                        RightRequest::ObjectPublicity {
                            case_no,
                            objector,
                            statement,
                        } => {
                            let Some(name) = objector.name else {
                                return Err(crate::services::CentralError::Answer(
                                    "a named objection needs the card's name".into(),
                                ));
                            };
                            let who = jiuzhu_core::api::PersonRef {
                                id_number: objector.id,
                                name,
                            };
                            c.object_to_publicity(&case_no, &who, &statement).await
                        }
                    }
                },
                move |ui, k, r| {
                    let r = match r {
                        Ok(Ok(done)) => Ok(Recorded {
                            case_no: done.case_no.unwrap_or(done.case_id),
                            receipt: done.receipt,
                        }),
                        Ok(Err(e)) => {
                            tracing::info!(error = %e, "progress: right not recorded");
                            Err(refusal(&e))
                        }
                        Err(NoCentral) => Err(Refusal::Offline),
                    };
                    handle(ui, k, seq, Event::RightAnswered(r));
                },
            ),
            Effect::ConfirmDelivery {
                seq,
                notice,
                id,
                agent,
            } => k.worker.central(
                move |c| async move { c.confirm_notice(notice, &id, agent.as_ref()).await },
                move |ui, k, r| {
                    let r = match r {
                        Ok(Ok(d)) => Ok(d.delivered_on),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "progress: delivery not recorded");
                            Err(e.to_string())
                        }
                        Err(NoCentral) => Err("no central service is configured".into()),
                    };
                    handle(ui, k, seq, Event::DeliveryAnswered(r));
                },
            ),
        }
    }
}

/// Feeds an event tagged with `seq` to the progress flow, as the worker would (tests and
/// screenshot references reach screens this way).
pub fn dispatch(seq: u64, event: Event) {
    let Some(k) = kiosk() else { return };
    super::with_ui(|ui| handle(ui, &mut k.borrow_mut(), seq, event));
}

/// Shows the progress screen again (after the text size changed: the pages follow it).
pub fn rerender() {
    let Some(k) = kiosk() else { return };
    super::with_ui(|ui| show(ui, &mut k.borrow_mut()));
}

/// The sequence number of the progress screen shown now.
pub fn seq() -> Option<u64> {
    kiosk().map(|k| k.borrow().progress.flow.seq())
}

/// The progress screen shown now.
pub fn step() -> Option<crate::controllers::progress::Step> {
    kiosk().map(|k| k.borrow().progress.flow.step().clone())
}

/// Counts deadlines from `day` instead of today (`None`: today in China again).
pub fn pin_today(day: Option<chrono::NaiveDate>) {
    if let Some(k) = kiosk() {
        k.borrow_mut().progress.today = day;
    }
}
