//! 工作人员 (the staff entry) as a plain state machine: log in with account and PIN against the
//! central service, help a walk-in applicant (assisted session), the township queue by deadline,
//! one case (accept / one-time notice / record the investigation with a photo), the township
//! statistics and the kiosk's refused records. No Slint, no I/O: the caller carries out the
//! [`Effect`]s and feeds the answers back tagged with the sequence number they were issued with,
//! so a late answer or a double press can neither skip nor repeat a step.
//!
//! The domain rules come from `core::workflow` (which step a role may take, in which state) and
//! `shared/reference/domain.md`: 受理 within 2 working days; an incomplete application gets one
//! single notice (一次性告知) listing every missing material with a deadline after today.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use jiuzhu_core::api::{CaseDetail, CaseSummary, DeadlineColour, LoginAnswer, StaffRole};
use jiuzhu_core::application::Material;
use jiuzhu_core::workflow::{Action, Case, CaseState};

/// Longest account name and PIN accepted on the keyboard.
pub const MAX_FIELD: usize = 32;
/// Default deadline of a one-time notice: this many working days after today (staff can move
/// it within central's legal range, [`NOTICE_MIN_WORKING_DAYS`]–[`NOTICE_MAX_WORKING_DAYS`]).
pub const NOTICE_DEFAULT_WORKING_DAYS: u32 = 10;
/// Fewest working days a one-time notice gives (central refuses fewer).
pub const NOTICE_MIN_WORKING_DAYS: u32 = 3;
/// Most working days a one-time notice gives (central refuses more).
pub const NOTICE_MAX_WORKING_DAYS: u32 = 30;

/// The working-day calendar the notice's deadline is counted by (the built-in holiday table,
/// the one central uses).
static NOTICE_CALENDAR: std::sync::LazyLock<jiuzhu_core::calendar::Calendar> =
    std::sync::LazyLock::new(jiuzhu_core::calendar::Calendar::builtin);

/// The deadline `n` working days after `today` (a working day itself).
pub fn notice_deadline(today: NaiveDate, n: u32) -> NaiveDate {
    NOTICE_CALENDAR.add_working_days(today, n).value
}

/// The staff member helping a walk-in applicant, as the resident flows record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffIdentity {
    /// Account name at the central service (`clerk`).
    pub username: String,
    /// How the account is shown and recorded: the role's title and the account (`乡镇（街道）民政经办人员 clerk`).
    pub display_name: String,
    /// The login's bearer token: what the kiosk sends to central as proof that this staff
    /// member is present and logged in (central refuses a bare account name).
    pub token: Token,
}

/// A bearer token of the central service. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The raw token for the `Authorization` header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(****)")
    }
}

/// A logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    /// Account name.
    pub username: String,
    /// Role from central.
    pub role: StaffRole,
    /// Township scope from central (`None`: the district bureau).
    pub township: Option<String>,
    token: Token,
}

impl StaffSession {
    /// The token (only for the request being sent).
    pub fn token(&self) -> &Token {
        &self.token
    }
}

/// Which login field the keyboard types into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    /// Account name.
    #[default]
    Username,
    /// PIN / password.
    Pin,
}

/// Why a request to the central service failed, as the app layer classified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer (network down, timeout, no central configured).
    Unreachable,
    /// 401 at login: unknown account or wrong PIN.
    WrongCredentials,
    /// 423/429 at login: the account is locked or too many attempts.
    Locked,
    /// 401 after login: the session ended at central.
    SessionExpired,
    /// 403: the role or the township does not allow it (central's reason).
    Forbidden(String),
    /// 409/422: the case is not at that step (central's reason).
    Conflict(String),
    /// 404.
    NotFound,
    /// Anything else (the camera, an unreadable answer, …).
    Other(String),
}

/// A photo for the investigation record: a JPEG of one camera frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Photo {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Size.
    pub width: u32,
    /// Size.
    pub height: u32,
}

impl fmt::Debug for Photo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Photo({}x{}, {} bytes)",
            self.width,
            self.height,
            self.jpeg.len()
        )
    }
}

/// One record of the kiosk's outbox that central refused permanently (no personal data: the
/// kind, when, a short id and central's reason with digits masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedRecord {
    /// Outbox id (full, for the retry).
    pub id: String,
    /// Kind of record (`certification_result`, …).
    pub kind: String,
    /// When it was recorded, local time text.
    pub when: String,
    /// Central's reason, long digit runs masked.
    pub reason: String,
}

/// Masks every run of 6 or more digits/X (ID numbers, phone numbers) in `text`.
pub fn mask_digits(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let mut j = i;
        while j < chars.len() && (chars[j].is_ascii_digit() || (j > i && chars[j] == 'X')) {
            j += 1;
        }
        if j - i >= 6 {
            out.push_str(&chars[i..i + 2].iter().collect::<String>());
            out.push_str(&"*".repeat(j - i - 4));
            out.push_str(&chars[j - 2..j].iter().collect::<String>());
            i = j;
        } else if j > i {
            out.extend(&chars[i..j]);
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// What the investigation screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Investigation {
    /// Ready to take a photo (or to save the findings).
    Ready,
    /// The camera is taking a frame.
    Capturing,
    /// A frame is shown for confirmation.
    Confirm(Photo),
    /// The confirmed photo is being uploaded.
    Uploading,
}

/// The screen shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Account and PIN.
    Login,
    /// Waiting for central (what for is in the text).
    Busy(Busy),
    /// The staff menu.
    Menu,
    /// The township queue, most urgent first.
    Queue,
    /// One case.
    Case,
    /// The one-time notice: missing materials and deadline.
    Notice,
    /// The investigation record with photos.
    Investigation(Investigation),
    /// Township statistics.
    Statistics,
    /// Records central refused.
    Refused,
    /// Assisted session started: the resident services now record this staff member.
    Assisting,
}

/// What the flow is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Busy {
    /// The login answer.
    LoggingIn,
    /// The queue.
    Queue,
    /// A case.
    Case,
    /// A workflow step.
    Step,
    /// Statistics.
    Statistics,
}

/// An input to the flow.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A key of the on-screen keyboard (`a`–`z`, `0`–`9`, `-`).
    Key(char),
    /// Deletes the last character of the field.
    Backspace,
    /// Switches the field typed into.
    Focus(Field),
    /// A button of the screen, by its id (see [`StaffFlow::actions`]).
    Action(String),
    /// A row picked (a case of the queue, a material of the notice).
    Pick(String),
    /// Central answered the login.
    LoggedIn(Result<LoginAnswer, Failure>),
    /// Central answered the queue.
    Queue(Result<Vec<CaseSummary>, Failure>),
    /// Central answered a case read or a step (boxed: a case is large beside the other answers).
    Case(Result<Box<CaseDetail>, Failure>),
    /// Central answered the statistics.
    Statistics(Result<jiuzhu_core::api::TownshipStatistics, Failure>),
    /// The store's refused records.
    Refused(Result<Vec<RefusedRecord>, Failure>),
    /// The camera took a photo.
    Photo(Result<Photo, Failure>),
    /// The photo was stored by central (its SHA-256).
    Uploaded(Result<String, Failure>),
    /// The statistics' refresh timer fired.
    Refresh,
}

/// A resident service a staff member opens for a walk-in applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentEntry {
    /// 申请救助.
    Apply,
    /// 签署授权.
    Sign,
    /// 进度查询.
    Progress,
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `POST /v1/staff/login`; answer with [`Event::LoggedIn`].
    Login {
        /// Account.
        username: String,
        /// PIN (sent once, never kept by the caller).
        password: String,
    },
    /// `GET …/townships/{code}/queue`; answer with [`Event::Queue`].
    LoadQueue {
        /// Session token.
        token: Token,
        /// Township.
        township: String,
    },
    /// `GET /v1/staff/cases/{id}`; answer with [`Event::Case`].
    LoadCase {
        /// Session token.
        token: Token,
        /// Case.
        case_id: String,
    },
    /// `POST /v1/staff/cases/{id}/events`; answer with [`Event::Case`].
    Step {
        /// Session token.
        token: Token,
        /// Case.
        case_id: String,
        /// The step.
        action: Action,
    },
    /// `GET …/townships/{code}/statistics`; answer with [`Event::Statistics`].
    LoadStatistics {
        /// Session token.
        token: Token,
        /// Township.
        township: String,
    },
    /// Read the outbox's refused records; answer with [`Event::Refused`].
    LoadRefused,
    /// Put a refused record back in the outbox for another try; answer with [`Event::Refused`].
    RetryRefused {
        /// Outbox id.
        id: String,
    },
    /// Take one frame from the kiosk camera as JPEG; answer with [`Event::Photo`].
    TakePhoto,
    /// Store the photo at central for the case; answer with [`Event::Uploaded`].
    UploadPhoto {
        /// Case.
        case_id: String,
        /// JPEG.
        jpeg: Vec<u8>,
    },
    /// Open a resident service for the walk-in applicant (the staff login stays until that
    /// session ends at the home screen).
    OpenEntry(ResidentEntry),
    /// Switch the inactivity clock to the staff timeouts (shorter than a resident's).
    StaffTimeouts,
    /// End everything and show the home screen (the token is already forgotten).
    GoHome,
}

/// Why an event was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// The event carries an old sequence number.
    #[error("stale event: sequence {got}, current {current}")]
    Stale {
        /// The event's number.
        got: u64,
        /// The flow's number.
        current: u64,
    },
    /// The event does not fit the screen.
    #[error("{0} does not fit the screen shown")]
    Unexpected(&'static str),
}

/// A message shown above the screen in plain words (zh, en).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
    /// A problem (shown as such, not only by colour).
    pub problem: bool,
}

impl Message {
    fn problem(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
            problem: true,
        }
    }
    fn info(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
            problem: false,
        }
    }
}

/// The staff entry's flow.
#[derive(Debug, Default)]
pub struct StaffFlow {
    seq: u64,
    screen: Option<Screen>,
    field: Field,
    username: String,
    pin: String,
    session: Option<StaffSession>,
    assisting: bool,
    queue: Vec<CaseSummary>,
    case: Option<(CaseDetail, Option<Case>)>,
    unusable: BTreeSet<Material>,
    deadline: Option<NaiveDate>,
    /// The notice's deadline in working days after today.
    notice_days: u32,
    evidence: Vec<String>,
    eligible: bool,
    statistics: Option<jiuzhu_core::api::TownshipStatistics>,
    refused: Vec<RefusedRecord>,
    message: Option<Message>,
    /// The step posted last (to go on after `StartInvestigation`).
    pending: Option<&'static str>,
}

impl StaffFlow {
    /// A flow showing the login screen.
    pub fn new() -> Self {
        Self {
            screen: Some(Screen::Login),
            ..Self::default()
        }
    }

    /// The sequence number a press on the screen shown carries.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The screen shown.
    pub fn screen(&self) -> &Screen {
        self.screen.as_ref().unwrap_or(&Screen::Login)
    }

    /// The login field typed into.
    pub fn field(&self) -> Field {
        self.field
    }

    /// The account typed so far.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// How many PIN characters were typed (the PIN itself is never shown).
    pub fn pin_len(&self) -> usize {
        self.pin.chars().count()
    }

    /// The logged-in staff member.
    pub fn session(&self) -> Option<&StaffSession> {
        self.session.as_ref()
    }

    /// The staff member helping a walk-in applicant, while "帮助群众办理" is on.
    pub fn assisting(&self) -> Option<StaffIdentity> {
        let s = self.session.as_ref().filter(|_| self.assisting)?;
        Some(StaffIdentity {
            username: s.username.clone(),
            display_name: format!("{} {}", s.role.label_zh(), s.username),
            token: s.token.clone(),
        })
    }

    /// The queue as central sent it (most urgent first).
    pub fn queue(&self) -> &[CaseSummary] {
        &self.queue
    }

    /// The case open, with the workflow case when central's copy could be read.
    pub fn case(&self) -> Option<&(CaseDetail, Option<Case>)> {
        self.case.as_ref()
    }

    /// The notice's checklist: (material, uploaded, marked unusable).
    pub fn notice_items(&self) -> Vec<(Material, bool, bool)> {
        let Some((_, Some(case))) = &self.case else {
            return Vec::new();
        };
        let have: BTreeSet<Material> = case.application.materials.iter().map(|m| m.kind).collect();
        case.application
            .checklist()
            .into_iter()
            .map(|m| (m, have.contains(&m), self.unusable.contains(&m)))
            .collect()
    }

    /// The notice's deadline.
    pub fn deadline(&self) -> Option<NaiveDate> {
        self.deadline
    }

    /// SHA-256 of the photos stored for the investigation.
    pub fn evidence(&self) -> &[String] {
        &self.evidence
    }

    /// Whether the findings say the household meets the conditions.
    pub fn eligible(&self) -> bool {
        self.eligible
    }

    /// Statistics last read.
    pub fn statistics(&self) -> Option<&jiuzhu_core::api::TownshipStatistics> {
        self.statistics.as_ref()
    }

    /// Refused records last read.
    pub fn refused(&self) -> &[RefusedRecord] {
        &self.refused
    }

    /// The message shown, if any.
    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// Whether anything personal or secret is held (the token, the PIN, a case, a photo).
    pub fn holds_personal_data(&self) -> bool {
        self.session.is_some()
            || !self.pin.is_empty()
            || !self.username.is_empty()
            || self.case.is_some()
            || !self.queue.is_empty()
            || !self.refused.is_empty()
            || matches!(
                self.screen,
                Some(Screen::Investigation(Investigation::Confirm(_)))
            )
    }

    /// Forgets everything (logout, timeout, home) and shows the login screen.
    pub fn wipe(&mut self) {
        let seq = self.seq + 1;
        *self = Self::new();
        self.seq = seq;
    }

    fn show(&mut self, screen: Screen) {
        self.seq += 1;
        self.screen = Some(screen);
    }

    fn token(&self) -> Option<Token> {
        self.session.as_ref().map(|s| s.token.clone())
    }

    fn township(&self) -> Option<String> {
        self.session.as_ref().and_then(|s| s.township.clone())
    }

    /// The buttons of the screen shown: (id, zh, en, primary).
    pub fn actions(&self) -> Vec<(&'static str, &'static str, &'static str, bool)> {
        let mut a = Vec::new();
        match self.screen() {
            Screen::Login => {
                a.push(("login", "登录", "Log in", true));
            }
            Screen::Busy(_) => {}
            Screen::Menu => {
                a.push(("assist", "帮助群众办理", "Assist an applicant", true));
                if self.township().is_some() {
                    a.push(("queue", "本乡镇待办", "Township queue", false));
                    a.push(("statistics", "本乡镇统计", "Township statistics", false));
                }
                a.push(("refused", "被拒收的记录", "Refused records", false));
                a.push(("logout", "退出登录", "Log out", false));
            }
            Screen::Assisting => {
                a.push(("assist_apply", "申请救助", "Apply for assistance", true));
                a.push(("assist_sign", "签署授权", "Sign an authorization", false));
                a.push(("assist_progress", "进度查询", "Follow a case", false));
                a.push(("stop_assist", "结束协助", "Stop assisting", false));
                a.push(("logout", "退出登录", "Log out", false));
            }
            Screen::Queue => {
                a.push(("refresh", "刷新", "Refresh", false));
                a.push(("back", "返回", "Back", false));
            }
            Screen::Case => {
                let state = self.case_state();
                if matches!(state, Some(CaseState::Submitted)) {
                    a.push(("accept", "受理", "Accept", true));
                    a.push(("notice", "一次性告知", "One-time notice", false));
                }
                if matches!(
                    state,
                    Some(CaseState::Accepted) | Some(CaseState::Investigating)
                ) {
                    a.push(("investigate", "入户调查", "Record investigation", true));
                }
                a.push(("back", "返回", "Back", false));
            }
            Screen::Notice => {
                a.push(("earlier", "期限提前一天", "One day earlier", false));
                a.push(("later", "期限推后一天", "One day later", false));
                a.push(("send_notice", "发出告知", "Send the notice", true));
                a.push(("back", "返回", "Back", false));
            }
            Screen::Investigation(Investigation::Ready) => {
                a.push(("photo", "拍照", "Take a photo", true));
                a.push(if self.eligible {
                    (
                        "toggle_eligible",
                        "✓ 符合条件",
                        "✓ Meets the conditions",
                        false,
                    )
                } else {
                    (
                        "toggle_eligible",
                        "✗ 不符合条件",
                        "✗ Does not meet the conditions",
                        false,
                    )
                });
                a.push(("save_findings", "保存调查结果", "Save the findings", true));
                a.push(("back", "返回", "Back", false));
            }
            Screen::Investigation(Investigation::Confirm(_)) => {
                a.push(("use_photo", "使用这张照片", "Use this photo", true));
                a.push(("retake", "重拍", "Take again", false));
            }
            Screen::Investigation(_) => {}
            Screen::Statistics => {
                a.push(("refresh", "刷新", "Refresh", false));
                a.push(("back", "返回", "Back", false));
            }
            Screen::Refused => {
                a.push(("refresh", "刷新", "Refresh", false));
                a.push(("back", "返回", "Back", false));
            }
        }
        a
    }

    /// The workflow state of the case open.
    pub fn case_state(&self) -> Option<CaseState> {
        let (detail, case) = self.case.as_ref()?;
        case.as_ref().map(|c| c.state).or_else(|| {
            serde_json::from_value(serde_json::Value::String(detail.summary.state.clone())).ok()
        })
    }

    /// Feeds `event` carrying `seq`. `today` is the date in China (for the notice deadline).
    pub fn handle(
        &mut self,
        seq: u64,
        event: Event,
        today: NaiveDate,
    ) -> Result<Vec<Effect>, FlowError> {
        if seq != self.seq {
            return Err(FlowError::Stale {
                got: seq,
                current: self.seq,
            });
        }
        match event {
            Event::Key(c) => self.key(Some(c)),
            Event::Backspace => self.key(None),
            Event::Focus(f) => {
                self.expect_login()?;
                self.field = f;
                Ok(vec![])
            }
            Event::Action(id) => self.action(&id, today),
            Event::Pick(id) => self.pick(&id),
            Event::LoggedIn(r) => self.logged_in(r),
            Event::Queue(r) => {
                self.expect_busy(Busy::Queue)?;
                match r {
                    Ok(q) => {
                        self.queue = q;
                        self.message = None;
                        self.show(Screen::Queue);
                        Ok(vec![])
                    }
                    Err(f) => Ok(self.failed(f, Screen::Menu)),
                }
            }
            Event::Case(r) => self.case_answer(r.map(|b| *b), today),
            Event::Statistics(r) => {
                if !matches!(
                    self.screen(),
                    Screen::Busy(Busy::Statistics) | Screen::Statistics
                ) {
                    return Err(FlowError::Unexpected("statistics"));
                }
                match r {
                    Ok(s) => {
                        self.statistics = Some(s);
                        self.message = None;
                        self.show(Screen::Statistics);
                        Ok(vec![])
                    }
                    Err(f) => Ok(self.failed(f, Screen::Menu)),
                }
            }
            Event::Refused(r) => {
                if self.session.is_none() {
                    return Err(FlowError::Unexpected("refused records"));
                }
                match r {
                    Ok(list) => {
                        self.refused = list;
                        self.message = None;
                        self.show(Screen::Refused);
                        Ok(vec![])
                    }
                    Err(f) => Ok(self.failed(f, Screen::Menu)),
                }
            }
            Event::Photo(r) => {
                if self.screen() != &Screen::Investigation(Investigation::Capturing) {
                    return Err(FlowError::Unexpected("a photo"));
                }
                match r {
                    Ok(p) => {
                        self.message = None;
                        self.show(Screen::Investigation(Investigation::Confirm(p)));
                    }
                    Err(f) => {
                        self.message = Some(failure_message(&f));
                        self.show(Screen::Investigation(Investigation::Ready));
                    }
                }
                Ok(vec![])
            }
            Event::Uploaded(r) => {
                if self.screen() != &Screen::Investigation(Investigation::Uploading) {
                    return Err(FlowError::Unexpected("an upload"));
                }
                match r {
                    Ok(sha) => {
                        self.evidence.push(sha);
                        self.message = Some(Message::info(
                            format!("照片已保存（共{}张）。", self.evidence.len()),
                            format!("Photo stored ({} in all).", self.evidence.len()),
                        ));
                        self.show(Screen::Investigation(Investigation::Ready));
                        Ok(vec![])
                    }
                    Err(f) => Ok(self.failed(f, Screen::Investigation(Investigation::Ready))),
                }
            }
            Event::Refresh => match (self.screen(), self.token(), self.township()) {
                (Screen::Statistics, Some(token), Some(township)) => {
                    Ok(vec![Effect::LoadStatistics { token, township }])
                }
                _ => Ok(vec![]),
            },
        }
    }

    fn expect_login(&self) -> Result<(), FlowError> {
        if self.screen() == &Screen::Login {
            Ok(())
        } else {
            Err(FlowError::Unexpected("a login key"))
        }
    }

    fn expect_busy(&self, b: Busy) -> Result<(), FlowError> {
        if self.screen() == &Screen::Busy(b) {
            Ok(())
        } else {
            Err(FlowError::Unexpected("an answer"))
        }
    }

    fn key(&mut self, c: Option<char>) -> Result<Vec<Effect>, FlowError> {
        self.expect_login()?;
        let f = match self.field {
            Field::Username => &mut self.username,
            Field::Pin => &mut self.pin,
        };
        match c {
            Some(c) if c.is_ascii_alphanumeric() || c == '-' || c == '_' => {
                // A full field takes no more keys.
                if f.chars().count() < MAX_FIELD {
                    f.push(c.to_ascii_lowercase());
                }
            }
            Some(_) => return Err(FlowError::Unexpected("this key")),
            None => {
                f.pop();
            }
        }
        self.message = None;
        Ok(vec![])
    }

    /// A central failure: its message, and `back` shown; a lost session logs out.
    fn failed(&mut self, f: Failure, back: Screen) -> Vec<Effect> {
        self.message = Some(failure_message(&f));
        if f == Failure::SessionExpired {
            let m = self.message.take();
            self.wipe();
            self.message = m;
            return vec![];
        }
        self.show(back);
        vec![]
    }

    fn logged_in(&mut self, r: Result<LoginAnswer, Failure>) -> Result<Vec<Effect>, FlowError> {
        self.expect_busy(Busy::LoggingIn)?;
        self.pin.clear();
        match r {
            Ok(a) => {
                self.session = Some(StaffSession {
                    username: std::mem::take(&mut self.username),
                    role: a.role,
                    township: a.township,
                    token: Token(a.token),
                });
                self.field = Field::Username;
                self.message = None;
                self.show(Screen::Menu);
                Ok(vec![Effect::StaffTimeouts])
            }
            Err(f) => {
                self.message = Some(failure_message(&f));
                self.field = Field::Pin;
                self.show(Screen::Login);
                Ok(vec![])
            }
        }
    }

    fn action(&mut self, id: &str, today: NaiveDate) -> Result<Vec<Effect>, FlowError> {
        if !self.actions().iter().any(|a| a.0 == id) {
            return Err(FlowError::Unexpected("this button"));
        }
        self.message = None;
        let token = self.token();
        let township = self.township();
        match (self.screen().clone(), id) {
            (Screen::Login, "login") => {
                if self.username.is_empty() || self.pin.is_empty() {
                    self.message = Some(Message::problem(
                        "请输入账号和密码。",
                        "Enter the account and the PIN.",
                    ));
                    self.field = if self.username.is_empty() {
                        Field::Username
                    } else {
                        Field::Pin
                    };
                    return Ok(vec![]);
                }
                let password = std::mem::take(&mut self.pin);
                self.show(Screen::Busy(Busy::LoggingIn));
                Ok(vec![Effect::Login {
                    username: self.username.clone(),
                    password,
                }])
            }
            (_, "logout") => {
                self.wipe();
                Ok(vec![Effect::GoHome])
            }
            (Screen::Menu, "assist") => {
                self.assisting = true;
                self.show(Screen::Assisting);
                Ok(vec![])
            }
            (Screen::Assisting, "assist_apply") => {
                Ok(vec![Effect::OpenEntry(ResidentEntry::Apply)])
            }
            (Screen::Assisting, "assist_sign") => Ok(vec![Effect::OpenEntry(ResidentEntry::Sign)]),
            (Screen::Assisting, "assist_progress") => {
                Ok(vec![Effect::OpenEntry(ResidentEntry::Progress)])
            }
            (Screen::Assisting, "stop_assist") => {
                self.assisting = false;
                self.show(Screen::Menu);
                Ok(vec![])
            }
            (Screen::Menu, "queue") | (Screen::Queue, "refresh") => {
                let (Some(token), Some(township)) = (token, township) else {
                    return Err(FlowError::Unexpected("the queue"));
                };
                self.show(Screen::Busy(Busy::Queue));
                Ok(vec![Effect::LoadQueue { token, township }])
            }
            (Screen::Menu, "statistics") | (Screen::Statistics, "refresh") => {
                let (Some(token), Some(township)) = (token, township) else {
                    return Err(FlowError::Unexpected("statistics"));
                };
                self.show(Screen::Busy(Busy::Statistics));
                Ok(vec![Effect::LoadStatistics { token, township }])
            }
            (Screen::Menu, "refused") | (Screen::Refused, "refresh") => {
                Ok(vec![Effect::LoadRefused])
            }
            (Screen::Queue | Screen::Statistics | Screen::Refused, "back") => {
                self.case = None;
                self.show(Screen::Menu);
                Ok(vec![])
            }
            (Screen::Case, "back") => {
                self.case = None;
                self.show(Screen::Queue);
                Ok(vec![])
            }
            (Screen::Case, "accept") => self.step(Action::Accept, "accept"),
            (Screen::Case, "notice") => {
                self.unusable.clear();
                self.notice_days = NOTICE_DEFAULT_WORKING_DAYS;
                self.deadline = Some(notice_deadline(today, self.notice_days));
                self.show(Screen::Notice);
                Ok(vec![])
            }
            (Screen::Notice, "earlier") => {
                self.notice_days = self
                    .notice_days
                    .saturating_sub(1)
                    .max(NOTICE_MIN_WORKING_DAYS);
                self.deadline = Some(notice_deadline(today, self.notice_days));
                Ok(vec![])
            }
            (Screen::Notice, "later") => {
                self.notice_days = self
                    .notice_days
                    .saturating_add(1)
                    .min(NOTICE_MAX_WORKING_DAYS);
                self.deadline = Some(notice_deadline(today, self.notice_days));
                Ok(vec![])
            }
            (Screen::Notice, "send_notice") => {
                let Some(deadline) = self.deadline.filter(|d| *d > today) else {
                    self.message = Some(Message::problem(
                        "告知的截止日期必须在今天之后。",
                        "The notice's deadline must be after today.",
                    ));
                    return Ok(vec![]);
                };
                let missing = self
                    .notice_items()
                    .iter()
                    .any(|(_, have, bad)| !have || *bad);
                let unsigned = self
                    .case
                    .as_ref()
                    .and_then(|(_, c)| c.as_ref())
                    .is_some_and(|c| !c.application.unsigned(today).is_empty());
                if !missing && !unsigned {
                    self.message = Some(Message::problem(
                        "材料和签字都已齐全，无需告知，可以直接受理。",
                        "Nothing is missing: accept the application instead.",
                    ));
                    return Ok(vec![]);
                }
                let unusable = self.unusable.iter().copied().collect();
                self.step(
                    Action::NotifyMissingMaterials {
                        deadline,
                        unusable,
                        note: String::new(),
                    },
                    "notice",
                )
            }
            (Screen::Notice, "back") | (Screen::Investigation(Investigation::Ready), "back") => {
                self.show(Screen::Case);
                Ok(vec![])
            }
            (Screen::Case, "investigate") => {
                self.evidence.clear();
                self.eligible = true;
                if self.case_state() == Some(CaseState::Accepted) {
                    self.step(Action::StartInvestigation, "start_investigation")
                } else {
                    self.show(Screen::Investigation(Investigation::Ready));
                    Ok(vec![])
                }
            }
            (Screen::Investigation(Investigation::Ready), "photo")
            | (Screen::Investigation(Investigation::Confirm(_)), "retake") => {
                self.show(Screen::Investigation(Investigation::Capturing));
                Ok(vec![Effect::TakePhoto])
            }
            (Screen::Investigation(Investigation::Ready), "toggle_eligible") => {
                self.eligible = !self.eligible;
                Ok(vec![])
            }
            (Screen::Investigation(Investigation::Confirm(p)), "use_photo") => {
                let case_id = self.case_id().ok_or(FlowError::Unexpected("a photo"))?;
                self.show(Screen::Investigation(Investigation::Uploading));
                Ok(vec![Effect::UploadPhoto {
                    case_id,
                    jpeg: p.jpeg,
                }])
            }
            (Screen::Investigation(Investigation::Ready), "save_findings") => {
                if self.evidence.is_empty() {
                    self.message = Some(Message::problem(
                        "请先拍摄至少一张入户调查照片。",
                        "Take at least one photo of the visit first.",
                    ));
                    return Ok(vec![]);
                }
                let summary = if self.eligible {
                    format!(
                        "入户调查：符合条件（现场照片{}张，工作人员于自助终端录入）",
                        self.evidence.len()
                    )
                } else {
                    format!(
                        "入户调查：不符合条件（现场照片{}张，工作人员于自助终端录入）",
                        self.evidence.len()
                    )
                };
                self.step(
                    Action::RecordFindings {
                        eligible: self.eligible,
                        summary,
                        per_capita_income: None,
                        evidence: self.evidence.clone(),
                        // this screen records a visit with its photos
                        methods: vec![jiuzhu_core::workflow::InvestigationMethod::HomeVisit],
                    },
                    "findings",
                )
            }
            _ => Err(FlowError::Unexpected("this button")),
        }
    }

    fn case_id(&self) -> Option<String> {
        self.case.as_ref().map(|(d, _)| d.summary.case_id.clone())
    }

    fn step(&mut self, action: Action, what: &'static str) -> Result<Vec<Effect>, FlowError> {
        let (Some(token), Some(case_id)) = (self.token(), self.case_id()) else {
            return Err(FlowError::Unexpected("a step"));
        };
        self.pending = Some(what);
        self.show(Screen::Busy(Busy::Step));
        Ok(vec![Effect::Step {
            token,
            case_id,
            action,
        }])
    }

    fn pick(&mut self, id: &str) -> Result<Vec<Effect>, FlowError> {
        match self.screen() {
            Screen::Queue => {
                let Some(token) = self.token() else {
                    return Err(FlowError::Unexpected("a case"));
                };
                if !self.queue.iter().any(|c| c.case_id == id) {
                    return Err(FlowError::Unexpected("a case not in the queue"));
                }
                self.message = None;
                self.pending = None;
                self.show(Screen::Busy(Busy::Case));
                Ok(vec![Effect::LoadCase {
                    token,
                    case_id: id.to_string(),
                }])
            }
            Screen::Notice => {
                let Some((m, have, _)) = self
                    .notice_items()
                    .into_iter()
                    .find(|(m, _, _)| material_id(*m) == id)
                else {
                    return Err(FlowError::Unexpected("a material not on the checklist"));
                };
                if !have {
                    // Not uploaded: it is on the notice anyway.
                    self.message = Some(Message::info(
                        "未上传的材料会自动列入告知。",
                        "Materials not uploaded are on the notice anyway.",
                    ));
                    return Ok(vec![]);
                }
                if !self.unusable.remove(&m) {
                    self.unusable.insert(m);
                }
                Ok(vec![])
            }
            Screen::Refused => {
                if !self.refused.iter().any(|r| r.id == id) {
                    return Err(FlowError::Unexpected("a record not listed"));
                }
                Ok(vec![Effect::RetryRefused { id: id.to_string() }])
            }
            _ => Err(FlowError::Unexpected("a row")),
        }
    }

    fn case_answer(
        &mut self,
        r: Result<CaseDetail, Failure>,
        _today: NaiveDate,
    ) -> Result<Vec<Effect>, FlowError> {
        let busy = match self.screen() {
            Screen::Busy(b @ (Busy::Case | Busy::Step)) => *b,
            _ => return Err(FlowError::Unexpected("a case")),
        };
        let pending = self.pending.take();
        let detail = match r {
            Ok(d) => d,
            Err(f) => {
                let back = if busy == Busy::Case {
                    Screen::Queue
                } else if pending == Some("findings") {
                    Screen::Investigation(Investigation::Ready)
                } else if pending == Some("notice") {
                    Screen::Notice
                } else {
                    Screen::Case
                };
                return Ok(self.failed(f, back));
            }
        };
        let case: Option<Case> = serde_json::from_value(detail.case.clone()).ok();
        // Keep the queue line current.
        if let Some(q) = self
            .queue
            .iter_mut()
            .find(|c| c.case_id == detail.summary.case_id)
        {
            *q = detail.summary.clone();
        }
        self.case = Some((detail, case));
        self.message = match pending {
            Some("accept") => Some(Message::info("已受理。", "Accepted.")),
            Some("notice") => Some(Message::info(
                "一次性告知已发出。",
                "The one-time notice was sent.",
            )),
            Some("findings") => Some(Message::info(
                "入户调查结果已保存。",
                "The investigation findings are saved.",
            )),
            _ => None,
        };
        if pending == Some("start_investigation") {
            self.show(Screen::Investigation(Investigation::Ready));
        } else {
            self.show(Screen::Case);
        }
        Ok(vec![])
    }
}

/// A stable id of a material for the UI (its serde name).
pub fn material_id(m: Material) -> String {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The deadline colour in words and a mark, so colour is never the only cue.
pub fn colour_words(c: Option<DeadlineColour>) -> (&'static str, &'static str, &'static str) {
    match c {
        Some(DeadlineColour::Green) | None => ("●", "时间充裕", "on time"),
        Some(DeadlineColour::Amber) => ("▲", "即将到期", "due soon"),
        Some(DeadlineColour::Red) => ("■", "紧急", "urgent"),
        Some(DeadlineColour::Overdue) => ("✗", "已超期", "overdue"),
    }
}

/// A failure in plain words.
pub fn failure_message(f: &Failure) -> Message {
    match f {
        Failure::Unreachable => Message::problem(
            "连不上中心服务，请检查网络后再试；如仍不行，请联系区民政局。",
            "The central service cannot be reached. Check the network and try again, or call the district bureau.",
        ),
        Failure::WrongCredentials => Message::problem(
            "账号或密码不对，请重新输入密码。",
            "Wrong account or PIN. Enter the PIN again.",
        ),
        Failure::Locked => Message::problem(
            "此账号已被锁定（尝试次数过多），请联系区民政局解锁。",
            "This account is locked (too many attempts). Ask the district bureau to unlock it.",
        ),
        Failure::SessionExpired => Message::problem(
            "登录已过期，请重新登录。",
            "The login has expired. Log in again.",
        ),
        Failure::Forbidden(r) => Message::problem(
            format!("您的岗位或所属乡镇不能办理此事项。（{r}）"),
            format!("Your role or township does not allow this. ({r})"),
        ),
        Failure::Conflict(r) => Message::problem(
            format!("此案件现在不能办理这一步，可能缺少前一步骤。（{r}）"),
            format!("The case is not at this step; an earlier step may be missing. ({r})"),
        ),
        Failure::NotFound => Message::problem(
            "找不到此案件，可能已被处理。",
            "The case was not found; it may have been handled already.",
        ),
        Failure::Other(r) => Message::problem(
            format!("出现问题：{r}"),
            format!("Something went wrong: {r}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use jiuzhu_core::api::{AssistanceType, TownshipStatistics};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    fn answer(township: Option<&str>) -> LoginAnswer {
        serde_json::from_value(serde_json::json!({
            "token": "secret-token",
            "expires_at": Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap(),
            "role": StaffRole::TownshipClerk,
            "township": township,
        }))
        .unwrap()
    }

    fn go(f: &mut StaffFlow, e: Event) -> Vec<Effect> {
        f.handle(f.seq(), e, today()).unwrap()
    }

    fn act(f: &mut StaffFlow, id: &str) -> Vec<Effect> {
        go(f, Event::Action(id.into()))
    }

    fn type_text(f: &mut StaffFlow, s: &str) {
        for c in s.chars() {
            go(f, Event::Key(c));
        }
    }

    fn logged_in() -> StaffFlow {
        let mut f = StaffFlow::new();
        type_text(&mut f, "clerk");
        go(&mut f, Event::Focus(Field::Pin));
        type_text(&mut f, "pin-1");
        let e = act(&mut f, "login");
        assert_eq!(
            e,
            vec![Effect::Login {
                username: "clerk".into(),
                password: "pin-1".into()
            }]
        );
        assert_eq!(f.pin_len(), 0, "the PIN leaves the flow with the request");
        let e = go(&mut f, Event::LoggedIn(Ok(answer(Some("500102900")))));
        assert_eq!(e, vec![Effect::StaffTimeouts]);
        f
    }

    /// Built from JSON (the fields every version of the answer has; later ones default).
    fn summary(id: &str, state: &str, colour: DeadlineColour) -> CaseSummary {
        serde_json::from_value(serde_json::json!({
            "case_id": id,
            "township": "500102900",
            "assistance_type": AssistanceType::Dibao,
            "state": state,
            "submitted_at": Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap(),
            "due": today(),
            "colour": colour,
            "pending_signatures": [],
            "materials": 0,
            "hotline": "",
            "report_phone": "",
        }))
        .unwrap()
    }

    fn detail(id: &str, state: &str) -> CaseDetail {
        serde_json::from_value(serde_json::json!({
            "summary": summary(id, state, DeadlineColour::Green),
            "case": null,
            "history": [],
            "deadlines": [],
        }))
        .unwrap()
    }

    fn in_queue() -> StaffFlow {
        let mut f = logged_in();
        let e = act(&mut f, "queue");
        assert!(matches!(&e[..], [Effect::LoadQueue { township, .. }] if township == "500102900"));
        go(
            &mut f,
            Event::Queue(Ok(vec![
                summary("c1", "submitted", DeadlineColour::Red),
                summary("c2", "accepted", DeadlineColour::Green),
            ])),
        );
        assert_eq!(f.screen(), &Screen::Queue);
        f
    }

    fn open_case(f: &mut StaffFlow, id: &str, state: &str) {
        let e = go(f, Event::Pick(id.into()));
        assert!(matches!(&e[..], [Effect::LoadCase { case_id, .. }] if case_id == id));
        go(f, Event::Case(Ok(Box::new(detail(id, state)))));
        assert_eq!(f.screen(), &Screen::Case);
    }

    #[test]
    fn login_keeps_role_and_township_and_switches_to_staff_timeouts() {
        let f = logged_in();
        let s = f.session().unwrap();
        assert_eq!(s.role, StaffRole::TownshipClerk);
        assert_eq!(s.township.as_deref(), Some("500102900"));
        assert_eq!(f.screen(), &Screen::Menu);
        assert!(!format!("{f:?}").contains("secret-token"), "token masked");
        assert!(f.holds_personal_data());
    }

    #[test]
    fn empty_fields_are_refused_without_a_request() {
        let mut f = StaffFlow::new();
        assert!(act(&mut f, "login").is_empty());
        assert!(f.message().unwrap().problem);
        assert_eq!(f.field(), Field::Username);
        type_text(&mut f, "clerk");
        assert!(act(&mut f, "login").is_empty());
        assert_eq!(f.field(), Field::Pin);
    }

    #[test]
    fn keys_backspace_and_bad_keys() {
        let mut f = StaffFlow::new();
        type_text(&mut f, "AB");
        go(&mut f, Event::Backspace);
        assert_eq!(f.username(), "a");
        assert!(f.handle(f.seq(), Event::Key('中'), today()).is_err());
        for _ in 0..40 {
            go(&mut f, Event::Key('x'));
        }
        assert_eq!(f.username().len(), MAX_FIELD);
    }

    #[rstest::rstest]
    #[case(Failure::WrongCredentials, "密码不对")]
    #[case(Failure::Locked, "锁定")]
    #[case(Failure::Unreachable, "连不上")]
    fn login_failures_say_so_and_ask_for_the_pin_again(#[case] f: Failure, #[case] words: &str) {
        let mut flow = StaffFlow::new();
        type_text(&mut flow, "clerk");
        go(&mut flow, Event::Focus(Field::Pin));
        type_text(&mut flow, "bad");
        act(&mut flow, "login");
        go(&mut flow, Event::LoggedIn(Err(f)));
        assert_eq!(flow.screen(), &Screen::Login);
        assert!(flow.message().unwrap().zh.contains(words));
        assert!(flow.session().is_none());
        assert_eq!(flow.pin_len(), 0);
        assert_eq!(flow.field(), Field::Pin);
    }

    #[test]
    fn stale_and_unexpected_events_are_refused() {
        let mut f = logged_in();
        let old = f.seq() - 1;
        assert!(matches!(
            f.handle(old, Event::Action("queue".into()), today()),
            Err(FlowError::Stale { .. })
        ));
        assert!(f.handle(f.seq(), Event::Key('a'), today()).is_err());
        assert!(
            f.handle(f.seq(), Event::Queue(Ok(vec![])), today())
                .is_err()
        );
        assert!(
            f.handle(f.seq(), Event::Action("accept".into()), today())
                .is_err()
        );
        assert!(f.handle(f.seq(), Event::Pick("x".into()), today()).is_err());
    }

    #[test]
    fn assisting_names_the_staff_member_until_stopped_or_logged_out() {
        let mut f = logged_in();
        assert_eq!(f.assisting(), None);
        act(&mut f, "assist");
        let who = f.assisting().unwrap();
        assert_eq!(who.username, "clerk");
        assert!(who.display_name.contains("clerk"));
        assert_eq!(
            act(&mut f, "assist_apply"),
            vec![Effect::OpenEntry(ResidentEntry::Apply)]
        );
        assert_eq!(
            act(&mut f, "assist_sign"),
            vec![Effect::OpenEntry(ResidentEntry::Sign)]
        );
        assert_eq!(
            act(&mut f, "assist_progress"),
            vec![Effect::OpenEntry(ResidentEntry::Progress)]
        );
        assert!(f.assisting().is_some());
        act(&mut f, "stop_assist");
        assert_eq!(f.assisting(), None);
        act(&mut f, "assist");
        assert_eq!(act(&mut f, "logout"), vec![Effect::GoHome]);
        assert_eq!(f.assisting(), None);
        assert!(!f.holds_personal_data());
    }

    #[test]
    fn district_account_has_no_township_queue() {
        let mut f = StaffFlow::new();
        type_text(&mut f, "bureau");
        go(&mut f, Event::Focus(Field::Pin));
        type_text(&mut f, "x");
        act(&mut f, "login");
        go(&mut f, Event::LoggedIn(Ok(answer(None))));
        assert!(!f.actions().iter().any(|a| a.0 == "queue"));
        assert!(
            f.handle(f.seq(), Event::Action("queue".into()), today())
                .is_err()
        );
    }

    #[test]
    fn queue_failure_returns_to_menu_and_expired_session_logs_out() {
        let mut f = logged_in();
        act(&mut f, "queue");
        go(&mut f, Event::Queue(Err(Failure::Unreachable)));
        assert_eq!(f.screen(), &Screen::Menu);
        act(&mut f, "queue");
        go(&mut f, Event::Queue(Err(Failure::SessionExpired)));
        assert_eq!(f.screen(), &Screen::Login);
        assert!(f.session().is_none());
        assert!(f.message().unwrap().zh.contains("过期"));
    }

    #[test]
    fn accept_posts_the_step_and_shows_the_new_state() {
        let mut f = in_queue();
        open_case(&mut f, "c1", "submitted");
        assert!(f.actions().iter().any(|a| a.0 == "accept"));
        let e = act(&mut f, "accept");
        assert!(
            matches!(&e[..], [Effect::Step { case_id, action: Action::Accept, .. }] if case_id == "c1")
        );
        go(&mut f, Event::Case(Ok(Box::new(detail("c1", "accepted")))));
        assert_eq!(f.screen(), &Screen::Case);
        assert_eq!(f.case_state(), Some(CaseState::Accepted));
        assert_eq!(f.message().unwrap().zh, "已受理。");
        assert_eq!(f.queue()[0].state, "accepted", "queue line updated");
    }

    #[rstest::rstest]
    #[case(Failure::Forbidden("wrong role".into()), "岗位")]
    #[case(Failure::Conflict("incomplete".into()), "前一步骤")]
    #[case(Failure::NotFound, "找不到")]
    fn refused_step_says_why_in_plain_words(#[case] failure: Failure, #[case] words: &str) {
        let mut f = in_queue();
        open_case(&mut f, "c1", "submitted");
        act(&mut f, "accept");
        go(&mut f, Event::Case(Err(failure)));
        assert_eq!(f.screen(), &Screen::Case);
        assert!(f.message().unwrap().zh.contains(words));
    }

    #[test]
    fn case_load_failure_returns_to_the_queue() {
        let mut f = in_queue();
        go(&mut f, Event::Pick("c1".into()));
        go(&mut f, Event::Case(Err(Failure::Other("boom".into()))));
        assert_eq!(f.screen(), &Screen::Queue);
        assert!(
            f.handle(f.seq(), Event::Pick("nope".into()), today())
                .is_err()
        );
    }

    #[test]
    fn notice_deadline_must_be_after_today_and_unusable_materials_toggle() {
        let mut f = in_queue();
        open_case(&mut f, "c1", "submitted");
        act(&mut f, "notice");
        assert_eq!(f.screen(), &Screen::Notice);
        let cal = jiuzhu_core::calendar::Calendar::builtin();
        let d0 = f.deadline().unwrap();
        assert_eq!(
            d0,
            cal.add_working_days(today(), NOTICE_DEFAULT_WORKING_DAYS)
                .value
        );
        assert!(
            cal.is_working_day(d0).value,
            "a working day, never a holiday"
        );
        act(&mut f, "later");
        let d1 = f.deadline().unwrap();
        assert_eq!(cal.working_days_between(d0, d1).value, 1);
        for _ in 0..40 {
            act(&mut f, "later");
        }
        assert_eq!(
            f.deadline(),
            Some(cal.add_working_days(today(), NOTICE_MAX_WORKING_DAYS).value),
            "never past central's legal range"
        );
        for _ in 0..40 {
            act(&mut f, "earlier");
        }
        assert_eq!(
            f.deadline(),
            Some(cal.add_working_days(today(), NOTICE_MIN_WORKING_DAYS).value),
            "never fewer working days than central accepts"
        );
        // No workflow case could be read here: nothing is known missing, and no signatures
        // are known unsigned, so the flow refuses to send an empty notice.
        assert!(act(&mut f, "send_notice").is_empty());
        assert!(f.message().unwrap().zh.contains("无需告知"));
        act(&mut f, "back");
        assert_eq!(f.screen(), &Screen::Case);
    }

    #[test]
    fn investigation_starts_takes_confirms_uploads_and_saves() {
        let mut f = in_queue();
        open_case(&mut f, "c2", "accepted");
        let e = act(&mut f, "investigate");
        assert!(matches!(
            &e[..],
            [Effect::Step {
                action: Action::StartInvestigation,
                ..
            }]
        ));
        go(
            &mut f,
            Event::Case(Ok(Box::new(detail("c2", "investigating")))),
        );
        assert_eq!(f.screen(), &Screen::Investigation(Investigation::Ready));
        // No photo yet: refused in words.
        assert!(act(&mut f, "save_findings").is_empty());
        assert!(f.message().unwrap().zh.contains("照片"));
        assert_eq!(act(&mut f, "photo"), vec![Effect::TakePhoto]);
        go(
            &mut f,
            Event::Photo(Err(Failure::Other("no camera".into()))),
        );
        assert_eq!(f.screen(), &Screen::Investigation(Investigation::Ready));
        act(&mut f, "photo");
        let p = Photo {
            jpeg: vec![0xff, 0xd8, 0xff],
            width: 4,
            height: 3,
        };
        go(&mut f, Event::Photo(Ok(p.clone())));
        assert!(f.holds_personal_data());
        assert_eq!(act(&mut f, "retake"), vec![Effect::TakePhoto]);
        go(&mut f, Event::Photo(Ok(p)));
        let e = act(&mut f, "use_photo");
        assert!(matches!(&e[..], [Effect::UploadPhoto { case_id, .. }] if case_id == "c2"));
        go(&mut f, Event::Uploaded(Err(Failure::Unreachable)));
        assert_eq!(f.screen(), &Screen::Investigation(Investigation::Ready));
        act(&mut f, "photo");
        go(
            &mut f,
            Event::Photo(Ok(Photo {
                jpeg: vec![1],
                width: 1,
                height: 1,
            })),
        );
        act(&mut f, "use_photo");
        go(&mut f, Event::Uploaded(Ok("ab".repeat(32))));
        assert_eq!(f.evidence().len(), 1);
        act(&mut f, "toggle_eligible");
        assert!(!f.eligible());
        let e = act(&mut f, "save_findings");
        match &e[..] {
            [
                Effect::Step {
                    action:
                        Action::RecordFindings {
                            eligible, evidence, ..
                        },
                    ..
                },
            ] => {
                assert!(!eligible);
                assert_eq!(evidence.len(), 1);
            }
            other => panic!("{other:?}"),
        }
        go(&mut f, Event::Case(Err(Failure::Conflict("x".into()))));
        assert_eq!(f.screen(), &Screen::Investigation(Investigation::Ready));
        act(&mut f, "save_findings");
        go(
            &mut f,
            Event::Case(Ok(Box::new(detail("c2", "findings_notified")))),
        );
        assert_eq!(f.screen(), &Screen::Case);
        assert!(f.message().unwrap().zh.contains("已保存"));
    }

    #[test]
    fn investigating_case_goes_straight_to_the_photos() {
        let mut f = in_queue();
        open_case(&mut f, "c2", "investigating");
        assert!(act(&mut f, "investigate").is_empty());
        assert_eq!(f.screen(), &Screen::Investigation(Investigation::Ready));
        act(&mut f, "back");
        assert_eq!(f.screen(), &Screen::Case);
        act(&mut f, "back");
        assert_eq!(f.screen(), &Screen::Queue);
        act(&mut f, "back");
        assert_eq!(f.screen(), &Screen::Menu);
    }

    #[test]
    fn statistics_load_and_refresh_while_shown() {
        let mut f = logged_in();
        assert!(go(&mut f, Event::Refresh).is_empty(), "menu: no refresh");
        let e = act(&mut f, "statistics");
        assert!(matches!(&e[..], [Effect::LoadStatistics { .. }]));
        go(
            &mut f,
            Event::Statistics(Ok(TownshipStatistics {
                township: "500102900".into(),
                ..Default::default()
            })),
        );
        assert_eq!(f.screen(), &Screen::Statistics);
        assert!(matches!(
            &go(&mut f, Event::Refresh)[..],
            [Effect::LoadStatistics { .. }]
        ));
        go(&mut f, Event::Statistics(Err(Failure::Unreachable)));
        assert_eq!(f.screen(), &Screen::Menu);
        assert!(
            f.handle(f.seq(), Event::Statistics(Ok(Default::default())), today())
                .is_err()
        );
    }

    #[test]
    fn refused_records_list_and_retry() {
        let mut f = logged_in();
        assert_eq!(act(&mut f, "refused"), vec![Effect::LoadRefused]);
        let r = RefusedRecord {
            id: "u1".into(),
            kind: "certification_result".into(),
            when: "2026-03-02 09:00".into(),
            reason: mask_digits("id 500102194503120217 unknown"),
        };
        assert!(!r.reason.contains("194503"));
        go(&mut f, Event::Refused(Ok(vec![r])));
        assert_eq!(f.screen(), &Screen::Refused);
        assert_eq!(
            go(&mut f, Event::Pick("u1".into())),
            vec![Effect::RetryRefused { id: "u1".into() }]
        );
        assert!(
            f.handle(f.seq(), Event::Pick("u9".into()), today())
                .is_err()
        );
        go(&mut f, Event::Refused(Err(Failure::Other("db".into()))));
        assert_eq!(f.screen(), &Screen::Menu);
        let mut anon = StaffFlow::new();
        assert!(
            anon.handle(anon.seq(), Event::Refused(Ok(vec![])), today())
                .is_err()
        );
    }

    #[test]
    fn masking_keeps_short_numbers() {
        assert_eq!(mask_digits("409 at step 2"), "409 at step 2");
        assert_eq!(mask_digits("tel 02372220000"), "tel 02*******00");
    }

    #[test]
    fn wipe_forgets_token_and_bumps_the_sequence() {
        let mut f = in_queue();
        let seq = f.seq();
        f.wipe();
        assert!(f.session().is_none());
        assert!(f.queue().is_empty());
        assert!(!f.holds_personal_data());
        assert!(f.seq() > seq);
        assert_eq!(f.screen(), &Screen::Login);
    }

    #[test]
    fn colours_have_words_and_marks() {
        for c in [
            DeadlineColour::Green,
            DeadlineColour::Amber,
            DeadlineColour::Red,
            DeadlineColour::Overdue,
        ] {
            let (mark, zh, en) = colour_words(Some(c));
            assert!(!mark.is_empty() && !zh.is_empty() && !en.is_empty());
        }
    }
}
