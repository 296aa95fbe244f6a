//! Finding people: by exact username, or by a prefix of username or display name.

use super::{UserSummary, Users};
use crate::{
    Error, Result,
    model::user_summary as summary,
    ports::Value,
    relations::hides_from_sql,
    throttle::{self, Action},
};

/// Most results a search returns.
pub const SEARCH_LIMIT: i64 = 20;

/// The SQL of a search: a prefix range on each of the two indexed keys, so SQLite answers
/// it with two index range scans (MULTI-INDEX OR), never a table scan. `?3` is the prefix,
/// `?4` the prefix followed by the highest code point, `?5` the limit.
/// The whole search statement (public so a test can EXPLAIN it).
pub fn search_sql() -> String {
    format!(
        "SELECT {} FROM users u
          WHERE ((u.username >= ?3 AND u.username < ?4)
                 OR (u.display_name_key >= ?3 AND u.display_name_key < ?4))
            AND u.id <> ?1 AND NOT {}
          ORDER BY u.username LIMIT ?5",
        summary::columns("u"),
        hides_from_sql("u.id", "?1"),
    )
}

/// The prefix to search for: trimmed, case-folded, 1-64 characters.
fn parse_query(raw: &str) -> Result<String> {
    let query = raw.trim().to_lowercase();
    let chars = query.chars().count();
    if !(1..=64).contains(&chars) || query.chars().any(char::is_control) {
        return Err(Error::invalid("invalid_query", "q must be 1-64 characters"));
    }
    Ok(query)
}

impl Users<'_> {
    /// Up to 20 users whose username or display name starts with `query` (any case),
    /// ordered by username; never the caller, never someone who blocked the caller.
    pub async fn search(&self, query: &str) -> Result<Vec<UserSummary>> {
        let prefix = parse_query(query)?;
        throttle::take(self.ports, Action::People, &self.me.id).await?;
        let mut params = self.viewer_params();
        params.push(Value::from(prefix.as_str()));
        params.push(Value::from(format!("{prefix}{}", char::MAX)));
        params.push(Value::Integer(SEARCH_LIMIT));
        let rows = self.ports.sql.query(&search_sql(), &params).await?;
        rows.iter()
            .map(|r| UserSummary::read(&mut r.columns()))
            .collect()
    }

    /// The user called `username`; 404 when unknown or when they blocked the caller.
    pub async fn lookup(&self, username: &str) -> Result<UserSummary> {
        throttle::take(self.ports, Action::People, &self.me.id).await?;
        self.visible(username).await
    }
}

#[cfg(test)]
mod tests {
    use super::parse_query;

    #[test]
    fn queries_are_trimmed_folded_and_bounded() {
        assert_eq!(parse_query("  AdA ").expect("valid"), "ada");
        assert!(parse_query("").is_err());
        assert!(parse_query("   ").is_err());
        assert!(parse_query(&"x".repeat(65)).is_err());
        assert!(parse_query("a\u{0}").is_err());
    }
}
