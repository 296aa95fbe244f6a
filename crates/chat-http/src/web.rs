//! The browser page: files of `static/`, embedded at compile time (a component then needs
//! no file mounts), served with their content type, an ETag and a strict CSP, brotli- or
//! gzip-compressed (by the build script) to a browser that accepts it.

use axum::{
    body::Body,
    extract::Request,
    http::{HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::ApiError;

/// Scripts, styles and connections only from our own origin; no inline code, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The files of `static/`, embedded at compile time (every file there, nothing else).
#[derive(rust_embed::Embed)]
#[folder = "../../static"]
struct Static;

/// A file of `static/` compressed by the build script; `None` where compressing did not
/// pay (a tenth saved at least).
struct Compressed {
    file: &'static str,
    brotli: Option<&'static [u8]>,
    gzip: Option<&'static [u8]>,
}

// `COMPRESSED`: written by build.rs.
include!(concat!(env!("OUT_DIR"), "/compressed.rs"));

/// A way a file can travel: as it is, or compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Brotli,
    Gzip,
}

impl Encoding {
    /// The `Content-Encoding` value, and the ETag suffix that tells the variants apart.
    fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
        }
    }
}

/// Whether `Accept-Encoding` admits `coding` (a `q=0` refuses it; `*` stands for any).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut verdict = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if name.eq_ignore_ascii_case(coding) {
            return !refused;
        }
        if name == "*" {
            verdict = Some(!refused);
        }
    }
    verdict.unwrap_or(false)
}

/// The compressed variants of a file of `static/`, if it is one.
fn variants_of(file: &str) -> Option<&'static Compressed> {
    COMPRESSED.iter().find(|c| c.file == file)
}

/// Of a file's compressed variants, which one to send for an `Accept-Encoding`:
/// brotli first (smaller), then gzip, else the file as it is.
fn pick(
    variants: Option<&'static Compressed>,
    accept_encoding: &str,
) -> (Encoding, Option<&'static [u8]>) {
    let Some(variants) = variants else {
        return (Encoding::Identity, None);
    };
    match (variants.brotli, variants.gzip) {
        (Some(bytes), _) if accepts(accept_encoding, "br") => (Encoding::Brotli, Some(bytes)),
        (_, Some(bytes)) if accepts(accept_encoding, "gzip") => (Encoding::Gzip, Some(bytes)),
        _ => (Encoding::Identity, None),
    }
}

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
    let file = path.strip_prefix('/').unwrap_or(path);
    let Some(asset) = Static::get(file) else {
        return ApiError::not_found("page").into_response();
    };
    let method = request.method();
    if method != Method::GET && method != Method::HEAD {
        return ApiError::method_not_allowed("static files are read-only").into_response();
    }
    let accept_encoding = request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let variants = variants_of(file);
    let (encoding, compressed) = pick(variants, &accept_encoding);
    let hash = asset.metadata.sha256_hash();
    // Each variant has its own tag: a cache must not answer a gzip request with brotli.
    let etag = format!(
        "\"{:016x}{}\"",
        u64::from_be_bytes([
            hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7],
        ]),
        encoding
            .token()
            .map(|t| format!("-{t}"))
            .unwrap_or_default()
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
        match compressed {
            Some(bytes) => (StatusCode::OK, Body::from(bytes)),
            None => (StatusCode::OK, Body::from(asset.data)),
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    if let Ok(content_type) = HeaderValue::from_str(&content_type(path)) {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if let Some(token) = encoding.token() {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    // What was sent depends on the request's Accept-Encoding, for any file that has a
    // compressed variant.
    if variants.is_some_and(|c| c.brotli.is_some() || c.gzip.is_some()) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    // Names are not versioned, so browsers revalidate every time (a 304 is cheap).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
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
    fn every_file_has_its_compressed_variants_listed() {
        let mut listed: Vec<&str> = COMPRESSED.iter().map(|c| c.file).collect();
        listed.sort_unstable();
        let mut embedded: Vec<String> = Static::iter().map(String::from).collect();
        embedded.sort();
        assert_eq!(listed, embedded);
        let app = variants_of("app.js").expect("app.js is listed");
        let plain = Static::get("app.js")
            .expect("app.js is embedded")
            .data
            .len();
        assert!(
            app.brotli.is_some_and(|b| b.len() < plain / 2),
            "scripts compress well"
        );
        assert!(app.gzip.is_some_and(|g| g.len() < plain / 2));
    }

    #[test]
    fn the_encoding_follows_accept_encoding() {
        let encoding = |accept: &str| pick(variants_of("app.js"), accept).0;
        assert_eq!(encoding("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(encoding("gzip"), Encoding::Gzip);
        assert_eq!(encoding("br;q=0, gzip;q=0.5"), Encoding::Gzip);
        assert_eq!(encoding("GZIP"), Encoding::Gzip);
        assert_eq!(encoding("*"), Encoding::Brotli);
        assert_eq!(encoding("*, br;q=0"), Encoding::Gzip);
        assert_eq!(encoding("identity"), Encoding::Identity);
        assert_eq!(encoding(""), Encoding::Identity);
        assert_eq!(encoding("gzip;q=0"), Encoding::Identity);
        assert_eq!(
            pick(variants_of("no-such-file"), "br").0,
            Encoding::Identity
        );
    }

    #[tokio::test]
    async fn a_compressed_answer_says_so_and_decodes_to_the_file() {
        let request = |accept: Option<&str>| {
            let mut builder = Request::builder().uri("/app.js");
            if let Some(accept) = accept {
                builder = builder.header(header::ACCEPT_ENCODING, accept);
            }
            builder.body(Body::empty()).expect("a valid request")
        };
        let plain = serve_static(request(None)).await;
        assert_eq!(plain.headers().get(header::CONTENT_ENCODING), None);
        assert_eq!(plain.headers()[header::VARY], "accept-encoding");
        let gzip = serve_static(request(Some("gzip"))).await;
        assert_eq!(gzip.headers()[header::CONTENT_ENCODING], "gzip");
        assert_ne!(gzip.headers()[header::ETAG], plain.headers()[header::ETAG]);
        let bytes = axum::body::to_bytes(gzip.into_body(), usize::MAX)
            .await
            .expect("the body is in memory");
        let mut decoded = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut decoded)
            .expect("valid gzip");
        assert_eq!(
            decoded,
            Static::get("app.js").expect("embedded").data.as_ref()
        );
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
