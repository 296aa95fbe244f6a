//! Messages: send (idempotent per `client_id`, gapless `seq`), history pages, edit, delete
//! (tombstone), typing and read marks.

use super::{
    Conversations, HistoryPage, Membership, Message, ReplyQuote, attachments::parse_attachment_ids,
    mentioned_usernames, parse_body, parse_client_id,
};
use crate::{
    Error, Result, ResultExt,
    delivery::outbox,
    ids::{AttachmentId, ConversationId, MessageId, UserId, spaced_user_ids},
    model::{
        Presence, UserSummary,
        conversation::{INSERT_MESSAGE_SQL, reply_quote_column, reply_quote_from},
    },
    ports::{Rate, Value},
    relations::{self, are_friends_sql, blocked_either_way_sql},
    throttle,
    time::rfc3339_ms,
};

/// 403 `blocked`: a block stands between the two members of a direct conversation.
fn blocked_error() -> Error {
    Error::forbidden("blocked", "a block stands between you and this user")
}

/// Who may write (send, nudge) in a direct conversation: nobody while a block stands
/// either way (403 `blocked`), and only friends (403 `not_friends`).
fn direct_writing_allowed(blocked: bool, friends: bool) -> Result<()> {
    if blocked {
        return Err(blocked_error());
    }
    if !friends {
        return Err(Error::not_friends("direct messages are between friends"));
    }
    Ok(())
}

/// What [`Conversations::send`] reads before it writes.
struct SendContext {
    direct: bool,
    blocked: bool,
    friends: bool,
    member_ids: Vec<UserId>,
    already_sent: bool,
    /// The message it answers, when it names one that is in this conversation.
    reply_to: Option<ReplyQuote>,
}

/// The one read of [`Conversations::send`]: `?1` = sender, `?2` = conversation, `?3` =
/// client id, `?4` = the message it answers (or NULL). Built once: the relation fragments
/// come from `relations`.
static SEND_CONTEXT_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    // In a direct conversation, the other member `o` and the sender.
    let other = |relation: String| {
        format!(
            "EXISTS (SELECT 1 FROM members o
                      WHERE c.direct_key IS NOT NULL
                        AND o.conversation_id = c.id AND o.user_id <> ?1 AND {relation})"
        )
    };
    format!(
        "SELECT c.direct_key IS NOT NULL, {}, {},
                (SELECT group_concat(user_id, ' ') FROM members WHERE conversation_id = c.id),
                EXISTS (SELECT 1 FROM messages m
                         WHERE m.conversation_id = c.id AND m.sender_id = ?1
                           AND m.client_id = ?3),
                {}
           FROM conversations c
           JOIN members me ON me.conversation_id = c.id AND me.user_id = ?1
          WHERE c.id = ?2",
        other(blocked_either_way_sql("o.user_id", "?1")),
        other(are_friends_sql("o.user_id", "?1")),
        reply_quote_column("?4", "c.id"),
    )
});

/// Whom a body mentions: nobody in a direct conversation (both sides are named already),
/// else the usernames of [`mentioned_usernames`]. Sends and edits alike.
pub(super) fn mentions_in(body: &str, direct: bool) -> Vec<String> {
    if direct {
        Vec::new()
    } else {
        mentioned_usernames(body)
    }
}

/// The `mentions` column of a message: a JSON array, or NULL when it mentions nobody.
pub(super) fn mentions_json(mentions: &[String]) -> Result<Option<String>> {
    if mentions.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(mentions)
        .map(Some)
        .map_err(|e| Error::Data(format!("mentions: {e}")))
}

/// What a sender sends: words (which may be empty when files go with them), the sender's
/// idempotency key, the message it answers, and its uploads to carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewMessage<'a> {
    /// 1-4000 characters, or none beside attachments.
    pub body: &'a str,
    /// The idempotency key: a retry with it is never a second message.
    pub client_id: &'a str,
    /// The message of this conversation it answers.
    pub reply_to: Option<&'a MessageId>,
    /// The caller's uploads to this conversation it carries, at most 10.
    pub attachments: &'a [AttachmentId],
}

impl<'a> NewMessage<'a> {
    /// Words alone, answering nothing.
    pub fn text(body: &'a str, client_id: &'a str) -> Self {
        NewMessage {
            body,
            client_id,
            ..NewMessage::default()
        }
    }
}

impl Conversations<'_> {
    /// One message of a conversation, as the caller sees it.
    async fn message_where(&self, condition: &str, extra: Vec<Value>) -> Result<Option<Message>> {
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM messages m JOIN users u ON u.id = m.sender_id WHERE {condition}",
                    Message::columns()
                ),
                &self.params(extra),
            )
            .await?;
        rows.first()
            .map(|r| Message::read(&mut r.columns()))
            .transpose()
    }

    pub(super) async fn message(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Message> {
        self.message_where(
            "m.conversation_id = ?3 AND m.id = ?4",
            vec![Value::from(conversation_id), Value::from(message_id)],
        )
        .await?
        .ok_or(Error::NotFound { what: "message" })
    }

    async fn by_client_id(
        &self,
        conversation_id: &ConversationId,
        client_id: &str,
    ) -> Result<Option<Message>> {
        self.message_where(
            "m.conversation_id = ?3 AND m.sender_id = ?1 AND m.client_id = ?4",
            vec![Value::from(conversation_id), Value::from(client_id)],
        )
        .await
    }

    /// Whether a block stands between the two members of a direct conversation (either
    /// way), and whether they are friends.
    async fn direct_relation(&self, direct_key: &str) -> Result<(bool, bool)> {
        let Some((a, b)) = direct_key.split_once(':') else {
            return Err(Error::Data(format!("malformed direct key {direct_key}")));
        };
        let relation = relations::between(
            self.ports.sql.as_ref(),
            &UserId::from_raw(a),
            &UserId::from_raw(b),
        )
        .await?;
        Ok((relation.blocked, relation.friends))
    }

    /// In a direct conversation, a block either way stops messages (403 `blocked`), and so
    /// does no longer being friends (403 `not_friends`).
    pub(super) async fn check_direct_allowed(&self, direct_key: &str) -> Result<()> {
        let (blocked, friends) = self.direct_relation(direct_key).await?;
        direct_writing_allowed(blocked, friends)
    }

    /// In a direct conversation, a block either way also stops everything else that
    /// reaches the other side: edits, typing and read marks (403 `blocked`). Deleting an
    /// own message stays possible. Rooms are not affected.
    pub(super) async fn check_not_blocked(&self, membership: &Membership) -> Result<()> {
        let Some(key) = &membership.direct_key else {
            return Ok(());
        };
        if self.direct_relation(key).await?.0 {
            return Err(blocked_error());
        }
        Ok(())
    }

    /// Sends a message, answering `reply_to` when given (a message of this conversation:
    /// 400 `invalid_reply_to` otherwise). A retry with the same `client_id` returns the
    /// stored message (`false`: nothing new), also when retries race. Rate limited per
    /// sender.
    ///
    /// This is the hottest path, so it costs two SQL statements: one read of everything
    /// the checks need, and one INSERT that takes the next seq, stores the message already
    /// claimed for announcing, and (through the `messages_advance_conversation` trigger)
    /// moves the counter and the sender's read mark. One statement holds SQLite's write
    /// lock only while it runs, never across host calls, so concurrent sends queue for
    /// microseconds instead of timing out on each other.
    pub async fn send(
        &self,
        conversation_id: &ConversationId,
        draft: &NewMessage<'_>,
    ) -> Result<(Message, bool)> {
        let attachment_ids = parse_attachment_ids(draft.attachments)?;
        let body = if attachment_ids.is_empty() || !draft.body.trim().is_empty() {
            parse_body(draft.body)?
        } else {
            // Files alone need no words.
            String::new()
        };
        let client_id = parse_client_id(draft.client_id)?;
        let reply_to = draft.reply_to;
        let context = self
            .send_context(conversation_id, &client_id, reply_to)
            .await
            .context("send: reading the conversation")?;
        if context.direct {
            direct_writing_allowed(context.blocked, context.friends)?;
        }
        if context.already_sent {
            return self.resend(conversation_id, &client_id).await;
        }
        if reply_to.is_some() && context.reply_to.is_none() {
            return Err(Error::invalid(
                "invalid_reply_to",
                "reply_to must be the id of a message in this conversation",
            ));
        }
        let settings = &self.ports.settings;
        let rate = Rate::bucket(settings.messages_burst, settings.messages_per_second);
        self.ports
            .limiter
            .acquire(&format!("send:{}", self.me.id), rate)
            .await
            .context("send: taking the rate limit")?
            .into_result()?;
        throttle::charge_deliveries(self.ports, &self.me.id, context.member_ids.len())
            .await
            .context("send: charging the deliveries")?;

        let id = MessageId::from_raw(crate::ports::uuid_v7(
            self.ports.clock.as_ref(),
            self.ports.random.as_ref(),
        )?);
        let now = self.now();
        let mentions = mentions_in(&body, context.direct);
        let params = [
            Value::from(&id),
            Value::from(conversation_id),
            Value::from(&self.me.id),
            Value::from(body.as_str()),
            Value::from(client_id.as_str()),
            Value::Integer(now),
            Value::from(context.reply_to.as_ref().map(|quote| &quote.id)),
            Value::from(mentions_json(&mentions)?.as_deref()),
        ];
        let stored = if attachment_ids.is_empty() {
            let inserted = self
                .ports
                .sql
                .query(INSERT_MESSAGE_SQL, &params)
                .await
                .context("send: storing the message")?;
            match inserted.first() {
                Some(row) => Some((row.get(0)?, Vec::new())),
                None => None,
            }
        } else {
            self.insert_carrying(&params, &id, conversation_id, &attachment_ids)
                .await?
        };
        let Some((seq, attachments)) = stored else {
            // A retry with the same client_id got in first: its message is the answer.
            return self.resend(conversation_id, &client_id).await;
        };
        let message = Message {
            id,
            conversation_id: conversation_id.to_owned(),
            seq,
            // Exactly what reading the row back would give the sender: the sender is not
            // their own friend, so their summary in a message says `offline`.
            sender: UserSummary {
                presence: Presence::Offline,
                ..UserSummary::of_self(self.me)
            },
            body,
            client_id,
            created_at: rfc3339_ms(now),
            edited_at: None,
            deleted: false,
            reply_to: context.reply_to,
            reactions: Vec::new(),
            mentions,
            attachments,
        };
        outbox::deliver_message(self.ports, &context.member_ids, &message).await;
        Ok((message, true))
    }

    /// What a send checks, in one query: whether the conversation is direct, blocked
    /// either way, between friends; its members (read now, so a member who joins while
    /// this send runs finds the message in history rather than live); and whether this
    /// `client_id` was already sent. 404 unless the caller is a member.
    async fn send_context(
        &self,
        conversation_id: &ConversationId,
        client_id: &str,
        reply_to: Option<&MessageId>,
    ) -> Result<SendContext> {
        let rows = self
            .ports
            .sql
            .query(
                &SEND_CONTEXT_SQL,
                &[
                    Value::from(&self.me.id),
                    Value::from(conversation_id),
                    Value::from(client_id),
                    Value::from(reply_to),
                ],
            )
            .await?;
        let row = rows.first().ok_or(Error::NotFound {
            what: "conversation",
        })?;
        Ok(SendContext {
            direct: row.get(0)?,
            blocked: row.get(1)?,
            friends: row.get(2)?,
            member_ids: spaced_user_ids(row.get(3)?),
            already_sent: row.get(4)?,
            reply_to: reply_quote_from(row.get(5)?)?,
        })
    }

    /// The answer to a retried send: the message stored the first time, delivered now if
    /// the first attempt was cut before its event went out (the inbox refuses a second
    /// copy, so racing retries deliver it once).
    async fn resend(
        &self,
        conversation_id: &ConversationId,
        client_id: &str,
    ) -> Result<(Message, bool)> {
        let existing = self
            .by_client_id(conversation_id, client_id)
            .await?
            .ok_or_else(|| Error::Data("retried message vanished".into()))?;
        if outbox::message_pending(self.ports, &existing.id).await? {
            let members = self.member_ids(conversation_id).await?;
            outbox::deliver_message(self.ports, &members, &existing).await;
        }
        Ok((existing, false))
    }

    /// A page of history, oldest first, and whether older messages remain.
    pub async fn history(
        &self,
        conversation_id: &ConversationId,
        page: HistoryPage,
    ) -> Result<(Vec<Message>, bool)> {
        self.membership(conversation_id).await?;
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT {} FROM messages m JOIN users u ON u.id = m.sender_id
                     WHERE m.conversation_id = ?3 AND m.seq < ?4
                     ORDER BY m.seq DESC LIMIT ?5",
                    Message::columns()
                ),
                &self.params([
                    Value::from(conversation_id),
                    Value::Integer(page.before_seq.unwrap_or(i64::MAX)),
                    // One extra row tells whether there is more.
                    Value::Integer(page.limit + 1),
                ]),
            )
            .await?;
        let has_more = rows.len() as i64 > page.limit;
        let mut messages = rows
            .iter()
            .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
            .map(|r| Message::read(&mut r.columns()))
            .collect::<Result<Vec<_>>>()?;
        messages.reverse();
        Ok((messages, has_more))
    }
}
