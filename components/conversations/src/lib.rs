//! The `conversations` Spin component: serves the conversations area's routes (see spin.toml) with the
//! shared router over the Spin adapters.

// The SDK's export macro writes the component's ABI glue, which is unsafe code.
#![allow(unsafe_code)]

use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

/// Entry point Spin calls for every request routed to this component.
#[http_component]
async fn handle(request: IncomingRequest, response: ResponseOutparam) {
    chat_spin::serve(chat_http::conversations_router, request, response).await
}
