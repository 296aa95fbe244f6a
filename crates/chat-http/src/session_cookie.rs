//! The session cookie: its two names, reading it from `Cookie`, and the `Set-Cookie` that
//! opens or clears it (parsed and built by the `cookie` crate); and the device cookie
//! beside it (chat-core's `accounts/devices.rs`), read and set the same way.

use axum::http::{HeaderMap, HeaderValue, header};
use cookie::{Cookie, SameSite, time::Duration};

/// Name of the session cookie over plain http (a laptop's `spin up`).
pub const SESSION_COOKIE: &str = "chat_session";
/// Name of the session cookie over https. The `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`: a sibling subdomain or a plain-http
/// page cannot plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-chat_session";

/// Name of the device cookie over plain http, and over https.
pub const DEVICE_COOKIE: &str = "chat_device";
/// The device cookie's name over https (see [`SECURE_SESSION_COOKIE`] for the prefix).
pub const SECURE_DEVICE_COOKIE: &str = "__Host-chat_device";

/// How long a device cookie is kept: 400 days, the most browsers allow.
const DEVICE_MAX_AGE_SECS: u64 = 400 * 24 * 3600;

/// The device cookie's value, if sent (over https only the `__Host-` one).
pub(crate) fn read_device(headers: &HeaderMap, https: bool) -> Option<String> {
    read_named(headers, https, SECURE_DEVICE_COOKIE, DEVICE_COOKIE)
}

/// `Set-Cookie` for a device token.
pub(crate) fn set_device(token: &str, https: bool) -> HeaderValue {
    let name = if https {
        SECURE_DEVICE_COOKIE
    } else {
        DEVICE_COOKIE
    };
    named(name, token, DEVICE_MAX_AGE_SECS, https)
}

/// The session cookie's value, if sent. Over https only the `__Host-` one counts: a plain
/// cookie there may have been planted by a sibling subdomain or a plain-http page on the
/// same host (ASVS 3.3.1). Over http (a laptop's `spin up`) the plain one, else the
/// `__Host-` one.
pub(crate) fn read(headers: &HeaderMap, https: bool) -> Option<String> {
    read_named(headers, https, SECURE_SESSION_COOKIE, SESSION_COOKIE)
}

/// A cookie under its `__Host-` name, or over plain http its plain name first.
fn read_named(headers: &HeaderMap, https: bool, secure: &str, plain: &str) -> Option<String> {
    let cookies = || {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
    };
    let names: &[&str] = if https { &[secure] } else { &[plain, secure] };
    names
        .iter()
        .find_map(|wanted| cookies().find(|c| c.name() == *wanted))
        .map(|c| c.value().trim().to_owned())
}

/// `Set-Cookie` for a session token; `max_age_secs` 0 clears it. Over https it is the
/// `__Host-` cookie, `Secure`.
pub(crate) fn set(token: &str, max_age_secs: u64, https: bool) -> HeaderValue {
    let name = if https {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    named(name, token, max_age_secs, https)
}

/// `Set-Cookie` clearing the plain cookie on https: one from before the prefix was used
/// may linger beside the `__Host-` one.
pub(crate) fn clear_plain() -> HeaderValue {
    named(SESSION_COOKIE, "", 0, true)
}

fn named(name: &'static str, value: &str, max_age_secs: u64, secure: bool) -> HeaderValue {
    let max_age = Duration::seconds(i64::try_from(max_age_secs).unwrap_or(i64::MAX));
    let cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .secure(secure)
        .build();
    // Tokens are URL-safe base64 and names ASCII: this cannot fail, but never panic on it.
    HeaderValue::from_str(&cookie.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("chat_session=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for c in cookies {
            map.append(header::COOKIE, HeaderValue::from_str(c).expect("value"));
        }
        map
    }

    fn attributes(value: &HeaderValue) -> Vec<String> {
        let mut parts: Vec<String> = value
            .to_str()
            .expect("ascii")
            .split("; ")
            .map(str::to_owned)
            .collect();
        parts.sort();
        parts
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&["a=1; chat_session=tok; b=2", "c=3"]);
        assert_eq!(read(&h, false).as_deref(), Some("tok"));
        assert_eq!(read(&headers(&["chat_sessionx=1"]), false), None);
        assert_eq!(read(&headers(&[]), false), None);
    }

    #[test]
    fn over_https_only_the_host_prefixed_cookie_counts() {
        let both = headers(&["chat_session=planted; __Host-chat_session=real"]);
        assert_eq!(read(&both, true).as_deref(), Some("real"));
        assert_eq!(
            read(&headers(&["chat_session=planted"]), true),
            None,
            "a plain cookie could come from a sibling subdomain"
        );
        // Plain http has only the plain cookie (browsers keep `__Host-` to https).
        assert_eq!(read(&both, false).as_deref(), Some("planted"));
        assert_eq!(
            read(&headers(&["__Host-chat_session=real"]), false).as_deref(),
            Some("real")
        );
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        assert_eq!(
            attributes(&set("tok", 60, false)),
            [
                "HttpOnly",
                "Max-Age=60",
                "Path=/",
                "SameSite=Lax",
                "chat_session=tok"
            ]
        );
        assert_eq!(
            attributes(&set("tok", 60, true)),
            [
                "HttpOnly",
                "Max-Age=60",
                "Path=/",
                "SameSite=Lax",
                "Secure",
                "__Host-chat_session=tok"
            ]
        );
        assert!(attributes(&clear_plain()).contains(&"Max-Age=0".to_owned()));
    }
}
