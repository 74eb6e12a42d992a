//! `jiuzhu-kiosk id check <number>`: validates a GB 11643 identity number.

use clap::Subcommand;
use jiuzhu_core::id::IdNumber;

/// Identity-number tools.
#[derive(Debug, Subcommand)]
pub enum IdCmd {
    /// Check a number: prints the masked number, birth date and gender (exit 0), or why it is
    /// invalid (exit 2).
    Check {
        /// The 18-character (or legacy 15-digit) number.
        number: String,
    },
}

/// Runs an `id` subcommand and returns the process exit code.
pub fn run(cmd: IdCmd) -> anyhow::Result<i32> {
    match cmd {
        IdCmd::Check { number } => match IdNumber::parse(&number) {
            Ok(id) => {
                println!("有效 valid: {}", id.masked());
                println!("出生日期 birth date: {}", id.birth_date());
                println!(
                    "性别 gender: {} ({})",
                    id.gender().label_zh(),
                    id.gender().label_en()
                );
                println!("地区代码 region: {}", id.region_code());
                if number.trim().chars().count() == 15 {
                    println!("(converted from a legacy 15-digit number)");
                }
                Ok(0)
            }
            Err(e) => {
                println!("无效 invalid: {e}");
                Ok(2)
            }
        },
    }
}
