//! Spin adapters for the chat ports (spin-sdk 5.2, WASIp2: what Spin 3.x and 4.x both run)
//! and [`serve`], the whole body of every component: build the ports for this request, run
//! the area's router, stream its response out. Nothing outlives a request on Spin, so
//! everything is built per request, lazily where it costs a connection.

mod config;
mod redis;
mod sqlite;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use axum::Router;
use axum::{
    body::Body,
    http::{Method, Request, header::HeaderName},
    response::{IntoResponse, Response},
};
use chat_core::{
    Ports,
    ports::{OsRandom, RedisCommands, SystemClock},
    settings::Settings,
};
use chat_http::{ApiError, AppState, ClientIp};
use futures::{SinkExt, StreamExt};
use spin_sdk_wasip2::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use tower::ServiceExt;

pub use config::SpinConfig;
pub use redis::SpinRedis;
pub use sqlite::SpinSql;

/// Request bodies up to this are read before routing, whole (every JSON body: the API's
/// limit is 64 KiB); a longer one (an upload) streams on from there.
const BODY_BUFFERED: usize = 64 * 1024;

/// Handles one request with the router `area` builds (one of `chat_http::*_router`): the
/// function every component's `#[http_component]` calls. The response body is written chunk by chunk as the router produces it (an SSE
/// stream event by event); a failed write means the client left, and the handler ends.
pub async fn serve(area: fn(AppState) -> Router, incoming: IncomingRequest, out: ResponseOutparam) {
    let response = match to_request(incoming).await {
        Ok(request) => respond(area, request).await,
        Err(error) => error.into_response(),
    };
    write(response, out).await;
}

async fn respond(area: fn(AppState) -> Router, request: Request<Body>) -> Response {
    let ports = match build_ports().await {
        Ok(ports) => ports,
        // A deployment fault, not the client's: the whole chain goes to the log, an opaque
        // 500 to the client.
        Err(e) => return ApiError::internal(format!("{e:#}")).into_response(),
    };
    let router = area(AppState::new(ports));
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// The WASI request as the `http` crate's, with the peer address Spin reports as
/// `spin-client-addr` (set by the host itself) as [`ClientIp`].
async fn to_request(incoming: IncomingRequest) -> std::result::Result<Request<Body>, ApiError> {
    let bad = |what: &str| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("malformed request {what}"),
        )
    };
    let method =
        Method::from_bytes(incoming.method().to_string().as_bytes()).map_err(|_| bad("method"))?;
    let mut builder = Request::builder().method(method).uri(incoming.uri());
    let mut client = None;
    for (name, value) in incoming.headers().entries() {
        // Spin appends its own `spin-client-addr` after whatever the client sent (a
        // client can send one too), so the last one is the host's: later ones win.
        // tests/browser/api.test.mjs checks a forged one opens no fresh throttle bucket.
        if name == "spin-client-addr" {
            client = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.parse::<std::net::SocketAddr>().ok());
        }
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad("header"))?;
        builder = builder.header(name, value);
    }
    // A body of up to BODY_BUFFERED bytes (every JSON body) is read here, whole; past that
    // (an upload) what was read and the rest stream to the router as it reads them.
    let mut chunks = incoming.into_body_stream();
    let mut read = Vec::new();
    let mut whole = true;
    while let Some(chunk) = chunks.next().await {
        read.extend_from_slice(&chunk.map_err(|_| bad("body"))?);
        if read.len() > BODY_BUFFERED {
            whole = false;
            break;
        }
    }
    let body = if whole {
        Body::from(read)
    } else {
        let first = axum::body::Bytes::from(read);
        let rest = chunks.map(|chunk| {
            chunk
                .map(axum::body::Bytes::from)
                .map_err(|e| std::io::Error::other(format!("request body: {e:?}")))
        });
        Body::from_stream(futures::stream::once(async { Ok(first) }).chain(rest))
    };
    let mut request = builder.body(body).map_err(|_| bad("line"))?;
    if let Some(peer) = client {
        request.extensions_mut().insert(ClientIp(peer.ip()));
    }
    Ok(request)
}

/// Sends the router's response: headers and status first, then the body as it comes.
async fn write(response: Response, out: ResponseOutparam) {
    let (parts, body) = response.into_parts();
    let headers = Fields::new();
    for (name, value) in &parts.headers {
        // Headers WASI forbids a guest to set are the host's business: skip them.
        let _ = headers.append(name.as_str(), value.as_bytes());
    }
    let outgoing = OutgoingResponse::new(headers);
    if outgoing.set_status_code(parts.status.as_u16()).is_err() {
        tracing::warn!("chat-spin: status {} refused by the host", parts.status);
    }
    let mut sink = outgoing.take_body();
    out.set(outgoing);
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(bytes) => {
                if sink.send(bytes.to_vec()).await.is_err() {
                    return; // the client went away
                }
            }
            Err(e) => {
                tracing::warn!("chat-spin: response body failed: {e}");
                return;
            }
        }
    }
    let _ = sink.close().await;
}

/// Sleeps by blocking in the host's clock: a component instance serves one request, and
/// nothing else in it runs while its stream waits, so there is nothing to yield to.
async fn sleep(duration: Duration) {
    std::thread::sleep(duration);
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
        .map(|url| Arc::new(SpinRedis::new(url.clone(), sql.clone())) as Arc<dyn RedisCommands>);
    Ok(Ports::assemble(
        sql,
        redis,
        Arc::new(SystemClock::new(sleep)),
        Arc::new(OsRandom),
        Arc::new(settings),
    ))
}
