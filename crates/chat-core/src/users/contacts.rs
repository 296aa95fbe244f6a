//! Friends and friend requests. A friendship is one row per pair (smaller id first); a
//! request is one row per direction. Requests crossing each other make a friendship.

use super::{Friend, FriendRequest, UserSummary, Users};
use crate::{
    Error, Result,
    ids::UserId,
    model::user_summary as summary,
    paging::ListPage,
    ports::Value,
    presence,
    relations::{self, ordered_pair},
    throttle::{self, Action},
    time::rfc3339_ms,
    vocabulary::{Event, RequestStatus},
};
use serde::Serialize;

/// `GET /api/friends`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FriendList {
    /// Friends, by username: one page of them.
    pub friends: Vec<Friend>,
    /// The cursor of the next page of friends (the last username of this one), or null.
    pub next_after: Option<String>,
    /// Requests others sent the caller, newest first.
    pub incoming: Vec<FriendRequest>,
    /// Requests the caller sent, newest first (at most [`OUTGOING_REQUESTS_LISTED`]).
    pub outgoing: Vec<FriendRequest>,
}

/// How many of the caller's own waiting requests the list shows (the newest).
pub const OUTGOING_REQUESTS_LISTED: i64 = 200;

/// Waiting friend requests one user may hold.
pub const INCOMING_REQUESTS_MAX: i64 = 100;

/// What sending a friend request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A new pending request (201).
    Created(FriendRequest),
    /// The same request was already pending: nothing changed (200).
    AlreadyPending(FriendRequest),
    /// They had asked the caller already: now friends (200).
    BecameFriends(Friend),
}

impl Users<'_> {
    /// A page of the caller's friends (by username, after the page's cursor, a username)
    /// and their pending requests both ways (bounded: at most 100 can wait for anyone).
    pub async fn friends(&self, page: &ListPage) -> Result<FriendList> {
        let me = UserSummary::of_self(self.me);
        let params = self.viewer_params();
        let mut page_params = params.clone();
        page_params.push(Value::from(page.cursor.as_deref()));
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {}, f.since_ms FROM friendships f
                     JOIN users u ON u.id = CASE WHEN f.user_a = ?1 THEN f.user_b ELSE f.user_a END
                     WHERE (f.user_a = ?1 OR f.user_b = ?1) AND (?3 IS NULL OR u.username > ?3)
                     ORDER BY u.username
                     LIMIT {}",
                    summary::columns("u"),
                    page.limit.saturating_add(1)
                ),
                &page_params,
            )
            .await?;
        let friends = rows
            .iter()
            .take(page.limit as usize)
            .map(|row| {
                let mut columns = row.columns();
                Ok(Friend {
                    user: UserSummary::read(&mut columns)?,
                    since: rfc3339_ms(columns.read()?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next_after = match rows.len() as i64 > page.limit {
            true => friends.last().map(|f| f.user.username.clone()),
            false => None,
        };
        let requests = |direction: &'static str| {
            let (join, filter) = match direction {
                "incoming" => ("r.from_id", "r.to_id"),
                _ => ("r.to_id", "r.from_id"),
            };
            format!(
                "SELECT {}, r.created_at_ms FROM friend_requests r
                 JOIN users u ON u.id = {join}
                 WHERE {filter} = ?1
                 ORDER BY r.created_at_ms DESC
                 LIMIT {OUTGOING_REQUESTS_LISTED}",
                summary::columns("u")
            )
        };
        let mut lists = Vec::with_capacity(2);
        for direction in ["incoming", "outgoing"] {
            let rows = self.ports.sql.query(&requests(direction), &params).await?;
            let list = rows
                .iter()
                .map(|row| {
                    let mut columns = row.columns();
                    let other = UserSummary::read(&mut columns)?;
                    let created_at = rfc3339_ms(columns.read()?);
                    let (from, to) = if direction == "incoming" {
                        (other, me.clone())
                    } else {
                        (me.clone(), other)
                    };
                    Ok(FriendRequest {
                        from,
                        to,
                        created_at,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            lists.push(list);
        }
        let outgoing = lists.pop().unwrap_or_default();
        let incoming = lists.pop().unwrap_or_default();
        Ok(FriendList {
            friends,
            next_after,
            incoming,
            outgoing,
        })
    }

    /// Asks `username` to be friends. 404 when they are unknown or either side blocked the
    /// other; 409 `already_friends`. If they had asked the caller, the two become friends.
    pub async fn request_friend(&self, username: &str) -> Result<RequestOutcome> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        let me = &self.me.id;
        let (a, b) = ordered_pair(me, &target.id);
        let now = self.now();
        let mut tx = self.ports.sql.begin().await?;
        let ids = [Value::from(me), Value::from(&target.id)];
        let relation = relations::between_in(tx.as_mut(), me, &target.id).await?;
        if relation.blocked {
            return Err(Error::NotFound { what: "user" });
        }
        if relation.friends {
            return Err(Error::conflict(
                "already_friends",
                "you are already friends",
            ));
        }
        let theirs_removed = !tx
            .query(
                "DELETE FROM friend_requests WHERE from_id = ?2 AND to_id = ?1 RETURNING 1",
                &ids,
            )
            .await?
            .is_empty();
        if theirs_removed {
            tx.execute(
                "INSERT OR IGNORE INTO friendships (user_a, user_b, since_ms) VALUES (?1, ?2, ?3)",
                &[Value::from(a), Value::from(b), Value::Integer(now)],
            )
            .await?;
            tx.commit().await?;
            return self
                .announce_friendship(&target, now)
                .await
                .map(RequestOutcome::BecameFriends);
        }
        // A recipient holds at most INCOMING_REQUESTS_MAX waiting requests: many accounts
        // cannot bury one person's list (or its page) under requests.
        let inserted = !tx
            .query(
                "INSERT OR IGNORE INTO friend_requests (from_id, to_id, created_at_ms)
                 SELECT ?1, ?2, ?3
                  WHERE (SELECT count(*) FROM friend_requests WHERE to_id = ?2) < ?4
                 RETURNING 1",
                &[
                    Value::from(me),
                    Value::from(&target.id),
                    Value::Integer(now),
                    Value::Integer(INCOMING_REQUESTS_MAX),
                ],
            )
            .await?
            .is_empty();
        let Some(created_ms) = tx
            .query(
                "SELECT created_at_ms FROM friend_requests WHERE from_id = ?1 AND to_id = ?2",
                &ids,
            )
            .await?
            .first()
            .map(|r| r.get::<i64>(0))
            .transpose()?
        else {
            return Err(Error::conflict(
                "too_many_requests",
                "they have too many friend requests waiting; try again later",
            ));
        };
        tx.commit().await?;
        let request = FriendRequest {
            from: UserSummary::of_self(self.me),
            to: target,
            created_at: rfc3339_ms(created_ms),
        };
        if !inserted {
            return Ok(RequestOutcome::AlreadyPending(request));
        }
        self.emit(
            vec![me.to_owned(), request.to.id.clone()],
            Event::friend_request_pending(&request),
        )
        .await?;
        Ok(RequestOutcome::Created(request))
    }

    /// Tells both sides they are now friends (each event names the other side).
    async fn announce_friendship(&self, other: &UserSummary, since_ms: i64) -> Result<Friend> {
        let since = rfc3339_ms(since_ms);
        // Re-read: now that they are friends, the caller sees their real presence.
        let other = self.visible(&other.username).await?;
        let mine = Friend {
            user: other,
            since: since.clone(),
        };
        let theirs = Friend {
            user: presence::as_friends_see(self.ports, self.me).await?,
            since,
        };
        self.emit(vec![self.me.id.clone()], Event::friend_added(mine.clone()))
            .await?;
        self.emit(vec![mine.user.id.clone()], Event::friend_added(theirs))
            .await?;
        Ok(mine)
    }

    /// Accepts `username`'s pending request; 404 when there is none.
    pub async fn accept(&self, username: &str) -> Result<Friend> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        let (a, b) = ordered_pair(&self.me.id, &target.id);
        let now = self.now();
        let mut tx = self.ports.sql.begin().await?;
        let removed = tx
            .query(
                "DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2 RETURNING 1",
                &[Value::from(&target.id), Value::from(&self.me.id)],
            )
            .await?;
        if removed.is_empty() {
            return Err(Error::NotFound {
                what: "friend request",
            });
        }
        tx.execute(
            "INSERT OR IGNORE INTO friendships (user_a, user_b, since_ms) VALUES (?1, ?2, ?3)",
            &[Value::from(a), Value::from(b), Value::Integer(now)],
        )
        .await?;
        tx.commit().await?;
        self.announce_friendship(&target, now).await
    }

    /// Deletes the pending request `from` -> `to`; 404 when there is none.
    async fn withdraw(&self, from: &UserId, to: &UserId) -> Result<()> {
        let removed = self
            .ports
            .sql
            .query(
                "DELETE FROM friend_requests WHERE from_id = ?1 AND to_id = ?2 RETURNING 1",
                &[Value::from(from), Value::from(to)],
            )
            .await?;
        if removed.is_empty() {
            return Err(Error::NotFound {
                what: "friend request",
            });
        }
        Ok(())
    }

    /// Declines `username`'s pending request; 404 when there is none. Only the caller's own
    /// tabs hear of it: like most messengers, the asker is not told.
    pub async fn decline(&self, username: &str) -> Result<()> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        self.withdraw(&target.id, &self.me.id).await?;
        let me = UserSummary::of_self(self.me);
        let event = Event::friend_request_closed(RequestStatus::Declined, &target, &me);
        self.emit(vec![self.me.id.clone()], event).await
    }

    /// Withdraws the caller's pending request to `username`; 404 when there is none.
    pub async fn cancel(&self, username: &str) -> Result<()> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        self.withdraw(&self.me.id, &target.id).await?;
        let me = UserSummary::of_self(self.me);
        let event = Event::friend_request_closed(RequestStatus::Cancelled, &me, &target);
        self.emit(vec![self.me.id.clone(), target.id.clone()], event)
            .await
    }

    /// Ends the friendship with `username`; 404 when they are not friends.
    pub async fn unfriend(&self, username: &str) -> Result<()> {
        throttle::take(self.ports, Action::Relations, &self.me.id).await?;
        let target = self.other(username).await?;
        let (a, b) = ordered_pair(&self.me.id, &target.id);
        let removed = self
            .ports
            .sql
            .query(
                "DELETE FROM friendships WHERE user_a = ?1 AND user_b = ?2 RETURNING 1",
                &[Value::from(a), Value::from(b)],
            )
            .await?;
        if removed.is_empty() {
            return Err(Error::NotFound { what: "friend" });
        }
        self.announce_unfriending(&target.id).await
    }

    /// `friend_removed` to both sides, each naming the other.
    pub(super) async fn announce_unfriending(&self, other_id: &UserId) -> Result<()> {
        self.emit(vec![self.me.id.clone()], Event::friend_removed(other_id))
            .await?;
        self.emit(
            vec![other_id.to_owned()],
            Event::friend_removed(&self.me.id),
        )
        .await
    }
}
