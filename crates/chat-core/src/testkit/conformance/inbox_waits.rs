//! Conformance cases of the `Inbox` port, continued: reads of many inboxes at once and the
//! streams that wait together on them (`bus::SharedWaits`).

use super::{
    inbox::{append_notes, numbers, small_retention},
    *,
};

use crate::testkit::note;

/// `future`, or a panic naming `what` if it has not finished within 20 s: a wait that
/// should have ended early (woken, rung) would otherwise just make the case slow.
async fn within<T>(clock: &dyn Clock, what: &str, future: impl Future<Output = T>) -> T {
    let limit = clock.sleep(Duration::from_secs(20));
    futures::pin_mut!(future, limit);
    match futures::future::select(future, limit).await {
        futures::future::Either::Left((value, _)) => value,
        futures::future::Either::Right(((), _)) => panic!("{what} did not end within 20 s"),
    }
}

pub async fn one_read_of_many_inboxes_hands_each_reader_its_own_events<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(Settings::default()).await;
    let inbox = bus.port.as_ref();
    let (a, b, c) = (user("a"), user("b"), user("c"));
    let start_a = inbox.latest(&a).await.unwrap();
    let start_b = inbox.latest(&b).await.unwrap();
    let start_c = inbox.latest(&c).await.unwrap();
    append_notes(inbox, &a, 1..=2).await;
    inbox
        .append(std::slice::from_ref(&c), &note(10))
        .await
        .unwrap();
    let later_c = inbox.latest(&c).await.unwrap();
    inbox
        .append(std::slice::from_ref(&c), &note(11))
        .await
        .unwrap();
    // c twice (two tabs), at two cursors: each gets what lies after its own.
    let readers = [
        (a.clone(), start_a),
        (b.clone(), start_b),
        (c.clone(), start_c),
        (c.clone(), later_c),
    ];
    let got = inbox
        .read_many(&readers, Duration::ZERO, 100)
        .await
        .unwrap();
    let got: Vec<Vec<i64>> = got.iter().map(|batch| numbers(batch)).collect();
    assert_eq!(got, [vec![1, 2], vec![], vec![10, 11], vec![11]]);
    let first_only = inbox
        .read_many(&readers[..1], Duration::ZERO, 1)
        .await
        .unwrap();
    assert_eq!(numbers(&first_only[0]), [1], "at most `max` each");
}

pub async fn a_read_of_many_inboxes_wakes_when_any_gets_an_event<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let (a, b) = (user("a"), user("b"));
    let readers = [
        (a.clone(), inbox.latest(&a).await.unwrap()),
        (b.clone(), inbox.latest(&b).await.unwrap()),
    ];
    let reader = inbox.read_many(&readers, Duration::from_secs(60), 100);
    let writer = async {
        bus.clock.sleep(Duration::from_millis(150)).await;
        inbox
            .append(std::slice::from_ref(&b), &note(7))
            .await
            .unwrap();
    };
    let (got, ()) = within(bus.clock.as_ref(), "the read", async {
        futures::join!(reader, writer)
    })
    .await;
    let got = got.unwrap();
    assert!(got[0].is_empty());
    assert_eq!(numbers(&got[1]), [7]);
}

pub async fn ringing_ends_a_read_of_many_inboxes<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let a = user("a");
    let readers = [(a.clone(), inbox.latest(&a).await.unwrap())];
    let reader = inbox.read_many(&readers, Duration::from_secs(60), 100);
    let ringer = async {
        bus.clock.sleep(Duration::from_millis(150)).await;
        inbox.ring().await.unwrap();
    };
    let (got, ()) = within(bus.clock.as_ref(), "the rung read", async {
        futures::join!(reader, ringer)
    })
    .await;
    assert!(got.unwrap()[0].is_empty());
}

pub async fn waiting_streams_share_a_read_and_each_gets_its_own_events<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let (a, b, c, late) = (user("a"), user("b"), user("c"), user("late"));
    let start = |u: &crate::ids::UserId| {
        let u = u.clone();
        async move { (inbox.latest(&u).await.unwrap(), u) }
    };
    let (start_a, _) = start(&a).await;
    let (start_b, _) = start(&b).await;
    let (start_c, _) = start(&c).await;
    let (start_late, _) = start(&late).await;
    let long = Duration::from_secs(60);
    let read_a = inbox.read(&a, &start_a, long, 100);
    let read_b = inbox.read(&b, &start_b, long, 100);
    // c's wait ends with nothing, while the others still wait.
    let read_c = inbox.read(&c, &start_c, Duration::from_millis(300), 100);
    // `late` joins while a round is waiting: it must not wait for that round to end.
    let read_late = async {
        bus.clock.sleep(Duration::from_millis(100)).await;
        inbox.read(&late, &start_late, long, 100).await
    };
    let writer = async {
        bus.clock.sleep(Duration::from_millis(400)).await;
        inbox
            .append(std::slice::from_ref(&b), &note(2))
            .await
            .unwrap();
        bus.clock.sleep(Duration::from_millis(100)).await;
        inbox
            .append(std::slice::from_ref(&late), &note(4))
            .await
            .unwrap();
        bus.clock.sleep(Duration::from_millis(100)).await;
        inbox
            .append(std::slice::from_ref(&a), &note(1))
            .await
            .unwrap();
    };
    let (got_a, got_b, got_c, got_late, ()) =
        within(bus.clock.as_ref(), "the shared reads", async {
            futures::join!(read_a, read_b, read_c, read_late, writer)
        })
        .await;
    assert_eq!(numbers(&got_a.unwrap()), [1]);
    assert_eq!(numbers(&got_b.unwrap()), [2]);
    assert!(got_c.unwrap().is_empty());
    assert_eq!(numbers(&got_late.unwrap()), [4]);
}

pub async fn a_stream_that_leaves_mid_wait_does_not_hold_up_the_others<F, Fut>(make: F)
where
    F: Fn(Settings) -> Fut,
    Fut: Future<Output = Fixture<dyn Inbox>>,
{
    let bus = make(small_retention(Duration::from_secs(86_400))).await;
    let inbox = bus.port.as_ref();
    let (gone, stays) = (user("gone"), user("stays"));
    let start_gone = inbox.latest(&gone).await.unwrap();
    let start_stays = inbox.latest(&stays).await.unwrap();
    let long = Duration::from_secs(60);
    // The first read drives the round; it is dropped (its client left) mid-wait.
    let leaving = async {
        let read = inbox.read(&gone, &start_gone, long, 100);
        let cut = bus.clock.sleep(Duration::from_millis(100));
        futures::pin_mut!(read, cut);
        assert!(matches!(
            futures::future::select(read, cut).await,
            futures::future::Either::Right(_)
        ));
    };
    let staying = async {
        bus.clock.sleep(Duration::from_millis(50)).await;
        inbox.read(&stays, &start_stays, long, 100).await
    };
    let writer = async {
        bus.clock.sleep(Duration::from_millis(300)).await;
        inbox
            .append(std::slice::from_ref(&stays), &note(5))
            .await
            .unwrap();
    };
    let ((), got, ()) = within(bus.clock.as_ref(), "the remaining read", async {
        futures::join!(leaving, staying, writer)
    })
    .await;
    assert_eq!(numbers(&got.unwrap()), [5]);
}
