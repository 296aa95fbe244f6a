//! How one member wants a conversation: muted (no notifications but for mentions), or, for
//! a direct conversation, hidden from their list until a newer message arrives.

use super::{Conversation, ConversationKind, Conversations};
use crate::{
    Error, Result,
    ids::ConversationId,
    ports::Value,
    throttle::{self, Action},
    vocabulary::Event,
};

impl Conversations<'_> {
    /// Mutes or unmutes (`muted`) and hides or shows (`hidden`, direct conversations only:
    /// 400 `not_direct`) a conversation for the caller; `None` leaves a setting as it is.
    /// The caller's tabs get `preferences`. Answers the conversation as the caller now sees
    /// it.
    pub async fn set_preferences(
        &self,
        conversation_id: &ConversationId,
        muted: Option<bool>,
        hidden: Option<bool>,
    ) -> Result<Conversation> {
        let before = self.get(conversation_id).await?;
        if hidden.is_some() && before.kind != ConversationKind::Direct {
            return Err(Error::invalid(
                "not_direct",
                "only direct conversations can be hidden; a room can be left",
            ));
        }
        let muted = muted.unwrap_or(before.muted);
        let hidden = hidden.unwrap_or(before.hidden);
        if muted == before.muted && hidden == before.hidden {
            return Ok(before);
        }
        throttle::take(self.ports, Action::Preferences, &self.me.id).await?;
        // Hiding remembers the newest seq now: a message after it shows the conversation
        // again by itself.
        self.ports
            .sql
            .execute(
                "UPDATE members
                    SET muted = ?3,
                        hidden_through_seq = CASE WHEN ?4 THEN
                            (SELECT last_seq FROM conversations WHERE id = ?1) END
                  WHERE conversation_id = ?1 AND user_id = ?2",
                &[
                    Value::from(conversation_id),
                    Value::from(&self.me.id),
                    Value::from(muted),
                    Value::from(hidden),
                ],
            )
            .await?;
        self.emit(
            vec![self.me.id.clone()],
            Event::preferences(conversation_id, muted, hidden),
        )
        .await?;
        Ok(Conversation {
            muted,
            hidden,
            ..before
        })
    }
}
