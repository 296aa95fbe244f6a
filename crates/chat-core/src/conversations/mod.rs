//! Conversations: direct messages between two friends (one conversation per pair) and
//! rooms (public by name, private by an unguessable id), their members, messages with a
//! gapless per-conversation `seq`, edits, tombstones, typing and read marks. Only members
//! can see or touch a conversation; to anyone else it does not exist (404).

mod attachments;
mod edits;
mod fields;
mod messages;
mod moderation;
mod preferences;
mod reactions;
mod reports;
mod rooms;
mod search;
mod signals;
mod uploads;

use std::collections::BTreeMap;

pub use crate::model::conversation::{
    Conversation, ConversationKind, EXCERPT_CHARS, Message, REACTORS_LISTED, Reaction, ReplyQuote,
    Report, Role, RoomListing,
};
pub use fields::{
    DirectoryPage, HistoryPage, MENTIONS_MAX, RoomName, is_private_room_id, mentioned_usernames,
    parse_ban_reason, parse_body, parse_client_id, parse_reaction, parse_report_reason,
    parse_room_title, parse_room_topic,
};
pub use messages::NewMessage;
pub use moderation::Ban;
pub use reactions::REACTIONS_PER_MESSAGE;
pub use reports::REPORT_REASON_MAX;
pub use rooms::{NewRoom, RoomChanges};
pub use search::{SEARCH_WORDS_MAX, SearchHit, SearchQuery, SnippetPart};
pub use uploads::{UploadBody, UploadClaims};

use crate::{
    Error, Ports, Result,
    ids::{ConversationId, UserId},
    model::{User, UserSummary, user_summary as summary},
    paging::{self, ListPage},
    ports::Value,
    vocabulary::Event,
};

/// Conversation operations on behalf of one signed-in user.
pub struct Conversations<'a> {
    ports: &'a Ports,
    me: &'a User,
}

/// What membership check found.
struct Membership {
    kind: ConversationKind,
    direct_key: Option<String>,
    role: Role,
}

impl<'a> Conversations<'a> {
    /// Operations as `me`.
    pub fn new(ports: &'a Ports, me: &'a User) -> Self {
        Conversations { ports, me }
    }

    fn now(&self) -> i64 {
        self.ports.clock.now_ms()
    }

    /// `[viewer, now, extra...]`: summaries in every query read `?1` and `?2`.
    fn params(&self, extra: impl IntoIterator<Item = Value>) -> Vec<Value> {
        let mut params = vec![Value::from(&self.me.id), Value::Integer(self.now())];
        params.extend(extra);
        params
    }

    /// Delivers a durable event through the outbox; a live-only one (typing) straight to
    /// the inboxes, since a late one is worth nothing.
    async fn emit(&self, recipients: Vec<UserId>, event: Event) -> Result<()> {
        if recipients.is_empty() {
            return Ok(());
        }
        if event.ephemeral.is_some() {
            return self
                .ports
                .inbox
                .append(&recipients, &event.envelope()?)
                .await;
        }
        crate::delivery::outbox::deliver(self.ports, &recipients, event).await
    }

    /// The conversation if the caller is a member; 404 otherwise, whether or not it exists.
    async fn membership(&self, conversation_id: &ConversationId) -> Result<Membership> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT c.kind, c.direct_key, me.role FROM conversations c
                 JOIN members me ON me.conversation_id = c.id AND me.user_id = ?1
                 WHERE c.id = ?2",
                &[Value::from(&self.me.id), Value::from(conversation_id)],
            )
            .await?;
        let row = rows.first().ok_or(Error::NotFound {
            what: "conversation",
        })?;
        Ok(Membership {
            kind: row.get(0)?,
            direct_key: row.get(1)?,
            role: row.get(2)?,
        })
    }

    /// Ids of every member.
    async fn member_ids(&self, conversation_id: &ConversationId) -> Result<Vec<UserId>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT user_id FROM members WHERE conversation_id = ?1",
                &[Value::from(conversation_id)],
            )
            .await?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// Ids of every member but the caller: who hears about the caller's own doings.
    async fn other_member_ids(&self, conversation_id: &ConversationId) -> Result<Vec<UserId>> {
        let mut others = self.member_ids(conversation_id).await?;
        others.retain(|m| *m != self.me.id);
        Ok(others)
    }

    /// Members as the caller sees them, in joining order.
    async fn members(&self, conversation_id: &ConversationId) -> Result<Vec<UserSummary>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM members mm JOIN users u ON u.id = mm.user_id
                     WHERE mm.conversation_id = ?3 ORDER BY mm.joined_at_ms, u.username",
                    summary::columns("u")
                ),
                &self.params([Value::from(conversation_id)]),
            )
            .await?;
        rows.iter()
            .map(|r| UserSummary::read(&mut r.columns()))
            .collect()
    }

    /// Every member's read mark: user id to the highest seq they have read.
    async fn read_marks(&self, conversation_id: &ConversationId) -> Result<BTreeMap<UserId, i64>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT user_id, last_read_seq FROM members WHERE conversation_id = ?1",
                &[Value::from(conversation_id)],
            )
            .await?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect()
    }

    /// The caller's conversations (`Which::Page`: a page of the list) or one of them,
    /// newest activity first, with the last message and unread count in the same query;
    /// and the cursor of the next page, if there is one.
    async fn load(&self, which: Which<'_>) -> Result<(Vec<Conversation>, Option<String>)> {
        // The list leaves out what the caller hid; asking for one by id still finds it.
        let (filter, extra, limit) = match which {
            Which::One(id) => ("AND c.id = ?3", vec![Value::from(id)], 1),
            Which::Page(page) => {
                let (ms, id) = match &page.cursor {
                    Some(cursor) => {
                        let (ms, id) = paging::parse_activity_cursor(cursor)?;
                        (Value::Integer(ms), Value::from(id))
                    }
                    None => (Value::Null, Value::Null),
                };
                (
                    "AND NOT coalesce(c.last_seq <= me.hidden_through_seq, 0)
                     AND (?3 IS NULL OR c.last_activity_ms < ?3
                          OR (c.last_activity_ms = ?3 AND c.id > ?4))",
                    vec![ms, id],
                    page.limit,
                )
            }
        };
        let sql = format!(
            "SELECT c.last_activity_ms, {} FROM members me
             JOIN conversations c ON c.id = me.conversation_id
             LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
             LEFT JOIN users u ON u.id = m.sender_id
             WHERE me.user_id = ?1 {filter}
             ORDER BY c.last_activity_ms DESC, c.id
             LIMIT {}",
            Conversation::columns(),
            limit.saturating_add(1)
        );
        let only = matches!(which, Which::One(_));
        let rows = self.ports.sql.query(&sql, &self.params(extra)).await?;
        let more = rows.len() > limit as usize;
        let mut conversations = Vec::with_capacity(rows.len());
        let mut last_activity = 0;
        for row in rows.iter().take(limit as usize) {
            let mut columns = row.columns();
            last_activity = columns.read()?;
            let mut conversation = Conversation::read(&mut columns)?;
            // A direct conversation is named by its other member: the list needs them.
            if conversation.kind == ConversationKind::Direct || only {
                conversation.members = Some(self.members(&conversation.id).await?);
            }
            if only {
                conversation.read_marks = Some(self.read_marks(&conversation.id).await?);
                if conversation.kind == ConversationKind::Room {
                    conversation.roles = Some(self.roles(&conversation.id).await?);
                }
            }
            conversations.push(conversation);
        }
        // The next page starts after the last one listed, by its activity and id.
        let next = conversations
            .last()
            .filter(|_| more)
            .map(|last| paging::activity_cursor(last_activity, last.id.as_str()));
        Ok((conversations, next))
    }

    /// One conversation with its members; 404 unless the caller is a member.
    pub async fn get(&self, conversation_id: &ConversationId) -> Result<Conversation> {
        self.load(Which::One(conversation_id))
            .await?
            .0
            .into_iter()
            .next()
            .ok_or(Error::NotFound {
                what: "conversation",
            })
    }

    /// A page of the caller's conversations, most recent activity first, and the cursor
    /// of the next page (`None` on the last). Members are included for direct
    /// conversations only.
    pub async fn list(&self, page: &ListPage) -> Result<(Vec<Conversation>, Option<String>)> {
        self.load(Which::Page(page)).await
    }
}

/// What [`Conversations::load`] reads.
enum Which<'a> {
    One(&'a ConversationId),
    Page(&'a ListPage),
}
