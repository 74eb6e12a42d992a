//! `jiuzhu-kiosk run`: the kiosk user interface, in a window or rendered headless to PNG.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use slint::ComponentHandle;

use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::controllers::certify::{Choice, Step};
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
    /// First UI language: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    pub lang: String,
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
}

fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let language = Language::from_tag(&args.lang)
        .with_context(|| format!("unknown language {:?}: use zh-CN or en", args.lang))?;
    let mut config = AppConfig {
        language,
        elder_mode: args.elder,
        voice: if args.mute || !voice::espeak_available() {
            VoiceOutput::Silent
        } else {
            VoiceOutput::Speaker
        },
        ..AppConfig::default()
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
        scripted_certification(&config, &dir)?;
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

    let window = app::build(&config)?;
    let _clock = app::start_clock(&window);
    let _session = app::start_session_clock();
    window.run()?;
    Ok(())
}

/// Walks the certification as far as this kiosk's devices and services allow, saving each
/// screen. Typing uses the keypad; the number is the example of GB 11643 itself.
fn scripted_certification(config: &AppConfig, dir: &Path) -> anyhow::Result<()> {
    let screen = HeadlessScreen::install(1920, 1080)?;
    let window = app::build(config)?;
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
    settle();
    save("home")?;
    window.global::<HomeAdapter>().invoke_open(Entry::Certify);
    settle();
    save("choose-mode")?;
    let certify = window.global::<CertifyAdapter>();
    certify.invoke_choose(certify.get_seq(), choice_id(Choice::SelfCheck));
    settle();
    save("identify")?;
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
    screen.settle(Duration::from_millis(20));
    save("querying")?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while matches!(app::current_step(), Some(Step::Querying))
        && std::time::Instant::now() < deadline
    {
        settle();
    }
    save("after-query")?;
    eprintln!(
        "Stopped at {:?}: the rest of the flow needs the central service, camera and fingerprint reference.",
        app::current_step()
    );
    Ok(())
}
