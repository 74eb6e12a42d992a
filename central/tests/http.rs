//! Loopback tests against a real server on port 0 with a real SQLite file.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, Utc};
use ed25519_dalek::SigningKey;
use jiuzhu_central::SqliteStore;
use jiuzhu_central::client::{Conn, Reply};
use jiuzhu_central::http::{ROUTES, openapi_json};
use jiuzhu_central::seed::{self, DEMO_TOWNSHIP, OTHER_TOWNSHIP, demo_id};
use jiuzhu_central::store::prelude::*;
use jiuzhu_core::api::{self, Modality};
use jiuzhu_core::calendar::Calendar;
use jiuzhu_core::id::today_in_china;
use rstest::rstest;
use serde_json::{Value, json};

mod support;
use support::{
    Central as Server, district_key, login, monday, png, staff_get, staff_post, step, step_ok,
    working_days,
};

async fn server() -> Server {
    Server::start().await
}

/// A server whose workflow clock starts at `start` and moves only when the test moves it.
async fn server_at(start: Option<DateTime<Utc>>) -> Server {
    match start {
        Some(t) => Server::at(t).await,
        None => Server::start().await,
    }
}

fn application(idn: &str, members: &[(&str, &str)]) -> Value {
    json!({
        "township": DEMO_TOWNSHIP,
        "assistance_type": "dibao",
        "applicant": {"id_number": idn, "name": "张三"},
        "members": members.iter().map(|(id, rel)| json!({"person": {"id_number": id, "name": "张小明"}, "relation": rel})).collect::<Vec<_>>(),
    })
}

async fn submit(s: &Server, c: &mut Conn, body: &Value, key: &str) -> Reply {
    s.kiosk_post_once(c, "/v1/kiosk/applications", body, key)
        .await
}

/// The `modality` reference of `who` as central seals it to the kiosk (answer 200).
async fn sealed_template(s: &Server, c: &mut Conn, who: &str, modality: &str) -> api::TemplateBox {
    let q = json!({"id_number": who, "modality": modality});
    let r = s.kiosk_post(c, "/v1/kiosk/templates", &q).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    serde_json::from_slice(&r.body).unwrap()
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
    assert_eq!(s.count("cases"), 1);
    let j = first.json();
    assert_eq!(j["state"], "submitted");
    assert_eq!(j["pending_signatures"].as_array().unwrap().len(), 2);
    assert_eq!(j["hotline"], "023-7222-0000");
    // without the key: refused, nothing stored
    let r = s.kiosk_post(&mut c, "/v1/kiosk/applications", &body).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "missing_idempotency_key")
    );
    assert_eq!(s.count("cases"), 1);

    // the applicant and the member see it; nobody else does
    for (who, n) in [
        (applicant(), 1),
        (member.clone(), 1),
        (demo_id("19700303", 13), 0),
    ] {
        let r = s
            .kiosk_post(&mut c, "/v1/kiosk/status", &json!({"id_number": who}))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["cases"].as_array().unwrap().len(), n);
    }
}

#[tokio::test]
async fn assisted_submissions_name_the_staff_member_once() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let mut body = application(&applicant(), &[]);
    // An account name is not a staff session (whether the account exists or not).
    for name in ["nobody", "helper"] {
        body["assisted_by_staff"] = json!(name);
        let r = submit(&s, &mut c, &body, "idem-key-assist-0001").await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "staff_session_invalid")
        );
    }
    assert_eq!(s.count("cases"), 0, "nothing stored");
    let helper = login(&mut c, "helper").await;
    body["assisted_by_staff"] = json!(helper);
    let first = submit(&s, &mut c, &body, "idem-key-assist-0002").await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let again = submit(&s, &mut c, &body, "idem-key-assist-0002").await;
    assert_eq!(again.status, 200);
    let case = first.json()["case_id"].as_str().unwrap().to_string();
    let clerk = login(&mut c, "clerk").await;
    let d = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}")).await;
    assert_eq!(d.status, 200, "{:?}", d.json());
    let assisted: Vec<Value> = d.json()["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "assisted_submission")
        .cloned()
        .collect();
    assert_eq!(assisted.len(), 1, "{:?}", d.json()["history"]);
    assert_eq!(assisted[0]["actor"], "staff:helper");
    // Without the field nothing is recorded as assisted.
    let other = application(&demo_id("19600606", 14), &[]);
    let r = submit(&s, &mut c, &other, "idem-key-assist-0003").await;
    let case = r.json()["case_id"].as_str().unwrap().to_string();
    let d = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}")).await;
    assert!(
        !d.json()["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["action"] == "assisted_submission")
    );
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
        let r = s.kiosk_post(&mut c, "/v1/kiosk/status", &q).await;
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
    let r = s
        .kiosk_send(&mut c, &path, sig(&member).as_bytes(), &[])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["pending_signatures"].as_array().unwrap().len(), 1);
    let r = s
        .kiosk_send(&mut c, &path, sig(&member).as_bytes(), &[])
        .await;
    assert_eq!(r.status, 409);
    let r = s
        .kiosk_send(&mut c, &path, sig(&demo_id("19700303", 13)).as_bytes(), &[])
        .await;
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
    let a = s.kiosk_send(&mut c, &path, &png, &up("image/png")).await;
    assert_eq!(a.status, 201, "{:?}", a.json());
    let b = s.kiosk_send(&mut c, &path, &png, &up("image/png")).await;
    assert_eq!(a.json()["sha256"], b.json()["sha256"]);
    assert_eq!(s.count("materials"), 1);
    let r = s
        .kiosk_send(&mut c, &path, &png, &up("application/pdf"))
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "content_type_mismatch")
    );
    let r = s
        .kiosk_send(&mut c, &path, b"MZ\x90\0 not a picture", &up("image/png"))
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "unsupported_material")
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(jiuzhu_central::http::MAX_MATERIAL_BYTES + 10, b' ');
    let r = s
        .kiosk_send(&mut c, &path, &big, &up("application/pdf"))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (413, "body_too_large"));
    assert_eq!(s.count("materials"), 1);
}

#[rstest]
#[case::malformed_json(b"{\"township\": ".to_vec(), "application/json", 400, "malformed_json")]
#[case::unknown_field(br#"{"township":"500102900","assistance_type":"dibao","applicant":{"id_number":"11010519491231002X","name":"a"},"surprise":1}"#.to_vec(), "application/json", 422, "invalid_field")]
#[case::bad_id(br#"{"township":"500102900","assistance_type":"dibao","applicant":{"id_number":"110105194912310021","name":"a"}}"#.to_vec(), "application/json", 422, "invalid_id_number")]
#[case::bad_type(br#"{"township":"500102900","assistance_type":"gold","applicant":{"id_number":"11010519491231002X","name":"a"}}"#.to_vec(), "application/json", 422, "invalid_field")]
#[case::wrong_content_type(br#"{}"#.to_vec(), "text/plain", 415, "unsupported_media_type")]
#[case::oversized(vec![b' '; 70 * 1024], "application/json", 413, "body_too_large")]
#[case::unknown_township(br#"{"township":"999999999","assistance_type":"dibao","applicant":{"id_number":"11010519491231002X","name":"a"}}"#.to_vec(), "application/json", 403, "outside_kiosk_scope")]
#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_stored(
    #[case] body: Vec<u8>,
    #[case] ct: &str,
    #[case] status: u16,
    #[case] code: &str,
) {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let audit_before = s.count("audit");
    let extra = [
        ("content-type", ct.to_string()),
        ("idempotency-key", "idem-key-bad-00001".to_string()),
    ];
    let r = s
        .kiosk_send(&mut c, "/v1/kiosk/applications", &body, &extra)
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (status, code),
        "{:?}",
        r.json()
    );
    assert!(!r.json()["error"]["reason"].as_str().unwrap().is_empty());
    assert_eq!(s.count("cases"), 0);
    assert_eq!(s.count("audit"), audit_before);
}

/// A kiosk request as a forger or a confused kiosk might send it: `sent` with headers signed over
/// `signed` by `key`, naming kiosk `kiosk`, at `ts` with `nonce`.
struct Forged<'a> {
    key: &'a SigningKey,
    kiosk: &'a str,
    ts: i64,
    nonce: &'a str,
    signed: &'a [u8],
    sent: &'a [u8],
}

impl Forged<'_> {
    async fn send(&self, c: &mut Conn, path: &str) -> Reply {
        let h = api::sign_request(
            self.key,
            self.kiosk,
            "POST",
            path,
            self.ts,
            self.nonce,
            self.signed,
        );
        let mut headers: Vec<(&str, String)> = h.pairs().into_iter().collect();
        headers.push(("content-type", "application/json".into()));
        c.send("POST", path, &headers, self.sent).await.unwrap()
    }
}

#[tokio::test]
async fn kiosk_authentication_failures_get_401_with_a_reason() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let body = json!({"id_number": applicant()}).to_string();
    let tampered = json!({"id_number": demo_id("19700303", 13)}).to_string();
    let path = "/v1/kiosk/status";
    let now = chrono::Utc::now().timestamp();
    let other = SigningKey::from_bytes(&[7; 32]);
    let good = |nonce| Forged {
        key: &s.kiosk.key,
        kiosk: "kiosk-1",
        ts: now,
        nonce,
        signed: body.as_bytes(),
        sent: body.as_bytes(),
    };

    // unsigned
    let r = c
        .send(
            "POST",
            path,
            &[("content-type", "application/json".into())],
            body.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (401, "unsigned"));

    // replay: the same signed request twice
    let once = good("replay-nonce-000001");
    assert_eq!(once.send(&mut c, path).await.status, 200);
    let r = once.send(&mut c, path).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "replayed_nonce"));

    for (forged, code) in [
        (
            Forged {
                ts: now - 360,
                ..good("skew-nonce-00000001")
            },
            "clock_skew",
        ),
        (
            Forged {
                key: &other,
                ..good("bad-sig-nonce-00001")
            },
            "bad_signature",
        ),
        (
            Forged {
                sent: tampered.as_bytes(),
                ..good("tamper-nonce-000001")
            },
            "bad_signature",
        ),
        (
            Forged {
                kiosk: "kiosk-9",
                ..good("unknown-nonce-00001")
            },
            "unknown_kiosk",
        ),
    ] {
        let r = forged.send(&mut c, path).await;
        assert_eq!((r.status, r.error_code().as_str()), (401, code));
    }

    s.db(|store| store.revoke_kiosk("kiosk-1", "test")).unwrap();
    let r = good("revoked-nonce-00001").send(&mut c, path).await;
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
    let r = s
        .kiosk_send(&mut c, path, ask(&certified.id_number).as_bytes(), &[])
        .await;
    assert_eq!(r.json()["certified_this_cycle"], true);
    let r = s
        .kiosk_send(&mut c, path, ask(&due.id_number).as_bytes(), &[])
        .await;
    assert_eq!(
        (
            r.json()["recipient"].clone(),
            r.json()["certified_this_cycle"].clone()
        ),
        (json!(true), json!(false))
    );
    let r = s
        .kiosk_send(&mut c, path, ask(&applicant()).as_bytes(), &[])
        .await;
    assert_eq!(r.json()["recipient"], false);

    // a failed liveness check does not certify
    let result = |live: bool| {
        json!({"id_number": due.id_number, "mode": "self_check", "modality": "face", "liveness_passed": live, "matched": true, "score": 0.71}).to_string()
    };
    let r = s
        .kiosk_send(
            &mut c,
            "/v1/kiosk/certification/results",
            result(false).as_bytes(),
            &[],
        )
        .await;
    assert_eq!(r.json()["certified"], false, "{:?}", r.json());
    let r = s
        .kiosk_send(
            &mut c,
            "/v1/kiosk/certification/results",
            result(true).as_bytes(),
            &[],
        )
        .await;
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
    let r = s
        .kiosk_send(&mut c, path, ask(&due.id_number).as_bytes(), &[])
        .await;
    assert_eq!(r.json()["certified_this_cycle"], true);
    // guardian mode needs the guardian
    let g = json!({"id_number": due.id_number, "mode": "guardian", "modality": "face", "liveness_passed": true, "matched": true}).to_string();
    let r = s
        .kiosk_send(&mut c, "/v1/kiosk/certification/results", g.as_bytes(), &[])
        .await;
    assert_eq!(r.status, 422);

    // template: sealed to this kiosk's key
    s.db(|store| {
        store.put_template(
            &due.id_number,
            Modality::Face,
            b"face-template-v1:0123",
            "test",
        )
    })
    .unwrap();
    let boxed = sealed_template(&s, &mut c, &due.id_number, "face").await;
    assert_eq!(
        api::open_template(&s.kiosk.key, "kiosk-1", &boxed).unwrap(),
        b"face-template-v1:0123"
    );
    assert!(api::open_template(&SigningKey::from_bytes(&[7; 32]), "kiosk-1", &boxed).is_err());
    let q = json!({"id_number": due.id_number, "modality": "fingerprint"});
    let r = s.kiosk_post(&mut c, "/v1/kiosk/templates", &q).await;
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
    let n = s.db(|store| store.verify_audit()).unwrap();
    assert!(n > 10);
    s.exec("UPDATE audit SET actor = 'nobody' WHERE action = 'staff.view_case'");
    assert!(s.db(|store| store.verify_audit()).is_err());
}

/// The deadline of `kind` in a staff case answer.
fn deadline<'a>(detail: &'a Value, kind: &str) -> &'a Value {
    detail["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {}", detail["deadlines"]))
}

/// A household applying through the kiosk: the applicant and an adult member.
struct Household {
    applicant: String,
    member: String,
}

impl Household {
    fn new(seq: u16) -> Household {
        Household {
            applicant: demo_id("19520101", seq),
            member: demo_id("19550505", seq),
        }
    }

    /// Submits to `township`; returns the case id.
    async fn submit(&self, s: &Server, c: &mut Conn, township: &str) -> String {
        let mut body = application(&self.applicant, &[(&self.member, "spouse")]);
        body["township"] = json!(township);
        body["village"] = json!("石佛村");
        let key = format!("idem-{}", self.applicant);
        let r = submit(s, c, &body, &key).await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        r.json()["case_id"].as_str().unwrap().to_string()
    }

    /// Both sign and the three 低保 materials are uploaded as checklist items.
    async fn complete(&self, s: &Server, c: &mut Conn, case: &str) -> Value {
        for who in [&self.applicant, &self.member] {
            let sig =
                json!({"signer": {"id_number": who, "name": "张三"}, "method": "id_card_face"});
            let r = s
                .kiosk_post(
                    c,
                    &format!("/v1/kiosk/applications/{case}/signatures"),
                    &sig,
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.json());
        }
        let mut last = Value::Null;
        for kind in ["id_cards", "household_register", "income_proof"] {
            let path = format!("/v1/kiosk/applications/{case}/materials?kind={kind}");
            let r = s
                .kiosk_send(
                    c,
                    &path,
                    &png(kind),
                    &[("content-type", "image/png".into())],
                )
                .await;
            assert_eq!(r.status, 201, "{kind}: {:?}", r.json());
            last = r.json();
        }
        last
    }
}

async fn case_state(s: &Server, c: &mut Conn, case: &str) -> String {
    let path = format!("/v1/kiosk/applications/{case}");
    let r = c.signed(&s.kiosk, "GET", &path, b"", &[]).await.unwrap();
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["state"].as_str().unwrap().to_string()
}

fn opinion(include: bool, method: &str) -> Value {
    json!({"type": "propose_initial_opinion", "include": include, "amount": if include { json!(62000) } else { Value::Null },
           "method": method, "reviewers": ["分管领导", "民政办主任", "调查员"],
           "reasons": if include { "" } else { "收入高于标准" }})
}

/// Accepts, investigates and proposes inclusion; the case ends in its first 公示.
async fn to_publicity(c: &mut Conn, clerk: &str, case: &str) {
    assert_eq!(
        step_ok(c, clerk, case, json!({"type": "accept"})).await,
        "accepted"
    );
    assert_eq!(
        step_ok(c, clerk, case, json!({"type": "start_investigation"})).await,
        "investigating"
    );
    let findings = json!({"type": "record_findings", "eligible": true, "summary": "入户调查：人均收入低于标准", "per_capita_income": 40000});
    assert_eq!(step_ok(c, clerk, case, findings).await, "investigated");
    assert_eq!(
        step_ok(c, clerk, case, opinion(true, "no_dispute")).await,
        "in_publicity"
    );
}

#[tokio::test]
async fn delegated_path_end_to_end_within_20_working_days() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let (clerk, leader, helper) = (
        login(&mut c, "clerk").await,
        login(&mut c, "leader").await,
        login(&mut c, "helper").await,
    );
    let h = Household::new(201);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    h.complete(&s, &mut c, &case).await;
    assert_eq!(case_state(&s, &mut c, &case).await, "submitted");

    // the village helper only assists: accepting is the clerk's
    let r = step(&mut c, &helper, &case, json!({"type": "accept"})).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "wrong_role"),
        "{:?}",
        r.json()
    );

    s.advance(1);
    let accepted_on = s.today();
    to_publicity(&mut c, &clerk, &case).await;
    let detail = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    let total = deadline(&detail, "total");
    assert_eq!(total["allowed"], 20);
    assert_eq!(total["due"], working_days(accepted_on, 20).to_string());

    // the 公示 list: masked, with household size, amount and the posting days; no ID numbers
    let r = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/publicity"),
    )
    .await;
    assert_eq!(r.status, 200);
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert!(
        !text.contains(&h.applicant) && !text.contains("张三"),
        "{text}"
    );
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["masked_name"], "张*");
    assert_eq!(list[0]["township"], "石佛村");
    assert_eq!(
        (
            list[0]["household_size"].clone(),
            list[0]["amount_fen"].clone()
        ),
        (json!(2), json!(62000))
    );
    assert_eq!(
        (list[0]["round"].clone(), list[0]["inclusion"].clone()),
        (json!(1), json!(true))
    );

    // the 7 days run first; then the leader confirms (delegated), the clerk publishes
    let r = step(&mut c, &clerk, &case, json!({"type": "conclude_publicity"})).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "publicity_running")
    );
    s.advance(8);
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "conclude_publicity"})).await,
        "publicity_ended"
    );
    let confirm = json!({"type": "confirm", "approve": true, "amount": 62000});
    let r = step(&mut c, &clerk, &case, confirm.clone()).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "wrong_role"));
    let r = step(&mut c, &clerk, &case, json!({"type": "report_to_district"})).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "delegated_township")
    );
    assert_eq!(step_ok(&mut c, &leader, &case, confirm).await, "approved");
    assert!(s.today() <= working_days(accepted_on, 20));
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "publish"})).await,
        "published"
    );

    // published: on the 公布 list, masked; the case is closed and off the deadline colours
    let r = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/publication"),
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), s.recipients.len() + 1);
    assert!(
        !String::from_utf8(r.body.clone())
            .unwrap()
            .contains(&h.applicant)
    );
    let detail = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    assert_eq!(detail["summary"]["colour"], Value::Null);
    let actions: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["case.accept", "case.confirm", "case.publish"] {
        assert!(actions.contains(&a), "{actions:?}");
    }
    let who: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "case.confirm")
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["staff:leader"]);
    let r = step(&mut c, &clerk, &case, json!({"type": "publish"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "closed"));
    s.db(|store| store.verify_audit()).unwrap();
}

#[tokio::test]
async fn district_path_within_25_working_days() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let (clerk2, bureau, leader) = (
        login(&mut c, "clerk2").await,
        login(&mut c, "bureau").await,
        login(&mut c, "leader").await,
    );
    // The district lets this kiosk serve the second township too (kiosk scope, issue #17).
    s.db(|store| {
        store
            .hardening()
            .set_kiosk_serves("kiosk-1", &[OTHER_TOWNSHIP.to_string()], "test")
    })
    .unwrap();
    let h = Household::new(202);
    let case = h.submit(&s, &mut c, OTHER_TOWNSHIP).await;
    h.complete(&s, &mut c, &case).await;
    let accepted_on = s.today();
    to_publicity(&mut c, &clerk2, &case).await;
    let detail = staff_get(&mut c, &clerk2, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    assert_eq!(deadline(&detail, "total")["allowed"], 25);
    assert_eq!(
        deadline(&detail, "total")["due"],
        working_days(accepted_on, 25).to_string()
    );
    s.advance(8);
    assert_eq!(
        step_ok(
            &mut c,
            &clerk2,
            &case,
            json!({"type": "conclude_publicity"})
        )
        .await,
        "publicity_ended"
    );
    // not delegated: the district confirms, after the report
    let confirm = json!({"type": "confirm", "approve": true, "amount": 62000});
    let r = step(&mut c, &bureau, &case, confirm.clone()).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "missing_step"),
        "{:?}",
        r.json()
    );
    assert_eq!(r.json()["error"]["missing_step"], "report_to_district");
    assert_eq!(
        step_ok(
            &mut c,
            &clerk2,
            &case,
            json!({"type": "report_to_district"})
        )
        .await,
        "awaiting_district"
    );
    let detail = staff_get(&mut c, &bureau, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    assert_eq!(
        deadline(&detail, "district_decision")["due"],
        working_days(s.today(), 10).to_string()
    );
    let r = step(&mut c, &leader, &case, confirm.clone()).await;
    assert_eq!(
        r.status,
        403,
        "a leader of another township: {:?}",
        r.json()
    );
    let r = step(&mut c, &clerk2, &case, confirm.clone()).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "wrong_role"));
    s.advance(3);
    assert_eq!(step_ok(&mut c, &bureau, &case, confirm).await, "approved");
    assert!(s.today() <= working_days(accepted_on, 25));
    assert_eq!(
        step_ok(&mut c, &clerk2, &case, json!({"type": "publish"})).await,
        "published"
    );
}

#[tokio::test]
async fn incomplete_then_single_notice_then_supplemented() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(203);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    let r = step(&mut c, &clerk, &case, json!({"type": "accept"})).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "incomplete"),
        "{:?}",
        r.json()
    );
    let deadline_day = working_days(s.today(), 10);
    let notice =
        json!({"type": "notify_missing_materials", "deadline": deadline_day, "note": "请补齐"});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, notice.clone()).await,
        "awaiting_materials"
    );
    let r = step(&mut c, &clerk, &case, notice).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "second_missing_materials_notice")
    );
    let detail = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    assert_eq!(
        deadline(&detail, "supplement")["due"],
        deadline_day.to_string()
    );
    // the household supplies everything at the kiosk: back to acceptance, then accepted
    s.advance(2);
    h.complete(&s, &mut c, &case).await;
    assert_eq!(case_state(&s, &mut c, &case).await, "submitted");
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "accept"})).await,
        "accepted"
    );
}

#[tokio::test]
async fn incomplete_then_deadline_passes_then_abandoned() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(204);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    let deadline_day = working_days(s.today(), 5);
    let notice = json!({"type": "notify_missing_materials", "deadline": deadline_day});
    assert_eq!(
        step_ok(&mut c, &clerk, &case, notice).await,
        "awaiting_materials"
    );
    s.advance_to(deadline_day);
    s.scan_deadlines().unwrap();
    assert_eq!(
        case_state(&s, &mut c, &case).await,
        "awaiting_materials",
        "the deadline day itself still counts"
    );
    s.advance(1);
    s.scan_deadlines().unwrap();
    assert_eq!(case_state(&s, &mut c, &case).await, "abandoned");
    // materials after the deadline are refused and nothing is stored
    let before = s.count("materials");
    let r = s
        .kiosk_send(
            &mut c,
            &format!("/v1/kiosk/applications/{case}/materials?kind=income_proof"),
            &png("late"),
            &[("content-type", "image/png".into())],
        )
        .await;
    assert_eq!(r.status, 409, "{:?}", r.json());
    assert_eq!(s.count("materials"), before);
    let detail = staff_get(&mut c, &clerk, &format!("/v1/staff/cases/{case}"))
        .await
        .json();
    assert!(
        detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "case.tick" && e["actor"] == "system:deadline-scanner")
    );
}

#[tokio::test]
async fn objection_during_publicity_leads_to_a_second_publicity_and_extension_to_40() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let (clerk, leader, helper) = (
        login(&mut c, "clerk").await,
        login(&mut c, "leader").await,
        login(&mut c, "helper").await,
    );
    let h = Household::new(205);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    h.complete(&s, &mut c, &case).await;
    let accepted_on = s.today();
    to_publicity(&mut c, &clerk, &case).await;
    // no objection yet: extending for an objection is refused
    let extend = json!({"type": "extend_time_limit", "reason": "publicity_objection", "note": "村民对公示提出异议"});
    let r = step(&mut c, &clerk, &case, extend.clone()).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "extension_not_justified")
    );
    s.advance(3);
    let object = json!({"type": "object_to_publicity", "statement": "申请人有经营性收入"});
    // a village helper records a resident's objection (assisting), but cannot act on it
    assert_eq!(
        step_ok(&mut c, &helper, &case, object).await,
        "publicity_objected"
    );
    let r = step(
        &mut c,
        &helper,
        &case,
        json!({"type": "start_democratic_appraisal"}),
    )
    .await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "wrong_role"));
    assert_eq!(
        step_ok(
            &mut c,
            &clerk,
            &case,
            json!({"type": "start_democratic_appraisal"})
        )
        .await,
        "appraising"
    );
    assert_eq!(
        step_ok(
            &mut c,
            &clerk,
            &case,
            json!({"type": "record_appraisal", "summary": "评议认为符合条件"})
        )
        .await,
        "appraised"
    );
    // disputed now: the new 初审 must come from a review meeting
    let r = step(&mut c, &clerk, &case, opinion(true, "no_dispute")).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "disputed_case"));
    assert_eq!(
        step_ok(&mut c, &clerk, &case, opinion(true, "review_meeting")).await,
        "in_publicity"
    );
    let list = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/publicity"),
    )
    .await
    .json();
    assert_eq!(list[0]["round"], 2);
    assert_eq!(list[0]["posted_on"], s.today().to_string());

    // the extension to 40 working days, with its reason, by the leader
    let r = step(&mut c, &leader, &case, extend.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let detail = r.json();
    assert_eq!(detail["case"]["extension"]["reason"], "publicity_objection");
    assert_eq!(detail["case"]["extension"]["note"], "村民对公示提出异议");
    assert_eq!(deadline(&detail, "total")["allowed"], 40);
    assert_eq!(
        deadline(&detail, "total")["due"],
        working_days(accepted_on, 40).to_string()
    );
    let r = step(&mut c, &clerk, &case, extend).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "already_extended")
    );
    s.advance(8);
    assert_eq!(
        step_ok(&mut c, &clerk, &case, json!({"type": "conclude_publicity"})).await,
        "publicity_ended"
    );
    // the leader alone cannot confirm a disputed case
    let r = step(
        &mut c,
        &leader,
        &case,
        json!({"type": "confirm", "approve": true, "amount": 62000}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "meeting_required")
    );
    let confirm =
        json!({"type": "confirm", "approve": true, "amount": 62000, "review_meeting": true});
    assert_eq!(step_ok(&mut c, &leader, &case, confirm).await, "approved");
}

#[tokio::test]
async fn skipped_steps_are_409_naming_the_missing_step_and_bad_steps_422() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let (clerk, leader, helper) = (
        login(&mut c, "clerk").await,
        login(&mut c, "leader").await,
        login(&mut c, "helper").await,
    );
    let h = Household::new(206);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    h.complete(&s, &mut c, &case).await;
    let audit_before = s.count("audit");
    for (token, action, missing) in [
        (&clerk, json!({"type": "start_investigation"}), "acceptance"),
        (&clerk, opinion(true, "no_dispute"), "acceptance"),
        (
            &leader,
            json!({"type": "confirm", "approve": true, "amount": 62000}),
            "acceptance",
        ),
        (&leader, json!({"type": "publish"}), "acceptance"),
    ] {
        let r = step(&mut c, token, &case, action.clone()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (409, "missing_step"),
            "{action}"
        );
        assert_eq!(r.json()["error"]["missing_step"], missing, "{action}");
        assert!(
            r.json()["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("受理")
        );
    }
    // a helper may supply materials for the household, but only files uploaded to this case
    let bogus = json!({"type": "supply_materials", "materials": [{"kind": "income_proof", "sha256": "ab".repeat(32)}]});
    let r = step(&mut c, &helper, &case, bogus).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "invalid_request"),
        "{:?}",
        r.json()
    );
    step_ok(&mut c, &clerk, &case, json!({"type": "accept"})).await;
    let r = step(&mut c, &clerk, &case, opinion(true, "no_dispute")).await;
    assert_eq!(r.json()["error"]["missing_step"], "investigation_start");
    // malformed steps: 422 naming the field, nothing stored
    for (action, code) in [
        (json!({"type": "levitate"}), "invalid_field"),
        (
            json!({"type": "extend_time_limit", "reason": "boredom", "note": "x"}),
            "invalid_field",
        ),
        (
            json!({"type": "notify_missing_materials", "deadline": "tomorrow"}),
            "invalid_field",
        ),
    ] {
        let r = step(&mut c, &clerk, &case, action.clone()).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (422, code),
            "{action}: {:?}",
            r.json()
        );
    }
    // the timer is not a staff step
    let r = step(&mut c, &clerk, &case, json!({"type": "tick"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "wrong_role"));
    // only the accept was written: its step and the 受理通知书 it issued
    assert_eq!(s.count("audit"), audit_before + 2);
}

#[tokio::test]
async fn other_townships_staff_get_403_on_transitions() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let other = login(&mut c, "clerk2").await;
    let h = Household::new(207);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    h.complete(&s, &mut c, &case).await;
    let r = step(&mut c, &other, &case, json!({"type": "accept"})).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "forbidden"));
    let r = staff_get(
        &mut c,
        &other,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/publicity"),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(case_state(&s, &mut c, &case).await, "submitted");
    let r = step(&mut c, "not-a-token", &case, json!({"type": "accept"})).await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn deadline_scanner_puts_overdue_cases_first() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let first = Household::new(208).submit(&s, &mut c, DEMO_TOWNSHIP).await;
    // three working days later the first case is past its 2-day acceptance limit
    s.advance_to(working_days(s.today(), 3));
    let second = Household::new(209).submit(&s, &mut c, DEMO_TOWNSHIP).await;
    s.scan_deadlines().unwrap();
    let clerk = login(&mut c, "clerk").await;
    let q = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue"),
    )
    .await
    .json();
    assert_eq!(q[0]["case_id"], first.as_str());
    assert_eq!(q[0]["colour"], "overdue");
    assert_eq!(q[1]["case_id"], second.as_str());
    assert_eq!(q[1]["colour"], "green");
    let stats = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/statistics"),
    )
    .await
    .json();
    assert_eq!(stats["by_colour"]["overdue"], 1);
    // a case on its due day (0 of 2 working days left) is red
    let third = Household::new(210).submit(&s, &mut c, DEMO_TOWNSHIP).await;
    s.advance_to(working_days(s.today(), 2));
    s.scan_deadlines().unwrap();
    let q = staff_get(
        &mut c,
        &clerk,
        &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/queue"),
    )
    .await
    .json();
    let colour_of = |id: &str| {
        q.as_array()
            .unwrap()
            .iter()
            .find(|e| e["case_id"] == id)
            .unwrap()["colour"]
            .clone()
    };
    assert_eq!(colour_of(&third), "red");
    assert_eq!(q[0]["colour"], "overdue");
    assert_eq!(q[2]["case_id"], third.as_str());
}

#[tokio::test]
async fn signatures_and_certification_results_are_idempotent() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let member = demo_id("19800202", 12);
    let r = submit(
        &s,
        &mut c,
        &application(&applicant(), &[(&member, "spouse")]),
        "idem-key-sig-idem1",
    )
    .await;
    let id = r.json()["case_id"].as_str().unwrap().to_string();
    let path = format!("/v1/kiosk/applications/{id}/signatures");
    let sig = json!({"signer": {"id_number": member, "name": "张小明"}, "method": "id_card_face"});
    let first = s
        .kiosk_post_once(&mut c, &path, &sig, "sig-retry-key-000001")
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    let signed_rows = || s.count("audit WHERE action = 'case.signed'");
    assert_eq!(signed_rows(), 1);
    // the kiosk crashed before it saw the answer and retries: the same answer, nothing new
    let again = s
        .kiosk_post_once(&mut c, &path, &sig, "sig-retry-key-000001")
        .await;
    assert_eq!((again.status, again.json()), (200, first.json()));
    assert_eq!(signed_rows(), 1);
    // without the key a second signature is a conflict
    assert_eq!(s.kiosk_post(&mut c, &path, &sig).await.status, 409);
    let bad = s
        .kiosk_send(
            &mut c,
            &path,
            sig.to_string().as_bytes(),
            &[("idempotency-key", "short".into())],
        )
        .await;
    assert_eq!(
        (bad.status, bad.error_code().as_str()),
        (400, "missing_idempotency_key")
    );

    let due = s
        .recipients
        .iter()
        .find(|r| r.last_certified_on.is_none())
        .unwrap();
    let result = json!({"id_number": due.id_number, "mode": "self_check", "modality": "face", "liveness_passed": true, "matched": true});
    let path = "/v1/kiosk/certification/results";
    let first = s
        .kiosk_post_once(&mut c, path, &result, "cert-retry-key-00001")
        .await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    assert!(first.json()["proof_code"].is_string());
    let again = s
        .kiosk_post_once(&mut c, path, &result, "cert-retry-key-00001")
        .await;
    assert_eq!(
        again.json(),
        first.json(),
        "the same proof, not a second one"
    );
    assert_eq!(s.count("certifications"), 1);
    assert_eq!(s.count("audit WHERE action = 'proof.issued'"), 1);
    // another key is another attempt
    let other = s
        .kiosk_post_once(&mut c, path, &result, "cert-retry-key-00002")
        .await;
    assert_ne!(other.json()["proof_code"], first.json()["proof_code"]);
    assert_eq!(s.count("certifications"), 2);
}

#[tokio::test]
async fn proofs_are_reprinted_for_certified_recipients_only() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let path = "/v1/kiosk/certification/proof";
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
    let ask = |idn: &str| json!({ "id_number": idn });
    let status = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/certification/status",
            &ask(&certified.id_number),
        )
        .await
        .json();
    assert_eq!(status["certified_this_cycle"], true);
    let verify = async |c: &mut Conn, code: &str| {
        c.send("GET", &format!("/v1/public/proofs/{code}"), &[], b"")
            .await
            .unwrap()
            .json()
    };
    let reissued = || s.count("audit WHERE action = 'proof.reissued'");

    // a certified recipient gets a proof that verifies with the certification's validity
    let first = s.kiosk_post(&mut c, path, &ask(&certified.id_number)).await;
    assert_eq!(first.status, 200, "{:?}", first.json());
    let first = first.json();
    assert_eq!(first["certified"], true);
    assert_eq!(
        first["certified_on"],
        json!(certified.last_certified_on.unwrap())
    );
    assert_eq!(first["valid_until"], status["valid_until"]);
    let code1 = first["proof_code"].as_str().unwrap().to_string();
    assert!(code1.starts_with("JZP1:"), "{code1}");
    let v = verify(&mut c, &code1).await;
    assert_eq!(v["status"], "valid", "{v:?}");
    assert_eq!(v["valid_until"], status["valid_until"]);
    assert_eq!(reissued(), 1);
    // another copy: a different code that verifies as well
    let second = s
        .kiosk_post(&mut c, path, &ask(&certified.id_number))
        .await
        .json();
    let code2 = second["proof_code"].as_str().unwrap().to_string();
    assert_ne!(code2, code1);
    assert_eq!(second["valid_until"], first["valid_until"]);
    let v = verify(&mut c, &code2).await;
    assert_eq!(
        (v["status"].clone(), v["valid_until"].clone()),
        (json!("valid"), status["valid_until"].clone())
    );
    assert_eq!(reissued(), 2);
    // the audit rows carry the kiosk and the proof id only, no personal data
    let rows: Vec<(String, String, String)> = s
        .rows("SELECT actor, subject, detail FROM audit WHERE action = 'proof.reissued'")
        .iter()
        .map(|r| (r[0].text(), r[1].text(), r[2].text()))
        .collect();
    for (actor, subject, detail) in &rows {
        assert_eq!(actor, "kiosk:kiosk-1");
        assert!(subject.starts_with("proof:"), "{subject}");
        let all = format!("{subject}{detail}");
        assert!(
            !all.contains(&certified.id_number) && !all.contains(&certified.name),
            "{all}"
        );
    }
    assert_ne!(rows[0].1, rows[1].1, "a new proof id each time");
    // a retry with the same Idempotency-Key is the same copy, recorded once
    let once = s
        .kiosk_post_once(
            &mut c,
            path,
            &ask(&certified.id_number),
            "reprint-key-000001",
        )
        .await;
    let again = s
        .kiosk_post_once(
            &mut c,
            path,
            &ask(&certified.id_number),
            "reprint-key-000001",
        )
        .await;
    assert_eq!((again.status, again.json()), (200, once.json()));
    assert_ne!(once.json()["proof_code"], json!(code2));
    assert_eq!(reissued(), 3);
    assert_eq!(s.count("certifications"), 0, "a reprint certifies nothing");

    // refusals store nothing
    let audit = s.count("audit");
    let replies = s.count("replies");
    let r = s.kiosk_post(&mut c, path, &ask(&due.id_number)).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "not_certified"));
    let r = s.kiosk_post(&mut c, path, &ask(&applicant())).await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "not_found"));
    let r = s
        .kiosk_post_once(&mut c, path, &ask(&applicant()), "reprint-key-000002")
        .await;
    assert_eq!(r.status, 404);
    let r = s.kiosk_post(&mut c, path, &ask("110105194912310021")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (422, "invalid_id_number")
    );
    let r = s
        .kiosk_post(
            &mut c,
            path,
            &json!({"id_number": certified.id_number, "surprise": 1}),
        )
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (422, "invalid_field"));
    assert_eq!((s.count("audit"), s.count("replies")), (audit, replies));

    // once certified, the reprint states the same validity as the certification's own proof
    let result = json!({"id_number": due.id_number, "mode": "self_check", "modality": "face", "liveness_passed": true, "matched": true});
    let cert = s
        .kiosk_post(&mut c, "/v1/kiosk/certification/results", &result)
        .await
        .json();
    assert_eq!(cert["certified"], true);
    let copy = s.kiosk_post(&mut c, path, &ask(&due.id_number)).await;
    assert_eq!(copy.status, 200, "{:?}", copy.json());
    let copy = copy.json();
    assert_eq!(
        (copy["certified_on"].clone(), copy["valid_until"].clone()),
        (cert["certified_on"].clone(), cert["valid_until"].clone())
    );
    assert_ne!(copy["proof_code"], cert["proof_code"]);
    let v = verify(&mut c, copy["proof_code"].as_str().unwrap()).await;
    assert_eq!(
        (v["status"].clone(), v["valid_until"].clone()),
        (json!("valid"), cert["valid_until"].clone())
    );
    assert_eq!(
        s.db(|store| store.verify_audit()).unwrap(),
        s.count("audit")
    );
}

/// A staff POST of `body` as JSON.
#[tokio::test]
async fn certification_alternatives_are_recorded_listed_and_closed() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let path = "/v1/kiosk/certification/alternatives";
    let by_name = |n: &str| s.recipients.iter().find(|r| r.name == n).unwrap().clone();
    let (visit, witness, certified) = (by_name("陈桂芳"), by_name("刘大勇"), by_name("王秀英"));
    let alternatives = || s.count("alternatives");
    let audit = || s.count("audit");

    // a home visit with a note, sent twice with the same key: one request, the same answer
    let home = json!({"id_number": visit.id_number, "kind": "home_visit", "note": "上午在家，耳背，请敲门"});
    let first = s
        .kiosk_post_once(&mut c, path, &home, "alt-retry-key-000001")
        .await;
    assert_eq!(first.status, 201, "{:?}", first.json());
    let j = first.json();
    assert_eq!(j["kind"], "home_visit");
    let requested: DateTime<Utc> = j["requested_at"].as_str().unwrap().parse().unwrap();
    let due = Calendar::builtin().add_working_days(
        jiuzhu_core::workflow::china_date(requested),
        api::ALTERNATIVE_DUE_WORKING_DAYS,
    );
    assert_eq!(j["due_by"], due.value.to_string());
    assert_eq!(
        j["unpublished_years"],
        json!(due.unpublished_years.iter().collect::<Vec<_>>())
    );
    let audit_after_first = audit();
    let again = s
        .kiosk_post_once(&mut c, path, &home, "alt-retry-key-000001")
        .await;
    assert_eq!((again.status, again.json()), (200, first.json()));
    assert_eq!(alternatives(), 1);
    assert_eq!(audit(), audit_after_first);
    // another key while the first is open: refused, nothing stored
    let r = s
        .kiosk_post_once(&mut c, path, &home, "alt-retry-key-000002")
        .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "alternative_open")
    );

    // a staff witness, without a key
    let r = s
        .kiosk_post(
            &mut c,
            path,
            &json!({"id_number": witness.id_number, "kind": "staff_witness"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let witness_id = r.json()["request_id"].as_str().unwrap().to_string();
    assert_eq!(alternatives(), 2);

    // refused, nothing stored: not a recipient, certified already, bad fields
    let long_note = "字".repeat(201);
    for (body, status, code) in [
        (
            json!({"id_number": applicant(), "kind": "home_visit"}),
            404,
            "not_found",
        ),
        (
            json!({"id_number": certified.id_number, "kind": "home_visit"}),
            409,
            "already_certified",
        ),
        (
            json!({"id_number": witness.id_number, "kind": "phone_call"}),
            422,
            "invalid_field",
        ),
        (
            json!({"id_number": witness.id_number, "kind": "home_visit", "note": long_note}),
            422,
            "invalid_field",
        ),
        (
            json!({"id_number": witness.id_number, "kind": "home_visit", "note": "  "}),
            422,
            "invalid_field",
        ),
        (
            json!({"id_number": witness.id_number, "kind": "home_visit", "extra": 1}),
            422,
            "invalid_field",
        ),
        (
            json!({"id_number": "500102195201180420", "kind": "home_visit"}),
            422,
            "invalid_id_number",
        ),
    ] {
        let before = audit();
        let r = s.kiosk_post(&mut c, path, &body).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{body}: {:?}",
            r.json()
        );
        assert_eq!(alternatives(), 2, "{body}");
        assert_eq!(audit(), before, "{body}");
    }

    // the township's staff see both, oldest first, masked; another township's clerk may not
    let clerk = login(&mut c, "clerk").await;
    let list = format!("/v1/staff/townships/{DEMO_TOWNSHIP}/alternatives");
    let r = staff_get(&mut c, &clerk, &list).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let open = r.json();
    let open = open.as_array().unwrap();
    assert_eq!(
        open.iter()
            .map(|a| a["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["home_visit", "staff_witness"]
    );
    assert_eq!(open[0]["request_id"], j["request_id"]);
    assert_eq!(open[0]["masked_name"], "陈**");
    assert_eq!(open[0]["note"], "上午在家，耳背，请敲门");
    assert_eq!(open[0]["colour"], "green");
    assert_eq!(open[0]["kiosk_id"], "kiosk-1");
    let text = String::from_utf8(r.body.clone()).unwrap();
    for p in [&visit, &witness] {
        assert!(
            !text.contains(&p.id_number) && !text.contains(&p.name),
            "{text}"
        );
    }
    assert!(open[1]["masked_id"].as_str().unwrap().contains('*'));
    let other = login(&mut c, "clerk2").await;
    let r = staff_get(&mut c, &other, &list).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "forbidden"));
    let bureau = login(&mut c, "bureau").await;
    assert_eq!(
        staff_get(&mut c, &bureau, &list)
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // closing: other township 403, village helper 403, bad outcome 422 — nothing stored
    let close = |id: &str| format!("/v1/staff/alternatives/{id}/close");
    let witnessed = json!({"outcome": "witnessed", "note": "本人到乡镇大厅，经办人核实"});
    let helper = login(&mut c, "helper").await;
    let before = audit();
    for (token, body, status, code) in [
        (&other, &witnessed, 403, "forbidden"),
        (&helper, &witnessed, 403, "wrong_role"),
        (&clerk, &json!({"outcome": "seen"}), 422, "invalid_field"),
    ] {
        let r = staff_post(&mut c, token, &close(&witness_id), body).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{:?}",
            r.json()
        );
    }
    assert_eq!(audit(), before);
    assert_eq!(s.count("certifications"), 0);
    let r = staff_post(&mut c, &clerk, &close("no-such-request"), &witnessed).await;
    assert_eq!(r.status, 404);

    // witnessed: certified this cycle as staff_witnessed, with a proof that verifies publicly
    let r = staff_post(&mut c, &clerk, &close(&witness_id), &witnessed).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let closed = r.json();
    assert_eq!(closed["outcome"], "witnessed");
    assert_eq!(closed["closed_by"], "staff:clerk");
    assert_eq!(closed["certification"]["certified"], true);
    let code = closed["certification"]["proof_code"].as_str().unwrap();
    let v = c
        .send("GET", &format!("/v1/public/proofs/{code}"), &[], b"")
        .await
        .unwrap();
    assert_eq!(v.json()["status"], "valid", "{:?}", v.json());
    assert_eq!(
        v.json()["valid_until"],
        closed["certification"]["valid_until"]
    );
    let st = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/certification/status",
            &json!({"id_number": witness.id_number}),
        )
        .await;
    assert_eq!(st.json()["certified_this_cycle"], true, "{:?}", st.json());
    assert_eq!(st.json()["last_certified_on"], today_in_china().to_string());
    assert_eq!(
        s.count("certifications WHERE mode = 'staff_witnessed' AND certified"),
        1
    );
    assert_eq!(
        s.count("audit WHERE action IN ('certification.passed', 'proof.issued', 'alternative.closed') AND actor = 'staff:clerk'"
        ),
        3
    );
    // closed once only
    let r = staff_post(&mut c, &clerk, &close(&witness_id), &witnessed).await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "already_closed"));
    assert_eq!(s.count("certifications"), 1);

    // not found at home: closed without certifying; the list is empty
    let visit_id = j["request_id"].as_str().unwrap();
    let r = staff_post(
        &mut c,
        &clerk,
        &close(visit_id),
        &json!({"outcome": "not_found"}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["certification"], Value::Null);
    assert_eq!(s.count("certifications"), 1);
    let st = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/certification/status",
            &json!({"id_number": visit.id_number}),
        )
        .await;
    assert_eq!(st.json()["certified_this_cycle"], false);
    let r = staff_get(&mut c, &clerk, &list).await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    // once closed, the person may ask again
    let r = s
        .kiosk_post_once(&mut c, path, &home, "alt-retry-key-000003")
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    s.db(|store| store.verify_audit()).unwrap();
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
            .replace("{code}", DEMO_TOWNSHIP)
            .replace("{request_id}", "0000");
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
    // the keys `SqliteStore::open` uses for this database, so the test reads what the CLI wrote
    let keys = dir.path().join("c.db.keys");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .env("JIUZHU_CENTRAL_KEYS_DIR", &keys)
            .args(args)
            .output()
            .unwrap()
    };
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
    // A reference template for a seeded recipient; refused for someone who is not a recipient,
    // for an invalid number, an unknown modality and an empty file.
    let tpl = dir.path().join("t.bin");
    std::fs::write(&tpl, [7u8; 512]).unwrap();
    let tpl_s = tpl.to_str().unwrap();
    let import = |id: &str, modality: &str, file: &str| {
        run(&[
            "template",
            "import",
            "--db",
            db_s,
            "--id-number",
            id,
            "--modality",
            modality,
            "--file",
            file,
        ])
    };
    let out = import("500102195805202427", "fingerprint", tpl_s);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("500102195805202427"),
        "the number is printed masked"
    );
    assert!(
        !import("11010519491231002X", "fingerprint", tpl_s)
            .status
            .success()
    );
    assert!(
        !import("500102195805202428", "fingerprint", tpl_s)
            .status
            .success()
    );
    assert!(!import("500102195805202427", "iris", tpl_s).status.success());
    let empty = dir.path().join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    assert!(
        !import("500102195805202427", "face", empty.to_str().unwrap())
            .status
            .success()
    );
    let stored = SqliteStore::open(&db)
        .unwrap()
        .template(
            "500102195805202427",
            jiuzhu_core::api::Modality::Fingerprint,
        )
        .unwrap();
    assert_eq!(stored.as_deref(), Some(&[7u8; 512][..]));
    // A guardian's reference: refused until the township registers the guardian.
    let guardian = demo_id("19700101", 5);
    assert!(!import(&guardian, "face", tpl_s).status.success());
    let add = |relation: &str| {
        run(&[
            "guardian",
            "add",
            "--db",
            db_s,
            "--recipient",
            "500102195805202427",
            "--guardian",
            &guardian,
            "--name",
            "张小明",
            "--relation",
            relation,
        ])
    };
    assert!(!add("Child!").status.success());
    let out = add("child");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(&guardian),
        "the number is printed masked"
    );
    let out = import(&guardian, "face", tpl_s);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// A real JPEG of `w`×`h` pixels (a gradient), encoded by the `image` crate.
fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 100])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&img)
        .unwrap();
    out
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn guardian_mode_needs_a_registered_guardian_and_the_on_site_photo() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    // seed-demo: 谭永贵 is the registered guardian of 王德福 (due for his check)
    let g = &seed::DEMO_GUARDIANS[0];
    let (wang, tan) = (g.recipient_id, g.guardian_id);
    let stranger = demo_id("19700101", 5);
    let status =
        |guardian: &str| json!({"id_number": wang, "guardian_id_number": guardian}).to_string();
    let path = "/v1/kiosk/certification/status";
    let r = s
        .kiosk_send(&mut c, path, status(tan).as_bytes(), &[])
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["certified_this_cycle"], false);
    // someone else is refused before any biometric is taken
    let r = s
        .kiosk_send(&mut c, path, status(&stranger).as_bytes(), &[])
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (403, json!("not_guardian"))
    );
    let r = s
        .kiosk_send(&mut c, path, status(wang).as_bytes(), &[])
        .await;
    assert_eq!(r.status, 422);

    // the guardian's own reference is enrolled and released like a recipient's; nobody else's
    s.db(|store| store.put_template(tan, Modality::Face, b"guardian-face-v1", "test"))
        .unwrap();
    assert!(
        s.db(|store| store.put_template(&stranger, Modality::Face, b"x", "test"))
            .is_err()
    );
    let boxed = sealed_template(&s, &mut c, tan, "face").await;
    assert_eq!(
        api::open_template(&s.kiosk.key, "kiosk-1", &boxed).unwrap(),
        b"guardian-face-v1"
    );

    let photo = jpeg(320, 240);
    let good = json!({"content_type": "image/jpeg", "consent": true, "data": b64(&photo)});
    let result = |mode: &str, guardian: &str, photo: Option<Value>| {
        let mut v = json!({
            "id_number": wang, "mode": mode, "modality": "face",
            "liveness_passed": true, "matched": true, "score": 0.74,
            "assisted_by": {"id_number": guardian, "name": "谭永贵"},
        });
        if let Some(p) = photo {
            v["evidence_photo"] = p;
        }
        v
    };
    let results = "/v1/kiosk/certification/results";
    let audit_rows = s.count("audit");
    // a person who is not a registered guardian is refused, nothing stored
    let r = s
        .kiosk_post(
            &mut c,
            results,
            &result("guardian", &stranger, Some(good.clone())),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (403, json!("not_guardian")),
        "{:?}",
        r.json()
    );
    // bad bodies: each refused with its reason, nothing stored
    let mut big = jpeg(320, 240);
    big.resize(api::MAX_EVIDENCE_BYTES + 1, 0);
    let cases: Vec<(Value, u16, &str)> = vec![
        (result("guardian", tan, None), 422, "evidence_required"),
        (
            result(
                "guardian",
                tan,
                Some(json!({"content_type": "image/jpeg", "consent": false, "data": b64(&photo)})),
            ),
            422,
            "evidence_without_consent",
        ),
        (
            result(
                "guardian",
                tan,
                Some(json!({"content_type": "image/png", "consent": true, "data": b64(&photo)})),
            ),
            422,
            "invalid_evidence",
        ),
        (
            result(
                "guardian",
                tan,
                Some(json!({"content_type": "image/jpeg", "consent": true, "data": "%%%"})),
            ),
            422,
            "invalid_evidence",
        ),
        (
            result(
                "guardian",
                tan,
                Some(
                    json!({"content_type": "image/jpeg", "consent": true, "data": b64(&photo[..photo.len() / 3])}),
                ),
            ),
            422,
            "invalid_evidence",
        ),
        (
            result(
                "guardian",
                tan,
                Some(
                    json!({"content_type": "image/jpeg", "consent": true, "data": b64(b"GIF89a....")}),
                ),
            ),
            422,
            "invalid_evidence",
        ),
        (
            result(
                "guardian",
                tan,
                Some(
                    json!({"content_type": "image/jpeg", "consent": true, "data": b64(&jpeg(40, 40))}),
                ),
            ),
            422,
            "invalid_evidence",
        ),
        (
            result(
                "guardian",
                tan,
                Some(json!({"content_type": "image/jpeg", "consent": true, "data": b64(&big)})),
            ),
            413,
            "evidence_too_large",
        ),
        (
            result(
                "guardian",
                tan,
                Some(
                    json!({"content_type": "image/jpeg", "consent": true, "data": b64(&photo), "extra": 1}),
                ),
            ),
            422,
            "invalid_field",
        ),
        (
            result("self_check", tan, Some(good.clone())),
            422,
            "invalid_field",
        ),
    ];
    for (body, status, code) in cases {
        let r = s.kiosk_post(&mut c, results, &body).await;
        assert_eq!(
            (r.status, r.json()["error"]["code"].as_str().unwrap_or("")),
            (status, code),
            "{:?}",
            r.json()
        );
    }
    // a body far over the limit is cut off before it is parsed
    let huge = format!(
        r#"{{"id_number":"{wang}","evidence_photo":{{"data":"{}"}}}}"#,
        "A".repeat(jiuzhu_central::http::MAX_CERTIFICATION_BYTES)
    );
    let r = s.kiosk_send(&mut c, results, huge.as_bytes(), &[]).await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (413, json!("body_too_large"))
    );
    assert!(
        s.db(|store| store.certifications_of(wang))
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.count("audit"), audit_rows, "no audit row for a refusal");

    // the registered guardian with the photo: certified, and central keeps who and the photo
    let r = s
        .kiosk_post(&mut c, results, &result("guardian", tan, Some(good)))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["certified"], true);
    assert!(r.json()["proof_code"].is_string());
    let recs = s.db(|store| store.certifications_of(wang)).unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].mode, "guardian");
    assert_eq!(recs[0].assisted_by.as_deref(), Some(tan));
    let sealed = recs[0].evidence.clone().expect("the photo is kept");
    assert_eq!(sealed.size, photo.len());
    assert_eq!(
        jiuzhu_central::evidence::open(&district_key(), &sealed).unwrap(),
        photo,
        "encrypted at rest under the district's evidence key"
    );
    let raw: Vec<u8> = s.rows("SELECT ciphertext FROM certification_evidence")[0][0].bytes();
    assert!(!raw.windows(64).any(|w| photo.windows(64).next() == Some(w)));
    let audit: String = s
        .rows("SELECT subject || detail FROM audit")
        .iter()
        .map(|r| r[0].text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(!audit.contains(tan) && !audit.contains(wang), "{audit}");
    assert_eq!(
        s.db(|store| store.verify_audit()).unwrap(),
        s.count("audit")
    );

    // staff register guardians: clerk of the township yes; helper, another township, unknown
    // recipients and bad bodies no
    let chen = "500102195805202427";
    let reg = |recipient: &str, guardian: &str, relation: &str| json!({"recipient_id_number": recipient, "guardian": {"id_number": guardian, "name": "张小明"}, "relation": relation});
    let clerk = login(&mut c, "clerk").await;
    let r = staff_post(
        &mut c,
        &clerk,
        "/v1/staff/guardians",
        &reg(chen, &stranger, "child"),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let text = String::from_utf8_lossy(&r.body).to_string();
    assert!(
        !text.contains(&stranger) && !text.contains("张小明"),
        "{text}"
    );
    assert!(s.db(|store| store.is_guardian(chen, &stranger)).unwrap());
    let helper = login(&mut c, "helper").await;
    let other = login(&mut c, "clerk2").await;
    for (token, body, status, code) in [
        (&helper, reg(chen, tan, "child"), 403, "wrong_role"),
        (&other, reg(chen, tan, "child"), 403, "forbidden"),
        (&clerk, reg(&stranger, tan, "child"), 404, "not_found"),
        (&clerk, reg(chen, tan, "Child!"), 422, "invalid_field"),
        (&clerk, reg(chen, chen, "child"), 422, "invalid_request"),
        (
            &clerk,
            reg(chen, "500102195805202428", "child"),
            422,
            "invalid_id_number",
        ),
    ] {
        let r = staff_post(&mut c, token, "/v1/staff/guardians", &body).await;
        assert_eq!(
            (r.status, r.json()["error"]["code"].as_str().unwrap_or("")),
            (status, code),
            "{:?}",
            r.json()
        );
    }
    assert!(!s.db(|store| store.is_guardian(chen, tan)).unwrap());
    let r = s
        .kiosk_send(
            &mut c,
            path,
            json!({"id_number": chen, "guardian_id_number": stranger})
                .to_string()
                .as_bytes(),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "the newly registered guardian may certify");
}

/// The first case of `who` on the kiosk status answer.
async fn kiosk_status(s: &Server, c: &mut Conn, who: &str) -> Value {
    let r = s
        .kiosk_post(c, "/v1/kiosk/status", &json!({"id_number": who}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["cases"][0].clone()
}

/// 进度查询: the kiosk status answer carries the timeline's dates, the one-time notice with its
/// materials and deadline, and the running deadlines counted in working days.
#[tokio::test]
async fn status_answer_has_timeline_notice_and_deadlines() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    let h = Household::new(207);
    let case = h.submit(&s, &mut c, DEMO_TOWNSHIP).await;
    let first = kiosk_status(&s, &mut c, &h.applicant).await;
    assert_eq!(first["state"], "submitted");
    assert_eq!(first["accepted_on"], Value::Null);
    assert_eq!(first["missing_notice"], Value::Null);
    assert_eq!(first["deadlines"][0]["kind"], "acceptance");
    assert_eq!(
        first["deadlines"][0]["due"],
        working_days(s.today(), 2).to_string()
    );
    assert_eq!(first["deadlines"][0]["unit"], "working");

    let deadline_day = working_days(s.today(), 10);
    let notice =
        json!({"type": "notify_missing_materials", "deadline": deadline_day, "note": "请补齐"});
    step_ok(&mut c, &clerk, &case, notice).await;
    let noticed = kiosk_status(&s, &mut c, &h.applicant).await;
    assert_eq!(noticed["state"], "awaiting_materials");
    let n = &noticed["missing_notice"];
    assert_eq!(n["deadline"], deadline_day.to_string());
    assert_eq!(n["issued_on"], s.today().to_string());
    assert_eq!(n["note"], "请补齐");
    assert_eq!(
        n["materials"],
        json!(["id_cards", "household_register", "income_proof"])
    );
    assert_eq!(noticed["deadlines"][0]["kind"], "supplement");
    assert_eq!(noticed["pending_signatures"].as_array().unwrap().len(), 2);

    s.advance(1);
    h.complete(&s, &mut c, &case).await;
    step_ok(&mut c, &clerk, &case, json!({"type": "accept"})).await;
    let accepted = kiosk_status(&s, &mut c, &h.applicant).await;
    assert_eq!(accepted["accepted_on"], s.today().to_string());
    assert_eq!(accepted["decided_on"], Value::Null);
    assert_eq!(
        accepted["missing_notice"]["completed_on"],
        s.today().to_string()
    );
    let total = accepted["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "total")
        .expect("the whole-review deadline runs once accepted");
    // the demo township has delegated authority: 20 working days from acceptance
    assert_eq!(total["due"], working_days(s.today(), 20).to_string());
    assert_eq!(total["allowed"], 20);
    // the answer still reads as the old shape (fields are additive)
    let typed: jiuzhu_core::api::CaseSummary = serde_json::from_value(accepted).unwrap();
    assert_eq!(typed.accepted_on, Some(s.today()));
}

async fn pending_for(s: &Server, c: &mut Conn, who: &str) -> Vec<Value> {
    let r = s
        .kiosk_post(
            c,
            "/v1/kiosk/signatures/pending",
            &json!({"id_number": who}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["cases"].as_array().unwrap().clone()
}

/// 签署授权: a member who was not at the kiosk finds the applications waiting for their
/// signature — only those, with masked names — and they stop being offered once signed or once
/// signatures close.
#[tokio::test]
async fn pending_signatures_show_only_what_the_signer_must_sign() {
    let s = server_at(Some(monday())).await;
    let mut c = Conn::new(s.addr);
    let spouse = demo_id("19520303", 21);
    let child = demo_id("20150404", 22);
    let body = application(&applicant(), &[(&spouse, "spouse"), (&child, "child")]);
    let r = submit(&s, &mut c, &body, "idem-key-pending-01").await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let case = r.json()["case_id"].as_str().unwrap().to_string();

    let mine = pending_for(&s, &mut c, &spouse).await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let p = &mine[0];
    assert_eq!(p["case_id"], case.as_str());
    assert_eq!(p["assistance_type"], "dibao");
    assert_eq!(p["applicant_masked"], "张*");
    assert_eq!(p["signer_masked"], "张**");
    assert_eq!(p["relationship"], "spouse");
    assert_eq!(p["sign_by"], Value::Null);
    assert_eq!(p["hotline"], "023-7222-0000");
    assert!(!p["township_name"].as_str().unwrap().is_empty());
    for field in ["members", "incomes", "assets", "pending_signatures"] {
        assert!(
            p.get(field).is_none(),
            "{field} is not the signer's business"
        );
    }
    // A child does not sign; a stranger sees nothing; bad numbers are refused.
    assert!(pending_for(&s, &mut c, &child).await.is_empty());
    assert!(
        pending_for(&s, &mut c, &demo_id("19700303", 13))
            .await
            .is_empty()
    );
    let r = s
        .kiosk_post(
            &mut c,
            "/v1/kiosk/signatures/pending",
            &json!({"id_number": "12345"}),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.json());
    // The status answer counts only those who must sign: applicant and spouse, not the child.
    let status = kiosk_status(&s, &mut c, &applicant()).await;
    assert_eq!(status["pending_signatures"], json!(["张*", "张**"]));

    // Signed: no longer offered.
    let sig =
        json!({"signer": {"id_number": spouse, "name": "张小明"}, "method": "id_card_fingerprint"});
    let r = s
        .kiosk_send(
            &mut c,
            &format!("/v1/kiosk/applications/{case}/signatures"),
            sig.to_string().as_bytes(),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(pending_for(&s, &mut c, &spouse).await.is_empty());

    // Under a one-time notice the applicant may sign until its deadline, and not after.
    let clerk = login(&mut c, "clerk").await;
    let deadline = working_days(s.today(), 5);
    let notice = json!({"type": "notify_missing_materials", "deadline": deadline, "note": ""});
    step_ok(&mut c, &clerk, &case, notice).await;
    let mine = pending_for(&s, &mut c, &applicant()).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["sign_by"], deadline.to_string());
    s.advance_to(deadline);
    assert_eq!(pending_for(&s, &mut c, &applicant()).await.len(), 1);
    s.advance(1);
    assert!(pending_for(&s, &mut c, &applicant()).await.is_empty());
}
