//! What members signal beside their messages: typing (live only, it lapses), nudges and
//! read marks.

use super::Conversations;
use crate::{
    Error, Result,
    ids::ConversationId,
    ports::Value,
    throttle::{self, Action},
    vocabulary::Event,
};

/// How long a `typing: true` lasts without being repeated.
pub const TYPING_TTL_MS: i64 = 6_000;

impl Conversations<'_> {
    /// Tells the other members the caller is (or stopped) typing. Never stored as
    /// history; the event says when it lapses without a repeat. Rate limited.
    pub async fn typing(&self, conversation_id: &ConversationId, typing: bool) -> Result<()> {
        let membership = self.membership(conversation_id).await?;
        self.check_not_blocked(&membership).await?;
        throttle::take(self.ports, Action::Typing, &self.me.id).await?;
        let others = self.other_member_ids(conversation_id).await?;
        throttle::charge_deliveries(self.ports, &self.me.id, others.len()).await?;
        let now = self.now();
        let event = Event::typing(conversation_id, self.me, typing, now, now + TYPING_TTL_MS);
        self.emit(others, event).await
    }

    /// Shakes the other side's window (MSN's nudge): direct conversations only, with the
    /// same block and friendship rules as sending. A durable event, so a nudge sent while
    /// the other side reconnects still arrives; the page only shakes for recent ones.
    /// Rate limited per sender: a burst of 3, then one every 10 s.
    pub async fn nudge(&self, conversation_id: &ConversationId) -> Result<()> {
        let membership = self.membership(conversation_id).await?;
        let Some(key) = &membership.direct_key else {
            return Err(Error::invalid(
                "not_direct",
                "nudges are for direct conversations",
            ));
        };
        self.check_direct_allowed(key).await?;
        throttle::take(self.ports, Action::Nudge, &self.me.id).await?;
        let others = self.other_member_ids(conversation_id).await?;
        let event = Event::nudge(conversation_id, self.me, self.now());
        self.emit(others, event).await
    }

    /// Moves the caller's read mark forward to `seq` (never back, never past the newest
    /// message). Every member, the caller's tabs included, gets `read` when it moved.
    pub async fn mark_read(&self, conversation_id: &ConversationId, seq: i64) -> Result<()> {
        if seq < 0 {
            return Err(Error::invalid("invalid_seq", "seq must be 0 or more"));
        }
        let membership = self.membership(conversation_id).await?;
        self.check_not_blocked(&membership).await?;
        throttle::take(self.ports, Action::MarkRead, &self.me.id).await?;
        let moved = self
            .ports
            .sql
            .query(
                "UPDATE members SET last_read_seq =
                    min(?3, (SELECT last_seq FROM conversations WHERE id = ?1))
                 WHERE conversation_id = ?1 AND user_id = ?2
                   AND last_read_seq < min(?3, (SELECT last_seq FROM conversations WHERE id = ?1))
                 RETURNING last_read_seq",
                &[
                    Value::from(conversation_id),
                    Value::from(&self.me.id),
                    Value::Integer(seq),
                ],
            )
            .await?;
        let Some(row) = moved.first() else {
            return Ok(());
        };
        let mark: i64 = row.get(0)?;
        let members = self.member_ids(conversation_id).await?;
        // In a big room every member reading along would multiply each message by the
        // room's size again; there the mark goes to the reader's own tabs only.
        let small = members.len() <= self.ports.settings.read_receipts_members_max as usize;
        let recipients = if small {
            members
        } else {
            vec![self.me.id.clone()]
        };
        self.emit(recipients, Event::read(conversation_id, &self.me.id, mark))
            .await
    }
}
