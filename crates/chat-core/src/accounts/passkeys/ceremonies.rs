//! Where a passkey ceremony's server half waits between its two requests: stored by its
//! challenge until it expires and taken once (deleted as it is read), so whichever
//! instance or process answers the second request can finish it, and only once.

use std::fmt::Display;

use serde::Serialize;
use webauthn_rp::{bin::Encode, request::TimedCeremony};

use crate::{Error, Ports, Result, ResultExt, model::User, ports::Value, time::system_millis};

/// Which ceremony: adding a passkey (for a signed-in user) or signing in with one.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ceremony {
    Register,
    Login,
}

impl Ceremony {
    fn as_str(self) -> &'static str {
        match self {
            Ceremony::Register => "register",
            Ceremony::Login => "login",
        }
    }
}

/// The key a ceremony is stored under: its challenge.
fn challenge_key(challenge: u128) -> String {
    format!("{challenge:032x}")
}

/// Keeps a started ceremony's server half until it expires (expired ones of anyone are
/// swept on the way) and returns the client half as the browser's options.
pub(super) async fn keep<S, C>(
    ports: &Ports,
    ceremony: Ceremony,
    user: Option<&User>,
    server: &S,
    client: &C,
) -> Result<serde_json::Value>
where
    S: TimedCeremony + Encode<Err: Display> + 'static,
    for<'a> S::Output<'a>: Into<Vec<u8>>,
    C: Serialize,
{
    let options =
        serde_json::to_value(client).map_err(|e| Error::Data(format!("passkey options: {e}")))?;
    let state: Vec<u8> = server
        .encode()
        .map_err(|e| Error::Data(format!("passkey ceremony: {e}")))?
        .into();
    let now = ports.clock.now_ms();
    ports
        .sql
        .execute(
            "DELETE FROM passkey_ceremonies WHERE expires_at_ms <= ?1",
            &[Value::Integer(now)],
        )
        .await
        .context("passkeys: sweeping expired ceremonies")?;
    ports
        .sql
        .execute(
            "INSERT INTO passkey_ceremonies (challenge, kind, user_id, state, expires_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                Value::from(challenge_key(server.sent_challenge().0)),
                Value::from(ceremony.as_str()),
                Value::from(user.map(|u| &u.id)),
                Value::from(state),
                Value::Integer(system_millis(server.expiration())),
            ],
        )
        .await
        .context("passkeys: keeping the ceremony")?;
    Ok(options)
}

/// Takes a ceremony's server half (deleted as it is read, so it finishes once); 401
/// `passkey_refused` when there is none of that kind for that user, or it expired.
pub(super) async fn take(
    ports: &Ports,
    challenge: u128,
    ceremony: Ceremony,
    user: Option<&User>,
) -> Result<Vec<u8>> {
    let rows = ports
        .sql
        .query(
            "DELETE FROM passkey_ceremonies
              WHERE challenge = ?1 AND kind = ?2 AND user_id IS ?3 AND expires_at_ms > ?4
             RETURNING state",
            &[
                Value::from(challenge_key(challenge)),
                Value::from(ceremony.as_str()),
                Value::from(user.map(|u| &u.id)),
                Value::Integer(ports.clock.now_ms()),
            ],
        )
        .await
        .context("passkeys: taking the ceremony")?;
    rows.first().ok_or_else(super::refused)?.get(0)
}
