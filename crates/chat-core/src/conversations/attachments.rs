//! Files on messages once uploaded (`uploads.rs`): a send that carries them, taking each
//! exactly once in the message's own transaction; finding one for a member to download;
//! and sweeping away what a deleted message or an abandoned upload left.

use super::Conversations;
use crate::model::conversation::INSERT_MESSAGE_SQL;
use crate::{
    Error, Ports, Result, ResultExt,
    attachments::{
        ATTACHMENTS_PER_MESSAGE, Attachment, UNSENT_KEPT_MS, attachment_url, attachments_column,
        attachments_from, preview_key,
    },
    ids::{AttachmentId, ConversationId},
    ports::Value,
};

/// How many attachments one sweep removes at most (a request pays for a bounded share).
const SWEEP_BATCH: u32 = 20;

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

    /// An attachment of a conversation the caller is a member of, as a download serves
    /// it: `(attachment, sha256, preview)`, the preview's type and size when it has one.
    /// Sent ones for every member; an unsent upload only for its uploader; one whose
    /// message was deleted for nobody (404 alike).
    pub async fn attachment(
        &self,
        conversation_id: &ConversationId,
        id: &AttachmentId,
    ) -> Result<(Attachment, String, Option<(String, i64)>)> {
        self.membership(conversation_id).await?;
        let rows = self
            .ports
            .sql
            .query(
                "SELECT name, content_type, size, width, height, sha256, preview_type,
                        preview_size
                   FROM attachments
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
        let url = attachment_url(conversation_id, id);
        let preview_type: Option<String> = row.get(6)?;
        let preview_size: Option<i64> = row.get(7)?;
        Ok((
            Attachment {
                id: id.clone(),
                name: row.get(0)?,
                content_type: row.get(1)?,
                size: row.get(2)?,
                width: row.get(3)?,
                height: row.get(4)?,
                preview_url: preview_type.as_ref().map(|_| format!("{url}/preview")),
                url,
            },
            row.get(5)?,
            preview_type.zip(preview_size),
        ))
    }
}

/// Removes a bounded batch of what is no longer wanted: files of deleted messages (the
/// database stopped serving them in the deleting statement), uploads no message carried
/// within the hour, and blob parts of uploads cut off. Runs on the upload and delete paths;
/// a failure is logged and left for the next run.
pub(crate) async fn sweep(ports: &Ports) {
    if let Err(e) = sweep_once(ports).await {
        tracing::warn!("attachments sweep: {e}");
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
        // The blobs first: a row left by a failure here is found and removed next time.
        ports.blobs.delete(&id).await.context("sweep: a blob")?;
        ports
            .blobs
            .delete(&preview_key(&AttachmentId::from_raw(id.as_str())))
            .await
            .context("sweep: a preview")?;
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
