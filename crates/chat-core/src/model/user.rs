//! A user as stored, and as the API shows a user their own record.

use serde::Serialize;

use crate::{Result, ids::UserId, model::Presence, ports::Columns, time::rfc3339_ms};

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
    /// The columns [`User::read`] reads, in order, each prefixed with `alias` (`"u."`,
    /// or `""` where SQLite takes no qualified names, as in `RETURNING`).
    pub fn columns(alias: &str) -> String {
        Self::COLUMNS.map(|c| format!("{alias}{c}")).join(", ")
    }

    /// The `users` columns [`User::read`] reads, in order.
    const COLUMNS: [&'static str; 7] = [
        "id",
        "username",
        "display_name",
        "status_message",
        "presence",
        "created_at_ms",
        "avatar_id",
    ];

    /// Reads the columns of [`User::columns`].
    pub fn read(columns: &mut Columns) -> Result<Self> {
        let id: UserId = columns.read()?;
        Ok(User {
            username: columns.read()?,
            display_name: columns.read()?,
            status_message: columns.read()?,
            presence: columns.read()?,
            created_at: rfc3339_ms(columns.read()?),
            avatar_url: columns
                .read::<Option<String>>()?
                .map(|avatar| crate::attachments::avatar_url(&id, &avatar)),
            id,
        })
    }
}
