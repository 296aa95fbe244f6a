//! The streams of one process, or of one Spin instance reused for many requests, waiting
//! together: instead of one blocking read (and one Redis connection, or one poll loop) per
//! open stream, one [`Inbox::read_many`] at a time reads every waiting stream's inbox, and
//! hands each its own events. A message to a room of 500 then wakes one read, not 500.
//!
//! Nobody runs in the background (a Spin instance has no thread of its own): the waiting
//! reads take turns driving. Whoever finds no read in progress drives rounds until its own
//! answer has come, then hands the turn to another waiting stream. A stream that joins
//! while a round waits rings the inbox's bell ([`Inbox::ring`]) so the round starts again
//! with it. A stream that goes away (its client left and its handler was dropped) simply
//! leaves the group; if it was driving, the turn passes on.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{
    StreamExt,
    channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded},
};

use crate::{
    Error, Result,
    ids::UserId,
    ports::{BusBackend, Clock, CursorStatus, Delivered, EventId, Inbox},
    time::millis,
    vocabulary::Event,
};

/// Deadlines are rounded up to a grid of this (or an eighth of the wait, if shorter), so
/// that streams whose heartbeats fall close together end their waits in one round rather
/// than one round each: a heartbeat comes at most this much late.
const DEADLINE_GRID: Duration = Duration::from_secs(1);

/// An [`Inbox`] whose waiting reads share one [`Inbox::read_many`] of the inner inbox.
pub struct SharedWaits {
    inner: Arc<dyn Inbox>,
    clock: Arc<dyn Clock>,
    group: Arc<Mutex<Group>>,
}

/// The waiting streams, and whose turn it is.
#[derive(Default)]
struct Group {
    next_id: u64,
    waiting: BTreeMap<u64, Waiter>,
    /// The stream whose turn it is to drive rounds (it may not have noticed yet).
    driver: Option<u64>,
    /// The bell was rung since the current round started.
    rung: bool,
}

struct Waiter {
    user: UserId,
    cursor: EventId,
    max: usize,
    deadline_ms: i64,
    /// Where its answer, or the turn, is sent. A channel rather than a one-shot: the turn
    /// may reach a stream that is about to be answered, and both must arrive.
    answer: UnboundedSender<Answer>,
}

/// What a waiting stream is told.
enum Answer {
    /// Its events (empty: its wait is over), or the error that ended the round.
    Events(Result<Vec<Delivered>>),
    /// The stream that drove rounds left: take the turn.
    Drive,
}

impl SharedWaits {
    /// Waiting reads of `inner` shared; `clock` tells when each wait is over.
    pub fn new(inner: Arc<dyn Inbox>, clock: Arc<dyn Clock>) -> Self {
        SharedWaits {
            inner,
            clock,
            group: Arc::new(Mutex::new(Group::default())),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Group>> {
        self.group
            .lock()
            .map_err(|_| Error::Bus("shared wait lock poisoned".into()))
    }

    /// One round: every waiting stream's inbox read at once, until the first deadline
    /// among them or a ring. Those with events, and those whose wait is over, are answered
    /// and leave the group; a failed read answers everyone in it with the error.
    async fn round(&self) -> Result<()> {
        let (ids, readers, max, first_deadline) = {
            let mut group = self.lock()?;
            group.rung = false;
            let ids: Vec<u64> = group.waiting.keys().copied().collect();
            let readers: Vec<(UserId, EventId)> = group
                .waiting
                .values()
                .map(|w| (w.user.clone(), w.cursor.clone()))
                .collect();
            let max = group.waiting.values().map(|w| w.max).max().unwrap_or(1);
            let first = group.waiting.values().map(|w| w.deadline_ms).min();
            (ids, readers, max, first)
        };
        let Some(first_deadline) = first_deadline else {
            return Ok(());
        };
        let wait = first_deadline - self.clock.now_ms();
        let result = if wait > 0 && !readers.is_empty() {
            let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
            self.inner.read_many(&readers, wait, max).await
        } else {
            Ok(vec![Vec::new(); readers.len()])
        };
        let now = self.clock.now_ms();
        let mut group = self.lock()?;
        match result {
            Ok(batches) => {
                for (id, mut batch) in ids.into_iter().zip(batches) {
                    if batch.is_empty() {
                        continue;
                    }
                    if let Some(waiter) = group.waiting.remove(&id) {
                        batch.truncate(waiter.max);
                        let _ = waiter.answer.unbounded_send(Answer::Events(Ok(batch)));
                    }
                }
            }
            Err(e) => {
                let detail = e.to_string();
                for id in ids {
                    if let Some(waiter) = group.waiting.remove(&id) {
                        let failed = Answer::Events(Err(Error::Bus(detail.clone())));
                        let _ = waiter.answer.unbounded_send(failed);
                    }
                }
            }
        }
        let over: Vec<u64> = group
            .waiting
            .iter()
            .filter(|(_, w)| w.deadline_ms <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in over {
            if let Some(waiter) = group.waiting.remove(&id) {
                let _ = waiter.answer.unbounded_send(Answer::Events(Ok(Vec::new())));
            }
        }
        Ok(())
    }
}

/// A stream's place in the group: leaving (answered, or dropped) takes it out, and a
/// stream whose turn it was (driving, or handed the turn and not yet aware of it) hands
/// the turn to another.
struct Membership {
    group: Arc<Mutex<Group>>,
    id: u64,
}

impl Membership {
    /// Takes the turn if nobody has it; whether this stream has it now.
    fn take_turn(&self) -> Result<bool> {
        let mut group = self
            .group
            .lock()
            .map_err(|_| Error::Bus("shared wait lock poisoned".into()))?;
        let driver = *group.driver.get_or_insert(self.id);
        Ok(driver == self.id)
    }

    /// Gives up the turn, if it is this stream's: it goes to the first waiting stream
    /// still listening.
    fn stop_driving(&mut self) {
        let Ok(mut group) = self.group.lock() else {
            return;
        };
        if group.driver != Some(self.id) {
            return;
        }
        group.driver = None;
        let next: Vec<u64> = group.waiting.keys().copied().collect();
        for id in next {
            if id == self.id {
                continue;
            }
            let Some(waiter) = group.waiting.get(&id) else {
                continue;
            };
            if waiter.answer.unbounded_send(Answer::Drive).is_ok() {
                group.driver = Some(id);
                return;
            }
            // Nobody listens there any more.
            group.waiting.remove(&id);
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.stop_driving();
        if let Ok(mut group) = self.group.lock() {
            group.waiting.remove(&self.id);
        }
    }
}

/// `now + wait`, rounded up to the deadline grid.
fn deadline(now_ms: i64, wait: Duration) -> i64 {
    let grid = millis(DEADLINE_GRID.min(wait / 8)).max(1);
    let exact = now_ms.saturating_add(millis(wait));
    // Deadlines are positive, so this rounds up.
    exact.saturating_add(grid - 1) / grid * grid
}

#[async_trait::async_trait]
impl Inbox for SharedWaits {
    fn backend(&self) -> BusBackend {
        self.inner.backend()
    }

    async fn append(&self, recipients: &[UserId], event: &Event) -> Result<()> {
        self.inner.append(recipients, event).await
    }

    async fn settled(&self, keys: &[String]) -> Result<Vec<String>> {
        self.inner.settled(keys).await
    }

    async fn latest(&self, user: &UserId) -> Result<EventId> {
        self.inner.latest(user).await
    }

    async fn cursor_status(&self, user: &UserId, cursor: &EventId) -> Result<CursorStatus> {
        self.inner.cursor_status(user, cursor).await
    }

    /// A read that does not wait goes straight to the inbox; one that waits joins the
    /// group and is answered by whichever stream drives the round that finds its events.
    async fn read(
        &self,
        user: &UserId,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>> {
        if wait.is_zero() {
            return self.inner.read(user, cursor, wait, max).await;
        }
        let (sender, mut receiver): (_, UnboundedReceiver<Answer>) = unbounded();
        let (mut membership, ring) = {
            let mut group = self.lock()?;
            let id = group.next_id;
            group.next_id += 1;
            group.waiting.insert(
                id,
                Waiter {
                    user: user.clone(),
                    cursor: cursor.clone(),
                    max,
                    deadline_ms: deadline(self.clock.now_ms(), wait),
                    answer: sender,
                },
            );
            // A round waiting now does not read this inbox: ring it to start again, once
            // for every stream that joins before it does.
            let ring = group.driver.is_some() && !group.rung;
            group.rung |= ring;
            let membership = Membership {
                group: self.group.clone(),
                id,
            };
            (membership, ring)
        };
        if ring && let Err(e) = self.inner.ring().await {
            // The round still ends at its first deadline; this stream's events wait that long.
            eprintln!("shared inbox wait: ringing the bell: {e}");
        }
        loop {
            if !membership.take_turn()? {
                match receiver.next().await {
                    Some(Answer::Events(result)) => return result,
                    // The turn: taken at the top of the loop.
                    Some(Answer::Drive) => continue,
                    None => return Err(Error::Bus("shared inbox wait abandoned".into())),
                }
            }
            let round = self.round().await;
            // Whatever reached this stream meanwhile: its answer ends its turn; the turn
            // itself (handed over before it took it by itself) changes nothing.
            while let Ok(answer) = receiver.try_recv() {
                if let Answer::Events(result) = answer {
                    membership.stop_driving();
                    return result;
                }
            }
            if let Err(e) = round {
                membership.stop_driving();
                return Err(e);
            }
            // Unanswered, so still in the group; were it not, driving on would spin.
            if !self.lock()?.waiting.contains_key(&membership.id) {
                membership.stop_driving();
                return Err(Error::Bus("shared inbox wait lost its place".into()));
            }
        }
    }

    async fn read_many(
        &self,
        readers: &[(UserId, EventId)],
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Vec<Delivered>>> {
        self.inner.read_many(readers, wait, max).await
    }

    async fn ring(&self) -> Result<()> {
        self.inner.ring().await
    }

    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_up_to_the_grid_and_never_come_early() {
        let second = Duration::from_secs(1);
        assert_eq!(deadline(10_200, 15 * second), 26_000);
        assert_eq!(deadline(10_000, 15 * second), 25_000);
        // A short wait gets a fine grid: an eighth of it.
        assert_eq!(deadline(1_001, Duration::from_millis(400)), 1_450);
        for now in [0, 1, 999, 123_456_789] {
            for wait in [1, 7, 400, 15_000, 25_000] {
                let wait = Duration::from_millis(wait);
                let d = deadline(now, wait);
                assert!(d >= now + millis(wait), "{now} + {wait:?} -> {d}");
                assert!(d < now + millis(wait) + 1_000, "{now} + {wait:?} -> {d}");
            }
        }
    }
}
