//! Sessions: tokens of 256 random bits shown to the client once, stored only as their
//! SHA-256 (a copy of the database holds no usable token), and the session half of the
//! account services: open, authenticate, log out, list, revoke.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Accounts, User, credentials::truncate};
use crate::{
    Error, Result, ResultExt,
    audit::SecurityEvent,
    delivery::outbox,
    ids::{self, UserId},
    ports::{Columns, Random, Value},
    time::{millis, rfc3339_ms},
    vocabulary::Event,
};

/// A bearer token as the client holds it: 64 lower-case hex characters.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

impl SessionToken {
    /// A new token from the CSPRNG.
    pub fn generate(random: &dyn Random) -> Result<Self> {
        crate::ports::random_hex(random, 32).map(SessionToken)
    }

    /// A token presented by a client, if it has the right shape. Anything else cannot be a
    /// token we issued, so it is rejected before touching the database.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed =
            raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| SessionToken(raw.to_owned()))
    }

    /// The text to hand to the client.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores: hex SHA-256 of the token. A fast hash is right here: the
    /// token has 256 bits of entropy, so there is nothing to brute-force.
    pub fn storage_hash(&self) -> String {
        ids::hex(&Sha256::digest(self.0.as_bytes()))
    }
}

/// An authenticated request's session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The session's public id.
    pub id: String,
    /// Its user, as stored.
    pub user: User,
}

/// One of a user's sessions, as `GET /api/auth/sessions` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SessionInfo {
    /// Public id (not the token).
    pub id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, refreshed at most once a minute.
    pub last_seen_at: String,
    /// The `User-Agent` that created it.
    pub user_agent: String,
    /// True for the session making the request.
    pub current: bool,
}

/// True while a session is neither idle too long nor past its absolute expiry.
pub(crate) fn is_live(now_ms: i64, last_seen_ms: i64, expires_ms: i64, idle_ms: i64) -> bool {
    now_ms < expires_ms && now_ms - last_seen_ms < idle_ms
}

/// `last_seen_at` is written at most this often per session.
const LAST_SEEN_GRANULARITY_MS: i64 = 60_000;
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
    /// A new device token for the client to keep (`devices.rs`): a browser's cookie.
    pub device: SessionToken,
}

/// What [`Accounts::end_credential`] ends.
#[derive(Debug, Clone, Copy)]
pub(super) enum Credential {
    /// A signed-in session.
    Session,
    /// A named API token.
    ApiToken,
}

/// The session half of the account services: open, authenticate, log out, list, revoke.
impl Accounts<'_> {
    /// Opens a session for `user`. With `verified_hash`, only while the user's password
    /// hash is still that one: a login that raced a password change (which revokes every
    /// other session) gets 401 instead of a session the change never saw.
    pub(super) async fn open_session(
        &self,
        user: User,
        user_agent: &str,
        verified_hash: Option<&str>,
    ) -> Result<SignedIn> {
        let now = self.ports.clock.now_ms();
        let settings = &self.ports.settings;
        let token = SessionToken::generate(self.ports.random.as_ref())?;
        let session_id =
            crate::ports::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        // Sweep this user's dead sessions while we are here: bounded by one user's rows.
        self.ports
            .sql
            .execute(
                "DELETE FROM sessions WHERE user_id = ?1
                   AND (expires_at_ms <= ?2 OR last_seen_at_ms <= ?2 - ?3)",
                &[
                    Value::from(&user.id),
                    Value::Integer(now),
                    Value::Integer(millis(settings.session_idle)),
                ],
            )
            .await?;
        let opened = self
            .ports
            .sql
            .query(
                "INSERT INTO sessions
                   (id, user_id, token_hash, created_at_ms, last_seen_at_ms, expires_at_ms, user_agent)
                 SELECT ?1, u.id, ?3, ?4, ?4, ?5, ?6 FROM users u
                  WHERE u.id = ?2 AND (?7 IS NULL OR u.password_hash = ?7)
                 RETURNING 1",
                &[
                    Value::from(session_id.as_str()),
                    Value::from(&user.id),
                    Value::from(token.storage_hash()),
                    Value::Integer(now),
                    Value::Integer(now.saturating_add(millis(settings.session_max))),
                    Value::from(truncate(user_agent, MAX_USER_AGENT_CHARS)),
                    verified_hash.map_or(Value::Null, Value::from),
                ],
            )
            .await?;
        if opened.is_empty() {
            return Err(Error::InvalidCredentials);
        }
        let device = self.issue_device(&user.id).await?;
        Ok(SignedIn {
            user,
            token,
            session_id,
            device,
        })
    }

    /// The live session a token belongs to. Expired sessions are deleted on sight. The
    /// same statement as [`Accounts::authenticate_reporting_schema`], whose version read
    /// (of the database header, no table) costs nothing worth a second spelling.
    pub async fn authenticate(&self, token: &SessionToken) -> Result<Session> {
        self.authenticate_reporting_schema(token).await?.1
    }

    /// [`Accounts::authenticate`] and the schema check of
    /// [`crate::migrations::current_version`] in one statement: the version the database
    /// is at, and what authenticating found. A request that authenticates first thing
    /// then sends one statement instead of two (on a libSQL server, one HTTP round trip
    /// less). The caller trusts the session only when the version is current; a database
    /// too old to have the tables fails the statement instead.
    pub async fn authenticate_reporting_schema(
        &self,
        token: &SessionToken,
    ) -> Result<(i64, Result<Session>)> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT v.user_version, s.id, s.last_seen_at_ms, s.expires_at_ms, {}, s.api
                     FROM pragma_user_version AS v
                     LEFT JOIN (SELECT id, user_id, last_seen_at_ms, expires_at_ms, 0 AS api
                                  FROM sessions WHERE token_hash = ?1
                                UNION ALL
                                SELECT id, user_id, last_used_at_ms, expires_at_ms, 1
                                  FROM api_tokens WHERE token_hash = ?1) s ON 1
                     LEFT JOIN users u ON u.id = s.user_id",
                    User::columns("u.")
                ),
                &[Value::from(token.storage_hash())],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| Error::Data("pragma_user_version returned no row".into()))?;
        let mut columns = row.columns();
        let version: i64 = columns.read()?;
        let session = if columns.next_is_null() {
            Err(Error::Unauthenticated)
        } else {
            self.live_session(&mut columns).await
        };
        Ok((version, session))
    }

    /// The session of the columns `id, last_seen_at_ms, expires_at_ms, user columns...,
    /// api`, if it is still live; deleted on sight if not, and its last-seen time moved on
    /// at most once a minute. An API token (`api` = 1) never idles out; it only expires.
    async fn live_session(&self, columns: &mut Columns<'_>) -> Result<Session> {
        let id: String = columns.read()?;
        let last_seen: i64 = columns.read()?;
        let expires: i64 = columns.read()?;
        let user = User::read(columns)?;
        let api: bool = columns.read()?;
        let now = self.ports.clock.now_ms();
        let idle = if api {
            i64::MAX
        } else {
            millis(self.ports.settings.session_idle)
        };
        if !is_live(now, last_seen, expires, idle) {
            self.delete_session(&id).await?;
            return Err(Error::Unauthenticated);
        }
        if now - last_seen >= LAST_SEEN_GRANULARITY_MS {
            let table = if api {
                "api_tokens SET last_used_at_ms"
            } else {
                "sessions SET last_seen_at_ms"
            };
            self.ports
                .sql
                .execute(
                    &format!("UPDATE {table} = ?1 WHERE id = ?2"),
                    &[Value::Integer(now), Value::from(id.as_str())],
                )
                .await?;
        }
        Ok(Session { id, user })
    }

    pub(super) async fn delete_session(&self, id: &str) -> Result<()> {
        self.ports
            .sql
            .execute("DELETE FROM sessions WHERE id = ?1", &[Value::from(id)])
            .await?;
        self.ports
            .sql
            .execute("DELETE FROM api_tokens WHERE id = ?1", &[Value::from(id)])
            .await
    }

    /// Revokes the session.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        self.delete_session(&session.id).await?;
        self.audit(SecurityEvent::SignedOut, &session.user.id).await;
        self.announce_ended(&session.user.id, std::slice::from_ref(&session.id))
            .await
    }

    /// Tells the user's streams that these sessions are over: each session's own streams
    /// end on it within moments instead of running to their natural end (ASVS 3.3.1, 7.4.1),
    /// and the others (the settings' list of sessions) learn of it. Durable, through the
    /// outbox: a bus down now delivers it in a later round.
    pub(super) async fn announce_ended(
        &self,
        user_id: &UserId,
        session_ids: &[String],
    ) -> Result<()> {
        for id in session_ids {
            outbox::deliver(
                self.ports,
                std::slice::from_ref(user_id),
                Event::session_ended(id),
            )
            .await
            .context("announcing an ended session")?;
        }
        Ok(())
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
                    Value::from(&session.user.id),
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
        self.end_credential(session, id, Credential::Session).await
    }

    /// Ends one of the caller's own sessions or API tokens: deleted, recorded in the audit
    /// trail, and its open streams told (`session_ended`). Another user's or an unknown id
    /// is 404 (`what` of the credential).
    pub(super) async fn end_credential(
        &self,
        session: &Session,
        id: &str,
        credential: Credential,
    ) -> Result<()> {
        let (table, what, event) = match credential {
            Credential::Session => ("sessions", "session", SecurityEvent::SessionRevoked),
            Credential::ApiToken => ("api_tokens", "token", SecurityEvent::ApiTokenRevoked),
        };
        let deleted = self
            .ports
            .sql
            .query(
                &format!("DELETE FROM {table} WHERE id = ?1 AND user_id = ?2 RETURNING 1"),
                &[Value::from(id), Value::from(&session.user.id)],
            )
            .await
            .context("revoking")?;
        if deleted.is_empty() {
            return Err(Error::NotFound { what });
        }
        self.audit(event, &session.user.id).await;
        self.announce_ended(&session.user.id, &[id.to_owned()])
            .await
    }
}

#[cfg(test)]
mod tests;
