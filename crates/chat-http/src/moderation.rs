//! Keeping a room: `/api/conversations/{id}/members/...`, `/bans`, `/invite`, `/reports`
//! and reporting a message.

use axum::{
    Router,
    extract::Path,
    routing::{delete, get, post, put},
};
use chat_core::{
    conversations::Role,
    ids::{ConversationId, MessageId},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, AppState, Caller,
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/conversations/{id}/members/{username}",
            delete(remove_member),
        )
        .route(
            "/api/conversations/{id}/members/{username}/role",
            put(set_role),
        )
        .route("/api/conversations/{id}/bans", get(bans).post(ban))
        .route("/api/conversations/{id}/bans/{username}", delete(unban))
        .route("/api/conversations/{id}/invite", post(change_invite))
        .route(
            "/api/conversations/{id}/messages/{message_id}/report",
            post(report),
        )
        .route("/api/conversations/{id}/reports", get(reports))
        .route(
            "/api/conversations/{id}/reports/{report_id}",
            delete(dismiss_report),
        )
}

async fn remove_member(
    caller: Caller,
    Path((id, username)): Path<(ConversationId, String)>,
) -> Reply {
    caller.conversations().remove_member(&id, &username).await?;
    reply::no_content()
}

/// `{role}`: `owner`, `moderator` or `member`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

async fn set_role(
    caller: Caller,
    Path((id, username)): Path<(ConversationId, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Reply {
    let role = Role::parse(&body.role)?;
    caller
        .conversations()
        .set_role(&id, &username, role)
        .await?;
    reply::no_content()
}

async fn bans(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    let bans = caller.conversations().bans(&id).await?;
    reply::ok(json!({ "bans": bans }))
}

/// `{username, reason?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BanBody {
    username: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn ban(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiJson(body): ApiJson<BanBody>,
) -> Reply {
    let ban = caller
        .conversations()
        .ban(&id, &body.username, body.reason.as_deref().unwrap_or(""))
        .await?;
    reply::created(ban)
}

async fn unban(caller: Caller, Path((id, username)): Path<(ConversationId, String)>) -> Reply {
    caller.conversations().unban(&id, &username).await?;
    reply::no_content()
}

async fn change_invite(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    let conversation = caller.conversations().change_invite(&id).await?;
    reply::ok(conversation)
}

/// `{reason}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    reason: String,
}

async fn report(
    caller: Caller,
    Path((id, message_id)): Path<(ConversationId, MessageId)>,
    ApiJson(body): ApiJson<ReportBody>,
) -> Reply {
    let (report, created) = caller
        .conversations()
        .report(&id, &message_id, &body.reason)
        .await?;
    reply::created_or_ok(created, report)
}

async fn reports(caller: Caller, Path(id): Path<ConversationId>) -> Reply {
    let reports = caller.conversations().reports(&id).await?;
    reply::ok(json!({ "reports": reports }))
}

async fn dismiss_report(
    caller: Caller,
    Path((id, report_id)): Path<(ConversationId, String)>,
) -> Reply {
    caller
        .conversations()
        .dismiss_report(&id, &report_id)
        .await?;
    reply::no_content()
}
