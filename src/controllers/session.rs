//! Session safety: an inactivity warning with a one-tap 继续 well before the reset
//! (WCAG 2.2 2.2.1: warned ≥ 20 s ahead), and a reset that the caller must carry out by wiping
//! every personal field.

use std::time::{Duration, Instant};

/// Time without a touch before the warning appears, and how long the warning stays before the
/// reset. The warning lasts at least [`MIN_WARNING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimeouts {
    /// Idle time before the warning.
    pub idle_before_warning: Duration,
    /// How long the warning is shown before the reset.
    pub warning: Duration,
}

/// The shortest warning allowed: a resident gets at least this long to tap 继续.
pub const MIN_WARNING: Duration = Duration::from_secs(20);

/// Why a set of timeouts is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The warning would be shorter than [`MIN_WARNING`].
    #[error(
        "the inactivity warning lasts {0:?}; it must last at least 20 s so a resident can tap 继续"
    )]
    WarningTooShort(Duration),
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        Self {
            idle_before_warning: Duration::from_secs(90),
            warning: Duration::from_secs(30),
        }
    }
}

impl SessionTimeouts {
    /// A logged-in staff member's timeouts: shorter than a resident's (an unattended kiosk must
    /// not stay logged in to the township's cases), still with the full 20 s warning.
    pub fn staff() -> Self {
        Self {
            idle_before_warning: Duration::from_secs(40),
            warning: MIN_WARNING,
        }
    }

    /// The whole time from the last touch to the reset.
    pub fn total(self) -> Duration {
        self.idle_before_warning + self.warning
    }

    /// Checks that the warning is long enough.
    pub fn validate(self) -> Result<Self, SessionError> {
        if self.warning < MIN_WARNING {
            return Err(SessionError::WarningTooShort(self.warning));
        }
        Ok(self)
    }
}

/// What the session looks like at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPhase {
    /// Nobody is being served (home screen, nothing personal shown).
    Idle,
    /// A resident is being served.
    Active,
    /// The warning is up; this many whole seconds remain before the reset.
    Warning {
        /// Seconds left, rounded up.
        seconds_left: u64,
    },
}

/// What the caller must do after a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEffect {
    /// Show (or update) the warning with a 继续 button.
    ShowWarning {
        /// Seconds left, rounded up.
        seconds_left: u64,
    },
    /// Hide the warning.
    HideWarning,
    /// Wipe every personal field from the UI and every controller, and go home.
    Reset,
}

/// The inactivity clock of one kiosk. Time is passed in, never read.
#[derive(Debug, Clone)]
pub struct SessionController {
    timeouts: SessionTimeouts,
    resident: SessionTimeouts,
    staff: SessionTimeouts,
    last_activity: Option<Instant>,
    warning_shown: bool,
}

impl SessionController {
    /// A controller with validated timeouts, idle.
    pub fn new(timeouts: SessionTimeouts) -> Result<Self, SessionError> {
        let resident = timeouts.validate()?;
        Ok(Self {
            timeouts: resident,
            resident,
            // Never longer than the resident's.
            staff: if SessionTimeouts::staff().total() < resident.total() {
                SessionTimeouts::staff()
            } else {
                resident
            },
            last_activity: None,
            warning_shown: false,
        })
    }

    /// A staff member logged in: the shorter staff timeouts apply until the session ends.
    pub fn staff_logged_in(&mut self, now: Instant) {
        self.timeouts = self.staff;
        self.begin(now);
    }

    /// The timeouts running now.
    pub fn timeouts(&self) -> SessionTimeouts {
        self.timeouts
    }

    /// A resident started something that shows personal data: the clock starts.
    pub fn begin(&mut self, now: Instant) {
        self.last_activity = Some(now);
        self.warning_shown = false;
    }

    /// Any touch, key or device event from the resident (including 继续).
    pub fn activity(&mut self, now: Instant) -> Option<SessionEffect> {
        self.last_activity?;
        self.last_activity = Some(now);
        if std::mem::take(&mut self.warning_shown) {
            Some(SessionEffect::HideWarning)
        } else {
            None
        }
    }

    /// The session ended normally (resident went home); nothing to time out.
    pub fn end(&mut self) {
        self.timeouts = self.resident;
        self.last_activity = None;
        self.warning_shown = false;
    }

    /// The phase at `now`.
    pub fn phase(&self, now: Instant) -> SessionPhase {
        let Some(last) = self.last_activity else {
            return SessionPhase::Idle;
        };
        let idle = now.saturating_duration_since(last);
        if idle < self.timeouts.idle_before_warning {
            return SessionPhase::Active;
        }
        let deadline = self.timeouts.idle_before_warning + self.timeouts.warning;
        let left = deadline.saturating_sub(idle);
        SessionPhase::Warning {
            seconds_left: left.as_millis().div_ceil(1000) as u64,
        }
    }

    /// Advances the clock; call about once a second.
    pub fn tick(&mut self, now: Instant) -> Option<SessionEffect> {
        match self.phase(now) {
            SessionPhase::Idle | SessionPhase::Active => None,
            SessionPhase::Warning { seconds_left: 0 } => {
                self.end();
                Some(SessionEffect::Reset)
            }
            SessionPhase::Warning { seconds_left } => {
                self.warning_shown = true;
                Some(SessionEffect::ShowWarning { seconds_left })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[rstest]
    #[case(19, false)]
    #[case(20, true)]
    #[case(45, true)]
    fn warning_must_last_twenty_seconds(#[case] warning: u64, #[case] ok: bool) {
        let t = SessionTimeouts {
            idle_before_warning: secs(60),
            warning: secs(warning),
        };
        assert_eq!(SessionController::new(t).is_ok(), ok);
    }

    #[rstest]
    #[case(0, None)]
    #[case(59, None)]
    #[case(60, Some(SessionEffect::ShowWarning { seconds_left: 30 }))]
    #[case(75, Some(SessionEffect::ShowWarning { seconds_left: 15 }))]
    #[case(89, Some(SessionEffect::ShowWarning { seconds_left: 1 }))]
    #[case(90, Some(SessionEffect::Reset))]
    #[case(500, Some(SessionEffect::Reset))]
    fn ticks_warn_then_reset(#[case] after: u64, #[case] expected: Option<SessionEffect>) {
        let t0 = Instant::now();
        let mut s = SessionController::new(SessionTimeouts {
            idle_before_warning: secs(60),
            warning: secs(30),
        })
        .unwrap();
        s.begin(t0);
        assert_eq!(s.tick(t0 + secs(after)), expected);
    }

    #[test]
    fn continue_hides_the_warning_and_restarts_the_clock() {
        let t0 = Instant::now();
        let mut s = SessionController::new(SessionTimeouts::default()).unwrap();
        s.begin(t0);
        assert!(matches!(
            s.tick(t0 + secs(100)),
            Some(SessionEffect::ShowWarning { .. })
        ));
        assert_eq!(s.activity(t0 + secs(110)), Some(SessionEffect::HideWarning));
        assert_eq!(s.activity(t0 + secs(111)), None);
        assert_eq!(s.tick(t0 + secs(150)), None);
        assert_eq!(s.phase(t0 + secs(150)), SessionPhase::Active);
    }

    #[test]
    fn staff_sessions_time_out_sooner_and_fall_back_after_the_reset() {
        let t0 = Instant::now();
        let mut s = SessionController::new(SessionTimeouts::default()).unwrap();
        assert!(
            SessionTimeouts::staff().validate().is_ok(),
            ">= 20 s warning"
        );
        assert!(SessionTimeouts::staff().total() < SessionTimeouts::default().total());
        s.staff_logged_in(t0);
        assert_eq!(s.timeouts(), SessionTimeouts::staff());
        let reset_at = t0 + SessionTimeouts::staff().total();
        assert_eq!(s.tick(reset_at), Some(SessionEffect::Reset));
        assert_eq!(s.timeouts(), SessionTimeouts::default());
        s.begin(t0);
        assert_eq!(s.tick(reset_at), None, "a resident is still active then");
    }

    #[test]
    fn staff_never_get_longer_than_residents() {
        let short = SessionTimeouts {
            idle_before_warning: secs(5),
            warning: secs(20),
        };
        let mut s = SessionController::new(short).unwrap();
        s.staff_logged_in(Instant::now());
        assert_eq!(s.timeouts(), short);
    }

    #[test]
    fn idle_kiosk_never_resets_and_reset_happens_once() {
        let t0 = Instant::now();
        let mut s = SessionController::new(SessionTimeouts::default()).unwrap();
        assert_eq!(s.tick(t0 + secs(10_000)), None);
        assert_eq!(s.activity(t0), None);
        s.begin(t0);
        assert_eq!(s.tick(t0 + secs(120)), Some(SessionEffect::Reset));
        assert_eq!(s.tick(t0 + secs(121)), None);
        assert_eq!(s.phase(t0 + secs(121)), SessionPhase::Idle);
    }
}
