//! Identifiers and secrets: the id newtypes that cross module borders ([`UserId`],
//! [`ConversationId`], [`MessageId`], [`AttachmentId`]), the UUIDv7 layout, and hex. Below
//! the ports: a new id's random bits come from `ports::random`, its SQL form from
//! `ports::sql`.

use std::fmt;

use serde::{Deserialize, Serialize};

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

            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
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

/// The smallest UUIDv7 of millisecond `ms` (all random bits zero): every id made at `ms`
/// or later sorts at or above it, every id made earlier below, as text too.
pub fn uuid_v7_floor(ms: i64) -> String {
    uuid_v7_from(ms, &[0u8; 10])
}

/// The UUIDv7 of millisecond `ms` with these 74 random bits (version and variant set).
pub(crate) fn uuid_v7_from(ms: i64, random: &[u8; 10]) -> String {
    // Before 1970 is a broken clock: the epoch, rather than a panic.
    let ms = u64::try_from(ms).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(ms, random)
        .into_uuid()
        .hyphenated()
        .to_string()
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
