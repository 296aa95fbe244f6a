//! `GET /api/health`: 200 when the database and the bus answer, 503 naming what failed.

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use chat_core::health::{self, Check};
use serde_json::json;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/health", get(health))
}

fn status(check: &Check, dependency: &str) -> &'static str {
    match check {
        Check::Ok => "ok",
        Check::Down(detail) => {
            tracing::warn!("health: {dependency} down: {detail}");
            "down"
        }
    }
}

async fn health(State(state): State<AppState>) -> Response {
    let report = health::check(&state.ports).await;
    let version = env!("CARGO_PKG_VERSION");
    let backend = report.backend.as_str();
    if report.is_healthy() {
        return Json(json!({
            "status": "ok",
            "database": "ok",
            "bus": backend,
            "version": version,
        }))
        .into_response();
    }
    let database = status(&report.database, "database");
    let bus_status = status(&report.bus, "bus");
    let failing: Vec<&str> = [("database", database), ("bus", bus_status)]
        .into_iter()
        .filter(|(_, s)| *s == "down")
        .map(|(name, _)| name)
        .collect();
    let body = json!({
        "status": "unavailable",
        "database": database,
        "bus": backend,
        "bus_status": bus_status,
        "version": version,
        "error": {
            "code": "dependency_down",
            "message": format!("unavailable: {}", failing.join(", ")),
            "failing": failing,
        },
    });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
