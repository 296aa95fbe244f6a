//! Presence, in one place: what a user chose, what others see of it (the effective-presence
//! rule), the stream leases that say whether they are connected, and the events that tell
//! friends when what they see changes.
//!
//! A user is connected while any of their event streams holds an unexpired lease
//! ([`leases`]). Friends see the chosen presence while the user is connected and not
//! invisible; everyone else, and everyone once the user is gone, sees `offline`.

pub(crate) mod leases;

pub use crate::model::Presence;

use crate::{
    Ports, Result, ResultExt,
    delivery::outbox,
    ids::UserId,
    model::{User, UserSummary, presence::connected_sql, user_summary as summary},
    ports::{Value, first_flag},
    vocabulary::Event,
};

/// Whether `user_id` has a live event stream.
pub(crate) async fn is_connected(ports: &Ports, user_id: &UserId) -> Result<bool> {
    let rows = ports
        .sql
        .query(
            &format!("SELECT {}", connected_sql("?1", "?2")),
            &[Value::from(user_id), Value::Integer(ports.clock.now_ms())],
        )
        .await?;
    first_flag(&rows)
}

/// `user` as a friend of theirs sees them now.
pub(crate) async fn as_friends_see(ports: &Ports, user: &User) -> Result<UserSummary> {
    let mut summary = UserSummary::of_self(user);
    summary.presence = user
        .presence
        .seen(is_connected(ports, &user.id).await?, true);
    Ok(summary)
}

/// The presence of `user_id` as `viewer` sees it right now, by the same rule every
/// `user_summary` follows (`model::user_summary`); `offline` also when the user is gone.
pub(crate) async fn seen_by(ports: &Ports, viewer: &UserId, user_id: &UserId) -> Result<Presence> {
    let rows = ports
        .sql
        .query(
            &format!(
                "SELECT {} FROM users u WHERE u.id = ?3",
                summary::columns("u")
            ),
            &[
                Value::from(viewer),
                Value::Integer(ports.clock.now_ms()),
                Value::from(user_id),
            ],
        )
        .await?;
    match rows.first() {
        Some(row) => Ok(UserSummary::read(&mut row.columns())?.presence),
        None => Ok(Presence::Offline),
    }
}

/// A stream of `user` opens: takes its lease and, if it is their first live stream and
/// they are not invisible, tells their friends they are on.
pub(crate) async fn connect(ports: &Ports, stream_id: &str, user: &User) -> Result<()> {
    let already_connected = leases::take(ports, stream_id, &user.id).await?;
    if !already_connected && user.presence != Presence::Invisible {
        let friends = crate::relations::friend_ids(ports, &user.id).await?;
        outbox::deliver(ports, &friends, Event::presence(&user.id, user.presence))
            .await
            .context("announcing online")?;
    }
    Ok(())
}

/// `user` changed their chosen presence from `before`: friends get a `presence` event
/// when what they see changes (`invisible` shows as `offline`); the user's own tabs always
/// get one, with the choice itself.
pub(crate) async fn announce_choice(ports: &Ports, user: &User, before: Presence) -> Result<()> {
    let connected = is_connected(ports, &user.id).await?;
    let seen_now = user.presence.seen(connected, true);
    if before.seen(connected, true) != seen_now {
        let friends = crate::relations::friend_ids(ports, &user.id).await?;
        let event = if seen_now == Presence::Offline {
            // Turning invisible while on: friends saw them last just now.
            let now = ports.clock.now_ms();
            leases::record_last_seen(ports, &user.id, now).await?;
            Event::gone_offline(&user.id, now)
        } else {
            Event::presence(&user.id, seen_now)
        };
        outbox::deliver(ports, &friends, event)
            .await
            .context("announcing a presence change")?;
    }
    let own_tabs = [user.id.clone()];
    outbox::deliver(ports, &own_tabs, Event::presence(&user.id, user.presence)).await
}
