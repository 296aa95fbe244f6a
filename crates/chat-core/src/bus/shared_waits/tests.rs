//! Unit tests of `shared_waits`.

use super::*;

/// A group with one place of `user` waited in by wait number `wait`.
fn group_with_waiter(wait: u64) -> (Arc<Mutex<Group>>, UnboundedReceiver<Answer>) {
    let (answer, receiver) = unbounded();
    let mut group = Group::default();
    group.places.insert(
        7,
        Place {
            user: UserId::from_raw("ann"),
            cursor: EventId("1".into()),
            held: Vec::new(),
            waiter: Some(Waiter {
                wait,
                max: 10,
                deadline_ms: 1_000,
                answer,
            }),
            expires_ms: 0,
        },
    );
    (Arc::new(Mutex::new(group)), receiver)
}

#[test]
fn a_driver_answered_hands_the_turn_to_the_tab_waiting_in_its_place() {
    // The driver (wait 1) was answered; another tab of the user came back to its place
    // (wait 2) before the driver gave up the turn. That tab must get it: it joined
    // without ringing, and nobody else would drive.
    let (group, mut receiver) = group_with_waiter(2);
    group.lock().unwrap().driver = Some(1);
    let mut driver = Membership {
        group: group.clone(),
        id: 7,
        wait: 1,
    };
    driver.stop_driving();
    assert_eq!(group.lock().unwrap().driver, Some(2));
    assert!(matches!(receiver.try_recv(), Ok(Answer::Drive)));
    drop(driver);
}

#[test]
fn an_answered_wait_leaving_late_leaves_the_tab_that_took_its_place_alone() {
    // Two tabs of one user were answered at the same cursor; the second came back to
    // the first's place (wait 2) before the first's wait (wait 1) was dropped.
    let (group, _receiver) = group_with_waiter(2);
    group.lock().unwrap().driver = Some(2);
    drop(Membership {
        group: group.clone(),
        id: 7,
        wait: 1,
    });
    {
        let group = group.lock().unwrap();
        let waiter = group.places.get(&7).and_then(|p| p.waiter.as_ref());
        assert_eq!(
            waiter.map(|w| w.wait),
            Some(2),
            "still waiting in its place"
        );
        assert_eq!(group.driver, Some(2), "and still driving");
    }
    // Its own wait leaving gives the place up.
    drop(Membership {
        group: group.clone(),
        id: 7,
        wait: 2,
    });
    assert!(group.lock().unwrap().places.is_empty());
}

#[test]
fn deadlines_round_up_to_the_grid_and_never_come_early() {
    let second = Duration::from_secs(1);
    assert_eq!(deadline(10_200, 15 * second), 26_000);
    assert_eq!(deadline(10_000, 15 * second), 25_000);
    // A short wait gets a fine grid: an eighth of it.
    assert_eq!(deadline(1_001, Duration::from_millis(400)), 1_450);
    for now in [0, 1, 999, 123_456_789] {
        for wait in [1, 7, 400, 15_000, 25_000] {
            let wait = Duration::from_millis(wait);
            let d = deadline(now, wait);
            assert!(d >= now + millis(wait), "{now} + {wait:?} -> {d}");
            assert!(d < now + millis(wait) + 1_000, "{now} + {wait:?} -> {d}");
        }
    }
}
