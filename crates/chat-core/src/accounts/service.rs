//! The account services behind the `auth` routes: sign up, log in, authenticate a token,
//! log out, change the password, list and revoke sessions.

use std::time::Duration;

use super::{
    DisplayName, Password, Session, SessionInfo, SessionToken, User, Username,
    password::{self, HashCost},
    sessions::is_live,
};
use crate::{
    Error, Ports, Result, ids,
    ports::{Rate, Value, Verdict},
    time::millis,
    time::rfc3339_ms,
};

/// `last_seen_at` is written at most this often per session.
const LAST_SEEN_GRANULARITY_MS: i64 = 60_000;
/// Failed logins are counted over this window.
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Signups are counted over this window.
const SIGNUP_WINDOW: Duration = Duration::from_secs(60 * 60);
/// Longest `User-Agent` kept with a session.
const MAX_USER_AGENT_CHARS: usize = 256;

/// A new session: the token is shown to the client exactly once.
#[derive(Debug)]
pub struct SignedIn {
    /// The user's own record.
    pub user: User,
    /// The bearer token (also the cookie value).
    pub token: SessionToken,
    /// The session's public id.
    pub session_id: String,
}

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
}

/// Account operations over the ports.
pub struct Accounts<'a> {
    ports: &'a Ports,
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect()
}

impl<'a> Accounts<'a> {
    /// Account operations over `ports`.
    pub fn new(ports: &'a Ports) -> Self {
        Accounts { ports }
    }

    fn cost(&self) -> HashCost {
        self.ports.settings.argon2
    }

    /// Takes a token from the deployment's one password-hash bucket before an Argon2
    /// hash or verification: at most `password_hashes_per_second` start per second, and
    /// no more than that many at once after a lull. A flood of logins (each already
    /// past its own per-address bucket) then waits outside as 503s instead of running
    /// hundreds of 19 MiB hashes together and starving every other request.
    async fn hash_slot(&self) -> Result<()> {
        let per_second = self.ports.settings.password_hashes_per_second;
        let rate = Rate::bucket(per_second, f64::from(per_second));
        match self.ports.limiter.acquire("argon2:all", rate).await? {
            Verdict::Allowed => Ok(()),
            Verdict::Limited { retry_after } => Err(Error::Overloaded { retry_after }),
        }
    }

    fn login_rates(&self) -> (Rate, Rate) {
        let s = &self.ports.settings;
        (
            Rate::per_window(s.login_failures_per_user, LOGIN_WINDOW),
            Rate::per_window(s.login_failures_per_ip, LOGIN_WINDOW),
        )
    }

    /// Creates an account and its first session. Throttled per client address.
    pub async fn signup(
        &self,
        username: &str,
        password: &str,
        display_name: Option<&str>,
        client: &str,
        user_agent: &str,
    ) -> Result<SignedIn> {
        let rate = Rate::per_window(self.ports.settings.signups_per_ip_per_hour, SIGNUP_WINDOW);
        self.ports
            .limiter
            .acquire(&format!("signup:ip:{client}"), rate)
            .await?
            .into_result()?;

        let username = Username::parse(username)?;
        let password = Password::parse(password, &username)?;
        let display_name = DisplayName::parse(display_name.unwrap_or(username.as_str()))?;
        self.hash_slot().await?;
        let hash = password::hash(password.expose(), self.cost(), self.ports.random.as_ref())?;
        let id = ids::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
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
            Some(row) => User::from_row(row, 0)?,
            None => {
                return Err(Error::conflict(
                    "username_taken",
                    "that username is already taken",
                ));
            }
        };
        self.open_session(user, user_agent, None).await
    }

    /// Checks a username and password and opens a session. Every attempt takes a token
    /// from two buckets before the password is looked at: one per (username, client
    /// address), so guessing from one place locks out that place only, never the owner
    /// elsewhere; and one per client address, for one place guessing many usernames.
    /// Taking first means parallel guesses cannot all pass a check made before any of them
    /// is counted. A success gives the (username, address) bucket back. Unknown users and
    /// wrong passwords fail alike, in about the same time.
    pub async fn login(&self, attempt: LoginAttempt<'_>) -> Result<SignedIn> {
        let (user_rate, ip_rate) = self.login_rates();
        let user_key = format!(
            "login:user:{}:{}",
            truncate(&attempt.username.to_lowercase(), 64),
            attempt.client
        );
        let ip_key = format!("login:ip:{}", attempt.client);
        self.ports
            .limiter
            .acquire(&user_key, user_rate)
            .await?
            .into_result()?;
        self.ports
            .limiter
            .acquire(&ip_key, ip_rate)
            .await?
            .into_result()?;

        let stored = match Username::parse(attempt.username) {
            Ok(username) => self.find_with_hash(&username).await?,
            Err(_) => None,
        };
        self.hash_slot().await?;
        let verified = match &stored {
            Some((_, hash)) => password::verify(attempt.password, hash)?,
            None => {
                password::spend_verification_time(attempt.password, self.cost());
                false
            }
        };
        let Some((user, mut hash)) = stored.filter(|_| verified) else {
            return Err(Error::InvalidCredentials);
        };
        self.ports.limiter.reset(&user_key).await?;
        // A rehash when the slots are gone waits for the next login: not worth a refusal.
        if password::needs_rehash(&hash, self.cost()) && self.hash_slot().await.is_ok() {
            let rehashed =
                password::hash(attempt.password, self.cost(), self.ports.random.as_ref())?;
            let changed = self
                .ports
                .sql
                .execute(
                    "UPDATE users SET password_hash = ?1 WHERE id = ?2 AND password_hash = ?3",
                    &[
                        Value::from(rehashed.as_str()),
                        Value::from(user.id.as_str()),
                        Value::from(hash.as_str()),
                    ],
                )
                .await?;
            if changed == 0 {
                // The password changed while this attempt was being checked.
                return Err(Error::InvalidCredentials);
            }
            hash = rehashed;
        }
        self.open_session(user, attempt.user_agent, Some(&hash))
            .await
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
            Some(row) => Ok(Some((User::from_row(row, 0)?, row.get(6)?))),
            None => Ok(None),
        }
    }

    /// Opens a session for `user`. With `verified_hash`, only while the user's password
    /// hash is still that one: a login that raced a password change (which revokes every
    /// other session) gets 401 instead of a session the change never saw.
    async fn open_session(
        &self,
        user: User,
        user_agent: &str,
        verified_hash: Option<&str>,
    ) -> Result<SignedIn> {
        let now = self.ports.clock.now_ms();
        let settings = &self.ports.settings;
        let token = SessionToken::generate(self.ports.random.as_ref())?;
        let session_id = ids::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        // Sweep this user's dead sessions while we are here: bounded by one user's rows.
        self.ports
            .sql
            .execute(
                "DELETE FROM sessions WHERE user_id = ?1
                   AND (expires_at_ms <= ?2 OR last_seen_at_ms <= ?2 - ?3)",
                &[
                    Value::from(user.id.as_str()),
                    Value::Integer(now),
                    Value::Integer(millis(settings.session_idle)),
                ],
            )
            .await?;
        let opened = self
            .ports
            .sql
            .execute(
                "INSERT INTO sessions
                   (id, user_id, token_hash, created_at_ms, last_seen_at_ms, expires_at_ms, user_agent)
                 SELECT ?1, u.id, ?3, ?4, ?4, ?5, ?6 FROM users u
                  WHERE u.id = ?2 AND (?7 IS NULL OR u.password_hash = ?7)",
                &[
                    Value::from(session_id.as_str()),
                    Value::from(user.id.as_str()),
                    Value::from(token.storage_hash()),
                    Value::Integer(now),
                    Value::Integer(now.saturating_add(millis(settings.session_max))),
                    Value::from(truncate(user_agent, MAX_USER_AGENT_CHARS)),
                    verified_hash.map_or(Value::Null, Value::from),
                ],
            )
            .await?;
        if opened == 0 {
            return Err(Error::InvalidCredentials);
        }
        Ok(SignedIn {
            user,
            token,
            session_id,
        })
    }

    /// The live session a token belongs to. Expired sessions are deleted on sight.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT s.id, s.last_seen_at_ms, s.expires_at_ms, {}
                     FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = ?1",
                    User::columns("u.")
                ),
                &[Value::from(token.storage_hash())],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Err(Error::Unauthenticated);
        };
        let id: String = row.get(0)?;
        let last_seen: i64 = row.get(1)?;
        let expires: i64 = row.get(2)?;
        let now = self.ports.clock.now_ms();
        if !is_live(
            now,
            last_seen,
            expires,
            millis(self.ports.settings.session_idle),
        ) {
            self.delete_session(&id).await?;
            return Err(Error::Unauthenticated);
        }
        if now - last_seen >= LAST_SEEN_GRANULARITY_MS {
            self.ports
                .sql
                .execute(
                    "UPDATE sessions SET last_seen_at_ms = ?1 WHERE id = ?2",
                    &[Value::Integer(now), Value::from(id.as_str())],
                )
                .await?;
        }
        Ok(Session {
            id,
            user: User::from_row(row, 3)?,
        })
    }

    async fn delete_session(&self, id: &str) -> Result<u64> {
        self.ports
            .sql
            .execute("DELETE FROM sessions WHERE id = ?1", &[Value::from(id)])
            .await
    }

    /// Revokes the session.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        self.delete_session(&session.id).await.map(drop)
    }

    /// Replaces the password after checking the current one, and revokes every other
    /// session of the user. Each attempt takes a token from the user's own bucket (at the
    /// login rate) before the current password is checked; a success gives it back. A
    /// stolen session can so guess the current password no faster than a login could.
    pub async fn change_password(&self, session: &Session, current: &str, new: &str) -> Result<()> {
        let (user_rate, _) = self.login_rates();
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
            return Err(Error::forbidden(
                "invalid_credentials",
                "the current password is wrong",
            ));
        }
        self.ports.limiter.reset(&user_key).await?;
        let new = Password::parse(new, &username)?;
        self.hash_slot().await?;
        let hash = password::hash(new.expose(), self.cost(), self.ports.random.as_ref())?;
        let mut tx = self.ports.sql.begin().await?;
        tx.execute(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            &[Value::from(hash), Value::from(session.user.id.as_str())],
        )
        .await?;
        tx.execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND id <> ?2",
            &[
                Value::from(session.user.id.as_str()),
                Value::from(session.id.as_str()),
            ],
        )
        .await?;
        tx.commit().await
    }

    /// The user's live sessions, most recently used first.
    pub async fn sessions(&self, session: &Session) -> Result<Vec<SessionInfo>> {
        let now = self.ports.clock.now_ms();
        let rows = self
            .ports
            .sql
            .query(
                "SELECT id, created_at_ms, last_seen_at_ms, user_agent FROM sessions
                 WHERE user_id = ?1 AND expires_at_ms > ?2 AND last_seen_at_ms > ?2 - ?3
                 ORDER BY last_seen_at_ms DESC, created_at_ms DESC",
                &[
                    Value::from(session.user.id.as_str()),
                    Value::Integer(now),
                    Value::Integer(millis(self.ports.settings.session_idle)),
                ],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.get(0)?;
                Ok(SessionInfo {
                    current: id == session.id,
                    id,
                    created_at: rfc3339_ms(row.get(1)?),
                    last_seen_at: rfc3339_ms(row.get(2)?),
                    user_agent: row.get(3)?,
                })
            })
            .collect()
    }

    /// Revokes one of the caller's own sessions; another user's or an unknown id is 404.
    pub async fn revoke(&self, session: &Session, id: &str) -> Result<()> {
        let deleted = self
            .ports
            .sql
            .execute(
                "DELETE FROM sessions WHERE id = ?1 AND user_id = ?2",
                &[Value::from(id), Value::from(session.user.id.as_str())],
            )
            .await?;
        if deleted == 0 {
            return Err(Error::NotFound { what: "session" });
        }
        Ok(())
    }
}
