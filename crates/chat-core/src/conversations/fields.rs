//! Validated conversation inputs: room names, titles and topics, message bodies, client
//! ids, history and directory pages.

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

/// One line of text a person chose: trimmed, `1..=max` characters, no control characters
/// (so no line breaks) and no bidi overrides or zero-width characters, which could make it
/// read as something else than it is. `None` when it was empty (a field being cleared).
fn one_line(raw: &str, max: usize, code: &'static str, what: &str) -> Result<Option<String>> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > max || crate::text::is_deceptive(text) {
        return Err(Error::invalid(
            code,
            format!(
                "{what} must be at most {max} characters on one line, without control or invisible formatting characters"
            ),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A private room's title: up to 64 characters on one line (`invalid_title`); empty
/// clears it.
pub fn parse_room_title(raw: &str) -> Result<Option<String>> {
    one_line(raw, 64, "invalid_title", "a room title")
}

/// A room's topic: up to 200 characters on one line (`invalid_topic`); empty clears it.
pub fn parse_room_topic(raw: &str) -> Result<Option<String>> {
    one_line(raw, 200, "invalid_topic", "a topic")
}

/// Why a member reports a message: 1-500 characters on one line (`invalid_reason`).
pub fn parse_report_reason(raw: &str) -> Result<String> {
    one_line(raw, 500, "invalid_reason", "a reason")?
        .ok_or_else(|| Error::invalid("invalid_reason", "say why the message is reported"))
}

/// Why a moderator bans someone: up to 200 characters on one line (`invalid_reason`),
/// empty when they give none.
pub fn parse_ban_reason(raw: &str) -> Result<String> {
    Ok(one_line(raw, 200, "invalid_reason", "a reason")?.unwrap_or_default())
}

/// Which part of the room directory to read: `q` (up to 64 characters, matched within
/// names and topics), `limit` 1-100 (default 50), `offset` 0-10,000.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryPage {
    /// Lower-cased search text; empty lists every public room.
    pub query: String,
    /// How many rooms.
    pub limit: i64,
    /// How many to skip.
    pub offset: i64,
}

impl DirectoryPage {
    /// From the raw query values (400 `invalid_query`, `invalid_limit`, `invalid_offset`).
    pub fn parse(query: Option<&str>, limit: Option<&str>, offset: Option<&str>) -> Result<Self> {
        let query = query.unwrap_or("").trim().to_lowercase();
        if query.chars().count() > 64 || query.chars().any(char::is_control) {
            return Err(Error::invalid(
                "invalid_query",
                "q must be at most 64 characters, without control characters",
            ));
        }
        Ok(DirectoryPage {
            query,
            limit: page_limit(limit)?,
            offset: query_number(
                offset,
                0,
                0..=10_000,
                "invalid_offset",
                "offset must be a whole number from 0 to 10000",
            )?,
        })
    }
}

/// How many different people one message can mention.
pub const MENTIONS_MAX: usize = 20;

/// The usernames `body` mentions: `@` at the start or after a character that cannot be in
/// a username (so `ann@example.org` mentions nobody), then a username's 3-32 characters,
/// lower-cased, each once, in order, at most [`MENTIONS_MAX`].
pub fn mentioned_usernames(body: &str) -> Vec<String> {
    let in_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in body.char_indices() {
        let starts = c == '@' && !previous.is_some_and(in_name);
        previous = Some(c);
        if !starts {
            continue;
        }
        let name: String = body[at + 1..].chars().take_while(|&c| in_name(c)).collect();
        if (3..=32).contains(&name.len()) {
            let name = name.to_ascii_lowercase();
            if !found.contains(&name) && found.len() < MENTIONS_MAX {
                found.push(name);
            }
        }
    }
    found
}

/// A reaction: exactly one emoji of the Unicode emoji list (skin tones included), in its
/// fully-qualified form, so "❤" and "❤️" count as one; `invalid_emoji` otherwise.
pub fn parse_reaction(raw: &str) -> Result<String> {
    emojis::get(raw)
        .map(|e| e.as_str().to_owned())
        .ok_or_else(|| Error::invalid("invalid_emoji", "a reaction is exactly one emoji"))
}

/// A whole number from a query string: `default` when absent, else one in `range`; 400
/// `code` saying `rule` otherwise (text, fractions and anything out of range alike).
fn query_number(
    raw: Option<&str>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    code: &'static str,
    rule: &str,
) -> Result<i64> {
    match raw {
        None => Ok(default),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(Error::invalid(code, rule.to_owned())),
        },
    }
}

/// A page's `limit`: 1-100, default [`HistoryPage::DEFAULT_LIMIT`] (history and directory
/// alike).
fn page_limit(raw: Option<&str>) -> Result<i64> {
    query_number(
        raw,
        HistoryPage::DEFAULT_LIMIT,
        1..=100,
        "invalid_limit",
        "limit must be a whole number from 1 to 100",
    )
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
        let limit = page_limit(limit)?;
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
    fn titles_and_topics_are_one_clean_line_and_empty_clears() {
        assert_eq!(
            parse_room_title("  Book club ").expect("valid"),
            Some("Book club".to_owned())
        );
        assert_eq!(parse_room_title("   ").expect("clears"), None);
        assert!(parse_room_title(&"é".repeat(64)).is_ok());
        assert!(parse_room_topic(&"t".repeat(200)).is_ok());
        for bad in [
            "two\nlines",
            "tab\there",
            "rtl\u{202E}override",
            "zero\u{200B}width",
            &"x".repeat(65),
        ] {
            assert!(parse_room_title(bad).is_err(), "{bad:?}");
        }
        assert!(parse_room_topic(&"x".repeat(201)).is_err());
    }

    #[test]
    fn directory_pages_accept_only_sane_values() {
        let page = DirectoryPage::parse(Some(" Rust "), None, None).expect("valid");
        assert_eq!(
            page,
            DirectoryPage {
                query: "rust".to_owned(),
                limit: 50,
                offset: 0
            }
        );
        assert!(DirectoryPage::parse(None, Some("100"), Some("10000")).is_ok());
        assert!(DirectoryPage::parse(Some(&"q".repeat(65)), None, None).is_err());
        for limit in ["0", "101", "x"] {
            assert!(
                DirectoryPage::parse(None, Some(limit), None).is_err(),
                "{limit:?}"
            );
        }
        for offset in ["-1", "10001", "y"] {
            assert!(
                DirectoryPage::parse(None, None, Some(offset)).is_err(),
                "{offset:?}"
            );
        }
    }

    #[test]
    fn mentions_are_usernames_after_an_at_sign_that_starts_a_word() {
        assert_eq!(
            mentioned_usernames("@Ann and @bob_2, ask @ann again (@cat-x)"),
            ["ann", "bob_2", "cat-x"]
        );
        for none in [
            "mail ann@example.org",
            "@ab is short",
            "@ alone",
            "no at all",
            "@",
        ] {
            assert!(mentioned_usernames(none).is_empty(), "{none:?}");
        }
        let many: String = (0..30).map(|i| format!("@user{i:02} ")).collect();
        assert_eq!(mentioned_usernames(&many).len(), MENTIONS_MAX);
        assert_eq!(
            mentioned_usernames("é@ann"),
            ["ann"],
            "only ASCII is a username's"
        );
    }

    #[test]
    fn a_reaction_is_one_emoji_in_its_qualified_form() {
        for ok in ["👍", "👍🏽", "❤️", "👩‍💻", "🇫🇷", "1️⃣"] {
            assert_eq!(parse_reaction(ok).expect(ok), ok);
        }
        assert_eq!(parse_reaction("❤").expect("unqualified"), "❤️");
        for bad in ["", "a", "👍👍", "👍 ", ":+1:", "<b>", "\u{200D}"] {
            assert!(parse_reaction(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_emoji_the_page_offers_is_a_reaction_the_server_takes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../static/emoji-data.js");
        let script = std::fs::read_to_string(path).expect("static/emoji-data.js");
        let json = script
            .split_once("EMOJI_GROUPS = ")
            .and_then(|(_, rest)| rest.trim_end().strip_suffix(';'))
            .expect("the generated shape");
        let groups: Vec<serde_json::Value> = serde_json::from_str(json).expect("valid JSON");
        let mut refused = Vec::new();
        let mut seen = 0;
        for group in &groups {
            for pair in group["emojis"].as_array().expect("emojis") {
                let emoji = pair[0].as_str().expect("an emoji");
                seen += 1;
                if parse_reaction(emoji).ok().as_deref() != Some(emoji) {
                    refused.push(emoji.to_owned());
                }
            }
        }
        assert!(seen > 1_800, "the whole list ({seen})");
        assert!(refused.is_empty(), "offered but refused: {refused:?}");
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
