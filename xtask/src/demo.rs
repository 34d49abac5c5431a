//! `cargo xtask run`'s plugin set: the bundled plugins a demo server loads at start, in
//! `<target>/demo-plugins` (the server reads it through `ENTREPOT_PLUGINS_DIR`). The
//! staging directory also holds the hostile test plugins, so the server is not pointed
//! there.

use std::path::{Path, PathBuf};

/// Copied as staged: the bet types (the demo fixtures use them) and the mail notifier.
const AS_STAGED: [&str; 5] = ["moneyline", "spread", "totals", "parlay", "mail-notifier"];

/// broker-fee decides the fees of these demo markets (WOOD, STONE, LEATHER); the others
/// keep the native maker/taker fees.
const BROKER_FEE_MARKETS: &str = "[4, 5, 6]";

/// broker-fee's demo schedule: 1 % to list (at least 0.01 GOLD), 0.5 % to relist, 2 % sales
/// tax on the seller.
const BROKER_FEE_CONFIG: [(&str, &str); 4] = [("broker_fee_bps", "100"), ("min_broker_fee", "1"), ("relist_fee_bps", "50"), ("sales_tax_bps", "200")];

/// Fill `<target>/demo-plugins` from the staged plugins; returns the directory.
pub fn plugins(staged: &Path, target: &Path) -> std::io::Result<PathBuf> {
    let dir = target.join("demo-plugins");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for name in AS_STAGED {
        for ext in ["wasm", "toml"] {
            std::fs::copy(staged.join(format!("{name}.{ext}")), dir.join(format!("{name}.{ext}")))?;
        }
    }
    std::fs::copy(staged.join("broker-fee.wasm"), dir.join("broker-fee.wasm"))?;
    let manifest = std::fs::read_to_string(staged.join("broker-fee.toml"))?;
    std::fs::write(dir.join("broker-fee.toml"), broker_fee_manifest(&manifest))?;
    Ok(dir)
}

/// The staged broker-fee manifest bound to the demo markets, with the demo schedule.
fn broker_fee_manifest(staged: &str) -> String {
    let mut out = String::new();
    for line in staged.lines() {
        let key = line.split('=').next().unwrap_or_default().trim();
        let value = match key {
            "markets" => Some(BROKER_FEE_MARKETS),
            _ => BROKER_FEE_CONFIG.iter().find(|(k, _)| *k == key).map(|(_, v)| *v),
        };
        match value {
            Some(v) => out.push_str(&format!("{key} = {v}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
