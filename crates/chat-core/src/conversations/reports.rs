//! Reports: any member reports another's message to the room's keepers, once; they read
//! the open reports and dismiss them, and a report closes by itself when its message is
//! deleted (a trigger).

use super::{ConversationKind, Conversations, Message, Report, parse_report_reason};
use crate::{
    Error, Result, audit,
    ids::{ConversationId, MessageId, UserId},
    model::{UserSummary, user_summary as summary},
    ports::{Row, Value},
    throttle::{self, Action},
    time::rfc3339_ms,
    vocabulary::Event,
};

/// The longest reason a report may give.
pub const REPORT_REASON_MAX: usize = 500;

/// How many open reports a room lists at most (the newest).
const REPORTS_LISTED: i64 = 200;

impl Conversations<'_> {
    /// Reports someone else's message to the room's moderators, who get `report`.
    /// `(report, true)` when it is new; reporting the same message again returns the
    /// first report. 400 `not_a_room` in a direct conversation (blocking is the answer
    /// there), 400 `invalid_target` for one's own message, 409 `message_deleted`.
    pub async fn report(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        reason: &str,
    ) -> Result<(Report, bool)> {
        let reason = parse_report_reason(reason)?;
        let membership = self.membership(conversation_id).await?;
        if membership.kind != ConversationKind::Room {
            return Err(Error::invalid(
                "not_a_room",
                "reports go to a room's moderators; in a direct conversation, block instead",
            ));
        }
        let message = self.message(conversation_id, message_id).await?;
        if message.sender.id == self.me.id {
            return Err(Error::invalid_target(
                "one's own message is deleted, not reported",
            ));
        }
        if message.deleted {
            return Err(Error::conflict(
                "message_deleted",
                "the message is already deleted",
            ));
        }
        throttle::take(self.ports, Action::Report, &self.me.id).await?;
        let id = crate::ports::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        let created = !self
            .ports
            .sql
            .query(
                "INSERT INTO reports (id, conversation_id, message_id, reporter_id, reason, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (message_id, reporter_id) DO NOTHING
                 RETURNING 1",
                &[
                    Value::from(id.as_str()),
                    Value::from(conversation_id),
                    Value::from(message_id),
                    Value::from(&self.me.id),
                    Value::from(reason.as_str()),
                    Value::Integer(self.now()),
                ],
            )
            .await?
            .is_empty();
        let report = self
            .reports_where(
                conversation_id,
                "rp.message_id = ?4 AND rp.reporter_id = ?1",
                Value::from(message_id),
            )
            .await?
            .into_iter()
            .next()
            .ok_or(Error::NotFound { what: "report" })?;
        if created {
            let keepers = self.roles(conversation_id).await?.into_keys().collect();
            self.emit(keepers, Event::report(report.clone())).await?;
        }
        Ok((report, created))
    }

    /// The room's open reports, the newest first (moderators only).
    pub async fn reports(&self, conversation_id: &ConversationId) -> Result<Vec<Report>> {
        self.kept_room(conversation_id).await?;
        self.reports_where(conversation_id, "?4 IS NULL", Value::Null)
            .await
    }

    /// Closes a report without deleting its message (moderators only; 404 `report`).
    pub async fn dismiss_report(
        &self,
        conversation_id: &ConversationId,
        report_id: &str,
    ) -> Result<()> {
        self.kept_room(conversation_id).await?;
        throttle::take(self.ports, Action::Moderate, &self.me.id).await?;
        let rows = self
            .ports
            .sql
            .query(
                "DELETE FROM reports WHERE conversation_id = ?1 AND id = ?2 RETURNING reporter_id",
                &[Value::from(conversation_id), Value::from(report_id)],
            )
            .await?;
        let reporter: UserId = rows
            .first()
            .ok_or(Error::NotFound { what: "report" })?
            .get(0)?;
        audit::log_moderation("report_dismissed", &self.me.id, conversation_id, &reporter);
        Ok(())
    }

    async fn reports_where(
        &self,
        conversation_id: &ConversationId,
        condition: &str,
        extra: Value,
    ) -> Result<Vec<Report>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT rp.id, rp.reason, rp.created_at_ms, {}, {}
                       FROM reports rp JOIN users r ON r.id = rp.reporter_id
                       JOIN messages m ON m.id = rp.message_id
                       JOIN users u ON u.id = m.sender_id
                      WHERE rp.conversation_id = ?3 AND {condition}
                      ORDER BY rp.created_at_ms DESC, rp.id
                      LIMIT {REPORTS_LISTED}",
                    summary::columns("r"),
                    Message::columns()
                ),
                &self.params([Value::from(conversation_id), extra]),
            )
            .await?;
        rows.iter().map(report_from_row).collect()
    }
}

fn report_from_row(row: &Row) -> Result<Report> {
    let mut columns = row.columns();
    let id = columns.read()?;
    let reason = columns.read()?;
    let created_at = rfc3339_ms(columns.read()?);
    let reporter = UserSummary::read(&mut columns)?;
    let message = Message::read(&mut columns)?;
    Ok(Report {
        id,
        conversation_id: message.conversation_id.clone(),
        reason,
        created_at,
        reporter,
        message,
    })
}
