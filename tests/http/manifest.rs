//! spin.toml must stay in step with the code: every component built, every setting
//! declared as an application variable and passed to every component, the routes of
//! API.md mapped to the right component, SQLite and Redis access granted.

use std::collections::BTreeSet;

use chat_core::settings::SETTINGS;

const COMPONENTS: [&str; 5] = ["auth", "users", "conversations", "events", "web"];

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
    assert_eq!(variables.len(), SETTINGS.len(), "no undocumented variables");
}

#[test]
fn every_component_gets_every_setting_sqlite_and_redis() {
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
        assert!(
            hosts.contains(&"redis://*:*") && hosts.contains(&"rediss://*:*"),
            "{name}"
        );
        let variables = component["variables"]
            .as_table()
            .expect("component variables");
        for spec in SETTINGS {
            assert_eq!(
                variables.get(spec.name).and_then(|v| v.as_str()),
                Some(format!("{{{{ {} }}}}", spec.name).as_str()),
                "{name}.{}",
                spec.name
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
