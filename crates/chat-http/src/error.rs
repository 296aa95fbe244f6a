//! `ApiError`: every failure as the API's error shape,
//! `{"error": {"code": "...", "message": "..."}}`, with the matching status. 5xx bodies
//! are opaque; their detail goes to stderr (Spin's log) only.

use std::time::Duration;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chat_core::Error;
use serde_json::json;

/// An error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable snake_case code.
    pub code: &'static str,
    /// Message for the caller.
    pub message: String,
    /// For 429: when to retry.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 404 `not_found`.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 401 `unauthenticated`: no valid session or token.
    pub fn unauthenticated() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "authentication required",
        )
    }

    /// 403 `csrf`: a write that a cross-site page could have forged.
    pub fn csrf(message: &str) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "csrf", message)
    }

    /// 405 `method_not_allowed`.
    pub fn method_not_allowed(message: &str) -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            message,
        )
    }

    /// 415 `unsupported_media_type`: the body is not JSON.
    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "request body must be application/json",
        )
    }

    /// 413 `body_too_large`, naming the limit.
    pub fn body_too_large(limit_bytes: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            if limit_bytes.is_multiple_of(1024) {
                format!("request body must be at most {} KiB", limit_bytes / 1024)
            } else {
                format!("request body must be at most {limit_bytes} bytes")
            },
        )
    }

    /// 400 `invalid_json`, with serde's explanation (it names the field and position,
    /// never server internals).
    pub fn invalid_json(detail: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("invalid JSON body: {detail}"),
        )
    }

    /// A 500 whose detail is logged, never sent.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// A 503 naming the dependency that failed; the detail is logged.
    pub fn unavailable(dependency: &str, detail: impl std::fmt::Display) -> Self {
        tracing::error!("{dependency} unavailable: {detail}");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("the {dependency} is unavailable, try again shortly"),
        )
    }
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid { code, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, message)
            }
            Error::Unauthenticated => ApiError::unauthenticated(),
            Error::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid username or password",
            ),
            Error::SignInRefused { code, message } => {
                ApiError::new(StatusCode::UNAUTHORIZED, code, message)
            }
            Error::Forbidden { code, message } => {
                // An authorization refusal: part of the audit trail (never its message's
                // details beyond the code).
                tracing::info!(target: "security", kind = "forbidden", code);
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            Error::NotFound { what } => ApiError::not_found(what),
            Error::Conflict { code, message } => ApiError::new(StatusCode::CONFLICT, code, message),
            Error::TooLarge { code, message } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code, message)
            }
            Error::RateLimited { retry_after } => {
                // A throttle hit (which throttle is the route's to know).
                tracing::info!(
                    target: "security",
                    kind = "throttled",
                    retry_after_ms = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX),
                );
                ApiError {
                    retry_after: Some(retry_after),
                    ..ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        "too many requests, slow down",
                    )
                }
            }
            Error::Overloaded { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server is busy, try again shortly",
                )
            },
            Error::Bus(detail) => ApiError::unavailable("event bus", detail),
            Error::Busy(detail) => ApiError {
                retry_after: Some(BUSY_RETRY_AFTER),
                ..ApiError::unavailable("database", detail)
            },
            e @ (Error::Database(_) | Error::Data(_) | Error::Config(_)) => ApiError::internal(e),
        }
    }
}

/// What a client is told to wait after the database stayed busy.
const BUSY_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Whole seconds to wait, rounded up, at least 1 (a 0 would invite an immediate retry).
fn retry_after_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Some(wait) = self.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(wait)),
            );
        }
        response
    }
}

/// Fallback for paths no route serves.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

/// Fallback for a known path with the wrong method.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed("method not allowed on this route")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_seconds(Duration::from_secs(30)), 30);
    }

    #[test]
    fn domain_errors_map_to_their_statuses() {
        let cases = [
            (
                Error::invalid("invalid_body", "x"),
                StatusCode::BAD_REQUEST,
                "invalid_body",
            ),
            (
                Error::Unauthenticated,
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
            ),
            (
                Error::forbidden("not_friends", "x"),
                StatusCode::FORBIDDEN,
                "not_friends",
            ),
            (
                Error::NotFound { what: "user" },
                StatusCode::NOT_FOUND,
                "not_found",
            ),
            (
                Error::conflict("username_taken", "x"),
                StatusCode::CONFLICT,
                "username_taken",
            ),
            (
                Error::TooLarge {
                    code: "quota_exceeded",
                    message: "x".into(),
                },
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
            ),
            (
                Error::RateLimited {
                    retry_after: Duration::from_secs(2),
                },
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
            ),
            (
                Error::Bus("down".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
            (
                Error::Busy("database is locked".into()),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
            ),
            (
                Error::Database("disk".into()),
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ];
        for (error, status, code) in cases {
            let api = ApiError::from(error);
            assert_eq!((api.status, api.code), (status, code));
        }
    }

    #[test]
    fn internal_details_never_reach_the_body() {
        let api = ApiError::from(Error::Database(
            "no such table: secret_table at /srv/x.db".into(),
        ));
        assert!(!api.message.contains("secret_table"));
        assert!(!api.message.contains("/srv"));
    }

    #[test]
    fn a_busy_database_asks_for_a_retry_without_saying_why() {
        let api = ApiError::from(Error::Busy("database is locked at /srv/x.db".into()));
        assert_eq!(api.retry_after, Some(BUSY_RETRY_AFTER));
        assert!(!api.message.contains("locked"));
        assert!(!api.message.contains("/srv"));
    }
}
