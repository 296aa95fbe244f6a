//! Full-text search of one's own messages: the conversations the caller is a member of,
//! never others', newest first, with the matching words marked in a snippet. The index is
//! SQLite FTS5, filled in batches (search_index.rs, caught up before every search) and
//! kept by the database's own triggers (migrations/0014_search, 0017_search_in_batches), so
//! edits and deletions change it in the statement that makes them.

use serde::Serialize;

use super::{Conversations, Message};
use crate::{
    Error, Result,
    ids::ConversationId,
    ports::Value,
    search_index,
    throttle::{self, Action},
};

/// Marks where a snippet's matching word starts and ends: control characters, which no
/// stored body holds (`parse_body` refuses them), so a body cannot fake a highlight.
const MATCH_START: char = '\u{2}';
const MATCH_END: char = '\u{3}';

/// What to search for and where: `q` (1-200 characters, at most 10 words), optionally one
/// conversation and one sender, a page of `limit` results older than the cursor `before`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The FTS5 query: each word a quoted phrase, so nothing typed is query syntax; the
    /// last one also matches as a prefix (results while typing).
    pub(crate) fts: String,
    /// Only this conversation.
    pub conversation_id: Option<ConversationId>,
    /// Only messages from this username (lower-cased).
    pub from: Option<String>,
    /// Only results older than this cursor (a previous page's `next_before`).
    pub before: Option<i64>,
    /// How many results, 1-50 (default 20).
    pub limit: i64,
}

/// The most words a query takes: each is a phrase the index intersects.
pub const SEARCH_WORDS_MAX: usize = 10;

impl SearchQuery {
    /// From the raw query values: 400 `invalid_query` (empty, too long, no word to look
    /// for), `invalid_limit`, `invalid_cursor`.
    pub fn parse(
        q: Option<&str>,
        conversation_id: Option<&str>,
        from: Option<&str>,
        before: Option<&str>,
        limit: Option<&str>,
    ) -> Result<Self> {
        let text = q.unwrap_or("").trim();
        let words: Vec<&str> = text
            .split_whitespace()
            .filter(|word| word.chars().any(char::is_alphanumeric))
            .collect();
        if text.chars().count() > 200
            || text.chars().any(char::is_control)
            || words.is_empty()
            || words.len() > SEARCH_WORDS_MAX
        {
            return Err(Error::invalid(
                "invalid_query",
                format!(
                    "q must be 1-200 characters holding 1-{SEARCH_WORDS_MAX} words of letters or digits"
                ),
            ));
        }
        let last = words.len() - 1;
        let fts = words
            .iter()
            .enumerate()
            .map(|(i, word)| {
                let phrase = format!("\"{}\"", word.replace('"', "\"\""));
                if i == last { phrase + "*" } else { phrase }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let limit = match limit {
            None => 20,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=50).contains(&n) => n,
                _ => {
                    return Err(Error::invalid(
                        "invalid_limit",
                        "limit must be a whole number from 1 to 50",
                    ));
                }
            },
        };
        let before = match before {
            None => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(Error::invalid(
                        "invalid_cursor",
                        "before must be a previous page's next_before",
                    ));
                }
            },
        };
        Ok(SearchQuery {
            fts,
            conversation_id: conversation_id
                .filter(|id| !id.is_empty())
                .map(ConversationId::from_raw),
            from: from
                .map(|name| name.trim().trim_start_matches('@').to_ascii_lowercase())
                .filter(|name| !name.is_empty()),
            before,
            limit,
        })
    }
}

/// One stretch of a snippet: the words the query matched have `matched: true`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SnippetPart {
    /// Plain text, shown as text.
    pub text: String,
    /// Whether the query matched it.
    pub matched: bool,
}

/// A search result: the message as history shows it, and where in it the query matched.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SearchHit {
    /// The message.
    pub message: Message,
    /// Up to about 24 words of its body around the matches, `…` where it was cut.
    pub snippet: Vec<SnippetPart>,
}

/// Splits FTS5's snippet, marked with [`MATCH_START`] and [`MATCH_END`], into parts.
fn snippet_parts(marked: &str) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut matched = false;
    for c in marked.chars() {
        let switch_to = match c {
            MATCH_START => Some(true),
            MATCH_END => Some(false),
            _ => None,
        };
        match switch_to {
            Some(next) => {
                if !text.is_empty() {
                    parts.push(SnippetPart {
                        text: std::mem::take(&mut text),
                        matched,
                    });
                }
                matched = next;
            }
            None => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(SnippetPart { text, matched });
    }
    parts
}

impl Conversations<'_> {
    /// The caller's messages matching `query`, newest first: `(hits, next_before)`, the
    /// cursor for the next page when there may be one.
    pub async fn search(&self, query: &SearchQuery) -> Result<(Vec<SearchHit>, Option<i64>)> {
        throttle::take(self.ports, Action::Search, &self.me.id).await?;
        // Messages stored since the last batch are indexed first, so a search finds
        // everything sent before it.
        search_index::index_new_messages(self.ports).await?;
        // The index yields matches by rowid, newest first; the join keeps only
        // conversations the caller is in, and LIMIT stops the walk at one page.
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {}, snippet(messages_search, 0, char(2), char(3), '…', 24), s.rowid
                       FROM messages_search s
                       JOIN messages m ON m.rowid = s.rowid
                       JOIN members mine ON mine.conversation_id = m.conversation_id
                                        AND mine.user_id = ?1
                       JOIN users u ON u.id = m.sender_id
                      WHERE messages_search MATCH ?3 AND m.deleted = 0
                        AND (?4 IS NULL OR m.conversation_id = ?4)
                        AND (?5 IS NULL OR u.username = ?5)
                        AND s.rowid < ?6
                      ORDER BY s.rowid DESC
                      LIMIT ?7",
                    Message::columns()
                ),
                &self.params([
                    Value::from(query.fts.as_str()),
                    Value::from(query.conversation_id.as_ref()),
                    Value::from(query.from.clone()),
                    Value::Integer(query.before.unwrap_or(i64::MAX)),
                    Value::Integer(query.limit + 1),
                ]),
            )
            .await?;
        let more = rows.len() as i64 > query.limit;
        let mut next_before = None;
        let mut hits = Vec::new();
        for row in rows.iter().take(query.limit as usize) {
            let mut columns = row.columns();
            let message = Message::read(&mut columns)?;
            let marked: String = columns.read()?;
            next_before = Some(columns.read()?);
            hits.push(SearchHit {
                message,
                snippet: snippet_parts(&marked),
            });
        }
        Ok((hits, if more { next_before } else { None }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<SearchQuery> {
        SearchQuery::parse(Some(q), None, None, None, None)
    }

    #[test]
    fn every_word_is_a_quoted_phrase_and_the_last_a_prefix() {
        assert_eq!(
            parse("  hello   world ").unwrap().fts,
            "\"hello\" \"world\"*"
        );
        // Query syntax typed by a person is only text.
        assert_eq!(
            parse("a\"b OR c* NEAR(x)").unwrap().fts,
            "\"a\"\"b\" \"OR\" \"c*\" \"NEAR(x)\"*"
        );
        // Words without a letter or digit would match nothing; they are left out.
        assert_eq!(parse("café !!! -").unwrap().fts, "\"café\"*");
    }

    #[test]
    fn queries_without_a_word_or_too_long_are_refused() {
        for bad in [
            "",
            "   ",
            "!!! ???",
            &"x".repeat(201),
            "a\u{0}b",
            &"w ".repeat(11),
        ] {
            let error = parse(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::Invalid {
                        code: "invalid_query",
                        ..
                    }
                ),
                "{bad:?}: {error:?}"
            );
        }
    }

    #[test]
    fn pages_and_filters_are_checked() {
        let query =
            SearchQuery::parse(Some("x"), Some("c1"), Some("@Ann"), Some("42"), Some("5")).unwrap();
        assert_eq!(query.from.as_deref(), Some("ann"));
        assert_eq!(query.before, Some(42));
        assert_eq!(query.limit, 5);
        assert_eq!(
            query.conversation_id.as_ref().map(|c| c.as_str()),
            Some("c1")
        );
        for (before, limit) in [(Some("0"), None), (Some("x"), None), (None, Some("51"))] {
            assert!(SearchQuery::parse(Some("x"), None, None, before, limit).is_err());
        }
    }

    #[test]
    fn snippets_split_at_the_marks() {
        let parts = snippet_parts("…we met at the \u{2}café\u{3} on \u{2}Monday\u{3}");
        let texts: Vec<(&str, bool)> = parts.iter().map(|p| (p.text.as_str(), p.matched)).collect();
        assert_eq!(
            texts,
            [
                ("…we met at the ", false),
                ("café", true),
                (" on ", false),
                ("Monday", true)
            ]
        );
        assert!(snippet_parts("").is_empty());
    }
}
