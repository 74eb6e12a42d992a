//! A small HTTP/1.1 keep-alive client over one TCP connection, used by the loopback tests and
//! the benchmark to talk to a real server (the kiosk's own client is reqwest, in `src/sync`).
//! It sends `Content-Length` bodies and reads `Content-Length` answers, which is what the
//! server produces.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use jiuzhu_core::api;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A response: status, headers (lower-case names) and body.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The `error.code` of an error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// A kiosk's signing identity.
#[derive(Clone)]
pub struct KioskSigner {
    /// Registered kiosk id.
    pub id: String,
    /// Its key.
    pub key: SigningKey,
}

/// How long a connection may have been idle and still be used: the server closes an idle keep-alive
/// connection after its header read timeout (`ConnLimits::header_read_timeout`, 10 s by default), and
/// a request written into a connection the server is closing gets no answer ("bad status line"). Like
/// a pooled HTTP client, a connection idle longer than this is replaced by a new one before sending.
pub const REUSE_IDLE: Duration = Duration::from_secs(4);

/// One keep-alive connection.
pub struct Conn {
    addr: SocketAddr,
    stream: Option<BufReader<TcpStream>>,
    /// When the last answer was read.
    last_used: Option<Instant>,
    reuse_idle: Duration,
}

impl Conn {
    /// A connection to `addr` (opened lazily).
    pub fn new(addr: SocketAddr) -> Self {
        Conn {
            addr,
            stream: None,
            last_used: None,
            reuse_idle: REUSE_IDLE,
        }
    }

    /// The same, replacing a connection idle longer than `idle` (for a server whose idle timeout is
    /// not the default).
    pub fn reusing_for(mut self, idle: Duration) -> Self {
        self.reuse_idle = idle;
        self
    }

    /// Sends a request with extra headers.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        if self
            .last_used
            .is_some_and(|t| t.elapsed() > self.reuse_idle)
        {
            self.stream = None;
        }
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(BufReader::new(s));
        }
        let r = self.exchange(method, path, headers, body).await;
        if r.is_err() {
            self.stream = None;
        }
        self.last_used = Some(Instant::now());
        r
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        let s = self
            .stream
            .as_mut()
            .ok_or(std::io::ErrorKind::NotConnected)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut msg = head.into_bytes();
        msg.extend_from_slice(body);
        s.get_mut().write_all(&msg).await?;
        let mut line = String::new();
        s.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut hs = Vec::new();
        let mut len = None;
        loop {
            line.clear();
            s.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                let v = v.trim().to_string();
                if k == "content-length" {
                    len = v.parse::<usize>().ok();
                }
                hs.push((k, v));
            }
        }
        let len = len.ok_or_else(|| std::io::Error::other("answer without content-length"))?;
        let mut body = vec![0; len];
        s.read_exact(&mut body).await?;
        Ok(Reply {
            status,
            headers: hs,
            body,
        })
    }

    /// Sends a request signed by `kiosk`, with a fresh nonce and the current time; the content
    /// type is JSON unless `extra` names another.
    pub async fn signed(
        &mut self,
        kiosk: &KioskSigner,
        method: &str,
        path: &str,
        body: &[u8],
        extra: &[(&str, String)],
    ) -> std::io::Result<Reply> {
        let headers = signed_headers(kiosk, method, path, body, extra);
        self.send(method, path, &headers, body).await
    }
}

/// The headers of a request signed by `kiosk` with a fresh nonce and the current time: the
/// signature's, a JSON content type unless `extra` names another, then `extra`.
pub fn signed_headers<'a>(
    kiosk: &KioskSigner,
    method: &str,
    path: &str,
    body: &[u8],
    extra: &[(&'a str, String)],
) -> Vec<(&'a str, String)> {
    let nonce = uuid::Uuid::now_v7().simple().to_string();
    let h = api::sign_request(
        &kiosk.key,
        &kiosk.id,
        method,
        path,
        chrono::Utc::now().timestamp(),
        &nonce,
        body,
    );
    let mut headers: Vec<(&str, String)> = h.pairs().into_iter().collect();
    if !extra
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type", "application/json".into()));
    }
    headers.extend(extra.iter().cloned());
    headers
}
