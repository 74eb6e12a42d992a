//! The driver over the USB transport with a scripted bulk pipe: requests must arrive on EP 0x02,
//! replies come from EP 0x81 in 64-byte packets (and timeouts between them), as a vendor-bulk
//! reader sends them. The card text comes from the simulator's independent encoder.

use std::collections::VecDeque;
use std::time::Duration;

use jiuzhu_drivers_api::fingerprint::CancelToken;
use jiuzhu_drivers_api::idcard::{IdCardError, IdCardReader};
use jiuzhu_idcard::proto::{Command, ReadPayload, encode_response};
use jiuzhu_idcard::transport::{BulkPipe, TransportError, USB_EP_IN, USB_EP_OUT};
use jiuzhu_idcard::{ReaderConfig, SamReader, UsbTransport};
use jiuzhu_sim::idcard::builtin;

/// IN transfers after a request (`None` = a timeout).
type InTransfers = Vec<Option<Vec<u8>>>;

/// What the scripted device does after each expected request.
struct ScriptedPipe {
    script: VecDeque<(Vec<u8>, InTransfers)>,
    inbox: VecDeque<Option<Vec<u8>>>,
    outs: usize,
}

impl BulkPipe for ScriptedPipe {
    fn write_bulk(&mut self, ep: u8, data: &[u8], _: Duration) -> Result<usize, TransportError> {
        assert_eq!(ep, USB_EP_OUT);
        let (expect, ins) = self
            .script
            .pop_front()
            .ok_or_else(|| TransportError("script ended".into()))?;
        assert_eq!(data, expect, "OUT transfer {}", self.outs);
        self.outs += 1;
        self.inbox.extend(ins);
        Ok(data.len())
    }

    fn read_bulk(&mut self, ep: u8, buf: &mut [u8], _: Duration) -> Result<usize, TransportError> {
        assert_eq!(ep, USB_EP_IN);
        assert!(buf.len() >= 64, "IN buffers hold a whole packet");
        match self.inbox.pop_front() {
            Some(Some(p)) => {
                buf[..p.len()].copy_from_slice(&p);
                Ok(p.len())
            }
            Some(None) | None => Ok(0),
        }
    }

    fn describe(&self) -> String {
        "scripted usb 0400:c35a".into()
    }
}

fn packets(frame: &[u8]) -> InTransfers {
    frame.chunks(64).map(|c| Some(c.to_vec())).collect()
}

#[test]
fn a_card_is_read_over_bulk_packets() {
    let card = builtin("wang-defu").unwrap();
    let payload = ReadPayload {
        text: card.text_block(),
        photo: card.photo(),
        fingerprints: vec![],
    };
    let mut read_reply = packets(&encode_response(0x90, &payload.to_data(false)));
    // The device pauses mid-reply once.
    read_reply.insert(5, None);
    let script = vec![
        (
            Command::SamStatus.encode(),
            packets(&encode_response(0x90, &[])),
        ),
        (
            Command::FindCard.encode(),
            packets(&encode_response(0x80, &[])),
        ),
        (
            Command::FindCard.encode(),
            packets(&encode_response(0x9F, &[0; 4])),
        ),
        (
            Command::SelectCard.encode(),
            packets(&encode_response(0x90, &[0; 8])),
        ),
        (Command::ReadText.encode(), read_reply),
    ];
    let pipe = ScriptedPipe {
        script: script.into(),
        inbox: VecDeque::new(),
        outs: 0,
    };
    let mut reader = SamReader::new(
        UsbTransport::new(pipe),
        ReaderConfig {
            poll_interval: Duration::ZERO,
            ..ReaderConfig::default()
        },
    );
    let c = reader
        .read_card(Duration::from_secs(5), &CancelToken::new())
        .unwrap();
    assert_eq!(c.number.as_unmasked_str(), "500102194110020032");
    assert_eq!(c.name.as_unmasked_str(), "王德福");
    assert_eq!(c.photo.0, card.photo());
    assert!(reader.describe().contains("0400:c35a"));
    assert_eq!(reader.stats().resends, 0);
    // The script is used up: the next command finds no device behaviour and is a link error.
    let e = reader
        .read_card(Duration::from_secs(1), &CancelToken::new())
        .unwrap_err();
    assert!(
        matches!(e, IdCardError::Link(ref m) if m.contains("script ended")),
        "{e}"
    );
}
