//! Changing a sent message: its author edits or deletes it (a tombstone keeps its place
//! in the history); a room's moderators delete others' messages too.

use super::{
    ConversationKind, Conversations, Membership, Message,
    messages::{mentions_in, mentions_json},
    parse_body,
};
use crate::{
    Error, Result,
    ids::{ConversationId, MessageId},
    ports::Value,
    throttle::{self, Action},
    vocabulary::Event,
};

impl Conversations<'_> {
    /// Loads an own message for changing it, with the caller's membership: 403
    /// `not_author` for others' messages.
    async fn own_message(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<(Membership, Message)> {
        let membership = self.membership(conversation_id).await?;
        let message = self.message(conversation_id, message_id).await?;
        if message.sender.id != self.me.id {
            return Err(not_author());
        }
        Ok((membership, message))
    }

    /// Replaces the body of an own message; 409 `message_deleted` for tombstones.
    pub async fn edit(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        body: &str,
    ) -> Result<Message> {
        let body = parse_body(body)?;
        let (membership, message) = self.own_message(conversation_id, message_id).await?;
        let mentions = mentions_in(&body, membership.direct_key.is_some());
        self.check_not_blocked(&membership).await?;
        throttle::take(self.ports, Action::ChangeMessage, &self.me.id).await?;
        if message.deleted {
            return Err(Error::conflict(
                "message_deleted",
                "a deleted message cannot be edited",
            ));
        }
        let members = self.member_ids(conversation_id).await?;
        throttle::charge_deliveries(self.ports, &self.me.id, members.len()).await?;
        self.ports
            .sql
            .execute(
                "UPDATE messages SET body = ?2, edited_at_ms = ?3, mentions = ?4
                  WHERE id = ?1 AND deleted = 0",
                &[
                    Value::from(message_id),
                    Value::from(body.as_str()),
                    Value::Integer(self.now()),
                    Value::from(mentions_json(&mentions)?.as_deref()),
                ],
            )
            .await?;
        let edited = self.message(conversation_id, message_id).await?;
        self.emit(members, Event::message_edited(&edited)).await?;
        Ok(edited)
    }

    /// Deletes a message, leaving a tombstone (`deleted: true`, empty body) in its place:
    /// an own message, or in a room anyone's when the caller moderates it. Deleting a
    /// tombstone again changes nothing; its open reports close with it (a trigger).
    pub async fn delete(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<()> {
        let membership = self.membership(conversation_id).await?;
        let message = self.message(conversation_id, message_id).await?;
        let moderating = message.sender.id != self.me.id;
        if moderating && !(membership.kind == ConversationKind::Room && membership.role.moderates())
        {
            return Err(not_author());
        }
        if message.deleted {
            return Ok(());
        }
        throttle::take(self.ports, Action::ChangeMessage, &self.me.id).await?;
        let members = self.member_ids(conversation_id).await?;
        throttle::charge_deliveries(self.ports, &self.me.id, members.len()).await?;
        self.ports
            .sql
            .execute(
                "UPDATE messages SET deleted = 1, body = '' WHERE id = ?1",
                &[Value::from(message_id)],
            )
            .await?;
        let tombstone = self.message(conversation_id, message_id).await?;
        let moderator = moderating.then_some(&self.me.id);
        self.emit(members, Event::message_deleted(&tombstone, moderator))
            .await?;
        if moderating {
            crate::audit::log_moderation(
                "message_deleted",
                &self.me.id,
                conversation_id,
                &message.sender.id,
            );
        }
        if !message.attachments.is_empty() {
            // The database stopped serving its files in the statement above; their bytes
            // go now rather than at some later upload.
            super::attachments::sweep(self.ports).await;
        }
        Ok(())
    }
}

/// 403 `not_author`: someone else's message (that the caller does not moderate).
fn not_author() -> Error {
    Error::forbidden("not_author", "only the author can change a message")
}
