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
use jiuzhu_core::api::{
    CaseNotice, CaseSummary, DeadlineSummary, DeliveryMethod, PublicityPosting,
};
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
    /// A resident lodging a named objection to a 公示 (the card is required: the name).
    Objector,
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
    /// The 公示 postings running in the kiosk's townships, one a page.
    Postings(PostingsView),
    /// A right being used: withdrawal, 复查, a 公示 objection.
    Right(RightView),
    /// The case number typed on the keypad, to find one of the person's own cases.
    FindNumber(FindView),
    /// The mobile number the case's notices go to by SMS, typed on the keypad.
    Phone(PhoneView),
}

/// The SMS number of the case shown, typed by its applicant (or agent).
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneView {
    /// The answer (gone back to).
    pub answer: Answer,
    /// The case.
    pub case_id: String,
    /// Its short number.
    pub case_no: String,
    /// The digits typed.
    pub typed: String,
    /// Where it stands.
    pub stage: PhoneStage,
}

/// Where the SMS number stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneStage {
    /// Typing (`invalid`: the last 保存 was not a mobile number).
    Typing {
        /// Not 11 digits starting 13–19.
        invalid: bool,
    },
    /// Sent; waiting for central.
    Sending,
    /// Kept by central (the number masked).
    Saved(String),
    /// Not kept, and why.
    Refused(Refusal),
}

/// The keypad looking up a case by its short number, among the cases of the person identified
/// (the card, or a staff member): a number alone shows no one's case.
#[derive(Debug, Clone, PartialEq)]
pub struct FindView {
    /// The answer searched (and gone back to).
    pub answer: Answer,
    /// The digits typed.
    pub typed: String,
    /// The last 查找 found nothing.
    pub not_found: bool,
}

/// Whether `typed` names case number `case_no` (`江东-2026-00123`): the year and the sequence
/// (`202600123`), or the sequence alone (`123`, `00123`).
pub fn number_matches(case_no: &str, typed: &str) -> bool {
    if typed.is_empty() || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut parts = case_no.rsplit('-');
    let (Some(seq), Some(year)) = (parts.next(), parts.next()) else {
        return false;
    };
    if typed.len() == year.len() + seq.len() {
        return typed == format!("{year}{seq}");
    }
    typed.len() <= seq.len()
        && matches!((typed.parse::<u64>(), seq.parse::<u64>()), (Ok(a), Ok(b)) if a == b)
}

/// Digits a case number has at most (year and sequence).
pub const MAX_CASE_DIGITS: usize = 9;

/// The 公示 list, one posting a page.
#[derive(Debug, Clone, PartialEq)]
pub struct PostingsView {
    /// The postings.
    pub postings: Vec<PublicityPosting>,
    /// The posting shown.
    pub page: usize,
}

/// A right the household, or any resident, uses from 进度查询. Each is asked of central live
/// and never queued: its receipt must say that central recorded it, and each has a window that
/// a queued request could miss (the decision, the 初审, the 7 days of a 公示).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// 撤回申请 (before the decision).
    Withdraw,
    /// 复查: object to not-eligible findings (before the 初审).
    ObjectFindings,
    /// A named objection to a 公示 (while it runs).
    ObjectPublicity,
}

/// Where using a right stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RightStage {
    /// Say why (the objections): one of [`reasons`].
    Reason,
    /// What it means, and 确定 or 返回.
    Confirm {
        /// The statement sent ("" for a withdrawal).
        statement: String,
    },
    /// Sent; waiting for central.
    Sending {
        /// The statement sent.
        statement: String,
    },
    /// Recorded: the receipt (printed).
    Done {
        /// The receipt's text as central gave it.
        receipt: String,
    },
    /// Not recorded, and why.
    Refused(Refusal),
}

/// Why central did not record a right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The person is not the case's applicant or recorded agent (central's 404).
    NotYours,
    /// The window is over: decided, the 初审 made, the 公示 ended or interrupted.
    TooLate,
    /// This person already objected to this posting.
    AlreadyObjected,
    /// The case belongs to a township this kiosk does not serve.
    OtherTownship,
    /// The SMS number changed too often today.
    TooManyChanges,
    /// Central cannot be reached: these steps need it.
    Offline,
    /// Anything else (the detail is for the log).
    Failed(String),
}

/// A right on its way, with the case it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct RightView {
    /// Which right.
    pub right: Right,
    /// The case id (empty for a posting: the objector is a third party).
    pub case_id: String,
    /// The short case number shown and printed.
    pub case_no: String,
    /// Where it stands.
    pub stage: RightStage,
    /// The screen 返回 goes back to.
    pub back: Box<Step>,
}

/// The recorded step central answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The short case number.
    pub case_no: String,
    /// The receipt's text.
    pub receipt: String,
}

/// The reasons offered for an objection (the statement sent), in Chinese as sent; the English
/// words only label the buttons.
pub fn reasons(right: Right) -> &'static [(&'static str, &'static str)] {
    match right {
        Right::ObjectFindings => &[
            (
                "家庭收入算多了",
                "The household income was counted too high",
            ),
            ("家庭人口算错了", "The household members were counted wrong"),
            ("财产情况不对", "The property was counted wrong"),
            (
                "其他情况，请工作人员联系我",
                "Something else: please have staff contact me",
            ),
        ],
        Right::ObjectPublicity => &[
            ("家庭收入比公示的多", "The household earns more than posted"),
            (
                "家庭有车、房等财产",
                "The household owns a car, a house or other property",
            ),
            ("家庭人口不实", "The household members are not as posted"),
            (
                "其他情况，请工作人员联系我",
                "Something else: please have staff contact me",
            ),
        ],
        Right::Withdraw => &[],
    }
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
    /// 上一页.
    PrevPage,
    /// 下一页.
    NextPage,
    /// 撤回这件申请 (the case shown).
    Withdraw,
    /// 对调查结果有异议 (申请复查) (the case shown).
    ObjectFindings,
    /// 对公示提出异议 (on the first identify screen).
    Publicity,
    /// 对这一条提出异议 (the posting shown).
    ObjectThis,
    /// The n-th of [`reasons`] (0-based).
    Reason(u8),
    /// 确定 (withdraw / submit the objection).
    Confirm,
    /// 返回 (leave the right unused, or after a refusal).
    Cancel,
    /// 再打印一张回执.
    PrintReceipt,
    /// 完成 (after a recorded right: the fresh answer).
    Finish,
    /// 按案号查找 (on the cases screen).
    FindByNumber,
    /// A digit of the case number on the keypad.
    Digit(u8),
    /// 删除 (the last digit typed).
    DeleteDigit,
    /// 查找 (the number typed).
    FindNow,
    /// 短信通知号码 (the case shown).
    Phone,
    /// 保存号码.
    SavePhone,
}

const ALL_CHOICES: [Choice; 39] = [
    Choice::Phone,
    Choice::SavePhone,
    Choice::FindByNumber,
    Choice::DeleteDigit,
    Choice::FindNow,
    Choice::Digit(0),
    Choice::Digit(1),
    Choice::Digit(2),
    Choice::Digit(3),
    Choice::Digit(4),
    Choice::Digit(5),
    Choice::Digit(6),
    Choice::Digit(7),
    Choice::Digit(8),
    Choice::Digit(9),
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
    Choice::PrevPage,
    Choice::NextPage,
    Choice::Withdraw,
    Choice::ObjectFindings,
    Choice::Publicity,
    Choice::ObjectThis,
    Choice::Reason(0),
    Choice::Reason(1),
    Choice::Reason(2),
    Choice::Reason(3),
    Choice::Confirm,
    Choice::Cancel,
    Choice::PrintReceipt,
    Choice::Finish,
];

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
            Choice::PrevPage => "prev-page",
            Choice::NextPage => "next-page",
            Choice::Withdraw => "withdraw",
            Choice::ObjectFindings => "object-findings",
            Choice::Publicity => "publicity",
            Choice::ObjectThis => "object-this",
            Choice::Reason(0) => "reason-0",
            Choice::Reason(1) => "reason-1",
            Choice::Reason(2) => "reason-2",
            Choice::Reason(3) => "reason-3",
            Choice::Reason(_) => "reason-4",
            Choice::Confirm => "confirm",
            Choice::Cancel => "cancel",
            Choice::PrintReceipt => "print-receipt",
            Choice::Finish => "finish",
            Choice::FindByNumber => "find-number",
            Choice::Phone => "phone",
            Choice::SavePhone => "save-phone",
            Choice::DeleteDigit => "delete-digit",
            Choice::FindNow => "find-now",
            Choice::Digit(0) => "digit-0",
            Choice::Digit(1) => "digit-1",
            Choice::Digit(2) => "digit-2",
            Choice::Digit(3) => "digit-3",
            Choice::Digit(4) => "digit-4",
            Choice::Digit(5) => "digit-5",
            Choice::Digit(6) => "digit-6",
            Choice::Digit(7) => "digit-7",
            Choice::Digit(8) => "digit-8",
            Choice::Digit(_) => "digit-9",
        }
    }

    /// Parses [`Choice::name`].
    pub fn from_name(name: &str) -> Option<Choice> {
        ALL_CHOICES.into_iter().find(|c| c.name() == name)
    }

    /// The button's words. A reason's words are [`ProgressFlow::label`]'s (they depend on the
    /// right).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Choice::PrevPage, Lang::Zh) => "上一页",
            (Choice::PrevPage, Lang::En) => "Previous page",
            (Choice::NextPage, Lang::Zh) => "下一页",
            (Choice::NextPage, Lang::En) => "Next page",
            (Choice::Withdraw, Lang::Zh) => "撤回这件申请",
            (Choice::Withdraw, Lang::En) => "Withdraw it",
            (Choice::ObjectFindings, Lang::Zh) => "对调查结果有异议，申请复查",
            (Choice::ObjectFindings, Lang::En) => "Ask for a re-check",
            (Choice::Publicity, Lang::Zh) => "对公示提出异议",
            (Choice::Publicity, Lang::En) => "Object to a posted list (公示)",
            (Choice::ObjectThis, Lang::Zh) => "对这一条提出异议",
            (Choice::ObjectThis, Lang::En) => "Object to this entry",
            (Choice::Reason(_), Lang::Zh) => "其他情况",
            (Choice::Reason(_), Lang::En) => "Something else",
            (Choice::Confirm, Lang::Zh) => "确定",
            (Choice::Confirm, Lang::En) => "Confirm",
            (Choice::Cancel, Lang::Zh) => "返回",
            (Choice::Cancel, Lang::En) => "Back",
            (Choice::PrintReceipt, Lang::Zh) => "再打印一张回执",
            (Choice::PrintReceipt, Lang::En) => "Print the receipt again",
            (Choice::Finish, Lang::Zh) => "完成",
            (Choice::Finish, Lang::En) => "Done",
            (Choice::Phone, Lang::Zh) => "短信通知号码",
            (Choice::Phone, Lang::En) => "Number for SMS",
            (Choice::SavePhone, Lang::Zh) => "保存号码",
            (Choice::SavePhone, Lang::En) => "Save the number",
            (Choice::FindByNumber, Lang::Zh) => "按案号查找",
            (Choice::FindByNumber, Lang::En) => "Find by number",
            (Choice::DeleteDigit, Lang::Zh) => "删除",
            (Choice::DeleteDigit, Lang::En) => "Delete",
            (Choice::FindNow, Lang::Zh) => "查找",
            (Choice::FindNow, Lang::En) => "Find",
            (Choice::Digit(_), _) => "",
            (Choice::ForSomeoneElse, Lang::Zh) => "我替别人查询（代办）",
            (Choice::ForSomeoneElse, Lang::En) => "I am asking for someone else",
            (Choice::Reprint, Lang::Zh) => "补打认证证明",
            (Choice::Reprint, Lang::En) => "Reprint the proof",
            (Choice::Retry, Lang::Zh) => "重新查询",
            (Choice::Retry, Lang::En) => "Ask again",
            (Choice::Again, Lang::Zh) => "查询其他人",
            (Choice::Again, Lang::En) => "Someone else",
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
    /// The 公示 postings running now, or why there are none to show.
    PublicityAnswered(Result<Vec<PublicityPosting>, NoAnswer>),
    /// Central's answer to a right used: recorded (with the receipt), or refused.
    RightAnswered(Result<Recorded, Refusal>),
    /// Central's answer to the SMS number: kept (masked), or refused.
    PhoneAnswered(Result<String, Refusal>),
}

/// A right to send to central (live).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RightRequest {
    /// `POST /v1/kiosk/applications/{case_id}/withdrawal`.
    Withdraw {
        /// The case.
        case_id: String,
        /// The applicant.
        id: IdNumber,
        /// The agent, when the agent acts.
        agent: Option<IdNumber>,
    },
    /// `POST /v1/kiosk/applications/{case_id}/objections` (evidence brought to the office, or
    /// the township's help asked: `needs_help`).
    ObjectFindings {
        /// The case.
        case_id: String,
        /// The applicant.
        id: IdNumber,
        /// The agent, when the agent acts.
        agent: Option<IdNumber>,
        /// What is objected.
        statement: String,
    },
    /// `POST /v1/kiosk/publicity/{case_no}/objections`.
    ObjectPublicity {
        /// The number on the posting.
        case_no: String,
        /// The objector, read from the card.
        objector: Person,
        /// What is objected.
        statement: String,
    },
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
    /// Ask central for the 公示 postings; deliver [`Event::PublicityAnswered`].
    QueryPublicity {
        /// Sequence number.
        seq: u64,
    },
    /// Send the case's SMS number to central; deliver [`Event::PhoneAnswered`].
    SetPhone {
        /// Sequence number.
        seq: u64,
        /// The case.
        case_id: String,
        /// The applicant.
        id: IdNumber,
        /// The agent, when the agent acts.
        agent: Option<IdNumber>,
        /// The number.
        phone: String,
    },
    /// Send a right to central; deliver [`Event::RightAnswered`].
    UseRight {
        /// Sequence number.
        seq: u64,
        /// What.
        request: RightRequest,
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
    /// The page of the cases screen shown (0-based).
    page: usize,
    /// Detail lines a page of the cases screen holds (fewer in 长辈模式).
    lines_per_page: usize,
    /// The resident objecting to a 公示 (read from the card).
    objector: Option<Person>,
    /// The screen number the last answer came with (its certification question carries it).
    answer_seq: u64,
}

/// Detail lines a page holds in the normal mode and in 长辈模式.
pub const LINES_PER_PAGE: (usize, usize) = (3, 2);

/// The pages of an answer's cases: (case index, first detail line), one case or more pages
/// each, `per` detail lines a page.
pub fn case_pages(a: &Answer, per: usize) -> Vec<(usize, usize)> {
    let per = per.max(1);
    let cal = Calendar::builtin();
    let mut out = Vec::new();
    for (i, c) in a.cases.iter().enumerate() {
        let day = c.submitted_at.with_timezone(&china()).date_naive();
        let n = detail_lines(&case_text(c, &cal, day, Lang::Zh)).len();
        let mut first = 0;
        loop {
            out.push((i, first));
            first += per;
            if first >= n {
                break;
            }
        }
    }
    out
}

/// A case's detail lines in the order shown: deadlines, the notice heading, what is missing,
/// who still signs.
fn detail_lines(c: &CaseText) -> Vec<(u8, String)> {
    let mut v: Vec<(u8, String)> = c.deadlines.iter().map(|d| (0, d.clone())).collect();
    if !c.notice.is_empty() {
        v.push((1, c.notice.clone()));
    }
    v.extend(c.missing.iter().map(|m| (2, m.clone())));
    if !c.signatures.is_empty() {
        v.push((3, c.signatures.clone()));
    }
    v
}

/// The part of case `c` on a page holding its detail lines `first..first + per`; a page that
/// continues the one-time notice's list repeats its heading.
pub fn case_page(c: &CaseText, first: usize, per: usize, lang: Lang) -> CaseText {
    let lines = detail_lines(c);
    let end = (first + per.max(1)).min(lines.len());
    let part = lines.get(first..end).unwrap_or(&[]);
    let mut out = CaseText {
        deadlines: vec![],
        notice: String::new(),
        missing: vec![],
        signatures: String::new(),
        ..c.clone()
    };
    for (kind, text) in part {
        match kind {
            0 => out.deadlines.push(text.clone()),
            1 => out.notice = text.clone(),
            2 => out.missing.push(text.clone()),
            _ => out.signatures = text.clone(),
        }
    }
    if out.notice.is_empty() && !out.missing.is_empty() {
        out.notice = format!("{}{}", c.notice, t(lang, "（续）", " (continued)"));
    }
    out
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
            page: 0,
            lines_per_page: LINES_PER_PAGE.0,
            objector: None,
            answer_seq: 0,
        }
    }

    /// Sets how many detail lines a page of the cases screen holds (the adapter's choice for
    /// the text size); keeps the case shown.
    pub fn set_lines_per_page(&mut self, n: usize) {
        let n = n.max(1);
        if n == self.lines_per_page {
            return;
        }
        if let Step::Cases(a) = &self.step {
            let case = case_pages(a, self.lines_per_page)
                .get(self.page)
                .map_or(0, |p| p.0);
            self.lines_per_page = n;
            self.page = case_pages(a, n)
                .iter()
                .position(|p| p.0 == case)
                .unwrap_or(0);
        } else {
            self.lines_per_page = n;
        }
    }

    /// The page of the cases screen shown (0-based) and how many there are.
    pub fn page(&self) -> (usize, usize) {
        match &self.step {
            Step::Cases(a) => {
                let n = case_pages(a, self.lines_per_page).len();
                (self.page.min(n.saturating_sub(1)), n)
            }
            Step::Postings(v) => (v.page, v.postings.len()),
            _ => (0, 1),
        }
    }

    /// Detail lines a page holds.
    pub fn lines_per_page(&self) -> usize {
        self.lines_per_page
    }

    /// The case shown on the cases screen.
    pub fn shown_case(&self) -> Option<&CaseSummary> {
        let Step::Cases(a) = &self.step else {
            return None;
        };
        let (ci, _) = *case_pages(a, self.lines_per_page).get(self.page)?;
        a.cases.get(ci)
    }

    /// The rights offered for the case shown (a live answer only: each needs central).
    pub fn rights_offered(&self) -> Vec<Right> {
        let Step::Cases(a) = &self.step else {
            return vec![];
        };
        let Some(c) = self.shown_case().filter(|_| !a.from_cache) else {
            return vec![];
        };
        let st = state_of(c);
        let mut v = Vec::new();
        if st == Some(CaseState::FindingsNotified) {
            v.push(Right::ObjectFindings);
        }
        if st.is_some_and(|s| !s.is_decided()) {
            v.push(Right::Withdraw);
        }
        v
    }

    /// A button's words: a reason's and 确定's depend on the right being used.
    pub fn label(&self, c: Choice, lang: Lang) -> String {
        let right = match &self.step {
            Step::Right(v) => Some(v.right),
            _ => None,
        };
        match (c, right) {
            (Choice::Reason(i), Some(r)) => reasons(r)
                .get(usize::from(i))
                .map(|(zh, en)| t(lang, zh, en))
                .unwrap_or_else(|| c.label(lang).into()),
            (Choice::Confirm, Some(Right::Withdraw)) => t(lang, "确定撤回", "Yes, withdraw"),
            (Choice::Confirm, Some(_)) => t(lang, "确定提交", "Submit"),
            (Choice::Cancel, Some(Right::Withdraw)) => {
                t(lang, "不撤回，返回", "Do not withdraw: back")
            }
            _ => c.label(lang).into(),
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
            || self.objector.is_some()
            || matches!(
                self.step,
                Step::Cases(_)
                    | Step::NoCase { .. }
                    | Step::Notice(_)
                    | Step::Postings(_)
                    | Step::Right(_)
                    | Step::FindNumber(_)
                    | Step::Phone(_)
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
            } if self.agent.is_none() => vec![Choice::ForSomeoneElse, Choice::Publicity],
            Step::Identify { .. } | Step::Asking => vec![],
            Step::Cases(a) => {
                let mut c = Vec::new();
                if !notice_order(a).is_empty() {
                    c.push(Choice::Notices);
                }
                for r in self.rights_offered() {
                    c.push(match r {
                        Right::ObjectFindings => Choice::ObjectFindings,
                        _ => Choice::Withdraw,
                    });
                }
                if self.can_reprint() {
                    c.push(Choice::Reprint);
                }
                if !a.from_cache && self.shown_case().is_some() {
                    c.push(Choice::Phone);
                }
                if a.cases.len() > 1 && a.cases.iter().any(|c| c.case_no.is_some()) {
                    c.push(Choice::FindByNumber);
                }
                c.push(Choice::Again);
                c
            }
            Step::Phone(v) => match v.stage {
                PhoneStage::Typing { .. } => {
                    let mut c: Vec<Choice> = (1..=9).chain([0]).map(Choice::Digit).collect();
                    c.extend([Choice::DeleteDigit, Choice::SavePhone, Choice::BackToCases]);
                    c
                }
                PhoneStage::Sending => vec![],
                _ => vec![Choice::BackToCases],
            },
            Step::FindNumber(_) => {
                let mut c: Vec<Choice> = (1..=9).chain([0]).map(Choice::Digit).collect();
                c.extend([Choice::DeleteDigit, Choice::FindNow, Choice::BackToCases]);
                c
            }
            Step::Postings(v) if v.postings.is_empty() => vec![Choice::Again],
            Step::Postings(_) => vec![Choice::ObjectThis, Choice::Again],
            Step::Right(v) => match &v.stage {
                RightStage::Reason => (0..reasons(v.right).len())
                    .map(|i| Choice::Reason(u8::try_from(i).unwrap_or(0)))
                    .chain([Choice::Cancel])
                    .collect(),
                RightStage::Confirm { .. } => vec![Choice::Confirm, Choice::Cancel],
                RightStage::Sending { .. } => vec![],
                RightStage::Done { .. } => vec![Choice::PrintReceipt, Choice::Finish],
                RightStage::Refused(_) => vec![Choice::Cancel],
            },
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
            Step::NoCase { .. } => {
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

    fn query_publicity(&mut self) -> Vec<Effect> {
        self.go(Step::Asking);
        vec![Effect::CancelCard, Effect::QueryPublicity { seq: self.seq }]
    }

    fn step_name(&self) -> &'static str {
        match self.step {
            Step::Identify { .. } => "identify",
            Step::Asking => "asking",
            Step::Cases(_) => "cases",
            Step::NoCase { .. } => "no case",
            Step::Unavailable(_) => "unavailable",
            Step::Notice(_) => "notice",
            Step::Postings(_) => "postings",
            Step::Right(_) => "right",
            Step::FindNumber(_) => "case number",
            Step::Phone(_) => "phone",
        }
    }

    /// Takes one event for the screen numbered `seq`.
    pub fn handle(&mut self, seq: u64, event: Event) -> Result<Vec<Effect>, FlowError> {
        // The certification answer belongs to the answer it was asked for: turning its pages
        // (a new screen number each) does not make it stale.
        if let Event::Certified(c) = &event
            && seq == self.answer_seq
            && seq != self.seq
            && matches!(self.step, Step::Cases(_))
        {
            self.certified = *c;
            return Ok(vec![]);
        }
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
                Who::Objector if p.name.is_none() => {
                    // A named objection needs the name on the card.
                    self.go(Step::Identify {
                        who,
                        card_problem: Some(TYPED_NEEDS_CARD.into()),
                    });
                    Ok(vec![Effect::ReadIdCard { seq: self.seq }])
                }
                Who::Objector => {
                    self.objector = Some(p);
                    Ok(self.query_publicity())
                }
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
                        self.page = 0;
                        self.go(Step::Cases(a));
                        self.answer_seq = self.seq;
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
            (Event::Chose(Choice::Retry), Step::Unavailable(_)) if self.objector.is_some() => {
                Ok(self.query_publicity())
            }
            (Event::Chose(Choice::Retry), Step::Unavailable(_)) => Ok(self.query()),
            (Event::Chose(Choice::Publicity), Step::Identify { who, .. })
                if who == Who::Applicant && self.agent.is_none() =>
            {
                Ok(self.identify(Who::Objector))
            }
            (Event::PublicityAnswered(r), Step::Asking) if self.objector.is_some() => {
                match r {
                    Ok(postings) => self.go(Step::Postings(PostingsView { postings, page: 0 })),
                    Err(e) => self.go(Step::Unavailable(e)),
                }
                Ok(vec![])
            }
            (Event::Chose(c @ (Choice::PrevPage | Choice::NextPage)), Step::Cases(a)) => {
                let n = case_pages(&a, self.lines_per_page).len();
                self.page = turn(self.page, n, c)?;
                self.go(Step::Cases(a));
                Ok(vec![])
            }
            (Event::Chose(c @ (Choice::PrevPage | Choice::NextPage)), Step::Postings(mut v)) => {
                v.page = turn(v.page, v.postings.len(), c)?;
                self.go(Step::Postings(v));
                Ok(vec![])
            }
            (Event::Chose(c @ (Choice::Withdraw | Choice::ObjectFindings)), Step::Cases(a)) => {
                let right = if c == Choice::Withdraw {
                    Right::Withdraw
                } else {
                    Right::ObjectFindings
                };
                if !self.rights_offered().contains(&right) {
                    return unexpected(self, "right");
                }
                let Some(case) = self.shown_case() else {
                    return unexpected(self, "right");
                };
                let view = RightView {
                    right,
                    case_id: case.case_id.clone(),
                    case_no: case.case_no.clone().unwrap_or_else(|| case.case_id.clone()),
                    stage: if right == Right::Withdraw {
                        RightStage::Confirm {
                            statement: String::new(),
                        }
                    } else {
                        RightStage::Reason
                    },
                    back: Box::new(Step::Cases(a)),
                };
                self.go(Step::Right(view));
                Ok(vec![])
            }
            (Event::Chose(Choice::ObjectThis), Step::Postings(v)) => {
                let Some(p) = v.postings.get(v.page) else {
                    return unexpected(self, "object");
                };
                let view = RightView {
                    right: Right::ObjectPublicity,
                    case_id: String::new(),
                    case_no: p.case_no.clone(),
                    stage: RightStage::Reason,
                    back: Box::new(Step::Postings(v)),
                };
                self.go(Step::Right(view));
                Ok(vec![])
            }
            (Event::Chose(Choice::Reason(i)), Step::Right(mut v))
                if v.stage == RightStage::Reason =>
            {
                let Some((zh, _)) = reasons(v.right).get(usize::from(i)) else {
                    return unexpected(self, "reason");
                };
                v.stage = RightStage::Confirm {
                    statement: (*zh).into(),
                };
                self.go(Step::Right(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::Confirm), Step::Right(mut v)) => {
                let RightStage::Confirm { statement } = v.stage.clone() else {
                    return unexpected(self, "confirm");
                };
                let request = match v.right {
                    Right::ObjectPublicity => {
                        let Some(o) = self.objector.clone() else {
                            return unexpected(self, "confirm");
                        };
                        RightRequest::ObjectPublicity {
                            case_no: v.case_no.clone(),
                            objector: o,
                            statement: statement.clone(),
                        }
                    }
                    right => {
                        let Some(p) = &self.person else {
                            return unexpected(self, "confirm");
                        };
                        let (case_id, id) = (v.case_id.clone(), p.id.clone());
                        let agent = self.agent.as_ref().map(|a| a.id.clone());
                        if right == Right::Withdraw {
                            RightRequest::Withdraw { case_id, id, agent }
                        } else {
                            RightRequest::ObjectFindings {
                                case_id,
                                id,
                                agent,
                                statement: statement.clone(),
                            }
                        }
                    }
                };
                v.stage = RightStage::Sending { statement };
                self.go(Step::Right(v));
                Ok(vec![Effect::UseRight {
                    seq: self.seq,
                    request,
                }])
            }
            (Event::RightAnswered(r), Step::Right(mut v))
                if matches!(v.stage, RightStage::Sending { .. }) =>
            {
                let mut effects = vec![];
                v.stage = match r {
                    Ok(rec) => {
                        effects.push(receipt_print(&rec.case_no, &rec.receipt));
                        v.case_no = rec.case_no;
                        RightStage::Done {
                            receipt: rec.receipt,
                        }
                    }
                    Err(why) => RightStage::Refused(why),
                };
                self.go(Step::Right(v));
                Ok(effects)
            }
            (Event::Chose(Choice::PrintReceipt), Step::Right(v)) => {
                let RightStage::Done { receipt } = &v.stage else {
                    return unexpected(self, "print");
                };
                let e = receipt_print(&v.case_no, receipt);
                self.go(Step::Right(v));
                Ok(vec![e])
            }
            (Event::Chose(Choice::Cancel), Step::Right(v))
                if matches!(
                    v.stage,
                    RightStage::Reason | RightStage::Confirm { .. } | RightStage::Refused(_)
                ) =>
            {
                self.go(*v.back);
                Ok(vec![])
            }
            (Event::Chose(Choice::Finish), Step::Right(v))
                if matches!(v.stage, RightStage::Done { .. }) =>
            {
                // The case changed: ask again for the fresh answer (or the fresh list).
                if v.right == Right::ObjectPublicity {
                    Ok(self.query_publicity())
                } else {
                    Ok(self.query())
                }
            }
            (Event::Chose(Choice::Again), Step::Postings(_)) => Ok(self.start_assisted(self.staff)),
            (Event::Chose(Choice::FindByNumber), Step::Cases(answer)) => {
                self.go(Step::FindNumber(FindView {
                    answer,
                    typed: String::new(),
                    not_found: false,
                }));
                Ok(vec![])
            }
            (Event::Chose(Choice::Digit(d)), Step::FindNumber(mut v)) if d <= 9 => {
                if v.typed.len() < MAX_CASE_DIGITS {
                    v.typed.push(char::from(b'0' + d));
                }
                v.not_found = false;
                self.go(Step::FindNumber(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::DeleteDigit), Step::FindNumber(mut v)) => {
                v.typed.pop();
                v.not_found = false;
                self.go(Step::FindNumber(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::FindNow), Step::FindNumber(mut v)) => {
                let found = v.answer.cases.iter().position(|c| {
                    c.case_no
                        .as_deref()
                        .is_some_and(|no| number_matches(no, &v.typed))
                });
                match found {
                    Some(ci) => {
                        self.page = case_pages(&v.answer, self.lines_per_page)
                            .iter()
                            .position(|p| p.0 == ci)
                            .unwrap_or(0);
                        self.go(Step::Cases(v.answer));
                    }
                    None => {
                        v.not_found = true;
                        self.go(Step::FindNumber(v));
                    }
                }
                Ok(vec![])
            }
            (Event::Chose(Choice::Phone), Step::Cases(a)) if !a.from_cache => {
                let Some(c) = self.shown_case() else {
                    return unexpected(self, "phone");
                };
                let view = PhoneView {
                    case_id: c.case_id.clone(),
                    case_no: c.case_no.clone().unwrap_or_else(|| c.case_id.clone()),
                    typed: String::new(),
                    stage: PhoneStage::Typing { invalid: false },
                    answer: a,
                };
                self.go(Step::Phone(view));
                Ok(vec![])
            }
            (Event::Chose(c @ (Choice::Digit(_) | Choice::DeleteDigit)), Step::Phone(mut v))
                if matches!(v.stage, PhoneStage::Typing { .. }) =>
            {
                match c {
                    Choice::Digit(d) if d <= 9 && v.typed.len() < 11 => {
                        v.typed.push(char::from(b'0' + d))
                    }
                    Choice::DeleteDigit => {
                        v.typed.pop();
                    }
                    _ => {}
                }
                v.stage = PhoneStage::Typing { invalid: false };
                self.go(Step::Phone(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::SavePhone), Step::Phone(mut v))
                if matches!(v.stage, PhoneStage::Typing { .. }) =>
            {
                if !jiuzhu_core::api::is_mobile_number(&v.typed) {
                    v.stage = PhoneStage::Typing { invalid: true };
                    self.go(Step::Phone(v));
                    return Ok(vec![]);
                }
                let Some(p) = &self.person else {
                    return unexpected(self, "phone");
                };
                let (id, agent) = (p.id.clone(), self.agent.as_ref().map(|a| a.id.clone()));
                let (case_id, phone) = (v.case_id.clone(), v.typed.clone());
                v.stage = PhoneStage::Sending;
                self.go(Step::Phone(v));
                Ok(vec![Effect::SetPhone {
                    seq: self.seq,
                    case_id,
                    id,
                    agent,
                    phone,
                }])
            }
            (Event::PhoneAnswered(r), Step::Phone(mut v)) if v.stage == PhoneStage::Sending => {
                v.stage = match r {
                    Ok(masked) => PhoneStage::Saved(masked),
                    Err(why) => PhoneStage::Refused(why),
                };
                // The number stays on the screen no longer than needed.
                v.typed.clear();
                self.go(Step::Phone(v));
                Ok(vec![])
            }
            (Event::Chose(Choice::BackToCases), Step::Phone(v))
                if v.stage != PhoneStage::Sending =>
            {
                self.go(Step::Cases(v.answer));
                Ok(vec![])
            }
            (Event::Chose(Choice::BackToCases), Step::FindNumber(v)) => {
                self.go(Step::Cases(v.answer));
                Ok(vec![])
            }
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
            (Event::PublicityAnswered(_), _) => unexpected(self, "publicity answer"),
            (Event::RightAnswered(_), _) => unexpected(self, "right answer"),
            (Event::PhoneAnswered(_), _) => unexpected(self, "phone answer"),
        }
    }
}

/// The page after (or before) `page` of `n`; refused past either end.
fn turn(page: usize, n: usize, c: Choice) -> Result<usize, FlowError> {
    match c {
        Choice::NextPage if page + 1 < n => Ok(page + 1),
        Choice::PrevPage if page > 0 => Ok(page - 1),
        _ => Err(FlowError::Unexpected {
            event: "page",
            step: "the first or last page",
        }),
    }
}

/// The receipt printed: its first line is its title.
fn receipt_print(case_no: &str, receipt: &str) -> Effect {
    Effect::PrintNotice {
        title: receipt.lines().next().unwrap_or("回执").to_string(),
        case_no: case_no.to_string(),
        text: receipt.to_string(),
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
    /// "案号 江东-2026-00001" ("" for a case without a short number).
    pub case_no: String,
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
    /// The notice still waits for something (shown as a warning, also on a page that holds
    /// only its heading).
    pub notice_open: bool,
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
    /// "第 N 页，共 M 页" when the screen has more than one page ("" otherwise).
    pub page: String,
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
        if !self.page.is_empty() {
            s.push_str(&format!("{}。", self.page));
        }
        for c in &self.cases {
            if c.case_no.is_empty() {
                s.push_str(&format!("{}，{}。", c.heading, c.state));
            } else {
                s.push_str(&format!("{}，{}，{}。", c.heading, c.case_no, c.state));
            }
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
        case_no: s
            .case_no
            .as_ref()
            .map(|n| format!("{}{n}", t(lang, "案号 ", "Case ")))
            .unwrap_or_default(),
        state: state_words,
        stages,
        deadlines,
        notice_open: !missing.is_empty(),
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
            page: String::new(),
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
        page: String::new(),
    }
}

/// "第 N 页，共 M 页" for page `page` (0-based) of `total`; "" for a single page.
pub fn page_words(page: usize, total: usize, lang: Lang) -> String {
    if total <= 1 {
        return String::new();
    }
    match lang {
        Lang::Zh => format!("第 {} 页，共 {total} 页", page + 1),
        Lang::En => format!("Page {} of {total}", page + 1),
    }
}

fn right_screen(v: &RightView, lang: Lang, call: &str) -> ScreenText {
    let no = &v.case_no;
    let title = match (v.right, lang) {
        (Right::Withdraw, Lang::Zh) => "撤回申请".to_string(),
        (Right::Withdraw, Lang::En) => "Withdraw the application".to_string(),
        (Right::ObjectFindings, Lang::Zh) => "对调查结果提出异议（申请复查）".to_string(),
        (Right::ObjectFindings, Lang::En) => "Object to the investigation result".to_string(),
        (Right::ObjectPublicity, Lang::Zh) => "对公示提出异议".to_string(),
        (Right::ObjectPublicity, Lang::En) => "Object to a posting".to_string(),
    };
    let mut document = String::new();
    let body = match (&v.stage, v.right, lang) {
        (RightStage::Reason, Right::ObjectFindings, Lang::Zh) => {
            format!("案号 {no}。您认为调查结果哪里不对？请点下面一项。")
        }
        (RightStage::Reason, Right::ObjectPublicity, Lang::Zh) => {
            format!("案号 {no}。您认为公示的哪里不符合实际？请点下面一项。")
        }
        (RightStage::Reason, _, _) => {
            format!("Case {no}. What is not right? Tap one of the answers below.")
        }
        (RightStage::Confirm { .. }, Right::Withdraw, Lang::Zh) => format!(
            "您要撤回案号 {no} 的申请。撤回后，这件申请就办结了：乡镇（街道）不再审核，也不会因为这件申请发放救助。以后仍有困难，可以随时重新申请。确定要撤回吗？"
        ),
        (RightStage::Confirm { .. }, Right::Withdraw, Lang::En) => format!(
            "You are withdrawing application {no}. It then ends: the township stops reviewing it and no assistance is paid on it. You may apply again at any time. Withdraw it?"
        ),
        (RightStage::Confirm { statement }, Right::ObjectFindings, Lang::Zh) => format!(
            "您对案号 {no} 的调查结果有异议：{statement}。提交后，乡镇（街道）会审核并组织复查，复查结果会书面告知您。证明材料请交到便民服务中心；难以取得的，乡镇（街道）会协助调取。确定提交吗？"
        ),
        (RightStage::Confirm { statement }, Right::ObjectPublicity, Lang::Zh) => format!(
            "您要对案号 {no} 的公示实名提出异议：{statement}。您的姓名和身份证号只用于核实，不会告诉被反映的家庭。确定提交吗？"
        ),
        (RightStage::Confirm { statement }, _, _) => format!(
            "Case {no}: “{statement}”. The township will look into it and tell you the result in writing. Your name is used only to check the objection. Submit?"
        ),
        (RightStage::Sending { .. }, _, _) => {
            t(lang, "正在提交，请稍候……", "Sending, please wait…")
        }
        (RightStage::Done { receipt }, _, _) => {
            document = receipt.clone();
            t(
                lang,
                "已经办好，回执正在打印，请取走保存。",
                "Done. The receipt is printing: please take it and keep it.",
            )
        }
        (RightStage::Refused(why), right, _) => refusal_words(why, right, lang, call),
    };
    ScreenText {
        title,
        body,
        cached: String::new(),
        cases: vec![],
        document,
        page: String::new(),
    }
}

fn refusal_words(why: &Refusal, right: Right, lang: Lang, call: &str) -> String {
    let head = match (why, right, lang) {
        (Refusal::NotYours, Right::ObjectPublicity, Lang::Zh) => {
            "没有办成：本机没有找到这条公示，它可能已经结束。".to_string()
        }
        (Refusal::NotYours, Right::ObjectPublicity, Lang::En) => {
            "Not done: this kiosk cannot find this posting; it may have ended.".to_string()
        }
        (Refusal::NotYours, _, Lang::Zh) => {
            "没有办成：只有申请人本人，或者登记过的代办人，才能办理这件事。请申请人本人带身份证来办理。".to_string()
        }
        (Refusal::NotYours, _, Lang::En) => {
            "Not done: only the applicant, or the agent on record, can do this. Please ask the applicant to come with their ID card.".to_string()
        }
        (Refusal::TooLate, Right::Withdraw, Lang::Zh) => {
            "没有办成：这件申请已经作出决定或已经办结，不能再撤回。".to_string()
        }
        (Refusal::TooLate, Right::ObjectFindings, Lang::Zh) => {
            "没有办成：申请复查要在乡镇（街道）提出初审意见之前，现在已经过了这个时间。初审意见公示期间，您还可以对公示提出异议。".to_string()
        }
        (Refusal::TooLate, Right::ObjectPublicity, Lang::Zh) => {
            "没有办成：这次公示已经结束，或者已经有人提出异议、正在重新调查。".to_string()
        }
        (Refusal::TooLate, _, Lang::En) => {
            "Not done: the time for this has passed.".to_string()
        }
        (Refusal::AlreadyObjected, _, Lang::Zh) => {
            "您已经对这次公示提出过异议，乡镇（街道）正在处理，不用再提。".to_string()
        }
        (Refusal::AlreadyObjected, _, Lang::En) => {
            "You have already objected to this posting; the township is dealing with it.".to_string()
        }
        (Refusal::OtherTownship, _, Lang::Zh) => {
            "没有办成：这件申请不属于本机服务的乡镇（街道），请到申请所在的乡镇（街道）办理。".to_string()
        }
        (Refusal::TooManyChanges, _, Lang::Zh) => {
            "今天已经改过多次，不能再改。请到乡镇（街道）便民服务中心办理。".to_string()
        }
        (Refusal::TooManyChanges, _, Lang::En) => {
            "Changed too often today: please ask at the township office.".to_string()
        }
        (Refusal::OtherTownship, _, Lang::En) => {
            "Not done: this application belongs to a township this kiosk does not serve.".to_string()
        }
        (Refusal::Offline, _, Lang::Zh) => {
            "现在连不上服务器。这件事要连上服务器才能办理，请稍后再试，或请工作人员帮忙。".to_string()
        }
        (Refusal::Offline, _, Lang::En) => {
            "The central service cannot be reached, and this needs it: try again later, or ask staff.".to_string()
        }
        (Refusal::Failed(_), _, Lang::Zh) => {
            "这次没有办成，请稍后再试，或请工作人员帮忙。".to_string()
        }
        (Refusal::Failed(_), _, Lang::En) => {
            "It did not work this time: try again later, or ask staff.".to_string()
        }
    };
    format!("{head}{call}")
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
        page: String::new(),
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
                (Who::Objector, _, Lang::Zh) => {
                    "对公示提出异议要实名：请把您本人的身份证放在读卡区。".to_string()
                }
                (Who::Objector, _, Lang::En) => {
                    "An objection to a posting is made by name: put your own ID card on the reader.".to_string()
                }
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
                Some(TYPED_NEEDS_CARD) if *who == Who::Objector => {
                    body = t(
                        lang,
                        "实名异议需要读取身份证上的姓名，只输入号码不能提交。请把本人的身份证放在读卡区。",
                        "A named objection needs the name on the ID card: a typed number is not enough. Put your own card on the reader.",
                    )
                }
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
            let pages = case_pages(a, flow.lines_per_page());
            let (page, total) = flow.page();
            let cases: Vec<CaseText> = pages
                .get(page)
                .and_then(|(ci, first)| {
                    let c = a.cases.get(*ci)?;
                    let full = case_text(c, cal, today, lang);
                    Some(vec![case_page(&full, *first, flow.lines_per_page(), lang)])
                })
                .unwrap_or_default();
            let body = match (a.cases.len(), lang) {
                (1, Lang::Zh) => "查到 1 件申请：".to_string(),
                (n, Lang::Zh) => format!("查到 {n} 件申请，最新的在前面："),
                (1, Lang::En) => "One application found:".to_string(),
                (n, Lang::En) => format!("{n} applications found, newest first:"),
            };
            let mut body = body;
            if a.from_cache {
                body.push_str(&t(
                    lang,
                    "（撤回申请、申请复查要连上服务器才能办理。）",
                    " (Withdrawing or asking for a re-check needs the central service.)",
                ));
            }
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
                page: page_words(page, total, lang),
            }
        }
        Step::Notice(v) => notice_screen(v, lang),
        Step::Postings(v) => {
            let title = t(lang, "对公示提出异议", "Object to a posting");
            let Some(p) = v.postings.get(v.page) else {
                return plain(
                    title,
                    t(
                        lang,
                        "现在本乡镇（街道）没有正在公示的名单。",
                        "No list is posted in this township now.",
                    ),
                );
            };
            ScreenText {
                title,
                body: match lang {
                    Lang::Zh => format!(
                        "正在公示的名单，案号 {}，公示到 {}。认为不符合实际的，请点“对这一条提出异议”。",
                        p.case_no,
                        date_text(p.until, lang)
                    ),
                    Lang::En => format!(
                        "Posted now: case {}, until {}. If it is not true, tap “Object to this entry”.",
                        p.case_no,
                        date_text(p.until, lang)
                    ),
                },
                cached: String::new(),
                cases: vec![],
                document: p.text.clone(),
                page: page_words(v.page, v.postings.len(), lang),
            }
        }
        Step::Right(v) => right_screen(v, lang, &call(lang)),
        Step::Phone(v) => {
            let no = &v.case_no;
            let body = match (&v.stage, lang) {
                (PhoneStage::Typing { invalid: false }, Lang::Zh) => format!(
                    "请输入接收短信的手机号码（11位）。案号 {no} 的告知书会发短信提醒到这个号码。"
                ),
                (PhoneStage::Typing { invalid: false }, Lang::En) => format!(
                    "Type the mobile number (11 digits) that text messages about case {no} go to."
                ),
                (PhoneStage::Typing { invalid: true }, _) => t(
                    lang,
                    "这不是手机号码：请输入 11 位数字，以 13 到 19 开头。",
                    "That is not a mobile number: type 11 digits starting 13 to 19.",
                ),
                (PhoneStage::Sending, _) => t(lang, "正在保存，请稍候……", "Saving, please wait…"),
                (PhoneStage::Saved(m), Lang::Zh) => {
                    format!("已保存。案号 {no} 的告知书会发短信提醒到 {m}。")
                }
                (PhoneStage::Saved(m), Lang::En) => {
                    format!("Saved. Text messages about case {no} go to {m}.")
                }
                (PhoneStage::Refused(Refusal::TooManyChanges), _) => t(
                    lang,
                    "今天已经改过多次号码，不能再改。请到乡镇（街道）便民服务中心办理。",
                    "The number was changed too often today: please ask at the township office.",
                ),
                (PhoneStage::Refused(why), _) => {
                    refusal_words(why, Right::Withdraw, lang, &call(lang))
                }
            };
            ScreenText {
                title: t(lang, "短信通知号码", "Mobile number for text messages"),
                body,
                cached: String::new(),
                cases: vec![],
                document: v.typed.clone(),
                page: String::new(),
            }
        }
        Step::FindNumber(v) => {
            let mut body = t(
                lang,
                "请输入案号里的数字：例如 江东-2026-00123，输入 202600123，或只输入最后几位 123。只在您本人的申请里查找。",
                "Type the digits of the case number: for 江东-2026-00123 type 202600123, or only the last digits, 123. Only your own applications are searched.",
            );
            if v.not_found {
                body = t(
                    lang,
                    "您的申请里没有这个案号，请核对后重新输入。",
                    "None of your applications has this number: check it and type it again.",
                );
            }
            ScreenText {
                title: t(lang, "按案号查找", "Find by case number"),
                body,
                cached: String::new(),
                cases: vec![],
                document: v.typed.clone(),
                page: String::new(),
            }
        }
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
            address: None,
        }
    }

    /// A person whose number was typed on the keypad.
    fn typed(seq: u16) -> Person {
        Person {
            id: id(seq),
            name: None,
            address: None,
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
    fn several_cases_are_paged_newest_first_one_a_page() {
        let mut f = asking(person(11));
        let mut older = summary("published");
        older.assistance_type = AssistanceType::Temporary;
        older.accepted_on = Some(day("2025-05-06"));
        older.decided_on = Some(day("2025-05-20"));
        older.approved = Some(true);
        older.case_no = Some("江东-2025-00042".into());
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("submitted"), older], false))),
        )
        .unwrap();
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.body, "查到 2 件申请，最新的在前面：");
        assert_eq!(zh.page, "第 1 页，共 2 页");
        assert_eq!(zh.cases.len(), 1);
        assert_eq!(zh.cases[0].stages[0].status, StageStatus::Current);
        assert!(zh.speech().contains("第 1 页，共 2 页"));
        assert!(
            f.handle(f.seq(), Event::Chose(Choice::PrevPage)).is_err(),
            "no page before the first"
        );
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.page, "第 2 页，共 2 页");
        assert_eq!(zh.cases[0].heading, "临时救助");
        assert_eq!(zh.cases[0].case_no, "案号 江东-2025-00042");
        assert!(
            zh.speech().contains("临时救助，案号 江东-2025-00042，"),
            "{}",
            zh.speech()
        );
        // read digit by digit by the voice's normalisation
        let spoken = crate::ui::speech::normalise(&zh.speech());
        assert!(spoken.contains("零零零四二"), "{spoken}");
        assert_eq!(zh.cases[0].stages[2].date, "2025年5月20日 确认同意");
        assert!(
            zh.cases[0]
                .stages
                .iter()
                .all(|s| s.status == StageStatus::Done)
        );
        assert!(
            zh.cases[0].deadlines.is_empty(),
            "a decided case runs no deadline"
        );
        assert!(f.handle(f.seq(), Event::Chose(Choice::NextPage)).is_err());
        assert_eq!(text(&f, Lang::En).page, "Page 2 of 2");
        // the certification answer to this answer, late: still taken after the page turned
        let asked = f.seq() - 1;
        f.handle(asked, Event::Certified(true)).unwrap();
        assert!(f.choices().contains(&Choice::Reprint));
        f.handle(f.seq(), Event::Chose(Choice::PrevPage)).unwrap();
        assert_eq!(f.page(), (0, 2));
    }

    #[test]
    fn a_long_case_is_split_over_pages_and_the_notice_heading_repeats() {
        let mut f = asking(person(11));
        let mut s = summary("awaiting_materials");
        s.pending_signatures = vec!["张*".into()];
        s.missing_notice = Some(MissingNoticeSummary {
            issued_on: day("2026-03-02"),
            deadline: day("2026-03-16"),
            materials: vec![
                Material::IncomeProof,
                Material::HouseholdRegister,
                Material::IdCards,
            ],
            note: "户口簿复印件看不清".into(),
            completed_on: None,
        });
        // the splitting at a page of 5 lines (the adapter chooses the size for the text size)
        f.set_lines_per_page(5);
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![s], false))))
            .unwrap();
        // 1 notice heading + 4 missing + 1 signature line: 6 lines, 5 a page
        assert_eq!(f.page(), (0, 2));
        let p1 = text(&f, Lang::Zh).cases[0].clone();
        assert_eq!(p1.missing.len(), 4);
        assert!(p1.signatures.is_empty());
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        let p2 = text(&f, Lang::Zh).cases[0].clone();
        assert!(p2.missing.is_empty());
        assert!(p2.signatures.contains("张*"));
        // 长辈模式: 2 lines a page; the case shown stays the case shown
        f.set_lines_per_page(LINES_PER_PAGE.1);
        assert_eq!(f.page(), (0, 3));
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        let p2 = text(&f, Lang::Zh).cases[0].clone();
        assert!(p2.notice.ends_with("（续）"), "{}", p2.notice);
        assert_eq!(p2.missing.len(), 2);
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        let p3 = text(&f, Lang::Zh).cases[0].clone();
        assert_eq!(p3.missing.len(), 1);
        assert!(p3.notice_open, "still a warning on every page of it");
        f.handle(f.seq(), Event::Chose(Choice::PrevPage)).unwrap();
        f.handle(f.seq(), Event::Chose(Choice::PrevPage)).unwrap();
        let p1 = text(&f, Lang::Zh).cases[0].clone();
        assert!(p1.notice_open && p1.missing.len() == 1, "{p1:?}");
        assert!(p3.signatures.contains("张*"));
    }

    fn live_case(state: &str) -> ProgressFlow {
        let mut f = asking(person(11));
        let mut s = summary(state);
        s.case_no = Some("江东-2026-00007".into());
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![s], false))))
            .unwrap();
        f.handle(f.seq(), Event::Certified(false)).unwrap();
        f
    }

    #[test]
    fn withdrawal_says_what_it_means_and_is_sent_live_with_a_printed_receipt() {
        let mut f = live_case("accepted");
        assert_eq!(
            f.choices(),
            vec![Choice::Withdraw, Choice::Phone, Choice::Again]
        );
        f.handle(f.seq(), Event::Chose(Choice::Withdraw)).unwrap();
        let zh = text(&f, Lang::Zh);
        assert!(zh.body.contains("撤回后，这件申请就办结了"), "{}", zh.body);
        assert!(zh.body.contains("江东-2026-00007"));
        assert_eq!(f.label(Choice::Confirm, Lang::Zh), "确定撤回");
        // 返回 keeps the case
        f.handle(f.seq(), Event::Chose(Choice::Cancel)).unwrap();
        assert!(matches!(f.step(), Step::Cases(_)));
        f.handle(f.seq(), Event::Chose(Choice::Withdraw)).unwrap();
        let e = f.handle(f.seq(), Event::Chose(Choice::Confirm)).unwrap();
        assert_eq!(
            e,
            vec![Effect::UseRight {
                seq: f.seq(),
                request: RightRequest::Withdraw {
                    case_id: "0190-case".into(),
                    id: id(11),
                    agent: None
                }
            }]
        );
        assert_eq!(f.choices(), vec![], "no double submission");
        let receipt =
            "撤回申请回执\n案号：江东-2026-00007\n张**已于2026年3月3日撤回申请".to_string();
        let e = f
            .handle(
                f.seq(),
                Event::RightAnswered(Ok(Recorded {
                    case_no: "江东-2026-00007".into(),
                    receipt: receipt.clone(),
                })),
            )
            .unwrap();
        assert_eq!(
            e,
            vec![Effect::PrintNotice {
                title: "撤回申请回执".into(),
                case_no: "江东-2026-00007".into(),
                text: receipt.clone()
            }]
        );
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.document, receipt);
        assert!(zh.body.contains("回执正在打印"));
        let seq = f.seq();
        assert_eq!(
            f.handle(seq, Event::Chose(Choice::PrintReceipt))
                .unwrap()
                .len(),
            1
        );
        assert!(
            f.handle(seq, Event::Chose(Choice::PrintReceipt)).is_err(),
            "once a press"
        );
        // 完成 asks for the fresh answer
        let e = f.handle(f.seq(), Event::Chose(Choice::Finish)).unwrap();
        assert!(matches!(
            e.as_slice(),
            [Effect::CancelCard, Effect::Query { .. }]
        ));
    }

    #[test]
    fn recheck_only_while_the_findings_stand_and_refusals_in_plain_words() {
        assert!(
            !live_case("investigating")
                .choices()
                .contains(&Choice::ObjectFindings)
        );
        assert!(!live_case("approved").choices().contains(&Choice::Withdraw));
        let mut f = live_case("findings_notified");
        assert_eq!(
            f.choices(),
            vec![
                Choice::ObjectFindings,
                Choice::Withdraw,
                Choice::Phone,
                Choice::Again
            ]
        );
        f.handle(f.seq(), Event::Chose(Choice::ObjectFindings))
            .unwrap();
        assert_eq!(f.label(Choice::Reason(0), Lang::Zh), "家庭收入算多了");
        assert!(f.handle(f.seq(), Event::Chose(Choice::Reason(9))).is_err());
        f.handle(f.seq(), Event::Chose(Choice::Reason(0))).unwrap();
        assert!(text(&f, Lang::Zh).body.contains("家庭收入算多了"));
        let e = f.handle(f.seq(), Event::Chose(Choice::Confirm)).unwrap();
        assert!(matches!(
            &e[..],
            [Effect::UseRight { request: RightRequest::ObjectFindings { statement, .. }, .. }] if statement == "家庭收入算多了"
        ));
        for (why, words) in [
            (Refusal::NotYours, "只有申请人本人"),
            (Refusal::TooLate, "初审意见之前"),
            (Refusal::Offline, "请稍后再试"),
        ] {
            let mut g = f.clone();
            g.handle(g.seq(), Event::RightAnswered(Err(why))).unwrap();
            let zh = text(&g, Lang::Zh);
            assert!(zh.body.contains(words), "{}", zh.body);
            assert!(zh.body.contains("023-7222-0000"));
            assert_eq!(g.choices(), vec![Choice::Cancel]);
            g.handle(g.seq(), Event::Chose(Choice::Cancel)).unwrap();
            assert!(matches!(g.step(), Step::Cases(_)));
        }
        // a cached answer offers no right
        let mut f = asking(person(11));
        f.handle(
            f.seq(),
            Event::Answered(Ok(answer(vec![summary("findings_notified")], true))),
        )
        .unwrap();
        assert_eq!(f.choices(), vec![Choice::Again]);
        assert!(text(&f, Lang::Zh).body.contains("要连上服务器才能办理"));
    }

    #[test]
    fn the_sms_number_is_typed_checked_and_sent_for_the_case_shown() {
        let mut f = live_case("accepted");
        f.handle(f.seq(), Event::Chose(Choice::Phone)).unwrap();
        for d in [1, 2, 3] {
            f.handle(f.seq(), Event::Chose(Choice::Digit(d))).unwrap();
        }
        assert!(
            f.handle(f.seq(), Event::Chose(Choice::SavePhone))
                .unwrap()
                .is_empty()
        );
        assert!(text(&f, Lang::Zh).body.contains("这不是手机号码"));
        for _ in 0..3 {
            f.handle(f.seq(), Event::Chose(Choice::DeleteDigit))
                .unwrap();
        }
        for d in [1, 3, 9, 0, 0, 0, 0, 1, 1, 1, 1, 9] {
            f.handle(f.seq(), Event::Chose(Choice::Digit(d))).unwrap();
        }
        assert_eq!(
            text(&f, Lang::Zh).document,
            "13900001111",
            "at most 11 digits"
        );
        let e = f.handle(f.seq(), Event::Chose(Choice::SavePhone)).unwrap();
        assert_eq!(
            e,
            vec![Effect::SetPhone {
                seq: f.seq(),
                case_id: "0190-case".into(),
                id: id(11),
                agent: None,
                phone: "13900001111".into()
            }]
        );
        let mut g = f.clone();
        g.handle(g.seq(), Event::PhoneAnswered(Err(Refusal::TooManyChanges)))
            .unwrap();
        assert!(text(&g, Lang::Zh).body.contains("今天已经改过多次号码"));
        f.handle(f.seq(), Event::PhoneAnswered(Ok("139****1111".into())))
            .unwrap();
        let zh = text(&f, Lang::Zh);
        assert!(zh.body.contains("139****1111") && zh.body.contains("江东-2026-00007"));
        assert_eq!(zh.document, "", "the number leaves the screen");
        f.handle(f.seq(), Event::Chose(Choice::BackToCases))
            .unwrap();
        assert!(matches!(f.step(), Step::Cases(_)));
    }

    #[test]
    fn a_case_is_found_by_its_number_among_the_persons_own_cases_only() {
        assert!(number_matches("江东-2026-00123", "202600123"));
        assert!(number_matches("江东-2026-00123", "123"));
        assert!(number_matches("江东-2026-00123", "00123"));
        assert!(!number_matches("江东-2026-00123", "202500123"));
        assert!(!number_matches("江东-2026-00123", "12"));
        assert!(!number_matches("江东-2026-00123", ""));
        let mut f = asking(person(11));
        let mut a = summary("submitted");
        a.case_no = Some("江东-2026-00007".into());
        let mut b = summary("approved");
        b.case_no = Some("江东-2025-00123".into());
        f.handle(f.seq(), Event::Answered(Ok(answer(vec![a, b], false))))
            .unwrap();
        assert!(f.choices().contains(&Choice::FindByNumber));
        f.handle(f.seq(), Event::Chose(Choice::FindByNumber))
            .unwrap();
        for d in [9, 9, 9] {
            f.handle(f.seq(), Event::Chose(Choice::Digit(d))).unwrap();
        }
        f.handle(f.seq(), Event::Chose(Choice::FindNow)).unwrap();
        assert!(text(&f, Lang::Zh).body.contains("您的申请里没有这个案号"));
        for _ in 0..3 {
            f.handle(f.seq(), Event::Chose(Choice::DeleteDigit))
                .unwrap();
        }
        for d in [1, 2, 3] {
            f.handle(f.seq(), Event::Chose(Choice::Digit(d))).unwrap();
        }
        assert_eq!(text(&f, Lang::Zh).document, "123");
        f.handle(f.seq(), Event::Chose(Choice::FindNow)).unwrap();
        assert_eq!(f.page(), (1, 2));
        assert_eq!(text(&f, Lang::Zh).cases[0].case_no, "案号 江东-2025-00123");
    }

    #[test]
    fn a_publicity_objection_needs_the_card_and_names_the_posting() {
        let mut f = ProgressFlow::new();
        f.start_assisted(true);
        f.handle(f.seq(), Event::Chose(Choice::Publicity)).unwrap();
        assert!(text(&f, Lang::Zh).body.contains("实名"));
        // even with staff, a typed number has no name
        f.handle(f.seq(), Event::Identified(typed(30))).unwrap();
        assert!(text(&f, Lang::Zh).body.contains("需要读取身份证上的姓名"));
        let e = f.handle(f.seq(), Event::Identified(person(30))).unwrap();
        assert_eq!(
            e,
            vec![Effect::CancelCard, Effect::QueryPublicity { seq: f.seq() }]
        );
        let posting = |no: &str| PublicityPosting {
            case_no: no.into(),
            township: "500102001".into(),
            assistance_type: AssistanceType::Dibao,
            text: format!(
                "最低生活保障初审意见公示（第1次）\n石佛村：王**，家庭人口2人，拟纳入。{no}"
            ),
            until: day("2026-03-10"),
        };
        f.handle(
            f.seq(),
            Event::PublicityAnswered(Ok(vec![
                posting("江东-2026-00001"),
                posting("江东-2026-00002"),
            ])),
        )
        .unwrap();
        let zh = text(&f, Lang::Zh);
        assert_eq!(zh.page, "第 1 页，共 2 页");
        assert!(zh.body.contains("江东-2026-00001") && zh.body.contains("2026年3月10日"));
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        f.handle(f.seq(), Event::Chose(Choice::ObjectThis)).unwrap();
        f.handle(f.seq(), Event::Chose(Choice::Reason(1))).unwrap();
        assert!(text(&f, Lang::Zh).body.contains("不会告诉被反映的家庭"));
        let e = f.handle(f.seq(), Event::Chose(Choice::Confirm)).unwrap();
        assert!(matches!(
            &e[..],
            [Effect::UseRight { request: RightRequest::ObjectPublicity { case_no, objector, statement }, .. }]
                if case_no == "江东-2026-00002" && objector.id == id(30) && statement == "家庭有车、房等财产"
        ));
        let mut g = f.clone();
        g.handle(g.seq(), Event::RightAnswered(Err(Refusal::AlreadyObjected)))
            .unwrap();
        assert!(text(&g, Lang::Zh).body.contains("已经对这次公示提出过异议"));
        f.handle(
            f.seq(),
            Event::RightAnswered(Ok(Recorded {
                case_no: "江东-2026-00002".into(),
                receipt: "公示异议回执\n案号：江东-2026-00002".into(),
            })),
        )
        .unwrap();
        let e = f.handle(f.seq(), Event::Chose(Choice::Finish)).unwrap();
        assert_eq!(
            e,
            vec![Effect::CancelCard, Effect::QueryPublicity { seq: f.seq() }]
        );
        f.handle(f.seq(), Event::PublicityAnswered(Ok(vec![])))
            .unwrap();
        assert!(text(&f, Lang::Zh).body.contains("没有正在公示"));
        assert!(f.holds_personal_data());
        f.reset();
        assert!(!f.holds_personal_data());
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
        // the whole notice on one page of 5 lines
        f.set_lines_per_page(5);
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
            c.deadlines,
            vec!["补齐材料期限：2026年3月16日前（10个工作日），还剩 9 个工作日"]
        );
        let speech = text(&f, Lang::Zh).speech();
        assert!(speech.contains("家庭收入情况证明"), "{speech}");
        // six lines: the sixth on the next page
        assert_eq!(c.signatures, "");
        assert_eq!(f.page(), (0, 2));
        f.handle(f.seq(), Event::Chose(Choice::NextPage)).unwrap();
        assert_eq!(
            text(&f, Lang::Zh).cases[0].signatures,
            "还需签署授权书：张*、李*明（请到“签署授权”办理）"
        );
        f.handle(f.seq(), Event::Chose(Choice::PrevPage)).unwrap();
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
        assert_eq!(f.choices(), vec![Choice::ForSomeoneElse, Choice::Publicity]);
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
        assert_eq!(f.choices(), vec![Choice::Phone, Choice::Again]);
        let seq = f.seq();
        f.handle(seq, Event::Certified(true)).unwrap();
        assert_eq!(f.seq(), seq, "the offer keeps the screen's number");
        assert_eq!(
            f.choices(),
            vec![Choice::Reprint, Choice::Phone, Choice::Again]
        );
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
        assert_eq!(
            f.choices(),
            vec![Choice::Withdraw, Choice::Phone, Choice::Again]
        );
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
        for c in ALL_CHOICES {
            assert_eq!(Choice::from_name(c.name()), Some(c));
        }
        assert_eq!(Choice::from_name("nope"), None);
    }
}
