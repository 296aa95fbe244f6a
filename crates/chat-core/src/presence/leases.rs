//! Stream leases: an open stream holds a row that expires unless renewed at each heartbeat.
//! A user is connected while any lease of theirs is unexpired, so a stream that dies
//! without a word (network cut, instance killed) stops counting within the lease time,
//! and the next sweep (any stream's heartbeat) tells the user's friends.

use std::time::Duration;

use crate::{
    Error, Ports, Result, ResultExt,
    delivery::outbox,
    ids::UserId,
    ports::{Value, first_flag},
    time::millis,
    vocabulary::Event,
};

/// How long a stream refused for having too many siblings is told to wait: the time a
/// lingering lease of a closed tab takes to lapse is at most the presence TTL, but most go
/// sooner (a stream that ended by itself keeps its lease 5 s).
const TOO_MANY_STREAMS_RETRY: Duration = Duration::from_secs(5);

/// Takes a lease for a new stream; returns whether the user already had a live one (then
/// friends already see them connected and nothing needs announcing). A user holds at most
/// `streams_per_user` live leases: past that, 429 (the count and the insert are one
/// statement, so racing opens cannot exceed it). Leases of tabs closed without a word
/// count until they lapse, so the cap is well above the tabs one person has open.
pub(crate) async fn take(ports: &Ports, stream_id: &str, user_id: &UserId) -> Result<bool> {
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
    let already_connected = first_flag(&rows)?;
    let taken = ports
        .sql
        .query(
            "INSERT INTO stream_leases (stream_id, user_id, expires_at_ms)
             SELECT ?1, ?2, ?3
              WHERE (SELECT count(*) FROM stream_leases WHERE user_id = ?2) < ?4
             RETURNING 1",
            &[
                Value::from(stream_id),
                user,
                Value::Integer(now + millis(ports.settings.presence_ttl)),
                Value::from(ports.settings.streams_per_user),
            ],
        )
        .await?;
    if taken.is_empty() {
        return Err(Error::RateLimited {
            retry_after: TOO_MANY_STREAMS_RETRY,
        });
    }
    Ok(already_connected)
}

/// Extends the lease by the presence TTL from now.
pub(crate) async fn renew(ports: &Ports, stream_id: &str) -> Result<()> {
    let expires = ports.clock.now_ms() + millis(ports.settings.presence_ttl);
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
    let expires = ports.clock.now_ms() + millis(grace);
    ports
        .sql
        .execute(
            "UPDATE stream_leases SET expires_at_ms = min(expires_at_ms, ?2) WHERE stream_id = ?1",
            &[Value::from(stream_id), Value::Integer(expires)],
        )
        .await
        .map(drop)
}

/// Records when friends last saw `user_id` online (`users.last_seen_at_ms`): when their
/// last stream lapses while they are visible, or when they turn invisible.
pub(crate) async fn record_last_seen(ports: &Ports, user_id: &UserId, at_ms: i64) -> Result<()> {
    ports
        .sql
        .execute(
            "UPDATE users SET last_seen_at_ms = ?2 WHERE id = ?1",
            &[Value::from(user_id), Value::Integer(at_ms)],
        )
        .await
        .map(drop)
}

/// Users swept at most per round.
const SWEEP_ROUND: i64 = 50;

/// Announces `offline` to the friends of every user whose last lease has lapsed (their
/// last tab closed, lost its network, or died with its server), then deletes those
/// leases. Run by every stream as it opens and at each heartbeat, so a lapse is announced
/// within a heartbeat of it, durably: the announcement goes through the outbox into the
/// friends' inboxes, so a friend whose stream is reconnecting, or who resumes later, gets
/// it too. Costs one indexed read when nothing lapsed.
///
/// Racing sweeps are harmless: the announcement's key is the user and the lease expiry it
/// is about, so a second sweep of the same lapse adds nothing. A user who comes back just
/// as they are swept is not left looking offline: the event is marked `lapse`, and the
/// stream delivering it asks again (see `LiveStream`).
pub(crate) async fn sweep_lapsed(ports: &Ports) -> Result<()> {
    let now = ports.clock.now_ms();
    let lapsed = ports
        .sql
        .query(
            "SELECT l.user_id, max(l.expires_at_ms), u.presence = 'invisible'
               FROM stream_leases l INDEXED BY stream_leases_by_expiry
               JOIN users u ON u.id = l.user_id
              WHERE l.expires_at_ms <= ?1
                AND NOT EXISTS (SELECT 1 FROM stream_leases o
                                 WHERE o.user_id = l.user_id AND o.expires_at_ms > ?1)
              GROUP BY l.user_id LIMIT ?2",
            &[Value::Integer(now), Value::Integer(SWEEP_ROUND)],
        )
        .await?;
    for row in lapsed {
        let user_id: UserId = row.get(0)?;
        let lapsed_at: i64 = row.get(1)?;
        let invisible: bool = row.get(2)?;
        // An invisible user already looks offline to everyone (and was last seen when
        // they turned invisible).
        if !invisible {
            // Last seen when the lease lapsed: within a presence TTL of their last sign.
            record_last_seen(ports, &user_id, lapsed_at.min(now))
                .await
                .context("lease sweep: recording when they were last seen")?;
            let friends = crate::relations::friend_ids(ports, &user_id)
                .await
                .context("lease sweep: reading friends")?;
            let event = Event::lapsed(&user_id, lapsed_at.min(now))
                .keyed(format!("lapse:{user_id}:{lapsed_at}"));
            outbox::deliver(ports, &friends, event)
                .await
                .context("lease sweep: announcing offline")?;
        }
        ports
            .sql
            .execute(
                "DELETE FROM stream_leases WHERE user_id = ?1 AND expires_at_ms <= ?2",
                &[Value::from(user_id), Value::Integer(lapsed_at)],
            )
            .await?;
    }
    Ok(())
}
