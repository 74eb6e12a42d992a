//! Voice prompts: every screen, challenge and error spoken in Mandarin, offline, by `espeak-ng`
//! (voice `cmn`) in a background thread, so speech never blocks the UI. A new screen interrupts
//! what is still being said about the previous one. Mute and volume apply at once.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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

#[derive(Debug, Default)]
struct Shared {
    muted: bool,
    volume: u8,
    spoken: Vec<String>,
    errors: Vec<String>,
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
    /// Starts the speaking thread.
    pub fn start(output: VoiceOutput) -> Self {
        let shared = Arc::new(Mutex::new(Shared {
            volume: 80,
            ..Shared::default()
        }));
        let (tx, rx) = mpsc::channel();
        let s = shared.clone();
        std::thread::Builder::new()
            .name("voice".into())
            .spawn(move || speak_loop(rx, s, output))
            .expect("the voice thread starts");
        Self { tx, shared }
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

    /// Every utterance handed to the engine so far, in order.
    pub fn spoken(&self) -> Vec<String> {
        self.lock().spoken.clone()
    }

    /// Engine failures so far (the UI goes on without sound).
    pub fn errors(&self) -> Vec<String> {
        self.lock().errors.clone()
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

fn speak_loop(rx: Receiver<Cmd>, shared: Arc<Mutex<Shared>>, output: VoiceOutput) {
    let mut queue: std::collections::VecDeque<Item> = Default::default();
    let mut current: Option<Child> = None;
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
        let (muted, volume) = {
            let s = shared.lock().unwrap_or_else(|p| p.into_inner());
            (s.muted, s.volume)
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
        let mut cmd = Command::new("espeak-ng");
        // espeak-ng amplitude runs 0–200 with 100 as its default.
        cmd.args(["-v", "cmn", "-s", "140", "-a"])
            .arg((u32::from(volume) * 2).to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match &output {
            VoiceOutput::Silent => continue,
            VoiceOutput::Speaker => {}
            VoiceOutput::WavFiles(dir) => {
                let _ = std::fs::create_dir_all(dir);
                cmd.arg("-w").arg(dir.join(format!("{n:04}.wav")));
            }
        }
        cmd.arg("--").arg(&text);
        match cmd.spawn() {
            Ok(child) => current = Some(child),
            Err(e) => shared
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .errors
                .push(format!("cannot run espeak-ng: {e} (install espeak-ng)")),
        }
    }
    kill(&mut current);
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
}
