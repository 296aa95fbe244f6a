//! Conformance cases of the `BlobStore` port: the SQL store's backend (and any object
//! store added beside it).

use super::*;
use crate::ports::{BlobStore, PART_BYTES};

/// `len` bytes that differ from position to position, so a misplaced range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Writes `bytes` as blob `key` in parts, and commits it (the port's own `put`).
async fn put(store: &dyn BlobStore, key: &str, bytes: &[u8]) {
    store.put(key, bytes).await.unwrap();
}

pub async fn a_blob_reads_back_whole_and_by_any_range<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn BlobStore>>,
{
    let store = make(Arc::new(FixedClock::at(1_700_000_000_000))).await;
    let key = unique("blob");
    let bytes = pattern(2 * PART_BYTES + 1234);
    put(store.port.as_ref(), &key, &bytes).await;
    let total = bytes.len() as u64;
    assert_eq!(store.port.read(&key, 0..total).await.unwrap(), bytes);
    let part = PART_BYTES as u64;
    for range in [
        0..1,
        5..part,
        part - 3..part + 3,
        part..2 * part + 10,
        total - 1..total,
    ] {
        let expected = &bytes[range.start as usize..range.end as usize];
        assert_eq!(
            store.port.read(&key, range.clone()).await.unwrap(),
            expected,
            "{range:?}"
        );
    }
    // Past the end is cut at the end; an empty range is empty.
    assert_eq!(
        store.port.read(&key, total - 2..total + 100).await.unwrap(),
        &bytes[bytes.len() - 2..]
    );
    assert!(store.port.read(&key, 10..10).await.unwrap().is_empty());
    // An empty blob is a blob.
    let empty = unique("empty");
    put(store.port.as_ref(), &empty, &[]).await;
    assert!(store.port.read(&empty, 0..10).await.unwrap().is_empty());
}

pub async fn an_uncommitted_blob_cannot_be_read_and_is_swept<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn BlobStore>>,
{
    let clock = Arc::new(FixedClock::at(1_700_000_000_000));
    let store = make(clock.clone()).await;
    let (cut, kept) = (unique("cut"), unique("kept"));
    store
        .port
        .write_part(&cut, 0, pattern(PART_BYTES))
        .await
        .unwrap();
    put(store.port.as_ref(), &kept, &pattern(10)).await;
    assert!(matches!(
        store.port.read(&cut, 0..10).await,
        Err(Error::NotFound { .. })
    ));
    // Not yet old enough to sweep.
    let now = clock.now_ms();
    assert_eq!(store.port.sweep_uncommitted(now - 1, 100).await.unwrap(), 0);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        store
            .port
            .sweep_uncommitted(clock.now_ms() - 1000, 100)
            .await
            .unwrap(),
        1
    );
    // Swept: committing it now fails; the committed one is untouched.
    assert!(store.port.commit(&cut, PART_BYTES as u64).await.is_err());
    assert_eq!(store.port.read(&kept, 0..10).await.unwrap(), pattern(10));
}

pub async fn a_commit_whose_parts_do_not_add_up_fails<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn BlobStore>>,
{
    let store = make(Arc::new(FixedClock::at(1_700_000_000_000))).await;
    let key = unique("short");
    store.port.write_part(&key, 0, pattern(100)).await.unwrap();
    assert!(store.port.commit(&key, 101).await.is_err());
    assert!(store.port.read(&key, 0..100).await.is_err(), "not readable");
    store.port.commit(&key, 100).await.unwrap();
    assert!(
        store.port.commit(&key, 100).await.is_err(),
        "committed once"
    );
    assert!(store.port.commit(&unique("never"), 0).await.is_err());
}

pub async fn delete_removes_any_blob_and_tolerates_none<F, Fut>(make: F)
where
    F: Fn(Arc<FixedClock>) -> Fut,
    Fut: Future<Output = Fixture<dyn BlobStore>>,
{
    let store = make(Arc::new(FixedClock::at(1_700_000_000_000))).await;
    let (done, half) = (unique("done"), unique("half"));
    put(store.port.as_ref(), &done, &pattern(PART_BYTES + 1)).await;
    store
        .port
        .write_part(&half, 0, pattern(PART_BYTES))
        .await
        .unwrap();
    store.port.delete(&done).await.unwrap();
    store.port.delete(&half).await.unwrap();
    store.port.delete(&unique("absent")).await.unwrap();
    assert!(matches!(
        store.port.read(&done, 0..1).await,
        Err(Error::NotFound { .. })
    ));
    // The key can be written afresh.
    put(store.port.as_ref(), &done, &pattern(3)).await;
    assert_eq!(store.port.read(&done, 0..3).await.unwrap(), pattern(3));
}

#[macro_export]
macro_rules! blobs_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            blobs,
            $make,
            [
                a_blob_reads_back_whole_and_by_any_range,
                an_uncommitted_blob_cannot_be_read_and_is_swept,
                a_commit_whose_parts_do_not_add_up_fails,
                delete_removes_any_blob_and_tolerates_none,
            ]
        );
    };
}
