//! Scenario files: TOML in, a validated [`Scenario`] out.
//!
//! Loading is parse → apply `--set a.b=value` overrides on the raw TOML tree → deserialize
//! (every table denies unknown keys) → validate cross references. Every error names the
//! file and the field (and, for syntax and type errors in the file itself, the line).

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::Error;

/// A whole scenario, as written by a designer.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown in the report; defaults to the file's stem.
    #[serde(default)]
    pub name: Option<String>,
    /// Seed, duration and sampling.
    pub run: RunSpec,
    /// Currencies and items, in the order they are created.
    #[serde(rename = "asset", default)]
    pub assets: Vec<AssetDef>,
    /// Markets, in the order they are created.
    #[serde(rename = "market", default)]
    pub markets: Vec<MarketDef>,
    /// Agent populations.
    #[serde(default)]
    pub agents: Vec<AgentDef>,
}

/// `[run]`: seed, game-time duration, sample period.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Seed of every agent's stream (never the clock).
    #[serde(default = "one")]
    pub seed: u64,
    /// Game days; added to `hours` and `minutes`.
    #[serde(default)]
    pub days: u64,
    /// Game hours.
    #[serde(default)]
    pub hours: u64,
    /// Game minutes.
    #[serde(default)]
    pub minutes: u64,
    /// Metrics and the ledger check run every this many game minutes.
    #[serde(default = "sixty")]
    pub sample_minutes: u64,
}

impl RunSpec {
    /// The run's length in game milliseconds.
    pub fn duration_ms(&self) -> u64 {
        ((self.days * 24 + self.hours) * 60 + self.minutes) * MINUTE_MS
    }
}

/// One game minute in engine milliseconds.
pub const MINUTE_MS: u64 = 60_000;

fn one() -> u64 {
    1
}
fn sixty() -> u64 {
    60
}

/// `[[asset]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetDef {
    /// "GOLD", "COPPER".
    pub symbol: String,
    /// Decimal places of one whole unit.
    pub decimals: u8,
    /// Currency (quote of markets) or item (base of markets).
    pub kind: AssetKindDef,
}

/// `kind = "currency" | "item"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKindDef {
    /// Money.
    Currency,
    /// A good.
    Item,
}

/// `[[market]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketDef {
    /// "BASE/QUOTE", both declared assets.
    pub symbol: String,
    /// Price step in quote per whole base unit.
    #[serde(deserialize_with = "decimal")]
    pub tick: Decimal,
    /// Quantity step in base units.
    #[serde(deserialize_with = "decimal")]
    pub lot: Decimal,
    /// Fee of the resting side, basis points.
    #[serde(default)]
    pub maker_fee_bps: u32,
    /// Fee of the incoming side, basis points.
    #[serde(default)]
    pub taker_fee_bps: u32,
}

/// What an agent population does (see `agents.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Archetype {
    /// Random side, price around last/mid.
    Noise,
    /// Quotes both sides around a belief, cancels and requotes.
    MarketMaker,
    /// Buys below a hidden fair value, sells above.
    Value,
    /// Mints items (the faucet) and sells them.
    Gatherer,
    /// Buys items and burns them (the sink).
    Consumer,
}

/// `[[agents]]`: `count` agents of one archetype in one market.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDef {
    /// What they do.
    pub archetype: Archetype,
    /// How many (positive).
    pub count: u32,
    /// The market symbol they trade in.
    pub market: String,
    /// Game minutes between decisions (each one jittered by ±50 %).
    #[serde(default = "ten")]
    pub every_minutes: u64,
    /// Price in quote per whole base unit the archetype anchors on (required by
    /// market makers, value traders, gatherers and consumers; noise uses it before the
    /// first trade).
    #[serde(default, deserialize_with = "opt_decimal")]
    pub fair_value: Option<Decimal>,
    /// Width around the anchor, basis points (quote spread, price noise, hidden value spread).
    #[serde(default = "two_hundred")]
    pub spread_bps: u64,
    /// Largest order (or production/consumption batch) in lots.
    #[serde(default = "five")]
    pub order_size: u64,
    /// Noise traders: percent of orders sent as market orders.
    #[serde(default = "twenty")]
    pub market_order_percent: u64,
    /// Value traders: how far below/above their fair value a price must be to act, bps.
    #[serde(default = "hundred")]
    pub edge_bps: u64,
    /// Consumers: quote currency minted to each of them every decision (wages, a money
    /// faucet); 0 = none.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub income: Option<Decimal>,
    /// Starting balances by asset symbol: `[agents.start] GOLD = "100"`.
    #[serde(default, deserialize_with = "decimal_map")]
    pub start: BTreeMap<String, Decimal>,
}

fn ten() -> u64 {
    10
}
fn five() -> u64 {
    5
}
fn twenty() -> u64 {
    20
}
fn hundred() -> u64 {
    100
}
fn two_hundred() -> u64 {
    200
}

/// A decimal written as a string ("0.01", exact) or a TOML number.
#[derive(Deserialize)]
#[serde(untagged)]
enum DecimalRepr {
    Text(String),
    Int(i64),
    Float(f64),
}

impl DecimalRepr {
    fn to_decimal<E: serde::de::Error>(&self) -> Result<Decimal, E> {
        let text = match self {
            DecimalRepr::Text(s) => s.clone(),
            DecimalRepr::Int(i) => i.to_string(),
            DecimalRepr::Float(f) => f.to_string(),
        };
        text.trim().parse::<Decimal>().map_err(|e| E::custom(format!("`{text}` is not a decimal number: {e}")))
    }
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    DecimalRepr::deserialize(d)?.to_decimal()
}

fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    DecimalRepr::deserialize(d)?.to_decimal().map(Some)
}

fn decimal_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    BTreeMap::<String, DecimalRepr>::deserialize(d)?.into_iter().map(|(k, v)| Ok((k, v.to_decimal()?))).collect()
}

impl Scenario {
    /// Read, override, deserialize and validate a scenario file.
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, Error> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Scenario { file: file.clone(), message: format!("cannot read: {e}") })?;
        let mut scenario = Scenario::parse(&text, overrides).map_err(|message| Error::Scenario { file, message })?;
        if scenario.name.is_none() {
            scenario.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        }
        Ok(scenario)
    }

    /// Parse scenario text with `key.path=value` overrides; the error is the message
    /// without the file name.
    pub fn parse(text: &str, overrides: &[String]) -> Result<Scenario, String> {
        let scenario: Scenario = if overrides.is_empty() {
            // Straight from the text, so that errors carry line and column.
            toml::from_str(text).map_err(|e| e.to_string())?
        } else {
            let mut value: toml::Value = toml::from_str(text).map_err(|e| e.to_string())?;
            for o in overrides {
                apply_override(&mut value, o)?;
            }
            // Back through text, so that a type error shows the offending key and value
            // (line numbers are then those of the overridden document).
            let merged = toml::to_string(&value).map_err(|e| format!("after --set {}: {e}", overrides.join(" ")))?;
            toml::from_str(&merged).map_err(|e| format!("after --set {}: {e}", overrides.join(" ")))?
        };
        scenario.validate()?;
        Ok(scenario)
    }

    /// Cross-reference and range checks; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.run.duration_ms() == 0 {
            return Err("run: the duration is zero; set run.days, run.hours or run.minutes".into());
        }
        if self.run.sample_minutes == 0 {
            return Err("run.sample_minutes must be positive".into());
        }
        for (i, a) in self.assets.iter().enumerate() {
            if a.symbol.is_empty() {
                return Err(format!("asset[{i}].symbol is empty"));
            }
            if self.assets[..i].iter().any(|b| b.symbol == a.symbol) {
                return Err(format!("asset[{i}].symbol: `{}` is declared twice", a.symbol));
            }
            if a.decimals > 18 {
                return Err(format!("asset[{i}].decimals: at most 18"));
            }
        }
        for (i, m) in self.markets.iter().enumerate() {
            let (base, quote) = m.symbol.split_once('/').ok_or_else(|| format!("market[{i}].symbol: `{}` is not BASE/QUOTE", m.symbol))?;
            let kind = |s: &str| self.assets.iter().find(|a| a.symbol == s).map(|a| a.kind);
            match (kind(base), kind(quote)) {
                (None, _) => return Err(format!("market[{i}].symbol: unknown asset `{base}`")),
                (_, None) => return Err(format!("market[{i}].symbol: unknown asset `{quote}`")),
                (Some(AssetKindDef::Item), Some(AssetKindDef::Currency)) => {}
                _ => return Err(format!("market[{i}].symbol: `{}` must be ITEM/CURRENCY", m.symbol)),
            }
            if self.markets[..i].iter().any(|n| n.symbol == m.symbol) {
                return Err(format!("market[{i}].symbol: `{}` is declared twice", m.symbol));
            }
            if m.tick <= Decimal::ZERO || m.lot <= Decimal::ZERO {
                return Err(format!("market[{i}]: tick and lot must be positive"));
            }
        }
        for (i, a) in self.agents.iter().enumerate() {
            let at = format!("agents[{i}]");
            if a.count == 0 {
                return Err(format!("{at}.count must be positive"));
            }
            if !self.markets.iter().any(|m| m.symbol == a.market) {
                return Err(format!("{at}.market: unknown market `{}`", a.market));
            }
            if a.every_minutes == 0 {
                return Err(format!("{at}.every_minutes must be positive"));
            }
            if a.order_size == 0 {
                return Err(format!("{at}.order_size must be positive"));
            }
            if a.spread_bps >= 10_000 || a.edge_bps >= 10_000 {
                return Err(format!("{at}: spread_bps and edge_bps must be below 10000"));
            }
            if a.market_order_percent > 100 {
                return Err(format!("{at}.market_order_percent must be at most 100"));
            }
            match a.fair_value {
                None if a.archetype != Archetype::Noise => return Err(format!("{at}.fair_value is required for {:?}", a.archetype)),
                Some(v) if v <= Decimal::ZERO => return Err(format!("{at}.fair_value must be positive")),
                _ => {}
            }
            if a.income.is_some_and(|v| v < Decimal::ZERO) {
                return Err(format!("{at}.income must not be negative"));
            }
            for (symbol, amount) in &a.start {
                if !self.assets.iter().any(|s| &s.symbol == symbol) {
                    return Err(format!("{at}.start.{symbol}: unknown asset"));
                }
                if *amount < Decimal::ZERO {
                    return Err(format!("{at}.start.{symbol} must not be negative"));
                }
            }
        }
        Ok(())
    }
}

/// Apply one `a.b.0.c=value` to the raw tree. Tables on the way are created when missing
/// (deserialization then rejects unknown keys by name); array indices must exist. The value
/// is a TOML literal (`50`, `true`, `"x"`), or a bare string; where the file already has a
/// string it stays a string.
pub fn apply_override(root: &mut toml::Value, spec: &str) -> Result<(), String> {
    let (path, raw) = spec.split_once('=').ok_or_else(|| format!("--set {spec}: expected key.path=value"))?;
    let keys: Vec<&str> = path.trim().split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(format!("--set {spec}: empty key in `{path}`"));
    }
    let mut at = root;
    for (depth, key) in keys.iter().enumerate() {
        let here = keys[..=depth].join(".");
        let last = depth + 1 == keys.len();
        at = match at {
            toml::Value::Table(t) => {
                if !t.contains_key(*key) {
                    if last {
                        t.insert((*key).to_string(), toml::Value::String(String::new()));
                    } else {
                        t.insert((*key).to_string(), toml::Value::Table(toml::Table::new()));
                    }
                }
                t.get_mut(*key).expect("inserted above")
            }
            toml::Value::Array(items) => {
                let n = items.len();
                let ix: usize = key.parse().map_err(|_| format!("--set {spec}: `{here}`: `{key}` is not an index of a list"))?;
                items.get_mut(ix).ok_or_else(|| format!("--set {spec}: `{here}`: no element {ix} (the list has {n})"))?
            }
            _ => return Err(format!("--set {spec}: `{}` is a value, not a table or list", keys[..depth].join("."))),
        };
    }
    let raw = raw.trim();
    *at = match at {
        toml::Value::String(existing) if !existing.is_empty() => toml::Value::String(raw.trim_matches('"').to_string()),
        _ => parse_literal(raw),
    };
    Ok(())
}

fn parse_literal(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}")).ok().and_then(|mut t| t.remove("v")).unwrap_or_else(|| toml::Value::String(raw.to_string()))
}
