//! Settings from the environment: setting `name` is read from `CHAT_<NAME>`, with explicit
//! overrides (command-line flags) taking precedence.

use std::collections::HashMap;

use chat_core::{Result, ports::Config};

/// Reads `CHAT_*` environment variables, after any overrides.
#[derive(Debug, Default, Clone)]
pub struct EnvConfig {
    overrides: HashMap<String, String>,
}

impl EnvConfig {
    /// Environment only.
    pub fn new() -> Self {
        EnvConfig::default()
    }

    /// Sets `name` to `value` whatever the environment says.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.overrides.insert(name.to_owned(), value.into());
        self
    }
}

/// The environment variable that holds setting `name`.
pub fn env_name(name: &str) -> String {
    format!("CHAT_{}", name.to_ascii_uppercase())
}

#[async_trait::async_trait]
impl Config for EnvConfig {
    async fn get(&self, name: &str) -> Result<Option<String>> {
        if let Some(value) = self.overrides.get(name) {
            return Ok(Some(value.clone()));
        }
        Ok(std::env::var(env_name(name)).ok())
    }
}
