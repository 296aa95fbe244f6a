//! The auth component over HTTP: every route, every error code, cookies, CSRF, throttling,
//! revocation and expiry, on both bus backends.

mod cookies;
mod devices;
mod secrets;
mod sessions;
mod signup;
mod throttling;

use std::time::Duration;

use chat_core::settings::Settings;
use chat_tests::{PASSWORD, TestServer, assert_error, both_backends, json, set_cookie};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The status of `POST path` with `body`, from the address `x-forwarded-for` claims.
async fn post_claiming(
    server: &TestServer,
    path: &str,
    forwarded_for: &str,
    body: Value,
) -> StatusCode {
    server
        .client
        .post(server.url(path))
        .header("x-forwarded-for", forwarded_for)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

/// A login of `username` from the address `x-forwarded-for` claims; the status.
async fn login_from(
    server: &TestServer,
    username: &str,
    password: &str,
    address: &str,
) -> StatusCode {
    let body = json!({"username": username, "password": password});
    post_claiming(server, "/api/auth/login", address, body).await
}
