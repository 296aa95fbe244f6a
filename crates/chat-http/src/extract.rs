//! The app-wide extractors every area uses: [`Authenticated`] (bearer token or session
//! cookie, with the CSRF rule for cookie-authenticated writes), [`ClientInfo`] (address,
//! user agent, https), [`SameOrigin`] for unauthenticated writes, and [`ApiQuery`] for
//! query strings. Headers are parsed by the `headers` crate, never split by hand.

use std::net::IpAddr;

use axum::{
    extract::{FromRequestParts, Query},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
};
use chat_core::accounts::{Accounts, Session, SessionToken};
use headers::{Authorization, ContentType, HeaderMapExt, Host, Origin, authorization::Bearer};
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState, session_cookie};

/// The client's address, inserted as a request extension by the host: from the socket
/// natively, from Spin's `spin-client-addr` on Spin. Never taken from client headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// A request made with a valid session.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Session);

/// The session [`check_schema`] looked up before the handler ran: `None` when the token
/// names no live session. [`Authenticated`] takes it instead of asking again.
#[derive(Debug, Clone)]
struct LookedUp(Option<Session>);

/// The session token a request presents, and whether it came by cookie: the bearer token
/// first, else the session cookie (over https, only the `__Host-` one).
fn credential(uri: &axum::http::Uri, headers: &HeaderMap) -> Result<(String, bool), ApiError> {
    match bearer(headers) {
        Some(token) => Ok((token?, false)),
        None => session_cookie::read(headers, came_over_https(uri, headers))
            .map(|raw| (raw, true))
            .ok_or_else(ApiError::unauthenticated),
    }
}

/// Makes sure the schema is current before a request touches the database. A request
/// presenting a session token learns the version from the very statement that looks its
/// session up (one statement instead of two: on a libSQL server, one HTTP round trip less
/// for nearly every request), and what was found waits in the request's extensions for
/// [`Authenticated`]. Any other request, an error, or a database behind takes the
/// migrations' own check, and the session is then looked up again by the handler.
pub(crate) async fn check_schema(state: &AppState, parts: &mut Parts) -> chat_core::Result<()> {
    if state.schema_known_current() {
        return Ok(());
    }
    let token = credential(&parts.uri, &parts.headers)
        .ok()
        .and_then(|(raw, _)| SessionToken::parse(&raw));
    if let Some(token) = token
        && let Ok((version, found)) = Accounts::new(&state.ports)
            .authenticate_reporting_schema(&token)
            .await
        && version >= chat_core::migrations::latest_version()
    {
        match found {
            Ok(session) => parts.extensions.insert(LookedUp(Some(session))),
            Err(chat_core::Error::Unauthenticated) => parts.extensions.insert(LookedUp(None)),
            // Anything else is the handler's to report, by asking again.
            Err(_) => None,
        };
        state.schema_seen_current();
        return Ok(());
    }
    state.ensure_schema().await
}

/// The token of `Authorization: Bearer <token>` (scheme in any case), if that header is
/// present; a present header of another scheme, or a malformed one, is 401.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<Result<String, ApiError>> {
    headers.get(header::AUTHORIZATION)?;
    let token = match headers.typed_try_get::<Authorization<Bearer>>() {
        Ok(Some(Authorization(bearer))) => Ok(bearer.token().trim().to_owned()),
        Ok(None) | Err(_) => Err(ApiError::unauthenticated()),
    };
    Some(token)
}

/// True when the content type is `application/json`, with or without parameters.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .typed_get::<ContentType>()
        .map(mime::Mime::from)
        .is_some_and(|m| m.type_() == mime::APPLICATION && m.subtype() == mime::JSON)
}

/// Whether the request says `Content-Type: application/octet-stream` (a file's bytes).
fn is_octet_stream(headers: &HeaderMap) -> bool {
    headers
        .typed_get::<ContentType>()
        .map(mime::Mime::from)
        .is_some_and(|m| m.essence_str() == "application/octet-stream")
}

fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Refuses a request whose `Origin` header names another site than the `Host` it was
/// sent to (host and port; `null` is never ours). Browsers send `Origin` on cross-site
/// writes, so a forged form post or fetch from elsewhere stops here.
fn check_origin(parts: &Parts) -> Result<(), ApiError> {
    if parts.headers.get(header::ORIGIN).is_none() {
        return Ok(());
    }
    let origin = parts.headers.typed_get::<Origin>();
    let own = parts
        .headers
        .typed_get::<Host>()
        .or_else(|| parts.uri.authority().cloned().map(Host::from));
    match (origin, own) {
        (Some(theirs), Some(ours))
            if !theirs.is_null()
                && theirs.hostname().eq_ignore_ascii_case(ours.hostname())
                && theirs.port() == ours.port() =>
        {
            Ok(())
        }
        _ => Err(ApiError::csrf("cross-site request refused")),
    }
}

/// The CSRF rule of the API for cookie-authenticated writes: JSON, or a file's bytes as
/// `application/octet-stream` (a cross-site form can send neither without a CORS preflight
/// we never grant), and a same-site `Origin`.
fn check_csrf(parts: &Parts) -> Result<(), ApiError> {
    if !is_write(&parts.method) {
        return Ok(());
    }
    if !is_json(&parts.headers) && !is_octet_stream(&parts.headers) {
        return Err(ApiError::csrf(
            "cookie-authenticated writes must be sent as application/json (a file as application/octet-stream)",
        ));
    }
    check_origin(parts)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (raw, via_cookie) = credential(&parts.uri, &parts.headers)?;
        let token = SessionToken::parse(&raw).ok_or_else(ApiError::unauthenticated)?;
        let session = match parts.extensions.remove::<LookedUp>() {
            Some(LookedUp(Some(session))) => session,
            Some(LookedUp(None)) => return Err(ApiError::unauthenticated()),
            None => Accounts::new(&state.ports).authenticate(&token).await?,
        };
        if via_cookie && let Err(refused) = check_csrf(parts) {
            tracing::warn!(
                target: "security",
                kind = "csrf_refused",
                user_id = %session.user.id,
                method = %parts.method,
                path = parts.uri.path(),
            );
            return Err(refused);
        }
        Ok(Authenticated(session))
    }
}

/// Rejects cross-site `Origin`s on unauthenticated writes (signup, login).
pub(crate) struct SameOrigin;

impl<S: Send + Sync> FromRequestParts<S> for SameOrigin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        check_origin(parts).map(|()| SameOrigin).inspect_err(|_| {
            tracing::warn!(
                target: "security",
                kind = "cross_site_refused",
                path = parts.uri.path(),
            );
        })
    }
}

/// What a request says about its client: address, user agent, whether it came over https.
#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    /// The client's address as the throttles count it ([`throttle_address`]).
    pub address: String,
    /// `User-Agent`, empty when absent.
    pub user_agent: String,
    /// Whether the request came over https.
    pub https: bool,
    /// Whether a browser sent it for a page ([`from_a_browser`]).
    pub browser: bool,
    /// The device cookie's token, if sent (chat-core's `accounts/devices.rs`).
    pub device: Option<String>,
}

impl ClientInfo {
    /// Where the request came from, as the audit trail records it.
    pub(crate) fn origin(&self) -> chat_core::audit::Origin<'_> {
        chat_core::audit::Origin {
            client: &self.address,
            user_agent: &self.user_agent,
        }
    }
}

/// Whether a browser sent the request: it carries `Sec-Fetch-Site`, which every current
/// browser (Chrome 76, Firefox 90, Safari 16.4 and later) sends on every request and which
/// a page's scripts can neither set nor remove, so a script running in the page, an
/// injected one included, cannot pass for an API client (ASVS 3.3.4). Other clients (curl,
/// Node's fetch, SDKs) do not send it; `Origin` is no sign, as API clients (the load
/// generator among them) may send one.
pub(crate) fn from_a_browser(headers: &HeaderMap) -> bool {
    headers.contains_key("sec-fetch-site")
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
        let https = came_over_https(&parts.uri, &parts.headers);
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
            https,
            browser: from_a_browser(&parts.headers),
            device: session_cookie::read_device(&parts.headers, https),
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

/// A query string deserialised into `T`; one that does not fit is 400 `invalid_query` in
/// the error shape (axum's own rejection is plain text).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                format!("malformed query string: {}", rejection.body_text()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

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
        for other in ["Basic xyz", "Bearer", "bearerabc"] {
            assert!(
                matches!(bearer(&headers(&[("authorization", other)])), Some(Err(_))),
                "{other}"
            );
        }
    }

    #[test]
    fn json_is_recognised_with_parameters_and_in_any_case() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
        ] {
            assert!(is_json(&headers(&[("content-type", json)])), "{json}");
        }
        for other in [
            "text/plain",
            "application/jsonx",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json(&headers(&[("content-type", other)])), "{other}");
        }
        assert!(!is_json(&headers(&[])));
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
        let file = parts(
            Method::POST,
            &[
                ("content-type", "application/octet-stream"),
                ("host", "chat.example:3000"),
            ],
        );
        assert!(check_csrf(&file).is_ok(), "an upload's bytes");
        for simple in ["text/plain", "multipart/form-data; boundary=x"] {
            let form = parts(Method::POST, &[("content-type", simple)]);
            assert_eq!(
                check_csrf(&form).map_err(|e| e.code),
                Err("csrf"),
                "{simple}"
            );
        }
        let form = parts(
            Method::POST,
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        assert_eq!(check_csrf(&form).map_err(|e| e.code), Err("csrf"));
        let missing = parts(Method::DELETE, &[]);
        assert!(check_csrf(&missing).is_err());
        for origin in ["https://chat.example:3000", "http://CHAT.example:3000"] {
            let same = parts(
                Method::POST,
                &[
                    ("content-type", "application/json"),
                    ("host", "chat.example:3000"),
                    ("origin", origin),
                ],
            );
            assert!(check_csrf(&same).is_ok(), "{origin}");
        }
        for origin in [
            "https://evil.example",
            "null",
            "https://chat.example:3001",
            "https://chat.example",
            "https://chat.example.evil:3000",
            "not a url",
        ] {
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
}
