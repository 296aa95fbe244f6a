//! Identifiers and secrets: the id newtypes that cross module borders ([`UserId`],
//! [`ConversationId`], [`MessageId`], [`AttachmentId`]), UUIDv7 for rows, random hex for private rooms and
//! tokens.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{
    Result,
    ports::{Clock, FromValue, Random, Value},
};

/// Declares an id newtype over its text: serialised as the bare string (today's JSON),
/// stored as TEXT, shown as itself. An id that arrives in a request is wrapped as it is,
/// not validated: it only ever names a row to look up, and one that names nothing is a
/// 404, exactly as before the ids were typed.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id spelled `raw` (a path segment, a stored column, a test's fixture).
            pub fn from_raw(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            /// A new id: a UUIDv7 from the injected clock and random source.
            pub fn generate(clock: &dyn Clock, random: &dyn Random) -> Result<Self> {
                uuid_v7(clock, random).map(Self)
            }

            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromValue for $name {
            fn from_value(value: &Value) -> std::result::Result<Self, String> {
                String::from_value(value).map(Self)
            }
        }

        impl From<&$name> for Value {
            fn from(id: &$name) -> Self {
                Value::Text(id.0.clone())
            }
        }

        impl From<$name> for Value {
            fn from(id: $name) -> Self {
                Value::Text(id.0)
            }
        }
    };
}

id_type!(
    /// A user (`users.id`): a UUIDv7.
    UserId
);
id_type!(
    /// A conversation (`conversations.id`): a UUIDv7, or 64 hex digits for a private room
    /// (its id is its link, so it must not be guessable).
    ConversationId
);
id_type!(
    /// A message (`messages.id`): a UUIDv7, so the outbox walks messages in time order.
    MessageId
);
id_type!(
    /// A file on a message (`attachments.id`, also its blob's key): a UUIDv7.
    AttachmentId
);

/// The ids of a `group_concat(user_id, ' ')` column (NULL when there are none).
pub(crate) fn spaced_user_ids(list: Option<String>) -> Vec<UserId> {
    list.unwrap_or_default()
        .split(' ')
        .filter(|id| !id.is_empty())
        .map(UserId::from_raw)
        .collect()
}

/// A new UUIDv7 (RFC 9562): 48-bit Unix milliseconds from the injected clock, then 74
/// bits from the injected random source (the `uuid` crate sets version and variant).
/// Sorting by the id sorts by creation time, which keeps SQLite's B-tree inserts at the
/// right edge, and lets the outbox walk messages in time order.
pub fn uuid_v7(clock: &dyn Clock, random: &dyn Random) -> Result<String> {
    let mut bytes = [0u8; 10];
    random.fill(&mut bytes)?;
    Ok(uuid_v7_from(clock.now_ms(), &bytes))
}

/// The smallest UUIDv7 of millisecond `ms` (all random bits zero): every id made at `ms`
/// or later sorts at or above it, every id made earlier below, as text too.
pub fn uuid_v7_floor(ms: i64) -> String {
    uuid_v7_from(ms, &[0u8; 10])
}

fn uuid_v7_from(ms: i64, random: &[u8; 10]) -> String {
    // Before 1970 is a broken clock: the epoch, rather than a panic.
    let ms = u64::try_from(ms).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, random)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// `bytes` random bytes as lower-case hex (64 hex characters for 32 bytes = 256 bits).
pub fn random_hex(random: &dyn Random, bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    random.fill(&mut buf)?;
    Ok(hex(&buf))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

#[cfg(test)]
mod tests;
