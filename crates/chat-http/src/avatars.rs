//! Profile pictures over HTTP: `PUT /api/me/avatar` with the picture's bytes (read up to
//! the limit and no further), `DELETE /api/me/avatar`, and the picture itself for anyone
//! signed in, cached for good (its URL names one picture only).

use axum::{
    Router,
    body::Body,
    extract::Path,
    http::{HeaderValue, header},
    response::IntoResponse,
    routing::{get, put},
};
use chat_core::{
    Error,
    attachments::sniff::Raster,
    ids::UserId,
    users::{AVATAR_MAX_BYTES, avatar_bytes},
};
use futures::StreamExt;

use crate::{
    AppState, Caller,
    attachments::stored_file_headers,
    reply::{self, Reply},
};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me/avatar", put(set_avatar).delete(remove_avatar))
        .route("/api/users/{id}/avatar/{avatar_id}", get(avatar))
}

/// The request body, read up to `limit` bytes: 413 `too_large` past it (nothing more is
/// read), 400 `upload_incomplete` when it broke off.
async fn body_up_to(body: Body, limit: usize) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let mut chunks = body.into_data_stream();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| {
            Error::invalid(
                "upload_incomplete",
                "the upload broke off before the whole picture arrived",
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(Error::TooLarge {
                code: "too_large",
                message: format!("a profile picture may be at most {limit} bytes"),
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn set_avatar(caller: Caller, body: Body) -> Reply {
    let bytes = body_up_to(body, AVATAR_MAX_BYTES).await?;
    let user = caller.users().set_avatar(bytes).await?;
    reply::ok(user)
}

async fn remove_avatar(caller: Caller) -> Reply {
    let user = caller.users().remove_avatar().await?;
    reply::ok(user)
}

async fn avatar(caller: Caller, Path((id, avatar_id)): Path<(UserId, String)>) -> Reply {
    let bytes = avatar_bytes(caller.ports(), &id, &avatar_id).await?;
    // Only a raster image was ever stored; anything else would be served as bytes.
    let content_type = Raster::of(&bytes).map_or("application/octet-stream", Raster::media_type);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    stored_file_headers(headers);
    Ok(response)
}
