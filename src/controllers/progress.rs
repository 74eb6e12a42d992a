//! 进度查询 (follow a case, domain.md §1 item 3) as a state machine.
//!
//! The person identifies (ID card or keypad); someone asking for another person (委托代办)
//! identifies themself first as the agent, then the applicant. The flow then asks central
//! ([`Effect::Query`]); the answer is live or, when central cannot be reached, the encrypted
//! local cache with its "last updated" time. Each case is shown as the timeline
//! 申请—审核—确认 with its dates, the working-day deadlines (recounted from today with core's
//! [`Calendar`], the same rules central keeps them by), what is missing (the one-time notice
//! 一次性告知 and the members who still have to sign), the township hotline and the 举报 number.
//! A recipient certified this cycle is offered 补打认证证明.
//!
//! Someone who knows an ID number must not see that person's cases by typing it: a typed number
//! (a [`Person`] without the card's name) is taken only while a staff member assists at this
//! kiosk (a live staff session, [`ProgressFlow::start_assisted`]); otherwise the screen asks for
//! the card or a member of staff ([`TYPED_NEEDS_CARD`]). Someone asking for another person shows
//! their own card; the applicant's number may then be typed, since central answers only the
//! cases on which that agent is recorded.
//! The documents central issued to the household (一次性告知书, 调查结果告知书, 不予确认决定书 …)
//! are read one by one in full ([`Step::Notice`]), undelivered first: the screen shows and reads
//! the text aloud, prints it on request, and — on a live answer, for a document not yet delivered
//! — records its delivery (送达) at central when the person confirms they have read it.
//!
//! Like [`super::certify::CertifyFlow`], every screen and every operation carries a sequence
//! number; an event with another number (a double press, a late answer, anything from before a
//! reset) is refused.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use jiuzhu_core::api::{CaseNotice, CaseSummary, DeadlineSummary, DeliveryMethod};
use jiuzhu_core::calendar::{Calendar, calendar_days_between};
use jiuzhu_core::id::IdNumber;
use jiuzhu_core::workflow::{CaseState, DayUnit, Phase};

pub use super::certify::Person;
pub use super::text::Lang;

/// Whose identity the identify screen asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The person whose cases are asked for (the applicant or a member).
    Applicant,
    /// The agent (受托人) asking for someone else.
    Agent,
}

/// An answer from central, as the flow needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The person's cases, newest first.
    pub cases: Vec<CaseSummary>,
    /// When central gave this answer (Unix milliseconds).
    pub last_updated: i64,
    /// Whether central could not be reached and this is the cached answer.
    pub from_cache: bool,
}

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// Central cannot be reached and nothing is cached for this person.
    Offline,
    /// This kiosk has no central service configured.
    NotConfigured,
    /// Central refused the query, or the answer was unreadable (the detail is for staff).
    Failed(String),
}

/// The screen shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Put the ID card on the reader or type the number.
    Identify {
        /// Whose identity.
        who: Who,
        /// What went wrong with the last card read, if anything.
        card_problem: Option<String>,
    },
    /// Asking central.
    Asking,
    /// The cases (live or cached).
    Cases(Answer),
    /// Central answered (or the cache held) no case for this person.
    NoCase {
        /// The empty answer's time, and whether it came from the cache.
        last_updated: i64,
        /// Whether it came from the cache.
        from_cache: bool,
    },
    /// No answer at all.
    Unavailable(NoAnswer),
    /// One document of the person's cases, read in full.
    Notice(NoticeView),
}

/// The document shown, within the answer it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct NoticeView {
    /// The answer (kept to go back to the cases).
    pub answer: Answer,
    /// Position in [`notice_order`] of the document shown.
    pub pos: usize,
    /// Its delivery on this visit.
    pub delivery: Delivery,
}

/// Where the confirmation of a document's receipt stands on this visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not asked on this visit.
    Open,
    /// Sent to central, waiting for its answer.
    Sending,
    /// Central recorded the delivery (or had one already) on that day.
    Recorded(NaiveDate),
    /// Central could not record it (the detail is for the log).
    Failed(String),
}

/// The documents of an answer as (case index, notice index): those not yet delivered first,
/// then the others; newest first within each group.
pub fn notice_order(a: &Answer) -> Vec<(usize, usize)> {
    let mut all: Vec<(usize, usize, &CaseNotice)> = a
        .cases
        .iter()
        .enumerate()
        .flat_map(|(ci, c)| c.notices.iter().enumerate().map(move |(ni, n)| (ci, ni, n)))
        .collect();
    all.sort_by_key(|(ci, ni, n)| {
        (
            n.delivered_on.is_some(),
            std::cmp::Reverse(n.issued_on),
            *ci,
            std::cmp::Reverse(*ni),
        )
    });
    all.into_iter().map(|(ci, ni, _)| (ci, ni)).collect()
}

impl NoticeView {
    /// The case and the document shown.
    pub fn current(&self) -> Option<(&CaseSummary, &CaseNotice)> {
        let (ci, ni) = *notice_order(&self.answer).get(self.pos)?;
        let case = self.answer.cases.get(ci)?;
        Some((case, case.notices.get(ni)?))
    }

    /// Whether the person can confirm receipt now: a live answer, a document not yet
    /// delivered, not already sent on this visit.
    pub fn confirmable(&self) -> bool {
        !self.answer.from_cache
            && matches!(self.delivery, Delivery::Open | Delivery::Failed(_))
            && self
                .current()
                .is_some_and(|(_, n)| n.delivered_on.is_none())
    }
}

/// A button on the progress screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// 我替别人查询 (on the first identify screen).
    ForSomeoneElse,
    /// 补打认证证明.
    Reprint,
    /// 重新查询 (after a failure: ask central again).
    Retry,
    /// 查询其他人 (start again).
    Again,
    /// 查看告知书 (on the cases screen, when there are documents).
    Notices,
    /// 我已阅读，确认收到 (a document not yet delivered).
    ConfirmReceived,
    /// 打印 (the document shown).
    PrintNotice,
    /// 再读一遍.
    ReadAloud,
    /// 下一份.
    NextNotice,
    /// 返回进度.
    BackToCases,
}

impl Choice {
    /// The name the page passes back.
    pub fn name(self) -> &'static str {
        match self {
            Choice::ForSomeoneElse => "for-someone-else",
            Choice::Reprint => "reprint",
            Choice::Retry => "retry",
            Choice::Again => "again",
            Choice::Notices => "notices",
            Choice::ConfirmReceived => "confirm-received",
            Choice::PrintNotice => "print-notice",
            Choice::ReadAloud => "read-aloud",
            Choice::NextNotice => "next-notice",
            Choice::BackToCases => "back-to-cases",
        }
    }

    /// Parses [`Choice::name`].
    pub fn from_name(name: &str) -> Option<Choice> {
        [
            Choice::ForSomeoneElse,
            Choice::Reprint,
            Choice::Retry,
            Choice::Again,
            Choice::Notices,
            Choice::ConfirmReceived,
            Choice::PrintNotice,
            Choice::ReadAloud,
            Choice::NextNotice,
            Choice::BackToCases,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }

    /// The button's words.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Choice::ForSomeoneElse, Lang::Zh) => "我替别人查询（代办）",
            (Choice::ForSomeoneElse, Lang::En) => "I am asking for someone else",
            (Choice::Reprint, Lang::Zh) => "补打认证证明",
            (Choice::Reprint, Lang::En) => "Reprint the certification proof",
            (Choice::Retry, Lang::Zh) => "重新查询",
            (Choice::Retry, Lang::En) => "Ask again",
            (Choice::Again, Lang::Zh) => "查询其他人",
            (Choice::Again, Lang::En) => "Look up someone else",
            (Choice::Notices, Lang::Zh) => "查看告知书",
            (Choice::Notices, Lang::En) => "Read the notices",
            (Choice::ConfirmReceived, Lang::Zh) => "我已阅读，确认收到",
            (Choice::ConfirmReceived, Lang::En) => "I have read it: confirm receipt",
            (Choice::PrintNotice, Lang::Zh) => "打印这份告知书",
            (Choice::PrintNotice, Lang::En) => "Print this notice",
            (Choice::ReadAloud, Lang::Zh) => "再读一遍",
            (Choice::ReadAloud, Lang::En) => "Read it aloud again",
            (Choice::NextNotice, Lang::Zh) => "下一份",
            (Choice::NextNotice, Lang::En) => "Next notice",
            (Choice::BackToCases, Lang::Zh) => "返回进度",
            (Choice::BackToCases, Lang::En) => "Back to the progress",
        }
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A person identified (card or keypad) on an identify screen.
    Identified(Person),
    /// The card read failed (`timeout`: nobody put a card down in time).
    CardFailed {
        /// The reader gave up waiting.
        timeout: bool,
        /// What happened.
        detail: String,
    },
    /// Central's answer (or the cache's), or why there is none.
    Answered(Result<Answer, NoAnswer>),
    /// Whether the person is a recipient certified this cycle (asked after a live answer).
    Certified(bool),
    /// A button.
    Chose(Choice),
    /// Central's answer to the confirmation of receipt: the delivery day, or why not.
    DeliveryAnswered(Result<NaiveDate, String>),
}

/// What the wiring carries out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Read one ID card; deliver [`Event::Identified`] or [`Event::CardFailed`] with `seq`.
    ReadIdCard {
        /// Sequence number of the screen waiting.
        seq: u64,
    },
    /// Stop waiting for a card (identified on the keypad, or the flow moved on).
    CancelCard,
    /// Ask central for the person's cases (or the cache); deliver [`Event::Answered`].
    Query {
        /// Sequence number.
        seq: u64,
        /// Whose cases.
        id: IdNumber,
        /// The agent asking, if any.
        agent: Option<IdNumber>,
    },
    /// Ask central whether `id` is a recipient certified this cycle; deliver
    /// [`Event::Certified`].
    CheckCertification {
        /// Sequence number.
        seq: u64,
        /// The person.
        id: IdNumber,
    },
    /// Print another copy of the certification proof (the certification screen's path).
    ReprintProof {
        /// The recipient.
        recipient: IdNumber,
    },
    /// Print a document in full.
    PrintNotice {
        /// Its title.
        title: String,
        /// The case number.
        case_no: String,
        /// The text.
        text: String,
    },
    /// Say this now, even if it was said before (再读一遍).
    Speak(String),
    /// Record at central that the person identified received document `notice`; deliver
    /// [`Event::DeliveryAnswered`].
    ConfirmDelivery {
        /// Sequence number.
        seq: u64,
        /// Document id.
        notice: i64,
        /// The applicant.
        id: IdNumber,
        /// The agent, when the agent asks.
        agent: Option<IdNumber>,
    },
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The event belongs to another screen.
    #[error("stale event: sequence {got}, screen is {current}")]
    Stale {
        /// The event's number.
        got: u64,
        /// The screen's.
        current: u64,
    },
    /// The event makes no sense on this screen.
    #[error("{event} is not expected on {step}")]
    Unexpected {
        /// The event.
        event: &'static str,
        /// The screen.
        step: &'static str,
    },
}

/// The `card_problem` of an identify screen after a typed number was refused: the card, or a
/// member of staff, is needed.
pub const TYPED_NEEDS_CARD: &str = "typed-needs-card";

/// The 进度查询 flow.
#[derive(Debug, Clone)]
pub struct ProgressFlow {
    step: Step,
    seq: u64,
    person: Option<Person>,
    agent: Option<Person>,
    certified: bool,
    reprinted: bool,
    /// A staff member assists at this kiosk (a live staff session): typed numbers are taken.
    staff: bool,
}

impl Default for ProgressFlow {
    fn default() -> Self {
        Self::new()
    }
}

impl ProgressFlow {
    /// A flow at its first screen (not started: call [`ProgressFlow::start`]).
    pub fn new() -> Self {
        ProgressFlow {
            step: Step::Identify {
                who: Who::Applicant,
                card_problem: None,
            },
            seq: 0,
            person: None,
            agent: None,
            certified: false,
            reprinted: false,
            staff: false,
        }
    }

    /// The screen shown.
    pub fn step(&self) -> &Step {
        &self.step
    }

    /// The sequence number of the screen shown.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The agent, when someone asks for another person.
    pub fn agent(&self) -> Option<&Person> {
        self.agent.as_ref()
    }

    /// Whether 补打认证证明 is offered now.
    pub fn can_reprint(&self) -> bool {
        self.certified && !self.reprinted && self.agent.is_none()
    }

    /// Whether a proof was reprinted on this screen.
    pub fn reprinted(&self) -> bool {
        self.reprinted
    }

    /// Whether anything personal is held.
    pub fn holds_personal_data(&self) -> bool {
        self.person.is_some()
            || self.agent.is_some()
            || matches!(
                self.step,
                Step::Cases(_) | Step::NoCase { .. } | Step::Notice(_)
            )
    }

    /// Forgets everything (the screen goes back to the first identify screen, not waiting).
    pub fn reset(&mut self) -> Vec<Effect> {
        let seq = self.seq + 1;
        *self = ProgressFlow::new();
        self.seq = seq;
        vec![Effect::CancelCard]
    }

    /// Starts (again) at the first identify screen, waiting for a card; typed numbers are
    /// refused (no staff member assists).
    pub fn start(&mut self) -> Vec<Effect> {
        self.start_assisted(false)
    }

    /// Starts at the first identify screen; `staff`: a staff member assists at this kiosk now
    /// (a live staff session), so typed numbers are taken.
    pub fn start_assisted(&mut self, staff: bool) -> Vec<Effect> {
        let mut e = self.reset();
        self.staff = staff;
        e.push(Effect::ReadIdCard { seq: self.seq });
        e
    }

    /// Whether a typed number is taken now.
    pub fn staff_assisting(&self) -> bool {
        self.staff
    }

    /// The buttons of the screen shown (besides 回到首页).
    pub fn choices(&self) -> Vec<Choice> {
        match &self.step {
            Step::Identify {
                who: Who::Applicant,
                ..
            } if self.agent.is_none() => vec![Choice::ForSomeoneElse],
            Step::Identify { .. } | Step::Asking => vec![],
            Step::Cases(a) if !notice_order(a).is_empty() => {
                let mut c = vec![Choice::Notices];
                if self.can_reprint() {
                    c.push(Choice::Reprint);
                }
                c.push(Choice::Again);
                c
            }
            Step::Notice(v) => {
                let mut c = Vec::new();
                if v.confirmable() {
                    c.push(Choice::ConfirmReceived);
                }
                c.extend([Choice::PrintNotice, Choice::ReadAloud]);
                if notice_order(&v.answer).len() > 1 {
                    c.push(Choice::NextNotice);
                }
                c.push(Choice::BackToCases);
                c
            }
            Step::Cases(_) | Step::NoCase { .. } => {
                let mut c = Vec::new();
                if self.can_reprint() {
                    c.push(Choice::Reprint);
                }
                c.push(Choice::Again);
                c
            }
            Step::Unavailable(_) => vec![Choice::Retry, Choice::Again],
        }
    }

    fn go(&mut self, step: Step) {
        self.seq += 1;
        self.step = step;
    }

    fn identify(&mut self, who: Who) -> Vec<Effect> {
        self.go(Step::Identify {
            who,
            card_problem: None,
        });
        vec![Effect::CancelCard, Effect::ReadIdCard { seq: self.seq }]
    }

    fn query(&mut self) -> Vec<Effect> {
        let Some(p) = &self.person else {
            return vec![];
        };
        let id = p.id.clone();
        self.certified = false;
        self.reprinted = false;
        self.go(Step::Asking);
        vec![
            Effect::CancelCard,
            Effect::Query {
                seq: self.seq,
                id,
                agent: self.agent.as_ref().map(|a| a.id.clone()),
            },
        ]
    }

    fn step_name(&self) -> &'static str {
        match self.step {
            Step::Identify { .. } => "identify",
            Step::Asking => "asking",
            Step::Cases(_) => "cases",
            Step::NoCase { .. } => "no case",
            Step::Unavailable(_) => "unavailable",
            Step::Notice(_) => "notice",
        }
    }

    /// Takes one event for the screen numbered `seq`.
    pub fn handle(&mut self, seq: u64, event: Event) -> Result<Vec<Effect>, FlowError> {
        if seq != self.seq {
            return Err(FlowError::Stale {
                got: seq,
                current: self.seq,
            });
        }
        let unexpected = |s: &Self, event: &'static str| {
            Err(FlowError::Unexpected {
                event,
                step: s.step_name(),
            })
        };
        match (event, self.step.clone()) {
            (Event::Identified(p), Step::Identify { who, .. })
                if p.name.is_none()
                    && !self.staff
                    && (who == Who::Agent || self.agent.is_none()) =>
            {
                // A typed number alone shows nobody's cases: the card, or a staff member.
                self.go(Step::Identify {
                    who,
                    card_problem: Some(TYPED_NEEDS_CARD.into()),
                });
                Ok(vec![Effect::ReadIdCard { seq: self.seq }])
            }
            (Event::Identified(p), Step::Identify { who, .. }) => match who {
                Who::Agent => {
                    self.agent = Some(p);
                    Ok(self.identify(Who::Applicant))
                }
                Who::Applicant => {
                    if self.agent.as_ref().is_some_and(|a| a.id == p.id) {
                        // The agent's own card again: still waiting for the applicant's.
                        self.go(Step::Identify {
                            who,
                            card_problem: Some("same-person".into()),
                        });
                        return Ok(vec![Effect::ReadIdCard { seq: self.seq }]);
                    }
                    self.person = Some(p);
                    Ok(self.query())
                }
            },
            (Event::CardFailed { timeout, detail }, Step::Identify { who, .. }) => {
                self.go(Step::Identify {
                    who,
                    card_problem: (!timeout).then_some(detail),
                });
                // A timeout only means nobody put a card down: keep waiting. After a bad
                // read the person may try the card again or use the keypad.
                Ok(vec![Effect::ReadIdCard { seq: self.seq }])
            }
            (Event::Answered(r), Step::Asking) => {
                match r {
                    Ok(a) if a.cases.is_empty() => self.go(Step::NoCase {
                        last_updated: a.last_updated,
                        from_cache: a.from_cache,
                    }),
                    Ok(a) => {
                        let live = !a.from_cache;
                        self.go(Step::Cases(a));
                        if live
                            && self.agent.is_none()
                            && let Some(p) = &self.person
                        {
                            return Ok(vec![Effect::CheckCertification {
                                seq: self.seq,
                                id: p.id.clone(),
                            }]);
                        }
                    }
                    Err(e) => self.go(Step::Unavailable(e)),
                }
                Ok(vec![])
            }
            (Event::Certified(c), Step::Cases(_)) => {
                // Only adds a button to the same screen: the sequence stays.
                self.certified = c;
                Ok(vec![])
            }
            (Event::Chose(Choice::ForSomeoneElse), Step::Identify { who, .. })
                if who == Who::Applicant && self.agent.is_none() =>
            {
                Ok(self.identify(Who::Agent))
            }
            (Event::Chose(Choice::Reprint), Step::Cases(a)) if self.can_reprint() => {
                let Some(p) = &self.person else {
                    return unexpected(self, "reprint");
                };
                let recipient = p.id.clone();
                self.reprinted = true;
                self.go(Step::Cases(a));
                Ok(vec![Effect::ReprintProof { recipient }])
            }
            (Event::Chose(Choice::Retry), Step::Unavailable(_)) => Ok(self.query()),
            (Event::Chose(Choice::Notices), Step::Cases(answer))
                if !notice_order(&answer).is_empty() =>
            {
                self.go(Step::Notice(NoticeView {
                    answer,
                    pos: 0,
                    delivery: Delivery::Open,
                }));
                Ok(vec![])
            }
            (Event::Chose(Choice::NextNotice), Step::Notice(v)) => {
                let n = notice_order(&v.answer).len().max(1);
                self.go(Step::Notice(NoticeView {
                    pos: (v.pos + 1) % n,
                    delivery: Delivery::Open,
                    answer: v.answer,
                }));
                Ok(vec![])
            }
            (Event::Chose(Choice::BackToCases), Step::Notice(v)) => {
                self.go(Step::Cases(v.answer));
                Ok(vec![])
            }
            (Event::Chose(Choice::PrintNotice), Step::Notice(v)) => {
                let Some((case, n)) = v.current() else {
                    return unexpected(self, "print");
                };
                let e = Effect::PrintNotice {
                    title: n.title.clone(),
                    case_no: case.case_no.clone().unwrap_or_else(|| case.case_id.clone()),
                    text: n.text.clone(),
                };
                // A new screen number: a double press prints once.
                self.go(Step::Notice(v));
                Ok(vec![e])
            }
            (Event::Chose(Choice::ReadAloud), Step::Notice(v)) => {
                let Some((_, n)) = v.current() else {
                    return unexpected(self, "read aloud");
                };
                Ok(vec![Effect::Speak(format!("{}。{}", n.title, n.text))])
            }
            (Event::Chose(Choice::ConfirmReceived), Step::Notice(v)) if v.confirmable() => {
                let (Some((_, n)), Some(p)) = (v.current(), &self.person) else {
                    return unexpected(self, "confirm");
                };
                let e = |seq| Effect::ConfirmDelivery {
                    seq,
                    notice: n.id,
                    id: p.id.clone(),
                    agent: self.agent.as_ref().map(|a| a.id.clone()),
                };
                let e = e(self.seq + 1);
                self.go(Step::Notice(NoticeView {
                    delivery: Delivery::Sending,
                    ..v
                }));
                Ok(vec![e])
            }
            (Event::DeliveryAnswered(r), Step::Notice(mut v))
                if v.delivery == Delivery::Sending =>
            {
                let shown = notice_order(&v.answer).get(v.pos).copied();
                v.delivery = match r {
                    Ok(day) => {
                        if let Some((ci, ni)) = shown
                            && let Some(n) = v
                                .answer
                                .cases
                                .get_mut(ci)
                                .and_then(|c| c.notices.get_mut(ni))
                            && n.delivered_on.is_none()
                        {
                            n.delivered_on = Some(day);
                            n.delivered_how = Some(DeliveryMethod::Kiosk);
                        }
                        Delivery::Recorded(day)
                    }
                    Err(e) => Delivery::Failed(e),
                };
                // The delivered document moves behind the undelivered ones: keep showing it.
                if let Some(at) = notice_order(&v.answer)
                    .iter()
                    .position(|x| Some(*x) == shown)
                {
                    v.pos = at;
                }
                self.go(Step::Notice(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::Again), Step::Cases(_) | Step::NoCase { .. })
            | (Event::Chose(Choice::Again), Step::Unavailable(_)) => {
                Ok(self.start_assisted(self.staff))
            }
            (Event::Identified(_), _) => unexpected(self, "identified"),
            (Event::CardFailed { .. }, _) => unexpected(self, "card failed"),
            (Event::Answered(_), _) => unexpected(self, "answer"),
            (Event::Certified(_), _) => unexpected(self, "certified"),
            (Event::Chose(_), _) => unexpected(self, "choice"),
            (Event::DeliveryAnswered(_), _) => unexpected(self, "delivery answer"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the screens say
// ---------------------------------------------------------------------------------------------

/// One stage of the timeline 申请—审核—确认.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 申请 / 审核 / 确认.
    pub label: String,
    /// The date it was reached, or what it waits for.
    pub date: String,
    /// Done, under way now, or still to come.
    pub status: StageStatus,
}

/// Where a stage stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageStatus {
    /// Still to come.
    Todo,
    /// Under way.
    Current,
    /// Done.
    Done,
}

/// One case as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseText {
    /// The assistance type.
    pub heading: String,
    /// Where it stands, in words.
    pub state: String,
    /// 申请—审核—确认.
    pub stages: Vec<Stage>,
    /// The running deadlines, one line each.
    pub deadlines: Vec<String>,
    /// The one-time notice: its heading line ("" without one).
    pub notice: String,
    /// The materials the notice asks for (empty when supplied or without a notice).
    pub missing: Vec<String>,
    /// Members who still have to sign ("" when nobody).
    pub signatures: String,
    /// Hotline and 举报 number.
    pub contact: String,
}

/// The words of a progress screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenText {
    /// The heading.
    pub title: String,
    /// What happened / what to do.
    pub body: String,
    /// "最后更新 …" when the answer came from the cache ("" when live).
    pub cached: String,
    /// The cases.
    pub cases: Vec<CaseText>,
    /// The full text of the document shown ("" on the other screens).
    pub document: String,
}

impl ScreenText {
    /// What the voice says: heading, body, the cached note, then each case's state, what is
    /// missing and the most urgent deadline.
    pub fn speech(&self) -> String {
        let mut s = format!("{}。{}", self.title, self.body);
        if !self.cached.is_empty() {
            s.push_str(&format!("{}。", self.cached));
        }
        if !self.document.is_empty() {
            s.push_str(&self.document);
        }
        for c in &self.cases {
            s.push_str(&format!("{}，{}。", c.heading, c.state));
            if !c.missing.is_empty() {
                s.push_str(&format!("{}：{}。", c.notice, c.missing.join("、")));
            }
            if !c.signatures.is_empty() {
                s.push_str(&format!("{}。", c.signatures));
            }
            if let Some(d) = c.deadlines.first() {
                s.push_str(&format!("{d}。"));
            }
        }
        s
    }
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// A date in words.
pub fn date_text(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => d.format("%Y年%-m月%-d日").to_string(),
        Lang::En => d.format("%-d %B %Y").to_string(),
    }
}

/// A Unix-millisecond instant in China time, in words.
pub fn time_text(ms: i64, lang: Lang) -> String {
    let Some(at) = Utc.timestamp_millis_opt(ms).single() else {
        return t(lang, "（时间不明）", "(time unknown)");
    };
    let at: DateTime<FixedOffset> = at.with_timezone(&china());
    match lang {
        Lang::Zh => at.format("%Y年%-m月%-d日 %H:%M").to_string(),
        Lang::En => at.format("%-d %B %Y, %H:%M").to_string(),
    }
}

fn cached_note(last_updated: i64, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!(
            "现在连不上服务器。下面是本机保存的信息，最后更新 {}，可能不是最新的。",
            time_text(last_updated, lang)
        ),
        Lang::En => format!(
            "The central service cannot be reached. This is the information kept on this kiosk, last updated {}; it may not be current.",
            time_text(last_updated, lang)
        ),
    }
}

fn state_of(s: &CaseSummary) -> Option<CaseState> {
    serde_json::from_value(serde_json::Value::String(s.state.clone())).ok()
}

fn type_label(s: &CaseSummary, lang: Lang) -> String {
    match lang {
        Lang::Zh => s.assistance_type.label_zh().to_string(),
        Lang::En => match s.assistance_type {
            jiuzhu_core::api::AssistanceType::Dibao => "Minimum living allowance (dibao)".into(),
            jiuzhu_core::api::AssistanceType::Tekun => {
                "Support for persons in extreme poverty".into()
            }
            jiuzhu_core::api::AssistanceType::Temporary => "Temporary assistance".into(),
            jiuzhu_core::api::AssistanceType::LowIncomeEdge => "Low-income edge household".into(),
        },
    }
}

/// One deadline line, its days left recounted from `today` with `cal`.
pub fn deadline_text(d: &DeadlineSummary, cal: &Calendar, today: NaiveDate, lang: Lang) -> String {
    let (label, unit) = match lang {
        Lang::Zh => (d.kind.label_zh(), d.unit.label_zh()),
        Lang::En => (d.kind.label_en(), d.unit.label_en()),
    };
    let count = |from: NaiveDate, to: NaiveDate| match d.unit {
        DayUnit::Working => cal.working_days_between(from, to).value,
        DayUnit::Calendar => calendar_days_between(from, to),
    };
    let due = date_text(d.due, lang);
    let mut line = match lang {
        Lang::Zh if today > d.due => format!(
            "{label}：{due}（{allowed}个{unit}），已超过 {} 个{unit}",
            count(d.due, today),
            allowed = d.allowed
        ),
        Lang::Zh => format!(
            "{label}：{due}前（{allowed}个{unit}），还剩 {} 个{unit}",
            count(today, d.due),
            allowed = d.allowed
        ),
        Lang::En if today > d.due => format!(
            "{label}: by {due} ({allowed} {unit}), {} {unit} overdue",
            count(d.due, today),
            allowed = d.allowed
        ),
        Lang::En => format!(
            "{label}: by {due} ({allowed} {unit}), {} {unit} left",
            count(today, d.due),
            allowed = d.allowed
        ),
    };
    if d.provisional {
        line.push_str(&t(
            lang,
            "（当年节假日安排未公布，日期可能调整）",
            " (the year's holidays are not announced yet; the date may change)",
        ));
    }
    line
}

/// One case as shown on `today`.
pub fn case_text(s: &CaseSummary, cal: &Calendar, today: NaiveDate, lang: Lang) -> CaseText {
    let state = state_of(s);
    let phase = state.map(|s| s.phase());
    let submitted = s.submitted_at.with_timezone(&china()).date_naive();
    let decided = state.is_some_and(|s| s.is_decided());
    let stage = |label_zh: &str, label_en: &str, date: String, status| Stage {
        label: t(lang, label_zh, label_en),
        date,
        status,
    };
    let review_status = match phase {
        Some(Phase::Review) => StageStatus::Current,
        Some(Phase::Confirmation | Phase::Closed) if s.accepted_on.is_some() => StageStatus::Done,
        _ => StageStatus::Todo,
    };
    let confirm_status = match phase {
        _ if decided => StageStatus::Done,
        Some(Phase::Confirmation) => StageStatus::Current,
        _ => StageStatus::Todo,
    };
    let apply_status = match phase {
        Some(Phase::Application) => StageStatus::Current,
        _ => StageStatus::Done,
    };
    let stages = vec![
        stage(
            "申请",
            "Application",
            match lang {
                Lang::Zh => format!("{} 提交", date_text(submitted, lang)),
                Lang::En => format!("submitted {}", date_text(submitted, lang)),
            },
            apply_status,
        ),
        stage(
            "审核",
            "Review",
            match s.accepted_on {
                Some(d) => match lang {
                    Lang::Zh => format!("{} 受理", date_text(d, lang)),
                    Lang::En => format!("accepted {}", date_text(d, lang)),
                },
                None => t(lang, "待受理", "not accepted yet"),
            },
            review_status,
        ),
        stage(
            "确认",
            "Decision",
            match (s.decided_on, s.approved) {
                (Some(d), Some(true)) => match lang {
                    Lang::Zh => format!("{} 确认同意", date_text(d, lang)),
                    Lang::En => format!("approved {}", date_text(d, lang)),
                },
                (Some(d), Some(false)) => match lang {
                    Lang::Zh => format!("{} 不予确认", date_text(d, lang)),
                    Lang::En => format!("refused {}", date_text(d, lang)),
                },
                (Some(d), None) => match lang {
                    Lang::Zh => format!("{} 办结", date_text(d, lang)),
                    Lang::En => format!("closed {}", date_text(d, lang)),
                },
                (None, _) => t(lang, "待确认", "not decided yet"),
            },
            confirm_status,
        ),
    ];
    let state_words = match state {
        Some(st) => match lang {
            Lang::Zh => st.label_zh().to_string(),
            Lang::En => st.label_en().to_string(),
        },
        None => s.state.clone(),
    };
    let (notice, missing) = match &s.missing_notice {
        None => (String::new(), vec![]),
        Some(n) if n.completed_on.is_some() => (
            match lang {
                Lang::Zh => format!(
                    "一次性告知的材料已于 {} 补齐",
                    date_text(n.completed_on.unwrap_or(n.deadline), lang)
                ),
                Lang::En => format!(
                    "The materials of the one-time notice were supplied on {}",
                    date_text(n.completed_on.unwrap_or(n.deadline), lang)
                ),
            },
            vec![],
        ),
        Some(n) => {
            let mut head = match lang {
                Lang::Zh => format!(
                    "一次性告知（{}）：请在 {} 前补齐以下材料",
                    date_text(n.issued_on, lang),
                    date_text(n.deadline, lang)
                ),
                Lang::En => format!(
                    "One-time notice ({}): supply these materials by {}",
                    date_text(n.issued_on, lang),
                    date_text(n.deadline, lang)
                ),
            };
            if n.materials.is_empty() {
                head = match lang {
                    Lang::Zh => format!(
                        "一次性告知（{}）：请在 {} 前完成授权书签署",
                        date_text(n.issued_on, lang),
                        date_text(n.deadline, lang)
                    ),
                    Lang::En => format!(
                        "One-time notice ({}): complete the signatures by {}",
                        date_text(n.issued_on, lang),
                        date_text(n.deadline, lang)
                    ),
                };
            }
            let mut missing: Vec<String> = n
                .materials
                .iter()
                .map(|m| match lang {
                    Lang::Zh => m.label_zh().to_string(),
                    Lang::En => m.label_en().to_string(),
                })
                .collect();
            if !n.note.trim().is_empty() {
                missing.push(match lang {
                    Lang::Zh => format!("工作人员说明：{}", n.note.trim()),
                    Lang::En => format!("Note from the office: {}", n.note.trim()),
                });
            }
            (head, missing)
        }
    };
    let signatures = if s.pending_signatures.is_empty() || decided {
        String::new()
    } else {
        match lang {
            Lang::Zh => format!(
                "还需签署授权书：{}（请到“签署授权”办理）",
                s.pending_signatures.join("、")
            ),
            Lang::En => format!(
                "Still to sign the authorization: {} (use “Sign the authorization”)",
                s.pending_signatures.join(", ")
            ),
        }
    };
    let deadlines = if decided {
        vec![]
    } else {
        s.deadlines
            .iter()
            .map(|d| deadline_text(d, cal, today, lang))
            .collect()
    };
    CaseText {
        heading: type_label(s, lang),
        state: state_words,
        stages,
        deadlines,
        notice,
        missing,
        signatures,
        contact: match lang {
            Lang::Zh => format!("乡镇服务热线 {}　　举报电话 {}", s.hotline, s.report_phone),
            Lang::En => format!(
                "Township hotline {}    Complaints (举报) {}",
                s.hotline, s.report_phone
            ),
        },
    }
}

fn delivery_words(v: &NoticeView, n: &CaseNotice, lang: Lang) -> String {
    let how = |h: Option<DeliveryMethod>| match (h, lang) {
        (Some(DeliveryMethod::Sms), Lang::Zh) => "短信",
        (Some(DeliveryMethod::InPerson), Lang::Zh) => "工作人员送达",
        (_, Lang::Zh) => "自助终端",
        (Some(DeliveryMethod::Sms), Lang::En) => "by text message",
        (Some(DeliveryMethod::InPerson), Lang::En) => "by staff",
        (_, Lang::En) => "at a kiosk",
    };
    match (&v.delivery, n.delivered_on, lang) {
        (Delivery::Sending, _, _) => t(
            lang,
            "正在登记送达，请稍候……",
            "Recording the receipt, please wait…",
        ),
        (Delivery::Recorded(d), _, Lang::Zh) => format!(
            "已登记送达（{}）。需要纸质件请点“打印这份告知书”。",
            date_text(*d, lang)
        ),
        (Delivery::Recorded(d), _, Lang::En) => format!(
            "Receipt recorded ({}). Tap “Print this notice” for a paper copy.",
            date_text(*d, lang)
        ),
        (Delivery::Failed(_), _, _) => t(
            lang,
            "这次没能登记送达，请稍后再点“我已阅读，确认收到”，或请工作人员帮忙。",
            "The receipt could not be recorded: tap “I have read it” again later, or ask staff.",
        ),
        (Delivery::Open, Some(d), Lang::Zh) => {
            format!(
                "已于{}送达（{}）。",
                date_text(d, lang),
                how(n.delivered_how)
            )
        }
        (Delivery::Open, Some(d), Lang::En) => format!(
            "Delivered on {} ({}).",
            date_text(d, lang),
            how(n.delivered_how)
        ),
        (Delivery::Open, None, _) if v.answer.from_cache => t(
            lang,
            "这是本机保存的副本；连上服务器后才能登记送达。",
            "This is the copy kept on this kiosk: the receipt can be recorded once the central service is reachable.",
        ),
        (Delivery::Open, None, _) => t(
            lang,
            "请阅读下面的告知书，读完后点“我已阅读，确认收到”。",
            "Please read the notice below, then tap “I have read it: confirm receipt”.",
        ),
    }
}

fn notice_screen(v: &NoticeView, lang: Lang) -> ScreenText {
    let total = notice_order(&v.answer).len();
    let Some((case, n)) = v.current() else {
        return ScreenText {
            title: t(lang, "告知书", "Notices"),
            body: t(lang, "没有告知书。", "There is no notice."),
            cached: String::new(),
            cases: vec![],
            document: String::new(),
        };
    };
    let no = case.case_no.clone().unwrap_or_else(|| case.case_id.clone());
    let title = match lang {
        Lang::Zh => format!("{}（{}/{}）", n.title, v.pos + 1, total),
        Lang::En => format!("{} ({}/{})", n.kind.label_en(), v.pos + 1, total),
    };
    let mut body = delivery_words(v, n, lang);
    if lang == Lang::En {
        body = format!("Case {no}. The document is issued in Chinese. {body}");
    }
    ScreenText {
        title,
        body,
        cached: if v.answer.from_cache {
            cached_note(v.answer.last_updated, lang)
        } else {
            String::new()
        },
        cases: vec![],
        document: n.text.clone(),
    }
}

/// The words of the screen shown, on `today`. `hotline` is the kiosk's configured township
/// hotline, said when no case carries one.
pub fn screen_text(
    flow: &ProgressFlow,
    cal: &Calendar,
    today: NaiveDate,
    hotline: &str,
    lang: Lang,
) -> ScreenText {
    let plain = |title: String, body: String| ScreenText {
        title,
        body,
        cached: String::new(),
        cases: vec![],
        document: String::new(),
    };
    let call = |lang| {
        if hotline.is_empty() {
            t(
                lang,
                "也可以点击“呼叫工作人员”。",
                "You can also tap “Call staff”.",
            )
        } else {
            match lang {
                Lang::Zh => format!("也可以拨打乡镇服务热线 {hotline}。"),
                Lang::En => format!("You can also call the township hotline {hotline}."),
            }
        }
    };
    let title = t(lang, "进度查询", "Follow my application");
    match flow.step() {
        Step::Identify { who, card_problem } => {
            let mut body = match (who, flow.agent().is_some(), lang) {
                (Who::Agent, _, Lang::Zh) => {
                    "请代办人先放身份证，或在右边输入代办人的身份证号码。".to_string()
                }
                (Who::Agent, _, Lang::En) => {
                    "The agent first: put your ID card on the reader, or type your ID number on the right.".to_string()
                }
                (Who::Applicant, true, Lang::Zh) => {
                    "代办人已确认。请放申请人的身份证，或输入申请人的身份证号码。".to_string()
                }
                (Who::Applicant, true, Lang::En) => {
                    "Agent confirmed. Now the applicant: put their ID card on the reader, or type their ID number.".to_string()
                }
                (Who::Applicant, false, Lang::Zh) => {
                    "请把身份证放在读卡区，或在右边输入身份证号码。".to_string()
                }
                (Who::Applicant, false, Lang::En) => {
                    "Put your ID card on the reader, or type your ID number on the right.".to_string()
                }
            };
            match card_problem.as_deref() {
                None => {}
                Some("same-person") => body.push_str(&t(
                    lang,
                    "这是代办人的身份证，请放申请人的身份证。",
                    " That is the agent's card: please use the applicant's.",
                )),
                Some(TYPED_NEEDS_CARD) => {
                    body = t(
                        lang,
                        "为保护个人信息，只输入号码不能查询进度。请把本人的身份证放在读卡区；没有带身份证的，请点击“呼叫工作人员”，由工作人员协助查询。",
                        "To protect personal information, a typed number alone cannot show an application. Put your own ID card on the reader; without the card, tap “Call staff” and a member of staff will help you.",
                    )
                }
                Some(_) => body.push_str(&t(
                    lang,
                    "刚才没有读出身份证，请重新放好，或输入号码。",
                    " The card could not be read: put it down again, or type the number.",
                )),
            }
            plain(title, body)
        }
        Step::Asking => plain(
            title,
            t(
                lang,
                "正在查询，请稍候……",
                "Looking up your application, please wait…",
            ),
        ),
        Step::NoCase {
            last_updated,
            from_cache,
        } => {
            let mut s = plain(
                title,
                match (flow.agent().is_some(), lang) {
                    (false, Lang::Zh) => format!("没有查到您的救助申请。{}", call(lang)),
                    (false, Lang::En) => {
                        format!("No application was found for you. {}", call(lang))
                    }
                    (true, Lang::Zh) => format!("没有查到由您代办的这个人的申请。{}", call(lang)),
                    (true, Lang::En) => format!(
                        "No application you filed for this person was found. {}",
                        call(lang)
                    ),
                },
            );
            if *from_cache {
                s.cached = cached_note(*last_updated, lang);
            }
            s
        }
        Step::Cases(a) => {
            let cases: Vec<CaseText> = a
                .cases
                .iter()
                .map(|c| case_text(c, cal, today, lang))
                .collect();
            let body = match (cases.len(), lang) {
                (1, Lang::Zh) => "查到 1 件申请：".to_string(),
                (n, Lang::Zh) => format!("查到 {n} 件申请，最新的在最上面，向上滑动看下一件："),
                (1, Lang::En) => "One application found:".to_string(),
                (n, Lang::En) => {
                    format!("{n} applications found, newest first; swipe up for the next:")
                }
            };
            let mut body = body;
            if flow.reprinted() {
                body = format!(
                    "{}{body}",
                    t(
                        lang,
                        "认证证明正在补打。",
                        "The certification proof is being reprinted. "
                    )
                );
            }
            ScreenText {
                title,
                body,
                cached: if a.from_cache {
                    cached_note(a.last_updated, lang)
                } else {
                    String::new()
                },
                cases,
                document: String::new(),
            }
        }
        Step::Notice(v) => notice_screen(v, lang),
        Step::Unavailable(why) => plain(
            title,
            match (why, lang) {
                (NoAnswer::Offline, Lang::Zh) => format!(
                    "现在连不上服务器，本机也没有保存您的查询记录。请稍后点“重新查询”。{}",
                    call(lang)
                ),
                (NoAnswer::Offline, Lang::En) => format!(
                    "The central service cannot be reached and this kiosk keeps nothing for you. Tap “Ask again” later. {}",
                    call(lang)
                ),
                (NoAnswer::NotConfigured, Lang::Zh) => format!(
                    "本机没有连接服务器，不能查询进度，请到乡镇窗口查询。{}",
                    call(lang)
                ),
                (NoAnswer::NotConfigured, Lang::En) => format!(
                    "This kiosk is not connected to the central service: ask at the township office. {}",
                    call(lang)
                ),
                (NoAnswer::Failed(_), Lang::Zh) => format!(
                    "这次没有查到结果，请稍后再试，或请工作人员帮忙。{}",
                    call(lang)
                ),
                (NoAnswer::Failed(_), Lang::En) => format!(
                    "The look-up did not work: try again later, or ask staff. {}",
                    call(lang)
                ),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiuzhu_core::api::{AssistanceType, MissingNoticeSummary};
    use jiuzhu_core::application::Material;
    use jiuzhu_core::workflow::DeadlineKind;

    fn id(seq: u16) -> IdNumber {
        let first17 = format!("50010219500101{seq:03}");
        let mut arr = [0u8; 17];
        arr.copy_from_slice(first17.as_bytes());
        let full = format!("{first17}{}", jiuzhu_core::id::check_char(&arr));
        IdNumber::parse_at(&full, day("2026-03-03")).unwrap()
    }

    /// A person identified by their card (the card gives the name).
    fn person(seq: u16) -> Person {
        Person {
            id: id(seq),
            name: Some(jiuzhu_core::id::PersonName::new("张秀英").unwrap()),
        }
    }

    /// A person whose number was typed on the keypad.
    fn typed(seq: u16) -> Person {
        Person {
            id: id(seq),
            name: None,
        }
    }

    #[test]
    fn a_typed_number_needs_the_card_or_a_staff_member() {
        let mut f = ProgressFlow::new();
        f.start();
        let e = f.handle(f.seq(), Event::Identified(typed(21))).unwrap();
        assert_eq!(e, vec![Effect::ReadIdCard { seq: f.seq() }], "no query");
        assert_eq!(
            f.step(),
            &Step::Identify {
                who: Who::Applicant,
                card_problem: Some(TYPED_NEEDS_CARD.into())
            }
        );
        assert!(!f.holds_personal_data(), "the typed number is not kept");
        let zh = text(&f, Lang::Zh);
        assert!(
            zh.body.contains("身份证放在读卡区") && zh.body.contains("呼叫工作人员"),
            "{}",
            zh.body
        );
        assert!(text(&f, Lang::En).body.contains("Call staff"));
        // the card then works on the same screen
        let e = f.handle(f.seq(), Event::Identified(person(21))).unwrap();
        assert!(matches!(
            e.as_slice(),
            [Effect::CancelCard, Effect::Query { agent: None, .. }]
        ));

        // an agent must show their own card too
        let mut f = ProgressFlow::new();
        f.start();
        f.handle(f.seq(), Event::Chose(Choice::ForSomeoneElse))
            .unwrap();
        f.handle(f.seq(), Event::Identified(typed(22))).unwrap();
        assert!(matches!(
            f.step(),
            Step::Identify { who: Who::Agent, card_problem: Some(p) } if p == TYPED_NEEDS_CARD
        ));
        // with the agent's card, the applicant's number may be typed: central answers only the
        // cases on which this agent is recorded
        f.handle(f.seq(), Event::Identified(person(22))).unwrap();
        let e = f.handle(f.seq(), Event::Identified(typed(23))).unwrap();
        assert_eq!(
            e,
            vec![
                Effect::CancelCard,
                Effect::Query {
                    seq: f.seq(),
                    id: id(23),
                    agent: Some(id(22))
                }
            ]
        );
    }

    #[test]
    fn a_staff_member_assisting_may_type_the_number_and_stays_for_the_next_query() {
        let mut f = ProgressFlow::new();
        f.start_assisted(true);
        let e = f.handle(f.seq(), Event::Identified(typed(24))).unwrap();
        assert!(matches!(
            e.as_slice(),
            [Effect::CancelCard, Effect::Query { .. }]
        ));
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![], false))))
            .unwrap();
        f.handle(f.seq(), Event::Chose(Choice::Again)).unwrap();
        assert!(f.staff_assisting());
        let e = f.handle(f.seq(), Event::Identified(typed(25))).unwrap();
        assert!(matches!(
            e.as_slice(),
            [Effect::CancelCard, Effect::Query { .. }]
        ));
        // a reset (home, inactivity) ends it
        f.reset();
        f.start();
        f.handle(f.seq(), Event::Identified(typed(25))).unwrap();
        assert_eq!(
            f.step(),
            &Step::Identify {
                who: Who::Applicant,
                card_problem: Some(TYPED_NEEDS_CARD.into())
            }
        );
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn summary(state: &str) -> CaseSummary {
        CaseSummary {
            case_id: "0190-case".into(),
            township: "500102900".into(),
            assistance_type: AssistanceType::Dibao,
            state: state.into(),
            submitted_at: Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap(),
            due: None,
            colour: None,
            pending_signatures: vec![],
            materials: 0,
            hotline: "023-7222-0000".into(),
            report_phone: "023-7222-0001".into(),
            accepted_on: None,
            decided_on: None,
            approved: None,
            missing_notice: None,
            deadlines: vec![],
            case_no: None,
            notices: vec![],
        }
    }

    fn answer(cases: Vec<CaseSummary>, from_cache: bool) -> Answer {
        Answer {
            cases,
            // 2026-03-03 09:30 China time
            last_updated: Utc
                .with_ymd_and_hms(2026, 3, 3, 1, 30, 0)
                .unwrap()
                .timestamp_millis(),
            from_cache,
        }
    }

    /// A started flow with `p` identified (no agent): returns the flow at Asking.
    fn asking(p: Person) -> ProgressFlow {
        let mut f = ProgressFlow::new();
        let e = f.start();
        assert_eq!(
            e,
            vec![Effect::CancelCard, Effect::ReadIdCard { seq: f.seq() }]
        );
        let e = f.handle(f.seq(), Event::Identified(p.clone())).unwrap();
        assert_eq!(
            e,
            vec![
                Effect::CancelCard,
                Effect::Query {
                    seq: f.seq(),
                    id: p.id,
                    agent: None
                }
            ]
        );
        assert_eq!(f.step(), &Step::Asking);
        f
    }

    fn text(f: &ProgressFlow, lang: Lang) -> ScreenText {
        screen_text(
            f,
            &Calendar::builtin(),
            day("2026-03-03"),
            "023-7222-0000",
            lang,
        )
    }

    fn notice(
        id: i64,
        kind: jiuzhu_core::notices::DocumentKind,
        issued: &str,
        delivered: Option<&str>,
    ) -> CaseNotice {
        CaseNotice {
            id,
            kind,
            title: kind.label_zh().into(),
            issued_on: day(issued),
            text: format!(
                "{}\n案号：江东-2026-00007\n张*：\n　　正文{id}",
                kind.label_zh()
            ),
            deadline: None,
            delivered_on: delivered.map(day),
            delivered_how: delivered.map(|_| DeliveryMethod::Sms),
        }
    }

    /// A flow on the cases screen of a live (or cached) answer with an SMS-delivered 一次性告知书
    /// and an undelivered 受理通知书.
    fn with_notices(from_cache: bool) -> (ProgressFlow, Person) {
        use jiuzhu_core::notices::DocumentKind;
        let p = person(1);
        let mut f = asking(p.clone());
        let mut c = summary("accepted");
        c.case_no = Some("江东-2026-00007".into());
        c.notices = vec![
            notice(
                11,
                DocumentKind::MissingMaterials,
                "2026-03-03",
                Some("2026-03-03"),
            ),
            notice(12, DocumentKind::Acceptance, "2026-03-06", None),
        ];
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![c], from_cache))))
            .unwrap();
        if !from_cache {
            f.handle(f.seq(), Event::Certified(false)).unwrap();
        }
        (f, p)
    }

    #[test]
    fn notices_are_read_undelivered_first_printed_spoken_and_confirmed() {
        let (mut f, p) = with_notices(false);
        assert_eq!(f.choices()[0], Choice::Notices);
        f.handle(f.seq(), Event::Chose(Choice::Notices)).unwrap();
        let Step::Notice(v) = f.step() else {
            panic!("{:?}", f.step())
        };
        assert_eq!(v.current().unwrap().1.id, 12, "the undelivered one first");
        assert_eq!(
            f.choices(),
            vec![
                Choice::ConfirmReceived,
                Choice::PrintNotice,
                Choice::ReadAloud,
                Choice::NextNotice,
                Choice::BackToCases
            ]
        );
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.title, "受理通知书（1/2）");
        assert!(zh.body.contains("我已阅读，确认收到"));
        assert!(zh.document.contains("正文12"));
        assert!(zh.speech().contains("正文12"), "the notice is read aloud");
        let en = text(&f, Lang::En);
        assert!(
            en.title.starts_with("notice of acceptance") && en.body.contains("江东-2026-00007")
        );
        // Read aloud again, print.
        let seq = f.seq();
        assert!(
            matches!(&f.handle(seq, Event::Chose(Choice::ReadAloud)).unwrap()[..], [Effect::Speak(s)] if s.contains("正文12"))
        );
        let e = f.handle(seq, Event::Chose(Choice::PrintNotice)).unwrap();
        assert!(
            matches!(&e[..], [Effect::PrintNotice { case_no, text, .. }] if case_no == "江东-2026-00007" && text.contains("正文12"))
        );
        assert!(
            f.handle(seq, Event::Chose(Choice::PrintNotice)).is_err(),
            "a double press prints once"
        );
        // Confirm: central is asked with the identified person; the answer records it.
        let e = f
            .handle(f.seq(), Event::Chose(Choice::ConfirmReceived))
            .unwrap();
        assert_eq!(
            e,
            vec![Effect::ConfirmDelivery {
                seq: f.seq(),
                notice: 12,
                id: p.id.clone(),
                agent: None
            }]
        );
        assert!(!f.choices().contains(&Choice::ConfirmReceived), "sending");
        f.handle(f.seq(), Event::DeliveryAnswered(Ok(day("2026-03-06"))))
            .unwrap();
        let Step::Notice(v) = f.step() else { panic!() };
        assert_eq!(v.current().unwrap().1.id, 12, "still the same document");
        assert_eq!(v.delivery, Delivery::Recorded(day("2026-03-06")));
        assert!(
            text(&f, Lang::Zh)
                .body
                .contains("已登记送达（2026年3月6日）")
        );
        assert!(!f.choices().contains(&Choice::ConfirmReceived));
        // The next one was delivered by SMS: said so, nothing to confirm.
        f.handle(f.seq(), Event::Chose(Choice::NextNotice)).unwrap();
        let zh = text(&f, Lang::Zh);
        assert!(
            zh.body.contains("已于2026年3月3日送达（短信）"),
            "{}",
            zh.body
        );
        assert!(!f.choices().contains(&Choice::ConfirmReceived));
        f.handle(f.seq(), Event::Chose(Choice::BackToCases))
            .unwrap();
        assert!(matches!(f.step(), Step::Cases(_)));
        assert!(f.holds_personal_data());
    }

    #[test]
    fn a_failed_confirmation_can_be_tried_again_and_a_cached_notice_cannot_be_confirmed() {
        let (mut f, _) = with_notices(false);
        f.handle(f.seq(), Event::Chose(Choice::Notices)).unwrap();
        f.handle(f.seq(), Event::Chose(Choice::ConfirmReceived))
            .unwrap();
        let stale = f.seq() - 1;
        assert!(
            f.handle(stale, Event::DeliveryAnswered(Ok(day("2026-03-06"))))
                .is_err()
        );
        f.handle(f.seq(), Event::DeliveryAnswered(Err("503".into())))
            .unwrap();
        assert!(text(&f, Lang::Zh).body.contains("没能登记送达"));
        assert_eq!(f.choices()[0], Choice::ConfirmReceived);
        let (mut f, _) = with_notices(true);
        f.handle(f.seq(), Event::Chose(Choice::Notices)).unwrap();
        assert!(!f.choices().contains(&Choice::ConfirmReceived));
        assert!(text(&f, Lang::Zh).body.contains("连上服务器后才能登记送达"));
        assert!(
            f.handle(f.seq(), Event::Chose(Choice::ConfirmReceived))
                .is_err()
        );
    }

    #[test]
    fn live_answer_shows_the_timeline_and_asks_about_the_certification() {
        let mut f = asking(person(11));
        let mut s = summary("investigating");
        s.accepted_on = Some(day("2026-03-03"));
        s.deadlines = vec![DeadlineSummary {
            kind: DeadlineKind::Total,
            from: day("2026-03-03"),
            due: day("2026-03-31"),
            unit: DayUnit::Working,
            allowed: 20,
            provisional: false,
        }];
        let e = f
            .handle(f.seq(), Event::Answered(Ok(answer(vec![s], false))))
            .unwrap();
        assert_eq!(
            e,
            vec![Effect::CheckCertification {
                seq: f.seq(),
                id: id(11)
            }]
        );
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.cached, "", "a live answer has no cached note");
        let c = &zh.cases[0];
        assert_eq!(c.heading, "最低生活保障");
        assert_eq!(c.state, "家庭经济状况调查中");
        let st: Vec<_> = c.stages.iter().map(|s| s.status).collect();
        assert_eq!(
            st,
            vec![StageStatus::Done, StageStatus::Current, StageStatus::Todo]
        );
        assert_eq!(c.stages[0].date, "2026年3月2日 提交");
        assert_eq!(c.stages[1].date, "2026年3月3日 受理");
        // 20 working days from 3 March 2026, recounted from today (3 March): all 20 left
        assert_eq!(
            c.deadlines,
            vec!["审核确认办理时限：2026年3月31日前（20个工作日），还剩 20 个工作日"]
        );
        assert!(c.contact.contains("023-7222-0000") && c.contact.contains("023-7222-0001"));
        assert!(zh.speech().contains("家庭经济状况调查中"));
        let en = text(&f, Lang::En);
        assert_eq!(en.cases[0].stages[1].date, "accepted 3 March 2026");
        assert!(en.cases[0].deadlines[0].contains("20 working days left"));
    }

    #[test]
    fn cached_answer_says_when_it_was_last_updated_and_offers_no_reprint() {
        let mut f = asking(person(11));
        let e = f
            .handle(
                f.seq(),
                Event::Answered(Ok(answer(vec![summary("submitted")], true))),
            )
            .unwrap();
        assert_eq!(e, vec![], "no live question after a cached answer");
        assert!(matches!(f.step(), Step::Cases(a) if a.from_cache));
        let zh = text(&f, Lang::Zh);
        assert!(
            zh.cached.contains("最后更新 2026年3月3日 09:30"),
            "{}",
            zh.cached
        );
        assert!(zh.speech().contains("最后更新"));
        assert!(
            text(&f, Lang::En)
                .cached
                .contains("last updated 3 March 2026, 09:30")
        );
        assert_eq!(f.choices(), vec![Choice::Again]);
    }

    #[test]
    fn no_case_live_and_cached() {
        let mut f = asking(person(12));
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![], false))))
            .unwrap();
        assert!(matches!(
            f.step(),
            Step::NoCase {
                from_cache: false,
                ..
            }
        ));
        let zh = text(&f, Lang::Zh);
        assert!(zh.body.contains("没有查到您的救助申请"), "{}", zh.body);
        assert!(zh.body.contains("023-7222-0000"));
        assert_eq!(zh.cached, "");
        let mut f = asking(person(12));
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![], true))))
            .unwrap();
        assert!(text(&f, Lang::Zh).cached.contains("最后更新"));
    }

    #[test]
    fn several_cases_are_all_shown_newest_first() {
        let mut f = asking(person(11));
        let mut older = summary("published");
        older.assistance_type = AssistanceType::Temporary;
        older.accepted_on = Some(day("2025-05-06"));
        older.decided_on = Some(day("2025-05-20"));
        older.approved = Some(true);
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("submitted"), older], false))),
        )
        .unwrap();
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.body, "查到 2 件申请，最新的在最上面，向上滑动看下一件：");
        assert_eq!(zh.cases.len(), 2);
        assert_eq!(zh.cases[0].stages[0].status, StageStatus::Current);
        assert_eq!(zh.cases[1].heading, "临时救助");
        assert_eq!(zh.cases[1].stages[2].date, "2025年5月20日 确认同意");
        assert!(
            zh.cases[1]
                .stages
                .iter()
                .all(|s| s.status == StageStatus::Done)
        );
        assert!(
            zh.cases[1].deadlines.is_empty(),
            "a decided case runs no deadline"
        );
    }

    #[test]
    fn notice_pending_lists_the_materials_the_deadline_and_who_must_sign() {
        let mut f = asking(person(11));
        let mut s = summary("awaiting_materials");
        s.pending_signatures = vec!["张*".into(), "李*明".into()];
        s.missing_notice = Some(MissingNoticeSummary {
            issued_on: day("2026-03-02"),
            deadline: day("2026-03-16"),
            materials: vec![Material::IncomeProof, Material::HouseholdRegister],
            note: "户口簿复印件看不清".into(),
            completed_on: None,
        });
        s.deadlines = vec![DeadlineSummary {
            kind: DeadlineKind::Supplement,
            from: day("2026-03-02"),
            due: day("2026-03-16"),
            unit: DayUnit::Working,
            allowed: 10,
            provisional: false,
        }];
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![s], false))))
            .unwrap();
        let c = &text(&f, Lang::Zh).cases[0];
        assert_eq!(c.state, "待补齐材料");
        assert_eq!(
            c.notice,
            "一次性告知（2026年3月2日）：请在 2026年3月16日 前补齐以下材料"
        );
        assert_eq!(
            c.missing,
            vec![
                "家庭收入情况证明",
                "居民户口簿",
                "工作人员说明：户口簿复印件看不清"
            ]
        );
        assert_eq!(
            c.signatures,
            "还需签署授权书：张*、李*明（请到“签署授权”办理）"
        );
        assert_eq!(
            c.deadlines,
            vec!["补齐材料期限：2026年3月16日前（10个工作日），还剩 9 个工作日"]
        );
        let speech = text(&f, Lang::Zh).speech();
        assert!(speech.contains("家庭收入情况证明"), "{speech}");
        let en = &text(&f, Lang::En).cases[0];
        assert!(en.notice.contains("by 16 March 2026"), "{}", en.notice);
        assert_eq!(en.missing[0], "proof of household income");
    }

    #[test]
    fn overdue_and_provisional_deadlines_say_so() {
        let d = DeadlineSummary {
            kind: DeadlineKind::Acceptance,
            from: day("2026-03-02"),
            due: day("2026-03-04"),
            unit: DayUnit::Working,
            allowed: 2,
            provisional: true,
        };
        let line = deadline_text(&d, &Calendar::builtin(), day("2026-03-06"), Lang::Zh);
        assert_eq!(
            line,
            "受理时限：2026年3月4日（2个工作日），已超过 2 个工作日（当年节假日安排未公布，日期可能调整）"
        );
    }

    #[test]
    fn agent_identifies_first_then_the_applicant_and_the_query_names_both() {
        let mut f = ProgressFlow::new();
        f.start();
        assert_eq!(f.choices(), vec![Choice::ForSomeoneElse]);
        let e = f
            .handle(f.seq(), Event::Chose(Choice::ForSomeoneElse))
            .unwrap();
        assert_eq!(
            e,
            vec![Effect::CancelCard, Effect::ReadIdCard { seq: f.seq() }]
        );
        assert!(matches!(
            f.step(),
            Step::Identify {
                who: Who::Agent,
                ..
            }
        ));
        assert!(text(&f, Lang::Zh).body.contains("代办人"));
        f.handle(f.seq(), Event::Identified(person(20))).unwrap();
        assert!(matches!(
            f.step(),
            Step::Identify {
                who: Who::Applicant,
                ..
            }
        ));
        assert_eq!(f.choices(), vec![], "the agent cannot be chosen twice");
        // the agent's own card again is not the applicant
        let e = f.handle(f.seq(), Event::Identified(person(20))).unwrap();
        assert_eq!(e, vec![Effect::ReadIdCard { seq: f.seq() }]);
        assert!(text(&f, Lang::Zh).body.contains("这是代办人的身份证"));
        let e = f.handle(f.seq(), Event::Identified(person(11))).unwrap();
        assert_eq!(
            e,
            vec![
                Effect::CancelCard,
                Effect::Query {
                    seq: f.seq(),
                    id: id(11),
                    agent: Some(id(20))
                }
            ]
        );
        // a live answer to an agent: no certification question, no reprint
        let e = f
            .handle(
                f.seq(),
                Event::Answered(Ok(answer(vec![summary("submitted")], false))),
            )
            .unwrap();
        assert_eq!(e, vec![]);
        assert!(!f.can_reprint());
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![], false))))
            .unwrap_err();
    }

    #[test]
    fn agent_with_no_case_is_told_so_in_their_words() {
        let mut f = ProgressFlow::new();
        f.start();
        f.handle(f.seq(), Event::Chose(Choice::ForSomeoneElse))
            .unwrap();
        f.handle(f.seq(), Event::Identified(person(20))).unwrap();
        f.handle(f.seq(), Event::Identified(person(11))).unwrap();
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![], false))))
            .unwrap();
        assert!(text(&f, Lang::Zh).body.contains("由您代办"));
    }

    #[test]
    fn central_down_with_no_cache_is_a_clear_message_with_retry() {
        let mut f = asking(person(11));
        f.handle(f.seq(), Event::Answered(Err(NoAnswer::Offline)))
            .unwrap();
        let zh = text(&f, Lang::Zh);
        assert!(zh.body.contains("现在连不上服务器"), "{}", zh.body);
        assert!(zh.body.contains("023-7222-0000"));
        assert_eq!(f.choices(), vec![Choice::Retry, Choice::Again]);
        let e = f.handle(f.seq(), Event::Chose(Choice::Retry)).unwrap();
        assert!(matches!(&e[1], Effect::Query { id: i, agent: None, .. } if *i == id(11)));
        f.handle(f.seq(), Event::Answered(Err(NoAnswer::NotConfigured)))
            .unwrap();
        assert!(text(&f, Lang::En).body.contains("not connected"));
        let e = f.handle(f.seq(), Event::Chose(Choice::Again)).unwrap();
        assert_eq!(
            e,
            vec![Effect::CancelCard, Effect::ReadIdCard { seq: f.seq() }]
        );
        assert!(!f.holds_personal_data());
        let mut f = asking(person(11));
        f.handle(
            f.seq(),
            Event::Answered(Err(NoAnswer::Failed("403".into()))),
        )
        .unwrap();
        assert!(text(&f, Lang::Zh).body.contains("没有查到结果"));
    }

    #[test]
    fn certified_recipient_is_offered_one_reprint() {
        let mut f = asking(person(11));
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("published")], false))),
        )
        .unwrap();
        assert_eq!(f.choices(), vec![Choice::Again]);
        let seq = f.seq();
        f.handle(seq, Event::Certified(true)).unwrap();
        assert_eq!(f.seq(), seq, "the offer keeps the screen's number");
        assert_eq!(f.choices(), vec![Choice::Reprint, Choice::Again]);
        let e = f.handle(seq, Event::Chose(Choice::Reprint)).unwrap();
        assert_eq!(e, vec![Effect::ReprintProof { recipient: id(11) }]);
        // the double press carries the old number: refused, printed once
        assert!(matches!(
            f.handle(seq, Event::Chose(Choice::Reprint)),
            Err(FlowError::Stale { .. })
        ));
        assert!(f.handle(f.seq(), Event::Chose(Choice::Reprint)).is_err());
        assert!(text(&f, Lang::Zh).body.starts_with("认证证明正在补打"));
        // not certified: no offer
        let mut f = asking(person(12));
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("submitted")], false))),
        )
        .unwrap();
        f.handle(f.seq(), Event::Certified(false)).unwrap();
        assert_eq!(f.choices(), vec![Choice::Again]);
    }

    #[test]
    fn card_failures_keep_waiting_and_stale_events_are_refused() {
        let mut f = ProgressFlow::new();
        f.start();
        let s0 = f.seq();
        let e = f
            .handle(
                s0,
                Event::CardFailed {
                    timeout: true,
                    detail: "timeout".into(),
                },
            )
            .unwrap();
        assert_eq!(e, vec![Effect::ReadIdCard { seq: f.seq() }]);
        assert!(text(&f, Lang::Zh).body.starts_with("请把身份证"));
        f.handle(
            f.seq(),
            Event::CardFailed {
                timeout: false,
                detail: "bad checksum".into(),
            },
        )
        .unwrap();
        assert!(text(&f, Lang::Zh).body.contains("没有读出身份证"));
        // a late card from the first screen
        assert!(matches!(
            f.handle(s0, Event::Identified(person(11))),
            Err(FlowError::Stale { .. })
        ));
        // an answer while identifying
        assert!(matches!(
            f.handle(f.seq(), Event::Answered(Err(NoAnswer::Offline))),
            Err(FlowError::Unexpected { .. })
        ));
        assert!(!f.holds_personal_data());
    }

    #[test]
    fn reset_forgets_the_person_and_the_answer() {
        let mut f = asking(person(11));
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("submitted")], false))),
        )
        .unwrap();
        assert!(f.holds_personal_data());
        let seq = f.seq();
        assert_eq!(f.reset(), vec![Effect::CancelCard]);
        assert!(!f.holds_personal_data());
        assert!(f.seq() > seq);
        assert!(f.handle(seq, Event::Certified(true)).is_err());
    }

    #[test]
    fn choice_names_round_trip() {
        for c in [
            Choice::ForSomeoneElse,
            Choice::Reprint,
            Choice::Retry,
            Choice::Again,
        ] {
            assert_eq!(Choice::from_name(c.name()), Some(c));
        }
        assert_eq!(Choice::from_name("nope"), None);
    }
}
