//! HTTP integration tests: the real routers served natively, every case on both bus
//! backends (SQLite and a real Redis).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod auth;
mod avatars;
mod conversations;
mod delivery;
mod events;
mod foundation;
mod fuzz;
mod manifest;
mod openapi;
mod passkeys;
mod per_request;
mod second_factor;
mod users;
