//! What the API returns for conversations and messages, and the SQL columns they are read
//! from.

use serde::{Deserialize, Serialize};

use crate::{
    Result,
    attachments::{Attachment, attachments_column, attachments_from},
    ids::{ConversationId, MessageId, UserId},
    model::user_summary::{self as summary, UserSummary},
    ports::{Columns, FromValue, Value},
    time::rfc3339_ms,
};

/// `message`: `{id, conversation_id, seq, sender, body, client_id, created_at, edited_at,
/// deleted, reply_to, reactions, mentions, attachments}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// What it answers, quoted; null when it answers nothing.
    pub reply_to: Option<ReplyQuote>,
    /// Its reactions, the earliest emoji first.
    pub reactions: Vec<Reaction>,
    /// The usernames it mentions (rooms only; empty elsewhere).
    pub mentions: Vec<String>,
    /// The files it carries, in the order the sender listed them (none once deleted).
    pub attachments: Vec<Attachment>,
}

/// One emoji's reactions to a message: `{emoji, count, user_ids}`; `user_ids` lists the
/// first [`REACTORS_LISTED`] who reacted with it, in order (`count` says how many in all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many reacted with it.
    pub count: i64,
    /// Who, the first of them.
    pub user_ids: Vec<UserId>,
}

/// How many reactors of one emoji a message lists by id.
pub const REACTORS_LISTED: usize = 50;

/// One column: the [`Reaction`]s of message `{id}` as a JSON array, the earliest emoji
/// first (`[]` when there are none).
pub(crate) fn reactions_column(id: &str) -> String {
    format!(
        "(SELECT coalesce(json_group_array(json_object('emoji', emoji, 'count', n,
                                                       'user_ids', json(ids))), '[]')
            FROM (SELECT emoji, max(n) AS n, json_group_array(user_id) AS ids,
                         min(created_at_ms) AS first
                    FROM (SELECT emoji, user_id, created_at_ms,
                                 count(*) OVER (PARTITION BY emoji) AS n,
                                 row_number() OVER (PARTITION BY emoji
                                                    ORDER BY created_at_ms, user_id) AS k
                            FROM reactions WHERE message_id = {id})
                   WHERE k <= {REACTORS_LISTED}
                   GROUP BY emoji
                   ORDER BY first, emoji))"
    )
}

/// `reply_to`: the message a reply answers, as the reply quotes it: `{id, seq, sender_id,
/// sender_name, excerpt, deleted}`. The excerpt is the first [`EXCERPT_CHARS`] characters
/// of its body now (empty once it is deleted), so a quote never outlives a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReplyQuote {
    /// The answered message.
    pub id: MessageId,
    /// Its seq (where to scroll to).
    pub seq: i64,
    /// Its sender.
    pub sender_id: UserId,
    /// Its sender's display name now.
    pub sender_name: String,
    /// The start of its body; empty when deleted.
    pub excerpt: String,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// How much of the answered message a reply quotes.
pub const EXCERPT_CHARS: usize = 200;

/// One column: the [`ReplyQuote`] of message `{id}` (an SQL expression) in conversation
/// `{conversation}`, as a JSON object, or NULL when there is no such message.
pub(crate) fn reply_quote_column(id: &str, conversation: &str) -> String {
    format!(
        "(SELECT json_object('id', r.id, 'seq', r.seq, 'sender_id', r.sender_id,
                             'sender_name', ru.display_name,
                             'excerpt', CASE WHEN r.deleted THEN '' ELSE substr(r.body, 1, {EXCERPT_CHARS}) END,
                             'deleted', json(CASE WHEN r.deleted THEN 'true' ELSE 'false' END))
            FROM messages r JOIN users ru ON ru.id = r.sender_id
           WHERE r.id = {id} AND r.conversation_id = {conversation})"
    )
}

/// Reads a [`reply_quote_column`].
pub(crate) fn reply_quote_from(value: Option<String>) -> Result<Option<ReplyQuote>> {
    value
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| crate::Error::Data(format!("reply quote {json:?}: {e}")))
        })
        .transpose()
}

impl Message {
    /// Columns for a `messages` row `m` joined with its sender `u`; `?1`/`?2` = viewer, now.
    pub(crate) fn columns() -> String {
        format!(
            "m.id, m.conversation_id, m.seq, m.body, m.client_id, m.created_at_ms,
             m.edited_at_ms, m.deleted, {}, {}, {}, m.mentions, {}",
            summary::columns("u"),
            reply_quote_column("m.reply_to_id", "m.conversation_id"),
            reactions_column("m.id"),
            attachments_column("m.id")
        )
    }

    /// Reads the columns of [`Message::columns`].
    pub(crate) fn read(columns: &mut Columns) -> Result<Self> {
        Ok(Message {
            id: columns.read()?,
            conversation_id: columns.read()?,
            seq: columns.read()?,
            body: columns.read()?,
            client_id: columns.read()?,
            created_at: rfc3339_ms(columns.read()?),
            edited_at: columns.read::<Option<i64>>()?.map(rfc3339_ms),
            deleted: columns.read()?,
            sender: UserSummary::read(columns)?,
            reply_to: reply_quote_from(columns.read()?)?,
            reactions: {
                let json: String = columns.read()?;
                serde_json::from_str(&json)
                    .map_err(|e| crate::Error::Data(format!("reactions {json:?}: {e}")))?
            },
            mentions: match columns.read::<Option<String>>()? {
                Some(json) => serde_json::from_str(&json)
                    .map_err(|e| crate::Error::Data(format!("mentions {json:?}: {e}")))?,
                None => Vec::new(),
            },
            attachments: attachments_from(&columns.read::<String>()?)?,
        })
    }
}

/// What a conversation is: between two friends, or a room anyone (public) or anyone with
/// the link (private) can join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// A member's standing in a room: `owner` (one per room), `moderator` (appointed by the
/// owner) or `member`. Every member of a direct conversation is a `member`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anyone in the room.
    Member,
    /// Keeps the room: removes and bans members, deletes messages, reads reports, changes
    /// a private room's invite link.
    Moderator,
    /// A moderator who also appoints moderators and may hand the room on.
    Owner,
}

impl Role {
    /// Its name in the API and the `members.role` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Owner => "owner",
        }
    }

    /// What an owner asks for (400 `invalid_role` for anything but the three names).
    pub fn parse(raw: &str) -> crate::Result<Self> {
        Self::from_value(&Value::from(raw)).map_err(|_| {
            crate::Error::invalid("invalid_role", "role must be owner, moderator or member")
        })
    }

    /// Whether it keeps the room (moderator or owner).
    pub fn moderates(self) -> bool {
        self >= Role::Moderator
    }
}

impl FromValue for Role {
    fn from_value(value: &Value) -> Result<Self, String> {
        match String::from_value(value)?.as_str() {
            "member" => Ok(Role::Member),
            "moderator" => Ok(Role::Moderator),
            "owner" => Ok(Role::Owner),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// `conversation`: `{id, kind, name, title, topic, member_count, members?, roles?,
/// last_message, unread_count, mention_count, muted, hidden, role, invite_code,
/// read_marks?, created_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Conversation {
    /// UUIDv7, or a private room's 64-hex secret.
    pub id: ConversationId,
    /// `direct` or `room`.
    pub kind: ConversationKind,
    /// A public room's name; null otherwise.
    pub name: Option<String>,
    /// A private room's title, when its members gave it one; null otherwise.
    pub title: Option<String>,
    /// A room's topic, or null.
    pub topic: Option<String>,
    /// How many members it has.
    pub member_count: i64,
    /// The members, where the response includes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<UserSummary>>,
    /// Alongside a room's members: who owns and who moderates it (user id to role; plain
    /// members are left out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<std::collections::BTreeMap<UserId, Role>>,
    /// The newest message (possibly a tombstone), or null.
    pub last_message: Option<Message>,
    /// Messages from others after the caller's read mark, not deleted.
    pub unread_count: i64,
    /// Those of them that mention the caller.
    pub mention_count: i64,
    /// Whether the caller muted it.
    pub muted: bool,
    /// Whether the caller hid it (a direct conversation, until a newer message).
    pub hidden: bool,
    /// The caller's standing in it.
    pub role: Role,
    /// A private room's invite secret (what its link carries), null for other
    /// conversations. It starts as the room's id; its moderators can change it.
    pub invite_code: Option<String>,
    /// Each member's read mark (user id to seq), where the response includes members of
    /// one conversation: the page shows "Seen" from it after a reload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_marks: Option<std::collections::BTreeMap<UserId, i64>>,
    /// RFC 3339.
    pub created_at: String,
}

impl Conversation {
    /// Columns for a conversation `c` with the caller's membership `me` and its newest
    /// message `m` from `u` (both LEFT JOINed: a room may have none), `?1` = viewer id,
    /// `?2` = now. They end a select list: [`Conversation::read`] reads to its end. The unread count is a range count on the `(conversation_id, seq)` index,
    /// so it reads only the unread part of the history.
    pub(crate) fn columns() -> String {
        format!(
            "c.id, c.kind, c.name, c.created_at_ms,
             (SELECT count(*) FROM messages x
               WHERE x.conversation_id = c.id AND x.seq > me.last_read_seq
                 AND x.sender_id <> ?1 AND x.deleted = 0),
             c.title, c.topic, c.member_count,
             (SELECT count(*) FROM messages x
               WHERE x.conversation_id = c.id AND x.seq > me.last_read_seq
                 AND x.sender_id <> ?1 AND x.deleted = 0 AND x.mentions IS NOT NULL
                 AND EXISTS (SELECT 1 FROM json_each(x.mentions)
                              WHERE value = (SELECT username FROM users WHERE id = ?1))),
             me.muted, coalesce(c.last_seq <= me.hidden_through_seq, 0), me.role, c.invite_code,
             {}",
            Message::columns()
        )
    }

    /// Reads the columns of [`Conversation::columns`]: what the caller's list shows, with
    /// neither members nor marks (the caller adds them where the response has them).
    pub(crate) fn read(columns: &mut Columns) -> Result<Self> {
        Ok(Conversation {
            id: columns.read()?,
            kind: columns.read()?,
            name: columns.read()?,
            created_at: rfc3339_ms(columns.read()?),
            unread_count: columns.read()?,
            title: columns.read()?,
            topic: columns.read()?,
            member_count: columns.read()?,
            mention_count: columns.read()?,
            muted: columns.read()?,
            hidden: columns.read()?,
            role: columns.read()?,
            invite_code: columns.read()?,
            // The message's columns end the select list, so an absent one is passed over.
            last_message: if columns.next_is_null() {
                columns.skip_rest();
                None
            } else {
                Some(Message::read(columns)?)
            },
            members: None,
            roles: None,
            read_marks: None,
        })
    }
}

/// A public room as the directory lists it: `{id, name, topic, member_count,
/// last_activity_at, joined}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoomListing {
    /// The room's id.
    pub id: ConversationId,
    /// Its name.
    pub name: String,
    /// Its topic, or null.
    pub topic: Option<String>,
    /// How many members it has.
    pub member_count: i64,
    /// RFC 3339: its newest message, or its creation.
    pub last_activity_at: String,
    /// Whether the caller is a member.
    pub joined: bool,
}

/// Stores a message: the next seq of its conversation, already claimed for announcing;
/// nothing (no row returned) when this sender's `client_id` is already there.
pub(crate) const INSERT_MESSAGE_SQL: &str = "INSERT INTO messages
        (id, conversation_id, seq, sender_id, body, client_id, created_at_ms,
         reply_to_id, mentions)
     SELECT ?1, c.id, c.last_seq + 1, ?3, ?4, ?5, ?6, ?7, ?8
       FROM conversations c WHERE c.id = ?2
     ON CONFLICT DO NOTHING
     RETURNING seq";

/// `report`: `{id, conversation_id, message, reporter, reason, created_at}`: open until a
/// moderator dismisses it or the message is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// UUIDv7.
    pub id: String,
    /// The room.
    pub conversation_id: ConversationId,
    /// The reported message, as it is now.
    pub message: Message,
    /// Who reported it.
    pub reporter: UserSummary,
    /// Why.
    pub reason: String,
    /// RFC 3339.
    pub created_at: String,
}
