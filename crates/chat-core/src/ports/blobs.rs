//! The `BlobStore` port: large immutable byte strings (attachments, avatars) written in
//! parts as an upload arrives and read back by byte range, so neither an upload nor a
//! download is ever held whole in memory. Shaped after an object store's multipart upload
//! (S3: `UploadPart`, `CompleteMultipartUpload`, ranged `GetObject`, `DeleteObject`, and
//! aborting stale uploads), so one can be added beside the first backend, which keeps the
//! parts as rows of the shared SQL store (`blobs::SqlBlobs`).

use std::ops::Range;

use crate::Result;

/// The size of every part but a blob's last: the unit of writing, of reading back, and of
/// the memory an upload or a download holds at once.
pub const PART_BYTES: usize = 256 * 1024;

/// Where a deployment keeps blobs.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores part `index` (0, 1, 2, ... in order) of blob `key` while it is written:
    /// every part but the last is exactly [`PART_BYTES`] long. Until [`BlobStore::commit`]
    /// the blob cannot be read, and [`BlobStore::sweep_uncommitted`] may remove it.
    async fn write_part(&self, key: &str, index: u32, bytes: Vec<u8>) -> Result<()>;

    /// Makes blob `key` whole and readable: its parts hold `size` bytes in all (a
    /// mismatch is an error and commits nothing).
    async fn commit(&self, key: &str, size: u64) -> Result<()>;

    /// Bytes `range` of committed blob `key` (cut at its end); `Error::NotFound` when there
    /// is no committed blob `key`.
    async fn read(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>>;

    /// Removes blob `key`, committed or not; nothing when there is none.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Writes `bytes`, held whole already (a preview, a profile picture), as blob `key` in
    /// [`PART_BYTES`] parts, and commits it; an empty blob is one empty part.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            self.write_part(key, 0, Vec::new()).await?;
        }
        for (index, part) in bytes.chunks(PART_BYTES).enumerate() {
            let index = u32::try_from(index)
                .map_err(|_| crate::Error::Data(format!("blob {key}: too many parts")))?;
            self.write_part(key, index, part.to_vec()).await?;
        }
        self.commit(key, bytes.len() as u64).await
    }

    /// Removes up to `limit` blobs begun before `before_ms` (the store's clock) and never
    /// committed: uploads that were cut off. Returns how many it removed.
    async fn sweep_uncommitted(&self, before_ms: i64, limit: u32) -> Result<u32>;
}
