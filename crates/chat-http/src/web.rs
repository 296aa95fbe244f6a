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

/// The files of `static/`, embedded at compile time (every file there, nothing else).
#[derive(rust_embed::Embed)]
#[folder = "../../static"]
struct Static;

/// The `Content-Type` of a file, from its extension; text is UTF-8.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime::TEXT || mime.subtype() == mime::JAVASCRIPT;
    if text && mime.get_param(mime::CHARSET).is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// Serves `static/` for GET and HEAD; unknown `/api/...` paths get the JSON 404.
pub(crate) async fn serve_static(request: Request) -> Response {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::not_found("route").into_response();
    }
    let path = if path == "/" { "/index.html" } else { path };
    let Some(asset) = path.strip_prefix('/').and_then(Static::get) else {
        return ApiError::not_found("page").into_response();
    };
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return ApiError::method_not_allowed("static files are read-only").into_response();
    }
    let hash = asset.metadata.sha256_hash();
    let etag = format!(
        "\"{:016x}\"",
        u64::from_be_bytes([
            hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
        ])
    );
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
        (StatusCode::OK, Body::from(asset.data))
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&content_type(path)) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
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
    fn every_file_in_static_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("static/ exists")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = Static::iter().map(String::from).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn text_is_served_as_utf_8_and_images_as_themselves() {
        assert_eq!(content_type("/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("/app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("/app.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("/unknown.bin"), "application/octet-stream");
    }
}
