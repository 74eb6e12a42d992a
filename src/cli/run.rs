//! `jiuzhu-kiosk run`: the kiosk user interface, in a window or rendered headless to PNG.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use slint::ComponentHandle;

use std::sync::Arc;

use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::config::KioskConfig;
use jiuzhu_kiosk::controllers::certify::{Choice, Step};
use jiuzhu_kiosk::controllers::session::SessionTimeouts;
use jiuzhu_kiosk::services::{self, CentralLink, Simulators};
use jiuzhu_kiosk::ui::certify_adapter::choice_id;
use jiuzhu_kiosk::ui::headless::HeadlessScreen;
use jiuzhu_kiosk::ui::voice::{self, VoiceOutput};
use jiuzhu_kiosk::ui::{CertifyAdapter, Entry, HomeAdapter, IdentifyAdapter, Language};

/// Options of `jiuzhu-kiosk run`.
#[derive(Debug, Default, clap::Args)]
pub struct RunArgs {
    /// Render the home screen to this PNG instead of opening a window.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// First UI language: zh-CN or en (default: kiosk.toml's, else zh-CN).
    #[arg(long)]
    pub lang: Option<String>,
    /// Start in 长辈模式 (extra-large text).
    #[arg(long)]
    pub elder: bool,
    /// Drive a scripted certification headless and write a screenshot of each screen (and the
    /// spoken prompts as WAV files) into this folder. The default when there is no display.
    #[arg(long, value_name = "DIR", conflicts_with = "screenshot")]
    pub screenshots: Option<PathBuf>,
    /// Mute the voice prompts.
    #[arg(long)]
    pub mute: bool,
    /// The kiosk's configuration: central service, key, data directory and devices. Without
    /// it the kiosk runs with no devices and no central service, and says so on screen.
    #[arg(long, value_name = "TOML")]
    pub config: Option<PathBuf>,
    /// With `sim` devices: a FIFO where a technician (or a demo script) writes simulator
    /// commands, e.g. `echo "card place chen-shufen" > FIFO` or `echo "finger place p1_1" > FIFO`.
    /// Default: `sim-control` in the data directory.
    #[arg(long, value_name = "PATH")]
    pub sim_control: Option<PathBuf>,
}

/// What `--config` brings up.
pub struct Started {
    /// Devices for the window.
    pub devices: app::Devices,
    /// The central link.
    pub central: Option<Arc<CentralLink>>,
    /// The simulators behind `sim` selectors.
    pub sims: Arc<Simulators>,
}

/// Loads `kiosk.toml`, opens the devices it names and the central link.
pub fn start_services(config: &KioskConfig) -> anyhow::Result<Started> {
    let opened = services::open_devices(config)?;
    let central = CentralLink::open(config)?;
    Ok(Started {
        devices: opened.devices,
        central: Some(Arc::new(central)),
        sims: Arc::new(opened.sims),
    })
}

/// Serves simulator commands written to a FIFO at `path`, one per line, until the process ends.
fn serve_sim_control(path: &Path, sims: Arc<Simulators>) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(path);
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600))
        .with_context(|| format!("cannot create the simulator FIFO {}", path.display()))?;
    let path = path.to_path_buf();
    eprintln!(
        "simulators: write commands to {} (e.g. echo 'card place chen-shufen' > {}; 'finger place p1_1')",
        path.display(),
        path.display()
    );
    std::thread::Builder::new()
        .name("sim-control".into())
        .spawn(move || {
            use std::io::BufRead;
            loop {
                let Ok(f) = std::fs::File::open(&path) else {
                    return;
                };
                for line in std::io::BufReader::new(f).lines().map_while(Result::ok) {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match sims.command(&line) {
                        Ok(said) => eprintln!("sim: {said}"),
                        Err(e) => eprintln!("sim: {e}"),
                    }
                }
            }
        })?;
    Ok(())
}

fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let kiosk = match &args.config {
        Some(path) => Some(KioskConfig::load(path)?),
        None => None,
    };
    let tag = args
        .lang
        .clone()
        .or_else(|| kiosk.as_ref().map(|k| k.kiosk.language.clone()))
        .unwrap_or_else(|| "zh-CN".into());
    let language = Language::from_tag(&tag)
        .with_context(|| format!("unknown language {tag:?}: use zh-CN or en"))?;
    let voice_on = kiosk.as_ref().is_none_or(|k| k.voice.enabled);
    let mut config = AppConfig {
        language,
        elder_mode: args.elder,
        voice: if args.mute || !voice_on || !voice::espeak_available() {
            VoiceOutput::Silent
        } else {
            VoiceOutput::Speaker
        },
        voice_settings: kiosk
            .as_ref()
            .map(|k| voice::VoiceSettings {
                cache_dir: Some(k.kiosk.data_dir.join("voice-cache")),
                ..k.voice.settings()
            })
            .unwrap_or_default(),
        township_name: kiosk.as_ref().map(|k| k.kiosk.township_name.clone()),
        screen_light: kiosk.as_ref().is_some_and(|k| k.kiosk.screen_light),
        proof: kiosk
            .as_ref()
            .map(|k| app::ProofPrinting {
                township_name: k.kiosk.township_name.clone(),
                issuer: k.kiosk.issuer.clone(),
                verify_at: format!("{}/v1/public/proofs/", k.central.url.trim_end_matches('/')),
                hotline: k.kiosk.hotline.clone(),
            })
            .unwrap_or_default(),
        office: match &kiosk {
            Some(k) => app::Office {
                township: k.kiosk.township.clone(),
                township_name: k.kiosk.township_name.clone(),
                hotline: k.kiosk.hotline.clone(),
                report_phone: k.kiosk.report_phone.clone(),
                open_types: k.kiosk.open_types.clone(),
            },
            None => AppConfig::default().office,
        },
        front: kiosk.as_ref().map(|k| k.front.clone()).unwrap_or_default(),
        ..AppConfig::default()
    };
    if let Some(k) = &kiosk {
        config.session = SessionTimeouts {
            idle_before_warning: Duration::from_secs(k.session.idle_warning_secs),
            warning: Duration::from_secs(
                k.session
                    .idle_reset_secs
                    .saturating_sub(k.session.idle_warning_secs),
            ),
        };
    }
    let started = match &kiosk {
        Some(k) => Some(start_services(k)?),
        None => None,
    };
    let screenshot = args.screenshot;
    let folder = match args.screenshots {
        Some(dir) => Some(dir),
        None if screenshot.is_none() && !display_available() => {
            eprintln!(
                "No display found (DISPLAY and WAYLAND_DISPLAY are unset): driving a scripted certification headless instead."
            );
            Some(std::env::temp_dir().join("jiuzhu-kiosk-screens"))
        }
        None => None,
    };
    if let Some(dir) = folder {
        if !args.mute && voice::espeak_available() {
            config.voice = VoiceOutput::WavFiles(dir.join("voice"));
        }
        scripted_certification(&config, started, &dir)?;
        println!("{}", dir.display());
        return Ok(());
    }

    if let Some(path) = screenshot {
        let screen = HeadlessScreen::install(1920, 1080)?;
        let window = app::build(&config)?;
        window.show()?;
        screen.settle(std::time::Duration::from_millis(50));
        screen.save_png(&path)?;
        println!("{}", path.display());
        return Ok(());
    }

    // Slint's software renderer unless SLINT_BACKEND says otherwise: measured idle 101 MB RSS
    // in a 1920×1080 window against 215 MB with femtovg on a GL stack without a GPU (`cargo bench
    // --bench startup`), and a kiosk UI of text and a small preview needs no GPU.
    if std::env::var_os("SLINT_BACKEND").is_none() {
        slint::BackendSelector::new()
            .backend_name("winit".into())
            .renderer_name("software".into())
            .select()
            .context("cannot open the window (winit with the software renderer)")?;
    }
    let (window, _sims) = match started {
        Some(st) => {
            if st.sims.idcard.is_some() || st.sims.fingerprint.is_some() {
                let data_dir = kiosk.as_ref().map(|k| k.kiosk.data_dir.clone());
                let path = args
                    .sim_control
                    .clone()
                    .or_else(|| data_dir.map(|d| services::default_control_path(&d)));
                if let Some(path) = path {
                    serve_sim_control(&path, st.sims.clone())?;
                }
            }
            let w = app::build_with_services(&config, st.devices, st.central)?;
            (w, Some(st.sims))
        }
        None => (app::build(&config)?, None),
    };
    let _clock = app::start_clock(&window);
    let _sync = app::start_sync_watch(&window);
    let _session = app::start_session_clock();
    window.run()?;
    Ok(())
}

/// The demo resident `make run` certifies headless: a simulator card whose person the demo
/// central service knows, and the simulator finger enrolled for her there.
pub const DEMO_CARD: &str = "chen-shufen";
/// The finger put on the sensor for [`DEMO_CARD`]: a second impression of the finger
/// `packaging/run-local.sh` enrolled for her (p1_1).
pub const DEMO_FINGER: &str = "p1_2";

/// Walks the certification as far as this kiosk's devices and services allow, saving each
/// screen. With simulators the card is placed on the simulated reader and the finger on the
/// simulated sensor; without them the number is typed (the example of GB 11643 itself).
fn scripted_certification(
    config: &AppConfig,
    started: Option<Started>,
    dir: &Path,
) -> anyhow::Result<()> {
    let screen = HeadlessScreen::install(1920, 1080)?;
    let (window, sims) = match started {
        Some(st) => (
            app::build_with_services(config, st.devices, st.central)?,
            Some(st.sims),
        ),
        None => (app::build(config)?, None),
    };
    window.show()?;
    window.global::<CertifyAdapter>().set_motion(false);
    let settle = || screen.settle(Duration::from_millis(300));
    let mut n = 0;
    let mut save = |name: &str| -> anyhow::Result<()> {
        n += 1;
        let path = dir.join(format!("{n:02}-{name}.png"));
        screen.save_png(&path)?;
        eprintln!("  {}", path.display());
        Ok(())
    };
    // Waits while the flow is on `busy` steps (the worker answers through the event loop).
    let wait_while = |busy: &dyn Fn(&Step) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while app::current_step().as_ref().is_some_and(busy) && std::time::Instant::now() < deadline
        {
            screen.settle(Duration::from_millis(100));
        }
    };
    let choose = |choice: Choice| {
        let certify = window.global::<CertifyAdapter>();
        certify.invoke_choose(certify.get_seq(), choice_id(choice));
    };
    settle();
    save("home")?;
    window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    settle();
    save("choose-mode")?;
    choose(Choice::SelfCheck);
    settle();
    save("identify")?;
    let card_sim = sims.as_ref().filter(|s| s.idcard.is_some());
    if let Some(sims) = card_sim {
        let said = sims
            .command(&format!("card place {DEMO_CARD}"))
            .map_err(|e| anyhow::anyhow!(e))?;
        eprintln!("  sim: {said}");
        wait_while(&|s| matches!(s, Step::Identify(_)));
    } else {
        let keypad = window.global::<IdentifyAdapter>();
        for c in "5001".chars() {
            keypad.invoke_key(c.to_string().into());
        }
        settle();
        save("identify-typing")?;
        keypad.invoke_key("clear".into());
        for c in "11010519491231002X".chars() {
            keypad.invoke_key(c.to_string().into());
        }
        settle();
        save("identify-valid")?;
        keypad.invoke_confirm();
    }
    screen.settle(Duration::from_millis(20));
    save("querying")?;
    wait_while(&|s| matches!(s, Step::Querying));
    settle();
    save("after-query")?;
    if app::current_step() == Some(Step::Consent) {
        choose(Choice::Consent);
        settle();
        save("face")?;
        // The face check: the challenges change on screen as the resident acts them out.
        let mut shown = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let now = app::current_step();
            if !matches!(
                now,
                Some(Step::Face { .. } | Step::Checking(_) | Step::Submitting)
            ) {
                break;
            }
            if let Some(Step::Face {
                challenge: Some(c), ..
            }) = &now
                && shown != Some(*c)
            {
                shown = Some(*c);
                save(&format!("face-{c:?}").to_lowercase())?;
            }
            screen.settle(Duration::from_millis(100));
        }
        settle();
        let finger_sim = sims.as_ref().filter(|s| s.fingerprint.is_some());
        if matches!(
            app::current_step(),
            Some(Step::Problem { .. } | Step::Failed { .. })
        ) && let Some(sims) = finger_sim
        {
            save("face-not-done")?;
            choose(Choice::Fingerprint);
            settle();
            save("fingerprint")?;
            let said = sims
                .command(&format!("finger place {DEMO_FINGER}"))
                .map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("  sim: {said}");
            wait_while(&|s| {
                matches!(
                    s,
                    Step::Fingerprint { .. } | Step::Checking(_) | Step::Submitting
                )
            });
            settle();
        }
        save("result")?;
        let printer_sim = sims.as_ref().and_then(|s| s.printer.as_ref());
        if let (Some(Step::Certified(r)), Some(printer)) = (app::current_step(), printer_sim)
            && r.proof_code.is_some()
        {
            // with a printer the proof prints without a tap
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while printer.control().pages().is_empty() && std::time::Instant::now() < deadline {
                screen.settle(Duration::from_millis(100));
            }
            settle();
            save("printed")?;
            for (i, page) in printer.control().pages().iter().enumerate() {
                let path = dir.join(format!("receipt-{}.png", i + 1));
                jiuzhu_sim::printer::save_png(page, &path)?;
                eprintln!("  {}", path.display());
            }
        }
    }
    let step = app::current_step();
    match &step {
        Some(Step::Certified(r)) => eprintln!(
            "Certified until {}{}.",
            r.valid_until,
            r.proof_code
                .as_ref()
                .map(|c| format!("; proof code {c}"))
                .unwrap_or_default()
        ),
        other => eprintln!(
            "Stopped at {other:?}: the rest of the flow needs devices or services this run does not have."
        ),
    }
    Ok(())
}
