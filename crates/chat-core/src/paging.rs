//! Pages of a long list (the conversation list, the friend list): `limit` items after an
//! opaque cursor the previous page handed out, so a list of thousands is read in bounded
//! steps and nothing is skipped or repeated while items move between reads.

use crate::{Error, Result};

/// How much of a list to read: at most `limit` items, after `cursor` (none: the start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    /// 1 to [`ListPage::MAX_LIMIT`].
    pub limit: i64,
    /// Where the previous page ended, as it said (`next_before` / `next_after`).
    pub cursor: Option<String>,
}

impl ListPage {
    /// Items per page when the client does not say: the whole list for nearly everyone.
    pub const DEFAULT_LIMIT: i64 = 200;
    /// The most items one page holds.
    pub const MAX_LIMIT: i64 = 200;
    /// The longest cursor accepted (a timestamp and an id, or a username).
    const CURSOR_MAX: usize = 120;

    /// From the raw query values: 400 `invalid_limit`, or `invalid_cursor` for one that is
    /// empty or too long (what it names is checked by the list that reads it).
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self> {
        let limit = match limit {
            None => Self::DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=Self::MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "invalid_limit",
                        format!("limit must be a whole number from 1 to {}", Self::MAX_LIMIT),
                    ));
                }
            },
        };
        let cursor = match cursor {
            None => None,
            Some(raw) if !raw.is_empty() && raw.len() <= Self::CURSOR_MAX => Some(raw.to_owned()),
            Some(_) => return Err(invalid_cursor()),
        };
        Ok(ListPage { limit, cursor })
    }
}

/// A cursor of activity time and id, as the conversation list orders: `"<ms>.<id>"`.
pub fn activity_cursor(ms: i64, id: &str) -> String {
    format!("{ms}.{id}")
}

/// Reads an [`activity_cursor`] (400 `invalid_cursor`).
pub fn parse_activity_cursor(cursor: &str) -> Result<(i64, String)> {
    let (ms, id) = cursor.split_once('.').ok_or_else(invalid_cursor)?;
    let ms = ms.parse::<i64>().map_err(|_| invalid_cursor())?;
    if id.is_empty() {
        return Err(invalid_cursor());
    }
    Ok((ms, id.to_owned()))
}

/// 400 `invalid_cursor`.
fn invalid_cursor() -> Error {
    Error::invalid(
        "invalid_cursor",
        "the cursor must be one a previous page returned",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(
            ListPage::parse(None, None).unwrap().limit,
            ListPage::DEFAULT_LIMIT
        );
        assert_eq!(ListPage::parse(Some("1"), None).unwrap().limit, 1);
        for bad in ["0", "201", "-1", "x", ""] {
            assert!(ListPage::parse(Some(bad), None).is_err(), "{bad:?}");
        }
        assert!(ListPage::parse(None, Some("")).is_err());
        assert!(ListPage::parse(None, Some(&"x".repeat(121))).is_err());
        let cursor = activity_cursor(1_700_000_000_000, "0190-abc");
        assert_eq!(
            parse_activity_cursor(&cursor).unwrap(),
            (1_700_000_000_000, "0190-abc".to_owned())
        );
        for bad in ["nodot", "x.id", "12.", ".id"] {
            assert!(parse_activity_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
