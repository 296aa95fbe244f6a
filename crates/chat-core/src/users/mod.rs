//! Users: profiles, presence, friends with requests, blocks and search: the MSN-style
//! contact list. Rows live in SQLite; every change is appended to the inboxes of the users
//! it concerns, so live streams only ever read inboxes.

mod blocks;
mod contacts;
mod profile;
mod search;
pub(crate) mod summary;

use serde_json::Value as Json;

pub use contacts::{Friend, FriendList, FriendRequest, RequestOutcome};
pub use profile::Presence;
pub use search::search_sql;
pub use summary::UserSummary;

use crate::{
    Error, Ports, Result,
    accounts::User,
    ports::{Event, EventKind, Value},
};

/// The two ids of a pair in the order `friendships` stores them (smaller first).
pub(crate) fn ordered_pair<'s>(x: &'s str, y: &'s str) -> (&'s str, &'s str) {
    if x < y { (x, y) } else { (y, x) }
}

/// Ids of `user_id`'s friends.
pub(crate) async fn friend_ids(ports: &Ports, user_id: &str) -> Result<Vec<String>> {
    let rows = ports
        .sql
        .query(
            "SELECT CASE WHEN user_a = ?1 THEN user_b ELSE user_a END
             FROM friendships WHERE user_a = ?1 OR user_b = ?1",
            &[Value::from(user_id)],
        )
        .await?;
    rows.iter().map(|r| r.get(0)).collect()
}

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
        vec![Value::from(self.me.id.as_str()), Value::Integer(self.now())]
    }

    /// Delivers one event to every recipient, through the outbox.
    async fn emit(&self, recipients: Vec<String>, kind: EventKind, data: Json) -> Result<()> {
        crate::events::outbox::deliver(self.ports, &recipients, Event::new(kind, data)).await
    }

    /// Ids of the caller's friends.
    async fn friend_ids(&self) -> Result<Vec<String>> {
        friend_ids(self.ports, &self.me.id).await
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
                    "SELECT {} FROM users u WHERE u.username = ?3
                     AND NOT EXISTS (SELECT 1 FROM blocks b
                                     WHERE b.blocker_id = u.id AND b.blocked_id = ?1)",
                    summary::columns("u")
                ),
                &params,
            )
            .await?;
        rows.first()
            .map(|r| UserSummary::from_row(r, 0))
            .transpose()?
            .ok_or(not_found)
    }

    /// Like [`Users::visible`], and never the caller themself (400 `invalid_target`).
    async fn other(&self, username: &str) -> Result<UserSummary> {
        let target = self.visible(username).await?;
        if target.id == self.me.id {
            return Err(Error::invalid(
                "invalid_target",
                "that is you: pick another user",
            ));
        }
        Ok(target)
    }
}
