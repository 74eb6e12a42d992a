//! A scripted USB transport: an ordered list of expected transfers with their replies, checked
//! one by one (the Rust counterpart of libfprint's umockdev replays).

use std::collections::VecDeque;
use std::time::Duration;

use super::{UsbError, UsbTransport};

/// One expected transfer and what the "device" answers.
#[derive(Clone, PartialEq, Eq)]
pub enum Step {
    /// Control read of register `value`; reply bytes.
    ControlIn {
        /// wValue (register).
        value: u16,
        /// Bytes returned.
        reply: Vec<u8>,
    },
    /// Control write of `data` to register `value`.
    ControlOut {
        /// wValue (register).
        value: u16,
        /// Expected payload.
        data: Vec<u8>,
    },
    /// Interrupt read on `endpoint`: reply bytes, or a timeout.
    Interrupt {
        /// Endpoint address.
        endpoint: u8,
        /// `None` = time out.
        reply: Option<Vec<u8>>,
    },
    /// Bulk read on `endpoint`.
    BulkIn {
        /// Endpoint address.
        endpoint: u8,
        /// Bytes returned.
        reply: Vec<u8>,
    },
    /// The next transfer, whatever it is, fails as if the device were unplugged.
    Unplug,
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ControlIn { value, reply } => {
                write!(f, "ControlIn(0x{value:02X}) → {} B", reply.len())
            }
            Self::ControlOut { value, data } if data.len() <= 8 => {
                write!(f, "ControlOut(0x{value:02X}, {data:02X?})")
            }
            Self::ControlOut { value, data } => {
                write!(f, "ControlOut(0x{value:02X}, {} B)", data.len())
            }
            Self::Interrupt { endpoint, reply } => {
                write!(
                    f,
                    "Interrupt(0x{endpoint:02X}) → {:?}",
                    reply.as_ref().map(|r| &r[..r.len().min(2)])
                )
            }
            Self::BulkIn { endpoint, reply } => {
                write!(f, "BulkIn(0x{endpoint:02X}) → {} B", reply.len())
            }
            Self::Unplug => write!(f, "Unplug"),
        }
    }
}

/// Replays [`Step`]s; any transfer that differs from the script fails with a message naming both.
#[derive(Debug, Default)]
pub struct ScriptedUsb {
    steps: VecDeque<Step>,
    done: usize,
}

impl ScriptedUsb {
    /// A transport that will expect `steps` in order.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        Self {
            steps: steps.into_iter().collect(),
            done: 0,
        }
    }
    /// Steps not yet consumed.
    pub fn remaining(&self) -> usize {
        self.steps.len()
    }
    /// Steps consumed.
    pub fn consumed(&self) -> usize {
        self.done
    }

    fn next(&mut self, what: String) -> Result<Step, UsbError> {
        let s = self
            .steps
            .pop_front()
            .ok_or_else(|| UsbError::Other(format!("script ended, device got {what}")))?;
        self.done += 1;
        if s == Step::Unplug {
            return Err(UsbError::NoDevice);
        }
        Ok(s)
    }

    fn mismatch(&self, want: &Step, got: String) -> UsbError {
        UsbError::Other(format!(
            "script step {}: expected {want:?}, device got {got}",
            self.done
        ))
    }
}

fn copy(reply: &[u8], buf: &mut [u8]) -> usize {
    let n = reply.len().min(buf.len());
    buf[..n].copy_from_slice(&reply[..n]);
    n
}

impl UsbTransport for ScriptedUsb {
    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        _index: u16,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let got = format!(
            "control in {request_type:02X}/{request:02X} 0x{value:02X} len {}",
            buf.len()
        );
        match self.next(got.clone())? {
            Step::ControlIn { value: v, reply }
                if v == value && request == super::REQ_REG && request_type == super::CTRL_IN =>
            {
                Ok(copy(&reply, buf))
            }
            s => Err(self.mismatch(&s, got)),
        }
    }

    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        _index: u16,
        data: &[u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let got = format!("control out {request_type:02X}/{request:02X} 0x{value:02X} {data:02X?}");
        match self.next(got.clone())? {
            Step::ControlOut { value: v, data: d }
                if v == value
                    && d == data
                    && request == super::REQ_REG
                    && request_type == super::CTRL_OUT =>
            {
                Ok(data.len())
            }
            s => Err(self.mismatch(&s, got)),
        }
    }

    fn bulk_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let got = format!("bulk in 0x{endpoint:02X}");
        match self.next(got.clone())? {
            Step::BulkIn { endpoint: e, reply } if e == endpoint => Ok(copy(&reply, buf)),
            s => Err(self.mismatch(&s, got)),
        }
    }

    fn interrupt_in(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        _timeout: Duration,
    ) -> Result<usize, UsbError> {
        let got = format!("interrupt in 0x{endpoint:02X}");
        match self.next(got.clone())? {
            Step::Interrupt { endpoint: e, reply } if e == endpoint => match reply {
                Some(r) => Ok(copy(&r, buf)),
                None => Err(UsbError::Timeout),
            },
            s => Err(self.mismatch(&s, got)),
        }
    }
}
