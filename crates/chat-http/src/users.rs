//! The users area: `/api/me`, `/api/users`, `/api/friends`, `/api/blocks`.

use axum::{
    Router,
    extract::{Path, State},
    routing::{delete, get, post, put},
};
use chat_core::{
    paging::ListPage,
    presence::Presence,
    users::{RequestOutcome, Users},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, ApiQuery, AppState, Authenticated,
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

async fn me(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let user = Users::new(&state.ports, &session.user).me().await?;
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

async fn update_profile(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Reply {
    let user = Users::new(&state.ports, &session.user)
        .update_profile(body.display_name.as_deref(), body.status_message.as_deref())
        .await?;
    reply::ok(user)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresenceBody {
    presence: String,
}

async fn set_presence(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<PresenceBody>,
) -> Reply {
    let presence = Presence::parse(&body.presence)?;
    let user = Users::new(&state.ports, &session.user)
        .set_presence(presence)
        .await?;
    reply::ok(user)
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Reply {
    let users = Users::new(&state.ports, &session.user)
        .search(&query.q)
        .await?;
    reply::ok(json!({ "users": users }))
}

async fn lookup(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    let user = Users::new(&state.ports, &session.user)
        .lookup(&username)
        .await?;
    reply::ok(user)
}

/// `?limit=&after=`, as text: `ListPage` says what a bad value is.
#[derive(Deserialize)]
struct FriendsQuery {
    limit: Option<String>,
    after: Option<String>,
}

async fn friends(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiQuery(query): ApiQuery<FriendsQuery>,
) -> Reply {
    let page = ListPage::parse(query.limit.as_deref(), query.after.as_deref())?;
    let list = Users::new(&state.ports, &session.user)
        .friends(&page)
        .await?;
    reply::ok(list)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    username: String,
}

async fn request_friend(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<RequestBody>,
) -> Reply {
    let outcome = Users::new(&state.ports, &session.user)
        .request_friend(&body.username)
        .await?;
    match outcome {
        RequestOutcome::Created(request) => reply::created(request),
        RequestOutcome::AlreadyPending(request) => reply::ok(request),
        RequestOutcome::BecameFriends(friend) => reply::ok(json!({ "friend": friend })),
    }
}

async fn accept(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    let friend = Users::new(&state.ports, &session.user)
        .accept(&username)
        .await?;
    reply::ok(json!({ "friend": friend }))
}

async fn decline(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    Users::new(&state.ports, &session.user)
        .decline(&username)
        .await?;
    reply::no_content()
}

async fn cancel_request(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    Users::new(&state.ports, &session.user)
        .cancel(&username)
        .await?;
    reply::no_content()
}

async fn unfriend(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    Users::new(&state.ports, &session.user)
        .unfriend(&username)
        .await?;
    reply::no_content()
}

async fn blocked(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let blocked = Users::new(&state.ports, &session.user).blocked().await?;
    reply::ok(json!({ "blocked": blocked }))
}

async fn block(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    Users::new(&state.ports, &session.user)
        .block(&username)
        .await?;
    reply::no_content()
}

async fn unblock(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    Users::new(&state.ports, &session.user)
        .unblock(&username)
        .await?;
    reply::no_content()
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteAccountBody {
    password: String,
}

/// Everything stored about the caller, as a JSON download.
async fn export(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let document = chat_core::accounts::Accounts::new(&state.ports)
        .export(&session)
        .await?;
    let mut response = reply::ok(document)?;
    response.headers_mut().insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"chat-export.json\""),
    );
    Ok(response)
}

/// Deletes the caller's account, with the password.
async fn delete_account(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    client: crate::extract::ClientInfo,
    ApiJson(body): ApiJson<DeleteAccountBody>,
) -> Reply {
    chat_core::accounts::Accounts::new(&state.ports)
        .from(client.origin())
        .delete_account(&session, &body.password)
        .await?;
    let mut response = reply::no_content()?;
    let headers = response.headers_mut();
    headers.append(
        axum::http::header::SET_COOKIE,
        crate::session_cookie::set("", 0, client.https),
    );
    Ok(response)
}
