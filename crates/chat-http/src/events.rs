//! The events area: `GET /api/events` (the SSE stream) and `POST /api/publish/{username}`.

use std::convert::Infallible;

use axum::{
    Router,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{
        IntoResponse,
        sse::{Event as SseEvent, Sse},
    },
    routing::{get, post},
};
use chat_core::events::{Frame, LiveStream, MAX_NOTIFICATION_BYTES, check_publish_key};
use serde::Deserialize;

use crate::{
    ApiError, ApiJson, ApiQuery, AppState, Caller,
    extract::{ClientInfo, bearer},
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/events", get(events))
        .route("/api/publish/{username}", post(publish))
}

fn to_sse(frame: Frame) -> SseEvent {
    match frame {
        Frame::Opening { retry, cursor } => SseEvent::default().retry(retry).id(cursor),
        Frame::Comment(text) => SseEvent::default().comment(text),
        Frame::Event { id, payload } => SseEvent::default()
            .id(id)
            .event(payload.kind())
            .data(payload.data_json()),
    }
}

/// `?last_event_id=`, for clients that cannot set headers.
#[derive(Debug, Default, Deserialize)]
struct EventsQuery {
    last_event_id: Option<String>,
}

/// The resume point: the `Last-Event-ID` header (what `EventSource` sends), or the
/// `last_event_id` query parameter.
fn last_event_id<'a>(headers: &'a HeaderMap, query: &'a EventsQuery) -> Option<&'a str> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(query.last_event_id.as_deref())
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

async fn events(
    caller: Caller,
    headers: HeaderMap,
    query: Result<ApiQuery<EventsQuery>, ApiError>,
) -> Reply {
    // The only parameter is an optional resume id: a query that does not parse has none.
    let query = query.map(|ApiQuery(q)| q).unwrap_or_default();
    let resume = last_event_id(&headers, &query);
    let live = LiveStream::open(
        caller.ports().clone(),
        caller.session.user,
        Some(caller.session.id),
        resume,
    )
    .await?;
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

/// A request carrying the configured publish key as its bearer token. Without a
/// configured key the publish route does not exist (404); a wrong key is 401. Checked
/// before the body is read.
struct PublishKey;

impl FromRequestParts<AppState> for PublishKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(configured) = state.ports.settings.publish_key.as_deref() else {
            return Err(ApiError::not_found("route"));
        };
        let presented = match bearer(&parts.headers) {
            Some(Ok(token)) => token,
            _ => String::new(),
        };
        let client = ClientInfo::from_request_parts(parts, state).await?;
        if !check_publish_key(&state.ports, &presented, configured, &client.address).await? {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_publish_key",
                "a valid publish key is required",
            ));
        }
        Ok(PublishKey)
    }
}

async fn publish(
    State(state): State<AppState>,
    _: PublishKey,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value, MAX_NOTIFICATION_BYTES>,
) -> Reply {
    chat_core::events::publish(&state.ports, &username, body).await?;
    reply::accepted()
}
