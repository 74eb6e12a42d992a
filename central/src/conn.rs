//! The accept loop: HTTP/1.1 connections with a header read timeout (an idle keep-alive
//! connection or half-sent headers are closed), a body read timeout (in the router's guard), a
//! cap on open connections (the accept loop waits for a free slot, so the kernel's backlog, not
//! the process's file descriptors, holds the excess) and the peer address in every request's
//! extensions (`axum::extract::ConnectInfo<SocketAddr>`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

/// Limits of the accept loop and the guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// The whole request head must arrive within this time, and an idle keep-alive connection
    /// is closed after it.
    pub header_read_timeout: Duration,
    /// The whole body must arrive within this time (else 408 `body_timeout`).
    pub body_read_timeout: Duration,
    /// Most connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for ConnLimits {
    /// 10 s for the head (a kiosk on a slow mobile link sends it in well under a second), 30 s
    /// for the body (an 8 MiB material at ~2.2 Mbit/s), 512 connections (the packaged unit
    /// allows 4096 file descriptors: `LimitNOFILE`).
    fn default() -> Self {
        ConnLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 512,
        }
    }
}

/// Serves `app` on `listener` with `limits` until the process ends.
pub async fn serve<L>(mut listener: L, app: Router, limits: ConnLimits) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return Ok(());
        };
        let (io, peer) = listener.accept().await;
        let app = app.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let svc = hyper::service::service_fn(
                move |mut req: hyper::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    tower::ServiceExt::oneshot(app.clone(), req)
                },
            );
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(64 * 1024);
            if let Err(e) = builder.serve_connection(TokioIo::new(io), svc).await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
        });
    }
}
