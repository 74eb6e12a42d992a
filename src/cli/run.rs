//! `jiuzhu-kiosk run`: the kiosk user interface, in a window or rendered headless to PNG.

use std::path::PathBuf;

use anyhow::Context;
use slint::ComponentHandle;

use jiuzhu_kiosk::app::{self, AppConfig};
use jiuzhu_kiosk::ui::Language;
use jiuzhu_kiosk::ui::headless::HeadlessScreen;

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
}

fn display_available() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let language = Language::from_tag(&args.lang)
        .with_context(|| format!("unknown language {:?}: use zh-CN or en", args.lang))?;
    let config = AppConfig {
        language,
        elder_mode: args.elder,
        township_name: None,
    };
    let screenshot = match args.screenshot {
        Some(path) => Some(path),
        None if !display_available() => {
            let path = std::env::temp_dir().join("jiuzhu-kiosk-home.png");
            eprintln!(
                "No display found (DISPLAY and WAYLAND_DISPLAY are unset): rendering the home screen headless instead."
            );
            Some(path)
        }
        None => None,
    };

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
    window.run()?;
    Ok(())
}
