//! Reading kiosk public keys from files: 64 hex characters, base64 of the 32 key bytes, or a
//! PEM `PUBLIC KEY` (SubjectPublicKeyInfo).

use base64::Engine as _;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey;

/// Why a key file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not an Ed25519 public key ({0}); give 64 hex characters, base64 of 32 bytes, or a PEM PUBLIC KEY"
)]
pub struct KeyError(pub String);

/// Parses the text of a public-key file.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(t).map_err(|e| KeyError(e.to_string()));
    }
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t).map_err(|e| KeyError(e.to_string()))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .map_err(|e| KeyError(e.to_string()))?
    };
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|v: Vec<u8>| KeyError(format!("{} bytes instead of 32", v.len())))?;
    VerifyingKey::from_bytes(&arr).map_err(|e| KeyError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::EncodePublicKey;

    #[test]
    fn three_forms() {
        let vk = SigningKey::from_bytes(&[4; 32]).verifying_key();
        let pem = vk
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(vk.as_bytes());
        for text in [hex::encode(vk.as_bytes()), b64, pem] {
            assert_eq!(parse_public_key(&format!("{text}\n")).unwrap(), vk);
        }
        assert!(parse_public_key("abcd").is_err());
        assert!(parse_public_key("").is_err());
    }
}
