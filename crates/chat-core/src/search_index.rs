//! Keeps the full-text index of message bodies caught up, in batches: a send stores only
//! its message, and the messages stored since the last batch are indexed together, in one
//! transaction, by the event streams' rounds (about twice a second somewhere in the
//! deployment) and before every search (so results are exact). FTS5 writes an index
//! segment per transaction; doing that inside each send held SQLite's one write lock long
//! enough that 500 messages a second on one process tipped over (docs/benchmarks.md).
//!
//! The database keeps the rest (migrations/0017_search_in_batches): `messages_search_mark`
//! says how far in rowid order the index has got, and triggers re-index an edit, and take
//! out a deletion, of any message at or below it.

use crate::{Ports, Result, ResultExt, ports::Value};

/// Messages one transaction indexes at most: a long backlog (a database restored without
/// its index, say) is indexed in several short write transactions, not one long one.
const BATCH: i64 = 500;

/// Whether messages are waiting to be indexed: one read of two index ends, no write.
async fn behind(ports: &Ports) -> Result<bool> {
    let rows = ports
        .sql
        .query(
            "SELECT coalesce((SELECT max(rowid) FROM messages), 0)
                    > (SELECT indexed_through FROM messages_search_mark)",
            &[],
        )
        .await?;
    crate::ports::first_flag(&rows)
}

/// Indexes every message stored since the last batch. Racing callers are harmless: each
/// batch re-reads the mark inside its write transaction, so a message is indexed once.
pub async fn index_new_messages(ports: &Ports) -> Result<()> {
    while behind(ports).await.context("search index: checking")? {
        if index_one_batch(ports).await? == 0 {
            break;
        }
    }
    Ok(())
}

/// Indexes up to [`BATCH`] messages past the mark and moves the mark past them (tombstones
/// count toward the batch but add no words). Returns how many rows it passed.
async fn index_one_batch(ports: &Ports) -> Result<i64> {
    let mut tx = ports.sql.begin().await.context("search index: beginning")?;
    let range = tx
        .query(
            "SELECT mark.indexed_through, max(next.rowid), count(next.rowid)
               FROM messages_search_mark mark
               LEFT JOIN (SELECT rowid FROM messages
                           WHERE rowid > (SELECT indexed_through FROM messages_search_mark)
                           ORDER BY rowid LIMIT ?1) next",
            &[Value::Integer(BATCH)],
        )
        .await
        .context("search index: finding the batch")?;
    let Some(row) = range.first() else {
        return Ok(0);
    };
    let (from, through, count): (i64, Option<i64>, i64) = (row.get(0)?, row.get(1)?, row.get(2)?);
    let Some(through) = through else {
        return Ok(0);
    };
    tx.execute(
        "INSERT INTO messages_search (rowid, body)
         SELECT rowid, body FROM messages
          WHERE rowid > ?1 AND rowid <= ?2 AND deleted = 0",
        &[Value::Integer(from), Value::Integer(through)],
    )
    .await
    .context("search index: indexing")?;
    tx.execute(
        "UPDATE messages_search_mark SET indexed_through = ?1",
        &[Value::Integer(through)],
    )
    .await
    .context("search index: moving the mark")?;
    tx.commit().await.context("search index: committing")?;
    Ok(count)
}
