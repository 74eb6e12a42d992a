//! `jiuzhu-kiosk doctor`: one command that tells a technician why a kiosk does not work.
//! Each check returns a row (what, status, detail, fix); the kiosk cannot serve when any
//! row is [`Status::Fail`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::config::{DeviceSelector, KioskConfig};

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works.
    Ok,
    /// Degraded but the kiosk can serve (e.g. offline: it queues).
    Warn,
    /// The kiosk cannot serve.
    Fail,
}

impl Status {
    /// Short label for the table.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Result.
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do about it (empty when OK).
    pub fix: String,
}

fn row(name: &str, status: Status, detail: impl Into<String>, fix: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        status,
        detail: detail.into(),
        fix: fix.into(),
    }
}

/// Whether a CJK font that renders 简体中文 is installed (via fontconfig's `fc-list`).
pub fn check_fonts() -> Check {
    match Command::new("fc-list")
        .args([":lang=zh-cn", "family"])
        .output()
    {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains("Noto Sans CJK SC") {
                row("fonts", Status::Ok, "Noto Sans CJK SC", "")
            } else if !text.trim().is_empty() {
                let first = text.lines().next().unwrap_or_default().to_string();
                row(
                    "fonts",
                    Status::Warn,
                    format!("no Noto Sans CJK SC; fallback {first}"),
                    "apt-get install fonts-noto-cjk",
                )
            } else {
                row(
                    "fonts",
                    Status::Fail,
                    "no font covers Simplified Chinese",
                    "apt-get install fonts-noto-cjk",
                )
            }
        }
        _ => row(
            "fonts",
            Status::Fail,
            "fontconfig (fc-list) is missing",
            "apt-get install fontconfig fonts-noto-cjk",
        ),
    }
}

/// The kiosk key must exist and be readable by its owner only.
pub fn check_key(path: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                row(
                    "kiosk key",
                    Status::Fail,
                    format!("{} has mode {mode:04o}", path.display()),
                    format!("chmod 600 {}", path.display()),
                )
            } else {
                row(
                    "kiosk key",
                    Status::Ok,
                    format!("{} ({mode:04o})", path.display()),
                    "",
                )
            }
        }
        Err(e) => row(
            "kiosk key",
            Status::Fail,
            format!("{}: {e}", path.display()),
            "run `jiuzhu-kiosk enroll --central URL --township CODE` and have the district register it",
        ),
    }
}

/// Free space where the kiosk keeps its data (at least 200 MiB to accept applications).
pub fn check_disk(dir: &Path) -> Check {
    let probe = existing_ancestor(dir);
    match nix::sys::statvfs::statvfs(&probe) {
        Ok(s) => {
            let free = s.blocks_available() * s.fragment_size();
            let mib = free / (1024 * 1024);
            let status = if mib < 200 {
                Status::Fail
            } else if mib < 1024 {
                Status::Warn
            } else {
                Status::Ok
            };
            row(
                "disk space",
                status,
                format!("{mib} MiB free at {}", probe.display()),
                if status == Status::Ok {
                    ""
                } else {
                    "free space on the data partition"
                },
            )
        }
        Err(e) => row(
            "disk space",
            Status::Fail,
            format!("{}: {e}", probe.display()),
            "check that the data directory's file system is mounted",
        ),
    }
}

fn existing_ancestor(p: &Path) -> PathBuf {
    let mut p = p.to_path_buf();
    while !p.exists() {
        if !p.pop() {
            return PathBuf::from("/");
        }
    }
    p
}

/// USB devices present, read from sysfs: (vid, pid, serial).
pub fn usb_devices(sysfs: &Path) -> Vec<(u16, u16, Option<String>)> {
    let Ok(entries) = std::fs::read_dir(sysfs) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for e in entries.flatten() {
        let dir = e.path();
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .ok()
                .map(|s| s.trim().to_string())
        };
        if let (Some(v), Some(p)) = (read("idVendor"), read("idProduct"))
            && let (Ok(v), Ok(p)) = (u16::from_str_radix(&v, 16), u16::from_str_radix(&p, 16))
        {
            found.push((v, p, read("serial")));
        }
    }
    found
}

/// Whether the device a selector names is there and usable.
pub fn check_device(class: &str, sel: &DeviceSelector, required: bool, usb_sysfs: &Path) -> Check {
    let missing = if required { Status::Fail } else { Status::Warn };
    let name = format!("device {class}");
    match sel {
        DeviceSelector::None => row(&name, Status::Ok, "not installed on this kiosk", ""),
        DeviceSelector::Sim => row(
            &name,
            Status::Warn,
            "simulated",
            "set a real device in /etc/jiuzhu/kiosk.toml [devices]",
        ),
        DeviceSelector::Serial { path, baud } => match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
        {
            Ok(_) => row(
                &name,
                Status::Ok,
                format!(
                    "{} opened{}",
                    path.display(),
                    baud.map(|b| format!(" @{b}")).unwrap_or_default()
                ),
                "",
            ),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => row(
                &name,
                missing,
                format!("{}: permission denied", path.display()),
                "install the udev rules (jiuzhu-kiosk package) or add the kiosk user to dialout",
            ),
            Err(e) => row(
                &name,
                missing,
                format!("{}: {e}", path.display()),
                "check the cable and the port in [devices]",
            ),
        },
        DeviceSelector::Usb { vid, pid, serial } => {
            let present = usb_devices(usb_sysfs)
                .into_iter()
                .any(|(v, p, s)| v == *vid && p == *pid && (serial.is_none() || s == *serial));
            if present {
                row(
                    &name,
                    Status::Ok,
                    format!("USB {vid:04x}:{pid:04x} present"),
                    "",
                )
            } else {
                row(
                    &name,
                    missing,
                    format!("USB {vid:04x}:{pid:04x} not found"),
                    "plug the device in; `jiuzhu-kiosk devices list` shows what is connected",
                )
            }
        }
        DeviceSelector::Tcp { addr } => {
            use std::net::ToSocketAddrs;
            let target = addr.to_socket_addrs().ok().and_then(|mut a| a.next());
            match target.map(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2))) {
                Some(Ok(_)) => row(&name, Status::Ok, format!("{addr} answers"), ""),
                Some(Err(e)) => row(
                    &name,
                    missing,
                    format!("{addr}: {e}"),
                    "check the printer's power and network cable",
                ),
                None => row(
                    &name,
                    missing,
                    format!("{addr}: cannot resolve"),
                    "check the address in [devices]",
                ),
            }
        }
        DeviceSelector::Video { source } => {
            if Path::new(source).exists() {
                row(&name, Status::Ok, source.clone(), "")
            } else {
                row(
                    &name,
                    missing,
                    format!("{source} does not exist"),
                    "plug the camera in; use /dev/v4l/by-id/… paths",
                )
            }
        }
    }
}

/// The face camera's near-infrared lens (`[devices] camera_ir`): what the face check can decide with
/// it. A second video device must exist; none is a warning, because screen replays are then judged by
/// the screen-light check alone.
pub fn check_camera_ir(ir: &crate::config::CameraIr) -> Check {
    use crate::config::CameraIr;
    let name = "device camera_ir";
    match ir {
        CameraIr::None => row(
            name,
            Status::Warn,
            "no near-infrared lens: screens and prints are judged by the screen-light check, depth and the actions only",
            "a binocular (RGB + NIR) camera module stops screen replays physically; set devices.camera_ir",
        ),
        CameraIr::Sim => row(
            name,
            Status::Warn,
            "simulated (rendered near infrared, not a camera)",
            "set a real device in /etc/jiuzhu/kiosk.toml [devices]",
        ),
        CameraIr::SideBySide => row(
            name,
            Status::Ok,
            "near infrared on the right half of the camera's stream; a black NIR image is reported as a fault at each check",
            "",
        ),
        CameraIr::Device(dev) => {
            if Path::new(dev).exists() {
                row(name, Status::Ok, format!("near infrared from {dev}"), "")
            } else {
                row(
                    name,
                    Status::Fail,
                    format!("{dev} does not exist: every face check would be refused"),
                    "plug the binocular camera in; use /dev/v4l/by-id/… paths, or set camera_ir = \"none\"",
                )
            }
        }
    }
}

/// The face models and the LiteRT and ONNX Runtime libraries the kiosk loads (see
/// `models/manifest.tsv`).
pub const MODEL_FILES: &[&str] = &[
    "blazeface_short.onnx",
    "face_mesh.onnx",
    "face_mesh_ort.onnx",
    "facenet.pb",
    "blazeface_short.tflite",
    "face_mesh.tflite",
    "palm_detection_lite.tflite",
    jiuzhu_vision::models::LITERT_LIB,
    jiuzhu_vision::models::ONNXRUNTIME_LIB,
];

/// Where the models are: `$JIUZHU_MODELS`, the package's `/usr/share/jiuzhu/models`, or the
/// developer cache `~/.cache/jiuzhu/models` written by `make models`.
pub fn models_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("JIUZHU_MODELS") {
        return PathBuf::from(d);
    }
    let packaged = PathBuf::from("/usr/share/jiuzhu/models");
    if packaged.is_dir() {
        return packaged;
    }
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/root".into())
        .join(".cache/jiuzhu/models")
}

/// Whether the optional face pack (ArcFace, `make face-pack`) is installed: without it the kiosk
/// matches with FaceNet and refuses a reference made with ArcFace, naming the pack; with it, its
/// non-commercial licence is named, since a deployment must hold a licence for it.
pub fn check_face_pack(dir: &Path) -> Check {
    let model = dir.join(jiuzhu_vision::models::ARCFACE_FILE);
    if model.is_file() {
        row(
            "face pack",
            Status::Ok,
            format!(
                "ArcFace installed ({}): InsightFace's weights are for non-commercial research only; \
                 an ArcFace reference is confirmed by the face alone at cosine ≥ {}",
                model.display(),
                jiuzhu_vision::FaceModel::ArcFace.confirm_threshold()
            ),
            "",
        )
    } else {
        row(
            "face pack",
            Status::Ok,
            format!(
                "not installed: faces are matched with FaceNet, which confirms a resident by the face \
                 alone only at cosine ≥ {} (false accepts ≤ 0.1 %); under it (most residents) the \
                 kiosk asks for the fingerprint or staff. A reference made with ArcFace is refused",
                jiuzhu_vision::FaceModel::FaceNet.confirm_threshold()
            ),
            "",
        )
    }
}

/// Every model file is present, and matches `SHA256SUMS` when the directory has one (packages).
pub fn check_models(dir: &Path) -> Check {
    use sha2::Digest as _;
    let missing: Vec<&str> = MODEL_FILES
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return row(
            "models",
            Status::Fail,
            format!("{} missing in {}", missing.join(", "), dir.display()),
            "install the jiuzhu-kiosk package again, or run `make models` on a build machine",
        );
    }
    let sums = dir.join("SHA256SUMS");
    let Ok(text) = std::fs::read_to_string(&sums) else {
        return row(
            "models",
            Status::Ok,
            format!(
                "{} files in {} (no SHA256SUMS to check)",
                MODEL_FILES.len(),
                dir.display()
            ),
            "",
        );
    };
    let mut bad = Vec::new();
    let mut checked = 0;
    for line in text.lines() {
        let Some((want, name)) = line.split_once("  ") else {
            continue;
        };
        checked += 1;
        match std::fs::read(dir.join(name)) {
            Ok(bytes) if hex::encode(sha2::Sha256::digest(&bytes)) == want.trim() => {}
            Ok(_) => bad.push(format!("{name} (hash differs)")),
            Err(e) => bad.push(format!("{name} ({e})")),
        }
    }
    if bad.is_empty() {
        row(
            "models",
            Status::Ok,
            format!("{checked} files match SHA256SUMS in {}", dir.display()),
            "",
        )
    } else {
        row(
            "models",
            Status::Fail,
            bad.join(", "),
            "the model files were changed or damaged: reinstall the jiuzhu-kiosk package",
        )
    }
}

/// Whether the central service answers, and how far this kiosk's clock is from the service's
/// (signed requests more than 300 s off are refused).
pub fn check_central(url: &str, timeout: Duration) -> Check {
    let base = url.trim_end_matches('/');
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return row("central", Status::Fail, e.to_string(), ""),
    };
    let started = std::time::Instant::now();
    let answer = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| e.to_string())?;
        client
            .get(format!("{base}/v1/openapi.json"))
            .send()
            .await
            .map_err(|e| e.to_string())
    });
    let rtt = started.elapsed();
    let resp = match answer {
        Ok(r) => r,
        Err(e) => {
            return row(
                "central",
                Status::Warn,
                format!("{base} does not answer: {e}"),
                "check the network and [central] url; the kiosk queues results meanwhile",
            );
        }
    };
    if !resp.status().is_success() {
        return row(
            "central",
            Status::Warn,
            format!("{base} answered {}", resp.status()),
            "is [central] url the district's Jiuzhu central service?",
        );
    }
    let server_time = resp
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok());
    let Some(server_time) = server_time else {
        return row(
            "central",
            Status::Warn,
            format!(
                "{base} answers in {} ms but sends no Date header",
                rtt.as_millis()
            ),
            "clock skew cannot be checked",
        );
    };
    let skew = (chrono::Utc::now() - server_time.with_timezone(&chrono::Utc)).num_seconds();
    clock_row(base, rtt, skew)
}

fn clock_row(base: &str, rtt: Duration, skew: i64) -> Check {
    let detail = format!(
        "{base} answers in {} ms; clock {skew:+} s from the service's",
        rtt.as_millis()
    );
    if skew.abs() > jiuzhu_core::api::MAX_CLOCK_SKEW_SECS {
        row(
            "central",
            Status::Fail,
            detail,
            "the service refuses requests more than 300 s off: fix the time (timedatectl set-ntp true)",
        )
    } else if skew.abs() > 60 {
        row(
            "central",
            Status::Warn,
            detail,
            "the clock drifts: enable time sync (timedatectl set-ntp true)",
        )
    } else {
        row("central", Status::Ok, detail, "")
    }
}

/// The local database, read-only first (a damaged file is reported, never touched here: the
/// kiosk quarantines it at start), then opened with the data key for its outbox: records
/// waiting, and records the service refused that staff must resolve.
pub fn check_store(data_dir: &Path) -> Check {
    use crate::store::{DB_FILE, Store};
    let db = data_dir.join(DB_FILE);
    if !db.exists() {
        return row(
            "database",
            Status::Ok,
            format!(
                "{} not created yet (the first start creates it)",
                db.display()
            ),
            "",
        );
    }
    let integrity = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| c.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)));
    match integrity {
        Ok(ok) if ok == "ok" => {}
        Ok(other) => {
            return row(
                "database",
                Status::Fail,
                format!("{} is damaged: {other}", db.display()),
                "the kiosk quarantines it at its next start and reports what was lost; call the district technician",
            );
        }
        Err(e) => {
            return row(
                "database",
                Status::Fail,
                format!("{} cannot be read: {e}", db.display()),
                "the kiosk quarantines it at its next start and reports what was lost; call the district technician",
            );
        }
    }
    let keys =
        crate::store::crypto::FileKeyProvider::new(data_dir.join(crate::services::DATA_KEY_FILE));
    let store = match Store::open(data_dir, &keys) {
        Ok(s) => s,
        Err(e) => return row("database", Status::Fail, e.to_string(), ""),
    };
    match store.counts() {
        Ok(c) if c.failed > 0 => row(
            "database",
            Status::Warn,
            format!(
                "intact; {} waiting to upload, {} refused by the service",
                c.pending, c.failed
            ),
            "staff: resolve the refused records (they are kept until then)",
        ),
        Ok(c) => row(
            "database",
            Status::Ok,
            format!(
                "intact; {} waiting to upload, {} delivered",
                c.pending, c.acknowledged
            ),
            "",
        ),
        Err(e) => row("database", Status::Fail, e.to_string(), ""),
    }
}

/// Runs every check that can run with this configuration.
pub fn run_all(cfg: &KioskConfig) -> Vec<Check> {
    let mut rows = vec![row("configuration", Status::Ok, "valid", "")];
    rows.push(check_fonts());
    rows.push(check_key(&cfg.central.key_file));
    rows.push(check_disk(&cfg.kiosk.data_dir));
    rows.push(check_store(&cfg.kiosk.data_dir));
    rows.push(check_central(
        &cfg.central.url,
        Duration::from_secs(cfg.central.timeout_secs.clamp(1, 10)),
    ));
    rows.push(check_models(&models_dir()));
    rows.push(check_face_pack(&models_dir()));
    match cfg.devices() {
        Ok(d) => {
            let sys = Path::new("/sys/bus/usb/devices");
            rows.push(check_device("idcard", &d.idcard, false, sys));
            rows.push(check_device("fingerprint", &d.fingerprint, false, sys));
            rows.push(check_device("camera", &d.camera, false, sys));
            if !matches!(d.camera, DeviceSelector::None) {
                rows.push(check_camera_ir(&d.camera_ir));
            }
            rows.push(check_device(
                "document_camera",
                &d.document_camera,
                false,
                sys,
            ));
            rows.push(check_device("printer", &d.printer, false, sys));
            if matches!(d.camera, DeviceSelector::None)
                && matches!(d.fingerprint, DeviceSelector::None)
            {
                rows.push(row(
                    "certification",
                    Status::Fail,
                    "neither a camera nor a fingerprint reader is configured",
                    "configure devices.camera or devices.fingerprint",
                ));
            }
        }
        Err(e) => rows.push(row("devices", Status::Fail, e.to_string(), "")),
    }
    rows
}

/// Formats the report as a table.
pub fn render(rows: &[Check]) -> String {
    let w = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut out = format!("{:<w$}  {:<6}  DETAIL\n", "CHECK", "STATUS");
    for r in rows {
        out.push_str(&format!(
            "{:<w$}  {:<6}  {}",
            r.name,
            r.status.label(),
            r.detail
        ));
        if !r.fix.is_empty() {
            out.push_str(&format!("  → {}", r.fix));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("kiosk.key");
        assert_eq!(check_key(&key).status, Status::Fail);
        std::fs::write(&key, b"k").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let c = check_key(&key);
        assert_eq!(c.status, Status::Fail);
        assert!(c.fix.contains("chmod 600"));
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(check_key(&key).status, Status::Ok);
    }

    #[test]
    fn disk_space_is_measured() {
        let c = check_disk(Path::new("/tmp/does/not/exist/yet"));
        assert!(c.detail.contains("MiB free at /tmp"), "{}", c.detail);
    }

    #[test]
    fn usb_devices_are_read_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("1-1");
        std::fs::create_dir(&dev).unwrap();
        std::fs::write(dev.join("idVendor"), "0400\n").unwrap();
        std::fs::write(dev.join("idProduct"), "c35a\n").unwrap();
        let sel = DeviceSelector::Usb {
            vid: 0x0400,
            pid: 0xc35a,
            serial: None,
        };
        assert_eq!(
            check_device("idcard", &sel, true, dir.path()).status,
            Status::Ok
        );
        let other = DeviceSelector::Usb {
            vid: 0x05ba,
            pid: 0x000a,
            serial: None,
        };
        let c = check_device("fingerprint", &other, true, dir.path());
        assert_eq!(c.status, Status::Fail);
        assert!(c.detail.contains("05ba:000a not found"));
    }

    #[test]
    fn serial_and_tcp_devices() {
        let missing = DeviceSelector::Serial {
            path: "/dev/ttyJIUZHU-none".into(),
            baud: Some(115200),
        };
        assert_eq!(
            check_device("idcard", &missing, false, Path::new("/nonexistent")).status,
            Status::Warn
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let sel = DeviceSelector::Tcp { addr: addr.clone() };
        assert_eq!(
            check_device("printer", &sel, true, Path::new("/nonexistent")).status,
            Status::Ok
        );
        drop(listener);
        assert_eq!(
            check_device("printer", &sel, true, Path::new("/nonexistent")).status,
            Status::Fail
        );
    }

    #[test]
    fn the_near_infrared_lens_is_reported_by_what_it_lets_the_check_decide() {
        use crate::config::CameraIr;
        let none = check_camera_ir(&CameraIr::None);
        assert_eq!(none.status, Status::Warn);
        assert!(none.detail.contains("screen-light"), "{none:?}");
        assert_eq!(check_camera_ir(&CameraIr::Sim).status, Status::Warn);
        assert_eq!(check_camera_ir(&CameraIr::SideBySide).status, Status::Ok);
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("video2");
        let missing = check_camera_ir(&CameraIr::Device(dev.display().to_string()));
        assert_eq!(missing.status, Status::Fail);
        assert!(missing.fix.contains("camera_ir"), "{missing:?}");
        std::fs::write(&dev, b"").unwrap();
        assert_eq!(
            check_camera_ir(&CameraIr::Device(dev.display().to_string())).status,
            Status::Ok
        );
    }

    #[test]
    fn clock_skew_limits() {
        let rtt = Duration::from_millis(3);
        assert_eq!(clock_row("u", rtt, 2).status, Status::Ok);
        assert_eq!(clock_row("u", rtt, -90).status, Status::Warn);
        assert_eq!(clock_row("u", rtt, 301).status, Status::Fail);
        assert_eq!(clock_row("u", rtt, -400).status, Status::Fail);
    }

    #[test]
    fn models_are_checked_against_their_sums() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_models(dir.path()).status, Status::Fail);
        let mut sums = String::new();
        for f in MODEL_FILES {
            std::fs::write(dir.path().join(f), f.as_bytes()).unwrap();
            use sha2::Digest as _;
            sums.push_str(&format!(
                "{}  {f}\n",
                hex::encode(sha2::Sha256::digest(f.as_bytes()))
            ));
        }
        std::fs::write(dir.path().join("SHA256SUMS"), &sums).unwrap();
        let ok = check_models(dir.path());
        assert_eq!(ok.status, Status::Ok, "{ok:?}");
        std::fs::write(dir.path().join(MODEL_FILES[1]), b"changed").unwrap();
        let bad = check_models(dir.path());
        assert_eq!(bad.status, Status::Fail);
        assert!(bad.detail.contains(MODEL_FILES[1]), "{bad:?}");
    }

    #[test]
    fn the_face_pack_is_reported_with_its_licence() {
        let dir = tempfile::tempdir().unwrap();
        let absent = check_face_pack(dir.path());
        assert!(absent.detail.contains("not installed"), "{absent:?}");
        assert!(
            absent.detail.contains("≥ 0.77") && absent.detail.contains("fingerprint"),
            "{absent:?}"
        );
        let file = dir.path().join(jiuzhu_vision::models::ARCFACE_FILE);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"model").unwrap();
        let present = check_face_pack(dir.path());
        assert_eq!(present.status, Status::Ok);
        assert!(present.detail.contains("non-commercial"), "{present:?}");
    }

    #[test]
    fn unreachable_central_is_a_warning() {
        // A port nothing listens on.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let c = check_central(&format!("http://{addr}/"), Duration::from_secs(2));
        assert_eq!(c.status, Status::Warn, "{c:?}");
    }

    #[test]
    fn store_rows() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(check_store(dir.path()).status, Status::Ok);
        let keys = crate::store::crypto::FileKeyProvider::new(
            dir.path().join(crate::services::DATA_KEY_FILE),
        );
        drop(crate::store::Store::open(dir.path(), &keys).unwrap());
        let r = check_store(dir.path());
        assert_eq!(r.status, Status::Ok, "{r:?}");
        assert!(r.detail.contains("intact"), "{r:?}");
        // A damaged file: garbage over the database's pages.
        let db = dir.path().join(crate::store::DB_FILE);
        let mut bytes = std::fs::read(&db).unwrap();
        for b in bytes.iter_mut().skip(100) {
            *b = 0x5a;
        }
        std::fs::write(&db, bytes).unwrap();
        let r = check_store(dir.path());
        assert_eq!(r.status, Status::Fail, "{r:?}");
    }

    #[test]
    fn table_lists_fixes() {
        let t = render(&[row("kiosk key", Status::Fail, "missing", "run enroll")]);
        assert!(t.contains("kiosk key") && t.contains("FAIL") && t.contains("→ run enroll"));
    }
}
