//! The chat service's domain: ports (traits the hosts implement), the logic that runs over
//! them, settings, migrations and the error type. It knows nothing of Spin, axum or tokio,
//! so the exact same code runs inside a Spin component and in the native development host.

pub mod accounts;
pub mod attachments;
pub mod audit;
pub mod blobs;
pub mod bus;
pub mod conversations;
pub(crate) mod delivery;
pub mod error;
pub mod events;
pub mod health;
pub mod ids;
pub mod migrations;
pub mod model;
pub mod paging;
pub mod ports;
pub mod presence;
pub mod proxies;
pub(crate) mod relations;
pub mod search_index;
pub mod settings;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod text;
pub mod throttle;
pub mod time;
pub mod users;
pub mod vocabulary;
mod wiring;

pub use error::{Error, Result, ResultExt};
pub use wiring::Ports;
