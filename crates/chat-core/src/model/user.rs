//! A user as stored, and as the API shows a user their own record.

use serde::Serialize;

use crate::{Result, ids::UserId, model::Presence, ports::Row, time::rfc3339_ms};

/// A user's own record: `{id, username, display_name, status_message, presence, created_at}`.
/// `presence` is what they chose (`online`, `away`, `busy`, `invisible`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct User {
    /// UUIDv7.
    pub id: UserId,
    /// Lower-case username.
    pub username: String,
    /// Shown name.
    pub display_name: String,
    /// Free text, may be empty.
    pub status_message: String,
    /// Chosen presence.
    pub presence: Presence,
    /// RFC 3339.
    pub created_at: String,
    /// Where the profile picture is fetched; null shows the initial letter.
    pub avatar_url: Option<String>,
}

impl User {
    /// The columns [`User::from_row`] reads, in order, each prefixed with `alias` (`"u."`,
    /// or `""` where SQLite takes no qualified names, as in `RETURNING`).
    pub fn columns(alias: &str) -> String {
        Self::COLUMNS.map(|c| format!("{alias}{c}")).join(", ")
    }

    /// The `users` columns [`User::from_row`] reads, in order.
    const COLUMNS: [&'static str; 7] = [
        "id",
        "username",
        "display_name",
        "status_message",
        "presence",
        "created_at_ms",
        "avatar_id",
    ];

    /// How many columns [`User::columns`] selects: a query's own columns after them start
    /// here.
    pub const COLUMN_COUNT: usize = Self::COLUMNS.len();

    /// Reads a row selected with [`User::columns`] starting at column `at`.
    pub fn from_row(row: &Row, at: usize) -> Result<Self> {
        Ok(User {
            id: row.get(at)?,
            username: row.get(at + 1)?,
            display_name: row.get(at + 2)?,
            status_message: row.get(at + 3)?,
            presence: row.get(at + 4)?,
            created_at: rfc3339_ms(row.get(at + 5)?),
            avatar_url: {
                let id: UserId = row.get(at)?;
                row.get::<Option<String>>(at + 6)?
                    .map(|avatar| crate::attachments::avatar_url(&id, &avatar))
            },
        })
    }
}
