//! The `Config` port: named settings from the host (Spin variables, or `CHAT_*` variables).

use std::collections::HashMap;

use crate::Result;

/// Looks up settings by their lower-case name (`redis_url`, `stream_seconds`, ...).
#[async_trait::async_trait]
pub trait Config: Send + Sync {
    /// The value of a setting, or `None` when it is not set.
    async fn get(&self, name: &str) -> Result<Option<String>>;
}

/// A fixed map of settings: for tests, and for hosts that read everything up front.
#[derive(Debug, Default, Clone)]
pub struct MapConfig(pub HashMap<String, String>);

impl MapConfig {
    /// A config holding the given pairs.
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        MapConfig(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

#[async_trait::async_trait]
impl Config for MapConfig {
    async fn get(&self, name: &str) -> Result<Option<String>> {
        Ok(self.0.get(name).cloned())
    }
}
