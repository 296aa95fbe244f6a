//! Credentials: sign up, log in and change the password (Argon2id, throttled before any
//! hash). The session half of [`Accounts`] (open, authenticate, list, revoke) is in
//! `sessions.rs`.

use std::time::Duration;

use super::{
    DisplayName, LoginOutcome, Password, Session, SignedIn, User, Username,
    password::{self, HashCost},
};
use crate::{
    Error, Ports, Result,
    audit::{self, Origin, SecurityEvent},
    ids::UserId,
    ports::{Rate, Value},
    throttle,
};

/// Failed logins are counted over this window.
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// An account's failure bucket across all addresses holds this many times one address's.
const ACCOUNT_BUCKET_TIMES: u32 = 5;
/// Signups are counted over this window.
const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);

/// A login as submitted.
#[derive(Debug, Clone, Copy)]
pub struct LoginAttempt<'a> {
    /// As typed; not validated, so a malformed name fails like a wrong one.
    pub username: &'a str,
    /// As typed.
    pub password: &'a str,
    /// The client's address, for throttling.
    pub client: &'a str,
    /// The client's `User-Agent`, kept with the session.
    pub user_agent: &'a str,
    /// The device token the client holds from an earlier sign-in, if any (`devices.rs`).
    pub device: Option<&'a str>,
}

/// A signup as submitted: named fields, so an address and a user agent cannot be swapped.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    /// As typed (validated as [`Username`]).
    pub username: &'a str,
    /// As typed (validated as [`Password`]).
    pub password: &'a str,
    /// The name shown; the username when none is given.
    pub display_name: Option<&'a str>,
    /// The client's address, for throttling.
    pub client: &'a str,
    /// The client's `User-Agent`, kept with the first session.
    pub user_agent: &'a str,
}

/// Account operations over the ports, on behalf of a client ([`Accounts::from`]) whose
/// address and browser the audit trail records.
pub struct Accounts<'a> {
    pub(super) ports: &'a Ports,
    pub(super) origin: Origin<'a>,
}

pub(super) fn truncate(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

impl<'a> Accounts<'a> {
    /// Account operations over `ports`.
    pub fn new(ports: &'a Ports) -> Self {
        Accounts {
            ports,
            origin: Origin::default(),
        }
    }

    /// The same, on behalf of the client at `origin` (recorded with security events).
    pub fn from(self, origin: Origin<'a>) -> Self {
        Accounts { origin, ..self }
    }

    /// Records `event` for `user_id` in the audit trail, from this client.
    pub(super) async fn audit(&self, event: SecurityEvent, user_id: &UserId) {
        audit::record(self.ports, event, user_id, self.origin).await;
    }

    fn cost(&self) -> HashCost {
        self.ports.settings.argon2
    }

    /// Takes a token from the deployment's one password-hash bucket before an Argon2
    /// hash or verification: at most `password_hashes_per_second` start per second, and
    /// no more than that many at once after a lull. A flood of logins (each already
    /// past its own per-address bucket) then waits outside as 503s instead of running
    /// hundreds of 19 MiB hashes together and starving every other request.
    pub(super) async fn hash_slot(&self) -> Result<()> {
        self.hash_slot_for(false).await
    }

    /// Failed logins one (username, address) pair may have per window.
    fn user_rate(&self) -> Rate {
        Rate::per_window(self.ports.settings.login_failures_per_user, LOGIN_WINDOW)
    }

    /// Creates an account and its first session. Throttled per client address.
    pub async fn signup(&self, account: NewAccount<'_>) -> Result<SignedIn> {
        let NewAccount {
            username,
            password,
            display_name,
            client,
            user_agent,
        } = account;
        // The address, and for IPv6 its /56 and /48 too, at 4 and 16 times the allowance.
        for (bucket, times) in throttle::address_buckets(client) {
            let rate = Rate::per_window(
                self.ports
                    .settings
                    .signups_per_ip_per_hour
                    .saturating_mul(times),
                SIGNUP_WINDOW,
            );
            self.ports
                .limiter
                .acquire(&format!("signup:ip:{bucket}"), rate)
                .await?
                .into_result()?;
        }

        let username = Username::parse(username)?;
        let password = Password::parse(password, &username)?;
        let display_name = DisplayName::parse(display_name.unwrap_or(username.as_str()))?;
        self.hash_slot().await?;
        let hash = password::hash(password.expose(), self.cost(), self.ports.random.as_ref())?;
        let id = UserId::from_raw(crate::ports::uuid_v7(
            self.ports.clock.as_ref(),
            self.ports.random.as_ref(),
        )?);
        // The unique index decides races: no check-then-insert.
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "INSERT INTO users
                       (id, username, display_name, display_name_key, password_hash, created_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (username) DO NOTHING
                     RETURNING {}",
                    User::columns("")
                ),
                &[
                    Value::from(id),
                    Value::from(username.as_str()),
                    Value::from(display_name.as_str()),
                    Value::from(display_name.search_key()),
                    Value::from(hash),
                    Value::Integer(self.ports.clock.now_ms()),
                ],
            )
            .await?;
        let user = match rows.first() {
            Some(row) => User::read(&mut row.columns())?,
            None => {
                return Err(Error::conflict(
                    "username_taken",
                    "that username is already taken",
                ));
            }
        };
        let signed = self.open_session(user, user_agent, None).await?;
        self.audit(SecurityEvent::SignedUp, &signed.user.id).await;
        Ok(signed)
    }

    /// Checks a username and password and opens a session. Every attempt takes a token
    /// from two buckets before the password is looked at: one per (username, client
    /// address), so guessing from one place locks out that place only, never the owner
    /// elsewhere; and one per client address, for one place guessing many usernames.
    /// Taking first means parallel guesses cannot all pass a check made before any of them
    /// is counted. A success gives the (username, address) bucket back. Unknown users and
    /// wrong passwords fail alike, in about the same time.
    /// With an authenticator set up, the right password opens a challenge for its code
    /// instead of a session ([`LoginOutcome::SecondFactorRequired`]).
    pub async fn login(&self, attempt: LoginAttempt<'_>) -> Result<LoginOutcome> {
        let user_rate = self.user_rate();
        let settings = &self.ports.settings;
        let username = Username::parse(attempt.username).ok();
        let trusted = self
            .device_trusted_for(attempt.device, username.as_ref())
            .await?;
        let account = truncate(&attempt.username.to_lowercase(), 64);
        let user_key = format!("login:user:{account}:{}", attempt.client);
        let account_key = format!("login:account:{account}");
        let mut buckets = vec![(user_key.clone(), user_rate)];
        for (bucket, times) in throttle::address_buckets(attempt.client) {
            let rate = Rate::per_window(
                settings.login_failures_per_ip.saturating_mul(times),
                LOGIN_WINDOW,
            );
            buckets.push((format!("login:ip:{bucket}"), rate));
        }
        // Guesses at one account from anywhere, bounded; its owner's browsers skip it, so
        // nobody can lock them out by spending it.
        if !trusted {
            let rate = Rate::per_window(
                settings
                    .login_failures_per_user
                    .saturating_mul(ACCOUNT_BUCKET_TIMES),
                LOGIN_WINDOW,
            );
            buckets.push((account_key.clone(), rate));
        }
        for (key, rate) in &buckets {
            if let Err(e) = self.ports.limiter.acquire(key, *rate).await?.into_result() {
                audit::log_unowned("sign_in_throttled", self.origin, key);
                return Err(e);
            }
        }

        let stored = match &username {
            Some(username) => self.find_with_hash(username).await?,
            None => None,
        };
        self.hash_slot_for(trusted).await?;
        let verified = match &stored {
            Some((_, hash)) => password::verify(attempt.password, hash)?,
            None => {
                password::spend_verification_time(attempt.password, self.cost());
                false
            }
        };
        let Some((user, mut hash)) = stored.as_ref().filter(|_| verified).cloned() else {
            match &stored {
                Some((user, _)) => self.audit(SecurityEvent::SignInFailed, &user.id).await,
                None => audit::log_unowned("sign_in_unknown_user", self.origin, ""),
            }
            return Err(Error::InvalidCredentials);
        };
        self.ports.limiter.reset(&user_key).await?;
        self.ports.limiter.reset(&account_key).await?;
        // A rehash when the slots are gone waits for the next login: not worth a refusal.
        if password::needs_rehash(&hash, self.cost()) && self.hash_slot().await.is_ok() {
            let rehashed =
                password::hash(attempt.password, self.cost(), self.ports.random.as_ref())?;
            let changed = self
                .ports
                .sql
                .query(
                    "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3
                     RETURNING 1",
                    &[
                        Value::from(rehashed.as_str()),
                        Value::from(&user.id),
                        Value::from(hash.as_str()),
                    ],
                )
                .await?;
            if changed.is_empty() {
                // The password changed while this attempt was being checked.
                return Err(Error::InvalidCredentials);
            }
            hash = rehashed;
        }
        if self.totp_confirmed(&user.id).await? {
            self.audit(SecurityEvent::SecondFactorAsked, &user.id).await;
            return self.open_challenge(&user, &hash, attempt.user_agent).await;
        }
        let signed = self
            .open_session(user, attempt.user_agent, Some(&hash))
            .await?;
        self.audit(SecurityEvent::SignedIn, &signed.user.id).await;
        Ok(LoginOutcome::SignedIn(signed))
    }

    async fn find_with_hash(&self, username: &Username) -> Result<Option<(User, String)>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {}, u.password_hash FROM users u WHERE u.username = ?1",
                    User::columns("u.")
                ),
                &[Value::from(username.as_str())],
            )
            .await?;
        match rows.first() {
            Some(row) => {
                let mut columns = row.columns();
                Ok(Some((User::read(&mut columns)?, columns.read()?)))
            }
            None => Ok(None),
        }
    }

    /// Checks the caller's current password, before a change to how they sign in. Each
    /// attempt takes a token from the user's own bucket (at the login rate) before the
    /// password is checked; a success gives it back. A stolen session can so guess the
    /// password no faster than a login could. 403 `invalid_credentials` when wrong.
    pub(super) async fn check_current_password(
        &self,
        session: &Session,
        current: &str,
    ) -> Result<()> {
        let user_rate = self.user_rate();
        let user_key = format!("password:user:{}", session.user.id);
        self.ports
            .limiter
            .acquire(&user_key, user_rate)
            .await?
            .into_result()?;
        let username = Username::parse(&session.user.username)?;
        let Some((_, stored)) = self.find_with_hash(&username).await? else {
            return Err(Error::Unauthenticated);
        };
        self.hash_slot().await?;
        if !password::verify(current, &stored)? {
            self.audit(SecurityEvent::PasswordCheckFailed, &session.user.id)
                .await;
            return Err(Error::forbidden(
                "invalid_credentials",
                "the current password is wrong",
            ));
        }
        self.ports.limiter.reset(&user_key).await
    }

    /// Replaces the password after checking the current one, and revokes every other
    /// session of the user.
    pub async fn change_password(&self, session: &Session, current: &str, new: &str) -> Result<()> {
        self.check_current_password(session, current).await?;
        let username = Username::parse(&session.user.username)?;
        let new = Password::parse(new, &username)?;
        self.hash_slot().await?;
        let hash = password::hash(new.expose(), self.cost(), self.ports.random.as_ref())?;
        let mut tx = self.ports.sql.begin().await?;
        tx.execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            &[Value::from(hash), Value::from(&session.user.id)],
        )
        .await?;
        let ended = tx
            .query(
                "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2 RETURNING id",
                &[
                    Value::from(&session.user.id),
                    Value::from(session.id.as_str()),
                ],
            )
            .await?;
        tx.commit().await?;
        let ended = ended
            .iter()
            .map(|row| row.get::<String>(0))
            .collect::<Result<Vec<_>>>()?;
        self.audit(SecurityEvent::PasswordChanged, &session.user.id)
            .await;
        self.announce_ended(&session.user.id, &ended).await
    }
}
