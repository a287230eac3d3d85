//! Settings, read once at start: defaults ← optional TOML file ← `PURRLIST_*` env ← flags.

use crate::domain::evidence_proxies::TrustedProxies;
use crate::domain::session::SessionLifetime;
use crate::domain::webhooks::RetrySchedule;
use crate::http::Limits;
use crate::inbound::InboundSettings;
use crate::store::postgres::{Pooler, PostgresOptions};
use crate::store::sqlite::{SqliteOptions, Synchronous};
use crate::store::{StoreOptions, redact_url};
use crate::webhooks::WebhookSettings;
use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
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
    /// Most PostgreSQL PUTs committed in one transaction (1: each its own).
    pub pg_batch_size: usize,
    /// Most batches of PostgreSQL PUTs in flight at once (more than one only when the
    /// youngest has run `store::postgres::batcher::OVERLAP_AFTER`).
    pub pg_batch_writers: usize,
    /// What sits between purrlist and PostgreSQL (a pooler in transaction mode or not).
    pub database_pooler: Pooler,
    /// PostgreSQL streaming replicas that may serve reads.
    pub database_replica_urls: Vec<String>,
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
    /// Where `POST /v1/imports` bodies wait for their job (`None`: beside the SQLite
    /// file, or in the system's temporary directory for PostgreSQL).
    pub import_spool_dir: Option<PathBuf>,
    /// How long a running import's heartbeat may stop before another PostgreSQL node
    /// declares it interrupted (SQLite: a restart interrupts every open job at once).
    pub import_abandoned_after: Duration,
    /// The webhook deliverer.
    pub webhooks: WebhookSettings,
    /// Proxies whose `X-Forwarded-For` names the client, for the evidence events keep.
    pub trusted_proxies: TrustedProxies,
    /// Inbound bounce and complaint webhooks (no file or env key: tests relax the SNS hosts).
    pub inbound: InboundSettings,
    /// How long an unconfirmed double opt-in request lives before it expires.
    pub confirmation_ttl: Duration,
    /// How long dashboard sessions live (idle and in all).
    pub dashboard_sessions: SessionLifetime,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("sqlite_synchronous", &self.sqlite_synchronous)
            .field("pg_pool_size", &self.pg_pool_size)
            .field("pg_batch_size", &self.pg_batch_size)
            .field("pg_batch_writers", &self.pg_batch_writers)
            .field("database_pooler", &self.database_pooler)
            .field(
                "database_replica_urls",
                &self
                    .database_replica_urls
                    .iter()
                    .map(|u| redact_url(u))
                    .collect::<Vec<_>>(),
            )
            .field("limits", &self.limits)
            .field("key_cache", &self.key_cache)
            .field("log_format", &self.log_format)
            .field("public_url", &self.public_url)
            .field("event_retention", &self.event_retention)
            .field("import_spool_dir", &self.import_spool_dir)
            .field("import_abandoned_after", &self.import_abandoned_after)
            .field("webhooks", &self.webhooks)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("inbound", &self.inbound)
            .field("confirmation_ttl", &self.confirmation_ttl)
            .field("dashboard_sessions", &self.dashboard_sessions)
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
            pg_batch_size: PostgresOptions::default().batch_size,
            pg_batch_writers: PostgresOptions::default().batch_writers,
            database_pooler: Pooler::None,
            database_replica_urls: Vec::new(),
            limits: Limits::default(),
            key_cache: Duration::from_secs(1),
            log_format: LogFormat::Text,
            public_url: None,
            event_retention: Duration::ZERO,
            import_spool_dir: None,
            import_abandoned_after: Duration::from_secs(60),
            webhooks: WebhookSettings::default(),
            trusted_proxies: TrustedProxies::default(),
            inbound: InboundSettings::default(),
            confirmation_ttl: Duration::from_secs(
                crate::domain::confirmation::DEFAULT_TTL_HOURS * 3600,
            ),
            dashboard_sessions: SessionLifetime::default(),
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
    pg_batch_size: Option<usize>,
    pg_batch_writers: Option<usize>,
    database_pooler: Option<Pooler>,
    database_replica_urls: Option<Vec<String>>,
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
    body_read_timeout_seconds: Option<u64>,
    max_concurrent_public_requests: Option<usize>,
    max_import_body_bytes: Option<usize>,
    import_body_read_timeout_seconds: Option<u64>,
    import_spool_dir: Option<PathBuf>,
    import_abandoned_after_seconds: Option<u64>,
    webhook_retry_schedule: Option<String>,
    webhook_allow_private: Option<bool>,
    webhook_concurrency: Option<usize>,
    webhook_lease_seconds: Option<u64>,
    trusted_proxies: Option<Vec<String>>,
    confirmation_ttl_hours: Option<u64>,
    dashboard_session_idle_minutes: Option<u64>,
    dashboard_session_max_hours: Option<u64>,
}

/// Environment variables purrlist reads (besides `PURRLIST_LOG`, the log filter).
pub const ENV_VARS: &[&str] = &[
    "PURRLIST_CONFIG",
    "PURRLIST_LISTEN",
    "PURRLIST_DATABASE_URL",
    "PURRLIST_SQLITE_SYNCHRONOUS",
    "PURRLIST_PG_POOL_SIZE",
    "PURRLIST_PG_BATCH_SIZE",
    "PURRLIST_PG_BATCH_WRITERS",
    "PURRLIST_DATABASE_POOLER",
    "PURRLIST_DATABASE_REPLICA_URLS",
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
    "PURRLIST_WORKSPACE_NAME",
    "PURRLIST_BODY_READ_TIMEOUT_SECONDS",
    "PURRLIST_MAX_CONCURRENT_PUBLIC_REQUESTS",
    "PURRLIST_MAX_IMPORT_BODY_BYTES",
    "PURRLIST_IMPORT_BODY_READ_TIMEOUT_SECONDS",
    "PURRLIST_IMPORT_SPOOL_DIR",
    "PURRLIST_IMPORT_ABANDONED_AFTER_SECONDS",
    "PURRLIST_WEBHOOK_RETRY_SCHEDULE",
    "PURRLIST_WEBHOOK_ALLOW_PRIVATE",
    "PURRLIST_WEBHOOK_CONCURRENCY",
    "PURRLIST_WEBHOOK_LEASE_SECONDS",
    "PURRLIST_CONFIRMATION_TTL_HOURS",
    "PURRLIST_LOG",
    "PURRLIST_TRUSTED_PROXIES",
    "PURRLIST_DASHBOARD_SESSION_IDLE_MINUTES",
    "PURRLIST_DASHBOARD_SESSION_MAX_HOURS",
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
        self.set(file)
    }

    fn apply_env(&mut self) -> anyhow::Result<()> {
        let env = FileConfig {
            listen: std::env::var("PURRLIST_LISTEN").ok(),
            database_url: std::env::var("PURRLIST_DATABASE_URL").ok(),
            sqlite_synchronous: parse_word("PURRLIST_SQLITE_SYNCHRONOUS")?,
            pg_pool_size: parse_env("PURRLIST_PG_POOL_SIZE")?,
            pg_batch_size: parse_env("PURRLIST_PG_BATCH_SIZE")?,
            pg_batch_writers: parse_env("PURRLIST_PG_BATCH_WRITERS")?,
            database_pooler: parse_word("PURRLIST_DATABASE_POOLER")?,
            database_replica_urls: std::env::var("PURRLIST_DATABASE_REPLICA_URLS")
                .ok()
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned)
                        .collect()
                }),
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
            body_read_timeout_seconds: parse_env("PURRLIST_BODY_READ_TIMEOUT_SECONDS")?,
            max_concurrent_public_requests: parse_env("PURRLIST_MAX_CONCURRENT_PUBLIC_REQUESTS")?,
            max_import_body_bytes: parse_env("PURRLIST_MAX_IMPORT_BODY_BYTES")?,
            import_body_read_timeout_seconds: parse_env(
                "PURRLIST_IMPORT_BODY_READ_TIMEOUT_SECONDS",
            )?,
            import_spool_dir: std::env::var_os("PURRLIST_IMPORT_SPOOL_DIR").map(PathBuf::from),
            import_abandoned_after_seconds: parse_env("PURRLIST_IMPORT_ABANDONED_AFTER_SECONDS")?,
            webhook_retry_schedule: std::env::var("PURRLIST_WEBHOOK_RETRY_SCHEDULE").ok(),
            webhook_allow_private: parse_env("PURRLIST_WEBHOOK_ALLOW_PRIVATE")?,
            webhook_concurrency: parse_env("PURRLIST_WEBHOOK_CONCURRENCY")?,
            webhook_lease_seconds: parse_env("PURRLIST_WEBHOOK_LEASE_SECONDS")?,
            trusted_proxies: std::env::var("PURRLIST_TRUSTED_PROXIES")
                .ok()
                .map(|v| v.split(',').map(str::to_owned).collect()),
            confirmation_ttl_hours: parse_env("PURRLIST_CONFIRMATION_TTL_HOURS")?,
            dashboard_session_idle_minutes: parse_env("PURRLIST_DASHBOARD_SESSION_IDLE_MINUTES")?,
            dashboard_session_max_hours: parse_env("PURRLIST_DASHBOARD_SESSION_MAX_HOURS")?,
        };
        self.set(env)
    }

    fn set(&mut self, layer: FileConfig) -> anyhow::Result<()> {
        let FileConfig {
            listen,
            database_url,
            sqlite_synchronous,
            pg_pool_size,
            pg_batch_size,
            pg_batch_writers,
            database_pooler,
            database_replica_urls,
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
            body_read_timeout_seconds,
            max_concurrent_public_requests,
            max_import_body_bytes,
            import_body_read_timeout_seconds,
            import_spool_dir,
            import_abandoned_after_seconds,
            webhook_retry_schedule,
            webhook_allow_private,
            webhook_concurrency,
            webhook_lease_seconds,
            trusted_proxies,
            confirmation_ttl_hours,
            dashboard_session_idle_minutes,
            dashboard_session_max_hours,
        } = layer;
        if let Some(v) = trusted_proxies {
            self.trusted_proxies = TrustedProxies::parse(v.iter().map(String::as_str))
                .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        }
        if let Some(hours) = confirmation_ttl_hours {
            self.confirmation_ttl = Duration::from_secs(hours.saturating_mul(3600));
        }
        if let Some(v) = dashboard_session_idle_minutes {
            self.dashboard_sessions.idle = Duration::from_secs(v.saturating_mul(60));
        }
        if let Some(v) = dashboard_session_max_hours {
            self.dashboard_sessions.absolute = Duration::from_secs(v.saturating_mul(3600));
        }
        if let Some(v) = webhook_retry_schedule {
            self.webhooks.schedule = RetrySchedule::parse(&v)
                .map_err(|e| anyhow::anyhow!("webhook_retry_schedule: {e}"))?;
        }
        if let Some(v) = webhook_allow_private {
            self.webhooks.allow_private = v;
        }
        if let Some(v) = webhook_concurrency {
            self.webhooks.concurrency = v;
        }
        if let Some(v) = webhook_lease_seconds {
            self.webhooks.lease = Duration::from_secs(v);
        }
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
        if let Some(v) = pg_batch_size {
            self.pg_batch_size = v;
        }
        if let Some(v) = pg_batch_writers {
            self.pg_batch_writers = v;
        }
        if let Some(v) = database_pooler {
            self.database_pooler = v;
        }
        if let Some(v) = database_replica_urls {
            self.database_replica_urls = v;
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
        if let Some(v) = body_read_timeout_seconds {
            self.limits.body_read_timeout = Duration::from_secs(v);
        }
        if let Some(v) = max_concurrent_public_requests {
            self.limits.max_concurrent_public_requests = v;
        }
        if let Some(v) = max_import_body_bytes {
            self.limits.import_body_bytes = v;
        }
        if let Some(v) = import_body_read_timeout_seconds {
            self.limits.import_body_read_timeout = Duration::from_secs(v);
        }
        if let Some(v) = import_spool_dir.filter(|d| !d.as_os_str().is_empty()) {
            self.import_spool_dir = Some(v);
        }
        if let Some(v) = import_abandoned_after_seconds {
            self.import_abandoned_after = Duration::from_secs(v);
        }
        Ok(())
    }

    /// The dashboard's settings: session lifetimes, and a `Secure` cookie when people
    /// reach the server over https.
    pub fn dashboard_settings(&self) -> crate::http::dashboard::DashboardSettings {
        crate::http::dashboard::DashboardSettings {
            lifetime: self.dashboard_sessions,
            secure_cookie: self
                .public_url
                .as_deref()
                .is_some_and(|url| url.starts_with("https://")),
        }
    }

    /// Checks values that cannot work.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.dashboard_sessions.idle.is_zero() || self.dashboard_sessions.absolute.is_zero() {
            bail!(
                "dashboard_session_idle_minutes and dashboard_session_max_hours must be at least 1"
            );
        }
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
        if self.limits.body_read_timeout.is_zero() {
            bail!("body_read_timeout_seconds must be at least 1");
        }
        if self.limits.max_concurrent_public_requests == 0 {
            bail!("max_concurrent_public_requests must be at least 1");
        }
        if self.limits.max_concurrent_requests == 0 {
            bail!("max_concurrent_requests must be at least 1");
        }
        if self.limits.rate_limit.burst > 0 && !self.limits.rate_limit.is_on() {
            bail!("rate_limit_burst is set but rate_limit_per_second is 0 (off); set both");
        }
        let postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !self.database_replica_urls.is_empty() && !postgres(&self.database_url) {
            bail!("read replicas (database_replica_urls) need a PostgreSQL database_url");
        }
        if let Some(url) = self.database_replica_urls.iter().find(|u| !postgres(u)) {
            bail!(
                "a read replica must be a postgres:// URL, got {}",
                redact_url(url)
            );
        }
        if self.limits.import_body_bytes < 1024 {
            bail!("max_import_body_bytes must be at least 1024");
        }
        if self.limits.import_body_read_timeout.is_zero() {
            bail!("import_body_read_timeout_seconds must be at least 1");
        }
        // Five missed heartbeats, so a slow save is not taken for a dead server.
        if self.import_abandoned_after < 5 * crate::import_jobs::HEARTBEAT {
            bail!("import_abandoned_after_seconds must be at least 5");
        }
        if self.webhooks.concurrency == 0 {
            bail!("webhook_concurrency must be at least 1");
        }
        if self.webhooks.lease < Duration::from_secs(20) {
            bail!(
                "webhook_lease_seconds must be at least 20 (one 15 s attempt must fit in a lease)"
            );
        }
        if self.confirmation_ttl.is_zero() {
            bail!("confirmation_ttl_hours must be at least 1");
        }
        if self.pg_pool_size == 0 {
            bail!("the PostgreSQL pool size must be at least 1");
        }
        if self.pg_batch_size == 0 || self.pg_batch_size > 64 {
            bail!("pg_batch_size must be 1 to 64");
        }
        if self.pg_batch_writers == 0 {
            bail!("pg_batch_writers must be at least 1");
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
                batch_size: self.pg_batch_size,
                batch_writers: self.pg_batch_writers,
                pooler: self.database_pooler,
                replica_urls: self.database_replica_urls.clone(),
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
