//! Freeze-when-stale: how long the kiosk has gone without reaching the central service, and what
//! that allows. Staff are warned after `warn_after`; new certifications are refused after
//! `freeze_after`, because a certification issued offline for too long could certify someone the
//! district has since stopped or who died (MOSIP's registration client freezes the same way).

use std::time::Duration;

use crate::store::UnixMillis;

/// Limits, from `[central] stale_warn_hours` and `offline_freeze_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StalenessPolicy {
    /// Warn staff after this long without contact.
    pub warn_after: Duration,
    /// Refuse new certifications after this long without contact.
    pub freeze_after: Duration,
}

impl StalenessPolicy {
    /// From the configuration's hours and days.
    pub fn from_config(stale_warn_hours: u64, offline_freeze_days: u64) -> Self {
        StalenessPolicy {
            warn_after: Duration::from_secs(stale_warn_hours * 3600),
            freeze_after: Duration::from_secs(offline_freeze_days * 86_400),
        }
    }
}

/// The kiosk's connection freshness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// In contact recently enough.
    Fresh,
    /// Staff should be told; everything still works.
    Warn {
        /// Time since the last contact (or since the store was created, if never).
        offline_for: Duration,
    },
    /// New certifications are refused.
    Frozen {
        /// Time since the last contact.
        offline_for: Duration,
    },
}

/// Assesses freshness. `last_contact` is `None` when the kiosk never reached central; then the
/// clock runs from `since_start` (when the store was created).
pub fn assess(
    policy: &StalenessPolicy,
    last_contact: Option<UnixMillis>,
    since_start: UnixMillis,
    now: UnixMillis,
) -> Freshness {
    let from = last_contact.unwrap_or(since_start);
    let offline_for = Duration::from_millis(now.saturating_sub(from).max(0) as u64);
    if offline_for >= policy.freeze_after {
        Freshness::Frozen { offline_for }
    } else if offline_for >= policy.warn_after {
        Freshness::Warn { offline_for }
    } else {
        Freshness::Fresh
    }
}

/// Why a new certification is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "本机已 {days} 天未连接区民政局服务器（上限 {limit_days} 天），暂停新的待遇资格认证，以免认证已停发或已变更的对象。请工作人员检查网络，联网同步后即可恢复。 \
     This kiosk has not reached the district server for {days} days (limit {limit_days}); new certifications are paused so no one is certified on stale data. Staff: restore the network; certification resumes after the next sync."
)]
pub struct CertificationFrozen {
    /// Whole days offline.
    pub days: u64,
    /// The configured limit in days.
    pub limit_days: u64,
}

impl Freshness {
    /// Whether a new certification may start; the error is the message to show.
    pub fn allow_certification(&self, policy: &StalenessPolicy) -> Result<(), CertificationFrozen> {
        match self {
            Freshness::Frozen { offline_for } => Err(CertificationFrozen {
                days: offline_for.as_secs() / 86_400,
                limit_days: policy.freeze_after.as_secs() / 86_400,
            }),
            _ => Ok(()),
        }
    }

    /// The warning for staff, if any.
    pub fn staff_warning(&self) -> Option<String> {
        match self {
            Freshness::Fresh => None,
            Freshness::Warn { offline_for } | Freshness::Frozen { offline_for } => Some(format!(
                "已 {} 小时未与服务器同步 / no sync for {} hours: check the network; records are kept safely on this kiosk until it reconnects",
                offline_for.as_secs() / 3600,
                offline_for.as_secs() / 3600
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const H: i64 = 3_600_000;

    #[rstest]
    #[case(Some(0), 23 * H, "fresh")]
    #[case(Some(0), 24 * H, "warn")]
    #[case(Some(0), 7 * 24 * H - 1, "warn")]
    #[case(Some(0), 7 * 24 * H, "frozen")]
    #[case(None, 2 * H, "fresh")]
    #[case(None, 8 * 24 * H, "frozen")]
    #[case(Some(10 * H), 0, "fresh")]
    fn thresholds(#[case] last: Option<i64>, #[case] now: i64, #[case] want: &str) {
        let p = StalenessPolicy::from_config(24, 7);
        let f = assess(&p, last, 0, now);
        let got = match f {
            Freshness::Fresh => "fresh",
            Freshness::Warn { .. } => "warn",
            Freshness::Frozen { .. } => "frozen",
        };
        assert_eq!(got, want);
        assert_eq!(f.allow_certification(&p).is_err(), want == "frozen");
        assert_eq!(f.staff_warning().is_some(), want != "fresh");
    }

    #[test]
    fn frozen_message_says_why() {
        let p = StalenessPolicy::from_config(24, 7);
        let e = assess(&p, Some(0), 0, 9 * 24 * H)
            .allow_certification(&p)
            .unwrap_err();
        assert_eq!((e.days, e.limit_days), (9, 7));
        let m = e.to_string();
        assert!(
            m.contains("9 天") && m.contains("上限 7 天") && m.contains("restore the network"),
            "{m}"
        );
    }
}
