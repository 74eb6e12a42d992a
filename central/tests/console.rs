//! The township office console over HTTP on loopback: login and session cookie, security
//! headers, CSRF, township scope, bounded and checked input, photo uploads, documents as PDF.
//! (The same flows in a real browser: `console_browser.rs`.)

mod console_common;
mod support;

use console_common::*;
use jiuzhu_central::client::Conn;
use jiuzhu_central::console::CONTENT_SECURITY_POLICY;
use rstest::rstest;

#[tokio::test]
async fn login_sets_a_strict_session_cookie_and_every_page_has_security_headers() {
    let s = Server::console().await;
    let mut c = Conn::new(s.addr);
    let page = c.send("GET", "/console/login", &[], b"").await.unwrap();
    assert_eq!(
        header(&page, "content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    assert_eq!(header(&page, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&page, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&page, "referrer-policy"), Some("same-origin"));
    assert!(!String::from_utf8_lossy(&page.body).contains("<script"));

    // a wrong password: 401, the form again, no session
    let (r, _) = submit_login_form(&mut c, "clerk", "wrong").await;
    assert_eq!(r.status, 401);
    assert!(set_cookie(&r, "jz_console").is_none());
    assert!(String::from_utf8_lossy(&r.body).contains("用户名或密码错误"));

    let logins = || s.count("audit WHERE action = 'staff.login'");
    let before = logins();
    let (r, token) = submit_login_form(&mut c, "clerk", "clerk-demo-2026").await;
    assert_eq!(r.status, 303);
    let cookie = r
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("jz_console="))
        .unwrap()
        .1
        .clone();
    for attr in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=1800",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert_eq!(
        logins(),
        before + 1,
        "the console login is audited as the API's"
    );

    // the login form itself needs its CSRF cookie
    let r = post_form(
        &mut c,
        "/console/login",
        None,
        &format!("csrf={token}&username=clerk&password=clerk-demo-2026"),
    )
    .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn pages_without_a_live_session_go_to_the_login_form() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    for path in [
        "/console/queue".to_string(),
        format!("/console/cases/{case}"),
        "/console/statistics".into(),
    ] {
        let r = c.send("GET", &path, &[], b"").await.unwrap();
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(header(&r, "location"), Some("/console/login"));
        let forged = get(&mut c, &path, &"ab".repeat(32)).await;
        assert_eq!(forged.status, 303, "{path} with a forged cookie");
        assert!(!String::from_utf8_lossy(&forged.body).contains(APPLICANT_NAME));
    }
}

#[derive(Debug, Clone, Copy)]
enum Abuse {
    NoCookie,
    ForgedCookie,
    NoCsrf,
    WrongCsrf,
    OtherSessionsCsrf,
    CrossOrigin,
}

#[rstest]
#[case::no_cookie(Abuse::NoCookie)]
#[case::forged_cookie(Abuse::ForgedCookie)]
#[case::no_csrf(Abuse::NoCsrf)]
#[case::wrong_csrf(Abuse::WrongCsrf)]
#[case::other_sessions_csrf(Abuse::OtherSessionsCsrf)]
#[case::cross_origin(Abuse::CrossOrigin)]
#[tokio::test]
async fn a_step_without_session_or_csrf_is_refused_and_changes_nothing(#[case] abuse: Abuse) {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let (_, other_csrf) = console_login(&mut c, "clerk").await;
    let path = format!("/console/cases/{case}/step");
    let body = |t: &str| format!("csrf={t}&action=notify_missing_materials&deadline=2026-03-20");
    let before = s.audit_rows();
    let r = match abuse {
        Abuse::NoCookie => post_form(&mut c, &path, None, &body(&csrf)).await,
        Abuse::ForgedCookie => post_form(&mut c, &path, Some(&"cd".repeat(32)), &body(&csrf)).await,
        Abuse::NoCsrf => {
            post_form(
                &mut c,
                &path,
                Some(&session),
                "action=notify_missing_materials&deadline=2026-03-20",
            )
            .await
        }
        Abuse::WrongCsrf => post_form(&mut c, &path, Some(&session), &body(&"0".repeat(64))).await,
        Abuse::OtherSessionsCsrf => {
            post_form(&mut c, &path, Some(&session), &body(&other_csrf)).await
        }
        Abuse::CrossOrigin => c
            .send(
                "POST",
                &path,
                &[
                    ("content-type", "application/x-www-form-urlencoded".into()),
                    ("cookie", format!("jz_console={session}")),
                    ("origin", "http://evil.example".into()),
                ],
                body(&csrf).as_bytes(),
            )
            .await
            .unwrap(),
    };
    assert_eq!(r.status, 403, "{abuse:?}");
    assert_eq!(s.state_of(&case), "submitted");
    assert_eq!(s.audit_rows(), before, "{abuse:?} wrote to the audit log");
    // the same form with the right token works
    let ok = post_form(&mut c, &path, Some(&session), &body(&csrf)).await;
    assert_eq!(ok.status, 303, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(s.state_of(&case), "awaiting_materials");
}

#[tokio::test]
async fn another_townships_clerk_is_refused_everywhere() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    s.supply_at_kiosk(&case).await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk2").await;
    for path in [
        format!("/console/cases/{case}"),
        format!("/console/cases/{case}/visit"),
        "/console/townships/500102900/publicity".into(),
        "/console/townships/500102900/publication.pdf".into(),
        "/console/statistics?township=500102900".into(),
        "/console/queue?township=500102900".into(),
    ] {
        let r = get(&mut c, &path, &session).await;
        assert_eq!(r.status, 403, "{path}");
        assert!(
            !String::from_utf8_lossy(&r.body).contains(APPLICANT_NAME),
            "{path}"
        );
    }
    let file = s.db(|store| store.case_files(&case)).unwrap()[0]
        .sha256
        .clone();
    let r = get(
        &mut c,
        &format!("/console/cases/{case}/files/{file}"),
        &session,
    )
    .await;
    assert_eq!(r.status, 403);
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        Some(&session),
        &format!("csrf={csrf}&action=accept"),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(String::from_utf8_lossy(&r.body).contains("其他乡镇"));
    assert_eq!(s.state_of(&case), "submitted");
    // their own queue does not list it
    let q = get(&mut c, "/console/queue", &session).await;
    assert_eq!(q.status, 200);
    assert!(!String::from_utf8_lossy(&q.body).contains(APPLICANT_NAME));
}

#[rstest]
#[case::field_too_long(format!("action=notify_missing_materials&deadline=2026-03-20&note={}", "字".repeat(2001)), 413)]
#[case::body_too_large(format!("action=accept&note={}", "a".repeat(70 * 1024)), 413)]
#[case::control_character(
    String::from("action=notify_missing_materials&deadline=2026-03-20%01"),
    422
)]
#[case::nul_in_text(
    String::from("action=notify_missing_materials&deadline=2026-03-20&note=a%00b"),
    422
)]
#[case::too_many_fields((0..70).map(|i| format!("f{i}=1")).collect::<Vec<_>>().join("&"), 413)]
#[case::unknown_step(String::from("action=tick"), 422)]
#[case::bad_date(String::from("action=notify_missing_materials&deadline=tomorrow"), 422)]
#[case::bad_amount(String::from("action=confirm&approve=yes&amount=1e9"), 422)]
#[tokio::test]
async fn bad_form_fields_are_refused_in_words_and_nothing_is_stored(
    #[case] fields: String,
    #[case] status: u16,
) {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let before = s.audit_rows();
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        Some(&session),
        &format!("csrf={csrf}&{fields}"),
    )
    .await;
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        String::from_utf8_lossy(&r.body).contains("✖"),
        "the page says what is wrong"
    );
    assert_eq!(s.state_of(&case), "submitted");
    assert_eq!(s.audit_rows(), before);
}

#[tokio::test]
async fn workflow_refusals_are_shown_in_words() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let step = format!("/console/cases/{case}/step");
    // incomplete: accepting is refused with the reason
    let r = post_form(
        &mut c,
        &step,
        Some(&session),
        &format!("csrf={csrf}&action=accept"),
    )
    .await;
    assert_eq!(r.status, 409);
    assert!(String::from_utf8_lossy(&r.body).contains("申请材料或授权签字不全"));
    // a skipped step names the step that must come first
    let r = post_form(
        &mut c,
        &step,
        Some(&session),
        &format!("csrf={csrf}&action=start_investigation"),
    )
    .await;
    assert_eq!(r.status, 409);
    let body = String::from_utf8_lossy(&r.body);
    assert!(body.contains("须先完成") && body.contains("受理"), "{body}");
    // the village helper may not send the notice
    let (hs, hc) = console_login(&mut c, "helper").await;
    let r = post_form(
        &mut c,
        &step,
        Some(&hs),
        &format!("csrf={hc}&action=notify_missing_materials&deadline=2026-03-20"),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(String::from_utf8_lossy(&r.body).contains("您的角色不能办理这一步"));
    assert_eq!(s.state_of(&case), "submitted");
}

/// A 近亲属申明 answered yes at the kiosk: the case page asks for its details (the member chosen
/// by place, no identity number in the page), refuses bad ones in words, then offers 备案登记;
/// once filed the warning is gone.
#[tokio::test]
async fn a_close_relative_declared_at_the_kiosk_is_recorded_and_filed_from_the_case_page() {
    let s = Server::console().await;
    let case = s.submit(true).await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let page = format!("/console/cases/{case}");
    let body = page_text(&mut c, &page, &session).await;
    assert!(body.contains("登记近亲属申明详情"), "{body}");
    assert!(!body.contains(APPLICANT), "no identity number in the page");
    let before = s.audit_rows();
    for (fields, says) in [
        (
            "member=7&staff_name=赵六&post=committee_member&relation=sibling",
            "请选择家庭成员",
        ),
        (
            "member=-1&staff_name=赵六&post=committee_member&relation=sibling",
            "请选择家庭成员",
        ),
        (
            "member=0&staff_name=A1&post=committee_member&relation=sibling",
            "工作人员姓名",
        ),
        (
            "member=0&staff_name=赵六&post=mayor&relation=sibling",
            "工作人员职务",
        ),
        ("member=0&staff_name=赵六&post=case_worker", "亲属关系"),
    ] {
        let r = post_step(
            &mut c,
            &case,
            &session,
            &csrf,
            &format!("action=declare_staff_relative&{fields}"),
        )
        .await;
        let text = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 422, "{fields}: {text}");
        assert!(text.contains(says), "{fields}: {text}");
    }
    assert_eq!(s.audit_rows(), before, "nothing stored");
    // Filing before the details: refused with the reason.
    let file = "action=file_relatives_declaration";
    let r = post_step(&mut c, &case, &session, &csrf, file).await;
    assert_eq!(r.status, 409);
    assert!(String::from_utf8_lossy(&r.body).contains("details are not recorded"));
    let r = post_step(
        &mut c,
        &case,
        &session,
        &csrf,
        "action=declare_staff_relative&member=0&staff_name=赵六&post=committee_member&relation=sibling",
    )
    .await;
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    let body = page_text(&mut c, &page, &session).await;
    assert!(
        !body.contains("登记近亲属申明详情") && body.contains("近亲属申明备案登记"),
        "{body}"
    );
    let r = post_step(&mut c, &case, &session, &csrf, file).await;
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    let body = page_text(&mut c, &page, &session).await;
    assert!(!body.contains("申请人申明：家庭成员中有人"), "{body}");
}

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----jiuzhu-console-test-boundary";
    let mut body = Vec::new();
    for (name, file, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("content-disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\ncontent-type: image/jpeg\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("content-disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn visit_photos_are_bounded_checked_and_stored_by_sha256() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let path = format!("/console/cases/{case}/photos");
    let photo = jpeg(640, 480);
    let mut send = async |parts: &[(&str, Option<&str>, &[u8])]| {
        let (ct, body) = multipart(parts);
        c.send(
            "POST",
            &path,
            &[
                ("content-type", ct),
                ("cookie", format!("jz_console={session}")),
            ],
            &body,
        )
        .await
    };
    let files = || s.db(|store| store.case_files(&case)).unwrap().len();
    let not_image = send(&[
        ("csrf", None, csrf.as_bytes()),
        ("photo", Some("a.jpg"), b"GIF89a not a photo"),
    ])
    .await
    .unwrap();
    assert_eq!(not_image.status, 422);
    assert!(String::from_utf8_lossy(&not_image.body).contains("JPEG"));
    let truncated = send(&[
        ("csrf", None, csrf.as_bytes()),
        ("photo", Some("a.jpg"), &photo[..photo.len() / 2]),
    ])
    .await
    .unwrap();
    assert_eq!(truncated.status, 422);
    let no_csrf = send(&[
        ("photo", Some("a.jpg"), &photo),
        ("csrf", None, csrf.as_bytes()),
    ])
    .await
    .unwrap();
    assert_eq!(no_csrf.status, 403);
    let wrong_csrf = send(&[
        ("csrf", None, "1".repeat(64).as_bytes()),
        ("photo", Some("a.jpg"), &photo),
    ])
    .await
    .unwrap();
    assert_eq!(wrong_csrf.status, 403);
    let huge = vec![0xFFu8; 9 * 1024 * 1024];
    if let Ok(r) = send(&[
        ("csrf", None, csrf.as_bytes()),
        ("photo", Some("a.jpg"), &huge),
    ])
    .await
    {
        assert_eq!(r.status, 413);
    } // else: the server closed the connection after the limit, which also refuses it
    assert_eq!(files(), 0, "nothing was stored");

    let mut c = Conn::new(s.addr);
    let (ct, body) = multipart(&[
        ("csrf", None, csrf.as_bytes()),
        ("photo", Some("visit.jpg"), &photo),
    ]);
    let ok = c
        .send(
            "POST",
            &path,
            &[
                ("content-type", ct),
                ("cookie", format!("jz_console={session}")),
            ],
            &body,
        )
        .await
        .unwrap();
    assert_eq!(ok.status, 303, "{}", String::from_utf8_lossy(&ok.body));
    let stored = s.db(|store| store.case_files(&case)).unwrap();
    use sha2::Digest;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].sha256, hex::encode(sha2::Sha256::digest(&photo)));
    assert_eq!(stored[0].content_type, "image/jpeg");
    let back = get(
        &mut c,
        &format!("/console/cases/{case}/files/{}", stored[0].sha256),
        &session,
    )
    .await;
    assert_eq!(back.status, 200);
    assert_eq!(back.body, photo);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = Server::console().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let r = post_form(
        &mut c,
        "/console/logout",
        Some(&session),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(r.headers.iter().any(|(k, v)| k == "set-cookie"
        && v.starts_with("jz_console=;")
        && v.contains("Max-Age=0")));
    assert_eq!(get(&mut c, "/console/queue", &session).await.status, 303);
    let again = post_form(
        &mut c,
        "/console/logout",
        Some(&session),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(again.status, 403);
}

/// `tool` on the PATH, or a printed reason to skip.
pub fn tool(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("SKIP: {tool} is not installed (packaging/deps.sh installs poppler-utils)");
    }
    found
}

#[tokio::test]
async fn the_notice_and_the_lists_are_pdfs_with_an_embedded_subset_chinese_font() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        Some(&session),
        &format!("csrf={csrf}&action=notify_missing_materials&deadline=2026-03-20&note=%E8%AF%B7%E5%B8%A6%E6%88%B7%E5%8F%A3%E7%B0%BF"),
    )
    .await;
    assert_eq!(r.status, 303);
    let html = get(&mut c, &format!("/console/cases/{case}/notice"), &session).await;
    assert_eq!(html.status, 200);
    let pdf = get(
        &mut c,
        &format!("/console/cases/{case}/notice.pdf"),
        &session,
    )
    .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(header(&pdf, "content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let list = get(
        &mut c,
        "/console/townships/500102900/publication.pdf",
        &session,
    )
    .await;
    assert_eq!(list.status, 200);
    if !tool("pdftotext") || !tool("pdffonts") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notice.pdf");
    std::fs::write(&file, &pdf.body).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text: String = String::from_utf8(text.stdout)
        .unwrap()
        .split_whitespace()
        .collect();
    for want in [
        "一次性告知书",
        APPLICANT_NAME,
        "居民户口簿",
        "家庭收入情况证明",
        "2026年3月20日",
        "请带户口簿",
        "视为自动放弃",
    ] {
        assert!(text.contains(want), "the PDF's text lacks {want}: {text}");
    }
    let fonts = std::process::Command::new("pdffonts")
        .arg(&file)
        .output()
        .unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    let line = fonts
        .lines()
        .find(|l| l.contains("NotoSansCJK"))
        .unwrap_or_else(|| panic!("{fonts}"));
    // name+type columns, then emb sub uni: all yes
    assert!(line.contains("yes yes yes"), "{line}");
    assert!(
        pdf.body.len() < 200 * 1024,
        "subsetted: {} bytes",
        pdf.body.len()
    );
}

#[tokio::test]
async fn statistics_export_csv_and_the_district_sees_every_township() {
    let s = Server::console().await;
    s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, _) = console_login(&mut c, "bureau").await;
    let page = get(&mut c, "/console/statistics", &session).await;
    assert_eq!(page.status, 200);
    let body = String::from_utf8_lossy(&page.body);
    assert!(body.contains("<svg") && body.contains("全区"));
    let csv = get(&mut c, "/console/statistics.csv", &session).await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8_lossy(&csv.body);
    assert!(text.contains("\"all\",\"type\",\"dibao\""), "{text}");
    assert!(text.contains("\"state\",\"submitted\""));
    let (clerk, _) = console_login(&mut c, "clerk").await;
    let own = get(&mut c, "/console/statistics.csv", &clerk).await;
    assert!(
        String::from_utf8_lossy(&own.body)
            .contains("\"500102900\",\"type\",\"dibao\",\"最低生活保障\",1")
    );
    let kiosks = get(&mut c, "/console/kiosks", &clerk).await;
    assert_eq!(kiosks.status, 200);
    assert!(String::from_utf8_lossy(&kiosks.body).contains("kiosk-1"));
    assert!(!String::from_utf8_lossy(&kiosks.body).contains("▲ 1"));
    // A staff call raised at the kiosk shows until someone acknowledges it.
    s.db(|store| store.raise_help_call("kiosk-1", "500102900", "certify_face", chrono::Utc::now()))
        .unwrap();
    let kiosks = get(&mut c, "/console/kiosks", &clerk).await;
    assert!(String::from_utf8_lossy(&kiosks.body).contains("▲ 1"));
}

#[tokio::test]
async fn an_expired_session_is_refused_like_none() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    s.exec("UPDATE sessions SET expires_at = 1");
    assert_eq!(get(&mut c, "/console/queue", &session).await.status, 303);
    let r = post_form(
        &mut c,
        &format!("/console/cases/{case}/step"),
        Some(&session),
        &format!("csrf={csrf}&action=notify_missing_materials&deadline=2026-03-20"),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(s.state_of(&case), "submitted");
}

#[tokio::test]
async fn the_queue_filters_by_state_type_village_and_overdue() {
    let s = Server::console().await;
    s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, _) = console_login(&mut c, "clerk").await;
    for (query, listed) in [
        ("", true),
        ("?state=submitted", true),
        ("?state=accepted", false),
        ("?type=dibao", true),
        ("?type=tekun", false),
        ("?village=%E7%9F%B3%E4%BD%9B%E6%9D%91", true),
        ("?village=elsewhere", false),
        ("?overdue=1", false),
        ("?mine=1", false),
    ] {
        let r = get(&mut c, &format!("/console/queue{query}"), &session).await;
        assert_eq!(r.status, 200, "{query}");
        assert_eq!(
            String::from_utf8_lossy(&r.body).contains(APPLICANT_NAME),
            listed,
            "{query}"
        );
    }
    let bad = get(&mut c, "/console/queue?state=%01", &session).await;
    assert_eq!(bad.status, 422);
}

/// The documents owed to the household on the case page: each printable as issued (PDF) for
/// delivery in person or through the village; staff record the hand-over, once; another
/// township's clerk, a missing CSRF token, a document of another case or a bad id change nothing.
#[tokio::test]
async fn household_documents_are_printed_and_their_hand_over_recorded_by_staff() {
    let s = Server::console().await;
    let case = s.submit_incomplete().await;
    let mut c = Conn::new(s.addr);
    let (session, csrf) = console_login(&mut c, "clerk").await;
    let r = post_step(
        &mut c,
        &case,
        &session,
        &csrf,
        "action=notify_missing_materials&deadline=2026-03-20",
    )
    .await;
    assert_eq!(r.status, 303);
    let notices = s.db(|store| store.household_notices(&case)).unwrap();
    assert_eq!(notices.len(), 1);
    let n = &notices[0];
    assert_eq!(n.delivered_on, None);
    let page = page_text(&mut c, &format!("/console/cases/{case}"), &session).await;
    assert!(page.contains("告知书") && page.contains("一次性告知书") && page.contains("未送达"));
    // The queue lists it among the documents not yet delivered; another township's does not.
    let queue = page_text(&mut c, "/console/queue", &session).await;
    assert!(
        queue.contains("未送达的告知书") && queue.contains(&format!("/console/cases/{case}")),
        "{queue}"
    );
    let pdf_path = format!("/console/cases/{case}/documents/{}.pdf", n.id);
    assert!(page.contains(&pdf_path), "{page}");

    // The PDF is the document as issued.
    let pdf = get(&mut c, &pdf_path, &session).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(header(&pdf, "content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert_eq!(s.count("audit WHERE action = 'staff.print_notice'"), 1);
    if tool("pdftotext") {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("doc.pdf");
        std::fs::write(&file, &pdf.body).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args([file.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).replace(char::is_whitespace, "");
        assert!(text.contains("一次性告知书"), "{text}");
        assert!(text.contains("视为自动放弃申请"), "{text}");
    }

    let delivered = format!("/console/cases/{case}/documents/{}/delivered", n.id);
    // Without the CSRF token, or by another township's clerk: nothing recorded.
    let r = post_form(&mut c, &delivered, Some(&session), "").await;
    assert!(r.status == 403 || r.status == 400, "{}", r.status);
    let mut c2 = Conn::new(s.addr);
    let (session2, csrf2) = console_login(&mut c2, "clerk2").await;
    let r = post_form(
        &mut c2,
        &delivered,
        Some(&session2),
        &format!("csrf={csrf2}"),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(get(&mut c2, &pdf_path, &session2).await.status, 403);
    let queue2 = page_text(&mut c2, "/console/queue", &session2).await;
    assert!(
        !queue2.contains(&case),
        "another township's queue does not list it"
    );
    // Ids that are not this case's documents: 404.
    for bad in ["999999.pdf", "abc.pdf", "1", "-1.pdf"] {
        let r = get(
            &mut c,
            &format!("/console/cases/{case}/documents/{bad}"),
            &session,
        )
        .await;
        assert_eq!(r.status, 404, "{bad}");
    }
    assert_eq!(
        s.db(|store| store.household_notices(&case)).unwrap()[0].delivered_on,
        None
    );

    // The clerk records the hand-over: delivered today, in person; the form goes away.
    let r = post_form(&mut c, &delivered, Some(&session), &format!("csrf={csrf}")).await;
    assert_eq!(r.status, 303);
    let after = &s.db(|store| store.household_notices(&case)).unwrap()[0];
    assert!(after.delivered_on.is_some());
    assert_eq!(
        after.delivered_how,
        Some(jiuzhu_core::api::DeliveryMethod::InPerson)
    );
    assert_eq!(
        s.count("audit WHERE action = 'notice.delivered' AND actor = 'staff:clerk'"),
        1
    );
    let page = page_text(&mut c, &format!("/console/cases/{case}"), &session).await;
    assert!(page.contains("当面或经村（社区）"), "{page}");
    let queue = page_text(&mut c, "/console/queue", &session).await;
    assert!(queue.contains("未送达的告知书"));
    assert!(
        !queue.contains("一次性告知书"),
        "delivered, so off the list"
    );
    assert!(!page.contains(&delivered));
    // Again: the first delivery stands.
    let r = post_form(&mut c, &delivered, Some(&session), &format!("csrf={csrf}")).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        s.db(|store| store.household_notices(&case)).unwrap()[0].delivered_on,
        after.delivered_on
    );
}
