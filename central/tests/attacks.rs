//! The loopback attack suite (issue #17; `docs/security.md` maps each test to its threat): a
//! real server on port 0 with a real SQLite file, attacked the way a stolen or compromised
//! kiosk, a stranger at a kiosk, or an outsider on the network would. Each test checks the
//! refusal, its code, and that nothing was stored.

use std::time::{Duration, Instant};

use chrono::Utc;
use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::conn::ConnLimits;
use jiuzhu_central::seed::{DEMO_TOWNSHIP, OTHER_TOWNSHIP, demo_id};
use jiuzhu_central::store::{MAX_PEOPLE_PER_WINDOW, RELEASE_WINDOW_SECS, Recipient};
use jiuzhu_core::api::{self, AssistanceType};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::id::today_in_china;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;
use support::{Central as Server, Setup};

async fn server() -> Server {
    Server::start().await
}

async fn server_with(limits: ConnLimits) -> Server {
    Setup::default().limits(limits).start().await
}

impl Server {
    fn due_recipient(&self) -> &Recipient {
        self.recipients
            .iter()
            .find(|r| r.last_certified_on.is_none())
            .unwrap()
    }
}

fn application(township: &str, seq: u16) -> Value {
    json!({
        "township": township,
        "assistance_type": "dibao",
        "applicant": {"id_number": demo_id("19700101", seq), "name": "张三"},
        "members": [{"person": {"id_number": demo_id("19720202", seq), "name": "李四"}, "relation": "spouse"}],
    })
}

fn key(k: &str) -> Vec<(&'static str, String)> {
    vec![("idempotency-key", k.to_string())]
}

fn assert_refused(r: &Reply, status: u16, code: &str) {
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (status, code),
        "{:?}",
        r.json()
    );
}

fn self_check(who: &str) -> Value {
    json!({"id_number": who, "mode": "self_check", "modality": "face", "liveness_passed": true, "matched": true})
}

// ---------------------------------------------------------------------------------------------
// 1. Kiosk scope
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_kiosk_outside_its_township_gets_403_on_every_route() {
    let s = server().await;
    // A case and a recipient of DEMO_TOWNSHIP, made through the home kiosk.
    let app = application(DEMO_TOWNSHIP, 1);
    let r = s
        .post_as_with(
            &s.kiosk,
            "/v1/kiosk/applications",
            &app,
            &key("home-case-000001"),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    let applicant = app["applicant"]["id_number"].as_str().unwrap().to_string();
    let spouse = app["members"][0]["person"]["id_number"]
        .as_str()
        .unwrap()
        .to_string();
    let rec = s.due_recipient().id_number.clone();
    s.db(|store| store.put_template(&rec, api::Modality::Face, b"face-reference", "test"))
        .unwrap();
    let cases = s.count("cases");
    let audit = s.count("audit");

    // The other township's kiosk tries everything on DEMO_TOWNSHIP's people and case.
    let o = &s.other_kiosk;
    let refused = [
        s.post_as_with(
            o,
            "/v1/kiosk/applications",
            &application(DEMO_TOWNSHIP, 2),
            &key("other-case-00001"),
        )
        .await,
        s.get_as(o, &format!("/v1/kiosk/applications/{case}")).await,
        s.post_as(
            o,
            &format!("/v1/kiosk/applications/{case}/signatures"),
            &json!({"signer": {"id_number": spouse, "name": "李四"}, "method": "id_card_face"}),
        )
        .await,
        Conn::new(s.addr)
            .signed(
                o,
                "POST",
                &format!("/v1/kiosk/applications/{case}/materials"),
                b"%PDF-1.4 scope test",
                &[("content-type", "application/pdf".into())],
            )
            .await
            .unwrap(),
        s.post_as(o, "/v1/kiosk/status", &json!({"id_number": applicant}))
            .await,
        s.post_as(
            o,
            "/v1/kiosk/signatures/pending",
            &json!({"id_number": spouse}),
        )
        .await,
        s.post_as(
            o,
            "/v1/kiosk/certification/status",
            &json!({"id_number": rec}),
        )
        .await,
        s.post_as(o, "/v1/kiosk/certification/results", &self_check(&rec))
            .await,
        s.post_as(
            o,
            "/v1/kiosk/certification/alternatives",
            &json!({"id_number": rec, "kind": "home_visit"}),
        )
        .await,
        s.post_as(
            o,
            "/v1/kiosk/certification/proof",
            &json!({"id_number": rec}),
        )
        .await,
        s.post_as(
            o,
            "/v1/kiosk/templates",
            &json!({"id_number": rec, "modality": "face"}),
        )
        .await,
        // The household's own steps at a kiosk (issue #18): another township's kiosk takes none.
        s.post_as(
            o,
            &format!("/v1/kiosk/applications/{case}/withdrawal"),
            &json!({"id_number": applicant}),
        )
        .await,
        s.post_as(
            o,
            &format!("/v1/kiosk/applications/{case}/objections"),
            &json!({"id_number": applicant, "statement": "有异议", "needs_help": true}),
        )
        .await,
        s.post_as(
            o,
            &format!("/v1/kiosk/applications/{case}/contact-phone"),
            &json!({"id_number": applicant, "phone": "13912345678"}),
        )
        .await,
    ];
    for (i, r) in refused.iter().enumerate() {
        assert_refused(r, 403, "outside_kiosk_scope");
        assert!(
            r.json()["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("kiosk scope"),
            "{i}"
        );
    }
    // Someone who is neither a recipient nor a guardian has no reference anywhere: 404 as before.
    let r = s
        .post_as(
            &s.kiosk,
            "/v1/kiosk/templates",
            &json!({"id_number": applicant, "modality": "face"}),
        )
        .await;
    assert_refused(&r, 404, "not_found");
    assert_eq!(s.count("cases"), cases, "nothing filed");
    assert_eq!(s.count("certifications"), 0, "nothing certified");
    assert_eq!(s.count("template_releases"), 0, "no reference released");
    assert_eq!(
        s.count("audit"),
        audit,
        "no audit row for a refused request"
    );

    // The district widens the other kiosk's scope (audited); the same requests now pass.
    s.db(|store| {
        store
            .hardening()
            .set_kiosk_serves(&o.id, &[DEMO_TOWNSHIP.to_string()], "admin:test")
    })
    .unwrap();
    assert_eq!(
        s.count("audit WHERE action = 'kiosk.scope'"),
        1,
        "the widening is in the audit log"
    );
    assert_eq!(
        s.get_as(o, &format!("/v1/kiosk/applications/{case}"))
            .await
            .status,
        200
    );
    let r = s
        .post_as(
            o,
            "/v1/kiosk/templates",
            &json!({"id_number": rec, "modality": "face"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // Whose reference went to which kiosk.
    let row = &s.rows("SELECT subject, detail FROM audit WHERE action = 'template.released'")[0];
    let (subject, detail) = (row[0].text(), row[1].text());
    let masked = jiuzhu_core::id::IdNumber::parse(&rec).unwrap().masked();
    assert_eq!(
        subject,
        format!(
            "template:face:{}",
            &s.db(|store| store.blind_index(&rec))[..16]
        )
    );
    assert!(detail.contains(&o.id), "{detail}");
    assert!(detail.contains(&masked), "{detail}");
    // And the kiosk still cannot reach a third township it was not given.
    let r = s
        .post_as_with(
            o,
            "/v1/kiosk/applications",
            &application("500102999", 3),
            &key("other-case-00003"),
        )
        .await;
    assert_refused(&r, 403, "outside_kiosk_scope");
}

#[tokio::test]
async fn a_burst_of_reference_releases_is_429_with_retry_after_and_alerts_staff() {
    let s = server().await;
    let people: Vec<String> = (0..20).map(|i| demo_id("19400101", 300 + i)).collect();
    for (i, p) in people.iter().enumerate() {
        s.db(|store| {
            store.put_recipient(
                &Recipient {
                    id_number: p.clone(),
                    name: "赵一".into(),
                    township: DEMO_TOWNSHIP.into(),
                    assistance_type: AssistanceType::Dibao,
                    household_size: 1,
                    amount_fen: 50_000,
                    since: today_in_china(),
                    last_certified_on: None,
                },
                "test",
            )
        })
        .unwrap();
        s.db(|store| {
            store.put_template(
                p,
                api::Modality::Fingerprint,
                format!("ref-{i}").as_bytes(),
                "test",
            )
        })
        .unwrap();
    }
    let fetch = async |who: &str| {
        s.post_as(
            &s.kiosk,
            "/v1/kiosk/templates",
            &json!({"id_number": who, "modality": "fingerprint"}),
        )
        .await
    };
    let limit = MAX_PEOPLE_PER_WINDOW;
    for p in &people[..limit] {
        assert_eq!(fetch(p).await.status, 200);
    }
    // The same person again (a retry, face after fingerprint) is not a new person.
    assert_eq!(fetch(&people[0]).await.status, 200);
    let r = fetch(&people[limit]).await;
    assert_refused(&r, 429, "template_rate_limited");
    let retry: i64 = r
        .headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .map(|(_, v)| v.parse().unwrap())
        .expect("Retry-After");
    assert!((1..=RELEASE_WINDOW_SECS).contains(&retry), "{retry}");
    assert_refused(
        &fetch(&people[limit + 1]).await,
        429,
        "template_rate_limited",
    );
    assert_eq!(
        s.count("template_releases"),
        limit as i64 + 1,
        "refused releases are not recorded as released"
    );
    // One alert per burst, visible to the township's staff and the district, not to others.
    let clerk = s.login("clerk").await;
    let alerts = s.staff("GET", &clerk, "/v1/staff/alerts", None).await;
    assert_eq!(alerts.status, 200);
    let list = alerts.json();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["kind"], "template_release_burst");
    assert_eq!(list[0]["kiosk_id"], s.kiosk.id);
    let bureau = s.login("bureau").await;
    assert_eq!(
        s.staff("GET", &bureau, "/v1/staff/alerts", None)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let clerk2 = s.login("clerk2").await;
    assert_eq!(
        s.staff("GET", &clerk2, "/v1/staff/alerts", None)
            .await
            .json(),
        json!([])
    );
    assert_refused(
        &Conn::new(s.addr)
            .send("GET", "/v1/staff/alerts", &[], b"")
            .await
            .unwrap(),
        401,
        "no_session",
    );
    // Another kiosk of the same township is not held back by this one's burst.
    s.db(|store| {
        store.add_kiosk(
            "hall-home-2",
            DEMO_TOWNSHIP,
            SigningKey::from_bytes(&[44; 32]).verifying_key().as_bytes(),
            "test",
        )
    })
    .unwrap();
    let second = KioskSigner {
        id: "hall-home-2".into(),
        key: SigningKey::from_bytes(&[44; 32]),
    };
    let r = s
        .post_as(
            &second,
            "/v1/kiosk/templates",
            &json!({"id_number": people[limit], "modality": "fingerprint"}),
        )
        .await;
    assert_eq!(r.status, 200);
}

// ---------------------------------------------------------------------------------------------
// 2. No trusted verdicts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_kiosk_cannot_certify_by_staff_witness_or_without_liveness() {
    let s = server().await;
    let rec = s.due_recipient().id_number.clone();
    let forged = json!({"id_number": rec, "mode": "staff_witnessed", "liveness_passed": false, "matched": true});
    let r = s
        .post_as(&s.kiosk, "/v1/kiosk/certification/results", &forged)
        .await;
    assert_refused(&r, 403, "mode_not_allowed");
    let mut no_live = self_check(&rec);
    no_live["liveness_passed"] = json!(false);
    let r = s
        .post_as(&s.kiosk, "/v1/kiosk/certification/results", &no_live)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["certified"],
        false,
        "a match without liveness never certifies"
    );
    assert_eq!(s.count("proofs"), 0);
    assert_eq!(s.count("certifications WHERE certified"), 0);
}

#[tokio::test]
async fn assisted_sessions_need_a_live_staff_session_not_a_name() {
    let s = server().await;
    let path = "/v1/kiosk/applications";
    let mut app = application(DEMO_TOWNSHIP, 10);
    // Names — existing or not — are refused the same way: no account enumeration.
    let mut answers = Vec::new();
    for (i, name) in ["bureau", "clerk", "nobody-at-all"].iter().enumerate() {
        app["assisted_by_staff"] = json!(name);
        let r = s
            .post_as_with(&s.kiosk, path, &app, &key(&format!("assisted-name-{i:04}")))
            .await;
        assert_refused(&r, 403, "staff_session_invalid");
        answers.push(r.body.clone());
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "identical answers"
    );
    assert_eq!(s.count("cases"), 0);
    // The clerk of another township (logged in elsewhere) is outside this kiosk's scope.
    let clerk2 = s.login("clerk2").await;
    app["assisted_by_staff"] = json!(clerk2);
    let r = s
        .post_as_with(&s.kiosk, path, &app, &key("assisted-other-001"))
        .await;
    assert_refused(&r, 403, "outside_kiosk_scope");
    // The township's clerk, logged in: recorded once, the token never stored.
    let clerk = s.login("clerk").await;
    app["assisted_by_staff"] = json!(clerk);
    let r = s
        .post_as_with(&s.kiosk, path, &app, &key("assisted-clerk-001"))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(
        s.count("audit WHERE action = 'assisted_submission' AND actor = 'staff:clerk'"),
        1
    );
    assert_eq!(
        s.count(&format!("cases WHERE payload LIKE '%{clerk}%'")),
        0,
        "token not archived"
    );

    // Assisted certification: a staff session is required, and checked.
    let rec = s.due_recipient().id_number.clone();
    let helper = json!({"id_number": demo_id("19800101", 77), "name": "周五"});
    let mut assisted = json!({"id_number": rec, "mode": "assisted", "modality": "face",
        "liveness_passed": true, "matched": true, "assisted_by": helper});
    let r = s
        .post_as(&s.kiosk, "/v1/kiosk/certification/results", &assisted)
        .await;
    assert_refused(&r, 403, "staff_session_required");
    assisted["staff_session"] = json!("clerk");
    let r = s
        .post_as(&s.kiosk, "/v1/kiosk/certification/results", &assisted)
        .await;
    assert_refused(&r, 403, "staff_session_invalid");
    assert_eq!(s.count("certifications"), 0);
    assisted["staff_session"] = json!(clerk);
    let r = s
        .post_as(&s.kiosk, "/v1/kiosk/certification/results", &assisted)
        .await;
    assert_eq!(
        (r.status, r.json()["certified"].clone()),
        (200, json!(true)),
        "{:?}",
        r.json()
    );
    assert_eq!(
        s.count("audit WHERE action = 'assisted_certification' AND actor = 'staff:clerk'"),
        1
    );
    // Self-check carries no staff session.
    let mut own = self_check(&rec);
    own["staff_session"] = json!(clerk);
    assert_refused(
        &s.post_as(&s.kiosk, "/v1/kiosk/certification/results", &own)
            .await,
        422,
        "invalid_field",
    );
}

// ---------------------------------------------------------------------------------------------
// Replay, skew, hostile header numbers (7)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn replayed_skewed_and_overflowing_signatures_are_401_and_the_server_lives() {
    let s = server().await;
    let body = json!({"id_number": s.due_recipient().id_number}).to_string();
    let path = "/v1/kiosk/certification/status";
    let send = async |ts: &str, nonce: &str| {
        let t: i64 = ts.parse().unwrap_or(0);
        let h = api::sign_request(
            &s.kiosk.key,
            &s.kiosk.id,
            "POST",
            path,
            t,
            nonce,
            body.as_bytes(),
        );
        let mut headers: Vec<(&str, String)> = h.pairs().into_iter().collect();
        headers.retain(|(k, _)| *k != api::HEADER_TIMESTAMP);
        headers.push((api::HEADER_TIMESTAMP, ts.to_string()));
        headers.push(("content-type", "application/json".into()));
        Conn::new(s.addr)
            .send("POST", path, &headers, body.as_bytes())
            .await
            .unwrap()
    };
    let now = Utc::now().timestamp().to_string();
    assert_eq!(send(&now, "replay-nonce-000001").await.status, 200);
    assert_refused(
        &send(&now, "replay-nonce-000001").await,
        401,
        "replayed_nonce",
    );
    let old = (Utc::now().timestamp() - 301).to_string();
    assert_refused(&send(&old, "skew-nonce-0000001").await, 401, "clock_skew");
    for (i, ts) in [
        i64::MIN.to_string(),
        i64::MAX.to_string(),
        (i64::MIN + 1).to_string(),
    ]
    .iter()
    .enumerate()
    {
        assert_refused(
            &send(ts, &format!("edge-nonce-{i:07}")).await,
            401,
            "clock_skew",
        );
    }
    for (i, ts) in ["-9223372036854775809", "1e9", "", "0x10"]
        .iter()
        .enumerate()
    {
        assert_refused(
            &send(ts, &format!("bad-ts-nonce-{i:06}")).await,
            401,
            "malformed_signature_header",
        );
    }
    assert_eq!(s.health().await, 200);
}

// ---------------------------------------------------------------------------------------------
// 8. Slow and idle clients
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn idle_and_half_sent_connections_do_not_starve_health() {
    let limits = ConnLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        max_connections: 64,
    };
    let s = server_with(limits).await;
    let mut sockets = Vec::new();
    for i in 0..300 {
        let mut sock = TcpStream::connect(s.addr).await.unwrap();
        match i % 3 {
            0 => {}
            1 => sock.write_all(b"POST /v1/kiosk/status HTTP/1.1\r\nhost: x\r\nx-jiu").await.unwrap(),
            _ => sock
                .write_all(b"POST /v1/staff/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"user")
                .await
                .unwrap(),
        }
        sockets.push(sock);
    }
    // 300 sockets against a cap of 64: health is answered once the timeouts free the slots.
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(20), s.health()).await;
    assert_eq!(
        status.ok(),
        Some(200),
        "health answered while 300 sockets hang"
    );
    println!(
        "health answered after {:?} with 300 idle or half-sent sockets",
        started.elapsed()
    );
    // A half-sent body is answered 408 body_timeout, then closed; a half-sent head is closed.
    let mut answer = Vec::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(10), sockets[2].read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("body_timeout"), "{text}");
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(10), sockets[1].read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the half-sent head was closed");
}

/// The server closes a keep-alive connection that stays idle past its header read timeout; a client
/// that writes into it then gets no answer. The test client (`client::Conn`, used by the browser and
/// loopback tests, whose steps can pause for seconds on a busy machine) opens a new connection
/// after `reuse_idle` of silence instead of sending into the closing one.
#[tokio::test]
async fn a_connection_idle_past_the_servers_timeout_is_replaced_not_reused() {
    let limits = ConnLimits {
        header_read_timeout: Duration::from_secs(1),
        ..ConnLimits::default()
    };
    let s = server_with(limits).await;
    let get = async |c: &mut Conn| c.send("GET", "/v1/health", &[], b"").await;
    // trusting the connection for longer than the server keeps it: the second request is lost
    let mut stale = Conn::new(s.addr).reusing_for(Duration::from_secs(60));
    assert_eq!(get(&mut stale).await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        get(&mut stale).await.is_err(),
        "the server closed the idle connection"
    );
    // within the server's timeout: replaced, answered
    let mut fresh = Conn::new(s.addr).reusing_for(Duration::from_millis(500));
    assert_eq!(get(&mut fresh).await.unwrap().status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(get(&mut fresh).await.unwrap().status, 200);
    // the default is under the server's default timeout
    assert!(jiuzhu_central::client::REUSE_IDLE < ConnLimits::default().header_read_timeout);
}

// ---------------------------------------------------------------------------------------------
// Oversized and malformed bodies; free text and closed enums (9)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn hostile_bodies_are_refused_naming_the_field_and_nothing_is_stored() {
    let s = server().await;
    let path = "/v1/kiosk/applications";
    let big = json!({"township": DEMO_TOWNSHIP, "pad": "x".repeat(70 * 1024)});
    assert_refused(
        &s.post_as_with(&s.kiosk, path, &big, &key("big-body-0000001"))
            .await,
        413,
        "body_too_large",
    );
    let r = Conn::new(s.addr)
        .signed(
            &s.kiosk,
            "POST",
            path,
            b"{\"township\": ",
            &key("malformed-000001"),
        )
        .await
        .unwrap();
    assert_refused(&r, 400, "malformed_json");
    let cases: &[(&str, Value, &str, &str)] = &[
        ("village", json!("石板村\u{0}"), "invalid_text", "village"),
        ("village", json!("石板\u{7}村"), "invalid_text", "village"),
        (
            "village",
            json!("\u{202E}村板石"),
            "invalid_text",
            "village",
        ),
        (
            "village",
            json!("<img src=x onerror=alert(1)>"),
            "invalid_text",
            "village",
        ),
        ("village", json!("石板\n村"), "invalid_text", "village"),
    ];
    for (i, (field, value, code, named)) in cases.iter().enumerate() {
        let mut app = application(DEMO_TOWNSHIP, 20);
        app[*field] = value.clone();
        let r = s
            .post_as_with(&s.kiosk, path, &app, &key(&format!("hostile-text-{i:04}")))
            .await;
        assert_refused(&r, 422, code);
        assert!(
            r.json()["error"]["reason"]
                .as_str()
                .unwrap()
                .starts_with(named),
            "{:?}",
            r.json()
        );
    }
    let mut app = application(DEMO_TOWNSHIP, 21);
    app["members"][0]["person"]["name"] = json!("李\u{2067}四");
    let r = s
        .post_as_with(&s.kiosk, path, &app, &key("hostile-name-0001"))
        .await;
    assert_refused(&r, 422, "invalid_text");
    assert!(
        r.json()["error"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("members[0].person.name")
    );
    // A member relation is a closed set: `agent` is a role, not a relation.
    for (i, rel) in ["agent", "self", "boss", ""].iter().enumerate() {
        let mut app = application(DEMO_TOWNSHIP, 22);
        app["members"][0]["relation"] = json!(rel);
        let r = s
            .post_as_with(&s.kiosk, path, &app, &key(&format!("hostile-rel-{i:05}")))
            .await;
        assert_refused(&r, 422, "invalid_field");
        assert!(
            r.json()["error"]["reason"]
                .as_str()
                .unwrap()
                .starts_with("members[0].relation")
        );
    }
    // Numbers are bounded before any arithmetic.
    let mut app = application(DEMO_TOWNSHIP, 23);
    let earner = app["applicant"]["id_number"].clone();
    app["incomes"] = json!([
        {"earner": earner, "kind": "wages", "monthly": i64::MAX, "note": ""},
        {"earner": earner, "kind": "wages", "monthly": i64::MAX, "note": ""}
    ]);
    let r = s
        .post_as_with(&s.kiosk, path, &app, &key("hostile-money-001"))
        .await;
    assert_refused(&r, 422, "invalid_number");
    assert!(
        r.json()["error"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("incomes[0].monthly")
    );
    assert_eq!(s.count("cases"), 0, "nothing stored");
    assert_eq!(s.health().await, 200);
}

// ---------------------------------------------------------------------------------------------
// 3. Bounded dates
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn notice_deadlines_are_working_days_in_range_and_never_stall_the_writer() {
    let s = server().await;
    let app = application(DEMO_TOWNSHIP, 30);
    let r = s
        .post_as_with(
            &s.kiosk,
            "/v1/kiosk/applications",
            &app,
            &key("notice-case-00001"),
        )
        .await;
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    let clerk = s.login("clerk").await;
    let path = format!("/v1/staff/cases/{case}/events");
    let audit = s.count("audit");
    for (i, action) in [
        json!({"type": "notify_missing_materials", "deadline": "9999-12-31"}),
        json!({"type": "notify_missing_materials", "deadline": "+262142-12-31"}),
        json!({"type": "notify_missing_materials", "working_days": 100000}),
        json!({"type": "notify_missing_materials", "working_days": 0}),
        json!({"type": "notify_missing_materials", "working_days": 5, "deadline": "2099-01-01"}),
    ]
    .iter()
    .enumerate()
    {
        let started = Instant::now();
        let r = s
            .staff("POST", &clerk, &path, Some(&json!({"action": action})))
            .await;
        println!("refusal {i} in {:?}", started.elapsed());
        assert!(r.status == 422, "{action}: {:?}", r.json());
        assert!(
            matches!(
                r.error_code().as_str(),
                "deadline_out_of_range" | "invalid_field"
            ),
            "{:?}",
            r.json()
        );
    }
    assert_eq!(s.count("audit"), audit, "nothing stored");
    // Kiosks are answered while the clerk tries.
    assert_eq!(
        s.post_as(
            &s.kiosk,
            "/v1/kiosk/status",
            &json!({"id_number": app["applicant"]["id_number"]})
        )
        .await
        .status,
        200
    );
    let r = s
        .staff(
            "POST",
            &clerk,
            &path,
            Some(&json!({"action": {"type": "notify_missing_materials", "working_days": 10, "note": "请补齐"}})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let cal = Calendar::builtin();
    let want = cal.add_working_days(today_in_china(), 10).value;
    assert_eq!(
        r.json()["case"]["missing_notice"]["deadline"],
        json!(want.to_string()),
        "{}",
        r.json()["case"]
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Idempotency keys bound to the body
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_used_idempotency_key_with_another_body_is_422() {
    let s = server().await;
    let path = "/v1/kiosk/applications";
    let a = application(DEMO_TOWNSHIP, 40);
    let b = application(DEMO_TOWNSHIP, 41);
    let first = s
        .post_as_with(&s.kiosk, path, &a, &key("same-key-00000001"))
        .await;
    assert_eq!(first.status, 201);
    let again = s
        .post_as_with(&s.kiosk, path, &a, &key("same-key-00000001"))
        .await;
    assert_eq!(
        (again.status, again.body.clone()),
        (200, first.body.clone())
    );
    let other = s
        .post_as_with(&s.kiosk, path, &b, &key("same-key-00000001"))
        .await;
    assert_refused(&other, 422, "idempotency_key_reused");
    assert_eq!(s.count("cases"), 1);
    // The same for the other idempotent uploads.
    let rec = s.due_recipient().id_number.clone();
    let res = "/v1/kiosk/certification/results";
    let r = s
        .post_as_with(&s.kiosk, res, &self_check(&rec), &key("cert-key-00000001"))
        .await;
    assert_eq!(r.status, 200);
    let mut fail = self_check(&rec);
    fail["matched"] = json!(false);
    assert_refused(
        &s.post_as_with(&s.kiosk, res, &fail, &key("cert-key-00000001"))
            .await,
        422,
        "idempotency_key_reused",
    );
    assert_eq!(s.count("certifications"), 1);
}

// ---------------------------------------------------------------------------------------------
// 12. Proof revocation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn proofs_are_superseded_by_a_reissue_and_revoked_by_death() {
    let s = server().await;
    let rec = s.due_recipient().id_number.clone();
    let r = s
        .post_as(
            &s.kiosk,
            "/v1/kiosk/certification/results",
            &self_check(&rec),
        )
        .await;
    let first = r.json()["proof_code"].as_str().unwrap().to_string();
    let check = async |code: &str| {
        Conn::new(s.addr)
            .send("GET", &format!("/v1/public/proofs/{code}"), &[], b"")
            .await
            .unwrap()
            .json()
    };
    assert_eq!(check(&first).await["status"], "valid");
    let r = s
        .post_as(
            &s.kiosk,
            "/v1/kiosk/certification/proof",
            &json!({"id_number": rec}),
        )
        .await;
    let second = r.json()["proof_code"].as_str().unwrap().to_string();
    let v = check(&first).await;
    assert_eq!(
        (v["status"].clone(), v["since"].clone()),
        (json!("superseded"), json!(today_in_china().to_string()))
    );
    assert_eq!(check(&second).await["status"], "valid");

    // Staff record the death; a village helper or another township cannot.
    let today = today_in_china();
    let body = json!({"id_number": rec, "standing": "deceased", "since": today.to_string()});
    let path = "/v1/staff/recipients/standing";
    let helper = s.login("helper").await;
    assert_refused(
        &s.staff("POST", &helper, path, Some(&body)).await,
        403,
        "wrong_role",
    );
    let clerk2 = s.login("clerk2").await;
    assert_refused(
        &s.staff("POST", &clerk2, path, Some(&body)).await,
        403,
        "forbidden",
    );
    let clerk = s.login("clerk").await;
    let future = json!({"id_number": rec, "standing": "deceased", "since": "2999-01-01"});
    assert_refused(
        &s.staff("POST", &clerk, path, Some(&future)).await,
        422,
        "date_out_of_range",
    );
    let unknown = json!({"id_number": rec, "standing": "moved_away", "since": today.to_string()});
    assert_refused(
        &s.staff("POST", &clerk, path, Some(&unknown)).await,
        422,
        "invalid_field",
    );
    assert_eq!(
        check(&second).await["status"],
        "valid",
        "nothing recorded yet"
    );
    let r = s.staff("POST", &clerk, path, Some(&body)).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    for code in [&first, &second] {
        let v = check(code).await;
        assert_eq!(
            (v["status"].clone(), v["reason"].clone(), v["since"].clone()),
            (
                json!("revoked"),
                json!("deceased"),
                json!(today.to_string())
            )
        );
    }
    assert_eq!(
        s.count("audit WHERE action = 'recipient.deceased' AND actor = 'staff:clerk'"),
        1
    );
}

#[test]
fn the_packaged_unit_allows_more_descriptors_than_the_connection_cap() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../packaging/systemd/jiuzhu-central.service"
    ))
    .unwrap();
    let nofile: usize = unit
        .lines()
        .find_map(|l| l.strip_prefix("LimitNOFILE="))
        .expect("LimitNOFILE in the packaged unit")
        .trim()
        .parse()
        .unwrap();
    // Each connection is one descriptor; SQLite (writer, readers, WAL, checkpointer) and the
    // listener need a few dozen more.
    assert!(
        nofile >= 2 * ConnLimits::default().max_connections,
        "{nofile}"
    );
}

/// `GET /v1/kiosk/townships`: each kiosk learns only the townships it serves (its own first),
/// a widening by the district shows; unsigned or signed by an unknown key: 401.
#[tokio::test]
async fn a_kiosk_learns_only_the_townships_it_serves() {
    let s = server().await;
    let names = |r: &Reply| -> Vec<(String, String)> {
        assert_eq!(r.status, 200, "{:?}", r.json());
        r.json()["townships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["code"].as_str().unwrap().to_string(),
                    t["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let home = names(&s.get_as(&s.kiosk, "/v1/kiosk/townships").await);
    assert_eq!(home.len(), 1);
    assert_eq!(home[0].0, DEMO_TOWNSHIP);
    assert!(home[0].1.contains("江东街道"), "{home:?}");
    let o = &s.other_kiosk;
    let other = names(&s.get_as(o, "/v1/kiosk/townships").await);
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].0, OTHER_TOWNSHIP);

    s.db(|store| {
        store
            .hardening()
            .set_kiosk_serves(&o.id, &[DEMO_TOWNSHIP.to_string()], "admin:test")
    })
    .unwrap();
    let widened = names(&s.get_as(o, "/v1/kiosk/townships").await);
    let codes: Vec<&str> = widened.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, [OTHER_TOWNSHIP, DEMO_TOWNSHIP]);

    let mut c = Conn::new(s.addr);
    let r = c
        .send("GET", "/v1/kiosk/townships", &[], b"")
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    let stranger = KioskSigner {
        id: "kiosk-stolen".into(),
        key: SigningKey::from_bytes(&[77; 32]),
    };
    let r = s.get_as(&stranger, "/v1/kiosk/townships").await;
    assert_eq!(r.status, 401);
}

/// A signer who cannot write signs with a fingerprint mark (按手印) before a staff witness: the
/// witness must be a live staff session of a township the kiosk serves; the mark without a
/// witness, a witness for a handwritten name, a name or a dead token instead of a session are
/// refused and nothing is signed; the witness's account is recorded with the signature, the
/// token is not.
#[tokio::test]
async fn a_fingerprint_mark_needs_a_live_witness_of_the_kiosks_township() {
    let s = server().await;
    let app = application(DEMO_TOWNSHIP, 20);
    let r = s
        .post_as_with(
            &s.kiosk,
            "/v1/kiosk/applications",
            &app,
            &key("mark-case-000001"),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    let path = format!("/v1/kiosk/applications/{case}/signatures");
    let spouse = app["members"][0]["person"].clone();
    let sign = |mark: &str, witness: Option<&str>| {
        let mut b = json!({"signer": spouse, "method": "id_card_fingerprint", "mark": mark});
        if let Some(w) = witness {
            b["witness"] = json!(w);
        }
        b
    };
    let signed = || {
        s.count(&format!(
            "case_people WHERE case_id = '{case}' AND signed_at IS NOT NULL AND role != 'applicant'"
        ))
    };

    assert_refused(
        &s.post_as(&s.kiosk, &path, &sign("fingerprint_mark", None))
            .await,
        422,
        "invalid_field",
    );
    assert_refused(
        &s.post_as(&s.kiosk, &path, &sign("handwriting", Some("whatever")))
            .await,
        422,
        "invalid_field",
    );
    assert_refused(
        &s.post_as(&s.kiosk, &path, &sign("thumbprint", None)).await,
        422,
        "invalid_field",
    );
    for w in ["clerk", "", &"x".repeat(4000)] {
        assert_refused(
            &s.post_as(&s.kiosk, &path, &sign("fingerprint_mark", Some(w)))
                .await,
            403,
            "staff_session_invalid",
        );
    }
    let clerk2 = s.login("clerk2").await;
    assert_refused(
        &s.post_as(&s.kiosk, &path, &sign("fingerprint_mark", Some(&clerk2)))
            .await,
        403,
        "outside_kiosk_scope",
    );
    assert_eq!(signed(), 0, "nothing signed by a refused request");

    let clerk = s.login("clerk").await;
    let r = s
        .post_as(&s.kiosk, &path, &sign("fingerprint_mark", Some(&clerk)))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(signed(), 1);
    let how: String = s.rows(
        "SELECT signed_by FROM case_people WHERE signed_at IS NOT NULL AND role != 'applicant'",
    )[0][0]
        .text();
    assert!(
        how.contains("fingerprint_mark") && how.contains("witness clerk"),
        "{how}"
    );
    assert_eq!(
        s.count(
            "audit WHERE action = 'case.signed' AND detail LIKE '%fingerprint_mark%witness clerk%'"
        ),
        1,
        "the mark and its witness are in the audit log"
    );
    assert_eq!(
        s.count(&format!("audit WHERE detail LIKE '%{clerk}%'")),
        0,
        "the token is not archived"
    );
}
