//! Files on messages over HTTP: uploading one (the request body streamed into the blob
//! store, never read whole) and serving one to members: from the same origin, typed by
//! what its bytes are, inline only for the four raster image types, with byte ranges, an
//! ETag and a long private cache (an attachment never changes).

use std::ops::Range;

use axum::{
    Router,
    body::{Body, Bytes},
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chat_core::{
    Error, Ports,
    attachments::{Attachment, preview_key},
    conversations::UploadClaims,
    ids::{AttachmentId, ConversationId},
    ports::PART_BYTES,
};
use futures::StreamExt;
use serde::Deserialize;

use crate::{
    ApiError, ApiQuery, AppState, Caller,
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/conversations/{id}/attachments", post(upload))
        .route(
            "/api/conversations/{id}/attachments/{attachment_id}",
            get(download),
        )
        .route(
            "/api/conversations/{id}/attachments/{attachment_id}/preview",
            get(download_preview),
        )
}

/// `?name=`: the file's name.
#[derive(Deserialize)]
struct UploadQuery {
    name: Option<String>,
}

/// A header's value as text, when it is some.
fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

async fn upload(
    caller: Caller,
    Path(id): Path<ConversationId>,
    ApiQuery(query): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let claims = UploadClaims {
        name: query.name.as_deref().unwrap_or(""),
        content_type: header_text(&headers, header::CONTENT_TYPE),
        content_length: header_text(&headers, header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
    };
    let mut bytes = body.into_data_stream().map(|chunk| {
        chunk.map(|bytes| bytes.to_vec()).map_err(|_| {
            Error::invalid(
                "upload_incomplete",
                "the upload broke off before the whole file arrived",
            )
        })
    });
    let attachment = caller
        .conversations()
        .upload(&id, claims, &mut bytes)
        .await?;
    reply::created(attachment)
}

async fn download(
    caller: Caller,
    Path((id, attachment_id)): Path<(ConversationId, AttachmentId)>,
    headers: HeaderMap,
) -> Reply {
    let (attachment, sha256, _) = caller
        .conversations()
        .attachment(&id, &attachment_id)
        .await?;
    let etag = format!("\"{}\"", sha256.get(..32).unwrap_or(&sha256));
    let size = u64::try_from(attachment.size).unwrap_or(0);
    serve(
        caller.ports(),
        &headers,
        &attachment,
        attachment_id.to_string(),
        size,
        &etag,
    )
}

/// A picture's scaled preview, for the same members as the picture; 404 when it has none.
async fn download_preview(
    caller: Caller,
    Path((id, attachment_id)): Path<(ConversationId, AttachmentId)>,
    headers: HeaderMap,
) -> Reply {
    let (attachment, sha256, preview) = caller
        .conversations()
        .attachment(&id, &attachment_id)
        .await?;
    let Some((content_type, size)) = preview else {
        return Err(Error::NotFound { what: "preview" }.into());
    };
    // Its own tag: a preview is other bytes than the picture.
    let etag = format!("\"p{}\"", sha256.get(..31).unwrap_or(&sha256));
    let preview = Attachment {
        content_type,
        ..attachment
    };
    let size = u64::try_from(size).unwrap_or(0);
    serve(
        caller.ports(),
        &headers,
        &preview,
        preview_key(&attachment_id),
        size,
        &etag,
    )
}

/// Answers a download of blob `key` (`size` bytes) as `attachment`: 304, 416, 206 or 200.
fn serve(
    ports: &Ports,
    headers: &HeaderMap,
    attachment: &Attachment,
    key: String,
    size: u64,
    etag: &str,
) -> Reply {
    let mut response = if header_text(headers, header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.split(',')
            .any(|tag| tag.trim() == etag || tag.trim() == "*")
    }) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // A range only for the version it was asked of (`If-Range`).
        let wanted = header_text(headers, header::RANGE).filter(|_| {
            header_text(headers, header::IF_RANGE).is_none_or(|tag| tag.trim() == etag)
        });
        match wanted.map(|value| byte_range(value, size)) {
            Some(RangeAsked::Unsatisfiable) => {
                let mut refused = ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "range_not_satisfiable",
                    "the range asked for is past the end of the file",
                )
                .into_response();
                refused.headers_mut().insert(
                    header::CONTENT_RANGE,
                    header_value(&format!("bytes */{size}")),
                );
                return Ok(refused);
            }
            Some(RangeAsked::Part(range)) => {
                let content_range = format!("bytes {}-{}/{size}", range.start, range.end - 1);
                let mut partial = serve_bytes(ports, key, range);
                *partial.status_mut() = StatusCode::PARTIAL_CONTENT;
                partial
                    .headers_mut()
                    .insert(header::CONTENT_RANGE, header_value(&content_range));
                partial
            }
            Some(RangeAsked::Whole) | None => serve_bytes(ports, key, 0..size),
        }
    };
    describe(response.headers_mut(), attachment, etag);
    Ok(response)
}

/// The headers every answer about an attachment carries, 304 included.
fn describe(headers: &mut HeaderMap, attachment: &Attachment, etag: &str) {
    let inline = attachment.is_inline_image();
    // Anything but the four rasters is only ever bytes to save: never a page, a script or
    // an SVG the browser would run, whatever its bytes are.
    let content_type = if inline {
        attachment.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    headers.insert(header::CONTENT_TYPE, header_value(content_type));
    headers.insert(
        header::CONTENT_DISPOSITION,
        header_value(&content_disposition(inline, &attachment.name)),
    );
    headers.insert(header::ETAG, header_value(etag));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    stored_file_headers(headers);
}

/// What every file a person stored is served with (attachments, previews, profile
/// pictures): it never changes under its URL (a new file is a new key), so the viewer's
/// own browser keeps it and no shared cache does; and nothing in it may run or be framed
/// by another site, whatever its bytes.
pub(crate) fn stored_file_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
}

/// A header value from text that is always visible ASCII here (built from sanitised
/// parts), or an empty one if it somehow were not.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A 200 whose body streams bytes `range` of blob `key`, one part-sized read at a time, so
/// a big file is never held whole.
fn serve_bytes(ports: &Ports, key: String, range: Range<u64>) -> Response {
    let blobs = ports.blobs.clone();
    let end = range.end;
    let part = PART_BYTES as u64;
    let chunks = futures::stream::try_unfold(range.start, move |at| {
        let (blobs, key) = (blobs.clone(), key.clone());
        async move {
            if at >= end {
                return Ok(None);
            }
            // Reads end on part boundaries, so each touches one stored part.
            let to = ((at / part + 1) * part).min(end);
            let bytes = blobs
                .read(&key, at..to)
                .await
                .map_err(|e| std::io::Error::other(format!("attachment {key}: {e}")))?;
            Ok::<_, std::io::Error>(Some((Bytes::from(bytes), to)))
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    response.headers_mut().insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(range.end - range.start),
    );
    response
}

/// What a `Range` header asked of a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsked {
    /// One satisfiable range.
    Part(Range<u64>),
    /// Nothing usable (several ranges, another unit, bad syntax): the whole file, as
    /// RFC 9110 allows.
    Whole,
    /// A range wholly past the end: 416.
    Unsatisfiable,
}

/// Reads a single `bytes=` range: `a-b`, `a-` or the suffix `-n`.
fn byte_range(value: &str, size: u64) -> RangeAsked {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeAsked::Whole;
    };
    if spec.contains(',') {
        return RangeAsked::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAsked::Whole;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let range = match (first.trim().is_empty(), number(first), number(last)) {
        // The last n bytes.
        (true, _, Some(n)) if n > 0 => size.saturating_sub(n)..size,
        (true, _, _) => return RangeAsked::Unsatisfiable,
        (false, Some(a), None) if last.trim().is_empty() => a..size,
        (false, Some(a), Some(b)) if a <= b => a..(b + 1).min(size),
        _ => return RangeAsked::Whole,
    };
    if range.start >= size {
        RangeAsked::Unsatisfiable
    } else {
        RangeAsked::Part(range)
    }
}

/// `inline` or `attachment`, with the name both as a plain ASCII fallback and exactly, in
/// RFC 8187's UTF-8 form.
fn content_disposition(inline: bool, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        use RangeAsked::*;
        assert_eq!(byte_range("bytes=0-9", 100), Part(0..10));
        assert_eq!(byte_range("bytes=90-", 100), Part(90..100));
        assert_eq!(byte_range("bytes=-10", 100), Part(90..100));
        assert_eq!(byte_range("bytes=-500", 100), Part(0..100));
        assert_eq!(byte_range("bytes=50-5000", 100), Part(50..100));
        assert_eq!(byte_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 100), Unsatisfiable);
        for ignored in [
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=9-1",
            "bytes=x-",
            "bytes",
        ] {
            assert_eq!(byte_range(ignored, 100), Whole, "{ignored}");
        }
    }

    #[test]
    fn file_names_go_out_safely_in_both_forms() {
        assert_eq!(
            content_disposition(false, "a \"b\".txt"),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22.txt"
        );
        assert_eq!(
            content_disposition(true, "été.png"),
            "inline; filename=\"_t_.png\"; filename*=UTF-8''%C3%A9t%C3%A9.png"
        );
        assert!(HeaderValue::from_str(&content_disposition(false, "日本\r\n.txt")).is_ok());
    }
}
