//! Passwords a guesser tries first (ASVS 6.2.4, 6.2.12): the 11,611 common passwords of 8
//! characters or more from zxcvbn's list (`common_passwords.txt`), passwords built on the
//! username, and ones with too few different characters or that run straight along the
//! keyboard's digits or the alphabet. The estimator itself (zxcvbn) does not build for a
//! WASI component (it times itself through a browser's `performance` or a host import), so
//! its list is used directly. Each refusal says why, for the person choosing.

use std::{collections::HashSet, sync::LazyLock};

/// The list, one lower-cased password a line.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// Why `password` is too easy to guess for `username`, as a sentence for them; `None`
/// when it is not. Lengths are checked elsewhere (8-256 characters).
pub(super) fn weakness(password: &str, username: &str) -> Option<&'static str> {
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Some(
            "that password is one of the most common passwords, the first a guesser tries; choose another",
        );
    }
    if username.len() >= 3 && lower.contains(username) {
        let rest = lower.replacen(username, "", 1);
        if rest.chars().count() < 8 {
            return Some("a password must not be your username with a little added");
        }
    }
    let distinct: HashSet<char> = lower.chars().collect();
    if distinct.len() < 4 {
        return Some("that password repeats too few different characters; choose a longer mix");
    }
    if runs_straight(&lower) {
        return Some(
            "that password runs straight along the alphabet or the digits; choose another",
        );
    }
    None
}

/// Whether every character follows the one before by the same step of 1 up or down
/// (`12345678`, `hgfedcba`).
fn runs_straight(text: &str) -> bool {
    let codes: Vec<i64> = text.chars().map(|c| i64::from(u32::from(c))).collect();
    let steps: HashSet<i64> = codes.windows(2).map(|pair| pair[1] - pair[0]).collect();
    steps.len() == 1 && steps.iter().all(|step| step.abs() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_read_whole() {
        assert_eq!(COMMON.len(), 11_611);
        assert!(COMMON.contains("password"));
        assert!(COMMON.contains("iloveyou"));
        assert!(!COMMON.iter().any(|p| p.starts_with('#')));
    }

    #[test]
    fn common_username_based_repetitive_and_straight_passwords_say_why() {
        for (password, why) in [
            ("Password", "most common"),
            ("QWERTYUIOP", "most common"),
            ("iloveyou", "most common"),
            ("alice2024", "username"),
            ("ALICEalice", "username"),
            ("aaaaaaaaaaaa", "too few"),
            ("ababababab", "too few"),
            ("abcdefghij", "straight"),
            ("98765432", "straight"),
            ("zyxwvuts", "straight"),
        ] {
            let said = weakness(password, "alice").unwrap_or("accepted");
            assert!(said.contains(why), "{password}: {said}");
        }
    }

    #[test]
    fn ordinary_passphrases_pass() {
        for fine in [
            "correct horse battery",
            "long enough 1",
            "alice in the tall grass at noon",
            "Tr0ub4dor&3x",
            "mañana por la tarde",
        ] {
            assert_eq!(weakness(fine, "alice"), None, "{fine}");
        }
    }
}
