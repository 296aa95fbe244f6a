//! The `conversations` Spin component: serves the conversations area's routes (see spin.toml) with the
//! shared router over the Spin adapters.

use chat_http::Area;
use spin_sdk::http::{IntoResponse, Request};
use spin_sdk::http_service;

/// Entry point Spin calls for every request routed to this component.
#[http_service]
async fn handle(request: Request) -> impl IntoResponse {
    chat_spin::serve(Area::Conversations, request).await
}
