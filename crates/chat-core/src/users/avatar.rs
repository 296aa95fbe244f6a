//! Profile pictures: set (a raster image of at most [`AVATAR_MAX_BYTES`], which the page
//! has already cropped to a square), removed, and read back for anyone signed in. Each
//! picture is a blob of its own under a new key, so its URL never changes meaning and can
//! be cached for good; friends see a change live through the `profile` event.

use super::Users;
use crate::{
    Error, Result, ResultExt,
    attachments::sniff::{HEAD_BYTES, TAIL_BYTES, sniff},
    ids::UserId,
    model::User,
    ports::Value,
    presence, relations,
    throttle::{self, Action},
    vocabulary::Event,
};

/// The largest profile picture: the page sends a 512-pixel square, far less than this.
pub const AVATAR_MAX_BYTES: usize = 1024 * 1024;

impl Users<'_> {
    /// The caller's picture key now, if any.
    async fn avatar_key(&self) -> Result<Option<String>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT avatar_id FROM users WHERE id = ?1",
                &[Value::from(&self.me.id)],
            )
            .await?;
        Ok(rows.first().map(|r| r.get(0)).transpose()?.flatten())
    }

    /// Points the caller's profile at picture `key` (or none), removes the one it replaces,
    /// and tells friends and the caller's other tabs.
    async fn point_avatar_at(&self, key: Option<&str>) -> Result<User> {
        let old = self
            .avatar_key()
            .await
            .context("avatar: reading the old one")?;
        self.ports
            .sql
            .execute(
                "UPDATE users SET avatar_id = ?2 WHERE id = ?1",
                &[Value::from(&self.me.id), Value::from(key)],
            )
            .await
            .context("avatar: recording it")?;
        if let Some(old) = old.filter(|old| Some(old.as_str()) != key)
            && let Err(e) = self.ports.blobs.delete(&old).await
        {
            // Nothing points at it any more; the bytes are only left behind.
            tracing::warn!("avatar: removing the replaced picture {old}: {e}");
        }
        let user = self.me().await?;
        let as_friends_see = presence::as_friends_see(self.ports, &user).await?;
        let mut recipients = relations::friend_ids(self.ports, &user.id).await?;
        recipients.push(user.id.clone());
        self.emit(recipients, Event::profile(as_friends_see))
            .await?;
        Ok(user)
    }

    /// Sets the caller's profile picture: a PNG, JPEG, GIF or WebP image (400
    /// `not_an_image`, `corrupt_image`, `image_too_large`), at most [`AVATAR_MAX_BYTES`]
    /// (413 `too_large`). Rate limited with profile changes.
    pub async fn set_avatar(&self, bytes: Vec<u8>) -> Result<User> {
        if bytes.len() > AVATAR_MAX_BYTES {
            return Err(Error::TooLarge {
                code: "too_large",
                message: format!("a profile picture may be at most {AVATAR_MAX_BYTES} bytes"),
            });
        }
        let head = &bytes[..bytes.len().min(HEAD_BYTES)];
        let tail = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
        let sniffed = sniff(head, tail, bytes.len() as u64, None, "avatar")?;
        if sniffed.raster.is_none() {
            return Err(Error::invalid(
                "not_an_image",
                "a profile picture is a PNG, JPEG, GIF or WebP image",
            ));
        }
        throttle::take(self.ports, Action::Profile, &self.me.id).await?;
        let key = format!(
            "avatar-{}",
            crate::ports::random_hex(self.ports.random.as_ref(), 16)?
        );
        self.ports
            .blobs
            .put(&key, &bytes)
            .await
            .context("avatar: storing it")?;
        self.point_avatar_at(Some(&key)).await
    }

    /// Removes the caller's profile picture (the initial letter shows again).
    pub async fn remove_avatar(&self) -> Result<User> {
        throttle::take(self.ports, Action::Profile, &self.me.id).await?;
        self.point_avatar_at(None).await
    }
}

/// The bytes of `user`'s picture `key`, while it is their picture; 404 otherwise (a
/// replaced one included). Anyone signed in may see anyone's picture, as their name.
pub async fn avatar_bytes(ports: &crate::Ports, user: &UserId, key: &str) -> Result<Vec<u8>> {
    let current = ports
        .sql
        .query(
            "SELECT 1 FROM users WHERE id = ?1 AND avatar_id = ?2",
            &[Value::from(user), Value::from(key)],
        )
        .await?;
    if current.is_empty() {
        return Err(Error::NotFound { what: "avatar" });
    }
    ports
        .blobs
        .read(key, 0..AVATAR_MAX_BYTES as u64)
        .await
        .context("avatar: reading it")
}
