//! `jiuzhu-kiosk proof verify <code> --key FILE [--today YYYY-MM-DD]`: checks a 社会救助身份证明
//! code offline with the district's public key (64 hex characters, base64 of the 32 key bytes, or
//! a PEM `PUBLIC KEY`). Exit 0 valid, 1 expired, 2 forged or altered or not a proof code.

use anyhow::Context;
use base64::Engine as _;
use chrono::NaiveDate;
use clap::Subcommand;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey;
use jiuzhu_core::proof::{self, KeyId, Verdict};

/// Proof tools.
#[derive(Debug, Subcommand)]
pub enum ProofCmd {
    /// Verify a proof code (what the QR on the printed proof holds).
    Verify {
        /// The code, `JZP1:…`.
        code: String,
        /// The district's public key file.
        #[arg(long)]
        key: std::path::PathBuf,
        /// Check validity on this day instead of today (China time).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
}

/// Reads a verifying key in any of the three accepted forms.
pub fn parse_key(text: &str) -> anyhow::Result<VerifyingKey> {
    let t = text.trim();
    if t.starts_with("-----BEGIN") {
        return VerifyingKey::from_public_key_pem(t).context("not an Ed25519 PEM PUBLIC KEY");
    }
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .context("the key is neither 64 hex characters, base64, nor PEM")?
    };
    let arr: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
        anyhow::anyhow!("the key has {} bytes; Ed25519 keys have 32", b.len())
    })?;
    VerifyingKey::from_bytes(&arr).context("not a valid Ed25519 public key")
}

/// Runs a proof subcommand and returns the process exit code.
pub fn run(cmd: ProofCmd) -> anyhow::Result<i32> {
    let ProofCmd::Verify { code, key, today } = cmd;
    let text = std::fs::read_to_string(&key)
        .with_context(|| format!("cannot read the key file {}", key.display()))?;
    let vk = parse_key(&text).with_context(|| format!("key file {}", key.display()))?;
    let today = today.unwrap_or_else(jiuzhu_core::id::today_in_china);
    let verdict = proof::verify(&code, &vk, today);
    let show = |p: &proof::Proof| {
        let pl = &p.payload;
        println!("姓名 name: {}", pl.name);
        println!("证件号码 id: {}", pl.id);
        println!("救助类别 type: {}", pl.assistance_type.label_zh());
        println!("乡镇 township: {}", pl.township);
        println!("认证日期 certified: {}", pl.certified_on);
        println!("有效期至 valid until: {}", pl.valid_until);
        println!("证明编号 proof id: {}", pl.proof_id);
    };
    Ok(match &verdict {
        Verdict::Valid(p) => {
            println!("有效 valid (signed by key {})", p.key_id);
            show(p);
            0
        }
        Verdict::Expired(p) => {
            println!(
                "已过期 expired on {} (signed by key {})",
                p.payload.valid_until, p.key_id
            );
            show(p);
            1
        }
        Verdict::BadSignature { key_id } if *key_id == KeyId::of(&vk) => {
            println!(
                "签名无效 bad signature: the content does not match the signature of key {key_id}; the code was altered or forged"
            );
            2
        }
        Verdict::BadSignature { key_id } => {
            println!(
                "签名无效 bad signature: the code names key {key_id} but the key file is {}; it is from another district key, or forged",
                KeyId::of(&vk)
            );
            2
        }
        Verdict::Malformed(e) => {
            println!("无法识别 malformed: {e}");
            2
        }
    })
}
