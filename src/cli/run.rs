//! `jiuzhu-kiosk run`: the kiosk user interface.

pub fn run() -> anyhow::Result<()> {
    anyhow::bail!("the kiosk user interface is being assembled")
}
