//! `jiuzhu-kiosk devices idcard read|status`: technician checks of a 二代证 SAM reader on a serial
//! port (`--port`, a simulator's pty included) or USB bulk (`--usb`). Personal fields print masked
//! unless `--unmasked` is given; photo and fingerprint bytes are never printed, only sizes.

use std::time::Duration;

use anyhow::bail;
use clap::{Args, Subcommand};
use jiuzhu_core::id::today_in_china;
use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_drivers_api::idcard::{IdCardError, IdCardReader, IdentityCard, ReaderStatus};
use jiuzhu_idcard::{DEFAULT_BAUD, ReaderConfig};
use serde_json::{Value, json};

/// Which reader and how to reach it.
#[derive(Debug, Args)]
pub struct IdcardArgs {
    /// Serial port of the reader, e.g. /dev/ttyUSB0 (or a simulator's pty).
    #[arg(long, conflicts_with = "usb", global = true)]
    port: Option<String>,
    /// Use the first connected vendor-bulk USB reader (0400:c35a).
    #[arg(long, global = true)]
    usb: bool,
    /// Serial baud rate.
    #[arg(long, default_value_t = DEFAULT_BAUD, global = true)]
    baud: u32,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: IdcardCmd,
}

/// ID-card reader actions.
#[derive(Debug, Subcommand)]
pub enum IdcardCmd {
    /// Wait for one card and print it (masked unless --unmasked).
    Read {
        /// Print name, number and address in full.
        #[arg(long)]
        unmasked: bool,
        /// Also read the card's fingerprint file (command 30 10).
        #[arg(long)]
        fingerprints: bool,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
    },
    /// Ask the SAM for its status.
    Status,
}

fn open(args: &IdcardArgs) -> anyhow::Result<Box<dyn IdCardReader>> {
    let cfg = ReaderConfig::default();
    Ok(match (&args.port, args.usb) {
        (Some(port), false) => Box::new(jiuzhu_idcard::open_serial(port, args.baud, cfg)?),
        (None, true) => Box::new(jiuzhu_idcard::open_usb(cfg)?),
        _ => bail!("say where the reader is: --port PATH (serial) or --usb"),
    })
}

/// Runs the command; the exit code is 0 on success, 1 when no card was read (timeout or a retry
/// the resident could fix), 3 on a reader fault.
pub fn run(args: IdcardArgs) -> anyhow::Result<i32> {
    let mut reader = open(&args)?;
    match args.cmd {
        IdcardCmd::Status => {
            let status = reader.status();
            let (ok, text) = match &status {
                Ok(ReaderStatus::Ready) => (true, "ready (SAM status 90)".to_string()),
                Ok(ReaderStatus::SamFault(code)) => (
                    false,
                    format!(
                        "SAM fault, status {code:#04x}: {}",
                        jiuzhu_idcard::proto::status_meaning(*code)
                    ),
                ),
                Err(e) => (false, e.to_string()),
            };
            if args.json {
                println!(
                    "{}",
                    json!({ "reader": reader.describe(), "ready": ok, "status": text })
                );
            } else {
                println!("reader: {}\nstatus: {text}", reader.describe());
            }
            Ok(if ok { 0 } else { 3 })
        }
        IdcardCmd::Read {
            unmasked,
            fingerprints,
            timeout,
        } => {
            reader.set_read_fingerprints(fingerprints);
            if !args.json {
                eprintln!(
                    "{}: place a card on the reader (waiting {timeout} s)…",
                    reader.describe()
                );
            }
            match reader.read_card(Duration::from_secs(timeout), &CancelToken::new()) {
                Ok(card) => {
                    if args.json {
                        println!("{}", card_json(&card, unmasked));
                    } else {
                        print!("{}", card_text(&card, unmasked));
                    }
                    Ok(0)
                }
                Err(e) => {
                    let code = if e.is_retry() { 1 } else { 3 };
                    if args.json {
                        println!(
                            "{}",
                            json!({ "error": e.to_string(), "retry": e.is_retry() })
                        );
                    } else {
                        eprintln!("{}", describe_error(&e));
                    }
                    Ok(code)
                }
            }
        }
    }
}

fn describe_error(e: &IdCardError) -> String {
    if e.is_retry() {
        format!("no card read: {e}")
    } else {
        format!("reader fault: {e}")
    }
}

/// The address cut to its first six characters (province + district), the rest as `*`.
fn mask_address(s: &str) -> String {
    let n = s.chars().count();
    let head: String = s.chars().take(6).collect();
    format!("{head}{}", "*".repeat(n.saturating_sub(6).min(8)))
}

struct Fields {
    name: String,
    number: String,
    address: String,
}

fn fields(card: &IdentityCard, unmasked: bool) -> Fields {
    if unmasked {
        Fields {
            name: card.name.as_unmasked_str().to_string(),
            number: card.number.as_unmasked_str().to_string(),
            address: card.address.as_unmasked_str().to_string(),
        }
    } else {
        Fields {
            name: card.name.masked(),
            number: card.number.masked(),
            address: mask_address(card.address.as_unmasked_str()),
        }
    }
}

fn card_text(card: &IdentityCard, unmasked: bool) -> String {
    let f = fields(card, unmasked);
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        if !v.is_empty() {
            out.push_str(&format!("{k:<13}{v}\n"));
        }
    };
    line("card", card.kind.label_zh());
    line("name", &f.name);
    if let Some(x) = &card.foreign {
        if let Some(cn) = &x.chinese_name {
            let cn = if unmasked {
                cn.as_unmasked_str().to_string()
            } else {
                cn.masked()
            };
            line("chinese name", &cn);
        }
        line("nationality", &x.nationality);
    }
    line("sex", card.sex.label_zh());
    if let Some(n) = card.nation {
        line("nation", &format!("{} ({:02})", n.name, n.code));
    }
    line("birth", &card.birth_date.to_string());
    line("address", &f.address);
    line("number", &f.number);
    if let Some(r) = &card.residence {
        let pass = if unmasked {
            r.pass_number.as_unmasked_str().to_string()
        } else {
            "*".repeat(r.pass_number.as_unmasked_str().chars().count())
        };
        line("pass number", &pass);
        line("issue count", &r.issue_count.to_string());
    }
    line("issuer", &card.issuer);
    let today = today_in_china();
    line(
        "valid",
        &format!(
            "{} – {} ({})",
            card.valid_from,
            card.valid_until,
            if card.is_valid_on(today) {
                "valid today"
            } else {
                "NOT valid today"
            }
        ),
    );
    line("photo", &format!("{:?}", card.photo));
    line(
        "fingerprints",
        &format!(
            "{} finger(s), {} B",
            card.fingerprints.fingers(),
            card.fingerprints.0.len()
        ),
    );
    out
}

fn card_json(card: &IdentityCard, unmasked: bool) -> Value {
    let f = fields(card, unmasked);
    let mut v = json!({
        "kind": card.kind,
        "masked": !unmasked,
        "name": f.name,
        "sex": card.sex,
        "nation": card.nation.map(|n| json!({ "code": n.code, "name": n.name })),
        "birth_date": card.birth_date,
        "address": f.address,
        "number": f.number,
        "issuer": card.issuer,
        "valid_from": card.valid_from,
        "valid_until": card.valid_until,
        "valid_today": card.is_valid_on(today_in_china()),
        "photo_bytes": card.photo.0.len(),
        "fingerprint_bytes": card.fingerprints.0.len(),
    });
    if let Some(x) = &card.foreign {
        v["foreign"] = json!({
            "chinese_name": x.chinese_name.as_ref().map(|n| if unmasked { n.as_unmasked_str().to_string() } else { n.masked() }),
            "nationality": x.nationality,
            "card_version": x.card_version,
            "issuer_code": x.issuer_code,
        });
    }
    if let Some(r) = &card.residence {
        v["residence"] = json!({
            "pass_number": if unmasked { r.pass_number.as_unmasked_str().to_string() } else { "*".repeat(r.pass_number.as_unmasked_str().chars().count()) },
            "issue_count": r.issue_count,
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_keep_the_district_only() {
        assert_eq!(
            mask_address("重庆市涪陵区敦仁街道人民东路88号"),
            "重庆市涪陵区********"
        );
        assert_eq!(mask_address("重庆"), "重庆");
    }
}
