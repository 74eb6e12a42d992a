//! The procedure from the household's side, shared by `procedure.rs` and `procedure_paths.rs`: a
//! test central with an SMS gateway simulator beside it, a household that applies, signs and
//! uploads at the kiosk of its township, and the helpers that read its documents.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jiuzhu_central::client::{Conn, KioskSigner, Reply};
use jiuzhu_central::seed::{DEMO_TOWNSHIP, demo_id};
use jiuzhu_central::sms::simulator::SmsSimulator;
use jiuzhu_central::sms::{HttpSmsGateway, SmsConfig};
use serde_json::{Value, json};

use super::{Central, monday, png};

pub const SMS_TOKEN: &str = "gateway-token-7f3a";

/// The test central with an SMS gateway simulator beside it.
pub struct Server {
    pub central: Central,
    pub gateway: SmsSimulator,
    pub sms: HttpSmsGateway,
}

impl std::ops::Deref for Server {
    type Target = Central;
    fn deref(&self) -> &Central {
        &self.central
    }
}

/// A central whose clock starts on [`monday`], with its SMS gateway simulator.
pub async fn server() -> Server {
    server_at(monday()).await
}

/// A central whose clock starts at `t`, with its SMS gateway simulator.
pub async fn server_at(t: DateTime<Utc>) -> Server {
    let central = Central::at(t).await;
    let gateway = SmsSimulator::start(SMS_TOKEN).await.unwrap();
    let sms = HttpSmsGateway::new(SmsConfig::new(&gateway.endpoint(), SMS_TOKEN.into()).unwrap())
        .unwrap();
    Server {
        central,
        gateway,
        sms,
    }
}

impl Server {
    /// The household's documents of `case` on the status answer of the home kiosk.
    pub async fn notices(&self, c: &mut Conn, who: &str, case: &str) -> Vec<Value> {
        self.notices_at(&self.kiosk, c, who, case).await
    }

    /// The household's documents of `case` on the status answer of kiosk `k`.
    pub async fn notices_at(
        &self,
        k: &KioskSigner,
        c: &mut Conn,
        who: &str,
        case: &str,
    ) -> Vec<Value> {
        let body = json!({"id_number": who}).to_string();
        let r = self
            .signed_by(k, c, "POST", "/v1/kiosk/status", body.as_bytes(), &[])
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        r.json()["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["case_id"] == case)
            .unwrap()["notices"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// An applicant (王德福) and a spouse (李秀英) applying for 低保 in `township`, at the kiosk
/// registered there.
pub struct Household {
    pub applicant: String,
    pub member: String,
    pub township: &'static str,
}

impl Household {
    /// A household of [`DEMO_TOWNSHIP`].
    pub fn new(seq: u16) -> Household {
        Household::of(seq, DEMO_TOWNSHIP)
    }

    /// A household of `township` (one of the two the test central's kiosks serve).
    pub fn of(seq: u16, township: &'static str) -> Household {
        Household {
            applicant: demo_id("19520101", seq),
            member: demo_id("19550505", seq),
            township,
        }
    }

    /// The kiosk of the household's township.
    pub fn kiosk<'a>(&self, s: &'a Server) -> &'a KioskSigner {
        if self.township == DEMO_TOWNSHIP {
            &s.kiosk
        } else {
            &s.other_kiosk
        }
    }

    /// A signed JSON POST of the household's kiosk.
    pub async fn post(&self, s: &Server, c: &mut Conn, path: &str, body: &Value) -> Reply {
        s.signed_by(
            self.kiosk(s),
            c,
            "POST",
            path,
            body.to_string().as_bytes(),
            &[],
        )
        .await
    }

    /// The household's documents of `case`, read at its kiosk.
    pub async fn notices(&self, s: &Server, c: &mut Conn, case: &str) -> Vec<Value> {
        s.notices_at(self.kiosk(s), c, &self.applicant, case).await
    }

    /// Submits with a mobile number; both sign; ID cards and household register uploaded
    /// (the income proof is missing). Returns (case id, case number).
    pub async fn submit(&self, s: &Server, c: &mut Conn) -> (String, String) {
        self.submit_with(s, c, json!({})).await
    }

    /// As [`Household::submit`], with `extra` fields in the application's body.
    pub async fn submit_with(&self, s: &Server, c: &mut Conn, extra: Value) -> (String, String) {
        let (case, no) = self.apply(s, c, extra).await;
        for who in [&self.applicant, &self.member] {
            self.sign(s, c, &case, who).await;
        }
        for kind in ["id_cards", "household_register"] {
            self.upload(s, c, &case, kind, kind).await;
        }
        (case, no)
    }

    /// The application alone (with a mobile number and `extra` fields): no signature, no
    /// material. Returns (case id, case number).
    pub async fn apply(&self, s: &Server, c: &mut Conn, extra: Value) -> (String, String) {
        let mut body = json!({
            "township": self.township, "assistance_type": "dibao", "village": "石佛村",
            "applicant": {"id_number": self.applicant, "name": "王德福"},
            "members": [{"person": {"id_number": self.member, "name": "李秀英"}, "relation": "spouse"}],
            "contact_phone": "13800138000",
        });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let r = s
            .signed_by(
                self.kiosk(s),
                c,
                "POST",
                "/v1/kiosk/applications",
                body.to_string().as_bytes(),
                &[("idempotency-key", format!("idem-{}", self.applicant))],
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        let case = r.json()["case_id"].as_str().unwrap().to_string();
        let no = r.json()["case_no"].as_str().unwrap().to_string();
        (case, no)
    }

    /// `who` signs the verification authorization at the kiosk.
    pub async fn sign(&self, s: &Server, c: &mut Conn, case: &str, who: &str) {
        let sig = json!({"signer": {"id_number": who, "name": "王德福"}, "method": "id_card_face"});
        let r = self
            .post(
                s,
                c,
                &format!("/v1/kiosk/applications/{case}/signatures"),
                &sig,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
    }

    /// Uploads a material of `kind` (none: archived only) whose bytes differ by `tag`; returns
    /// its SHA-256.
    pub async fn upload(
        &self,
        s: &Server,
        c: &mut Conn,
        case: &str,
        kind: &str,
        tag: &str,
    ) -> String {
        let path = if kind.is_empty() {
            format!("/v1/kiosk/applications/{case}/materials")
        } else {
            format!("/v1/kiosk/applications/{case}/materials?kind={kind}")
        };
        let r = c
            .signed(
                self.kiosk(s),
                "POST",
                &path,
                &png(tag),
                &[("content-type", "image/png".into())],
            )
            .await
            .unwrap();
        assert_eq!(r.status, 201, "{kind}: {:?}", r.json());
        r.json()["sha256"].as_str().unwrap().to_string()
    }
}

/// The kinds of `notices`, in order.
pub fn kinds(notices: &[Value]) -> Vec<&str> {
    notices
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect()
}

/// Asserts that the text of notice `n` contains every one of `parts`.
pub fn text_has(n: &Value, parts: &[&str]) {
    let text = n["text"].as_str().unwrap();
    for p in parts {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}

/// `name` masked as the documents print it (王*福).
pub fn masked(name: &str) -> String {
    jiuzhu_core::id::PersonName::new(name).unwrap().masked()
}

/// A date as the documents print it (2026年3月2日).
pub fn cn(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
