//! `cargo xtask new-plugin <name> --world <world> [--dir <path>]`: a plugin project that
//! builds, passes its test and loads, with a trivial rule to replace.
//!
//! Under `plugins/` (the default place) the project joins the plugins workspace and is
//! staged by `cargo xtask plugins`; anywhere else it is a standalone crate (its own
//! `[workspace]` and release profile) with a path dependency on this repository's SDK.

use std::fs;
use std::path::{Path, PathBuf};

use crate::plugins::{is_plugin_name, workspace_members, WASM_TARGET};
use crate::{fail, repo_root};

const USAGE: &str = "usage: cargo xtask new-plugin <name> --world <market-rules|bet-type|notifier> [--dir <path>]";

pub fn main(args: &[&str]) {
    let (name, world, dir) = parse(args).unwrap_or_else(|e| fail(&format!("{e}\n{USAGE}")));
    let created = create(&name, world, dir).unwrap_or_else(|e| fail(&e));
    println!("created {} ({world} plugin `{name}`)", created.display());
    println!("  test natively:  cargo test --manifest-path {}/Cargo.toml", created.display());
    println!("  build:          cargo build --release --target {WASM_TARGET} --manifest-path {}/Cargo.toml", created.display());
    println!("  stage and load: cargo xtask plugins; entrepot admin plugin load <target-dir>/plugins/{name}.toml");
}

fn parse(args: &[&str]) -> Result<(String, &'static str, Option<PathBuf>), String> {
    let (mut name, mut world, mut dir) = (None, None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--world" => world = args.next().copied(),
            "--dir" => dir = args.next().map(PathBuf::from),
            flag if flag.starts_with('-') => return Err(format!("unknown flag {flag}")),
            plain if name.is_none() => name = Some(plain.to_owned()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    let name = name.ok_or("missing the plugin's name")?;
    if !is_plugin_name(&name) {
        return Err(format!("{name:?}: a plugin name is lowercase letters, digits and '-', starting with a letter"));
    }
    let world = match world.ok_or("missing --world")? {
        "market-rules" => "market-rules",
        "bet-type" => "bet-type",
        "notifier" => "notifier",
        other => return Err(format!("unknown world {other:?}")),
    };
    Ok((name, world, dir))
}

fn create(name: &str, world: &'static str, dir: Option<PathBuf>) -> Result<PathBuf, String> {
    let root = repo_root();
    let workspace = root.join("plugins");
    let dir = match dir {
        Some(dir) => std::env::current_dir().map_err(|e| e.to_string())?.join(dir),
        None => workspace.join(name),
    };
    if dir.exists() {
        return Err(format!("{} already exists", dir.display()));
    }
    let member = member_path(&workspace, &dir);
    let sdk = root.join("sdk").canonicalize().map_err(|e| format!("the SDK: {e}"))?;
    let cargo_toml = match &member {
        Some(_) => cargo_toml(name, world, "entrepot-sdk.workspace = true", ""),
        None => cargo_toml(name, world, &format!("entrepot-sdk = {{ path = {:?} }}", sdk.display().to_string()), STANDALONE),
    };
    let files = [("Cargo.toml", cargo_toml), ("plugin.toml", manifest(name, world)), ("src/lib.rs", lib_rs(name, world))];
    fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (file, text) in files {
        fs::write(dir.join(file), text).map_err(|e| format!("{file}: {e}"))?;
    }
    if member.is_none() {
        fs::write(dir.join(".gitignore"), "target/\n").map_err(|e| e.to_string())?;
    }
    if let Some(member) = member {
        add_member(&workspace.join("Cargo.toml"), &member)?;
    }
    Ok(dir)
}

/// `dir` relative to the plugins workspace, if it lies inside it.
fn member_path(workspace: &Path, dir: &Path) -> Option<String> {
    let workspace = workspace.canonicalize().ok()?;
    // `dir` does not exist yet: resolve its nearest existing ancestor.
    let mut existing = dir.to_path_buf();
    let mut tail = Vec::new();
    while !existing.exists() {
        tail.push(existing.file_name()?.to_owned());
        existing = existing.parent()?.to_path_buf();
    }
    let mut full = existing.canonicalize().ok()?;
    full.extend(tail.iter().rev());
    let relative = full.strip_prefix(&workspace).ok()?;
    Some(relative.to_str()?.replace('\\', "/"))
}

/// Append `member` to the workspace's `members = [...]`, one entry per line.
fn add_member(manifest_path: &Path, member: &str) -> Result<(), String> {
    let text = fs::read_to_string(manifest_path).map_err(|e| e.to_string())?;
    if workspace_members(&text).iter().any(|m| m == member) {
        return Ok(());
    }
    let start = text.find("members").ok_or("plugins/Cargo.toml has no members")?;
    let close = start + text[start..].find(']').ok_or("plugins/Cargo.toml: unterminated members")?;
    let before = text[..close].trim_end();
    let comma = if before.ends_with(['[', ',']) { "" } else { "," };
    let updated = format!("{before}{comma}\n    \"{member}\",\n{}", &text[close..]);
    fs::write(manifest_path, updated).map_err(|e| e.to_string())
}

fn type_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

fn fill(template: &str, name: &str, world: &str) -> String {
    template.replace("{name}", name).replace("{Type}", &type_name(name)).replace("{world}", world)
}

const STANDALONE: &str = r#"
# A project of its own, outside any workspace.
[workspace]

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
"#;

fn cargo_toml(name: &str, world: &str, sdk_dependency: &str, extra: &str) -> String {
    let text = r#"[package]
name = "{name}"
description = "An Entrepot {world} plugin."
version = "0.1.0"
edition = "2021"
publish = false

[lib]
# cdylib: the wasm component; rlib: so that native unit tests link.
crate-type = ["cdylib", "rlib"]

[dependencies]
"#;
    format!("{}{sdk_dependency}\n{extra}", fill(text, name, world))
}

fn manifest(name: &str, world: &str) -> String {
    let head = r#"name = "{name}"
version = "0.1.0"
world = "{world}"
wit = "entrepot:plugin@0.2.0"
description = "TODO: what this plugin does."
"#;
    let tail = match world {
        "market-rules" => "\n[applies]\nmarkets = []            # market ids bound at load\n\n[config]\nmax_lots = 1000\n",
        "bet-type" => "\n[applies]\nbet_types = [\"{name}\"]\n",
        _ => "\n[applies]\nevents = [\"order-filled\"]\n",
    };
    fill(&format!("{head}{tail}"), name, world)
}

fn lib_rs(name: &str, world: &str) -> String {
    let template = match world {
        "market-rules" => MARKET_RULES,
        "bet-type" => BET_TYPE,
        _ => NOTIFIER,
    };
    fill(template, name, world)
}

const MARKET_RULES: &str = r#"//! {name}: market rules. Replace the rule below with yours; see the SDK guide
//! (sdk/README.md) for the hooks, units and limits.
//!
//! Config: `max_lots`, the largest order in lots (default 1000).

use entrepot_sdk::market_rules::{
    AccountView, Fees, Guest, Listing, MarketStatus, MarketView, OrderCheck, Trade, Verdict,
};

pub struct {Type};

impl Guest for {Type} {
    fn check_order(_market: MarketView, _account: AccountView, order: OrderCheck) -> Verdict {
        match entrepot_sdk::config::get_or::<u64>("max_lots", 1000) {
            Ok(max) if order.quantity > max => Verdict::reject(format!("orders are limited to {max} lots")),
            Ok(_) => Verdict::Accept,
            Err(e) => Verdict::reject(e.to_string()),
        }
    }

    fn trade_fees(_market: MarketView, _trade: Trade) -> Fees {
        Fees::ZERO
    }

    fn listing_fee(_market: MarketView, _listing: Listing) -> u64 {
        0
    }

    fn on_market_status(_market: u32, _status: MarketStatus) {}
}

entrepot_sdk::export_market_rules!({Type});

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::market_rules::Side;
    use entrepot_sdk::testing::{self, Harness};

    #[test]
    fn refuses_orders_above_max_lots() {
        let _host = Harness::new().config("max_lots", 10);
        let check = |lots| {Type}::check_order(MarketView::default(), AccountView::default(), testing::limit(Side::Buy, 100, lots));
        assert_eq!(check(10), Verdict::Accept);
        assert_eq!(check(11), Verdict::Reject("orders are limited to 10 lots".into()));
    }
}
"#;

const BET_TYPE: &str = r#"//! {name}: a bet type. Replace the rule below with yours; see the SDK guide
//! (sdk/README.md) for the hooks and outcomes.
//!
//! The rule: pick the participant with the highest score; a shared top score is a push,
//! an abandoned event voids the bet.

use entrepot_sdk::bet_type::{BetSpec, EventResult, Guest, Outcome};

pub struct {Type};

impl Guest for {Type} {
    fn validate(spec: BetSpec) -> Result<(), String> {
        if spec.participants.contains(&spec.selection) {
            Ok(())
        } else {
            Err(format!("pick one of {}", spec.participants.join(", ")))
        }
    }

    fn settle(spec: BetSpec, result: EventResult) -> Outcome {
        if !result.completed {
            return Outcome::Void;
        }
        let Some(top) = result.scores.iter().map(|s| s.score).max() else { return Outcome::Void };
        let leaders: Vec<&str> = result.scores.iter().filter(|s| s.score == top).map(|s| s.participant.as_str()).collect();
        match leaders.as_slice() {
            [winner] if *winner == spec.selection => Outcome::Win,
            [_] => Outcome::Lose,
            _ => Outcome::Push,
        }
    }
}

entrepot_sdk::export_bet_type!({Type});

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::bet_type::ParticipantScore;

    fn spec(selection: &str) -> BetSpec {
        BetSpec { participants: vec!["Reds".into(), "Blues".into()], selection: selection.into(), line: None, params: vec![] }
    }

    fn result(reds: i64, blues: i64) -> EventResult {
        let score = |participant: &str, score| ParticipantScore { participant: participant.into(), score };
        EventResult { scores: vec![score("Reds", reds), score("Blues", blues)], completed: true }
    }

    #[test]
    fn the_top_score_wins() {
        assert_eq!({Type}::validate(spec("Reds")), Ok(()));
        assert!({Type}::validate(spec("Greens")).is_err());
        assert_eq!({Type}::settle(spec("Reds"), result(2, 1)), Outcome::Win);
        assert_eq!({Type}::settle(spec("Blues"), result(2, 1)), Outcome::Lose);
        assert_eq!({Type}::settle(spec("Reds"), result(1, 1)), Outcome::Push);
    }
}
"#;

const NOTIFIER: &str = r#"//! {name}: a notifier. Replace the messages below with yours; see the SDK guide
//! (sdk/README.md) for the events and channels.

use entrepot_sdk::notifier::{Channel, Event, Guest, Notification, Side};

pub struct {Type};

impl Guest for {Type} {
    fn on_event(event: Event) -> Vec<Notification> {
        match event {
            Event::OrderFilled(fill) => {
                let verb = if fill.side == Side::Buy { "bought" } else { "sold" };
                vec![Notification {
                    channel: Channel::InGame,
                    account: fill.account,
                    subject: format!("Order {} filled", fill.order),
                    body: format!("You {verb} {} {} at {}.", fill.quantity, fill.symbol, fill.price),
                }]
            }
            _ => Vec::new(),
        }
    }
}

entrepot_sdk::export_notifier!({Type});

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_sdk::notifier::OrderFilled;

    #[test]
    fn fills_become_in_game_messages() {
        let fill = OrderFilled {
            account: 1, order: 42, market: 1, symbol: "IRON/GOLD".into(), side: Side::Sell,
            price: "12.50".into(), quantity: "5".into(), remaining: 0,
        };
        let sent = {Type}::on_event(Event::OrderFilled(fill));
        assert_eq!(sent[0].body, "You sold 5 IRON/GOLD at 12.50.");
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arguments() {
        let (name, world, dir) = parse(&["my-rule", "--world", "bet-type", "--dir", "x/y"]).unwrap();
        assert_eq!((name.as_str(), world, dir), ("my-rule", "bet-type", Some(PathBuf::from("x/y"))));
        assert!(parse(&["my-rule"]).unwrap_err().contains("--world"));
        assert!(parse(&["My", "--world", "notifier"]).is_err());
        assert!(parse(&["a", "--world", "rules"]).unwrap_err().contains("unknown world"));
    }

    #[test]
    fn adds_members_once() {
        let dir = std::env::temp_dir().join(format!("xtask-new-plugin-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        fs::write(&manifest, "[workspace]\nmembers = [\n    \"a\",\n    \"b\"\n]\n\n[profile.release]\n").unwrap();
        add_member(&manifest, "c/d").unwrap();
        add_member(&manifest, "c/d").unwrap();
        let text = fs::read_to_string(&manifest).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        assert_eq!(text, "[workspace]\nmembers = [\n    \"a\",\n    \"b\",\n    \"c/d\",\n]\n\n[profile.release]\n");
    }

    #[test]
    fn templates_name_the_type_after_the_plugin() {
        assert_eq!(type_name("my-first-rule"), "MyFirstRule");
        assert!(lib_rs("my-rule", "market-rules").contains("export_market_rules!(MyRule)"));
        assert!(manifest("odds", "bet-type").contains("bet_types = [\"odds\"]"));
    }
}
