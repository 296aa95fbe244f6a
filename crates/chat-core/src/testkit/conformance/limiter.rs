//! Conformance cases of the `Limiter` port: the SQLite and Redis limiters.

use super::*;

fn limited(v: Verdict) -> Duration {
    match v {
        Verdict::Limited { retry_after } => retry_after,
        Verdict::Allowed => panic!("expected a refusal"),
    }
}

pub async fn a_burst_is_allowed_then_refused_with_a_retry_time<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock.clone()).await;
    let key = unique("burst");
    let rate = Rate::bucket(3, 2.0);
    for _ in 0..3 {
        assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    }
    let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(500),
        "{wait:?}"
    );
}

pub async fn tokens_come_back_at_the_rate<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock.clone()).await;
    let key = unique("refill");
    let rate = Rate::per_window(2, Duration::from_secs(60));
    assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
    assert!(
        wait <= Duration::from_secs(30) && wait > Duration::from_secs(29),
        "{wait:?}"
    );
    clock.advance(Duration::from_secs(10));
    let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
    assert!(
        wait <= Duration::from_secs(20) && wait > Duration::from_secs(19),
        "{wait:?}"
    );
    clock.advance(Duration::from_secs(21));
    assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    assert!(!lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    clock.advance(Duration::from_secs(3600));
    for _ in 0..2 {
        assert!(
            lim.port.acquire(&key, rate).await.unwrap().is_allowed(),
            "refills to burst only"
        );
    }
    assert!(!lim.port.acquire(&key, rate).await.unwrap().is_allowed());
}

pub async fn a_costly_write_takes_all_its_tokens_or_none<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock.clone()).await;
    let key = unique("cost");
    let rate = Rate::bucket(100, 10.0);
    assert!(
        lim.port
            .acquire_many(&key, rate, 60)
            .await
            .unwrap()
            .is_allowed()
    );
    // 40 left: a cost of 50 is refused whole, taking nothing, with the wait for 10 more.
    let wait = limited(lim.port.acquire_many(&key, rate, 50).await.unwrap());
    assert!(
        wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
    assert!(
        lim.port
            .acquire_many(&key, rate, 40)
            .await
            .unwrap()
            .is_allowed()
    );
    assert!(!lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    clock.advance(Duration::from_secs(5));
    assert!(
        lim.port
            .acquire_many(&key, rate, 50)
            .await
            .unwrap()
            .is_allowed()
    );
    // More than the bucket ever holds: refused with the longest wait.
    let never = limited(
        lim.port
            .acquire_many(&unique("huge"), rate, 101)
            .await
            .unwrap(),
    );
    assert_eq!(never, Rate::LONGEST_WAIT);
}

pub async fn check_does_not_take_a_token<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock).await;
    let key = unique("check");
    let rate = Rate::bucket(1, 0.1);
    for _ in 0..3 {
        assert!(lim.port.check(&key, rate).await.unwrap().is_allowed());
    }
    assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    let wait = limited(lim.port.check(&key, rate).await.unwrap());
    assert!(wait > Duration::from_secs(9), "{wait:?}");
}

pub async fn reset_refills_and_keys_are_independent<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock).await;
    let (k1, k2) = (unique("k1"), unique("k2"));
    let rate = Rate::bucket(1, 0.001);
    assert!(lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
    assert!(!lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
    assert!(
        lim.port.acquire(&k2, rate).await.unwrap().is_allowed(),
        "other key unaffected"
    );
    lim.port.reset(&k1).await.unwrap();
    assert!(lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
}

pub async fn concurrent_acquires_never_exceed_the_burst<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn Limiter>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let lim = make(clock).await;
    let key = unique("race");
    let rate = Rate::bucket(5, 0.001);
    let attempts = (0..24).map(|_| lim.port.acquire(&key, rate));
    let results = futures::future::join_all(attempts).await;
    let granted = results
        .into_iter()
        .filter(|r| r.as_ref().unwrap().is_allowed())
        .count();
    assert_eq!(granted, 5);
}

#[macro_export]
/// Generates one `#[tokio::test]` per `Limiter` conformance case, over `$make`: an async
/// fn taking the `Arc<FixedClock>` to read time from and returning a `Fixture<dyn Limiter>`.
macro_rules! limiter_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            limiter,
            $make,
            [
                a_burst_is_allowed_then_refused_with_a_retry_time,
                tokens_come_back_at_the_rate,
                a_costly_write_takes_all_its_tokens_or_none,
                check_does_not_take_a_token,
                reset_refills_and_keys_are_independent,
                concurrent_acquires_never_exceed_the_burst,
            ]
        );
    };
}
