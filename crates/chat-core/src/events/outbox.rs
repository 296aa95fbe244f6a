//! The outbox: the one way every durable event reaches the inboxes. The event is written
//! to the `outbox` table first (a message's row enters it in the statement that stores
//! the message), then appended to the recipients' inboxes under its key, then its row is
//! deleted. Whatever is cut where, the row outlives the failure: a request killed before
//! the append, a bus that refused it, a reply lost after the append ran. Event streams
//! redeliver due rows on their rounds ([`drain`]); the inbox refuses a key it already
//! holds, so a redelivery never doubles what the first attempt got in.
//!
//! So an event the API acknowledged is stored durably and, once the bus takes it,
//! delivered exactly once per stream, for every event type: messages, edits, profile,
//! friend, membership, read, presence and notifications alike. Typing is the exception by
//! design: it is live-only, and a late typing indicator is worse than none.

use std::time::Duration;

use crate::{
    Error, Ports, Result, ids,
    ports::{Event, Value},
};

/// How long after writing a row a stream may redeliver it: the writing request normally
/// appends and deletes it within milliseconds. Messages get theirs from the trigger in
/// `migrations/0007_outbox.sql`, which says 5 s too.
const DUE_AFTER: Duration = Duration::from_secs(5);
/// How long a stream that took a row for redelivery holds it before another may.
const CLAIM_FOR: Duration = Duration::from_secs(30);
/// Rows one round redelivers at most.
const ROUND: i64 = 50;

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The outbox key of a message's event.
pub(crate) fn message_key(message_id: &str) -> String {
    format!("message:{message_id}")
}

/// Records `event` for `recipients`, then appends it. A failed append is not the
/// caller's failure: the event is recorded, and a stream's next round delivers it.
pub(crate) async fn deliver(ports: &Ports, recipients: &[String], event: Event) -> Result<()> {
    if recipients.is_empty() {
        return Ok(());
    }
    let key = match &event.key {
        Some(key) => key.clone(),
        None => ids::uuid_v7(ports.clock.as_ref(), ports.random.as_ref())?,
    };
    let event = event.keyed(key.as_str());
    ports
        .sql
        .execute(
            "INSERT INTO outbox (key, recipients, event, due_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO NOTHING",
            &[
                Value::from(key.as_str()),
                Value::from(to_json(&recipients)?),
                Value::from(to_json(&event)?),
                Value::Integer(ports.clock.now_ms() + ms(DUE_AFTER)),
            ],
        )
        .await?;
    append_and_clear(ports, &key, recipients, &event).await;
    Ok(())
}

/// Appends a message's event, whose outbox row the send's INSERT wrote. Like
/// [`deliver`], a failure leaves the row for a stream's round.
pub(crate) async fn deliver_message(ports: &Ports, recipients: &[String], event: Event) {
    if let Some(key) = event.key.clone() {
        append_and_clear(ports, &key, recipients, &event).await;
    }
}

/// Whether a message's event still waits in the outbox (its send was cut short).
pub(crate) async fn message_pending(ports: &Ports, message_id: &str) -> Result<bool> {
    let rows = ports
        .sql
        .query(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE key = ?1)",
            &[Value::from(message_key(message_id))],
        )
        .await?;
    rows.first().map_or(Ok(false), |r| r.get(0))
}

/// Appends under `key` and deletes the row; logs and keeps the row when either fails.
/// Returns whether the event is in.
async fn append_and_clear(ports: &Ports, key: &str, recipients: &[String], event: &Event) -> bool {
    if let Err(e) = ports.inbox.append(recipients, event).await {
        eprintln!("outbox {key}: appending (a stream's round will retry): {e}");
        return false;
    }
    if let Err(e) = ports
        .sql
        .execute("DELETE FROM outbox WHERE key = ?1", &[Value::from(key)])
        .await
    {
        // Harmless: the next round appends again, and the inbox refuses the copy.
        eprintln!("outbox {key}: clearing: {e}");
    }
    true
}

/// One round of redelivery: takes up to [`ROUND`] rows that are due, appends each, and
/// deletes it. Costs one indexed read when nothing is due, which is nearly always.
/// Called by event streams as they open and at every heartbeat, so pending events go out
/// within a heartbeat of the bus coming back, and before a resuming stream reads.
pub(crate) async fn drain(ports: &Ports) -> Result<()> {
    let now = ports.clock.now_ms();
    let due = ports
        .sql
        .query(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE due_at_ms <= ?1)",
            &[Value::Integer(now)],
        )
        .await?;
    if !due.first().map_or(Ok(false), |r| r.get(0))? {
        return Ok(());
    }
    // Taking a row is pushing its due time on: racing streams take disjoint rows, and a
    // stream that dies holding some lets them fall due again.
    let taken = ports
        .sql
        .query(
            "UPDATE outbox SET due_at_ms = ?2
              WHERE key IN (SELECT key FROM outbox WHERE due_at_ms <= ?1
                            ORDER BY due_at_ms LIMIT ?3)
              RETURNING key, recipients, event, message_id",
            &[
                Value::Integer(now),
                Value::Integer(now + ms(CLAIM_FOR)),
                Value::Integer(ROUND),
            ],
        )
        .await?;
    for row in taken {
        let key: String = row.get(0)?;
        let recipients: Option<String> = row.get(1)?;
        let event: Option<String> = row.get(2)?;
        let message_id: Option<String> = row.get(3)?;
        let pending = match (recipients, event, message_id) {
            (Some(recipients), Some(event), _) => decode(&key, &recipients, &event),
            (_, _, Some(message_id)) => {
                crate::conversations::message_event(ports, &message_id).await?
            }
            _ => None,
        };
        let Some((recipients, event)) = pending else {
            // Nothing to deliver (a row that does not decode, or a message that is gone):
            // keeping it would only retry it forever.
            ports
                .sql
                .execute("DELETE FROM outbox WHERE key = ?1", &[Value::from(key)])
                .await?;
            continue;
        };
        if !append_and_clear(ports, &key, &recipients, &event).await {
            // The bus is still down: the rest can wait for the next round.
            break;
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Data(format!("outbox: {e}")))
}

/// A row's recipients and event; `None` (logged) when either does not decode.
fn decode(key: &str, recipients: &str, event: &str) -> Option<(Vec<String>, Event)> {
    let decoded = serde_json::from_str::<Vec<String>>(recipients)
        .and_then(|recipients| Ok((recipients, serde_json::from_str::<Event>(event)?.keyed(key))));
    match decoded {
        Ok(pending) => Some(pending),
        Err(e) => {
            eprintln!("outbox row {key} does not decode, dropped: {e}");
            None
        }
    }
}
