//! Conformance cases of the `Inbox` port: the SQLite and Redis inboxes.

use super::*;

use crate::{
    ids::UserId,
    testkit::{keyed_note, note, note_number},
};

/// Appends `note(n)` for each `n`, one append each, to `user`'s inbox.
pub(super) async fn append_notes(
    inbox: &dyn Inbox,
    user: &UserId,
    ns: std::ops::RangeInclusive<i64>,
) {
    for n in ns {
        inbox.append(&[user.to_owned()], &note(n)).await.unwrap();
    }
}

pub(super) fn numbers(events: &[crate::ports::Delivered]) -> Vec<i64> {
    events.iter().map(note_number).collect()
}

/// Settings with a small retention, so trimming is reached quickly.
pub fn small_retention(age: Duration) -> Settings {
    Settings {
        inbox_retention: 5,
        inbox_retention_age: age,
        inbox_poll_interval: Duration::from_millis(20),
        ..Settings::default()
    }
}

pub async fn appended_events_reach_every_recipient_in_order<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let (a, b, c) = (user("a"), user("b"), user("c"));
    let start_a = inbox.latest(&a).await.unwrap();
    let start_b = inbox.latest(&b).await.unwrap();
    for n in 1..=5 {
        inbox
            .append(&[a.clone(), b.clone()], &note(n))
            .await
            .unwrap();
    }
    for (who, start) in [(&a, &start_a), (&b, &start_b)] {
        let got = inbox.read(who, start, Duration::ZERO, 100).await.unwrap();
        assert_eq!(numbers(&got), [1, 2, 3, 4, 5]);
        let ids: Vec<&EventId> = got.iter().map(|d| &d.id).collect();
        let mut unique = ids.clone();
        unique.dedup();
        assert_eq!(unique.len(), 5, "ids must be distinct: {ids:?}");
        assert!(got[0].json.contains(r#""kind":"notification""#));
    }
    let start_c = inbox.latest(&c).await.unwrap();
    let nothing = inbox.read(&c, &start_c, Duration::ZERO, 100).await.unwrap();
    assert!(nothing.is_empty(), "c was not a recipient");
}

pub async fn reading_after_an_id_returns_only_what_came_later<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    append_notes(inbox, &a, 1..=3).await;
    let latest = inbox.latest(&a).await.unwrap();
    append_notes(inbox, &a, 4..=6).await;
    let got = inbox.read(&a, &latest, Duration::ZERO, 100).await.unwrap();
    assert_eq!(numbers(&got), [4, 5, 6]);
    let page = inbox.read(&a, &latest, Duration::ZERO, 2).await.unwrap();
    assert_eq!(numbers(&page), [4, 5], "max bounds the batch");
    let rest = inbox
        .read(&a, &page[1].id, Duration::ZERO, 100)
        .await
        .unwrap();
    assert_eq!(numbers(&rest), [6]);
    assert_eq!(inbox.latest(&a).await.unwrap(), got[2].id);
}

pub async fn duplicate_recipients_get_one_copy<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    inbox
        .append(&[a.clone(), a.clone(), a.clone()], &note(1))
        .await
        .unwrap();
    inbox.append(&[], &note(2)).await.unwrap();
    let got = inbox.read(&a, &start, Duration::ZERO, 100).await.unwrap();
    assert_eq!(numbers(&got), [1]);
}

pub async fn a_waiting_read_wakes_when_an_event_arrives<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    let reader = inbox.read(&a, &start, Duration::from_secs(10), 100);
    let writer = async {
        bus.clock.sleep(Duration::from_millis(150)).await;
        inbox
            .append(std::slice::from_ref(&a), &note(7))
            .await
            .unwrap();
    };
    let (got, ()) = futures::join!(reader, writer);
    assert_eq!(numbers(&got.unwrap()), [7]);
}

pub async fn a_waiting_read_with_nothing_new_returns_empty<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    let got = inbox
        .read(&a, &start, Duration::from_millis(200), 100)
        .await
        .unwrap();
    assert!(got.is_empty());
}

pub async fn known_cursors_resume_and_foreign_ones_are_gaps<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let empty = inbox.latest(&a).await.unwrap();
    assert_eq!(
        inbox.cursor_status(&a, &empty).await.unwrap(),
        CursorStatus::Resumable
    );
    inbox
        .append(std::slice::from_ref(&a), &note(1))
        .await
        .unwrap();
    let latest = inbox.latest(&a).await.unwrap();
    assert_eq!(
        inbox.cursor_status(&a, &empty).await.unwrap(),
        CursorStatus::Resumable
    );
    assert_eq!(
        inbox.cursor_status(&a, &latest).await.unwrap(),
        CursorStatus::Resumable
    );
    for foreign in [
        "",
        "garbage",
        "-1",
        "1-2-3",
        "99999999999999",
        "99999999999999-0",
    ] {
        let status = inbox
            .cursor_status(&a, &EventId(foreign.into()))
            .await
            .unwrap();
        assert_eq!(status, CursorStatus::Gap, "{foreign:?}");
    }
    let invalid = inbox
        .read(&a, &EventId("garbage".into()), Duration::ZERO, 10)
        .await;
    assert!(matches!(invalid, Err(Error::Invalid { .. })), "{invalid:?}");
}

pub async fn old_events_beyond_retention_are_trimmed_and_reported_as_a_gap<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    // Age zero: everything beyond the newest 5 may go.
    let bus = make(small_retention(Duration::ZERO)).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    inbox
        .append(std::slice::from_ref(&a), &note(0))
        .await
        .unwrap();
    let first = inbox.latest(&a).await.unwrap();
    append_notes(inbox, &a, 1..=80).await;
    let retained = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
    assert!(retained.len() >= 5, "at least the retention is kept");
    assert!(
        retained.len() < 81,
        "something was trimmed: {}",
        retained.len()
    );
    assert_eq!(numbers(&retained).last(), Some(&80));
    assert_eq!(
        inbox.cursor_status(&a, &start).await.unwrap(),
        CursorStatus::Gap
    );
    assert_eq!(
        inbox.cursor_status(&a, &first).await.unwrap(),
        CursorStatus::Gap
    );
    let recent = &retained[retained.len() - 5].id;
    assert_eq!(
        inbox.cursor_status(&a, recent).await.unwrap(),
        CursorStatus::Resumable
    );
    let tail = inbox.read(&a, recent, Duration::ZERO, 1000).await.unwrap();
    assert_eq!(numbers(&tail), [77, 78, 79, 80]);
}

pub async fn recent_events_outlive_the_count_until_they_age<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    // Retention 5: the hard limit is 50, so 40 stay whole.
    append_notes(inbox, &a, 1..=40).await;
    let all = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
    assert_eq!(all.len(), 40, "nothing is a day old yet");
    assert_eq!(
        inbox.cursor_status(&a, &start).await.unwrap(),
        CursorStatus::Resumable
    );
}

pub async fn no_inbox_grows_past_its_hard_limit_however_recent<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    // Retention 5 kept for a day, but never more than 50 (plus the trimming slack).
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let start = inbox.latest(&a).await.unwrap();
    append_notes(inbox, &a, 1..=300).await;
    let kept = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
    assert!(kept.len() >= 50, "the hard limit is kept: {}", kept.len());
    assert!(kept.len() <= 50 + 16, "and not much more: {}", kept.len());
    assert_eq!(numbers(&kept).last(), Some(&300));
    assert_eq!(
        inbox.cursor_status(&a, &start).await.unwrap(),
        CursorStatus::Gap,
        "a reader that far behind gets resync"
    );
}

pub async fn every_inbox_of_a_fan_out_keeps_to_the_hard_limit<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    // A room of sixteen, always named in the same order: each inbox is trimmed by its own
    // count of events, not by where its rows fall among everyone's.
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let room: Vec<UserId> = (0..16).map(|i| user(&format!("r{i}"))).collect();
    let starts = futures::future::join_all(room.iter().map(|u| inbox.latest(u))).await;
    for n in 1..=300 {
        inbox.append(&room, &note(n)).await.unwrap();
    }
    for (member, start) in room.iter().zip(starts) {
        let kept = inbox
            .read(member, &start.unwrap(), Duration::ZERO, 1000)
            .await
            .unwrap();
        assert!(
            (50..=50 + 16).contains(&kept.len()),
            "{member} keeps {} events",
            kept.len()
        );
        assert_eq!(numbers(&kept).last(), Some(&300));
    }
}

pub async fn events_fan_out_to_many_inboxes_in_one_call<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let users: Vec<UserId> = (0..450).map(|i| user(&format!("m{i}"))).collect();
    inbox.append(&users, &note(42)).await.unwrap();
    for u in [&users[0], &users[399], &users[449]] {
        let got = inbox
            .read(u, &EventId(zero(inbox)), Duration::ZERO, 10)
            .await
            .unwrap();
        assert_eq!(numbers(&got), [42], "{u}");
    }
}

pub async fn an_event_appended_twice_under_one_key_arrives_once<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let (a, b) = (user("a"), user("b"));
    let both = [a.clone(), b.clone()];
    let start = inbox.latest(&a).await.unwrap();
    // A retry after a lost reply, and racing retries: one copy each.
    inbox.append(&both, &keyed_note(1, "k-1")).await.unwrap();
    inbox.append(&both, &keyed_note(1, "k-1")).await.unwrap();
    let racing = (0..4).map(|_| async {
        let event = keyed_note(2, "k-2");
        inbox.append(&both, &event).await
    });
    for outcome in futures::future::join_all(racing).await {
        outcome.unwrap();
    }
    // Unkeyed events are not deduplicated: each append is a new event.
    inbox.append(&both, &note(3)).await.unwrap();
    inbox.append(&both, &note(3)).await.unwrap();
    for u in [&a, &b] {
        let got = inbox.read(u, &start, Duration::ZERO, 100).await.unwrap();
        assert_eq!(numbers(&got), [1, 2, 3, 3], "{u}");
    }
}

pub async fn settled_reports_the_keys_whose_append_is_in<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    inbox
        .append(std::slice::from_ref(&a), &keyed_note(1, "in-1"))
        .await
        .unwrap();
    inbox
        .append(std::slice::from_ref(&a), &keyed_note(2, "in-2"))
        .await
        .unwrap();
    let asked: Vec<String> = ["in-1", "never-appended", "in-2"]
        .map(String::from)
        .to_vec();
    let mut settled = inbox.settled(&asked).await.unwrap();
    settled.sort();
    assert_eq!(settled, ["in-1", "in-2"]);
    assert!(inbox.settled(&[]).await.unwrap().is_empty());
    // Settled keys are still refused for a while: a retry in flight adds nothing.
    let start = EventId(zero(inbox));
    inbox
        .append(std::slice::from_ref(&a), &keyed_note(1, "in-1"))
        .await
        .unwrap();
    let got = inbox.read(&a, &start, Duration::ZERO, 10).await.unwrap();
    assert_eq!(numbers(&got), [1, 2]);
}

fn zero(inbox: &dyn Inbox) -> String {
    match inbox.backend() {
        crate::ports::BusBackend::Redis => "0-0".into(),
        crate::ports::BusBackend::Sqlite => "0".into(),
    }
}

pub async fn ping_answers<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    bus.port.ping().await.unwrap();
}

#[macro_export]
/// Generates one `#[tokio::test]` per `Inbox` conformance case, over `$make`: an async fn
/// taking `Settings` and returning a `Fixture<dyn Inbox>`.
macro_rules! inbox_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            inbox,
            $make,
            [
                appended_events_reach_every_recipient_in_order,
                reading_after_an_id_returns_only_what_came_later,
                duplicate_recipients_get_one_copy,
                a_waiting_read_wakes_when_an_event_arrives,
                a_waiting_read_with_nothing_new_returns_empty,
                known_cursors_resume_and_foreign_ones_are_gaps,
                old_events_beyond_retention_are_trimmed_and_reported_as_a_gap,
                recent_events_outlive_the_count_until_they_age,
                no_inbox_grows_past_its_hard_limit_however_recent,
                every_inbox_of_a_fan_out_keeps_to_the_hard_limit,
                events_fan_out_to_many_inboxes_in_one_call,
                an_event_appended_twice_under_one_key_arrives_once,
                settled_reports_the_keys_whose_append_is_in,
                ping_answers,
            ]
        );
        $crate::__conformance_cases!(
            inbox_waits,
            $make,
            [
                one_read_of_many_inboxes_hands_each_reader_its_own_events,
                a_read_of_many_inboxes_wakes_when_any_gets_an_event,
                ringing_ends_a_read_of_many_inboxes,
                waiting_streams_share_a_read_and_each_gets_its_own_events,
                a_stream_that_leaves_mid_wait_does_not_hold_up_the_others,
            ]
        );
    };
}
