//! A message stored while the event bus failed is still delivered, exactly once, when the
//! client retries: the bus is made to fail right after the message commits.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use std::time::Duration;

use chat_core::{
    Error, Ports, Result,
    accounts::Accounts,
    conversations::Conversations,
    ports::{BusBackend, CursorStatus, Delivered, Event, EventId, EventKind, Inbox},
};

/// The real inbox, except that appends fail while `failing` is set.
struct FailingAppends {
    inner: Arc<dyn Inbox>,
    failing: AtomicBool,
}

#[async_trait::async_trait]
impl Inbox for FailingAppends {
    fn backend(&self) -> BusBackend {
        self.inner.backend()
    }
    async fn append(&self, recipients: &[String], event: &Event) -> Result<()> {
        if self.failing.load(Ordering::SeqCst) && event.kind == EventKind::Message {
            return Err(Error::Bus("injected outage".into()));
        }
        self.inner.append(recipients, event).await
    }
    async fn latest(&self, user: &str) -> Result<EventId> {
        self.inner.latest(user).await
    }
    async fn cursor_status(&self, user: &str, cursor: &EventId) -> Result<CursorStatus> {
        self.inner.cursor_status(user, cursor).await
    }
    async fn read(
        &self,
        user: &str,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>> {
        self.inner.read(user, cursor, wait, max).await
    }
    async fn ping(&self) -> Result<()> {
        self.inner.ping().await
    }
}

chat_tests::both_backends!(
    a_message_whose_announcement_failed_is_delivered_by_the_retry,
    |backend| {
        let server = chat_tests::TestServer::start(backend).await;
        let flaky = Arc::new(FailingAppends {
            inner: server.ports.inbox.clone(),
            failing: AtomicBool::new(false),
        });
        let ports = Ports {
            inbox: flaky.clone(),
            ..server.ports.clone()
        };
        let accounts = Accounts::new(&ports);
        let ann = accounts
            .signup("ann", chat_tests::PASSWORD, None, "127.0.0.1", "t")
            .await
            .unwrap()
            .user;
        let bob = accounts
            .signup("bob", chat_tests::PASSWORD, None, "127.0.0.1", "t")
            .await
            .unwrap()
            .user;
        let room = Conversations::new(&ports, &ann)
            .create_room(Some("flaky"))
            .await
            .unwrap();
        Conversations::new(&ports, &bob)
            .join("flaky")
            .await
            .unwrap();
        let bob_mark = ports.inbox.latest(&bob.id).await.unwrap();

        flaky.failing.store(true, Ordering::SeqCst);
        let first = Conversations::new(&ports, &ann)
            .send(&room.id, "hello?", "k1")
            .await;
        assert!(matches!(first, Err(Error::Bus(_))), "{first:?}");
        assert!(
            ports
                .inbox
                .read(&bob.id, &bob_mark, Duration::ZERO, 10)
                .await
                .unwrap()
                .is_empty()
        );

        flaky.failing.store(false, Ordering::SeqCst);
        let retries = (0..4).map(|_| {
            let ports = ports.clone();
            let (ann, room_id) = (ann.clone(), room.id.clone());
            async move {
                Conversations::new(&ports, &ann)
                    .send(&room_id, "hello?", "k1")
                    .await
            }
        });
        let outcomes = futures::future::join_all(retries).await;
        for outcome in &outcomes {
            let (message, created) = outcome.as_ref().unwrap();
            assert!(!created, "the message was stored by the first attempt");
            assert_eq!(message.seq, 1);
        }
        let delivered = ports
            .inbox
            .read(&bob.id, &bob_mark, Duration::ZERO, 10)
            .await
            .unwrap();
        let kinds: Vec<EventKind> = delivered.iter().map(|d| d.event.kind).collect();
        assert_eq!(
            kinds,
            [EventKind::Message],
            "announced once, by one of the racing retries"
        );
    }
);
