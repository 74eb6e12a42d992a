//! Wiring only: builds the main window, connects every adapter to its controller, and carries
//! the controllers' effects out on the worker thread (devices, network) and the voice thread.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiuzhu_core::api::{CertificationMode, Modality};
use jiuzhu_drivers_api::fingerprint::{
    CancelToken, CaptureKind, CaptureRequest, FingerprintError, FingerprintReader,
};
use jiuzhu_drivers_api::idcard::{IdCardError, IdCardReader};
use jiuzhu_drivers_api::printer::{Document, IdentityProofDoc, ReceiptPrinter};
use slint::ComponentHandle;

use crate::controllers::certify::{
    Alternative, CertifyFlow, Challenge, Device, Effect, Event, Mode, Outcome, Person, Photo,
    Recorded, StatusAnswer, Step,
};
use crate::controllers::identify::{Feedback, KeypadEntry};
use crate::controllers::session::{SessionController, SessionEffect, SessionTimeouts};
use crate::services::{self, CentralError, CentralLink, FaceCamera, Submitted};
use crate::ui::voice::{Voice, VoiceOutput, VoiceSettings};
use crate::ui::{
    self, AppAdapter, CertifyAdapter, Entry, Language, MainWindow, Page, app_adapter,
    certify_adapter, home_adapter, identify_adapter,
};

pub use crate::services::Devices;
pub use apply::Office;

// The other entries of the home screen, each wired in its own module (controller in
// `crate::controllers`, page adapter in `crate::ui`); they share the kiosk, its worker, the
// identification keypad and the session clock defined here.
mod apply;
mod help_call;
mod progress;
pub use progress::{
    dispatch as progress_dispatch, pin_today as progress_pin_today, rerender as progress_refresh,
    seq as progress_seq, step as progress_step,
};
mod sign;
mod staff;

pub use staff::{staff_assisting, staff_dispatch, staff_logged_in, staff_screen, staff_seq};

/// Options the kiosk starts with.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The first UI language.
    pub language: Language,
    /// Start in 长辈模式.
    pub elder_mode: bool,
    /// Township shown in the top bar.
    pub township_name: Option<String>,
    /// Where speech goes.
    pub voice: VoiceOutput,
    /// How the voice sounds (`[voice]` of kiosk.toml).
    pub voice_settings: VoiceSettings,
    /// Inactivity timeouts.
    pub session: SessionTimeouts,
    /// What a printed proof says besides its code.
    pub proof: ProofPrinting,
    /// The township office applications go to, and the types open at this kiosk.
    pub office: apply::Office,
    /// Where the devices are on the kiosk's front.
    pub front: crate::config::FrontSection,
    /// The face check's screen-light check (`[kiosk] screen_light`).
    pub screen_light: bool,
}

/// The kiosk's part of a printed 社会救助身份证明 (the recipient's part is in the signed code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofPrinting {
    /// Township name.
    pub township_name: String,
    /// Issuing authority.
    pub issuer: String,
    /// Where the public checks a code.
    pub verify_at: String,
    /// Township hotline.
    pub hotline: String,
}

impl Default for ProofPrinting {
    fn default() -> Self {
        Self {
            township_name: String::new(),
            issuer: "区民政局".into(),
            verify_at: String::new(),
            hotline: String::new(),
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            language: Language::ZhCn,
            elder_mode: false,
            township_name: None,
            voice: VoiceOutput::Silent,
            voice_settings: VoiceSettings::default(),
            session: SessionTimeouts::default(),
            proof: ProofPrinting::default(),
            office: apply::Office {
                open_types: apply::BASIC_TYPES.to_vec(),
                report_phone: "12345".into(),
                ..Default::default()
            },
            front: Default::default(),
            screen_light: true,
        }
    }
}

/// Controller state of the running kiosk, owned by the UI thread.
struct Kiosk {
    flow: CertifyFlow,
    apply: apply::State,
    sign: sign::State,
    progress: progress::State,
    staff: staff::State,
    help_calls: help_call::HelpCalls,
    keypad: KeypadEntry,
    session: SessionController,
    voice: Voice,
    worker: Worker,
    last_spoken: String,
    /// Language, 长辈模式 and volume every resident starts with (the kiosk's configuration).
    defaults: ResidentDefaults,
}

/// What each resident starts with; a resident's own choices are undone when they leave.
#[derive(Debug, Clone, Copy)]
struct ResidentDefaults {
    language: Language,
    elder_mode: bool,
    volume: u8,
}

impl Kiosk {
    /// Speaks `zh` (the voice is Mandarin) unless it is what was said last.
    fn say_once(&mut self, zh: String) {
        if zh != self.last_spoken {
            self.voice.say_now(zh.clone());
            self.last_spoken = zh;
        }
    }
}

/// After a page's flow carried out its effects: home (every flow reset, everything wiped) when
/// the flow asked for it, else the flow's screen.
fn home_or_show(ui: &MainWindow, k: &mut Kiosk, home: bool, show: fn(&MainWindow, &mut Kiosk)) {
    if home {
        let e = k.flow.reset();
        carry_out(k, e);
        go_home(ui, k);
    } else {
        show(ui, k);
    }
}

thread_local! {
    static KIOSK: RefCell<Option<Rc<RefCell<Kiosk>>>> = const { RefCell::new(None) };
}

fn kiosk() -> Option<Rc<RefCell<Kiosk>>> {
    KIOSK.with(|k| k.borrow().clone())
}

/// The worker thread: a tokio runtime where device and network work runs; results return to
/// the UI thread with `invoke_from_event_loop`.
struct Worker {
    runtime: Arc<tokio::runtime::Runtime>,
    /// Each device behind its own lock: a card read still waiting does not hold up the
    /// fingerprint reader or the camera.
    id_card: Shared<Box<dyn IdCardReader + Send>>,
    fingerprint: Shared<Box<dyn FingerprintReader + Send>>,
    camera: Shared<FaceCamera>,
    /// The face check's networks and when the last check gave them back, kept from one resident's
    /// check to the next for [`FACE_MODELS_KEEP`] (the first check loads them: FaceNet's graph alone
    /// takes ≈ 0.6 s).
    face_models: Shared<(jiuzhu_vision::verifier::VerifierModels, Instant)>,
    has_camera: bool,
    printer: Shared<Box<dyn ReceiptPrinter + Send>>,
    /// The document camera for application materials.
    document_camera: Shared<Box<dyn jiuzhu_drivers_api::camera::FrameSource + Send>>,
    proof: ProofPrinting,
    /// The face check's screen-light check ([`AppConfig::screen_light`]).
    screen_light: bool,
    central: Option<Arc<CentralLink>>,
    cancel: CancelToken,
    /// The guardian's "take photo": the sequence number the photo must come back with.
    take_photo: Arc<Mutex<Option<u64>>>,
    /// Set when a session starts; the first card read of the session rearms the reader.
    new_session: Arc<AtomicBool>,
}

type Shared<T> = Arc<Mutex<Option<T>>>;

fn lock_device<T>(d: &Mutex<Option<T>>) -> std::sync::MutexGuard<'_, Option<T>> {
    d.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends events tagged with one sequence number back to a flow on the UI thread.
#[derive(Clone, Copy)]
struct Emit(u64, Route);

/// Which flow a device check reports to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The certification flow.
    Certify,
    /// The identity check of a signer in the application flow.
    ApplySigner,
    /// The identity check of a member signing later (签署授权).
    LateSigner,
}

impl Emit {
    fn send(self, event: Event) {
        let seq = self.0;
        match self.1 {
            Route::Certify => {
                let _ = slint::invoke_from_event_loop(move || dispatch(seq, event));
            }
            Route::ApplySigner => apply::signer_event(seq, event),
            Route::LateSigner => sign::signer_event(seq, event),
        }
    }
}

/// How long the kiosk keeps the face check's networks after a check. They hold about 125 MB (FaceNet's
/// graph above all): a queue of residents gets the quick start (`cargo bench -p jiuzhu-vision --bench
/// pipeline -- verifier/`: 564 → 91 ms), and a kiosk left idle goes back to its idle memory.
const FACE_MODELS_KEEP: Duration = Duration::from_secs(10 * 60);

/// Lets the face check's networks go when no check has used them for [`FACE_MODELS_KEEP`] at `now`;
/// true when it did.
fn release_idle_face_models(
    kept: &Mutex<Option<(jiuzhu_vision::verifier::VerifierModels, Instant)>>,
    now: Instant,
) -> bool {
    let mut kept = lock_device(kept);
    let idle = kept
        .as_ref()
        .is_some_and(|(_, at)| now.saturating_duration_since(*at) >= FACE_MODELS_KEEP);
    if idle {
        *kept = None;
    }
    idle
}

/// How long a submission waits for the central service before the result counts as queued.
const SUBMIT_WAIT: Duration = Duration::from_secs(8);
/// How long the resident has to put a usable finger on the reader.
const FINGER_TIMEOUT: Duration = Duration::from_secs(30);

impl Worker {
    fn new(
        devices: Devices,
        central: Option<Arc<CentralLink>>,
        proof: ProofPrinting,
        screen_light: bool,
    ) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kiosk-worker")
            .enable_all()
            .build()?;
        if let Some(c) = &central {
            runtime.spawn(c.clone().sync_forever());
        }
        let face_models: Shared<_> = Arc::new(Mutex::new(None));
        if devices.camera.is_some() {
            let kept = face_models.clone();
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tick.tick().await;
                    release_idle_face_models(&kept, Instant::now());
                }
            });
        }
        Ok(Self {
            runtime: Arc::new(runtime),
            id_card: Arc::new(Mutex::new(devices.id_card)),
            fingerprint: Arc::new(Mutex::new(devices.fingerprint)),
            has_camera: devices.camera.is_some(),
            printer: Arc::new(Mutex::new(devices.printer)),
            document_camera: Arc::new(Mutex::new(devices.document_camera)),
            proof,
            screen_light,
            camera: Arc::new(Mutex::new(devices.camera)),
            face_models,
            central,
            cancel: CancelToken::new(),
            take_photo: Arc::new(Mutex::new(None)),
            new_session: Arc::new(AtomicBool::new(true)),
        })
    }

    fn cancel(&mut self) {
        self.cancel.cancel();
        self.cancel = CancelToken::new();
    }

    /// Runs `job` off the UI thread and hands its event, tagged with `seq`, back to the flow.
    fn run(&self, seq: u64, job: impl FnOnce(&CancelToken) -> Option<Event> + Send + 'static) {
        let cancel = self.cancel.clone();
        self.runtime.spawn_blocking(move || {
            if let Some(event) = job(&cancel) {
                Emit(seq, Route::Certify).send(event);
            }
        });
    }

    /// Runs a job that needs the central service; without one the flow is told so.
    fn with_central<F>(&self, seq: u64, job: impl FnOnce(Arc<CentralLink>, Emit) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        match &self.central {
            Some(c) => {
                self.runtime.spawn(job(c.clone(), Emit(seq, Route::Certify)));
            }
            None => Emit(seq, Route::Certify).send(Event::Failed {
                device: Device::Central,
                timeout: false,
                detail: "no central service is configured on this kiosk (start it with --config kiosk.toml)".into(),
            }),
        }
    }
}

/// Hands `value` to `deliver` on the UI thread, with the window and the kiosk (dropped when the
/// kiosk or its window is gone).
fn deliver_on_ui<T: Send + 'static>(
    value: T,
    deliver: impl FnOnce(&MainWindow, &mut Kiosk, T) + Send + 'static,
) {
    let _ = slint::invoke_from_event_loop(move || {
        let Some(k) = kiosk() else { return };
        with_ui(|ui| deliver(ui, &mut k.borrow_mut(), value));
    });
}

/// Why a job for the central service did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NoCentral;

impl Worker {
    /// Runs blocking `job` (a device) on the worker and hands its result to `deliver` on the UI
    /// thread. A job that sees its token cancelled should return quickly.
    fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&CancelToken) -> T + Send + 'static,
        deliver: impl FnOnce(&MainWindow, &mut Kiosk, T) + Send + 'static,
    ) {
        let cancel = self.cancel.clone();
        self.runtime.spawn_blocking(move || {
            let value = job(&cancel);
            deliver_on_ui(value, deliver);
        });
    }

    /// Runs `job` against the central service and hands its result to `deliver` on the UI
    /// thread; without a configured central service `deliver` gets `Err(NoCentral)` at once.
    fn central<T, F>(
        &self,
        job: impl FnOnce(Arc<CentralLink>) -> F,
        deliver: impl FnOnce(&MainWindow, &mut Kiosk, Result<T, NoCentral>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: std::future::Future<Output = T> + Send + 'static,
    {
        match &self.central {
            Some(c) => {
                let fut = job(c.clone());
                self.runtime.spawn(async move {
                    let value = fut.await;
                    deliver_on_ui(Ok(value), deliver);
                });
            }
            None => deliver_on_ui(Err(NoCentral), deliver),
        }
    }

    /// Reads one ID card and hands the person, or what went wrong, to `deliver` on the UI
    /// thread. Nothing is delivered when the read is cancelled (the person was identified on the
    /// keypad, or the session ended). The reader is rearmed first: each call asks for a new
    /// person, and the last card may have been swapped for the next while nobody polled.
    fn read_card(
        &self,
        deliver: impl FnOnce(&MainWindow, &mut Kiosk, Result<Person, CardFailure>) + Send + 'static,
    ) {
        self.new_session.store(false, Ordering::SeqCst);
        let id_card = self.id_card.clone();
        let cancel = self.cancel.clone();
        self.runtime.spawn_blocking(move || {
            let result = match read_one_card(&id_card, true, &cancel) {
                Some(r) => r,
                None => return,
            };
            deliver_on_ui(result, deliver);
        });
    }
}

/// Why a card read gave no person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CardFailure {
    /// The reader gave up waiting (the resident may try again or type the number).
    pub timeout: bool,
    /// What happened, for the log and for staff.
    pub detail: String,
}

/// One card read on the worker: `None` when cancelled.
fn read_one_card(
    id_card: &Mutex<Option<Box<dyn IdCardReader + Send>>>,
    fresh: bool,
    cancel: &CancelToken,
) -> Option<Result<Person, CardFailure>> {
    let mut d = lock_device(id_card);
    // Without a reader nothing is read: the keypad is the way in.
    let reader = d.as_mut()?;
    // The first card of a session: the last resident's card may have been taken away and this
    // one put down while nobody polled. (Within a session a card must leave before the next is
    // read: the helper's, then the recipient's.)
    if fresh {
        reader.rearm();
    }
    match reader.read_card(Duration::from_secs(120), cancel) {
        Ok(card) => match card.id_number() {
            Some(id) => Some(Ok(Person {
                id: id.clone(),
                name: Some(card.name.clone()),
                address: Some(card.address.clone()).filter(|a| !a.is_empty()),
            })),
            None => Some(Err(CardFailure {
                timeout: false,
                detail: "the card's ID number is not valid".into(),
            })),
        },
        Err(IdCardError::Cancelled) => None,
        Err(e) => Some(Err(CardFailure {
            timeout: e.is_retry(),
            detail: e.to_string(),
        })),
    }
}

fn unavailable(device: Device, detail: &str) -> Option<Event> {
    Some(Event::Failed {
        device,
        timeout: false,
        detail: detail.into(),
    })
}

fn central_failed(e: &CentralError) -> Event {
    if e.code() == Some("not_guardian") {
        return Event::NotGuardian;
    }
    Event::Failed {
        device: Device::Central,
        timeout: e.is_transient(),
        detail: e.to_string(),
    }
}

/// Verifies the finger of `subject` (the recipient, or in guardian mode the guardian) against
/// their reference from central, saying each retry prompt, until a verdict, a fault, the timeout
/// or cancellation.
async fn fingerprint_check(
    central: Arc<CentralLink>,
    reader: Shared<Box<dyn FingerprintReader + Send>>,
    cancel: CancelToken,
    subject: jiuzhu_core::id::IdNumber,
    emit: Emit,
) {
    let reference = match central.reference(&subject, Modality::Fingerprint).await {
        Ok(r) => services::fingerprint_template(r),
        Err(e) => {
            return emit.send(Event::Failed {
                device: Device::Fingerprint,
                timeout: false,
                detail: format!("no fingerprint reference: {e}"),
            });
        }
    };
    let job = move || {
        let mut d = lock_device(&reader);
        let Some(reader) = d.as_mut() else {
            return unavailable(
                Device::Fingerprint,
                "no fingerprint reader is configured on this kiosk",
            );
        };
        let deadline = Instant::now() + FINGER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let req = CaptureRequest {
                timeout: left.max(Duration::from_secs(1)),
                kind: CaptureKind::Template,
                cancel: cancel.clone(),
            };
            match reader.verify(&reference, &req) {
                Ok(v) => {
                    emit.send(Event::CaptureDone);
                    return Some(Event::Verdict {
                        live: true,
                        matched: v.matched,
                        score: Some(f64::from(v.score)),
                    });
                }
                Err(FingerprintError::Cancelled) => return None,
                Err(FingerprintError::Retry(r)) if Instant::now() < deadline => {
                    emit.send(Event::FingerPrompt(r.prompt().into()));
                }
                Err(e) => {
                    return Some(Event::Failed {
                        device: Device::Fingerprint,
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

/// The shortest limit of a whole face check (the pace's own limit is longer with more
/// challenges); a resident who does not manage in this time is offered a retry or the fingerprint.
const FACE_TIMEOUT: Duration = Duration::from_secs(30);

/// The liveness timing for whoever is at the kiosk: 长辈模式 gives slower reactions more time.
pub(crate) fn face_pace() -> jiuzhu_vision::liveness::Pace {
    let mut elder = false;
    with_ui(|ui| elder = ui.global::<crate::ui::Theme>().get_elder_mode());
    if elder {
        jiuzhu_vision::liveness::Pace::Elder
    } else {
        jiuzhu_vision::liveness::Pace::Standard
    }
}

/// The flow's guidance for a liveness hint (`jiuzhu_vision::liveness::Progress::hint`).
fn face_hint(
    hint: &str,
    current: Option<jiuzhu_vision::liveness::Challenge>,
) -> Option<crate::controllers::certify::FaceHint> {
    use crate::controllers::certify::FaceHint;
    match hint {
        "come_closer" => Some(FaceHint::ComeCloser),
        "too_dark" => Some(FaceHint::TooDark),
        "too_bright" => Some(FaceHint::TooBright),
        "face_camera" => Some(FaceHint::FaceCamera),
        "one_face_only" => Some(FaceHint::OneFaceOnly),
        "uncover_face" => Some(FaceHint::UncoverFace),
        "remind" => current.map(|c| FaceHint::Remind(flow_challenge(c))),
        "bigger" => current.map(|c| FaceHint::Bigger(flow_challenge(c))),
        _ => None,
    }
}

fn flow_challenge(c: jiuzhu_vision::liveness::Challenge) -> Challenge {
    use jiuzhu_vision::liveness::Challenge as V;
    match c {
        V::Blink => Challenge::Blink,
        V::OpenMouth => Challenge::OpenMouth,
        V::TurnLeft => Challenge::TurnLeft,
        V::TurnRight => Challenge::TurnRight,
        V::Nod => Challenge::Nod,
    }
}

/// A mirrored preview of a camera frame, at most 480 px wide (nearest neighbour: cheap, and
/// only for the resident to see where the face is).
fn preview_of(
    frame: &jiuzhu_drivers_api::camera::Frame,
) -> Option<slint::SharedPixelBuffer<slint::Rgb8Pixel>> {
    use jiuzhu_drivers_api::camera::PixelFormat;
    let (w, h) = (frame.width as usize, frame.height as usize);
    if w == 0 || h == 0 {
        return None;
    }
    let step = w.div_ceil(480).max(1);
    let (pw, ph) = (w / step, h / step);
    let mut buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(pw as u32, ph as u32);
    let px = buf.make_mut_slice();
    for y in 0..ph {
        for x in 0..pw {
            let (sx, sy) = ((pw - 1 - x) * step, y * step);
            let o = px.get_mut(y * pw + x)?;
            *o = match frame.format {
                PixelFormat::Bgr8 => {
                    let i = (sy * w + sx) * 3;
                    let b = frame.data.get(i..i + 3)?;
                    slint::Rgb8Pixel::new(b[2], b[1], b[0])
                }
                PixelFormat::Gray8 => {
                    let g = *frame.data.get(sy * w + sx)?;
                    slint::Rgb8Pixel::new(g, g, g)
                }
            };
        }
    }
    Some(buf)
}

/// Shows `colour` (R, G, B in 0..1) over the face check's page, or the page's own background.
fn show_light(colour: Option<[f32; 3]>) {
    let _ = slint::invoke_from_event_loop(move || {
        with_ui(|ui| {
            let a = ui.global::<CertifyAdapter>();
            match colour {
                Some([r, g, b]) => {
                    let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                    a.set_light(slint::Color::from_rgb_u8(c(r), c(g), c(b)));
                    a.set_lit(true);
                }
                None => a.set_lit(false),
            }
        })
    });
}

/// The face check of `subject`: liveness challenges on the camera's frames and the 1:1 match
/// against the reference central seals to this kiosk. Frames stay in this function.
#[allow(clippy::too_many_arguments)]
async fn face_check(
    central: Arc<CentralLink>,
    camera: Shared<FaceCamera>,
    face_models: Shared<(jiuzhu_vision::verifier::VerifierModels, Instant)>,
    cancel: CancelToken,
    subject: jiuzhu_core::id::IdNumber,
    pace: jiuzhu_vision::liveness::Pace,
    screen_light: bool,
    emit: Emit,
) {
    let reference = match central.reference(&subject, Modality::Face).await {
        Ok(r) => r,
        Err(e) => {
            return emit.send(Event::Failed {
                device: Device::Camera,
                timeout: false,
                detail: format!("no face reference: {e}"),
            });
        }
    };
    let job = move || -> Option<Event> {
        let failed = |device, detail: String| {
            Some(Event::Failed {
                device,
                timeout: false,
                detail,
            })
        };
        let reference = match std::str::from_utf8(&reference)
            .map_err(|e| e.to_string())
            .and_then(|t| jiuzhu_vision::Embedding::from_template(t).map_err(|e| e.to_string()))
        {
            Ok(r) => r,
            Err(e) => {
                return failed(
                    Device::Central,
                    format!("the face reference is unreadable: {e}"),
                );
            }
        };
        let mut d = lock_device(&camera);
        let Some(camera) = d.as_mut() else {
            return unavailable(Device::Camera, "no camera is configured on this kiosk");
        };
        let challenges = camera.challenges();
        let total = u8::try_from(challenges.len()).unwrap_or(u8::MAX);
        let models = jiuzhu_vision::ModelPaths::locate();
        let mut cfg = jiuzhu_vision::verifier::VerifierConfig::default().with_pace(pace);
        if screen_light {
            cfg.flash = Some(jiuzhu_vision::flash::FlashConfig::default());
        }
        // The screen-light check (炫彩): the face screen shows a random sequence of gentle colours
        // during the whole check (`flash::Schedule`: ≤ 1 flash a second, no saturated red) and
        // every frame goes to the verifier with the colour shown while it was taken.
        let schedule = cfg
            .flash
            .is_some()
            .then(|| jiuzhu_vision::flash::Schedule::random(&mut rand::thread_rng()));
        let light = jiuzhu_sim::camera::ScreenLight::default();
        let lent = lock_device(&face_models)
            .take()
            .map(|(m, _)| m)
            .filter(|m| m.paths() == &models)
            .unwrap_or_else(|| jiuzhu_vision::verifier::VerifierModels::new(&models));
        let mut verifier = match jiuzhu_vision::verifier::Verifier::with_models(
            lent,
            challenges.clone(),
            Some(reference),
            cfg,
        ) {
            Ok(v) => v,
            Err(e) => return failed(Device::Camera, e.to_string()),
        };
        if let Some(first) = challenges.first() {
            emit.send(Event::FaceProgress {
                challenge: flow_challenge(*first),
                done: 0,
                total,
            });
        }
        let started = Instant::now();
        let limit = pace.session_limit(challenges.len()).max(FACE_TIMEOUT);
        let ran = camera.with_lit_session(
            &models,
            schedule.as_ref().map(|_| &light),
            |src| -> Result<bool, String> {
                if src.info().has_ir {
                    verifier.require_ir();
                }
                let mut shown = (challenges.first().copied(), 0usize);
                let mut lit: Option<[f32; 3]> = None;
                let mut guided = None;
                let mut frames = 0u64;
                // Reaction times run on the frames' capture times (the camera's clock), counted
                // from the first frame; the wall clock only when a source gives none.
                let mut first_capture = None;
                loop {
                    if cancel.is_cancelled() {
                        return Ok(false);
                    }
                    if started.elapsed() > limit {
                        return Ok(true);
                    }
                    let colour = schedule.as_ref().map(|s| s.colour_at(started.elapsed()));
                    if colour != lit {
                        lit = colour;
                        if let Some(c) = colour {
                            light.show(c);
                        }
                        show_light(colour);
                    }
                    let Some(pair) = src.next_pair().map_err(|e| e.to_string())? else {
                        return Ok(true);
                    };
                    frames += 1;
                    if frames % 2 == 1
                        && let Some(buf) = preview_of(&pair.rgb)
                    {
                        let _ = slint::invoke_from_event_loop(move || {
                            with_ui(|ui| {
                                if ui.global::<CertifyAdapter>().get_view()
                                    == crate::ui::CertifyView::Face
                                {
                                    ui.global::<CertifyAdapter>()
                                        .set_preview(slint::Image::from_rgb8(buf));
                                }
                            })
                        });
                    }
                    let t = match pair.rgb.captured {
                        Some(at) => at.saturating_sub(*first_capture.get_or_insert(at)),
                        None => started.elapsed(),
                    };
                    let p = verifier
                        .push_pair_lit(&pair, t, colour)
                        .map_err(|e| e.to_string())?;
                    if (p.current_challenge, p.done) != shown {
                        shown = (p.current_challenge, p.done);
                        if let Some(c) = p.current_challenge {
                            emit.send(Event::FaceProgress {
                                challenge: flow_challenge(c),
                                done: u8::try_from(p.done).unwrap_or(u8::MAX),
                                total,
                            });
                        }
                    }
                    // Every challenge done: the check still needs enough of the screen's
                    // colours on the face (a quick resident is through in a second or two), so
                    // the resident is asked to hold still until then.
                    let pending = p.current_challenge.is_none() && verifier.flash_pending();
                    let hint = if pending {
                        Some(crate::controllers::certify::FaceHint::HoldStill)
                    } else {
                        face_hint(p.hint, p.current_challenge)
                    };
                    if hint != guided {
                        guided = hint;
                        emit.send(Event::FaceGuidance(hint));
                    }
                    if p.current_challenge.is_none() && !pending {
                        return Ok(true);
                    }
                }
            },
        );
        light.clear();
        show_light(None);
        // the networks go back for the next resident also when this check was cancelled or failed
        let (v, lent) = verifier.finish_lending();
        *lock_device(&face_models) = Some((lent, Instant::now()));
        match ran {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => return None,
            Ok(Err(e)) | Err(e) => return failed(Device::Camera, e),
        }
        emit.send(Event::CaptureDone);
        tracing::info!(
            passed = v.verdict.passed,
            live = v.live,
            similarity = ?v.similarity,
            confirmed = ?v.confirmed,
            reasons = ?v.verdict.reasons,
            frames = v.frames,
            mean_frame_ms = v.mean_frame_ms,
            flash = ?v.flash,
            ir_face = ?v.ir_face_ratio,
            nir = ?v.nir,
            "face check"
        );
        if let Some(fault) = v.camera_fault {
            // the camera, not the resident: the problem screen and staff, not a failed attempt
            return failed(Device::Camera, fault);
        }
        Some(Event::Verdict {
            // liveness, identity continuity and the passive signals, the match aside
            live: v.live,
            // confirmed by the face alone: the confirm threshold of the reference's model (FaceNet
            // 0.77, the face pack's ArcFace 0.32; false accepts ≤ 0.1 %). A live face under it is
            // "not confirmed" and the flow asks for the fingerprint or staff.
            matched: v.verdict.passed && v.confirmed == Some(true),
            score: v.similarity.map(f64::from),
        })
    };
    if let Ok(Some(event)) = tokio::task::spawn_blocking(job).await {
        emit.send(event);
    }
}

/// How long the camera shows the recipient before the photo step reports that nobody took it.
const PHOTO_TIMEOUT: Duration = Duration::from_secs(120);
/// The evidence photo's largest width (a 640×480 JPEG at quality 85 is 30–80 KB, well under
/// `api::MAX_EVIDENCE_BYTES`).
const PHOTO_MAX_WIDTH: u32 = 640;

/// A camera frame as the evidence JPEG: not mirrored (the picture as the camera saw it), at
/// most [`PHOTO_MAX_WIDTH`] wide.
fn evidence_jpeg(frame: &jiuzhu_drivers_api::camera::Frame) -> Result<Vec<u8>, String> {
    use jiuzhu_drivers_api::camera::PixelFormat;
    let (w, h) = (frame.width, frame.height);
    if w == 0 || h == 0 {
        return Err("the camera gave an empty frame".into());
    }
    let step = w.div_ceil(PHOTO_MAX_WIDTH).max(1);
    let (pw, ph) = (w / step, h / step);
    let mut img = image::RgbImage::new(pw, ph);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let (sx, sy) = ((x * step) as usize, (y * step) as usize);
        *px = match frame.format {
            PixelFormat::Bgr8 => {
                let i = (sy * w as usize + sx) * 3;
                let b = frame
                    .data
                    .get(i..i + 3)
                    .ok_or("the camera frame is shorter than its size")?;
                image::Rgb([b[2], b[1], b[0]])
            }
            PixelFormat::Gray8 => {
                let g = *frame
                    .data
                    .get(sy * w as usize + sx)
                    .ok_or("the camera frame is shorter than its size")?;
                image::Rgb([g, g, g])
            }
        };
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .map_err(|e| format!("the photo could not be encoded: {e}"))?;
    Ok(out)
}

fn set_preview_on(view: crate::ui::CertifyView, buf: slint::SharedPixelBuffer<slint::Rgb8Pixel>) {
    let _ = slint::invoke_from_event_loop(move || {
        with_ui(|ui| {
            let a = ui.global::<CertifyAdapter>();
            if a.get_view() == view {
                a.set_preview(slint::Image::from_rgb8(buf));
            }
        })
    });
}

/// Guardian mode's on-site photo of the recipient: the camera's picture on screen until "take
/// photo" (`take` then holds the sequence number the photo goes back with), then that frame as
/// a JPEG. The frames stay in this function; the still is shown for review.
fn photo_session(
    camera: Shared<FaceCamera>,
    cancel: CancelToken,
    take: Arc<Mutex<Option<u64>>>,
    seq: u64,
) {
    // A result goes back with the "take" number once it was pressed, else with the preview's.
    let reply = |event: Event| {
        let s = take
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or(seq);
        Emit(s, Route::Certify).send(event);
    };
    let failed = |timeout: bool, detail: String| Event::Failed {
        device: Device::Camera,
        timeout,
        detail,
    };
    let mut d = lock_device(&camera);
    let Some(camera) = d.as_mut() else {
        return reply(failed(
            false,
            "no camera is configured on this kiosk".into(),
        ));
    };
    let models = jiuzhu_vision::ModelPaths::locate();
    let started = Instant::now();
    let ran = camera.with_session(&models, |src| -> Result<Option<Event>, String> {
        let mut last: Option<jiuzhu_drivers_api::camera::Frame> = None;
        let mut frames = 0u64;
        let mut ended = false;
        loop {
            if cancel.is_cancelled() {
                return Ok(None);
            }
            let wanted = take.lock().unwrap_or_else(|p| p.into_inner()).is_some();
            if wanted && let Some(frame) = last.as_ref() {
                let jpeg = evidence_jpeg(frame)?;
                if let Some(buf) = preview_of(frame) {
                    set_preview_on(crate::ui::CertifyView::Photo, buf);
                }
                tracing::info!(bytes = jpeg.len(), "on-site photo taken");
                return Ok(Some(Event::PhotoTaken(Photo(jpeg))));
            }
            if started.elapsed() > PHOTO_TIMEOUT {
                return Ok(Some(failed(true, "nobody took the photo in time".into())));
            }
            if wanted && ended {
                return Ok(Some(failed(true, "the camera gave no picture".into())));
            }
            if ended {
                // A recording or the simulator has ended: its last picture stays on screen.
                std::thread::sleep(Duration::from_millis(40));
                continue;
            }
            match src.next_pair().map_err(|e| e.to_string())? {
                Some(pair) => {
                    frames += 1;
                    if frames % 2 == 1
                        && let Some(buf) = preview_of(&pair.rgb)
                    {
                        set_preview_on(crate::ui::CertifyView::Photo, buf);
                    }
                    last = Some(pair.rgb);
                }
                None => ended = true,
            }
        }
    });
    match ran {
        Ok(Ok(Some(event))) => reply(event),
        Ok(Ok(None)) => {}
        Ok(Err(e)) | Err(e) => reply(failed(false, e)),
    }
}

/// Shows a notice in the screen's language (from any thread).
fn show_notice((zh, en): (&'static str, &'static str)) {
    let _ = slint::invoke_from_event_loop(move || {
        with_ui(|ui| {
            let text = match app_adapter::current_language(ui) {
                Language::ZhCn => zh,
                Language::En => en,
            };
            ui.global::<AppAdapter>().set_notice(text.into());
        });
    });
}

/// Prints the proof; the words to show on screen afterwards (Chinese, English).
fn print_proof(
    printer: &Mutex<Option<Box<dyn ReceiptPrinter + Send>>>,
    p: &ProofPrinting,
    code: String,
) -> (&'static str, &'static str) {
    let mut d = lock_device(printer);
    let Some(printer) = d.as_mut() else {
        tracing::info!("no printer is configured; the proof stays on screen");
        return (
            "本机没有打印机，可以到乡镇窗口打印证明。",
            "This kiosk has no printer: the township office can print the proof.",
        );
    };
    let doc = Document::IdentityProof(IdentityProofDoc {
        code,
        township_name: p.township_name.clone(),
        issuer: p.issuer.clone(),
        verify_at: p.verify_at.clone(),
        hotline: p.hotline.clone(),
    });
    match printer.print(&doc) {
        Ok(r) => {
            tracing::info!(bytes = r.bytes, paper_low = r.paper_low, "proof printed");
            if r.paper_low {
                tracing::warn!("printer paper is running low");
            }
            (
                "证明已打印，请取走。",
                "The proof is printed: please take it.",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "the proof could not be printed");
            (
                "打印机暂时不能打印，已通知工作人员；证明可以稍后重新打印。",
                "The printer cannot print now; staff have been told, and the proof can be printed later.",
            )
        }
    }
}

fn api_mode(mode: Mode) -> CertificationMode {
    match mode {
        Mode::SelfCheck => CertificationMode::SelfCheck,
        Mode::Guardian => CertificationMode::Guardian,
        Mode::Assisted => CertificationMode::Assisted,
    }
}

fn api_modality(m: crate::controllers::certify::Modality) -> Modality {
    match m {
        crate::controllers::certify::Modality::Face => Modality::Face,
        crate::controllers::certify::Modality::Fingerprint => Modality::Fingerprint,
    }
}

async fn submit(
    central: Arc<CentralLink>,
    outcome: Outcome,
    staff: Option<crate::controllers::staff::Token>,
    emit: Emit,
) {
    if outcome.mode == Mode::Assisted && staff.is_none() {
        return emit.send(Event::Failed {
            device: Device::Central,
            timeout: false,
            detail: "assisted certification needs a staff member logged in at this kiosk (工作人员 → 帮助群众办理)".into(),
        });
    }
    let helper = outcome
        .assisted_by
        .as_ref()
        .and_then(|p| p.name.as_ref().map(|n| (&p.id, n)));
    if outcome.assisted_by.is_some() && helper.is_none() {
        return emit.send(Event::Failed {
            device: Device::Central,
            timeout: false,
            detail: "the helper's name is needed with the result: read the helper's ID card (a typed number carries no name)".into(),
        });
    }
    let mut result = services::certification_result(
        &outcome.recipient.id,
        api_mode(outcome.mode),
        outcome.modality.map(api_modality),
        outcome.live,
        outcome.matched,
        outcome.score,
        helper,
    );
    result.staff_session = staff.map(|t| jiuzhu_core::api::StaffToken(t.expose().to_string()));
    // Guardian mode: the on-site photo of the recipient, taken with consent.
    result.evidence_photo = outcome
        .evidence
        .as_ref()
        .map(|p| jiuzhu_core::api::EvidencePhoto::jpeg(&p.0));
    emit.send(
        match central.submit_certification(&result, SUBMIT_WAIT).await {
            Ok(Submitted::Recorded(r)) => Event::Recorded(Recorded {
                certified_on: r.certified_on,
                valid_until: r.valid_until,
                proof_code: r.proof_code,
            }),
            Ok(Submitted::Queued { id }) => {
                tracing::info!(%id, "certification queued for upload");
                Event::Queued
            }
            Err(e) => central_failed(&e),
        },
    );
}

/// Prints another copy of a certified recipient's proof, issued by central now (the
/// certification screen's 补打 and the progress screen's 补打认证证明 alike); the outcome is
/// shown as a notice.
fn reprint_proof(worker: &Worker, recipient: jiuzhu_core::id::IdNumber) {
    let printer = worker.printer.clone();
    let p = worker.proof.clone();
    match worker.central.clone() {
        None => show_notice((
            "本机没有连接服务器，不能补打证明，请到乡镇窗口办理。",
            "This kiosk has no central service: the township office can print the proof.",
        )),
        Some(c) => {
            worker.runtime.spawn(async move {
                match c.reprint_proof(&recipient).await {
                    Ok(code) => {
                        let _ = tokio::task::spawn_blocking(move || {
                            show_notice(print_proof(&printer, &p, code));
                        })
                        .await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "no proof copy from central");
                        show_notice((
                            "现在取不到证明，请稍后再试，或请工作人员帮忙。",
                            "The proof cannot be fetched now: try again later, or ask staff.",
                        ));
                    }
                }
            });
        }
    }
}

fn carry_out(k: &mut Kiosk, effects: Vec<Effect>) {
    for e in effects {
        match e {
            Effect::ReadIdCard { seq } => {
                let fresh = k.worker.new_session.swap(false, Ordering::SeqCst);
                let id_card = k.worker.id_card.clone();
                k.worker.run(seq, move |cancel| {
                    Some(match read_one_card(&id_card, fresh, cancel)? {
                        Ok(person) => Event::Identified(person),
                        Err(f) => Event::Failed {
                            device: Device::IdCard,
                            timeout: f.timeout,
                            detail: f.detail,
                        },
                    })
                })
            }
            Effect::QueryStatus { seq, id, guardian } => {
                // Identified (perhaps on the keypad): stop waiting for a card.
                k.worker.cancel();
                k.worker.with_central(seq, |c, emit| async move {
                    emit.send(match c.certification_status(&id, guardian.as_ref()).await {
                        Ok(s) => Event::Status(StatusAnswer {
                            recipient: s.recipient,
                            certified_this_cycle: s.certified_this_cycle,
                            last_certified_on: s.last_certified_on,
                            valid_until: s.valid_until,
                        }),
                        Err(e) => central_failed(&e),
                    })
                })
            }
            Effect::StartFace { seq, subject, .. } => {
                if !k.worker.has_camera {
                    k.worker.run(seq, |_| {
                        unavailable(Device::Camera, "no camera is configured on this kiosk")
                    });
                } else {
                    let camera = k.worker.camera.clone();
                    let models = k.worker.face_models.clone();
                    let cancel = k.worker.cancel.clone();
                    let pace = face_pace();
                    let screen_light = k.worker.screen_light;
                    k.worker.with_central(seq, move |c, emit| {
                        face_check(
                            c,
                            camera,
                            models,
                            cancel,
                            subject.id,
                            pace,
                            screen_light,
                            emit,
                        )
                    })
                }
            }
            Effect::StartFingerprint { seq, subject, .. } => {
                let reader = k.worker.fingerprint.clone();
                let cancel = k.worker.cancel.clone();
                k.worker.with_central(seq, move |c, emit| {
                    fingerprint_check(c, reader, cancel, subject, emit)
                })
            }
            Effect::StartPhoto { seq } => {
                *k.worker
                    .take_photo
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = None;
                if !k.worker.has_camera {
                    k.worker.run(seq, |_| {
                        unavailable(Device::Camera, "no camera is configured on this kiosk")
                    });
                } else {
                    let camera = k.worker.camera.clone();
                    let cancel = k.worker.cancel.clone();
                    let take = k.worker.take_photo.clone();
                    k.worker
                        .runtime
                        .spawn_blocking(move || photo_session(camera, cancel, take, seq));
                }
            }
            Effect::TakePhoto { seq } => {
                *k.worker
                    .take_photo
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = Some(seq);
            }
            Effect::Submit { seq, outcome } => {
                // 协助他人认证 is recorded with the live session of the staff member helping
                // (central refuses it without one).
                let staff = (outcome.mode == Mode::Assisted)
                    .then(|| k.staff.assisting().map(|s| s.token))
                    .flatten();
                k.worker
                    .with_central(seq, move |c, emit| submit(c, outcome, staff, emit))
            }
            Effect::RecordAlternative {
                seq,
                kind,
                recipient,
            } => k.worker.with_central(seq, move |c, emit| async move {
                let kind = match kind {
                    Alternative::StaffWitness => jiuzhu_core::api::AlternativeKind::StaffWitness,
                    Alternative::HomeVisit => jiuzhu_core::api::AlternativeKind::HomeVisit,
                };
                emit.send(match c.request_alternative(&recipient, kind).await {
                    Ok(r) => {
                        tracing::info!(
                            event = "staff_called",
                            ?kind,
                            due_by = ?r.as_ref().map(|r| r.due_by),
                            "certification alternative requested"
                        );
                        Event::AlternativeRecorded
                    }
                    Err(e) => central_failed(&e),
                })
            }),
            Effect::CancelDevices => k.worker.cancel(),
            Effect::PrintProof { code } => {
                let printer = k.worker.printer.clone();
                let p = k.worker.proof.clone();
                k.worker.runtime.spawn_blocking(move || {
                    show_notice(print_proof(&printer, &p, code));
                });
            }
            Effect::ReprintProof { recipient } => reprint_proof(&k.worker, recipient),
            Effect::CallStaff => {
                tracing::info!(
                    event = "staff_called",
                    "the certification flow called staff"
                );
            }
            Effect::GoHome => {}
        }
    }
}

fn with_ui(f: impl FnOnce(&MainWindow)) {
    UI.with(|u| {
        if let Some(ui) = u.borrow().as_ref().and_then(|w| w.upgrade()) {
            f(&ui);
        }
    });
}

thread_local! {
    static UI: RefCell<Option<slint::Weak<MainWindow>>> = const { RefCell::new(None) };
}

/// Shows the flow's current step and speaks it when it changed.
fn show(ui: &MainWindow, k: &mut Kiosk) {
    let lang = app_adapter::current_language(ui);
    if !matches!(
        k.flow.step(),
        Step::Face { .. } | Step::Photo | Step::TakingPhoto | Step::PhotoReview
    ) {
        ui.global::<CertifyAdapter>()
            .set_preview(slint::Image::default());
    }
    certify_adapter::render(ui, &k.flow, lang);
    identify_adapter::render(ui, &k.keypad, jiuzhu_core::id::today_in_china(), lang);
    // The voice is Mandarin: speak the Chinese words whatever the screen language.
    let zh =
        crate::controllers::text::flow_text(&k.flow, crate::controllers::text::Lang::Zh).speech();
    k.say_once(zh);
    // "已呼叫工作人员" on this screen is true: the call is raised with it
    if matches!(k.flow.step(), Step::RouteToStaff) {
        let screen = k.flow.help_screen();
        help_call::raise_once(ui, k, screen);
    }
}

/// Feeds an event tagged with `seq` to the certification flow (worker results arrive here).
/// Stale events are dropped and logged.
pub fn dispatch(seq: u64, event: Event) {
    let Some(k) = kiosk() else {
        tracing::warn!(seq, "an event arrived with no kiosk running");
        return;
    };
    with_ui(|ui| {
        let mut k = k.borrow_mut();
        k.session.activity(Instant::now());
        match k.flow.handle(seq, event) {
            Ok(effects) => {
                let home = effects.contains(&Effect::GoHome);
                carry_out(&mut k, effects);
                if home {
                    go_home(ui, &mut k);
                } else {
                    show(ui, &mut k);
                }
            }
            Err(e) => tracing::debug!("ignored: {e}"),
        }
    });
}

/// The sequence number of the screen shown now (what a press on it carries).
pub fn current_seq() -> Option<u64> {
    kiosk().map(|k| k.borrow().flow.seq())
}

/// The certification step shown now.
pub fn current_step() -> Option<Step> {
    kiosk().map(|k| k.borrow().flow.step().clone())
}

/// The application step shown now.
pub fn apply_step() -> Option<crate::controllers::apply::Step> {
    kiosk().map(|k| k.borrow().apply.step().clone())
}

/// Feeds an event to the application flow as a device or the page would (screenshots, tests).
pub fn apply_dispatch(seq: u64, event: crate::controllers::apply::Event) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| apply::handle(ui, &mut k.borrow_mut(), seq, event));
}

/// The sequence number of the application screen shown now.
pub fn apply_seq() -> Option<u64> {
    kiosk().map(|k| k.borrow().apply.seq())
}

/// The choices of the application screen shown now, in the order of the page's button ids.
pub fn apply_choices() -> Vec<crate::controllers::apply::Choice> {
    kiosk()
        .map(|k| k.borrow().apply.choices())
        .unwrap_or_default()
}

/// The 签署授权 step shown now.
pub fn sign_step() -> Option<crate::controllers::sign::Step> {
    kiosk().map(|k| k.borrow().sign.step().clone())
}

/// Feeds an event to the 签署授权 flow as a device or the page would (screenshots, tests).
pub fn sign_dispatch(seq: u64, event: crate::controllers::sign::Event) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| sign::handle(ui, &mut k.borrow_mut(), seq, event));
}

/// The sequence number of the 签署授权 screen shown now.
pub fn sign_seq() -> Option<u64> {
    kiosk().map(|k| sign::seq(&k.borrow()))
}

/// The choices of the 签署授权 screen shown now, in the order of the page's button ids.
pub fn sign_choices() -> Vec<crate::controllers::sign::Choice> {
    kiosk()
        .map(|k| k.borrow().sign.choices())
        .unwrap_or_default()
}

/// Waits until the voice has said (or written) everything queued, or `timeout` passes.
pub fn voice_wait_idle(timeout: Duration) -> bool {
    kiosk().is_none_or(|k| k.borrow().voice.wait_idle(timeout))
}

/// Everything the voice has said so far.
pub fn spoken() -> Vec<String> {
    kiosk()
        .map(|k| k.borrow().voice.spoken())
        .unwrap_or_default()
}

/// Whether any controller still holds personal data.
pub fn holds_personal_data() -> bool {
    kiosk().is_some_and(|k| {
        let k = k.borrow();
        k.flow.holds_personal_data()
            || !k.keypad.is_empty()
            || k.apply.holds_personal_data()
            || k.sign.holds_personal_data()
            || k.progress.holds_personal_data()
            || k.staff.holds_personal_data()
    })
}

/// Advances the inactivity clock to `now` (a timer calls this every second).
pub fn session_tick(now: Instant) {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| {
        let mut k = k.borrow_mut();
        help_call::tick(ui, &mut k, now);
        match k.session.tick(now) {
            Some(SessionEffect::ShowWarning { seconds_left }) => {
                let app = ui.global::<AppAdapter>();
                // said once, when the warning appears (the count-down is only shown)
                if app.get_warning_seconds() == 0 {
                    k.voice.say_now(idle_warning_words(seconds_left));
                }
                app.set_warning_seconds(i32::try_from(seconds_left).unwrap_or(i32::MAX));
            }
            Some(SessionEffect::HideWarning) => ui.global::<AppAdapter>().set_warning_seconds(0),
            Some(SessionEffect::Reset) => {
                tracing::info!("inactivity reset");
                help_call::end(ui, &mut k);
                let e = k.flow.reset();
                carry_out(&mut k, e);
                go_home(ui, &mut k);
            }
            None => {}
        }
    });
}

/// What 再听一遍 says on the home screen.
pub const HOME_WORDS: &str = "您好！请选择要办理的事项：资格认证、申请救助、进度查询、签署授权。需要帮助，请点右下角的“呼叫工作人员”。";

/// What the voice says when the inactivity warning appears (the words of the banner).
pub fn idle_warning_words(seconds_left: u64) -> String {
    format!(
        "很久没有操作了，{seconds_left}秒后将回到首页并清除您的信息。还要继续吗？要继续，请点“继续”。"
    )
}

/// Wipes every personal field from the controllers and the UI models and shows home.
fn go_home(ui: &MainWindow, k: &mut Kiosk) {
    k.keypad.wipe();
    k.worker.cancel();
    k.apply.wipe(ui);
    k.sign.wipe(ui);
    k.progress.wipe(ui);
    staff::end_central_session(k);
    k.staff.wipe(ui);
    k.session.end();
    k.voice.stop();
    k.last_spoken.clear();
    reset_resident_settings(ui, k);
    let app = ui.global::<AppAdapter>();
    app.set_warning_seconds(0);
    app.set_notice("".into());
    app.set_page(Page::Home);
    ui.global::<CertifyAdapter>()
        .set_preview(slint::Image::default());
    let lang = app_adapter::current_language(ui);
    certify_adapter::render(ui, &k.flow, lang);
    identify_adapter::render(ui, &k.keypad, jiuzhu_core::id::today_in_china(), lang);
}

/// Puts `[front]` of kiosk.toml on the pictures that show where the devices are. A photo that
/// cannot be read leaves the drawing (and says why in the log).
fn show_front(ui: &MainWindow, f: &crate::config::FrontSection) {
    let a = ui.global::<ui::KioskFrontAdapter>();
    a.set_card_reader_x(f.card_reader[0]);
    a.set_card_reader_y(f.card_reader[1]);
    a.set_fingerprint_x(f.fingerprint[0]);
    a.set_fingerprint_y(f.fingerprint[1]);
    a.set_document_camera_x(f.document_camera[0]);
    a.set_document_camera_y(f.document_camera[1]);
    if let Some(p) = &f.photo {
        match slint::Image::load_from_path(p) {
            Ok(img) => {
                a.set_photo(img);
                a.set_has_photo(true);
            }
            Err(e) => {
                tracing::warn!(path = %p.display(), "the front photo cannot be read ({e:?}); the drawing is shown")
            }
        }
    }
}

/// Undoes the leaving resident's mute, volume, language and 长辈模式: the next resident finds
/// the kiosk as configured.
fn reset_resident_settings(ui: &MainWindow, k: &mut Kiosk) {
    let d = k.defaults;
    let app = ui.global::<AppAdapter>();
    app.set_muted(false);
    k.voice.set_muted(false);
    app.set_volume(i32::from(d.volume));
    k.voice.set_volume(d.volume);
    ui.global::<ui::Theme>().set_elder_mode(d.elder_mode);
    k.voice.set_elder(d.elder_mode);
    if app_adapter::current_language(ui) != d.language {
        app_adapter::set_language(ui, d.language);
        staff::relabel(ui, k);
    }
}

/// Ends whatever is shown (every flow reset, every personal field wiped) and shows home: the
/// 回到首页 of every page.
fn leave_to_home() {
    let Some(k) = kiosk() else { return };
    with_ui(|ui| {
        let mut k = k.borrow_mut();
        let e = k.flow.reset();
        carry_out(&mut k, e);
        go_home(ui, &mut k);
    });
}

fn open_entry(ui: &MainWindow, entry: Entry) {
    let Some(k) = kiosk() else { return };
    let mut k = k.borrow_mut();
    k.worker.new_session.store(true, Ordering::SeqCst);
    k.keypad.wipe();
    k.session.begin(Instant::now());
    let lang = app_adapter::current_language(ui);
    identify_adapter::render(ui, &k.keypad, jiuzhu_core::id::today_in_china(), lang);
    match entry {
        Entry::Certify => {
            let e = k.flow.start();
            carry_out(&mut k, e);
            ui.global::<AppAdapter>().set_page(Page::Certify);
            show(ui, &mut k);
        }
        Entry::Apply => {
            ui.global::<AppAdapter>().set_page(Page::Apply);
            apply::open(ui, &mut k);
        }
        Entry::Sign => {
            ui.global::<AppAdapter>().set_page(Page::Sign);
            sign::open(ui, &mut k);
        }
        Entry::Progress => {
            ui.global::<AppAdapter>().set_page(Page::Progress);
            progress::open(ui, &mut k);
        }
        Entry::Staff => {
            ui.global::<AppAdapter>().set_page(Page::Staff);
            staff::open(ui, &mut k);
        }
    }
}

/// Shows the keypad's state (after a key, or wiped after identification).
fn render_keypad(ui: &MainWindow, k: &Kiosk) {
    let lang = app_adapter::current_language(ui);
    identify_adapter::render(ui, &k.keypad, jiuzhu_core::id::today_in_china(), lang);
}

/// A valid number confirmed on the keypad goes to the flow on screen.
fn keypad_identified(ui: &MainWindow, k: &mut Kiosk, person: Person) {
    match ui.global::<AppAdapter>().get_page() {
        Page::Certify => {
            let seq = k.flow.seq();
            let e = k.flow.handle(seq, Event::Identified(person));
            match e {
                Ok(effects) => {
                    let home = effects.contains(&Effect::GoHome);
                    carry_out(k, effects);
                    if home {
                        go_home(ui, k);
                    } else {
                        show(ui, k);
                    }
                }
                Err(e) => tracing::debug!("ignored: {e}"),
            }
        }
        Page::Apply => apply::identified(ui, k, Ok(person)),
        Page::Sign => sign::identified(ui, k, Ok(person)),
        Page::Progress => progress::identified(ui, k, Ok(person)),
        Page::Staff => staff::identified(ui, k, Ok(person)),
        Page::Home => {}
    }
}

/// Creates the main window with every adapter connected, on no devices.
pub fn build(config: &AppConfig) -> anyhow::Result<MainWindow> {
    build_with(config, Devices::default())
}

/// Creates the main window with every adapter connected and the given devices. Needs a Slint
/// platform (a display backend, the headless renderer, or the testing backend).
pub fn build_with(config: &AppConfig, devices: Devices) -> anyhow::Result<MainWindow> {
    build_with_services(config, devices, None)
}

/// Creates the main window with the given devices and, when given, the central service link
/// (whose outbox is drained in the background while the window lives).
pub fn build_with_services(
    config: &AppConfig,
    devices: Devices,
    central: Option<Arc<CentralLink>>,
) -> anyhow::Result<MainWindow> {
    let window = MainWindow::new()?;
    let voice = Voice::start_with(config.voice.clone(), config.voice_settings.clone());
    voice.set_elder(config.elder_mode);
    let mut flow = CertifyFlow::new();
    flow.set_print_on_success(devices.printer.is_some());
    let k = Kiosk {
        flow,
        apply: apply::State::new(config.office.clone()),
        sign: sign::State::default(),
        progress: progress::State::default(),
        staff: staff::State::default(),
        help_calls: Default::default(),
        keypad: KeypadEntry::default(),
        session: SessionController::new(config.session)?,
        voice: voice.clone(),
        worker: Worker::new(devices, central, config.proof.clone(), config.screen_light)?,
        last_spoken: String::new(),
        defaults: ResidentDefaults {
            language: config.language,
            elder_mode: config.elder_mode,
            volume: config.voice_settings.volume.min(100),
        },
    };
    KIOSK.with(|s| *s.borrow_mut() = Some(Rc::new(RefCell::new(k))));
    UI.with(|u| *u.borrow_mut() = Some(window.as_weak()));

    app_adapter::connect(&window);
    help_call::connect(&window);
    home_adapter::connect(&window, open_entry);
    certify_adapter::connect(&window, |_, seq, choice| {
        dispatch(seq, Event::Chose(choice))
    });
    identify_adapter::connect(
        &window,
        |ui, key| {
            let Some(k) = kiosk() else { return };
            let mut k = k.borrow_mut();
            k.session.activity(Instant::now());
            k.keypad.press(key);
            let lang = app_adapter::current_language(ui);
            let f =
                identify_adapter::render(ui, &k.keypad, jiuzhu_core::id::today_in_china(), lang);
            if let Feedback::Invalid(p) = f {
                k.voice.say_now(p.zh());
            }
        },
        |ui| {
            let Some(k) = kiosk() else { return };
            let mut k = k.borrow_mut();
            k.session.activity(Instant::now());
            let Feedback::Valid(id) = k.keypad.feedback(jiuzhu_core::id::today_in_china()) else {
                return;
            };
            k.keypad.wipe();
            keypad_identified(
                ui,
                &mut k,
                Person {
                    id,
                    name: None,
                    address: None,
                },
            );
        },
    );
    apply::connect(&window);
    show_front(&window, &config.front);
    window.global::<CertifyAdapter>().on_home(leave_to_home);
    progress::connect(&window);
    staff::connect(&window);
    let app = window.global::<AppAdapter>();
    let v = voice.clone();
    app.on_keep_session(move || {
        let Some(k) = kiosk() else { return };
        with_ui(|ui| {
            if k.borrow_mut().session.activity(Instant::now()) == Some(SessionEffect::HideWarning) {
                ui.global::<AppAdapter>().set_warning_seconds(0);
            }
        });
    });
    let weak = window.as_weak();
    app.on_change_volume(move |delta| {
        let Some(ui) = weak.upgrade() else { return };
        let a = ui.global::<AppAdapter>();
        let vol = (a.get_volume() + delta).clamp(0, 100);
        a.set_volume(vol);
        v.set_volume(vol as u8);
        v.say_now(format!("音量{vol}"));
    });
    let weak = window.as_weak();
    app.on_toggle_language(move || {
        let Some(ui) = weak.upgrade() else { return };
        let next = match app_adapter::current_language(&ui) {
            Language::ZhCn => Language::En,
            Language::En => Language::ZhCn,
        };
        app_adapter::set_language(&ui, next);
        if let Some(k) = kiosk() {
            let mut k = k.borrow_mut();
            show(&ui, &mut k);
            match ui.global::<AppAdapter>().get_page() {
                Page::Apply => apply::show(&ui, &mut k),
                Page::Sign => sign::show(&ui, &mut k),
                Page::Progress => progress::refresh(&ui, &mut k),
                _ => {}
            }
            staff::relabel(&ui, &mut k);
        }
    });
    let weak = window.as_weak();
    app.on_repeat_prompt(move || {
        let (Some(ui), Some(k)) = (weak.upgrade(), kiosk()) else {
            return;
        };
        let mut k = k.borrow_mut();
        k.session.activity(Instant::now());
        let words = if !k.last_spoken.is_empty() {
            k.last_spoken.clone()
        } else if ui.global::<AppAdapter>().get_page() == Page::Home {
            HOME_WORDS.to_string()
        } else {
            k.voice.repeat_last();
            return;
        };
        k.voice.say_now(words);
    });
    let v = voice.clone();
    let weak = window.as_weak();
    app.on_toggle_elder_mode(move || {
        let Some(ui) = weak.upgrade() else { return };
        let theme = ui.global::<ui::Theme>();
        theme.set_elder_mode(!theme.get_elder_mode());
        v.set_elder(theme.get_elder_mode());
        // 进度查询 pages by the text size: fewer lines a page in 长辈模式.
        if ui.global::<AppAdapter>().get_page() == Page::Progress {
            progress::rerender();
        }
    });
    let v = voice;
    let weak = window.as_weak();
    app.on_toggle_mute(move || {
        let Some(ui) = weak.upgrade() else { return };
        let a = ui.global::<AppAdapter>();
        a.set_muted(!a.get_muted());
        v.set_muted(a.get_muted());
    });

    window
        .global::<ui::Theme>()
        .set_elder_mode(config.elder_mode);
    window
        .global::<AppAdapter>()
        .set_volume(i32::from(config.voice_settings.volume.min(100)));
    if let Some(name) = &config.township_name {
        window
            .global::<ui::AppAdapter>()
            .set_township_name(name.into());
    }
    app_adapter::set_language(&window, config.language);
    Ok(window)
}

/// Refreshes the staff's sync warning in the top bar every 30 s while the window lives.
pub fn start_sync_watch(window: &MainWindow) -> slint::Timer {
    let timer = slint::Timer::default();
    let weak = window.as_weak();
    let refresh = move || {
        let Some(ui) = weak.upgrade() else { return };
        let zh = app_adapter::current_language(&ui) == Language::ZhCn;
        let warning = kiosk()
            .and_then(|k| k.borrow().worker.central.clone())
            .and_then(|c| c.sync_health())
            .map(|h| h.warning(zh))
            .unwrap_or_default();
        ui.global::<AppAdapter>().set_sync_warning(warning.into());
    };
    refresh();
    timer.start(slint::TimerMode::Repeated, Duration::from_secs(30), refresh);
    timer
}

/// Runs the inactivity clock while the window lives.
pub fn start_session_clock() -> slint::Timer {
    let timer = slint::Timer::default();
    timer.start(slint::TimerMode::Repeated, Duration::from_secs(1), || {
        session_tick(Instant::now())
    });
    timer
}

/// Keeps the clock line current while the window lives.
pub fn start_clock(window: &MainWindow) -> slint::Timer {
    let timer = slint::Timer::default();
    let weak = window.as_weak();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_secs(15),
        move || {
            if let Some(ui) = weak.upgrade() {
                app_adapter::refresh_clock(
                    &ui,
                    chrono::Utc::now().with_timezone(&app_adapter::china_offset()),
                );
            }
        },
    );
    timer
}

#[cfg(test)]
mod tests {
    use super::{FACE_MODELS_KEEP, face_hint, release_idle_face_models};
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    use crate::controllers::certify::FaceHint;
    use crate::controllers::text::{Lang, face_hint_text};

    /// The face check's networks stay for the next resident, and go when the kiosk has been idle for
    /// `FACE_MODELS_KEEP`.
    #[test]
    fn the_face_networks_are_kept_between_checks_and_released_when_idle() {
        let paths = jiuzhu_vision::ModelPaths::locate();
        let returned = Instant::now();
        let kept = Mutex::new(Some((
            jiuzhu_vision::verifier::VerifierModels::new(&paths),
            returned,
        )));
        let soon = returned + FACE_MODELS_KEEP - Duration::from_secs(1);
        assert!(!release_idle_face_models(&kept, soon));
        assert!(kept.lock().unwrap().is_some());
        assert!(release_idle_face_models(&kept, returned + FACE_MODELS_KEEP));
        assert!(kept.lock().unwrap().is_none());
        // nothing kept: nothing to release
        assert!(!release_idle_face_models(
            &kept,
            returned + 2 * FACE_MODELS_KEEP
        ));
    }

    /// Every guidance hint of the face check reaches the resident in both languages; a covered face
    /// (`uncover_face`, raised by the `Verifier` when the face does not look like the session's
    /// person) asks to lower the hand.
    #[test]
    fn each_face_check_guidance_hint_has_words_in_both_languages() {
        for hint in [
            "come_closer",
            "too_dark",
            "too_bright",
            "face_camera",
            "one_face_only",
            "uncover_face",
        ] {
            let h = face_hint(hint, None).unwrap_or_else(|| panic!("{hint} is not shown"));
            for lang in [Lang::Zh, Lang::En] {
                assert!(!face_hint_text(h, lang).is_empty(), "{hint}");
            }
        }
        assert_eq!(face_hint("uncover_face", None), Some(FaceHint::UncoverFace));
        assert!(face_hint_text(FaceHint::UncoverFace, Lang::Zh).contains("把手放下"));
        assert_eq!(face_hint("do_challenge", None), None);
        // a small action is asked to be bigger, in the words of the action itself
        use crate::controllers::certify::Challenge;
        use jiuzhu_vision::liveness::Challenge as V;
        assert_eq!(
            face_hint("bigger", Some(V::Nod)),
            Some(FaceHint::Bigger(Challenge::Nod))
        );
        assert_eq!(face_hint("bigger", None), None);
        for c in [
            Challenge::Blink,
            Challenge::TurnLeft,
            Challenge::TurnRight,
            Challenge::OpenMouth,
            Challenge::Nod,
        ] {
            let zh = face_hint_text(FaceHint::Bigger(c), Lang::Zh);
            let en = face_hint_text(FaceHint::Bigger(c), Lang::En);
            assert!(!zh.is_empty() && en.is_ascii() && zh != en, "{c:?}");
        }
        assert!(face_hint_text(FaceHint::Bigger(Challenge::Nod), Lang::Zh).contains("点头"));
    }
}
