//! Capture policy for the resident at the reader (anchors: Simprints' "try another finger" after
//! repeated poor scans; FIDO's throttling of biometric attempts).
//!
//! - 3 poor scans in a row → suggest another finger (the count starts over).
//! - 3 failed verifications in a row → block attempts for 30 s and offer the staff-assisted path;
//!   each further lockout doubles, up to 16 min. A successful verification resets everything.
//!
//! Pure: every method takes `now`, so callers inject the clock.

use std::time::{Duration, Instant};

/// Poor scans in a row before another finger is suggested.
pub const POOR_SCANS_BEFORE_OTHER_FINGER: u32 = 3;
/// Failed verifications in a row before a lockout.
pub const FAILURES_BEFORE_LOCKOUT: u32 = 3;
/// The first lockout.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(30);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(16 * 60);

/// What happened at the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// A scan was retryable-bad (poor image, too few features, moved).
    PoorScan,
    /// A scan was usable.
    GoodScan,
    /// A usable scan did not match the reference.
    VerifyFailed,
    /// A usable scan matched.
    Verified,
}

/// What the kiosk should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advice {
    /// Ask again as usual.
    TryAgain,
    /// Ask for another finger.
    SuggestOtherFinger,
    /// No attempts until `until`; show the staff-assisted path now.
    Locked {
        /// When attempts are allowed again.
        until: Instant,
        /// Offer help by staff (always true while locked).
        offer_staff: bool,
    },
    /// Done: verified.
    Done,
}

/// Counts attempts for one resident's session.
#[derive(Debug, Clone, Default)]
pub struct CapturePolicy {
    poor_in_row: u32,
    failed_in_row: u32,
    lockouts: u32,
    locked_until: Option<Instant>,
}

impl CapturePolicy {
    /// A fresh session.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Ok` when an attempt may start at `now`, else the remaining lockout.
    pub fn may_attempt(&self, now: Instant) -> Result<(), Duration> {
        match self.locked_until {
            Some(t) if now < t => Err(t - now),
            _ => Ok(()),
        }
    }

    /// Record an attempt's outcome and say what to do next.
    pub fn record(&mut self, attempt: Attempt, now: Instant) -> Advice {
        if let Some(until) = self.locked_until.filter(|t| now < *t) {
            return Advice::Locked {
                until,
                offer_staff: true,
            };
        }
        match attempt {
            Attempt::PoorScan => {
                self.poor_in_row += 1;
                if self.poor_in_row >= POOR_SCANS_BEFORE_OTHER_FINGER {
                    self.poor_in_row = 0;
                    Advice::SuggestOtherFinger
                } else {
                    Advice::TryAgain
                }
            }
            Attempt::GoodScan => {
                self.poor_in_row = 0;
                Advice::TryAgain
            }
            Attempt::VerifyFailed => {
                self.poor_in_row = 0;
                self.failed_in_row += 1;
                if self.failed_in_row >= FAILURES_BEFORE_LOCKOUT {
                    self.failed_in_row = 0;
                    let d = FIRST_LOCKOUT
                        .saturating_mul(1 << self.lockouts.min(10))
                        .min(MAX_LOCKOUT);
                    self.lockouts += 1;
                    let until = now + d;
                    self.locked_until = Some(until);
                    Advice::Locked {
                        until,
                        offer_staff: true,
                    }
                } else {
                    Advice::TryAgain
                }
            }
            Attempt::Verified => {
                *self = Self::default();
                Advice::Done
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn three_poor_scans_suggest_another_finger() {
        let t = Instant::now();
        let mut p = CapturePolicy::new();
        assert_eq!(p.record(Attempt::PoorScan, t), Advice::TryAgain);
        assert_eq!(p.record(Attempt::PoorScan, t), Advice::TryAgain);
        assert_eq!(p.record(Attempt::PoorScan, t), Advice::SuggestOtherFinger);
        assert_eq!(p.record(Attempt::PoorScan, t), Advice::TryAgain);
    }

    #[test]
    fn a_good_scan_breaks_the_poor_streak() {
        let t = Instant::now();
        let mut p = CapturePolicy::new();
        p.record(Attempt::PoorScan, t);
        p.record(Attempt::PoorScan, t);
        p.record(Attempt::GoodScan, t);
        assert_eq!(p.record(Attempt::PoorScan, t), Advice::TryAgain);
    }

    #[rstest]
    #[case(1, 30)]
    #[case(2, 60)]
    #[case(3, 120)]
    #[case(7, 960)]
    #[case(12, 960)]
    fn lockouts_grow(#[case] nth: u32, #[case] secs: u64) {
        let t0 = Instant::now();
        let mut p = CapturePolicy::new();
        let mut now = t0;
        let mut last = None;
        for _ in 0..nth {
            assert_eq!(p.record(Attempt::VerifyFailed, now), Advice::TryAgain);
            assert_eq!(p.record(Attempt::VerifyFailed, now), Advice::TryAgain);
            match p.record(Attempt::VerifyFailed, now) {
                Advice::Locked { until, offer_staff } => {
                    assert!(offer_staff);
                    last = Some(until - now);
                    assert_eq!(p.may_attempt(now), Err(until - now));
                    assert!(p.may_attempt(until - Duration::from_millis(1)).is_err());
                    assert_eq!(p.may_attempt(until), Ok(()));
                    now = until;
                }
                other => panic!("expected a lockout, got {other:?}"),
            }
        }
        assert_eq!(last, Some(Duration::from_secs(secs)));
    }

    #[test]
    fn attempts_during_a_lockout_stay_locked_and_success_resets() {
        let t = Instant::now();
        let mut p = CapturePolicy::new();
        for _ in 0..3 {
            p.record(Attempt::VerifyFailed, t);
        }
        assert!(matches!(
            p.record(Attempt::Verified, t + Duration::from_secs(5)),
            Advice::Locked { .. }
        ));
        let later = t + Duration::from_secs(30);
        assert_eq!(p.record(Attempt::Verified, later), Advice::Done);
        assert_eq!(p.record(Attempt::VerifyFailed, later), Advice::TryAgain);
        assert_eq!(p.may_attempt(later), Ok(()));
    }
}
