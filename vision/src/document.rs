//! Document camera: find the page in a frame, warp it to an upright page, check that it is usable,
//! and encode it for upload.
//!
//! Method (all OpenCV 4.6 `imgproc`):
//! 1. The frame is reduced to 640 px on its long side, greyed and blurred. Two masks propose page
//!    outlines: Otsu's threshold (paper is brighter than a desk) closed over the text, and Canny
//!    edges, dilated. Every outer contour gets its convex hull and a quadrilateral by
//!    `approxPolyDP` (tolerance raised step by step until four vertices remain), or, when an edge is
//!    partly hidden (a finger, a folded corner), the hull's `minAreaRect` as a fallback. A candidate
//!    is kept when the contour fills its quadrilateral (fit ≥ 0.85) and it does not span the frame.
//! 2. The largest candidate is the page. A second separate one of at least 40 % of its area means two
//!    documents; a candidate touching one or two sides of the frame is a page cut off.
//! 3. Each side is refined at full resolution: 48 profiles across the coarse side, the strongest
//!    step of the side's polarity (paper against desk) located to a tenth of a pixel (parabola), a
//!    Huber line fit through them, and the corners as intersections of adjacent lines.
//! 4. Corners ordered top-left, top-right, bottom-right, bottom-left (as the page lies, within ±45°);
//!    `getPerspectiveTransform` + `warpPerspective` to the page's mean side lengths, snapped to A4
//!    (1 : 1.414) when within 5 %.
//! 5. Remaining skew of the print on the page (a crooked copy) by the projection-profile method
//!    (Postl 1986): the angle in ±6° that makes the row histogram of dark pixels sharpest, applied
//!    when it is at least 0.3°.
//! 6. Quality: blur by the no-reference measure of Crété-Roffet et al. ("The blur effect", SPIE 6492,
//!    2007: how much a further blur changes neighbouring differences, 0 sharp … 1 flat), glare as
//!    the largest saturated blob, brightness, coverage of the frame.
//! 7. Optional whitening: the page divided by its own background (grey closing), which evens out
//!    shadows and light gradients.
//!
//! [`scene`] composes test frames and the simulated document camera's frames: a real page photo
//! placed on a real desk photo with a known 3-D pose, light gradient, shadow, glare, blur and noise.

use std::fmt;

use jiuzhu_drivers_api::camera::{Frame, PixelFormat};
use opencv::core::{self as cvcore, Mat, Point, Point2f, Scalar, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc};

/// Largest material central accepts (`jiuzhu_central::http::MAX_MATERIAL_BYTES`, 8 MiB).
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Longest side of an uploaded page: A4 at 300 dpi.
pub const MAX_UPLOAD_SIDE: u32 = 2480;
/// Height over width of an A4 (ISO 216) sheet.
pub const A4_ASPECT: f32 = std::f32::consts::SQRT_2;
/// Long side of the working image the page is searched in.
const WORK_SIDE: f64 = 640.0;

/// What went wrong with a scan. All but [`DocumentError::BadFrame`] and
/// [`DocumentError::OpenCv`] are retries the resident can fix ([`DocumentError::is_retry`]);
/// [`DocumentError::advice_zh`] / [`DocumentError::advice_en`] say how.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// No page-like quadrilateral in the picture.
    #[error("no document found: lay the document flat inside the marked area")]
    NotFound,
    /// The page covers too little of the picture.
    #[error(
        "the document covers {:.0} % of the picture (at least {:.0} % needed): unfold it and lay it flat in the middle of the marked area",
        coverage * 100.0,
        min * 100.0
    )]
    TooSmall {
        /// Page area over frame area.
        coverage: f32,
        /// The configured minimum.
        min: f32,
    },
    /// The page runs over the edge of the picture.
    #[error("the document runs over the edge of the picture: move it fully inside the marked area")]
    CutOff,
    /// More than one page in the picture.
    #[error("{count} documents in the picture: place one document at a time")]
    MultiplePages {
        /// How many were found.
        count: usize,
    },
    /// The page is blurred (moved, or not lying flat).
    #[error(
        "the picture is blurred (blur {blur:.2}, at most {max:.2}): keep the document flat and still"
    )]
    Blurred {
        /// Crété-Roffet blur, 0 sharp … 1 flat.
        blur: f32,
        /// The configured maximum.
        max: f32,
    },
    /// A reflection washes out part of the page.
    #[error(
        "glare washes out {:.1} % of the document (at most {:.1} %): tilt it a little or move it out of the direct light",
        fraction * 100.0,
        max * 100.0
    )]
    Glare {
        /// Largest saturated blob over page area.
        fraction: f32,
        /// The configured maximum.
        max: f32,
    },
    /// The page is too dark to read.
    #[error("the document is too dark (mean grey {mean:.0}): turn on the document light")]
    TooDark {
        /// Mean grey of the page.
        mean: f32,
    },
    /// The frame is not a usable image.
    #[error("bad frame: {0}")]
    BadFrame(String),
    /// The page could not be written.
    #[error("{0}")]
    Write(String),
    /// OpenCV failed.
    #[error("OpenCV: {0}")]
    OpenCv(#[from] opencv::Error),
}

impl DocumentError {
    /// True when the resident can fix it by placing the document again.
    pub fn is_retry(&self) -> bool {
        !matches!(
            self,
            DocumentError::BadFrame(_) | DocumentError::Write(_) | DocumentError::OpenCv(_)
        )
    }

    /// What the resident should do, in Chinese.
    pub fn advice_zh(&self) -> &'static str {
        match self {
            DocumentError::NotFound => "请把材料平放在拍摄区内",
            DocumentError::TooSmall { .. } => "材料太小或没有展开，请把材料展开平放在拍摄区中间",
            DocumentError::CutOff => "材料超出了拍摄区，请把整页放进框内",
            DocumentError::MultiplePages { .. } => "请一次只放一份材料",
            DocumentError::Blurred { .. } => "画面模糊，请把材料放平，不要移动",
            DocumentError::Glare { .. } => "材料有反光，请稍微挪动材料，避开灯光",
            DocumentError::TooDark { .. } => "画面太暗，请打开补光灯或请工作人员帮助",
            DocumentError::BadFrame(_) | DocumentError::Write(_) | DocumentError::OpenCv(_) => {
                "拍摄出错，请稍后再试或请工作人员帮助"
            }
        }
    }

    /// What the resident should do, in English.
    pub fn advice_en(&self) -> &'static str {
        match self {
            DocumentError::NotFound => "Lay the document flat inside the marked area",
            DocumentError::TooSmall { .. } => {
                "The document looks too small: unfold it and lay it flat in the middle of the area"
            }
            DocumentError::CutOff => {
                "The document runs over the edge: move the whole page inside the frame"
            }
            DocumentError::MultiplePages { .. } => "Place one document at a time",
            DocumentError::Blurred { .. } => {
                "The picture is blurred: keep the document flat and still"
            }
            DocumentError::Glare { .. } => {
                "There is glare on the document: move it a little, out of the direct light"
            }
            DocumentError::TooDark { .. } => {
                "The picture is too dark: turn on the document light or ask staff for help"
            }
            DocumentError::BadFrame(_) | DocumentError::Write(_) | DocumentError::OpenCv(_) => {
                "The camera failed: try again later or ask staff for help"
            }
        }
    }
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, DocumentError>;

/// Thresholds and output options of a scan.
#[derive(Clone, Debug, PartialEq)]
pub struct ScanConfig {
    /// Smallest page area as a fraction of the frame.
    pub min_coverage: f32,
    /// Largest Crété-Roffet blur accepted.
    pub max_blur: f32,
    /// Largest saturated blob accepted, as a fraction of the page.
    pub max_glare: f32,
    /// Darkest mean grey of the page accepted.
    pub min_brightness: f32,
    /// Straighten the print on the page (projection-profile skew, ±6°).
    pub deskew: bool,
    /// Divide the page by its own background: white paper, even light.
    pub whiten: bool,
    /// Snap the aspect ratio to A4 when the measured one is within 5 % of it.
    pub snap_a4: bool,
    /// Longest side of the output page.
    pub max_side: u32,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            min_coverage: 0.12,
            max_blur: 0.55,
            max_glare: 0.01,
            min_brightness: 60.0,
            deskew: true,
            whiten: false,
            snap_a4: true,
            max_side: MAX_UPLOAD_SIDE,
        }
    }
}

/// Corners of the page in frame pixels (pixel centres at integer coordinates): top-left,
/// top-right, bottom-right, bottom-left as the page lies.
pub type Corners = [[f32; 2]; 4];

/// Where the page is in a frame (for the live outline on screen).
#[derive(Clone, Debug, PartialEq)]
pub struct PageOutline {
    /// The refined corners.
    pub corners: Corners,
    /// Page area over frame area.
    pub coverage: f32,
    /// How well the outline is a quadrilateral: contour area over quadrilateral area (≤ 1),
    /// lowered by a quarter when a side had to be guessed (`minAreaRect` fallback).
    pub confidence: f32,
}

/// Measures of a scanned page.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PageQuality {
    /// Page area over frame area.
    pub coverage: f32,
    /// Crété-Roffet blur of the page, 0 sharp … 1 flat.
    pub blur: f32,
    /// 1 − blur.
    pub sharpness: f32,
    /// Largest saturated blob over page area.
    pub glare: f32,
    /// Mean grey of the page.
    pub brightness: f32,
    /// Rotation applied to straighten the print, degrees (counter-clockwise on screen positive).
    pub skew_deg: f32,
    /// Outline confidence (see [`PageOutline::confidence`]).
    pub confidence: f32,
}

/// An upright page. Personal data: `Debug` shows sizes and measures, never pixels.
#[derive(Clone, PartialEq)]
pub struct ScannedPage {
    /// Packed BGR pixels, `width * height * 3` bytes.
    pub bgr: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Where the page was in the frame.
    pub corners: Corners,
    /// Measures of the page.
    pub quality: PageQuality,
}

impl fmt::Debug for ScannedPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScannedPage")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("corners", &self.corners)
            .field("quality", &self.quality)
            .field("pixels", &"masked")
            .finish()
    }
}

impl ScannedPage {
    /// The page as a BGR `Mat`.
    pub fn to_mat(&self) -> Result<Mat> {
        bytes_to_mat(&self.bgr, self.width, self.height, 3)
    }
}

/// An RGB image for display (a Slint `SharedPixelBuffer<Rgb8Pixel>` takes these bytes).
#[derive(Clone, PartialEq)]
pub struct RgbPreview {
    /// Packed RGB pixels, `width * height * 3` bytes.
    pub rgb: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl fmt::Debug for RgbPreview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RgbPreview({}x{}, pixels masked)",
            self.width, self.height
        )
    }
}

/// Finds, straightens and checks the page in `frame`.
pub fn scan(frame: &Frame, cfg: &ScanConfig) -> Result<ScannedPage> {
    let bgr = frame_mat(frame)?;
    scan_mat(&bgr, cfg)
}

/// [`scan`] on a BGR `Mat`.
pub fn scan_mat(bgr: &Mat, cfg: &ScanConfig) -> Result<ScannedPage> {
    let mut gray = Mat::default();
    imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    let outline = outline(bgr, &gray, cfg)?;
    let (w, h) = output_size(&outline.corners, cfg);
    let mut page = warp(bgr, &outline.corners, w, h)?;
    let mut page_gray = Mat::default();
    imgproc::cvt_color_def(&page, &mut page_gray, imgproc::COLOR_BGR2GRAY)?;

    let brightness = cvcore::mean_def(&page_gray)?[0] as f32;
    if brightness < cfg.min_brightness {
        return Err(DocumentError::TooDark { mean: brightness });
    }
    let glare = glare_fraction(&page_gray)?;
    if glare > cfg.max_glare {
        return Err(DocumentError::Glare {
            fraction: glare,
            max: cfg.max_glare,
        });
    }
    let blur = blur_measure(&inner(&page_gray, 0.04)?)?;
    if blur > cfg.max_blur {
        return Err(DocumentError::Blurred {
            blur,
            max: cfg.max_blur,
        });
    }
    let mut skew_deg = 0.0;
    if cfg.deskew {
        let a = skew_angle(&page_gray)?;
        if a.abs() >= 0.3 {
            page = rotate(&page, a)?;
            skew_deg = a;
        }
    }
    if cfg.whiten {
        page = whiten(&page)?;
    }
    let bytes = mat_bytes(&page)?;
    Ok(ScannedPage {
        bgr: bytes,
        width: w as u32,
        height: h as u32,
        corners: outline.corners,
        quality: PageQuality {
            coverage: outline.coverage,
            blur,
            sharpness: 1.0 - blur,
            glare,
            brightness,
            skew_deg,
            confidence: outline.confidence,
        },
    })
}

/// Only the outline of the page (fast enough for a live overlay): the same checks as [`scan`] for
/// presence, size, two pages and cut-off, none on blur or glare.
pub fn find_page(frame: &Frame, cfg: &ScanConfig) -> Result<PageOutline> {
    let bgr = frame_mat(frame)?;
    let mut gray = Mat::default();
    imgproc::cvt_color_def(&bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    outline(&bgr, &gray, cfg)
}

/// Encodes `page` as JPEG for central's material upload: at most [`MAX_UPLOAD_SIDE`] on the long
/// side and [`MAX_UPLOAD_BYTES`] in size (downscaled by steps of 0.8 until it fits). `quality` is
/// clamped to 30–100.
pub fn encode_jpeg(page: &ScannedPage, quality: u8) -> Result<Vec<u8>> {
    let mut img = page.to_mat()?;
    let long = page.width.max(page.height);
    if long > MAX_UPLOAD_SIDE {
        img = resize_to(&img, MAX_UPLOAD_SIDE as f64 / long as f64)?;
    }
    let q = i32::from(quality.clamp(30, 100));
    loop {
        let mut buf = Vector::<u8>::new();
        let params = Vector::<i32>::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, q]);
        if !imgcodecs::imencode(".jpg", &img, &mut buf, &params)? {
            return Err(DocumentError::BadFrame(
                "JPEG encoder refused the page".into(),
            ));
        }
        if buf.len() <= MAX_UPLOAD_BYTES {
            return Ok(buf.to_vec());
        }
        if img.cols() < 64 || img.rows() < 64 {
            return Err(DocumentError::BadFrame(
                "page does not fit the upload limit".into(),
            ));
        }
        img = resize_to(&img, 0.8)?;
    }
}

/// The page as RGB, scaled (never enlarged) to fit `max_width`×`max_height`, for display.
pub fn preview_rgb(page: &ScannedPage, max_width: u32, max_height: u32) -> Result<RgbPreview> {
    let img = page.to_mat()?;
    let k = (max_width as f64 / page.width as f64)
        .min(max_height as f64 / page.height as f64)
        .min(1.0);
    let img = if k < 1.0 { resize_to(&img, k)? } else { img };
    let mut rgb = Mat::default();
    imgproc::cvt_color_def(&img, &mut rgb, imgproc::COLOR_BGR2RGB)?;
    Ok(RgbPreview {
        width: rgb.cols() as u32,
        height: rgb.rows() as u32,
        rgb: mat_bytes(&rgb)?,
    })
}

/// What `jiuzhu-kiosk vision scan` did: where the page went, its size and measures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScanReport {
    /// The JPEG written.
    pub out: std::path::PathBuf,
    /// Page width in pixels.
    pub width: u32,
    /// Page height in pixels.
    pub height: u32,
    /// JPEG size in bytes.
    pub bytes: usize,
    /// Where the page was in the picture.
    pub corners: Corners,
    /// Measures of the page.
    pub quality: PageQuality,
}

impl fmt::Display for ScanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = &self.quality;
        writeln!(
            f,
            "page:       {}x{} px -> {} ({} bytes)",
            self.width,
            self.height,
            self.out.display(),
            self.bytes
        )?;
        writeln!(
            f,
            "corners:    {}",
            self.corners
                .iter()
                .map(|p| format!("({:.1}, {:.1})", p[0], p[1]))
                .collect::<Vec<_>>()
                .join(" ")
        )?;
        write!(
            f,
            "quality:    coverage {:.0} %, blur {:.2}, glare {:.1} %, brightness {:.0}, deskewed {:.1}°, confidence {:.2}",
            q.coverage * 100.0,
            q.blur,
            q.glare * 100.0,
            q.brightness,
            q.skew_deg,
            q.confidence
        )
    }
}

/// Scans a photo file and writes the page as JPEG to `out` (mode 0600: a resident's document),
/// through a temporary file so a failure leaves nothing half-written.
pub fn scan_file(
    image: &std::path::Path,
    out: &std::path::Path,
    cfg: &ScanConfig,
    quality: u8,
) -> Result<ScanReport> {
    let bgr = imgcodecs::imread(&*image.to_string_lossy(), imgcodecs::IMREAD_COLOR)?;
    if bgr.empty() {
        return Err(DocumentError::BadFrame(format!(
            "cannot read {}: not found or not an image",
            image.display()
        )));
    }
    let page = scan_mat(&bgr, cfg)?;
    let jpeg = encode_jpeg(&page, quality)?;
    let tmp = out.with_extension("jpg.tmp");
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&jpeg)?;
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        DocumentError::Write(format!("cannot write {}: {e}", out.display()))
    })?;
    Ok(ScanReport {
        out: out.to_path_buf(),
        width: page.width,
        height: page.height,
        bytes: jpeg.len(),
        corners: page.corners,
        quality: page.quality,
    })
}

// ---------------------------------------------------------------------------------------------
// Detection

#[derive(Clone, Debug)]
struct Candidate {
    /// Corners in full-resolution pixels, any order.
    quad: [[f32; 2]; 4],
    /// Area of the quadrilateral in full-resolution pixels².
    area: f64,
    /// Contour area over quadrilateral area.
    fit: f32,
    /// Sides of the frame the hull touches (bit mask left, top, right, bottom).
    touches: u8,
    /// The quadrilateral is a `minAreaRect` guess.
    guessed: bool,
    /// Contour area over hull area.
    solidity: f32,
    /// Hull area in full-resolution pixels².
    hull_area: f64,
    /// Mean HSV saturation inside the contour (paper is grey or white: low).
    saturation: f32,
}

impl Candidate {
    /// A whole page: convex and filling its quadrilateral.
    fn page_like(&self) -> bool {
        self.solidity >= 0.9 && self.fit >= 0.85
    }
}

fn outline(bgr: &Mat, gray: &Mat, cfg: &ScanConfig) -> Result<PageOutline> {
    let (fw, fh) = (gray.cols() as f64, gray.rows() as f64);
    if fw < 64.0 || fh < 64.0 {
        return Err(DocumentError::BadFrame(format!(
            "{fw}x{fh} is too small for a document picture"
        )));
    }
    let frame_area = fw * fh;
    let min_area = cfg.min_coverage as f64 * frame_area;
    let all = candidates(bgr, gray)?;
    // A page running out of the picture: a large, grey (unsaturated) blob touching one or two
    // sides; its margins alone may not make a convex shape.
    let cut_off: Vec<Candidate> = all
        .iter()
        .filter(|c| matches!(c.touches.count_ones(), 1 | 2))
        .filter(|c| c.hull_area >= min_area && c.solidity >= 0.45 && c.saturation < 60.0)
        .cloned()
        .collect();
    // Whole pages; the desk itself (or the whole picture) spans three or four sides or nearly
    // all of it and is no page.
    let mut cands: Vec<Candidate> = all
        .into_iter()
        .filter(|c| c.touches == 0 && c.area < 0.97 * frame_area && c.page_like())
        .collect();
    cands.sort_by(|a, b| b.area.total_cmp(&a.area));
    // The same page from several masks: the outline that fits best (a blob that took in a
    // neighbouring bright thing is larger but fits worse).
    if let Some(first) = cands.first().cloned() {
        let same = |c: &Candidate| {
            c.area >= 0.8 * first.area
                && inside(&first.quad, centre(&c.quad))
                && inside(&c.quad, centre(&first.quad))
        };
        if let Some(i) = (0..cands.len())
            .filter(|&i| same(&cands[i]))
            .max_by(|&i, &j| fit_rank(&cands[i]).total_cmp(&fit_rank(&cands[j])))
        {
            cands.swap(0, i);
        }
    }
    // A border blob mostly made of a whole page is that page with something bright next to it.
    let page = cands.first().map(|b| (centre(&b.quad), b.area));
    if cut_off.iter().any(|c| {
        page.is_none_or(|(p, area)| {
            c.hull_area > area && !(inside(&c.quad, p) && area >= 0.5 * c.hull_area)
        })
    }) {
        return Err(DocumentError::CutOff);
    }
    let Some(best) = cands.first().cloned() else {
        return Err(DocumentError::NotFound);
    };
    // Other pages: large, not inside the best one, not the same outline from the other mask.
    let others: Vec<&Candidate> = cands[1..]
        .iter()
        .filter(|c| c.area >= 0.4 * best.area && c.area >= min_area)
        .filter(|c| !inside(&best.quad, centre(&c.quad)) && !inside(&c.quad, centre(&best.quad)))
        .collect();
    if !others.is_empty() {
        // Count distinct ones (both masks may find the same second page).
        let mut distinct: Vec<[f32; 2]> = vec![];
        for c in others {
            let p = centre(&c.quad);
            if !distinct.iter().any(|q| dist(*q, p) < 20.0) {
                distinct.push(p);
            }
        }
        return Err(DocumentError::MultiplePages {
            count: 1 + distinct.len(),
        });
    }
    let coverage = (best.area / frame_area) as f32;
    // A small coloured quadrilateral (a cup, a box on the desk) is no page put too far away.
    if coverage < cfg.min_coverage && best.saturation >= 60.0 {
        return Err(DocumentError::NotFound);
    }
    if coverage < cfg.min_coverage {
        return Err(DocumentError::TooSmall {
            coverage,
            min: cfg.min_coverage,
        });
    }
    let ordered = order_corners(best.quad);
    let corners = refine_corners(gray, ordered)?;
    let margin = 2.0;
    if corners.iter().any(|p| {
        p[0] < margin
            || p[1] < margin
            || p[0] > fw as f32 - 1.0 - margin
            || p[1] > fh as f32 - 1.0 - margin
    }) {
        return Err(DocumentError::CutOff);
    }
    Ok(PageOutline {
        corners,
        coverage,
        confidence: best.fit.min(1.0) * if best.guessed { 0.75 } else { 1.0 },
    })
}

fn candidates(bgr: &Mat, gray: &Mat) -> Result<Vec<Candidate>> {
    let k = (WORK_SIDE / gray.cols().max(gray.rows()) as f64).min(1.0);
    let small = resize_to(gray, k)?;
    let mut hsv = Mat::default();
    imgproc::cvt_color_def(&resize_to(bgr, k)?, &mut hsv, imgproc::COLOR_BGR2HSV)?;
    let mut sat = Mat::default();
    cvcore::extract_channel(&hsv, &mut sat, 1)?;
    let mut blur = Mat::default();
    imgproc::gaussian_blur_def(&small, &mut blur, Size::new(5, 5), 0.0)?;
    let (sw, sh) = (small.cols(), small.rows());

    let mut otsu = Mat::default();
    imgproc::threshold(
        &blur,
        &mut otsu,
        0.0,
        255.0,
        imgproc::THRESH_BINARY | imgproc::THRESH_OTSU,
    )?;
    let close = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(9, 9))?;
    let open = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(5, 5))?;
    let mut tmp = Mat::default();
    imgproc::morphology_ex_def(&otsu, &mut tmp, imgproc::MORPH_CLOSE, &close)?;
    let mut bright = Mat::default();
    imgproc::morphology_ex_def(&tmp, &mut bright, imgproc::MORPH_OPEN, &open)?;

    // Bright regions cut along every edge: separates a page from bright things it touches
    // (a white cup, light stones, a second page).
    let mut fine = Mat::default();
    imgproc::canny_def(&blur, &mut fine, 20.0, 50.0)?;
    let mut fine_d = Mat::default();
    imgproc::dilate_def(
        &fine,
        &mut fine_d,
        &imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(3, 3))?,
    )?;
    let mut not_edge = Mat::default();
    cvcore::bitwise_not_def(&fine_d, &mut not_edge)?;
    let mut cut_raw = Mat::default();
    cvcore::bitwise_and_def(&otsu, &not_edge, &mut cut_raw)?;
    let mut cut = Mat::default();
    let open7 = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(7, 7))?;
    imgproc::morphology_ex_def(&cut_raw, &mut cut, imgproc::MORPH_OPEN, &open7)?;

    let mut edges = Mat::default();
    imgproc::canny_def(&blur, &mut edges, 30.0, 90.0)?;
    let dil = imgproc::get_structuring_element_def(imgproc::MORPH_RECT, Size::new(3, 3))?;
    let mut edges_d = Mat::default();
    imgproc::dilate(
        &edges,
        &mut edges_d,
        &dil,
        Point::new(-1, -1),
        2,
        cvcore::BORDER_CONSTANT,
        imgproc::morphology_default_border_value()?,
    )?;

    let min_small_area = 0.02 * (sw * sh) as f64;
    let mut out = vec![];
    for mask in [&bright, &cut, &edges_d] {
        let mut contours = Vector::<Vector<Point>>::new();
        imgproc::find_contours_def(
            mask,
            &mut contours,
            imgproc::RETR_EXTERNAL,
            imgproc::CHAIN_APPROX_SIMPLE,
        )?;
        for c in contours.iter() {
            let area = imgproc::contour_area_def(&c)?;
            if area < min_small_area {
                continue;
            }
            let mut hull = Vector::<Point>::new();
            imgproc::convex_hull_def(&c, &mut hull)?;
            let (quad, guessed) = quad_of(&hull)?;
            let hull_area = imgproc::contour_area_def(&hull)?.max(1.0);
            let mut blob = Mat::zeros(sh, sw, cvcore::CV_8UC1)?.to_mat()?;
            let one = Vector::<Vector<Point>>::from_iter([c.clone()]);
            imgproc::draw_contours(
                &mut blob,
                &one,
                0,
                Scalar::all(255.0),
                imgproc::FILLED,
                imgproc::LINE_8,
                &cvcore::no_array(),
                i32::MAX,
                Point::default(),
            )?;
            let saturation = cvcore::mean(&sat, &blob)?[0] as f32;
            let qv: Vector<Point2f> = quad.iter().map(|p| Point2f::new(p[0], p[1])).collect();
            let qarea = imgproc::contour_area_def(&qv)?.max(1.0);
            let mut touches = 0u8;
            for p in hull.iter() {
                if p.x <= 1 {
                    touches |= 1;
                }
                if p.y <= 1 {
                    touches |= 2;
                }
                if p.x >= sw - 2 {
                    touches |= 4;
                }
                if p.y >= sh - 2 {
                    touches |= 8;
                }
            }
            let inv = 1.0 / k as f32;
            out.push(Candidate {
                quad: quad.map(|p| [(p[0] + 0.5) * inv - 0.5, (p[1] + 0.5) * inv - 0.5]),
                area: qarea / (k * k),
                fit: (area / qarea) as f32,
                solidity: (area / hull_area) as f32,
                hull_area: hull_area / (k * k),
                saturation,
                touches,
                guessed,
            });
        }
    }
    Ok(out)
}

/// Four vertices of a convex hull by `approxPolyDP` with a growing tolerance, else its
/// `minAreaRect`.
fn quad_of(hull: &Vector<Point>) -> Result<([[f32; 2]; 4], bool)> {
    let peri = imgproc::arc_length(hull, true)?;
    for eps in [0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06] {
        let mut approx = Vector::<Point>::new();
        imgproc::approx_poly_dp(hull, &mut approx, eps * peri, true)?;
        if approx.len() == 4 {
            let mut q = [[0f32; 2]; 4];
            for (i, p) in approx.iter().enumerate() {
                q[i] = [p.x as f32, p.y as f32];
            }
            return Ok((q, false));
        }
        if approx.len() < 4 {
            break;
        }
    }
    let r = imgproc::min_area_rect(hull)?;
    let mut pts = [Point2f::default(); 4];
    r.points(&mut pts)?;
    Ok((pts.map(|p| [p.x, p.y]), true))
}

/// How well a candidate fits a page: fit above 1 (a quadrilateral cutting corners) is as bad as
/// the same amount below.
fn fit_rank(c: &Candidate) -> f32 {
    -(c.fit - 1.0).abs() + if c.guessed { -0.1 } else { 0.0 }
}

fn centre(q: &[[f32; 2]; 4]) -> [f32; 2] {
    [
        q.iter().map(|p| p[0]).sum::<f32>() / 4.0,
        q.iter().map(|p| p[1]).sum::<f32>() / 4.0,
    ]
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Point in a convex quadrilateral given in any rotational order.
fn inside(q: &[[f32; 2]; 4], p: [f32; 2]) -> bool {
    let o = order_corners(*q);
    let mut sign = 0.0f32;
    for i in 0..4 {
        let a = o[i];
        let b = o[(i + 1) % 4];
        let c = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        if sign == 0.0 {
            sign = c.signum();
        } else if c.signum() != sign && c != 0.0 {
            return false;
        }
    }
    true
}

/// Orders four corners top-left, top-right, bottom-right, bottom-left (clockwise on screen,
/// starting with the corner nearest the top-left of the frame).
pub fn order_corners(q: [[f32; 2]; 4]) -> Corners {
    let c = centre(&q);
    let mut v = q.to_vec();
    v.sort_by(|a, b| {
        let aa = (a[1] - c[1]).atan2(a[0] - c[0]);
        let bb = (b[1] - c[1]).atan2(b[0] - c[0]);
        aa.total_cmp(&bb)
    });
    // atan2 with y down: increasing angle goes clockwise on screen.
    let start = (0..4)
        .min_by(|&i, &j| (v[i][0] + v[i][1]).total_cmp(&(v[j][0] + v[j][1])))
        .unwrap_or(0);
    [
        v[start],
        v[(start + 1) % 4],
        v[(start + 2) % 4],
        v[(start + 3) % 4],
    ]
}

/// Refines each side at full resolution and intersects adjacent sides: a wide search that a
/// robust line fit cleans up, then a narrow one around that line.
fn refine_corners(gray: &Mat, q: Corners) -> Result<Corners> {
    let w = gray.cols() as usize;
    let h = gray.rows() as usize;
    let mut sm = Mat::default();
    imgproc::gaussian_blur_def(gray, &mut sm, Size::new(3, 3), 0.0)?;
    let px = mat_bytes(&sm)?;
    let scale = (w.max(h) as f32 / WORK_SIDE as f32).max(1.0);
    let wide = refine_pass(&px, w, h, q, (10.0 * scale).max(10.0))?;
    refine_pass(&px, w, h, wide, 4.0)
}

fn refine_pass(px: &[u8], w: usize, h: usize, q: Corners, reach: f32) -> Result<Corners> {
    let at = |x: f32, y: f32| -> Option<f32> {
        if x < 0.0 || y < 0.0 || x > (w - 1) as f32 || y > (h - 1) as f32 {
            return None;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let g = |xx: usize, yy: usize| f32::from(px[yy * w + xx]);
        Some(
            g(x0, y0) * (1.0 - fx) * (1.0 - fy)
                + g(x1, y0) * fx * (1.0 - fy)
                + g(x0, y1) * (1.0 - fx) * fy
                + g(x1, y1) * fx * fy,
        )
    };
    let c = centre(&q);
    let mut lines: [Option<[f32; 4]>; 4] = [None; 4];
    for (i, line) in lines.iter_mut().enumerate() {
        let a = q[i];
        let b = q[(i + 1) % 4];
        let len = dist(a, b).max(1.0);
        let d = [(b[0] - a[0]) / len, (b[1] - a[1]) / len];
        let mut n = [-d[1], d[0]];
        let mid = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
        if (mid[0] - c[0]) * n[0] + (mid[1] - c[1]) * n[1] < 0.0 {
            n = [-n[0], -n[1]];
        }
        // Profiles run from inside (page) to outside (desk); the side's polarity decides which
        // sign of step is the paper's edge.
        let samples = 48;
        let steps = (2.0 * reach).round() as i32;
        let mut profiles: Vec<([f32; 2], Vec<f32>)> = Vec::with_capacity(samples);
        let (mut inside_sum, mut outside_sum) = (0.0, 0.0);
        for s in 0..samples {
            let t = 0.1 + 0.8 * s as f32 / (samples - 1) as f32;
            let p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            let prof: Option<Vec<f32>> = (0..=steps)
                .map(|k| {
                    let o = -reach + k as f32;
                    at(p[0] + n[0] * o, p[1] + n[1] * o)
                })
                .collect();
            if let Some(prof) = prof {
                inside_sum += prof[..3].iter().sum::<f32>();
                outside_sum += prof[prof.len() - 3..].iter().sum::<f32>();
                profiles.push((p, prof));
            }
        }
        let polarity = if inside_sum >= outside_sum { -1.0 } else { 1.0 };
        let mut pts: Vec<[f32; 2]> = vec![];
        for (p, prof) in &profiles {
            let grad = |k: usize| polarity * (prof[k + 1] - prof[k - 1]) / 2.0;
            let mut best = (0usize, 0.0f32);
            for k in 1..prof.len() - 1 {
                if grad(k) > best.1 {
                    best = (k, grad(k));
                }
            }
            let (k, g) = best;
            if g < 4.0 || k < 2 || k + 2 >= prof.len() {
                continue;
            }
            let (g0, g2) = (grad(k - 1), grad(k + 1));
            let denom = g0 - 2.0 * g + g2;
            let sub = if denom.abs() > 1e-6 {
                (0.5 * (g0 - g2) / denom).clamp(-0.5, 0.5)
            } else {
                0.0
            };
            let o = -reach + k as f32 + sub;
            pts.push([p[0] + n[0] * o, p[1] + n[1] * o]);
        }
        *line = robust_line(&pts)?;
    }
    let mut out = q;
    for i in 0..4 {
        // Corner i is between side i-1 (q[i-1] → q[i]) and side i (q[i] → q[i+1]).
        if let (Some(l1), Some(l2)) = (lines[(i + 3) % 4], lines[i]) {
            if let Some(p) = intersect(l1, l2) {
                if dist(p, q[i]) <= 3.0 * reach {
                    out[i] = p;
                }
            }
        }
    }
    Ok(out)
}

/// The line through most of `pts` (within 1 px), by trying the line through every pair, then a
/// least-squares fit to its inliers. `None` with fewer than 8 inliers.
fn robust_line(pts: &[[f32; 2]]) -> Result<Option<[f32; 4]>> {
    let mut best: Vec<usize> = vec![];
    for i in 0..pts.len() {
        for j in i + 1..pts.len() {
            let (a, b) = (pts[i], pts[j]);
            let len = dist(a, b);
            if len < 1.0 {
                continue;
            }
            let nrm = [-(b[1] - a[1]) / len, (b[0] - a[0]) / len];
            let inl: Vec<usize> = (0..pts.len())
                .filter(|&k| {
                    ((pts[k][0] - a[0]) * nrm[0] + (pts[k][1] - a[1]) * nrm[1]).abs() <= 1.0
                })
                .collect();
            if inl.len() > best.len() {
                best = inl;
            }
        }
    }
    if best.len() < 8 {
        return Ok(None);
    }
    let v: Vector<Point2f> = best
        .iter()
        .map(|&k| Point2f::new(pts[k][0], pts[k][1]))
        .collect();
    let mut line = Vector::<f32>::new();
    imgproc::fit_line(&v, &mut line, imgproc::DIST_L2, 0.0, 0.01, 0.01)?;
    Ok(Some([
        line.get(0)?,
        line.get(1)?,
        line.get(2)?,
        line.get(3)?,
    ]))
}

fn intersect(l1: [f32; 4], l2: [f32; 4]) -> Option<[f32; 2]> {
    let (d1, p1) = ([l1[0], l1[1]], [l1[2], l1[3]]);
    let (d2, p2) = ([l2[0], l2[1]], [l2[2], l2[3]]);
    let den = d1[0] * d2[1] - d1[1] * d2[0];
    if den.abs() < 1e-4 {
        return None;
    }
    let t = ((p2[0] - p1[0]) * d2[1] - (p2[1] - p1[1]) * d2[0]) / den;
    Some([p1[0] + d1[0] * t, p1[1] + d1[1] * t])
}

// ---------------------------------------------------------------------------------------------
// Warping and quality

/// Output size in pixels: the mean side lengths, snapped to A4 when close, within `max_side`.
fn output_size(c: &Corners, cfg: &ScanConfig) -> (i32, i32) {
    let top = dist(c[0], c[1]);
    let bottom = dist(c[3], c[2]);
    let left = dist(c[0], c[3]);
    let right = dist(c[1], c[2]);
    let mut w = (top + bottom) / 2.0;
    let mut h = (left + right) / 2.0;
    if cfg.snap_a4 {
        let r = h / w;
        if (r / A4_ASPECT - 1.0).abs() < 0.05 {
            h = w * A4_ASPECT;
        } else if (r * A4_ASPECT - 1.0).abs() < 0.05 {
            h = w / A4_ASPECT;
        }
    }
    let long = w.max(h);
    if long > cfg.max_side as f32 {
        let k = cfg.max_side as f32 / long;
        w *= k;
        h *= k;
    }
    (w.round().max(8.0) as i32, h.round().max(8.0) as i32)
}

fn warp(bgr: &Mat, c: &Corners, w: i32, h: i32) -> Result<Mat> {
    let src: Vector<Point2f> = c.iter().map(|p| Point2f::new(p[0], p[1])).collect();
    let (fw, fh) = (w as f32 - 0.5, h as f32 - 0.5);
    let dst = Vector::<Point2f>::from_slice(&[
        Point2f::new(-0.5, -0.5),
        Point2f::new(fw, -0.5),
        Point2f::new(fw, fh),
        Point2f::new(-0.5, fh),
    ]);
    let m = imgproc::get_perspective_transform_def(&src, &dst)?;
    let mut out = Mat::default();
    imgproc::warp_perspective(
        bgr,
        &mut out,
        &m,
        Size::new(w, h),
        imgproc::INTER_LINEAR,
        cvcore::BORDER_REPLICATE,
        Scalar::default(),
    )?;
    Ok(out)
}

/// The central part of an image, `margin` of each side cut away.
fn inner(m: &Mat, margin: f64) -> Result<Mat> {
    let (w, h) = (m.cols(), m.rows());
    let (dx, dy) = ((w as f64 * margin) as i32, (h as f64 * margin) as i32);
    let roi = Mat::roi(m, cvcore::Rect::new(dx, dy, w - 2 * dx, h - 2 * dy))?;
    Ok(roi.try_clone()?)
}

/// Crété-Roffet et al. 2007 no-reference blur: 0 sharp … 1 flat; the larger of the horizontal and
/// vertical values.
pub fn blur_measure(gray: &Mat) -> Result<f32> {
    // Sensor noise looks sharp: smooth it a little first and leave out flat pixels.
    let mut smooth = Mat::default();
    imgproc::gaussian_blur_def(gray, &mut smooth, Size::new(3, 3), 0.0)?;
    let gray = &smooth;
    let g = mat_bytes(gray)?;
    let (w, h) = (gray.cols() as usize, gray.rows() as usize);
    if w < 12 || h < 12 {
        return Ok(1.0);
    }
    let mut hb = Mat::default();
    imgproc::blur_def(gray, &mut hb, Size::new(9, 1))?;
    let mut vb = Mat::default();
    imgproc::blur_def(gray, &mut vb, Size::new(1, 9))?;
    let hb = mat_bytes(&hb)?;
    let vb = mat_bytes(&vb)?;
    let measure = |blurred: &[u8], dx: usize, dy: usize| -> f32 {
        let (mut s_f, mut s_v) = (0f64, 0f64);
        for y in dy..h {
            for x in dx..w {
                let i = y * w + x;
                let j = (y - dy) * w + (x - dx);
                let d_f = (i32::from(g[i]) - i32::from(g[j])).abs();
                if d_f < 3 {
                    continue;
                }
                let d_b = (i32::from(blurred[i]) - i32::from(blurred[j])).abs();
                s_f += f64::from(d_f);
                s_v += f64::from((d_f - d_b).max(0));
            }
        }
        if s_f <= 0.0 {
            1.0
        } else {
            ((s_f - s_v) / s_f) as f32
        }
    };
    Ok(measure(&hb, 1, 0).max(measure(&vb, 0, 1)))
}

/// Largest blob of saturated pixels (grey ≥ 250) over the page area.
fn glare_fraction(gray: &Mat) -> Result<f32> {
    let mut sat = Mat::default();
    imgproc::threshold(gray, &mut sat, 249.0, 255.0, imgproc::THRESH_BINARY)?;
    if cvcore::count_non_zero(&sat)? == 0 {
        return Ok(0.0);
    }
    let (mut labels, mut stats, mut cents) = (Mat::default(), Mat::default(), Mat::default());
    let n =
        imgproc::connected_components_with_stats_def(&sat, &mut labels, &mut stats, &mut cents)?;
    let mut largest = 0;
    for i in 1..n {
        largest = largest.max(*stats.at_2d::<i32>(i, imgproc::CC_STAT_AREA)?);
    }
    Ok(largest as f32 / (gray.cols() * gray.rows()) as f32)
}

/// The rotation in degrees (counter-clockwise on screen positive) that straightens the print, by the projection-profile method: the angle within ±6° whose row histogram of dark
/// pixels has the largest sum of squares. 0 when there is too little print to tell.
pub fn skew_angle(gray: &Mat) -> Result<f32> {
    let k = (600.0 / gray.cols().max(gray.rows()) as f64).min(1.0);
    let small = inner(&resize_to(gray, k)?, 0.05)?;
    let mut bin = Mat::default();
    imgproc::adaptive_threshold(
        &small,
        &mut bin,
        255.0,
        imgproc::ADAPTIVE_THRESH_MEAN_C,
        imgproc::THRESH_BINARY_INV,
        25,
        15.0,
    )?;
    let (w, h) = (bin.cols() as usize, bin.rows() as usize);
    let b = mat_bytes(&bin)?;
    let mut pts: Vec<(f32, f32)> = vec![];
    for y in 0..h {
        for x in 0..w {
            if b[y * w + x] != 0 {
                pts.push((x as f32 - w as f32 / 2.0, y as f32 - h as f32 / 2.0));
            }
        }
    }
    if pts.len() < (w * h) / 200 {
        return Ok(0.0);
    }
    if pts.len() > 40_000 {
        let step = pts.len() / 40_000 + 1;
        pts = pts.into_iter().step_by(step).collect();
    }
    let diag = ((w * w + h * h) as f32).sqrt();
    let bins = diag as usize + 2;
    let score = |deg: f32| -> f64 {
        let (s, c) = deg.to_radians().sin_cos();
        let mut hist = vec![0u32; bins];
        for &(x, y) in &pts {
            // Row of the point once the page is rotated by `deg` (counter-clockwise on screen).
            let yr = -x * s + y * c + diag / 2.0;
            hist[(yr.max(0.0) as usize).min(bins - 1)] += 1;
        }
        hist.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
    };
    let mut best = (0.0f32, score(0.0));
    let zero = best.1;
    let mut a = -6.0;
    while a <= 6.0 + 1e-3 {
        let s = score(a);
        if s > best.1 {
            best = (a, s);
        }
        a += 0.5;
    }
    let centre = best.0;
    let mut a = centre - 0.5;
    while a <= centre + 0.5 + 1e-3 {
        let s = score(a);
        if s > best.1 {
            best = (a, s);
        }
        a += 0.1;
    }
    // A profile barely sharper than the unrotated one is not a skew (pictures, blank pages).
    if best.1 < zero * 1.05 {
        return Ok(0.0);
    }
    Ok((best.0 * 10.0).round() / 10.0)
}

/// Rotates the page about its centre by `deg` (counter-clockwise on screen), edges replicated.
fn rotate(img: &Mat, deg: f32) -> Result<Mat> {
    let c = Point2f::new(img.cols() as f32 / 2.0 - 0.5, img.rows() as f32 / 2.0 - 0.5);
    // OpenCV: a positive angle turns the picture counter-clockwise as seen on screen.
    let m = imgproc::get_rotation_matrix_2d(c, f64::from(deg), 1.0)?;
    let mut out = Mat::default();
    imgproc::warp_affine(
        img,
        &mut out,
        &m,
        img.size()?,
        imgproc::INTER_LINEAR,
        cvcore::BORDER_REPLICATE,
        Scalar::default(),
    )?;
    Ok(out)
}

/// Divides each channel by the page's background (a grey closing that removes the print), so the
/// paper comes out white and shadows and gradients disappear.
fn whiten(bgr: &Mat) -> Result<Mat> {
    let mut gray = Mat::default();
    imgproc::cvt_color_def(bgr, &mut gray, imgproc::COLOR_BGR2GRAY)?;
    let k = (400.0 / gray.cols().max(gray.rows()) as f64).min(1.0);
    let small = resize_to(&gray, k)?;
    let kernel = imgproc::get_structuring_element_def(imgproc::MORPH_ELLIPSE, Size::new(15, 15))?;
    let mut bg = Mat::default();
    imgproc::morphology_ex_def(&small, &mut bg, imgproc::MORPH_CLOSE, &kernel)?;
    let mut bg_s = Mat::default();
    imgproc::gaussian_blur_def(&bg, &mut bg_s, Size::new(0, 0), 4.0)?;
    let mut bg_full = Mat::default();
    imgproc::resize(
        &bg_s,
        &mut bg_full,
        gray.size()?,
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    let bgb = mat_bytes(&bg_full)?;
    let mut px = mat_bytes(bgr)?;
    for (i, p) in px.chunks_exact_mut(3).enumerate() {
        let gain = 245.0 / f32::from(bgb[i].max(30));
        for v in p {
            *v = (f32::from(*v) * gain).round().clamp(0.0, 255.0) as u8;
        }
    }
    bytes_to_mat(&px, bgr.cols() as u32, bgr.rows() as u32, 3)
}

// ---------------------------------------------------------------------------------------------
// Conversions

fn frame_mat(frame: &Frame) -> Result<Mat> {
    let want = frame.width as usize * frame.height as usize * frame.format.channels();
    if frame.data.len() != want || frame.width == 0 || frame.height == 0 {
        return Err(DocumentError::BadFrame(format!(
            "{}x{} {:?} needs {want} bytes, got {}",
            frame.width,
            frame.height,
            frame.format,
            frame.data.len()
        )));
    }
    let m = bytes_to_mat(
        &frame.data,
        frame.width,
        frame.height,
        frame.format.channels() as i32,
    )?;
    if frame.format == PixelFormat::Gray8 {
        let mut out = Mat::default();
        imgproc::cvt_color_def(&m, &mut out, imgproc::COLOR_GRAY2BGR)?;
        return Ok(out);
    }
    Ok(m)
}

/// A `Mat` holding a copy of packed 8-bit pixels.
pub fn bytes_to_mat(data: &[u8], width: u32, height: u32, channels: i32) -> Result<Mat> {
    if data.len() != width as usize * height as usize * channels as usize || data.is_empty() {
        return Err(DocumentError::BadFrame(format!(
            "{} bytes are not {width}x{height}x{channels}",
            data.len()
        )));
    }
    let flat = Mat::from_slice(data)?;
    Ok(flat.reshape(channels, height as i32)?.try_clone()?)
}

/// The packed bytes of an 8-bit `Mat`.
pub fn mat_bytes(m: &Mat) -> Result<Vec<u8>> {
    if m.is_continuous() {
        Ok(m.data_bytes()?.to_vec())
    } else {
        Ok(m.try_clone()?.data_bytes()?.to_vec())
    }
}

/// A BGR `Mat` as a camera frame.
pub fn mat_to_frame(m: &Mat) -> Result<Frame> {
    let format = match m.channels() {
        3 => PixelFormat::Bgr8,
        1 => PixelFormat::Gray8,
        n => return Err(DocumentError::BadFrame(format!("{n} channels"))),
    };
    Frame::new(m.cols() as u32, m.rows() as u32, format, mat_bytes(m)?)
        .map_err(|e| DocumentError::BadFrame(e.to_string()))
}

fn resize_to(m: &Mat, k: f64) -> Result<Mat> {
    if (k - 1.0).abs() < 1e-9 {
        return Ok(m.try_clone()?);
    }
    let size = Size::new(
        ((m.cols() as f64 * k).round() as i32).max(1),
        ((m.rows() as f64 * k).round() as i32).max(1),
    );
    let mut out = Mat::default();
    let interp = if k < 1.0 {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    };
    imgproc::resize(m, &mut out, size, 0.0, 0.0, interp)?;
    Ok(out)
}

/// Normalised cross-correlation of two grey images of the same size (−1 … 1).
pub fn ncc(a: &Mat, b: &Mat) -> Result<f32> {
    let (x, y) = (mat_bytes(a)?, mat_bytes(b)?);
    if x.len() != y.len() || x.is_empty() {
        return Err(DocumentError::BadFrame("ncc: sizes differ".into()));
    }
    let n = x.len() as f64;
    let mx = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let my = y.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&p, &q) in x.iter().zip(&y) {
        let (dp, dq) = (f64::from(p) - mx, f64::from(q) - my);
        sxy += dp * dq;
        sxx += dp * dp;
        syy += dq * dq;
    }
    Ok((sxy / (sxx * syy).sqrt().max(1e-9)) as f32)
}

/// Test and simulator frames: a real page photo on a real desk photo with a known pose.
pub mod scene {
    use std::path::{Path, PathBuf};

    use opencv::core::{self as cvcore, Mat, Point2f, Rect, Scalar, Size, Vector};
    use opencv::prelude::*;
    use opencv::{imgcodecs, imgproc};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::{Corners, DocumentError, Result, bytes_to_mat, mat_bytes, order_corners};

    /// The real images of `make fixtures` (`scripts/fetch-documents.sh`, scikit-image 0.25.2):
    /// `page.png`, `text.png` (documents), `coffee.png` (a wooden table), `gravel.png`.
    pub const FIXTURES: [&str; 4] = ["page.png", "text.png", "coffee.png", "gravel.png"];

    /// Where the document images are cached (`$JIUZHU_FIXTURES/documents` or
    /// `~/.cache/jiuzhu/fixtures/documents`).
    pub fn fixtures_dir() -> PathBuf {
        let base = std::env::var_os("JIUZHU_FIXTURES")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/jiuzhu/fixtures")
            });
        base.join("documents")
    }

    /// Reads an image as BGR; a missing fixture names `make fixtures`.
    pub fn load(path: &Path) -> Result<Mat> {
        let m = imgcodecs::imread(&*path.to_string_lossy(), imgcodecs::IMREAD_COLOR)?;
        if m.empty() {
            return Err(DocumentError::BadFrame(format!(
                "{} is missing or not an image: run `make fixtures` (scripts/fetch-documents.sh)",
                path.display()
            )));
        }
        Ok(m)
    }

    /// Writes an image file (format from the extension).
    pub fn save(m: &Mat, path: &Path) -> Result<()> {
        if !imgcodecs::imwrite(&*path.to_string_lossy(), m, &Vector::new())? {
            return Err(DocumentError::Write(format!(
                "cannot write {}",
                path.display()
            )));
        }
        Ok(())
    }

    /// One of [`FIXTURES`] as BGR.
    pub fn fixture(name: &str) -> Result<Mat> {
        load(&fixtures_dir().join(name))
    }

    /// A desk of `width`×`height` from a photo: the largest centred crop of that aspect, resized.
    pub fn desk(photo: &Mat, width: i32, height: i32) -> Result<Mat> {
        let (pw, ph) = (photo.cols(), photo.rows());
        let want = width as f64 / height as f64;
        let (cw, ch) = if pw as f64 / ph as f64 > want {
            ((ph as f64 * want) as i32, ph)
        } else {
            (pw, (pw as f64 / want) as i32)
        };
        let roi = Mat::roi(photo, Rect::new((pw - cw) / 2, (ph - ch) / 2, cw, ch))?;
        let mut out = Mat::default();
        imgproc::resize(
            &roi,
            &mut out,
            Size::new(width, height),
            0.0,
            0.0,
            imgproc::INTER_CUBIC,
        )?;
        Ok(out)
    }

    /// An A4 sheet `width` pixels wide: off-white paper with `contents` (real photos of print)
    /// stacked from the top inside 8 % margins, each scaled to the text width, then a signature
    /// line. `skew_deg` turns the contents on the paper (a crooked copy), counter-clockwise on
    /// screen.
    pub fn a4_sheet(contents: &[Mat], width: i32, skew_deg: f32) -> Result<Mat> {
        let height = (width as f32 * super::A4_ASPECT).round() as i32;
        let paper = Scalar::new(236.0, 240.0, 243.0, 0.0);
        let mut sheet = Mat::new_rows_cols_with_default(height, width, cvcore::CV_8UC3, paper)?;
        let margin = (width as f32 * 0.08) as i32;
        let text_w = width - 2 * margin;
        let mut y = margin;
        for c in contents {
            let h = (c.rows() as f32 * text_w as f32 / c.cols() as f32).round() as i32;
            if y + h > height - margin {
                break;
            }
            let mut scaled = Mat::default();
            imgproc::resize(
                c,
                &mut scaled,
                Size::new(text_w, h),
                0.0,
                0.0,
                imgproc::INTER_CUBIC,
            )?;
            let mut dst = Mat::roi_mut(&mut sheet, Rect::new(margin, y, text_w, h))?;
            scaled.copy_to(&mut dst)?;
            y += h + margin / 2;
        }
        let line_y = height - 2 * margin;
        imgproc::line(
            &mut sheet,
            cvcore::Point::new(width / 2, line_y),
            cvcore::Point::new(width - margin, line_y),
            Scalar::new(40.0, 40.0, 40.0, 0.0),
            (width / 300).max(1),
            imgproc::LINE_AA,
            0,
        )?;
        if skew_deg != 0.0 {
            let c = Point2f::new(width as f32 / 2.0 - 0.5, height as f32 / 2.0 - 0.5);
            let m = imgproc::get_rotation_matrix_2d(c, f64::from(skew_deg), 1.0)?;
            let mut out = Mat::default();
            imgproc::warp_affine(
                &sheet,
                &mut out,
                &m,
                sheet.size()?,
                imgproc::INTER_LINEAR,
                cvcore::BORDER_CONSTANT,
                paper,
            )?;
            sheet = out;
        }
        Ok(sheet)
    }

    /// Where and how a page lies under the camera.
    #[derive(Clone, Debug, PartialEq)]
    pub struct PagePose {
        /// Centre of the page in the frame, pixels.
        pub centre: [f32; 2],
        /// Width of the page in the frame, pixels (at the centre's depth).
        pub width: f32,
        /// Turn on the desk, degrees, counter-clockwise on screen.
        pub rotation_deg: f32,
        /// Tilt of the camera about the page's horizontal axis, degrees (keystone).
        pub tilt_x_deg: f32,
        /// Tilt of the camera about the page's vertical axis, degrees.
        pub tilt_y_deg: f32,
    }

    impl PagePose {
        /// A page of `width` pixels centred in a `frame_w`×`frame_h` frame, square to the camera.
        pub fn centred(frame_w: i32, frame_h: i32, width: f32) -> Self {
            Self {
                centre: [frame_w as f32 / 2.0, frame_h as f32 / 2.0],
                width,
                rotation_deg: 0.0,
                tilt_x_deg: 0.0,
                tilt_y_deg: 0.0,
            }
        }
    }

    /// Where the page's corners (top-left, top-right, bottom-right, bottom-left of the page
    /// image) land in the frame: the page is turned on the desk, then seen by a pinhole camera
    /// (focal length 1.2 × `focal_ref` pixels) tilted by the pose's angles.
    pub fn project(page_w: i32, page_h: i32, pose: &PagePose, focal_ref: f32) -> Corners {
        let k = pose.width / page_w as f32;
        let (hw, hh) = (page_w as f32 * k / 2.0, page_h as f32 * k / 2.0);
        let (sr, cr) = pose.rotation_deg.to_radians().sin_cos();
        let (sx, cx) = pose.tilt_x_deg.to_radians().sin_cos();
        let (sy, cy) = pose.tilt_y_deg.to_radians().sin_cos();
        let f = 1.2 * focal_ref;
        [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(|[x, y]| {
            // Turn on the desk (counter-clockwise on screen: y points down).
            let (x, y) = (x * cr + y * sr, -x * sr + y * cr);
            // Tilt about the x axis, then the y axis; the page plane is at depth f.
            let (y, z) = (y * cx, y * sx);
            let (x, z) = (x * cy + z * sy, -x * sy + z * cy);
            let z = z + f;
            [pose.centre[0] + f * x / z, pose.centre[1] + f * y / z]
        })
    }

    /// Light, optics and sensor of the simulated camera.
    #[derive(Clone, Debug, PartialEq)]
    pub struct Conditions {
        /// Light falling off across the frame: gain 1 ± `gradient`/2 from one side to the other.
        pub gradient: f32,
        /// Direction of the gradient, degrees.
        pub gradient_deg: f32,
        /// Overall gain.
        pub gain: f32,
        /// Soft shadow of the page on the desk.
        pub shadow: bool,
        /// A specular reflection: centre (frame pixels), radius (pixels), added grey level.
        pub glare: Option<([f32; 2], f32, f32)>,
        /// Defocus or motion: Gaussian blur σ in pixels (0 = none).
        pub blur_sigma: f32,
        /// Sensor noise σ in grey levels.
        pub noise_sigma: f32,
    }

    impl Default for Conditions {
        fn default() -> Self {
            Self {
                gradient: 0.25,
                gradient_deg: 30.0,
                gain: 0.88,
                shadow: true,
                glare: None,
                blur_sigma: 0.0,
                noise_sigma: 2.0,
            }
        }
    }

    /// Lays `pages` (image and frame corners from [`project`]) on `desk` in order and applies
    /// `cond`; `seed` drives the noise.
    pub fn compose(
        desk: &Mat,
        pages: &[(&Mat, Corners)],
        cond: &Conditions,
        seed: u64,
    ) -> Result<Mat> {
        let (w, h) = (desk.cols(), desk.rows());
        let n = (w * h) as usize;
        let mut acc: Vec<f32> = mat_bytes(desk)?.into_iter().map(f32::from).collect();
        for (page, corners) in pages {
            let (pw, ph) = (page.cols() as f32, page.rows() as f32);
            let src = Vector::<Point2f>::from_slice(&[
                Point2f::new(-0.5, -0.5),
                Point2f::new(pw - 0.5, -0.5),
                Point2f::new(pw - 0.5, ph - 0.5),
                Point2f::new(-0.5, ph - 0.5),
            ]);
            let dst: Vector<Point2f> = corners.iter().map(|p| Point2f::new(p[0], p[1])).collect();
            let hm = imgproc::get_perspective_transform_def(&src, &dst)?;
            let mut warped = Mat::default();
            imgproc::warp_perspective(
                *page,
                &mut warped,
                &hm,
                Size::new(w, h),
                imgproc::INTER_AREA | imgproc::INTER_LINEAR,
                cvcore::BORDER_CONSTANT,
                Scalar::default(),
            )?;
            // Coverage with anti-aliased edges: a white page of 4× the size warped the same way
            // and averaged down would be exact; a 4× supersampled mask is close enough.
            let ss = 4;
            let big = Mat::new_rows_cols_with_default(
                page.rows() * ss,
                page.cols() * ss,
                cvcore::CV_8UC1,
                Scalar::all(255.0),
            )?;
            let src_big = Vector::<Point2f>::from_slice(&[
                Point2f::new(-0.5, -0.5),
                Point2f::new(pw * ss as f32 - 0.5, -0.5),
                Point2f::new(pw * ss as f32 - 0.5, ph * ss as f32 - 0.5),
                Point2f::new(-0.5, ph * ss as f32 - 0.5),
            ]);
            let dst_big: Vector<Point2f> = corners
                .iter()
                .map(|p| {
                    Point2f::new(
                        (p[0] + 0.5) * ss as f32 - 0.5,
                        (p[1] + 0.5) * ss as f32 - 0.5,
                    )
                })
                .collect();
            let hb = imgproc::get_perspective_transform_def(&src_big, &dst_big)?;
            let mut mask_big = Mat::default();
            imgproc::warp_perspective(
                &big,
                &mut mask_big,
                &hb,
                Size::new(w * ss, h * ss),
                imgproc::INTER_NEAREST,
                cvcore::BORDER_CONSTANT,
                Scalar::default(),
            )?;
            let mut mask = Mat::default();
            imgproc::resize(
                &mask_big,
                &mut mask,
                Size::new(w, h),
                0.0,
                0.0,
                imgproc::INTER_AREA,
            )?;
            let m = mat_bytes(&mask)?;
            if cond.shadow {
                let mut sh = Mat::default();
                imgproc::gaussian_blur_def(&mask, &mut sh, Size::new(0, 0), 8.0)?;
                let s = mat_bytes(&sh)?;
                let (dx, dy) = (6i32, 9i32);
                for y in 0..h {
                    for x in 0..w {
                        let (sx, sy) = (x - dx, y - dy);
                        if sx < 0 || sy < 0 {
                            continue;
                        }
                        let a = f32::from(s[(sy * w + sx) as usize]) / 255.0 * 0.45;
                        let i = (y * w + x) as usize * 3;
                        for v in &mut acc[i..i + 3] {
                            *v *= 1.0 - a;
                        }
                    }
                }
            }
            let pg = mat_bytes(&warped)?;
            for i in 0..n {
                let a = f32::from(m[i]) / 255.0;
                if a > 0.0 {
                    for c in 0..3 {
                        let j = i * 3 + c;
                        acc[j] = acc[j] * (1.0 - a) + f32::from(pg[j]) * a;
                    }
                }
            }
        }
        let (gs, gc) = cond.gradient_deg.to_radians().sin_cos();
        let half_diag = ((w * w + h * h) as f32).sqrt() / 2.0;
        for y in 0..h {
            for x in 0..w {
                let t = ((x as f32 - w as f32 / 2.0) * gc + (y as f32 - h as f32 / 2.0) * gs)
                    / half_diag;
                let gain = cond.gain * (1.0 + cond.gradient / 2.0 * t);
                let mut add = 0.0;
                if let Some((c, r, level)) = cond.glare {
                    let d2 = (x as f32 - c[0]).powi(2) + (y as f32 - c[1]).powi(2);
                    add = level * (-d2 / (2.0 * (r / 2.0).powi(2))).exp();
                }
                let i = (y * w + x) as usize * 3;
                for v in &mut acc[i..i + 3] {
                    *v = *v * gain + add;
                }
            }
        }
        let bytes: Vec<u8> = acc
            .iter()
            .map(|v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        let mut img = bytes_to_mat(&bytes, w as u32, h as u32, 3)?;
        if cond.blur_sigma > 0.0 {
            let mut b = Mat::default();
            imgproc::gaussian_blur_def(&img, &mut b, Size::new(0, 0), f64::from(cond.blur_sigma))?;
            img = b;
        }
        if cond.noise_sigma > 0.0 {
            add_noise(&mut img, cond.noise_sigma, seed)?;
        }
        Ok(img)
    }

    /// Adds Gaussian sensor noise (σ grey levels, seeded).
    pub fn add_noise(img: &mut Mat, sigma: f32, seed: u64) -> Result<()> {
        let mut rng = StdRng::seed_from_u64(seed);
        let (w, h, ch) = (img.cols(), img.rows(), img.channels());
        let mut px = mat_bytes(img)?;
        let mut i = 0;
        while i < px.len() {
            // Box–Muller: two normal deviates per pair of uniforms.
            let u1: f32 = rng.gen_range(f32::EPSILON..1.0);
            let u2: f32 = rng.r#gen();
            let r = (-2.0 * u1.ln()).sqrt() * sigma;
            let (s, c) = (std::f32::consts::TAU * u2).sin_cos();
            for z in [r * c, r * s] {
                if i < px.len() {
                    px[i] = (f32::from(px[i]) + z).round().clamp(0.0, 255.0) as u8;
                    i += 1;
                }
            }
        }
        *img = bytes_to_mat(&px, w as u32, h as u32, ch)?;
        Ok(())
    }

    /// The truth corners of a page in the frame, ordered as the scanner orders them.
    pub fn truth(corners: Corners) -> Corners {
        order_corners(corners)
    }
}
