//! Blocks: a blocked user can no longer find, request or message the blocker. Blocking ends
//! any friendship and pending request between the two, in one transaction.

use super::{UserSummary, Users};
use crate::{
    Result,
    ids::UserId,
    model::user_summary as summary,
    ports::Value,
    relations::ordered_pair,
    throttle::{self, Action},
    vocabulary::{Event, RequestStatus},
};

impl Users<'_> {
    /// Users the caller blocked, by username.
    pub async fn blocked(&self) -> Result<Vec<UserSummary>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM blocks b JOIN users u ON u.id = b.blocked_id
                     WHERE b.blocker_id = ?1 ORDER BY u.username",
                    summary::columns("u")
                ),
                &self.viewer_params(),
            )
            .await?;
        rows.iter()
            .map(|r| UserSummary::read(&mut r.columns()))
            .collect()
    }

    /// Blocks `username` (idempotent). Ends a friendship (`friend_removed` to both) and
    /// withdraws pending requests either way (`friend_request` cancelled to both).
    pub async fn block(&self, username: &str) -> Result<()> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        let me = &self.me.id;
        let ids = [Value::from(me), Value::from(&target.id)];
        let (a, b) = ordered_pair(me, &target.id);
        let mut tx = self.ports.sql.begin().await?;
        tx.execute(
            "INSERT OR IGNORE INTO blocks (blocker_id, blocked_id, created_at_ms)
             VALUES (?1, ?2, ?3)",
            &[ids[0].clone(), ids[1].clone(), Value::Integer(self.now())],
        )
        .await?;
        let unfriended = !tx
            .query(
                "DELETE FROM friendships WHERE user_a = ?1 AND user_b = ?2 RETURNING 1",
                &[Value::from(a), Value::from(b)],
            )
            .await?
            .is_empty();
        let withdrawn = tx
            .query(
                "DELETE FROM friend_requests
                 WHERE (from_id = ?1 AND to_id = ?2) OR (from_id = ?2 AND to_id = ?1)
                 RETURNING from_id",
                &ids,
            )
            .await?;
        tx.commit().await?;

        if unfriended {
            self.announce_unfriending(&target.id).await?;
        }
        let me_summary = UserSummary::of_self(self.me);
        for row in withdrawn {
            let from: UserId = row.get(0)?;
            let (from, to) = if &from == me {
                (&me_summary, &target)
            } else {
                (&target, &me_summary)
            };
            let event = Event::friend_request_closed(RequestStatus::Cancelled, from, to);
            self.emit(vec![me.to_owned(), target.id.clone()], event)
                .await?;
        }
        Ok(())
    }

    /// Lifts a block on `username` (idempotent). Friendship does not come back.
    pub async fn unblock(&self, username: &str) -> Result<()> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        self.ports
            .sql
            .execute(
                "DELETE FROM blocks WHERE blocker_id = ?1 AND blocked_id = ?2",
                &[Value::from(&self.me.id), Value::from(&target.id)],
            )
            .await
            .map(drop)
    }
}
