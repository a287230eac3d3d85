//! Settings, read once at start: defaults ← optional TOML file ← `PURRLIST_*` env ← flags.

use crate::http::Limits;
use crate::store::postgres::PostgresOptions;
use crate::store::sqlite::{SqliteOptions, Synchronous};
use crate::store::{StoreOptions, redact_url};
use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use std::time::Duration;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Every setting of purrlist.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// SQLite durability.
    pub sqlite_synchronous: Synchronous,
    /// Most PostgreSQL connections this node holds.
    pub pg_pool_size: usize,
    /// Body sizes and request time.
    pub limits: Limits,
    /// How long a looked-up API key is trusted before it is read again.
    pub key_cache: Duration,
    /// Log line format.
    pub log_format: LogFormat,
    /// The address people reach this server at, for unsubscribe links (`None`: derived
    /// from `listen`).
    pub public_url: Option<String>,
    /// How long change-feed events are kept; zero keeps them forever (a consent record).
    pub event_retention: Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("pg_pool_size", &self.pg_pool_size)
            .field("limits", &self.limits)
            .field("key_cache", &self.key_cache)
            .field("log_format", &self.log_format)
            .field("public_url", &self.public_url)
            .field("event_retention", &self.event_retention)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".to_owned(),
            database_url: "sqlite://purrlist.db".to_owned(),
            sqlite_synchronous: Synchronous::Full,
            pg_pool_size: PostgresOptions::default().pool_size,
            limits: Limits::default(),
            key_cache: Duration::from_secs(1),
            log_format: LogFormat::Text,
            public_url: None,
            event_retention: Duration::ZERO,
        }
    }
}

/// The configuration file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    sqlite_synchronous: Option<Synchronous>,
    pg_pool_size: Option<usize>,
    max_body_bytes: Option<usize>,
    max_bulk_body_bytes: Option<usize>,
    request_timeout_seconds: Option<u64>,
    key_cache_seconds: Option<u64>,
    log_format: Option<LogFormat>,
    public_url: Option<String>,
    event_retention_days: Option<u64>,
    max_concurrent_requests: Option<usize>,
    rate_limit_per_second: Option<u32>,
    rate_limit_burst: Option<u32>,
    header_read_timeout_seconds: Option<u64>,
    max_connections_per_address: Option<usize>,
}

/// Environment variables purrlist reads (besides `PURRLIST_LOG`, the log filter).
pub const ENV_VARS: &[&str] = &[
    "PURRLIST_CONFIG",
    "PURRLIST_LISTEN",
    "PURRLIST_DATABASE_URL",
    "PURRLIST_SQLITE_SYNCHRONOUS",
    "PURRLIST_PG_POOL_SIZE",
    "PURRLIST_MAX_BODY_BYTES",
    "PURRLIST_MAX_BULK_BODY_BYTES",
    "PURRLIST_REQUEST_TIMEOUT_SECONDS",
    "PURRLIST_KEY_CACHE_SECONDS",
    "PURRLIST_LOG_FORMAT",
    "PURRLIST_PUBLIC_URL",
    "PURRLIST_EVENT_RETENTION_DAYS",
    "PURRLIST_MAX_CONCURRENT_REQUESTS",
    "PURRLIST_RATE_LIMIT_PER_SECOND",
    "PURRLIST_RATE_LIMIT_BURST",
    "PURRLIST_HEADER_READ_TIMEOUT_SECONDS",
    "PURRLIST_MAX_CONNECTIONS_PER_ADDRESS",
    "PURRLIST_LOG",
];

/// Flags that override everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config`.
    pub config_file: Option<String>,
    /// `--listen`.
    pub listen: Option<String>,
    /// `--database`.
    pub database_url: Option<String>,
}

fn parse_env<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name} has a value that cannot be read: {v:?}")),
        Err(_) => Ok(None),
    }
}

fn parse_word<T: for<'de> Deserialize<'de>>(name: &str) -> anyhow::Result<Option<T>> {
    match std::env::var(name) {
        Ok(v) => {
            let value = serde_json::Value::String(v.trim().to_ascii_lowercase());
            serde_json::from_value(value)
                .map(Some)
                .with_context(|| format!("{name} has an unknown value {v:?}"))
        }
        Err(_) => Ok(None),
    }
}

impl Config {
    /// Reads the layers in order and returns the settings, plus warnings to log.
    pub fn load(overrides: &Overrides) -> anyhow::Result<(Config, Vec<String>)> {
        let mut config = Config::default();
        let file = overrides
            .config_file
            .clone()
            .or_else(|| std::env::var("PURRLIST_CONFIG").ok());
        if let Some(path) = file {
            config.apply_file(Path::new(&path))?;
        }
        config.apply_env()?;
        if let Some(listen) = &overrides.listen {
            config.listen = listen.clone();
        }
        if let Some(url) = &overrides.database_url {
            config.database_url = url.clone();
        }
        let warnings = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k.starts_with("PURRLIST_") && !ENV_VARS.contains(&k.as_str()))
            .map(|k| format!("unknown environment variable {k} is ignored"))
            .collect();
        Ok((config, warnings))
    }

    fn apply_file(&mut self, path: &Path) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let file: FileConfig = toml::from_str(&text)
            .with_context(|| format!("invalid config file {}", path.display()))?;
        self.set(file);
        Ok(())
    }

    fn apply_env(&mut self) -> anyhow::Result<()> {
        let env = FileConfig {
            listen: std::env::var("PURRLIST_LISTEN").ok(),
            database_url: std::env::var("PURRLIST_DATABASE_URL").ok(),
            sqlite_synchronous: parse_word("PURRLIST_SQLITE_SYNCHRONOUS")?,
            pg_pool_size: parse_env("PURRLIST_PG_POOL_SIZE")?,
            max_body_bytes: parse_env("PURRLIST_MAX_BODY_BYTES")?,
            max_bulk_body_bytes: parse_env("PURRLIST_MAX_BULK_BODY_BYTES")?,
            request_timeout_seconds: parse_env("PURRLIST_REQUEST_TIMEOUT_SECONDS")?,
            key_cache_seconds: parse_env("PURRLIST_KEY_CACHE_SECONDS")?,
            log_format: parse_word("PURRLIST_LOG_FORMAT")?,
            public_url: std::env::var("PURRLIST_PUBLIC_URL").ok(),
            event_retention_days: parse_env("PURRLIST_EVENT_RETENTION_DAYS")?,
            max_concurrent_requests: parse_env("PURRLIST_MAX_CONCURRENT_REQUESTS")?,
            rate_limit_per_second: parse_env("PURRLIST_RATE_LIMIT_PER_SECOND")?,
            rate_limit_burst: parse_env("PURRLIST_RATE_LIMIT_BURST")?,
            header_read_timeout_seconds: parse_env("PURRLIST_HEADER_READ_TIMEOUT_SECONDS")?,
            max_connections_per_address: parse_env("PURRLIST_MAX_CONNECTIONS_PER_ADDRESS")?,
        };
        self.set(env);
        Ok(())
    }

    fn set(&mut self, layer: FileConfig) {
        let FileConfig {
            listen,
            database_url,
            sqlite_synchronous,
            pg_pool_size,
            max_body_bytes,
            max_bulk_body_bytes,
            request_timeout_seconds,
            key_cache_seconds,
            log_format,
            public_url,
            event_retention_days,
            max_concurrent_requests,
            rate_limit_per_second,
            rate_limit_burst,
            header_read_timeout_seconds,
            max_connections_per_address,
        } = layer;
        if let Some(v) = listen {
            self.listen = v;
        }
        if let Some(v) = database_url {
            self.database_url = v;
        }
        if let Some(v) = sqlite_synchronous {
            self.sqlite_synchronous = v;
        }
        if let Some(v) = pg_pool_size {
            self.pg_pool_size = v;
        }
        if let Some(v) = max_body_bytes {
            self.limits.body_bytes = v;
        }
        if let Some(v) = max_bulk_body_bytes {
            self.limits.bulk_body_bytes = v;
        }
        if let Some(v) = request_timeout_seconds {
            self.limits.request_timeout = Duration::from_secs(v);
        }
        if let Some(v) = key_cache_seconds {
            self.key_cache = Duration::from_secs(v);
        }
        if let Some(v) = log_format {
            self.log_format = v;
        }
        if let Some(v) = public_url {
            let v = v.trim().trim_end_matches('/').to_owned();
            self.public_url = (!v.is_empty()).then_some(v);
        }
        if let Some(days) = event_retention_days {
            self.event_retention = Duration::from_secs(days.saturating_mul(86_400));
        }
        if let Some(v) = max_concurrent_requests {
            self.limits.max_concurrent_requests = v;
        }
        if let Some(v) = rate_limit_per_second {
            self.limits.rate_limit.per_second = v;
        }
        if let Some(v) = rate_limit_burst {
            self.limits.rate_limit.burst = v;
        }
        if let Some(v) = header_read_timeout_seconds {
            self.limits.header_read_timeout = Duration::from_secs(v);
        }
        if let Some(v) = max_connections_per_address {
            self.limits.max_connections_per_address = v;
        }
    }

    /// Checks values that cannot work.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.limits.request_timeout.is_zero() {
            bail!("request timeout must be at least 1 second");
        }
        if self.limits.body_bytes < 1024 || self.limits.bulk_body_bytes < 1024 {
            bail!("body limits must be at least 1024 bytes");
        }
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
                bail!("public_url must be an http:// or https:// URL, got {url:?}");
            }
        }
        if self.limits.header_read_timeout.is_zero() {
            bail!("header_read_timeout_seconds must be at least 1");
        }
        if self.limits.max_concurrent_requests == 0 {
            bail!("max_concurrent_requests must be at least 1");
        }
        if self.limits.rate_limit.burst > 0 && !self.limits.rate_limit.is_on() {
            bail!("rate_limit_burst is set but rate_limit_per_second is 0 (off); set both");
        }
        if self.pg_pool_size == 0 {
            bail!("the PostgreSQL pool size must be at least 1");
        }
        Ok(())
    }

    /// The base of links people open (`public_url`, else `http://` + the bound address),
    /// without a trailing slash; an unsubscribe link is this + `/u/{unsub_token}`.
    pub fn public_base_url(&self, bound: std::net::SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }

    /// Settings for opening the store.
    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            sqlite: SqliteOptions {
                synchronous: self.sqlite_synchronous,
                ..SqliteOptions::default()
            },
            postgres: PostgresOptions {
                pool_size: self.pg_pool_size,
                // A store call gives up a little before the request does, so it answers 503 itself.
                operation_timeout: self
                    .limits
                    .request_timeout
                    .saturating_sub(Duration::from_secs(2))
                    .max(Duration::from_secs(1)),
                ..PostgresOptions::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ENV_VARS;

    #[test]
    fn every_environment_variable_is_documented() {
        let reference = include_str!("../docs/configuration.md");
        for name in ENV_VARS.iter().filter(|n| **n != "PURRLIST_CONFIG") {
            assert!(
                reference.contains(&format!("`{name}`")),
                "{name} is missing from docs/configuration.md"
            );
        }
    }
}
