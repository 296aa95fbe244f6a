//! spin.toml must stay in step with the code: every component built, every setting
//! declared as an application variable and passed to exactly the components whose area
//! reads it (least privilege), the routes of API.md mapped to the right component, SQLite
//! granted and Redis narrowed to the `redis_host` variable.

use std::collections::BTreeSet;

use chat_core::settings::SETTINGS;

const COMPONENTS: [&str; 5] = ["auth", "users", "conversations", "events", "web"];

/// The Spin-only variable naming the one Redis host components may dial.
const REDIS_HOST: &str = "redis_host";

/// What a component's area reads from the settings: every other setting stays out of it.
fn settings_of(component: &str) -> BTreeSet<&'static str> {
    // Sessions are checked by every API area; fan-out areas append to inboxes. Every
    // response carries the security headers.
    let session = [
        "session_idle_days",
        "session_max_days",
        "hsts_include_subdomains",
        "log_format",
    ];
    let fan_out = ["redis_url", "pubsub_channel", "inbox_retention"];
    let own: &[&'static str] = match component {
        "auth" => &[
            "redis_url",
            "signups_per_ip_per_hour",
            "login_failures_per_user",
            "login_failures_per_ip",
            "argon2_memory_kib",
            "argon2_iterations",
            "argon2_parallelism",
            "password_hashes_per_second",
            "trusted_proxies",
        ],
        "users" => &fan_out,
        "conversations" => &[
            "redis_url",
            "pubsub_channel",
            "inbox_retention",
            "messages_burst",
            "messages_per_second",
            "room_members_max",
            "read_receipts_members_max",
            "attachment_max_bytes",
            "storage_per_user_mib",
            "uploads_per_hour",
            "deliveries_per_second",
        ],
        "events" => &[
            "redis_url",
            "pubsub_channel",
            "inbox_retention",
            "stream_seconds",
            "heartbeat_seconds",
            "presence_ttl_seconds",
            "publish_key",
            "streams_per_user",
        ],
        // The page and health: health pings the bus.
        "web" => {
            return BTreeSet::from(["redis_url", "hsts_include_subdomains", "log_format"]);
        }
        other => panic!("unknown component {other}"),
    };
    own.iter().copied().chain(session).collect()
}

fn manifest() -> toml::Table {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml");
    std::fs::read_to_string(path)
        .expect("spin.toml")
        .parse()
        .expect("spin.toml is valid TOML")
}

#[test]
fn every_setting_is_an_application_variable_with_its_default() {
    let manifest = manifest();
    let variables = manifest["variables"].as_table().expect("[variables]");
    for spec in SETTINGS {
        let variable = variables
            .get(spec.name)
            .unwrap_or_else(|| panic!("{} missing from [variables]", spec.name));
        assert_eq!(
            variable["default"].as_str(),
            Some(spec.default),
            "{}",
            spec.name
        );
        let secret = variable
            .get("secret")
            .and_then(|s| s.as_bool())
            .unwrap_or(false);
        assert_eq!(secret, spec.secret, "{} secret flag", spec.name);
    }
    assert!(variables.contains_key(REDIS_HOST), "{REDIS_HOST}");
    assert_eq!(
        variables.len(),
        SETTINGS.len() + 1,
        "no undocumented variables"
    );
}

#[test]
fn each_component_gets_only_its_settings_sqlite_and_its_redis_host() {
    let manifest = manifest();
    let components = manifest["component"].as_table().expect("[component]");
    let names: BTreeSet<&str> = components.keys().map(String::as_str).collect();
    assert_eq!(names, COMPONENTS.into_iter().collect());
    for name in COMPONENTS {
        let component = &components[name];
        assert_eq!(
            component["source"].as_str(),
            Some(format!("target/wasm32-wasip2/release/{name}.wasm").as_str())
        );
        assert_eq!(
            component["sqlite_databases"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(component["sqlite_databases"][0].as_str(), Some("default"));
        let hosts: Vec<&str> = component["allowed_outbound_hosts"]
            .as_array()
            .expect("allowed_outbound_hosts")
            .iter()
            .filter_map(|h| h.as_str())
            .collect();
        assert_eq!(
            hosts,
            ["redis://{{ redis_host }}", "rediss://{{ redis_host }}"],
            "{name}: Redis only, and only the configured host"
        );
        let variables = component["variables"]
            .as_table()
            .expect("component variables");
        let given: BTreeSet<&str> = variables.keys().map(String::as_str).collect();
        assert_eq!(given, settings_of(name), "{name}: exactly its settings");
        for (variable, value) in variables {
            assert!(
                SETTINGS.iter().any(|s| s.name == variable),
                "{name}.{variable} is a setting"
            );
            assert_eq!(
                value.as_str(),
                Some(format!("{{{{ {variable} }}}}").as_str()),
                "{name}.{variable}"
            );
        }
        let build = component["build"]["command"]
            .as_str()
            .expect("build command");
        assert!(
            build.contains("wasm32-wasip2")
                && build.contains("--release")
                && build.contains(&format!("-p {name}")),
            "{build}"
        );
    }
}

#[test]
fn routes_send_each_api_area_to_its_component() {
    let manifest = manifest();
    let triggers = manifest["trigger"]["http"]
        .as_array()
        .expect("[[trigger.http]]");
    let route_of = |route: &str| {
        triggers
            .iter()
            .find(|t| t["route"].as_str() == Some(route))
            .and_then(|t| t["component"].as_str())
            .unwrap_or_else(|| panic!("no trigger for {route}"))
    };
    for (route, component) in [
        ("/api/auth/...", "auth"),
        ("/api/me/...", "users"),
        ("/api/users/...", "users"),
        ("/api/friends/...", "users"),
        ("/api/blocks/...", "users"),
        ("/api/conversations/...", "conversations"),
        ("/api/rooms/...", "conversations"),
        ("/api/search", "conversations"),
        ("/api/events", "events"),
        ("/api/publish/...", "events"),
        ("/api/health", "web"),
        ("/...", "web"),
    ] {
        assert_eq!(route_of(route), component, "{route}");
    }
    let routes: Vec<&str> = triggers
        .iter()
        .filter_map(|t| t["route"].as_str())
        .collect();
    let unique: BTreeSet<&&str> = routes.iter().collect();
    assert_eq!(unique.len(), routes.len(), "no route declared twice");
}
