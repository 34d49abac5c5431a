//! The plugin's `[config]` table from its manifest, typed.
//!
//! The host hands the table over as key / value strings (TOML strings unquoted, integers
//! and booleans as written). [`get`] and [`get_or`] fetch the whole table with one host
//! call each; take a [`Config`] snapshot to read several keys with a single call.
//!
//! ```
//! # entrepot_sdk::testing::set_config("band_bps", 1000);
//! let band: u64 = entrepot_sdk::config::get("band_bps")?;
//! let strict: bool = entrepot_sdk::config::get_or("strict", false)?;
//! # assert_eq!((band, strict), (1000, false));
//! # Ok::<(), entrepot_sdk::config::ConfigError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// Why a config value could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The key is not in the manifest's `[config]` table.
    Missing {
        /// The key looked up.
        key: String,
    },
    /// The value does not parse as the requested type.
    Invalid {
        /// The key looked up.
        key: String,
        /// Its value in the manifest, as text.
        value: String,
        /// The name of the type it should have parsed as.
        expected: &'static str,
        /// The parser's error.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing { key } => {
                write!(f, "config key `{key}` is missing from the manifest's [config] table")
            }
            ConfigError::Invalid { key, value, expected, reason } => {
                write!(f, "config key `{key}` = {value:?} is not a valid {expected}: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A snapshot of the `[config]` table: one host call, then any number of lookups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    entries: std::borrow::Cow<'static, [(String, String)]>,
}

impl Config {
    /// Fetch the table from the host.
    pub fn load() -> Config {
        Config { entries: crate::host::config() }
    }

    /// A table built in memory (for tests and tools).
    pub fn from_entries(entries: Vec<(String, String)>) -> Config {
        Config { entries: entries.into() }
    }

    /// The raw string of `key`. If the host sent a key twice the last one wins.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// `key` parsed as `T`; an error if it is missing or malformed.
    pub fn get<T: FromStr>(&self, key: &str) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.raw(key) {
            Some(value) => parse(key, value),
            None => Err(ConfigError::Missing { key: key.to_owned() }),
        }
    }

    /// `key` parsed as `T`, or `default` if it is missing; still an error if malformed,
    /// so that a typo in the manifest is reported rather than silently ignored.
    pub fn get_or<T: FromStr>(&self, key: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.raw(key) {
            Some(value) => parse(key, value),
            None => Ok(default),
        }
    }

    /// Every key / value pair, in the order the host sent them.
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }
}

fn parse<T: FromStr>(key: &str, value: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    value.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        expected: short_type_name::<T>(),
        reason: e.to_string(),
    })
}

/// `u64` rather than `core::primitive::u64`, `Decimal` rather than its full path.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// A value derived from the `[config]` table, computed once per instance.
///
/// The table cannot change while an instance lives (a reload or a fault brings a fresh
/// instance), so parsing it on every hook call is wasted fuel — often most of a rule's
/// cost. In a `static`: `static SCHEDULE: Cached<Schedule> = Cached::new();` then
/// `SCHEDULE.get(Schedule::load)`. Natively (unit tests) it is recomputed on every call so
/// that each test's harness config applies.
pub struct Cached<T>(std::sync::OnceLock<T>);

impl<T: Clone> Cached<T> {
    /// An empty cache, for a `static`.
    pub const fn new() -> Self {
        Cached(std::sync::OnceLock::new())
    }

    /// The cached value, computed by `init` on first use (natively: computed every time,
    /// since the test harness may change the config between tests).
    pub fn get(&self, init: impl FnOnce() -> T) -> T {
        if cfg!(target_arch = "wasm32") {
            self.0.get_or_init(init).clone()
        } else {
            init()
        }
    }
}

impl<T: Clone> Default for Cached<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `key` parsed as `T` (one host call).
pub fn get<T: FromStr>(key: &str) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    Config::load().get(key)
}

/// `key` parsed as `T`, or `default` if missing (one host call).
pub fn get_or<T: FromStr>(key: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    Config::load().get_or(key, default)
}

/// The raw string of `key` (one host call).
pub fn raw(key: &str) -> Option<String> {
    Config::load().raw(key).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Config {
        Config::from_entries(vec![
            ("band_bps".into(), "1000".into()),
            ("name".into(), "iron".into()),
            ("strict".into(), "true".into()),
            ("bad".into(), "ten".into()),
        ])
    }

    #[test]
    fn typed_lookups() {
        let cfg = table();
        assert_eq!(cfg.get::<u64>("band_bps"), Ok(1000));
        assert_eq!(cfg.get::<String>("name").as_deref(), Ok("iron"));
        assert_eq!(cfg.get::<bool>("strict"), Ok(true));
        assert_eq!(cfg.get_or::<u32>("absent", 7), Ok(7));
    }

    #[test]
    fn errors_name_the_key_and_the_type() {
        let cfg = table();
        assert_eq!(cfg.get::<u64>("absent").unwrap_err().to_string(), "config key `absent` is missing from the manifest's [config] table");
        let invalid = cfg.get_or::<u64>("bad", 1).unwrap_err().to_string();
        assert_eq!(invalid, "config key `bad` = \"ten\" is not a valid u64: invalid digit found in string");
    }

    #[test]
    fn free_functions_read_the_harness() {
        let _h = crate::testing::Harness::new().config("limit", 25);
        assert_eq!(get::<u64>("limit"), Ok(25));
        assert_eq!(raw("limit").as_deref(), Some("25"));
    }
}
