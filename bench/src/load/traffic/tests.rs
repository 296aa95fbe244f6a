//! Unit tests of `traffic`.

use serde_json::json;

use super::{ledger::parse_client_id, *};

#[test]
fn client_ids_name_their_step_and_send() {
    assert_eq!(parse_client_id(&client_id(3, 1234), 3), Some(1234));
    assert_eq!(parse_client_id(&client_id(3, 1234), 4), None);
    assert_eq!(parse_client_id("someone-else", 0), None);
}

fn plan() -> Plan {
    Plan {
        rate: 10.0,
        warmup: Duration::from_secs(1),
        duration: Duration::from_secs(2),
        drain: Duration::ZERO,
        message_length: 8,
        progress: false,
    }
}

#[test]
fn a_delivery_counts_once_per_user_and_only_in_its_room() {
    let ledger = Ledger::new(0, 2, 2, &plan());
    assert_eq!((ledger.from, ledger.to), (10, 30));
    // Send 12 goes to room 0 (12 % 2); it is in the measured window.
    ledger.sent_at[12].store(1, Relaxed);
    ledger.acknowledged[12].store(true, Relaxed);
    let event = json!({"message": {"client_id": client_id(0, 12)}});
    ledger.arrived(0, 0, &event);
    ledger.arrived(0, 0, &event);
    ledger.arrived(1, 0, &event);
    ledger.arrived(2, 1, &event);
    assert_eq!(ledger.delivered.load(Relaxed), 2);
    assert_eq!(ledger.duplicates.load(Relaxed), 1);
    assert_eq!(ledger.expected(), 2);
    assert_eq!(ledger.deliveries().0.len(), 2);
    // A message stored but answered with an error still arrives: counted apart.
    ledger.sent_at[14].store(1, Relaxed);
    ledger.arrived(0, 0, &json!({"message": {"client_id": client_id(0, 14)}}));
    assert_eq!(ledger.deliveries().1, 1);
    assert_eq!(ledger.expected(), 2);
    // Warm-up sends are delivered but not measured.
    ledger.sent_at[2].store(1, Relaxed);
    ledger.arrived(0, 0, &json!({"message": {"client_id": client_id(0, 2)}}));
    assert_eq!(ledger.delivered.load(Relaxed), 3, "12 twice and 14 once");
    assert_eq!(ledger.deliveries().0.len(), 2);
}
