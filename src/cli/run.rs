//! `jiuzhu-kiosk run`: the kiosk user interface.

/// Options of `jiuzhu-kiosk run`.
#[derive(Debug, Default, clap::Args)]
pub struct RunArgs {}

pub fn run(_args: RunArgs) -> anyhow::Result<()> {
    anyhow::bail!("the kiosk user interface is being assembled")
}
