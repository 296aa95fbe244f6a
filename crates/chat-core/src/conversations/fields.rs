//! Validated conversation inputs: room names, message bodies, client ids, history pages.

use crate::{Error, Result};

/// A public room's name: 1-32 characters of `[a-z0-9-]` (input is lower-cased first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

impl RoomName {
    /// Lower-cases and checks `raw`; `invalid_room_name` otherwise.
    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim().to_ascii_lowercase();
        let valid = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error::invalid(
                "invalid_room_name",
                "room name must be 1-32 characters: letters a-z, digits or '-'",
            ));
        }
        Ok(RoomName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A private room's id: 64 lower-case hex characters (256 bits from the CSPRNG).
pub fn is_private_room_id(raw: &str) -> bool {
    raw.len() == 64 && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A message body: 1-4000 characters after trimming; no control characters but `\n` and
/// `\t`. Stored trimmed.
pub fn parse_body(raw: &str) -> Result<String> {
    let body = raw.trim();
    let chars = body.chars().count();
    let clean = body
        .chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\t');
    if !(1..=4000).contains(&chars) || !clean {
        return Err(Error::invalid(
            "invalid_body",
            "message body must be 1-4000 characters, without control characters except newline and tab",
        ));
    }
    Ok(body.to_owned())
}

/// A client's idempotency key for a send: 1-64 visible ASCII characters.
pub fn parse_client_id(raw: &str) -> Result<String> {
    let valid = (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if !valid {
        return Err(Error::invalid(
            "invalid_client_id",
            "client_id must be 1-64 visible ASCII characters",
        ));
    }
    Ok(raw.to_owned())
}

/// Which page of history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryPage {
    /// Only messages with a smaller seq; `None` = the newest.
    pub before_seq: Option<i64>,
    /// How many, 1-100.
    pub limit: i64,
}

impl HistoryPage {
    /// Default page size.
    pub const DEFAULT_LIMIT: i64 = 50;

    /// From the raw query values: `limit` 1-100 (default 50), `before_seq` a positive
    /// integer; anything else (0, 101, -1, text) is a 400.
    pub fn parse(before_seq: Option<&str>, limit: Option<&str>) -> Result<Self> {
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "invalid_limit",
                        "limit must be a whole number from 1 to 100",
                    ));
                }
            },
        };
        let before_seq = match before_seq {
            None => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(Error::invalid(
                        "invalid_before_seq",
                        "before_seq must be a whole number of at least 1",
                    ));
                }
            },
        };
        Ok(HistoryPage { before_seq, limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_lower_cased_and_limited() {
        assert_eq!(
            RoomName::parse("Lobby-2").expect("valid").as_str(),
            "lobby-2"
        );
        for bad in ["", "has space", "under_score", &"a".repeat(33), "émoji"] {
            assert!(RoomName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn private_room_ids_are_64_hex() {
        assert!(is_private_room_id(&"ab".repeat(32)));
        assert!(!is_private_room_id(&"AB".repeat(32)));
        assert!(!is_private_room_id("lobby"));
    }

    #[test]
    fn bodies_are_trimmed_and_limited() {
        assert_eq!(parse_body("  hi\n\tthere  ").expect("valid"), "hi\n\tthere");
        assert!(parse_body(&"é".repeat(4000)).is_ok());
        for bad in ["", "   ", &"x".repeat(4001), "bell\u{7}", "nul\u{0}"] {
            assert!(parse_body(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn client_ids_are_short_visible_ascii() {
        assert!(parse_client_id("0199a7b2-5e4f-7c3d").is_ok());
        for bad in ["", " ", "with space", &"x".repeat(65), "ü"] {
            assert!(parse_client_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn history_pages_accept_only_sane_limits_and_cursors() {
        assert_eq!(
            HistoryPage::parse(None, None).expect("default"),
            HistoryPage {
                before_seq: None,
                limit: 50
            }
        );
        assert_eq!(
            HistoryPage::parse(Some("7"), Some("100"))
                .expect("ok")
                .limit,
            100
        );
        for limit in ["0", "101", "-1", "ten", "", "1.5"] {
            assert!(HistoryPage::parse(None, Some(limit)).is_err(), "{limit:?}");
        }
        for before in ["0", "-3", "x", ""] {
            assert!(
                HistoryPage::parse(Some(before), None).is_err(),
                "{before:?}"
            );
        }
    }
}
