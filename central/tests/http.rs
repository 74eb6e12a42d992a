//! Loopback tests against a real server on port 0 with a real SQLite file.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Days;
use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::http::{ROUTES, hash_password, openapi_json};
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP, OTHER_TOWNSHIP, demo_id};
use jiuzhu_central::store::Recipient;
use jiuzhu_central::{AppState, SqliteStore, Store};
use jiuzhu_core::api::{self, Modality};
use jiuzhu_core::id::today_in_china;
use rstest::rstest;
use serde_json::json;

fn district_key() -> SigningKey {
    SigningKey::from_bytes(&[77; 32])
}

struct Server {
    addr: SocketAddr,
    store: Arc<SqliteStore>,
    kiosk: KioskSigner,
    recipients: Vec<Recipient>,
    _dir: tempfile::TempDir,
}

async fn server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("central.db")).unwrap());
    let hash = |p: &str| hash_password(p).unwrap();
    let recipients = seed::seed_demo(store.as_ref(), today_in_china(), &hash).unwrap();
    let key = SigningKey::from_bytes(&[42; 32]);
    store
        .add_kiosk(
            "kiosk-1",
            DEMO_TOWNSHIP,
            key.verifying_key().as_bytes(),
            "test",
        )
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let st = AppState::new(store.clone(), district_key());
    tokio::spawn(jiuzhu_central::serve_on(listener, st));
    Server {
        addr,
        store,
        kiosk: KioskSigner {
            id: "kiosk-1".into(),
            key,
        },
        recipients,
        _dir: dir,
    }
}

fn application(idn: &str, members: &[(&str, &str)]) -> serde_json::Value {
    json!({
        "township": DEMO_TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": idn, "name": "张三"},
        "members": members.iter().map(|(id, rel)| json!({"person": {"id_number": id, "name": "张小明"}, "relation": rel})).collect::<Vec<_>>(),
    })
}

async fn submit(s: &Server, c: &mut Conn, body: &serde_json::Value, key: &str) -> Reply {
    c.signed(
        &s.kiosk,
        "POST",
        "/v1/kiosk/applications",
        body.to_string().as_bytes(),
        &[("idempotency-key", key.into())],
    )
    .await
    .unwrap()
}

fn count(s: &Server, table: &str) -> i64 {
    s.store
        .with_conn(|c| c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)))
        .unwrap()
}

async fn login(c: &mut Conn, user: &str) -> String {
    let pw = seed::DEMO_STAFF.iter().find(|s| s.0 == user).unwrap().1;
    let r = c
        .send(
            "POST",
            "/v1/staff/login",
            &[("content-type", "application/json".into())],
            json!({"username": user, "password": pw})
                .to_string()
                .as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["token"].as_str().unwrap().to_string()
}

async fn staff_get(c: &mut Conn, token: &str, path: &str) -> Reply {
    c.send(
        "GET",
        path,
        &[("authorization", format!("Bearer {token}"))],
        b"",
    )
    .await
    .unwrap()
}

fn applicant() -> String {
    demo_id("19500101", 11)
}

#[tokio::test]
async fn submission_is_idempotent_and_visible_to_the_applicant() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let member = demo_id("19800202", 12);
    let body = application(&applicant(), &[(&member, "child")]);
    let first = submit(&s, &mut c, &body, "idem-key-000000001").await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let again = submit(&s, &mut c, &body, "idem-key-000000001").await;
    assert_eq!(again.status, 200);
    assert_eq!(first.json()["case_id"], again.json()["case_id"]);
    assert_eq!(count(&s, "cases"), 1);
    let j = first.json();
    assert_eq!(j["state"], "submitted");
    assert_eq!(j["pending_signatures"].as_array().unwrap().len(), 2);
    assert_eq!(j["hotline"], "023-7222-0000");
    // without the key: refused, nothing stored
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/applications",
            body.to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "missing_idempotency_key")
    );
    assert_eq!(count(&s, "cases"), 1);

    // the applicant and the member see it; nobody else does
    for (who, n) in [
        (applicant(), 1),
        (member.clone(), 1),
        (demo_id("19700303", 13), 0),
    ] {
        let r = c
            .signed(
                &s.kiosk,
                "POST",
                "/v1/kiosk/status",
                json!({"id_number": who}).to_string().as_bytes(),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["cases"].as_array().unwrap().len(), n);
    }
}

#[tokio::test]
async fn agent_sees_only_cases_they_filed() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let agent = demo_id("19750505", 15);
    let mut body = application(&applicant(), &[]);
    body["agent"] = json!({"id_number": agent, "name": "赵代办"});
    assert_eq!(
        submit(&s, &mut c, &body, "idem-key-agent-0001")
            .await
            .status,
        201
    );
    for (a, n) in [(agent.clone(), 1), (demo_id("19760606", 16), 0)] {
        let q = json!({"id_number": applicant(), "agent_id_number": a});
        let r = c
            .signed(
                &s.kiosk,
                "POST",
                "/v1/kiosk/status",
                q.to_string().as_bytes(),
                &[],
            )
            .await
            .unwrap();
        assert_eq!(r.json()["cases"].as_array().unwrap().len(), n);
    }
}

#[tokio::test]
async fn signatures_are_recorded_once_per_member() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let member = demo_id("19800202", 12);
    let r = submit(
        &s,
        &mut c,
        &application(&applicant(), &[(&member, "spouse")]),
        "idem-key-sign-0001",
    )
    .await;
    let id = r.json()["case_id"].as_str().unwrap().to_string();
    let path = format!("/v1/kiosk/applications/{id}/signatures");
    let sig = |who: &str| {
        json!({"signer": {"id_number": who, "name": "张小明"}, "method": "id_card_face"})
            .to_string()
    };
    let r = c
        .signed(&s.kiosk, "POST", &path, sig(&member).as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["pending_signatures"].as_array().unwrap().len(), 1);
    let r = c
        .signed(&s.kiosk, "POST", &path, sig(&member).as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.status, 409);
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            &path,
            sig(&demo_id("19700303", 13)).as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn materials_are_checked_by_content_and_content_addressed() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let r = submit(
        &s,
        &mut c,
        &application(&applicant(), &[]),
        "idem-key-mat-00001",
    )
    .await;
    let id = r.json()["case_id"].as_str().unwrap().to_string();
    let path = format!("/v1/kiosk/applications/{id}/materials");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest-of-a-picture".to_vec();
    let up = |ct: &'static str| [("content-type", ct.to_string())];
    let a = c
        .signed(&s.kiosk, "POST", &path, &png, &up("image/png"))
        .await
        .unwrap();
    assert_eq!(a.status, 201, "{:?}", a.json());
    let b = c
        .signed(&s.kiosk, "POST", &path, &png, &up("image/png"))
        .await
        .unwrap();
    assert_eq!(a.json()["sha256"], b.json()["sha256"]);
    assert_eq!(count(&s, "materials"), 1);
    let r = c
        .signed(&s.kiosk, "POST", &path, &png, &up("application/pdf"))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "content_type_mismatch")
    );
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            &path,
            b"MZ\x90\0 not a picture",
            &up("image/png"),
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "unsupported_material")
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(jiuzhu_central::http::MAX_MATERIAL_BYTES + 10, b' ');
    let r = c
        .signed(&s.kiosk, "POST", &path, &big, &up("application/pdf"))
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    assert_eq!(count(&s, "materials"), 1);
}

#[rstest]
#[case::malformed_json(b"{\"township\": ".to_vec(), "application/json", 400, "malformed_json")]
#[case::unknown_field(br#"{"township":"500102900","assistance_type":"dibao","applicant":{"id_number":"11010519491231002X","name":"a"},"surprise":1}"#.to_vec(), "application/json", 422, "invalid_field")]
#[case::bad_id(br#"{"township":"500102900","assistance_type":"dibao","applicant":{"id_number":"110105194912310021","name":"a"}}"#.to_vec(), "application/json", 422, "invalid_id_number")]
#[case::bad_type(br#"{"township":"500102900","assistance_type":"gold","applicant":{"id_number":"11010519491231002X","name":"a"}}"#.to_vec(), "application/json", 422, "invalid_field")]
#[case::wrong_content_type(br#"{}"#.to_vec(), "text/plain", 415, "unsupported_media_type")]
#[case::oversized(vec![b' '; 70 * 1024], "application/json", 413, "body_too_large")]
#[case::unknown_township(br#"{"township":"999999999","assistance_type":"dibao","applicant":{"id_number":"11010519491231002X","name":"a"}}"#.to_vec(), "application/json", 422, "invalid_request")]
#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored(
    #[case] body: Vec<u8>,
    #[case] ct: &str,
    #[case] status: u16,
    #[case] code: &str,
) {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let audit_before = count(&s, "audit");
    let nonce = uuid::Uuid::now_v7().simple().to_string();
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-1",
        "POST",
        "/v1/kiosk/applications",
        chrono::Utc::now().timestamp(),
        &nonce,
        &body,
    );
    let mut headers: Vec<(&str, String)> = h.pairs().into_iter().collect();
    headers.push(("content-type", ct.into()));
    headers.push(("idempotency-key", "idem-key-bad-00001".into()));
    let r = c
        .send("POST", "/v1/kiosk/applications", &headers, &body)
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (status, code),
        "{:?}",
        r.json()
    );
    assert!(!r.json()["error"]["reason"].as_str().unwrap().is_empty());
    assert_eq!(count(&s, "cases"), 0);
    assert_eq!(count(&s, "audit"), audit_before);
}

#[tokio::test]
async fn kiosk_authentication_failures_get_401_with_a_reason() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let body = json!({"id_number": applicant()}).to_string();
    let path = "/v1/kiosk/status";
    let now = chrono::Utc::now().timestamp();
    let json_ct = ("content-type", "application/json".to_string());

    // unsigned
    let r = c
        .send(
            "POST",
            path,
            std::slice::from_ref(&json_ct),
            body.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "unsigned"));

    let send = |h: api::SignedHeaders| {
        let mut v: Vec<(&str, String)> = h.pairs().into_iter().collect();
        v.push(json_ct.clone());
        v
    };
    // replay: the same signed request twice
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-1",
        "POST",
        path,
        now,
        "replay-nonce-000001",
        body.as_bytes(),
    );
    let r = c
        .send("POST", path, &send(h.clone()), body.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let r = c
        .send("POST", path, &send(h), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "replayed_nonce"));

    // skewed by six minutes
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-1",
        "POST",
        path,
        now - 360,
        "skew-nonce-00000001",
        body.as_bytes(),
    );
    let r = c
        .send("POST", path, &send(h), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "clock_skew"));

    // signed by another key
    let other = SigningKey::from_bytes(&[7; 32]);
    let h = api::sign_request(
        &other,
        "kiosk-1",
        "POST",
        path,
        now,
        "bad-sig-nonce-00001",
        body.as_bytes(),
    );
    let r = c
        .send("POST", path, &send(h), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "bad_signature"));

    // body changed after signing
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-1",
        "POST",
        path,
        now,
        "tamper-nonce-000001",
        body.as_bytes(),
    );
    let tampered = json!({"id_number": demo_id("19700303", 13)}).to_string();
    let r = c
        .send("POST", path, &send(h), tampered.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "bad_signature"));

    // unknown kiosk
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-9",
        "POST",
        path,
        now,
        "unknown-nonce-00001",
        body.as_bytes(),
    );
    let r = c
        .send("POST", path, &send(h), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "unknown_kiosk"));

    // revoked kiosk
    s.store.revoke_kiosk("kiosk-1", "test").unwrap();
    let h = api::sign_request(
        &s.kiosk.key,
        "kiosk-1",
        "POST",
        path,
        now,
        "revoked-nonce-00001",
        body.as_bytes(),
    );
    let r = c
        .send("POST", path, &send(h), body.as_bytes())
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "revoked_kiosk"));
}

#[tokio::test]
async fn certification_status_result_and_template() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let certified = s
        .recipients
        .iter()
        .find(|r| {
            r.last_certified_on
                .is_some_and(|d| d + Days::new(60) > today_in_china())
        })
        .unwrap();
    let due = s
        .recipients
        .iter()
        .find(|r| r.last_certified_on.is_none())
        .unwrap();
    let ask = |idn: &str| json!({"id_number": idn}).to_string();
    let path = "/v1/kiosk/certification/status";
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            path,
            ask(&certified.id_number).as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.json()["certified_this_cycle"], true);
    let r = c
        .signed(&s.kiosk, "POST", path, ask(&due.id_number).as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(
        (
            r.json()["recipient"].clone(),
            r.json()["certified_this_cycle"].clone()
        ),
        (json!(true), json!(false))
    );
    let r = c
        .signed(&s.kiosk, "POST", path, ask(&applicant()).as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.json()["recipient"], false);

    // a failed liveness check does not certify
    let result = |live: bool| {
        json!({"id_number": due.id_number, "mode": "self_check", "modality": "face", "liveness_passed": live, "matched": true, "score": 0.71}).to_string()
    };
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/certification/results",
            result(false).as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.json()["certified"], false, "{:?}", r.json());
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/certification/results",
            result(true).as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.json()["certified"], true);
    // the proof verifies publicly, masked, and a forged one is unknown
    let code = r.json()["proof_code"].as_str().unwrap().to_string();
    let v = c
        .send("GET", &format!("/v1/public/proofs/{code}"), &[], b"")
        .await
        .unwrap();
    assert_eq!(v.json()["status"], "valid", "{:?}", v.json());
    let text = String::from_utf8(v.body.clone()).unwrap();
    assert!(
        !text.contains(&due.id_number) && !text.contains(&due.name),
        "{text}"
    );
    assert!(v.json()["masked_name"].as_str().unwrap().contains('*'));
    let mut forged = code.clone().into_bytes();
    let last = forged.len() - 3;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let v = c
        .send("GET", &format!("/v1/public/proofs/{forged}"), &[], b"")
        .await
        .unwrap();
    assert_eq!(v.json()["status"], "unknown");
    let v = c
        .send("GET", "/v1/public/proofs/not-a-proof", &[], b"")
        .await
        .unwrap();
    assert_eq!(v.json()["status"], "unknown");
    let r = c
        .signed(&s.kiosk, "POST", path, ask(&due.id_number).as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.json()["certified_this_cycle"], true);
    // guardian mode needs the guardian
    let g = json!({"id_number": due.id_number, "mode": "guardian", "modality": "face", "liveness_passed": true, "matched": true}).to_string();
    let r = c
        .signed(
            &s.kiosk,
            "POST",
            "/v1/kiosk/certification/results",
            g.as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422);

    // template: sealed to this kiosk's key
    s.store
        .put_template(
            &due.id_number,
            Modality::Face,
            b"face-template-v1:0123",
            "test",
        )
        .unwrap();
    let q = json!({"id_number": due.id_number, "modality": "face"}).to_string();
    let r = c
        .signed(&s.kiosk, "POST", "/v1/kiosk/templates", q.as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    let boxed: api::TemplateBox = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(
        api::open_template(&s.kiosk.key, "kiosk-1", &boxed).unwrap(),
        b"face-template-v1:0123"
    );
    assert!(api::open_template(&SigningKey::from_bytes(&[7; 32]), "kiosk-1", &boxed).is_err());
    let q = json!({"id_number": due.id_number, "modality": "fingerprint"}).to_string();
    let r = c
        .signed(&s.kiosk, "POST", "/v1/kiosk/templates", q.as_bytes(), &[])
        .await
        .unwrap();
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn staff_scope_roles_and_audit() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let r = submit(
        &s,
        &mut c,
        &application(&applicant(), &[]),
        "idem-key-staff-001",
    )
    .await;
    let case_id = r.json()["case_id"].as_str().unwrap().to_string();

    let r = c
        .send(
            "POST",
            "/v1/staff/login",
            &[("content-type", "application/json".into())],
            br#"{"username":"clerk","password":"wrong-password"}"#,
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad_credentials")
    );
    let r = c
        .send(
            "GET",
            &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue"),
            &[],
            b"",
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "no_session"));

    let clerk = login(&mut c, "clerk").await;
    let other = login(&mut c, "clerk2").await;
    let bureau = login(&mut c, "bureau").await;
    let queue = format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue");
    let r = staff_get(&mut c, &clerk, &queue).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    for path in [
        queue.clone(),
        format!("/v1/staff/cases/{case_id}"),
        format!("/v1/staff/townships/{DEMO_TOWNSHIP}/statistics"),
    ] {
        let r = staff_get(&mut c, &other, &path).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "forbidden"),
            "{path}"
        );
        assert_eq!(
            staff_get(&mut c, &bureau, &path).await.status,
            200,
            "{path}"
        );
    }
    let r = staff_get(
        &mut c,
        &other,
        &format!("/v1/staff/townships/{OTHER_TOWNSHIP}/queue"),
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);

    let r = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/statistics"),
    )
    .await;
    assert_eq!(r.json()["by_type"]["dibao"], 1);
    assert_eq!(r.json()["by_state"]["submitted"], 1);

    let r = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case_id}")).await;
    let actions: Vec<String> = r.json()["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        ["case.submitted", "staff.view_case", "staff.view_case"]
    );

    // 公布 list: masked names, no ID numbers
    let r = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/publication"),
    )
    .await;
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert_eq!(r.json().as_array().unwrap().len(), s.recipients.len());
    for rec in &s.recipients {
        assert!(
            !text.contains(&rec.id_number) && !text.contains(&rec.name),
            "{text}"
        );
    }
    assert!(text.contains("王**"));

    // audit: intact, then an edited row is detected
    let n = s.store.verify_audit().unwrap();
    assert!(n > 10);
    s.store
        .with_conn(|c| {
            c.execute(
                "UPDATE audit SET actor = 'nobody' WHERE action = 'staff.view_case'",
                [],
            )
        })
        .unwrap();
    assert!(s.store.verify_audit().is_err());
}

#[tokio::test]
async fn deadline_scanner_puts_overdue_cases_first() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let first = submit(
        &s,
        &mut c,
        &application(&applicant(), &[]),
        "idem-key-dead-0001",
    )
    .await
    .json()["case_id"]
        .clone();
    let second = submit(
        &s,
        &mut c,
        &application(&demo_id("19700303", 13), &[]),
        "idem-key-dead-0002",
    )
    .await
    .json()["case_id"]
        .clone();
    // make the second case older: received 10 days ago, due long past
    let past = (today_in_china() - Days::new(10)).to_string();
    s.store
        .with_conn(|c| {
            c.execute(
                "UPDATE cases SET due = ?1 WHERE id = ?2",
                [past.as_str(), second.as_str().unwrap()],
            )
        })
        .unwrap();
    let cal = jiuzhu_core::calendar::Calendar::builtin();
    assert_eq!(s.store.scan_deadlines(&cal, today_in_china()).unwrap(), 1);
    let clerk = login(&mut c, "clerk").await;
    let q = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue"),
    )
    .await
    .json();
    assert_eq!(q[0]["case_id"], second);
    assert_eq!(q[0]["colour"], "overdue");
    assert_eq!(q[1]["case_id"], first);
    let stats = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/statistics"),
    )
    .await
    .json();
    assert_eq!(stats["by_colour"]["overdue"], 1);
}

#[tokio::test]
async fn openapi_document_and_routes_agree() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let r = c.send("GET", "/v1/openapi.json", &[], b"").await.unwrap();
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(
        doc,
        serde_json::from_str::<serde_json::Value>(openapi_json()).unwrap()
    );
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, routed);
    // every documented route is live in the router: never the router's own 404/405
    for (method, path) in &routed {
        let concrete = path
            .replace("{case_id}", "0000")
            .replace("{code}", DEMO_TOWNSHIP);
        let r = c.send(method, &concrete, &[], b"").await.unwrap();
        assert!(
            r.status != 405 && r.error_code() != "no_route",
            "{method} {path}: {}",
            r.status
        );
    }
    let r = c.send("GET", "/v1/nowhere", &[], b"").await.unwrap();
    assert_eq!(r.error_code(), "no_route");
}

#[test]
fn cli_kiosk_admin_seed_and_audit_verify() {
    let bin = env!("CARGO_BIN_EXE_jiuzhu-central");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let keyfile = dir.path().join("kiosk.pub");
    std::fs::write(
        &keyfile,
        hex::encode(SigningKey::from_bytes(&[3; 32]).verifying_key().as_bytes()),
    )
    .unwrap();
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let db_s = db.to_str().unwrap();
    let out = run(&[
        "seed-demo",
        "--db",
        db_s,
        "--kiosk-pubkey",
        keyfile.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("clerk-demo-2026") && text.contains("demo-kiosk registered"),
        "{text}"
    );
    let out = run(&[
        "kiosk",
        "add",
        "--db",
        db_s,
        "--township",
        DEMO_TOWNSHIP,
        "--name",
        "hall-2",
        "--pubkey",
        keyfile.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "kiosk",
        "add",
        "--db",
        db_s,
        "--township",
        "nowhere",
        "--name",
        "hall-3",
        "--pubkey",
        keyfile.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let out = run(&["kiosk", "revoke", "--db", db_s, "--name", "hall-2"]);
    assert!(out.status.success());
    let out = run(&["audit", "verify", "--db", db_s]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = SqliteStore::open(&db).unwrap();
    assert!(store.kiosk("hall-2").unwrap().unwrap().revoked);
    store
        .with_conn(|c| c.execute("DELETE FROM audit WHERE seq = 3", []))
        .unwrap();
    drop(store);
    let out = run(&["audit", "verify", "--db", db_s]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("row"));
}
