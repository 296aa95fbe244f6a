//! Live events: one stream per browser tab, reading its user's inbox after a cursor, with
//! exact resume, heartbeats, a bounded lifetime, and presence kept honest without any
//! background job (see [`LiveStream`]). Also the publish API's service.

mod publish;
mod stream;

pub use publish::{MAX_NOTIFICATION_BYTES, check_publish_key, publish, publish_key_matches};
pub use stream::{Frame, LiveStream};
