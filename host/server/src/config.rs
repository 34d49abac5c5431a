//! Server configuration: embedded defaults, then a TOML file, then `ENTREPOT_*`
//! environment variables, then command-line flags (each overrides the one before).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where the redb file, the TLS certificate and the mail folder live.
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// PEM certificate chain and key for production; without them a self-signed
    /// certificate is generated once and kept in `<data_dir>/tls`.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// Group commit: at most this many commands per durable transaction...
    pub commit_max_batch: usize,
    /// ...and at most this long (µs) waiting for more after the first. 0 (the default)
    /// commits whatever queued up while the previous commit was being written.
    pub commit_max_wait_us: u64,
    /// Write an engine snapshot every this many commands.
    pub snapshot_every: u64,
    /// Retention of the account event log (what `SubscribeAccount` resumes from): the
    /// newest this many pushes of each account are kept, older ones deleted as new ones
    /// are written. 0 keeps everything (the log then grows without bound).
    pub account_events_keep: u64,
    /// The most old account events deleted in one journal transaction (bounds the work a
    /// backlog adds to one commit; the rest goes in the next ones).
    pub account_events_prune_batch: usize,
    pub session_ttl_secs: u64,
    /// Requests per second allowed per connection and per account (bursts of 2 s).
    pub rate_per_connection: u32,
    pub rate_per_account: u32,
    /// Failed logins allowed per account (and 4× per address) within the window before a lockout of the same length.
    pub lockout_failures: u32,
    pub lockout_window_secs: u64,
    /// Failed logins allowed per e-mail address from all client addresses together within
    /// the window (against guessing from many addresses). Admin accounts have no such
    /// ceiling, so that no outsider can lock the operator out (their failures lock only
    /// their own client address: `lockout_failures` per address and account).
    pub lockout_account_failures: u32,
    /// Password hashes (argon2id, ~19 MiB and tens of ms each) computed at once,
    /// server-wide; the rest wait their turn. 0: one per core minus one for the engine
    /// and network threads (at least 1).
    pub hash_concurrency: usize,
    /// Sign-up, login and password-reset requests per second per client IP address
    /// (bursts of 2 s), refused with `RateLimited` before any hashing.
    pub auth_rate_per_address: u32,
    /// The same per connection.
    pub auth_rate_per_connection: u32,
    /// At most one account mail (password reset, "someone tried to sign up with your
    /// address") per e-mail address within this many seconds; further requests are
    /// answered the same and mail nothing.
    pub account_mail_interval_secs: u64,
    /// Minted into every account when its e-mail is confirmed: (asset id, amount).
    pub starting_cash: Vec<(u32, String)>,
    /// Create the demo assets and markets on a fresh data directory.
    pub demo_markets: bool,
    /// With `demo_markets`: also create a few demo fixtures open for betting on the first
    /// start, if the bet-type plugins they use (moneyline, spread, totals) are loaded.
    pub demo_fixtures: bool,
    /// Let players log in before confirming their e-mail (handy for local testing).
    pub allow_unconfirmed_login: bool,
    /// Maximum simultaneous connections; a connection attempt beyond it is refused
    /// (QUIC `CONNECTION_REFUSED`) before its handshake.
    pub max_connections: u32,
    /// Maximum simultaneous connections from one IP address (refused the same way).
    pub max_connections_per_address: u32,
    /// Market streams one connection may hold (`TooManySubscriptions` beyond). With the
    /// topic streams and the one account stream it stays within the 100 concurrent
    /// incoming streams a QUIC client allows by default.
    pub max_market_subscriptions: u32,
    /// Fixture and group streams one connection may hold (`TooManySubscriptions` beyond).
    pub max_topic_subscriptions: u32,
    /// Durable commands whose pushes may wait for the fanout thread; beyond it every live
    /// subscriber is dropped (and resumes from its cursor) rather than the journal wait.
    pub fanout_queue: usize,
    /// Pushes one subscriber may be behind before its stream is ended (it resumes from its
    /// cursor).
    pub push_queue: usize,
    /// Plugins loaded at start: every `<name>.toml` manifest here with its `<name>.wasm`
    /// (default `<data_dir>/plugins`; a missing directory means no plugins).
    pub plugins_dir: Option<PathBuf>,
    /// Where e-mail goes: an SMTP relay URL (`smtp://host:port`, `smtp://host:port?tls=required`
    /// for STARTTLS, `smtps://host:port`, optionally with `user:password@`). Without one,
    /// mail is written to the maildir `<data_dir>/mail`.
    pub smtp_relay: Option<String>,
    /// The sender of every e-mail.
    pub mail_from: String,
    /// Longest wait between two delivery attempts of a mail (ms); the waits double from 1 s.
    pub mail_retry_max_ms: u64,
    /// Groups a player may own at once (not ended); `CreateGroup` beyond is `QuotaExceeded`.
    pub max_groups_owned: u32,
    /// Groups a player may belong to at once as member or admin (not ended, not left);
    /// `Join` beyond is `QuotaExceeded`.
    pub max_groups_joined: u32,
    /// Delivery attempts of a mail before it becomes a dead letter (`entrepot
    /// dead-letters`); a permanent refusal (SMTP 5xx, an unsendable address) makes it one
    /// at once.
    pub mail_max_attempts: u32,
    /// Metric sampling interval (game ms): one sample of every metric per interval, 24
    /// hours of them kept. Must divide a day. Changing it drops the metric history on the
    /// next start (the derived data is rebuilt from the journal).
    pub marketdata_sample_ms: u64,
    /// Candles kept per market and interval (at least 1,441).
    pub candle_retention: usize,
    /// Price alerts one player may have (`AddAlert` beyond is `QuotaExceeded`).
    pub max_alerts_per_account: u32,
    /// The operator's alert rules (`[[alert_rules]]`), evaluated at every sample on every
    /// metric whose name matches.
    pub alert_rules: Vec<AlertRuleConfig>,
}

/// `[[alert_rules]]`: `measure` of every metric matching `metrics` (`*` = any run of
/// characters) fires when a sample exceeds `factor` × its average over the `window_ms`
/// before it, held for `for_ms`, and keeps firing `keep_firing_for_ms` after it clears.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRuleConfig {
    pub name: String,
    pub metrics: String,
    pub measure: String,
    pub factor: rust_decimal::Decimal,
    pub window_ms: u64,
    pub for_ms: u64,
    pub keep_firing_for_ms: u64,
}

impl Default for AlertRuleConfig {
    fn default() -> Self {
        AlertRuleConfig {
            name: "spike".into(),
            metrics: "*".into(),
            measure: "volume".into(),
            factor: rust_decimal::Decimal::from(3),
            window_ms: 3_600_000,
            for_ms: 0,
            keep_firing_for_ms: 0,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            listen: "127.0.0.1:4433".parse().expect("address"),
            cert: None,
            key: None,
            commit_max_batch: 8192,
            commit_max_wait_us: 0,
            snapshot_every: 1_000_000,
            account_events_keep: 10_000,
            account_events_prune_batch: 4096,
            session_ttl_secs: 24 * 3600,
            rate_per_connection: 5_000,
            rate_per_account: 5_000,
            lockout_failures: 5,
            lockout_window_secs: 15 * 60,
            lockout_account_failures: 100,
            hash_concurrency: 0,
            auth_rate_per_address: 20,
            auth_rate_per_connection: 10,
            account_mail_interval_secs: 60,
            starting_cash: vec![(1, "1000".into())],
            demo_markets: true,
            demo_fixtures: true,
            allow_unconfirmed_login: false,
            max_connections: 20_000,
            max_connections_per_address: 64,
            max_market_subscriptions: 32,
            max_topic_subscriptions: 32,
            fanout_queue: 65_536,
            push_queue: 8192,
            plugins_dir: None,
            smtp_relay: None,
            mail_from: "Entrepot <noreply@entrepot.local>".into(),
            mail_retry_max_ms: 300_000,
            max_groups_owned: 20,
            max_groups_joined: 100,
            mail_max_attempts: 20,
            marketdata_sample_ms: 60_000,
            candle_retention: 5_000,
            max_alerts_per_account: 50,
            alert_rules: Vec::new(),
        }
    }
}

impl Config {
    pub fn plugins_dir(&self) -> PathBuf {
        self.plugins_dir.clone().unwrap_or_else(|| self.data_dir.join("plugins"))
    }

    /// How many password hashes may run at once (`hash_concurrency`, 0 = by the cores).
    pub fn hash_permits(&self) -> usize {
        match self.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1),
            n => n,
        }
    }

    /// Defaults ← file (if given) ← environment.
    pub fn load(file: Option<&std::path::Path>) -> anyhow::Result<Config> {
        let config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
            }
            None => Config::default(),
        };
        config.with_env(std::env::vars())
    }

    /// Every key can be set as `ENTREPOT_<KEY>` (upper case): the value is read as a TOML
    /// value (a number, `true`, a list) and else as a string. Other `ENTREPOT_*` variables
    /// (`ENTREPOT_CONFIG`, `ENTREPOT_ADMIN_PASSWORD`, ...) are not keys and are left alone.
    /// Two spellings predate this rule and stay: `ENTREPOT_PLUGINS_DIR`, and
    /// `ENTREPOT_ALLOW_UNCONFIRMED_LOGIN=1`; an empty `ENTREPOT_SMTP_RELAY` means none.
    pub fn with_env(self, vars: impl IntoIterator<Item = (String, String)>) -> anyhow::Result<Config> {
        let toml::Value::Table(mut table) = toml::Value::try_from(&self)? else { anyhow::bail!("the configuration is not a table") };
        let keys: Vec<String> = toml::Value::try_from(Config::default())?.as_table().map(|t| t.keys().cloned().collect()).unwrap_or_default();
        let optional = ["cert", "key", "plugins_dir", "smtp_relay"];
        for (name, value) in vars {
            let Some(key) = name.strip_prefix("ENTREPOT_").map(str::to_ascii_lowercase) else { continue };
            if !keys.contains(&key) && !optional.contains(&key.as_str()) {
                continue;
            }
            if key == "smtp_relay" && value.is_empty() {
                table.remove(&key);
                continue;
            }
            let parsed = match (key.as_str(), value.as_str()) {
                ("allow_unconfirmed_login", v) => toml::Value::Boolean(v == "1" || v == "true"),
                _ => toml::from_str::<toml::Table>(&format!("v = {value}")).ok().and_then(|mut t| t.remove("v")).unwrap_or(toml::Value::String(value)),
            };
            table.insert(key, parsed);
        }
        toml::Value::Table(table).try_into().map_err(|e| anyhow::anyhow!("ENTREPOT_* environment: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_key_can_come_from_the_environment() {
        let c = Config::default()
            .with_env(env(&[
                ("ENTREPOT_MAX_MARKET_SUBSCRIPTIONS", "3"),
                ("ENTREPOT_DATA_DIR", "/tmp/x"),
                ("ENTREPOT_LISTEN", "127.0.0.1:5000"),
                ("ENTREPOT_ALLOW_UNCONFIRMED_LOGIN", "1"),
                ("ENTREPOT_PLUGINS_DIR", "/p"),
                ("ENTREPOT_SMTP_RELAY", "smtp://h:25"),
                ("ENTREPOT_STARTING_CASH", r#"[[1, "5"]]"#),
                ("ENTREPOT_ADMIN_PASSWORD", "not a key"),
                ("ENTREPOT_CONFIG", "neither"),
            ]))
            .unwrap();
        assert_eq!(c.max_market_subscriptions, 3);
        assert_eq!(c.data_dir, std::path::PathBuf::from("/tmp/x"));
        assert_eq!(c.listen.port(), 5000);
        assert!(c.allow_unconfirmed_login);
        assert_eq!(c.plugins_dir, Some("/p".into()));
        assert_eq!(c.smtp_relay.as_deref(), Some("smtp://h:25"));
        assert_eq!(c.starting_cash, vec![(1, "5".to_string())]);
        let c = c.with_env(env(&[("ENTREPOT_SMTP_RELAY", "")])).unwrap();
        assert_eq!(c.smtp_relay, None);
    }

    #[test]
    fn a_bad_value_names_the_problem() {
        let e = Config::default().with_env(env(&[("ENTREPOT_MAX_CONNECTIONS", "lots")])).unwrap_err();
        assert!(e.to_string().contains("ENTREPOT_"), "{e}");
    }
}
