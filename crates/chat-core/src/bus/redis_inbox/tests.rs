//! Unit tests of `redis_inbox`.

use super::*;

fn text(s: &str) -> RedisReply {
    RedisReply::Bytes(s.as_bytes().to_vec())
}

#[test]
fn stream_ids_are_two_decimal_parts() {
    for good in ["0-0", "1700000000000-3"] {
        assert!(is_stream_id(good), "{good}");
    }
    for bad in [
        "",
        "-",
        "1-",
        "-1",
        "12",
        "a-1",
        "1-2-3",
        "1 -2",
        "99999999999999999999999-1",
    ] {
        assert!(!is_stream_id(bad), "{bad}");
    }
}

#[test]
fn a_timed_out_read_is_empty() {
    assert!(parse_entries(&[RedisReply::Nil]).expect("ok").is_empty());
    assert!(parse_entries(&[]).expect("ok").is_empty());
}

#[test]
fn flattened_entries_split_into_triples() {
    let e = r#"{"kind":"notification","data":{"n":1}}"#;
    let reply = [
        text("1-0"),
        text("e"),
        text(e),
        text("2-0"),
        text("e"),
        text(e),
    ];
    let got = parse_entries(&reply).expect("parses");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].id, EventId("2-0".into()));
    assert_eq!(crate::testkit::note_number(&got[0]), 1);
}

#[test]
fn a_ragged_reply_is_a_bus_error() {
    let reply = [text("1-0"), text("e")];
    assert!(matches!(parse_entries(&reply), Err(Error::Bus(_))));
}
