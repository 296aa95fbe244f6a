//! Named API tokens: Bearer tokens a user mints for a script or a bot, with the password
//! (a stolen session cannot mint one), shown once, listed by name, revoked one by one.
//! They authenticate like a session (`sessions.rs` looks both up in one statement) but never
//! idle out; they expire after `expires_in_days` (1-365, 90 by default). A page never gets
//! one: the browser's session is its HttpOnly cookie.

use serde::Serialize;

use super::{Accounts, Session, SessionToken, sessions::Credential};
use crate::{Error, Result, ResultExt, audit::SecurityEvent, ports::Value, time::rfc3339_ms};

/// Tokens one user may hold at once.
const TOKENS_MAX: i64 = 20;
/// Days a token lasts unless told otherwise.
const DEFAULT_DAYS: u32 = 90;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// One of a user's API tokens, as listed (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApiTokenInfo {
    /// Public id (what revoking names).
    pub id: String,
    /// What the user called it.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, moved on at most once a minute.
    pub last_used_at: String,
    /// RFC 3339.
    pub expires_at: String,
}

/// A token's name: 1-64 characters on one line, nothing deceptive.
fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if !(1..=64).contains(&name.chars().count()) || crate::text::is_deceptive(name) {
        return Err(Error::invalid(
            "invalid_token_name",
            "a token's name is 1-64 characters without control, bidi or invisible formatting characters",
        ));
    }
    Ok(name.to_owned())
}

impl Accounts<'_> {
    /// Mints a token named `name` for the caller, after checking their password; returns
    /// it with the token, shown this once. 409 `too_many_tokens` past 20.
    pub async fn create_api_token(
        &self,
        session: &Session,
        password: &str,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<(ApiTokenInfo, SessionToken)> {
        let name = parse_name(name)?;
        let days = expires_in_days.unwrap_or(DEFAULT_DAYS);
        if !(1..=365).contains(&days) {
            return Err(Error::invalid(
                "invalid_expiry",
                "expires_in_days must be 1-365",
            ));
        }
        self.check_current_password(session, password).await?;
        let token = SessionToken::generate(self.ports.random.as_ref())?;
        let id = crate::ports::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        let now = self.ports.clock.now_ms();
        let expires = now + i64::from(days) * DAY_MS;
        let inserted = self
            .ports
            .sql
            .query(
                "INSERT INTO api_tokens
                   (id, user_id, name, token_hash, created_at_ms, last_used_at_ms, expires_at_ms)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?5, ?6
                  WHERE (SELECT count(*) FROM api_tokens WHERE user_id = ?2 AND expires_at_ms > ?5) < ?7
                 RETURNING 1",
                &[
                    Value::from(id.as_str()),
                    Value::from(&session.user.id),
                    Value::from(name.as_str()),
                    Value::from(token.storage_hash()),
                    Value::Integer(now),
                    Value::Integer(expires),
                    Value::Integer(TOKENS_MAX),
                ],
            )
            .await
            .context("api tokens: storing")?;
        if inserted.is_empty() {
            return Err(Error::conflict(
                "too_many_tokens",
                format!("at most {TOKENS_MAX} API tokens; revoke one first"),
            ));
        }
        self.audit(SecurityEvent::ApiTokenCreated, &session.user.id)
            .await;
        Ok((
            ApiTokenInfo {
                id,
                name,
                created_at: rfc3339_ms(now),
                last_used_at: rfc3339_ms(now),
                expires_at: rfc3339_ms(expires),
            },
            token,
        ))
    }

    /// The caller's tokens that have not expired, newest first.
    pub async fn api_tokens(&self, session: &Session) -> Result<Vec<ApiTokenInfo>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT id, name, created_at_ms, last_used_at_ms, expires_at_ms FROM api_tokens
                  WHERE user_id = ?1 AND expires_at_ms > ?2
                  ORDER BY created_at_ms DESC",
                &[
                    Value::from(&session.user.id),
                    Value::Integer(self.ports.clock.now_ms()),
                ],
            )
            .await
            .context("api tokens: listing")?;
        rows.iter()
            .map(|row| {
                Ok(ApiTokenInfo {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    created_at: rfc3339_ms(row.get(2)?),
                    last_used_at: rfc3339_ms(row.get(3)?),
                    expires_at: rfc3339_ms(row.get(4)?),
                })
            })
            .collect()
    }

    /// Revokes one of the caller's tokens (its open streams end); another user's or an
    /// unknown id is 404.
    pub async fn revoke_api_token(&self, session: &Session, id: &str) -> Result<()> {
        self.end_credential(session, id, Credential::ApiToken).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_plain_line() {
        assert_eq!(parse_name("  deploy bot ").unwrap(), "deploy bot");
        for bad in ["", "   ", &"x".repeat(65), "bot\u{202E}", "two\nlines"] {
            assert!(parse_name(bad).is_err(), "{bad:?}");
        }
    }
}
