//! Staff calls against a real server on loopback with a real SQLite file: a kiosk raises a call,
//! township staff list and acknowledge it, the kiosk sees the acknowledgement; the abuse cases
//! (flooding, bad ids, other kiosks and townships, personal data in the body).

use ed25519_dalek::SigningKey;
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::help_calls::MAX_CALLS_PER_HOUR;
use jiuzhu_central::seed::{DEMO_TOWNSHIP, OTHER_TOWNSHIP};
use serde_json::{Value, json};

mod support;
use support::{Central as Server, login, staff_get, staff_send};

async fn server() -> Server {
    Server::start().await
}

async fn raise(c: &mut Conn, k: &KioskSigner, body: &Value) -> Reply {
    c.signed(
        k,
        "POST",
        "/v1/kiosk/help-calls",
        body.to_string().as_bytes(),
        &[],
    )
    .await
    .unwrap()
}

async fn poll(c: &mut Conn, k: &KioskSigner, id: &str) -> Reply {
    c.signed(k, "GET", &format!("/v1/kiosk/help-calls/{id}"), b"", &[])
        .await
        .unwrap()
}

/// The open calls of `township` as `token` sees them.
async fn open_calls(c: &mut Conn, token: &str, township: &str) -> Reply {
    staff_get(
        c,
        token,
        &format!("/v1/staff/townships/{township}/help-calls"),
    )
    .await
}

/// `token` acknowledges call `id`.
async fn ack(c: &mut Conn, token: &str, id: &str) -> Reply {
    staff_send(
        c,
        "POST",
        token,
        &format!("/v1/staff/help-calls/{id}/ack"),
        None,
    )
    .await
}

fn calls_in_db(s: &Server) -> i64 {
    s.count("help_calls")
}

#[tokio::test]
async fn a_call_reaches_township_staff_and_the_kiosk_sees_the_acknowledgement() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let r = raise(&mut c, &s.kiosk, &json!({"screen": "certify_face"})).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let call = r.json();
    let id = call["call_id"].as_str().unwrap().to_string();
    assert_eq!(call["kiosk_id"], "kiosk-1");
    assert_eq!(call["township"], DEMO_TOWNSHIP);
    assert_eq!(call["screen"], "certify_face");
    assert!(call["acknowledged_at"].is_null());

    // pressing again while the call is open raises no second call
    let again = raise(&mut c, &s.kiosk, &json!({"screen": "home"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["call_id"], id.as_str());
    assert_eq!(calls_in_db(&s), 1);

    let clerk = login(&mut c, "clerk").await;
    let list = open_calls(&mut c, &clerk, DEMO_TOWNSHIP).await;
    assert_eq!(list.status, 200);
    let open = list.json();
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["call_id"], id.as_str());

    // another township's clerk neither sees nor acknowledges it
    let clerk2 = login(&mut c, "clerk2").await;
    let r = open_calls(&mut c, &clerk2, DEMO_TOWNSHIP).await;
    assert_eq!(r.status, 403);
    let r = ack(&mut c, &clerk2, &id).await;
    assert_eq!(r.status, 403);
    let r = open_calls(&mut c, &clerk2, OTHER_TOWNSHIP).await;
    assert_eq!(r.json(), json!([]));

    // the kiosk still sees it open; another kiosk cannot see it at all
    assert!(poll(&mut c, &s.kiosk, &id).await.json()["acknowledged_at"].is_null());
    assert_eq!(poll(&mut c, &s.other_kiosk, &id).await.status, 404);

    let r = ack(&mut c, &clerk, &id).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["acknowledged_by"], "staff:clerk");
    let leader = login(&mut c, "leader").await;
    let r = ack(&mut c, &leader, &id).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "already_acknowledged");

    let seen = poll(&mut c, &s.kiosk, &id).await;
    assert_eq!(seen.status, 200);
    assert!(seen.json()["acknowledged_at"].is_string());
    let list = open_calls(&mut c, &clerk, DEMO_TOWNSHIP).await;
    assert_eq!(list.json(), json!([]));

    // after the acknowledgement the kiosk may call again: a new call
    let r = raise(&mut c, &s.kiosk, &json!({"screen": "home"})).await;
    assert_eq!(r.status, 201);
    assert_ne!(r.json()["call_id"], id.as_str());
    s.db(|store| store.verify_audit()).unwrap();
}

#[tokio::test]
async fn bad_calls_are_refused_and_store_nothing() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    for (body, status, code) in [
        (json!({"screen": ""}), 422, "invalid_field"),
        (json!({"screen": "陈某某"}), 422, "invalid_field"),
        (
            json!({"screen": "110101199003077777x"}),
            422,
            "invalid_field",
        ),
        (json!({"screen": "a".repeat(33)}), 422, "invalid_field"),
        (json!({"screen": 7}), 422, "invalid_field"),
        (json!({}), 422, "invalid_field"),
        // an unknown field is refused (the shared JSON extractor names it by its path)
        (
            json!({"screen": "home", "id_number": "110101199003077777"}),
            422,
            "invalid_id_number",
        ),
        (
            json!({"screen": "home", "name": "陈某"}),
            422,
            "invalid_field",
        ),
    ] {
        let r = raise(&mut c, &s.kiosk, &body).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{body}"
        );
    }
    // not JSON, unsigned, signed by a stranger
    let r = c
        .signed(&s.kiosk, "POST", "/v1/kiosk/help-calls", b"{screen", &[])
        .await
        .unwrap();
    assert_eq!(r.status, 400);
    let r = c
        .send(
            "POST",
            "/v1/kiosk/help-calls",
            &[("content-type", "application/json".into())],
            br#"{"screen":"home"}"#,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    let stranger = KioskSigner {
        id: "kiosk-1".into(),
        key: SigningKey::from_bytes(&[9; 32]),
    };
    assert_eq!(
        raise(&mut c, &stranger, &json!({"screen": "home"}))
            .await
            .status,
        401
    );
    assert_eq!(calls_in_db(&s), 0);

    // bad ids: malformed, unknown, path tricks
    let clerk = login(&mut c, "clerk").await;
    for id in [
        "nope",
        "00000000-0000-0000-0000-000000000000",
        "%27%20OR%201%3D1",
        &"9".repeat(500),
    ] {
        assert_eq!(poll(&mut c, &s.kiosk, id).await.status, 404, "{id}");
        let r = ack(&mut c, &clerk, id).await;
        assert_eq!(r.status, 404, "{id}");
    }
    // no session, unknown township
    let r = c
        .send(
            "GET",
            &format!("/v1/staff/townships/{DEMO_TOWNSHIP}/help-calls"),
            &[],
            b"",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    let bureau = login(&mut c, "bureau").await;
    let r = open_calls(&mut c, &bureau, "999999999").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_kiosk_flooding_calls_is_limited() {
    let s = server().await;
    let mut c = Conn::new(s.addr);
    let clerk = login(&mut c, "clerk").await;
    // a stolen kiosk pressing the button in a loop: the open call answers every repeat
    for _ in 0..30 {
        let r = raise(&mut c, &s.kiosk, &json!({"screen": "home"})).await;
        assert!(r.status == 200 || r.status == 201);
    }
    assert_eq!(calls_in_db(&s), 1);
    // raise, acknowledge, raise again: the hourly limit stops it
    let mut statuses = vec![];
    for _ in 0..(MAX_CALLS_PER_HOUR + 3) {
        let r = raise(&mut c, &s.kiosk, &json!({"screen": "home"})).await;
        statuses.push(r.status);
        if r.status == 429 {
            assert_eq!(r.error_code(), "too_many_help_calls");
            continue;
        }
        let id = r.json()["call_id"].as_str().unwrap().to_string();
        let a = ack(&mut c, &clerk, &id).await;
        assert_eq!(a.status, 200);
    }
    assert_eq!(calls_in_db(&s), MAX_CALLS_PER_HOUR);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 3);
    // the other kiosk is not affected by this one's limit
    let r = raise(&mut c, &s.other_kiosk, &json!({"screen": "home"})).await;
    assert_eq!(r.status, 201);
}
