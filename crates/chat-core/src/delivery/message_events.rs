//! A message's `message` event under the key its delivery is known by: what a send
//! appends, and what the outbox's rounds build again from the stored row when that send
//! was cut short. Beside the outbox, below the conversations service that sends.

use crate::{
    Ports, Result,
    ids::{MessageId, UserId, spaced_user_ids},
    model::Message,
    ports::Value,
    vocabulary::Event,
};

/// The idempotency key of a message's event.
pub(crate) fn key(message_id: &MessageId) -> String {
    format!("message:{message_id}")
}

/// A message's `message` event, under [`key`].
pub(crate) fn of(message: &Message) -> Event {
    Event::message(message).keyed(key(&message.id))
}

/// The event of a stored message and its recipients (the members now), built from its
/// row. `None` when the message is gone.
pub(crate) async fn stored(
    ports: &Ports,
    message_id: &MessageId,
) -> Result<Option<(Vec<UserId>, Event)>> {
    // No viewer (?1): an event's sender summary never depends on one (`Event::message`).
    let rows = ports
        .sql
        .query(
            &format!(
                "SELECT {}, (SELECT group_concat(user_id, ' ') FROM members
                              WHERE conversation_id = m.conversation_id)
                   FROM messages m JOIN users u ON u.id = m.sender_id
                  WHERE m.id = ?3",
                Message::columns()
            ),
            &[
                Value::from(""),
                Value::Integer(ports.clock.now_ms()),
                Value::from(message_id),
            ],
        )
        .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let mut columns = row.columns();
    let message = Message::read(&mut columns)?;
    let members = spaced_user_ids(columns.read()?);
    Ok(Some((members, of(&message))))
}
