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
    ports::Columns,
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

/// The columns [`UserSummary::read`] reads for a `users` row aliased `alias`. The query
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

impl UserSummary {
    /// Reads the columns of [`columns`].
    pub(crate) fn read(columns: &mut Columns) -> Result<Self> {
        let id: UserId = columns.read()?;
        let username = columns.read()?;
        let display_name = columns.read()?;
        let status_message = columns.read()?;
        let chosen: Presence = columns.read()?;
        let is_friend: bool = columns.read()?;
        let connected: bool = columns.read()?;
        let last_seen: Option<i64> = columns.read()?;
        let avatar: Option<String> = columns.read()?;
        let presence = chosen.seen(connected, is_friend);
        Ok(UserSummary {
            avatar_url: avatar.map(|avatar| crate::attachments::avatar_url(&id, &avatar)),
            id,
            username,
            display_name,
            status_message,
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
