//! `user_summary`: another user as the caller sees them, with effective presence: their
//! chosen presence while they have a live event stream, they are not invisible and they
//! are the caller's friend; `offline` otherwise.

use serde::Serialize;

use crate::{Result, accounts::User, ports::Row};

/// `{id, username, display_name, status_message, presence}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    /// UUIDv7.
    pub id: String,
    /// Lower-case username.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Free text.
    pub status_message: String,
    /// Effective presence: `online`, `away`, `busy` or `offline`.
    pub presence: String,
}

/// The columns [`UserSummary::from_row`] reads for a `users` row aliased `alias`. The query
/// must bind `?1` = the viewer's id and `?2` = now (ms).
pub(crate) fn columns(alias: &str) -> String {
    format!(
        "{a}.id, {a}.username, {a}.display_name, {a}.status_message, {a}.presence,
         EXISTS (SELECT 1 FROM friendships f
                 WHERE f.user_a = min({a}.id, ?1) AND f.user_b = max({a}.id, ?1)),
         EXISTS (SELECT 1 FROM stream_leases l
                 WHERE l.user_id = {a}.id AND l.expires_at_ms > ?2)",
        a = alias
    )
}

/// Columns read by [`UserSummary::from_row`].
pub(crate) const COLUMN_COUNT: usize = 7;

/// What others see, given what the user chose.
pub fn effective_presence(chosen: &str, connected: bool, viewer_is_friend: bool) -> &str {
    if viewer_is_friend && connected && chosen != "invisible" {
        chosen
    } else {
        "offline"
    }
}

impl UserSummary {
    /// Reads the columns of [`columns`] starting at `at`.
    pub(crate) fn from_row(row: &Row, at: usize) -> Result<Self> {
        let chosen: String = row.get(at + 4)?;
        let is_friend: bool = row.get(at + 5)?;
        let connected: bool = row.get(at + 6)?;
        Ok(UserSummary {
            id: row.get(at)?,
            username: row.get(at + 1)?,
            display_name: row.get(at + 2)?,
            status_message: row.get(at + 3)?,
            presence: effective_presence(&chosen, connected, is_friend).to_owned(),
        })
    }

    /// A user's summary of themself: their chosen presence, as `/api/me` shows it.
    pub fn of_self(user: &User) -> Self {
        UserSummary {
            id: user.id.clone(),
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            status_message: user.status_message.clone(),
            presence: user.presence.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::effective_presence;

    #[test]
    fn friends_see_the_chosen_presence_only_while_connected_and_visible() {
        assert_eq!(effective_presence("busy", true, true), "busy");
        assert_eq!(effective_presence("away", true, true), "away");
        assert_eq!(
            effective_presence("online", false, true),
            "offline",
            "no stream"
        );
        assert_eq!(effective_presence("invisible", true, true), "offline");
        assert_eq!(
            effective_presence("online", true, false),
            "offline",
            "not a friend"
        );
    }
}
