//! Uploading a file into a conversation: the request body streamed into the blob store
//! part by part (never held whole), sniffed, within the size limit, the uploader's storage
//! quota and upload rate; a picture decoded once for its layout and scaled preview. A
//! message then carries the upload by its id (`attachments.rs`).

use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{Conversations, attachments::sweep};
use crate::{
    Error, Result, ResultExt,
    attachments::{
        Attachment, attachment_url, parse_file_name,
        preview::picture,
        preview_key,
        sniff::{HEAD_BYTES, TAIL_BYTES, sniff},
    },
    ids::{AttachmentId, ConversationId},
    ports::{PART_BYTES, Rate, Value},
};

/// What the client said about an upload besides its bytes: claims, checked against them.
#[derive(Debug, Clone, Copy)]
pub struct UploadClaims<'a> {
    /// The file name (validated by `parse_file_name`).
    pub name: &'a str,
    /// The request's `Content-Type`, if any: an image type must be borne out by the bytes.
    pub content_type: Option<&'a str>,
    /// The request's `Content-Length`, if any: past the limit, refused before reading.
    pub content_length: Option<u64>,
}

/// An upload's bytes as they arrive; an error item means the client's request broke off.
pub type UploadBody<'a> = dyn Stream<Item = Result<Vec<u8>>> + Send + Unpin + 'a;

/// What the bytes of an upload in progress told so far.
struct Received {
    size: u64,
    head: Vec<u8>,
    tail: Vec<u8>,
    hash: Sha256,
    parts: u32,
    pending: Vec<u8>,
}

impl Received {
    fn new() -> Self {
        Received {
            size: 0,
            head: Vec::new(),
            tail: Vec::new(),
            hash: Sha256::new(),
            parts: 0,
            pending: Vec::with_capacity(PART_BYTES),
        }
    }

    /// Takes `chunk` in; returns the whole parts it completed.
    fn take(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.size += chunk.len() as u64;
        self.hash.update(chunk);
        if self.head.len() < HEAD_BYTES {
            let room = HEAD_BYTES - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > TAIL_BYTES {
            self.tail.drain(..self.tail.len() - TAIL_BYTES);
        }
        let mut parts = Vec::new();
        let mut rest = chunk;
        while !rest.is_empty() {
            let room = PART_BYTES - self.pending.len();
            let (now, later) = rest.split_at(rest.len().min(room));
            self.pending.extend_from_slice(now);
            rest = later;
            if self.pending.len() == PART_BYTES {
                parts.push(std::mem::replace(
                    &mut self.pending,
                    Vec::with_capacity(PART_BYTES),
                ));
            }
        }
        parts
    }
}

fn too_large(max: u64) -> Error {
    Error::TooLarge {
        code: "too_large",
        message: format!("a file may be at most {max} bytes"),
    }
}

fn over_quota(quota: u64) -> Error {
    Error::TooLarge {
        code: "quota_exceeded",
        message: format!(
            "your files would hold more than {} MiB; delete some messages with files first",
            quota / (1024 * 1024)
        ),
    }
}

impl Conversations<'_> {
    /// Bytes the caller's files hold now (not deleted; unsent uploads count until swept).
    async fn stored_bytes(&self) -> Result<u64> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT coalesce(sum(size), 0) FROM attachments
                  WHERE uploader_id = ?1 AND discarded = 0",
                &[Value::from(&self.me.id)],
            )
            .await?;
        let bytes: i64 = rows.first().map(|r| r.get(0)).transpose()?.unwrap_or(0);
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// Uploads a file into a conversation the caller is a member of (404 otherwise; 403
    /// `blocked` across a block): streamed into the blob store, never held whole. Refused
    /// with nothing stored: 413 `too_large` past `attachment_max_bytes` (before reading
    /// when the length is declared), 413 `quota_exceeded` past `storage_per_user_mib`, 429
    /// past `uploads_per_hour`, 400 for an empty, damaged or lying file (see `sniff`) or a
    /// body that broke off (`upload_incomplete`). The upload waits an hour for a message
    /// to carry it.
    pub async fn upload(
        &self,
        conversation_id: &ConversationId,
        claims: UploadClaims<'_>,
        body: &mut UploadBody<'_>,
    ) -> Result<Attachment> {
        let name = parse_file_name(claims.name)?;
        let membership = self.membership(conversation_id).await?;
        self.check_not_blocked(&membership).await?;
        let settings = &self.ports.settings;
        let max = u64::from(settings.attachment_max_bytes);
        if claims.content_length.is_some_and(|length| length > max) {
            return Err(too_large(max));
        }
        let quota = settings.storage_per_user_bytes;
        let stored = self
            .stored_bytes()
            .await
            .context("upload: reading the quota")?;
        if stored + claims.content_length.unwrap_or(0) > quota {
            return Err(over_quota(quota));
        }
        let rate = Rate::bucket(10, f64::from(settings.uploads_per_hour) / 3600.0);
        self.ports
            .limiter
            .acquire(&format!("upload:{}", self.me.id), rate)
            .await?
            .into_result()?;
        sweep(self.ports).await;

        let id = AttachmentId::from_raw(crate::ports::uuid_v7(
            self.ports.clock.as_ref(),
            self.ports.random.as_ref(),
        )?);
        let stored_file = self.receive(&id, body, max).await;
        let received = match stored_file {
            Ok(received) => received,
            Err(e) => {
                self.discard_blob(&id).await;
                return Err(e);
            }
        };
        let result = self
            .record(
                conversation_id,
                &id,
                &name,
                claims,
                &received,
                stored,
                quota,
            )
            .await;
        if result.is_err() {
            self.discard_blob(&id).await;
        }
        result
    }

    /// Streams `body` into blob `id` part by part, and commits it.
    async fn receive(
        &self,
        id: &AttachmentId,
        body: &mut UploadBody<'_>,
        max: u64,
    ) -> Result<Received> {
        let key = id.as_str();
        let mut received = Received::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if received.size + chunk.len() as u64 > max {
                return Err(too_large(max));
            }
            for part in received.take(&chunk) {
                self.ports
                    .blobs
                    .write_part(key, received.parts, part)
                    .await
                    .context("upload: storing a part")?;
                received.parts += 1;
            }
        }
        // The last part (or the only, empty one): sniffing refuses an empty file later.
        if !received.pending.is_empty() || received.parts == 0 {
            let last = std::mem::take(&mut received.pending);
            self.ports
                .blobs
                .write_part(key, received.parts, last)
                .await
                .context("upload: storing the last part")?;
            received.parts += 1;
        }
        self.ports
            .blobs
            .commit(key, received.size)
            .await
            .context("upload: completing the blob")?;
        Ok(received)
    }

    /// Sniffs what arrived and records it as the caller's unsent upload.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &self,
        conversation_id: &ConversationId,
        id: &AttachmentId,
        name: &str,
        claims: UploadClaims<'_>,
        received: &Received,
        stored_before: u64,
        quota: u64,
    ) -> Result<Attachment> {
        let sniffed = sniff(
            &received.head,
            &received.tail,
            received.size,
            claims.content_type,
            name,
        )?;
        if stored_before + received.size > quota {
            return Err(over_quota(quota));
        }
        let size = i64::try_from(received.size).map_err(|_| too_large(received.size))?;
        let mut dimensions = sniffed.dimensions;
        let mut preview_type = None;
        let mut preview_size = None;
        if let (Some(raster), Some(stored)) = (sniffed.raster, sniffed.dimensions) {
            // A picture is decoded once, from the store: proven whole, laid out as its EXIF
            // orientation says, and scaled down when it is big.
            let bytes = self
                .ports
                .blobs
                .read(id.as_str(), 0..received.size)
                .await
                .context("upload: reading the picture back")?;
            let pictured = picture(&bytes, raster, stored)?;
            dimensions = Some(pictured.dimensions);
            if let Some((preview, media_type)) = pictured.preview {
                preview_size = Some(preview.len() as i64);
                self.store_preview(id, &preview).await?;
                preview_type = Some(media_type);
            }
        }
        let (width, height) = match dimensions {
            Some((w, h)) => (Some(i64::from(w)), Some(i64::from(h))),
            None => (None, None),
        };
        let digest = received.hash.clone().finalize();
        let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.ports
            .sql
            .execute(
                "INSERT INTO attachments (id, conversation_id, uploader_id, name, content_type,
                                          size, width, height, sha256, created_at_ms,
                                          preview_type, preview_size)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                &[
                    Value::from(id),
                    Value::from(conversation_id),
                    Value::from(&self.me.id),
                    Value::from(name),
                    Value::from(sniffed.media_type.as_str()),
                    Value::Integer(size),
                    Value::from(width),
                    Value::from(height),
                    Value::from(sha256),
                    Value::Integer(self.now()),
                    Value::from(preview_type),
                    Value::from(preview_size),
                ],
            )
            .await
            .context("upload: recording the attachment")?;
        let url = attachment_url(conversation_id, id);
        Ok(Attachment {
            id: id.clone(),
            name: name.to_owned(),
            content_type: sniffed.media_type,
            size,
            width,
            height,
            preview_url: preview_type.map(|_| format!("{url}/preview")),
            url,
        })
    }

    /// Stores a picture's preview as blob `<id>.preview`.
    async fn store_preview(&self, id: &AttachmentId, preview: &[u8]) -> Result<()> {
        self.ports
            .blobs
            .put(&preview_key(id), preview)
            .await
            .context("upload: storing the preview")
    }

    /// Removes what an upload that failed had stored (best effort: the sweep takes what
    /// this leaves).
    async fn discard_blob(&self, id: &AttachmentId) {
        for key in [id.to_string(), preview_key(id)] {
            if let Err(e) = self.ports.blobs.delete(&key).await {
                tracing::warn!("upload: removing the parts of failed upload {key}: {e}");
            }
        }
    }
}
