//! Unit tests of `password`.

use super::*;
use crate::testkit::SeededRandom;

const COST: HashCost = HashCost::OWASP_MINIMUM;

#[test]
fn hashes_are_argon2id_phc_strings_with_the_configured_cost() {
    let stored = hash("correct horse", COST, &SeededRandom::new(1)).expect("hash");
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    assert!(verify("correct horse", &stored).expect("verify"));
    assert!(!verify("wrong horse", &stored).expect("verify"));
}

#[test]
fn the_same_password_hashes_differently_each_time() {
    let random = SeededRandom::new(2);
    let a = hash("same password", COST, &random).expect("hash");
    let b = hash("same password", COST, &random).expect("hash");
    assert_ne!(a, b);
}

#[test]
fn a_raised_cost_asks_for_a_rehash() {
    let stored = hash("pw-pw-pw-pw", COST, &SeededRandom::new(3)).expect("hash");
    assert!(!needs_rehash(&stored, COST));
    let raised = HashCost {
        iterations: 3,
        ..COST
    };
    assert!(needs_rehash(&stored, raised));
    assert!(needs_rehash("not a phc string", COST));
}

#[test]
fn a_corrupt_stored_hash_never_matches_and_never_panics() {
    assert!(matches!(
        verify("x", "not a phc string"),
        Err(Error::Data(_))
    ));
    assert!(!matches!(verify("x", "$argon2id$garbage"), Ok(true)));
}
