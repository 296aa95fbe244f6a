//! `ApiJson<T>`: the JSON body extractor every write route uses. Wrong content type is 415,
//! an oversized body 413, malformed JSON or unknown fields 400, all in the error shape
//! (axum's own rejections are plain text).

use axum::{
    extract::{FromRequest, Request},
    http::{StatusCode, header},
};
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Request bodies over this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body, deserialised into `T` (declare `T` with `deny_unknown_fields`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiJson<T>(pub T);

/// True when the content type is `application/json`, with or without parameters.
pub(crate) fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "request body must be application/json",
            ));
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!("request body must be at most {} KiB", MAX_BODY_BYTES / 1024),
                )
            })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            // serde's messages name the field and position, never server internals.
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("invalid JSON body: {e}"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{Router, body::Body, routing::post};
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Greeting {
        name: String,
    }

    async fn call(content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
        let app: Router = Router::new().route(
            "/",
            post(|ApiJson(g): ApiJson<Greeting>| async move { g.name }),
        );
        let mut request = axum::http::Request::post("/");
        if let Some(ct) = content_type {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        let response = app
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    #[tokio::test]
    async fn a_valid_body_is_accepted() {
        let (status, _) = call(
            Some("application/json; charset=utf-8"),
            br#"{"name":"a"}"#.to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn wrong_content_type_is_415_in_the_error_shape() {
        let (status, json) = call(Some("text/plain"), br#"{"name":"a"}"#.to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(json["error"]["code"], "unsupported_media_type");
        let (status, _) = call(None, br#"{"name":"a"}"#.to_vec()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn unknown_fields_and_malformed_json_are_400() {
        for body in [
            &br#"{"name":"a","admin":true}"#[..],
            b"{not json",
            b"",
            br#"{"name":5}"#,
        ] {
            let (status, json) = call(Some("application/json"), body.to_vec()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
            assert_eq!(json["error"]["code"], "invalid_json");
        }
    }

    #[tokio::test]
    async fn bodies_over_64_kib_are_413() {
        let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        let (status, json) = call(Some("application/json"), big.into_bytes()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(json["error"]["code"], "body_too_large");
    }
}
