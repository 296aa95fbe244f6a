//! The second factor: an authenticator app's codes (TOTP, RFC 6238, computed by `totp-rs`:
//! six digits, 30-second steps, HMAC-SHA-1, what every authenticator app reads from an
//! `otpauth://` link or its QR code) and ten single-use recovery codes for a lost phone.
//! Set up in two steps (a secret, then a code that proves the app has it), asked at login
//! after the password (`login_challenges`), removed or re-coded only with the password.

mod codes;

use serde::Serialize;
use totp_rs::Secret;

use codes::{fold_recovery_code, matching_step, otpauth_uri, sha256_hex};

use super::{Accounts, Session, SessionToken, SignedIn, User};
use crate::{
    Error, Result, ResultExt,
    audit::SecurityEvent,
    ids::UserId,
    ports::{Rate, Value},
};

/// How long a login waits for its second factor.
const CHALLENGE_MS: i64 = 5 * 60 * 1000;
/// Wrong codes one challenge takes before it dies (the password is asked again).
const CHALLENGE_WRONG_CODES: i64 = 5;
/// Recovery codes in a set.
const RECOVERY_CODES: usize = 10;

/// What `GET /api/auth/second-factor` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SecondFactorStatus {
    /// Whether an authenticator is confirmed (and asked at login).
    pub totp: bool,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// An authenticator being set up: the secret to type in, and the link its QR code carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TotpSetup {
    /// Base32, as apps take it typed in.
    pub secret: String,
    /// `otpauth://totp/...`: what the page draws as a QR code.
    pub otpauth_uri: String,
}

/// How a login with the right password ends: a session, or a wait for the second factor.
#[derive(Debug)]
pub enum LoginOutcome {
    /// No second factor is set up: signed in.
    SignedIn(SignedIn),
    /// An authenticator is set up: `POST /api/auth/login/second-factor` with this
    /// challenge (shown once, like a session token) and a code.
    SecondFactorRequired {
        /// The challenge token.
        challenge: SessionToken,
        /// Seconds it stays good.
        expires_in: i64,
    },
}

/// 401 `invalid_code`: a wrong, reused or malformed code.
fn invalid_code() -> Error {
    Error::sign_in_refused("invalid_code", "that code is not right; try the newest one")
}

impl Accounts<'_> {
    /// Whether `user_id` has a confirmed authenticator.
    pub(super) async fn totp_confirmed(&self, user_id: &UserId) -> Result<bool> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT 1 FROM totp WHERE user_id = ?1 AND confirmed_at_ms IS NOT NULL",
                &[Value::from(user_id)],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    /// The caller's second factor: authenticator on or off, recovery codes left.
    pub async fn second_factor(&self, session: &Session) -> Result<SecondFactorStatus> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT EXISTS (SELECT 1 FROM totp WHERE user_id = ?1 AND confirmed_at_ms IS NOT NULL),
                        (SELECT count(*) FROM recovery_codes WHERE user_id = ?1)",
                &[Value::from(&session.user.id)],
            )
            .await
            .context("second factor: reading")?;
        let row = rows
            .first()
            .ok_or_else(|| Error::Data("second factor status: no row".into()))?;
        Ok(SecondFactorStatus {
            totp: row.get(0)?,
            recovery_codes_left: row.get(1)?,
        })
    }

    /// Starts setting up an authenticator: a new 160-bit secret, kept unconfirmed (not
    /// asked at login) until [`Accounts::confirm_totp`]. 409 `second_factor_on` when one is
    /// already confirmed (remove it first).
    pub async fn start_totp(&self, session: &Session, password: &str) -> Result<TotpSetup> {
        self.check_current_password(session, password).await?;
        if self.totp_confirmed(&session.user.id).await? {
            return Err(Error::conflict(
                "second_factor_on",
                "an authenticator is already set up; remove it first",
            ));
        }
        let mut bytes = [0u8; 20];
        self.ports.random.fill(&mut bytes)?;
        let secret = Secret::from(bytes).to_base32();
        self.ports
            .sql
            .execute(
                "INSERT INTO totp (user_id, secret) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET secret = ?2, last_step = 0
                  WHERE confirmed_at_ms IS NULL",
                &[Value::from(&session.user.id), Value::from(secret.as_str())],
            )
            .await
            .context("second factor: storing the new secret")?;
        Ok(TotpSetup {
            otpauth_uri: otpauth_uri(&session.user.username, &secret),
            secret,
        })
    }

    /// Confirms the authenticator being set up with a code from it: from now on it is
    /// asked at login. Returns a fresh set of recovery codes (shown once). 401
    /// `invalid_code` for a wrong code; 409 `no_setup` when nothing is being set up.
    pub async fn confirm_totp(&self, session: &Session, code: &str) -> Result<Vec<String>> {
        self.take_code_attempt(&session.user.id).await?;
        let rows = self
            .ports
            .sql
            .query(
                "SELECT secret, last_step FROM totp WHERE user_id = ?1 AND confirmed_at_ms IS NULL",
                &[Value::from(&session.user.id)],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Err(Error::conflict(
                "no_setup",
                "start setting up an authenticator first",
            ));
        };
        let (secret, last_step): (String, i64) = (row.get(0)?, row.get(1)?);
        let now = self.ports.clock.now_ms();
        let Some(step) = matching_step(&secret, code, now, last_step)? else {
            return Err(invalid_code());
        };
        let confirmed = self
            .ports
            .sql
            .query(
                "UPDATE totp SET confirmed_at_ms = ?2, last_step = ?3
                  WHERE user_id = ?1 AND confirmed_at_ms IS NULL AND secret = ?4
                 RETURNING 1",
                &[
                    Value::from(&session.user.id),
                    Value::Integer(now),
                    Value::Integer(step),
                    Value::from(secret.as_str()),
                ],
            )
            .await?;
        if confirmed.is_empty() {
            // Set up again (a new secret) meanwhile, from another tab.
            return Err(invalid_code());
        }
        self.ports
            .limiter
            .reset(&code_key(&session.user.id))
            .await?;
        self.audit(SecurityEvent::SecondFactorOn, &session.user.id)
            .await;
        self.new_recovery_codes(&session.user.id).await
    }

    /// Removes the authenticator and the recovery codes: the password alone signs in again.
    pub async fn remove_second_factor(&self, session: &Session, password: &str) -> Result<()> {
        self.check_current_password(session, password).await?;
        for table in ["totp", "recovery_codes", "login_challenges"] {
            self.ports
                .sql
                .execute(
                    &format!("DELETE FROM {table} WHERE user_id = ?1"),
                    &[Value::from(&session.user.id)],
                )
                .await
                .context("second factor: removing")?;
        }
        self.audit(SecurityEvent::SecondFactorOff, &session.user.id)
            .await;
        Ok(())
    }

    /// A new set of recovery codes in place of the old (which stop working). 409
    /// `second_factor_off` without an authenticator.
    pub async fn renew_recovery_codes(
        &self,
        session: &Session,
        password: &str,
    ) -> Result<Vec<String>> {
        self.check_current_password(session, password).await?;
        if !self.totp_confirmed(&session.user.id).await? {
            return Err(Error::conflict(
                "second_factor_off",
                "set up an authenticator first",
            ));
        }
        self.audit(SecurityEvent::RecoveryCodesRenewed, &session.user.id)
            .await;
        self.new_recovery_codes(&session.user.id).await
    }

    /// Replaces `user_id`'s recovery codes with ten new ones of 50 random bits, written
    /// `xxxxx-xxxxx` in an alphabet without look-alikes; returns them (stored hashed).
    async fn new_recovery_codes(&self, user_id: &UserId) -> Result<Vec<String>> {
        const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let mut bytes = [0u8; 10];
            self.ports.random.fill(&mut bytes)?;
            let text: String = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
                .collect();
            codes.push(format!("{}-{}", &text[..5], &text[5..]));
        }
        let hashes: Vec<String> = codes
            .iter()
            .map(|code| sha256_hex(&fold_recovery_code(code)))
            .collect();
        let hashes_json = serde_json::to_string(&hashes)
            .map_err(|e| Error::Data(format!("recovery codes: {e}")))?;
        let mut tx = self.ports.sql.begin().await?;
        tx.execute(
            "DELETE FROM recovery_codes WHERE user_id = ?1",
            &[Value::from(user_id)],
        )
        .await?;
        tx.execute(
            "INSERT INTO recovery_codes (user_id, code_hash)
             SELECT ?1, value FROM json_each(?2)",
            &[Value::from(user_id), Value::from(hashes_json)],
        )
        .await?;
        tx.commit()
            .await
            .context("second factor: storing recovery codes")?;
        Ok(codes)
    }

    /// A login whose password was right and whose user has an authenticator: a challenge
    /// to answer with a code within five minutes. Tied to the password hash it was checked
    /// against, so a password change meanwhile voids it.
    pub(super) async fn open_challenge(
        &self,
        user: &User,
        password_hash: &str,
        user_agent: &str,
    ) -> Result<LoginOutcome> {
        let token = SessionToken::generate(self.ports.random.as_ref())?;
        let now = self.ports.clock.now_ms();
        self.ports
            .sql
            .execute(
                "DELETE FROM login_challenges WHERE user_id = ?1 AND expires_at_ms <= ?2",
                &[Value::from(&user.id), Value::Integer(now)],
            )
            .await?;
        self.ports
            .sql
            .execute(
                "INSERT INTO login_challenges
                   (token_hash, user_id, password_hash, user_agent, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                &[
                    Value::from(token.storage_hash()),
                    Value::from(&user.id),
                    Value::from(password_hash),
                    Value::from(super::credentials::truncate(user_agent, 256)),
                    Value::Integer(now + CHALLENGE_MS),
                ],
            )
            .await
            .context("login: storing the second-factor challenge")?;
        Ok(LoginOutcome::SecondFactorRequired {
            challenge: token,
            expires_in: CHALLENGE_MS / 1000,
        })
    }

    /// Finishes a login with the code of the user's authenticator, or one of their recovery
    /// codes (used up by it). 401 `invalid_challenge` for an unknown, expired or spent
    /// challenge (log in again), `invalid_code` for a wrong code; 429 past the user's
    /// code attempts.
    pub async fn finish_login(&self, challenge: &str, code: &str) -> Result<SignedIn> {
        let invalid_challenge = || {
            Error::sign_in_refused(
                "invalid_challenge",
                "this sign-in has expired; enter your password again",
            )
        };
        let token = SessionToken::parse(challenge.trim()).ok_or_else(invalid_challenge)?;
        let now = self.ports.clock.now_ms();
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT c.password_hash, c.user_agent, t.secret, t.last_step, {}
                       FROM login_challenges c
                       JOIN users u ON u.id = c.user_id AND u.password_hash = c.password_hash
                       JOIN totp t ON t.user_id = c.user_id AND t.confirmed_at_ms IS NOT NULL
                      WHERE c.token_hash = ?1 AND c.expires_at_ms > ?2
                        AND c.wrong_codes < ?3",
                    User::columns("u.")
                ),
                &[
                    Value::from(token.storage_hash()),
                    Value::Integer(now),
                    Value::Integer(CHALLENGE_WRONG_CODES),
                ],
            )
            .await
            .context("login: reading the challenge")?;
        let Some(row) = rows.first() else {
            return Err(invalid_challenge());
        };
        let mut columns = row.columns();
        let password_hash: String = columns.read()?;
        let user_agent: String = columns.read()?;
        let secret: String = columns.read()?;
        let last_step: i64 = columns.read()?;
        let user = User::read(&mut columns)?;
        self.take_code_attempt(&user.id).await?;

        if self
            .accept_code(&user.id, &secret, code, now, last_step)
            .await?
        {
            self.ports
                .sql
                .execute(
                    "DELETE FROM login_challenges WHERE token_hash = ?1",
                    &[Value::from(token.storage_hash())],
                )
                .await?;
            self.ports.limiter.reset(&code_key(&user.id)).await?;
            let signed = self
                .open_session(user, &user_agent, Some(&password_hash))
                .await?;
            self.audit(SecurityEvent::SignedIn, &signed.user.id).await;
            return Ok(signed);
        }
        self.ports
            .sql
            .execute(
                "UPDATE login_challenges SET wrong_codes = wrong_codes + 1 WHERE token_hash = ?1",
                &[Value::from(token.storage_hash())],
            )
            .await?;
        self.audit(SecurityEvent::SecondFactorFailed, &user.id)
            .await;
        Err(invalid_code())
    }

    /// Whether `code` is the authenticator's code for now (used once: the step is
    /// recorded) or an unused recovery code (deleted by its use).
    async fn accept_code(
        &self,
        user_id: &UserId,
        secret: &str,
        code: &str,
        now_ms: i64,
        last_step: i64,
    ) -> Result<bool> {
        if let Some(step) = matching_step(secret, code, now_ms, last_step)? {
            // Only if no other request took this step (or a later one) first.
            let took = self
                .ports
                .sql
                .query(
                    "UPDATE totp SET last_step = ?2 WHERE user_id = ?1 AND last_step < ?2
                     RETURNING 1",
                    &[Value::from(user_id), Value::Integer(step)],
                )
                .await?;
            return Ok(!took.is_empty());
        }
        let folded = fold_recovery_code(code);
        if folded.len() != 10 {
            return Ok(false);
        }
        let used = self
            .ports
            .sql
            .query(
                "DELETE FROM recovery_codes WHERE user_id = ?1 AND code_hash = ?2 RETURNING 1",
                &[Value::from(user_id), Value::from(sha256_hex(&folded))],
            )
            .await?;
        if !used.is_empty() {
            self.audit(SecurityEvent::RecoveryCodeUsed, user_id).await;
        }
        Ok(!used.is_empty())
    }

    /// Takes one of `user_id`'s code attempts (the login failure budget per user): six
    /// digits are a million guesses, so they are counted per account, wherever they
    /// come from.
    async fn take_code_attempt(&self, user_id: &UserId) -> Result<()> {
        let rate = Rate::per_window(
            self.ports.settings.login_failures_per_user,
            std::time::Duration::from_secs(15 * 60),
        );
        self.ports
            .limiter
            .acquire(&code_key(user_id), rate)
            .await?
            .into_result()
    }
}

/// The limiter key of a user's code attempts.
fn code_key(user_id: &UserId) -> String {
    format!("second-factor:user:{user_id}")
}
