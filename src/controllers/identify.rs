//! Identification by keypad: the number typed on a large keypad with live GB 11643 feedback
//! (`jiuzhu_core::id::IdNumber` decides; this module only says it in plain words as the digits
//! arrive). Reading the card itself is the reader's job (`IdCardReader`), carried out by the worker.

use chrono::NaiveDate;
use jiuzhu_core::id::{IdError, IdNumber};

/// A key on the identification keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// 0–9.
    Digit(u8),
    /// The check character X.
    X,
    /// Delete the last character.
    Backspace,
    /// Delete everything.
    Clear,
}

/// What the keypad says under the number, updated on every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    /// Nothing typed yet.
    Empty,
    /// So far so good; this many of 18 characters typed.
    Typing(usize),
    /// The characters typed cannot become a valid number; the reason in plain words.
    Invalid(Problem),
    /// A complete, valid number.
    Valid(IdNumber),
}

/// Why the number typed so far cannot be right, in words a resident can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The first two digits are not a province code.
    Region,
    /// Digits 7–14 are not a real date (or lie in the future / before 1880).
    BirthDate,
    /// The last character does not match: a digit was probably mistyped.
    CheckDigit,
    /// X typed before the last place.
    XNotLast,
    /// 15 characters typed and the number is not a valid old number; keep typing or correct.
    Other(String),
}

impl Problem {
    /// The message shown and spoken, in Chinese.
    pub fn zh(&self) -> String {
        match self {
            Problem::Region => "前两位不是省份代码，请核对身份证上的号码".into(),
            Problem::BirthDate => "第7到14位应是出生日期，请核对".into(),
            Problem::CheckDigit => "号码有误，可能输错了一位，请逐位核对".into(),
            Problem::XNotLast => "X 只能是最后一位".into(),
            Problem::Other(s) => format!("号码无效：{s}"),
        }
    }

    /// The message shown in English.
    pub fn en(&self) -> String {
        match self {
            Problem::Region => {
                "The first two digits are not a province code: check the card".into()
            }
            Problem::BirthDate => "Digits 7–14 must be the date of birth: check them".into(),
            Problem::CheckDigit => "The number is wrong: probably one digit was mistyped".into(),
            Problem::XNotLast => "X can only be the last character".into(),
            Problem::Other(s) => format!("Invalid number: {s}"),
        }
    }
}

fn problem_of(e: &IdError) -> Problem {
    match e {
        IdError::Region(_) => Problem::Region,
        IdError::Date(_) | IdError::FutureDate { .. } | IdError::TooOld(_) => Problem::BirthDate,
        IdError::CheckDigit { .. } => Problem::CheckDigit,
        IdError::Character { position, .. } if *position < 18 => Problem::XNotLast,
        other => Problem::Other(other.to_string()),
    }
}

/// The keypad's state: the characters typed. Wiped on reset.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KeypadEntry {
    typed: String,
}

impl std::fmt::Debug for KeypadEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeypadEntry {{ {} chars }}", self.typed.len())
    }
}

/// Characters in a full number.
pub const ID_LEN: usize = 18;

impl KeypadEntry {
    /// Applies a key. Keys beyond 18 characters are ignored.
    pub fn press(&mut self, key: Key) {
        match key {
            Key::Digit(d) if d <= 9 && self.typed.len() < ID_LEN => {
                self.typed.push(char::from(b'0' + d))
            }
            Key::X if self.typed.len() < ID_LEN => self.typed.push('X'),
            Key::Backspace => {
                self.typed.pop();
            }
            Key::Clear => self.typed.clear(),
            _ => {}
        }
    }

    /// How many characters are typed.
    pub fn len(&self) -> usize {
        self.typed.len()
    }

    /// Whether nothing is typed.
    pub fn is_empty(&self) -> bool {
        self.typed.is_empty()
    }

    /// The typed number grouped for reading (6-8-4), shown on screen while typing.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for (i, c) in self.typed.chars().enumerate() {
            if i == 6 || i == 14 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    }

    /// Live feedback against `today`'s date.
    pub fn feedback(&self, today: NaiveDate) -> Feedback {
        let t = self.typed.as_str();
        let n = t.len();
        if n == 0 {
            return Feedback::Empty;
        }
        if let Some(pos) = t.find('X')
            && pos + 1 < ID_LEN
        {
            return Feedback::Invalid(Problem::XNotLast);
        }
        if n >= 2 {
            let province: u32 = t[..2].parse().unwrap_or(0);
            if !(11..=82).contains(&province) {
                return Feedback::Invalid(Problem::Region);
            }
        }
        if n >= 14 {
            let ok = NaiveDate::parse_from_str(&t[6..14], "%Y%m%d")
                .is_ok_and(|d| d <= today && d.year_ce().1 >= 1880);
            if !ok {
                return Feedback::Invalid(Problem::BirthDate);
            }
        }
        if n == ID_LEN {
            return match IdNumber::parse_at(t, today) {
                Ok(id) => Feedback::Valid(id),
                Err(e) => Feedback::Invalid(problem_of(&e)),
            };
        }
        Feedback::Typing(n)
    }

    /// Forgets everything typed.
    pub fn wipe(&mut self) {
        self.typed.clear();
    }
}

use chrono::Datelike as _;

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn typed(s: &str) -> KeypadEntry {
        let mut k = KeypadEntry::default();
        for c in s.chars() {
            k.press(match c {
                'X' => Key::X,
                d => Key::Digit(d.to_digit(10).unwrap() as u8),
            });
        }
        k
    }

    // 11010519491231002X is the GB 11643 standard's own example.
    #[rstest]
    #[case("", None)]
    #[case("5", Some(1))]
    #[case("500102", Some(6))]
    #[case("5001021949", Some(10))]
    #[case("50010219491231", Some(14))]
    fn partial_numbers_show_progress(#[case] s: &str, #[case] progress: Option<usize>) {
        match (typed(s).feedback(today()), progress) {
            (Feedback::Empty, None) => {}
            (Feedback::Typing(n), Some(p)) => assert_eq!(n, p),
            (f, p) => panic!("{s:?}: {f:?}, expected {p:?}"),
        }
    }

    #[rstest]
    #[case("99", Problem::Region)]
    #[case("0012", Problem::Region)]
    #[case("50010219491331", Problem::BirthDate)]
    #[case("50010220300101", Problem::BirthDate)]
    #[case("50010218700101", Problem::BirthDate)]
    #[case("5001X", Problem::XNotLast)]
    #[case("110105194912310021", Problem::CheckDigit)]
    fn mistakes_are_named_as_they_happen(#[case] s: &str, #[case] problem: Problem) {
        assert_eq!(typed(s).feedback(today()), Feedback::Invalid(problem));
    }

    #[test]
    fn a_valid_number_is_accepted_and_masked() {
        let f = typed("11010519491231002X").feedback(today());
        let Feedback::Valid(id) = f else {
            panic!("{f:?}")
        };
        assert_eq!(id.as_unmasked_str(), "11010519491231002X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn editing_keys_and_limits() {
        let mut k = typed("11010519491231002X");
        k.press(Key::Digit(5));
        assert_eq!(k.len(), 18, "a 19th character is ignored");
        assert_eq!(k.display(), "110105 19491231 002X");
        k.press(Key::Backspace);
        assert_eq!(k.feedback(today()), Feedback::Typing(17));
        k.press(Key::Digit(12));
        assert_eq!(k.len(), 17, "not a digit");
        k.press(Key::Clear);
        assert!(k.is_empty());
        let mut k = typed("110105");
        assert_eq!(format!("{k:?}"), "KeypadEntry { 6 chars }");
        k.wipe();
        assert_eq!(k.feedback(today()), Feedback::Empty);
    }
}
