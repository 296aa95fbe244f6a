//! Unit tests of `sessions`.

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
