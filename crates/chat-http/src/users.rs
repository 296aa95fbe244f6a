//! The users area: `/api/me`, `/api/users`, `/api/friends`, `/api/blocks`.

use axum::{
    Router,
    extract::Path,
    routing::{delete, get, post, put},
};
use chat_core::{paging::ListPage, presence::Presence, users::RequestOutcome};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, ApiQuery, AppState, Caller,
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/me",
            get(me).patch(update_profile).delete(delete_account),
        )
        .route("/api/me/export", get(export))
        .route("/api/me/presence", put(set_presence))
        .route("/api/users", get(search))
        .route("/api/users/{username}", get(lookup))
        .route("/api/friends", get(friends))
        .route("/api/friends/requests", post(request_friend))
        .route("/api/friends/requests/{username}", delete(cancel_request))
        .route("/api/friends/requests/{username}/accept", post(accept))
        .route("/api/friends/requests/{username}/decline", post(decline))
        .route("/api/friends/{username}", delete(unfriend))
        .route("/api/blocks", get(blocked))
        .route("/api/blocks/{username}", put(block).delete(unblock))
}

async fn me(caller: Caller) -> Reply {
    let user = caller.users().me().await?;
    reply::ok(user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileBody {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
}

async fn update_profile(caller: Caller, ApiJson(body): ApiJson<ProfileBody>) -> Reply {
    let user = caller
        .users()
        .update_profile(body.display_name.as_deref(), body.status_message.as_deref())
        .await?;
    reply::ok(user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceBody {
    presence: String,
}

async fn set_presence(caller: Caller, ApiJson(body): ApiJson<PresenceBody>) -> Reply {
    let presence = Presence::parse(&body.presence)?;
    let user = caller.users().set_presence(presence).await?;
    reply::ok(user)
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(caller: Caller, ApiQuery(query): ApiQuery<SearchQuery>) -> Reply {
    let users = caller.users().search(&query.q).await?;
    reply::ok(json!({ "users": users }))
}

async fn lookup(caller: Caller, Path(username): Path<String>) -> Reply {
    let user = caller.users().lookup(&username).await?;
    reply::ok(user)
}

/// `?limit=&after=`, as text: `ListPage` says what a bad value is.
#[derive(Deserialize)]
struct FriendsQuery {
    limit: Option<String>,
    after: Option<String>,
}

async fn friends(caller: Caller, ApiQuery(query): ApiQuery<FriendsQuery>) -> Reply {
    let page = ListPage::parse(query.limit.as_deref(), query.after.as_deref())?;
    let list = caller.users().friends(&page).await?;
    reply::ok(list)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    username: String,
}

async fn request_friend(caller: Caller, ApiJson(body): ApiJson<RequestBody>) -> Reply {
    let outcome = caller.users().request_friend(&body.username).await?;
    match outcome {
        RequestOutcome::Created(request) => reply::created(request),
        RequestOutcome::AlreadyPending(request) => reply::ok(request),
        RequestOutcome::BecameFriends(friend) => reply::ok(json!({ "friend": friend })),
    }
}

async fn accept(caller: Caller, Path(username): Path<String>) -> Reply {
    let friend = caller.users().accept(&username).await?;
    reply::ok(json!({ "friend": friend }))
}

async fn decline(caller: Caller, Path(username): Path<String>) -> Reply {
    caller.users().decline(&username).await?;
    reply::no_content()
}

async fn cancel_request(caller: Caller, Path(username): Path<String>) -> Reply {
    caller.users().cancel(&username).await?;
    reply::no_content()
}

async fn unfriend(caller: Caller, Path(username): Path<String>) -> Reply {
    caller.users().unfriend(&username).await?;
    reply::no_content()
}

async fn blocked(caller: Caller) -> Reply {
    let blocked = caller.users().blocked().await?;
    reply::ok(json!({ "blocked": blocked }))
}

async fn block(caller: Caller, Path(username): Path<String>) -> Reply {
    caller.users().block(&username).await?;
    reply::no_content()
}

async fn unblock(caller: Caller, Path(username): Path<String>) -> Reply {
    caller.users().unblock(&username).await?;
    reply::no_content()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteAccountBody {
    password: String,
}

/// Everything stored about the caller, as a JSON download.
async fn export(caller: Caller) -> Reply {
    let document = caller.accounts().export(&caller.session).await?;
    let mut response = reply::ok(document)?;
    response.headers_mut().insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"chat-export.json\""),
    );
    Ok(response)
}

/// Deletes the caller's account, with the password.
async fn delete_account(caller: Caller, ApiJson(body): ApiJson<DeleteAccountBody>) -> Reply {
    caller
        .accounts()
        .delete_account(&caller.session, &body.password)
        .await?;
    let mut response = reply::no_content()?;
    let headers = response.headers_mut();
    headers.append(
        axum::http::header::SET_COOKIE,
        crate::session_cookie::set("", 0, caller.client.https),
    );
    Ok(response)
}
