//! Unit tests of `ids`.

use super::*;
use crate::{
    ports::{FromValue, Value, random_hex, uuid_v7},
    testkit::{FixedClock, SeededRandom},
};

#[test]
fn uuid_v7_carries_version_variant_and_time() {
    let clock = FixedClock::at(0x0123_4567_89AB);
    let id = uuid_v7(&clock, &SeededRandom::new(7)).expect("id");
    assert_eq!(id.len(), 36);
    assert!(id.starts_with("01234567-89ab-7"), "{id}");
    let variant = id.as_bytes()[19];
    assert!(matches!(variant, b'8' | b'9' | b'a' | b'b'), "{id}");
}

#[test]
fn the_floor_of_a_millisecond_sorts_between_it_and_the_one_before() {
    let random = SeededRandom::new(3);
    let before = uuid_v7(&FixedClock::at(1_999), &random).expect("id");
    let at = uuid_v7(&FixedClock::at(2_000), &random).expect("id");
    let floor = uuid_v7_floor(2_000);
    assert!(before < floor && floor <= at, "{before} < {floor} <= {at}");
}

#[test]
fn uuid_v7_sorts_by_time() {
    let random = SeededRandom::new(1);
    let early = uuid_v7(&FixedClock::at(1_000), &random).expect("id");
    let late = uuid_v7(&FixedClock::at(2_000), &random).expect("id");
    assert!(early < late);
}

#[test]
fn an_id_is_its_text_in_json_and_in_sql() {
    let id = UserId::from_raw("0190-abc");
    assert_eq!(serde_json::to_value(&id).expect("json"), "0190-abc");
    assert_eq!(
        serde_json::from_str::<UserId>("\"0190-abc\"").expect("parse"),
        id
    );
    assert_eq!(Value::from(&id), Value::Text("0190-abc".into()));
    assert_eq!(UserId::from_value(&Value::from(&id)), Ok(id.clone()));
    assert_eq!(id.to_string(), "0190-abc");
}

#[test]
fn random_hex_has_two_digits_per_byte() {
    let token = random_hex(&SeededRandom::new(3), 32).expect("token");
    assert_eq!(token.len(), 64);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}
