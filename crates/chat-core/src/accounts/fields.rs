//! Validated account fields: once parsed, a value obeys the API's limits.

use crate::{Error, Result};

/// A username: 3-32 characters of `[a-z0-9_-]`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Lower-cases `raw` and checks it; `invalid_username` otherwise.
    pub fn parse(raw: &str) -> Result<Self> {
        let lower = raw.to_ascii_lowercase();
        let valid_chars = lower
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !(3..=32).contains(&lower.len()) || !valid_chars {
            return Err(Error::invalid(
                "invalid_username",
                "username must be 3-32 characters: letters a-z, digits, '_' or '-'",
            ));
        }
        Ok(Username(lower))
    }

    /// The stored, lower-case form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 400 `invalid_password`, for each rule a password breaks.
fn invalid_password(message: &str) -> Error {
    Error::invalid("invalid_password", message)
}

/// A password: 8-256 characters, not the username, nor one a guesser tries first
/// (`common_passwords.rs`). Never logged (no `Debug` of the text).
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    /// Checks `raw` for `username`; `invalid_password` otherwise.
    pub fn parse(raw: &str, username: &Username) -> Result<Self> {
        let chars = raw.chars().count();
        if !(8..=256).contains(&chars) {
            return Err(invalid_password("password must be 8-256 characters"));
        }
        if raw.eq_ignore_ascii_case(username.as_str()) {
            return Err(invalid_password("password must not be the username"));
        }
        if let Some(why) = super::common_passwords::weakness(raw, username.as_str()) {
            return Err(invalid_password(why));
        }
        Ok(Password(raw.to_owned()))
    }

    /// The text, for hashing only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

/// A display name: 1-64 characters after trimming, nothing deceptive
/// ([`crate::text::is_deceptive`]: control, bidi or invisible characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims `raw` and checks it; `invalid_display_name` otherwise.
    pub fn parse(raw: &str) -> Result<Self> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if !(1..=64).contains(&chars) || crate::text::is_deceptive(trimmed) {
            return Err(Error::invalid(
                "invalid_display_name",
                "display name must be 1-64 characters without control, bidi or invisible formatting characters",
            ));
        }
        Ok(DisplayName(trimmed.to_owned()))
    }

    /// The trimmed text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that prefix search compares against.
    pub fn search_key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<impl Sized>) -> &'static str {
        match result {
            Err(Error::Invalid { code, .. }) => code,
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => "ok",
        }
    }

    #[test]
    fn usernames_are_lower_cased_and_limited_to_the_allowed_characters() {
        assert_eq!(
            Username::parse("Alice_01-x").map(|u| u.0).ok().as_deref(),
            Some("alice_01-x")
        );
        assert_eq!(code(Username::parse("abc")), "ok");
        assert_eq!(code(Username::parse(&"a".repeat(32))), "ok");
        for bad in [
            "ab",
            "",
            &"a".repeat(33),
            "with space",
            "dot.ted",
            "émile",
            "a/b",
            "a\u{0}b",
        ] {
            assert_eq!(code(Username::parse(bad)), "invalid_username", "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_a_length_range_and_differ_from_the_username() {
        let user = Username::parse("alice").expect("valid");
        assert_eq!(code(Password::parse("correct horse", &user)), "ok");
        assert_eq!(
            code(Password::parse("éàèùçôîë", &user)),
            "ok",
            "counts characters, not bytes"
        );
        assert_eq!(code(Password::parse("short", &user)), "invalid_password");
        assert_eq!(
            code(Password::parse(&"xy1".repeat(86), &user)),
            "invalid_password"
        );
        assert_eq!(
            code(Password::parse("password1", &user)),
            "invalid_password",
            "a common one"
        );
        let long_name = Username::parse("alicealice").expect("valid");
        assert_eq!(
            code(Password::parse("AliceAlice", &long_name)),
            "invalid_password"
        );
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let user = Username::parse("alice").expect("valid");
        let password = Password::parse("hunter2hunter2", &user).expect("valid");
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn display_names_are_trimmed_and_free_of_control_characters() {
        assert_eq!(
            DisplayName::parse("  Ada L.  ")
                .map(|d| d.0)
                .ok()
                .as_deref(),
            Some("Ada L.")
        );
        assert_eq!(code(DisplayName::parse(&"ü".repeat(64))), "ok");
        for bad in ["", "   ", "a\nb", "tab\there", &"x".repeat(65), "bell\u{7}"] {
            assert_eq!(
                code(DisplayName::parse(bad)),
                "invalid_display_name",
                "{bad:?}"
            );
        }
    }
}
