//! The plugin manifest: `<name>.toml` beside `<name>.wasm`.
//!
//! ```toml
//! name = "price-band"
//! version = "0.1.0"
//! world = "market-rules"          # market-rules | bet-type | notifier
//! wit = "entrepot:plugin@0.2.0"
//! description = "..."
//! [applies]
//! markets = [1]                    # market-rules: markets to bind at load
//! bet_types = ["moneyline"]        # bet-type
//! events = ["order-filled"]        # notifier
//! [limits]                         # all optional
//! fuel = 2000000
//! memory_bytes = 16777216
//! deadline_ms = 50
//! host_calls = 64
//! output_bytes = 65536
//! [rules]
//! buy_window_ms = 14400000         # market-rules only
//! [config]                         # strings, integers, floats, booleans
//! band_bps = 1000
//! ```
//!
//! Parsing is strict (unknown keys, wrong types and keys of another world are errors):
//! a typo in a limit must not silently give a plugin the default.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::PluginError;
use crate::types::EventKind;

/// The one WIT package this host implements.
pub const SUPPORTED_WIT: &str = "entrepot:plugin@0.2.0";

/// Which world of the WIT package a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    MarketRules,
    BetType,
    Notifier,
}

impl World {
    pub const ALL: [World; 3] = [World::MarketRules, World::BetType, World::Notifier];

    pub fn as_str(self) -> &'static str {
        match self {
            World::MarketRules => "market-rules",
            World::BetType => "bet-type",
            World::Notifier => "notifier",
        }
    }

    fn parse(s: &str) -> Option<World> {
        World::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

impl std::fmt::Display for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-call limits. A call that exceeds one is cut off and counted as a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Wasm fuel per call (roughly one unit per instruction).
    pub fuel: u64,
    /// Linear memory cap for the instance (it persists across calls).
    pub memory_bytes: u64,
    /// Wall-clock deadline per call, in milliseconds (epoch ticks).
    pub deadline_ms: u64,
    /// Calls to the `host` imports (log, config, market-info) per call.
    pub host_calls: u32,
    /// Size of an answer (strings plus a fixed cost per record), in bytes.
    pub output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { fuel: 2_000_000, memory_bytes: 16 << 20, deadline_ms: 50, host_calls: 64, output_bytes: 65_536 }
    }
}

impl Limits {
    /// The largest values a manifest may ask for: one plugin must not be able to take the
    /// whole server's memory or stall the engine thread for seconds.
    pub const MAX: Limits = Limits { fuel: 1_000_000_000, memory_bytes: 1 << 30, deadline_ms: 1_000, host_calls: 1_000_000, output_bytes: 16 << 20 };

    fn check(&self) -> Result<(), String> {
        let fields = [
            ("fuel", self.fuel, Limits::MAX.fuel),
            ("memory_bytes", self.memory_bytes, Limits::MAX.memory_bytes),
            ("deadline_ms", self.deadline_ms, Limits::MAX.deadline_ms),
            ("host_calls", u64::from(self.host_calls), u64::from(Limits::MAX.host_calls)),
            ("output_bytes", self.output_bytes, Limits::MAX.output_bytes),
        ];
        for (key, value, max) in fields {
            if value == 0 || value > max {
                return Err(format!("[limits] {key} = {value} is out of range (1 to {max})"));
            }
        }
        Ok(())
    }
}

/// What the plugin applies to (`[applies]`); only the list of its own world may be set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Applies {
    /// market-rules: the markets the server binds to this plugin at load.
    pub markets: Vec<u32>,
    /// bet-type: the bet type names this plugin validates and settles.
    pub bet_types: Vec<String>,
    /// notifier: the event kinds this plugin is told about.
    pub events: Vec<EventKind>,
}

/// The parsed, checked manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub world: World,
    /// Always [`SUPPORTED_WIT`] once parsed.
    pub wit: String,
    pub description: String,
    pub applies: Applies,
    pub limits: Limits,
    /// `[rules] buy_window_ms` (market-rules only).
    pub buy_window_ms: Option<u64>,
    /// `[config]`, values rendered as strings, in key order (what `host.config()` returns).
    pub config: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: String,
    version: String,
    world: String,
    wit: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    applies: Applies,
    #[serde(default)]
    limits: Limits,
    rules: Option<RawRules>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    buy_window_ms: Option<u64>,
}

impl Manifest {
    /// Read and check the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, PluginError> {
        let text = std::fs::read_to_string(path).map_err(|source| PluginError::ReadManifest { path: path.to_owned(), source })?;
        Manifest::parse(&text, path)
    }

    /// Check the manifest text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, PluginError> {
        let invalid = |message: String| PluginError::Manifest { path: path.to_owned(), message };
        let raw: RawManifest = toml::from_str(text).map_err(|e| invalid(toml_error(&e, text)))?;

        if !is_plugin_name(&raw.name) {
            return Err(invalid(format!("name {:?} must start with a lowercase letter and hold only lowercase letters, digits and '-'", raw.name)));
        }
        if raw.version.trim().is_empty() {
            return Err(invalid("version must not be empty".into()));
        }
        if raw.wit != SUPPORTED_WIT {
            return Err(PluginError::WitVersion { path: path.to_owned(), name: raw.name, found: raw.wit });
        }
        let world = World::parse(&raw.world).ok_or_else(|| {
            invalid(format!("unknown world {:?}; supported worlds of {SUPPORTED_WIT} are: {}", raw.world, World::ALL.map(World::as_str).join(", ")))
        })?;
        raw.limits.check().map_err(invalid)?;

        let applies = raw.applies;
        let misplaced = [
            ("markets", !applies.markets.is_empty(), World::MarketRules),
            ("bet_types", !applies.bet_types.is_empty(), World::BetType),
            ("events", !applies.events.is_empty(), World::Notifier),
        ];
        for (key, set, owner) in misplaced {
            if set && world != owner {
                return Err(invalid(format!("[applies] {key} is for {owner} plugins; this one is a {world} plugin")));
            }
        }
        if world == World::BetType && applies.bet_types.is_empty() {
            return Err(invalid("a bet-type plugin must name its bet types: [applies] bet_types = [\"...\"]".into()));
        }
        if applies.bet_types.iter().any(std::string::String::is_empty) {
            return Err(invalid("[applies] bet_types must not contain an empty name".into()));
        }
        let buy_window_ms = raw.rules.and_then(|r| r.buy_window_ms);
        if buy_window_ms.is_some() && world != World::MarketRules {
            return Err(invalid(format!("[rules] is for market-rules plugins; this one is a {world} plugin")));
        }

        let mut config = Vec::with_capacity(raw.config.len());
        for (key, value) in raw.config {
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(invalid(format!("[config] {key} is a {}; only strings, integers, floats and booleans are allowed", other.type_str()))),
            };
            config.push((key, text));
        }

        Ok(Manifest {
            name: raw.name,
            version: raw.version,
            world,
            wit: raw.wit,
            description: raw.description,
            applies,
            limits: raw.limits,
            buy_window_ms,
            config,
        })
    }
}

/// A TOML error without the file's content: where (line, column) and the parser's words,
/// with every quoted fragment that comes from the file left out. The admin `PluginLoad`
/// takes any path the server can read, and its error goes back to the client: echoing the
/// offending line (what `toml`'s `Display` does) would hand out the first line of any file.
fn toml_error(e: &toml::de::Error, text: &str) -> String {
    let message = redact(e.message().trim_end(), text);
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// `message` with each `backticked` or "quoted" fragment that occurs in `text` replaced by `…`.
fn redact(message: &str, text: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('`');
        let Some(len) = rest[open + 1..].find(quote) else { break };
        let fragment = &rest[open + 1..open + 1 + len];
        out.push_str(&rest[..=open]);
        out.push_str(if !fragment.is_empty() && text.contains(fragment) { "…" } else { fragment });
        out.push(quote);
        rest = &rest[open + len + 2..];
    }
    out.push_str(rest);
    // Anything else the parser quoted from the file without marks: leave the words out.
    if text.lines().map(str::trim).any(|line| line.len() >= 8 && out.contains(line)) {
        return "not a valid plugin manifest".into();
    }
    out
}

fn is_plugin_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') && name.len() <= 64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, String> {
        Manifest::parse(text, Path::new("p.toml")).map_err(|e| e.to_string())
    }

    const BASE: &str = "name = \"x\"\nversion = \"0.1.0\"\nwit = \"entrepot:plugin@0.2.0\"\n";

    #[test]
    fn full_manifest() {
        let m = parse(&format!(
            "{BASE}world = \"market-rules\"\ndescription = \"d\"\n[applies]\nmarkets = [1, 2]\n[limits]\nfuel = 5\n\
             [rules]\nbuy_window_ms = 10\n[config]\nb = 1000\na = \"s\"\nc = true\nd = 1.5\n"
        ))
        .unwrap();
        assert_eq!(m.world, World::MarketRules);
        assert_eq!(m.applies.markets, vec![1, 2]);
        assert_eq!(m.limits, Limits { fuel: 5, ..Limits::default() });
        assert_eq!(m.buy_window_ms, Some(10));
        let config: Vec<(&str, &str)> = m.config.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(config, [("a", "s"), ("b", "1000"), ("c", "true"), ("d", "1.5")]);
    }

    #[test]
    fn clear_errors() {
        let cases = [
            (
                format!("{BASE}world = \"market-maker\"\n"),
                "unknown world \"market-maker\"; supported worlds of entrepot:plugin@0.2.0 are: market-rules, bet-type, notifier",
            ),
            // A plugin built against the previous package is refused, naming both versions.
            (
                BASE.replace("plugin@0.2.0", "plugin@0.1.0") + "world = \"notifier\"\n",
                "targets WIT package \"entrepot:plugin@0.1.0\", but this host supports \"entrepot:plugin@0.2.0\" only",
            ),
            (format!("{BASE}world = \"notifier\"\ncolour = 1\n"), "line 5, column 1: unknown field `…`"),
            (format!("{BASE}world = \"notifier\"\n[limits]\nfuel = \"lots\"\n"), "invalid type"),
            (format!("{BASE}world = \"notifier\"\n[limits]\nfuel = 0\n"), "[limits] fuel = 0 is out of range"),
            (format!("{BASE}world = \"notifier\"\n[limits]\nfule = 3\n"), "unknown field `…`"),
            (format!("{BASE}world = \"notifier\"\n[applies]\nmarkets = [1]\n"), "[applies] markets is for market-rules plugins"),
            (format!("{BASE}world = \"notifier\"\n[applies]\nevents = [\"order-placed\"]\n"), "unknown variant `…`"),
            (format!("{BASE}world = \"bet-type\"\n"), "must name its bet types"),
            (format!("{BASE}world = \"notifier\"\n[rules]\nbuy_window_ms = 1\n"), "[rules] is for market-rules plugins"),
            (format!("{BASE}world = \"notifier\"\n[config]\nx = [1]\n"), "[config] x is a array"),
            (BASE.replace("\"x\"", "\"Bad Name\"") + "world = \"notifier\"\n", "must start with a lowercase letter"),
        ];
        for (text, expected) in cases {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(expected), "{err:?} should contain {expected:?}");
            assert!(err.contains("p.toml"), "{err:?} should name the file");
        }
    }

    /// A file that is not a manifest: the error says where and what, never what is there.
    #[test]
    fn errors_echo_no_content() {
        let cases = [
            "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
            "password = \"hunter2-secret\"\n",
            "name = \"x\"\nversion = 7\n",
            "[database]\nurl = \"postgres://admin:s3cret@db\"\n",
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
        ];
        for text in cases {
            let err = parse(text).unwrap_err();
            for secret in ["root:x", "bin/bash", "hunter2", "password", "s3cret", "database", "MIIEv", "PRIVATE", "= 7"] {
                assert!(!err.contains(secret) || !text.contains(secret), "{err:?} echoes {secret:?} of the file");
            }
            assert!(err.contains("p.toml") && err.contains("line "), "{err:?}");
        }
    }
}
