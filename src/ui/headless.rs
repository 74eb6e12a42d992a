//! Rendering without a display: a Slint platform on the software renderer whose frames are
//! written to PNG. Used when no display is available and for screenshot references in tests.

use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use slint::PhysicalSize;
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{EventLoopProxy, Platform, WindowAdapter};

type Job = Box<dyn FnOnce() + Send>;

/// Closures other threads hand to the UI thread (`slint::invoke_from_event_loop`); run by
/// [`HeadlessScreen::settle`].
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<VecDeque<Job>>>);

impl EventLoopProxy for Queue {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        Ok(())
    }

    fn invoke_from_event_loop(&self, event: Job) -> Result<(), slint::EventLoopError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(event);
        Ok(())
    }
}

/// A platform whose only window is a software-rendered buffer.
struct HeadlessPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
    queue: Queue,
}

impl Platform for HeadlessPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }

    fn new_event_loop_proxy(&self) -> Option<Box<dyn EventLoopProxy>> {
        Some(Box::new(self.queue.clone()))
    }

    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// A software-rendered screen of a fixed size.
pub struct HeadlessScreen {
    window: Rc<MinimalSoftwareWindow>,
    size: PhysicalSize,
    queue: Queue,
}

impl HeadlessScreen {
    /// Installs the headless platform for this thread. Call once, before creating any component.
    pub fn install(width: u32, height: u32) -> anyhow::Result<Self> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        let queue = Queue::default();
        slint::platform::set_platform(Box::new(HeadlessPlatform {
            window: window.clone(),
            start: Instant::now(),
            queue: queue.clone(),
        }))
        .map_err(|e| anyhow::anyhow!("cannot install the headless renderer: {e}"))?;
        let size = PhysicalSize::new(width, height);
        window.set_size(size);
        Ok(Self {
            window,
            size,
            queue,
        })
    }

    /// Runs the closures other threads sent to the UI thread; returns how many ran.
    pub fn run_pending(&self) -> usize {
        let mut n = 0;
        loop {
            let job = self
                .queue
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop_front();
            let Some(job) = job else { return n };
            job();
            n += 1;
        }
    }

    /// Lets timers, animations and results from other threads run for `dt` of wall time.
    pub fn settle(&self, dt: Duration) {
        let end = Instant::now() + dt;
        loop {
            self.run_pending();
            slint::platform::update_timers_and_animations();
            if Instant::now() >= end {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Renders the window and returns RGBA pixels, row by row (opaque: the kiosk's screens have
    /// opaque backgrounds, and the renderer blends into RGB exactly as into premultiplied RGBA).
    /// The renderer draws straight into the image's zeroed byte buffer, seen as RGB pixels, and the
    /// image crate converts it: a per-pixel loop here (filling, copying or converting) runs
    /// unoptimised in the debug builds the tests use, and was most of a screenshot test's time.
    pub fn render_rgba(&self) -> image::RgbaImage {
        slint::platform::update_timers_and_animations();
        let (width, height) = (self.size.width, self.size.height);
        let mut bytes = vec![0u8; width as usize * height as usize * 3];
        self.window.request_redraw();
        self.window.draw_if_needed(|renderer| {
            let pixels: &mut [slint::Rgb8Pixel] = bytemuck::cast_slice_mut(&mut bytes);
            renderer.render(pixels, width as usize);
        });
        let rgb = image::RgbImage::from_raw(width, height, bytes)
            .expect("a buffer of width × height RGB pixels");
        image::DynamicImage::ImageRgb8(rgb).into_rgba8()
    }

    /// Renders the window into a PNG file.
    pub fn save_png(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        self.render_rgba()
            .save(path)
            .with_context(|| format!("cannot write {}", path.display()))
    }
}
