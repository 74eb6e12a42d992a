//! `serve --tls-cert --tls-key`: HTTPS on loopback with a certificate made in the test, spoken to
//! by a reqwest rustls client that trusts exactly that certificate.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use jiuzhu_central::tls::{TlsError, server_config};
use jiuzhu_central::{AppState, SqliteStore};

struct Files {
    dir: tempfile::TempDir,
    cert_pem: String,
}

impl Files {
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
}

fn self_signed() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = ck.cert.pem();
    std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(
        dir.path().join("other-key.pem"),
        other.key_pair.serialize_pem(),
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.pem"), "").unwrap();
    Files { dir, cert_pem }
}

fn client(trust: Option<&str>, addr: std::net::SocketAddr) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .resolve("localhost", addr);
    if let Some(pem) = trust {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

#[tokio::test]
async fn serves_https_with_the_given_certificate_only() {
    let f = self_signed();
    let config = server_config(&f.path("cert.pem"), &f.path("key.pem")).unwrap();
    let store = Arc::new(SqliteStore::open(&f.path("central.db")).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(store, SigningKey::from_bytes(&[5; 32]));
    tokio::spawn(jiuzhu_central::serve_tls_on(listener, config, state));
    let url = format!("https://localhost:{}/v1/health", addr.port());

    let r = client(Some(&f.cert_pem), addr)
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    // the API answers the same over TLS: an unsigned kiosk request is a 401 with its code
    let r = client(Some(&f.cert_pem), addr)
        .post(format!("https://localhost:{}/v1/kiosk/status", addr.port()))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unsigned"
    );

    // a client that does not trust the certificate cannot connect
    let e = client(None, addr).get(&url).send().await.unwrap_err();
    assert!(e.is_connect(), "{e:?}");
    // plain HTTP to the TLS port gets no HTTP answer
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/v1/health"))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    // and the server still serves trusted clients afterwards
    let r = client(Some(&f.cert_pem), addr)
        .get(&url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn unusable_certificate_files_are_refused_with_a_reason() {
    let f = self_signed();
    let e = server_config(&f.path("cert.pem"), &f.path("other-key.pem")).unwrap_err();
    assert!(matches!(e, TlsError::Config(_)), "{e}");
    let e = server_config(&f.path("empty.pem"), &f.path("key.pem")).unwrap_err();
    assert!(matches!(e, TlsError::NoCertificate(_)), "{e}");
    let e = server_config(&f.path("missing.pem"), &f.path("key.pem")).unwrap_err();
    assert!(matches!(e, TlsError::Pem { .. }), "{e}");
    let e = server_config(&f.path("cert.pem"), &f.path("empty.pem")).unwrap_err();
    assert!(matches!(e, TlsError::Pem { .. }), "{e}");
}
