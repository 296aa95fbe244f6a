//! Keeping a room: its owner appoints moderators and may hand the room on; moderators
//! remove and ban members, lift bans, change a private room's invite link and read the
//! reports members send them. A moderator acts only on plain members; the owner on
//! everyone. Every step is a `security` log event (`audit::log_moderation`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{ConversationKind, Conversations, Membership, Role, parse_ban_reason};
use crate::{
    Error, Result, audit,
    ids::{ConversationId, UserId},
    model::{UserSummary, user_summary as summary},
    ports::Value,
    throttle::{self, Action},
    time::rfc3339_ms,
    vocabulary::Event,
};

/// `ban`: `{user, banned_by, reason, banned_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Ban {
    /// Who may not join.
    pub user: UserSummary,
    /// The moderator who banned them.
    pub banned_by: UserId,
    /// What the moderator wrote, or empty.
    pub reason: String,
    /// RFC 3339.
    pub banned_at: String,
}

/// Someone the caller names in a room: their id, and their role if they are a member.
struct Target {
    id: UserId,
    role: Option<Role>,
}

impl Conversations<'_> {
    /// The owner and moderators of a room (user id to role).
    pub(super) async fn roles(
        &self,
        conversation_id: &ConversationId,
    ) -> Result<BTreeMap<UserId, Role>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT user_id, role FROM members WHERE conversation_id = ?1 AND role <> 'member'",
                &[Value::from(conversation_id)],
            )
            .await?;
        rows.iter().map(|r| Ok((r.get(0)?, r.get(1)?))).collect()
    }

    /// The caller's membership of a room they keep: 404 unless a member, 400 `not_a_room`
    /// for a direct conversation, 403 `not_moderator` for a plain member.
    pub(super) async fn kept_room(&self, conversation_id: &ConversationId) -> Result<Membership> {
        let membership = self.membership(conversation_id).await?;
        if membership.kind != ConversationKind::Room {
            return Err(Error::invalid("not_a_room", "only rooms have moderators"));
        }
        if !membership.role.moderates() {
            return Err(Error::forbidden(
                "not_moderator",
                "only the room's moderators may do that",
            ));
        }
        Ok(membership)
    }

    /// The user called `username` and their role in the room; 404 `user` when there is
    /// no such account. Blocks do not hide anyone from a room's moderators.
    async fn target(&self, conversation_id: &ConversationId, username: &str) -> Result<Target> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT u.id, m.role FROM users u
                 LEFT JOIN members m ON m.conversation_id = ?2 AND m.user_id = u.id
                 WHERE u.username = ?1",
                &[
                    Value::from(username.trim().trim_start_matches('@').to_lowercase()),
                    Value::from(conversation_id),
                ],
            )
            .await?;
        let row = rows.first().ok_or(Error::NotFound { what: "user" })?;
        let target = Target {
            id: row.get(0)?,
            role: row.get(1)?,
        };
        if target.id == self.me.id {
            return Err(Error::invalid_target(
                "moderators act on others; leave the room to leave it",
            ));
        }
        Ok(target)
    }

    /// 403 `outranked` unless the caller stands above `role` (the owner above moderators,
    /// moderators above members).
    fn check_outranks(&self, mine: Role, theirs: Option<Role>) -> Result<()> {
        if theirs.is_some_and(|theirs| theirs >= mine) {
            return Err(Error::forbidden(
                "outranked",
                "moderators act on plain members; only the owner acts on moderators",
            ));
        }
        Ok(())
    }

    /// Removes `username` from the room (they may join again; a ban keeps them out).
    /// Everyone who was in it, them included, gets `member_left` with `removed_by`.
    pub async fn remove_member(
        &self,
        conversation_id: &ConversationId,
        username: &str,
    ) -> Result<()> {
        let mine = self.kept_room(conversation_id).await?.role;
        let target = self.target(conversation_id, username).await?;
        if target.role.is_none() {
            return Err(Error::NotFound { what: "member" });
        }
        self.check_outranks(mine, target.role)?;
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        self.expel(conversation_id, &target.id, false).await?;
        audit::log_moderation("member_removed", &self.me.id, conversation_id, &target.id);
        Ok(())
    }

    /// Takes `user` out of the room and tells everyone who was in it (a room's whole
    /// membership is charged to the moderator, as a send is).
    async fn expel(
        &self,
        conversation_id: &ConversationId,
        user: &UserId,
        banned: bool,
    ) -> Result<()> {
        let mut recipients = self.member_ids(conversation_id).await?;
        throttle::charge_deliveries(self.ports, &self.me.id, recipients.len()).await?;
        let removed = self
            .ports
            .sql
            .query(
                "DELETE FROM members WHERE conversation_id = ?1 AND user_id = ?2 RETURNING 1",
                &[Value::from(conversation_id), Value::from(user)],
            )
            .await?;
        if removed.is_empty() {
            return Ok(());
        }
        if !recipients.contains(user) {
            recipients.push(user.clone());
        }
        let event = Event::member_removed(conversation_id, user, &self.me.id, banned);
        self.emit(recipients, event).await
    }

    /// Bans `username` from the room: removed if a member, and refused (403 `banned`)
    /// when they try to join again, until a moderator lifts it. Banning someone already
    /// banned changes nothing but the reason.
    pub async fn ban(
        &self,
        conversation_id: &ConversationId,
        username: &str,
        reason: &str,
    ) -> Result<Ban> {
        let reason = parse_ban_reason(reason)?;
        let mine = self.kept_room(conversation_id).await?.role;
        let target = self.target(conversation_id, username).await?;
        self.check_outranks(mine, target.role)?;
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        self.ports
            .sql
            .execute(
                "INSERT INTO room_bans (conversation_id, user_id, banned_by, reason, banned_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (conversation_id, user_id) DO UPDATE SET reason = excluded.reason",
                &[
                    Value::from(conversation_id),
                    Value::from(&target.id),
                    Value::from(&self.me.id),
                    Value::from(reason.as_str()),
                    Value::Integer(self.now()),
                ],
            )
            .await?;
        self.expel(conversation_id, &target.id, true).await?;
        audit::log_moderation("member_banned", &self.me.id, conversation_id, &target.id);
        self.bans_where(conversation_id, Some(&target.id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Data("a ban vanished as it was made".into()))
    }

    /// Lifts the ban on `username` (404 `ban` when there is none).
    pub async fn unban(&self, conversation_id: &ConversationId, username: &str) -> Result<()> {
        self.kept_room(conversation_id).await?;
        let target = self.target(conversation_id, username).await?;
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        let lifted = self
            .ports
            .sql
            .query(
                "DELETE FROM room_bans WHERE conversation_id = ?1 AND user_id = ?2 RETURNING 1",
                &[Value::from(conversation_id), Value::from(&target.id)],
            )
            .await?;
        if lifted.is_empty() {
            return Err(Error::NotFound { what: "ban" });
        }
        audit::log_moderation("member_unbanned", &self.me.id, conversation_id, &target.id);
        Ok(())
    }

    /// The room's bans, the newest first (moderators only).
    pub async fn bans(&self, conversation_id: &ConversationId) -> Result<Vec<Ban>> {
        self.kept_room(conversation_id).await?;
        self.bans_where(conversation_id, None).await
    }

    async fn bans_where(
        &self,
        conversation_id: &ConversationId,
        only: Option<&UserId>,
    ) -> Result<Vec<Ban>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {}, b.banned_by, b.reason, b.banned_at_ms
                       FROM room_bans b JOIN users u ON u.id = b.user_id
                      WHERE b.conversation_id = ?3 AND (?4 IS NULL OR b.user_id = ?4)
                      ORDER BY b.banned_at_ms DESC, u.username",
                    summary::columns("u")
                ),
                &self.params([Value::from(conversation_id), Value::from(only)]),
            )
            .await?;
        rows.iter()
            .map(|row| {
                let mut columns = row.columns();
                Ok(Ban {
                    user: UserSummary::read(&mut columns)?,
                    banned_by: columns.read()?,
                    reason: columns.read()?,
                    banned_at: rfc3339_ms(columns.read()?),
                })
            })
            .collect()
    }

    /// Sets `username`'s standing (owner only, 403 `not_owner`): `moderator` or `member`;
    /// `owner` hands the room on, the caller staying on as a moderator. Every member gets
    /// `member_role` for each standing that changed.
    pub async fn set_role(
        &self,
        conversation_id: &ConversationId,
        username: &str,
        role: Role,
    ) -> Result<()> {
        if self.kept_room(conversation_id).await?.role != Role::Owner {
            return Err(Error::forbidden(
                "not_owner",
                "only the room's owner appoints moderators",
            ));
        }
        let target = self.target(conversation_id, username).await?;
        let Some(before) = target.role else {
            return Err(Error::NotFound { what: "member" });
        };
        if before == role {
            return Ok(());
        }
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        let mut tx = self.ports.sql.begin().await?;
        if role == Role::Owner {
            // Demoted first: one owner per room is a unique index.
            tx.execute(
                "UPDATE members SET role = 'moderator' WHERE conversation_id = ?1 AND user_id = ?2",
                &[Value::from(conversation_id), Value::from(&self.me.id)],
            )
            .await?;
        }
        tx.execute(
            "UPDATE members SET role = ?3 WHERE conversation_id = ?1 AND user_id = ?2",
            &[
                Value::from(conversation_id),
                Value::from(&target.id),
                Value::from(role.as_str()),
            ],
        )
        .await?;
        tx.commit().await?;
        let members = self.member_ids(conversation_id).await?;
        let by = Some(&self.me.id);
        self.emit(
            members.clone(),
            Event::member_role(conversation_id, &target.id, role, by),
        )
        .await?;
        if role == Role::Owner {
            let event = Event::member_role(conversation_id, &self.me.id, Role::Moderator, by);
            self.emit(members, event).await?;
        }
        audit::log_moderation("role_changed", &self.me.id, conversation_id, &target.id);
        Ok(())
    }

    /// Tells the room who owns it now, after its owner left and the database handed it on
    /// (`migrations/0022_room_moderation`); nothing when the caller owned nothing.
    pub(crate) async fn announce_succession(
        &self,
        conversation_id: &ConversationId,
        was: Role,
    ) -> Result<()> {
        if was != Role::Owner {
            return Ok(());
        }
        let rows = self
            .ports
            .sql
            .query(
                "SELECT user_id FROM members WHERE conversation_id = ?1 AND role = 'owner'",
                &[Value::from(conversation_id)],
            )
            .await?;
        let Some(owner) = rows.first().map(|row| row.get::<UserId>(0)).transpose()? else {
            return Ok(());
        };
        let members = self.member_ids(conversation_id).await?;
        self.emit(members, Event::owner_by_succession(conversation_id, &owner))
            .await
    }

    /// Gives a private room a new invite secret: the old link (and the room's id, which
    /// was its first) stops admitting anyone; members already in stay. 400 `not_private`
    /// for a public room, which is joined by its name. Every member gets
    /// `conversation_updated` with the new `invite_code`.
    pub async fn change_invite(
        &self,
        conversation_id: &ConversationId,
    ) -> Result<super::Conversation> {
        self.kept_room(conversation_id).await?;
        let before = self.get(conversation_id).await?;
        if before.name.is_some() {
            return Err(Error::invalid(
                "not_private",
                "a public room is joined by its name; only private rooms have invite links",
            ));
        }
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        let code = crate::ports::random_hex(self.ports.random.as_ref(), 32)?;
        self.ports
            .sql
            .execute(
                "UPDATE conversations SET invite_code = ?2 WHERE id = ?1",
                &[Value::from(conversation_id), Value::from(code.as_str())],
            )
            .await?;
        let after = super::Conversation {
            invite_code: Some(code),
            ..before
        };
        let members = self.member_ids(conversation_id).await?;
        self.emit(members, Event::conversation_updated(&after, self.me))
            .await?;
        audit::log_moderation("invite_changed", &self.me.id, conversation_id, &self.me.id);
        Ok(after)
    }
}
