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
//!
//! A stream that was just answered (events, or the end of its wait) is expected back in
//! a moment, reading on from where it got to: its place stays in the rounds, at that
//! cursor, for [`EXPECTED_FOR`], holding whatever arrives for it meanwhile. Coming back,
//! it takes its place without ringing (the round in progress already reads its inbox),
//! or its held events at once. A message to a room of 500 thus costs a round or two, not
//! 500 restarts as its streams come back one by one.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{
    StreamExt,
    channel::mpsc::{UnboundedReceiver, unbounded},
};

mod places;

use places::{Answer, Group, Place, Waiter};

use crate::{
    Error, Result,
    ids::UserId,
    ports::{BusBackend, Clock, CursorStatus, Delivered, Envelope, EventId, Inbox},
    time::millis,
};

/// Deadlines are rounded up to a grid of this (or an eighth of the wait, if shorter), so
/// that streams whose heartbeats fall close together end their waits in one round rather
/// than one round each: a heartbeat comes at most this much late.
const DEADLINE_GRID: Duration = Duration::from_secs(1);

/// How long a round waits before it reads, when streams are joining: a message to a room
/// answers every stream in it at once, and they come back over the next milliseconds,
/// one at a time. Without this pause each would ring and restart the round (one read per
/// stream again); with it, one round takes in all that came back meanwhile. Events that
/// arrive during the pause are read by the round that follows it, no later.
const SETTLE: Duration = Duration::from_millis(3);

/// How long an answered stream's place waits for it to come back.
const EXPECTED_FOR: Duration = Duration::from_secs(2);

/// Events a place holds for a stream that has not come back; beyond, the place is given up
/// (the stream, if it comes back, reads them from its inbox itself).
const HELD_MAX: usize = 100;

/// An [`Inbox`] whose waiting reads share one [`Inbox::read_many`] of the inner inbox.
pub struct SharedWaits {
    inner: Arc<dyn Inbox>,
    clock: Arc<dyn Clock>,
    group: Arc<Mutex<Group>>,
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
    /// and leave the group; a failed read answers everyone in it with the error. With
    /// `settle`, the round first lets joining streams gather ([`SETTLE`]). Returns whether
    /// the next round should settle: this one was rung, so streams are joining.
    async fn round(&self, settle: bool) -> Result<bool> {
        if settle {
            // Joining streams need not ring meanwhile: the round has not started.
            self.lock()?.rung = true;
            self.clock.sleep(SETTLE).await;
        }
        let (ids, readers, max, first_deadline) = {
            let mut group = self.lock()?;
            group.rung = false;
            let ids: Vec<u64> = group.places.keys().copied().collect();
            let readers: Vec<(UserId, EventId)> = group
                .places
                .values()
                .map(|p| (p.user.clone(), p.read_from()))
                .collect();
            let waiters = || group.places.values().filter_map(|p| p.waiter.as_ref());
            let max = waiters().map(|w| w.max).max().unwrap_or(1);
            let first = waiters().map(|w| w.deadline_ms).min();
            (ids, readers, max, first)
        };
        let Some(first_deadline) = first_deadline else {
            return Ok(false);
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
                    let Some(place) = group.places.get_mut(&id) else {
                        continue;
                    };
                    match &place.waiter {
                        Some(waiter) => {
                            batch.truncate(waiter.max);
                            group.answer(id, Ok(batch), now);
                        }
                        None => {
                            place.held.extend(batch);
                            if place.held.len() > HELD_MAX {
                                group.remove(id);
                            }
                        }
                    }
                }
            }
            Err(e) => {
                let detail = e.to_string();
                for id in ids {
                    group.answer(id, Err(Error::Bus(detail.clone())), now);
                }
            }
        }
        let over: Vec<u64> = group
            .places
            .iter()
            .filter(|(_, p)| match &p.waiter {
                Some(waiter) => waiter.deadline_ms <= now,
                None => p.expires_ms <= now,
            })
            .map(|(id, _)| *id)
            .collect();
        for id in over {
            if group.places.get(&id).is_some_and(|p| p.waiter.is_some()) {
                group.answer(id, Ok(Vec::new()), now);
            } else {
                group.remove(id);
            }
        }
        Ok(group.rung)
    }
}

/// A stream's place in the group: leaving (answered, or dropped) takes it out, and a
/// stream whose turn it was (driving, or handed the turn and not yet aware of it) hands
/// the turn to another.
struct Membership {
    group: Arc<Mutex<Group>>,
    /// The place.
    id: u64,
    /// The wait ([`Waiter::wait`]): once answered, the place may hold another stream's.
    wait: u64,
}

impl Membership {
    /// Takes the turn if nobody has it; whether this stream has it now.
    fn take_turn(&self) -> Result<bool> {
        let mut group = self
            .group
            .lock()
            .map_err(|_| Error::Bus("shared wait lock poisoned".into()))?;
        let driver = *group.driver.get_or_insert(self.wait);
        Ok(driver == self.wait)
    }

    /// Gives up the turn, if it is this stream's: it goes to the first waiting stream
    /// still listening.
    fn stop_driving(&mut self) {
        let Ok(mut group) = self.group.lock() else {
            return;
        };
        if group.driver != Some(self.wait) {
            return;
        }
        group.driver = None;
        let next: Vec<u64> = group.places.keys().copied().collect();
        for id in next {
            // Every wait but this one, known by its number: this stream's place may hold
            // another tab's wait by now, and that one must get the turn.
            let Some(waiter) = group
                .places
                .get(&id)
                .and_then(|p| p.waiter.as_ref())
                .filter(|w| w.wait != self.wait)
            else {
                continue;
            };
            if waiter.answer.unbounded_send(Answer::Drive).is_ok() {
                group.driver = Some(waiter.wait);
                return;
            }
            // Nobody listens there any more.
            group.remove(id);
        }
    }
}

impl Drop for Membership {
    /// A stream that leaves while waiting gives up its place; one that was answered keeps
    /// it, expected back, and leaves alone whoever waits there by now (another tab of the
    /// same user, come back to the same cursor before this wait was dropped).
    fn drop(&mut self) {
        self.stop_driving();
        if let Ok(mut group) = self.group.lock()
            && group
                .places
                .get(&self.id)
                .and_then(|p| p.waiter.as_ref())
                .is_some_and(|w| w.wait == self.wait)
        {
            group.remove(self.id);
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

    async fn append(&self, recipients: &[UserId], envelope: &Envelope) -> Result<()> {
        self.inner.append(recipients, envelope).await
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
        // A stream taking the turn settles first: others are likely joining with it.
        let mut settle = true;
        let (mut membership, ring) = {
            let mut group = self.lock()?;
            let now = self.clock.now_ms();
            let wait_number = group.next_wait;
            group.next_wait += 1;
            let waiter = Waiter {
                wait: wait_number,
                max,
                deadline_ms: deadline(now, wait),
                answer: sender,
            };
            let key = (user.clone(), cursor.clone());
            let returning = group.expected.remove(&key);
            // A place someone waits in already is not free (never so today: a returning
            // stream takes its key out; kept as a guard, since taking it would strand them).
            let free = returning.and_then(|id| {
                let place = group.places.get_mut(&id).filter(|p| p.waiter.is_none())?;
                Some((id, place))
            });
            let (id, ring) = match free {
                // Back where it was expected: what came meanwhile is its answer; else it
                // waits in its place, which the round in progress (if any) already reads.
                Some((id, place)) => {
                    if !place.held.is_empty() {
                        let mut held = std::mem::take(&mut place.held);
                        held.truncate(max);
                        // Expected back again, after what it takes now.
                        if let Some(last) = held.last() {
                            place.cursor = last.id.clone();
                        }
                        place.expires_ms = now + millis(EXPECTED_FOR);
                        let key = (place.user.clone(), place.cursor.clone());
                        group.expected.insert(key, id);
                        return Ok(held);
                    }
                    place.waiter = Some(waiter);
                    (id, false)
                }
                None => {
                    let id = group.next_id;
                    group.next_id += 1;
                    group.places.insert(
                        id,
                        Place {
                            user: user.clone(),
                            cursor: cursor.clone(),
                            held: Vec::new(),
                            waiter: Some(waiter),
                            expires_ms: now,
                        },
                    );
                    // A round waiting now does not read this inbox: ring it to start
                    // again, once for every stream that joins before it does.
                    let ring = group.driver.is_some() && !group.rung;
                    group.rung |= ring;
                    (id, ring)
                }
            };
            let membership = Membership {
                group: self.group.clone(),
                id,
                wait: wait_number,
            };
            (membership, ring)
        };
        if ring && let Err(e) = self.inner.ring().await {
            // The round still ends at its first deadline; this stream's events wait that long.
            tracing::warn!("shared inbox wait: ringing the bell: {e}");
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
            let round = self.round(settle).await;
            settle = *round.as_ref().unwrap_or(&false);
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
            // Unanswered, so still waiting in its place; were it not, driving on would spin.
            let still_waiting = self
                .lock()?
                .places
                .get(&membership.id)
                .and_then(|p| p.waiter.as_ref())
                .is_some_and(|w| w.wait == membership.wait);
            if !still_waiting {
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
mod tests;
