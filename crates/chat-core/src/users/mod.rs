//! Users: profiles, presence, friends with requests, blocks and search: the MSN-style
//! contact list. Rows live in SQLite; every change is appended to the inboxes of the users
//! it concerns, so live streams only ever read inboxes.

mod avatar;
mod blocks;
mod contacts;
mod profile;
mod search;

pub use crate::model::{Friend, FriendRequest, UserSummary};
pub use avatar::{AVATAR_MAX_BYTES, avatar_bytes};
pub use contacts::{FriendList, RequestOutcome};
pub use search::search_sql;

use crate::{
    Error, Ports, Result,
    ids::UserId,
    model::{User, user_summary as summary},
    ports::Value,
    relations::hides_from_sql,
    vocabulary::Event,
};

/// Contact-list operations on behalf of one signed-in user.
pub struct Users<'a> {
    ports: &'a Ports,
    me: &'a User,
}

impl<'a> Users<'a> {
    /// Operations as `me`.
    pub fn new(ports: &'a Ports, me: &'a User) -> Self {
        Users { ports, me }
    }

    fn now(&self) -> i64 {
        self.ports.clock.now_ms()
    }

    /// `(viewer, now)`: the first two parameters of every query that builds summaries.
    fn viewer_params(&self) -> Vec<Value> {
        vec![Value::from(&self.me.id), Value::Integer(self.now())]
    }

    /// Delivers one event to every recipient, through the outbox.
    async fn emit(&self, recipients: Vec<UserId>, event: Event) -> Result<()> {
        crate::delivery::outbox::deliver(self.ports, &recipients, event).await
    }

    /// The user called `username`, as the caller sees them; 404 when unknown, or when they
    /// blocked the caller (the caller may not know they exist).
    async fn visible(&self, username: &str) -> Result<UserSummary> {
        let not_found = Error::NotFound { what: "user" };
        let Ok(username) = crate::accounts::Username::parse(username) else {
            return Err(not_found);
        };
        let mut params = self.viewer_params();
        params.push(Value::from(username.as_str()));
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM users u WHERE u.username = ?3 AND NOT {}",
                    summary::columns("u"),
                    hides_from_sql("u.id", "?1"),
                ),
                &params,
            )
            .await?;
        rows.first()
            .map(|r| UserSummary::read(&mut r.columns()))
            .transpose()?
            .ok_or(not_found)
    }

    /// Like [`Users::visible`], and never the caller themself (400 `invalid_target`).
    async fn other(&self, username: &str) -> Result<UserSummary> {
        let target = self.visible(username).await?;
        if target.id == self.me.id {
            return Err(Error::invalid_target("that is you: pick another user"));
        }
        Ok(target)
    }
}
