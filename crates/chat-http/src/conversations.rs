//! The conversations area: `/api/conversations/...` and `/api/rooms/...`.

use axum::{
    Router,
    extract::Path,
    routing::{get, patch, post, put},
};
use chat_core::{
    conversations::{DirectoryPage, HistoryPage, NewMessage, NewRoom, RoomChanges, SearchQuery},
    ids::{AttachmentId, ConversationId, MessageId},
    paging::ListPage,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, ApiQuery, AppState, Caller,
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/conversations", get(list))
        .route("/api/conversations/direct", post(open_direct))
        .route("/api/conversations/{id}", get(get_one).patch(update_room))
        .route("/api/conversations/{id}/leave", post(leave))
        .route("/api/conversations/{id}/preferences", put(set_preferences))
        .route("/api/conversations/{id}/messages", get(history).post(send))
        .route(
            "/api/conversations/{id}/messages/{message_id}",
            patch(edit).delete(delete_message),
        )
        .route(
            "/api/conversations/{id}/messages/{message_id}/reactions/{emoji}",
            put(add_reaction).delete(remove_reaction),
        )
        .route("/api/conversations/{id}/typing", post(typing))
        .route("/api/conversations/{id}/read", post(read))
        .route("/api/conversations/{id}/nudge", post(nudge))
        .route("/api/rooms", get(directory).post(create_room))
        .route("/api/rooms/{name_or_id}/join", post(join))
        .route("/api/search", get(search))
}

/// `?limit=&before=`, as text: `ListPage` says what a bad value is.
#[derive(Deserialize)]
struct ListQuery {
    limit: Option<String>,
    before: Option<String>,
}

async fn list(caller: Caller, ApiQuery(query): ApiQuery<ListQuery>) -> Reply {
    let page = ListPage::parse(query.limit.as_deref(), query.before.as_deref())?;
    let (conversations, next_before) = caller.conversations().list(&page).await?;
    reply::ok(json!({ "conversations": conversations, "next_before": next_before }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectBody {
    username: String,
}

async fn open_direct(caller: Caller, ApiJson(body): ApiJson<DirectBody>) -> Reply {
    let (conversation, created) = caller.conversations().open_direct(&body.username).await?;
    reply::created_or_ok(created, conversation)
}

async fn get_one(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    let conversation = caller.conversations().get(&id).await?;
    reply::ok(conversation)
}

async fn leave(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    caller.conversations().leave(&id).await?;
    reply::no_content()
}

/// `{muted?, hidden?}`: a field left out stays as it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    #[serde(default)]
    muted: Option<bool>,
    #[serde(default)]
    hidden: Option<bool>,
}

async fn set_preferences(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> Reply {
    let conversation = caller
        .conversations()
        .set_preferences(&id, body.muted, body.hidden)
        .await?;
    reply::ok(conversation)
}

/// `?before_seq=&limit=`, as text: `HistoryPage` says what a bad value is.
#[derive(Deserialize)]
struct HistoryQuery {
    before_seq: Option<String>,
    limit: Option<String>,
}

async fn history(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Reply {
    let page = HistoryPage::parse(query.before_seq.as_deref(), query.limit.as_deref())?;
    let (messages, has_more) = caller.conversations().history(&id, page).await?;
    reply::ok(json!({ "messages": messages, "has_more": has_more }))
}

/// `?q=&conversation_id=&from=&before=&limit=`, as text: `SearchQuery` says what a bad
/// value is.
#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    conversation_id: Option<String>,
    from: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

async fn search(caller: Caller, ApiQuery(params): ApiQuery<SearchParams>) -> Reply {
    let query = SearchQuery::parse(
        params.q.as_deref(),
        params.conversation_id.as_deref(),
        params.from.as_deref(),
        params.before.as_deref(),
        params.limit.as_deref(),
    )?;
    let (results, next_before) = caller.conversations().search(&query).await?;
    reply::ok(json!({
        "results": results,
        "next_before": next_before.map(|cursor| cursor.to_string()),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    #[serde(default)]
    body: String,
    client_id: String,
    #[serde(default)]
    reply_to: Option<MessageId>,
    #[serde(default)]
    attachments: Vec<AttachmentId>,
}

async fn send(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<SendBody>,
) -> Reply {
    let (message, created) = caller
        .conversations()
        .send(
            &id,
            &NewMessage {
                body: &body.body,
                client_id: &body.client_id,
                reply_to: body.reply_to.as_ref(),
                attachments: &body.attachments,
            },
        )
        .await?;
    reply::created_or_ok(created, message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditBody {
    body: String,
}

async fn edit(
    caller: Caller,
    Path((id, message_id)): Path<(ConversationId, MessageId)>,
    ApiJson(body): ApiJson<EditBody>,
) -> Reply {
    let message = caller
        .conversations()
        .edit(&id, &message_id, &body.body)
        .await?;
    reply::ok(message)
}

async fn delete_message(
    caller: Caller,
    Path((id, message_id)): Path<(ConversationId, MessageId)>,
) -> Reply {
    caller.conversations().delete(&id, &message_id).await?;
    reply::no_content()
}

async fn add_reaction(
    caller: Caller,
    Path((id, message_id, emoji)): Path<(ConversationId, MessageId, String)>,
) -> Reply {
    caller
        .conversations()
        .react(&id, &message_id, &emoji, true)
        .await?;
    reply::no_content()
}

async fn remove_reaction(
    caller: Caller,
    Path((id, message_id, emoji)): Path<(ConversationId, MessageId, String)>,
) -> Reply {
    caller
        .conversations()
        .react(&id, &message_id, &emoji, false)
        .await?;
    reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypingBody {
    typing: bool,
}

async fn typing(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<TypingBody>,
) -> Reply {
    caller.conversations().typing(&id, body.typing).await?;
    reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    seq: i64,
}

async fn read(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Reply {
    caller.conversations().mark_read(&id, body.seq).await?;
    reply::no_content()
}

async fn nudge(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    caller.conversations().nudge(&id).await?;
    reply::no_content()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    topic: Option<String>,
}

async fn create_room(caller: Caller, ApiJson(body): ApiJson<RoomBody>) -> Reply {
    let room = caller
        .conversations()
        .create_room(&NewRoom {
            name: body.name.as_deref(),
            title: body.title.as_deref(),
            topic: body.topic.as_deref(),
        })
        .await?;
    reply::created(room)
}

/// `{title?, topic?}`: a field left out stays; `""` or `null` clears it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomChangesBody {
    #[serde(default, deserialize_with = "present")]
    title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    topic: Option<Option<String>>,
}

/// A field that is there, even as `null` (`Some(None)`), apart from one left out (`None`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

async fn update_room(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<RoomChangesBody>,
) -> Reply {
    // null and "" both clear.
    let cleared = |field: &Option<Option<String>>| -> Option<String> {
        field
            .as_ref()
            .map(|value| value.clone().unwrap_or_default())
    };
    let (title, topic) = (cleared(&body.title), cleared(&body.topic));
    let room = caller
        .conversations()
        .update_room(
            &id,
            &RoomChanges {
                title: title.as_deref(),
                topic: topic.as_deref(),
            },
        )
        .await?;
    reply::ok(room)
}

/// `?q=&limit=&offset=`, as text: `DirectoryPage` says what a bad value is.
#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

async fn directory(caller: Caller, ApiQuery(query): ApiQuery<DirectoryQuery>) -> Reply {
    let page = DirectoryPage::parse(
        query.q.as_deref(),
        query.limit.as_deref(),
        query.offset.as_deref(),
    )?;
    let (rooms, has_more) = caller.conversations().directory(&page).await?;
    reply::ok(json!({ "rooms": rooms, "has_more": has_more }))
}

async fn join(caller: Caller, Path(name_or_id): Path<String>) -> Reply {
    let room = caller.conversations().join(&name_or_id).await?;
    reply::ok(room)
}
