//! Reactions: any single emoji on any message of a conversation, added and taken back by
//! members, announced to every member with the new count.

use super::{Conversations, parse_reaction};
use crate::{
    Error, Result,
    ids::{ConversationId, MessageId},
    ports::Value,
    throttle::{self, Action},
    vocabulary::Event,
};

/// How many different emoji one message can collect (409 `too_many_reactions` past it):
/// a row of reactions stays readable, and a message's reactions stay one small read.
pub const REACTIONS_PER_MESSAGE: i64 = 20;

impl Conversations<'_> {
    /// Adds (`add`) or takes back the caller's `emoji` on a message. Idempotent: adding
    /// twice or taking back what is not there changes nothing and announces nothing.
    /// 404 unless the caller is a member and the message is in the conversation; 409
    /// `message_deleted` for a tombstone; in a direct conversation a block either way is
    /// 403 `blocked`. Rate limited per user.
    pub async fn react(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        emoji: &str,
        add: bool,
    ) -> Result<()> {
        let emoji = parse_reaction(emoji)?;
        let membership = self.membership(conversation_id).await?;
        self.check_not_blocked(&membership).await?;
        let rows = self
            .ports
            .sql
            .query(
                "SELECT deleted FROM messages WHERE id = ?1 AND conversation_id = ?2",
                &[Value::from(message_id), Value::from(conversation_id)],
            )
            .await?;
        let deleted: bool = rows
            .first()
            .ok_or(Error::NotFound { what: "message" })?
            .get(0)?;
        if deleted && add {
            return Err(Error::conflict(
                "message_deleted",
                "a deleted message takes no reactions",
            ));
        }
        throttle::take(self.ports, Action::React, &self.me.id).await?;
        let members = self.member_ids(conversation_id).await?;
        throttle::charge_deliveries(self.ports, &self.me.id, members.len()).await?;
        let params = [
            Value::from(message_id),
            Value::from(emoji.as_str()),
            Value::from(&self.me.id),
            Value::Integer(self.now()),
            Value::Integer(REACTIONS_PER_MESSAGE),
        ];
        // One statement each way, so racing reactions can neither pass the cap together
        // nor count wrong; `RETURNING` says whether anything changed.
        let changed = if add {
            self.ports
                .sql
                .query(
                    "INSERT OR IGNORE INTO reactions (message_id, emoji, user_id, created_at_ms)
                     SELECT ?1, ?2, ?3, ?4
                      WHERE EXISTS (SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?2)
                         OR (SELECT count(DISTINCT emoji) FROM reactions WHERE message_id = ?1) < ?5
                     RETURNING 1",
                    &params,
                )
                .await?
        } else {
            self.ports
                .sql
                .query(
                    "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3
                     RETURNING 1",
                    &params[..3],
                )
                .await?
        };
        let count: i64 = self
            .ports
            .sql
            .query(
                "SELECT count(*) FROM reactions WHERE message_id = ?1 AND emoji = ?2",
                &params[..2],
            )
            .await?
            .first()
            .map(|row| row.get(0))
            .transpose()?
            .unwrap_or(0);
        if changed.is_empty() {
            if add && count == 0 {
                return Err(Error::conflict(
                    "too_many_reactions",
                    format!("a message takes at most {REACTIONS_PER_MESSAGE} different emoji"),
                ));
            }
            return Ok(());
        }
        self.emit(
            members,
            Event::reaction(conversation_id, message_id, &emoji, &self.me.id, add, count),
        )
        .await
    }
}
