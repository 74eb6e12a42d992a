//! 申请救助 (apply for assistance): the wiring between its controller
//! (`controllers::apply::ApplyFlow`), its page adapter (`ApplyAdapter`) and the worker: card
//! reads, the document camera, the signer's identity check, the handwritten signature, the
//! submission through the outbox and the printed receipt.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use jiuzhu_core::api::{self, Modality, PersonRef, SignerIdentification};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::household::{Asset, AssistanceType, Income};
use jiuzhu_core::workflow::{ACCEPTANCE_WORKING_DAYS, TOTAL_LIMIT};
use jiuzhu_drivers_api::fingerprint::{CaptureKind, CaptureRequest, FingerprintError};
use jiuzhu_drivers_api::printer::{ApplicationReceipt, Document, NextStep};
use slint::ComponentHandle;

use super::{
    CardFailure, Emit, Event as CertifyEvent, Kiosk, NoCentral, Route, SUBMIT_WAIT, face_check,
    face_pace, fingerprint_check, kiosk, lock_device, show_notice, with_ui,
};
use crate::controllers::apply::{
    self as flow, ApplyFlow, Draft, Effect, Event, Page, Receipt, SignProof, Step, money,
};
use crate::controllers::certify::Person;
use crate::controllers::identify::Key;
use crate::services::{AppSubmitted, ApplicationBundle, CentralError, CentralLink};
use crate::signature::Strokes;
use crate::sync::client::SyncError;
use crate::ui::{ApplyAdapter, MainWindow, app_adapter, apply_adapter};

/// The assistance types the kiosk API carries: the ones a kiosk can open.
pub const BASIC_TYPES: [AssistanceType; 4] = [
    AssistanceType::Dibao,
    AssistanceType::Tekun,
    AssistanceType::Temporary,
    AssistanceType::LowIncomeEdge,
];

/// The flow's state while its page is shown.
pub(super) struct State {
    flow: ApplyFlow,
    /// The page's signature pad (签署授权 is shown on the same page and uses it too).
    pub(super) strokes: Strokes,
    office: Office,
}

impl State {
    /// The township this kiosk stands in.
    pub(super) fn office_township(&self) -> String {
        self.office.township.clone()
    }
}

/// The township office this kiosk submits to, as printed on receipts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Office {
    /// Township code (applications go to it).
    pub township: String,
    /// Township name.
    pub township_name: String,
    /// Township hotline.
    pub hotline: String,
    /// 举报 number.
    pub report_phone: String,
    /// The assistance types open at this kiosk (the others say 即将开放).
    pub open_types: Vec<AssistanceType>,
}

impl State {
    /// A state for `office`.
    pub(super) fn new(office: Office) -> Self {
        let mut flow = ApplyFlow::new(office.open_types.clone(), jiuzhu_core::id::today_in_china());
        if !office.township.is_empty() {
            // Until central answers: this kiosk's own township, always one it serves.
            flow.set_townships(vec![(
                office.township.clone(),
                office.township_name.clone(),
            )]);
        }
        Self {
            flow,
            strokes: Strokes::default(),
            office,
        }
    }

    /// Whether anything personal is held.
    pub(super) fn holds_personal_data(&self) -> bool {
        self.flow.holds_personal_data() || !self.strokes.is_empty()
    }

    /// The screen's sequence number.
    pub(super) fn seq(&self) -> u64 {
        self.flow.seq()
    }

    /// The step shown.
    pub(super) fn step(&self) -> &Step {
        self.flow.step()
    }

    /// The choices of the step shown.
    pub(super) fn choices(&self) -> Vec<flow::Choice> {
        self.flow.choices()
    }

    /// Forgets everything personal and clears the page's models.
    pub(super) fn wipe(&mut self, ui: &MainWindow) {
        self.flow.wipe();
        self.strokes.clear();
        apply_adapter::clear(ui);
    }
}

/// Wires the page's callbacks.
pub(super) fn connect(ui: &MainWindow) {
    let a = ui.global::<ApplyAdapter>();
    a.on_home(super::leave_to_home);
    // 这是什么？: the explanation shown in the banner and said.
    a.on_explain(|| {
        with_kiosk(|ui, k| {
            if signing_later(ui) {
                return;
            }
            let shown = flow::explanation(
                &k.apply.flow,
                crate::ui::certify_adapter::lang(app_adapter::current_language(ui)),
            );
            let zh = flow::explanation(&k.apply.flow, crate::controllers::text::Lang::Zh);
            if let (Some(shown), Some(zh)) = (shown, zh) {
                ui.global::<crate::ui::AppAdapter>()
                    .set_notice(shown.into());
                k.voice.say_now(zh);
            }
        })
    });
    // 看全文并朗读: the full 核对授权书 read aloud (the voice is Mandarin).
    a.on_read_details(|| {
        with_kiosk(|ui, k| {
            let zh = if signing_later(ui) {
                crate::controllers::sign::authorization_details(
                    k.sign.flow(),
                    crate::controllers::text::Lang::Zh,
                )
            } else {
                flow::authorization_details(&k.apply.flow, crate::controllers::text::Lang::Zh)
            };
            if let Some(zh) = zh {
                k.voice.say_now(zh);
            }
        })
    });
    a.on_choose(|seq, id| {
        with_kiosk(|ui, k| {
            if signing_later(ui) {
                return super::sign::choose(ui, k, seq as u64, id);
            }
            let Some(choice) = apply_adapter::choice_of(&k.apply.flow, id) else {
                return;
            };
            // 签好了: the pad becomes the signature PNG.
            if matches!(k.apply.flow.step(), Step::Handwriting(..)) && choice == flow::Choice::Next
            {
                let png = pad_png(k);
                handle(ui, k, seq as u64, Event::Handwritten(png));
                return;
            }
            handle(ui, k, seq as u64, Event::Chose(choice));
        })
    });
    a.on_key(|seq, key| {
        let key = match key.as_str() {
            "back" => Key::Backspace,
            "clear" => Key::Clear,
            d => match d.parse::<u8>() {
                Ok(n) if n <= 9 => Key::Digit(n),
                _ => return,
            },
        };
        with_kiosk(|ui, k| handle(ui, k, seq as u64, Event::AmountKey(key)))
    });
    a.on_name_entered(|seq, name| {
        with_kiosk(|ui, k| {
            let before = (k.apply.flow.seq(), super::sign::seq(k));
            if signing_later(ui) {
                super::sign::named(ui, k, seq as u64, name.to_string());
            } else {
                handle(ui, k, seq as u64, Event::Named(name.to_string()));
            }
            if (k.apply.flow.seq(), super::sign::seq(k)) == before {
                show_notice((
                    "姓名不对，请输入身份证上的姓名（2到20个字）。",
                    "That name cannot be used: type the name as on the ID card.",
                ));
            }
        })
    });
    a.on_pen(|x, y, down| {
        with_kiosk(|ui, k| {
            k.session.activity(std::time::Instant::now());
            k.apply.strokes.pen(x, y, down);
            ui.global::<ApplyAdapter>()
                .set_ink(k.apply.strokes.path_commands().into());
        })
    });
    a.on_clear_pad(|| {
        with_kiosk(|ui, k| {
            k.apply.strokes.clear();
            ui.global::<ApplyAdapter>().set_ink("".into());
        })
    });
}

/// Whether the page shows 签署授权 rather than 申请救助 (both use this page's views).
fn signing_later(ui: &MainWindow) -> bool {
    ui.global::<crate::ui::AppAdapter>().get_page() == crate::ui::Page::Sign
}

/// The signature pad as PNG, cropped to the ink; `None` (with a notice) when it is empty.
pub(super) fn pad_png(k: &Kiosk) -> Option<Vec<u8>> {
    match k.apply.strokes.to_png(6.0) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::info!(error = %e, "signature refused");
            show_notice((
                "请先用手指在框里写下自己的名字。",
                "Write your name in the box with your finger first.",
            ));
            None
        }
    }
}

fn with_kiosk(f: impl FnOnce(&MainWindow, &mut Kiosk)) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| f(ui, &mut k.borrow_mut()));
}

/// The entry was chosen on the home screen.
pub(super) fn open(ui: &MainWindow, k: &mut Kiosk) {
    // The login's token, not the account name: central accepts only a live session.
    let assisted = k
        .staff
        .assisting()
        .map(|s| (s.token.expose().to_string(), s.display_name));
    let e = k
        .apply
        .flow
        .start(jiuzhu_core::id::today_in_china(), assisted);
    k.apply.strokes.clear();
    carry_out(ui, k, e);
    show(ui, k);
    ask_townships(k);
}

/// Asks central which townships this kiosk serves, for the applicant's 户籍所在地 (the kiosk's
/// own township stands while central does not answer).
fn ask_townships(k: &Kiosk) {
    k.worker.central(
        move |c| async move { tokio::time::timeout(TOWNSHIPS_WAIT, c.served_townships()).await },
        move |_ui, k, r| match r {
            Ok(Ok(Ok(answer))) if !answer.townships.is_empty() => k.apply.flow.set_townships(
                answer
                    .townships
                    .into_iter()
                    .map(|t| (t.code, t.name))
                    .collect(),
            ),
            Ok(Ok(Ok(_))) => tracing::warn!("central lists no township for this kiosk"),
            Ok(Ok(Err(e))) => tracing::info!(error = %e, "apply: townships not asked"),
            Ok(Err(_)) => tracing::info!("apply: central did not list the townships in time"),
            Err(NoCentral) => {}
        },
    );
}

/// How long the township list is waited for.
const TOWNSHIPS_WAIT: Duration = Duration::from_secs(5);

/// A person identified on the keypad while this page is shown.
pub(super) fn identified(ui: &MainWindow, k: &mut Kiosk, person: Result<Person, CardFailure>) {
    let seq = k.apply.flow.seq();
    let event = match person {
        Ok(p) => Event::Identified(p),
        Err(f) => Event::CardFailed { detail: f.detail },
    };
    handle(ui, k, seq, event);
}

/// Feeds one event to the flow, carries out its effects and shows the result.
pub(super) fn handle(ui: &MainWindow, k: &mut Kiosk, seq: u64, event: Event) {
    k.session.activity(std::time::Instant::now());
    match k.apply.flow.handle(seq, event) {
        Ok(effects) => {
            let home = effects.contains(&Effect::GoHome);
            carry_out(ui, k, effects);
            super::home_or_show(ui, k, home, show);
        }
        Err(e) => tracing::debug!("apply: ignored: {e}"),
    }
}

/// Shows the step (in the screen's language) and speaks it when it changed.
pub(super) fn show(ui: &MainWindow, k: &mut Kiosk) {
    let lang = app_adapter::current_language(ui);
    apply_adapter::render(ui, &k.apply.flow, lang);
    let a = ui.global::<ApplyAdapter>();
    match (k.apply.flow.step(), k.apply.flow.scanned()) {
        (Step::ConfirmPage(_), Some(p)) => a.set_page(page_image(p).unwrap_or_default()),
        _ => a.set_page(slint::Image::default()),
    }
    if !matches!(k.apply.flow.step(), Step::Handwriting(..)) {
        a.set_ink("".into());
    }
    super::render_keypad(ui, k);
    k.say_once(flow::screen_text(&k.apply.flow, crate::controllers::text::Lang::Zh).speech());
}

/// The captured page as a picture for the screen.
fn page_image(p: &Page) -> Option<slint::Image> {
    let img = image::load_from_memory(&p.jpeg).ok()?.to_rgb8();
    let buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(
        img.as_raw(),
        img.width(),
        img.height(),
    );
    Some(slint::Image::from_rgb8(buf))
}

/// Results of a signer's face or fingerprint check (sent by the shared checks from the worker).
pub(super) fn signer_event(seq: u64, event: CertifyEvent) {
    let _ = slint::invoke_from_event_loop(move || {
        with_kiosk(|ui, k| {
            if let Some(result) = signer_result(ui, k, event) {
                handle(ui, k, seq, Event::SignerChecked(result));
            }
        })
    });
}

/// What a face or fingerprint check event means for a signer (申请救助 and 签署授权 alike): its
/// end as a result, or `None` while it goes on (its prompt is then shown on the page and spoken).
pub(super) fn signer_result(
    ui: &MainWindow,
    k: &mut Kiosk,
    event: CertifyEvent,
) -> Option<Result<(), String>> {
    match event {
        CertifyEvent::Verdict { live, matched, .. } => Some(if live && matched {
            Ok(())
        } else if !live {
            Err("没有通过活体检测 / the liveness check did not pass".to_string())
        } else {
            Err("和登记的信息不一致 / it does not match the enrolled person".to_string())
        }),
        CertifyEvent::Failed { detail, .. } => Some(Err(detail)),
        CertifyEvent::FaceProgress { challenge, .. } => {
            let zh = crate::controllers::text::challenge_text(
                challenge,
                crate::controllers::text::Lang::Zh,
            );
            let shown = crate::controllers::text::challenge_text(challenge, apply_adapter_lang(ui));
            ui.global::<ApplyAdapter>().set_body(shown.into());
            k.voice.say_now(zh);
            None
        }
        CertifyEvent::FaceGuidance(Some(h)) => {
            let zh =
                crate::controllers::text::face_hint_text(h, crate::controllers::text::Lang::Zh);
            let shown = crate::controllers::text::face_hint_text(h, apply_adapter_lang(ui));
            ui.global::<ApplyAdapter>().set_body(shown.into());
            k.voice.say_now(zh);
            None
        }
        CertifyEvent::FingerPrompt(p) => {
            ui.global::<ApplyAdapter>().set_body(p.clone().into());
            k.voice.say_now(p);
            None
        }
        _ => None,
    }
}

fn apply_adapter_lang(ui: &MainWindow) -> crate::controllers::text::Lang {
    crate::ui::certify_adapter::lang(app_adapter::current_language(ui))
}

/// How long the resident has for a finger when signing without an enrolled reference.
const FINGER_TIMEOUT: Duration = Duration::from_secs(30);

/// The signer's fingerprint: matched against central's reference when the signer is enrolled;
/// otherwise a live capture from the reader (the card read is the identity, the finger the
/// presence).
async fn sign_fingerprint(
    central: Arc<CentralLink>,
    reader: super::Shared<Box<dyn jiuzhu_drivers_api::fingerprint::FingerprintReader + Send>>,
    cancel: jiuzhu_drivers_api::fingerprint::CancelToken,
    signer: jiuzhu_core::id::IdNumber,
    emit: Emit,
) {
    match central.reference(&signer, Modality::Fingerprint).await {
        Ok(_) => return fingerprint_check(central, reader, cancel, signer, emit).await,
        Err(CentralError::Sync(SyncError::Http { status: 404, .. })) => {}
        Err(e) => {
            return emit.send(CertifyEvent::Failed {
                device: crate::controllers::certify::Device::Central,
                timeout: e.is_transient(),
                detail: e.to_string(),
            });
        }
    }
    let job = move || -> Option<CertifyEvent> {
        let mut d = lock_device(&reader);
        let Some(reader) = d.as_mut() else {
            return Some(CertifyEvent::Failed {
                device: crate::controllers::certify::Device::Fingerprint,
                timeout: false,
                detail: "no fingerprint reader is configured on this kiosk".into(),
            });
        };
        let deadline = std::time::Instant::now() + FINGER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let req = CaptureRequest {
                timeout: left.max(Duration::from_secs(1)),
                kind: CaptureKind::Template,
                cancel: cancel.clone(),
            };
            match reader.capture(&req) {
                Ok(_) => {
                    return Some(CertifyEvent::Verdict {
                        live: true,
                        matched: true,
                        score: None,
                    });
                }
                Err(FingerprintError::Cancelled) => return None,
                Err(FingerprintError::Retry(r)) if std::time::Instant::now() < deadline => {
                    emit.send(CertifyEvent::FingerPrompt(r.prompt().into()));
                }
                Err(e) => {
                    return Some(CertifyEvent::Failed {
                        device: crate::controllers::certify::Device::Fingerprint,
                        timeout: e.is_retry(),
                        detail: e.to_string(),
                    });
                }
            }
        }
    };
    if let Ok(Some(event)) = tokio::task::spawn_blocking(job).await {
        emit.send(event);
    }
}

/// How a signer was identified, as the API names it: the card read plus the biometric, or a
/// typed number (with the handwriting).
pub(crate) fn sign_method(from_card: bool, proof: SignProof) -> SignerIdentification {
    match (from_card, proof) {
        (true, SignProof::Face) => SignerIdentification::IdCardFace,
        (true, SignProof::Fingerprint) => SignerIdentification::IdCardFingerprint,
        (false, _) => SignerIdentification::NumberHandwriting,
    }
}

fn person_ref(e: &flow::Entered) -> PersonRef {
    PersonRef {
        id_number: e.id.clone(),
        name: e.name.clone(),
    }
}

/// The application as the kiosk API carries it.
pub(crate) fn bundle_of(draft: &Draft, township: &str) -> Result<ApplicationBundle, String> {
    let t = draft
        .assistance_type
        .ok_or("no assistance type was chosen")?;
    let assistance_type = api::AssistanceType::try_from(t).map_err(|e| e.to_string())?;
    let applicant = draft.applicant.as_ref().ok_or("no applicant")?;
    let earner = applicant.id.clone();
    let application = api::SubmitApplication {
        township: township.to_string(),
        assistance_type,
        applicant: person_ref(applicant),
        agent: draft.agent.as_ref().map(|(a, _)| person_ref(a)),
        agent_relation: draft.agent.as_ref().map(|(_, r)| *r),
        members: draft
            .members
            .iter()
            .map(|m| api::MemberDto {
                person: person_ref(m),
                relation: crate::services::api_word(m.relationship),
            })
            .collect(),
        close_relative_declared: draft.close_relative == Some(true),
        village: None,
        assisted_by_staff: draft
            .assisted_by
            .as_ref()
            .map(|(token, _)| api::StaffToken(token.clone())),
        contact_phone: None,
        incomes: draft
            .incomes
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| Income {
                earner: earner.clone(),
                kind: *k,
                monthly: money(*v),
                note: "自助终端申报（全家合计）".into(),
            })
            .collect(),
        assets: draft
            .assets
            .iter()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| Asset {
                owner: earner.clone(),
                kind: *k,
                value: money(*v),
                description: "自助终端申报（全家合计）".into(),
            })
            .collect(),
    };
    let mut files = Vec::new();
    let mut signatures = Vec::new();
    for s in &draft.signatures {
        let signer = draft
            .applicant
            .iter()
            .chain(draft.members.iter())
            .find(|e| e.id == s.signer)
            .ok_or("a signer is not on the application")?;
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(&s.handwriting_png));
        files.push((None, "image/png", s.handwriting_png.clone()));
        // A fingerprint mark is witnessed by the staff member assisting (their live session).
        let witness = if s.finger_mark {
            let (token, _) = draft
                .assisted_by
                .as_ref()
                .ok_or("a fingerprint mark without a staff member assisting")?;
            Some(api::StaffToken(token.clone()))
        } else {
            None
        };
        signatures.push(api::SignAuthorization {
            signer: person_ref(signer),
            method: sign_method(signer.from_card, s.proof),
            handwriting_sha256: Some(sha),
            mark: if s.finger_mark {
                api::SignatureMark::FingerprintMark
            } else {
                api::SignatureMark::Handwriting
            },
            witness,
        });
    }
    for (m, page) in &draft.materials {
        files.push((Some(*m), "image/jpeg", page.jpeg.clone()));
    }
    Ok(ApplicationBundle {
        application,
        signatures,
        files,
    })
}

/// The receipt for a submission on `today`.
fn receipt_of(draft: &Draft, done: &AppSubmitted, today: NaiveDate) -> Receipt {
    let cal = Calendar::builtin();
    Receipt {
        reference: done
            .case_id
            .clone()
            .unwrap_or_else(|| done.record.to_string()),
        queued: done.case_id.is_none(),
        record: done.record.to_string(),
        submitted_on: today,
        accept_by: cal.add_working_days(today, ACCEPTANCE_WORKING_DAYS).value,
        decide_by: cal.add_working_days(today, TOTAL_LIMIT).value,
        missing: draft.missing(),
        unsigned: draft
            .signers(today)
            .iter()
            .filter(|e| !draft.signatures.iter().any(|s| s.signer == e.id))
            .map(|e| e.name.masked())
            .collect(),
        applicant_masked: draft
            .applicant
            .as_ref()
            .map(|a| a.name.masked())
            .unwrap_or_default(),
        assistance_type: draft.assistance_type,
        township_name: draft.township.as_ref().map(|(_, name)| name.clone()),
    }
}

fn carry_out(ui: &MainWindow, k: &mut Kiosk, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::ReadIdCard { seq } => k.worker.read_card(move |ui, k, r| {
                let event = match r {
                    Ok(p) => Event::Identified(p),
                    Err(f) => Event::CardFailed { detail: f.detail },
                };
                handle(ui, k, seq, event)
            }),
            Effect::CancelDevices => k.worker.cancel(),
            Effect::ScanPage { seq } => {
                let cam = k.worker.document_camera.clone();
                k.worker.blocking(
                    move |cancel| scan_page(&cam, cancel),
                    move |ui, k, r| handle(ui, k, seq, Event::Scanned(r)),
                )
            }
            Effect::CheckSigner { seq, signer, proof } => {
                check_signer(k, signer, proof, Emit(seq, Route::ApplySigner))
            }
            Effect::TakeMark { seq } => {
                let reader = k.worker.fingerprint.clone();
                k.worker.blocking(
                    move |cancel| take_mark(&reader, cancel),
                    move |ui, k, r| handle(ui, k, seq, Event::Marked(r)),
                )
            }
            Effect::ClearPad => {
                k.apply.strokes.clear();
                ui.global::<ApplyAdapter>().set_ink("".into());
            }
            Effect::Submit { seq, draft } => {
                // The township of household registration the applicant confirmed.
                let township = draft
                    .township
                    .as_ref()
                    .map_or_else(|| k.apply.office.township.clone(), |(code, _)| code.clone());
                let today = jiuzhu_core::id::today_in_china();
                let bundle = match bundle_of(&draft, &township) {
                    Ok(b) => b,
                    Err(e) => {
                        k.worker.blocking(
                            move |_| e,
                            move |ui, k, e| handle(ui, k, seq, Event::Submitted(Err(e))),
                        );
                        continue;
                    }
                };
                k.worker.central(
                    move |c| async move { c.submit_application(&bundle, SUBMIT_WAIT).await },
                    move |ui, k, r| {
                        let r = match r {
                            Ok(Ok(done)) => {
                                tracing::info!(
                                    record = %done.record,
                                    queued = done.case_id.is_none(),
                                    "application saved"
                                );
                                Ok(receipt_of(&draft, &done, today))
                            }
                            Ok(Err(e)) => Err(e.to_string()),
                            Err(_) => {
                                Err("本机没有连接服务器 / no central service is configured".into())
                            }
                        };
                        handle(ui, k, seq, Event::Submitted(r))
                    },
                );
            }
            Effect::PrintReceipt(r) => {
                let printer = k.worker.printer.clone();
                let office = k.apply.office.clone();
                k.worker.runtime.spawn_blocking(move || {
                    show_notice(print_receipt(&printer, &r, &office));
                });
            }
            Effect::GoHome => {}
        }
    }
}

/// Starts a signer's identity check (fingerprint or face, against central's reference); its
/// events go to `emit`'s flow.
pub(super) fn check_signer(
    k: &mut Kiosk,
    signer: jiuzhu_core::id::IdNumber,
    proof: SignProof,
    emit: Emit,
) {
    let Some(c) = k.worker.central.clone() else {
        return emit.send(CertifyEvent::Failed {
            device: crate::controllers::certify::Device::Central,
            timeout: false,
            detail: "本机没有连接服务器 / no central service is configured".into(),
        });
    };
    let cancel = k.worker.cancel.clone();
    match proof {
        SignProof::Fingerprint => {
            let reader = k.worker.fingerprint.clone();
            k.worker
                .runtime
                .spawn(sign_fingerprint(c, reader, cancel, signer, emit));
        }
        SignProof::Face => {
            let camera = k.worker.camera.clone();
            let screen_light = k.worker.screen_light;
            let models = k.worker.face_models.clone();
            k.worker.runtime.spawn(face_check(
                c,
                camera,
                models,
                cancel,
                signer,
                face_pace(),
                screen_light,
                emit,
            ));
        }
    }
}

/// A signer's fingerprint mark (按手印): the image of the finger on the reader, as PNG — the
/// print a signer who cannot write leaves on the paper form, here on the authorization's record.
pub(super) fn take_mark(
    reader: &super::Shared<Box<dyn jiuzhu_drivers_api::fingerprint::FingerprintReader + Send>>,
    cancel: &jiuzhu_drivers_api::fingerprint::CancelToken,
) -> Result<Vec<u8>, String> {
    let mut d = lock_device(reader);
    let Some(reader) = d.as_mut() else {
        return Err("本机没有指纹采集器 / this kiosk has no fingerprint reader".into());
    };
    let capture = reader
        .capture(&CaptureRequest {
            timeout: MARK_TIMEOUT,
            kind: CaptureKind::Image,
            cancel: cancel.clone(),
        })
        .map_err(|e| match e {
            FingerprintError::Timeout(_) => "没有按到手指 / no finger was pressed".to_string(),
            e => e.to_string(),
        })?;
    let img = capture
        .image
        .ok_or("the fingerprint reader sent no image")?;
    let gray = image::GrayImage::from_raw(u32::from(img.width), u32::from(img.height), img.pixels)
        .ok_or("the fingerprint image has the wrong size")?;
    let mut png = std::io::Cursor::new(Vec::new());
    gray.write_to(&mut png, image::ImageFormat::Png)
        .map_err(|e| format!("the fingerprint image could not be encoded: {e}"))?;
    Ok(png.into_inner())
}

/// How long a fingerprint mark is waited for.
const MARK_TIMEOUT: Duration = Duration::from_secs(30);

/// One page from the document camera: found, cropped, deskewed, as JPEG.
fn scan_page(
    cam: &super::Shared<Box<dyn jiuzhu_drivers_api::camera::FrameSource + Send>>,
    cancel: &jiuzhu_drivers_api::fingerprint::CancelToken,
) -> Result<Page, String> {
    let mut d = lock_device(cam);
    let Some(cam) = d.as_mut() else {
        return Err(
            "本机没有材料拍摄仪，请把材料交给乡镇窗口 / this kiosk has no document camera".into(),
        );
    };
    crate::services::scan_document(cam.as_mut(), cancel).map(|jpeg| Page { jpeg })
}

/// The kiosk's receipt printer, as the worker shares it.
pub(super) type PrinterSlot =
    std::sync::Mutex<Option<Box<dyn jiuzhu_drivers_api::printer::ReceiptPrinter + Send>>>;

/// Prints a resident's receipt; the notice to show says whether to take it or to note the
/// reference on the screen.
pub(super) fn print_for_resident(
    printer: &PrinterSlot,
    doc: &Document,
) -> (&'static str, &'static str) {
    let mut d = lock_device(printer);
    let Some(printer) = d.as_mut() else {
        return (
            "本机没有打印机，请记下屏幕上的申请编号。",
            "This kiosk has no printer: note the reference on the screen.",
        );
    };
    match printer.print(doc) {
        Ok(_) => (
            "回执已打印，请取走。",
            "The receipt is printed: please take it.",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "the receipt could not be printed");
            (
                "打印机暂时不能打印，请记下屏幕上的申请编号。",
                "The printer cannot print now: note the reference on the screen.",
            )
        }
    }
}

fn print_receipt(
    printer: &PrinterSlot,
    r: &Receipt,
    office: &Office,
) -> (&'static str, &'static str) {
    let types = r
        .assistance_type
        .and_then(|t| api::AssistanceType::try_from(t).ok())
        .into_iter()
        .collect();
    let now = chrono::Utc::now()
        .with_timezone(&app_adapter::china_offset())
        .naive_local();
    let doc = Document::ApplicationReceipt(ApplicationReceipt {
        receipt_no: r.reference.clone(),
        submitted_at: now,
        township: r
            .township_name
            .clone()
            .unwrap_or_else(|| office.township_name.clone()),
        applicant_masked: r.applicant_masked.clone(),
        types,
        next_steps: vec![
            NextStep {
                what: "乡镇（街道）受理或一次性告知".into(),
                by: r.accept_by,
                tentative: false,
            },
            NextStep {
                what: "审核确认办结".into(),
                by: r.decide_by,
                tentative: false,
            },
        ],
        hotline: office.hotline.clone(),
        report_phone: office.report_phone.clone(),
    });
    print_for_resident(printer, &doc)
}
