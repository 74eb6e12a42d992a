//! `jiuzhu-kiosk enroll --central URL --township CODE`: creates this kiosk's Ed25519 key (mode
//! 0600) and id, and prints what the district bureau registers on the central service.

use std::path::PathBuf;

use clap::Args;
use jiuzhu_kiosk::sync::client::{IdentityError, KioskIdentity, id_file_for};

/// Arguments of `enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Base URL of the central service, http:// or https://.
    #[arg(long)]
    pub central: String,
    /// Township (乡镇/街道) code of this kiosk: 9 or 12 digits.
    #[arg(long)]
    pub township: String,
    /// Where to write the key (`[central] key_file` in kiosk.toml).
    #[arg(long, default_value = "/var/lib/jiuzhu/kiosk.key")]
    pub key_file: PathBuf,
}

/// Runs `enroll` and returns the exit code (2 for invalid input or an existing key).
pub fn run(args: EnrollArgs) -> anyhow::Result<i32> {
    let township = args.township.trim();
    if !(township.len() == 9 || township.len() == 12)
        || !township.bytes().all(|b| b.is_ascii_digit())
    {
        eprintln!(
            "--township {township:?}: expected the 9- or 12-digit township code (GB/T 2260 + township part), e.g. 500102001"
        );
        return Ok(2);
    }
    let central = args.central.trim().trim_end_matches('/');
    if !(central.starts_with("https://") || central.starts_with("http://")) || central.len() < 10 {
        eprintln!(
            "--central {central:?}: expected the central service's base URL, e.g. https://jiuzhu.fuling.gov.cn"
        );
        return Ok(2);
    }
    let id = match KioskIdentity::create(&args.key_file, township) {
        Ok(id) => id,
        Err(e @ IdentityError::Exists { .. }) => {
            eprintln!("{e}");
            return Ok(2);
        }
        Err(e) => return Err(e.into()),
    };
    let pub_file = args.key_file.with_extension("pub");
    std::fs::write(&pub_file, id.public_key_pem())?;
    println!("本机已生成设备密钥 / kiosk key created");
    println!("  key file:     {} (mode 0600)", args.key_file.display());
    println!("  id file:      {}", id_file_for(&args.key_file).display());
    println!("  public key:   {}", pub_file.display());
    println!();
    println!("请区民政局登记以下信息 / give the district bureau these lines:");
    println!("  kiosk id:     {}", id.kiosk_id);
    println!("  township:     {township}");
    println!("  central:      {central}");
    println!("  public key:   {}", id.public_key_base64());
    println!("  fingerprint:  SHA256:{}", id.fingerprint());
    println!();
    println!(
        "  register:     jiuzhu-central kiosk add --db <central.db> --township {township} --name {} --pubkey {}",
        id.kiosk_id,
        pub_file.display()
    );
    println!(
        "                (copy the public key file to the central server, or paste the base64 line into a file)"
    );
    println!();
    println!(
        "kiosk.toml: [central] url = \"{central}\", key_file = \"{}\"",
        args.key_file.display()
    );
    Ok(0)
}
