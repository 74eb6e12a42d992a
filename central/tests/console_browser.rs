//! The township office console in a real browser: Debian's headless Chromium driven over
//! WebDriver (chromedriver, started and stopped here) against a real central on loopback.
//! One browser session works one case from submission to 公布, in a desktop window and, for the
//! home visit, a phone-sized one; it prints the notice as PDF, and is refused as another
//! township's clerk. With `CONSOLE_SCREENSHOTS=1` it writes its screenshots to
//! `central/docs/console/` (the committed ones); otherwise it writes nothing into the tree.

mod console_common;
mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use console_common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use jiuzhu_central::client::Conn;

/// chromedriver, killed when the test ends however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(tool))
            .find(|f| f.is_file())
    })
}

/// chromedriver on a free loopback port, once it answers.
fn start_driver(exe: &PathBuf) -> (Driver, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let until = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < until,
            "chromedriver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (driver, port)
}

async fn browser(port: u16, profile: &std::path::Path, chromium: &PathBuf) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--no-default-browser-check", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=1280,900",
            ],
        }),
    );
    // plain HTTP to chromedriver on loopback: no TLS
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a WebDriver session")
}

async fn text(b: &Client) -> String {
    // a page that is still being replaced answers "stale element": read the new one
    for _ in 0..50 {
        if let Ok(body) = b.find(Locator::Css("body")).await
            && let Ok(t) = body.text().await
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page has no readable body");
}

/// Clicks what loads another page and waits until the old page is gone.
async fn click_nav(b: &Client, css: &str) {
    let old = b.find(Locator::Css("body")).await.unwrap();
    click(b, css).await;
    let until = Instant::now() + Duration::from_secs(15);
    while old.text().await.is_ok() {
        assert!(Instant::now() < until, "clicking {css} loaded no page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn type_into(b: &Client, css: &str, s: &str) {
    let e = b
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    e.clear().await.unwrap();
    e.send_keys(s).await.unwrap();
}

/// Submits the step form with hidden `action` = `action` (its own submit button).
async fn step(b: &Client, action: &str) {
    click_nav(
        b,
        &format!("form.step:has(input[name=action][value={action}]) button[type=submit]"),
    )
    .await;
}

async fn login(b: &Client, s: &Server, user: &str) {
    let pw = jiuzhu_central::seed::DEMO_STAFF
        .iter()
        .find(|x| x.0 == user)
        .unwrap()
        .1;
    b.goto(&s.url("/console")).await.unwrap();
    assert!(
        b.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
    type_into(b, "#username", user).await;
    type_into(b, "#password", pw).await;
    click_nav(b, "section.login button[type=submit]").await;
    let url = b.current_url().await.unwrap();
    assert!(
        url.path().ends_with("/console/queue"),
        "{user} logged in: {url} {}",
        text(b).await
    );
}

async fn logout(b: &Client) {
    click_nav(b, ".who button[type=submit]").await;
    assert!(
        b.current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/console/login")
    );
}

fn shots() -> Option<PathBuf> {
    (std::env::var("CONSOLE_SCREENSHOTS").as_deref() == Ok("1"))
        .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/console"))
}

async fn shot(b: &Client, name: &str) {
    let png = b.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"));
    if let Some(dir) = shots() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_from_submission_to_publication_in_a_real_browser() {
    let (Some(chromium), Some(driver_exe)) = (which("chromium"), which("chromedriver")) else {
        eprintln!(
            "SKIP: chromium and chromium-driver are not installed (packaging/deps.sh installs them)"
        );
        return;
    };
    let started = Instant::now();
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let (_driver, port) = start_driver(&driver_exe);
    let profile = tempfile::tempdir().unwrap();
    let b = browser(port, profile.path(), &chromium).await;
    b.set_window_size(1280, 900).await.unwrap();

    // the clerk logs in and finds the case in the queue, by deadline
    login(&b, &s, "clerk").await;
    let queue = text(&b).await;
    assert!(
        queue.contains(APPLICANT_NAME) && queue.contains("已提交"),
        "{queue}"
    );
    assert!(queue.contains("● 正常"), "deadline in words and symbols");
    shot(&b, "queue-desktop").await;
    click_nav(&b, "table.queue a.button").await;
    assert!(b.current_url().await.unwrap().path().ends_with(&case));

    // incomplete: the one-time notice, printed as PDF
    step(&b, "notify_missing_materials").await;
    assert!(text(&b).await.contains("已办理：一次性告知"));
    assert_eq!(s.state_of(&case), "awaiting_materials");
    click_nav(&b, &format!("a[href='/console/cases/{case}/notice']")).await;
    let notice = text(&b).await;
    assert!(notice.contains("社会救助申请材料一次性告知书") && notice.contains("居民户口簿"));
    shot(&b, "notice-print").await;
    let cookie = b.get_named_cookie("jz_console").await.unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    let session = cookie.value().to_string();
    let mut c = Conn::new(s.addr);
    let pdf = get(
        &mut c,
        &format!("/console/cases/{case}/notice.pdf"),
        &session,
    )
    .await;
    assert_eq!(pdf.status, 200);
    if let Some(dir) = shots() {
        std::fs::write(dir.join("notice.pdf"), &pdf.body).unwrap();
    }
    match which("pdftotext") {
        Some(tool) => {
            let file = profile.path().join("notice.pdf");
            std::fs::write(&file, &pdf.body).unwrap();
            let out = Command::new(tool).arg(&file).arg("-").output().unwrap();
            let t = String::from_utf8(out.stdout).unwrap();
            assert!(
                t.contains("一次性告知书")
                    && t.contains(APPLICANT_NAME)
                    && t.contains("家庭收入情况证明"),
                "{t}"
            );
        }
        None => eprintln!("SKIP (PDF text): pdftotext is not installed (poppler-utils)"),
    }

    // the household supplies everything at the kiosk; the clerk accepts
    s.supply_at_kiosk(&case).await;
    b.goto(&s.url(&format!("/console/cases/{case}")))
        .await
        .unwrap();
    assert!(text(&b).await.contains("✔ 居民户口簿"));
    step(&b, "accept").await;
    assert!(text(&b).await.contains("已办理：受理"));
    step(&b, "start_investigation").await;
    assert_eq!(s.state_of(&case), "investigating");

    // the home visit on a phone: a photo from the camera input, then the findings
    b.set_window_size(390, 844).await.unwrap();
    click_nav(&b, &format!("a[href='/console/cases/{case}/visit']")).await;
    let input = b
        .find(Locator::Css("input[type=file][name=photo]"))
        .await
        .unwrap();
    assert_eq!(
        input.attr("accept").await.unwrap().as_deref(),
        Some("image/*")
    );
    assert!(input.attr("capture").await.unwrap().is_some());
    let photo = profile.path().join("visit.jpg");
    std::fs::write(&photo, jpeg(1024, 768)).unwrap();
    input.send_keys(&photo.display().to_string()).await.unwrap();
    click_nav(
        &b,
        "form[enctype='multipart/form-data'] button[type=submit]",
    )
    .await;
    assert!(text(&b).await.contains("已上传 1 张照片"));
    assert_eq!(
        s.db(|store| store.case_files(&case))
            .unwrap()
            .iter()
            .filter(|f| f.content_type == "image/jpeg")
            .count(),
        1
    );
    click(&b, "input[name=eligible][value=yes]").await;
    click(&b, "input[name=method][value=home_visit]").await;
    click(&b, "input[name=method][value=information_check]").await;
    type_into(
        &b,
        "#summary",
        "住房为自建砖房，家中无劳动力，收入低于当地低保标准。",
    )
    .await;
    type_into(&b, "#pci", "320").await;
    shot(&b, "visit-phone").await;
    step(&b, "record_findings").await;
    assert!(text(&b).await.contains("已办理：录入调查结果"));
    assert_eq!(s.state_of(&case), "investigated");
    let findings = s.db(|store| store.case(&case)).unwrap().unwrap().findings[0].clone();
    assert_eq!(
        findings.evidence.len(),
        1,
        "the photo is the findings' evidence"
    );
    assert_eq!(
        findings.methods,
        [
            jiuzhu_core::workflow::InvestigationMethod::InformationCheck,
            jiuzhu_core::workflow::InvestigationMethod::HomeVisit
        ]
    );
    shot(&b, "case-phone").await;
    b.set_window_size(1280, 900).await.unwrap();

    // 初审 → 公示 for 7 days → concluded
    type_into(&b, "#amount", "610").await;
    type_into(&b, "#reviewers", "分管领导、民政办主任、调查员").await;
    step(&b, "propose_initial_opinion").await;
    assert_eq!(s.state_of(&case), "in_publicity");
    b.goto(&s.url("/console/townships/500102900/publicity"))
        .await
        .unwrap();
    let list = text(&b).await;
    assert!(list.contains("刘**") && list.contains("610.00 元") && !list.contains(APPLICANT));
    shot(&b, "publicity-list").await;
    b.goto(&s.url(&format!("/console/cases/{case}")))
        .await
        .unwrap();
    step(&b, "conclude_publicity").await;
    assert!(
        text(&b).await.contains("公示期（7天）尚未届满"),
        "too early, said in words"
    );
    s.advance(8);
    step(&b, "conclude_publicity").await;
    assert_eq!(s.state_of(&case), "publicity_ended");
    // a clerk may not confirm: the refusal in words, nothing stored
    click(&b, "input[name=approve][value=yes]").await;
    type_into(&b, "#camount", "610").await;
    step(&b, "confirm").await;
    assert!(text(&b).await.contains("您的角色不能办理这一步"));
    assert_eq!(s.state_of(&case), "publicity_ended");
    shot(&b, "case-desktop-error").await;
    logout(&b).await;

    // the leader confirms and publishes
    login(&b, &s, "leader").await;
    b.goto(&s.url(&format!("/console/cases/{case}")))
        .await
        .unwrap();
    type_into(&b, "#camount", "610").await;
    step(&b, "confirm").await;
    assert_eq!(s.state_of(&case), "approved");
    step(&b, "publish").await;
    assert_eq!(s.state_of(&case), "published");
    assert!(text(&b).await.contains("已办理：公布"));
    shot(&b, "case-desktop").await;
    b.goto(&s.url("/console/townships/500102900/publication"))
        .await
        .unwrap();
    assert!(text(&b).await.contains("刘**"));
    b.goto(&s.url("/console/statistics")).await.unwrap();
    assert!(b.find(Locator::Css("figure.chart svg")).await.is_ok());
    shot(&b, "statistics").await;
    logout(&b).await;

    // another township's clerk is refused
    login(&b, &s, "clerk2").await;
    assert!(!text(&b).await.contains(APPLICANT_NAME));
    b.goto(&s.url(&format!("/console/cases/{case}")))
        .await
        .unwrap();
    let refused = text(&b).await;
    assert!(
        refused.contains("其他乡镇") && !refused.contains(APPLICANT_NAME),
        "{refused}"
    );
    let other = b
        .get_named_cookie("jz_console")
        .await
        .unwrap()
        .value()
        .to_string();
    assert_eq!(
        get(&mut c, &format!("/console/cases/{case}"), &other)
            .await
            .status,
        403
    );

    // a form posted without the page's CSRF token, or without the cookie, is refused
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        Some(&other),
        "action=publish",
    )
    .await;
    assert_eq!(r.status, 403);
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        None,
        "action=publish",
    )
    .await;
    assert_eq!(r.status, 403);

    b.close().await.unwrap();
    eprintln!(
        "console browser test: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
