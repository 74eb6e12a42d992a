//! Citizen identity numbers (公民身份号码, GB 11643-1999) and personal names, masked by default.
//!
//! An 18-character number is a 6-digit address code (GB/T 2260), an 8-digit birth date, a
//! 3-digit sequence code (odd for men, even for women) and a check character computed with
//! ISO 7064 MOD 11-2. Numbers issued before 1999 have 15 digits (2-digit year, no check
//! character); they are converted by inserting "19" and computing the check character.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why a string is not a valid identity number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Neither 18 nor 15 characters.
    #[error("an ID number has 18 characters (or 15 for old cards); this one has {0}")]
    Length(usize),
    /// A character that may not stand at this position.
    #[error("character {position} is '{found}': only digits are allowed there{}", if *.position == 18 { " (or X as the last one)" } else { "" })]
    Character {
        /// 1-based position.
        position: usize,
        /// The character found.
        found: char,
    },
    /// The address code does not name a province-level region.
    #[error("the region code {0} does not start with a province code (11–82)")]
    Region(String),
    /// Characters 7–14 are not a real calendar date.
    #[error("the birth date {0} is not a real calendar date")]
    Date(String),
    /// The birth date lies after today.
    #[error("the birth date {date} is in the future (today is {today})")]
    FutureDate {
        /// Birth date found.
        date: NaiveDate,
        /// Today's date.
        today: NaiveDate,
    },
    /// The birth date is implausibly early.
    #[error("the birth date {0} is before 1880")]
    TooOld(NaiveDate),
    /// The check character does not match.
    #[error(
        "the check character is {found} but should be {expected}: a digit was probably mistyped"
    )]
    CheckDigit {
        /// The check character the first 17 digits call for.
        expected: char,
        /// The character found.
        found: char,
    },
}

/// Gender as the sequence code encodes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// 男 (odd sequence code).
    Male,
    /// 女 (even sequence code).
    Female,
}

impl Gender {
    /// 男 / 女.
    pub fn label_zh(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }

    /// Male / Female.
    pub fn label_en(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

/// A validated 18-character identity number. `Debug` and `Display` mask it; the full value
/// is only available through [`IdNumber::as_unmasked_str`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

/// The check character ISO 7064 MOD 11-2 gives for 17 digits.
pub fn check_char(first17: &[u8; 17]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Today's date in China Standard Time (UTC+8).
pub fn today_in_china() -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    Utc::now().with_timezone(&cst).date_naive()
}

impl IdNumber {
    /// Parses an 18- or 15-character number, checking it against today's date in China.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        Self::parse_at(s, today_in_china())
    }

    /// Parses an 18- or 15-character number; `today` bounds the birth date.
    /// Surrounding whitespace is ignored and a lower-case `x` is accepted.
    pub fn parse_at(s: &str, today: NaiveDate) -> Result<Self, IdError> {
        let s = s.trim();
        let chars: Vec<char> = s.chars().collect();
        match chars.len() {
            18 => Self::parse18(&chars, today),
            15 => Self::parse15(&chars, today),
            n => Err(IdError::Length(n)),
        }
    }

    fn parse18(chars: &[char], today: NaiveDate) -> Result<Self, IdError> {
        let mut digits = [0u8; 17];
        for (i, c) in chars[..17].iter().enumerate() {
            if !c.is_ascii_digit() {
                return Err(IdError::Character {
                    position: i + 1,
                    found: *c,
                });
            }
            digits[i] = *c as u8;
        }
        let last = chars[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == 'X') {
            return Err(IdError::Character {
                position: 18,
                found: chars[17],
            });
        }
        check_region(&digits[..6])?;
        let date_str: String = chars[6..14].iter().collect();
        check_birth(&date_str, today)?;
        let expected = check_char(&digits);
        if expected != last {
            return Err(IdError::CheckDigit {
                expected,
                found: last,
            });
        }
        let mut value: String = chars[..17].iter().collect();
        value.push(last);
        Ok(IdNumber(value))
    }

    fn parse15(chars: &[char], today: NaiveDate) -> Result<Self, IdError> {
        for (i, c) in chars.iter().enumerate() {
            if !c.is_ascii_digit() {
                return Err(IdError::Character {
                    position: i + 1,
                    found: *c,
                });
            }
        }
        let s: String = chars.iter().collect();
        let upgraded = format!("{}19{}", &s[..6], &s[6..]);
        let mut digits = [0u8; 17];
        digits.copy_from_slice(upgraded.as_bytes());
        check_region(&digits[..6])?;
        check_birth(&upgraded[6..14], today)?;
        let mut value = upgraded;
        value.push(check_char(&digits));
        Ok(IdNumber(value))
    }

    /// The full number. Use only where the full value is required (API bodies, the card reader).
    pub fn as_unmasked_str(&self) -> &str {
        &self.0
    }

    /// The masked form shown on screens, receipts and in logs: first 4 and last 4 characters.
    pub fn masked(&self) -> String {
        format!("{}**********{}", &self.0[..4], &self.0[14..])
    }

    /// The 6-digit address code (GB/T 2260) of the place of first registration.
    pub fn region_code(&self) -> &str {
        &self.0[..6]
    }

    /// The 2-digit province code (e.g. 50 for 重庆).
    pub fn province_code(&self) -> &str {
        &self.0[..2]
    }

    /// Date of birth.
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("validated at parse time")
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: NaiveDate) -> u32 {
        let b = self.birth_date();
        let mut age = today.year() - b.year();
        if (today.month(), today.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }

    /// Gender from the sequence code: odd is male, even is female.
    pub fn gender(&self) -> Gender {
        let seq = self.0.as_bytes()[16] - b'0';
        if seq % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }
}

fn check_region(code: &[u8]) -> Result<(), IdError> {
    let province = (code[0] - b'0') as u32 * 10 + (code[1] - b'0') as u32;
    // GB/T 2260 province-level codes run from 11 (北京) to 65 (新疆), plus 71 台湾, 81 香港, 82 澳门.
    let known = matches!(province, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82);
    if known {
        Ok(())
    } else {
        Err(IdError::Region(
            String::from_utf8(code.to_vec()).expect("ascii digits"),
        ))
    }
}

fn check_birth(date: &str, today: NaiveDate) -> Result<NaiveDate, IdError> {
    let d = NaiveDate::parse_from_str(date, "%Y%m%d")
        .map_err(|_| IdError::Date(format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..8])))?;
    if d > today {
        return Err(IdError::FutureDate { date: d, today });
    }
    if d.year() < 1880 {
        return Err(IdError::TooOld(d));
    }
    Ok(d)
}

impl FromStr for IdNumber {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IdNumber::parse(s)
    }
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

impl Serialize for IdNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IdNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IdNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Compound surnames (复姓) that a masked name keeps whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "独孤", "端木", "南宫", "西门", "轩辕", "呼延", "澹台", "公冶", "太史", "申屠",
    "闻人", "万俟", "濮阳", "赫连", "东郭", "百里", "钟离", "宗政", "鲜于", "闾丘", "司空", "左丘",
    "拓跋", "第五", "单于", "太叔", "公羊", "東方", "歐陽",
];

/// A person's name. `Debug` and `Display` show only the surname (张*, 欧阳**); the full name
/// only through [`PersonName::as_unmasked_str`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

/// Why a string is not acceptable as a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but whitespace.
    #[error("the name is empty")]
    Empty,
    /// Longer than any name on an identity card.
    #[error("the name has {0} characters; at most 60 are allowed")]
    TooLong(usize),
    /// Control characters or digits.
    #[error("the name contains '{0}', which is not allowed in a name")]
    Character(char),
}

impl PersonName {
    /// Validates a name: 1–60 characters, no digits or control characters; whitespace trimmed.
    pub fn new(s: &str) -> Result<Self, NameError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(NameError::Empty);
        }
        let n = t.chars().count();
        if n > 60 {
            return Err(NameError::TooLong(n));
        }
        if let Some(c) = t.chars().find(|c| c.is_control() || c.is_ascii_digit()) {
            return Err(NameError::Character(c));
        }
        Ok(PersonName(t.to_string()))
    }

    /// The full name.
    pub fn as_unmasked_str(&self) -> &str {
        &self.0
    }

    /// The surname followed by one `*` per remaining character (at least 1, at most 3): `张*`,
    /// `欧阳**`. A compound surname (复姓) is kept whole when the name is longer than it.
    pub fn masked(&self) -> String {
        let total = self.0.chars().count();
        let shown = if total > 2 && COMPOUND_SURNAMES.iter().any(|s| self.0.starts_with(s)) {
            2
        } else {
            1
        };
        let head: String = self.0.chars().take(shown).collect();
        let rest = total.saturating_sub(shown).clamp(1, 3);
        format!("{head}{}", "*".repeat(rest))
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

impl Serialize for PersonName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PersonName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PersonName::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[rstest]
    #[case("11010519491231002X", "1949-12-31", Gender::Female)]
    #[case("440524188001010014", "1880-01-01", Gender::Male)]
    #[case("11010519491231002x", "1949-12-31", Gender::Female)]
    #[case(" 11010519491231002X ", "1949-12-31", Gender::Female)]
    fn valid_numbers(#[case] s: &str, #[case] birth: &str, #[case] gender: Gender) {
        let id = IdNumber::parse_at(s, today()).unwrap();
        assert_eq!(id.birth_date().to_string(), birth);
        assert_eq!(id.gender(), gender);
        assert_eq!(id.region_code(), &s.trim()[..6]);
    }

    #[rstest]
    #[case("1101051949123100", IdError::Length(16))]
    #[case("11010519491231002A", IdError::Character { position: 18, found: 'A' })]
    #[case("110105194912310O2X", IdError::Character { position: 16, found: 'O' })]
    #[case("110105194902300021", IdError::Date("1949-02-30".into()))]
    #[case("110105203001010011", IdError::FutureDate { date: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), today: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap() })]
    #[case("11010519491231002 1", IdError::Length(19))]
    #[case("110105194912310021", IdError::CheckDigit { expected: 'X', found: '1' })]
    #[case("990105194912310021", IdError::Region("990105".into()))]
    fn rejections_say_why(#[case] s: &str, #[case] err: IdError) {
        assert_eq!(IdNumber::parse_at(s, today()), Err(err));
    }

    #[test]
    fn check_digit_message_names_the_expected_character() {
        let e = IdNumber::parse_at("110105194912310021", today()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the check character is 1 but should be X: a digit was probably mistyped"
        );
    }

    #[test]
    fn legacy_15_digit_numbers_are_upgraded() {
        // 15-digit form of 11010519491231002X.
        let id = IdNumber::parse_at("110105491231002", today()).unwrap();
        assert_eq!(id.as_unmasked_str(), "11010519491231002X");
    }

    #[test]
    fn masked_everywhere_but_the_accessor() {
        let id = IdNumber::parse_at("11010519491231002X", today()).unwrap();
        assert_eq!(id.to_string(), "1101**********002X");
        assert_eq!(format!("{id:?}"), "IdNumber(1101**********002X)");
        assert_eq!(id.as_unmasked_str(), "11010519491231002X");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"11010519491231002X\"");
        let back: IdNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<IdNumber>("\"110105194912310021\"").is_err());
    }

    #[rstest]
    #[case("张三", "张*")]
    #[case("欧阳修文", "欧阳**")]
    #[case("欧阳修", "欧阳*")]
    #[case("欧阳", "欧*")]
    #[case("司马相如", "司马**")]
    #[case("王", "王*")]
    #[case("阿卜杜热合曼·买买提", "阿***")]
    fn names_are_masked(#[case] name: &str, #[case] masked: &str) {
        let n = PersonName::new(name).unwrap();
        assert_eq!(n.to_string(), masked);
        assert_eq!(format!("{n:?}"), format!("PersonName({masked})"));
        assert_eq!(n.as_unmasked_str(), name);
    }

    #[test]
    fn bad_names() {
        assert_eq!(PersonName::new("  "), Err(NameError::Empty));
        assert_eq!(PersonName::new("张3"), Err(NameError::Character('3')));
    }

    fn arb_valid() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["500102", "500101", "110105", "440524", "510104"]),
            0i64..(365 * 120),
            0u32..1000,
        )
            .prop_map(|(region, days, seq)| {
                let birth =
                    NaiveDate::from_ymd_opt(1905, 1, 1).unwrap() + chrono::Duration::days(days);
                let body = format!("{region}{}{seq:03}", birth.format("%Y%m%d"));
                let mut d = [0u8; 17];
                d.copy_from_slice(body.as_bytes());
                format!("{body}{}", check_char(&d))
            })
    }

    proptest! {
        #[test]
        fn every_valid_number_round_trips(s in arb_valid()) {
            let id = IdNumber::parse_at(&s, today()).unwrap();
            prop_assert_eq!(id.as_unmasked_str(), s.as_str());
            let again: IdNumber = serde_json::from_str(&serde_json::to_string(&id).unwrap()).unwrap();
            prop_assert_eq!(again, id);
        }

        #[test]
        fn any_single_character_change_is_rejected(s in arb_valid(), pos in 0usize..18, delta in 1usize..10) {
            // Digits everywhere; the check character may also be X.
            const ALPHABET: &[u8; 11] = b"0123456789X";
            let size = if pos == 17 { 11 } else { 10 };
            let mut b = s.clone().into_bytes();
            let cur = ALPHABET.iter().position(|c| *c == b[pos]).unwrap();
            b[pos] = ALPHABET[(cur + delta) % size];
            let changed = String::from_utf8(b).unwrap();
            prop_assert_ne!(&changed, &s);
            prop_assert!(IdNumber::parse_at(&changed, today()).is_err());
        }

        #[test]
        fn arbitrary_input_never_panics(s in ".{0,40}") {
            let _ = IdNumber::parse_at(&s, today());
        }
    }
}
