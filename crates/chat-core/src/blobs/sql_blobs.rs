//! Blobs as rows of the SQL store: a `blobs` row per blob (its size once committed) and a
//! `blob_parts` row per [`PART_BYTES`] of it. A range read fetches only the parts the range
//! touches.

use std::{ops::Range, sync::Arc};

use crate::{
    Error, Result,
    ports::{BlobStore, Clock, PART_BYTES, Sql, Value},
};

/// The SQL-backed [`BlobStore`].
pub struct SqlBlobs {
    sql: Arc<dyn Sql>,
    clock: Arc<dyn Clock>,
}

impl SqlBlobs {
    /// Blobs in `sql`; `clock` dates uploads for the sweep.
    pub fn new(sql: Arc<dyn Sql>, clock: Arc<dyn Clock>) -> Self {
        SqlBlobs { sql, clock }
    }
}

/// A byte count as SQLite's integer.
fn integer(n: u64) -> Result<Value> {
    i64::try_from(n)
        .map(Value::Integer)
        .map_err(|_| Error::Data(format!("{n} bytes is past SQLite's integers")))
}

#[async_trait::async_trait]
impl BlobStore for SqlBlobs {
    async fn write_part(&self, key: &str, index: u32, bytes: Vec<u8>) -> Result<()> {
        if index == 0 {
            // The blob's row first: a part is never without one, so the sweep finds it.
            self.sql
                .execute(
                    "INSERT INTO blobs (key, created_at_ms) VALUES (?1, ?2)",
                    &[Value::from(key), Value::Integer(self.clock.now_ms())],
                )
                .await?;
        }
        self.sql
            .execute(
                "INSERT INTO blob_parts (blob_key, n, data) VALUES (?1, ?2, ?3)",
                &[Value::from(key), Value::from(index), Value::Blob(bytes)],
            )
            .await
    }

    async fn commit(&self, key: &str, size: u64) -> Result<()> {
        let rows = self
            .sql
            .query(
                "UPDATE blobs SET size = ?2
                  WHERE key = ?1 AND size IS NULL
                    AND ?2 = (SELECT coalesce(sum(length(data)), 0) FROM blob_parts
                               WHERE blob_key = ?1)
                 RETURNING 1",
                &[Value::from(key), integer(size)?],
            )
            .await?;
        if rows.is_empty() {
            return Err(Error::Data(format!(
                "blob {key}: no upload in progress whose parts hold {size} bytes"
            )));
        }
        Ok(())
    }

    async fn read(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>> {
        let size: Option<i64> = self
            .sql
            .query(
                "SELECT size FROM blobs WHERE key = ?1 AND size IS NOT NULL",
                &[Value::from(key)],
            )
            .await?
            .first()
            .map(|row| row.get(0))
            .transpose()?;
        let Some(size) = size.and_then(|size| u64::try_from(size).ok()) else {
            return Err(Error::NotFound { what: "blob" });
        };
        let (start, end) = (range.start.min(size), range.end.min(size));
        if start >= end {
            return Ok(Vec::new());
        }
        let part = PART_BYTES as u64;
        let rows = self
            .sql
            .query(
                "SELECT n, data FROM blob_parts WHERE blob_key = ?1 AND n BETWEEN ?2 AND ?3
                  ORDER BY n",
                &[
                    Value::from(key),
                    integer(start / part)?,
                    integer((end - 1) / part)?,
                ],
            )
            .await?;
        let mut bytes = Vec::with_capacity(usize::try_from(end - start).unwrap_or(0));
        for row in &rows {
            let n: i64 = row.get(0)?;
            let data: Vec<u8> = row.get(1)?;
            let part_start = u64::try_from(n).unwrap_or(0) * part;
            let from = start.saturating_sub(part_start) as usize;
            let to = (end - part_start).min(data.len() as u64) as usize;
            bytes.extend_from_slice(data.get(from..to).unwrap_or_default());
        }
        if bytes.len() as u64 != end - start {
            return Err(Error::Data(format!(
                "blob {key}: parts hold {} of bytes {start}..{end}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        // Parts first: a blob row left behind by a failure here is still swept or deleted
        // again; a part left without its row would be found by nothing.
        self.sql
            .execute(
                "DELETE FROM blob_parts WHERE blob_key = ?1",
                &[Value::from(key)],
            )
            .await?;
        self.sql
            .execute("DELETE FROM blobs WHERE key = ?1", &[Value::from(key)])
            .await
    }

    async fn sweep_uncommitted(&self, before_ms: i64, limit: u32) -> Result<u32> {
        let rows = self
            .sql
            .query(
                "SELECT key FROM blobs WHERE size IS NULL AND created_at_ms < ?1
                  ORDER BY created_at_ms LIMIT ?2",
                &[Value::Integer(before_ms), Value::from(limit)],
            )
            .await?;
        let mut removed = 0;
        for row in &rows {
            let key: String = row.get(0)?;
            self.delete(&key).await?;
            removed += 1;
        }
        Ok(removed)
    }
}
