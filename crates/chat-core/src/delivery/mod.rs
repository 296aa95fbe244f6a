//! How an event reaches the inboxes, whatever is cut where: the outbox (record, append,
//! and the rounds that append again what did not get in) and the `message` event of a
//! stored message. Below every service that emits events; the bus beneath it carries
//! envelopes and knows nothing of what they mean.

pub(crate) mod message_events;
pub(crate) mod outbox;
