//! 申请救助 (一次申请): the application flow as a plain state machine.
//!
//! type → for whom (self / 委托代办: agent identified, relation) → applicant → household members
//! (each identified by card or number, with relationship) → monthly incomes → assets → the
//! materials checklist of the type (each page captured with the document camera, shown large,
//! used or retaken — or brought later) → 近亲属申明 → for each member who must sign the 核对授权书:
//! the text (shown and read aloud), identity (fingerprint or face) **and** a handwritten signature,
//! or "signs later" (签署授权 at any kiosk) → review → submit (through the outbox: safe when
//! offline) → receipt with the reference and the dates from core's calendar.
//!
//! No Slint, no I/O: events in, effects out; `today` is passed in. Every event carries the
//! sequence number of the screen it was meant for, so a double press or a late device answer
//! cannot skip or repeat a step.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use jiuzhu_core::application::{AgentRelation, Material, base_checklist};
use jiuzhu_core::household::{
    AssetKind, AssistanceType, IncomeKind, Money, Relationship, township_of_address,
};
use jiuzhu_core::id::{IdNumber, PersonName};

use super::certify::{FlowError, Person};
use super::identify::Key;
use super::text::{Lang, ScreenText};

/// The most a single amount may be, in yuan (a typo guard: ¥ 99,999,999).
pub const MAX_YUAN: i64 = 99_999_999;
/// Household members besides the applicant.
pub const MAX_MEMBERS: usize = 12;

/// Who is being identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The agent applying for someone else (委托代办).
    Agent,
    /// The applicant.
    Applicant,
    /// Another household member or obligated person.
    Member,
}

/// How a signer proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignProof {
    /// Fingerprint.
    Fingerprint,
    /// Face (liveness).
    Face,
}

/// One person on the application. `Debug` masks.
#[derive(Clone, PartialEq, Eq)]
pub struct Entered {
    /// Number.
    pub id: IdNumber,
    /// Name.
    pub name: PersonName,
    /// Relationship to the applicant.
    pub relationship: Relationship,
    /// Whether the number was read from the card (rather than typed).
    pub from_card: bool,
}

impl fmt::Debug for Entered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entered({:?}, {:?})", self.id, self.relationship)
    }
}

/// A signature given at the kiosk. `Debug` shows only sizes.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// Who signed.
    pub signer: IdNumber,
    /// How identity was proved.
    pub proof: SignProof,
    /// The handwritten signature as PNG (with a fingerprint mark: the mark's image).
    pub handwriting_png: Vec<u8>,
    /// A fingerprint mark (按手印) made before the assisting staff member, not a written name.
    pub finger_mark: bool,
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature({:?}, {:?}, {} B)",
            self.signer,
            self.proof,
            self.handwriting_png.len()
        )
    }
}

/// A captured page. `Debug` shows only its size.
#[derive(Clone, PartialEq, Eq)]
pub struct Page {
    /// JPEG bytes (what is uploaded).
    pub jpeg: Vec<u8>,
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Page({} B)", self.jpeg.len())
    }
}

/// Everything entered, as it will be submitted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// Type applied for.
    pub assistance_type: Option<AssistanceType>,
    /// The agent and their relation, when applying for someone else.
    pub agent: Option<(Entered, AgentRelation)>,
    /// The applicant (relationship `Applicant`).
    pub applicant: Option<Entered>,
    /// Other members.
    pub members: Vec<Entered>,
    /// Monthly income by kind, in yuan.
    pub incomes: BTreeMap<IncomeKind, i64>,
    /// Assets by kind, in yuan.
    pub assets: BTreeMap<AssetKind, i64>,
    /// Captured materials.
    pub materials: BTreeMap<Material, Page>,
    /// 近亲属申明: a member is a close relative of a case worker or committee member.
    pub close_relative: Option<bool>,
    /// Signatures given now.
    pub signatures: Vec<Signature>,
    /// Members who will sign later.
    pub sign_later: Vec<IdNumber>,
    /// The township of household registration (户籍所在地) the application goes to, as
    /// confirmed on screen: (code, name).
    pub township: Option<(String, String)>,
    /// The staff member assisting, when a staff session is open: (the login's bearer token —
    /// central checks it is a live session —, display name). Never shown or logged.
    pub assisted_by: Option<(String, String)>,
}

impl Draft {
    /// The materials the type (and an agent) needs.
    pub fn checklist(&self) -> Vec<Material> {
        let mut list = self
            .assistance_type
            .map(|t| base_checklist(t).to_vec())
            .unwrap_or_default();
        if self.agent.is_some() {
            list.extend([Material::PowerOfAttorney, Material::AgentIdCard]);
        }
        list
    }

    /// Materials not captured.
    pub fn missing(&self) -> Vec<Material> {
        self.checklist()
            .into_iter()
            .filter(|m| !self.materials.contains_key(m))
            .collect()
    }

    /// Everyone who must sign the 核对授权书, in order: the applicant, then members who are adults
    /// or obligated persons.
    pub fn signers(&self, today: NaiveDate) -> Vec<&Entered> {
        self.applicant
            .iter()
            .chain(
                self.members.iter().filter(|m| {
                    m.relationship == Relationship::Obligated || m.id.age_on(today) >= 18
                }),
            )
            .collect()
    }

    fn everyone(&self) -> impl Iterator<Item = &Entered> {
        self.agent
            .iter()
            .map(|(a, _)| a)
            .chain(self.applicant.iter())
            .chain(self.members.iter())
    }

    /// Household monthly income, in yuan.
    pub fn monthly_income(&self) -> i64 {
        self.incomes.values().sum()
    }
}

/// What the submission gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The application's reference (central's case number, or the kiosk's record id while the
    /// application waits for upload).
    pub reference: String,
    /// Whether the application is still waiting in the outbox.
    pub queued: bool,
    /// The kiosk's outbox record of the application (its idempotency key).
    pub record: String,
    /// Submission day.
    pub submitted_on: NaiveDate,
    /// The township decides whether to accept (受理) by this day.
    pub accept_by: NaiveDate,
    /// The whole procedure normally ends by this day.
    pub decide_by: NaiveDate,
    /// Materials still to bring.
    pub missing: Vec<Material>,
    /// Members still to sign (masked names).
    pub unsigned: Vec<String>,
    /// The applicant's masked name (for the printed receipt).
    pub applicant_masked: String,
    /// The assistance applied for.
    pub assistance_type: Option<AssistanceType>,
    /// The township the application went to (户籍所在地), when confirmed on screen.
    pub township_name: Option<String>,
}

/// The screens of the flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Which assistance.
    ChooseType,
    /// For yourself or for someone else.
    ForWhom,
    /// Waiting for a card or a typed number.
    Identify(Who),
    /// A typed number: the name must be entered (staff keyboard) since no card was read.
    NeedName(Who),
    /// The agent's relation to the applicant.
    AgentRelation,
    /// The applicant's card address names township `n` of those the kiosk serves: is that
    /// where the household is registered (户籍所在地)?
    ConfirmTownship(usize),
    /// The applicant's township of registration, chosen from those the kiosk serves (the card
    /// named none of them, the number was typed, or the one it named was wrong).
    ChooseTownship,
    /// The members so far; add another or go on.
    Members,
    /// The relationship of the member just identified.
    MemberRelation,
    /// Asks before member `n` is removed (with any signature they gave).
    ConfirmRemove(usize),
    /// Monthly incomes by kind (tap one to enter it).
    Incomes,
    /// Assets by kind.
    Assets,
    /// Typing an amount on the keypad.
    Amount(AmountField),
    /// The materials checklist.
    Materials,
    /// The document camera is looking for the page.
    Scanning(Material),
    /// The page found, shown large: use it or retake.
    ConfirmPage(Material),
    /// 近亲属申明.
    CloseRelative,
    /// The 核对授权书 for signer `n` (shown and read aloud).
    Authorization(usize),
    /// Signer `n` proves identity.
    SignerCheck(usize, SignProof),
    /// Signer `n` writes their name on the screen.
    Handwriting(usize, SignProof),
    /// Signer `n`, who cannot write, presses a finger on the reader as their mark (按手印)
    /// before the staff member assisting, who is the witness.
    FingerMark(usize, SignProof),
    /// Everything entered, for a last look.
    Review,
    /// Saving and sending.
    Submitting,
    /// Done.
    Done(Receipt),
    /// Something went wrong; what to do is in the words.
    Problem(Problem),
}

/// The amount being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountField {
    /// A monthly income.
    Income(IncomeKind),
    /// An asset.
    Asset(AssetKind),
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The person is already on the application.
    AlreadyListed,
    /// The card could not be read (the resident may type the number instead).
    CardFailed,
    /// The agent is the applicant.
    AgentIsApplicant,
    /// The household is registered in a township this kiosk does not serve.
    OtherTownship,
    /// The document camera failed; the material may be brought later.
    ScanFailed(String),
    /// The identity check for signing failed.
    SignerCheckFailed(String),
    /// A fingerprint mark needs a staff member present as witness, and none is assisting.
    NeedsWitness,
    /// The fingerprint mark was not taken.
    MarkFailed(String),
    /// The application could not be saved or sent.
    SubmitFailed(String),
}

/// Every button of the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// An assistance type.
    Type(AssistanceType),
    /// For myself.
    ForSelf,
    /// For someone else.
    ForOther,
    /// The agent's relation.
    AgentRelation(AgentRelation),
    /// Add a member.
    AddMember,
    /// Remove member `n`.
    RemoveMember(usize),
    /// A relationship.
    Relation(Relationship),
    /// Township `n` of those the kiosk serves.
    Township(usize),
    /// None of the townships listed.
    OtherTownship,
    /// Edit an amount.
    Edit(AmountField),
    /// Capture a material.
    Capture(Material),
    /// Use the page shown.
    UsePage,
    /// Take the page again.
    Retake,
    /// Yes.
    Yes,
    /// No.
    No,
    /// Sign now with a fingerprint.
    SignFingerprint,
    /// Sign now with the face.
    SignFace,
    /// This person signs later.
    SignLater,
    /// The signer cannot write: a fingerprint mark instead, witnessed by staff.
    FingerMark,
    /// Go on.
    Next,
    /// Go back one screen.
    Back,
    /// Submit.
    Submit,
    /// Try again (after a problem).
    Retry,
    /// Print the receipt again.
    Print,
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
    /// A key on the amount keypad.
    AmountKey(Key),
    /// The document camera found the page (JPEG).
    Scanned(Result<Page, String>),
    /// The identity check of a signer ended.
    SignerChecked(Result<(), String>),
    /// The handwritten signature (PNG), or `None` when the pad was empty.
    Handwritten(Option<Vec<u8>>),
    /// The fingerprint mark's image (PNG), or what went wrong.
    Marked(Result<Vec<u8>, String>),
    /// The submission ended.
    Submitted(Result<Receipt, String>),
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
    /// Capture a page with the document camera.
    ScanPage {
        /// Screen number.
        seq: u64,
    },
    /// Check the signer's identity.
    CheckSigner {
        /// Screen number.
        seq: u64,
        /// Who.
        signer: IdNumber,
        /// How.
        proof: SignProof,
    },
    /// Clear the signature pad.
    ClearPad,
    /// Take the image of a finger on the reader, as a signer's mark (delivered as `Marked`).
    TakeMark {
        /// Screen number.
        seq: u64,
    },
    /// Save (outbox) and send the application.
    Submit {
        /// Screen number.
        seq: u64,
        /// What to submit.
        draft: Box<Draft>,
    },
    /// Print the receipt.
    PrintReceipt(Receipt),
    /// Back to the home screen (wipe everything).
    GoHome,
}

/// The application flow.
#[derive(Debug, Clone)]
pub struct ApplyFlow {
    step: Step,
    seq: u64,
    draft: Draft,
    /// A person identified whose name or relationship is still being entered.
    pending: Option<(Person, Who)>,
    /// Digits typed on the amount keypad.
    typed: String,
    /// The person waiting in `pending` was typed on the keypad (no card read).
    typed_in: bool,
    /// The page just scanned, waiting for 使用 / 重拍.
    scanned: Option<Page>,
    /// Which assistance types this kiosk offers now.
    open_types: Vec<AssistanceType>,
    /// The steps shown before this one (for 上一步).
    history: Vec<Step>,
    today: NaiveDate,
    /// The townships this kiosk serves, (code, name), its own first. Empty: the township step
    /// is left out (the caller submits to its own township).
    townships: Vec<(String, String)>,
}

impl ApplyFlow {
    /// A flow offering `open_types` (the others say 即将开放), on `today`.
    pub fn new(open_types: Vec<AssistanceType>, today: NaiveDate) -> Self {
        Self {
            step: Step::ChooseType,
            seq: 1,
            draft: Draft::default(),
            pending: None,
            typed: String::new(),
            typed_in: false,
            scanned: None,
            open_types,
            history: Vec::new(),
            today,
            townships: Vec::new(),
        }
    }

    /// The townships this kiosk serves, (code, name), its own first (central's answer, or the
    /// kiosk's own township while central cannot be asked).
    pub fn set_townships(&mut self, townships: Vec<(String, String)>) {
        self.townships = townships;
    }

    /// The townships this kiosk serves.
    pub fn townships(&self) -> &[(String, String)] {
        &self.townships
    }

    /// The screen shown.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The screen's sequence number.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// What has been entered.
    pub fn draft(&self) -> &Draft {
        &self.draft
    }

    /// Digits typed on the amount keypad.
    pub fn typed(&self) -> &str {
        &self.typed
    }

    /// The page waiting for confirmation.
    pub fn scanned(&self) -> Option<&Page> {
        self.scanned.as_ref()
    }

    /// Whether `t` can be chosen.
    pub fn is_open(&self, t: AssistanceType) -> bool {
        self.open_types.contains(&t)
    }

    /// Whether anything personal is held.
    pub fn holds_personal_data(&self) -> bool {
        self.draft != Draft::default() || self.pending.is_some() || self.scanned.is_some()
    }

    /// The person whose name or relationship is being entered.
    pub fn pending(&self) -> Option<&Person> {
        self.pending.as_ref().map(|(p, _)| p)
    }

    /// Starts over (entry chosen on the home screen); `assisted_by` is the staff member helping.
    pub fn start(
        &mut self,
        today: NaiveDate,
        assisted_by: Option<(String, String)>,
    ) -> Vec<Effect> {
        let open = std::mem::take(&mut self.open_types);
        let townships = std::mem::take(&mut self.townships);
        *self = Self::new(open, today);
        self.townships = townships;
        self.draft.assisted_by = assisted_by;
        vec![]
    }

    /// Forgets everything personal (home, inactivity).
    pub fn wipe(&mut self) {
        let open = std::mem::take(&mut self.open_types);
        let townships = std::mem::take(&mut self.townships);
        let seq = self.seq + 1;
        *self = Self::new(open, self.today);
        self.townships = townships;
        self.seq = seq;
    }

    fn go(&mut self, step: Step) -> Vec<Effect> {
        self.seq += 1;
        let remember = !matches!(
            self.step,
            Step::Problem(_)
                | Step::Submitting
                | Step::Scanning(_)
                | Step::SignerCheck(..)
                | Step::FingerMark(..)
        );
        if remember {
            self.history.push(self.step.clone());
        }
        self.step = step;
        let mut fx = vec![];
        match &self.step {
            Step::Identify(_) => fx.push(Effect::ReadIdCard { seq: self.seq }),
            Step::Scanning(_) => fx.push(Effect::ScanPage { seq: self.seq }),
            Step::Handwriting(..) => fx.push(Effect::ClearPad),
            _ => {}
        }
        fx
    }

    /// The choices of the screen shown, in order.
    pub fn choices(&self) -> Vec<Choice> {
        use Choice::*;
        let mut c = match &self.step {
            Step::ChooseType => AssistanceType::ALL.iter().map(|t| Type(*t)).collect(),
            Step::ForWhom => vec![ForSelf, ForOther],
            Step::Identify(_) | Step::NeedName(_) => vec![],
            Step::AgentRelation => [
                jiuzhu_core::application::AgentRelation::Relative,
                jiuzhu_core::application::AgentRelation::Guardian,
                jiuzhu_core::application::AgentRelation::VillageCadre,
                jiuzhu_core::application::AgentRelation::Other,
            ]
            .map(Choice::AgentRelation)
            .to_vec(),
            Step::ConfirmTownship(_) => vec![Yes, No],
            Step::ChooseTownship => {
                let mut v: Vec<Choice> = (0..self.townships.len()).map(Township).collect();
                v.push(OtherTownship);
                v
            }
            Step::Members => {
                let mut v: Vec<Choice> = (0..self.draft.members.len()).map(RemoveMember).collect();
                if self.draft.members.len() < MAX_MEMBERS {
                    v.push(AddMember);
                }
                v.push(Next);
                v
            }
            Step::MemberRelation => [
                Relationship::Spouse,
                Relationship::Child,
                Relationship::Parent,
                Relationship::Sibling,
                Relationship::Grandparent,
                Relationship::Grandchild,
                Relationship::ChildInLaw,
                Relationship::ParentInLaw,
                Relationship::OtherCohabitant,
                Relationship::Obligated,
            ]
            .map(Relation)
            .to_vec(),
            Step::Incomes => {
                let mut v: Vec<Choice> = INCOME_KINDS
                    .iter()
                    .map(|k| Edit(AmountField::Income(*k)))
                    .collect();
                v.push(Next);
                v
            }
            Step::Assets => {
                let mut v: Vec<Choice> = ASSET_KINDS
                    .iter()
                    .map(|k| Edit(AmountField::Asset(*k)))
                    .collect();
                v.push(Next);
                v
            }
            Step::Amount(_) => vec![Next],
            Step::Materials => {
                let mut v: Vec<Choice> = self.draft.checklist().into_iter().map(Capture).collect();
                v.push(Next);
                v
            }
            Step::Scanning(_) => vec![],
            Step::ConfirmPage(_) => vec![UsePage, Retake],
            Step::CloseRelative => vec![No, Yes],
            Step::ConfirmRemove(_) => vec![No, Yes],
            Step::Authorization(_) => vec![SignFingerprint, SignFace, SignLater],
            Step::SignerCheck(..) | Step::FingerMark(..) => vec![],
            Step::Handwriting(..) => vec![Next, FingerMark],
            Step::Review => vec![Submit],
            Step::Submitting => vec![],
            Step::Done(_) => vec![Print, Home],
            Step::Problem(p) => match p {
                Problem::ScanFailed(_) => vec![Retry, Back],
                Problem::SignerCheckFailed(_) => vec![Retry, SignLater],
                Problem::SubmitFailed(_) => vec![Retry, Home],
                Problem::NeedsWitness => vec![Back, SignLater],
                Problem::MarkFailed(_) => vec![Retry, SignLater],
                Problem::OtherTownship => vec![Back, Home],
                _ => vec![Retry],
            },
        };
        let back_allowed = !matches!(
            self.step,
            Step::ChooseType | Step::Submitting | Step::Done(_) | Step::Problem(_)
        );
        if back_allowed {
            c.push(Back);
        }
        c
    }

    /// Whether a choice on the screen can be pressed now (greyed otherwise).
    pub fn enabled(&self, c: Choice) -> bool {
        match (c, &self.step) {
            (Choice::Type(t), _) => self.is_open(t),
            (Choice::Next, Step::Amount(_)) => !self.typed.is_empty(),
            (Choice::Next, Step::Handwriting(..)) => true,
            _ => true,
        }
    }

    /// Feeds one event.
    pub fn handle(&mut self, seq: u64, event: Event) -> Result<Vec<Effect>, FlowError> {
        let chosen = match &event {
            Event::Chose(c) => Some(c),
            _ => None,
        };
        FlowError::admit(seq, self.seq, chosen, &self.choices())?;
        if let Event::Chose(c) = &event
            && !self.enabled(*c)
        {
            return Err(refuse("that button is disabled"));
        }
        let step = self.step.clone();
        Ok(match (step, event) {
            (_, Event::Chose(Choice::Home)) => vec![Effect::CancelDevices, Effect::GoHome],
            (_, Event::Chose(Choice::Back)) => {
                self.seq += 1;
                self.pending = None;
                self.typed.clear();
                self.scanned = None;
                self.step = self.history.pop().unwrap_or(Step::ChooseType);
                let mut fx = vec![Effect::CancelDevices];
                if let Step::Identify(who) = self.step {
                    // Back to a card: the person it identified is taken off, so the same card
                    // (or another) can be read again.
                    match who {
                        Who::Applicant => {
                            self.draft.applicant = None;
                            self.draft.township = None;
                        }
                        Who::Agent => self.draft.agent = None,
                        Who::Member => {}
                    }
                    fx.push(Effect::ReadIdCard { seq: self.seq });
                }
                fx
            }
            (Step::ChooseType, Event::Chose(Choice::Type(t))) => {
                self.draft.assistance_type = Some(t);
                self.go(Step::ForWhom)
            }
            (Step::ForWhom, Event::Chose(Choice::ForSelf)) => {
                self.draft.agent = None;
                self.go(Step::Identify(Who::Applicant))
            }
            (Step::ForWhom, Event::Chose(Choice::ForOther)) => self.go(Step::Identify(Who::Agent)),
            (Step::Identify(who), Event::Identified(p)) => {
                let mut fx = vec![Effect::CancelDevices];
                let from_card = p.name.is_some();
                fx.extend(self.identified(who, p, from_card));
                fx
            }
            (Step::Identify(_), Event::CardFailed { detail }) => {
                tracing::warn!(%detail, "card read failed while applying");
                self.go(Step::Problem(Problem::CardFailed))
            }
            (Step::NeedName(who), Event::Named(name)) => {
                let Some((p, _)) = self.pending.take() else {
                    return Err(refuse("no number waiting for a name"));
                };
                match PersonName::new(name.trim()) {
                    Ok(n) => self.identified(
                        who,
                        Person {
                            id: p.id,
                            name: Some(n),
                            address: None,
                        },
                        false,
                    ),
                    Err(e) => {
                        self.pending = Some((p, who));
                        return Err(refuse(&format!("the name is not acceptable: {e}")));
                    }
                }
            }
            (Step::AgentRelation, Event::Chose(Choice::AgentRelation(r))) => {
                let Some((p, Who::Agent)) = self.pending.take() else {
                    return Err(refuse("no agent waiting"));
                };
                let card = !self.typed_in;
                self.draft.agent = Some((entered(p, Relationship::OtherCohabitant, card), r));
                self.go(Step::Identify(Who::Applicant))
            }
            (Step::ConfirmTownship(i), Event::Chose(Choice::Yes)) => self.registered_in(i),
            (Step::ConfirmTownship(_), Event::Chose(Choice::No)) => self.go(Step::ChooseTownship),
            (Step::ChooseTownship, Event::Chose(Choice::Township(i))) => self.registered_in(i),
            (Step::ChooseTownship, Event::Chose(Choice::OtherTownship)) => {
                self.draft.township = None;
                self.go(Step::Problem(Problem::OtherTownship))
            }
            (Step::Members, Event::Chose(Choice::AddMember)) => {
                self.go(Step::Identify(Who::Member))
            }
            (Step::Members, Event::Chose(Choice::RemoveMember(i))) => {
                if i < self.draft.members.len() {
                    self.go(Step::ConfirmRemove(i))
                } else {
                    self.seq += 1;
                    vec![]
                }
            }
            (Step::ConfirmRemove(i), Event::Chose(c @ (Choice::Yes | Choice::No))) => {
                if c == Choice::Yes && i < self.draft.members.len() {
                    let gone = self.draft.members.remove(i);
                    self.draft.signatures.retain(|s| s.signer != gone.id);
                    self.draft.sign_later.retain(|s| *s != gone.id);
                }
                // back to the list, which is already in the history
                self.seq += 1;
                self.step = self.history.pop().unwrap_or(Step::Members);
                vec![]
            }
            (Step::Members, Event::Chose(Choice::Next)) => self.go(Step::Incomes),
            (Step::MemberRelation, Event::Chose(Choice::Relation(r))) => {
                let Some((p, Who::Member)) = self.pending.take() else {
                    return Err(refuse("no member waiting"));
                };
                let card = !self.typed_in;
                self.draft.members.push(entered(p, r, card));
                self.history
                    .retain(|s| !matches!(s, Step::Identify(Who::Member) | Step::MemberRelation));
                self.go(Step::Members)
            }
            (Step::Incomes, Event::Chose(Choice::Edit(f)))
            | (Step::Assets, Event::Chose(Choice::Edit(f))) => {
                self.typed = match f {
                    AmountField::Income(k) => self.draft.incomes.get(&k),
                    AmountField::Asset(k) => self.draft.assets.get(&k),
                }
                .map(|v| v.to_string())
                .unwrap_or_default();
                self.go(Step::Amount(f))
            }
            (Step::Incomes, Event::Chose(Choice::Next)) => self.go(Step::Assets),
            (Step::Assets, Event::Chose(Choice::Next)) => self.go(Step::Materials),
            (Step::Amount(_), Event::AmountKey(k)) => {
                match k {
                    Key::Digit(d) if self.typed.len() < 8 => {
                        if self.typed == "0" {
                            self.typed.clear();
                        }
                        self.typed.push(char::from(b'0' + d.min(9)));
                    }
                    Key::Digit(_) => return Err(refuse("the amount is at its longest")),
                    Key::X => return Err(refuse("amounts are digits only")),
                    Key::Backspace => {
                        self.typed.pop();
                    }
                    Key::Clear => self.typed.clear(),
                }
                vec![]
            }
            (Step::Amount(f), Event::Chose(Choice::Next)) => {
                let v: i64 = self
                    .typed
                    .parse()
                    .map_err(|_| refuse("type an amount in yuan"))?;
                let v = v.min(MAX_YUAN);
                let back = match f {
                    AmountField::Income(k) => {
                        self.draft.incomes.insert(k, v);
                        Step::Incomes
                    }
                    AmountField::Asset(k) => {
                        self.draft.assets.insert(k, v);
                        Step::Assets
                    }
                };
                self.typed.clear();
                self.history.pop();
                self.seq += 1;
                self.step = back;
                vec![]
            }
            (Step::Materials, Event::Chose(Choice::Capture(m))) => self.go(Step::Scanning(m)),
            (Step::Materials, Event::Chose(Choice::Next)) => self.go(Step::CloseRelative),
            (Step::Scanning(m), Event::Scanned(Ok(page))) => {
                self.scanned = Some(page);
                self.go(Step::ConfirmPage(m))
            }
            (Step::Scanning(_), Event::Scanned(Err(e))) => {
                self.go(Step::Problem(Problem::ScanFailed(e)))
            }
            (Step::ConfirmPage(m), Event::Chose(Choice::UsePage)) => {
                if let Some(p) = self.scanned.take() {
                    self.draft.materials.insert(m, p);
                }
                self.history
                    .retain(|s| !matches!(s, Step::Scanning(_) | Step::ConfirmPage(_)));
                self.seq += 1;
                self.step = Step::Materials;
                self.history.pop();
                vec![]
            }
            (Step::ConfirmPage(m), Event::Chose(Choice::Retake)) => {
                self.scanned = None;
                self.history.pop();
                self.go(Step::Scanning(m))
            }
            (Step::CloseRelative, Event::Chose(c @ (Choice::Yes | Choice::No))) => {
                self.draft.close_relative = Some(c == Choice::Yes);
                self.next_signer(0)
            }
            (Step::Authorization(n), Event::Chose(Choice::SignLater)) => {
                if let Some(s) = self.signer_id(n) {
                    self.draft.sign_later.push(s);
                }
                self.next_signer(n + 1)
            }
            (
                Step::Authorization(n),
                Event::Chose(c @ (Choice::SignFingerprint | Choice::SignFace)),
            ) => {
                let proof = if c == Choice::SignFace {
                    SignProof::Face
                } else {
                    SignProof::Fingerprint
                };
                let Some(signer) = self.signer_id(n) else {
                    return Err(refuse("no such signer"));
                };
                let mut fx = self.go(Step::SignerCheck(n, proof));
                fx.push(Effect::CheckSigner {
                    seq: self.seq,
                    signer,
                    proof,
                });
                fx
            }
            (Step::SignerCheck(n, proof), Event::SignerChecked(Ok(()))) => {
                self.go(Step::Handwriting(n, proof))
            }
            (Step::SignerCheck(_, _), Event::SignerChecked(Err(e))) => {
                self.go(Step::Problem(Problem::SignerCheckFailed(e)))
            }
            (Step::Handwriting(_, _), Event::Handwritten(None)) => {
                return Err(refuse("the signature pad is empty: sign your name first"));
            }
            (Step::Handwriting(n, proof), Event::Handwritten(Some(png))) => {
                self.signed(n, proof, png, false)?
            }
            (Step::Handwriting(n, proof), Event::Chose(Choice::FingerMark)) => {
                if self.draft.assisted_by.is_none() {
                    return Ok(self.go(Step::Problem(Problem::NeedsWitness)));
                }
                let mut fx = self.go(Step::FingerMark(n, proof));
                fx.push(Effect::TakeMark { seq: self.seq });
                fx
            }
            (Step::FingerMark(n, proof), Event::Marked(Ok(png))) => {
                self.signed(n, proof, png, true)?
            }
            (Step::FingerMark(..), Event::Marked(Err(e))) => {
                self.go(Step::Problem(Problem::MarkFailed(e)))
            }
            (
                Step::Problem(Problem::NeedsWitness | Problem::MarkFailed(_)),
                Event::Chose(Choice::SignLater),
            ) => {
                let n = match self.history.pop() {
                    Some(Step::Handwriting(n, _)) => n,
                    _ => return Err(refuse("no signer")),
                };
                if let Some(s) = self.signer_id(n) {
                    self.draft.signatures.retain(|x| x.signer != s);
                    self.draft.sign_later.push(s);
                }
                self.next_signer(n + 1)
            }
            (Step::Review, Event::Chose(Choice::Submit)) => {
                let draft = Box::new(self.draft.clone());
                let mut fx = self.go(Step::Submitting);
                fx.push(Effect::Submit {
                    seq: self.seq,
                    draft,
                });
                fx
            }
            (Step::Submitting, Event::Submitted(Ok(r))) => {
                let fx = vec![Effect::PrintReceipt(r.clone())];
                self.history.clear();
                let mut more = self.go(Step::Done(r));
                more.extend(fx);
                // The receipt holds what the resident needs; the rest is in the outbox.
                let assisted = self.draft.assisted_by.take();
                self.draft = Draft {
                    assisted_by: assisted,
                    ..Draft::default()
                };
                more
            }
            (Step::Submitting, Event::Submitted(Err(e))) => {
                self.go(Step::Problem(Problem::SubmitFailed(e)))
            }
            (Step::Done(r), Event::Chose(Choice::Print)) => vec![Effect::PrintReceipt(r)],
            (Step::Problem(p), Event::Chose(Choice::Retry)) => {
                let back = self.history.pop().unwrap_or(Step::ChooseType);
                self.seq += 1;
                self.step = back.clone();
                match (&p, back) {
                    (Problem::SubmitFailed(_), Step::Review) => {
                        self.history.push(Step::Review);
                        let draft = Box::new(self.draft.clone());
                        self.step = Step::Submitting;
                        vec![Effect::Submit {
                            seq: self.seq,
                            draft,
                        }]
                    }
                    (Problem::ScanFailed(_), Step::Materials) | (_, Step::Scanning(_)) => {
                        vec![]
                    }
                    (_, Step::Identify(_)) => vec![Effect::ReadIdCard { seq: self.seq }],
                    (Problem::SignerCheckFailed(_), Step::Authorization(_)) => vec![],
                    _ => vec![],
                }
            }
            (Step::Problem(Problem::SignerCheckFailed(_)), Event::Chose(Choice::SignLater)) => {
                let n = match self.history.pop() {
                    Some(Step::Authorization(n)) => n,
                    _ => return Err(refuse("no signer")),
                };
                if let Some(s) = self.signer_id(n) {
                    self.draft.sign_later.push(s);
                }
                self.next_signer(n + 1)
            }
            (s, e) => {
                return Err(refuse(&format!("{e:?} does not apply to {s:?}")));
            }
        })
    }

    /// Signer `n` signed (a written name, or a witnessed fingerprint mark): on to the next.
    fn signed(
        &mut self,
        n: usize,
        proof: SignProof,
        png: Vec<u8>,
        finger_mark: bool,
    ) -> Result<Vec<Effect>, FlowError> {
        let Some(signer) = self.signer_id(n) else {
            return Err(refuse("no such signer"));
        };
        self.draft.signatures.retain(|s| s.signer != signer);
        self.draft.sign_later.retain(|s| *s != signer);
        self.draft.signatures.push(Signature {
            signer,
            proof,
            handwriting_png: png,
            finger_mark,
        });
        Ok(self.next_signer(n + 1))
    }

    fn signer_id(&self, n: usize) -> Option<IdNumber> {
        self.draft.signers(self.today).get(n).map(|e| e.id.clone())
    }

    /// Signer `n` onwards (skipping those who already signed), then the review.
    fn next_signer(&mut self, n: usize) -> Vec<Effect> {
        let signers: Vec<IdNumber> = self
            .draft
            .signers(self.today)
            .iter()
            .map(|e| e.id.clone())
            .collect();
        for (i, id) in signers.iter().enumerate().skip(n) {
            let done = self.draft.signatures.iter().any(|s| s.signer == *id)
                || self.draft.sign_later.contains(id);
            if !done {
                return self.go(Step::Authorization(i));
            }
        }
        self.go(Step::Review)
    }

    /// The household is registered in township `i`: on to the members.
    fn registered_in(&mut self, i: usize) -> Vec<Effect> {
        match self.townships.get(i) {
            Some(t) => {
                self.draft.township = Some(t.clone());
                self.go(Step::Members)
            }
            None => {
                self.seq += 1;
                vec![]
            }
        }
    }

    fn identified(&mut self, who: Who, p: Person, from_card: bool) -> Vec<Effect> {
        if self.draft.everyone().any(|e| e.id == p.id) {
            return self.go(Step::Problem(Problem::AlreadyListed));
        }
        if who == Who::Applicant
            && let Some((a, _)) = &self.draft.agent
            && a.id == p.id
        {
            return self.go(Step::Problem(Problem::AgentIsApplicant));
        }
        if p.name.is_none() {
            self.pending = Some((p, who));
            return self.go(Step::NeedName(who));
        }
        self.typed_in = !from_card;
        match who {
            Who::Agent => {
                self.pending = Some((p, who));
                self.go(Step::AgentRelation)
            }
            Who::Applicant => {
                let address = p.address.clone();
                self.draft.applicant = Some(entered(p, Relationship::Applicant, from_card));
                self.draft.township = None;
                if self.townships.is_empty() {
                    return self.go(Step::Members);
                }
                match address
                    .and_then(|a| township_of_address(a.as_unmasked_str(), &self.townships))
                {
                    Some(i) => self.go(Step::ConfirmTownship(i)),
                    None => self.go(Step::ChooseTownship),
                }
            }
            Who::Member => {
                self.pending = Some((p, who));
                self.go(Step::MemberRelation)
            }
        }
    }
}

fn refuse(what: &str) -> FlowError {
    FlowError::refused(what)
}

fn entered(p: Person, relationship: Relationship, from_card: bool) -> Entered {
    Entered {
        id: p.id,
        name: p
            .name
            .unwrap_or_else(|| PersonName::new("未登记").expect("a valid placeholder name")),
        relationship,
        from_card,
    }
}

/// The income kinds asked, in order.
pub const INCOME_KINDS: [IncomeKind; 5] = [
    IncomeKind::Wages,
    IncomeKind::Business,
    IncomeKind::Property,
    IncomeKind::Transfer,
    IncomeKind::Other,
];

/// The asset kinds asked, in order.
pub const ASSET_KINDS: [AssetKind; 7] = [
    AssetKind::Deposits,
    AssetKind::Securities,
    AssetKind::RealEstate,
    AssetKind::Vehicle,
    AssetKind::BusinessAssets,
    AssetKind::Insurance,
    AssetKind::Other,
];

/// Yuan as core's money (fen).
pub fn money(yuan: i64) -> Money {
    Money(yuan.saturating_mul(100))
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

/// A date in the language.
pub fn date(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %B %Y").to_string(),
    }
}

/// The label of a type.
pub fn type_label(a: AssistanceType, lang: Lang) -> String {
    match lang {
        Lang::Zh => a.label_zh().into(),
        Lang::En => a.label_en().into(),
    }
}

/// The label of a material.
pub fn material_label(m: Material, lang: Lang) -> String {
    match lang {
        Lang::Zh => m.label_zh().into(),
        Lang::En => m.label_en().into(),
    }
}

/// The label of an amount field.
pub fn field_label(f: AmountField, lang: Lang) -> String {
    match (f, lang) {
        // the resident's words first, the official name in brackets
        (AmountField::Income(k), Lang::Zh) => match k {
            IncomeKind::Wages => "上班、打工挣的钱（工资性收入）".into(),
            IncomeKind::Business => "做生意、种地养殖挣的钱（经营净收入）".into(),
            IncomeKind::Property => "房租、利息（财产净收入）".into(),
            IncomeKind::Transfer => "养老金、赡养费等（转移净收入）".into(),
            IncomeKind::Other => k.label_zh().into(),
        },
        (AmountField::Income(k), Lang::En) => match k {
            IncomeKind::Wages => "Pay from a job (wages)".into(),
            IncomeKind::Business => "Earnings from business or farming".into(),
            IncomeKind::Property => "Rent and interest received".into(),
            IncomeKind::Transfer => "Pensions, family support and the like".into(),
            IncomeKind::Other => k.label_en().into(),
        },
        (AmountField::Asset(k), Lang::Zh) => k.label_zh().into(),
        (AmountField::Asset(k), Lang::En) => k.label_en().into(),
    }
}

/// The words on a button.
pub fn choice_label(flow: &ApplyFlow, c: Choice, lang: Lang) -> String {
    let d = flow.draft();
    match c {
        Choice::Type(a) if flow.is_open(a) => type_label(a, lang),
        Choice::Type(a) => format!(
            "{}{}",
            type_label(a, lang),
            t(lang, "（即将开放）", " (opening soon)")
        ),
        Choice::ForSelf => t(lang, "为自己（本户）申请", "For myself (my household)"),
        Choice::ForOther => t(
            lang,
            "代别人申请（委托代办）",
            "For someone else (as agent)",
        ),
        Choice::AgentRelation(r) => match lang {
            Lang::Zh => r.label_zh().into(),
            Lang::En => r.label_en().into(),
        },
        Choice::AddMember => t(lang, "添加家庭成员", "Add a household member"),
        Choice::RemoveMember(i) => d
            .members
            .get(i)
            .map(|m| {
                let rel = match lang {
                    Lang::Zh => m.relationship.label_zh(),
                    Lang::En => m.relationship.label_en(),
                };
                format!("{}  {}  ✕", m.name.masked(), rel)
            })
            .unwrap_or_default(),
        Choice::Relation(r) => match lang {
            Lang::Zh => r.label_zh().into(),
            Lang::En => r.label_en().into(),
        },
        Choice::Edit(f) => {
            let v = match f {
                AmountField::Income(k) => d.incomes.get(&k),
                AmountField::Asset(k) => d.assets.get(&k),
            };
            let v = match (v, lang) {
                (Some(v), Lang::Zh) => format!("{v} 元"),
                (Some(v), Lang::En) => format!("¥{v}"),
                (None, Lang::Zh) => "未填（按0元）".into(),
                (None, Lang::En) => "not entered (0)".into(),
            };
            format!("{}：{v}", field_label(f, lang))
        }
        Choice::Capture(m) => {
            let mark = if d.materials.contains_key(&m) {
                t(lang, "✓ 已拍", "✓ captured")
            } else {
                t(lang, "○ 点此拍摄", "○ tap to capture")
            };
            format!("{}  {mark}", material_label(m, lang))
        }
        Choice::UsePage => t(lang, "清楚，使用这张", "Clear: use this page"),
        Choice::Retake => t(lang, "不清楚，重拍", "Not clear: retake"),
        Choice::Township(i) => flow
            .townships()
            .get(i)
            .map(|(_, name)| name.clone())
            .unwrap_or_default(),
        Choice::OtherTownship => t(lang, "都不是", "None of these"),
        Choice::Yes if matches!(flow.step(), Step::ConfirmTownship(_)) => {
            t(lang, "对，是这里", "Yes, that is right")
        }
        Choice::No if matches!(flow.step(), Step::ConfirmTownship(_)) => {
            t(lang, "不对", "No, it is not")
        }
        Choice::Yes if matches!(flow.step(), Step::ConfirmRemove(_)) => {
            t(lang, "删除此人", "Remove this person")
        }
        Choice::No if matches!(flow.step(), Step::ConfirmRemove(_)) => t(lang, "不删除", "Keep"),
        Choice::Yes => t(lang, "是，有近亲属", "Yes, there is a close relative"),
        Choice::No => t(lang, "没有", "No"),
        Choice::SignFingerprint => sign_with_label(SignProof::Fingerprint, lang),
        Choice::SignFace => sign_with_label(SignProof::Face, lang),
        Choice::SignLater => t(lang, "此人稍后签署", "This person signs later"),
        Choice::FingerMark => t(lang, "不会写字，按手印", "Cannot write: fingerprint mark"),
        Choice::Next => match flow.step() {
            Step::Handwriting(..) => t(lang, "签好了", "Done signing"),
            Step::Amount(_) => t(lang, "确定", "OK"),
            _ => t(lang, "下一步", "Next"),
        },
        Choice::Back => t(lang, "上一步", "Back"),
        Choice::Submit => t(lang, "确认无误，提交申请", "All correct: submit"),
        Choice::Retry => t(lang, "再试一次", "Try again"),
        Choice::Print => t(lang, "再打印一张回执", "Print the receipt again"),
        Choice::Home => t(lang, "回到首页", "Back to home"),
    }
}

// What signing the 核对授权书 says alike in 申请救助 and 签署授权 (controllers::sign).

/// A typed number needs the name: title and body.
pub fn need_name_text(lang: Lang) -> (String, String) {
    (
        t(lang, "请输入姓名", "Enter the name"),
        t(
            lang,
            "号码是手工输入的，需要填写姓名。请工作人员帮忙输入，然后点“确定”。",
            "The number was typed, so the name is needed. Ask staff to type it, then tap OK.",
        ),
    )
}

/// The signer's identity check under way: title and body.
pub fn signer_check_text(proof: SignProof, lang: Lang) -> (String, String) {
    (
        t(lang, "确认签署人身份", "Confirming who signs"),
        match proof {
            SignProof::Fingerprint => t(
                lang,
                "请把手指平放在指纹采集器上。",
                "Put your finger flat on the fingerprint reader.",
            ),
            SignProof::Face => t(
                lang,
                "请正对摄像头，按提示动作。",
                "Look at the camera and follow the prompts.",
            ),
        },
    )
}

/// The signature pad for `signer`: title and body.
pub fn handwriting_text(signer: Option<&PersonName>, lang: Lang) -> (String, String) {
    (
        t(lang, "请手写签名", "Sign your name"),
        match (signer, lang) {
            (Some(n), Lang::Zh) => format!(
                "请{}用手指在下面的框里写下自己的名字，写好后点“签好了”。",
                n.masked()
            ),
            (Some(n), Lang::En) => format!(
                "{}: write your name in the box below with your finger, then tap Done.",
                n.masked()
            ),
            (None, _) => String::new(),
        },
    )
}

/// A fingerprint mark being taken: title and body.
pub fn finger_mark_text(
    signer: Option<&PersonName>,
    witness: Option<&str>,
    lang: Lang,
) -> (String, String) {
    let who = signer.map(PersonName::masked).unwrap_or_default();
    let witness = witness.unwrap_or_default();
    (
        t(lang, "按手印签名", "Fingerprint mark"),
        match lang {
            Lang::Zh => format!(
                "请{who}把右手食指平放在指纹采集器上按一下，作为本人的签名。工作人员{witness}在场见证，会一起记录。"
            ),
            Lang::En => format!(
                "{who}: press your right index finger flat on the fingerprint reader once, as your signature. {witness} of the staff witnesses it, and that is recorded too."
            ),
        },
    )
}

/// The fingerprint mark was not taken: the words.
pub fn mark_failed_text(e: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("手印没有按好：{e}。可以再按一次，或者稍后再签。"),
        Lang::En => format!("The fingerprint mark was not taken: {e}. Try again, or sign later."),
    }
}

/// A fingerprint mark needs a staff witness: the words.
pub fn needs_witness_text(lang: Lang) -> String {
    t(
        lang,
        "不会写字的，可以按手印代替签名，但要有工作人员在场见证。请点“呼叫工作人员”，由工作人员登录后协助办理；也可以让此人稍后签署。",
        "Someone who cannot write may sign with a fingerprint mark, but a staff member must witness it. Tap Call staff and have them log in to help; or let this person sign later.",
    )
}

/// Saving and sending: title and body.
pub fn submitting_text(lang: Lang) -> (String, String) {
    (
        t(lang, "正在提交……", "Submitting…"),
        t(
            lang,
            "正在保存并提交，请稍候。",
            "Saving and submitting, please wait.",
        ),
    )
}

/// The card could not be read.
pub fn card_failed_text(lang: Lang) -> String {
    t(
        lang,
        "身份证没有读出来。请再放一次，或者输入身份证号码。",
        "The ID card could not be read. Put it on again, or type the number.",
    )
}

/// The words of a signing button: agree and sign with `proof`.
pub fn sign_with_label(proof: SignProof, lang: Lang) -> String {
    match proof {
        SignProof::Fingerprint => t(lang, "同意，按指纹签署", "I agree: sign with fingerprint"),
        SignProof::Face => t(lang, "同意，刷脸签署", "I agree: sign with my face"),
    }
}

/// The 核对授权书 (economic-status verification authorization), as shown and read aloud.
pub fn authorization_text(signer: &PersonName, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "家庭经济状况核对授权书\n本人{}同意并授权民政部门及其委托的机构，为审核社会救助申请，向公安、人力社保、住房城乡建设、自然资源、市场监管、税务、银行、证券、保险等单位查询、核对本人及家庭成员的户籍、收入和财产等信息。所提供的信息真实、完整；如有虚报、隐瞒，愿意承担相应法律责任。本授权仅用于社会救助审核。",
            signer.masked()
        ),
        Lang::En => format!(
            "Authorization to verify household finances\nI, {}, authorize the civil affairs department and the bodies it entrusts to query and verify the household registration, income and assets of myself and my household with the police, human resources and social security, housing, natural resources, market regulation and tax authorities, banks, securities firms and insurers, for the review of this social assistance application only. The information I gave is true and complete; I accept legal responsibility for any false or hidden information.",
            signer.masked()
        ),
    }
}

/// "这是什么？" of a screen whose official words must stay: what they mean, plainly (`None`
/// where nothing needs explaining).
pub fn explanation(flow: &ApplyFlow, lang: Lang) -> Option<String> {
    match flow.step() {
        Step::Incomes => Some(t(
            lang,
            "收入按全家每个月算。工资性收入：上班、打工拿的工资。经营净收入：做生意、种地、养殖卖的钱减去本钱。财产净收入：出租房子、土地的租金和存款利息。转移净收入：别人给您家的钱，比如养老金、子女给的赡养费，减去您家给别人的。",
            "Count the whole household, per month. Wages: pay from a job. Business: what selling goods, crops or animals brings in, less the costs. Property: rent for a house or land, and interest. Transfers: money others give your household, such as pensions and support from children, less what your household gives to others.",
        )),
        Step::Authorization(_) => Some(t(
            lang,
            "核对授权书就是您签字同意，让民政部门去公安、社保、银行等地方查您家的收入和财产，看看是不是符合救助条件。不签，就没法审核申请。",
            "The authorization is your signed consent for the civil affairs office to check your household's income and property with the police, social security, banks and others, to see whether you qualify. Without it the application cannot be reviewed.",
        )),
        _ => None,
    }
}

/// What the 核对授权书 means, in a resident's words (shown and read first; the full text on
/// request): lines of at most 40 characters.
pub fn authorization_summary(signer: &PersonName, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "签署人：{}\n要点：您同意民政部门查询您家的收入和财产情况，\n用来判断能不能享受救助。\n您说的情况要真实，不能隐瞒。\n想看完整的核对授权书，请点“看全文并朗读”。",
            signer.masked()
        ),
        Lang::En => format!(
            "Signer: {}\nIn short: you agree that the civil affairs department may look up your household's income and property, to decide whether you can receive assistance.\nWhat you told us must be true and complete.\nTo see the full authorization, tap “Show and read the full text”.",
            signer.masked()
        ),
    }
}

/// The full 核对授权书 behind the summary of the screen shown (`None` on other screens).
pub fn authorization_details(flow: &ApplyFlow, lang: Lang) -> Option<String> {
    match flow.step() {
        Step::Authorization(n) => flow
            .draft()
            .signers(flow.today)
            .get(*n)
            .map(|e| authorization_text(&e.name, lang)),
        _ => None,
    }
}

/// What a screen says (shown and, in Chinese, spoken).
pub fn screen_text(flow: &ApplyFlow, lang: Lang) -> ScreenText {
    let d = flow.draft();
    let today = flow.today;
    let (title, body) = match flow.step() {
        Step::ChooseType => (
            t(lang, "申请救助：选择救助类别", "Apply: choose the assistance"),
            t(
                lang,
                "请点选要申请的救助类别。灰色的类别暂未开放。",
                "Tap the assistance you apply for. Grey ones are not open yet.",
            ),
        ),
        Step::ForWhom => (
            t(lang, "为谁申请？", "Who is applying?"),
            t(
                lang,
                "为自己和本户申请，点左边；替别人代办，点右边。",
                "For yourself and your household, tap left; for someone else, tap right.",
            ),
        ),
        Step::Identify(who) => (
            match who {
                Who::Agent => t(lang, "请代办人刷身份证", "Agent: tap your ID card"),
                Who::Applicant => t(lang, "请申请人刷身份证", "Applicant: tap the ID card"),
                Who::Member => t(lang, "请刷家庭成员的身份证", "Tap the member's ID card"),
            },
            t(
                lang,
                "把身份证放在感应区上；没有身份证，可以在右边输入身份证号码。",
                "Put the ID card on the reader, or type the ID number on the right.",
            ),
        ),
        Step::NeedName(_) => need_name_text(lang),
        Step::ConfirmTownship(i) => {
            let name = flow
                .townships()
                .get(*i)
                .map(|(_, n)| n.as_str())
                .unwrap_or_default();
            (
                t(lang, "户籍所在地", "Place of household registration"),
                match lang {
                    Lang::Zh => format!(
                        "身份证上的住址在{name}。救助要向户口所在地的乡镇（街道）申请，这份申请将交给{name}办理。对吗？"
                    ),
                    Lang::En => format!(
                        "The ID card's address is in {name}. Assistance is applied for where the household is registered, so this application goes to {name}. Is that right?"
                    ),
                },
            )
        }
        Step::ChooseTownship => (
            t(lang, "户籍所在地", "Place of household registration"),
            match d.applicant.as_ref().map(|a| a.from_card) {
                Some(true) => t(
                    lang,
                    "身份证上的住址不在本机受理的乡镇（街道）。救助要向户口所在地的乡镇（街道）申请。户口已经迁到下面哪一处，请点选；都不是，请点“都不是”。",
                    "The ID card's address is not in a township this kiosk serves. Assistance is applied for where the household is registered: if it has moved to one below, tap it; otherwise tap None of these.",
                ),
                _ => t(
                    lang,
                    "救助要向户口所在地的乡镇（街道）申请。请点选申请人户口所在的乡镇（街道）；都不是，请点“都不是”。",
                    "Assistance is applied for where the household is registered. Tap the applicant's township; if it is not listed, tap None of these.",
                ),
            },
        ),
        Step::AgentRelation => (
            t(lang, "您和申请人是什么关系？", "How are you related to the applicant?"),
            t(
                lang,
                "代办需要提交委托书和您的身份证，稍后会提示拍摄。",
                "An agent brings a power of attorney and their ID card; you will be asked to capture them.",
            ),
        ),
        Step::Members => (
            t(lang, "家庭成员", "Household members"),
            match (d.members.len(), lang) {
                (0, Lang::Zh) => "请添加和申请人共同生活的家庭成员，以及赡养、抚养、扶养义务人。没有其他成员，点“下一步”。".into(),
                (0, Lang::En) => "Add everyone living with the applicant, and persons obliged to support them. If there is nobody else, tap Next.".into(),
                (n, Lang::Zh) => format!("已添加{n}人。点成员可以删除；全部添加后点“下一步”。"),
                (n, Lang::En) => format!("{n} added. Tap a member to remove them; tap Next when all are added."),
            },
        ),
        Step::ConfirmRemove(i) => {
            let who = d
                .members
                .get(*i)
                .map(|m| m.name.masked())
                .unwrap_or_default();
            let signed = d
                .members
                .get(*i)
                .is_some_and(|m| d.signatures.iter().any(|s| s.signer == m.id));
            (
                t(lang, "要删除这位家庭成员吗？", "Remove this household member?"),
                match (signed, lang) {
                    (false, Lang::Zh) => format!("删除后，{who}不再算在申请里。"),
                    (false, Lang::En) => format!("{who} will no longer be part of the application."),
                    (true, Lang::Zh) => format!("删除后，{who}不再算在申请里，已经签的授权也会作废。"),
                    (true, Lang::En) => format!("{who} will no longer be part of the application, and the signature already given is void."),
                },
            )
        }
        Step::MemberRelation => (
            t(lang, "此人是申请人的？", "This person is the applicant's…"),
            flow.pending()
                .and_then(|p| p.name.as_ref())
                .map(|n| match lang {
                    Lang::Zh => format!("请选择{}和申请人的关系。", n.masked()),
                    Lang::En => format!("Choose how {} is related to the applicant.", n.masked()),
                })
                .unwrap_or_default(),
        ),
        Step::Incomes => (
            t(lang, "家庭每月收入", "Monthly household income"),
            match lang {
                Lang::Zh => format!(
                    "点每一项填写全家每月大约多少元，没有的不用填。现在合计每月{}元。",
                    d.monthly_income()
                ),
                Lang::En => format!(
                    "Tap a line to enter its monthly amount; skip what you lack. Total now ¥{} a month.",
                    d.monthly_income()
                ),
            },
        ),
        Step::Assets => (
            t(lang, "家庭财产", "Household assets"),
            t(
                lang,
                "点每一项填写全家大约多少元，没有的不用填。",
                "Tap each line to enter the household's amount in yuan; skip what you do not have.",
            ),
        ),
        Step::Amount(f) => (
            field_label(*f, lang),
            match lang {
                Lang::Zh => format!(
                    "请用数字键输入金额（元）：{}",
                    if flow.typed().is_empty() { "—" } else { flow.typed() }
                ),
                Lang::En => format!(
                    "Type the amount in yuan: {}",
                    if flow.typed().is_empty() { "—" } else { flow.typed() }
                ),
            },
        ),
        Step::Materials => (
            t(lang, "拍摄申请材料", "Capture the documents"),
            match (d.missing().len(), lang) {
                (0, Lang::Zh) => "材料都已拍好，点“下一步”。".into(),
                (0, Lang::En) => "All documents are captured; tap Next.".into(),
                (n, Lang::Zh) => format!(
                    "点一项，把材料平放在拍摄区内。还差{n}项；没带的可以先提交，之后到乡镇补交。"
                ),
                (n, Lang::En) => format!(
                    "Tap an item and lay the document flat in the capture area. {n} still missing; you may submit now and bring them to the township later."
                ),
            },
        ),
        Step::Scanning(m) => (
            material_label(*m, lang),
            t(
                lang,
                "请把材料平放在拍摄区内，不要用手遮挡。",
                "Lay the document flat in the capture area; keep your hands off it.",
            ),
        ),
        Step::ConfirmPage(m) => (
            material_label(*m, lang),
            t(
                lang,
                "这张照片清楚吗？文字看得清，点“使用”；不清楚，点“重拍”。",
                "Is the picture clear? If the text is readable, use it; otherwise retake.",
            ),
        ),
        Step::CloseRelative => (
            t(lang, "近亲属申明", "Close relatives of staff"),
            t(
                lang,
                "家庭成员中，有没有人是低保经办人员或村（居）委会干部的近亲属？请如实回答。选“是”的，工作人员会联系您，登记是哪位亲属。",
                "Is any household member a close relative of an assistance case worker or of a village committee member? Please answer truthfully. If yes, staff will contact you to record which relative.",
            ),
        ),
        Step::Authorization(n) => {
            let signer = d.signers(today).get(*n).map(|e| e.name.clone());
            (
                t(lang, "签署核对授权书", "Sign the authorization"),
                signer
                    .map(|s| authorization_summary(&s, lang))
                    .unwrap_or_default(),
            )
        }
        Step::SignerCheck(_, proof) => signer_check_text(*proof, lang),
        Step::Handwriting(n, _) => {
            handwriting_text(d.signers(today).get(*n).map(|e| &e.name), lang)
        }
        Step::FingerMark(n, _) => finger_mark_text(
            d.signers(today).get(*n).map(|e| &e.name),
            d.assisted_by.as_ref().map(|(_, name)| name.as_str()),
            lang,
        ),
        Step::Review => (
            t(lang, "请核对申请内容", "Check the application"),
            review_text(d, today, lang),
        ),
        Step::Submitting => submitting_text(lang),
        Step::Done(r) => (
            if r.queued {
                t(lang, "申请已保存", "Application saved")
            } else {
                t(lang, "申请已提交", "Application submitted")
            },
            receipt_text(r, lang)
                + &t(
                    lang,
                    "请取走身份证和回执。",
                    " Please take your ID card and the receipt.",
                ),
        ),
        Step::Problem(p) => (
            t(lang, "出了点问题", "Something went wrong"),
            match p {
                Problem::AlreadyListed => t(
                    lang,
                    "这个人已经在申请里了，请换一个人。",
                    "This person is already on the application.",
                ),
                Problem::CardFailed => card_failed_text(lang),
                Problem::OtherTownship => {
                    let names: Vec<&str> =
                        flow.townships().iter().map(|(_, n)| n.as_str()).collect();
                    match lang {
                        Lang::Zh => format!(
                            "这里只受理{}户籍的申请。请到户口所在地的乡镇（街道）便民服务中心申请救助，那里也有这样的自助机。需要帮忙，请点“呼叫工作人员”。",
                            names.join("、")
                        ),
                        Lang::En => format!(
                            "This kiosk takes applications of households registered in {} only. Apply at the service centre of the township where your household is registered; it has a kiosk like this one. For help, tap Call staff.",
                            names.join(", ")
                        ),
                    }
                }
                Problem::AgentIsApplicant => t(
                    lang,
                    "代办人不能同时是申请人。为自己申请，请回到上一步选“为自己申请”。",
                    "The agent cannot also be the applicant.",
                ),
                Problem::ScanFailed(e) => match lang {
                    Lang::Zh => format!("没有拍好：{e}。可以再拍一次，或者先跳过，之后补交。"),
                    Lang::En => format!("The page was not captured: {e}. Try again, or bring it later."),
                },
                Problem::SignerCheckFailed(e) => match lang {
                    Lang::Zh => format!("身份没有确认：{e}。可以再试一次，或者让此人稍后签署。"),
                    Lang::En => format!("Identity not confirmed: {e}. Try again, or let this person sign later."),
                },
                Problem::NeedsWitness => needs_witness_text(lang),
                Problem::MarkFailed(e) => mark_failed_text(e, lang),
                Problem::SubmitFailed(e) => match lang {
                    Lang::Zh => format!("申请没有保存成功：{e}。请再试一次，或请工作人员帮忙。"),
                    Lang::En => format!("The application was not saved: {e}. Try again, or ask staff."),
                },
            },
        ),
    };
    ScreenText { title, body }
}

fn review_text(d: &Draft, today: NaiveDate, lang: Lang) -> String {
    let mut lines = Vec::new();
    let zh = lang == Lang::Zh;
    if let Some(a) = d.assistance_type {
        lines.push(format!(
            "{}{}",
            if zh { "类别：" } else { "Assistance: " },
            type_label(a, lang)
        ));
    }
    if let Some(a) = &d.applicant {
        lines.push(format!(
            "{}{}",
            if zh { "申请人：" } else { "Applicant: " },
            a.name.masked()
        ));
    }
    if let Some((_, name)) = &d.township {
        lines.push(format!(
            "{}{}",
            if zh {
                "户籍所在地："
            } else {
                "Registered in: "
            },
            name
        ));
    }
    if let Some((a, r)) = &d.agent {
        lines.push(format!(
            "{}{}（{}）",
            if zh { "代办人：" } else { "Agent: " },
            a.name.masked(),
            if zh { r.label_zh() } else { r.label_en() }
        ));
    }
    lines.push(format!(
        "{}{}",
        if zh {
            "家庭人数："
        } else {
            "Household size: "
        },
        1 + d
            .members
            .iter()
            .filter(|m| m.relationship != Relationship::Obligated)
            .count()
    ));
    lines.push(if zh {
        format!("每月收入合计：{}元", d.monthly_income())
    } else {
        format!("Monthly income: ¥{}", d.monthly_income())
    });
    let assets: i64 = d.assets.values().sum();
    lines.push(if zh {
        format!("财产合计：{assets}元")
    } else {
        format!("Assets: ¥{assets}")
    });
    let missing = d.missing();
    lines.push(if missing.is_empty() {
        t(lang, "材料：齐全", "Documents: complete")
    } else {
        format!(
            "{}{}",
            if zh {
                "还差材料："
            } else {
                "Documents missing: "
            },
            missing
                .iter()
                .map(|m| material_label(*m, lang))
                .collect::<Vec<_>>()
                .join(if zh { "、" } else { ", " })
        )
    });
    let unsigned: Vec<String> = d
        .signers(today)
        .iter()
        .filter(|e| !d.signatures.iter().any(|s| s.signer == e.id))
        .map(|e| e.name.masked())
        .collect();
    lines.push(if unsigned.is_empty() {
        t(lang, "授权书：都已签署", "Authorization: everyone signed")
    } else {
        format!(
            "{}{}",
            if zh {
                "稍后签署授权书："
            } else {
                "To sign the authorization later: "
            },
            unsigned.join(if zh { "、" } else { ", " })
        )
    });
    if let Some((_, name)) = &d.assisted_by {
        lines.push(format!(
            "{}{name}",
            if zh {
                "协助办理："
            } else {
                "Assisted by: "
            }
        ));
    }
    lines.join("\n")
}

/// What the receipt says on screen.
pub fn receipt_text(r: &Receipt, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    let mut lines = vec![
        format!(
            "{}{}",
            if zh { "申请编号：" } else { "Reference: " },
            r.reference
        ),
        if r.queued {
            t(
                lang,
                "网络暂时不通，申请已安全保存在本机，联网后自动提交，不用再来一次。",
                "The network is down: the application is saved safely here and will be sent automatically. You need not come again.",
            )
        } else {
            t(
                lang,
                "乡镇（街道）已收到申请。",
                "The township has received the application.",
            )
        },
        if zh {
            format!(
                "{}前，乡镇会决定是否受理；材料不全的，会一次性告诉您还差什么。",
                date(r.accept_by, lang)
            )
        } else {
            format!(
                "By {} the township decides whether to accept it, and tells you at once anything that is missing.",
                date(r.accept_by, lang)
            )
        },
        if zh {
            format!(
                "一般在{}前办结，结果会在村（社区）公示。",
                date(r.decide_by, lang)
            )
        } else {
            format!(
                "It is normally decided by {}; the result is posted in the village.",
                date(r.decide_by, lang)
            )
        },
    ];
    if !r.missing.is_empty() {
        lines.push(format!(
            "{}{}",
            if zh { "请补交：" } else { "Please bring: " },
            r.missing
                .iter()
                .map(|m| material_label(*m, lang))
                .collect::<Vec<_>>()
                .join(if zh { "、" } else { ", " })
        ));
    }
    if !r.unsigned.is_empty() {
        lines.push(format!(
            "{}{}",
            if zh {
                "请以下成员本人带身份证，到任一自助终端点“签署授权”（或到乡镇便民服务中心）签署核对授权书："
            } else {
                "These members sign the authorization in person with their ID card: tap \"Sign the authorization\" at any kiosk, or go to the township service centre: "
            },
            r.unsigned.join(if zh { "、" } else { ", " })
        ));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests;
