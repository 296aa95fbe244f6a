//! Presence as data: what a user chose, what others see of it (the effective-presence
//! rule, [`Presence::seen`]), and the one SQL spelling of "connected". The service that
//! announces changes is `presence/`.

use serde::{Deserialize, Serialize};

use crate::{
    Error, Result,
    ports::{FromValue, Value},
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
