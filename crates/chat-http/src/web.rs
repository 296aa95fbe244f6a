//! The browser page: files of `static/`, embedded at compile time (a component then needs
//! no file mounts), served with their content type, an ETag and a strict CSP.

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::ApiError;

/// Scripts, styles and connections only from our own origin; no inline code, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    hash: u64,
}

/// FNV-1a, at compile time: a stable ETag per file content.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

macro_rules! asset {
    ($path:literal, $type:literal) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../../static", $path));
        Asset {
            path: $path,
            body: BODY,
            content_type: $type,
            hash: fnv1a(BODY),
        }
    }};
}

/// Every file of `static/`. A test checks this list against the directory.
const ASSETS: &[Asset] = &[
    asset!("/index.html", "text/html; charset=utf-8"),
    asset!("/app.css", "text/css; charset=utf-8"),
    asset!("/app.js", "text/javascript; charset=utf-8"),
    asset!("/api.js", "text/javascript; charset=utf-8"),
    asset!("/limits.js", "text/javascript; charset=utf-8"),
    asset!("/dom.js", "text/javascript; charset=utf-8"),
    asset!("/stream.js", "text/javascript; charset=utf-8"),
    asset!("/state.js", "text/javascript; charset=utf-8"),
    asset!("/live.js", "text/javascript; charset=utf-8"),
    asset!("/auth-view.js", "text/javascript; charset=utf-8"),
    asset!("/contacts-view.js", "text/javascript; charset=utf-8"),
    asset!("/conversations-view.js", "text/javascript; charset=utf-8"),
    asset!("/chat-view.js", "text/javascript; charset=utf-8"),
    asset!("/settings-view.js", "text/javascript; charset=utf-8"),
    asset!("/favicon.svg", "image/svg+xml"),
];

/// Paths of the embedded files (for the test that compares them with `static/`).
#[cfg(test)]
fn embedded_paths() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.path)
}

/// Serves `static/` for GET and HEAD; unknown `/api/...` paths get the JSON 404.
pub(crate) async fn serve_static(request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::not_found("route").into_response();
    }
    let path = if path == "/" { "/index.html" } else { path };
    let Some(asset) = ASSETS.iter().find(|a| a.path == path) else {
        return ApiError::not_found("page").into_response();
    };
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "static files are read-only",
        )
        .into_response();
    }
    let etag = format!("\"{:016x}\"", asset.hash);
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let (status, body) = if fresh {
        (StatusCode::NOT_MODIFIED, Body::empty())
    } else if method == Method::HEAD {
        (StatusCode::OK, Body::empty())
    } else {
        (StatusCode::OK, Body::from(asset.body))
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    // Names are not versioned, so browsers revalidate every time (a 304 is cheap).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_static_is_embedded_and_nothing_else() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("static/ exists")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| format!("/{}", e.file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = embedded_paths().map(String::from).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn etags_differ_with_content() {
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
        assert_eq!(fnv1a(b"same"), fnv1a(b"same"));
    }
}
