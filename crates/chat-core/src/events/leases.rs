//! Stream leases: an open stream holds a row that expires unless renewed at each heartbeat.
//! A user is connected while any lease of theirs is unexpired, so a stream that dies
//! without a word (network cut, instance killed) stops counting within the lease time.

use std::time::Duration;

use crate::{Error, Ports, Result, ports::Value};

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long a stream refused for having too many siblings is told to wait: the time a
/// lingering lease of a closed tab takes to lapse is at most the presence TTL, but most go
/// sooner (a stream that ended by itself keeps its lease 5 s).
const TOO_MANY_STREAMS_RETRY: Duration = Duration::from_secs(5);

/// Takes a lease for a new stream; returns whether the user already had a live one (then
/// friends already see them connected and nothing needs announcing). A user holds at most
/// `streams_per_user` live leases: past that, 429 (the count and the insert are one
/// statement, so racing opens cannot exceed it). Leases of tabs closed without a word
/// count until they lapse, so the cap is well above the tabs one person has open.
pub(crate) async fn take(ports: &Ports, stream_id: &str, user_id: &str) -> Result<bool> {
    let now = ports.clock.now_ms();
    let user = Value::from(user_id);
    // The user's own dead leases go first: no background job sweeps them.
    ports
        .sql
        .execute(
            "DELETE FROM stream_leases WHERE user_id = ?1 AND expires_at_ms <= ?2",
            &[user.clone(), Value::Integer(now)],
        )
        .await?;
    let rows = ports
        .sql
        .query(
            "SELECT EXISTS (SELECT 1 FROM stream_leases WHERE user_id = ?1)",
            std::slice::from_ref(&user),
        )
        .await?;
    let already_connected = rows.first().map_or(Ok(false), |r| r.get(0))?;
    let taken = ports
        .sql
        .execute(
            "INSERT INTO stream_leases (stream_id, user_id, expires_at_ms)
             SELECT ?1, ?2, ?3
              WHERE (SELECT count(*) FROM stream_leases WHERE user_id = ?2) < ?4",
            &[
                Value::from(stream_id),
                user,
                Value::Integer(now + ms(ports.settings.presence_ttl)),
                Value::from(ports.settings.streams_per_user),
            ],
        )
        .await?;
    if taken == 0 {
        return Err(Error::RateLimited {
            retry_after: TOO_MANY_STREAMS_RETRY,
        });
    }
    Ok(already_connected)
}

/// Extends the lease by the presence TTL from now.
pub(crate) async fn renew(ports: &Ports, stream_id: &str) -> Result<()> {
    let expires = ports.clock.now_ms() + ms(ports.settings.presence_ttl);
    ports
        .sql
        .execute(
            "UPDATE stream_leases SET expires_at_ms = ?2 WHERE stream_id = ?1",
            &[Value::from(stream_id), Value::Integer(expires)],
        )
        .await
        .map(drop)
}

/// Shortens the lease of a stream that ended by itself to `grace`: the client reconnects
/// within a second or two, and its next stream then finds the user still connected, so
/// friends see no flicker; a client that does not come back lapses soon after.
pub(crate) async fn release(ports: &Ports, stream_id: &str, grace: Duration) -> Result<()> {
    let expires = ports.clock.now_ms() + ms(grace);
    ports
        .sql
        .execute(
            "UPDATE stream_leases SET expires_at_ms = min(expires_at_ms, ?2) WHERE stream_id = ?1",
            &[Value::from(stream_id), Value::Integer(expires)],
        )
        .await
        .map(drop)
}

/// Of `candidates`, those still connected and not invisible (what a friend sees online).
pub(crate) async fn still_visible(ports: &Ports, candidates: &[String]) -> Result<Vec<String>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (0..candidates.len())
        .map(|i| format!("?{}", i + 2))
        .collect();
    let mut params = vec![Value::Integer(ports.clock.now_ms())];
    params.extend(candidates.iter().map(|c| Value::from(c.as_str())));
    let rows = ports
        .sql
        .query(
            &format!(
                "SELECT u.id FROM users u
                 WHERE u.id IN ({}) AND u.presence <> 'invisible'
                   AND EXISTS (SELECT 1 FROM stream_leases l
                               WHERE l.user_id = u.id AND l.expires_at_ms > ?1)",
                placeholders.join(", ")
            ),
            &params,
        )
        .await?;
    rows.iter().map(|r| r.get(0)).collect()
}

/// Friends of `user_id` that are connected and not invisible right now.
pub(crate) async fn visible_friends(ports: &Ports, user_id: &str) -> Result<Vec<String>> {
    let rows = ports
        .sql
        .query(
            "SELECT u.id FROM friendships f
             JOIN users u ON u.id = CASE WHEN f.user_a = ?1 THEN f.user_b ELSE f.user_a END
             WHERE (f.user_a = ?1 OR f.user_b = ?1) AND u.presence <> 'invisible'
               AND EXISTS (SELECT 1 FROM stream_leases l
                           WHERE l.user_id = u.id AND l.expires_at_ms > ?2)",
            &[Value::from(user_id), Value::Integer(ports.clock.now_ms())],
        )
        .await?;
    rows.iter().map(|r| r.get(0)).collect()
}
