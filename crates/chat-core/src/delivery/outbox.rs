//! The outbox: the one way every durable event reaches the inboxes, whatever is cut
//! where (a request killed before its append, a bus that refused it, a reply lost after
//! the append ran). Event streams do the rounds ([`drain`]): what was written more than
//! `redeliver_after` ago is checked against the inbox ([`Inbox::settled`]) and appended
//! again if the inbox does not hold it. The inbox refuses a key it already holds, so a
//! redelivery never doubles what the first attempt got in.
//!
//! - A message needs nothing extra on the send path: message ids are UUIDv7, so the
//!   `messages` table is in time order, and the rounds walk it from a mark (the newest
//!   message known delivered; `message_delivery_mark`). A send stays one INSERT: a row per
//!   message, even by trigger, held SQLite's write lock a third longer per send, and a
//!   500 messages/s load that passed before collapsed with it.
//! - Every other event is written to the `outbox` table first, then appended; the rounds
//!   delete the rows the inbox holds, in one statement per batch, and append the rest.
//!
//! So an event the API acknowledged is stored durably and, once the bus takes it,
//! delivered exactly once per stream, for every event type: messages, edits, profile,
//! friend, membership, read, presence and notifications alike. Typing is the exception by
//! design: it is live-only, and a late typing indicator is worse than none.
//!
//! [`Inbox::settled`]: crate::ports::Inbox::settled

use std::{collections::HashSet, time::Duration};

use super::message_events;
use crate::{
    Error, Ports, Result, ResultExt,
    ids::{self, MessageId, UserId},
    model::Message,
    ports::{Envelope, Value},
    time::millis,
    vocabulary::Event,
};

/// How long a stream that took a row for redelivery holds it before another may.
const CLAIM_FOR: Duration = Duration::from_secs(30);
/// Rows or messages one batch looks at, at most.
const BATCH: usize = 200;
/// Batches of each kind one round takes at most: a backlog is worked off by several
/// rounds, none of them long.
const BATCHES_PER_ROUND: usize = 5;

/// Records `event` for `recipients`, then appends it. A failed append is not the
/// caller's failure: the event is recorded, and a stream's round delivers it.
pub(crate) async fn deliver(ports: &Ports, recipients: &[UserId], event: Event) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    let key = match &event.key {
        Some(key) => key.clone(),
        None => crate::ports::uuid_v7(ports.clock.as_ref(), ports.random.as_ref())?,
    };
    let envelope = event.keyed(key.as_str()).envelope()?;
    ports
        .sql
        .execute(
            "INSERT INTO outbox (key, recipients, event, due_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO NOTHING",
            &[
                Value::from(key.as_str()),
                Value::from(to_json(&recipients)?),
                Value::from(envelope.json.as_str()),
                Value::Integer(ports.clock.now_ms() + millis(ports.settings.redeliver_after)),
            ],
        )
        .await?;
    append(ports, recipients, &envelope).await;
    Ok(())
}

/// Appends a stored message's event ([`message_events::of`]). A failure is logged: the
/// rounds deliver it, or the client's retry of the send does.
pub(crate) async fn deliver_message(ports: &Ports, recipients: &[UserId], message: &Message) {
    match message_events::of(message).envelope() {
        Ok(envelope) => {
            append(ports, recipients, &envelope).await;
        }
        Err(e) => tracing::warn!("outbox: a message event ({e}), left to the rounds"),
    }
}

/// Whether the rounds have yet to vouch for a message's event: a retried send then
/// appends it again (harmless: the inbox refuses a second copy).
pub(crate) async fn message_pending(ports: &Ports, message_id: &MessageId) -> Result<bool> {
    let rows = ports
        .sql
        .query(
            "SELECT ?1 > last_message_id FROM message_delivery_mark",
            &[Value::from(message_id)],
        )
        .await?;
    rows.first().map_or(Ok(true), |r| r.get(0))
}

/// Appends a keyed event; logs a failure. Returns whether it went in.
async fn append(ports: &Ports, recipients: &[UserId], envelope: &Envelope) -> bool {
    match ports.inbox.append(recipients, envelope).await {
        Ok(()) => true,
        Err(e) => {
            let key = envelope.key.as_deref().unwrap_or("?");
            tracing::warn!("outbox {key}: appending (a stream's round will retry): {e}");
            false
        }
    }
}

/// One round: makes sure what was written more than `redeliver_after` ago is in the
/// inboxes. Costs two indexed reads when there is nothing to check. Called by event
/// streams as they open and at every heartbeat, so pending events go out within a
/// heartbeat of the bus coming back, and before a resuming stream reads.
pub(crate) async fn drain(ports: &Ports) -> Result<()> {
    for _ in 0..BATCHES_PER_ROUND {
        if settle_messages(ports)
            .await
            .context("outbox round: redelivering messages")?
            < BATCH
        {
            break;
        }
    }
    for _ in 0..BATCHES_PER_ROUND {
        if settle_rows(ports)
            .await
            .context("outbox round: redelivering events")?
            < BATCH
        {
            break;
        }
    }
    Ok(())
}

/// Walks up to [`BATCH`] messages past the delivery mark that are older than
/// `redeliver_after`, appends the events the inbox does not hold, and moves the mark past
/// what is in. Racing streams may walk the same messages: the appends are idempotent and
/// the mark only moves forward. Returns how many messages it looked at.
async fn settle_messages(ports: &Ports) -> Result<usize> {
    let before = ids::uuid_v7_floor(ports.clock.now_ms() - millis(ports.settings.redeliver_after));
    let rows = ports
        .sql
        .query(
            "SELECT m.id FROM messages m, message_delivery_mark d
              WHERE m.id > d.last_message_id AND m.id < ?1
              ORDER BY m.id LIMIT ?2",
            &[Value::from(before), Value::from(batch())],
        )
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let ids = rows
        .iter()
        .map(|r| r.get::<MessageId>(0))
        .collect::<Result<Vec<_>>>()?;
    let keys: Vec<String> = ids.iter().map(message_events::key).collect();
    let settled: HashSet<String> = ports.inbox.settled(&keys).await?.into_iter().collect();
    let mut delivered_up_to = None;
    for (id, key) in ids.iter().zip(&keys) {
        if !settled.contains(key)
            && let Some((recipients, event)) = message_events::stored(ports, id).await?
            && !append(ports, &recipients, &event.envelope()?).await
        {
            // The bus is still down: the mark stays before this one.
            break;
        }
        delivered_up_to = Some(id);
    }
    if let Some(id) = delivered_up_to {
        ports
            .sql
            .execute(
                "UPDATE message_delivery_mark SET last_message_id = ?1
                  WHERE last_message_id < ?1",
                &[Value::from(id)],
            )
            .await?;
    }
    Ok(ids.len())
}

/// Looks at up to [`BATCH`] due outbox rows, deletes those the inbox holds (nearly all:
/// their request appended them), then takes the rest, appends them and deletes them once
/// in. Only that rare rest is claimed, so a batch is two reads and one delete when all is
/// well. Returns how many due rows it looked at.
async fn settle_rows(ports: &Ports) -> Result<usize> {
    let now = ports.clock.now_ms();
    let due = ports
        .sql
        .query(
            "SELECT key FROM outbox WHERE due_at_ms <= ?1 ORDER BY due_at_ms LIMIT ?2",
            &[Value::Integer(now), Value::from(batch())],
        )
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let keys = due
        .iter()
        .map(|row| row.get::<String>(0))
        .collect::<Result<Vec<_>>>()?;
    let settled = ports.inbox.settled(&keys).await?;
    delete(ports, &settled).await?;
    if settled.len() == keys.len() {
        return Ok(keys.len());
    }

    // The rest: take them by pushing their due time on, so racing streams take disjoint
    // rows, and rows a stream dies holding fall due again.
    let settled: HashSet<&String> = settled.iter().collect();
    let unsettled: Vec<&String> = keys.iter().filter(|k| !settled.contains(k)).collect();
    let taken = ports
        .sql
        .query(
            "UPDATE outbox SET due_at_ms = ?2
              WHERE key IN (SELECT value FROM json_each(?1)) AND due_at_ms <= ?3
              RETURNING key, recipients, event",
            &[
                Value::from(to_json(&unsettled)?),
                Value::Integer(now + millis(CLAIM_FOR)),
                Value::Integer(now),
            ],
        )
        .await?;
    let mut done = Vec::new();
    for row in &taken {
        let key: String = row.get(0)?;
        let recipients: String = row.get(1)?;
        let json: String = row.get(2)?;
        // A row that does not decode is dropped: keeping it would only retry it forever.
        if let Some(recipients) = decode(&key, &recipients)
            && !append(
                ports,
                &recipients,
                &Envelope {
                    json,
                    key: Some(key.clone()),
                },
            )
            .await
        {
            // The bus is still down: the rest can wait for the next round.
            break;
        }
        done.push(key);
    }
    delete(ports, &done).await?;
    Ok(keys.len())
}

async fn delete(ports: &Ports, keys: &[String]) -> Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    ports
        .sql
        .execute(
            "DELETE FROM outbox WHERE key IN (SELECT value FROM json_each(?1))",
            &[Value::from(to_json(keys)?)],
        )
        .await
        .map(drop)
}

fn batch() -> i64 {
    i64::try_from(BATCH).unwrap_or(i64::MAX)
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Data(format!("outbox: {e}")))
}

/// A row's recipients; `None` (logged) when they do not decode. The event's JSON goes to
/// the bus as it was stored.
fn decode(key: &str, recipients: &str) -> Option<Vec<UserId>> {
    match serde_json::from_str::<Vec<UserId>>(recipients) {
        Ok(pending) => Some(pending),
        Err(e) => {
            tracing::warn!("outbox row {key} does not decode, dropped: {e}");
            None
        }
    }
}
