//! Passkeys: `/api/auth/passkeys` (a signed-in user adds, lists and removes them) and
//! `/api/auth/passkey-login` (signing in with one). Each ceremony is two requests: the
//! options for the browser's WebAuthn call, then the browser's answer.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, Uri, header},
    routing::{delete, get, post},
};
use chat_core::accounts::{Accounts, RelyingParty};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiError, ApiJson, AppState, Caller,
    auth::signed_in,
    extract::{ClientInfo, SameOrigin},
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/passkeys", get(list).post(add))
        .route("/api/auth/passkeys/options", post(options))
        .route("/api/auth/passkeys/{id}", delete(remove))
        .route("/api/auth/passkey-login/options", post(login_options))
        .route("/api/auth/passkey-login", post(login))
}

/// The relying party of this request: the host the browser reached (the `Host` header,
/// else the request's own authority).
fn relying_party(
    headers: &HeaderMap,
    uri: &Uri,
    client: &ClientInfo,
) -> Result<RelyingParty, ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| uri.authority().map(|a| a.as_str().to_owned()))
        .unwrap_or_default();
    Ok(RelyingParty::for_host(&host, client.https)?)
}

async fn list(caller: Caller) -> Reply {
    let passkeys = caller.accounts().passkeys(&caller.session).await?;
    reply::ok(json!({ "passkeys": passkeys }))
}

async fn options(caller: Caller, headers: HeaderMap, uri: Uri) -> Reply {
    let rp = relying_party(&headers, &uri, &caller.client)?;
    let options = caller
        .accounts()
        .start_passkey(&caller.session, &rp)
        .await?;
    reply::ok(options)
}

/// `{name, credential}`: `credential` is the browser's `PublicKeyCredential.toJSON()`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    name: String,
    credential: serde_json::Value,
}

async fn add(
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
    ApiJson(body): ApiJson<AddBody>,
) -> Reply {
    let rp = relying_party(&headers, &uri, &caller.client)?;
    let answer = serde_json::to_vec(&body.credential).unwrap_or_default();
    let passkey = caller
        .accounts()
        .add_passkey(&caller.session, &rp, &body.name, &answer)
        .await?;
    reply::created(passkey)
}

async fn remove(caller: Caller, Path(id): Path<String>) -> Reply {
    caller
        .accounts()
        .remove_passkey(&caller.session, &id)
        .await?;
    reply::no_content()
}

async fn login_options(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    headers: HeaderMap,
    uri: Uri,
) -> Reply {
    let rp = relying_party(&headers, &uri, &client)?;
    let options = Accounts::new(&state.ports)
        .from(client.origin())
        .start_passkey_login(&rp, &client.address)
        .await?;
    reply::ok(options)
}

/// `{credential}`: the browser's `PublicKeyCredential.toJSON()` of the assertion.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    credential: serde_json::Value,
}

async fn login(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    headers: HeaderMap,
    uri: Uri,
    ApiJson(body): ApiJson<LoginBody>,
) -> Reply {
    let rp = relying_party(&headers, &uri, &client)?;
    let answer = serde_json::to_vec(&body.credential).unwrap_or_default();
    let signed = Accounts::new(&state.ports)
        .from(client.origin())
        .finish_passkey_login(&rp, &answer, &client.address, &client.user_agent)
        .await?;
    signed_in(&state, StatusCode::OK, &client, signed)
}
