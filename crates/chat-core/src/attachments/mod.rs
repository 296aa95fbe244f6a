//! Files on messages, as the API shows them: the `attachment` object, its validated file
//! name, the SQL column that reads a message's attachments, where files and profile
//! pictures are fetched, and what an upload is ([`sniff`]). Uploading, sending and serving them are conversation operations
//! (`conversations/attachments.rs`); their bytes live behind the `BlobStore` port.

pub mod preview;
pub mod sniff;

use serde::{Deserialize, Serialize};

use crate::{
    Error, Result,
    ids::{AttachmentId, ConversationId, UserId},
};

/// The most attachments one message carries.
pub const ATTACHMENTS_PER_MESSAGE: usize = 10;
/// How long an upload no message carried is kept (a send that failed may be retried).
pub const UNSENT_KEPT_MS: i64 = 60 * 60 * 1000;

/// `attachment`: `{id, name, content_type, size, width, height, url, preview_url}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attachment {
    /// Its id (also its blob's key).
    pub id: AttachmentId,
    /// The file name the uploader gave.
    pub name: String,
    /// What its bytes are (sniffed, never what the client said).
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// An image's width in pixels; null for other files.
    pub width: Option<i64>,
    /// An image's height in pixels; null for other files.
    pub height: Option<i64>,
    /// Where members fetch it: `/api/conversations/{id}/attachments/{attachment_id}`.
    pub url: String,
    /// Where members fetch a picture's scaled preview (`{url}/preview`); null when the
    /// picture is its own preview, and for other files.
    pub preview_url: Option<String>,
}

impl Attachment {
    /// Whether a browser may show it inline (a PNG, JPEG, GIF or WebP image).
    pub fn is_inline_image(&self) -> bool {
        matches!(
            self.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        )
    }
}

/// Where the profile picture `avatar` (its blob's key) of `user` is fetched.
pub fn avatar_url(user: &UserId, avatar: &str) -> String {
    format!("/api/users/{user}/avatar/{avatar}")
}

/// The blob key of attachment `id`'s preview.
pub fn preview_key(id: &AttachmentId) -> String {
    format!("{id}.preview")
}

/// Where attachment `id` of conversation `conversation` is fetched.
pub fn attachment_url(conversation: &ConversationId, id: &AttachmentId) -> String {
    format!("/api/conversations/{conversation}/attachments/{id}")
}

/// One column: the [`Attachment`]s message `{id}` (an SQL expression) carries, as a JSON
/// array in the order the sender listed them (`[]` when none). Attachments of a deleted message are gone.
pub(crate) fn attachments_column(id: &str) -> String {
    format!(
        "(SELECT coalesce(json_group_array(json_object(
                    'id', a.id, 'name', a.name, 'content_type', a.content_type,
                    'size', a.size, 'width', a.width, 'height', a.height,
                    'url', '/api/conversations/' || a.conversation_id || '/attachments/' || a.id,
                    'preview_url', CASE WHEN a.preview_type IS NULL THEN NULL
                        ELSE '/api/conversations/' || a.conversation_id || '/attachments/' || a.id || '/preview' END)), '[]')
            FROM (SELECT * FROM attachments
                   WHERE message_id = {id} AND discarded = 0
                   ORDER BY position) a)"
    )
}

/// Reads an [`attachments_column`].
pub(crate) fn attachments_from(json: &str) -> Result<Vec<Attachment>> {
    serde_json::from_str(json).map_err(|e| Error::Data(format!("attachments {json:?}: {e}")))
}

/// A file name: trimmed, 1-255 characters, none of them a control character, a path
/// separator, a bidi override or an invisible formatting character (which could make
/// `evil\u{202E}gnp.exe` read as `evilexe.png`); `invalid_file_name` otherwise.
pub fn parse_file_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    let count = name.chars().count();
    if !(1..=255).contains(&count)
        || crate::text::is_deceptive(name)
        || name.contains(['/', '\\'])
        || name == "."
        || name == ".."
    {
        return Err(Error::invalid(
            "invalid_file_name",
            "a file name is 1-255 characters, without control or invisible formatting characters or path separators",
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_and_bounded() {
        assert_eq!(parse_file_name("  holiday.jpg ").unwrap(), "holiday.jpg");
        assert_eq!(
            parse_file_name("résumé 2026.pdf").unwrap(),
            "résumé 2026.pdf"
        );
        for bad in [
            "",
            "  ",
            "../etc/passwd",
            "a\\b",
            "evil\u{202E}gnp.exe",
            "zero\u{200B}width",
            "line\nbreak",
            "..",
            &"x".repeat(256),
        ] {
            assert!(parse_file_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_the_four_rasters_show_inline() {
        let of = |content_type: &str| Attachment {
            id: AttachmentId::from_raw("a"),
            name: "f".into(),
            content_type: content_type.into(),
            size: 1,
            width: None,
            height: None,
            url: String::new(),
            preview_url: None,
        };
        for inline in ["image/png", "image/jpeg", "image/gif", "image/webp"] {
            assert!(of(inline).is_inline_image());
        }
        for other in [
            "image/svg+xml",
            "text/html",
            "application/pdf",
            "text/plain",
        ] {
            assert!(!of(other).is_inline_image());
        }
    }
}
