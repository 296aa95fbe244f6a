//! The security audit trail (ASVS 16.2, 16.3): every sign-in, failed sign-in, second-factor
//! change, password change, session revocation and refused request is a structured log
//! event (`target: "security"`, through `tracing`, so the host decides text or JSON lines),
//! and those that concern an account are also kept for its owner to look over
//! (`GET /api/auth/security-events`). Nothing secret goes in: no password, token, code or
//! message text, only what happened, to whom, when and from where.

use serde::Serialize;

use crate::{Ports, Result, ids::UserId, ports::Value, time::rfc3339_ms};

/// Events a user keeps; older ones go as new ones come.
const KEPT_PER_USER: i64 = 200;
/// Longest user agent kept with an event.
const USER_AGENT_CHARS: usize = 256;

/// What happened. The snake_case name is the event's `kind`, in the log and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityEvent {
    /// The right password (and second factor, when set up): a session opened.
    SignedIn,
    /// A wrong password for this account.
    SignInFailed,
    /// The right password; the login waits for the second factor.
    SecondFactorAsked,
    /// A wrong or reused second-factor code.
    SecondFactorFailed,
    /// A recovery code signed in (and is used up).
    RecoveryCodeUsed,
    /// An authenticator was confirmed.
    SecondFactorOn,
    /// The authenticator and recovery codes were removed.
    SecondFactorOff,
    /// A new set of recovery codes replaced the old.
    RecoveryCodesRenewed,
    /// The password was changed (every other session ended).
    PasswordChanged,
    /// A wrong current password where it is asked again (password change, second factor).
    PasswordCheckFailed,
    /// A session was signed out.
    SignedOut,
    /// Another session was revoked.
    SessionRevoked,
    /// The account was created.
    SignedUp,
    /// An API token was minted.
    ApiTokenCreated,
    /// An API token was revoked.
    ApiTokenRevoked,
    /// The account was deleted (logged; its own trail goes with it).
    AccountDeleted,
    /// A passkey was added.
    PasskeyAdded,
    /// A passkey was removed.
    PasskeyRemoved,
    /// A passkey signed in (it stands for both factors).
    SignedInWithPasskey,
}

impl SecurityEvent {
    /// The event's `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            SecurityEvent::SignedIn => "signed_in",
            SecurityEvent::SignInFailed => "sign_in_failed",
            SecurityEvent::SecondFactorAsked => "second_factor_asked",
            SecurityEvent::SecondFactorFailed => "second_factor_failed",
            SecurityEvent::RecoveryCodeUsed => "recovery_code_used",
            SecurityEvent::SecondFactorOn => "second_factor_on",
            SecurityEvent::SecondFactorOff => "second_factor_off",
            SecurityEvent::RecoveryCodesRenewed => "recovery_codes_renewed",
            SecurityEvent::PasswordChanged => "password_changed",
            SecurityEvent::PasswordCheckFailed => "password_check_failed",
            SecurityEvent::SignedOut => "signed_out",
            SecurityEvent::SessionRevoked => "session_revoked",
            SecurityEvent::SignedUp => "signed_up",
            SecurityEvent::ApiTokenCreated => "api_token_created",
            SecurityEvent::ApiTokenRevoked => "api_token_revoked",
            SecurityEvent::AccountDeleted => "account_deleted",
            SecurityEvent::PasskeyAdded => "passkey_added",
            SecurityEvent::PasskeyRemoved => "passkey_removed",
            SecurityEvent::SignedInWithPasskey => "signed_in_with_passkey",
        }
    }
}

/// Where a request came from, as the audit trail records it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'a> {
    /// The client address as the throttles count it (an IPv6 address by its /64).
    pub client: &'a str,
    /// The `User-Agent`.
    pub user_agent: &'a str,
}

/// One event as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SecurityEventInfo {
    /// What happened.
    pub kind: String,
    /// RFC 3339.
    pub at: String,
    /// The client address (empty when not known).
    pub client: String,
    /// The browser or program.
    pub user_agent: String,
}

/// Logs `event` for `user_id` and keeps it for them. Recording never fails the request it
/// describes: a store that refuses is logged, and the request goes on.
pub async fn record(ports: &Ports, event: SecurityEvent, user_id: &UserId, from: Origin<'_>) {
    tracing::info!(
        target: "security",
        kind = event.kind(),
        user_id = %user_id,
        client = from.client,
        user_agent = from.user_agent,
    );
    if let Err(e) = keep(ports, event, user_id, from).await {
        tracing::error!(target: "security", kind = event.kind(), user_id = %user_id, "keeping a security event: {e}");
    }
}

/// Logs a security event that belongs to no account (a refused request, a guess at an
/// unknown username): what it was and where from.
pub fn log_unowned(kind: &'static str, from: Origin<'_>, detail: &str) {
    tracing::warn!(
        target: "security",
        kind,
        client = from.client,
        user_agent = from.user_agent,
        detail,
    );
}

/// Logs what a room's moderator did (`kind`: `member_removed`, `member_banned`,
/// `member_unbanned`, `role_changed`, `invite_changed`, `message_deleted`,
/// `report_dismissed`) and to whom. Kept in the log, not in anyone's account trail: it is
/// the room's record, not the account's.
pub fn log_moderation(
    kind: &'static str,
    moderator: &UserId,
    room: &crate::ids::ConversationId,
    target: &UserId,
) {
    tracing::info!(
        target: "security",
        kind,
        user_id = %moderator,
        conversation_id = %room,
        target_user_id = %target,
    );
}

async fn keep(
    ports: &Ports,
    event: SecurityEvent,
    user_id: &UserId,
    from: Origin<'_>,
) -> Result<()> {
    let user_agent: String = from.user_agent.chars().take(USER_AGENT_CHARS).collect();
    ports
        .sql
        .execute(
            "INSERT INTO security_events (user_id, kind, at_ms, client, user_agent)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                Value::from(user_id),
                Value::from(event.kind()),
                Value::Integer(ports.clock.now_ms()),
                Value::from(from.client),
                Value::from(user_agent),
            ],
        )
        .await?;
    // Bounded by one user's rows: the index walks them newest first.
    ports
        .sql
        .execute(
            "DELETE FROM security_events
              WHERE user_id = ?1 AND id < (SELECT min(id) FROM (
                    SELECT id FROM security_events WHERE user_id = ?1
                     ORDER BY id DESC LIMIT ?2))",
            &[Value::from(user_id), Value::Integer(KEPT_PER_USER)],
        )
        .await
}

/// `user_id`'s newest events, newest first, at most `limit`.
pub async fn recent(ports: &Ports, user_id: &UserId, limit: i64) -> Result<Vec<SecurityEventInfo>> {
    let rows = ports
        .sql
        .query(
            "SELECT kind, at_ms, client, user_agent FROM security_events
              WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2",
            &[Value::from(user_id), Value::Integer(limit)],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SecurityEventInfo {
                kind: row.get(0)?,
                at: rfc3339_ms(row.get(1)?),
                client: row.get(2)?,
                user_agent: row.get(3)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_distinct_snake_case() {
        let all = [
            SecurityEvent::SignedIn,
            SecurityEvent::SignInFailed,
            SecurityEvent::SecondFactorAsked,
            SecurityEvent::SecondFactorFailed,
            SecurityEvent::RecoveryCodeUsed,
            SecurityEvent::SecondFactorOn,
            SecurityEvent::SecondFactorOff,
            SecurityEvent::RecoveryCodesRenewed,
            SecurityEvent::PasswordChanged,
            SecurityEvent::PasswordCheckFailed,
            SecurityEvent::SignedOut,
            SecurityEvent::SessionRevoked,
            SecurityEvent::SignedUp,
            SecurityEvent::ApiTokenCreated,
            SecurityEvent::ApiTokenRevoked,
            SecurityEvent::AccountDeleted,
            SecurityEvent::PasskeyAdded,
            SecurityEvent::PasskeyRemoved,
            SecurityEvent::SignedInWithPasskey,
        ];
        let kinds: std::collections::BTreeSet<&str> = all.iter().map(|e| e.kind()).collect();
        assert_eq!(kinds.len(), all.len());
        assert!(
            kinds
                .iter()
                .all(|k| k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
    }
}
