//! A user's own data and the end of an account: everything stored about them as one JSON
//! document (`GET /api/me/export`), and deleting the account (`DELETE /api/me`, with the
//! password): the messages they sent become tombstones (conversations keep their order and
//! the other side's words), everything else of theirs goes, and the username is freed.

use std::collections::BTreeMap;

use super::{Accounts, Session};
use crate::{
    Error, Result, ResultExt,
    audit::SecurityEvent,
    delivery::outbox,
    ids::{ConversationId, UserId},
    ports::Value,
    vocabulary::Event,
};

/// Every statement of the export, as `(section, SQL yielding one JSON text)`: the caller's
/// row, relations, conversations and every message they sent, in SQLite's JSON functions
/// so that no other service module is needed. `?1` is the user id.
const EXPORT: &[(&str, &str)] = &[
    (
        "user",
        "SELECT json_object('id', id, 'username', username, 'display_name', display_name,
                'status_message', status_message, 'presence', presence,
                'created_at_ms', created_at_ms, 'last_seen_at_ms', last_seen_at_ms,
                'has_avatar', avatar_id IS NOT NULL)
           FROM users WHERE id = ?1",
    ),
    (
        "friends",
        "SELECT json_group_array(json_object('username', u.username, 'since_ms', f.since_ms))
           FROM friendships f JOIN users u
             ON u.id = CASE WHEN f.user_a = ?1 THEN f.user_b ELSE f.user_a END
          WHERE f.user_a = ?1 OR f.user_b = ?1",
    ),
    (
        "friend_requests",
        "SELECT json_group_array(json_object('from', a.username, 'to', b.username,
                'created_at_ms', r.created_at_ms))
           FROM friend_requests r JOIN users a ON a.id = r.from_id JOIN users b ON b.id = r.to_id
          WHERE r.from_id = ?1 OR r.to_id = ?1",
    ),
    (
        "blocked",
        "SELECT json_group_array(json_object('username', u.username, 'since_ms', b.created_at_ms))
           FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE b.blocker_id = ?1",
    ),
    (
        "conversations",
        "SELECT json_group_array(json_object('id', c.id, 'kind', c.kind, 'name', c.name,
                'joined_at_ms', m.joined_at_ms, 'last_read_seq', m.last_read_seq))
           FROM members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.user_id = ?1",
    ),
    (
        "messages_sent",
        "SELECT json_group_array(json_object('id', id, 'conversation_id', conversation_id,
                'seq', seq, 'body', body, 'created_at_ms', created_at_ms,
                'edited_at_ms', edited_at_ms, 'deleted', deleted = 1))
           FROM (SELECT * FROM messages WHERE sender_id = ?1 ORDER BY created_at_ms)",
    ),
    (
        "reactions",
        "SELECT json_group_array(json_object('message_id', message_id, 'emoji', emoji,
                'created_at_ms', created_at_ms))
           FROM reactions WHERE user_id = ?1",
    ),
    (
        "sessions",
        "SELECT json_group_array(json_object('id', id, 'created_at_ms', created_at_ms,
                'last_seen_at_ms', last_seen_at_ms, 'user_agent', user_agent))
           FROM sessions WHERE user_id = ?1",
    ),
    (
        "api_tokens",
        "SELECT json_group_array(json_object('id', id, 'name', name,
                'created_at_ms', created_at_ms, 'expires_at_ms', expires_at_ms))
           FROM api_tokens WHERE user_id = ?1",
    ),
    (
        "passkeys",
        "SELECT json_group_array(json_object('id', id, 'name', name,
                'created_at_ms', created_at_ms, 'last_used_at_ms', last_used_at_ms))
           FROM passkeys WHERE user_id = ?1",
    ),
    (
        "reports_filed",
        "SELECT json_group_array(json_object('id', id, 'conversation_id', conversation_id,
                'message_id', message_id, 'reason', reason, 'created_at_ms', created_at_ms))
           FROM reports WHERE reporter_id = ?1",
    ),
    (
        "conversation_roles",
        "SELECT json_group_array(json_object('conversation_id', conversation_id, 'role', role))
           FROM members WHERE user_id = ?1 AND role <> 'member'",
    ),
    (
        "security_events",
        "SELECT json_group_array(json_object('kind', kind, 'at_ms', at_ms, 'client', client,
                'user_agent', user_agent))
           FROM (SELECT * FROM security_events WHERE user_id = ?1 ORDER BY id)",
    ),
];

/// Rows that go with the account, each a table and the column naming the user.
const OWNED: &[(&str, &str)] = &[
    ("reactions", "user_id"),
    ("friend_requests", "from_id"),
    ("friend_requests", "to_id"),
    ("blocks", "blocker_id"),
    ("blocks", "blocked_id"),
    ("api_tokens", "user_id"),
    ("trusted_devices", "user_id"),
    ("totp", "user_id"),
    ("recovery_codes", "user_id"),
    ("login_challenges", "user_id"),
    ("security_events", "user_id"),
    ("reports", "reporter_id"),
    ("passkeys", "user_id"),
    ("passkey_handles", "user_id"),
    ("passkey_ceremonies", "user_id"),
    ("room_bans", "user_id"),
];

impl Accounts<'_> {
    /// Everything stored about the caller, as one JSON object (secrets excepted: no
    /// password hash, token, key or code; files are listed by their messages).
    pub async fn export(&self, session: &Session) -> Result<serde_json::Value> {
        let mut document = serde_json::Map::new();
        document.insert("exported_at_ms".into(), self.ports.clock.now_ms().into());
        for (section, sql) in EXPORT {
            let rows = self
                .ports
                .sql
                .query(sql, &[Value::from(&session.user.id)])
                .await
                .context(&format!("export: reading {section}"))?;
            let text: Option<String> = match rows.first() {
                Some(row) => row.get(0)?,
                None => None,
            };
            let value = match text {
                Some(text) => serde_json::from_str::<serde_json::Value>(&text)
                    .map_err(|e| Error::Data(format!("export {section}: {e}")))?,
                None => serde_json::Value::Null,
            };
            document.insert((*section).into(), value);
        }
        Ok(serde_json::Value::Object(document))
    }

    /// Deletes the caller's account after checking the password: their messages become
    /// tombstones (the database's triggers take them out of search and stop serving their
    /// files), they leave every room, their friends and rooms are told, every session and
    /// token ends, and the username is free again. The user row stays, renamed and unusable,
    /// because conversations name the sender of every tombstone.
    pub async fn delete_account(&self, session: &Session, password: &str) -> Result<()> {
        self.check_current_password(session, password).await?;
        let me = &session.user.id;
        let friends = self.friend_ids(me).await?;
        let rooms = self.room_ids(me).await?;
        let avatar: Option<String> = self
            .ports
            .sql
            .query(
                "SELECT avatar_id FROM users WHERE id = ?1",
                &[Value::from(me)],
            )
            .await?
            .first()
            .map(|row| row.get(0))
            .transpose()?
            .flatten();
        let sessions: Vec<String> = self
            .ports
            .sql
            .query(
                "SELECT id FROM sessions WHERE user_id = ?1
                 UNION ALL SELECT id FROM api_tokens WHERE user_id = ?1",
                &[Value::from(me)],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect::<Result<_>>()?;
        let now = self.ports.clock.now_ms();

        let mut tx = self.ports.sql.begin().await.context("closing: beginning")?;
        tx.execute(
            "UPDATE messages SET deleted = 1, body = '' WHERE sender_id = ?1 AND deleted = 0",
            &[Value::from(me)],
        )
        .await
        .context("closing: tombstoning messages")?;
        tx.execute(
            "DELETE FROM members WHERE user_id = ?1 AND conversation_id IN
                 (SELECT id FROM conversations WHERE kind <> 'direct')",
            &[Value::from(me)],
        )
        .await
        .context("closing: leaving rooms")?;
        tx.execute(
            "DELETE FROM friendships WHERE user_a = ?1 OR user_b = ?1",
            &[Value::from(me)],
        )
        .await?;
        for (table, column) in OWNED {
            tx.execute(
                &format!("DELETE FROM {table} WHERE {column} = ?1"),
                &[Value::from(me)],
            )
            .await
            .context(&format!("closing: clearing {table}"))?;
        }
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1",
            &[Value::from(me)],
        )
        .await?;
        // Unusable and unfindable: the hash is no Argon2 string, so nothing verifies.
        tx.execute(
            "UPDATE users SET username = 'deleted-' || lower(hex(randomblob(8))),
                    display_name = 'Deleted user', display_name_key = 'deleted user',
                    status_message = '', presence = 'invisible', avatar_id = NULL,
                    password_hash = '!deleted', last_seen_at_ms = ?2
              WHERE id = ?1",
            &[Value::from(me), Value::Integer(now)],
        )
        .await
        .context("closing: renaming the account")?;
        tx.commit().await.context("closing: committing")?;

        if let Some(avatar) = avatar
            && let Err(e) = self.ports.blobs.delete(&avatar).await
        {
            tracing::warn!("closing: deleting the profile picture (the sweep will not): {e}");
        }
        for friend in &friends {
            outbox::deliver(
                self.ports,
                std::slice::from_ref(friend),
                Event::friend_removed(me),
            )
            .await?;
        }
        for (room, owned) in &rooms {
            let members = self.member_ids(room).await?;
            outbox::deliver(self.ports, &members, Event::member_left(room, me)).await?;
            // The database handed an owned room on (migrations/0022_room_moderation).
            if *owned && let Some(owner) = self.owner_of(room).await? {
                outbox::deliver(
                    self.ports,
                    &members,
                    Event::owner_by_succession(room, &owner),
                )
                .await?;
            }
        }
        self.audit(SecurityEvent::AccountDeleted, me).await;
        self.announce_ended(me, &sessions).await
    }

    async fn friend_ids(&self, me: &UserId) -> Result<Vec<UserId>> {
        self.ports
            .sql
            .query(
                "SELECT CASE WHEN user_a = ?1 THEN user_b ELSE user_a END
                   FROM friendships WHERE user_a = ?1 OR user_b = ?1",
                &[Value::from(me)],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect()
    }

    /// The rooms `me` is in, each with whether they own it.
    async fn room_ids(&self, me: &UserId) -> Result<BTreeMap<ConversationId, bool>> {
        self.ports
            .sql
            .query(
                "SELECT m.conversation_id, m.role = 'owner'
                   FROM members m JOIN conversations c ON c.id = m.conversation_id
                  WHERE m.user_id = ?1 AND c.kind <> 'direct'",
                &[Value::from(me)],
            )
            .await?
            .iter()
            .map(|row| Ok((row.get(0)?, row.get(1)?)))
            .collect()
    }

    async fn owner_of(&self, room: &ConversationId) -> Result<Option<UserId>> {
        self.ports
            .sql
            .query(
                "SELECT user_id FROM members WHERE conversation_id = ?1 AND role = 'owner'",
                &[Value::from(room)],
            )
            .await?
            .first()
            .map(|row| row.get(0))
            .transpose()
    }

    async fn member_ids(&self, room: &ConversationId) -> Result<Vec<UserId>> {
        self.ports
            .sql
            .query(
                "SELECT user_id FROM members WHERE conversation_id = ?1",
                &[Value::from(room)],
            )
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect()
    }
}
