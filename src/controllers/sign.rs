//! 签署授权 (a family member signs the 核对授权书 later): the flow as a plain state machine.
//!
//! The member identifies (ID card, or number + name) → the kiosk asks central for the
//! applications waiting for this person's signature → one is chosen (when several) → the
//! authorization is shown and read aloud with only what the signer must see (the applicant's
//! masked name, the type, the day it was submitted, how they are related) → identity by
//! fingerprint or face → a handwritten signature on the screen → saved in the outbox and sent →
//! done (another waiting application may be signed next).
//!
//! No Slint, no I/O: events in, effects out. Every event carries the sequence number of the
//! screen it was meant for, so a double press or a late device answer cannot skip or repeat a
//! step.

use std::fmt;

use chrono::NaiveDate;
use jiuzhu_core::api::PendingSignature;
use jiuzhu_core::household::AssistanceType;
use jiuzhu_core::id::PersonName;

use super::apply::{
    SignProof, authorization_summary, authorization_text, card_failed_text, date, finger_mark_text,
    handwriting_text, mark_failed_text, need_name_text, needs_witness_text, sign_with_label,
    signer_check_text, submitting_text, type_label,
};
use super::certify::{FlowError, Person};
use super::text::{Lang, ScreenText};

/// The screens of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Waiting for the signer's card or typed number.
    Identify,
    /// A typed number: the name must be entered (staff keyboard) since no card was read.
    NeedName,
    /// Asking central which applications wait for this person.
    Looking,
    /// Several applications wait: which one now.
    Choose,
    /// The 核对授权书 of the chosen application (shown and read aloud).
    Authorization,
    /// The signer proves identity.
    SignerCheck(SignProof),
    /// The signer writes their name on the screen.
    Handwriting(SignProof),
    /// The signer, who cannot write, presses a finger on the reader as their mark (按手印)
    /// before the staff member assisting, the witness.
    FingerMark(SignProof),
    /// Saving and sending.
    Submitting,
    /// Signed.
    Done {
        /// Whether the signature still waits in the outbox (central not reached in time).
        queued: bool,
    },
    /// Something went wrong; what to do is in the words.
    Problem(Problem),
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The card could not be read (the resident may type the number instead).
    CardFailed,
    /// No application waits for this person's signature.
    NothingToSign,
    /// Central could not be asked.
    LookupFailed(String),
    /// The identity check failed.
    CheckFailed(String),
    /// The signature could not be saved, or central refused it.
    SubmitFailed(String),
    /// A fingerprint mark needs a staff member present as witness, and none is assisting.
    NeedsWitness,
    /// The fingerprint mark was not taken.
    MarkFailed(String),
}

/// Every button of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Application `n` of the list.
    Case(usize),
    /// Sign with a fingerprint.
    SignFingerprint,
    /// Sign with the face.
    SignFace,
    /// Done writing the name.
    Next,
    /// The signer cannot write: a fingerprint mark instead, witnessed by staff.
    FingerMark,
    /// Sign the next waiting application.
    Another,
    /// Print the signature receipt again.
    Print,
    /// Try again (after a problem).
    Retry,
    /// Go back one screen.
    Back,
    /// Home.
    Home,
}

/// Inputs of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A button.
    Chose(Choice),
    /// Card read or number typed (keypad).
    Identified(Person),
    /// The card read failed.
    CardFailed {
        /// What happened.
        detail: String,
    },
    /// A name entered for a typed number.
    Named(String),
    /// Central's answer: the applications waiting for this person.
    Found(Result<Vec<PendingSignature>, String>),
    /// The identity check ended.
    SignerChecked(Result<(), String>),
    /// The handwritten signature (PNG), or `None` when the pad was empty.
    Handwritten(Option<Vec<u8>>),
    /// The fingerprint mark's image (PNG), or what went wrong.
    Marked(Result<Vec<u8>, String>),
    /// Saving and sending ended: `Ok(true)` central recorded it, `Ok(false)` it waits in the
    /// outbox.
    Submitted(Result<bool, String>),
}

/// A signature to save and send. `Debug` masks the signer and shows only sizes.
#[derive(Clone, PartialEq, Eq)]
pub struct LateSignature {
    /// Central's case.
    pub case_id: String,
    /// The signer (name from the card or typed by staff).
    pub signer: Person,
    /// Whether the number was read from the card.
    pub from_card: bool,
    /// How identity was proved.
    pub proof: SignProof,
    /// The handwritten signature as PNG (with a fingerprint mark: the mark's image).
    pub handwriting_png: Vec<u8>,
    /// With a fingerprint mark (按手印): the witness's live staff session token. Never shown.
    pub witness: Option<String>,
}

impl fmt::Debug for LateSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LateSignature({}, {:?}, card {}, {:?}, {} B)",
            self.case_id,
            self.signer.id,
            self.from_card,
            self.proof,
            self.handwriting_png.len()
        )
    }
}

/// What the app must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Read an ID card (delivered as `Identified` / `CardFailed`).
    ReadIdCard {
        /// Screen number.
        seq: u64,
    },
    /// Stop waiting devices.
    CancelDevices,
    /// Ask central for the applications waiting for this person (delivered as `Found`).
    FindPending {
        /// Screen number.
        seq: u64,
        /// Who.
        signer: Person,
    },
    /// Check the signer's identity (delivered as `SignerChecked`).
    CheckSigner {
        /// Screen number.
        seq: u64,
        /// Who.
        signer: Person,
        /// How.
        proof: SignProof,
    },
    /// Clear the signature pad.
    ClearPad,
    /// Take the image of a finger on the reader, as the signer's mark (delivered as `Marked`).
    TakeMark {
        /// Screen number.
        seq: u64,
    },
    /// Save (outbox) and send the signature (delivered as `Submitted`).
    Submit {
        /// Screen number.
        seq: u64,
        /// What.
        signature: Box<LateSignature>,
    },
    /// Print the signature receipt.
    PrintReceipt(Box<SignedSlip>),
    /// Back to the home screen (wipe everything).
    GoHome,
}

/// What the printed signature receipt shows (masked names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedSlip {
    /// The application signed.
    pub case: PendingSignature,
    /// How identity was proved.
    pub proof: SignProof,
    /// Whether the number was read from the card.
    pub from_card: bool,
    /// Whether the signature still waits on the kiosk.
    pub queued: bool,
}

/// The 签署授权 flow.
#[derive(Debug, Clone)]
pub struct SignFlow {
    step: Step,
    seq: u64,
    signer: Option<Person>,
    from_card: bool,
    /// The applications waiting for the signer, as central listed them.
    waiting: Vec<PendingSignature>,
    /// Index into `waiting` of the one being signed.
    chosen: Option<usize>,
    /// Applications signed in this session (their case ids).
    signed: Vec<String>,
    /// The receipt of the last signature (for 再打印一张).
    slip: Option<SignedSlip>,
    /// How the signature being made proves identity.
    proof: Option<SignProof>,
    history: Vec<Step>,
    /// The staff member assisting, who may witness a fingerprint mark: (the login's bearer
    /// token, display name). Never shown or logged.
    witness: Option<(String, String)>,
}

impl Default for SignFlow {
    fn default() -> Self {
        Self::new()
    }
}

impl SignFlow {
    /// A flow waiting for the signer.
    pub fn new() -> Self {
        Self {
            step: Step::Identify,
            seq: 1,
            signer: None,
            from_card: false,
            waiting: Vec::new(),
            chosen: None,
            signed: Vec::new(),
            slip: None,
            proof: None,
            history: Vec::new(),
            witness: None,
        }
    }

    /// The staff member assisting (from a staff login at this kiosk), who may witness a
    /// fingerprint mark; `None` for a resident alone.
    pub fn set_witness(&mut self, witness: Option<(String, String)>) {
        self.witness = witness;
    }

    /// The screen shown.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The screen's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The signer, once identified.
    pub fn signer(&self) -> Option<&Person> {
        self.signer.as_ref()
    }

    /// The application being signed.
    pub fn chosen(&self) -> Option<&PendingSignature> {
        self.chosen.and_then(|i| self.waiting.get(i))
    }

    /// The applications still waiting for the signer (not signed in this session).
    pub fn remaining(&self) -> Vec<&PendingSignature> {
        self.waiting
            .iter()
            .filter(|p| !self.signed.contains(&p.case_id))
            .collect()
    }

    /// Whether anything personal is held.
    pub fn holds_personal_data(&self) -> bool {
        self.signer.is_some() || !self.waiting.is_empty()
    }

    /// Starts over (entry chosen on the home screen): waits for a card.
    pub fn start(&mut self) -> Vec<Effect> {
        let seq = self.seq + 1;
        *self = Self::new();
        self.seq = seq;
        vec![Effect::ReadIdCard { seq: self.seq }]
    }

    /// Forgets everything personal (home, inactivity).
    pub fn wipe(&mut self) {
        let seq = self.seq + 1;
        *self = Self::new();
        self.seq = seq;
    }

    fn go(&mut self, step: Step) -> Vec<Effect> {
        self.seq += 1;
        let remember = !matches!(
            self.step,
            Step::Problem(_)
                | Step::Submitting
                | Step::Looking
                | Step::SignerCheck(_)
                | Step::FingerMark(_)
                | Step::Done { .. }
        );
        if remember {
            self.history.push(self.step.clone());
        }
        self.step = step;
        match &self.step {
            Step::Identify => vec![Effect::ReadIdCard { seq: self.seq }],
            Step::Handwriting(_) => vec![Effect::ClearPad],
            _ => vec![],
        }
    }

    /// The choices of the screen shown, in order.
    pub fn choices(&self) -> Vec<Choice> {
        use Choice::*;
        let mut c = match &self.step {
            Step::Identify => vec![Home],
            Step::NeedName | Step::Looking => vec![],
            Step::Choose => self
                .waiting
                .iter()
                .enumerate()
                .filter(|(_, p)| !self.signed.contains(&p.case_id))
                .map(|(i, _)| Case(i))
                .collect(),
            Step::Authorization => vec![SignFingerprint, SignFace],
            Step::SignerCheck(_) | Step::FingerMark(_) | Step::Submitting => vec![],
            Step::Handwriting(_) => vec![Next, FingerMark],
            Step::Done { .. } if !self.remaining().is_empty() => vec![Another, Print, Home],
            Step::Done { .. } => vec![Print, Home],
            Step::Problem(Problem::NothingToSign) => vec![Home],
            Step::Problem(_) => vec![Retry, Home],
        };
        let back = matches!(
            self.step,
            Step::NeedName | Step::Authorization | Step::Handwriting(_)
        ) || (self.step == Step::Choose && self.signed.is_empty());
        if back {
            c.push(Back);
        }
        c
    }

    /// Feeds one event.
    pub fn handle(&mut self, seq: u64, event: Event) -> Result<Vec<Effect>, FlowError> {
        let chosen = match &event {
            Event::Chose(c) => Some(c),
            _ => None,
        };
        FlowError::admit(seq, self.seq, chosen, &self.choices())?;
        let step = self.step.clone();
        Ok(match (step, event) {
            (_, Event::Chose(Choice::Home)) => vec![Effect::CancelDevices, Effect::GoHome],
            (_, Event::Chose(Choice::Back)) => {
                self.seq += 1;
                self.step = self.history.pop().unwrap_or(Step::Identify);
                let mut fx = vec![Effect::CancelDevices];
                match self.step {
                    Step::Identify => {
                        self.signer = None;
                        self.waiting.clear();
                        self.chosen = None;
                        fx.push(Effect::ReadIdCard { seq: self.seq });
                    }
                    Step::Choose => self.chosen = None,
                    _ => {}
                }
                fx
            }
            (Step::Identify, Event::Identified(p)) => {
                let mut fx = vec![Effect::CancelDevices];
                self.from_card = p.name.is_some();
                if p.name.is_none() {
                    self.signer = Some(p);
                    fx.extend(self.go(Step::NeedName));
                } else {
                    fx.extend(self.look_up(p));
                }
                fx
            }
            (Step::Identify, Event::CardFailed { detail }) => {
                tracing::warn!(%detail, "card read failed while signing");
                self.go(Step::Problem(Problem::CardFailed))
            }
            (Step::NeedName, Event::Named(name)) => {
                let Some(p) = self.signer.take() else {
                    return Err(refuse("no number waiting for a name"));
                };
                match PersonName::new(name.trim()) {
                    Ok(n) => self.look_up(Person {
                        id: p.id,
                        name: Some(n),
                        address: None,
                    }),
                    Err(e) => {
                        self.signer = Some(p);
                        return Err(refuse(&format!("the name is not acceptable: {e}")));
                    }
                }
            }
            (Step::Looking, Event::Found(Ok(list))) => {
                self.waiting = list;
                self.chosen = None;
                match self.waiting.len() {
                    0 => self.go(Step::Problem(Problem::NothingToSign)),
                    1 => {
                        self.chosen = Some(0);
                        self.go(Step::Authorization)
                    }
                    _ => self.go(Step::Choose),
                }
            }
            (Step::Looking, Event::Found(Err(e))) => {
                self.go(Step::Problem(Problem::LookupFailed(e)))
            }
            (Step::Choose, Event::Chose(Choice::Case(i))) => {
                self.chosen = Some(i);
                self.go(Step::Authorization)
            }
            (
                Step::Authorization,
                Event::Chose(c @ (Choice::SignFingerprint | Choice::SignFace)),
            ) => {
                let proof = if c == Choice::SignFace {
                    SignProof::Face
                } else {
                    SignProof::Fingerprint
                };
                let Some(signer) = self.signer.clone() else {
                    return Err(refuse("no signer"));
                };
                self.proof = Some(proof);
                let mut fx = self.go(Step::SignerCheck(proof));
                fx.push(Effect::CheckSigner {
                    seq: self.seq,
                    signer,
                    proof,
                });
                fx
            }
            (Step::SignerCheck(proof), Event::SignerChecked(Ok(()))) => {
                self.go(Step::Handwriting(proof))
            }
            (Step::SignerCheck(_), Event::SignerChecked(Err(e))) => {
                self.go(Step::Problem(Problem::CheckFailed(e)))
            }
            (Step::Handwriting(_), Event::Handwritten(None)) => {
                return Err(refuse("the signature pad is empty: sign your name first"));
            }
            (Step::Handwriting(proof), Event::Handwritten(Some(png))) => {
                self.submit(proof, png, None)?
            }
            (Step::Handwriting(proof), Event::Chose(Choice::FingerMark)) => {
                if self.witness.is_none() {
                    return Ok(self.go(Step::Problem(Problem::NeedsWitness)));
                }
                let mut fx = self.go(Step::FingerMark(proof));
                fx.push(Effect::TakeMark { seq: self.seq });
                fx
            }
            (Step::FingerMark(proof), Event::Marked(Ok(png))) => {
                let witness = self.witness.as_ref().map(|(token, _)| token.clone());
                self.submit(proof, png, witness)?
            }
            (Step::FingerMark(_), Event::Marked(Err(e))) => {
                self.go(Step::Problem(Problem::MarkFailed(e)))
            }
            (Step::Submitting, Event::Submitted(Ok(recorded))) => {
                let (Some(case), Some(proof)) = (self.chosen().cloned(), self.proof) else {
                    return Err(refuse("nothing chosen to sign"));
                };
                self.signed.push(case.case_id.clone());
                let slip = SignedSlip {
                    case,
                    proof,
                    from_card: self.from_card,
                    queued: !recorded,
                };
                self.slip = Some(slip.clone());
                self.history.clear();
                let mut fx = self.go(Step::Done { queued: !recorded });
                fx.push(Effect::PrintReceipt(Box::new(slip)));
                fx
            }
            (Step::Done { .. }, Event::Chose(Choice::Print)) => match &self.slip {
                Some(s) => vec![Effect::PrintReceipt(Box::new(s.clone()))],
                None => return Err(refuse("nothing to print")),
            },
            (Step::Submitting, Event::Submitted(Err(e))) => {
                self.go(Step::Problem(Problem::SubmitFailed(e)))
            }
            (Step::Done { .. }, Event::Chose(Choice::Another)) => {
                let next: Vec<usize> = self
                    .waiting
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !self.signed.contains(&p.case_id))
                    .map(|(i, _)| i)
                    .collect();
                match next.as_slice() {
                    [] => return Err(refuse("nothing left to sign")),
                    [one] => {
                        self.chosen = Some(*one);
                        self.go(Step::Authorization)
                    }
                    _ => {
                        self.chosen = None;
                        self.go(Step::Choose)
                    }
                }
            }
            (Step::Problem(p), Event::Chose(Choice::Retry)) => {
                self.seq += 1;
                match p {
                    Problem::CardFailed => {
                        self.step = Step::Identify;
                        vec![Effect::ReadIdCard { seq: self.seq }]
                    }
                    Problem::LookupFailed(_) => {
                        self.step = Step::Looking;
                        match self.signer.clone() {
                            Some(signer) => vec![Effect::FindPending {
                                seq: self.seq,
                                signer,
                            }],
                            None => vec![],
                        }
                    }
                    Problem::CheckFailed(_) => {
                        self.step = Step::Authorization;
                        vec![]
                    }
                    Problem::SubmitFailed(_) | Problem::NeedsWitness | Problem::MarkFailed(_) => {
                        // The pad is cleared; the name is written again before another try.
                        let Some(proof) = self.proof else {
                            return Err(refuse("no signature was being made"));
                        };
                        self.history.pop();
                        self.step = Step::Handwriting(proof);
                        vec![Effect::ClearPad]
                    }
                    Problem::NothingToSign => return Err(refuse("nothing to retry")),
                }
            }
            (s, e) => {
                return Err(refuse(&format!("{e:?} does not apply to {s:?}")));
            }
        })
    }

    /// The signature made (a written name, or with `witness` a fingerprint mark): save and send.
    fn submit(
        &mut self,
        proof: SignProof,
        png: Vec<u8>,
        witness: Option<String>,
    ) -> Result<Vec<Effect>, FlowError> {
        let (Some(signer), Some(case)) = (self.signer.clone(), self.chosen()) else {
            return Err(refuse("nothing chosen to sign"));
        };
        let signature = Box::new(LateSignature {
            case_id: case.case_id.clone(),
            signer,
            from_card: self.from_card,
            proof,
            handwriting_png: png,
            witness,
        });
        let mut fx = self.go(Step::Submitting);
        fx.push(Effect::Submit {
            seq: self.seq,
            signature,
        });
        Ok(fx)
    }

    fn look_up(&mut self, p: Person) -> Vec<Effect> {
        self.signer = Some(p.clone());
        let mut fx = self.go(Step::Looking);
        fx.push(Effect::FindPending {
            seq: self.seq,
            signer: p,
        });
        fx
    }
}

fn refuse(what: &str) -> FlowError {
    FlowError::refused(what)
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

fn china_day(p: &PendingSignature) -> NaiveDate {
    p.submitted_at
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

/// One application in words: type, applicant, day submitted.
pub fn case_line(p: &PendingSignature, lang: Lang) -> String {
    let kind = type_label(AssistanceType::from(p.assistance_type), lang);
    match lang {
        Lang::Zh => format!(
            "{kind} · 申请人 {} · {}提交",
            p.applicant_masked,
            date(china_day(p), lang)
        ),
        Lang::En => format!(
            "{kind} · applicant {} · submitted {}",
            p.applicant_masked,
            date(china_day(p), lang)
        ),
    }
}

/// The words on a button.
pub fn choice_label(flow: &SignFlow, c: Choice, lang: Lang) -> String {
    match c {
        Choice::Case(i) => flow
            .waiting
            .get(i)
            .map(|p| case_line(p, lang))
            .unwrap_or_default(),
        Choice::SignFingerprint => sign_with_label(SignProof::Fingerprint, lang),
        Choice::SignFace => sign_with_label(SignProof::Face, lang),
        Choice::Next => t(lang, "签好了", "Done signing"),
        Choice::FingerMark => t(lang, "不会写字，按手印", "Cannot write: fingerprint mark"),
        Choice::Another => match (flow.remaining().len(), lang) {
            (n, Lang::Zh) => format!("签署下一份（还有{n}份）"),
            (n, Lang::En) => format!("Sign the next one ({n} left)"),
        },
        Choice::Retry => t(lang, "再试一次", "Try again"),
        Choice::Print => t(lang, "再打印一张回执", "Print the receipt again"),
        Choice::Back => t(lang, "上一步", "Back"),
        Choice::Home => t(lang, "回到首页", "Back to home"),
    }
}

/// The full 核对授权书 behind the summary of the screen shown (`None` on other screens).
pub fn authorization_details(flow: &SignFlow, lang: Lang) -> Option<String> {
    match flow.step() {
        Step::Authorization => flow
            .signer()
            .and_then(|p| p.name.as_ref())
            .map(|n| authorization_text(n, lang)),
        _ => None,
    }
}

/// What a screen says (shown and, in Chinese, spoken).
pub fn screen_text(flow: &SignFlow, lang: Lang) -> ScreenText {
    let name = flow.signer().and_then(|p| p.name.clone());
    let (title, body) = match flow.step() {
        Step::Identify => (
            t(
                lang,
                "签署授权：请刷身份证",
                "Sign the authorization: tap your ID card",
            ),
            t(
                lang,
                "家里有人申请了社会救助，需要您签署核对授权书。请把您本人的身份证放在感应区上；没有身份证，可以在右边输入身份证号码。",
                "Someone in your family applied for assistance and needs your signature on the authorization. Put your own ID card on the reader, or type your ID number on the right.",
            ),
        ),
        Step::NeedName => need_name_text(lang),
        Step::Looking => (
            t(lang, "正在查询……", "Looking…"),
            t(
                lang,
                "正在查找需要您签署的申请，请稍候。",
                "Looking for the applications waiting for your signature, please wait.",
            ),
        ),
        Step::Choose => (
            t(lang, "请选择要签署的申请", "Choose the application to sign"),
            match (flow.remaining().len(), lang) {
                (n, Lang::Zh) => format!("有{n}份申请等您签署。点一份开始。"),
                (n, Lang::En) => {
                    format!("{n} applications wait for your signature. Tap one to begin.")
                }
            },
        ),
        Step::Authorization => (
            t(lang, "签署核对授权书", "Sign the authorization"),
            match (flow.chosen(), &name) {
                (Some(p), Some(n)) => format!(
                    "{}\n{}\n\n{}",
                    case_line(p, lang),
                    relation_line(p, lang),
                    authorization_summary(n, lang)
                ),
                _ => String::new(),
            },
        ),
        Step::SignerCheck(proof) => signer_check_text(*proof, lang),
        Step::Handwriting(_) => handwriting_text(name.as_ref(), lang),
        Step::FingerMark(_) => finger_mark_text(
            name.as_ref(),
            flow.witness.as_ref().map(|(_, n)| n.as_str()),
            lang,
        ),
        Step::Submitting => submitting_text(lang),
        Step::Done { queued } => (
            t(lang, "签署完成", "Signed"),
            done_text(flow, *queued, lang),
        ),
        Step::Problem(p) => (
            match p {
                Problem::NothingToSign => t(lang, "没有需要您签署的申请", "Nothing to sign"),
                _ => t(lang, "出了点问题", "Something went wrong"),
            },
            match p {
                Problem::CardFailed => card_failed_text(lang),
                Problem::NothingToSign => t(
                    lang,
                    "现在没有等您签署的申请。可能已经签过，或者申请已经受理、结束。如有疑问，请拨打乡镇服务电话，或点“呼叫工作人员”。",
                    "No application is waiting for your signature: it may be signed already, or the application has been accepted or closed. Call the township hotline or tap \"Call staff\" if in doubt.",
                ),
                Problem::LookupFailed(_) => t(
                    lang,
                    "暂时连不上服务器，查不到需要签署的申请。请稍后再试，或点“呼叫工作人员”。",
                    "The central service cannot be reached, so the applications cannot be looked up. Try again later, or tap \"Call staff\".",
                ),
                Problem::CheckFailed(e) => match lang {
                    Lang::Zh => format!("身份没有确认：{e}。可以再试一次，或请工作人员帮助。"),
                    Lang::En => {
                        format!(
                            "Your identity was not confirmed: {e}. Try again, or ask staff for help."
                        )
                    }
                },
                Problem::NeedsWitness => needs_witness_text(lang),
                Problem::MarkFailed(e) => mark_failed_text(e, lang),
                Problem::SubmitFailed(e) => match lang {
                    Lang::Zh => format!("签名没有保存：{e}。请再签一次，或请工作人员帮助。"),
                    Lang::En => format!(
                        "The signature was not saved: {e}. Sign again, or ask staff for help."
                    ),
                },
            },
        ),
    };
    ScreenText { title, body }
}

fn relation_line(p: &PendingSignature, lang: Lang) -> String {
    let rel = match lang {
        Lang::Zh => p.relationship.label_zh(),
        Lang::En => p.relationship.label_en(),
    };
    let until = p.sign_by.map(|d| match lang {
        Lang::Zh => format!("，请在{}前签署", date(d, lang)),
        Lang::En => format!("; sign by {}", date(d, lang)),
    });
    match lang {
        Lang::Zh => format!(
            "您（{}）是申请人的：{rel}{}",
            p.signer_masked,
            until.unwrap_or_default()
        ),
        Lang::En => format!(
            "You ({}) are the applicant's: {rel}{}",
            p.signer_masked,
            until.unwrap_or_default()
        ),
    }
}

fn done_text(flow: &SignFlow, queued: bool, lang: Lang) -> String {
    let what = flow
        .chosen()
        .map(|p| case_line(p, lang))
        .unwrap_or_default();
    let sent = match (queued, lang) {
        (false, Lang::Zh) => "签名已送达乡镇。",
        (false, Lang::En) => "The signature has reached the township.",
        (true, Lang::Zh) => "网络暂时不通，签名已安全保存在本机，联网后自动送达，您不用再跑一趟。",
        (true, Lang::En) => {
            "The network is down: the signature is saved safely on this kiosk and sent automatically; you need not come again."
        }
    };
    let more = match (flow.remaining().len(), lang) {
        (0, _) => String::new(),
        (n, Lang::Zh) => format!("还有{n}份申请等您签署。"),
        (1, Lang::En) => " 1 more application waits for your signature.".into(),
        (n, Lang::En) => format!(" {n} more applications wait for your signature."),
    };
    match lang {
        Lang::Zh => format!("您已签署：{what}。{sent}{more}请取走身份证和回执。"),
        Lang::En => {
            format!("You signed: {what}. {sent}{more} Please take your ID card and the receipt.")
        }
    }
}

#[cfg(test)]
mod tests;
