//! Unit tests of `settings`.

use super::*;
use crate::ports::MapConfig;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    crate::testkit::block_on(f)
}

#[test]
fn defaults_match_the_settings_table() {
    let s = Settings::default();
    assert_eq!(s.redis_url, None);
    assert_eq!(s.publish_key, None);
    assert_eq!(s.pubsub_channel, "chat-events");
    assert_eq!(s.stream_duration, Duration::from_secs(25));
    assert_eq!(s.heartbeat_interval, Duration::from_secs(15));
    assert_eq!(s.presence_ttl, Duration::from_secs(30));
    assert_eq!(s.inbox_retention, 1000);
    assert_eq!(s.signups_per_ip_per_hour, 20);
    assert_eq!(s.login_failures_per_user, 10);
    assert_eq!(s.messages_burst, 20);
    assert_eq!(s.messages_per_second, 5.0);
    assert_eq!(s.session_idle, Duration::from_secs(14 * DAY));
    assert_eq!(s.session_max, Duration::from_secs(30 * DAY));
    assert_eq!(s.login_failures_per_ip, 100);
    assert_eq!(
        (
            s.argon2.memory_kib,
            s.argon2.iterations,
            s.argon2.parallelism
        ),
        (19456, 2, 1)
    );
}

#[test]
fn argon2_cost_may_rise_but_not_fall_below_owasp() {
    let raised = MapConfig::from_pairs([("argon2_iterations", "3")]);
    assert_eq!(
        block_on(Settings::load(&raised))
            .expect("loads")
            .argon2
            .iterations,
        3
    );
    let weak = MapConfig::from_pairs([("argon2_memory_kib", "4096")]);
    assert!(block_on(Settings::load(&weak)).is_err());
}

#[test]
fn empty_values_fall_back_to_defaults() {
    let config = MapConfig::from_pairs([("redis_url", ""), ("stream_seconds", "  ")]);
    let s = block_on(Settings::load(&config)).expect("loads");
    assert_eq!(s, Settings::default());
}

#[test]
fn values_override_defaults() {
    let config = MapConfig::from_pairs([
        ("redis_url", "redis://127.0.0.1:6379"),
        ("publish_key", "Qx8h2ZbYt0r9VwKq1mNcLs4eGp7uJd3fA6oTiRyBnXk"),
        ("stream_seconds", "5"),
        ("messages_per_second", "0.5"),
    ]);
    let s = block_on(Settings::load(&config)).expect("loads");
    assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
    assert_eq!(
        s.publish_key.as_deref(),
        Some("Qx8h2ZbYt0r9VwKq1mNcLs4eGp7uJd3fA6oTiRyBnXk")
    );
    assert_eq!(s.stream_duration, Duration::from_secs(5));
    assert_eq!(s.messages_per_second, 0.5);
}

#[test]
fn bad_values_name_the_setting() {
    for (name, value) in [
        ("stream_seconds", "0"),
        ("stream_seconds", "-3"),
        ("inbox_retention", "many"),
        ("messages_per_second", "NaN"),
        ("redis_url", "http://example"),
        ("publish_key", "k"),
        ("publish_key", "short-but-varied-0123456789"),
        ("publish_key", &"k".repeat(64)),
        ("hsts_include_subdomains", "maybe"),
        ("log_format", "xml"),
    ] {
        let config = MapConfig::from_pairs([(name, value)]);
        let err = block_on(Settings::load(&config)).expect_err(value);
        assert!(err.to_string().contains(name), "{err} should name {name}");
    }
}

#[test]
fn publish_keys_must_stand_for_32_random_bytes() {
    // `openssl rand -hex 32` and `openssl rand -base64 32`.
    assert!(publish_key_is_strong(
        "3f9c1e0a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"
    ));
    assert!(publish_key_is_strong(
        "q3ZxW0b9Yh+7kLm2Pn4Rs6Tu8Vw1Xy5Az0Bc3De6Fg8="
    ));
    assert!(!publish_key_is_strong("q3ZxW0b9Yh+7kLm2Pn4Rs6Tu8Vw1Xy5"));
    assert!(!publish_key_is_strong(&"ab".repeat(40)));
}

#[test]
fn idle_expiry_cannot_outlast_absolute_expiry() {
    let config = MapConfig::from_pairs([("session_idle_days", "40")]);
    assert!(block_on(Settings::load(&config)).is_err());
}
