//! Session tokens: 256 random bits shown to the client once, stored only as their SHA-256,
//! so a copy of the database holds no usable token.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::User;
use crate::{Result, ids, ports::Random};

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
        ids::random_hex(random, 32).map(SessionToken)
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SeededRandom;

    #[test]
    fn tokens_carry_256_bits_as_hex_and_parse_back() {
        let token = SessionToken::generate(&SeededRandom::new(9)).expect("token");
        assert_eq!(token.expose().len(), 64);
        assert_eq!(SessionToken::parse(token.expose()), Some(token));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in ["", "abc", &"g".repeat(64), &"A".repeat(64), &"a".repeat(65)] {
            assert!(SessionToken::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_stored_hash_is_not_the_token() {
        let token = SessionToken::generate(&SeededRandom::new(4)).expect("token");
        let stored = token.storage_hash();
        assert_eq!(stored.len(), 64);
        assert_ne!(stored, token.expose());
        assert!(!format!("{token:?}").contains(token.expose()));
    }

    #[test]
    fn sessions_die_when_idle_or_past_their_expiry() {
        let idle = 1_000;
        assert!(is_live(5_000, 4_500, 10_000, idle));
        assert!(
            !is_live(5_000, 4_000, 10_000, idle),
            "idle for exactly the limit"
        );
        assert!(
            !is_live(10_000, 9_999, 10_000, idle),
            "absolute expiry even when active"
        );
    }
}
