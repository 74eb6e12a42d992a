//! The poll loop of a SAM reader as an explicit state machine (hev-idcard-reader's order, devices.md
//! §2): SAM status `11 FF` → find `20 01` until `9F` → select `20 02` → read `30 01` (or `30 10`
//! with fingerprints) → find until the card has left (two `80` answers in a row) → find again.
//!
//! Transitions ([`PollState::on_reply`]) are pure; [`SamReader`] carries them out over a
//! [`Transport`], resending a command when its reply is garbled, truncated, late or answered with
//! "checksum/length error", and resynchronising on the preamble after noise.

use std::time::{Duration, Instant};

use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_drivers_api::idcard::{
    IdCardError, IdCardEvent, IdCardReader, IdCardRetry, ReaderStatus,
};

use crate::proto::{
    Command, Decoded, FrameDecoder, ReadPayload, Response, StatusClass, classify, status_error,
    status_meaning,
};
use crate::text;
use crate::transport::Transport;

/// Timing and retry settings.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// Read the fingerprint file too (`30 10` instead of `30 01`).
    pub read_fingerprints: bool,
    /// Wait for a reply to SAM status, find and select.
    pub reply_timeout: Duration,
    /// Wait for a read reply (the card read itself takes about 1 s on real readers).
    pub read_timeout: Duration,
    /// Pause between find commands while nothing changes.
    pub poll_interval: Duration,
    /// Times a command is sent before a garbled or missing reply becomes a link error.
    pub attempts: u32,
    /// `80` answers in a row that mean the card has left.
    pub removal_misses: u8,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        Self {
            read_fingerprints: false,
            reply_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_millis(2500),
            poll_interval: Duration::from_millis(10),
            attempts: 3,
            removal_misses: 2,
        }
    }
}

/// Where the poll loop stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollState {
    /// The SAM has not been checked (start, or after a link error).
    CheckSam,
    /// Looking for a card.
    Searching,
    /// A card answered; select it.
    Selecting,
    /// Selected; read it.
    Reading,
    /// Read; wait until it leaves. `misses` counts `80` answers in a row.
    AwaitingRemoval {
        /// Consecutive "no card" answers so far.
        misses: u8,
    },
}

impl PollState {
    /// The command this state sends.
    pub fn command(self, fingerprints: bool) -> Command {
        match self {
            Self::CheckSam => Command::SamStatus,
            Self::Searching | Self::AwaitingRemoval { .. } => Command::FindCard,
            Self::Selecting => Command::SelectCard,
            Self::Reading if fingerprints => Command::ReadTextAndFingerprints,
            Self::Reading => Command::ReadText,
        }
    }

    /// Whether nothing is expected to change soon (the loop may pause before the next command).
    pub fn is_idle(self) -> bool {
        matches!(self, Self::Searching | Self::AwaitingRemoval { .. })
    }

    /// The next state and event for a reply to [`command`](Self::command).
    /// `Err` for faults (SAM failure, refused command).
    pub fn on_reply(
        self,
        r: &Response,
        fingerprints: bool,
        removal_misses: u8,
    ) -> Result<(PollState, Option<IdCardEvent>), IdCardError> {
        let class = classify(r.status());
        let fault = || {
            status_error(r.status()).unwrap_or(IdCardError::Rejected {
                code: r.status(),
                meaning: status_meaning(r.status()),
            })
        };
        if matches!(
            class,
            StatusClass::SamFault | StatusClass::Rejected | StatusClass::Resend
        ) {
            return Err(fault());
        }
        use PollState::*;
        Ok(match (self, class) {
            (CheckSam, StatusClass::Ok) => (Searching, None),
            (CheckSam, _) => return Err(fault()),

            (Searching, StatusClass::CardFound) => (Selecting, Some(IdCardEvent::CardPresent)),
            (Searching, StatusClass::Retry(x)) => (Searching, Some(IdCardEvent::Retry(x))),
            (Searching, _) => (Searching, None),

            (Selecting, StatusClass::Ok) => (Reading, None),
            (Selecting | Reading, StatusClass::NoCard) => {
                (Searching, Some(IdCardEvent::CardRemoved))
            }
            (Selecting | Reading, StatusClass::Retry(x)) => {
                (Searching, Some(IdCardEvent::Retry(x)))
            }
            (Reading, StatusClass::Ok) => match decode_card(&r.data, fingerprints) {
                Ok(card) => (
                    AwaitingRemoval { misses: 0 },
                    Some(IdCardEvent::CardRead(Box::new(card))),
                ),
                Err(_) => (Searching, Some(IdCardEvent::Retry(IdCardRetry::Unreadable))),
            },
            (Selecting | Reading, _) => {
                (Searching, Some(IdCardEvent::Retry(IdCardRetry::ReadFailed)))
            }

            (AwaitingRemoval { misses }, StatusClass::NoCard) => {
                if misses + 1 >= removal_misses {
                    (Searching, Some(IdCardEvent::CardRemoved))
                } else {
                    (AwaitingRemoval { misses: misses + 1 }, None)
                }
            }
            (AwaitingRemoval { .. }, _) => (AwaitingRemoval { misses: 0 }, None),
        })
    }
}

/// Why a successful read reply did not give a card (kept internal: it becomes a retry).
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The reply's data did not split into text/photo/fingerprints.
    #[error(transparent)]
    Payload(#[from] crate::proto::PayloadError),
    /// The text block did not parse.
    #[error(transparent)]
    Text(#[from] text::TextError),
}

/// Decodes the data of a successful read reply.
pub fn decode_card(
    data: &[u8],
    fingerprints: bool,
) -> Result<jiuzhu_drivers_api::idcard::IdentityCard, DecodeError> {
    let p = ReadPayload::parse(data, fingerprints)?;
    Ok(text::parse(&p.text, p.photo, p.fingerprints)?)
}

/// Counters a technician can read after a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Request frames sent (resends included).
    pub requests: u64,
    /// Commands sent again after a garbled, missing or rejected reply.
    pub resends: u64,
    /// Frames dropped for a bad checksum or length.
    pub broken_frames: u64,
    /// Valid frames that did not fit the command (late replies) and were skipped.
    pub stale_frames: u64,
    /// Bytes skipped while looking for a preamble.
    pub skipped_bytes: u64,
    /// Bytes received in all.
    pub bytes_in: u64,
    /// Bytes sent in all.
    pub bytes_out: u64,
}

/// A SAM ID-card reader over any transport.
pub struct SamReader<T: Transport> {
    transport: T,
    config: ReaderConfig,
    state: PollState,
    decoder: FrameDecoder,
    stats: LinkStats,
}

impl<T: Transport> SamReader<T> {
    /// Wraps a transport; nothing is sent until the first poll.
    pub fn new(transport: T, config: ReaderConfig) -> Self {
        Self {
            transport,
            config,
            state: PollState::CheckSam,
            decoder: FrameDecoder::new(),
            stats: LinkStats::default(),
        }
    }

    /// The poll state.
    pub fn state(&self) -> PollState {
        self.state
    }

    /// Link counters since opening.
    pub fn stats(&self) -> LinkStats {
        let mut s = self.stats;
        s.skipped_bytes = self.decoder.discarded() as u64;
        s
    }

    /// The settings in use.
    pub fn config(&self) -> &ReaderConfig {
        &self.config
    }

    /// Sends `cmd` and returns the first reply that fits it, resending on garbled, truncated,
    /// missing or "checksum/length error" replies.
    pub fn transact(&mut self, cmd: Command) -> Result<Response, IdCardError> {
        let timeout = match cmd {
            Command::ReadText | Command::ReadTextAndFingerprints => self.config.read_timeout,
            _ => self.config.reply_timeout,
        };
        let request = cmd.encode();
        let mut buf = [0u8; 4096];
        let mut last = String::from("no reply");
        for attempt in 0..self.config.attempts.max(1) {
            if attempt > 0 {
                self.stats.resends += 1;
            }
            self.transport.discard_input().map_err(link)?;
            self.decoder.clear();
            self.transport.send(&request).map_err(link)?;
            self.stats.requests += 1;
            self.stats.bytes_out += request.len() as u64;
            let deadline = Instant::now() + timeout;
            'wait: loop {
                while let Some(d) = self.decoder.decode() {
                    match d {
                        Decoded::Frame(r) if classify(r.status()) == StatusClass::Resend => {
                            last = format!("the reader reported {}", status_meaning(r.status()));
                            break 'wait;
                        }
                        Decoded::Frame(r) if cmd.accepts(&r) => return Ok(r),
                        Decoded::Frame(_) => self.stats.stale_frames += 1,
                        Decoded::Broken(e) => {
                            self.stats.broken_frames += 1;
                            last = e.to_string();
                            break 'wait;
                        }
                    }
                }
                let now = Instant::now();
                if now >= deadline {
                    last = if self.decoder.pending() > 0 {
                        format!(
                            "reply cut short: {} bytes then silence for {timeout:?}",
                            self.decoder.pending()
                        )
                    } else {
                        format!("no reply within {timeout:?}")
                    };
                    break;
                }
                let n = self
                    .transport
                    .recv(&mut buf, deadline - now)
                    .map_err(link)?;
                self.stats.bytes_in += n as u64;
                self.decoder.push(&buf[..n]);
            }
        }
        Err(IdCardError::Link(format!(
            "{} on {}: {last} after {} attempts",
            cmd_name(cmd),
            self.transport.describe(),
            self.config.attempts.max(1)
        )))
    }

    /// Performs one poll step: one command and its transition.
    pub fn step(&mut self) -> Result<Option<IdCardEvent>, IdCardError> {
        let fp = self.config.read_fingerprints;
        let cmd = self.state.command(fp);
        let reply = self.transact(cmd).inspect_err(|_| {
            self.state = PollState::CheckSam;
        })?;
        match self.state.on_reply(&reply, fp, self.config.removal_misses) {
            Ok((next, event)) => {
                self.state = next;
                Ok(event)
            }
            Err(e) => {
                self.state = PollState::CheckSam;
                Err(e)
            }
        }
    }

    /// The SAM's management information (`12 FF`), raw: its layout is not published.
    pub fn sam_id(&mut self) -> Result<Vec<u8>, IdCardError> {
        let r = self.transact(Command::SamId)?;
        match status_error(r.status()) {
            None => Ok(r.data),
            Some(e) => Err(e),
        }
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport
    }
}

fn link(e: crate::transport::TransportError) -> IdCardError {
    IdCardError::Link(e.0)
}

fn cmd_name(cmd: Command) -> String {
    let [c, p] = cmd.code();
    format!("command {c:02X} {p:02X}")
}

impl<T: Transport> IdCardReader for SamReader<T> {
    fn describe(&self) -> String {
        format!("二代证 SAM reader on {}", self.transport.describe())
    }

    fn rearm(&mut self) {
        if matches!(self.state, PollState::AwaitingRemoval { .. }) {
            self.state = PollState::Searching;
        }
    }

    fn status(&mut self) -> Result<ReaderStatus, IdCardError> {
        let r = self.transact(Command::SamStatus)?;
        match classify(r.status()) {
            StatusClass::Ok => Ok(ReaderStatus::Ready),
            StatusClass::SamFault => Ok(ReaderStatus::SamFault(r.status())),
            _ => Err(status_error(r.status()).unwrap_or(IdCardError::Rejected {
                code: r.status(),
                meaning: status_meaning(r.status()),
            })),
        }
    }

    fn set_read_fingerprints(&mut self, on: bool) {
        self.config.read_fingerprints = on;
    }

    fn next_event(
        &mut self,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<Option<IdCardEvent>, IdCardError> {
        let deadline = Instant::now() + timeout;
        loop {
            if cancel.is_cancelled() {
                return Err(IdCardError::Cancelled);
            }
            if let Some(e) = self.step()? {
                return Ok(Some(e));
            }
            if self.state.is_idle() && !self.config.poll_interval.is_zero() {
                let now = Instant::now();
                if now >= deadline {
                    return Ok(None);
                }
                std::thread::sleep(self.config.poll_interval.min(deadline - now));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::encode_response;
    use crate::transport::TransportError;
    use std::collections::VecDeque;

    /// Answers each request with the next scripted chunks; checks the request.
    struct Scripted {
        script: VecDeque<(Command, Vec<Vec<u8>>)>,
        inbox: VecDeque<Vec<u8>>,
    }

    impl Scripted {
        fn new(script: Vec<(Command, Vec<Vec<u8>>)>) -> Self {
            Self {
                script: script.into(),
                inbox: VecDeque::new(),
            }
        }
    }

    impl Transport for Scripted {
        fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
            let (cmd, replies) = self
                .script
                .pop_front()
                .ok_or_else(|| TransportError("script ended".into()))?;
            assert_eq!(bytes, cmd.encode(), "expected {cmd:?}");
            self.inbox.extend(replies);
            Ok(())
        }
        fn recv(&mut self, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
            match self.inbox.pop_front() {
                Some(c) => {
                    buf[..c.len()].copy_from_slice(&c);
                    Ok(c.len())
                }
                None => Ok(0),
            }
        }
        fn discard_input(&mut self) -> Result<(), TransportError> {
            self.inbox.clear();
            Ok(())
        }
        fn describe(&self) -> String {
            "script".into()
        }
    }

    fn ok() -> Vec<u8> {
        encode_response(0x90, &[])
    }

    fn reader(script: Vec<(Command, Vec<Vec<u8>>)>) -> SamReader<Scripted> {
        SamReader::new(
            Scripted::new(script),
            ReaderConfig {
                poll_interval: Duration::ZERO,
                reply_timeout: Duration::from_millis(5),
                read_timeout: Duration::from_millis(5),
                ..ReaderConfig::default()
            },
        )
    }

    #[test]
    fn sam_fault_is_a_fault_and_status_reports_it() {
        let mut r = reader(vec![
            (Command::SamStatus, vec![encode_response(0x60, &[])]),
            (Command::SamStatus, vec![encode_response(0x60, &[])]),
        ]);
        assert_eq!(r.status().unwrap(), ReaderStatus::SamFault(0x60));
        let e = r.step().unwrap_err();
        assert!(matches!(e, IdCardError::Sam { code: 0x60, .. }), "{e}");
        assert!(!e.is_retry());
        assert_eq!(r.state(), PollState::CheckSam);
    }

    #[test]
    fn garbled_then_good_reply_is_resent_once() {
        let mut bad = ok();
        bad[9] ^= 1;
        let mut r = reader(vec![
            (Command::SamStatus, vec![bad]),
            (Command::SamStatus, vec![vec![0x13, 0x37], ok()]),
            (Command::FindCard, vec![encode_response(0x80, &[])]),
        ]);
        assert_eq!(r.step().unwrap(), None);
        assert_eq!(r.state(), PollState::Searching);
        assert_eq!(r.stats().resends, 1);
        assert_eq!(r.stats().broken_frames, 1);
        assert_eq!(r.step().unwrap(), None);
    }

    #[test]
    fn silence_becomes_a_link_error_after_all_attempts() {
        let mut r = reader(vec![
            (Command::SamStatus, vec![]),
            (Command::SamStatus, vec![ok()[..6].to_vec()]),
            (Command::SamStatus, vec![]),
        ]);
        let e = r.step().unwrap_err();
        assert!(
            matches!(e, IdCardError::Link(ref m) if m.contains("3 attempts")),
            "{e}"
        );
    }

    #[test]
    fn stale_find_reply_is_skipped_while_selecting() {
        let found = encode_response(0x9F, &[0; 4]);
        let mut r = reader(vec![
            (Command::SamStatus, vec![ok()]),
            (Command::FindCard, vec![found.clone()]),
            (
                Command::SelectCard,
                vec![found, encode_response(0x90, &[0; 8])],
            ),
            (Command::ReadText, vec![encode_response(0x41, &[])]),
        ]);
        assert_eq!(r.step().unwrap(), None);
        assert_eq!(r.step().unwrap(), Some(IdCardEvent::CardPresent));
        assert_eq!(r.step().unwrap(), None);
        assert_eq!(r.stats().stale_frames, 1);
        assert_eq!(
            r.step().unwrap(),
            Some(IdCardEvent::Retry(IdCardRetry::ReadFailed))
        );
        assert_eq!(r.state(), PollState::Searching);
    }

    #[test]
    fn removal_needs_consecutive_misses() {
        let s = PollState::AwaitingRemoval { misses: 0 };
        let none = Response {
            sw: [0, 0, 0x80],
            data: vec![],
        };
        let found = Response {
            sw: [0, 0, 0x9F],
            data: vec![0; 4],
        };
        let (s, e) = s.on_reply(&none, false, 2).unwrap();
        assert_eq!((s, e), (PollState::AwaitingRemoval { misses: 1 }, None));
        let (s2, _) = s.on_reply(&found, false, 2).unwrap();
        assert_eq!(s2, PollState::AwaitingRemoval { misses: 0 });
        let (s, e) = s.on_reply(&none, false, 2).unwrap();
        assert_eq!(
            (s, e),
            (PollState::Searching, Some(IdCardEvent::CardRemoved))
        );
    }

    #[test]
    fn a_bad_text_block_is_a_retry() {
        let p = ReadPayload {
            text: vec![0xFF; 256],
            photo: vec![0; 1024],
            fingerprints: vec![],
        };
        let r = Response {
            sw: [0, 0, 0x90],
            data: p.to_data(false),
        };
        let (s, e) = PollState::Reading.on_reply(&r, false, 2).unwrap();
        assert_eq!(s, PollState::Searching);
        assert_eq!(e, Some(IdCardEvent::Retry(IdCardRetry::Unreadable)));
    }
}
