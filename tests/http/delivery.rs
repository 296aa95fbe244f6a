//! Delivery survives a failing bus: the bus is made to fail right after a write commits
//! (before the append, or after it with the reply lost), and what the API acknowledged is
//! still delivered exactly once, by the client's retry or by a stream's round.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use chat_core::{
    Error, Ports, Result,
    accounts::{Accounts, User},
    conversations::{Conversation, Conversations, NewMessage, NewRoom},
    events::LiveStream,
    ids::UserId,
    ports::{BusBackend, CursorStatus, Delivered, Envelope, EventId, Inbox},
};

/// The real inbox, except that appends fail while `failing` is set: before appending, or
/// (with `lose_replies`) after the append went in, as when a reply is lost.
struct FailingAppends {
    inner: Arc<dyn Inbox>,
    failing: AtomicBool,
    lose_replies: bool,
}

#[async_trait::async_trait]
impl Inbox for FailingAppends {
    fn backend(&self) -> BusBackend {
        self.inner.backend()
    }
    async fn append(&self, recipients: &[UserId], envelope: &Envelope) -> Result<()> {
        if !self.failing.load(Ordering::SeqCst) {
            return self.inner.append(recipients, envelope).await;
        }
        if self.lose_replies {
            self.inner.append(recipients, envelope).await?;
        }
        Err(Error::Bus("injected outage".into()))
    }
    async fn settled(&self, keys: &[String]) -> Result<Vec<String>> {
        self.inner.settled(keys).await
    }
    async fn latest(&self, user: &UserId) -> Result<EventId> {
        self.inner.latest(user).await
    }
    async fn cursor_status(&self, user: &UserId, cursor: &EventId) -> Result<CursorStatus> {
        self.inner.cursor_status(user, cursor).await
    }
    async fn read(
        &self,
        user: &UserId,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>> {
        self.inner.read(user, cursor, wait, max).await
    }
    async fn read_many(
        &self,
        readers: &[(UserId, EventId)],
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Vec<Delivered>>> {
        self.inner.read_many(readers, wait, max).await
    }
    async fn ring(&self) -> Result<()> {
        self.inner.ring().await
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

/// Ann and Bob in room "flaky", over an inbox that fails as told.
async fn scene(
    server: &chat_tests::TestServer,
    lose_replies: bool,
) -> (Ports, Arc<FailingAppends>, User, User, Conversation) {
    let flaky = Arc::new(FailingAppends {
        inner: server.ports.inbox.clone(),
        failing: AtomicBool::new(false),
        lose_replies,
    });
    let ports = Ports {
        inbox: flaky.clone(),
        ..server.ports.clone()
    };
    let accounts = Accounts::new(&ports);
    let mut people = Vec::new();
    for name in ["ann", "bob"] {
        let user = accounts
            .signup(chat_core::accounts::NewAccount {
                username: name,
                password: chat_tests::PASSWORD,
                display_name: None,
                client: "127.0.0.1",
                user_agent: "t",
            })
            .await
            .unwrap()
            .user;
        people.push(user);
    }
    let bob = people.pop().unwrap();
    let ann = people.pop().unwrap();
    let room = Conversations::new(&ports, &ann)
        .create_room(&NewRoom {
            name: Some("flaky"),
            ..NewRoom::default()
        })
        .await
        .unwrap();
    Conversations::new(&ports, &bob)
        .join("flaky")
        .await
        .unwrap();
    // The setup's own events are in: the rounds settle their rows.
    stream_round(&ports, &ann).await;
    assert_eq!(outbox_rows(&ports).await, 0);
    (ports, flaky, ann, bob, room)
}

/// The kinds of the events in `user`'s inbox after `mark`.
async fn kinds_after(ports: &Ports, user: &User, mark: &EventId) -> Vec<&'static str> {
    let delivered = ports
        .inbox
        .read(&user.id, mark, Duration::ZERO, 100)
        .await
        .unwrap();
    chat_tests::kinds(&delivered)
}

/// A server whose rounds redeliver anything at once (not 30 s later), so a test does not
/// wait for them.
async fn server_redelivering_at_once(backend: chat_tests::Backend) -> chat_tests::TestServer {
    let settings = chat_core::settings::Settings {
        redeliver_after: Duration::ZERO,
        rounds_interval: Duration::ZERO,
        ..chat_core::settings::Settings::default()
    };
    chat_tests::TestServer::start_with(backend, settings).await
}

/// What the rounds have yet to vouch for: outbox rows, and messages past the delivery mark.
async fn outbox_rows(ports: &Ports) -> i64 {
    let rows = ports
        .sql
        .query(
            "SELECT (SELECT count(*) FROM outbox)
                  + (SELECT count(*) FROM messages m, message_delivery_mark d
                      WHERE m.id > d.last_message_id)",
            &[],
        )
        .await
        .unwrap();
    rows[0].get(0).unwrap()
}

/// Opens (and drops) a stream for `user`: its opening round redelivers what is due.
async fn stream_round(ports: &Ports, user: &User) {
    // Past the millisecond of the newest message, which the rounds leave to its request.
    tokio::time::sleep(Duration::from_millis(3)).await;
    drop(
        LiveStream::open(ports.clone(), user.clone(), None, None)
            .await
            .unwrap(),
    );
}

chat_tests::both_backends!(
    an_acknowledged_message_whose_append_failed_is_delivered_once_by_the_retry,
    |backend| {
        let server = server_redelivering_at_once(backend).await;
        let (ports, flaky, ann, bob, room) = scene(&server, false).await;
        let bob_mark = ports.inbox.latest(&bob.id).await.unwrap();

        flaky.failing.store(true, Ordering::SeqCst);
        let (first, created) = Conversations::new(&ports, &ann)
            .send(&room.id, &NewMessage::text("hello?", "k1"))
            .await
            .expect("stored and queued: acknowledged");
        assert!(created);
        assert!(kinds_after(&ports, &bob, &bob_mark).await.is_empty());
        assert_eq!(
            outbox_rows(&ports).await,
            1,
            "the message waits for the rounds"
        );

        flaky.failing.store(false, Ordering::SeqCst);
        let retries = (0..4).map(|_| {
            let ports = ports.clone();
            let (ann, room_id) = (ann.clone(), room.id.clone());
            async move {
                Conversations::new(&ports, &ann)
                    .send(&room_id, &NewMessage::text("hello?", "k1"))
                    .await
            }
        });
        let outcomes = futures::future::join_all(retries).await;
        for outcome in &outcomes {
            let (message, created) = outcome.as_ref().unwrap();
            assert!(!created, "the message was stored by the first attempt");
            assert_eq!(message.id, first.id);
        }
        stream_round(&ports, &ann).await;
        assert_eq!(
            kinds_after(&ports, &bob, &bob_mark).await,
            ["message"],
            "delivered once, by one of the racing retries, and not again by the round"
        );
        assert_eq!(outbox_rows(&ports).await, 0);
    }
);

chat_tests::both_backends!(
    a_message_nobody_retries_is_delivered_once_by_a_streams_round,
    |backend| {
        let server = server_redelivering_at_once(backend).await;
        let (ports, flaky, ann, bob, room) = scene(&server, false).await;
        let bob_mark = ports.inbox.latest(&bob.id).await.unwrap();
        flaky.failing.store(true, Ordering::SeqCst);
        Conversations::new(&ports, &ann)
            .send(&room.id, &NewMessage::text("anyone?", "k2"))
            .await
            .unwrap();
        flaky.failing.store(false, Ordering::SeqCst);

        stream_round(&ports, &ann).await;
        stream_round(&ports, &bob).await;
        assert_eq!(kinds_after(&ports, &bob, &bob_mark).await, ["message"]);
        assert_eq!(outbox_rows(&ports).await, 0);
    }
);

chat_tests::both_backends!(an_append_whose_reply_was_lost_is_never_doubled, |backend| {
    let server = server_redelivering_at_once(backend).await;
    let (ports, flaky, ann, bob, room) = scene(&server, true).await;
    let bob_mark = ports.inbox.latest(&bob.id).await.unwrap();

    flaky.failing.store(true, Ordering::SeqCst);
    Conversations::new(&ports, &ann)
        .send(&room.id, &NewMessage::text("did that go?", "k3"))
        .await
        .unwrap();
    // The retry, and every round after, find the row still there and append again.
    Conversations::new(&ports, &ann)
        .send(&room.id, &NewMessage::text("did that go?", "k3"))
        .await
        .unwrap();
    stream_round(&ports, &ann).await;
    flaky.failing.store(false, Ordering::SeqCst);
    stream_round(&ports, &ann).await;
    stream_round(&ports, &ann).await;

    assert_eq!(
        kinds_after(&ports, &bob, &bob_mark).await,
        ["message"],
        "the message once"
    );
    assert_eq!(outbox_rows(&ports).await, 0);
});

chat_tests::both_backends!(every_kind_of_event_outlives_a_failed_append, |backend| {
    let server = server_redelivering_at_once(backend).await;
    let (ports, flaky, ann, bob, room) = scene(&server, false).await;
    let ann_mark = ports.inbox.latest(&ann.id).await.unwrap();

    flaky.failing.store(true, Ordering::SeqCst);
    let bobs = Conversations::new(&ports, &bob);
    bobs.send(&room.id, &NewMessage::text("hi", "k4"))
        .await
        .unwrap();
    let (edited, _) = bobs
        .send(&room.id, &NewMessage::text("typo", "k5"))
        .await
        .unwrap();
    bobs.edit(&room.id, &edited.id, "fixed").await.unwrap();
    bobs.delete(&room.id, &edited.id).await.unwrap();
    Conversations::new(&ports, &ann)
        .mark_read(&room.id, 1)
        .await
        .unwrap();
    bobs.leave(&room.id).await.unwrap();
    flaky.failing.store(false, Ordering::SeqCst);

    stream_round(&ports, &ann).await;
    let mut kinds = kinds_after(&ports, &ann, &ann_mark).await;
    kinds.sort_unstable();
    let mut expected = vec![
        "message",
        "message",
        "message_edited",
        "message_deleted",
        "read",
        "member_left",
    ];
    expected.sort_unstable();
    assert_eq!(kinds, expected, "each once, none lost");
    assert_eq!(outbox_rows(&ports).await, 0);
});
