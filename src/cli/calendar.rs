//! `jiuzhu-kiosk calendar …`: working-day arithmetic on the State Council holiday table.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use jiuzhu_core::calendar::{Answer, Calendar};

/// Working-day calendar tools.
#[derive(Debug, Subcommand)]
pub enum CalendarCmd {
    /// The date `n` working days after `date` (the date itself not counted).
    AddWorkingDays {
        /// Start date, YYYY-MM-DD.
        date: NaiveDate,
        /// Number of working days.
        n: u32,
        /// An updated holiday table (TOML, as core/data/holidays.toml) to use on top of the built-in one.
        #[arg(long, value_name = "FILE")]
        table: Option<PathBuf>,
    },
    /// The number of working days after `from` up to and including `to`.
    WorkingDays {
        /// YYYY-MM-DD.
        from: NaiveDate,
        /// YYYY-MM-DD.
        to: NaiveDate,
        /// An updated holiday table (TOML).
        #[arg(long, value_name = "FILE")]
        table: Option<PathBuf>,
    },
}

fn load(table: Option<PathBuf>) -> anyhow::Result<Calendar> {
    let mut cal = Calendar::builtin();
    if let Some(path) = table {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the holiday table {}", path.display()))?;
        let newer =
            Calendar::from_toml_str(&text).with_context(|| format!("in {}", path.display()))?;
        cal.merge(newer);
    }
    Ok(cal)
}

fn flag<T>(answer: &Answer<T>) {
    if !answer.is_certain() {
        let years: Vec<String> = answer
            .unpublished_years
            .iter()
            .map(|y| y.to_string())
            .collect();
        eprintln!(
            "warning: no State Council holiday notice for {} in the table; only weekends were counted as days off there. \
             Load the notice with --table FILE.",
            years.join(", ")
        );
    }
}

/// Runs a `calendar` subcommand and returns the process exit code.
pub fn run(cmd: CalendarCmd) -> anyhow::Result<i32> {
    match cmd {
        CalendarCmd::AddWorkingDays { date, n, table } => {
            let cal = load(table)?;
            let a = cal.add_working_days(date, n);
            println!("{}", a.value);
            flag(&a);
        }
        CalendarCmd::WorkingDays { from, to, table } => {
            let cal = load(table)?;
            let a = cal.working_days_between(from, to);
            println!("{}", a.value);
            flag(&a);
        }
    }
    Ok(0)
}
