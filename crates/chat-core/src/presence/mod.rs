//! Presence, in one place: what a user chose, what others see of it (the effective-presence
//! rule), the stream leases that say whether they are connected, and the events that tell
//! friends when what they see changes.
//!
//! A user is connected while any of their event streams holds an unexpired lease
//! ([`leases`]). Friends see the chosen presence while the user is connected and not
//! invisible; everyone else, and everyone once the user is gone, sees `offline`.

pub(crate) mod leases;

use serde::{Deserialize, Serialize};

use crate::{
    Error, Ports, Result, ResultExt,
    accounts::User,
    events::outbox,
    ids::UserId,
    ports::{FromValue, Value, first_flag},
    users::{UserSummary, summary},
    vocabulary::Event,
};

/// A presence as it travels: what a user chose (`online`, `away`, `busy`, `invisible`),
/// or what another user sees of it (the first three, or `offline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Available.
    Online,
    /// Away from the keyboard.
    Away,
    /// Do not disturb.
    Busy,
    /// Chosen only: looks offline to everyone.
    Invisible,
    /// Seen only: not connected, invisible, or not a friend of the viewer.
    Offline,
}

impl Presence {
    /// Parses a presence a user may choose; `invalid_presence` otherwise (`offline` is
    /// what others see, never a choice).
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "online" => Ok(Presence::Online),
            "away" => Ok(Presence::Away),
            "busy" => Ok(Presence::Busy),
            "invisible" => Ok(Presence::Invisible),
            _ => Err(Error::invalid(
                "invalid_presence",
                "presence must be online, away, busy or invisible",
            )),
        }
    }

    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Busy => "busy",
            Presence::Invisible => "invisible",
            Presence::Offline => "offline",
        }
    }

    /// The one effective-presence rule: what a viewer sees of this chosen presence. The
    /// choice while the user is connected, not invisible and the viewer's friend;
    /// `offline` otherwise.
    pub fn seen(self, connected: bool, viewer_is_friend: bool) -> Presence {
        if viewer_is_friend && connected && self != Presence::Invisible {
            self
        } else {
            Presence::Offline
        }
    }
}

impl FromValue for Presence {
    fn from_value(value: &Value) -> Result<Self, String> {
        let name = String::from_value(value)?;
        match name.as_str() {
            "offline" => Ok(Presence::Offline),
            chosen => Presence::parse(chosen).map_err(|_| format!("unknown presence {name:?}")),
        }
    }
}

/// The one SQL spelling of "connected": `user` (a column or parameter) holds a stream
/// lease that has not expired at `now` (a parameter, ms).
pub(crate) fn connected_sql(user: &str, now: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM stream_leases
                  WHERE user_id = {user} AND expires_at_ms > {now})"
    )
}

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
/// `user_summary` follows (`users::summary`); `offline` also when the user is gone.
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
        Some(row) => Ok(UserSummary::from_row(row, 0)?.presence),
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

#[cfg(test)]
mod tests {
    use super::Presence::{self, *};

    #[test]
    fn chosen_presence_names_round_trip_and_others_are_invalid() {
        for name in ["online", "away", "busy", "invisible"] {
            assert_eq!(Presence::parse(name).expect("valid").as_str(), name);
        }
        for bad in ["offline", "Online", "", "dnd"] {
            assert!(Presence::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn friends_see_the_chosen_presence_only_while_connected_and_visible() {
        assert_eq!(Busy.seen(true, true), Busy);
        assert_eq!(Away.seen(true, true), Away);
        assert_eq!(Online.seen(false, true), Offline, "no stream");
        assert_eq!(Invisible.seen(true, true), Offline);
        assert_eq!(Online.seen(true, false), Offline, "not a friend");
    }
}
