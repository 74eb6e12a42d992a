//! The simulated document camera through the real scanner: an empty desk is no document, a
//! placed page is found where the simulator put it, and the control language works.

use jiuzhu_drivers_api::camera::FrameSource;
use jiuzhu_sim::doccam::{DocCamConfig, SimDocCam};
use jiuzhu_vision::document::{self, DocumentError, ScanConfig};

fn camera() -> SimDocCam {
    SimDocCam::open(DocCamConfig::default()).expect("run `make fixtures` first")
}

#[test]
fn empty_desk_then_a_page_then_empty_again() {
    let mut cam = camera();
    let ctl = cam.control();
    let info = cam.info();
    assert_eq!((info.width, info.height), (1280, 960));
    let cfg = ScanConfig::default();

    let f = cam.next_frame().unwrap().unwrap();
    assert_eq!((f.width, f.height, f.seq), (1280, 960, 0));
    let r = document::scan(&f, &cfg);
    assert!(matches!(r, Err(DocumentError::NotFound)), "{r:?}");
    assert!(ctl.truth().is_none());

    assert_eq!(ctl.command("place 0").unwrap(), "page 0 (a4) on the desk");
    let truth = ctl.truth().unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    let page = document::scan(&f, &cfg).unwrap();
    let err = page
        .corners
        .iter()
        .zip(&truth)
        .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
        .fold(0.0, f32::max);
    eprintln!("placed page: {page:?}, corner error {err:.2} px");
    assert!(err <= 3.0, "{:?} vs {truth:?}", page.corners);
    // A4 (snapped) at the default size: 45 % of 1280 px wide, foreshortened a little by the tilt.
    assert!((566..=586).contains(&page.width), "{page:?}");
    assert!(
        (page.height as f32 / page.width as f32 - 1.4142).abs() < 0.005,
        "{page:?}"
    );

    // Noise differs from frame to frame; the page stays.
    let g = cam.next_frame().unwrap().unwrap();
    assert_ne!(f.data, g.data);
    assert_eq!(g.seq, 2);

    ctl.command("remove").unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    assert!(matches!(
        document::scan(&f, &cfg),
        Err(DocumentError::NotFound)
    ));
}

#[test]
fn control_language_moves_blurs_and_refuses_nonsense() {
    let mut cam = camera();
    let ctl = cam.control();
    let cfg = ScanConfig::default();
    assert_eq!(ctl.command("pages").unwrap(), "0=a4 1=page.png 2=text.png");
    assert!(ctl.command("place 7").unwrap_err().contains("no page 7"));
    assert!(ctl.command("place x").is_err());
    assert!(ctl.command("dance").unwrap_err().contains("place N"));

    // Pushed over the right edge: cut off.
    ctl.command("place 0 1150 480 0").unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    assert!(matches!(
        document::scan(&f, &cfg),
        Err(DocumentError::CutOff)
    ));

    ctl.command("place 0 640 480 -10").unwrap();
    ctl.command("blur 4").unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    assert!(matches!(
        document::scan(&f, &cfg),
        Err(DocumentError::Blurred { .. })
    ));

    ctl.command("blur 0").unwrap();
    ctl.command("glare on").unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    assert!(matches!(
        document::scan(&f, &cfg),
        Err(DocumentError::Glare { .. })
    ));

    ctl.command("glare off").unwrap();
    let f = cam.next_frame().unwrap().unwrap();
    let page = document::scan(&f, &cfg).unwrap();
    assert!((page.quality.skew_deg).abs() < 0.5);
}

#[test]
fn missing_image_is_an_open_error_naming_make_fixtures() {
    let e = SimDocCam::open(DocCamConfig {
        desk: "/nonexistent/desk.png".into(),
        ..Default::default()
    })
    .unwrap_err();
    assert!(e.to_string().contains("make fixtures"), "{e}");
}
