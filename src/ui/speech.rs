//! What the voice says, made speakable: the screen's words rewritten as a Mandarin speaker would
//! read them aloud ([`normalise`]), then, for the espeak-ng pinyin voice, as pinyin with tone
//! numbers ([`to_pinyin`]). Pure functions, table-tested.
//!
//! Rules of [`normalise`], in order: a UUID is never read (the resident is pointed at the
//! screen); a masked name `陈**` is 陈某某 and a masked ID number is read by its last digits;
//! `1 / 3` is 第一个，共三个; dates are read as dates (year digit by digit), times as 点/分,
//! amounts in 元/角/分, percentages as 百分之; telephone, ID and case numbers (five digits or
//! more, or digit groups joined by `-`) digit by digit with 幺 for 1; other numbers as numbers
//! (两 before a measure word); no asterisk, slash or Latin letter is read.

use std::sync::LazyLock;

use pinyin::ToPinyin;
use regex::{Captures, Regex};

const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid built-in pattern")
}

/// Digit by digit, 幺 for 1 when `yao` (telephone and ID numbers), X as 叉.
pub fn digit_by_digit(s: &str, yao: bool) -> String {
    s.chars()
        .filter_map(|c| match c {
            '1' if yao => Some("幺"),
            '0'..='9' => Some(DIGITS[c as usize - '0' as usize]),
            'X' | 'x' => Some("叉"),
            _ => None,
        })
        .collect()
}

/// A whole number as it is read: 0 零, 10 十, 11 十一, 101 一百零一, 61000 六万一千.
pub fn number(n: u64) -> String {
    if n == 0 {
        return "零".into();
    }
    // groups of four digits: 个, 万, 亿, 万亿
    const BIG: [&str; 4] = ["", "万", "亿", "万亿"];
    let mut groups = vec![];
    let mut m = n;
    while m > 0 {
        groups.push(m % 10_000);
        m /= 10_000;
    }
    let mut out = String::new();
    let mut zero_pending = false;
    for (i, &g) in groups.iter().enumerate().rev() {
        if g == 0 {
            zero_pending = !out.is_empty();
            continue;
        }
        if zero_pending || (!out.is_empty() && g < 1000) {
            out.push('零');
        }
        zero_pending = false;
        out.push_str(&below_10000(g, out.is_empty()));
        out.push_str(BIG[i.min(3)]);
    }
    out
}

fn below_10000(g: u64, leading: bool) -> String {
    const UNITS: [&str; 4] = ["千", "百", "十", ""];
    let ds = [g / 1000, g / 100 % 10, g / 10 % 10, g % 10];
    let mut out = String::new();
    let mut zero = false;
    let mut started = false;
    for (i, &d) in ds.iter().enumerate() {
        if d == 0 {
            zero = started;
            continue;
        }
        if zero {
            out.push('零');
            zero = false;
        }
        // 十一, not 一十一, at the start of a number
        if !(i == 2 && d == 1 && !started && leading) {
            out.push_str(DIGITS[d as usize]);
        }
        out.push_str(UNITS[i]);
        started = true;
    }
    out
}

/// A number in the text (digits, maybe with `,` thousands and a decimal part) as read.
fn decimal(int: &str, frac: Option<&str>) -> String {
    let digits: String = int.chars().filter(char::is_ascii_digit).collect();
    let mut out = match digits.parse::<u64>() {
        Ok(n) if digits.len() <= 16 => number(n),
        _ => digit_by_digit(&digits, false),
    };
    if let Some(f) = frac.filter(|f| !f.is_empty()) {
        out.push('点');
        out.push_str(&digit_by_digit(f, false));
    }
    out
}

fn year(y: &str) -> String {
    digit_by_digit(y, false) + "年"
}

fn small(s: &str) -> String {
    number(s.parse().unwrap_or(0))
}

/// Measure words after which 2 is read 两.
const LIANG_BEFORE: &str = "个位人次张天年份项岁条件种页步本名户口";

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
});
static MASKED_ID: LazyLock<Regex> = LazyLock::new(|| re(r"\d{0,6}\*{4,}(\d{1,4}[Xx]?)"));
static MASKED_NAME: LazyLock<Regex> = LazyLock::new(|| re(r"(\p{Han})(\*+)(\p{Han})?"));
static OF: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:第\s*)?(\d+)\s*/\s*(\d+)(?:\s*([个位步项张页次]))?"));
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| re(r"(\d{4})-(\d{1,2})-(\d{1,2})"));
static CN_DATE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"));
static YEAR: LazyLock<Regex> = LazyLock::new(|| re(r"(\d{4})\s*年"));
static TIME: LazyLock<Regex> = LazyLock::new(|| re(r"\b(\d{1,2}):(\d{2})\b"));
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    re(r"[¥￥]\s*(\d[\d,]*)(?:\.(\d{1,2}))?\s*元?|(\d[\d,]*)(?:\.(\d{1,2}))?\s*元")
});
static PERCENT: LazyLock<Regex> = LazyLock::new(|| re(r"(\d+)(?:\.(\d+))?\s*[%％]"));
static ID_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\d{17}[\dXx]"));
static DIGIT_GROUPS: LazyLock<Regex> = LazyLock::new(|| re(r"\d+(?:-\d+)+|\d{5,}"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"(\d[\d,]*)(?:\.(\d+))?"));
static LATIN: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Za-z]+"));
static SPACES: LazyLock<Regex> = LazyLock::new(|| re(r"[ \t]+"));

fn money(c: &Captures<'_>) -> String {
    let (int, frac) = match c.get(1) {
        Some(i) => (i.as_str(), c.get(2).map(|m| m.as_str())),
        None => (&c[3], c.get(4).map(|m| m.as_str())),
    };
    let mut out = decimal(int, None) + "元";
    let frac = frac.unwrap_or("");
    let jiao = frac
        .chars()
        .next()
        .and_then(|d| d.to_digit(10))
        .unwrap_or(0);
    let fen = frac
        .chars()
        .nth(1)
        .and_then(|d| d.to_digit(10))
        .unwrap_or(0);
    if jiao > 0 {
        out.push_str(DIGITS[jiao as usize]);
        out.push('角');
    }
    if fen > 0 {
        if jiao == 0 {
            out.push('零');
        }
        out.push_str(DIGITS[fen as usize]);
        out.push('分');
    }
    out
}

/// The text as it is read aloud (see the module's rules).
pub fn normalise(text: &str) -> String {
    let s = UUID.replace_all(text, "（编号请看屏幕）");
    let s = MASKED_ID.replace_all(&s, |c: &Captures<'_>| {
        format!("尾号{}", digit_by_digit(&c[1], true))
    });
    let s = MASKED_NAME.replace_all(&s, |c: &Captures<'_>| {
        let n = c[2].chars().count().min(2);
        let mut out = c[1].to_string() + &"某".repeat(n);
        if let Some(last) = c.get(3) {
            out.push_str(last.as_str());
        }
        out
    });
    let s = OF.replace_all(&s, |c: &Captures<'_>| {
        let m = c.get(3).map_or("个", |m| m.as_str());
        // 共两个, not 共二个 (every measure word here takes 两); none done yet is 零个, not 第零个
        let total = if &c[2] == "2" {
            "两".into()
        } else {
            small(&c[2])
        };
        match &c[1] {
            "0" => format!("零{m}，共{total}{m}"),
            n => format!("第{}{m}，共{total}{m}", small(n)),
        }
    });
    let s = ISO_DATE.replace_all(&s, |c: &Captures<'_>| {
        format!("{}{}月{}日", year(&c[1]), small(&c[2]), small(&c[3]))
    });
    let s = CN_DATE.replace_all(&s, |c: &Captures<'_>| {
        let y = c.get(1).map(|y| year(y.as_str())).unwrap_or_default();
        format!("{y}{}月{}日", small(&c[2]), small(&c[3]))
    });
    let s = YEAR.replace_all(&s, |c: &Captures<'_>| year(&c[1]));
    let s = TIME.replace_all(&s, |c: &Captures<'_>| {
        let m: u64 = c[2].parse().unwrap_or(0);
        let h = small(&c[1]);
        match m {
            0 => format!("{h}点"),
            1..=9 => format!("{h}点零{}分", number(m)),
            _ => format!("{h}点{}分", number(m)),
        }
    });
    let s = MONEY.replace_all(&s, money);
    let s = PERCENT.replace_all(&s, |c: &Captures<'_>| {
        format!("百分之{}", decimal(&c[1], c.get(2).map(|m| m.as_str())))
    });
    let s = ID_NUMBER.replace_all(&s, |c: &Captures<'_>| digit_by_digit(&c[0], true));
    let s = DIGIT_GROUPS.replace_all(&s, |c: &Captures<'_>| {
        c[0].split('-')
            .map(|g| digit_by_digit(g, true))
            .collect::<Vec<_>>()
            .join("，")
    });
    let s = NUMBER.replace_all(&s, |c: &Captures<'_>| {
        let whole = c.get(0).expect("match");
        let after = s[whole.end()..].trim_start().chars().next();
        if &c[1] == "2" && c.get(2).is_none() && after.is_some_and(|a| LIANG_BEFORE.contains(a)) {
            "两".to_string()
        } else {
            decimal(&c[1], c.get(2).map(|m| m.as_str()))
        }
    });
    let s = LATIN.replace_all(&s, "");
    let s: String = s
        .chars()
        .map(|c| match c {
            '/' | '|' | '\\' | '-' | '—' | '·' => '，',
            '~' | '～' => '到',
            '*' | '#' | '_' | '"' | '\'' | '<' | '>' | '[' | ']' | '{' | '}' => ' ',
            c => c,
        })
        .collect();
    SPACES.replace_all(s.trim(), " ").into_owned()
}

/// Readings that the per-character dictionary gets wrong in our words: (phrase, pinyin with
/// tone numbers, one syllable per character). Longest match first.
const PHRASES: &[(&str, &[&str])] = &[
    ("重新", &["chong2", "xin1"]),
    ("重拍", &["chong2", "pai1"]),
    ("重试", &["chong2", "shi4"]),
    ("重做", &["chong2", "zuo4"]),
    ("重放", &["chong2", "fang4"]),
    ("重打", &["chong2", "da3"]),
    ("重来", &["chong2", "lai2"]),
    ("重按", &["chong2", "an4"]),
    ("重输", &["chong2", "shu1"]),
    ("长辈", &["zhang3", "bei4"]),
    ("家长", &["jia1", "zhang3"]),
    ("镇长", &["zhen4", "zhang3"]),
    ("还有", &["hai2", "you3"]),
    ("还没", &["hai2", "mei2"]),
    ("还是", &["hai2", "shi4"]),
    ("还要", &["hai2", "yao4"]),
    ("还可以", &["hai2", "ke3", "yi3"]),
    ("还款", &["huan2", "kuan3"]),
    ("退还", &["tui4", "huan2"]),
    ("归还", &["gui1", "huan2"]),
    ("银行", &["yin2", "hang2"]),
    ("一行", &["yi4", "hang2"]),
    ("了解", &["liao3", "jie3"]),
    ("露出", &["lou4", "chu1"]),
    ("得到", &["de2", "dao4"]),
    ("获得", &["huo4", "de2"]),
    ("记得", &["ji4", "de5"]),
    ("觉得", &["jue2", "de5"]),
    ("便宜", &["pian2", "yi2"]),
    ("调整", &["tiao2", "zheng3"]),
    ("调查", &["diao4", "cha2"]),
    ("朝向", &["chao2", "xiang4"]),
    ("单位", &["dan1", "wei4"]),
    ("为了", &["wei4", "le5"]),
    ("因为", &["yin1", "wei4"]),
    ("成为", &["cheng2", "wei2"]),
    ("认为", &["ren4", "wei2"]),
    ("作为", &["zuo4", "wei2"]),
    ("行为", &["xing2", "wei2"]),
    ("地方", &["di4", "fang5"]),
    ("相片", &["xiang4", "pian4"]),
    ("照相", &["zhao4", "xiang4"]),
    ("应当", &["ying1", "dang1"]),
    ("应该", &["ying1", "gai1"]),
    ("处理", &["chu3", "li3"]),
    ("办理", &["ban4", "li3"]),
    ("数据", &["shu4", "ju4"]),
    ("数字", &["shu4", "zi4"]),
    ("号码", &["hao4", "ma3"]),
    ("差额", &["cha1", "e2"]),
    ("参加", &["can1", "jia1"]),
    ("种类", &["zhong3", "lei4"]),
    ("供养", &["gong1", "yang3"]),
    ("转移", &["zhuan3", "yi2"]),
    ("着急", &["zhao2", "ji2"]),
    ("睡着", &["shui4", "zhao2"]),
    ("没有", &["mei2", "you3"]),
    ("一样", &["yi2", "yang4"]),
];

/// Characters whose everyday reading differs from the dictionary's first reading.
const CHARS: &[(char, &str)] = &[
    ('了', "le5"),
    ('的', "de5"),
    ('着', "zhe5"),
    ('么', "me5"),
    ('吗', "ma5"),
    ('呢', "ne5"),
    ('吧', "ba5"),
    ('啊', "a5"),
    ('得', "de5"),
    ('都', "dou1"),
    ('还', "hai2"),
    ('和', "he2"),
    ('为', "wei4"),
    ('地', "di4"),
    ('行', "xing2"),
    ('长', "chang2"),
    ('重', "zhong4"),
    ('只', "zhi3"),
    ('要', "yao4"),
    ('没', "mei2"),
    ('好', "hao3"),
    ('个', "ge4"),
    ('们', "men5"),
    ('子', "zi5"),
];

fn char_reading(c: char) -> Option<String> {
    if let Some((_, p)) = CHARS.iter().find(|(ch, _)| *ch == c) {
        return Some((*p).to_string());
    }
    let p = c.to_pinyin()?.with_tone_num_end();
    Some(if p.ends_with(|d: char| d.is_ascii_digit()) {
        p.to_string()
    } else {
        format!("{p}5")
    })
}

/// 一 and 不 change tone before another syllable: 一 is yi2 before a fourth tone and yi4 before
/// the others (not as an ordinal or in 十一), 不 is bu2 before a fourth tone.
fn tone_changes(out: &mut [String], from: &[Option<char>]) {
    for i in 0..out.len() {
        let next_tone = out
            .get(i + 1)
            .and_then(|n| n.chars().last())
            .filter(char::is_ascii_digit);
        let Some(next) = next_tone else { continue };
        let before = i.checked_sub(1).and_then(|p| from[p]);
        match from[i] {
            Some('一') if !matches!(before, Some('第' | '十' | '零' | '一')) && next != '5' => {
                out[i] = if next == '4' { "yi2" } else { "yi4" }.into();
            }
            Some('不') if next == '4' => out[i] = "bu2".into(),
            _ => {}
        }
    }
}

/// `text` (already [`normalise`]d) as pinyin with tone numbers for `espeak-ng -v
/// cmn-latn-pinyin`: one syllable per character, phrase readings first, punctuation kept as
/// pauses, anything else dropped.
pub fn to_pinyin(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<String> = vec![];
    // the character each syllable was read from, for the tone changes of 一 and 不
    let mut from: Vec<Option<char>> = vec![];
    let mut i = 0;
    'outer: while i < chars.len() {
        for (phrase, syllables) in PHRASES {
            let n = phrase.chars().count();
            if i + n <= chars.len() && chars[i..i + n].iter().copied().eq(phrase.chars()) {
                out.extend(syllables.iter().map(|s| s.to_string()));
                from.extend(std::iter::repeat_n(None, n));
                i += n;
                continue 'outer;
            }
        }
        let c = chars[i];
        i += 1;
        if let Some(p) = char_reading(c) {
            out.push(p);
            from.push(Some(c));
            continue;
        }
        let pause = match c {
            '。' | '！' | '？' | '.' | '!' | '?' | '；' | ';' => ".",
            '，' | '、' | '：' | ',' | ':' | '（' | '）' | '(' | ')' | '“' | '”' | '《' | '》'
            | '\n' => ",",
            _ => continue,
        };
        match out.last_mut() {
            // a full stop wins over a comma; two pauses are one
            Some(last) if last == "," && pause == "." => *last = ".".into(),
            Some(last) if last == "," || last == "." => {}
            Some(_) => {
                out.push(pause.into());
                from.push(None);
            }
            None => {}
        }
    }
    tone_changes(&mut out, &from);
    let mut s = String::new();
    for w in out {
        if w == "," || w == "." {
            s.push_str(&w);
        } else {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&w);
        }
    }
    s.trim_end_matches(',').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, "零")]
    #[case(2, "二")]
    #[case(10, "十")]
    #[case(11, "十一")]
    #[case(20, "二十")]
    #[case(101, "一百零一")]
    #[case(110, "一百一十")]
    #[case(1000, "一千")]
    #[case(1001, "一千零一")]
    #[case(1010, "一千零一十")]
    #[case(10000, "一万")]
    #[case(61000, "六万一千")]
    #[case(100010, "十万零一十")]
    #[case(1_0000_0000, "一亿")]
    #[case(2_0300_0405, "二亿零三百万零四百零五")]
    fn numbers(#[case] n: u64, #[case] read: &str) {
        assert_eq!(number(n), read);
    }

    #[rstest]
    #[case("请核对：陈**", "请核对：陈某某")]
    #[case("签名人 王*福", "签名人 王某福")]
    #[case("身份证 5001**********2427", "身份证 尾号二四二七")]
    #[case("1 / 3", "第一个，共三个")]
    #[case("2/12", "第二个，共十二个")]
    #[case("已完成 1 / 3 个动作", "已完成 第一个，共三个动作")]
    #[case("已完成 0 / 2 个动作", "已完成 零个，共两个动作")]
    #[case("第 2 / 2 位家人", "第二位，共两位家人")]
    #[case("第 1 / 3 位家人", "第一位，共三位家人")]
    #[case("认证日期 2026年11月27日", "认证日期 二零二六年十一月二十七日")]
    #[case("有效期至 2027-11-30", "有效期至 二零二七年十一月三十日")]
    #[case("请在12月5日前补交", "请在十二月五日前补交")]
    #[case("2026年度", "二零二六年度")]
    #[case("上午 09:05 开门", "上午 九点零五分 开门")]
    #[case("17:30", "十七点三十分")]
    #[case("8:00", "八点")]
    #[case("每月 610.00元", "每月 六百一十元")]
    #[case("每月 610.5 元", "每月 六百一十元五角")]
    #[case("¥1,234.05", "一千二百三十四元零五分")]
    #[case("救助金 61000元", "救助金 六万一千元")]
    #[case("音量80%", "音量百分之八十")]
    #[case("服务电话 023-72222222", "服务电话 零二三，七二二二二二二二")]
    #[case("拨打 12345", "拨打 幺二三四五")]
    #[case(
        "身份证号 50010219580520242X",
        "身份证号 五零零幺零二幺九五八零五二零二四二叉"
    )]
    #[case(
        "案件编号 0193c4a2-7d1e-7f00-8a1b-3c4d5e6f7a8b",
        "案件编号 （编号请看屏幕）"
    )]
    #[case("需要 2 个人签字", "需要 两 个人签字")]
    #[case("共 2 项", "共 两 项")]
    #[case("还差 3 步", "还差 三 步")]
    #[case("第 3 步，共 12 步", "第 三 步，共 十二 步")]
    #[case("点“再试一次”/呼叫工作人员", "点“再试一次”，呼叫工作人员")]
    #[case("请出示ID card", "请出示")]
    #[case("2.5倍", "二点五倍")]
    fn normalised(#[case] text: &str, #[case] spoken: &str) {
        assert_eq!(normalise(text), spoken);
    }

    #[test]
    fn nothing_unreadable_survives() {
        for text in [
            "陈** 5001**********2427 1/3 0193c4a2-7d1e-7f00-8a1b-3c4d5e6f7a8b a/b *#",
            "请放身份证 → 读取中… Please wait",
        ] {
            let s = normalise(text);
            assert!(
                !s.chars()
                    .any(|c| c.is_ascii_alphanumeric() || "*/#\\".contains(c)),
                "{text} → {s}"
            );
        }
    }

    #[rstest]
    #[case("请重拍一张", "qing3 chong2 pai1 yi4 zhang1")]
    #[case("长辈模式", "zhang3 bei4 mo2 shi4")]
    #[case("请重新放好手指。", "qing3 chong2 xin1 fang4 hao3 shou3 zhi3.")]
    #[case("您还没有签字，", "nin2 hai2 mei2 you3 qian1 zi4")]
    #[case("认证成功了！", "ren4 zheng4 cheng2 gong1 le5.")]
    #[case("陈某某，请看屏幕", "chen2 mou3 mou3, qing3 kan4 ping2 mu4")]
    #[case("银行卡", "yin2 hang2 ka3")]
    #[case(
        "头再往左转多一点。点头再低一点。",
        "tou2 zai4 wang3 zuo3 zhuan3 duo1 yi4 dian3. dian3 tou2 zai4 di1 yi4 dian3."
    )]
    #[case(
        "请把手放下，露出整张脸，再做一次。",
        "qing3 ba3 shou3 fang4 xia4, lou4 chu1 zheng3 zhang1 lian3, zai4 zuo4 yi2 ci4."
    )]
    #[case(
        "一次，一张，第一个，十一",
        "yi2 ci4, yi4 zhang1, di4 yi1 ge4, shi2 yi1"
    )]
    #[case("不要，不能", "bu2 yao4, bu4 neng2")]
    fn pinyin_readings(#[case] text: &str, #[case] pinyin: &str) {
        assert_eq!(to_pinyin(text), pinyin);
    }

    #[test]
    fn every_syllable_has_a_tone() {
        let p = to_pinyin(&normalise(
            "第 1 / 3 位：陈**，请在2026年12月5日前到银行办理，金额 610.50元。",
        ));
        for syl in p.split([' ', ',', '.']).filter(|s| !s.is_empty()) {
            assert!(
                syl.ends_with(|c: char| ('1'..='5').contains(&c))
                    && syl[..syl.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == 'ü'),
                "{syl} in {p}"
            );
        }
    }
}
