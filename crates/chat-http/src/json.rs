//! `ApiJson<T>`: the JSON body extractor every write route uses. Wrong content type is 415,
//! a body over the route's limit 413, malformed JSON or unknown fields 400, all in the
//! error shape (axum's own rejections are plain text).

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::{ApiError, extract::is_json};

/// Request bodies over this are refused with 413, unless a route sets its own limit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body of at most `LIMIT` bytes, deserialised into `T` (declare `T` with
/// `deny_unknown_fields`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiJson<T, const LIMIT: usize = MAX_BODY_BYTES>(pub T);

impl<T, S, const LIMIT: usize> FromRequest<S> for ApiJson<T, LIMIT>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers()) {
            return Err(ApiError::unsupported_media_type());
        }
        let bytes = axum::body::to_bytes(request.into_body(), LIMIT)
            .await
            .map_err(|_| ApiError::body_too_large(LIMIT))?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(ApiError::invalid_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{
        Router,
        body::Body,
        http::{StatusCode, header},
        routing::post,
    };
    use tower::ServiceExt;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Greeting {
        name: String,
    }

    async fn call(content_type: Option<&str>, body: Vec<u8>) -> (StatusCode, serde_json::Value) {
        call_at("/", content_type, body).await
    }

    async fn call_at(
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, serde_json::Value) {
        let app: Router = Router::new()
            .route(
                "/",
                post(|ApiJson(g): ApiJson<Greeting>| async move { g.name }),
            )
            .route(
                "/small",
                post(|ApiJson(g): ApiJson<Greeting, 16>| async move { g.name }),
            );
        let mut request = axum::http::Request::post(path);
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

    #[tokio::test]
    async fn a_route_can_set_its_own_limit() {
        let ok = call_at(
            "/small",
            Some("application/json"),
            br#"{"name":"abc"}"#.to_vec(),
        )
        .await;
        assert_eq!(ok.0, StatusCode::OK);
        let over = call_at(
            "/small",
            Some("application/json"),
            br#"{"name":"abcdefgh"}"#.to_vec(),
        )
        .await;
        assert_eq!(over.0, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            over.1["error"]["message"],
            "request body must be at most 16 bytes"
        );
    }
}
