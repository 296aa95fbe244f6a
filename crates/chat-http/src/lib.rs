//! The HTTP face of the chat service: an axum [`Router`] per component area, built over the
//! ports. Each Spin component calls its area's constructor ([`auth_router`],
//! [`users_router`], [`conversations_router`], [`events_router`], [`web_router`]); the
//! native host serves [`app`], every area on one port. Both run the same handlers.

mod attachments;
mod auth;
mod avatars;
mod caller;
mod conversations;
mod error;
mod events;
mod extract;
mod health;
mod json;
pub mod logging;
mod moderation;
mod openapi;
mod passkeys;
mod reply;
mod session_cookie;
mod state;
mod users;
mod web;

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};

pub(crate) use caller::Caller;
pub use error::ApiError;
pub use extract::{ApiQuery, Authenticated, ClientIp};
pub use json::{ApiJson, MAX_BODY_BYTES};
pub use session_cookie::{SECURE_SESSION_COOKIE, SESSION_COOKIE};
pub use state::AppState;

// One area per Spin component (spin.toml routes each its paths); each area's routes are
// listed once, below, and both its component's router and the native host's `app` use
// them. A component names only its own constructor: the other areas' handlers, and the
// embedded page outside `web`, are then dead code the linker leaves out of its .wasm.

/// `/api/auth/...`: accounts, sessions, the second factor and passkeys.
fn auth_routes() -> Router<AppState> {
    auth::routes().merge(passkeys::routes())
}

/// `/api/me`, `/api/users`, `/api/friends`, `/api/blocks`: profiles and contacts.
fn users_routes() -> Router<AppState> {
    users::routes().merge(avatars::routes())
}

/// `/api/conversations`, `/api/rooms`, `/api/search`: conversations, messages, files and
/// keeping rooms.
fn conversations_routes() -> Router<AppState> {
    conversations::routes()
        .merge(attachments::routes())
        .merge(moderation::routes())
}

/// `/api/health`, `/api/openapi.json` (the page itself is the `web` fallback).
fn web_routes() -> Router<AppState> {
    health::routes().merge(openapi::routes())
}

/// The `auth` component's router.
pub fn auth_router(state: AppState) -> Router {
    finish(auth_routes(), error::not_found, state)
}

/// The `users` component's router.
pub fn users_router(state: AppState) -> Router {
    finish(users_routes(), error::not_found, state)
}

/// The `conversations` component's router.
pub fn conversations_router(state: AppState) -> Router {
    finish(conversations_routes(), error::not_found, state)
}

/// The `events` component's router: `/api/events`, `/api/publish/...`.
pub fn events_router(state: AppState) -> Router {
    finish(events::routes(), error::not_found, state)
}

/// The `web` component's router. It is mounted at `/...`, so it also receives unknown
/// `/api/...` paths: those get the JSON 404, everything else is looked up in `static/`.
pub fn web_router(state: AppState) -> Router {
    finish(web_routes(), web::serve_static, state)
}

/// Every area on one router, as the native host serves them.
pub fn app(state: AppState) -> Router {
    let routes = auth_routes()
        .merge(users_routes())
        .merge(conversations_routes())
        .merge(events::routes())
        .merge(web_routes());
    finish(routes, web::serve_static, state)
}

fn finish<H, T>(routes: Router<AppState>, fallback: H, state: AppState) -> Router
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    routes
        .fallback(fallback)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), ensure_schema))
        .layer(middleware::from_fn(in_request_span))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

/// Runs the request in a span naming its method and route, so whatever it logs (a 5xx
/// above all) says which operation it was part of. The route's template, never the path:
/// paths carry private rooms' ids, which are their secret links.
async fn in_request_span(request: Request, next: Next) -> Response {
    // The span records its fields as it is made, so the route is borrowed, not copied.
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("(unrouted)", |path| path.as_str());
    let span = tracing::info_span!("request", method = %request.method(), route = %route);
    tracing::Instrument::instrument(next.run(request), span).await
}

/// Applies pending migrations before the first request that needs the database (see
/// [`extract::check_schema`]: a request with a session token pays nothing extra for it).
async fn ensure_schema(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if parts.uri.path().starts_with("/api/")
        && parts.uri.path() != "/api/health"
        && let Err(e) = extract::check_schema(&state, &mut parts).await
    {
        return axum::response::IntoResponse::into_response(ApiError::from(e));
    }
    next.run(Request::from_parts(parts, body)).await
}

/// The policy of every response that sets none of its own (the API's JSON, its errors,
/// the event stream): it loads nothing, runs nothing and is framed by nobody. The page
/// (`web::CONTENT_SECURITY_POLICY`) and stored files set theirs.
pub const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Headers every response carries; over https also `Strict-Transport-Security`, so the
/// browser never tries plain http for this host (nor, by default, its subdomains) again
/// (browsers ignore the header on plain http, so a client claiming https by
/// `X-Forwarded-Proto` gains nothing). `Cross-Origin-Opener-Policy` keeps a window this
/// site opens, or that opens it, from holding a handle on the other.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let https = extract::came_over_https(request.uri(), request.headers());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(if state.ports.settings.hsts_include_subdomains {
                "max-age=31536000; includeSubDomains"
            } else {
                "max-age=31536000"
            }),
        );
    }
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CONTENT_SECURITY_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
