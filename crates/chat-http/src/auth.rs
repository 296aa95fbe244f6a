//! The `/api/auth/...` routes: signup, login (and its second factor), logout, the current
//! session, password change, the caller's sessions, and setting up the second factor. The
//! extractors they use live in `extract.rs`, the cookie in `session_cookie.rs`.

use axum::{
    Router,
    extract::{Path, State},
    http::{StatusCode, header},
    routing::{delete, get, post},
};
use chat_core::accounts::{Accounts, LoginAttempt, LoginOutcome, NewAccount};
use serde::Deserialize;
use serde_json::json;

use crate::{
    ApiJson, AppState, Caller,
    extract::{ClientInfo, SameOrigin},
    reply::{self, Reply},
    session_cookie,
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/login/second-factor", post(login_second_factor))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/session", get(current_session))
        .route("/api/auth/password", post(change_password))
        .route("/api/auth/sessions", get(list_sessions))
        .route("/api/auth/sessions/{id}", delete(revoke_session))
        .route("/api/auth/security-events", get(security_events))
        .route(
            "/api/auth/tokens",
            get(list_api_tokens).post(create_api_token),
        )
        .route("/api/auth/tokens/{id}", delete(revoke_api_token))
        .route("/api/auth/second-factor", get(second_factor))
        .route("/api/auth/second-factor/totp", post(start_totp))
        .route("/api/auth/second-factor/totp/confirm", post(confirm_totp))
        .route("/api/auth/second-factor/remove", post(remove_second_factor))
        .route(
            "/api/auth/second-factor/recovery-codes",
            post(renew_recovery_codes),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondFactorBody {
    challenge: String,
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordOnlyBody {
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeBody {
    code: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignupBody {
    username: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// The reply to a signup or login: the user and the session cookie, and for an API client
/// the bearer token. A browser's page gets no token in the body: its session is the
/// HttpOnly cookie alone, out of reach of any script in the page.
pub(crate) fn signed_in(
    state: &AppState,
    status: StatusCode,
    client: &ClientInfo,
    signed: chat_core::accounts::SignedIn,
) -> Reply {
    let max_age = state.ports.settings.session_max.as_secs();
    let set_cookie = session_cookie::set(signed.token.expose(), max_age, client.https);
    let body = if client.browser {
        json!({ "user": signed.user })
    } else {
        json!({ "user": signed.user, "token": signed.token.expose() })
    };
    let mut response = reply::json(status, body)?;
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, set_cookie);
    // The device cookie: this client signed in here, so its later logins to this account
    // draw on the hashes kept for known devices.
    headers.append(
        header::SET_COOKIE,
        session_cookie::set_device(signed.device.expose(), client.https),
    );
    Ok(response)
}

async fn signup(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignupBody>,
) -> Reply {
    let signed = Accounts::new(&state.ports)
        .from(client.origin())
        .signup(NewAccount {
            username: &body.username,
            password: &body.password,
            display_name: body.display_name.as_deref(),
            client: &client.address,
            user_agent: &client.user_agent,
        })
        .await?;
    signed_in(&state, StatusCode::CREATED, &client, signed)
}

async fn login(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginBody>,
) -> Reply {
    let outcome = Accounts::new(&state.ports)
        .from(client.origin())
        .login(LoginAttempt {
            username: &body.username,
            password: &body.password,
            client: &client.address,
            user_agent: &client.user_agent,
            device: client.device.as_deref(),
        })
        .await?;
    match outcome {
        LoginOutcome::SignedIn(signed) => signed_in(&state, StatusCode::OK, &client, signed),
        // The password was right; no session until the second factor is (202: accepted,
        // not done).
        LoginOutcome::SecondFactorRequired {
            challenge,
            expires_in,
        } => reply::json(
            StatusCode::ACCEPTED,
            json!({
                "second_factor_required": true,
                "challenge": challenge.expose(),
                "expires_in": expires_in,
            }),
        ),
    }
}

async fn login_second_factor(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    ApiJson(body): ApiJson<SecondFactorBody>,
) -> Reply {
    let signed = Accounts::new(&state.ports)
        .from(client.origin())
        .finish_login(&body.challenge, &body.code)
        .await?;
    signed_in(&state, StatusCode::OK, &client, signed)
}

async fn second_factor(caller: Caller) -> Reply {
    reply::ok(caller.accounts().second_factor(&caller.session).await?)
}

async fn start_totp(caller: Caller, ApiJson(body): ApiJson<PasswordOnlyBody>) -> Reply {
    reply::ok(
        caller
            .accounts()
            .start_totp(&caller.session, &body.password)
            .await?,
    )
}

async fn confirm_totp(caller: Caller, ApiJson(body): ApiJson<CodeBody>) -> Reply {
    let codes = caller
        .accounts()
        .confirm_totp(&caller.session, &body.code)
        .await?;
    reply::ok(json!({ "recovery_codes": codes }))
}

async fn remove_second_factor(caller: Caller, ApiJson(body): ApiJson<PasswordOnlyBody>) -> Reply {
    caller
        .accounts()
        .remove_second_factor(&caller.session, &body.password)
        .await?;
    reply::no_content()
}

async fn renew_recovery_codes(caller: Caller, ApiJson(body): ApiJson<PasswordOnlyBody>) -> Reply {
    let codes = caller
        .accounts()
        .renew_recovery_codes(&caller.session, &body.password)
        .await?;
    reply::ok(json!({ "recovery_codes": codes }))
}

async fn logout(caller: Caller) -> Reply {
    caller.accounts().logout(&caller.session).await?;
    let mut response = reply::no_content()?;
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        session_cookie::set("", 0, caller.client.https),
    );
    if caller.client.https {
        headers.append(header::SET_COOKIE, session_cookie::clear_plain());
    }
    Ok(response)
}

async fn current_session(caller: Caller) -> Reply {
    reply::ok(json!({ "user": caller.user() }))
}

async fn change_password(caller: Caller, ApiJson(body): ApiJson<PasswordBody>) -> Reply {
    caller
        .accounts()
        .change_password(&caller.session, &body.current_password, &body.new_password)
        .await?;
    reply::no_content()
}

async fn list_sessions(caller: Caller) -> Reply {
    let sessions = caller.accounts().sessions(&caller.session).await?;
    reply::ok(json!({ "sessions": sessions }))
}

async fn revoke_session(caller: Caller, Path(id): Path<String>) -> Reply {
    caller.accounts().revoke(&caller.session, &id).await?;
    reply::no_content()
}

async fn security_events(caller: Caller) -> Reply {
    let events = chat_core::audit::recent(caller.ports(), &caller.user().id, 50).await?;
    reply::ok(json!({ "events": events }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    password: String,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

async fn create_api_token(caller: Caller, ApiJson(body): ApiJson<NewTokenBody>) -> Reply {
    let (info, token) = caller
        .accounts()
        .create_api_token(
            &caller.session,
            &body.password,
            &body.name,
            body.expires_in_days,
        )
        .await?;
    // The token is shown this once; it is for the script, so the page's scripts see it too
    // (a cookie-only session cannot be copied into a script).
    reply::created(json!({ "token": token.expose(), "api_token": info }))
}

async fn list_api_tokens(caller: Caller) -> Reply {
    let tokens = caller.accounts().api_tokens(&caller.session).await?;
    reply::ok(json!({ "api_tokens": tokens }))
}

async fn revoke_api_token(caller: Caller, Path(id): Path<String>) -> Reply {
    caller
        .accounts()
        .revoke_api_token(&caller.session, &id)
        .await?;
    reply::no_content()
}
