//! The `Config` port on Spin variables. Each component declares every setting in spin.toml,
//! mapped to the application variable of the same name.

use chat_core::{Error, Result, ports::Config};
use spin_sdk_wasip2::variables;

/// Reads settings with `spin_sdk_wasip2::variables::get`.
pub struct SpinConfig;

#[async_trait::async_trait]
impl Config for SpinConfig {
    async fn get(&self, name: &str) -> Result<Option<String>> {
        match variables::get(name) {
            Ok(value) => Ok(Some(value)),
            // Not declared for this component: the setting's default applies.
            Err(variables::Error::Undefined(_)) => Ok(None),
            Err(e) => Err(Error::Config(format!("variable {name}: {e:?}"))),
        }
    }
}
