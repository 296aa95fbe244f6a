//! The caller's own profile and chosen presence.

use serde_json::json;

use super::{UserSummary, Users, summary::effective_presence};
use crate::{
    Error, Result,
    accounts::{DisplayName, User},
    ports::{EventKind, Value},
    throttle::{self, Action},
};

/// What a user can choose to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Available.
    Online,
    /// Away from the keyboard.
    Away,
    /// Do not disturb.
    Busy,
    /// Looks offline to everyone.
    Invisible,
}

impl Presence {
    /// Parses the API's names; `invalid_presence` otherwise.
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
        }
    }
}

/// A status message: 0-140 characters, no control characters.
fn parse_status_message(raw: &str) -> Result<String> {
    if raw.chars().count() > 140 || raw.chars().any(char::is_control) {
        return Err(Error::invalid(
            "invalid_status_message",
            "status message must be at most 140 characters without control characters",
        ));
    }
    Ok(raw.to_owned())
}

impl Users<'_> {
    /// The caller's own record, fresh from the database.
    pub async fn me(&self) -> Result<User> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM users u WHERE u.id = ?1",
                    User::columns("u.")
                ),
                &[Value::from(self.me.id.as_str())],
            )
            .await?;
        rows.first()
            .map(|r| User::from_row(r, 0))
            .transpose()?
            .ok_or(Error::Unauthenticated)
    }

    /// Changes display name and/or status message; friends (and the caller's other tabs)
    /// get a `profile` event. Nothing is written unless every given field is valid.
    pub async fn update_profile(
        &self,
        display_name: Option<&str>,
        status_message: Option<&str>,
    ) -> Result<User> {
        let display_name = display_name.map(DisplayName::parse).transpose()?;
        let status_message = status_message.map(parse_status_message).transpose()?;
        if display_name.is_none() && status_message.is_none() {
            return self.me().await;
        }
        throttle::take(self.ports, Action::Profile, &self.me.id).await?;
        self.ports
            .sql
            .execute(
                "UPDATE users SET
                    display_name = coalesce(?2, display_name),
                    display_name_key = coalesce(?3, display_name_key),
                    status_message = coalesce(?4, status_message)
                 WHERE id = ?1",
                &[
                    Value::from(self.me.id.as_str()),
                    Value::from(display_name.as_ref().map(DisplayName::as_str)),
                    Value::from(display_name.as_ref().map(DisplayName::search_key)),
                    Value::from(status_message),
                ],
            )
            .await?;
        let user = self.me().await?;
        let as_friends_see = self.as_friend_sees(&user).await?;
        let mut recipients = self.friend_ids().await?;
        recipients.push(user.id.clone());
        self.emit(
            recipients,
            EventKind::Profile,
            json!({ "user_id": user.id, "user": as_friends_see }),
        )
        .await?;
        Ok(user)
    }

    /// Sets the chosen presence. Friends get a `presence` event when what they see changes
    /// (`invisible` shows as `offline`); the caller's other tabs always get one.
    pub async fn set_presence(&self, presence: Presence) -> Result<User> {
        throttle::take(self.ports, Action::Presence, &self.me.id).await?;
        // The session's user was read from the database by this very request.
        let before = self.me;
        self.ports
            .sql
            .execute(
                "UPDATE users SET presence = ?2 WHERE id = ?1",
                &[
                    Value::from(self.me.id.as_str()),
                    Value::from(presence.as_str()),
                ],
            )
            .await?;
        let user = self.me().await?;
        let connected = self.is_connected().await?;
        let seen_before = effective_presence(&before.presence, connected, true);
        let seen_now = effective_presence(&user.presence, connected, true);
        if seen_before != seen_now {
            self.emit(
                self.friend_ids().await?,
                EventKind::Presence,
                json!({ "user_id": user.id, "presence": seen_now }),
            )
            .await?;
        }
        self.emit(
            vec![user.id.clone()],
            EventKind::Presence,
            json!({ "user_id": user.id, "presence": user.presence }),
        )
        .await?;
        Ok(user)
    }

    /// `user` (the caller, possibly just updated) as a friend of theirs sees them.
    pub(super) async fn as_friend_sees(&self, user: &User) -> Result<UserSummary> {
        let mut summary = UserSummary::of_self(user);
        let connected = self.is_connected().await?;
        summary.presence = effective_presence(&user.presence, connected, true).to_owned();
        Ok(summary)
    }

    /// Whether the caller has a live event stream.
    pub(super) async fn is_connected(&self) -> Result<bool> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT EXISTS (SELECT 1 FROM stream_leases
                                WHERE user_id = ?1 AND expires_at_ms > ?2)",
                &self.viewer_params(),
            )
            .await?;
        rows.first().map_or(Ok(false), |r| r.get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presence_names_round_trip_and_others_are_invalid() {
        for name in ["online", "away", "busy", "invisible"] {
            assert_eq!(Presence::parse(name).expect("valid").as_str(), name);
        }
        for bad in ["offline", "Online", "", "dnd"] {
            assert!(Presence::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_messages_are_short_and_free_of_control_characters() {
        assert!(parse_status_message("").is_ok());
        assert!(parse_status_message(&"é".repeat(140)).is_ok());
        assert!(parse_status_message(&"x".repeat(141)).is_err());
        assert!(parse_status_message("line\nbreak").is_err());
    }
}
