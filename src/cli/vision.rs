//! `jiuzhu-kiosk vision verify|enroll|generate|scan`: the face check from the command line, for
//! technicians and for replaying recorded or generated clips, and the document camera's scan of a
//! photo. Frames never leave the process; only the verdict, reasons, timings and scores are
//! printed (a scanned page goes only to the file named).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jiuzhu_vision::FaceModel;
use jiuzhu_vision::ModelPaths;
use jiuzhu_vision::cli::{self, GenerateOptions, Input, VerifyOptions};
use jiuzhu_vision::liveness::Challenge;
use jiuzhu_vision::synth::ClipKind;

/// Face-check actions.
#[derive(Debug, Subcommand)]
pub enum VisionCmd {
    /// Run the liveness check and the 1:1 match on a recording or a camera.
    Verify(VerifyArgs),
    /// Make a face template (mode 0600) from a photo, for `--reference` or central.
    Enroll {
        /// A photo with one face.
        #[arg(long)]
        image: PathBuf,
        /// Where to write the template.
        #[arg(long)]
        out: PathBuf,
        /// The face model: facenet (default) or arcface (needs `make face-pack`; InsightFace's
        /// weights are for non-commercial research only).
        #[arg(long, default_value = "facenet")]
        model: String,
    },
    /// Find the document in a photo, straighten it and write it as the JPEG central accepts.
    Scan {
        /// A photo of a document (from the document camera, or any camera).
        #[arg(long)]
        image: PathBuf,
        /// Where to write the page (JPEG, mode 0600).
        #[arg(long)]
        out: PathBuf,
        /// JPEG quality, 30–100.
        #[arg(long, default_value_t = 90)]
        quality: u8,
        /// Whiten the paper (even out shadows and light).
        #[arg(long)]
        whiten: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Render a synthetic clip (genuine or an attack) to a video file or PNG frames.
    Generate {
        /// genuine, print, screen-photo, screen-replay, screen-all-actions, screen-puppet, swap or
        /// two-faces.
        #[arg(long, default_value = "genuine")]
        kind: String,
        /// The challenges the clip acts out, e.g. blink,turn_left.
        #[arg(long, default_value = "blink,turn_left")]
        challenges: String,
        /// Registry photo of the subject: obama.jpg, obama2.jpg, obama3.jpg or biden.jpg.
        #[arg(long, default_value = "obama2.jpg")]
        subject: String,
        /// Seed of timing, amplitudes and noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Frames per second.
        #[arg(long, default_value_t = 12.0)]
        fps: f64,
        /// A .avi file (MJPG) or a directory for PNG frames.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Arguments of `vision verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A recorded video file or an image-sequence pattern (dir/frame_%04d.png).
    #[arg(long, conflicts_with = "camera")]
    video: Option<PathBuf>,
    /// A camera: /dev/v4l/by-id/… or index:N.
    #[arg(long)]
    camera: Option<String>,
    /// A reference photo, or a template from `vision enroll`.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// The face model for a reference photo: facenet (default) or arcface (`make face-pack`); a
    /// template carries its own model.
    #[arg(long)]
    model: Option<String>,
    /// The challenges, e.g. blink,turn_left (a recording needs the ones it was made for);
    /// random when not given.
    #[arg(long)]
    challenges: Option<String>,
    /// Longest session in seconds.
    #[arg(long, default_value_t = 30)]
    max_secs: u64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs a vision subcommand; exit code 0 passed, 1 not passed, 2 bad input.
pub fn run(cmd: VisionCmd) -> anyhow::Result<i32> {
    match cmd {
        VisionCmd::Verify(a) => {
            let input = match (a.video, a.camera) {
                (Some(v), None) => Input::Video(v),
                (None, Some(c)) => Input::Camera(c),
                _ => {
                    eprintln!("say where the frames come from: --video PATH or --camera DEV");
                    return Ok(2);
                }
            };
            let mut opts = VerifyOptions::new(input);
            opts.reference = a.reference;
            if let Some(m) = &a.model {
                match FaceModel::parse(m) {
                    Ok(m) => opts.model = Some(m),
                    Err(e) => {
                        eprintln!("--model: {e}");
                        return Ok(2);
                    }
                }
            }
            opts.max_duration = Duration::from_secs(a.max_secs.max(1));
            if let Some(list) = &a.challenges {
                match Challenge::parse_list(list) {
                    Ok(c) => opts.challenges = Some(c),
                    Err(e) => {
                        eprintln!("--challenges {list:?}: {e}");
                        return Ok(2);
                    }
                }
            }
            let report = cli::verify(&opts)?;
            if a.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{report}");
            }
            Ok(if report.passed() { 0 } else { 1 })
        }
        VisionCmd::Scan {
            image,
            out,
            quality,
            whiten,
            json,
        } => {
            let cfg = jiuzhu_vision::document::ScanConfig {
                whiten,
                ..Default::default()
            };
            match jiuzhu_vision::document::scan_file(&image, &out, &cfg, quality) {
                Ok(r) => {
                    if json {
                        println!("{}", serde_json::to_string(&r)?);
                    } else {
                        println!("{r}");
                    }
                    Ok(0)
                }
                Err(e) if e.is_retry() => {
                    eprintln!("{e}\n{} / {}", e.advice_zh(), e.advice_en());
                    Ok(1)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(2)
                }
            }
        }
        VisionCmd::Enroll { image, out, model } => {
            let model = match FaceModel::parse(&model) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("--model: {e}");
                    return Ok(2);
                }
            };
            let r = cli::enroll(&ModelPaths::locate(), &image, &out, model)?;
            println!("{r}");
            Ok(0)
        }
        VisionCmd::Generate {
            kind,
            challenges,
            subject,
            seed,
            fps,
            out,
        } => {
            let Some(kind) = ClipKind::parse(&kind) else {
                bail!("--kind {kind:?} is not a clip kind");
            };
            let challenges = Challenge::parse_list(&challenges)
                .map_err(|e| anyhow::anyhow!("--challenges {challenges:?}: {e}"))?;
            if !(1.0..=60.0).contains(&fps) {
                bail!("--fps {fps}: use 1 to 60");
            }
            let r = cli::generate(&GenerateOptions {
                kind,
                challenges,
                subject,
                seed,
                fps,
                out,
                models: ModelPaths::locate(),
            })
            .context("cannot render the clip")?;
            println!("{r}");
            Ok(0)
        }
    }
}
