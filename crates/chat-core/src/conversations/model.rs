//! What the API returns for conversations and messages, and the SQL columns they are read
//! from.

use serde::{Deserialize, Serialize};

use crate::{
    Result,
    ids::{ConversationId, MessageId, UserId},
    ports::{FromValue, Row, Value},
    time::rfc3339_ms,
    users::{UserSummary, summary},
};

/// `message`: `{id, conversation_id, seq, sender, body, client_id, created_at, edited_at,
/// deleted}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// UUIDv7.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Position in the conversation: 1, 2, 3, ... without gaps.
    pub seq: i64,
    /// Who sent it.
    pub sender: UserSummary,
    /// Empty once deleted.
    pub body: String,
    /// The sender's idempotency key.
    pub client_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or null.
    pub edited_at: Option<String>,
    /// Tombstone flag.
    pub deleted: bool,
}

impl Message {
    /// How many columns [`Message::columns`] reads.
    pub(crate) const COLUMN_COUNT: usize = 8 + summary::COLUMN_COUNT;

    /// Columns for a `messages` row `m` joined with its sender `u`; `?1`/`?2` = viewer, now.
    pub(crate) fn columns() -> String {
        format!(
            "m.id, m.conversation_id, m.seq, m.body, m.client_id, m.created_at_ms,
             m.edited_at_ms, m.deleted, {}",
            summary::columns("u")
        )
    }

    /// Reads [`Message::columns`] from `at`.
    pub(crate) fn from_row(row: &Row, at: usize) -> Result<Self> {
        let edited: Option<i64> = row.get(at + 6)?;
        Ok(Message {
            id: row.get(at)?,
            conversation_id: row.get(at + 1)?,
            seq: row.get(at + 2)?,
            body: row.get(at + 3)?,
            client_id: row.get(at + 4)?,
            created_at: rfc3339_ms(row.get(at + 5)?),
            edited_at: edited.map(rfc3339_ms),
            deleted: row.get(at + 7)?,
            sender: UserSummary::from_row(row, at + 8)?,
        })
    }
}

/// What a conversation is: between two friends, or a room anyone (public) or anyone with
/// the link (private) can join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two members, friends, for good.
    Direct,
    /// Members come and go.
    Room,
}

impl FromValue for ConversationKind {
    fn from_value(value: &Value) -> Result<Self, String> {
        match String::from_value(value)?.as_str() {
            "direct" => Ok(ConversationKind::Direct),
            "room" => Ok(ConversationKind::Room),
            other => Err(format!("unknown conversation kind {other:?}")),
        }
    }
}

/// `conversation`: `{id, kind, name, members?, last_message, unread_count, read_marks?,
/// created_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// UUIDv7, or a private room's 64-hex secret.
    pub id: ConversationId,
    /// `direct` or `room`.
    pub kind: ConversationKind,
    /// A public room's name; null otherwise.
    pub name: Option<String>,
    /// The members, where the response includes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<UserSummary>>,
    /// The newest message (possibly a tombstone), or null.
    pub last_message: Option<Message>,
    /// Messages from others after the caller's read mark, not deleted.
    pub unread_count: i64,
    /// Each member's read mark (user id to seq), where the response includes members of
    /// one conversation: the page shows "Seen" from it after a reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_marks: Option<std::collections::BTreeMap<UserId, i64>>,
    /// RFC 3339.
    pub created_at: String,
}

/// Columns for a conversation `c` with the caller's membership `me` (`?1` = viewer id,
/// `?2` = now): the unread count is a range count on the `(conversation_id, seq)` index,
/// so it reads only the unread part of the history.
pub(crate) fn conversation_columns() -> String {
    "c.id, c.kind, c.name, c.created_at_ms, c.last_seq,
     (SELECT count(*) FROM messages x
       WHERE x.conversation_id = c.id AND x.seq > me.last_read_seq
         AND x.sender_id <> ?1 AND x.deleted = 0)"
        .to_owned()
}

/// Columns [`conversation_columns`] yields.
pub(crate) const CONVERSATION_COLUMN_COUNT: usize = 6;
