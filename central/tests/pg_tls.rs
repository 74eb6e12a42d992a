//! TLS to the database (issue #21): a real PostgreSQL that accepts TCP only over TLS, with a
//! certificate of a private CA, reached through `db::PgTarget` as `jiuzhu-central serve --db`
//! reaches it. The connection is encrypted and verified: a client without TLS is turned away by
//! the server, a certificate of another CA or for another host name by the client.

#[path = "support/pg.rs"]
mod pg;

use jiuzhu_central::db::PgTarget;
use pg::Cluster;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

struct Pki {
    ca_pem: String,
    server_cert: String,
    server_key: String,
}

fn pki(host: &str) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "jiuzhu test database CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec![host.to_string()]).unwrap();
    let cert = server.signed_by(&key, &ca_cert, &ca_key).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_cert: cert.pem(),
        server_key: key.serialize_pem(),
    }
}

/// A new database's URL, with the host replaced and `query` appended.
fn url(cluster: &Cluster, host: &str, query: &str) -> String {
    let u = cluster.new_database();
    let u = u.replacen("@127.0.0.1:", &format!("@{host}:"), 1);
    format!("{u}?{query}")
}

fn connect(url: &str) -> Result<postgres::Client, String> {
    let t = PgTarget::parse(url).map_err(|e| e.to_string())?;
    t.config
        .connect(t.connector())
        .map_err(|e| jiuzhu_central::store::StoreError::from(e).to_string())
}

#[test]
fn the_database_is_reached_over_verified_tls_only() {
    let dir = tempfile::tempdir().unwrap();
    let ours = pki("localhost");
    let cluster = Cluster::start_tls(&ours.server_cert, &ours.server_key);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &ours.ca_pem).unwrap();
    let other = pki("localhost");
    let other_ca = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca, &other.ca_pem).unwrap();
    let root = |p: &std::path::Path| format!("sslrootcert={}", p.display());

    // verified TLS: the session is encrypted
    let mut c = connect(&url(
        &cluster,
        "localhost",
        &format!("sslmode=verify-full&{}", root(&ca)),
    ))
    .unwrap();
    let ssl: bool = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the session is not encrypted");
    // prefer (the default) takes the TLS the server offers, verified the same way
    let mut c = connect(&url(&cluster, "localhost", &root(&ca))).unwrap();
    let ssl: bool = c
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl);

    // without TLS the server refuses (hostssl only)
    let e = connect(&url(&cluster, "localhost", "sslmode=disable"))
        .err()
        .expect("plain TCP was accepted");
    assert!(
        e.contains("pg_hba.conf") || e.contains("no encryption"),
        "{e}"
    );
    // a certificate of another CA: refused by the client, under require as under verify-full
    for mode in ["require", "verify-full", "prefer"] {
        let e = connect(&url(
            &cluster,
            "localhost",
            &format!("sslmode={mode}&{}", root(&other_ca)),
        ))
        .err()
        .unwrap_or_else(|| panic!("sslmode={mode}: a certificate of another CA was accepted"));
        assert!(e.contains("certificate"), "{mode}: {e}");
    }
    // the public roots do not vouch for a private CA
    let e = connect(&url(&cluster, "localhost", "sslmode=require"))
        .err()
        .expect("a private CA's certificate was accepted on the web roots");
    assert!(e.contains("certificate"), "{e}");
    // the certificate names localhost, not 127.0.0.1: the host name is checked
    let e = connect(&url(
        &cluster,
        "127.0.0.1",
        &format!("sslmode=require&{}", root(&ca)),
    ))
    .err()
    .expect("a certificate for another host name was accepted");
    assert!(e.contains("certificate"), "{e}");
    // no error repeats the password
    let pw = cluster.url("x");
    let pw = &pw["postgresql://jiuzhu:".len()..pw.find('@').unwrap()];
    assert!(!e.contains(pw), "{e}");
}
