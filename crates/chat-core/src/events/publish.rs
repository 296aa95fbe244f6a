//! The publish API's service: a trusted server pushes a JSON object to a user's streams
//! as a `notification` event.

use sha2::{Digest, Sha256};

use crate::{
    Error, Ports, Result,
    accounts::Username,
    ids::UserId,
    ports::{Rate, Value},
    throttle::{self, Action},
    vocabulary::Event,
};

/// Largest notification body accepted.
pub const MAX_NOTIFICATION_BYTES: usize = 16 * 1024;

/// Compares a presented key with the configured one in time independent of where they
/// differ (and of their lengths: both are hashed first).
pub fn publish_key_matches(presented: &str, configured: &str) -> bool {
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(configured.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

/// Wrong publish keys one client address may present: 10, then 10 an hour. Once they are
/// spent, every key from there is refused (429) before it is compared, right or wrong, so
/// guessing learns nothing more.
fn wrong_key_rate() -> Rate {
    Rate::per_window(10, std::time::Duration::from_secs(3600))
}

/// Checks a presented publish key for a client address: whether it is the configured one
/// (a wrong one spends one of the address's guesses); 429 while the address has none left.
pub async fn check_publish_key(
    ports: &Ports,
    presented: &str,
    configured: &str,
    client_address: &str,
) -> Result<bool> {
    let key = format!("publish-key-failures:{client_address}");
    ports
        .limiter
        .check(&key, wrong_key_rate())
        .await?
        .into_result()?;
    if publish_key_matches(presented, configured) {
        return Ok(true);
    }
    ports.limiter.acquire(&key, wrong_key_rate()).await?;
    Ok(false)
}

/// Delivers `body` (a JSON object) to `username`'s streams; 404 for unknown users.
pub async fn publish(ports: &Ports, username: &str, body: serde_json::Value) -> Result<()> {
    let serde_json::Value::Object(body) = body else {
        return Err(Error::invalid(
            "invalid_notification",
            "the notification must be a JSON object",
        ));
    };
    let not_found = Error::NotFound { what: "user" };
    let username = Username::parse(username).map_err(|_| Error::NotFound { what: "user" })?;
    let rows = ports
        .sql
        .query(
            "SELECT id FROM users WHERE username = ?1",
            &[Value::from(username.as_str())],
        )
        .await?;
    let user_id: UserId = rows.first().ok_or(not_found)?.get(0)?;
    throttle::take(ports, Action::PublishTo, &user_id).await?;
    crate::delivery::outbox::deliver(ports, &[user_id], Event::notification(body)).await
}

#[cfg(test)]
mod tests {
    use super::publish_key_matches;

    #[test]
    fn only_the_exact_key_matches() {
        assert!(publish_key_matches("s3cret-key", "s3cret-key"));
        assert!(!publish_key_matches("s3cret-kex", "s3cret-key"));
        assert!(!publish_key_matches("s3cret", "s3cret-key"));
        assert!(!publish_key_matches("", "s3cret-key"));
    }
}
