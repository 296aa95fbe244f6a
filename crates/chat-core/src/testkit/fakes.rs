//! Deterministic stand-ins for the clock and randomness, and a tiny executor for unit tests
//! of async code in a crate that has no runtime.

use std::{
    future::Future,
    pin::pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, Ordering},
    },
    task::{Context, Poll, Wake, Waker},
    time::Duration,
};

use crate::{
    Result,
    ports::{Clock, Random},
};

/// A clock that stands still until told to move; `sleep` moves it forward instantly.
#[derive(Debug, Default)]
pub struct FixedClock {
    now_ms: AtomicI64,
}

impl FixedClock {
    /// A clock reading `now_ms`.
    pub fn at(now_ms: i64) -> Self {
        FixedClock {
            now_ms: AtomicI64::new(now_ms),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.now_ms
            .fetch_add(crate::time::millis(by), Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    async fn sleep(&self, duration: Duration) {
        self.advance(duration);
    }
}

/// A xorshift generator: the same seed gives the same bytes. Never for real secrets.
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<u64>,
}

impl SeededRandom {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            state: Mutex::new(seed.max(1)),
        }
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        for b in buf {
            *state ^= *state << 13;
            *state ^= *state >> 7;
            *state ^= *state << 17;
            *b = (*state >> 24) as u8;
        }
        Ok(())
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Runs a future to completion on the current thread.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}
