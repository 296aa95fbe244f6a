//! Opening direct conversations; creating, finding, joining, describing and leaving rooms.

use super::{
    Conversation, ConversationKind, Conversations, DirectoryPage, RoomListing, RoomName,
    parse_room_title, parse_room_topic,
};
use crate::{
    Error, Result,
    ids::ConversationId,
    ports::Value,
    relations::{self, ordered_pair},
    throttle::{self, Action},
    time::rfc3339_ms,
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
        let id = ConversationId::from_raw(crate::ports::uuid_v7(
            self.ports.clock.as_ref(),
            self.ports.random.as_ref(),
        )?);
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
    /// `room_exists` if taken), private otherwise, its id a 64-hex secret. A private room
    /// may have a title (a public one is called by its name: 400 `invalid_title`); either
    /// may have a topic.
    pub async fn create_room(&self, room: &NewRoom<'_>) -> Result<Conversation> {
        let name = room.name.map(RoomName::parse).transpose()?;
        let title = room.title.map(parse_room_title).transpose()?.flatten();
        let topic = room.topic.map(parse_room_topic).transpose()?.flatten();
        if name.is_some() && title.is_some() {
            return Err(public_rooms_have_no_title());
        }
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        let id = match name {
            Some(_) => ConversationId::from_raw(crate::ports::uuid_v7(
                self.ports.clock.as_ref(),
                self.ports.random.as_ref(),
            )?),
            None => {
                ConversationId::from_raw(crate::ports::random_hex(self.ports.random.as_ref(), 32)?)
            }
        };
        let now = self.now();
        let mut tx = self.ports.sql.begin().await?;
        // A private room's invite secret starts as its id (the contract's "a private room's
        // id is its invite secret"); its moderators can change it later.
        let invite_code = name.is_none().then(|| id.as_str().to_owned());
        let created = tx
            .query(
                "INSERT INTO conversations
                    (id, kind, name, title, topic, created_at_ms, last_activity_ms, invite_code)
                 VALUES (?1, 'room', ?2, ?4, ?5, ?3, ?3, ?6)
                 ON CONFLICT DO NOTHING
                 RETURNING 1",
                &[
                    Value::from(&id),
                    Value::from(name.as_ref().map(RoomName::as_str)),
                    Value::Integer(now),
                    Value::from(title.as_deref()),
                    Value::from(topic.as_deref()),
                    Value::from(invite_code),
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
            "INSERT INTO members (conversation_id, user_id, joined_at_ms, role)
             VALUES (?1, ?2, ?3, 'owner')",
            &[
                Value::from(&id),
                Value::from(&self.me.id),
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

    /// Joins a public room by name or id, or a private room by its invite secret (its id
    /// until its moderators change it). Already a member: the room, unchanged. Members get
    /// `member_joined`; the caller's tabs `conversation_added`. 403 `banned` for someone
    /// the room banned. A room holds at most `room_members_max` members (409 `room_full`):
    /// the count and the insert are one statement, so racing joins cannot overfill it.
    pub async fn join(&self, name_or_id: &str) -> Result<Conversation> {
        throttle::take(self.ports, Action::Membership, &self.me.id).await?;
        // Names have at most 32 characters, ids 36 (UUID), invite secrets 64: one lookup
        // tries them all without ambiguity. A private room's id admits no one once its
        // invite secret changed, except its members, to whom it is no secret.
        let by_name = RoomName::parse(name_or_id).ok();
        let rows = self
            .ports
            .sql
            .query(
                "SELECT id FROM conversations c
                 WHERE kind = 'room'
                   AND ((name IS NOT NULL AND (id = ?1 OR name = ?2))
                        OR (name IS NULL AND (invite_code = ?1
                            OR (id = ?1 AND EXISTS (SELECT 1 FROM members m
                                 WHERE m.conversation_id = c.id AND m.user_id = ?3)))))",
                &[
                    Value::from(name_or_id),
                    Value::from(by_name.as_ref().map(RoomName::as_str)),
                    Value::from(&self.me.id),
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
                    AND NOT EXISTS (SELECT 1 FROM room_bans
                                     WHERE conversation_id = ?1 AND user_id = ?2)
                 RETURNING 1",
                &[
                    Value::from(&id),
                    Value::from(&self.me.id),
                    Value::Integer(self.now()),
                    Value::from(self.ports.settings.room_members_max),
                ],
            )
            .await?
            .is_empty();
        if !joined && self.membership(&id).await.is_err() {
            if self.is_banned(&id).await? {
                return Err(Error::forbidden(
                    "banned",
                    "this room's moderators banned you from it",
                ));
            }
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

    /// Changes a room's title (private rooms only) and topic: `None` leaves a field as it
    /// is, an empty text clears it. Any member may (rooms have no owners yet). Members get
    /// `conversation_updated` when something changed.
    pub async fn update_room(
        &self,
        conversation_id: &ConversationId,
        changes: &RoomChanges<'_>,
    ) -> Result<Conversation> {
        let title = changes.title.map(parse_room_title).transpose()?;
        let topic = changes.topic.map(parse_room_topic).transpose()?;
        let before = self.get(conversation_id).await?;
        if before.kind != ConversationKind::Room {
            return Err(Error::invalid(
                "not_a_room",
                "only rooms have a title and a topic",
            ));
        }
        if before.name.is_some() && title.as_ref().is_some_and(Option::is_some) {
            return Err(public_rooms_have_no_title());
        }
        let title = title.unwrap_or_else(|| before.title.clone());
        let topic = topic.unwrap_or_else(|| before.topic.clone());
        if title == before.title && topic == before.topic {
            return Ok(before);
        }
        throttle::take(self.ports, Action::RoomDetails, &self.me.id).await?;
        self.ports
            .sql
            .execute(
                "UPDATE conversations SET title = ?2, topic = ?3 WHERE id = ?1",
                &[
                    Value::from(conversation_id),
                    Value::from(title.as_deref()),
                    Value::from(topic.as_deref()),
                ],
            )
            .await?;
        let after = Conversation {
            title,
            topic,
            ..before
        };
        let members = self.member_ids(conversation_id).await?;
        self.emit(members, Event::conversation_updated(&after, self.me))
            .await?;
        Ok(after)
    }

    /// The public rooms, the biggest first, whose name or topic contains the page's query:
    /// `(rooms, has_more)`. Private rooms are never listed.
    pub async fn directory(&self, page: &DirectoryPage) -> Result<(Vec<RoomListing>, bool)> {
        throttle::take(self.ports, Action::Directory, &self.me.id).await?;
        // `%` and `_` in what was typed are literal characters, not wildcards.
        let pattern = format!(
            "%{}%",
            page.query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let rows = self
            .ports
            .sql
            .query(
                "SELECT c.id, c.name, c.topic, c.member_count, c.last_activity_ms,
                        EXISTS (SELECT 1 FROM members me
                                 WHERE me.conversation_id = c.id AND me.user_id = ?1)
                   FROM conversations c
                  WHERE c.name IS NOT NULL
                    AND (?2 = '%%' OR c.name LIKE ?2 ESCAPE '\\'
                         OR lower(coalesce(c.topic, '')) LIKE ?2 ESCAPE '\\')
                  ORDER BY c.member_count DESC, c.name
                  LIMIT ?3 OFFSET ?4",
                &[
                    Value::from(&self.me.id),
                    Value::from(pattern.as_str()),
                    Value::Integer(page.limit + 1),
                    Value::Integer(page.offset),
                ],
            )
            .await?;
        let has_more = rows.len() as i64 > page.limit;
        let rooms = rows
            .iter()
            .take(page.limit as usize)
            .map(|row| {
                Ok(RoomListing {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    topic: row.get(2)?,
                    member_count: row.get(3)?,
                    last_activity_at: rfc3339_ms(row.get(4)?),
                    joined: row.get(5)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((rooms, has_more))
    }

    /// Whether the room banned the caller.
    async fn is_banned(&self, conversation_id: &ConversationId) -> Result<bool> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT 1 FROM room_bans WHERE conversation_id = ?1 AND user_id = ?2",
                &[Value::from(conversation_id), Value::from(&self.me.id)],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// Leaves a room (400 `not_a_room` for direct conversations). Remaining members and the
    /// caller's own tabs get `member_left`; when the owner leaves, the room passes on and
    /// its members get `member_role` for the new owner.
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
                &[Value::from(conversation_id), Value::from(&self.me.id)],
            )
            .await?;
        let mut recipients = self.member_ids(conversation_id).await?;
        recipients.push(self.me.id.clone());
        self.emit(recipients, Event::member_left(conversation_id, &self.me.id))
            .await?;
        self.announce_succession(conversation_id, membership.role)
            .await
    }
}

/// What a new room is to be: a name makes it public; a title is for private rooms.
#[derive(Debug, Default, Clone, Copy)]
pub struct NewRoom<'a> {
    /// A public room's name (validated as [`RoomName`]).
    pub name: Option<&'a str>,
    /// A private room's title.
    pub title: Option<&'a str>,
    /// Its topic.
    pub topic: Option<&'a str>,
}

/// Changes to a room's details: `None` keeps a field, an empty text clears it.
#[derive(Debug, Default, Clone, Copy)]
pub struct RoomChanges<'a> {
    /// A private room's new title.
    pub title: Option<&'a str>,
    /// The new topic.
    pub topic: Option<&'a str>,
}

/// 400 `invalid_title`: a public room is called by its name.
fn public_rooms_have_no_title() -> Error {
    Error::invalid(
        "invalid_title",
        "a public room is called by its name; titles are for private rooms",
    )
}
