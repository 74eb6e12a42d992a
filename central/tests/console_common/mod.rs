//! A real central on loopback for the console tests: demo seed, one kiosk, a workflow clock the
//! test moves, cases submitted and completed through the signed kiosk API, and a cookie-aware
//! HTTP helper for the console's forms.

#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use jiuzhu_central::client::{Conn, Reply};
use jiuzhu_central::seed::DEMO_TOWNSHIP;
use serde_json::json;

/// The applicant of the test case (a valid made-up number of region 500102).
pub const APPLICANT: &str = "500102195003040016";
/// The applicant's name.
pub const APPLICANT_NAME: &str = "刘桂兰";

#[allow(unused_imports)]
pub use crate::support::{Central as Server, header};

impl Server {
    /// Seeded central on 127.0.0.1:0 whose workflow clock starts Monday 2026-03-02 09:00 (China).
    pub async fn console() -> Server {
        Server::at(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap()).await
    }

    /// A 低保 application of one person, with nothing supplied yet (so it needs the notice).
    pub async fn submit_incomplete(&self) -> String {
        self.submit(false).await
    }

    /// As [`Server::submit_incomplete`], with the kiosk's 近亲属申明 answered `close_relative`.
    pub async fn submit(&self, close_relative: bool) -> String {
        let mut c = Conn::new(self.addr);
        let body = json!({
            "township": DEMO_TOWNSHIP,
            "village": "石佛村",
            "assistance_type": "dibao",
            "applicant": {"id_number": APPLICANT, "name": APPLICANT_NAME},
            "members": [],
            "close_relative_declared": close_relative,
        });
        let r = c
            .signed(
                &self.kiosk,
                "POST",
                "/v1/kiosk/applications",
                body.to_string().as_bytes(),
                &[("idempotency-key", "console-test-0001".into())],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{:?}", r.json());
        r.json()["case_id"].as_str().unwrap().to_string()
    }

    /// The household signs and supplies the three 低保 materials at the kiosk.
    pub async fn supply_at_kiosk(&self, case: &str) {
        let mut c = Conn::new(self.addr);
        let sig = json!({"signer": {"id_number": APPLICANT, "name": APPLICANT_NAME}, "method": "id_card_face"});
        let r = c
            .signed(
                &self.kiosk,
                "POST",
                &format!("/v1/kiosk/applications/{case}/signatures"),
                sig.to_string().as_bytes(),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{:?}", r.json());
        for (i, kind) in ["id_cards", "household_register", "income_proof"]
            .iter()
            .enumerate()
        {
            let r = c
                .signed(
                    &self.kiosk,
                    "POST",
                    &format!("/v1/kiosk/applications/{case}/materials?kind={kind}"),
                    &png(120 + i as u32 * 10),
                    &[("content-type", "image/png".into())],
                )
                .await
                .unwrap();
            assert_eq!(r.status, 201, "{kind}: {:?}", r.json());
        }
    }

    pub fn state_of(&self, case: &str) -> String {
        self.db(|store| store.case_summary(case))
            .unwrap()
            .unwrap()
            .state
    }

    pub fn audit_rows(&self) -> i64 {
        self.count("audit")
    }
}

/// A PNG of `side`×`side` pixels (a real, decodable image).
pub fn png(side: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(side, side, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 2) as u8, 90])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// A JPEG of `w`×`h` pixels, as a phone camera would send.
pub fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 140])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    out
}

/// The value of `name="csrf"` in a page.
pub fn csrf_in(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    html[at + 19..at + 19 + 64].to_string()
}

/// The value of a cookie set by a reply.
pub fn set_cookie(r: &Reply, name: &str) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.strip_prefix(&format!("{name}="))
                .map(|v| v.split(';').next().unwrap_or("").to_string())
        })
}

/// Opens the login form and posts `user` / `pw` with its CSRF cookie and token; the answer and
/// the form's token.
pub async fn submit_login_form(c: &mut Conn, user: &str, pw: &str) -> (Reply, String) {
    let page = c.send("GET", "/console/login", &[], b"").await.unwrap();
    assert_eq!(page.status, 200);
    let login = set_cookie(&page, "jz_console_login").unwrap();
    let token = csrf_in(&String::from_utf8_lossy(&page.body));
    let r = c
        .send(
            "POST",
            "/console/login",
            &[
                ("content-type", "application/x-www-form-urlencoded".into()),
                ("cookie", format!("jz_console_login={login}")),
            ],
            format!("csrf={token}&username={user}&password={pw}").as_bytes(),
        )
        .await
        .unwrap();
    (r, token)
}

/// Logs in through the console's own form: (session cookie value, a page's CSRF token).
pub async fn console_login(c: &mut Conn, user: &str) -> (String, String) {
    let (r, _) = submit_login_form(c, user, crate::support::demo_password(user)).await;
    assert_eq!(r.status, 303, "{}", String::from_utf8_lossy(&r.body));
    let session = set_cookie(&r, "jz_console").unwrap();
    let q = get(c, "/console/queue", &session).await;
    assert_eq!(q.status, 200);
    let csrf = csrf_in(&String::from_utf8_lossy(&q.body));
    (session, csrf)
}

/// A urlencoded POST with a session cookie.
pub async fn post_form(c: &mut Conn, path: &str, session: Option<&str>, body: &str) -> Reply {
    let mut h = vec![(
        "content-type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    if let Some(s) = session {
        h.push(("cookie", format!("jz_console={s}")));
    }
    c.send("POST", path, &h, body.as_bytes()).await.unwrap()
}

/// A step form of `case` (`fields` after the CSRF token), as the case page posts it.
pub async fn post_step(c: &mut Conn, case: &str, session: &str, csrf: &str, fields: &str) -> Reply {
    post_form(
        c,
        &format!("/console/cases/{case}/step"),
        Some(session),
        &format!("csrf={csrf}&{fields}"),
    )
    .await
}

/// A page's HTML.
pub async fn page_text(c: &mut Conn, path: &str, session: &str) -> String {
    String::from_utf8_lossy(&get(c, path, session).await.body).to_string()
}

/// A GET with a session cookie.
pub async fn get(c: &mut Conn, path: &str, session: &str) -> Reply {
    c.send(
        "GET",
        path,
        &[("cookie", format!("jz_console={session}"))],
        b"",
    )
    .await
    .unwrap()
}
