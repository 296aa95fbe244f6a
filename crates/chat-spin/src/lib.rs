//! Spin adapters for the chat ports on WASIp3 (spin-sdk 6: Spin 4.x, SpinKube's
//! containerd-shim-spin 0.26, Akamai Functions), and [`serve`], the whole body of every
//! component. Spin 4 reuses a WASIp3 instance for up to 128 requests, 16 at once by default,
//! and keeps its memory and host resources in between; so the instance builds its settings,
//! ports and router on its first request and keeps them, SQLite and Redis connections
//! included, and every later request only runs the router. Nothing of a request's own data
//! is kept: the router's state holds the ports and the settings, nothing else.
//!
//! The WASIp2 flavour (Spin 3.x, Fermyon Cloud: one instance per request) is
//! `chat-spin-wasip2`; both run the same chat-core and chat-http.

mod config;
mod redis;
mod sqlite;

use std::{sync::Mutex, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    body::Body,
    http::Request,
    response::{IntoResponse, Response},
};
use chat_core::{
    Ports,
    ports::{OsRandom, RedisCommands, SystemClock},
    settings::Settings,
};
use chat_http::{ApiError, AppState, ClientIp};
use futures::StreamExt;
use spin_sdk::http::body::IncomingBodyExt;
use std::sync::Arc;
use tower::ServiceExt;

pub use config::SpinConfig;
pub use redis::SpinRedis;
pub use sqlite::SpinSql;

/// The router this instance built on its first request, kept for the next ones.
static ROUTER: Mutex<Option<Router>> = Mutex::new(None);

/// Handles one request with the router `area` builds (one of `chat_http::*_router`): the
/// function every component's `#[http_service]` calls. The response body streams out as
/// the router produces it (an SSE stream event by event); the SDK writes it from a task of
/// its own, and when the client has left, the write fails and the body is dropped, which
/// ends the stream's handler.
pub async fn serve(area: fn(AppState) -> Router, incoming: spin_sdk::http::Request) -> Response {
    let request = match to_request(incoming).await {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let router = match instance_router(area).await {
        Ok(router) => router,
        // A deployment fault, not the client's: the whole chain goes to the log, an opaque
        // 500 to the client. Nothing is kept, so the next request tries again.
        Err(e) => return ApiError::internal(format!("{e:#}")).into_response(),
    };
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The instance's router, built on its first request. Two first requests at once may both
/// build one; the first stored wins, the other is dropped unused.
async fn instance_router(area: fn(AppState) -> Router) -> anyhow::Result<Router> {
    if let Some(router) = ROUTER.lock().ok().and_then(|kept| kept.clone()) {
        return Ok(router);
    }
    let router = area(AppState::new(build_ports().await?));
    let mut kept = ROUTER
        .lock()
        .map_err(|_| anyhow::anyhow!("the instance's router lock is poisoned"))?;
    Ok(kept.get_or_insert(router).clone())
}

/// Request bodies up to this are read before routing, whole, as one buffer (every JSON
/// body: the API's limit is 64 KiB); a longer one (an upload) streams on from there.
const BODY_BUFFERED: usize = 64 * 1024;

/// The `http` crate's request, and the peer address Spin reports as `spin-client-addr` (set
/// by the host itself) as [`ClientIp`]. A body of up to [`BODY_BUFFERED`] bytes is read
/// here at once; past that, what was read and the rest stream to the router as it reads
/// them, so an upload is never held whole.
async fn to_request(incoming: spin_sdk::http::Request) -> Result<Request<Body>, ApiError> {
    let (parts, incoming_body) = incoming.into_parts();
    // Spin appends its own `spin-client-addr` after whatever the client sent (a client can
    // send one too), so the last one is the host's. tests/browser/api.test.mjs checks a
    // forged one opens no fresh throttle bucket.
    let client = parts
        .headers
        .get_all("spin-client-addr")
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<std::net::SocketAddr>().ok());
    let malformed = || {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request",
            "malformed request body",
        )
    };
    let mut chunks = incoming_body.stream();
    let mut read = Vec::new();
    let mut whole = true;
    while let Some(chunk) = chunks.next().await {
        read.extend_from_slice(&chunk.map_err(|_| malformed())?);
        if read.len() > BODY_BUFFERED {
            whole = false;
            break;
        }
    }
    let body = if whole {
        Body::from(read)
    } else {
        let rest = chunks
            .map(|chunk| chunk.map_err(|e| std::io::Error::other(format!("request body: {e:?}"))));
        let first = axum::body::Bytes::from(read);
        Body::from_stream(futures::stream::once(async { Ok(first) }).chain(rest))
    };
    let mut request = Request::from_parts(parts, body);
    if let Some(peer) = client {
        request.extensions_mut().insert(ClientIp(peer.ip()));
    }
    Ok(request)
}

/// Sleeps in the host's monotonic clock without blocking the instance: other requests
/// (and other streams) run meanwhile.
async fn sleep(duration: Duration) {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    spin_sdk::wasip3::clocks::monotonic_clock::wait_for(nanos).await;
}

/// The ports over Spin's SQLite database `default`, its variables, and Redis when
/// `redis_url` is set. Fails only on the deployment's configuration (an application-level
/// error, hence `anyhow`): a variable the host cannot read or a value out of range.
pub async fn build_ports() -> anyhow::Result<Ports> {
    let settings = Settings::load(&SpinConfig)
        .await
        .context("reading the chat settings from this component's Spin variables")?;
    chat_http::logging::init(settings.log_format);
    let sql = Arc::new(SpinSql::default_database());
    let redis: Option<Arc<dyn RedisCommands>> = settings
        .redis_url
        .as_ref()
        .map(|url| Arc::new(SpinRedis::new(url.clone())) as Arc<dyn RedisCommands>);
    Ok(Ports::assemble(
        sql,
        redis,
        Arc::new(SystemClock::new(sleep)),
        Arc::new(OsRandom),
        Arc::new(settings),
    ))
}
