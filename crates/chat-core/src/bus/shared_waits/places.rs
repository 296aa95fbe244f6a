//! The group's bookkeeping: each stream's place in the rounds (whose inbox, after which
//! cursor, what is held for it), the waits in them, and what a waiting stream is told.

use std::collections::{BTreeMap, HashMap};

use futures::channel::mpsc::UnboundedSender;

use super::EXPECTED_FOR;
use crate::{
    Result,
    ids::UserId,
    ports::{Delivered, EventId},
    time::millis,
};

/// The streams' places, and whose turn it is.
#[derive(Default)]
pub(super) struct Group {
    pub(super) next_id: u64,
    /// Numbers every wait: a place outlives the wait in it (the stream comes back to it,
    /// or, when two tabs of one user read from the same cursor, the other tab does), so a
    /// wait is known by its own number, never by its place.
    pub(super) next_wait: u64,
    /// Every place in the rounds: streams waiting, and streams expected back.
    pub(super) places: BTreeMap<u64, Place>,
    /// The places of streams expected back, by user and the cursor they will read after.
    pub(super) expected: HashMap<(UserId, EventId), u64>,
    /// The wait ([`Waiter::wait`]) whose turn it is to drive rounds (it may not have
    /// noticed yet).
    pub(super) driver: Option<u64>,
    /// The bell was rung since the current round started.
    pub(super) rung: bool,
}

/// One stream's place: whose inbox, read after which cursor.
pub(super) struct Place {
    pub(super) user: UserId,
    /// Where the stream's read starts (for one expected back: the cursor it will bring).
    pub(super) cursor: EventId,
    /// Events found after `cursor` while the stream was away.
    pub(super) held: Vec<Delivered>,
    /// The stream waiting here; `None` while it is only expected back.
    pub(super) waiter: Option<Waiter>,
    /// When a place nobody came back to is given up.
    pub(super) expires_ms: i64,
}

impl Place {
    /// Where reading goes on: after what is held, else after the cursor.
    pub(super) fn read_from(&self) -> EventId {
        self.held
            .last()
            .map(|last| last.id.clone())
            .unwrap_or_else(|| self.cursor.clone())
    }
}

pub(super) struct Waiter {
    /// This wait's own number.
    pub(super) wait: u64,
    pub(super) max: usize,
    pub(super) deadline_ms: i64,
    /// Where its answer, or the turn, is sent. A channel rather than a one-shot: the turn
    /// may reach a stream that is about to be answered, and both must arrive.
    pub(super) answer: UnboundedSender<Answer>,
}

impl Group {
    /// Answers the stream waiting at place `id`; the place then expects it back, reading
    /// on after what it was given.
    pub(super) fn answer(&mut self, id: u64, events: Result<Vec<Delivered>>, now_ms: i64) {
        let Some(place) = self.places.get_mut(&id) else {
            return;
        };
        let Some(waiter) = place.waiter.take() else {
            return;
        };
        match &events {
            Ok(events) => {
                if let Some(last) = events.last() {
                    place.cursor = last.id.clone();
                }
                place.expires_ms = now_ms + millis(EXPECTED_FOR);
                self.expected
                    .insert((place.user.clone(), place.cursor.clone()), id);
            }
            // The stream ends; it will not be back here.
            Err(_) => {
                self.places.remove(&id);
            }
        }
        let _ = waiter.answer.unbounded_send(Answer::Events(events));
    }

    /// Gives up place `id` (and its entry among the expected).
    pub(super) fn remove(&mut self, id: u64) {
        if let Some(place) = self.places.remove(&id) {
            let key = (place.user, place.cursor);
            if self.expected.get(&key) == Some(&id) {
                self.expected.remove(&key);
            }
        }
    }
}

/// What a waiting stream is told.
pub(super) enum Answer {
    /// Its events (empty: its wait is over), or the error that ended the round.
    Events(Result<Vec<Delivered>>),
    /// The stream that drove rounds left: take the turn.
    Drive,
}
