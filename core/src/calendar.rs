//! The working-day calendar (工作日) of the State Council's yearly holiday notices.
//!
//! Weekends are days off except announced make-up working days (调休上班); announced holiday
//! ranges are days off. The table ships in `core/data/holidays.toml` and a newer one can be
//! loaded from a file at run time. For a year with no published notice the calendar falls back
//! to "Monday to Friday" and **flags** every answer that relied on that guess
//! ([`Answer::unpublished_years`]), so a deadline is never silently guessed.
//!
//! Convention for the seed's "within N working days of day D" (e.g. 受理 within 2 working days
//! of receiving the application): the deadline is the Nth working day after D, D itself not
//! counted ([`Calendar::add_working_days`]). [`Calendar::working_days_between`] counts working
//! days in the half-open range (from, to].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

const BUILTIN: &str = include_str!("../data/holidays.toml");

/// Errors in a holiday table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not valid TOML of the expected shape.
    #[error("the holiday table is not valid: {0}")]
    Format(String),
    /// A range that ends before it starts.
    #[error("{year} {holiday}: the range {first}..{last} ends before it starts")]
    Range {
        /// Notice year.
        year: i32,
        /// Holiday name.
        holiday: String,
        /// First day.
        first: NaiveDate,
        /// Last day.
        last: NaiveDate,
    },
    /// An `off` range needs exactly two dates.
    #[error("{year} {holiday}: `off` must be [first, last], found {count} dates")]
    RangeShape {
        /// Notice year.
        year: i32,
        /// Holiday name.
        holiday: String,
        /// Number of dates found.
        count: usize,
    },
    /// A make-up working day that is not a weekend day.
    #[error(
        "{year} {holiday}: make-up working day {date} is a {weekday}, but make-up days fall on weekends"
    )]
    MakeUpNotWeekend {
        /// Notice year.
        year: i32,
        /// Holiday name.
        holiday: String,
        /// The date.
        date: NaiveDate,
        /// Its weekday.
        weekday: Weekday,
    },
    /// A date listed both as off and as a working day.
    #[error("{date} is listed both as a day off and as a make-up working day")]
    Conflict {
        /// The date.
        date: NaiveDate,
    },
    /// The same year twice.
    #[error("the notice for {0} appears twice")]
    DuplicateYear(i32),
}

#[derive(Debug, Deserialize)]
struct TableFile {
    year: Vec<YearEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearEntry {
    year: i32,
    notice: String,
    holidays: Vec<HolidayEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    off: Vec<NaiveDate>,
    #[serde(default)]
    work: Vec<NaiveDate>,
}

/// What kind of day a date is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DayKind {
    /// Monday–Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not a make-up day.
    Weekend,
    /// An announced day off.
    Holiday(String),
    /// An announced make-up working day on a weekend.
    MakeUpWorkday(String),
}

/// An answer together with the years whose notice was missing when it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer<T> {
    /// The value.
    pub value: T,
    /// Years that had no published notice: for them only weekends were taken as days off.
    pub unpublished_years: BTreeSet<i32>,
}

impl<T> Answer<T> {
    /// True when every date involved lies in a year with a published notice.
    pub fn is_certain(&self) -> bool {
        self.unpublished_years.is_empty()
    }

    /// Transforms the value, keeping the flags.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Answer<U> {
        Answer {
            value: f(self.value),
            unpublished_years: self.unpublished_years,
        }
    }
}

/// The holiday table and the arithmetic over it.
///
/// A date is *certain* when its year has a published notice or when some notice lists it (the
/// 2023 notice's 元旦 begins on 2022-12-31, for instance); every other date is counted by weekday
/// alone and its year is reported in [`Answer::unpublished_years`].
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    notices: BTreeMap<i32, String>,
    /// Day off → (notice year, holiday name).
    off: BTreeMap<NaiveDate, (i32, String)>,
    /// Make-up working day → (notice year, holiday name).
    work: BTreeMap<NaiveDate, (i32, String)>,
}

impl Calendar {
    /// The table compiled into this build (2023–2026).
    pub fn builtin() -> Calendar {
        Calendar::from_toml_str(BUILTIN).expect("the built-in holiday table is valid")
    }

    /// Parses and validates a table in the format of `core/data/holidays.toml`.
    pub fn from_toml_str(s: &str) -> Result<Calendar, CalendarError> {
        let file: TableFile =
            toml::from_str(s).map_err(|e| CalendarError::Format(e.to_string()))?;
        let mut cal = Calendar::default();
        for y in file.year {
            if cal.notices.insert(y.year, y.notice).is_some() {
                return Err(CalendarError::DuplicateYear(y.year));
            }
            for h in y.holidays {
                let [first, last] = h.off[..] else {
                    return Err(CalendarError::RangeShape {
                        year: y.year,
                        holiday: h.name,
                        count: h.off.len(),
                    });
                };
                if last < first {
                    return Err(CalendarError::Range {
                        year: y.year,
                        holiday: h.name,
                        first,
                        last,
                    });
                }
                for d in first.iter_days().take_while(|d| *d <= last) {
                    cal.off.insert(d, (y.year, h.name.clone()));
                }
                for d in h.work {
                    if !is_weekend(d) {
                        return Err(CalendarError::MakeUpNotWeekend {
                            year: y.year,
                            holiday: h.name,
                            date: d,
                            weekday: d.weekday(),
                        });
                    }
                    cal.work.insert(d, (y.year, h.name.clone()));
                }
            }
        }
        if let Some(d) = cal.off.keys().find(|d| cal.work.contains_key(d)) {
            return Err(CalendarError::Conflict { date: *d });
        }
        Ok(cal)
    }

    /// Adds the notices of `newer` to this table; a year present in both takes `newer`'s data.
    pub fn merge(&mut self, newer: Calendar) {
        let years: BTreeSet<i32> = newer.notices.keys().copied().collect();
        self.off.retain(|_, (y, _)| !years.contains(y));
        self.work.retain(|_, (y, _)| !years.contains(y));
        self.notices.extend(newer.notices);
        self.off.extend(newer.off);
        self.work.extend(newer.work);
    }

    /// The years with a published notice, and the notice's title.
    pub fn published_years(&self) -> impl Iterator<Item = (i32, &str)> {
        self.notices.iter().map(|(y, n)| (*y, n.as_str()))
    }

    /// Whether the notice for `year` is in the table.
    pub fn is_published(&self, year: i32) -> bool {
        self.notices.contains_key(&year)
    }

    /// What kind of day `d` is (from the table, or by weekday for unpublished years).
    pub fn day_kind(&self, d: NaiveDate) -> DayKind {
        if let Some((_, name)) = self.off.get(&d) {
            DayKind::Holiday(name.clone())
        } else if let Some((_, name)) = self.work.get(&d) {
            DayKind::MakeUpWorkday(name.clone())
        } else if is_weekend(d) {
            DayKind::Weekend
        } else {
            DayKind::Workday
        }
    }

    /// Whether `d` is covered by a notice (its year is published, or a notice lists it).
    pub fn is_certain(&self, d: NaiveDate) -> bool {
        self.is_published(d.year()) || self.off.contains_key(&d) || self.work.contains_key(&d)
    }

    fn working(&self, d: NaiveDate, unpublished: &mut BTreeSet<i32>) -> bool {
        if !self.is_certain(d) {
            unpublished.insert(d.year());
        }
        matches!(
            self.day_kind(d),
            DayKind::Workday | DayKind::MakeUpWorkday(_)
        )
    }

    /// Whether `d` is a working day.
    pub fn is_working_day(&self, d: NaiveDate) -> Answer<bool> {
        let mut unpublished = BTreeSet::new();
        let value = self.working(d, &mut unpublished);
        Answer {
            value,
            unpublished_years: unpublished,
        }
    }

    /// The `n`th working day after `d` (`d` itself not counted). `n = 0` gives `d`.
    ///
    /// Costs O(years spanned · log days), not O(days): the count over a range is closed-form
    /// ([`Calendar::working_days_between`]) and the answer is found by doubling then bisecting.
    /// A deadline beyond the last representable date (year 262143) saturates at
    /// [`NaiveDate::MAX`]; use [`Calendar::checked_add_working_days`] to be told instead.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> Answer<NaiveDate> {
        self.checked_add_working_days(d, n)
            .unwrap_or_else(|| self.span_answer(d, NaiveDate::MAX, NaiveDate::MAX))
    }

    /// As [`Calendar::add_working_days`], `None` when the answer lies beyond [`NaiveDate::MAX`]
    /// (or the table leaves too few working days before it).
    pub fn checked_add_working_days(&self, d: NaiveDate, n: u32) -> Option<Answer<NaiveDate>> {
        if n == 0 {
            return Some(Answer {
                value: d,
                unpublished_years: BTreeSet::new(),
            });
        }
        let count = |to: NaiveDate| self.count_working(d, to);
        // Doubling: a span that surely holds n working days (a week holds at least one outside
        // long holidays; the table is finite, so the doubling ends).
        let mut span: i64 = i64::from(n).saturating_mul(2).saturating_add(14);
        let mut hi = loop {
            let candidate = add_days(d, span).unwrap_or(NaiveDate::MAX);
            if count(candidate) >= i64::from(n) {
                break candidate;
            }
            if candidate == NaiveDate::MAX {
                return None;
            }
            span = span.saturating_mul(2);
        };
        // Bisection on (lo, hi]: the smallest day whose count reaches n is the nth working day.
        let mut lo = d;
        while (hi - lo).num_days() > 1 {
            let mid = add_days(lo, (hi - lo).num_days() / 2)?;
            if count(mid) >= i64::from(n) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(self.span_answer(d, hi, hi))
    }

    /// `value` with the unpublished years of the days in (from, to].
    fn span_answer<T>(&self, from: NaiveDate, to: NaiveDate, value: T) -> Answer<T> {
        Answer {
            value,
            unpublished_years: self.unpublished_in(from, to),
        }
    }

    /// The number of working days in (from, to]; zero when `to <= from`. O(years spanned).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> Answer<u32> {
        if to <= from {
            return Answer {
                value: 0,
                unpublished_years: BTreeSet::new(),
            };
        }
        let n = self.count_working(from, to);
        self.span_answer(from, to, u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// Working days in (from, to] (0 when `to <= from`): weekdays in closed form, corrected by
    /// the table's days off on weekdays and make-up days on weekends inside the range.
    fn count_working(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to <= from {
            return 0;
        }
        let after = |d: NaiveDate| (std::ops::Bound::Excluded(d), std::ops::Bound::Included(to));
        let off_weekdays = self
            .off
            .range(after(from))
            .filter(|(d, _)| !is_weekend(**d))
            .count();
        let work_weekends = self
            .work
            .range(after(from))
            .filter(|(d, _)| is_weekend(**d) && !self.off.contains_key(*d))
            .count();
        weekdays_through(to) - weekdays_through(from) - off_weekdays as i64 + work_weekends as i64
    }

    /// Years with days in (from, to] that no notice covers.
    fn unpublished_in(&self, from: NaiveDate, to: NaiveDate) -> BTreeSet<i32> {
        let mut years = BTreeSet::new();
        if to <= from {
            return years;
        }
        for y in from.year()..=to.year() {
            if self.is_published(y) {
                continue;
            }
            let first = match NaiveDate::from_ymd_opt(y, 1, 1) {
                Some(f) if f > from => f,
                _ => match from.succ_opt() {
                    Some(f) => f,
                    None => continue,
                },
            };
            let last = match NaiveDate::from_ymd_opt(y, 12, 31) {
                Some(l) if l < to => l,
                _ => to,
            };
            if last < first {
                continue;
            }
            let days = (last - first).num_days() + 1;
            let listed = self.off.range(first..=last).count()
                + self
                    .work
                    .range(first..=last)
                    .filter(|(d, _)| !self.off.contains_key(*d))
                    .count();
            if (listed as i64) < days {
                years.insert(y);
            }
        }
        years
    }
}

impl Calendar {
    /// The first working day on or after `d` (O(years spanned), like
    /// [`Calendar::add_working_days`]).
    pub fn working_day_on_or_after(&self, d: NaiveDate) -> Answer<NaiveDate> {
        let mut unpublished = BTreeSet::new();
        if self.working(d, &mut unpublished) {
            return Answer {
                value: d,
                unpublished_years: unpublished,
            };
        }
        let mut a = self.add_working_days(d, 1);
        a.unpublished_years.extend(unpublished);
        a
    }
}

/// `d` plus `n` days (`n` ≥ 0), `None` past [`NaiveDate::MAX`].
fn add_days(d: NaiveDate, n: i64) -> Option<NaiveDate> {
    d.checked_add_days(Days::new(u64::try_from(n).ok()?))
}

/// Monday–Friday days from a fixed Monday up to and including `d` (a difference of two values
/// counts the weekdays between them). 0001-01-01, day 1 of the common era, is a Monday.
fn weekdays_through(d: NaiveDate) -> i64 {
    let k = i64::from(d.num_days_from_ce());
    5 * k.div_euclid(7) + k.rem_euclid(7).min(5)
}

/// `n` calendar days after `d` (for periods the seed counts in calendar days, such as the 7-day
/// 公示). As with working days, `d` itself is not counted: a period of `n` days that begins after
/// `d` ends on `add_calendar_days(d, n)`.
pub fn add_calendar_days(d: NaiveDate, n: u32) -> NaiveDate {
    d + Days::new(u64::from(n))
}

/// The number of calendar days in (from, to]; zero when `to <= from`.
pub fn calendar_days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from((to - from).num_days().max(0)).unwrap_or(u32::MAX)
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest]
    #[case("2026-02-14", true)] // Saturday, make-up day before 春节
    #[case("2026-02-15", false)] // 春节
    #[case("2026-02-23", false)] // last day of 春节
    #[case("2026-02-24", true)]
    #[case("2026-02-28", true)] // Saturday, make-up day
    #[case("2026-03-01", false)] // plain Sunday
    #[case("2026-09-20", true)] // Sunday, make-up day before 国庆
    #[case("2026-10-07", false)]
    #[case("2026-10-10", true)] // Saturday, make-up day
    #[case("2025-01-26", true)]
    #[case("2025-10-08", false)]
    #[case("2024-02-18", true)]
    #[case("2023-10-08", true)]
    #[case("2022-12-31", false)] // 2023 元旦 begins on a 2022 Saturday
    fn working_days(#[case] date: &str, #[case] working: bool) {
        let cal = Calendar::builtin();
        assert_eq!(cal.is_working_day(d(date)).value, working, "{date}");
    }

    #[rstest]
    // 受理 within 2 working days of an application made on the Friday before 春节 2026:
    // Sat 2/14 is a make-up day (1), then 2/15–2/23 are off, Tue 2/24 is the 2nd.
    #[case("2026-02-13", 2, "2026-02-24")]
    // Across 国庆 2026: Wed 9/30 + 1 → 10/8 (Thu); + 2 → 10/9; +3 → Sat 10/10 (make-up day).
    #[case("2026-09-30", 1, "2026-10-08")]
    #[case("2026-09-30", 3, "2026-10-10")]
    // Friday 9/18 + 1 → Sunday 9/20, a make-up day.
    #[case("2026-09-18", 1, "2026-09-20")]
    // Across 春节 2025: Fri 1/24 + 1 → Sun 1/26 (make-up), + 2 → Mon 1/27, + 3 → Wed 2/5.
    #[case("2025-01-24", 3, "2025-02-05")]
    #[case("2026-03-02", 0, "2026-03-02")]
    fn deadlines_cross_holidays(#[case] from: &str, #[case] n: u32, #[case] due: &str) {
        let cal = Calendar::builtin();
        let a = cal.add_working_days(d(from), n);
        assert_eq!(a.value, d(due));
        assert!(a.is_certain());
    }

    #[rstest]
    // 2/14 (make-up), 2/24–2/27, 2/28 (make-up), 3/2; 2/15–2/23 and Sunday 3/1 are off.
    #[case("2026-02-13", "2026-03-02", 7)]
    #[case("2026-09-30", "2026-10-10", 3)]
    #[case("2026-10-10", "2026-09-30", 0)]
    fn counting_working_days(#[case] from: &str, #[case] to: &str, #[case] n: u32) {
        let cal = Calendar::builtin();
        assert_eq!(cal.working_days_between(d(from), d(to)).value, n);
    }

    #[test]
    fn twenty_working_days_are_consistent_with_counting() {
        let cal = Calendar::builtin();
        for start in d("2023-01-01").iter_days().take(365 * 4 - 40) {
            let due = cal.add_working_days(start, 20).value;
            assert_eq!(cal.working_days_between(start, due).value, 20, "{start}");
        }
    }

    #[test]
    fn unpublished_years_are_flagged_not_guessed_silently() {
        let cal = Calendar::builtin();
        let a = cal.add_working_days(d("2026-12-24"), 10);
        assert!(!a.is_certain());
        assert_eq!(a.unpublished_years, BTreeSet::from([2027]));
        // The weekend-only fallback: 12/25 Fri … into January 2027.
        assert_eq!(a.value, d("2027-01-07"));
        assert!(!cal.is_working_day(d("2027-05-01")).is_certain());
        assert!(cal.is_working_day(d("2026-05-01")).is_certain());
    }

    #[test]
    fn a_date_listed_by_a_notice_is_certain_outside_its_year() {
        let cal = Calendar::builtin();
        let a = cal.is_working_day(d("2022-12-31"));
        assert!(a.is_certain());
        assert!(!a.value);
        assert!(!cal.is_working_day(d("2022-12-30")).is_certain());
    }

    #[rstest]
    #[case("2026-02-15", "2026-02-24")]
    #[case("2026-02-14", "2026-02-14")]
    #[case("2025-10-04", "2025-10-09")]
    #[case("2026-03-01", "2026-03-02")]
    fn first_working_day_on_or_after(#[case] from: &str, #[case] due: &str) {
        let cal = Calendar::builtin();
        assert_eq!(cal.working_day_on_or_after(d(from)).value, d(due));
    }

    /// The day-by-day walk the calendar used before (the reference for the closed form).
    fn walk_add(cal: &Calendar, d: NaiveDate, n: u32) -> Answer<NaiveDate> {
        let mut unpublished = BTreeSet::new();
        let (mut day, mut left) = (d, n);
        while left > 0 {
            day = day + Days::new(1);
            if cal.working(day, &mut unpublished) {
                left -= 1;
            }
        }
        Answer {
            value: day,
            unpublished_years: unpublished,
        }
    }

    fn walk_between(cal: &Calendar, from: NaiveDate, to: NaiveDate) -> Answer<u32> {
        let mut unpublished = BTreeSet::new();
        let (mut day, mut count) = (from, 0);
        while day < to {
            day = day + Days::new(1);
            if cal.working(day, &mut unpublished) {
                count += 1;
            }
        }
        Answer {
            value: count,
            unpublished_years: unpublished,
        }
    }

    proptest::proptest! {
        #[test]
        fn closed_form_agrees_with_the_day_by_day_walk(
            start in 0i64..(365 * 8),
            n in 0u32..400,
            len in 0i64..900,
        ) {
            let cal = Calendar::builtin();
            let from = d("2021-06-01") + Days::new(start as u64);
            proptest::prop_assert_eq!(cal.add_working_days(from, n), walk_add(&cal, from, n));
            let to = from + Days::new(len as u64);
            proptest::prop_assert_eq!(cal.working_days_between(from, to), walk_between(&cal, from, to));
            proptest::prop_assert_eq!(cal.working_days_between(to, from).value, 0);
        }
    }

    #[test]
    fn far_dates_cost_years_not_days() {
        let cal = Calendar::builtin();
        // 9999-12-31 and the last date chrono can hold: answered at once, flagged unpublished.
        let far = d("9999-12-31");
        let n = cal.working_days_between(d("2026-03-02"), far);
        assert!(n.value > 2_000_000, "{}", n.value);
        assert!(n.unpublished_years.contains(&9999) && !n.unpublished_years.contains(&2026));
        let back = cal.add_working_days(d("2026-03-02"), n.value);
        assert_eq!(back.value, far, "9999-12-31 is a Friday");
        let max = cal
            .working_days_between(d("2026-03-02"), NaiveDate::MAX)
            .value;
        assert!(max > 60_000_000, "{max}");
        assert_eq!(
            cal.checked_add_working_days(d("2026-03-02"), u32::MAX),
            None
        );
        assert_eq!(
            cal.add_working_days(d("2026-03-02"), u32::MAX).value,
            NaiveDate::MAX
        );
        assert!(cal.working_day_on_or_after(NaiveDate::MIN).value >= NaiveDate::MIN);
    }

    #[test]
    fn calendar_day_helpers() {
        assert_eq!(add_calendar_days(d("2026-02-12"), 7), d("2026-02-19"));
        assert_eq!(calendar_days_between(d("2026-02-12"), d("2026-02-19")), 7);
        assert_eq!(calendar_days_between(d("2026-02-19"), d("2026-02-12")), 0);
    }

    #[test]
    fn merging_a_year_replaces_its_whole_notice() {
        let mut cal = Calendar::builtin();
        let newer = Calendar::from_toml_str(
            r#"
            [[year]]
            year = 2023
            notice = "corrected"
            holidays = [ { name = "元旦", off = ["2023-01-02", "2023-01-02"] } ]
            "#,
        )
        .unwrap();
        cal.merge(newer);
        // 2022-12-31 came from the replaced 2023 notice and is no longer listed.
        assert!(!cal.is_certain(d("2022-12-31")));
        assert!(!cal.is_working_day(d("2023-01-28")).value);
    }

    #[test]
    fn an_updated_table_loads_without_rebuilding() {
        let mut cal = Calendar::builtin();
        let newer = Calendar::from_toml_str(
            r#"
            [[year]]
            year = 2027
            notice = "test notice"
            holidays = [ { name = "元旦", off = ["2027-01-01", "2027-01-03"], work = [] } ]
            "#,
        )
        .unwrap();
        cal.merge(newer);
        assert!(cal.is_published(2027));
        assert!(cal.is_published(2026));
        let a = cal.is_working_day(d("2027-01-01"));
        assert!(a.is_certain());
        assert!(!a.value);
        assert_eq!(
            cal.day_kind(d("2027-01-01")),
            DayKind::Holiday("元旦".into())
        );
    }

    #[rstest]
    #[case("not toml [[", "not valid")]
    #[case(
        "[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = [ { name = \"x\", off = [\"2027-01-03\", \"2027-01-01\"] } ]",
        "ends before it starts"
    )]
    #[case(
        "[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = [ { name = \"x\", off = [\"2027-01-01\"] } ]",
        "must be [first, last]"
    )]
    #[case(
        "[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = [ { name = \"x\", off = [\"2027-01-01\", \"2027-01-01\"], work = [\"2027-01-05\"] } ]",
        "fall on weekends"
    )]
    #[case(
        "[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = [ { name = \"x\", off = [\"2027-01-02\", \"2027-01-03\"], work = [\"2027-01-02\"] } ]",
        "both as a day off"
    )]
    #[case(
        "[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = []\n[[year]]\nyear = 2027\nnotice = \"n\"\nholidays = []",
        "appears twice"
    )]
    fn bad_tables_are_rejected_with_reasons(#[case] text: &str, #[case] reason: &str) {
        let e = Calendar::from_toml_str(text).unwrap_err().to_string();
        assert!(e.contains(reason), "{e}");
    }
}
