//! Authentication for every route: the [`Authenticated`] extractor (bearer token or session
//! cookie, with the CSRF rule for cookie-authenticated writes), the cookie itself, the
//! client-address extension hosts set, and the `/api/auth/...` routes.

use std::net::IpAddr;

use axum::{
    Json, Router,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use chat_core::{
    Error,
    accounts::{Accounts, LoginAttempt, Session, SessionToken},
};
use serde::Deserialize;
use serde_json::json;

use crate::{ApiError, ApiJson, AppState};

/// Name of the session cookie over plain http (a laptop's `spin up`).
pub const SESSION_COOKIE: &str = "chat_session";
/// Name of the session cookie over https. The `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`: a sibling subdomain or a plain-http
/// page cannot plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-chat_session";

/// The client's address, inserted as a request extension by the host: from the socket
/// natively, from Spin's `spin-client-addr` on Spin. Never taken from client headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// A request made with a valid session.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Session);

fn unauthenticated() -> ApiError {
    ApiError::from(Error::Unauthenticated)
}

fn csrf(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", message)
}

/// The token of `Authorization: Bearer <token>`, if that header is present.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let parsed = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned())
        .ok_or_else(unauthenticated);
    Some(parsed)
}

/// The session cookie's value, if sent: the `__Host-` one first, else the plain one (http,
/// or a cookie set before the prefix was used).
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let pairs = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
    };
    [SECURE_SESSION_COOKIE, SESSION_COOKIE]
        .into_iter()
        .find_map(|wanted| pairs().find(|(name, _)| *name == wanted))
        .map(|(_, value)| value.trim().to_owned())
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Refuses a request whose `Origin` header names another site. Browsers send `Origin` on
/// cross-site writes, so a forged form post or fetch from elsewhere stops here.
fn check_origin(parts: &Parts) -> Result<(), ApiError> {
    let Some(origin) = parts.headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let own_host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()));
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'));
    match (origin_host, own_host) {
        (Some(theirs), Some(ours)) if theirs.eq_ignore_ascii_case(ours) => Ok(()),
        _ => Err(csrf("cross-site request refused")),
    }
}

/// The CSRF rule of the API for cookie-authenticated writes: JSON only (a cross-site form
/// cannot send it without a CORS preflight we never grant), and a same-site `Origin`.
fn check_csrf(parts: &Parts) -> Result<(), ApiError> {
    if !is_write(&parts.method) {
        return Ok(());
    }
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(csrf(
            "cookie-authenticated writes must be sent as application/json",
        ));
    }
    check_origin(parts)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (raw, via_cookie) = match bearer(&parts.headers) {
            Some(token) => (token?, false),
            None => (
                session_cookie(&parts.headers).ok_or_else(unauthenticated)?,
                true,
            ),
        };
        let token = SessionToken::parse(&raw).ok_or_else(unauthenticated)?;
        let session = Accounts::new(&state.ports).authenticate(&token).await?;
        if via_cookie {
            check_csrf(parts)?;
        }
        Ok(Authenticated(session))
    }
}

/// What a request says about its client: address, user agent, whether it came over https.
#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    /// The client's address as the throttles count it ([`throttle_address`]).
    address: String,
    user_agent: String,
    https: bool,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Every X-Forwarded-For value in order: proxies may append a header of their own.
        let forwarded_for = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let proxies = &state.ports.settings.trusted_proxies;
        Ok(ClientInfo {
            address: parts.extensions.get::<ClientIp>().map_or_else(
                || "unknown".to_owned(),
                |peer| throttle_address(proxies.client_of(peer.0, &forwarded_for)),
            ),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            https: came_over_https(&parts.uri, &parts.headers),
        })
    }
}

/// Whether the request reached us over https: its own scheme, or what the proxy in front
/// says in `X-Forwarded-Proto` (its first value).
pub(crate) fn came_over_https(uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    uri.scheme_str() == Some("https")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The address a throttle counts: an IPv4 address as it is, an IPv6 address by its /64
/// (one customer's whole prefix: anyone with a /64 has 2^64 addresses to rotate through),
/// an IPv4-mapped IPv6 address as the IPv4 it carries.
pub(crate) fn throttle_address(ip: IpAddr) -> String {
    match chat_core::proxies::canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
    }
}

/// Rejects cross-site `Origin`s on unauthenticated writes (signup, login).
pub(crate) struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        check_origin(parts).map(|()| SameOrigin)
    }
}

/// `Set-Cookie` for a new session; `max_age` 0 clears it. Over https it is the `__Host-`
/// cookie, `Secure`.
fn cookie(value: &str, max_age_secs: u64, https: bool) -> HeaderValue {
    let name = if https {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    named_cookie(name, value, max_age_secs, https)
}

/// `Set-Cookie` for the session cookie called `name`, `Secure` when asked.
fn named_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    // Token and numbers are ASCII; this cannot fail, but never panic on it.
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("chat_session=; Max-Age=0"))
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(signup))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/session", get(current_session))
        .route("/api/auth/password", post(change_password))
        .route("/api/auth/sessions", get(list_sessions))
        .route("/api/auth/sessions/{id}", delete(revoke_session))
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

fn signed_in(
    state: &AppState,
    status: StatusCode,
    client: &ClientInfo,
    signed: chat_core::accounts::SignedIn,
) -> Response {
    let max_age = state.ports.settings.session_max.as_secs();
    let set_cookie = cookie(signed.token.expose(), max_age, client.https);
    let body = json!({ "user": signed.user, "token": signed.token.expose() });
    (status, [(header::SET_COOKIE, set_cookie)], Json(body)).into_response()
}

async fn signup(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignupBody>,
) -> Result<Response, ApiError> {
    let signed = Accounts::new(&state.ports)
        .signup(
            &body.username,
            &body.password,
            body.display_name.as_deref(),
            &client.address,
            &client.user_agent,
        )
        .await?;
    Ok(signed_in(&state, StatusCode::CREATED, &client, signed))
}

async fn login(
    State(state): State<AppState>,
    _: SameOrigin,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, ApiError> {
    let signed = Accounts::new(&state.ports)
        .login(LoginAttempt {
            username: &body.username,
            password: &body.password,
            client: &client.address,
            user_agent: &client.user_agent,
        })
        .await?;
    Ok(signed_in(&state, StatusCode::OK, &client, signed))
}

async fn logout(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    client: ClientInfo,
) -> Result<Response, ApiError> {
    Accounts::new(&state.ports).logout(&session).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookie("", 0, client.https));
    if client.https {
        // A plain cookie from before the prefix may linger beside it: clear that too.
        headers.append(
            header::SET_COOKIE,
            named_cookie(SESSION_COOKIE, "", 0, true),
        );
    }
    Ok(response)
}

async fn current_session(Authenticated(session): Authenticated) -> Json<serde_json::Value> {
    Json(json!({ "user": session.user }))
}

async fn change_password(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, ApiError> {
    Accounts::new(&state.ports)
        .change_password(&session, &body.current_password, &body.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_sessions(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    let sessions = Accounts::new(&state.ports).sessions(&session).await?;
    Ok(Json(json!({ "sessions": sessions })))
}

async fn revoke_session(
    State(state): State<AppState>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    Accounts::new(&state.ports).revoke(&session, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_count_ipv6_clients_by_their_64_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        assert_eq!(throttle_address(ip("203.0.113.9")), "203.0.113.9");
        assert_eq!(
            throttle_address(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            throttle_address(ip("2001:db8:1:2::1")),
            throttle_address(ip("2001:db8:1:2:ffff::9")),
            "one /64, one bucket"
        );
        assert_ne!(
            throttle_address(ip("2001:db8:1:2::1")),
            throttle_address(ip("2001:db8:1:3::1"))
        );
        assert_eq!(throttle_address(ip("::ffff:198.51.100.7")), "198.51.100.7");
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        map
    }

    fn parts(method: Method, pairs: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().method(method).uri("/api/x");
        for (k, v) in pairs {
            request = request.header(*k, *v);
        }
        request.body(()).expect("request").into_parts().0
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        let found = bearer(&headers(&[("authorization", "bearer abc")]));
        assert_eq!(found.map(|r| r.ok()), Some(Some("abc".to_owned())));
        assert!(bearer(&headers(&[])).is_none());
        assert!(matches!(
            bearer(&headers(&[("authorization", "Basic xyz")])),
            Some(Err(_))
        ));
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; chat_session=tok; b=2"), ("cookie", "c=3")]);
        assert_eq!(session_cookie(&h).as_deref(), Some("tok"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "chat_sessionx=1")])),
            None
        );
    }

    #[test]
    fn cookie_writes_need_json_and_a_same_site_origin() {
        let ok = parts(
            Method::POST,
            &[
                ("content-type", "application/json"),
                ("host", "chat.example:3000"),
            ],
        );
        assert!(check_csrf(&ok).is_ok());
        let form = parts(
            Method::POST,
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(check_csrf(&form).map_err(|e| e.code), Err("csrf"));
        let missing = parts(Method::DELETE, &[]);
        assert!(check_csrf(&missing).is_err());
        let same = parts(
            Method::POST,
            &[
                ("content-type", "application/json"),
                ("host", "chat.example:3000"),
                ("origin", "https://chat.example:3000"),
            ],
        );
        assert!(check_csrf(&same).is_ok());
        for origin in ["https://evil.example", "null", "https://chat.example:3001"] {
            let cross = parts(
                Method::POST,
                &[
                    ("content-type", "application/json"),
                    ("host", "chat.example:3000"),
                    ("origin", origin),
                ],
            );
            assert!(check_csrf(&cross).is_err(), "{origin}");
        }
        assert!(
            check_csrf(&parts(Method::GET, &[])).is_ok(),
            "reads are not writes"
        );
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        let plain = cookie("tok", 60, false);
        assert_eq!(
            plain,
            "chat_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert_eq!(
            cookie("tok", 60, true),
            "__Host-chat_session=tok; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
    }

    #[test]
    fn the_host_prefixed_cookie_wins_over_a_plain_one() {
        let both = headers(&[("cookie", "chat_session=old; __Host-chat_session=new")]);
        assert_eq!(session_cookie(&both).as_deref(), Some("new"));
        let plain = headers(&[("cookie", "chat_session=old")]);
        assert_eq!(session_cookie(&plain).as_deref(), Some("old"));
    }
}
