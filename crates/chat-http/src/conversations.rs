//! The conversations area: `/api/conversations/...` and `/api/rooms/...`.

use axum::{
    Router,
    extract::{Path, State},
    routing::{get, patch, post},
};
use chat_core::{
    conversations::{Conversations, HistoryPage},
    ids::{ConversationId, MessageId},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, ApiQuery, AppState, Authenticated,
    reply::{self, Reply},
};

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

async fn list(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let conversations = Conversations::new(&state.ports, &session.user)
        .list()
        .await?;
    reply::ok(json!({ "conversations": conversations }))
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
    reply::created_or_ok(created, conversation)
}

async fn get_one(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
) -> Reply {
    let conversation = Conversations::new(&state.ports, &session.user)
        .get(&id)
        .await?;
    reply::ok(conversation)
}

async fn leave(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
) -> Reply {
    Conversations::new(&state.ports, &session.user)
        .leave(&id)
        .await?;
    reply::no_content()
}

/// `?before_seq=&limit=`, as text: `HistoryPage` says what a bad value is.
#[derive(Deserialize)]
struct HistoryQuery {
    before_seq: Option<String>,
    limit: Option<String>,
}

async fn history(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Reply {
    let page = HistoryPage::parse(query.before_seq.as_deref(), query.limit.as_deref())?;
    let (messages, has_more) = Conversations::new(&state.ports, &session.user)
        .history(&id, page)
        .await?;
    reply::ok(json!({ "messages": messages, "has_more": has_more }))
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
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<SendBody>,
) -> Reply {
    let (message, created) = Conversations::new(&state.ports, &session.user)
        .send(&id, &body.body, &body.client_id)
        .await?;
    reply::created_or_ok(created, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    body: String,
}

async fn edit(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path((id, message_id)): Path<(ConversationId, MessageId)>,
    ApiJson(body): ApiJson<EditBody>,
) -> Reply {
    let message = Conversations::new(&state.ports, &session.user)
        .edit(&id, &message_id, &body.body)
        .await?;
    reply::ok(message)
}

async fn delete_message(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path((id, message_id)): Path<(ConversationId, MessageId)>,
) -> Reply {
    Conversations::new(&state.ports, &session.user)
        .delete(&id, &message_id)
        .await?;
    reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingBody {
    typing: bool,
}

async fn typing(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<TypingBody>,
) -> Reply {
    Conversations::new(&state.ports, &session.user)
        .typing(&id, body.typing)
        .await?;
    reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    seq: i64,
}

async fn read(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Reply {
    Conversations::new(&state.ports, &session.user)
        .mark_read(&id, body.seq)
        .await?;
    reply::no_content()
}

async fn nudge(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<ConversationId>,
) -> Reply {
    Conversations::new(&state.ports, &session.user)
        .nudge(&id)
        .await?;
    reply::no_content()
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
    reply::created(room)
}

async fn join(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(name_or_id): Path<String>,
) -> Reply {
    let room = Conversations::new(&state.ports, &session.user)
        .join(&name_or_id)
        .await?;
    reply::ok(room)
}
