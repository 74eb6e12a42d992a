//! Simulated document camera (高拍仪): a `FrameSource` looking down on a desk, on which a page can be
//! placed and removed, so the kiosk's material capture runs with no camera. Frames are composed by
//! `jiuzhu_vision::document::scene` — the same code the scanner's tests use — from real images of
//! `make fixtures` (scikit-image 0.25.2: `coffee.png` wooden table or `gravel.png` as the desk;
//! `page.png` and `text.png` photographed print laid out on an A4 sheet): known 3-D pose, light
//! gradient, the page's shadow, optional glare and blur, seeded sensor noise on every frame.
//!
//! Control language (`command`, or the kiosk's `sim-control` FIFO after `doc`): see [`COMMAND_HELP`].

use std::sync::{Arc, Mutex};

use jiuzhu_camera::Pacer;
use jiuzhu_drivers_api::camera::{CameraError, FramePair, FrameSource, SourceInfo};
use jiuzhu_vision::document::scene::{self, Conditions, PagePose};
use jiuzhu_vision::document::{self, Corners};
use opencv::core::Mat;
use opencv::prelude::*;

/// The control language of the simulated document camera.
pub const COMMAND_HELP: &str = "place N [X Y ROT] (page N, centre X,Y px, turned ROT°) · remove · \
     pages · blur SIGMA · glare on|off · light GAIN";

/// What the simulated document camera shows.
#[derive(Clone, Debug, PartialEq)]
pub struct DocCamConfig {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// The desk: a fixture name (`coffee.png`, `gravel.png`) or an image path.
    pub desk: String,
    /// The pages that can be placed: `a4` (the fixtures' print on an A4 sheet), a fixture name or
    /// an image path.
    pub pages: Vec<String>,
    /// Seed of the sensor noise.
    pub seed: u64,
    /// Sensor noise σ in grey levels (0 = none).
    pub noise_sigma: f32,
    /// Deliver frames at `fps` (off = as fast as they are read).
    pub realtime: bool,
}

impl Default for DocCamConfig {
    fn default() -> Self {
        Self {
            width: 1280,
            height: 960,
            fps: 5.0,
            desk: "coffee.png".into(),
            pages: vec!["a4".into(), "page.png".into(), "text.png".into()],
            seed: 1,
            noise_sigma: 2.0,
            realtime: false,
        }
    }
}

#[derive(Debug)]
struct DeskState {
    placed: Option<(usize, PagePose)>,
    cond: Conditions,
    version: u64,
}

/// Places and removes pages on a running [`SimDocCam`] (cheap to clone, shareable across threads).
#[derive(Clone, Debug)]
pub struct DocCamControl {
    state: Arc<Mutex<DeskState>>,
    names: Arc<Vec<String>>,
    page_sizes: Arc<Vec<(i32, i32)>>,
    frame: (u32, u32),
}

impl DocCamControl {
    fn update(&self, f: impl FnOnce(&mut DeskState)) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
        s.version += 1;
    }

    /// The default pose of a placed page: centred, 45 % of the frame wide for a portrait page
    /// (70 % for a landscape one), turned 3° and seen 4° off vertical, as a resident lays it.
    pub fn default_pose(&self, page: usize) -> PagePose {
        let (w, h) = (self.frame.0 as i32, self.frame.1 as i32);
        let (pw, ph) = self.page_sizes.get(page).copied().unwrap_or((1, 1));
        let width = if pw > ph { 0.7 } else { 0.45 } * w as f32;
        PagePose {
            rotation_deg: 3.0,
            tilt_x_deg: 4.0,
            ..PagePose::centred(w, h, width)
        }
    }

    /// Places page `page` (an index into the configured pages) with `pose`, or the default one.
    pub fn place(&self, page: usize, pose: Option<PagePose>) -> Result<(), String> {
        if page >= self.names.len() {
            return Err(format!(
                "no page {page}; have {}",
                self.names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{i}={n}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        let pose = pose.unwrap_or_else(|| self.default_pose(page));
        self.update(|s| s.placed = Some((page, pose)));
        Ok(())
    }

    /// Takes the page away: an empty desk.
    pub fn remove(&self) {
        self.update(|s| s.placed = None);
    }

    /// Changes light and optics (blur, glare, gain) for the following frames.
    pub fn set_conditions(&self, cond: Conditions) {
        self.update(|s| s.cond = cond);
    }

    /// Where the placed page's corners are in the frame (top-left, top-right, bottom-right,
    /// bottom-left as the scanner orders them), or `None` on an empty desk.
    pub fn truth(&self) -> Option<Corners> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (i, pose) = s.placed.as_ref()?;
        let (pw, ph) = self.page_sizes[*i];
        Some(scene::truth(scene::project(
            pw,
            ph,
            pose,
            self.frame.0 as f32,
        )))
    }

    /// Runs one control line (see [`COMMAND_HELP`]); returns what happened.
    pub fn command(&self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |w: &str| {
            w.parse::<f32>()
                .map_err(|_| format!("{w:?} is not a number ({COMMAND_HELP})"))
        };
        match words.as_slice() {
            ["place", n, rest @ ..] => {
                let page: usize = n
                    .parse()
                    .map_err(|_| format!("{n:?} is not a page number ({COMMAND_HELP})"))?;
                let pose = match rest {
                    [] => None,
                    [x, y, rot] => {
                        let mut pose = self.default_pose(page);
                        pose.centre = [num(x)?, num(y)?];
                        pose.rotation_deg = num(rot)?;
                        Some(pose)
                    }
                    _ => return Err(COMMAND_HELP.into()),
                };
                self.place(page, pose)?;
                Ok(format!("page {page} ({}) on the desk", self.names[page]))
            }
            ["remove"] => {
                self.remove();
                Ok("desk empty".into())
            }
            ["pages"] => Ok(self
                .names
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{i}={n}"))
                .collect::<Vec<_>>()
                .join(" ")),
            ["blur", s] => {
                let sigma = num(s)?;
                self.update(|st| st.cond.blur_sigma = sigma.max(0.0));
                Ok(format!("blur σ {sigma}"))
            }
            ["glare", on] => {
                let glare = match *on {
                    "on" => Some((
                        [self.frame.0 as f32 * 0.47, self.frame.1 as f32 * 0.4],
                        self.frame.0 as f32 * 0.11,
                        160.0,
                    )),
                    "off" => None,
                    _ => return Err(COMMAND_HELP.into()),
                };
                self.update(|st| st.cond.glare = glare);
                Ok(format!("glare {on}"))
            }
            ["light", g] => {
                let gain = num(g)?;
                self.update(|st| st.cond.gain = gain.max(0.0));
                Ok(format!("light gain {gain}"))
            }
            _ => Err(COMMAND_HELP.into()),
        }
    }
}

/// The simulated document camera.
pub struct SimDocCam {
    cfg: DocCamConfig,
    desk: Mat,
    pages: Vec<Mat>,
    control: DocCamControl,
    cached: Option<(u64, Mat)>,
    info: SourceInfo,
    seq: u64,
    pacer: Option<Pacer>,
}

impl std::fmt::Debug for SimDocCam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimDocCam({})", self.info.description)
    }
}

fn doc_error(e: document::DocumentError) -> CameraError {
    CameraError::Open(format!("sim document camera: {e}"))
}

fn load_image(name: &str) -> Result<Mat, CameraError> {
    let path = if scene::FIXTURES.contains(&name) {
        scene::fixtures_dir().join(name)
    } else {
        std::path::PathBuf::from(name)
    };
    scene::load(&path).map_err(doc_error)
}

impl SimDocCam {
    /// Loads the desk and pages of `cfg` (fixtures from `make fixtures`); the desk starts empty.
    pub fn open(cfg: DocCamConfig) -> Result<Self, CameraError> {
        if cfg.width < 64 || cfg.height < 64 || cfg.pages.is_empty() {
            return Err(CameraError::Open(
                "sim document camera: needs at least 64x64 pixels and one page".into(),
            ));
        }
        let desk = scene::desk(&load_image(&cfg.desk)?, cfg.width as i32, cfg.height as i32)
            .map_err(doc_error)?;
        let mut pages = vec![];
        for p in &cfg.pages {
            let img = if p == "a4" {
                scene::a4_sheet(
                    &[load_image("page.png")?, load_image("text.png")?],
                    840,
                    0.0,
                )
                .map_err(doc_error)?
            } else {
                load_image(p)?
            };
            pages.push(img);
        }
        let control = DocCamControl {
            state: Arc::new(Mutex::new(DeskState {
                placed: None,
                cond: Conditions {
                    noise_sigma: 0.0,
                    ..Default::default()
                },
                version: 0,
            })),
            names: Arc::new(cfg.pages.clone()),
            page_sizes: Arc::new(pages.iter().map(|p| (p.cols(), p.rows())).collect()),
            frame: (cfg.width, cfg.height),
        };
        let info = SourceInfo {
            description: format!(
                "sim document camera: {} desk, pages {}",
                cfg.desk,
                cfg.pages.join(",")
            ),
            width: cfg.width,
            height: cfg.height,
            fps: cfg.fps,
            has_ir: false,
        };
        Ok(Self {
            pacer: cfg.realtime.then(|| Pacer::new(cfg.fps)),
            cfg,
            desk,
            pages,
            control,
            cached: None,
            info,
            seq: 0,
        })
    }

    /// The handle that places and removes pages.
    pub fn control(&self) -> DocCamControl {
        self.control.clone()
    }

    fn render(&mut self) -> Result<Mat, CameraError> {
        let (version, placed, cond) = {
            let s = self.control.state.lock().unwrap_or_else(|e| e.into_inner());
            (s.version, s.placed.clone(), s.cond.clone())
        };
        if self.cached.as_ref().is_none_or(|(v, _)| *v != version) {
            let w = self.cfg.width as f32;
            let placed: Vec<(&Mat, Corners)> = placed
                .iter()
                .map(|(i, pose)| {
                    let p = &self.pages[*i];
                    (p, scene::project(p.cols(), p.rows(), pose, w))
                })
                .collect();
            let clean = scene::compose(
                &self.desk,
                &placed,
                &Conditions {
                    noise_sigma: 0.0,
                    ..cond
                },
                0,
            )
            .map_err(|e| CameraError::Backend(e.to_string()))?;
            self.cached = Some((version, clean));
        }
        let mut img = self
            .cached
            .as_ref()
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        if self.cfg.noise_sigma > 0.0 {
            scene::add_noise(
                &mut img,
                self.cfg.noise_sigma,
                self.cfg.seed.wrapping_mul(1_000_003) ^ self.seq,
            )
            .map_err(|e| CameraError::Backend(e.to_string()))?;
        }
        Ok(img)
    }
}

impl FrameSource for SimDocCam {
    fn info(&self) -> SourceInfo {
        self.info.clone()
    }

    fn next_pair(&mut self) -> Result<Option<FramePair>, CameraError> {
        if let Some(p) = self.pacer.as_mut() {
            p.wait();
        }
        let img = self.render()?;
        let mut rgb =
            document::mat_to_frame(&img).map_err(|e| CameraError::BadFrame(e.to_string()))?;
        rgb.seq = self.seq;
        self.seq += 1;
        Ok(Some(FramePair { rgb, ir: None }))
    }
}
