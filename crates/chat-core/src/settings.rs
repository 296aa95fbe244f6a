//! Settings: every application variable of the API's Settings table, parsed and checked
//! once, with its default. Spin reads them as variables, the native host as `CHAT_*`.

use std::time::Duration;

use crate::{Error, Result, ports::Config};

/// One setting's name, default and meaning, as documented in docs/api.md.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Lower-case name (the Spin variable; `CHAT_<UPPER>` natively).
    pub name: &'static str,
    /// Default when unset or empty.
    pub default: &'static str,
    /// Whether the value is a secret (never logged).
    pub secret: bool,
}

const fn spec(name: &'static str, default: &'static str) -> SettingSpec {
    SettingSpec {
        name,
        default,
        secret: false,
    }
}

/// Every setting the service reads. spin.toml must declare each (a test checks).
pub const SETTINGS: &[SettingSpec] = &[
    // It carries the Redis password in production.
    SettingSpec {
        name: "redis_url",
        default: "",
        secret: true,
    },
    SettingSpec {
        name: "publish_key",
        default: "",
        secret: true,
    },
    spec("pubsub_channel", "chat-events"),
    spec("stream_seconds", "25"),
    spec("heartbeat_seconds", "15"),
    spec("presence_ttl_seconds", "30"),
    spec("inbox_retention", "1000"),
    spec("signups_per_ip_per_hour", "20"),
    spec("login_failures_per_user", "10"),
    spec("login_failures_per_ip", "100"),
    spec("messages_burst", "20"),
    spec("messages_per_second", "5"),
    spec("session_idle_days", "14"),
    spec("session_max_days", "30"),
    spec("argon2_memory_kib", "19456"),
    spec("argon2_iterations", "2"),
    spec("argon2_parallelism", "1"),
    spec("password_hashes_per_second", "20"),
    spec("trusted_proxies", ""),
    spec("room_members_max", "1000"),
    spec("read_receipts_members_max", "50"),
    spec("streams_per_user", "20"),
    spec("attachment_max_bytes", "10485760"),
    spec("storage_per_user_mib", "1024"),
    spec("uploads_per_hour", "60"),
    spec("hsts_include_subdomains", "true"),
    spec("deliveries_per_second", "2000"),
    spec("log_format", "text"),
];

/// How the host writes log lines (the security audit trail among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event (development).
    Text,
    /// One JSON object per line (for a log collector).
    Json,
}

/// The shortest publish key accepted at start, and how many different characters it must
/// hold: 32 random bytes written as base64 are 43 characters (as hex, 64).
pub const PUBLISH_KEY_MIN_CHARS: usize = 43;
const PUBLISH_KEY_MIN_DISTINCT: usize = 10;

/// Whether a configured publish key is long and varied enough to stand for 32 random bytes
/// (`openssl rand -base64 32`, `openssl rand -hex 32`): a short or repetitive one could be
/// guessed by anyone who can reach the publish route.
pub fn publish_key_is_strong(key: &str) -> bool {
    let distinct: std::collections::BTreeSet<char> = key.chars().collect();
    key.chars().count() >= PUBLISH_KEY_MIN_CHARS && distinct.len() >= PUBLISH_KEY_MIN_DISTINCT
}

/// The parsed settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Redis URL; `None` = embedded mode (SQLite inbox and limiter).
    pub redis_url: Option<String>,
    /// Key of the publish API; `None` = the route answers 404.
    pub publish_key: Option<String>,
    /// Redis pub/sub channel every event is also published on.
    pub pubsub_channel: String,
    /// An event stream ends by itself after this.
    pub stream_duration: Duration,
    /// Comment-line interval on an idle stream.
    pub heartbeat_interval: Duration,
    /// How long a stream's liveness mark lasts without a heartbeat.
    pub presence_ttl: Duration,
    /// Events kept per user inbox (at least).
    pub inbox_retention: u32,
    /// Events beyond `inbox_retention` are only trimmed once older than this (24 h).
    pub inbox_retention_age: Duration,
    /// How long after an event was written the streams' rounds make sure it reached the
    /// inboxes, appending it if its request did not (30 s; not a variable: tests shorten
    /// it). Long enough that the writing request has always finished its own append.
    pub redeliver_after: Duration,
    /// How often the rounds (lease sweep, redelivery) run, at most, across every stream
    /// of the deployment (500 ms; not a variable: tests turn the bound off with zero).
    pub rounds_interval: Duration,
    /// How often the SQLite inbox is polled while a reader waits.
    pub inbox_poll_interval: Duration,
    /// Signups allowed per client address per hour.
    pub signups_per_ip_per_hour: u32,
    /// Failed logins allowed per username per 15 minutes.
    pub login_failures_per_user: u32,
    /// Failed logins allowed per client address per 15 minutes.
    pub login_failures_per_ip: u32,
    /// Message send rate limit: burst.
    pub messages_burst: u32,
    /// Message send rate limit: sustained per second.
    pub messages_per_second: f64,
    /// Session idle expiry.
    pub session_idle: Duration,
    /// Session absolute expiry.
    pub session_max: Duration,
    /// Argon2id cost of new password hashes (OWASP minimum: 19 MiB, 2 passes, 1 lane).
    pub argon2: crate::accounts::HashCost,
    /// Password hashes (signups, logins, password changes) the whole deployment starts per
    /// second, with as many at once: each holds ~19 MiB and a core for a while, so a
    /// flood of logins must not run hundreds together. Past it: 503 with `Retry-After`.
    pub password_hashes_per_second: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client; none by default.
    pub trusted_proxies: crate::proxies::TrustedProxies,
    /// Most members a room takes: every message fans out to each of them.
    pub room_members_max: u32,
    /// Read marks are announced to every member only in conversations this size or
    /// smaller; in bigger rooms only to the reader's own tabs (a room of 1,000 reading
    /// along would otherwise append a million events for every message).
    pub read_receipts_members_max: u32,
    /// Most event streams (leases) one user holds at once.
    pub streams_per_user: u32,
    /// The largest file one upload takes (413 `too_large` past it).
    pub attachment_max_bytes: u32,
    /// How much one user's files (attachments and avatar, not yet deleted) may hold in all
    /// (413 `quota_exceeded` past it).
    pub storage_per_user_bytes: u64,
    /// Uploads one user starts per hour, after a burst of 10 (429 past it).
    pub uploads_per_hour: u32,
    /// Inbox deliveries one user's writes may cause per second, beyond small conversations
    /// (`throttle::charge_deliveries`); ten seconds' worth may come at once.
    pub deliveries_per_second: u32,
    /// How log lines are written: plain text, or one JSON object a line.
    pub log_format: LogFormat,
    /// Whether `Strict-Transport-Security` also covers the host's subdomains (false for a
    /// chat served on a name whose subdomains are other people's plain-http sites).
    pub hsts_include_subdomains: bool,
}

impl Default for Settings {
    fn default() -> Self {
        let defaults = |name: &str| {
            SETTINGS
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.default.to_owned())
        };
        // The defaults are constants above; parsing them cannot fail (a unit test checks).
        Settings::from_lookup(defaults).unwrap_or_else(|_| unreachable!("defaults parse"))
    }
}

const DAY: u64 = 24 * 60 * 60;

impl Settings {
    /// Reads every setting from `config`; unset or empty values take their default.
    pub async fn load(config: &dyn Config) -> Result<Self> {
        let mut values = Vec::with_capacity(SETTINGS.len());
        for spec in SETTINGS {
            values.push((spec.name, config.get(spec.name).await?));
        }
        Settings::from_lookup(|name| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .and_then(|(_, v)| v.clone())
        })
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let raw = |name: &str| -> String {
            let value = lookup(name)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default();
            if value.is_empty() {
                SETTINGS
                    .iter()
                    .find(|s| s.name == name)
                    .map(|s| s.default.to_owned())
                    .unwrap_or_default()
            } else {
                value
            }
        };
        let optional = |name: &str| Some(raw(name)).filter(|v| !v.is_empty());
        let positive = |name: &str| -> Result<u32> {
            let value = raw(name);
            match value.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(Error::Config(format!(
                    "{name} must be a whole number above 0, got {value:?}"
                ))),
            }
        };
        let flag = |name: &str| {
            let value = raw(name);
            match value.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => Ok(true),
                "false" | "0" | "no" => Ok(false),
                _ => Err(Error::Config(format!(
                    "{name} must be true or false, got {value:?}"
                ))),
            }
        };
        let seconds = |name: &str| positive(name).map(|n| Duration::from_secs(u64::from(n)));
        let days = |name: &str| positive(name).map(|n| Duration::from_secs(u64::from(n) * DAY));

        let messages_per_second = {
            let value = raw("messages_per_second");
            match value.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 => n,
                _ => {
                    return Err(Error::Config(format!(
                        "messages_per_second must be a number above 0, got {value:?}"
                    )));
                }
            }
        };
        let redis_url = optional("redis_url");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(Error::Config(
                "redis_url must start with redis:// or rediss://".into(),
            ));
        }

        let settings = Settings {
            redis_url,
            publish_key: optional("publish_key"),
            pubsub_channel: raw("pubsub_channel"),
            stream_duration: seconds("stream_seconds")?,
            heartbeat_interval: seconds("heartbeat_seconds")?,
            presence_ttl: seconds("presence_ttl_seconds")?,
            inbox_retention: positive("inbox_retention")?,
            inbox_retention_age: Duration::from_secs(DAY),
            redeliver_after: Duration::from_secs(30),
            rounds_interval: Duration::from_millis(500),
            inbox_poll_interval: Duration::from_millis(200),
            signups_per_ip_per_hour: positive("signups_per_ip_per_hour")?,
            login_failures_per_user: positive("login_failures_per_user")?,
            login_failures_per_ip: positive("login_failures_per_ip")?,
            messages_burst: positive("messages_burst")?,
            messages_per_second,
            session_idle: days("session_idle_days")?,
            session_max: days("session_max_days")?,
            argon2: crate::accounts::HashCost {
                memory_kib: positive("argon2_memory_kib")?,
                iterations: positive("argon2_iterations")?,
                parallelism: positive("argon2_parallelism")?,
            },
            password_hashes_per_second: positive("password_hashes_per_second")?,
            trusted_proxies: crate::proxies::TrustedProxies::parse(&raw("trusted_proxies"))?,
            room_members_max: positive("room_members_max")?,
            read_receipts_members_max: positive("read_receipts_members_max")?,
            streams_per_user: positive("streams_per_user")?,
            attachment_max_bytes: positive("attachment_max_bytes")?,
            storage_per_user_bytes: u64::from(positive("storage_per_user_mib")?) * 1024 * 1024,
            uploads_per_hour: positive("uploads_per_hour")?,
            hsts_include_subdomains: flag("hsts_include_subdomains")?,
            deliveries_per_second: positive("deliveries_per_second")?,
            log_format: match raw("log_format").trim().to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(Error::Config(format!(
                        "log_format must be text or json, got {other:?}"
                    )));
                }
            },
        };
        if !settings.argon2.meets_owasp_minimum() {
            return Err(Error::Config(
                "argon2 cost is below the OWASP minimum (argon2_memory_kib >= 19456, \
                 argon2_iterations >= 2, argon2_parallelism >= 1)"
                    .into(),
            ));
        }
        if let Some(key) = &settings.publish_key
            && !publish_key_is_strong(key)
        {
            return Err(Error::Config(format!(
                "publish_key must stand for 32 random bytes: at least {PUBLISH_KEY_MIN_CHARS} \
                 characters of at least {PUBLISH_KEY_MIN_DISTINCT} different ones, for example \
                 from `openssl rand -base64 32`"
            )));
        }
        if settings.session_idle > settings.session_max {
            return Err(Error::Config(
                "session_idle_days must not exceed session_max_days".into(),
            ));
        }
        Ok(settings)
    }
}

#[cfg(test)]
mod tests;
