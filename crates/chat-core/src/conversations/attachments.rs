//! Files on messages: uploading one into a conversation (streamed into the blob store part
//! by part, sniffed, within the size limit, the uploader's storage quota and upload rate),
//! finding one for a member to download, and sweeping away what a deleted message or an
//! abandoned upload left. A message carries uploads by their ids (`send`).

use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::{Conversations, messages::INSERT_MESSAGE_SQL};
use crate::{
    Error, Ports, Result, ResultExt,
    attachments::{
        ATTACHMENTS_PER_MESSAGE, Attachment, UNSENT_KEPT_MS, attachment_url, attachments_column,
        attachments_from,
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

/// How many attachments one sweep removes at most (a request pays for a bounded share).
const SWEEP_BATCH: u32 = 20;

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

/// The uploads a send carries: each once, at most [`ATTACHMENTS_PER_MESSAGE`]
/// (400 `too_many_attachments`).
pub(super) fn parse_attachment_ids(ids: &[AttachmentId]) -> Result<Vec<AttachmentId>> {
    let mut unique: Vec<AttachmentId> = Vec::new();
    for id in ids {
        if !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    if unique.len() > ATTACHMENTS_PER_MESSAGE {
        return Err(Error::invalid(
            "too_many_attachments",
            format!("a message carries at most {ATTACHMENTS_PER_MESSAGE} files"),
        ));
    }
    Ok(unique)
}

impl Conversations<'_> {
    /// Stores a message that carries uploads, in one transaction: the message, then the
    /// uploads taken for it (each the caller's own, to this conversation, not yet sent nor
    /// given up), or nothing at all (400 `invalid_attachment`). `None` when this
    /// `client_id` was already sent; else the seq and the attachments as the message
    /// carries them.
    pub(super) async fn insert_carrying(
        &self,
        params: &[Value],
        id: &crate::ids::MessageId,
        conversation_id: &ConversationId,
        attachment_ids: &[AttachmentId],
    ) -> Result<Option<(i64, Vec<Attachment>)>> {
        let ids_json = serde_json::to_string(attachment_ids)
            .map_err(|e| Error::Data(format!("attachment ids: {e}")))?;
        let mut tx = self.ports.sql.begin().await.context("send: beginning")?;
        let inserted = tx
            .query(INSERT_MESSAGE_SQL, params)
            .await
            .context("send: storing the message")?;
        let Some(row) = inserted.first() else {
            return Ok(None);
        };
        let seq: i64 = row.get(0)?;
        let taken = tx
            .query(
                "UPDATE attachments
                    SET message_id = ?1,
                        position = (SELECT key FROM json_each(?2) WHERE value = attachments.id)
                  WHERE id IN (SELECT value FROM json_each(?2))
                    AND conversation_id = ?3 AND uploader_id = ?4
                    AND message_id IS NULL AND discarded = 0
                 RETURNING id",
                &[
                    Value::from(id),
                    Value::from(ids_json),
                    Value::from(conversation_id),
                    Value::from(&self.me.id),
                ],
            )
            .await
            .context("send: taking the attachments")?;
        if taken.len() != attachment_ids.len() {
            // Dropping the transaction rolls the message back too.
            return Err(Error::invalid(
                "invalid_attachment",
                "attachments must be your own uploads to this conversation, not sent before",
            ));
        }
        let rows = tx
            .query(
                &format!("SELECT {}", attachments_column("?1")),
                &[Value::from(id)],
            )
            .await
            .context("send: reading the attachments")?;
        let json: String = rows
            .first()
            .map(|r| r.get(0))
            .transpose()?
            .unwrap_or_else(|| "[]".to_owned());
        tx.commit().await.context("send: committing")?;
        Ok(Some((seq, attachments_from(&json)?)))
    }

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
        let name = crate::attachments::parse_file_name(claims.name)?;
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

        let id = AttachmentId::generate(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
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
        let (width, height) = match sniffed.dimensions {
            Some((w, h)) => (Some(i64::from(w)), Some(i64::from(h))),
            None => (None, None),
        };
        let digest = received.hash.clone().finalize();
        let sha256: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.ports
            .sql
            .execute(
                "INSERT INTO attachments (id, conversation_id, uploader_id, name, content_type,
                                          size, width, height, sha256, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
                ],
            )
            .await
            .context("upload: recording the attachment")?;
        Ok(Attachment {
            id: id.clone(),
            name: name.to_owned(),
            content_type: sniffed.media_type,
            size,
            width,
            height,
            url: attachment_url(conversation_id, id),
        })
    }

    /// Removes what an upload that failed had stored (best effort: the sweep takes what
    /// this leaves).
    async fn discard_blob(&self, id: &AttachmentId) {
        if let Err(e) = self.ports.blobs.delete(id.as_str()).await {
            eprintln!("upload: removing the parts of failed upload {id}: {e}");
        }
    }

    /// An attachment of a conversation the caller is a member of, as a download serves
    /// it: `(attachment, sha256)`. Sent ones for every member; an unsent upload only for
    /// its uploader; one whose message was deleted for nobody (404 alike).
    pub async fn attachment(
        &self,
        conversation_id: &ConversationId,
        id: &AttachmentId,
    ) -> Result<(Attachment, String)> {
        self.membership(conversation_id).await?;
        let rows = self
            .ports
            .sql
            .query(
                "SELECT name, content_type, size, width, height, sha256 FROM attachments
                  WHERE id = ?1 AND conversation_id = ?2 AND discarded = 0
                    AND (message_id IS NOT NULL OR uploader_id = ?3)",
                &[
                    Value::from(id),
                    Value::from(conversation_id),
                    Value::from(&self.me.id),
                ],
            )
            .await?;
        let row = rows.first().ok_or(Error::NotFound { what: "attachment" })?;
        Ok((
            Attachment {
                id: id.clone(),
                name: row.get(0)?,
                content_type: row.get(1)?,
                size: row.get(2)?,
                width: row.get(3)?,
                height: row.get(4)?,
                url: attachment_url(conversation_id, id),
            },
            row.get(5)?,
        ))
    }
}

/// Removes a bounded batch of what is no longer wanted: files of deleted messages (the
/// database stopped serving them in the deleting statement), uploads no message carried
/// within the hour, and blob parts of uploads cut off. Runs on the upload and delete paths;
/// a failure is logged and left for the next run.
pub(crate) async fn sweep(ports: &Ports) {
    if let Err(e) = sweep_once(ports).await {
        eprintln!("attachments sweep: {e}");
    }
}

async fn sweep_once(ports: &Ports) -> Result<()> {
    let stale = ports.clock.now_ms() - UNSENT_KEPT_MS;
    // Uploads nobody sent are given up first, in one statement: a send can no longer take
    // them (it takes only what is not discarded), so no message loses a file to the sweep.
    ports
        .sql
        .execute(
            "UPDATE attachments SET discarded = 1
              WHERE id IN (SELECT id FROM attachments
                            WHERE message_id IS NULL AND created_at_ms < ?1 AND discarded = 0
                            ORDER BY created_at_ms LIMIT ?2)",
            &[Value::Integer(stale), Value::from(SWEEP_BATCH)],
        )
        .await
        .context("sweep: giving up unsent uploads")?;
    let rows = ports
        .sql
        .query(
            "SELECT id FROM attachments WHERE discarded = 1 ORDER BY created_at_ms LIMIT ?1",
            &[Value::from(SWEEP_BATCH)],
        )
        .await
        .context("sweep: finding attachments")?;
    for row in &rows {
        let id: String = row.get(0)?;
        // The blob first: a row left by a failure here is found and removed next time.
        ports.blobs.delete(&id).await.context("sweep: a blob")?;
        ports
            .sql
            .execute("DELETE FROM attachments WHERE id = ?1", &[Value::from(id)])
            .await
            .context("sweep: a row")?;
    }
    ports
        .blobs
        .sweep_uncommitted(stale, SWEEP_BATCH)
        .await
        .context("sweep: cut-off uploads")?;
    Ok(())
}
