//! Test support shared by every adapter crate: deterministic fakes and the conformance
//! suites that each native port implementation must pass (feature `testkit`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

pub mod conformance;
mod fakes;

pub use fakes::{FixedClock, SeededRandom, block_on};

use crate::{
    ports::{Delivered, Envelope},
    vocabulary::{Event, Payload},
};

/// A numbered `notification` event, for tests of the bus.
pub fn note(n: i64) -> Envelope {
    note_event(n).envelope().expect("a note serialises")
}

/// [`note`] under the idempotency key `key`.
pub fn keyed_note(n: i64, key: &str) -> Envelope {
    note_event(n)
        .keyed(key)
        .envelope()
        .expect("a note serialises")
}

fn note_event(n: i64) -> Event {
    let mut body = serde_json::Map::new();
    body.insert("n".to_owned(), n.into());
    Event::notification(body)
}

/// The number of a delivered [`note`]; panics on any other event.
pub fn note_number(delivered: &Delivered) -> i64 {
    let event = Event::from_json(&delivered.json).expect("an event");
    match &event.payload {
        Payload::Notification(body) => body["n"].as_i64().expect("a numbered note"),
        other => panic!("not a note: {other:?}"),
    }
}
