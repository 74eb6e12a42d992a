//! Frame sources over real OpenCV files: a video written with VideoWriter, an image sequence written with
//! imwrite, a side-by-side binocular recording, and the synthetic pattern.

use jiuzhu_camera::{
    CameraError, CaptureConfig, FrameSource, IrLayout, OpenCvSource, PixelFormat, Selector,
    SyntheticSource, frame_to_mat,
};
use opencv::core::{Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};
use rstest::rstest;

fn pattern(n: u64, w: u32, h: u32) -> Vec<Mat> {
    let mut src = SyntheticSource::new(w, h, Some(n), false);
    std::iter::from_fn(|| src.next_frame().unwrap())
        .map(|f| frame_to_mat(&f).unwrap())
        .collect()
}

fn write_video(path: &std::path::Path, frames: &[Mat]) {
    let size = Size::new(frames[0].cols(), frames[0].rows());
    let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut w =
        videoio::VideoWriter::new(&*path.to_string_lossy(), fourcc, 25.0, size, true).unwrap();
    for f in frames {
        w.write(f).unwrap();
    }
    w.release().unwrap();
}

fn drain(src: &mut dyn FrameSource) -> Vec<jiuzhu_camera::FramePair> {
    std::iter::from_fn(|| src.next_pair().unwrap()).collect()
}

#[test]
fn video_file_delivers_every_frame_then_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.avi");
    write_video(&path, &pattern(12, 160, 120));
    let mut src = OpenCvSource::open(Selector::File(path), CaptureConfig::default()).unwrap();
    assert_eq!((src.info().width, src.info().height), (160, 120));
    let frames = drain(&mut src);
    assert_eq!(frames.len(), 12);
    assert_eq!(frames[11].rgb.seq, 11);
    assert_eq!(frames[0].rgb.format, PixelFormat::Bgr8);
    assert!(frames.iter().all(|p| p.ir.is_none()));
}

#[test]
fn image_sequence_reads_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let frames = pattern(5, 64, 48);
    for (i, f) in frames.iter().enumerate() {
        let p = dir.path().join(format!("img_{i:03}.png"));
        imgcodecs::imwrite(&*p.to_string_lossy(), f, &Vector::new()).unwrap();
    }
    let pat = dir
        .path()
        .join("img_%03d.png")
        .to_string_lossy()
        .to_string();
    let mut src = OpenCvSource::open(Selector::parse(&pat), CaptureConfig::default()).unwrap();
    let got = drain(&mut src);
    assert_eq!(got.len(), 5);
    // PNG is lossless: the fourth frame comes back byte for byte.
    let want = jiuzhu_camera::mat_to_frame(&frames[3]).unwrap();
    assert_eq!(got[3].rgb.data, want.data);
}

#[test]
fn side_by_side_stream_is_split_into_rgb_and_ir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binocular.avi");
    write_video(&path, &pattern(3, 320, 120));
    let cfg = CaptureConfig {
        ir: IrLayout::SideBySide,
        ..CaptureConfig::default()
    };
    let mut src = OpenCvSource::open(Selector::File(path), cfg).unwrap();
    assert!(src.info().has_ir);
    assert_eq!(src.info().width, 160);
    let got = drain(&mut src);
    assert_eq!(got.len(), 3);
    let ir = got[0].ir.as_ref().unwrap();
    assert_eq!(
        (got[0].rgb.width, ir.width, ir.format),
        (160, 160, PixelFormat::Gray8)
    );
}

#[rstest]
#[case::missing_file("/nonexistent/clip.mp4")]
#[case::missing_device("/dev/v4l/by-id/no-such-camera-video-index0")]
#[case::missing_sequence("/nonexistent/img_%03d.png")]
fn unopenable_sources_name_the_selector(#[case] sel: &str) {
    let cfg = CaptureConfig {
        reconnect_attempts: 0,
        ..CaptureConfig::default()
    };
    match OpenCvSource::open(Selector::parse(sel), cfg) {
        Err(e @ CameraError::Open(_)) => assert!(e.to_string().contains(sel)),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("{sel} opened"),
    }
}

#[rstest]
#[case("index:2", Selector::Index(2))]
#[case("/dev/v4l/by-id/usb-cam-video-index0", Selector::Device("/dev/v4l/by-id/usb-cam-video-index0".into()))]
#[case("clips/a.mp4", Selector::File("clips/a.mp4".into()))]
#[case("seq:x/%d.jpg", Selector::Sequence("x/%d.jpg".into()))]
fn selectors_parse(#[case] s: &str, #[case] want: Selector) {
    assert_eq!(Selector::parse(s), want);
}

#[test]
fn synthetic_source_moves_and_ends() {
    let mut src = SyntheticSource::new(64, 48, Some(3), true);
    let got = drain(&mut src);
    assert_eq!(got.len(), 3);
    assert_ne!(got[0].rgb.data, got[1].rgb.data);
    assert_eq!(got[2].ir.as_ref().unwrap().format, PixelFormat::Gray8);
    assert!(!format!("{:?}", got[0].rgb).contains("data"));
}

#[test]
fn looped_file_source_restarts_and_keeps_counting() {
    use jiuzhu_camera::{FileSource, PlaybackConfig};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.avi");
    write_video(&path, &pattern(3, 64, 48));
    let cfg = PlaybackConfig {
        looped: true,
        ..PlaybackConfig::default()
    };
    let mut src = FileSource::open(Selector::File(path.clone()), cfg, IrLayout::None).unwrap();
    assert_eq!(src.info().fps, 25.0);
    let got: Vec<_> = (0..7).map(|_| src.next_frame().unwrap().unwrap()).collect();
    assert_eq!(
        got.iter().map(|f| f.seq).collect::<Vec<_>>(),
        (0..7).collect::<Vec<_>>()
    );
    // the fourth frame is the first again (MJPG: compare sizes and a loose checksum, not bytes)
    let sum = |f: &jiuzhu_camera::Frame| f.data.iter().map(|&b| b as u64).sum::<u64>();
    assert_eq!(got[3].data.len(), got[0].data.len());
    assert!(sum(&got[3]).abs_diff(sum(&got[0])) < sum(&got[0]) / 100);
    assert!(sum(&got[1]).abs_diff(sum(&got[0])) > 0);

    let mut once = FileSource::open(
        Selector::File(path),
        PlaybackConfig::default(),
        IrLayout::None,
    )
    .unwrap();
    assert_eq!(drain(&mut once).len(), 3);
}

#[test]
fn paced_image_sequence_uses_the_given_rate_and_live_devices_are_refused() {
    use jiuzhu_camera::{FileSource, PlaybackConfig};
    let dir = tempfile::tempdir().unwrap();
    for (i, f) in pattern(2, 32, 24).iter().enumerate() {
        let p = dir.path().join(format!("f_{i:02}.png"));
        imgcodecs::imwrite(&*p.to_string_lossy(), f, &Vector::new()).unwrap();
    }
    let pat = dir.path().join("f_%02d.png").to_string_lossy().to_string();
    let cfg = PlaybackConfig {
        realtime: true,
        fps: Some(50.0),
        ..PlaybackConfig::default()
    };
    let mut src = FileSource::open(Selector::parse(&pat), cfg, IrLayout::None).unwrap();
    assert_eq!(src.info().fps, 50.0);
    let got = drain(&mut src);
    assert_eq!(got.len(), 2);
    // Timed by the given rate, not by when they were read.
    assert_eq!(
        got.iter().map(|p| p.rgb.captured).collect::<Vec<_>>(),
        vec![
            Some(std::time::Duration::ZERO),
            Some(std::time::Duration::from_millis(20))
        ]
    );
    let err = FileSource::open(
        Selector::Index(0),
        PlaybackConfig::default(),
        IrLayout::None,
    )
    .err()
    .unwrap();
    assert!(matches!(err, CameraError::Open(_)), "{err}");
}
