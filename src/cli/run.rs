//! `jiuzhu-kiosk run`: the kiosk user interface, in a window or rendered headless to PNG.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use slint::ComponentHandle;

use std::sync::Arc;

use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::config::KioskConfig;
use jiuzhu_kiosk::controllers::certify::{Challenge, Choice, Step};
use jiuzhu_kiosk::controllers::session::SessionTimeouts;
use jiuzhu_kiosk::controllers::text::{Lang, challenge_text};
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
    /// With the headless certification: the scripted resident waits for each prompt to be
    /// spoken to its end and reacts 1 s later (the face challenges too), and the run reports the
    /// time from placing the card to the printed proof.
    #[arg(long, conflicts_with_all = ["screenshot", "mute"])]
    pub paced: bool,
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
        if args.paced && !matches!(config.voice, VoiceOutput::WavFiles(_)) {
            anyhow::bail!("--paced needs the voice (espeak-ng, packaging/deps.sh) and no --mute");
        }
        scripted_certification(&config, started, &dir, args.paced)?;
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
    paced: bool,
) -> anyhow::Result<()> {
    let voice_dir = dir.join("voice");
    let mut pace = Pace::default();
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
        pace.card_placed = Some(SystemTime::now());
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
        if paced {
            // The consent is read out to its end; the resident taps 同意 a second later.
            let heard = pace.listen(&voice_dir, "consent", &|d| screen.settle(d));
            eprintln!("  paced: the consent prompt took {heard:.1} s");
        }
        choose(Choice::Consent);
        settle();
        save("face")?;
        // The face check: the challenges change on screen as the resident acts them out.
        let mut shown = None;
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let now = app::current_step();
            if pace.face_done.is_none() && !matches!(now, Some(Step::Face { .. })) {
                pace.face_done = Some(SystemTime::now());
            }
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
                // A paced resident acts only when the challenge's prompt has been said (the
                // simulated camera acts on its own clock): the utterances from here on.
                pace.challenges.push((*c, app::spoken().len()));
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
            pace.printed = Some(SystemTime::now());
            settle();
            save("printed")?;
            for (i, page) in printer.control().pages().iter().enumerate() {
                let path = dir.join(format!("receipt-{}.png", i + 1));
                jiuzhu_sim::printer::save_png(page, &path)?;
                eprintln!("  {}", path.display());
            }
        }
    }
    if paced {
        pace.report(&voice_dir)?;
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

/// The paced resident of `--paced`: hears every prompt to its end and reacts 1 s later.
#[derive(Default)]
struct Pace {
    card_placed: Option<SystemTime>,
    /// When the face screen gave way (to the check's end, the submission or a problem).
    face_done: Option<SystemTime>,
    printed: Option<SystemTime>,
    /// Seconds spent listening before a tap (prompt length + synthesis), by prompt.
    listened: Vec<(&'static str, f64)>,
    /// The face challenges shown, each with the number of utterances said before it.
    challenges: Vec<(Challenge, usize)>,
}

/// How long a resident takes to react after a prompt ends.
const REACTION: Duration = Duration::from_secs(1);
/// How long acting out a face challenge takes once the resident starts (a blink, a turn).
const ACTION: Duration = Duration::from_secs(1);

impl Pace {
    /// Waits until the prompt being spoken has been synthesised, then for its length and the
    /// reaction time, pumping the UI with `pump`; returns the seconds the prompt lasts.
    fn listen(&mut self, voice_dir: &Path, what: &'static str, pump: &dyn Fn(Duration)) -> f64 {
        let t = SystemTime::now();
        app::voice_wait_idle(Duration::from_secs(30));
        let secs = newest_wav(voice_dir)
            .and_then(|p| wav_seconds(&p).ok())
            .unwrap_or(0.0);
        let until = SystemTime::now() + Duration::from_secs_f64(secs) + REACTION;
        while SystemTime::now() < until {
            pump(Duration::from_millis(50));
        }
        self.listened
            .push((what, t.elapsed().unwrap_or_default().as_secs_f64()));
        secs
    }

    /// Prints the time from the card to the printed proof, and its parts.
    fn report(&self, voice_dir: &Path) -> anyhow::Result<()> {
        let (Some(card), Some(face_done), Some(printed)) =
            (self.card_placed, self.face_done, self.printed)
        else {
            anyhow::bail!("--paced: the run did not get from the card to a printed proof");
        };
        let measured = printed.duration_since(card).unwrap_or_default();
        // The simulated camera acts out each challenge on its own clock, often while the
        // prompt is still being said; a paced resident acts only after it (+ 1 s to react, + 1 s
        // to act), so the face check ends no earlier than the last challenge so acted out — and
        // the check, the submission and the printing follow from there.
        // Each utterance went to its own WAV file in order (0001.wav, …), written when it
        // began to be said; the challenge's prompt is the first one with its words.
        let spoken = app::spoken();
        let mut earliest = face_done;
        for (c, before) in &self.challenges {
            let words = challenge_text(*c, Lang::Zh);
            let Some(j) =
                (before.saturating_sub(1)..spoken.len()).find(|&j| spoken[j].contains(&words))
            else {
                anyhow::bail!("--paced: the prompt of the {c:?} challenge was not spoken");
            };
            let wav = voice_dir.join(format!("{:04}.wav", j + 1));
            let said = std::fs::metadata(&wav)
                .and_then(|m| m.modified())
                .with_context(|| {
                    format!("the prompt of the {c:?} challenge ({})", wav.display())
                })?;
            let secs = wav_seconds(&wav)?;
            eprintln!(
                "  paced: the {c:?} challenge's prompt \"{}\" took {secs:.1} s",
                spoken[j]
            );
            earliest = earliest.max(said + Duration::from_secs_f64(secs) + REACTION + ACTION);
        }
        let later = earliest.duration_since(face_done).unwrap_or_default();
        let total = measured + later;
        let listened: f64 = self.listened.iter().map(|(_, s)| s).sum();
        eprintln!(
            "Card to printed proof, paced: {:.1} s (this run: {:.1} s, of it {listened:.1} s hearing the consent and reacting; the face challenges acted out after their prompts: +{:.1} s; voice files in {})",
            total.as_secs_f64(),
            measured.as_secs_f64(),
            later.as_secs_f64(),
            voice_dir.display()
        );
        Ok(())
    }
}

/// The last WAV file the voice wrote.
fn newest_wav(dir: &Path) -> Option<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    all.sort();
    all.pop()
}

/// The length of a PCM WAV file in seconds, from its `fmt ` and `data` chunks.
fn wav_seconds(path: &Path) -> anyhow::Result<f64> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    anyhow::ensure!(
        b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WAVE",
        "{} is not a WAV file",
        path.display()
    );
    let (mut at, mut byte_rate, mut data) = (12usize, None, None);
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let body = at + 8;
        if id == b"fmt " && body + 12 <= b.len() {
            byte_rate = Some(u32::from_le_bytes([
                b[body + 8],
                b[body + 9],
                b[body + 10],
                b[body + 11],
            ]));
        } else if id == b"data" {
            // espeak-ng writing to a file leaves the size at 0x7ffff000 when it streams: the
            // data runs to the end of the file then.
            data = Some(len.min(b.len().saturating_sub(body)));
        }
        at = body.saturating_add(len).saturating_add(len & 1);
    }
    match (byte_rate, data) {
        (Some(r), Some(d)) if r > 0 => Ok(d as f64 / f64::from(r)),
        _ => anyhow::bail!("{}: no fmt or data chunk", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::wav_seconds;

    /// A 16-bit mono PCM WAV of `samples` samples at 22,050 Hz, its data size as given.
    fn wav(samples: usize, data_size: u32) -> Vec<u8> {
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend(16u32.to_le_bytes());
        b.extend(1u16.to_le_bytes()); // PCM
        b.extend(1u16.to_le_bytes()); // mono
        b.extend(22_050u32.to_le_bytes());
        b.extend(44_100u32.to_le_bytes()); // byte rate
        b.extend(2u16.to_le_bytes());
        b.extend(16u16.to_le_bytes());
        b.extend(b"data");
        b.extend(data_size.to_le_bytes());
        b.extend(vec![0u8; samples * 2]);
        b
    }

    #[test]
    fn a_wav_files_length_is_read_from_its_chunks_and_bad_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        std::fs::write(&p, wav(22_050, 44_100)).unwrap();
        assert!((wav_seconds(&p).unwrap() - 1.0).abs() < 1e-9);
        // espeak-ng streaming to a file leaves a placeholder size: the data runs to the end.
        std::fs::write(&p, wav(11_025, 0x7fff_f000)).unwrap();
        assert!((wav_seconds(&p).unwrap() - 0.5).abs() < 1e-9);
        std::fs::write(&p, b"not a wav at all").unwrap();
        assert!(
            wav_seconds(&p)
                .unwrap_err()
                .to_string()
                .contains("not a WAV")
        );
        std::fs::write(&p, &wav(10, 20)[..30]).unwrap();
        assert!(wav_seconds(&p).is_err());
        assert!(wav_seconds(&dir.path().join("missing.wav")).is_err());
    }
}
