//! 签署授权 (a family member signs the authorization later): the wiring between its controller
//! (`controllers::sign::SignFlow`), the application page's views (`sign_adapter` on
//! `ApplyAdapter`) and the worker: the card read, central's list of waiting applications, the
//! signer's identity check, the handwritten signature and the signature through the outbox.

use jiuzhu_core::api::{PersonRef, SignAuthorization};
use slint::ComponentHandle;

use super::apply::{check_signer, pad_png, print_for_resident, sign_method, signer_result};
use super::{CardFailure, Emit, Kiosk, Route, SUBMIT_WAIT};
use crate::controllers::apply::SignProof;
use crate::controllers::certify::{Event as CertifyEvent, Person};
use crate::controllers::sign::{Choice, Effect, Event, LateSignature, SignFlow, SignedSlip, Step};
use crate::controllers::text::Lang;
use crate::ui::{ApplyAdapter, MainWindow, app_adapter, sign_adapter};
use jiuzhu_drivers_api::printer::{Document, SignatureReceipt};

/// The flow's state while its page is shown.
#[derive(Default)]
pub(super) struct State {
    flow: SignFlow,
}

impl State {
    /// The flow.
    pub(super) fn flow(&self) -> &SignFlow {
        &self.flow
    }

    /// Whether anything personal is held.
    pub(super) fn holds_personal_data(&self) -> bool {
        self.flow.holds_personal_data()
    }

    /// Forgets everything personal (the page's models are the application page's, cleared by
    /// its own wipe).
    pub(super) fn wipe(&mut self, _ui: &MainWindow) {
        self.flow.wipe();
    }

    /// The step shown.
    pub(super) fn step(&self) -> &Step {
        self.flow.step()
    }

    /// The choices of the step shown.
    pub(super) fn choices(&self) -> Vec<Choice> {
        self.flow.choices()
    }
}

/// The screen's sequence number.
pub(super) fn seq(k: &Kiosk) -> u64 {
    k.sign.flow.seq()
}

/// The entry was chosen on the home screen.
pub(super) fn open(ui: &MainWindow, k: &mut Kiosk) {
    let e = k.sign.flow.start();
    // The staff member assisting may witness a fingerprint mark (their login's token).
    k.sign.flow.set_witness(
        k.staff
            .assisting()
            .map(|s| (s.token.expose().to_string(), s.display_name)),
    );
    k.apply.strokes.clear();
    carry_out(ui, k, e);
    show(ui, k);
}

/// A person identified on the keypad while this page is shown.
pub(super) fn identified(ui: &MainWindow, k: &mut Kiosk, person: Result<Person, CardFailure>) {
    let seq = k.sign.flow.seq();
    handle(ui, k, seq, identification(person));
}

fn identification(person: Result<Person, CardFailure>) -> Event {
    match person {
        Ok(p) => Event::Identified(p),
        Err(f) => Event::CardFailed { detail: f.detail },
    }
}

/// A button of the page.
pub(super) fn choose(ui: &MainWindow, k: &mut Kiosk, seq: u64, id: i32) {
    let Some(choice) = sign_adapter::choice_of(&k.sign.flow, id) else {
        return;
    };
    if matches!(k.sign.flow.step(), Step::Handwriting(_)) && choice == Choice::Next {
        let png = pad_png(k);
        return handle(ui, k, seq, Event::Handwritten(png));
    }
    handle(ui, k, seq, Event::Chose(choice));
}

/// A name typed (staff keyboard) for a typed number.
pub(super) fn named(ui: &MainWindow, k: &mut Kiosk, seq: u64, name: String) {
    handle(ui, k, seq, Event::Named(name));
}

/// Results of the signer's face or fingerprint check.
pub(super) fn signer_event(seq: u64, event: CertifyEvent) {
    let _ = slint::invoke_from_event_loop(move || {
        let Some(k) = super::kiosk() else { return };
        super::with_ui(|ui| {
            let k = &mut k.borrow_mut();
            if let Some(result) = signer_result(ui, k, event) {
                handle(ui, k, seq, Event::SignerChecked(result));
            }
        });
    });
}

/// Feeds one event to the flow, carries out its effects and shows the result.
pub(super) fn handle(ui: &MainWindow, k: &mut Kiosk, seq: u64, event: Event) {
    k.session.activity(std::time::Instant::now());
    match k.sign.flow.handle(seq, event) {
        Ok(effects) => {
            let home = effects.contains(&Effect::GoHome);
            carry_out(ui, k, effects);
            super::home_or_show(ui, k, home, show);
        }
        Err(e) => tracing::debug!("sign: ignored: {e}"),
    }
}

/// Shows the step (in the screen's language) and speaks it when it changed.
pub(super) fn show(ui: &MainWindow, k: &mut Kiosk) {
    let lang = app_adapter::current_language(ui);
    sign_adapter::render(ui, &k.sign.flow, lang);
    let a = ui.global::<ApplyAdapter>();
    a.set_page(slint::Image::default());
    if !matches!(k.sign.flow.step(), Step::Handwriting(_)) {
        a.set_ink("".into());
    }
    super::render_keypad(ui, k);
    k.say_once(crate::controllers::sign::screen_text(&k.sign.flow, Lang::Zh).speech());
}

/// The printed signature receipt.
fn receipt_of(s: &SignedSlip) -> Document {
    let method = match (s.from_card, s.proof) {
        (true, SignProof::Fingerprint) => "身份证+指纹，手写签名",
        (true, SignProof::Face) => "身份证+人脸，手写签名",
        (false, SignProof::Fingerprint) => "身份证号码+指纹，手写签名",
        (false, SignProof::Face) => "身份证号码+人脸，手写签名",
    };
    Document::SignatureReceipt(SignatureReceipt {
        case_no: s.case.case_id.clone(),
        signed_at: chrono::Utc::now()
            .with_timezone(&app_adapter::china_offset())
            .naive_local(),
        township: s.case.township_name.clone(),
        applicant_masked: s.case.applicant_masked.clone(),
        signer_masked: s.case.signer_masked.clone(),
        types: vec![s.case.assistance_type],
        method: method.into(),
        queued: s.queued,
        hotline: s.case.hotline.clone(),
    })
}

/// The signature as the kiosk API carries it.
fn authorization_of(s: &LateSignature) -> Result<SignAuthorization, String> {
    use sha2::Digest;
    let name = s
        .signer
        .name
        .clone()
        .ok_or("the signer's name is missing")?;
    Ok(SignAuthorization {
        signer: PersonRef {
            id_number: s.signer.id.clone(),
            name,
        },
        method: sign_method(s.from_card, s.proof),
        handwriting_sha256: Some(hex::encode(sha2::Sha256::digest(&s.handwriting_png))),
        mark: if s.witness.is_some() {
            jiuzhu_core::api::SignatureMark::FingerprintMark
        } else {
            jiuzhu_core::api::SignatureMark::Handwriting
        },
        witness: s.witness.clone().map(jiuzhu_core::api::StaffToken),
    })
}

fn carry_out(ui: &MainWindow, k: &mut Kiosk, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::ReadIdCard { seq } => k
                .worker
                .read_card(move |ui, k, r| handle(ui, k, seq, identification(r))),
            Effect::CancelDevices => k.worker.cancel(),
            Effect::FindPending { seq, signer } => k.worker.central(
                move |c| async move { c.pending_signatures(&signer.id).await },
                move |ui, k, r| {
                    let r = match r {
                        Ok(Ok(list)) => Ok(list),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "pending signatures could not be asked");
                            Err(e.to_string())
                        }
                        Err(_) => {
                            Err("本机没有连接服务器 / no central service is configured".into())
                        }
                    };
                    handle(ui, k, seq, Event::Found(r))
                },
            ),
            Effect::CheckSigner { seq, signer, proof } => {
                check_signer(k, signer.id, proof, Emit(seq, Route::LateSigner))
            }
            Effect::TakeMark { seq } => {
                let reader = k.worker.fingerprint.clone();
                k.worker.blocking(
                    move |cancel| super::apply::take_mark(&reader, cancel),
                    move |ui, k, r| handle(ui, k, seq, Event::Marked(r)),
                )
            }
            Effect::ClearPad => {
                k.apply.strokes.clear();
                ui.global::<ApplyAdapter>().set_ink("".into());
            }
            Effect::Submit { seq, signature } => {
                let sig = match authorization_of(&signature) {
                    Ok(s) => s,
                    Err(e) => {
                        handle(ui, k, seq, Event::Submitted(Err(e)));
                        continue;
                    }
                };
                k.worker.central(
                    move |c| async move {
                        c.sign_case(
                            &signature.case_id,
                            &sig,
                            &signature.handwriting_png,
                            SUBMIT_WAIT,
                        )
                        .await
                    },
                    move |ui, k, r| {
                        let r = match r {
                            Ok(Ok(recorded)) => {
                                tracing::info!(recorded, "late signature saved");
                                Ok(recorded)
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
            Effect::PrintReceipt(slip) => {
                let printer = k.worker.printer.clone();
                k.worker.runtime.spawn_blocking(move || {
                    super::show_notice(print_for_resident(&printer, &receipt_of(&slip)));
                });
            }
            Effect::GoHome => {}
        }
    }
}
