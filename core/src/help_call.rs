//! The staff call ("呼叫工作人员") between kiosk and central: a resident at a kiosk asks for a
//! person, township staff see the open calls and acknowledge them, the kiosk tells the resident
//! that someone is coming. A call names the kiosk and the screen, never the resident.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Longest screen name a kiosk may send.
pub const MAX_SCREEN_CHARS: usize = 32;

/// `POST /v1/kiosk/help-calls`: which screen the resident is on. Nothing else is accepted, so no
/// personal data can travel with a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaiseHelpCall {
    /// The screen's name, e.g. `certify_face` (1–32 characters of a–z _ -, starting with a
    /// letter; no digits, so no number can travel in it).
    pub screen: String,
}

/// Whether `s` is an acceptable screen name: 1–[`MAX_SCREEN_CHARS`] characters of a–z, `_` and
/// `-`, starting with a letter. No digits: an ID or phone number cannot hide in it.
pub fn valid_screen(s: &str) -> bool {
    s.len() <= MAX_SCREEN_CHARS
        && s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
}

/// One staff call as central keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpCall {
    /// Id of the call (a UUID).
    pub call_id: String,
    /// The kiosk the call came from.
    pub kiosk_id: String,
    /// The township the kiosk stands in.
    pub township: String,
    /// The screen the resident was on.
    pub screen: String,
    /// When central received the call: the resident has been waiting since then.
    pub raised_at: DateTime<Utc>,
    /// When a staff member acknowledged it (`None` while open).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it (`staff:<account>`).
    pub acknowledged_by: Option<String>,
}

impl HelpCall {
    /// Whether someone has acknowledged the call.
    pub fn acknowledged(&self) -> bool {
        self.acknowledged_at.is_some()
    }

    /// Whole seconds the resident has been waiting at `now` (0 if the clocks disagree).
    pub fn waiting_secs(&self, now: DateTime<Utc>) -> i64 {
        (now - self.raised_at).num_seconds().max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_names() {
        for ok in ["home", "certify_face", "apply-members", "a"] {
            assert!(valid_screen(ok), "{ok}");
        }
        for bad in [
            "",
            "Home",
            "陈某某",
            "110101199003077777",
            "x110101199003077777",
            "apply-step-3",
            "_home",
            "a b",
            "x/../y",
            &"a".repeat(33),
        ] {
            assert!(!valid_screen(bad), "{bad}");
        }
    }

    #[test]
    fn no_unknown_fields() {
        let r: Result<RaiseHelpCall, _> =
            serde_json::from_str(r#"{"screen":"home","name":"陈某"}"#);
        assert!(r.is_err());
    }
}
