//! The signed code of the 社会救助身份证明 (scheme `JZP1`): what the QR on a printed proof holds,
//! issued by the central service with the district's Ed25519 key at certification and checked
//! either at the public endpoint (`GET /v1/public/proofs/{code}`) or offline with the district's
//! public key (`jiuzhu-kiosk proof verify`).
//!
//! The code carries the recipient only in masked form — the visible head of the name (one
//! character, two for a compound surname, as [`PersonName::masked`] shows it) with the number of
//! hidden characters, and the first and last four characters of the identity number —
//! so a photographed receipt reveals no more than the paper itself.
//!
//! # Wire form
//!
//! `JZP1:` followed by RFC 4648 base32 (upper case, no padding) of `body ‖ signature`, so the whole
//! code falls in the QR alphanumeric set (5.5 bits per character). Verification accepts lower
//! case and surrounding whitespace. `body` (version 1, big-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | version = 1 |
//! | 16 | proof id |
//! | 4 | key id: first 4 bytes of SHA-256 of the 32-byte verifying key |
//! | 1 | assistance type: 1 低保, 2 特困, 3 临时救助, 4 低保边缘 |
//! | 2 | certification date, days since 2000-01-01 |
//! | 2 | valid until, days since 2000-01-01 |
//! | 1 + n | township code: n = 6..=12 ASCII digits |
//! | 8 | identity number: first 4 and last 4 characters |
//! | 1 + n | visible head of the name, 1 or 2 characters, UTF-8 (n = 1..=8) |
//! | 1 | number of hidden name characters, 1..=3 |
//!
//! The Ed25519 signature (64 bytes) covers `"JIUZHU-PROOF-V1" ‖ body`.

use std::fmt;

use chrono::{Days, NaiveDate};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::AssistanceType;
use crate::id::{IdNumber, PersonName};

/// The scheme prefix of every proof code.
pub const PREFIX: &str = "JZP1:";
/// Domain separation for the signature.
const SIGNING_CONTEXT: &[u8] = b"JIUZHU-PROOF-V1";
const VERSION: u8 = 1;
const SIGNATURE_LEN: usize = 64;
/// The longest body this version writes (12-digit township, two 4-byte name characters).
const MAX_BODY_LEN: usize = 1 + 16 + 4 + 1 + 2 + 2 + 1 + 12 + 8 + 1 + 8 + 1;
/// The longest code this version can produce.
pub const MAX_CODE_LEN: usize = PREFIX.len() + ((MAX_BODY_LEN + SIGNATURE_LEN) * 8).div_ceil(5);

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date")
}

/// The 16-byte identifier of one issued proof (the central service uses its case-style UUIDv7).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProofId(pub [u8; 16]);

impl fmt::Display for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofId({self})")
    }
}

/// Which district key signed a proof: the first 4 bytes of SHA-256 of the verifying key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KeyId(pub [u8; 4]);

impl KeyId {
    /// The key id of a verifying key.
    pub fn of(key: &VerifyingKey) -> Self {
        let digest = Sha256::digest(key.as_bytes());
        KeyId([digest[0], digest[1], digest[2], digest[3]])
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A recipient's name as a proof shows it: the visible head (1–2 characters) and how many
/// characters are hidden.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaskedName {
    head: String,
    hidden: u8,
}

impl MaskedName {
    /// The masked form of a name, exactly as [`PersonName::masked`] shows it.
    pub fn of(name: &PersonName) -> Self {
        let masked = name.masked();
        let head: String = masked.chars().take_while(|c| *c != '*').take(2).collect();
        let hidden = masked.chars().filter(|c| *c == '*').count().clamp(1, 3) as u8;
        MaskedName { head, hidden }
    }

    fn valid_head(head: &str) -> bool {
        let n = head.chars().count();
        (1..=2).contains(&n)
            && head
                .chars()
                .all(|c| !c.is_control() && !c.is_ascii_digit() && c != '*')
    }
}

impl fmt::Display for MaskedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.head, "*".repeat(self.hidden.into()))
    }
}

/// An identity number as a proof shows it: the first and last four characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MaskedId {
    head: [u8; 4],
    tail: [u8; 4],
}

impl MaskedId {
    /// The masked form of an identity number, as [`IdNumber::masked`] shows it.
    pub fn of(id: &IdNumber) -> Self {
        let s = id.as_unmasked_str().as_bytes();
        let mut head = [0; 4];
        let mut tail = [0; 4];
        head.copy_from_slice(&s[..4]);
        tail.copy_from_slice(&s[14..18]);
        MaskedId { head, tail }
    }

    fn from_bytes(b: &[u8]) -> Option<Self> {
        let ok_head = b[..4].iter().all(u8::is_ascii_digit);
        let ok_tail =
            b[4..7].iter().all(u8::is_ascii_digit) && (b[7].is_ascii_digit() || b[7] == b'X');
        if !(ok_head && ok_tail) {
            return None;
        }
        let mut head = [0; 4];
        let mut tail = [0; 4];
        head.copy_from_slice(&b[..4]);
        tail.copy_from_slice(&b[4..8]);
        Some(MaskedId { head, tail })
    }
}

impl fmt::Display for MaskedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Both halves were checked to be ASCII when built.
        let head = std::str::from_utf8(&self.head).unwrap_or("????");
        let tail = std::str::from_utf8(&self.tail).unwrap_or("????");
        write!(f, "{head}**********{tail}")
    }
}

/// What a 社会救助身份证明 states. Built from the full name and number, it keeps only their masked
/// forms, so neither can leak through the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofPayload {
    /// Identifier of this proof.
    pub proof_id: ProofId,
    /// The recipient's masked name.
    pub name: MaskedName,
    /// The recipient's masked identity number.
    pub id: MaskedId,
    /// Township code (GB/T 2260 county code + township digits), 6–12 digits.
    pub township: String,
    /// Day of the certification.
    pub certified_on: NaiveDate,
    /// Last day the proof is valid.
    pub valid_until: NaiveDate,
    /// Assistance the recipient receives.
    pub assistance_type: AssistanceType,
}

impl ProofPayload {
    /// A payload for a recipient; the name and number are masked here.
    pub fn new(
        proof_id: ProofId,
        name: &PersonName,
        id: &IdNumber,
        township: impl Into<String>,
        certified_on: NaiveDate,
        valid_until: NaiveDate,
        assistance_type: AssistanceType,
    ) -> Self {
        ProofPayload {
            proof_id,
            name: MaskedName::of(name),
            id: MaskedId::of(id),
            township: township.into(),
            certified_on,
            valid_until,
            assistance_type,
        }
    }
}

/// A decoded proof: the payload and the key that claims to have signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// What the proof states.
    pub payload: ProofPayload,
    /// The key id written in the code.
    pub key_id: KeyId,
}

/// Why a payload cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// The township code is not 6–12 ASCII digits.
    #[error("township code {0:?} must be 6 to 12 digits (GB/T 2260 county code + township digits)")]
    Township(String),
    /// The masked name head is not one or two printable characters.
    #[error("the masked name must show one or two characters")]
    Name,
    /// A date before 2000-01-01 or after 2179-06-06, or valid-until before the certification.
    #[error(
        "dates out of range: certified {certified_on}, valid until {valid_until}; both must lie in 2000..2179 and in that order"
    )]
    Dates {
        /// Certification day.
        certified_on: NaiveDate,
        /// Last valid day.
        valid_until: NaiveDate,
    },
}

/// Why a string is not a well-formed proof code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedError {
    /// The string does not start with `JZP1:`.
    #[error("not a 社会救助身份证明 code: it must start with {PREFIX}")]
    Prefix,
    /// A character outside the base32 alphabet.
    #[error(
        "character {found:?} at position {position} is not base32 (A-Z, 2-7); was the code retyped?"
    )]
    Character {
        /// 1-based position after the prefix.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// Base32 length that no byte string encodes to.
    #[error("the code has a base32 length of {0}, which no proof has; part of it is missing")]
    Length(usize),
    /// Fewer bytes than the fields need.
    #[error("the code is truncated: {0} bytes is too short for a proof")]
    Truncated(usize),
    /// Bytes left after the signature.
    #[error("the code has {0} unexpected bytes after the signature")]
    Trailing(usize),
    /// The unused low bits of the last base32 character are not zero.
    #[error("the last character of the code is wrong; was the code retyped?")]
    Padding,
    /// A version this software does not know.
    #[error(
        "proof version {0} is unknown: either not a proof code, or issued by newer software (update the verifier)"
    )]
    Version(u8),
    /// A field with an impossible value.
    #[error("field {0} holds an impossible value")]
    Field(&'static str),
}

/// The outcome of checking a proof code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by the given key and in date.
    Valid(Proof),
    /// Signed by the given key but past its valid-until date.
    Expired(Proof),
    /// Well formed, but the signature does not check with this key (forged, altered, or signed by
    /// another district key: compare `key_id` with [`KeyId::of`] the key used).
    BadSignature {
        /// The key id the code names.
        key_id: KeyId,
    },
    /// Not a proof code at all.
    Malformed(MalformedError),
}

impl Verdict {
    /// `valid`, `expired`, `bad_signature` or `malformed`.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Valid(_) => "valid",
            Verdict::Expired(_) => "expired",
            Verdict::BadSignature { .. } => "bad_signature",
            Verdict::Malformed(_) => "malformed",
        }
    }
}

fn day_number(d: NaiveDate) -> Option<u16> {
    let n = d.signed_duration_since(epoch()).num_days();
    u16::try_from(n).ok()
}

fn from_day_number(n: u16) -> NaiveDate {
    epoch() + Days::new(n.into())
}

fn type_code(t: AssistanceType) -> u8 {
    match t {
        AssistanceType::Dibao => 1,
        AssistanceType::Tekun => 2,
        AssistanceType::Temporary => 3,
        AssistanceType::LowIncomeEdge => 4,
    }
}

fn type_from_code(c: u8) -> Option<AssistanceType> {
    Some(match c {
        1 => AssistanceType::Dibao,
        2 => AssistanceType::Tekun,
        3 => AssistanceType::Temporary,
        4 => AssistanceType::LowIncomeEdge,
        _ => return None,
    })
}

fn valid_township(t: &str) -> bool {
    (6..=12).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
}

fn encode_body(p: &ProofPayload, key_id: KeyId) -> Result<Vec<u8>, IssueError> {
    if !valid_township(&p.township) {
        return Err(IssueError::Township(p.township.clone()));
    }
    let dates_err = || IssueError::Dates {
        certified_on: p.certified_on,
        valid_until: p.valid_until,
    };
    let certified = day_number(p.certified_on).ok_or_else(dates_err)?;
    let until = day_number(p.valid_until).ok_or_else(dates_err)?;
    if until < certified {
        return Err(dates_err());
    }
    let mut out = Vec::with_capacity(MAX_BODY_LEN + SIGNATURE_LEN);
    out.push(VERSION);
    out.extend_from_slice(&p.proof_id.0);
    out.extend_from_slice(&key_id.0);
    out.push(type_code(p.assistance_type));
    out.extend_from_slice(&certified.to_be_bytes());
    out.extend_from_slice(&until.to_be_bytes());
    out.push(p.township.len() as u8);
    out.extend_from_slice(p.township.as_bytes());
    out.extend_from_slice(&p.id.head);
    out.extend_from_slice(&p.id.tail);
    if !MaskedName::valid_head(&p.name.head) {
        return Err(IssueError::Name);
    }
    out.push(p.name.head.len() as u8);
    out.extend_from_slice(p.name.head.as_bytes());
    out.push(p.name.hidden);
    Ok(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MalformedError> {
        let end = self.pos + n;
        if end > self.bytes.len() {
            return Err(MalformedError::Truncated(self.bytes.len()));
        }
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8, MalformedError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, MalformedError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
}

/// Splits decoded bytes into the proof and the signed body and signature.
fn decode_body(bytes: &[u8]) -> Result<(Proof, &[u8], Signature), MalformedError> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.byte()?;
    if version != VERSION {
        return Err(MalformedError::Version(version));
    }
    let mut proof_id = [0u8; 16];
    proof_id.copy_from_slice(r.take(16)?);
    let mut key_id = [0u8; 4];
    key_id.copy_from_slice(r.take(4)?);
    let assistance_type =
        type_from_code(r.byte()?).ok_or(MalformedError::Field("assistance type"))?;
    let certified_on = from_day_number(r.u16()?);
    let valid_until = from_day_number(r.u16()?);
    if valid_until < certified_on {
        return Err(MalformedError::Field("valid until"));
    }
    let tlen = r.byte()? as usize;
    let township = std::str::from_utf8(r.take(tlen)?)
        .ok()
        .filter(|t| valid_township(t))
        .ok_or(MalformedError::Field("township"))?
        .to_string();
    let id = MaskedId::from_bytes(r.take(8)?).ok_or(MalformedError::Field("identity number"))?;
    let nlen = r.byte()? as usize;
    if !(1..=8).contains(&nlen) {
        return Err(MalformedError::Field("name"));
    }
    let head = std::str::from_utf8(r.take(nlen)?)
        .ok()
        .filter(|h| MaskedName::valid_head(h))
        .ok_or(MalformedError::Field("name"))?
        .to_string();
    let hidden = r.byte()?;
    if !(1..=3).contains(&hidden) {
        return Err(MalformedError::Field("name"));
    }
    let body_end = r.pos;
    let sig: [u8; SIGNATURE_LEN] = r
        .take(SIGNATURE_LEN)?
        .try_into()
        .map_err(|_| MalformedError::Truncated(bytes.len()))?;
    if r.pos != bytes.len() {
        return Err(MalformedError::Trailing(bytes.len() - r.pos));
    }
    let proof = Proof {
        payload: ProofPayload {
            proof_id: ProofId(proof_id),
            name: MaskedName { head, hidden },
            id,
            township,
            certified_on,
            valid_until,
            assistance_type,
        },
        key_id: KeyId(key_id),
    };
    Ok((proof, &bytes[..body_end], Signature::from_bytes(&sig)))
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(SIGNING_CONTEXT.len() + body.len());
    m.extend_from_slice(SIGNING_CONTEXT);
    m.extend_from_slice(body);
    m
}

/// Signs a payload with the district key and returns the code for the QR.
pub fn issue(payload: &ProofPayload, key: &SigningKey) -> Result<String, IssueError> {
    let mut bytes = encode_body(payload, KeyId::of(&key.verifying_key()))?;
    let sig = key.sign(&signed_message(&bytes));
    bytes.extend_from_slice(&sig.to_bytes());
    Ok(format!("{PREFIX}{}", base32_encode(&bytes)))
}

fn decode_code(code: &str) -> Result<Vec<u8>, MalformedError> {
    let code = code.trim();
    let rest = code
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &code[PREFIX.len()..])
        .ok_or(MalformedError::Prefix)?;
    base32_decode(rest)
}

/// Reads a code without checking its signature (to pick the key by [`KeyId`], or to show what a
/// code claims). Never trust the result without [`verify`].
pub fn peek(code: &str) -> Result<Proof, MalformedError> {
    let bytes = decode_code(code)?;
    decode_body(&bytes).map(|(proof, _, _)| proof)
}

/// Checks a code against the district's verifying key on the given day (China time).
pub fn verify(code: &str, key: &VerifyingKey, today: NaiveDate) -> Verdict {
    let bytes = match decode_code(code) {
        Ok(b) => b,
        Err(e) => return Verdict::Malformed(e),
    };
    let (proof, body, sig) = match decode_body(&bytes) {
        Ok(x) => x,
        Err(e) => return Verdict::Malformed(e),
    };
    if proof.key_id != KeyId::of(key) || key.verify(&signed_message(body), &sig).is_err() {
        return Verdict::BadSignature {
            key_id: proof.key_id,
        };
    }
    if today > proof.payload.valid_until {
        Verdict::Expired(proof)
    } else {
        Verdict::Valid(proof)
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, without padding.
fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in data {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((acc >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((acc << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// RFC 4648 base32 without padding, either case; trailing `=` tolerated.
fn base32_decode(s: &str) -> Result<Vec<u8>, MalformedError> {
    let s = s.trim_end_matches('=');
    let n = s.chars().count();
    // Lengths 1, 3 and 6 (mod 8) are never produced.
    if matches!(n % 8, 1 | 3 | 6) {
        return Err(MalformedError::Length(n));
    }
    let mut out = Vec::with_capacity(n * 5 / 8);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for (i, c) in s.chars().enumerate() {
        let v = match c.to_ascii_uppercase() {
            u @ 'A'..='Z' => u as u32 - 'A' as u32,
            d @ '2'..='7' => d as u32 - '2' as u32 + 26,
            _ => {
                return Err(MalformedError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        };
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if acc != 0 {
        return Err(MalformedError::Padding);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn payload() -> ProofPayload {
        ProofPayload::new(
            ProofId([7; 16]),
            &PersonName::new("欧阳春花").unwrap(),
            &IdNumber::parse_at("11010519491231002X", d(2026, 1, 1)).unwrap(),
            "500102001",
            d(2026, 3, 2),
            d(2027, 3, 1),
            AssistanceType::Dibao,
        )
    }

    #[test]
    fn round_trip_is_valid_and_masked() {
        let k = key(1);
        let code = issue(&payload(), &k).unwrap();
        assert!(code.starts_with(PREFIX));
        assert!(
            code.len() <= MAX_CODE_LEN,
            "{} > {MAX_CODE_LEN}",
            code.len()
        );
        let Verdict::Valid(p) = verify(&code, &k.verifying_key(), d(2026, 6, 1)) else {
            panic!("not valid");
        };
        assert_eq!(p.payload, payload());
        assert_eq!(p.key_id, KeyId::of(&k.verifying_key()));
        assert_eq!(p.payload.name.to_string(), "欧阳**");
        assert_eq!(p.payload.id.to_string(), "1101**********002X");
        // The hidden middle of the number is nowhere in the decoded bytes.
        let bytes = decode_code(&code).unwrap();
        assert!(!bytes.windows(6).any(|w| w == b"051949"));
    }

    #[test]
    fn code_is_qr_alphanumeric() {
        let code = issue(&payload(), &key(1)).unwrap();
        let qr_alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        assert!(code.chars().all(|c| qr_alnum.contains(c)), "{code}");
    }

    #[rstest]
    #[case(d(2027, 3, 1), "valid")]
    #[case(d(2026, 3, 2), "valid")]
    #[case(d(2027, 3, 2), "expired")]
    fn validity_by_day(#[case] today: NaiveDate, #[case] want: &str) {
        let k = key(1);
        let code = issue(&payload(), &k).unwrap();
        assert_eq!(verify(&code, &k.verifying_key(), today).code(), want);
    }

    #[test]
    fn lower_case_and_whitespace_accepted() {
        let k = key(1);
        let code = issue(&payload(), &k).unwrap();
        let typed = format!("  {}\n", code.to_lowercase());
        assert_eq!(
            verify(&typed, &k.verifying_key(), d(2026, 6, 1)).code(),
            "valid"
        );
    }

    #[test]
    fn other_key_is_bad_signature() {
        let code = issue(&payload(), &key(1)).unwrap();
        let v = verify(&code, &key(2).verifying_key(), d(2026, 6, 1));
        assert_eq!(
            v,
            Verdict::BadSignature {
                key_id: KeyId::of(&key(1).verifying_key())
            }
        );
    }

    #[test]
    fn every_altered_byte_is_caught() {
        let k = key(3);
        let code = issue(&payload(), &k).unwrap();
        let bytes = decode_code(&code).unwrap();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let altered = format!("{PREFIX}{}", base32_encode(&b));
                let v = verify(&altered, &k.verifying_key(), d(2026, 6, 1));
                assert!(
                    matches!(v, Verdict::BadSignature { .. } | Verdict::Malformed(_)),
                    "byte {i} flip {flip:#x}: {v:?}"
                );
            }
        }
    }

    #[rstest]
    #[case("", MalformedError::Prefix)]
    #[case("JZP2:AAAA", MalformedError::Prefix)]
    #[case("JZP1:AB1C", MalformedError::Character { position: 3, found: '1' })]
    #[case("JZP1:A", MalformedError::Length(1))]
    #[case("JZP1:", MalformedError::Truncated(0))]
    #[case("JZP1:AE", MalformedError::Truncated(1))]
    #[case("JZP1:AI", MalformedError::Version(2))]
    #[case("JZP1:AJ", MalformedError::Padding)]
    fn malformed_codes(#[case] code: &str, #[case] want: MalformedError) {
        assert_eq!(
            verify(code, &key(1).verifying_key(), d(2026, 1, 1)),
            Verdict::Malformed(want)
        );
    }

    #[test]
    fn truncated_and_trailing() {
        let k = key(1);
        let code = issue(&payload(), &k).unwrap();
        let bytes = decode_code(&code).unwrap();
        let short = format!("{PREFIX}{}", base32_encode(&bytes[..bytes.len() - 1]));
        assert!(matches!(
            verify(&short, &k.verifying_key(), d(2026, 6, 1)),
            Verdict::Malformed(MalformedError::Truncated(_))
        ));
        let mut long = bytes.clone();
        long.push(0);
        let long = format!("{PREFIX}{}", base32_encode(&long));
        assert_eq!(
            verify(&long, &k.verifying_key(), d(2026, 6, 1)),
            Verdict::Malformed(MalformedError::Trailing(1))
        );
    }

    #[rstest]
    #[case("50010", true)]
    #[case("5001020011234", true)]
    #[case("50010A001", true)]
    #[case("500102001", false)]
    fn township_checked_at_issue(#[case] t: &str, #[case] bad: bool) {
        let mut p = payload();
        p.township = t.into();
        assert_eq!(issue(&p, &key(1)).is_err(), bad);
    }

    #[rstest]
    #[case(d(1999, 12, 31), d(2027, 1, 1))]
    #[case(d(2026, 1, 1), d(2025, 12, 31))]
    #[case(d(2026, 1, 1), d(2200, 1, 1))]
    fn bad_dates_refused(#[case] from: NaiveDate, #[case] until: NaiveDate) {
        let mut p = payload();
        p.certified_on = from;
        p.valid_until = until;
        assert!(matches!(issue(&p, &key(1)), Err(IssueError::Dates { .. })));
    }

    proptest! {
        #[test]
        fn base32_round_trip(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let s = base32_encode(&data);
            prop_assert_eq!(base32_decode(&s).unwrap(), data);
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
            let _ = verify(&s, &key(1).verifying_key(), d(2026, 1, 1));
            let _ = verify(&format!("JZP1:{s}"), &key(1).verifying_key(), d(2026, 1, 1));
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..200)) {
            let code = format!("{PREFIX}{}", base32_encode(&data));
            let _ = verify(&code, &key(1).verifying_key(), d(2026, 1, 1));
        }

        #[test]
        fn issued_payloads_round_trip(
            id in any::<[u8; 16]>(),
            name in "[\\u{4e00}-\\u{9fa5}]{1,6}",
            township in "[0-9]{6,12}",
            start in 0u16..40000,
            span in 0u16..1000,
            t in 1u8..=4,
        ) {
            let k = key(9);
            let p = ProofPayload {
                proof_id: ProofId(id),
                name: MaskedName::of(&PersonName::new(&name).unwrap()),
                id: MaskedId { head: *b"5001", tail: *b"123X" },
                township,
                certified_on: from_day_number(start),
                valid_until: from_day_number(start + span),
                assistance_type: type_from_code(t).unwrap(),
            };
            let code = issue(&p, &k).unwrap();
            prop_assert!(code.len() <= MAX_CODE_LEN);
            let v = verify(&code, &k.verifying_key(), p.certified_on);
            prop_assert_eq!(v, Verdict::Valid(Proof { payload: p, key_id: KeyId::of(&k.verifying_key()) }));
        }
    }
}
