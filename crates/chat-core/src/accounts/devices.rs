//! Trusted devices: a browser or client that signed in to an account before holds a device
//! token (a long-lived cookie, stored here only as its SHA-256). It signs nobody in. Its
//! logins to that account draw on a share of the password-hash budget kept for them and
//! skip the account-wide failure bucket, so that guesses from elsewhere (a botnet, unknown
//! usernames, a flood of sign-ups) can neither starve the owner's logins of hashes nor lock
//! the owner out (OWASP's "device cookies").

use super::{Accounts, SessionToken, Username};
use crate::{
    Error, Result, ResultExt,
    ids::UserId,
    ports::{Rate, Value, Verdict},
};

/// Device tokens a user keeps; the oldest go as new ones come.
const KEPT_PER_USER: i64 = 20;

impl Accounts<'_> {
    /// A new device token for `user_id` (after a sign-in), stored hashed.
    pub(super) async fn issue_device(&self, user_id: &UserId) -> Result<SessionToken> {
        let token = SessionToken::generate(self.ports.random.as_ref())?;
        self.ports
            .sql
            .execute(
                "INSERT INTO trusted_devices (token_hash, user_id, created_at_ms) VALUES (?1, ?2, ?3)",
                &[
                    Value::from(token.storage_hash()),
                    Value::from(user_id),
                    Value::Integer(self.ports.clock.now_ms()),
                ],
            )
            .await
            .context("sign-in: storing the device token")?;
        self.ports
            .sql
            .execute(
                "DELETE FROM trusted_devices WHERE user_id = ?1 AND token_hash NOT IN (
                     SELECT token_hash FROM trusted_devices WHERE user_id = ?1
                      ORDER BY created_at_ms DESC LIMIT ?2)",
                &[Value::from(user_id), Value::Integer(KEPT_PER_USER)],
            )
            .await
            .context("sign-in: trimming device tokens")?;
        Ok(token)
    }

    /// Whether `device` (a presented device token) belongs to the account `username`.
    pub(super) async fn device_trusted_for(
        &self,
        device: Option<&str>,
        username: Option<&Username>,
    ) -> Result<bool> {
        let (Some(token), Some(username)) = (device.and_then(SessionToken::parse), username) else {
            return Ok(false);
        };
        let rows = self
            .ports
            .sql
            .query(
                "SELECT 1 FROM trusted_devices d JOIN users u ON u.id = d.user_id
                  WHERE d.token_hash = ?1 AND u.username = ?2",
                &[
                    Value::from(token.storage_hash()),
                    Value::from(username.as_str()),
                ],
            )
            .await
            .context("login: checking the device token")?;
        Ok(!rows.is_empty())
    }

    /// Takes a password-hash slot: from the deployment's bucket
    /// (`password_hashes_per_second`), and for a trusted device first from the share kept
    /// for them (a quarter more, at least one a second), which nobody else can drain.
    pub(super) async fn hash_slot_for(&self, trusted_device: bool) -> Result<()> {
        let per_second = self.ports.settings.password_hashes_per_second;
        if trusted_device {
            let reserved = (per_second / 4).max(1);
            let rate = Rate::bucket(reserved, f64::from(reserved));
            if self
                .ports
                .limiter
                .acquire("argon2:devices", rate)
                .await?
                .is_allowed()
            {
                return Ok(());
            }
        }
        let rate = Rate::bucket(per_second, f64::from(per_second));
        match self.ports.limiter.acquire("argon2:all", rate).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Limited { retry_after } => Err(Error::Overloaded { retry_after }),
        }
    }
}
