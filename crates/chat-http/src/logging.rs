//! Logging: one `tracing` subscriber per process (or Spin instance), writing to stderr in the
//! format the settings ask for. Spin keeps a component's stderr as its log; the native host
//! writes to the terminal. The security audit trail is the events of target `security`.

use chat_core::settings::LogFormat;

/// Installs the subscriber for `format`. Only the first call in a process takes effect
/// (a reused Spin instance, or tests starting many servers in one process).
pub fn init(format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true);
    // An error only means a subscriber is there already.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
