//! The events area: `GET /api/events` (the SSE stream) and `POST /api/publish/{username}`.

use std::{collections::HashMap, convert::Infallible};

use axum::{
    Router,
    body::Body,
    extract::{Path, Query, Request, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event as SseEvent, Sse},
    },
    routing::{get, post},
};
use chat_core::events::{Frame, LiveStream, MAX_NOTIFICATION_BYTES, publish_key_matches};

use crate::{ApiError, AppState, Authenticated, auth::bearer, json::is_json};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(events))
        .route("/api/publish/{username}", post(publish))
}

fn to_sse(frame: Frame) -> SseEvent {
    match frame {
        Frame::Retry(after) => SseEvent::default().retry(after),
        Frame::Comment(text) => SseEvent::default().comment(text),
        Frame::Event { id, payload } => SseEvent::default()
            .id(id)
            .event(payload.kind())
            .data(payload.data_json()),
    }
}

/// The resume point: the `Last-Event-ID` header (what `EventSource` sends), or the
/// `last_event_id` query parameter for clients that cannot set headers.
fn last_event_id<'a>(
    headers: &'a HeaderMap,
    query: &'a HashMap<String, String>,
) -> Option<&'a str> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or_else(|| query.get("last_event_id").map(String::as_str))
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

async fn events(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    // The only parameter is an optional resume id: a query that does not parse has none.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let resume = last_event_id(&headers, &query);
    let live = LiveStream::open(state.ports.clone(), session.user, resume).await?;
    let frames = futures::stream::unfold(live, |mut live| async move {
        let frame = live.next().await?;
        Some((Ok::<_, Infallible>(to_sse(frame)), live))
    });
    let mut response = Sse::new(frames).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Proxies such as nginx would otherwise buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

async fn publish(
    State(state): State<AppState>,
    Path(username): Path<String>,
    request: Request,
) -> Result<StatusCode, ApiError> {
    // Without a configured key the route does not exist.
    let Some(configured) = state.ports.settings.publish_key.as_deref() else {
        return Err(ApiError::not_found("route"));
    };
    let presented = match bearer(request.headers()) {
        Some(Ok(token)) => token,
        _ => String::new(),
    };
    if !publish_key_matches(&presented, configured) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_publish_key",
            "a valid publish key is required",
        ));
    }
    if !is_json(&request) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "request body must be application/json",
        ));
    }
    let body: Body = request.into_body();
    let bytes = axum::body::to_bytes(body, MAX_NOTIFICATION_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "a notification must be at most 16 KiB",
            )
        })?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("invalid JSON body: {e}"),
        )
    })?;
    chat_core::events::publish(&state.ports, &username, value).await?;
    Ok(StatusCode::ACCEPTED)
}
