//! The annual certification (待遇资格认证, domain.md §3) as a state machine.
//!
//! `CertifyFlow::handle(seq, event)` takes one event and returns the effects to carry out
//! (ask central, start the face check, submit the result …). Every screen and every operation
//! the worker runs carries a sequence number; an event with any other number is stale (a
//! double press, a late device callback, anything from before a reset) and is refused, so no
//! step can be skipped or repeated (MOSIP #971). Device errors and timeouts become a
//! [`Step::Problem`] screen with ways on (MOSIP #903).

use chrono::NaiveDate;
use jiuzhu_core::id::{IdNumber, PersonName};
use jiuzhu_drivers_api::idcard::MaskedText;

/// Failures (face and fingerprint together) after which the flow routes to staff.
pub const MAX_FAILURES: u8 = 3;

/// Who is certifying (domain.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 本人认证.
    SelfCheck,
    /// 监护人代认证: the guardian identifies themselves and gives their face.
    Guardian,
    /// 协助他人认证: a helper identifies themselves, then enters the recipient, whose face is checked.
    Assisted,
}

/// Biometric modality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modality {
    /// Face, the primary modality for the elderly.
    Face,
    /// Fingerprint, the fallback.
    Fingerprint,
}

/// The non-biometric alternative the law requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    /// A staff member witnesses the certification at the kiosk.
    StaffWitness,
    /// Staff visit the recipient at home.
    HomeVisit,
}

/// Which device an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The ID-card reader.
    IdCard,
    /// The camera / face check.
    Camera,
    /// The fingerprint reader.
    Fingerprint,
    /// The central service (network).
    Central,
    /// The receipt printer.
    Printer,
}

/// Why a biometric check did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedWhy {
    /// The check did not pass: the face's liveness, or a fingerprint that does not match.
    NotPassed,
    /// The face check found a live person who stayed the same, but the face alone did not confirm
    /// that it is the recipient (or guardian) of the reference: its similarity is under the model's
    /// confirm threshold (false accepts ≤ 0.1 %, `jiuzhu_vision::FaceModel::confirm_threshold`).
    /// The fingerprint or a staff member confirms it instead.
    NotConfirmed,
}

/// A liveness challenge shown and spoken during the face check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// Look straight at the camera.
    LookStraight,
    /// Blink.
    Blink,
    /// Turn the head left.
    TurnLeft,
    /// Turn the head right.
    TurnRight,
    /// Open the mouth.
    OpenMouth,
    /// Nod.
    Nod,
}

/// Guidance during the face check, from what the camera sees: shown and spoken before anything
/// fails (a slow, far or dimly lit resident is helped, not refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceHint {
    /// The face is small in the picture: come closer.
    ComeCloser,
    /// The face is dim: staff should turn on the light.
    TooDark,
    /// The face is over-exposed.
    TooBright,
    /// The face is turned away before the check starts.
    FaceCamera,
    /// More than one face in view.
    OneFaceOnly,
    /// The face did not look like the resident's (a hand over it, or someone else): the action in
    /// course starts again.
    UncoverFace,
    /// The asked action has not begun yet: the prompt again, unhurried.
    Remind(Challenge),
    /// The action began but stays too small (a shallow nod or turn): a little more.
    Bigger(Challenge),
    /// Every action is done; the screen's colours still need a moment on the face.
    HoldStill,
}

/// A person identified at the kiosk. `Debug` masks both fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Identity number.
    pub id: IdNumber,
    /// Name, when read from the card.
    pub name: Option<PersonName>,
    /// The card's address (the 户籍 address), when read from a resident card.
    pub address: Option<MaskedText>,
}

/// Whose identity the identify screen is asking for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The aid recipient.
    Recipient,
    /// The guardian (监护人).
    Guardian,
    /// The helper (协助人).
    Helper,
}

/// The on-site photo of the recipient in guardian mode (JPEG bytes). Biometric data: `Debug`
/// shows only its size; the flow drops it on reset.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo(pub Vec<u8>);

impl std::fmt::Debug for Photo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Photo({} bytes)", self.0.len())
    }
}

/// What central answered about the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAnswer {
    /// Whether the person currently receives aid.
    pub recipient: bool,
    /// Whether they are already certified this cycle.
    pub certified_this_cycle: bool,
    /// Date of the last certification.
    pub last_certified_on: Option<NaiveDate>,
    /// When the current certification lapses.
    pub valid_until: Option<NaiveDate>,
}

/// What central recorded for a submitted result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Date certified.
    pub certified_on: NaiveDate,
    /// Valid until.
    pub valid_until: NaiveDate,
    /// The 社会救助身份证明 code, when issued.
    pub proof_code: Option<String>,
}

/// A button the resident can press. Each screen offers a fixed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// 本人认证.
    SelfCheck,
    /// 监护人代认证.
    Guardian,
    /// 协助他人认证.
    Assisted,
    /// 同意 (biometric consent).
    Consent,
    /// 不同意，用其他方式.
    Decline,
    /// Staff witness.
    StaffWitness,
    /// Home visit.
    HomeVisit,
    /// Face (again).
    Face,
    /// Fingerprint instead.
    Fingerprint,
    /// Try the failed operation again.
    Retry,
    /// Call staff.
    CallStaff,
    /// Back to the home screen.
    Home,
    /// Print the proof.
    Print,
    /// Take the on-site photo of the recipient (guardian mode).
    TakePhoto,
    /// Take the photo again.
    Retake,
    /// Use this photo and send the result.
    UsePhoto,
}

/// One screen of the flow. Holds no personal data; the controller keeps that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Choose 本人 / 监护人代 / 协助他人.
    ChooseMode,
    /// Place the ID card or type the number, for `Role`.
    Identify(Role),
    /// Asking central whether the recipient is already certified.
    Querying,
    /// Already certified this cycle: say so and stop.
    AlreadyCertified {
        /// Date of the last certification.
        on: Option<NaiveDate>,
        /// Valid until.
        valid_until: Option<NaiveDate>,
    },
    /// Not a current recipient: nothing to certify.
    NotRecipient,
    /// Separate biometric consent, with the non-biometric alternative.
    Consent,
    /// Guardian mode's consent: the guardian's own face or fingerprint, and an on-site photo of
    /// the recipient that is sent to central as evidence.
    GuardianConsent,
    /// The person is not a registered guardian of the recipient (central said so): nothing is
    /// checked or sent.
    NotGuardian,
    /// Choose staff witness or home visit.
    ChooseAlternative,
    /// Recording the alternative with central.
    RecordingAlternative(Alternative),
    /// The alternative was recorded.
    AlternativeRecorded(Alternative),
    /// Face check running.
    Face {
        /// The challenge to perform now (`None` before the first one).
        challenge: Option<Challenge>,
        /// Challenges passed so far.
        done: u8,
        /// Challenges in total.
        total: u8,
        /// Guidance shown instead of the usual words, if any.
        hint: Option<FaceHint>,
    },
    /// Fingerprint check running.
    Fingerprint {
        /// A retry prompt from the reader (e.g. "press flat"), if any.
        prompt: Option<String>,
    },
    /// The decision is being made.
    Checking(Modality),
    /// Guardian mode, after the guardian's check passed: the camera shows the recipient; "look
    /// at the camera", then take the photo.
    Photo,
    /// The photo is being taken.
    TakingPhoto,
    /// The photo is shown: use it, or take it again.
    PhotoReview,
    /// The check did not pass; say what to do next.
    Failed {
        /// Which modality failed.
        modality: Modality,
        /// Failures so far.
        failures: u8,
        /// What was not established.
        why: FailedWhy,
    },
    /// Sending the result to central.
    Submitting,
    /// Certified.
    Certified(Recorded),
    /// The passed result is stored on this kiosk and will reach central when the network is
    /// back (offline-first: nothing is lost, the resident need not come again).
    SavedForUpload,
    /// Three failures: staff are called.
    RouteToStaff,
    /// A device or the network failed; say what happened and offer ways on.
    Problem {
        /// Which device.
        device: Device,
        /// Whether it was a timeout (nothing arrived in time).
        timeout: bool,
        /// A short technical description for staff (no personal data).
        detail: String,
    },
}

/// An event for the flow.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The resident pressed a button.
    Chose(Choice),
    /// The card reader or keypad produced an identity.
    Identified(Person),
    /// Central answered the status query.
    Status(StatusAnswer),
    /// Face check progress.
    FaceProgress {
        /// The current challenge.
        challenge: Challenge,
        /// Challenges passed so far.
        done: u8,
        /// Challenges in total.
        total: u8,
    },
    /// Face check guidance changed (None: the usual words again).
    FaceGuidance(Option<FaceHint>),
    /// The capture is over; the verdict is being computed.
    CaptureDone,
    /// A fingerprint retry prompt.
    FingerPrompt(String),
    /// The biometric verdict.
    Verdict {
        /// Liveness passed (face only, the match aside; always true for fingerprint).
        live: bool,
        /// 1:1 match confirmed: for the face, the similarity reached the model's confirm
        /// threshold (the face alone is enough); for the fingerprint, the reader's match.
        matched: bool,
        /// Score, informative.
        score: Option<f64>,
    },
    /// Central recorded the result.
    Recorded(Recorded),
    /// Central could not be reached; the result is stored in the outbox for later delivery.
    Queued,
    /// Central recorded the alternative request.
    AlternativeRecorded,
    /// The camera took the on-site photo of the recipient.
    PhotoTaken(Photo),
    /// Central refused: the person is not a registered guardian of the recipient.
    NotGuardian,
    /// A device or the network failed.
    Failed {
        /// Which device.
        device: Device,
        /// A timeout rather than a fault.
        timeout: bool,
        /// Description for staff.
        detail: String,
    },
}

/// The verdict to submit to central.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The recipient.
    pub recipient: Person,
    /// Mode.
    pub mode: Mode,
    /// Modality, `None` for the alternative paths.
    pub modality: Option<Modality>,
    /// Liveness passed.
    pub live: bool,
    /// Match passed.
    pub matched: bool,
    /// Score.
    pub score: Option<f64>,
    /// Guardian or helper.
    pub assisted_by: Option<Person>,
    /// Guardian mode: the on-site photo of the recipient (taken with consent).
    pub evidence: Option<Photo>,
}

/// Work for the worker thread or the UI. Each carries the sequence number its results must
/// come back with.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Wait for an ID card (the keypad works meanwhile).
    ReadIdCard {
        /// Sequence number.
        seq: u64,
    },
    /// Ask central whether the recipient is certified this cycle (and, in guardian mode,
    /// whether the guardian is registered for them).
    QueryStatus {
        /// Sequence number.
        seq: u64,
        /// The recipient.
        id: IdNumber,
        /// Guardian mode: the guardian.
        guardian: Option<IdNumber>,
    },
    /// Start the face check of `subject`.
    StartFace {
        /// Sequence number.
        seq: u64,
        /// Whose face.
        subject: Person,
        /// The recipient (whose record the check is for).
        recipient: IdNumber,
    },
    /// Start the fingerprint check of `subject` (the recipient, or the guardian).
    StartFingerprint {
        /// Sequence number.
        seq: u64,
        /// Whose finger.
        subject: IdNumber,
        /// The recipient (whose record the check is for).
        recipient: IdNumber,
    },
    /// Show the camera's picture for the on-site photo of the recipient.
    StartPhoto {
        /// Sequence number.
        seq: u64,
    },
    /// Take the photo from the running picture (JPEG) and stop the camera.
    TakePhoto {
        /// Sequence number.
        seq: u64,
    },
    /// Stop whatever device operation runs.
    CancelDevices,
    /// Submit a verdict (passed or failed) to central.
    Submit {
        /// Sequence number.
        seq: u64,
        /// The verdict.
        outcome: Outcome,
    },
    /// Record the non-biometric alternative with central.
    RecordAlternative {
        /// Sequence number.
        seq: u64,
        /// The recipient.
        recipient: IdNumber,
        /// Which alternative.
        kind: Alternative,
    },
    /// Print the proof.
    PrintProof {
        /// The proof code.
        code: String,
    },
    /// Ask central for another copy of a certified recipient's proof and print it (the first
    /// printout failed, or was lost).
    ReprintProof {
        /// The recipient.
        recipient: IdNumber,
    },
    /// Call staff to the kiosk.
    CallStaff,
    /// Leave the flow for the home screen (the caller wipes everything).
    GoHome,
}

/// Why an event was refused. The screen does not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The event belongs to an earlier screen or operation.
    #[error("stale event: it belongs to step {got}, the flow is at step {current}")]
    Stale {
        /// The event's number.
        got: u64,
        /// The flow's number.
        current: u64,
    },
    /// The event makes no sense on this screen.
    #[error("{event} is not expected while {step}")]
    Unexpected {
        /// The screen.
        step: String,
        /// The event.
        event: String,
    },
}

impl FlowError {
    /// Refuses an event on the screen shown, saying why.
    pub fn refused(what: &str) -> Self {
        FlowError::Unexpected {
            step: "this screen".into(),
            event: what.into(),
        }
    }

    /// Admits an event numbered `seq` on the screen numbered `current`: a stale event, or a
    /// button (`chosen`) that is not among the screen's `choices`, is refused.
    pub fn admit<C: PartialEq>(
        seq: u64,
        current: u64,
        chosen: Option<&C>,
        choices: &[C],
    ) -> Result<(), Self> {
        if seq != current {
            return Err(FlowError::Stale { got: seq, current });
        }
        match chosen {
            Some(c) if !choices.contains(c) => {
                Err(Self::refused("that button is not on this screen"))
            }
            _ => Ok(()),
        }
    }
}

/// The certification flow of one resident. `reset` wipes every personal field.
#[derive(Debug, Clone)]
pub struct CertifyFlow {
    step: Step,
    seq: u64,
    mode: Mode,
    recipient: Option<Person>,
    helper: Option<Person>,
    failures: u8,
    /// The operation a Retry on a Problem screen repeats.
    retry: Option<Step>,
    pending: Option<(Modality, bool, bool, Option<f64>)>,
    photo: Option<Photo>,
    /// A printer is configured: the proof is printed as soon as the check is recorded.
    print_on_success: bool,
    /// Why the latest biometric check failed (the staff call says so).
    last_failed: Option<FailedWhy>,
}

impl Default for CertifyFlow {
    fn default() -> Self {
        Self::new()
    }
}

impl CertifyFlow {
    /// A flow at the mode choice.
    pub fn new() -> Self {
        Self {
            step: Step::ChooseMode,
            seq: 1,
            mode: Mode::SelfCheck,
            recipient: None,
            helper: None,
            failures: 0,
            last_failed: None,
            retry: None,
            pending: None,
            photo: None,
            print_on_success: false,
        }
    }

    /// With a printer configured, the proof is printed without a tap once the check is
    /// recorded (the button then prints another copy).
    pub fn set_print_on_success(&mut self, on: bool) {
        self.print_on_success = on;
    }

    /// Whether the proof is printed without a tap.
    pub fn prints_on_success(&self) -> bool {
        self.print_on_success
    }

    /// The current screen.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The current sequence number; UI presses and worker results must carry it.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The chosen mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Biometric failures so far.
    pub fn failures(&self) -> u8 {
        self.failures
    }

    /// The identified recipient, if any.
    pub fn recipient(&self) -> Option<&Person> {
        self.recipient.as_ref()
    }

    /// The identified guardian or helper, if any.
    pub fn helper(&self) -> Option<&Person> {
        self.helper.as_ref()
    }

    /// Whether the flow holds any personal data.
    pub fn holds_personal_data(&self) -> bool {
        self.recipient.is_some()
            || self.helper.is_some()
            || self.pending.is_some()
            || self.photo.is_some()
    }

    /// Wipes every personal field and returns to the mode choice. The sequence number keeps
    /// increasing, so nothing from before the reset is accepted afterwards.
    pub fn reset(&mut self) -> Vec<Effect> {
        let seq = self.seq + 1;
        let print = self.print_on_success;
        *self = Self::new();
        self.seq = seq;
        self.print_on_success = print;
        vec![Effect::CancelDevices]
    }

    /// The screen name a staff call from this flow carries (`jiuzhu_core::help_call`): staff see
    /// at their desk that the resident's face was live but not confirmed, so they come to check the
    /// ID card against the person, rather than for a generic failure.
    pub fn help_screen(&self) -> &'static str {
        match self.last_failed {
            Some(FailedWhy::NotConfirmed) => "certify_not_confirmed",
            _ => "certify_route_to_staff",
        }
    }

    /// The buttons the current screen offers.
    pub fn choices(&self) -> Vec<Choice> {
        use Choice as C;
        match &self.step {
            Step::ChooseMode => vec![C::SelfCheck, C::Guardian, C::Assisted, C::Home],
            Step::Identify(_) => vec![C::Home],
            Step::Querying | Step::Submitting | Step::RecordingAlternative(_) => vec![],
            Step::Checking(_) => vec![],
            Step::AlreadyCertified { .. } => vec![C::Print, C::Home],
            Step::NotRecipient => vec![C::Home],
            Step::Consent | Step::GuardianConsent => vec![C::Consent, C::Decline],
            Step::NotGuardian => vec![C::Home, C::CallStaff],
            Step::Photo => vec![C::TakePhoto, C::CallStaff],
            Step::TakingPhoto => vec![],
            Step::PhotoReview => vec![C::UsePhoto, C::Retake, C::CallStaff],
            Step::ChooseAlternative => vec![C::StaffWitness, C::HomeVisit, C::Home],
            Step::AlternativeRecorded(_) => vec![C::Home],
            Step::Face { .. } => vec![C::Fingerprint, C::CallStaff],
            Step::Fingerprint { .. } => vec![C::CallStaff],
            // the face again would most likely give the same similarity: the second factor first
            Step::Failed {
                why: FailedWhy::NotConfirmed,
                ..
            } => vec![C::Fingerprint, C::CallStaff, C::Face],
            Step::Failed { .. } => vec![C::Face, C::Fingerprint, C::CallStaff],
            Step::Certified(r) if r.proof_code.is_some() => vec![C::Print, C::Home],
            Step::Certified(_) => vec![C::Home],
            Step::RouteToStaff | Step::SavedForUpload => vec![C::Home],
            Step::Problem { .. } => {
                let mut v = vec![C::Retry];
                if matches!(self.retry, Some(Step::Face { .. })) {
                    v.push(C::Fingerprint);
                }
                v.extend([C::CallStaff, C::Home]);
                v
            }
        }
    }

    /// Starts the flow: the mode choice screen.
    pub fn start(&mut self) -> Vec<Effect> {
        let mut e = self.reset();
        e.retain(|e| *e != Effect::CancelDevices);
        e
    }

    fn go(&mut self, step: Step) -> u64 {
        self.seq += 1;
        self.step = step;
        self.seq
    }

    fn unexpected(&self, event: &Event) -> FlowError {
        let event = match event {
            Event::Identified(_) => "Identified".to_string(),
            other => format!("{other:?}"),
        };
        FlowError::Unexpected {
            step: format!("{:?}", self.step),
            event,
        }
    }

    /// Handles one event carrying sequence number `seq`.
    pub fn handle(&mut self, seq: u64, event: Event) -> Result<Vec<Effect>, FlowError> {
        if seq != self.seq {
            return Err(FlowError::Stale {
                got: seq,
                current: self.seq,
            });
        }
        if let Event::Chose(c) = &event
            && !self.choices().contains(c)
        {
            return Err(self.unexpected(&event));
        }
        match event {
            Event::Chose(Choice::Home) => {
                let mut e = self.reset();
                e.push(Effect::GoHome);
                Ok(e)
            }
            Event::Chose(Choice::CallStaff) => {
                self.go(Step::RouteToStaff);
                Ok(vec![Effect::CancelDevices, Effect::CallStaff])
            }
            Event::Chose(Choice::Print) => match &self.step {
                Step::Certified(Recorded {
                    proof_code: Some(code),
                    ..
                }) => Ok(vec![Effect::PrintProof { code: code.clone() }]),
                Step::AlreadyCertified { .. } => match &self.recipient {
                    Some(r) => Ok(vec![Effect::ReprintProof {
                        recipient: r.id.clone(),
                    }]),
                    None => Err(self.unexpected(&event)),
                },
                _ => Err(self.unexpected(&event)),
            },
            Event::Chose(mode @ (Choice::SelfCheck | Choice::Guardian | Choice::Assisted)) => {
                self.mode = match mode {
                    Choice::Guardian => Mode::Guardian,
                    Choice::Assisted => Mode::Assisted,
                    _ => Mode::SelfCheck,
                };
                let role = match self.mode {
                    Mode::Assisted => Role::Helper,
                    Mode::Guardian => Role::Guardian,
                    Mode::SelfCheck => Role::Recipient,
                };
                let seq = self.go(Step::Identify(role));
                Ok(vec![Effect::ReadIdCard { seq }])
            }
            Event::Identified(person) => self.on_identified(person),
            Event::Status(answer) if self.step == Step::Querying => Ok(self.on_status(answer)),
            Event::Chose(Choice::Consent) => Ok(self.start_face()),
            Event::Chose(Choice::Decline) => {
                self.go(Step::ChooseAlternative);
                Ok(vec![])
            }
            Event::Chose(kind @ (Choice::StaffWitness | Choice::HomeVisit)) => {
                let kind = if kind == Choice::StaffWitness {
                    Alternative::StaffWitness
                } else {
                    Alternative::HomeVisit
                };
                Ok(self.record_alternative(kind))
            }
            Event::AlternativeRecorded => match self.step {
                Step::RecordingAlternative(kind) => {
                    self.go(Step::AlternativeRecorded(kind));
                    let mut e = vec![];
                    if kind == Alternative::StaffWitness {
                        e.push(Effect::CallStaff);
                    }
                    Ok(e)
                }
                _ => Err(self.unexpected(&event)),
            },
            Event::Chose(Choice::Face) => Ok(self.start_face()),
            Event::Chose(Choice::Fingerprint) => {
                let mut e = vec![];
                if matches!(self.step, Step::Face { .. }) {
                    e.push(Effect::CancelDevices);
                }
                e.extend(self.start_fingerprint());
                Ok(e)
            }
            Event::Chose(Choice::Retry) => Ok(self.retry()),
            Event::Chose(Choice::TakePhoto) => {
                let seq = self.go(Step::TakingPhoto);
                Ok(vec![Effect::TakePhoto { seq }])
            }
            Event::PhotoTaken(photo) if self.step == Step::TakingPhoto => {
                self.photo = Some(photo);
                self.go(Step::PhotoReview);
                Ok(vec![])
            }
            Event::Chose(Choice::Retake) => {
                self.photo = None;
                Ok(self.start_photo())
            }
            Event::Chose(Choice::UsePhoto) => Ok(self.submit()),
            Event::NotGuardian if matches!(self.step, Step::Querying | Step::Submitting) => {
                self.pending = None;
                self.photo = None;
                self.go(Step::NotGuardian);
                Ok(vec![Effect::CancelDevices])
            }
            Event::FaceProgress {
                challenge,
                done,
                total,
            } if matches!(self.step, Step::Face { .. }) => {
                // Progress within one face check keeps the sequence number.
                self.step = Step::Face {
                    challenge: Some(challenge),
                    done: done.min(total),
                    total,
                    hint: None,
                };
                Ok(vec![])
            }
            Event::FaceGuidance(h) => {
                if let Step::Face { hint, .. } = &mut self.step {
                    *hint = h;
                }
                // guidance arriving after the check ended is dropped: it only ever changes words
                Ok(vec![])
            }
            Event::FingerPrompt(p) if matches!(self.step, Step::Fingerprint { .. }) => {
                self.step = Step::Fingerprint { prompt: Some(p) };
                Ok(vec![])
            }
            Event::CaptureDone => match self.step {
                Step::Face { .. } => {
                    self.step = Step::Checking(Modality::Face);
                    Ok(vec![])
                }
                Step::Fingerprint { .. } => {
                    self.step = Step::Checking(Modality::Fingerprint);
                    Ok(vec![])
                }
                _ => Err(self.unexpected(&event)),
            },
            Event::Verdict {
                live,
                matched,
                score,
            } => {
                let modality = match self.step {
                    Step::Face { .. } | Step::Checking(Modality::Face) => Modality::Face,
                    Step::Fingerprint { .. } | Step::Checking(Modality::Fingerprint) => {
                        Modality::Fingerprint
                    }
                    _ => return Err(self.unexpected(&event)),
                };
                Ok(self.on_verdict(modality, live, matched, score))
            }
            Event::Recorded(r) if self.step == Step::Submitting => {
                if self.pending.take().is_some_and(|p| p.1 && p.2) {
                    let print = match (&r.proof_code, self.print_on_success) {
                        (Some(code), true) => vec![Effect::PrintProof { code: code.clone() }],
                        _ => vec![],
                    };
                    self.go(Step::Certified(r));
                    Ok(print)
                } else {
                    // A failed attempt was recorded; the failure screen was already decided.
                    self.go(Step::RouteToStaff);
                    Ok(vec![])
                }
            }
            Event::Queued if self.step == Step::Submitting => {
                if self.pending.take().is_some_and(|p| p.1 && p.2) {
                    self.go(Step::SavedForUpload);
                } else {
                    self.go(Step::RouteToStaff);
                }
                Ok(vec![])
            }
            Event::Failed {
                device,
                timeout,
                detail,
            } => {
                let busy = matches!(
                    self.step,
                    Step::Identify(_)
                        | Step::Querying
                        | Step::Submitting
                        | Step::RecordingAlternative(_)
                        | Step::Face { .. }
                        | Step::Fingerprint { .. }
                        | Step::Checking(_)
                        | Step::Photo
                        | Step::TakingPhoto
                );
                if !busy {
                    return Err(FlowError::Unexpected {
                        step: format!("{:?}", self.step),
                        event: "Failed".into(),
                    });
                }
                let retry = match &self.step {
                    Step::Checking(Modality::Face) => Step::Face {
                        challenge: None,
                        done: 0,
                        total: 0,
                        hint: None,
                    },
                    Step::Checking(Modality::Fingerprint) => Step::Fingerprint { prompt: None },
                    Step::TakingPhoto => Step::Photo,
                    other => other.clone(),
                };
                self.retry = Some(retry);
                self.go(Step::Problem {
                    device,
                    timeout,
                    detail,
                });
                Ok(vec![Effect::CancelDevices])
            }
            other => Err(self.unexpected(&other)),
        }
    }

    fn on_identified(&mut self, person: Person) -> Result<Vec<Effect>, FlowError> {
        let Step::Identify(role) = self.step else {
            return Err(FlowError::Unexpected {
                step: format!("{:?}", self.step),
                event: "Identified".into(),
            });
        };
        match role {
            Role::Recipient => {
                if self.helper.as_ref().is_some_and(|h| h.id == person.id) {
                    // The helper cannot certify themselves as someone else.
                    return Err(FlowError::Unexpected {
                        step: "Identify(Recipient)".into(),
                        event: "Identified (the helper's own card)".into(),
                    });
                }
                let id = person.id.clone();
                self.recipient = Some(person);
                let seq = self.go(Step::Querying);
                Ok(vec![Effect::QueryStatus {
                    seq,
                    id,
                    guardian: self.guardian_id(),
                }])
            }
            Role::Helper => {
                self.helper = Some(person);
                let seq = self.go(Step::Identify(Role::Recipient));
                Ok(vec![Effect::ReadIdCard { seq }])
            }
            Role::Guardian => {
                // The guardian first, then the recipient (whose card must be another one).
                self.helper = Some(person);
                let seq = self.go(Step::Identify(Role::Recipient));
                Ok(vec![Effect::ReadIdCard { seq }])
            }
        }
    }

    fn on_status(&mut self, a: StatusAnswer) -> Vec<Effect> {
        if !a.recipient {
            self.go(Step::NotRecipient);
        } else if a.certified_this_cycle {
            self.go(Step::AlreadyCertified {
                on: a.last_certified_on,
                valid_until: a.valid_until,
            });
        } else if self.mode == Mode::Guardian {
            self.go(Step::GuardianConsent);
        } else {
            self.go(Step::Consent);
        }
        vec![]
    }

    fn start_face(&mut self) -> Vec<Effect> {
        let (Some(recipient), Some(subject)) = (self.recipient.clone(), self.face_subject()) else {
            return vec![];
        };
        let seq = self.go(Step::Face {
            challenge: None,
            done: 0,
            total: 0,
            hint: None,
        });
        vec![Effect::StartFace {
            seq,
            subject,
            recipient: recipient.id,
        }]
    }

    fn face_subject(&self) -> Option<Person> {
        match self.mode {
            Mode::Guardian => self.helper.clone(),
            Mode::SelfCheck | Mode::Assisted => self.recipient.clone(),
        }
    }

    fn guardian_id(&self) -> Option<IdNumber> {
        match self.mode {
            Mode::Guardian => self.helper.as_ref().map(|h| h.id.clone()),
            Mode::SelfCheck | Mode::Assisted => None,
        }
    }

    fn start_fingerprint(&mut self) -> Vec<Effect> {
        let (Some(recipient), Some(subject)) = (self.recipient.clone(), self.face_subject()) else {
            return vec![];
        };
        let seq = self.go(Step::Fingerprint { prompt: None });
        vec![Effect::StartFingerprint {
            seq,
            subject: subject.id,
            recipient: recipient.id,
        }]
    }

    fn start_photo(&mut self) -> Vec<Effect> {
        let seq = self.go(Step::Photo);
        vec![Effect::StartPhoto { seq }]
    }

    fn record_alternative(&mut self, kind: Alternative) -> Vec<Effect> {
        let Some(r) = self.recipient.clone() else {
            return vec![];
        };
        let seq = self.go(Step::RecordingAlternative(kind));
        vec![Effect::RecordAlternative {
            seq,
            recipient: r.id,
            kind,
        }]
    }

    fn submit(&mut self) -> Vec<Effect> {
        let (Some(recipient), Some((modality, live, matched, score))) =
            (self.recipient.clone(), self.pending)
        else {
            return vec![];
        };
        let passed = live && matched;
        let evidence = if self.mode == Mode::Guardian && passed {
            match self.photo.clone() {
                Some(p) => Some(p),
                // A passed guardian check goes nowhere without the photo of the recipient.
                None => return self.start_photo(),
            }
        } else {
            None
        };
        let seq = self.go(Step::Submitting);
        vec![Effect::Submit {
            seq,
            outcome: Outcome {
                recipient,
                mode: self.mode,
                modality: Some(modality),
                live,
                matched,
                score,
                assisted_by: self.helper.clone(),
                evidence,
            },
        }]
    }

    fn on_verdict(
        &mut self,
        modality: Modality,
        live: bool,
        matched: bool,
        score: Option<f64>,
    ) -> Vec<Effect> {
        self.pending = Some((modality, live, matched, score));
        if live && matched {
            // an earlier failure no longer describes the resident
            self.last_failed = None;
            return self.submit();
        }
        self.failures += 1;
        let why = if modality == Modality::Face && live && !matched {
            FailedWhy::NotConfirmed
        } else {
            FailedWhy::NotPassed
        };
        self.last_failed = Some(why);
        if self.failures >= MAX_FAILURES {
            // The third failure is recorded and staff are called.
            let mut e = self.submit();
            e.push(Effect::CallStaff);
            return e;
        }
        self.pending = None;
        self.go(Step::Failed {
            modality,
            failures: self.failures,
            why,
        });
        vec![]
    }

    fn retry(&mut self) -> Vec<Effect> {
        match self.retry.take() {
            Some(Step::Identify(role)) => {
                let seq = self.go(Step::Identify(role));
                vec![Effect::ReadIdCard { seq }]
            }
            Some(Step::Querying) => {
                let Some(id) = self.recipient.as_ref().map(|r| r.id.clone()) else {
                    return vec![];
                };
                let seq = self.go(Step::Querying);
                vec![Effect::QueryStatus {
                    seq,
                    id,
                    guardian: self.guardian_id(),
                }]
            }
            Some(Step::Photo) => self.start_photo(),
            Some(Step::Face { .. }) => self.start_face(),
            Some(Step::Fingerprint { .. }) => self.start_fingerprint(),
            Some(Step::Submitting) => self.submit(),
            Some(Step::RecordingAlternative(kind)) => self.record_alternative(kind),
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const RECIPIENT: &str = "11010519491231002X";
    const HELPER: &str = "500102198001011231";

    fn person(id: &str) -> Person {
        let id = IdNumber::parse_at(id, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        Person {
            id,
            name: Some(PersonName::new("张三").unwrap()),
            address: None,
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn due() -> StatusAnswer {
        StatusAnswer {
            recipient: true,
            certified_this_cycle: false,
            last_certified_on: Some(d(2025, 11, 2)),
            valid_until: Some(d(2026, 11, 2)),
        }
    }

    fn recorded(proof: bool) -> Recorded {
        Recorded {
            certified_on: d(2026, 11, 27),
            valid_until: d(2027, 11, 27),
            proof_code: proof.then(|| "JZ1-ABCDEF".to_string()),
        }
    }

    /// Sends an event with the flow's current number; panics when refused.
    fn send(f: &mut CertifyFlow, e: Event) -> Vec<Effect> {
        let seq = f.seq();
        f.handle(seq, e.clone())
            .unwrap_or_else(|err| panic!("{e:?} refused at {:?}: {err}", f.step()))
    }

    fn choose(f: &mut CertifyFlow, c: Choice) -> Vec<Effect> {
        send(f, Event::Chose(c))
    }

    /// A self-check flow at the consent screen.
    fn at_consent() -> CertifyFlow {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::SelfCheck);
        send(&mut f, Event::Identified(person(RECIPIENT)));
        send(&mut f, Event::Status(due()));
        assert_eq!(f.step(), &Step::Consent);
        f
    }

    fn verdict(ok: bool) -> Event {
        Event::Verdict {
            live: true,
            matched: ok,
            score: Some(if ok { 0.8 } else { 0.2 }),
        }
    }

    #[test]
    fn self_check_by_face_passes_and_offers_the_proof() {
        let mut f = CertifyFlow::new();
        let e = choose(&mut f, Choice::SelfCheck);
        assert!(matches!(e[..], [Effect::ReadIdCard { .. }]));
        assert_eq!(f.step(), &Step::Identify(Role::Recipient));
        let e = send(&mut f, Event::Identified(person(RECIPIENT)));
        assert!(
            matches!(&e[..], [Effect::QueryStatus { seq, id, guardian: None }] if *seq == f.seq() && id.as_unmasked_str() == RECIPIENT)
        );
        send(&mut f, Event::Status(due()));
        let e = choose(&mut f, Choice::Consent);
        assert!(
            matches!(&e[..], [Effect::StartFace { subject, .. }] if subject.id.as_unmasked_str() == RECIPIENT)
        );
        let face_seq = f.seq();
        send(
            &mut f,
            Event::FaceProgress {
                challenge: Challenge::Blink,
                done: 1,
                total: 3,
            },
        );
        assert_eq!(f.seq(), face_seq, "progress keeps the operation's number");
        assert_eq!(
            f.step(),
            &Step::Face {
                challenge: Some(Challenge::Blink),
                done: 1,
                total: 3,
                hint: None,
            }
        );
        send(&mut f, Event::FaceGuidance(Some(FaceHint::TooDark)));
        assert_eq!(f.seq(), face_seq, "guidance keeps the operation's number");
        assert!(matches!(
            f.step(),
            Step::Face {
                hint: Some(FaceHint::TooDark),
                done: 1,
                ..
            }
        ));
        send(
            &mut f,
            Event::FaceProgress {
                challenge: Challenge::Nod,
                done: 2,
                total: 3,
            },
        );
        assert!(
            matches!(f.step(), Step::Face { hint: None, .. }),
            "a new challenge shows its own words"
        );
        send(&mut f, Event::CaptureDone);
        assert_eq!(f.step(), &Step::Checking(Modality::Face));
        let e = send(&mut f, verdict(true));
        let [Effect::Submit { outcome, .. }] = &e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(outcome.mode, Mode::SelfCheck);
        assert_eq!(outcome.modality, Some(Modality::Face));
        assert!(outcome.matched && outcome.live && outcome.assisted_by.is_none());
        send(&mut f, Event::Recorded(recorded(true)));
        assert_eq!(f.step(), &Step::Certified(recorded(true)));
        assert_eq!(f.choices(), vec![Choice::Print, Choice::Home]);
        let e = choose(&mut f, Choice::Print);
        assert_eq!(
            e,
            vec![Effect::PrintProof {
                code: "JZ1-ABCDEF".into()
            }]
        );
        let e = choose(&mut f, Choice::Home);
        assert!(e.contains(&Effect::GoHome));
        assert!(!f.holds_personal_data());
    }

    #[rstest]
    #[case(true, Some(d(2026, 3, 14)))]
    #[case(true, None)]
    fn already_certified_says_when_and_stops(
        #[case] certified: bool,
        #[case] on: Option<NaiveDate>,
    ) {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::SelfCheck);
        send(&mut f, Event::Identified(person(RECIPIENT)));
        let e = send(
            &mut f,
            Event::Status(StatusAnswer {
                certified_this_cycle: certified,
                last_certified_on: on,
                valid_until: Some(d(2027, 3, 14)),
                ..due()
            }),
        );
        assert!(e.is_empty(), "no biometric check is started: {e:?}");
        assert_eq!(
            f.step(),
            &Step::AlreadyCertified {
                on,
                valid_until: Some(d(2027, 3, 14))
            }
        );
        assert_eq!(f.choices(), vec![Choice::Print, Choice::Home]);
        // Another copy of the proof can be printed; the screen stays.
        let e = send(&mut f, Event::Chose(Choice::Print));
        assert!(
            matches!(&e[..], [Effect::ReprintProof { recipient }] if recipient.as_unmasked_str() == RECIPIENT),
            "{e:?}"
        );
        assert!(matches!(f.step(), Step::AlreadyCertified { .. }));
    }

    #[test]
    fn not_a_recipient_stops() {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::SelfCheck);
        send(&mut f, Event::Identified(person(RECIPIENT)));
        send(
            &mut f,
            Event::Status(StatusAnswer {
                recipient: false,
                ..due()
            }),
        );
        assert_eq!(f.step(), &Step::NotRecipient);
    }

    #[rstest]
    #[case(Choice::StaffWitness, Alternative::StaffWitness, true)]
    #[case(Choice::HomeVisit, Alternative::HomeVisit, false)]
    fn declined_consent_offers_and_records_the_alternative(
        #[case] choice: Choice,
        #[case] kind: Alternative,
        #[case] calls_staff: bool,
    ) {
        let mut f = at_consent();
        assert_eq!(choose(&mut f, Choice::Decline), vec![]);
        assert_eq!(f.step(), &Step::ChooseAlternative);
        let e = choose(&mut f, choice);
        assert!(matches!(&e[..], [Effect::RecordAlternative { kind: k, .. }] if *k == kind));
        let e = send(&mut f, Event::AlternativeRecorded);
        assert_eq!(e.contains(&Effect::CallStaff), calls_staff);
        assert_eq!(f.step(), &Step::AlternativeRecorded(kind));
    }

    #[test]
    fn face_fails_three_times_then_staff() {
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        send(&mut f, verdict(false));
        assert_eq!(
            f.step(),
            &Step::Failed {
                modality: Modality::Face,
                failures: 1,
                why: FailedWhy::NotConfirmed,
            }
        );
        choose(&mut f, Choice::Face);
        send(
            &mut f,
            Event::Verdict {
                live: false,
                matched: true,
                score: None,
            },
        );
        assert_eq!(f.failures(), 2, "a failed liveness check counts");
        assert!(
            matches!(
                f.step(),
                Step::Failed {
                    why: FailedWhy::NotPassed,
                    ..
                }
            ),
            "{:?}",
            f.step()
        );
        choose(&mut f, Choice::Face);
        let e = send(&mut f, verdict(false));
        assert!(e.contains(&Effect::CallStaff), "{e:?}");
        let submitted = e.iter().find_map(|e| match e {
            Effect::Submit { outcome, .. } => Some(outcome.clone()),
            _ => None,
        });
        assert!(
            submitted.is_some_and(|o| !o.matched),
            "the failure is recorded"
        );
        send(&mut f, Event::Recorded(recorded(false)));
        assert_eq!(f.step(), &Step::RouteToStaff);
    }

    /// A live face whose match the face alone cannot confirm (FaceNet between 0.60 and 0.77): the
    /// second factor is offered first, it counts as an attempt, and the fingerprint certifies.
    #[test]
    fn an_unconfirmed_face_offers_the_fingerprint_first_and_it_certifies() {
        // a FaceNet similarity of 0.70: over the match threshold, under the confirm threshold
        let face = |live| Event::Verdict {
            live,
            matched: false,
            score: Some(0.70),
        };
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        let e = send(&mut f, face(true));
        assert!(e.is_empty(), "nothing is submitted yet: {e:?}");
        assert_eq!(
            f.step(),
            &Step::Failed {
                modality: Modality::Face,
                failures: 1,
                why: FailedWhy::NotConfirmed,
            }
        );
        assert_eq!(
            f.choices(),
            vec![Choice::Fingerprint, Choice::CallStaff, Choice::Face]
        );
        // a face that is not live is a plain failure, with the face again first
        let mut g = at_consent();
        choose(&mut g, Choice::Consent);
        send(&mut g, face(false));
        assert_eq!(
            g.choices(),
            vec![Choice::Face, Choice::Fingerprint, Choice::CallStaff]
        );
        // a fingerprint that does not match is never "not confirmed"
        choose(&mut g, Choice::Fingerprint);
        send(&mut g, verdict(false));
        assert!(matches!(
            g.step(),
            Step::Failed {
                modality: Modality::Fingerprint,
                why: FailedWhy::NotPassed,
                ..
            }
        ));
        // a staff call from here tells staff to check the ID; a plain failure does not
        assert_eq!(f.help_screen(), "certify_not_confirmed");
        assert_eq!(g.help_screen(), "certify_route_to_staff");
        // the fingerprint confirms the person the face could not
        assert!(matches!(
            &choose(&mut f, Choice::Fingerprint)[..],
            [Effect::StartFingerprint { .. }]
        ));
        send(&mut f, Event::CaptureDone);
        let e = send(&mut f, verdict(true));
        assert!(
            matches!(&e[..], [Effect::Submit { outcome, .. }]
                if outcome.matched && outcome.modality == Some(Modality::Fingerprint)),
            "{e:?}"
        );
    }

    /// A guardian whose face was not confirmed, then confirmed: a staff call from the photo step
    /// no longer says "not confirmed".
    #[test]
    fn a_confirmed_face_clears_the_not_confirmed_staff_call() {
        let mut f = guardian_at_consent();
        choose(&mut f, Choice::Consent);
        send(
            &mut f,
            Event::Verdict {
                live: true,
                matched: false,
                score: Some(0.70),
            },
        );
        assert_eq!(f.help_screen(), "certify_not_confirmed");
        choose(&mut f, Choice::Face);
        send(&mut f, verdict(true));
        assert_eq!(f.step(), &Step::Photo);
        choose(&mut f, Choice::CallStaff);
        assert_eq!(f.step(), &Step::RouteToStaff);
        assert_eq!(f.help_screen(), "certify_route_to_staff");
    }

    /// With a printer the proof comes out without a tap, and the reset keeps the setting.
    #[test]
    fn with_a_printer_the_proof_prints_without_a_tap() {
        let mut f = at_consent();
        f.set_print_on_success(true);
        choose(&mut f, Choice::Consent);
        send(&mut f, Event::CaptureDone);
        send(&mut f, verdict(true));
        let e = send(&mut f, Event::Recorded(recorded(true)));
        assert_eq!(
            e,
            vec![Effect::PrintProof {
                code: "JZ1-ABCDEF".into()
            }]
        );
        assert_eq!(f.choices(), vec![Choice::Print, Choice::Home]);
        f.reset();
        assert!(f.prints_on_success());
        // no proof code (nothing to print): nothing printed
        let mut f = at_consent();
        f.set_print_on_success(true);
        choose(&mut f, Choice::Consent);
        send(&mut f, Event::CaptureDone);
        send(&mut f, verdict(true));
        assert!(send(&mut f, Event::Recorded(recorded(false))).is_empty());
    }

    #[test]
    fn fingerprint_fallback_after_a_face_failure() {
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        send(&mut f, verdict(false));
        let e = choose(&mut f, Choice::Fingerprint);
        assert!(matches!(&e[..], [Effect::StartFingerprint { .. }]));
        send(&mut f, Event::FingerPrompt("请按实".into()));
        assert_eq!(
            f.step(),
            &Step::Fingerprint {
                prompt: Some("请按实".into())
            }
        );
        send(&mut f, Event::CaptureDone);
        assert_eq!(f.step(), &Step::Checking(Modality::Fingerprint));
        let e = send(&mut f, verdict(true));
        assert!(
            matches!(&e[..], [Effect::Submit { outcome, .. }] if outcome.modality == Some(Modality::Fingerprint))
        );
        send(&mut f, Event::Recorded(recorded(false)));
        assert_eq!(f.step(), &Step::Certified(recorded(false)));
        assert_eq!(f.choices(), vec![Choice::Home]);
    }

    #[test]
    fn fingerprint_by_choice_during_the_face_check_cancels_the_camera() {
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        let e = choose(&mut f, Choice::Fingerprint);
        assert_eq!(e[0], Effect::CancelDevices);
        assert!(matches!(e[1], Effect::StartFingerprint { .. }));
    }

    /// A guardian-mode flow at the guardian's consent: guardian's card, then the recipient's.
    fn guardian_at_consent() -> CertifyFlow {
        let mut f = CertifyFlow::new();
        let e = choose(&mut f, Choice::Guardian);
        assert!(matches!(e[..], [Effect::ReadIdCard { .. }]));
        assert_eq!(f.step(), &Step::Identify(Role::Guardian));
        let e = send(&mut f, Event::Identified(person(HELPER)));
        assert!(matches!(e[..], [Effect::ReadIdCard { .. }]));
        assert_eq!(f.step(), &Step::Identify(Role::Recipient));
        // The guardian's own card again is not the recipient.
        let seq = f.seq();
        assert!(f.handle(seq, Event::Identified(person(HELPER))).is_err());
        let e = send(&mut f, Event::Identified(person(RECIPIENT)));
        assert!(
            matches!(&e[..], [Effect::QueryStatus { id, guardian: Some(g), .. }]
                if id.as_unmasked_str() == RECIPIENT && g.as_unmasked_str() == HELPER),
            "central is asked about the guardian too: {e:?}"
        );
        send(&mut f, Event::Status(due()));
        assert_eq!(f.step(), &Step::GuardianConsent);
        assert_eq!(f.choices(), vec![Choice::Consent, Choice::Decline]);
        f
    }

    fn jpeg() -> Photo {
        Photo(vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9])
    }

    #[test]
    fn guardian_mode_checks_the_guardian_then_photographs_the_recipient() {
        let mut f = guardian_at_consent();
        let e = choose(&mut f, Choice::Consent);
        assert!(
            matches!(&e[..], [Effect::StartFace { subject, recipient, .. }]
                if subject.id.as_unmasked_str() == HELPER && recipient.as_unmasked_str() == RECIPIENT),
            "the guardian's face, for the recipient's record: {e:?}"
        );
        send(&mut f, Event::CaptureDone);
        // The guardian passed: no submission yet, the camera shows the recipient.
        let e = send(&mut f, verdict(true));
        let [Effect::StartPhoto { seq }] = e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(seq, f.seq());
        assert_eq!(f.step(), &Step::Photo);
        assert_eq!(f.choices(), vec![Choice::TakePhoto, Choice::CallStaff]);
        let e = choose(&mut f, Choice::TakePhoto);
        assert_eq!(e, vec![Effect::TakePhoto { seq: f.seq() }]);
        assert_eq!(f.step(), &Step::TakingPhoto);
        assert!(
            f.choices().is_empty(),
            "no double press while the photo is taken"
        );
        send(&mut f, Event::PhotoTaken(jpeg()));
        assert_eq!(f.step(), &Step::PhotoReview);
        assert_eq!(
            f.choices(),
            vec![Choice::UsePhoto, Choice::Retake, Choice::CallStaff]
        );
        let e = choose(&mut f, Choice::UsePhoto);
        let [Effect::Submit { outcome, .. }] = &e[..] else {
            panic!("{e:?}")
        };
        assert_eq!(outcome.mode, Mode::Guardian);
        assert_eq!(outcome.recipient.id.as_unmasked_str(), RECIPIENT);
        assert_eq!(
            outcome.assisted_by.as_ref().map(|p| p.id.as_unmasked_str()),
            Some(HELPER)
        );
        assert_eq!(outcome.evidence, Some(jpeg()));
        assert!(
            !format!("{outcome:?}").contains("255, 216"),
            "the photo is not in Debug"
        );
        send(&mut f, Event::Recorded(recorded(true)));
        assert!(matches!(f.step(), Step::Certified(_)));
        assert!(f.holds_personal_data());
        f.reset();
        assert!(!f.holds_personal_data(), "the photo is wiped with the rest");
    }

    #[test]
    fn the_photo_can_be_retaken_and_a_late_photo_is_refused() {
        let mut f = guardian_at_consent();
        choose(&mut f, Choice::Consent);
        send(&mut f, verdict(true));
        choose(&mut f, Choice::TakePhoto);
        let taking = f.seq();
        send(&mut f, Event::PhotoTaken(Photo(vec![1])));
        let e = choose(&mut f, Choice::Retake);
        assert!(matches!(e[..], [Effect::StartPhoto { .. }]));
        assert_eq!(f.step(), &Step::Photo);
        // The first photo arriving again (late) is refused.
        assert!(matches!(
            f.handle(taking, Event::PhotoTaken(Photo(vec![1]))),
            Err(FlowError::Stale { .. })
        ));
        // A photo while the preview runs, before "take", is refused too.
        let seq = f.seq();
        assert!(f.handle(seq, Event::PhotoTaken(Photo(vec![1]))).is_err());
        choose(&mut f, Choice::TakePhoto);
        send(&mut f, Event::PhotoTaken(jpeg()));
        let e = choose(&mut f, Choice::UsePhoto);
        assert!(
            matches!(&e[..], [Effect::Submit { outcome, .. }] if outcome.evidence == Some(jpeg())),
            "the retaken photo is sent"
        );
    }

    #[test]
    fn a_camera_problem_while_photographing_retries_the_photo_not_the_check() {
        let mut f = guardian_at_consent();
        choose(&mut f, Choice::Consent);
        send(&mut f, verdict(true));
        choose(&mut f, Choice::TakePhoto);
        send(
            &mut f,
            Event::Failed {
                device: Device::Camera,
                timeout: true,
                detail: "no frame".into(),
            },
        );
        assert!(matches!(f.step(), Step::Problem { .. }));
        assert!(!f.choices().contains(&Choice::Fingerprint));
        let e = choose(&mut f, Choice::Retry);
        assert!(matches!(e[..], [Effect::StartPhoto { .. }]), "{e:?}");
        assert_eq!(f.failures(), 0, "the guardian's check stays passed");
    }

    #[rstest]
    #[case::before_any_check(false)]
    #[case::at_submission(true)]
    fn central_refuses_someone_who_is_not_a_registered_guardian(#[case] late: bool) {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::Guardian);
        send(&mut f, Event::Identified(person(HELPER)));
        send(&mut f, Event::Identified(person(RECIPIENT)));
        if late {
            send(&mut f, Event::Status(due()));
            choose(&mut f, Choice::Consent);
            send(&mut f, verdict(true));
            choose(&mut f, Choice::TakePhoto);
            send(&mut f, Event::PhotoTaken(jpeg()));
            choose(&mut f, Choice::UsePhoto);
            assert_eq!(f.step(), &Step::Submitting);
        }
        let e = send(&mut f, Event::NotGuardian);
        assert_eq!(e, vec![Effect::CancelDevices], "no biometric check starts");
        assert_eq!(f.step(), &Step::NotGuardian);
        assert_eq!(f.choices(), vec![Choice::Home, Choice::CallStaff]);
        let e = choose(&mut f, Choice::Home);
        assert!(e.contains(&Effect::GoHome));
        assert!(!f.holds_personal_data());
    }

    #[test]
    fn not_guardian_is_refused_outside_guardian_steps() {
        let mut f = at_consent();
        let seq = f.seq();
        assert!(f.handle(seq, Event::NotGuardian).is_err());
    }

    #[test]
    fn the_guardians_fingerprint_is_checked_and_failures_take_no_photo() {
        let mut f = guardian_at_consent();
        choose(&mut f, Choice::Consent);
        let e = send(&mut f, verdict(false));
        assert!(e.is_empty(), "{e:?}");
        assert!(matches!(f.step(), Step::Failed { .. }));
        let e = choose(&mut f, Choice::Fingerprint);
        assert!(
            matches!(&e[..], [Effect::StartFingerprint { subject, recipient, .. }]
                if subject.as_unmasked_str() == HELPER && recipient.as_unmasked_str() == RECIPIENT),
            "{e:?}"
        );
        send(&mut f, verdict(false));
        choose(&mut f, Choice::Face);
        // The third failure is recorded without a photo and staff are called.
        let e = send(&mut f, verdict(false));
        assert!(e.contains(&Effect::CallStaff));
        assert!(
            e.iter().any(|e| matches!(e, Effect::Submit { outcome, .. }
                if outcome.mode == Mode::Guardian && !outcome.matched && outcome.evidence.is_none())),
            "{e:?}"
        );
    }

    #[test]
    fn guardian_consent_declined_offers_the_alternative() {
        let mut f = guardian_at_consent();
        choose(&mut f, Choice::Decline);
        assert_eq!(f.step(), &Step::ChooseAlternative);
    }

    #[test]
    fn assisted_mode_identifies_the_helper_first_then_checks_the_recipient() {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::Assisted);
        assert_eq!(f.step(), &Step::Identify(Role::Helper));
        send(&mut f, Event::Identified(person(HELPER)));
        assert_eq!(f.step(), &Step::Identify(Role::Recipient));
        let seq = f.seq();
        assert!(f.handle(seq, Event::Identified(person(HELPER))).is_err());
        send(&mut f, Event::Identified(person(RECIPIENT)));
        send(&mut f, Event::Status(due()));
        let e = choose(&mut f, Choice::Consent);
        assert!(
            matches!(&e[..], [Effect::StartFace { subject, .. }] if subject.id.as_unmasked_str() == RECIPIENT)
        );
        let e = send(&mut f, verdict(true));
        assert!(
            matches!(&e[..], [Effect::Submit { outcome, .. }] if outcome.mode == Mode::Assisted && outcome.assisted_by.is_some())
        );
    }

    #[test]
    fn double_presses_and_late_callbacks_are_refused() {
        let mut f = at_consent();
        let consent_seq = f.seq();
        f.handle(consent_seq, Event::Chose(Choice::Consent))
            .unwrap();
        // The same press delivered twice starts nothing more.
        assert!(matches!(
            f.handle(consent_seq, Event::Chose(Choice::Consent)),
            Err(FlowError::Stale { .. })
        ));
        let face_seq = f.seq();
        f.handle(face_seq, Event::Chose(Choice::Fingerprint))
            .unwrap();
        // The cancelled face check reports late: refused.
        assert!(matches!(
            f.handle(face_seq, verdict(true)),
            Err(FlowError::Stale { .. })
        ));
        assert!(matches!(f.step(), Step::Fingerprint { .. }));
        // A button from another screen is refused even with the right number.
        let seq = f.seq();
        assert!(matches!(
            f.handle(seq, Event::Chose(Choice::Consent)),
            Err(FlowError::Unexpected { .. })
        ));
        // Nothing from before a reset is accepted afterwards.
        let before = f.seq();
        f.reset();
        assert!(f.handle(before, verdict(true)).is_err());
        assert!(f.handle(1, Event::Chose(Choice::SelfCheck)).is_err());
    }

    #[rstest]
    #[case::card_reader(Device::IdCard, true)]
    #[case::central(Device::Central, false)]
    #[case::camera(Device::Camera, false)]
    #[case::fingerprint(Device::Fingerprint, true)]
    fn device_errors_show_a_way_on_and_retry_repeats_the_operation(
        #[case] device: Device,
        #[case] timeout: bool,
    ) {
        let mut f = CertifyFlow::new();
        choose(&mut f, Choice::SelfCheck);
        if device != Device::IdCard {
            send(&mut f, Event::Identified(person(RECIPIENT)));
        }
        if matches!(device, Device::Camera | Device::Fingerprint) {
            send(&mut f, Event::Status(due()));
            choose(&mut f, Choice::Consent);
            if device == Device::Fingerprint {
                choose(&mut f, Choice::Fingerprint);
            }
        }
        let before = f.step().clone();
        let e = send(
            &mut f,
            Event::Failed {
                device,
                timeout,
                detail: "test".into(),
            },
        );
        assert_eq!(e, vec![Effect::CancelDevices]);
        assert!(matches!(f.step(), Step::Problem { device: d, .. } if *d == device));
        assert!(f.choices().contains(&Choice::Retry));
        assert!(f.choices().contains(&Choice::CallStaff));
        assert!(f.choices().contains(&Choice::Home));
        let e = choose(&mut f, Choice::Retry);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            std::mem::discriminant(f.step()),
            std::mem::discriminant(&before)
        );
        assert!(
            f.recipient().is_some() || device == Device::IdCard,
            "nothing lost"
        );
    }

    #[test]
    fn a_failed_submission_can_be_retried_without_a_new_check() {
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        send(&mut f, verdict(true));
        send(
            &mut f,
            Event::Failed {
                device: Device::Central,
                timeout: true,
                detail: "connect timeout".into(),
            },
        );
        let e = choose(&mut f, Choice::Retry);
        assert!(matches!(&e[..], [Effect::Submit { outcome, .. }] if outcome.matched));
        send(&mut f, Event::Recorded(recorded(true)));
        assert!(matches!(f.step(), Step::Certified(_)));
    }

    #[test]
    fn reset_wipes_personal_data_and_masks_debug() {
        let mut f = at_consent();
        let dbg = format!("{f:?}");
        assert!(!dbg.contains(RECIPIENT) && !dbg.contains("张三"), "{dbg}");
        assert!(f.holds_personal_data());
        assert_eq!(f.reset(), vec![Effect::CancelDevices]);
        assert!(!f.holds_personal_data());
        assert_eq!(f.step(), &Step::ChooseMode);
        assert_eq!(f.failures(), 0);
    }

    #[test]
    fn staff_can_be_called_from_a_running_check() {
        let mut f = at_consent();
        choose(&mut f, Choice::Consent);
        let e = choose(&mut f, Choice::CallStaff);
        assert_eq!(e, vec![Effect::CancelDevices, Effect::CallStaff]);
        assert_eq!(f.step(), &Step::RouteToStaff);
    }
}
