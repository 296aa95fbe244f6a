//! The `events` Spin component: serves the events area's routes (see spin.toml) with the
//! shared router over the Spin adapters of the flavour it is built as: `wasip3` (the
//! default, Spin 4: instances reused) or `wasip2` (Spin 3.x, Fermyon Cloud).

// The SDK's export macros write the component's ABI glue, which is unsafe code.
#![allow(unsafe_code)]

#[cfg(all(feature = "wasip3", feature = "wasip2"))]
compile_error!("build one flavour: --no-default-features --features wasip2 for WASIp2");

/// Entry point Spin 4 calls for every request routed to this component.
#[cfg(feature = "wasip3")]
#[spin_sdk::http_service]
async fn handle(request: spin_sdk::http::Request) -> axum::response::Response {
    chat_spin::serve(chat_http::events_router, request).await
}

// The 5.2 SDK's macro names its crate `spin_sdk`.
#[cfg(feature = "wasip2")]
extern crate spin_sdk_wasip2 as spin_sdk;

/// Entry point Spin 3 (or 4, running WASIp2) calls for every request routed here.
#[cfg(feature = "wasip2")]
#[spin_sdk::http_component]
async fn handle(
    request: spin_sdk::http::IncomingRequest,
    response: spin_sdk::http::ResponseOutparam,
) {
    chat_spin_wasip2::serve(chat_http::events_router, request, response).await
}
