//! Spin adapters for the chat ports (spin-sdk 6, WASIp3) and [`serve`], the whole body of
//! every component: build the ports for this request, run the area's router, return.
//! Nothing outlives a request on Spin, so everything is built per request, lazily where
//! it costs a connection.

mod config;
mod redis;
mod sqlite;

use std::sync::Arc;

use axum::{body::Body, response::IntoResponse};
use chat_core::{
    Ports, Result,
    ports::{OsRandom, RedisCommands, SystemClock},
    settings::Settings,
};
use chat_http::{ApiError, AppState, Area, ClientIp};
use tower::ServiceExt;

pub use config::SpinConfig;
pub use redis::SpinRedis;
pub use sqlite::SpinSql;

/// Handles one request for `area`: the function every component's `#[http_service]` calls.
pub async fn serve(area: Area, request: spin_sdk::http::Request) -> axum::response::Response {
    let ports = match build_ports().await {
        Ok(ports) => ports,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let router = chat_http::router(area, AppState::new(ports));
    let mut request = request.map(Body::new);
    // Spin reports the peer as `spin-client-addr` (ip:port), set by the host itself.
    let client = request
        .headers()
        .get("spin-client-addr")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<std::net::SocketAddr>().ok());
    if let Some(peer) = client {
        request.extensions_mut().insert(ClientIp(peer.ip()));
    }
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The ports over Spin's SQLite database `default`, its variables, and Redis when
/// `redis_url` is set.
pub async fn build_ports() -> Result<Ports> {
    let settings = Settings::load(&SpinConfig).await?;
    let sql = Arc::new(SpinSql::open_default().await?);
    let redis: Option<Arc<dyn RedisCommands>> = settings
        .redis_url
        .as_ref()
        .map(|url| Arc::new(SpinRedis::new(url.clone())) as Arc<dyn RedisCommands>);
    Ok(Ports::assemble(
        sql,
        redis,
        Arc::new(SystemClock::new(spin_sdk::time::sleep)),
        Arc::new(OsRandom),
        Arc::new(settings),
    ))
}
