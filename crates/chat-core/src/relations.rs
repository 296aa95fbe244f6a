//! Relations between two users, in one place: whether they are friends, whether a block
//! stands between them (either way), whether one hides from the other, and a user's
//! friends. Services use these instead of spelling the `friendships` and `blocks` queries
//! themselves; the SQL fragments exist for the hot queries that fold a relation into a
//! larger statement (a message send reads everything it checks in one statement).

use crate::{
    Result,
    ids::UserId,
    ports::{Row, SqlTransaction, Value},
};

/// The two ids of a pair in the order `friendships` stores them (smaller first).
pub(crate) fn ordered_pair<'s>(x: &'s UserId, y: &'s UserId) -> (&'s UserId, &'s UserId) {
    if x < y { (x, y) } else { (y, x) }
}

/// SQL: whether the users `x` and `y` (SQL expressions: columns or parameters) are
/// friends. One primary-key lookup.
pub(crate) fn are_friends_sql(x: &str, y: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM friendships f
                  WHERE f.user_a = min({x}, {y}) AND f.user_b = max({x}, {y}))"
    )
}

/// SQL: whether either of `x` and `y` blocked the other.
pub(crate) fn blocked_either_way_sql(x: &str, y: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM blocks b
                  WHERE (b.blocker_id = {x} AND b.blocked_id = {y})
                     OR (b.blocker_id = {y} AND b.blocked_id = {x}))"
    )
}

/// SQL: whether `user` (who may look `viewer` up) has blocked `viewer`, so that to
/// `viewer` they do not exist.
pub(crate) fn hides_from_sql(user: &str, viewer: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = {user} AND b.blocked_id = {viewer})"
    )
}

/// What stands between two users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Relation {
    /// A block either way.
    pub blocked: bool,
    /// Friends.
    pub friends: bool,
}

impl Relation {
    fn from_row(row: Option<&Row>) -> Result<Self> {
        Ok(match row {
            Some(row) => Relation {
                blocked: row.get(0)?,
                friends: row.get(1)?,
            },
            None => Relation {
                blocked: false,
                friends: false,
            },
        })
    }
}

fn between_sql() -> String {
    format!(
        "SELECT {}, {}",
        blocked_either_way_sql("?1", "?2"),
        are_friends_sql("?1", "?2")
    )
}

/// The relation between `x` and `y`, in one statement.
pub(crate) async fn between(
    sql: &dyn crate::ports::Sql,
    x: &UserId,
    y: &UserId,
) -> Result<Relation> {
    let rows = sql
        .query(&between_sql(), &[Value::from(x), Value::from(y)])
        .await?;
    Relation::from_row(rows.first())
}

/// The relation between `x` and `y`, read inside a write transaction (which then acts on
/// what it read, with no other writer in between).
pub(crate) async fn between_in(
    tx: &mut dyn SqlTransaction,
    x: &UserId,
    y: &UserId,
) -> Result<Relation> {
    let rows = tx
        .query(&between_sql(), &[Value::from(x), Value::from(y)])
        .await?;
    Relation::from_row(rows.first())
}

/// Ids of `user_id`'s friends.
pub(crate) async fn friend_ids(ports: &crate::Ports, user_id: &UserId) -> Result<Vec<UserId>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_ordered_the_way_friendships_stores_them() {
        let (a, b) = (UserId::from_raw("a"), UserId::from_raw("b"));
        assert_eq!(ordered_pair(&b, &a), (&a, &b));
        assert_eq!(ordered_pair(&a, &b), (&a, &b));
    }
}
