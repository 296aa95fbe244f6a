//! The users area: `/api/me`, `/api/users`, `/api/friends`, `/api/blocks`.

use axum::{
    Json, Router,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get, post, put},
};
use chat_core::{
    presence::Presence,
    users::{RequestOutcome, Users},
};
use serde::Deserialize;
use serde_json::json;

use crate::{ApiError, ApiJson, AppState, Authenticated};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me).patch(update_profile))
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

type Reply = Result<Response, ApiError>;

fn ok(body: serde_json::Value) -> Reply {
    Ok(Json(body).into_response())
}

async fn me(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let user = Users::new(&state.ports, &session.user).me().await?;
    ok(json!(user))
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
    ok(json!(user))
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
    ok(json!(user))
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Reply {
    let Query(query) = query.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "q must be 1-64 characters",
        )
    })?;
    let users = Users::new(&state.ports, &session.user)
        .search(&query.q)
        .await?;
    ok(json!({ "users": users }))
}

async fn lookup(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    let user = Users::new(&state.ports, &session.user)
        .lookup(&username)
        .await?;
    ok(json!(user))
}

async fn friends(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let list = Users::new(&state.ports, &session.user).friends().await?;
    ok(json!(list))
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
    Ok(match outcome {
        RequestOutcome::Created(request) => {
            (StatusCode::CREATED, Json(json!(request))).into_response()
        }
        RequestOutcome::AlreadyPending(request) => Json(json!(request)).into_response(),
        RequestOutcome::BecameFriends(friend) => Json(json!({ "friend": friend })).into_response(),
    })
}

async fn accept(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Reply {
    let friend = Users::new(&state.ports, &session.user)
        .accept(&username)
        .await?;
    ok(json!({ "friend": friend }))
}

async fn decline(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    Users::new(&state.ports, &session.user)
        .decline(&username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn cancel_request(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    Users::new(&state.ports, &session.user)
        .cancel(&username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unfriend(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    Users::new(&state.ports, &session.user)
        .unfriend(&username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn blocked(State(state): State<AppState>, Authenticated(session): Authenticated) -> Reply {
    let blocked = Users::new(&state.ports, &session.user).blocked().await?;
    ok(json!({ "blocked": blocked }))
}

async fn block(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    Users::new(&state.ports, &session.user)
        .block(&username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unblock(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    Users::new(&state.ports, &session.user)
        .unblock(&username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
