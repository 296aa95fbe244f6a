//! Opening direct conversations, creating, joining and leaving rooms.

use super::{Conversation, ConversationKind, Conversations, RoomName};
use crate::{
    Error, Result, ids,
    ids::ConversationId,
    ports::Value,
    relations::{self, ordered_pair},
    throttle::{self, Action},
    users::Users,
    vocabulary::Event,
};

impl Conversations<'_> {
    /// The direct conversation with `username`, created on first use (`true` when it was).
    /// Only between friends (403 `not_friends`); 404 for unknown users or users who blocked
    /// the caller. The pair's unique key decides races, so there is only ever one.
    pub async fn open_direct(&self, username: &str) -> Result<(Conversation, bool)> {
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        let other = Users::new(self.ports, self.me).lookup(username).await?;
        if other.id == self.me.id {
            return Err(Error::invalid_target(
                "a direct conversation needs someone else",
            ));
        }
        let (a, b) = ordered_pair(&self.me.id, &other.id);
        if !relations::between(self.ports.sql.as_ref(), a, b)
            .await?
            .friends
        {
            return Err(Error::not_friends(
                "direct conversations are between friends",
            ));
        }
        let key = format!("{a}:{b}");
        let now = self.now();
        let id = ConversationId::generate(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        let mut tx = self.ports.sql.begin().await?;
        let created = !tx
            .query(
                "INSERT INTO conversations (id, kind, direct_key, created_at_ms, last_activity_ms)
                 VALUES (?1, 'direct', ?2, ?3, ?3)
                 ON CONFLICT (direct_key) DO NOTHING
                 RETURNING 1",
                &[
                    Value::from(id),
                    Value::from(key.as_str()),
                    Value::Integer(now),
                ],
            )
            .await?
            .is_empty();
        let rows = tx
            .query(
                "SELECT id FROM conversations WHERE direct_key = ?1",
                &[Value::from(key.as_str())],
            )
            .await?;
        let id: ConversationId = rows
            .first()
            .ok_or_else(|| Error::Data("direct conversation vanished".into()))?
            .get(0)?;
        for member in [a, b] {
            tx.execute(
                "INSERT OR IGNORE INTO members (conversation_id, user_id, joined_at_ms)
                 VALUES (?1, ?2, ?3)",
                &[Value::from(&id), Value::from(member), Value::Integer(now)],
            )
            .await?;
        }
        tx.commit().await?;
        let conversation = self.get(&id).await?;
        if created {
            self.emit(
                vec![self.me.id.clone(), other.id.clone()],
                Event::conversation_added(conversation.clone()),
            )
            .await?;
        }
        Ok((conversation, created))
    }

    /// Creates a room with the caller as first member: public when named (409
    /// `room_exists` if taken), private otherwise, its id a 64-hex secret.
    pub async fn create_room(&self, name: Option<&str>) -> Result<Conversation> {
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        let name = name.map(RoomName::parse).transpose()?;
        let id = match name {
            Some(_) => {
                ConversationId::generate(self.ports.clock.as_ref(), self.ports.random.as_ref())?
            }
            None => ConversationId::from_raw(ids::random_hex(self.ports.random.as_ref(), 32)?),
        };
        let now = self.now();
        let mut tx = self.ports.sql.begin().await?;
        let created = tx
            .query(
                "INSERT INTO conversations (id, kind, name, created_at_ms, last_activity_ms)
                 VALUES (?1, 'room', ?2, ?3, ?3)
                 ON CONFLICT DO NOTHING
                 RETURNING 1",
                &[
                    Value::from(id.as_str()),
                    Value::from(name.as_ref().map(RoomName::as_str)),
                    Value::Integer(now),
                ],
            )
            .await?;
        if created.is_empty() {
            return Err(Error::conflict(
                "room_exists",
                "a room with that name exists",
            ));
        }
        tx.execute(
            "INSERT INTO members (conversation_id, user_id, joined_at_ms) VALUES (?1, ?2, ?3)",
            &[
                Value::from(id.as_str()),
                Value::from(self.me.id.as_str()),
                Value::Integer(now),
            ],
        )
        .await?;
        tx.commit().await?;
        let conversation = self.get(&id).await?;
        self.emit(
            vec![self.me.id.clone()],
            Event::conversation_added(conversation.clone()),
        )
        .await?;
        Ok(conversation)
    }

    /// Joins a room by public name, by private 64-hex id, or by id. Already a member: the
    /// room, unchanged. Members get `member_joined`; the caller's tabs `conversation_added`.
    /// A room holds at most `room_members_max` members (409 `room_full`): the count and the
    /// insert are one statement, so racing joins cannot overfill it.
    pub async fn join(&self, name_or_id: &str) -> Result<Conversation> {
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        // Names have at most 32 characters, ids 36 (UUID) or 64 (private): one lookup
        // tries both without ambiguity.
        let by_name = RoomName::parse(name_or_id).ok();
        let rows = self
            .ports
            .sql
            .query(
                "SELECT id FROM conversations
                 WHERE kind = 'room' AND (id = ?1 OR (name IS NOT NULL AND name = ?2))",
                &[
                    Value::from(name_or_id),
                    Value::from(by_name.as_ref().map(RoomName::as_str)),
                ],
            )
            .await?;
        let id: ConversationId = rows
            .first()
            .ok_or(Error::NotFound { what: "room" })?
            .get(0)?;
        let joined = !self
            .ports
            .sql
            .query(
                "INSERT OR IGNORE INTO members (conversation_id, user_id, joined_at_ms)
                 SELECT ?1, ?2, ?3
                  WHERE (SELECT count(*) FROM members WHERE conversation_id = ?1) < ?4
                 RETURNING 1",
                &[
                    Value::from(id.as_str()),
                    Value::from(self.me.id.as_str()),
                    Value::Integer(self.now()),
                    Value::from(self.ports.settings.room_members_max),
                ],
            )
            .await?
            .is_empty();
        if !joined && self.membership(&id).await.is_err() {
            return Err(Error::conflict(
                "room_full",
                "this room has no room for more members",
            ));
        }
        let conversation = self.get(&id).await?;
        if joined {
            let others = self.other_member_ids(&id).await?;
            self.emit(others, Event::member_joined(&id, self.me))
                .await?;
            self.emit(
                vec![self.me.id.clone()],
                Event::conversation_added(conversation.clone()),
            )
            .await?;
        }
        Ok(conversation)
    }

    /// Leaves a room (400 `not_a_room` for direct conversations). Remaining members and the
    /// caller's own tabs get `member_left`.
    pub async fn leave(&self, conversation_id: &ConversationId) -> Result<()> {
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        let membership = self.membership(conversation_id).await?;
        if membership.kind != ConversationKind::Room {
            return Err(Error::invalid(
                "not_a_room",
                "only rooms can be left; direct conversations stay",
            ));
        }
        self.ports
            .sql
            .execute(
                "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2",
                &[
                    Value::from(conversation_id),
                    Value::from(self.me.id.as_str()),
                ],
            )
            .await?;
        let mut recipients = self.member_ids(conversation_id).await?;
        recipients.push(self.me.id.clone());
        self.emit(recipients, Event::member_left(conversation_id, &self.me.id))
            .await
    }
}
