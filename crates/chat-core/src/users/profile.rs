//! The caller's own profile and chosen presence.

use super::Users;
use crate::{
    Error, Result,
    accounts::DisplayName,
    model::{Presence, User},
    ports::Value,
    presence, relations,
    throttle::{self, Action},
    vocabulary::Event,
};

/// A status message: 0-140 characters, nothing deceptive ([`crate::text::is_deceptive`]).
fn parse_status_message(raw: &str) -> Result<String> {
    if raw.chars().count() > 140 || crate::text::is_deceptive(raw) {
        return Err(Error::invalid(
            "invalid_status_message",
            "status message must be at most 140 characters without control, bidi or invisible formatting characters",
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
                &[Value::from(&self.me.id)],
            )
            .await?;
        rows.first()
            .map(|r| User::read(&mut r.columns()))
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
                    Value::from(&self.me.id),
                    Value::from(display_name.as_ref().map(DisplayName::as_str)),
                    Value::from(display_name.as_ref().map(DisplayName::search_key)),
                    Value::from(status_message),
                ],
            )
            .await?;
        let user = self.me().await?;
        let as_friends_see = presence::as_friends_see(self.ports, &user).await?;
        let mut recipients = relations::friend_ids(self.ports, &user.id).await?;
        recipients.push(user.id.clone());
        self.emit(recipients, Event::profile(as_friends_see))
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
                &[Value::from(&self.me.id), Value::from(presence.as_str())],
            )
            .await?;
        let user = self.me().await?;
        presence::announce_choice(self.ports, &user, before.presence).await?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_are_short_and_free_of_control_characters() {
        assert!(parse_status_message("").is_ok());
        assert!(parse_status_message(&"é".repeat(140)).is_ok());
        assert!(parse_status_message(&"x".repeat(141)).is_err());
        assert!(parse_status_message("line\nbreak").is_err());
    }
}
