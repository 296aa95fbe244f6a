//! The conversations area: `/api/conversations/...` and `/api/rooms/...`.

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, patch, post},
};
use chat_core::conversations::{Conversations, HistoryPage};
use serde::Deserialize;
use serde_json::json;

use crate::{ApiError, ApiJson, AppState, Authenticated};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/conversations", get(list))
        .route("/api/conversations/direct", post(open_direct))
        .route("/api/conversations/{id}", get(get_one))
        .route("/api/conversations/{id}/leave", post(leave))
        .route("/api/conversations/{id}/messages", get(history).post(send))
        .route(
            "/api/conversations/{id}/messages/{message_id}",
            patch(edit).delete(delete_message),
        )
        .route("/api/conversations/{id}/typing", post(typing))
        .route("/api/conversations/{id}/read", post(read))
        .route("/api/conversations/{id}/nudge", post(nudge))
        .route("/api/rooms", post(create_room))
        .route("/api/rooms/{name_or_id}/join", post(join))
}

type Reply = Result<Response, ApiError>;

async fn list(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let conversations = Conversations::new(&state.ports, &session.user)
        .list()
        .await?;
    Ok(Json(json!({ "conversations": conversations })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectBody {
    username: String,
}

async fn open_direct(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<DirectBody>,
) -> Reply {
    let (conversation, created) = Conversations::new(&state.ports, &session.user)
        .open_direct(&body.username)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(conversation))).into_response())
}

async fn get_one(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Reply {
    let conversation = Conversations::new(&state.ports, &session.user)
        .get(&id)
        .await?;
    Ok(Json(json!(conversation)).into_response())
}

async fn leave(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    Conversations::new(&state.ports, &session.user)
        .leave(&id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn history(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "malformed query string",
        )
    })?;
    let page = HistoryPage::parse(
        query.get("before_seq").map(String::as_str),
        query.get("limit").map(String::as_str),
    )?;
    let (messages, has_more) = Conversations::new(&state.ports, &session.user)
        .history(&id, page)
        .await?;
    Ok(Json(json!({ "messages": messages, "has_more": has_more })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    body: String,
    client_id: String,
}

async fn send(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SendBody>,
) -> Reply {
    let (message, created) = Conversations::new(&state.ports, &session.user)
        .send(&id, &body.body, &body.client_id)
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(message))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    body: String,
}

async fn edit(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path((id, message_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<EditBody>,
) -> Reply {
    let message = Conversations::new(&state.ports, &session.user)
        .edit(&id, &message_id, &body.body)
        .await?;
    Ok(Json(json!(message)).into_response())
}

async fn delete_message(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path((id, message_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    Conversations::new(&state.ports, &session.user)
        .delete(&id, &message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingBody {
    typing: bool,
}

async fn typing(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TypingBody>,
) -> Result<StatusCode, ApiError> {
    Conversations::new(&state.ports, &session.user)
        .typing(&id, body.typing)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    seq: i64,
}

async fn read(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<StatusCode, ApiError> {
    Conversations::new(&state.ports, &session.user)
        .mark_read(&id, body.seq)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn nudge(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    Conversations::new(&state.ports, &session.user)
        .nudge(&id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomBody {
    #[serde(default)]
    name: Option<String>,
}

async fn create_room(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<RoomBody>,
) -> Reply {
    let room = Conversations::new(&state.ports, &session.user)
        .create_room(body.name.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(room))).into_response())
}

async fn join(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(name_or_id): Path<String>,
) -> Reply {
    let room = Conversations::new(&state.ports, &session.user)
        .join(&name_or_id)
        .await?;
    Ok(Json(json!(room)).into_response())
}
