//! Notices by text message (短信送达) through an HTTP SMS gateway: every household document not
//! yet delivered, on a case whose household gave a mobile number, is announced by a message that
//! carries the case number, the document's title and its deadline — no name, no identity number,
//! no reasons ([`jiuzhu_core::notices::sms_text`]); the full text is read at a kiosk.
//!
//! Wire (one request per message): `POST <endpoint>` with `Authorization: Bearer <token>` and
//! `{"to": "13800000000", "text": "…", "reference": "notice-12"}`; a 2xx answer with
//! `{"message_id": "…"}` is the gateway's acceptance and is recorded as the delivery; anything
//! else is a failed attempt, retried at the next round up to
//! [`crate::notices::SMS_MAX_ATTEMPTS`] times. Attempts are kept in `notice_deliveries`.

use std::path::Path;
use std::time::Duration;

use jiuzhu_core::api::DeliveryMethod;
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::notices::Delivery;
use crate::store::StoreError;

/// Messages sent per round at most.
pub const BATCH: u32 = 100;

/// Why the gateway could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The configuration is unusable.
    #[error("SMS gateway configuration: {0}")]
    Config(String),
    /// The gateway could not be reached or answered garbage (retried at the next round).
    #[error("the SMS gateway could not be reached: {0}; the message is tried again")]
    Transport(String),
    /// The gateway refused the message (retried at the next round, up to the attempt limit).
    #[error("the SMS gateway refused the message with HTTP {status}: {reason}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The gateway's words (no personal data is sent back by it).
        reason: String,
    },
}

/// The gateway's address and credentials.
#[derive(Clone)]
pub struct SmsConfig {
    /// `http://` or `https://` URL of the send endpoint.
    pub endpoint: String,
    /// Bearer token.
    pub token: String,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &"***")
            .finish()
    }
}

impl SmsConfig {
    /// The endpoint and the token read from `token_file`, which must not be readable by group
    /// or others (mode 0600).
    pub fn from_token_file(endpoint: &str, token_file: &Path) -> Result<SmsConfig, SmsError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(token_file)
                .map_err(|e| SmsError::Config(format!("{}: {e}", token_file.display())))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(SmsError::Config(format!(
                    "{} is readable by others (mode {:o}); run chmod 600 on it",
                    token_file.display(),
                    mode & 0o777
                )));
            }
        }
        let token = std::fs::read_to_string(token_file)
            .map_err(|e| SmsError::Config(format!("{}: {e}", token_file.display())))?
            .trim()
            .to_string();
        SmsConfig::new(endpoint, token)
    }

    /// Checks the endpoint's scheme and that the token is printable and not empty.
    pub fn new(endpoint: &str, token: String) -> Result<SmsConfig, SmsError> {
        if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
            return Err(SmsError::Config(format!(
                "the endpoint '{endpoint}' must start with http:// or https://"
            )));
        }
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SmsError::Config(
                "the token must be one line of printable ASCII".into(),
            ));
        }
        Ok(SmsConfig {
            endpoint: endpoint.to_string(),
            token,
            timeout: Duration::from_secs(10),
        })
    }
}

/// One message as the gateway takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingSms {
    /// Mobile number.
    pub to: String,
    /// Text.
    pub text: String,
    /// Our reference (`notice-<id>`).
    pub reference: String,
}

#[derive(Deserialize)]
struct Accepted {
    message_id: String,
}

/// The HTTP SMS gateway.
pub struct HttpSmsGateway {
    cfg: SmsConfig,
    client: reqwest::Client,
}

impl HttpSmsGateway {
    /// A gateway client for `cfg`.
    pub fn new(cfg: SmsConfig) -> Result<HttpSmsGateway, SmsError> {
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .build()
            .map_err(|e| SmsError::Config(e.to_string()))?;
        Ok(HttpSmsGateway { cfg, client })
    }

    /// Sends one message; the gateway's message id on acceptance.
    pub async fn send(&self, msg: &OutgoingSms) -> Result<String, SmsError> {
        let r = self
            .client
            .post(&self.cfg.endpoint)
            .bearer_auth(&self.cfg.token)
            .json(msg)
            .send()
            .await
            .map_err(|e| SmsError::Transport(e.without_url().to_string()))?;
        let status = r.status();
        let body = r
            .bytes()
            .await
            .map_err(|e| SmsError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            let reason: String = String::from_utf8_lossy(&body).chars().take(200).collect();
            return Err(SmsError::Refused {
                status: status.as_u16(),
                reason,
            });
        }
        let a: Accepted = serde_json::from_slice(&body)
            .map_err(|e| SmsError::Transport(format!("the answer has no message_id: {e}")))?;
        if a.message_id.is_empty() || a.message_id.len() > 128 {
            return Err(SmsError::Transport(
                "the answer's message_id is unusable".into(),
            ));
        }
        Ok(a.message_id)
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SmsRound {
    /// Messages the gateway accepted (documents now delivered by SMS).
    pub sent: usize,
    /// Attempts that failed.
    pub failed: usize,
}

/// Sends every pending message once (at most [`BATCH`]) and records each attempt with the
/// workflow clock of `state`.
pub async fn deliver_pending(
    state: &AppState,
    gateway: &HttpSmsGateway,
) -> Result<SmsRound, StoreError> {
    let s = state.store.clone();
    let pending = tokio::task::spawn_blocking(move || s.pending_sms(BATCH))
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))??;
    let mut round = SmsRound::default();
    for p in pending {
        let msg = OutgoingSms {
            to: p.phone.clone(),
            text: p.text.clone(),
            reference: format!("notice-{}", p.notice),
        };
        let (ok, detail) = match gateway.send(&msg).await {
            Ok(id) => (true, format!("gateway:{id}")),
            Err(e) => {
                tracing::warn!(notice = p.notice, error = %e, "text message not sent");
                (false, e.to_string())
            }
        };
        if ok {
            round.sent += 1;
        } else {
            round.failed += 1;
        }
        let s = state.store.clone();
        let now = (state.clock)();
        tokio::task::spawn_blocking(move || {
            s.record_delivery(&Delivery {
                notice: p.notice,
                how: DeliveryMethod::Sms,
                ok,
                detail: &detail,
                actor: "system:sms",
                now,
            })
        })
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))??;
    }
    Ok(round)
}

/// Runs [`deliver_pending`] every `every` until the process ends.
pub fn spawn_sender(state: AppState, gateway: HttpSmsGateway, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            if let Err(e) = deliver_pending(&state, &gateway).await {
                tracing::warn!(error = %e, "SMS round failed");
            }
        }
    });
}

/// A local SMS gateway on loopback speaking the wire format above, for the tests: it checks the
/// bearer token, keeps every message it accepts, and refuses the next `n` with 503 when told to.
pub mod simulator {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use axum::Json;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use serde_json::{Value, json};

    use super::OutgoingSms;

    #[derive(Clone, Default)]
    struct Shared {
        token: String,
        got: Arc<Mutex<Vec<OutgoingSms>>>,
        fail: Arc<Mutex<u32>>,
    }

    /// The running simulator.
    pub struct SmsSimulator {
        addr: SocketAddr,
        shared: Shared,
    }

    async fn send(
        State(s): State<Shared>,
        headers: HeaderMap,
        Json(msg): Json<OutgoingSms>,
    ) -> (StatusCode, Json<Value>) {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if auth != Some(format!("Bearer {}", s.token).as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": "bad token"})),
            );
        }
        {
            let mut fail = s.fail.lock().unwrap_or_else(|p| p.into_inner());
            if *fail > 0 {
                *fail -= 1;
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({"error": "busy"})),
                );
            }
        }
        let mut got = s.got.lock().unwrap_or_else(|p| p.into_inner());
        got.push(msg);
        (
            StatusCode::OK,
            Json(json!({"message_id": format!("sim-{}", got.len())})),
        )
    }

    impl SmsSimulator {
        /// Starts on 127.0.0.1, port 0, on the current tokio runtime, taking `token`.
        pub async fn start(token: &str) -> std::io::Result<SmsSimulator> {
            let shared = Shared {
                token: token.to_string(),
                ..Shared::default()
            };
            let app = axum::Router::new()
                .route("/send", axum::routing::post(send))
                .with_state(shared.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            tokio::spawn(async move { axum::serve(listener, app).await });
            Ok(SmsSimulator { addr, shared })
        }

        /// The send endpoint's URL.
        pub fn endpoint(&self) -> String {
            format!("http://{}/send", self.addr)
        }

        /// Messages accepted so far, oldest first.
        pub fn messages(&self) -> Vec<OutgoingSms> {
            self.shared
                .got
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
        }

        /// Refuses the next `n` messages with 503.
        pub fn fail_next(&self, n: u32) {
            *self.shared.fail.lock().unwrap_or_else(|p| p.into_inner()) = n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_and_the_token_never_printed() {
        assert!(SmsConfig::new("ftp://x", "t".into()).is_err());
        assert!(SmsConfig::new("http://127.0.0.1:1/send", "".into()).is_err());
        assert!(SmsConfig::new("http://127.0.0.1:1/send", "a b".into()).is_err());
        let c = SmsConfig::new("https://sms.example/send", "s3cret".into()).unwrap();
        assert!(!format!("{c:?}").contains("s3cret"));
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_readable_by_others_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = SmsConfig::from_token_file("http://127.0.0.1:1/send", &f).unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            SmsConfig::from_token_file("http://127.0.0.1:1/send", &f)
                .unwrap()
                .token,
            "s3cret"
        );
    }
}
