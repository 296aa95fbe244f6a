//! One reply style for every handler: each returns [`Reply`] and ends with one of these
//! constructors, so the status of every route reads at its last line.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::ApiError;

/// What every handler returns.
pub(crate) type Reply = Result<Response, ApiError>;

/// 200 with a JSON body.
pub(crate) fn ok(body: impl Serialize) -> Reply {
    json(StatusCode::OK, body)
}

/// 201 with a JSON body.
pub(crate) fn created(body: impl Serialize) -> Reply {
    json(StatusCode::CREATED, body)
}

/// 201 when the thing is new, 200 when it already was (idempotent creates).
pub(crate) fn created_or_ok(is_new: bool, body: impl Serialize) -> Reply {
    if is_new { created(body) } else { ok(body) }
}

/// `status` with a JSON body.
pub(crate) fn json(status: StatusCode, body: impl Serialize) -> Reply {
    Ok((status, Json(body)).into_response())
}

/// 204.
pub(crate) fn no_content() -> Reply {
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// 202: taken, delivered later.
pub(crate) fn accepted() -> Reply {
    Ok(StatusCode::ACCEPTED.into_response())
}
