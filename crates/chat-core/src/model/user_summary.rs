//! How other users appear: `user_summary` (another user as the caller sees them, with
//! effective presence, see [`Presence::seen`]), and the friends and friend requests built
//! from summaries.

use serde::{Deserialize, Serialize};

use crate::{
    Result,
    ids::UserId,
    model::{
        presence::{Presence, connected_sql},
        user::User,
    },
    ports::Row,
    relations::are_friends_sql,
    time::rfc3339_ms,
};

/// `{id, username, display_name, status_message, presence, last_seen_at?, avatar_url}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserSummary {
    /// UUIDv7.
    pub id: UserId,
    /// Lower-case username.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Free text.
    pub status_message: String,
    /// Effective presence: `online`, `away`, `busy` or `offline`.
    pub presence: Presence,
    /// RFC 3339: when a friend who is offline was last seen online, when known; absent
    /// otherwise (and always for people who are not friends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
    /// Where their profile picture is fetched; null shows the initial letter.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// `{user, since}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Friend {
    /// The friend, as the caller sees them.
    pub user: UserSummary,
    /// RFC 3339.
    pub since: String,
}

/// `{from, to, created_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FriendRequest {
    /// Who asked.
    pub from: UserSummary,
    /// Who was asked.
    pub to: UserSummary,
    /// RFC 3339.
    pub created_at: String,
}

/// The columns [`UserSummary::from_row`] reads for a `users` row aliased `alias`. The query
/// must bind `?1` = the viewer's id and `?2` = now (ms).
pub(crate) fn columns(alias: &str) -> String {
    format!(
        "{a}.id, {a}.username, {a}.display_name, {a}.status_message, {a}.presence, {friends},
         {connected}, {a}.last_seen_at_ms, {a}.avatar_id",
        a = alias,
        friends = are_friends_sql(&format!("{alias}.id"), "?1"),
        connected = connected_sql(&format!("{alias}.id"), "?2"),
    )
}

/// Columns read by [`UserSummary::from_row`].
pub(crate) const COLUMN_COUNT: usize = 9;

impl UserSummary {
    /// Reads the columns of [`columns`] starting at `at`.
    pub(crate) fn from_row(row: &Row, at: usize) -> Result<Self> {
        let chosen: Presence = row.get(at + 4)?;
        let is_friend: bool = row.get(at + 5)?;
        let connected: bool = row.get(at + 6)?;
        let last_seen: Option<i64> = row.get(at + 7)?;
        let avatar: Option<String> = row.get(at + 8)?;
        let presence = chosen.seen(connected, is_friend);
        let id: UserId = row.get(at)?;
        Ok(UserSummary {
            avatar_url: avatar.map(|avatar| crate::attachments::avatar_url(&id, &avatar)),
            id,
            username: row.get(at + 1)?,
            display_name: row.get(at + 2)?,
            status_message: row.get(at + 3)?,
            presence,
            last_seen_at: last_seen
                .filter(|_| is_friend && presence == Presence::Offline)
                .map(rfc3339_ms),
        })
    }

    /// A user's summary of themself: their chosen presence, as `/api/me` shows it.
    pub fn of_self(user: &User) -> Self {
        UserSummary {
            id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            status_message: user.status_message.clone(),
            presence: user.presence,
            last_seen_at: None,
            avatar_url: user.avatar_url.clone(),
        }
    }
}
