//! systemd readiness and watchdog notifications (`sd_notify`) without a C library.
//!
//! When systemd starts the kiosk with `WatchdogSec=`, it sets `NOTIFY_SOCKET` and
//! `WATCHDOG_USEC`. The kiosk sends `READY=1` once the home screen is up and `WATCHDOG=1` from
//! a timer on the UI thread: a frozen UI stops the pings and systemd restarts the kiosk.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// A connection to systemd's notification socket, if the process runs under one.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    path: String,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET`; `None` when not started by systemd with notification access.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var("NOTIFY_SOCKET").ok()?;
        Self::connect(&path)
    }

    /// Connects to a notification socket path (`@name` for the abstract namespace).
    pub fn connect(path: &str) -> Option<Self> {
        let socket = UnixDatagram::unbound().ok()?;
        Some(Self {
            socket,
            path: path.to_string(),
        })
    }

    fn send(&self, msg: &str) -> std::io::Result<()> {
        if let Some(name) = self.path.strip_prefix('@') {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            self.socket.send_to_addr(msg.as_bytes(), &addr).map(|_| ())
        } else {
            self.socket.send_to(msg.as_bytes(), &self.path).map(|_| ())
        }
    }

    /// Tells systemd the service is ready.
    pub fn ready(&self) {
        if let Err(e) = self.send("READY=1\nSTATUS=home screen shown") {
            tracing::warn!("sd_notify READY failed: {e}");
        }
    }

    /// One watchdog ping.
    pub fn ping(&self) {
        if let Err(e) = self.send("WATCHDOG=1") {
            tracing::warn!("sd_notify WATCHDOG failed: {e}");
        }
    }
}

/// Half the watchdog interval systemd asked for, the usual ping period.
pub fn ping_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::connect(path.to_str().unwrap()).unwrap();
        n.ready();
        n.ping();
        let mut buf = [0u8; 256];
        let len = server.recv(&mut buf).unwrap();
        assert!(
            std::str::from_utf8(&buf[..len])
                .unwrap()
                .starts_with("READY=1")
        );
        let len = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"WATCHDOG=1");
    }
}
