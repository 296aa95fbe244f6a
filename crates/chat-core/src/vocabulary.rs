//! The event vocabulary: every event a stream can send (docs/api.md, "Events"), as typed
//! payloads with one constructor each. Services build events only here; the inboxes
//! store them as `{"kind": .., "data": .., ..}` and the stream reads them back typed.
//!
//! The payloads serialise to exactly the JSON the API documents; the tests below pin it.

use serde::{Deserialize, Serialize};

use crate::{
    accounts::User,
    conversations::{Conversation, Message, Report, Role},
    ids::{ConversationId, MessageId, UserId},
    presence::Presence,
    time::rfc3339_ms,
    users::{Friend, FriendRequest, UserSummary},
};

/// One event with what the bus needs to carry it: the payload (its kind and data), and
/// delivery rules that never reach the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened: the SSE `event:` name and `data:` object.
    #[serde(flatten)]
    pub payload: Payload,
    /// Set for live-only events (typing): never replayed, dropped once stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral: Option<Ephemeral>,
    /// Set on the `offline` a lease sweep announces: the stream delivering it asks again
    /// what the user's presence is (they may have come back since it was written).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lapse: bool,
    /// The idempotency key: appending an event whose key an inbox already holds adds
    /// nothing (see [`crate::ports::Inbox::append`]). Not stored in the payload.
    #[serde(skip)]
    pub key: Option<String>,
}

/// When a live-only event was sent and when it goes stale (ms since the epoch). A stream
/// delivers it only if the stream was already open when it was sent, and only until it
/// expires: it is never replayed to a resuming client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ephemeral {
    /// Sent at.
    pub sent_ms: i64,
    /// Stale from.
    pub expires_ms: i64,
}

/// Every event type with its data. The variant is the SSE `event:` name in snake_case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[allow(missing_docs)] // the names are the API's event types, documented in docs/api.md
pub enum Payload {
    Message(MessageChange),
    MessageEdited(MessageChange),
    MessageDeleted(MessageChange),
    Typing(Typing),
    Nudge(Nudge),
    Read(ReadMark),
    Presence(PresenceChange),
    Profile(ProfileChange),
    FriendRequest(FriendRequestChange),
    FriendAdded(FriendAdded),
    FriendRemoved(FriendRemoved),
    // Boxed: a whole conversation, its last message included, dwarfs every other payload.
    ConversationAdded(Box<ConversationAdded>),
    ConversationUpdated(ConversationUpdated),
    Reaction(ReactionChange),
    Preferences(PreferencesChange),
    MemberJoined(MemberJoined),
    MemberLeft(MemberLeft),
    MemberRole(MemberRole),
    // Boxed: a report carries a whole message.
    Report(Box<ReportFiled>),
    /// What a trusted server published: any JSON object.
    Notification(serde_json::Map<String, serde_json::Value>),
    SessionEnded(SessionEnded),
    Resync(Resync),
}

/// `message`, `message_edited`, `message_deleted`: the message as it now is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageChange {
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The message (a tombstone once deleted).
    pub message: Message,
    /// `message_deleted` by a room's moderator rather than its sender: who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<UserId>,
}

/// `typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    /// Where.
    pub conversation_id: ConversationId,
    /// Who.
    pub user_id: UserId,
    /// Their username.
    pub username: String,
    /// Their shown name.
    pub display_name: String,
    /// Started (true) or stopped (false).
    pub typing: bool,
    /// RFC 3339: when the indicator lapses without a repeat.
    pub expires_at: String,
}

/// `nudge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nudge {
    /// The direct conversation.
    pub conversation_id: ConversationId,
    /// Who nudged.
    pub user_id: UserId,
    /// Their username.
    pub username: String,
    /// Their shown name.
    pub display_name: String,
    /// RFC 3339.
    pub sent_at: String,
}

/// `read`: a member's read mark moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMark {
    /// Where.
    pub conversation_id: ConversationId,
    /// Whose mark.
    pub user_id: UserId,
    /// The newest seq they have read.
    pub seq: i64,
}

/// `presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    /// Whose.
    pub user_id: UserId,
    /// What the recipient sees now (the choice itself on the user's own tabs).
    pub presence: Presence,
    /// RFC 3339, with an `offline`: when they were last seen online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_at: Option<String>,
}

/// `profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileChange {
    /// Whose.
    pub user_id: UserId,
    /// The user as friends see them.
    pub user: UserSummary,
}

/// Where a friend request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RequestStatus {
    Pending,
    Declined,
    Cancelled,
}

/// `friend_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRequestChange {
    /// What happened to it.
    pub status: RequestStatus,
    /// Who asked whom.
    pub request: RequestParties,
}

/// The two sides of a request; `created_at` only while it is pending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestParties {
    /// Who asked.
    pub from: UserSummary,
    /// Who was asked.
    pub to: UserSummary,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// `friend_added`: names the other side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendAdded {
    /// The new friend.
    pub friend: Friend,
}

/// `friend_removed`: names the other side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendRemoved {
    /// The former friend.
    pub user_id: UserId,
}

/// `conversation_added`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationAdded {
    /// Its id.
    pub conversation_id: ConversationId,
    /// The conversation as its members see it.
    pub conversation: Conversation,
}

/// `conversation_updated`: a room's title or topic changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationUpdated {
    /// The room.
    pub conversation_id: ConversationId,
    /// Its title now (private rooms), or null.
    pub title: Option<String>,
    /// Its topic now, or null.
    pub topic: Option<String>,
    /// A private room's invite secret now (its moderators may have changed it), or null.
    pub invite_code: Option<String>,
    /// Who changed it (presence `offline`, as in `member_joined`).
    pub by: UserSummary,
}

/// `reaction`: someone added or took back a reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionChange {
    /// Where.
    pub conversation_id: ConversationId,
    /// To which message.
    pub message_id: MessageId,
    /// The emoji.
    pub emoji: String,
    /// Who.
    pub user_id: UserId,
    /// Added (true) or taken back (false).
    pub added: bool,
    /// How many reacted to the message with this emoji now.
    pub count: i64,
}

/// `preferences`: the caller muted, unmuted, hid or showed a conversation (to their own
/// tabs only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferencesChange {
    /// Which.
    pub conversation_id: ConversationId,
    /// Muted now.
    pub muted: bool,
    /// Hidden now.
    pub hidden: bool,
}

/// `member_joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberJoined {
    /// The room.
    pub conversation_id: ConversationId,
    /// Who joined.
    pub user_id: UserId,
    /// Them, with presence `offline` (one payload for friends and strangers alike).
    pub user: UserSummary,
}

/// `member_left`: someone left, or a moderator removed them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberLeft {
    /// The room.
    pub conversation_id: ConversationId,
    /// Who left.
    pub user_id: UserId,
    /// The moderator who removed them, when they did not leave of their own accord.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_by: Option<UserId>,
    /// Removed and banned: they cannot join again until a moderator lifts the ban.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub banned: bool,
}

/// `member_role`: a member's standing in a room changed (appointed or relieved as a
/// moderator, handed the room, or its owner by succession when the owner left).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRole {
    /// The room.
    pub conversation_id: ConversationId,
    /// Whose standing.
    pub user_id: UserId,
    /// What it is now.
    pub role: Role,
    /// Who changed it; null when the owner left and the room passed on by itself.
    pub by: Option<UserId>,
}

/// `report`: a member reported a message; sent to the room's moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFiled {
    /// The room.
    pub conversation_id: ConversationId,
    /// The report, with the message as it is.
    pub report: Report,
}

/// `session_ended`: one of the user's sessions was signed out, revoked, or ended by a
/// password change. Its own streams end after this event; the others learn of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    /// The session's public id (as `GET /api/auth/sessions` lists it).
    pub session_id: String,
}

/// `resync`: the stream cannot resume where the client asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {
    /// Why, for people reading the stream.
    pub reason: String,
}

impl Payload {
    /// `resync`: events after the client's last id are gone. Sent by the stream itself,
    /// never stored.
    pub fn resync() -> Self {
        Payload::Resync(Resync {
            reason: "events after the last id are no longer available; reload state".to_owned(),
        })
    }

    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Message(_) => "message",
            Payload::MessageEdited(_) => "message_edited",
            Payload::MessageDeleted(_) => "message_deleted",
            Payload::Typing(_) => "typing",
            Payload::Nudge(_) => "nudge",
            Payload::Read(_) => "read",
            Payload::Presence(_) => "presence",
            Payload::Profile(_) => "profile",
            Payload::FriendRequest(_) => "friend_request",
            Payload::FriendAdded(_) => "friend_added",
            Payload::FriendRemoved(_) => "friend_removed",
            Payload::ConversationAdded(_) => "conversation_added",
            Payload::ConversationUpdated(_) => "conversation_updated",
            Payload::Reaction(_) => "reaction",
            Payload::Preferences(_) => "preferences",
            Payload::MemberJoined(_) => "member_joined",
            Payload::MemberLeft(_) => "member_left",
            Payload::MemberRole(_) => "member_role",
            Payload::Report(_) => "report",
            Payload::Notification(_) => "notification",
            Payload::SessionEnded(_) => "session_ended",
            Payload::Resync(_) => "resync",
        }
    }

    /// The SSE `data:` line: the payload's JSON object.
    pub fn data_json(&self) -> String {
        fn text(data: &impl Serialize) -> String {
            // These types always serialise (string keys, no fallible impls).
            serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned())
        }
        match self {
            Payload::Message(d) | Payload::MessageEdited(d) | Payload::MessageDeleted(d) => text(d),
            Payload::Typing(d) => text(d),
            Payload::Nudge(d) => text(d),
            Payload::Read(d) => text(d),
            Payload::Presence(d) => text(d),
            Payload::Profile(d) => text(d),
            Payload::FriendRequest(d) => text(d),
            Payload::FriendAdded(d) => text(d),
            Payload::FriendRemoved(d) => text(d),
            Payload::ConversationAdded(d) => text(d),
            Payload::ConversationUpdated(d) => text(d),
            Payload::Reaction(d) => text(d),
            Payload::Preferences(d) => text(d),
            Payload::MemberJoined(d) => text(d),
            Payload::MemberLeft(d) => text(d),
            Payload::MemberRole(d) => text(d),
            Payload::Report(d) => text(d),
            Payload::Notification(d) => text(d),
            Payload::SessionEnded(d) => text(d),
            Payload::Resync(d) => text(d),
        }
    }
}

/// The same message as it goes out in events: one payload for every member, so the
/// sender's presence is not revealed to non-friends (`offline`; presence events carry
/// the live state).
fn shared(message: &Message) -> MessageChange {
    let mut message = message.clone();
    message.sender.presence = Presence::Offline;
    MessageChange {
        conversation_id: message.conversation_id.clone(),
        message,
        deleted_by: None,
    }
}

impl Event {
    /// A durable event: delivered to every stream, replayed on resume.
    fn durable(payload: Payload) -> Self {
        Event {
            payload,
            ephemeral: None,
            lapse: false,
            key: None,
        }
    }

    /// The same event under idempotency key `key`.
    pub fn keyed(self, key: impl Into<String>) -> Self {
        Event {
            key: Some(key.into()),
            ..self
        }
    }

    /// `message`: a new message.
    pub fn message(message: &Message) -> Self {
        Self::durable(Payload::Message(shared(message)))
    }

    /// `message_edited`: the message with its new body.
    pub fn message_edited(message: &Message) -> Self {
        Self::durable(Payload::MessageEdited(shared(message)))
    }

    /// `message_deleted`: the tombstone; `moderator` when a room's moderator deleted
    /// someone else's message.
    pub fn message_deleted(tombstone: &Message, moderator: Option<&UserId>) -> Self {
        Self::durable(Payload::MessageDeleted(MessageChange {
            deleted_by: moderator.cloned(),
            ..shared(tombstone)
        }))
    }

    /// `typing`, live only: sent at `now_ms`, stale (and shown as lapsed) from `expires_ms`.
    pub fn typing(
        conversation_id: &ConversationId,
        who: &User,
        typing: bool,
        now_ms: i64,
        expires_ms: i64,
    ) -> Self {
        Event {
            ephemeral: Some(Ephemeral {
                sent_ms: now_ms,
                expires_ms,
            }),
            ..Self::durable(Payload::Typing(Typing {
                conversation_id: conversation_id.to_owned(),
                user_id: who.id.clone(),
                username: who.username.clone(),
                display_name: who.display_name.clone(),
                typing,
                expires_at: rfc3339_ms(expires_ms),
            }))
        }
    }

    /// `nudge` from `who`, sent at `now_ms`.
    pub fn nudge(conversation_id: &ConversationId, who: &User, now_ms: i64) -> Self {
        Self::durable(Payload::Nudge(Nudge {
            conversation_id: conversation_id.to_owned(),
            user_id: who.id.clone(),
            username: who.username.clone(),
            display_name: who.display_name.clone(),
            sent_at: rfc3339_ms(now_ms),
        }))
    }

    /// `read`: `user_id`'s mark in the conversation is now `seq`.
    pub fn read(conversation_id: &ConversationId, user_id: &UserId, seq: i64) -> Self {
        Self::durable(Payload::Read(ReadMark {
            conversation_id: conversation_id.to_owned(),
            user_id: user_id.to_owned(),
            seq,
        }))
    }

    /// `presence`: the recipient now sees `user_id` as `presence`.
    pub fn presence(user_id: &UserId, presence: Presence) -> Self {
        Self::durable(Payload::Presence(PresenceChange {
            user_id: user_id.to_owned(),
            presence,
            last_seen_at: None,
        }))
    }

    /// `presence` `offline` for a friend last seen online at `seen_ms`.
    pub fn gone_offline(user_id: &UserId, seen_ms: i64) -> Self {
        Self::durable(Payload::Presence(PresenceChange {
            user_id: user_id.to_owned(),
            presence: Presence::Offline,
            last_seen_at: Some(rfc3339_ms(seen_ms)),
        }))
    }

    /// The `offline` a lease sweep announces for `user_id` (last seen at `seen_ms`),
    /// marked for the stream to check again on delivery.
    pub fn lapsed(user_id: &UserId, seen_ms: i64) -> Self {
        Event {
            lapse: true,
            ..Self::gone_offline(user_id, seen_ms)
        }
    }

    /// `profile`: `user` as friends see them now.
    pub fn profile(user: UserSummary) -> Self {
        Self::durable(Payload::Profile(ProfileChange {
            user_id: user.id.clone(),
            user,
        }))
    }

    /// `friend_request` `pending`: the request as stored.
    pub fn friend_request_pending(request: &FriendRequest) -> Self {
        Self::friend_request(
            RequestStatus::Pending,
            RequestParties {
                from: request.from.clone(),
                to: request.to.clone(),
                created_at: Some(request.created_at.clone()),
            },
        )
    }

    /// `friend_request` `declined` or `cancelled`: the request from `from` to `to` is gone.
    pub fn friend_request_closed(
        status: RequestStatus,
        from: &UserSummary,
        to: &UserSummary,
    ) -> Self {
        Self::friend_request(
            status,
            RequestParties {
                from: from.clone(),
                to: to.clone(),
                created_at: None,
            },
        )
    }

    fn friend_request(status: RequestStatus, request: RequestParties) -> Self {
        Self::durable(Payload::FriendRequest(FriendRequestChange {
            status,
            request,
        }))
    }

    /// `friend_added`, naming the recipient's new friend.
    pub fn friend_added(friend: Friend) -> Self {
        Self::durable(Payload::FriendAdded(FriendAdded { friend }))
    }

    /// `friend_removed`, naming the recipient's former friend.
    pub fn friend_removed(user_id: &UserId) -> Self {
        Self::durable(Payload::FriendRemoved(FriendRemoved {
            user_id: user_id.to_owned(),
        }))
    }

    /// `conversation_added`: the recipient is now a member of `conversation`.
    pub fn conversation_added(conversation: Conversation) -> Self {
        Self::durable(Payload::ConversationAdded(Box::new(ConversationAdded {
            conversation_id: conversation.id.clone(),
            conversation,
        })))
    }

    /// `conversation_updated`: `by` set the room's title and topic to these.
    pub fn conversation_updated(conversation: &Conversation, by: &User) -> Self {
        let mut by = UserSummary::of_self(by);
        by.presence = Presence::Offline;
        Self::durable(Payload::ConversationUpdated(ConversationUpdated {
            conversation_id: conversation.id.clone(),
            title: conversation.title.clone(),
            topic: conversation.topic.clone(),
            invite_code: conversation.invite_code.clone(),
            by,
        }))
    }

    /// `reaction`: `user_id` added (or took back) `emoji` on a message; `count` is how
    /// many have it now.
    pub fn reaction(
        conversation_id: &ConversationId,
        message_id: &MessageId,
        emoji: &str,
        user_id: &UserId,
        added: bool,
        count: i64,
    ) -> Self {
        Self::durable(Payload::Reaction(ReactionChange {
            conversation_id: conversation_id.to_owned(),
            message_id: message_id.to_owned(),
            emoji: emoji.to_owned(),
            user_id: user_id.to_owned(),
            added,
            count,
        }))
    }

    /// `session_ended`: the session `session_id` is over.
    pub fn session_ended(session_id: &str) -> Self {
        Self::durable(Payload::SessionEnded(SessionEnded {
            session_id: session_id.to_owned(),
        }))
    }

    /// `preferences`: how the caller now wants a conversation.
    pub fn preferences(conversation_id: &ConversationId, muted: bool, hidden: bool) -> Self {
        Self::durable(Payload::Preferences(PreferencesChange {
            conversation_id: conversation_id.to_owned(),
            muted,
            hidden,
        }))
    }

    /// `member_joined`: `user` joined the room (their presence is not shown: `offline`).
    pub fn member_joined(conversation_id: &ConversationId, user: &User) -> Self {
        let mut user = UserSummary::of_self(user);
        user.presence = Presence::Offline;
        Self::durable(Payload::MemberJoined(MemberJoined {
            conversation_id: conversation_id.to_owned(),
            user_id: user.id.clone(),
            user,
        }))
    }

    /// `member_left`: `user_id` left of their own accord.
    pub fn member_left(conversation_id: &ConversationId, user_id: &UserId) -> Self {
        Self::durable(Payload::MemberLeft(MemberLeft {
            conversation_id: conversation_id.to_owned(),
            user_id: user_id.to_owned(),
            removed_by: None,
            banned: false,
        }))
    }

    /// `member_left`: the moderator `by` removed `user_id` (and banned them, if `banned`).
    pub fn member_removed(
        conversation_id: &ConversationId,
        user_id: &UserId,
        by: &UserId,
        banned: bool,
    ) -> Self {
        Self::durable(Payload::MemberLeft(MemberLeft {
            conversation_id: conversation_id.to_owned(),
            user_id: user_id.to_owned(),
            removed_by: Some(by.to_owned()),
            banned,
        }))
    }

    /// `member_role`: `user_id` is now `role`, set by `by` (none: by succession).
    pub fn member_role(
        conversation_id: &ConversationId,
        user_id: &UserId,
        role: Role,
        by: Option<&UserId>,
    ) -> Self {
        Self::durable(Payload::MemberRole(MemberRole {
            conversation_id: conversation_id.to_owned(),
            user_id: user_id.to_owned(),
            role,
            by: by.cloned(),
        }))
    }

    /// `member_role`: `owner` owns the room now, its owner having left.
    pub fn owner_by_succession(conversation_id: &ConversationId, owner: &UserId) -> Self {
        Self::member_role(conversation_id, owner, Role::Owner, None)
    }

    /// `report`: for the room's moderators.
    pub fn report(report: Report) -> Self {
        Self::durable(Payload::Report(Box::new(ReportFiled {
            conversation_id: report.conversation_id.clone(),
            report,
        })))
    }

    /// `notification`: what the publish API was given.
    pub fn notification(body: serde_json::Map<String, serde_json::Value>) -> Self {
        Self::durable(Payload::Notification(body))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::conversations::ConversationKind;

    fn c1() -> ConversationId {
        ConversationId::from_raw("c1")
    }

    fn u1() -> UserId {
        UserId::from_raw("u1")
    }

    fn summary(name: &str, presence: Presence) -> UserSummary {
        UserSummary {
            id: UserId::from_raw(format!("id-{name}")),
            username: name.to_owned(),
            display_name: name.to_uppercase(),
            status_message: String::new(),
            presence,
            last_seen_at: None,
            avatar_url: None,
        }
    }

    fn user(name: &str) -> User {
        User {
            id: UserId::from_raw(format!("id-{name}")),
            username: name.to_owned(),
            display_name: name.to_uppercase(),
            status_message: "hi".to_owned(),
            presence: Presence::Busy,
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
            avatar_url: None,
        }
    }

    fn message() -> Message {
        Message {
            id: MessageId::from_raw("m1"),
            conversation_id: c1(),
            seq: 3,
            sender: summary("ann", Presence::Online),
            body: "hello".to_owned(),
            client_id: "k1".to_owned(),
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
            edited_at: None,
            deleted: false,
            reply_to: Some(crate::conversations::ReplyQuote {
                id: MessageId::from_raw("m0"),
                seq: 2,
                sender_id: UserId::from_raw("id-bob"),
                sender_name: "BOB".to_owned(),
                excerpt: "how are you?".to_owned(),
                deleted: false,
            }),
            reactions: vec![crate::conversations::Reaction {
                emoji: "👍".to_owned(),
                count: 2,
                user_ids: vec![UserId::from_raw("id-bob"), UserId::from_raw("id-cat")],
            }],
            mentions: vec!["bob".to_owned()],
            attachments: vec![crate::attachments::Attachment {
                id: crate::ids::AttachmentId::from_raw("a1"),
                name: "cat.png".to_owned(),
                content_type: "image/png".to_owned(),
                size: 1234,
                width: Some(40),
                height: Some(30),
                url: "/api/conversations/c1/attachments/a1".to_owned(),
                preview_url: Some("/api/conversations/c1/attachments/a1/preview".to_owned()),
            }],
        }
    }

    fn summary_json(name: &str, presence: &str) -> Value {
        json!({
            "id": format!("id-{name}"), "username": name, "display_name": name.to_uppercase(),
            "status_message": "", "presence": presence, "avatar_url": null,
        })
    }

    /// The stored form, the wire form, and the round trip through the store, at once.
    fn check(event: Event, kind: &str, data: Value) {
        assert_eq!(event.payload.kind(), kind);
        let wire: Value = serde_json::from_str(&event.payload.data_json()).expect("json");
        assert_eq!(wire, data, "{kind}");
        let stored = serde_json::to_value(&event).expect("serialise");
        assert_eq!(stored["kind"], kind);
        assert_eq!(stored["data"], data);
        let read: Event = serde_json::from_value(stored).expect("read back");
        assert_eq!(read, event.clone().keyed_none(), "{kind}");
    }

    impl Event {
        fn keyed_none(self) -> Self {
            Event { key: None, ..self }
        }
    }

    #[test]
    fn message_events_carry_the_message_with_the_sender_offline() {
        let message_json = json!({
            "id": "m1", "conversation_id": "c1", "seq": 3,
            "sender": summary_json("ann", "offline"), "body": "hello", "client_id": "k1",
            "created_at": "2026-01-01T00:00:00.000Z", "edited_at": null, "deleted": false,
            "reply_to": { "id": "m0", "seq": 2, "sender_id": "id-bob", "sender_name": "BOB",
                          "excerpt": "how are you?", "deleted": false },
            "reactions": [{ "emoji": "👍", "count": 2, "user_ids": ["id-bob", "id-cat"] }],
            "mentions": ["bob"],
            "attachments": [{"id": "a1", "name": "cat.png", "content_type": "image/png",
                             "size": 1234, "width": 40, "height": 30,
                             "url": "/api/conversations/c1/attachments/a1",
                             "preview_url": "/api/conversations/c1/attachments/a1/preview"}],
        });
        let data = json!({ "conversation_id": "c1", "message": message_json });
        check(Event::message(&message()), "message", data.clone());
        check(
            Event::message_edited(&message()),
            "message_edited",
            data.clone(),
        );
        check(
            Event::message_deleted(&message(), None),
            "message_deleted",
            data.clone(),
        );
        let mut by_moderator = data;
        by_moderator["deleted_by"] = json!("u1");
        check(
            Event::message_deleted(&message(), Some(&u1())),
            "message_deleted",
            by_moderator,
        );
    }

    #[test]
    fn typing_is_live_only_and_says_when_it_lapses() {
        let event = Event::typing(&c1(), &user("ann"), true, 1_000, 7_000);
        assert_eq!(
            event.ephemeral,
            Some(Ephemeral {
                sent_ms: 1_000,
                expires_ms: 7_000
            })
        );
        check(
            event,
            "typing",
            json!({
                "conversation_id": "c1", "user_id": "id-ann", "username": "ann",
                "display_name": "ANN", "typing": true, "expires_at": "1970-01-01T00:00:07.000Z",
            }),
        );
    }

    #[test]
    fn small_events_have_their_documented_shapes() {
        check(
            Event::nudge(&c1(), &user("ann"), 0),
            "nudge",
            json!({ "conversation_id": "c1", "user_id": "id-ann", "username": "ann",
                    "display_name": "ANN", "sent_at": "1970-01-01T00:00:00.000Z" }),
        );
        check(
            Event::read(&c1(), &u1(), 4),
            "read",
            json!({ "conversation_id": "c1", "user_id": "u1", "seq": 4 }),
        );
        check(
            Event::presence(&u1(), Presence::Away),
            "presence",
            json!({ "user_id": "u1", "presence": "away" }),
        );
        check(
            Event::friend_removed(&u1()),
            "friend_removed",
            json!({ "user_id": "u1" }),
        );
        check(
            Event::member_left(&c1(), &u1()),
            "member_left",
            json!({ "conversation_id": "c1", "user_id": "u1" }),
        );
        check(
            Event::member_removed(&c1(), &u1(), &UserId::from_raw("u2"), true),
            "member_left",
            json!({ "conversation_id": "c1", "user_id": "u1", "removed_by": "u2", "banned": true }),
        );
        check(
            Event::member_role(&c1(), &u1(), Role::Moderator, Some(&UserId::from_raw("u2"))),
            "member_role",
            json!({ "conversation_id": "c1", "user_id": "u1", "role": "moderator", "by": "u2" }),
        );
        check(
            Event::owner_by_succession(&c1(), &u1()),
            "member_role",
            json!({ "conversation_id": "c1", "user_id": "u1", "role": "owner", "by": null }),
        );
        let mut body = serde_json::Map::new();
        body.insert("text".into(), json!("deploy done"));
        check(
            Event::notification(body),
            "notification",
            json!({ "text": "deploy done" }),
        );
    }

    #[test]
    fn a_lapse_is_an_offline_marked_for_a_second_look() {
        let event = Event::lapsed(&u1(), 7_000);
        assert!(event.lapse);
        check(
            event,
            "presence",
            json!({ "user_id": "u1", "presence": "offline",
                    "last_seen_at": "1970-01-01T00:00:07.000Z" }),
        );
    }

    #[test]
    fn people_events_carry_summaries() {
        check(
            Event::profile(summary("ann", Presence::Busy)),
            "profile",
            json!({ "user_id": "id-ann", "user": summary_json("ann", "busy") }),
        );
        check(
            Event::member_joined(&c1(), &user("bob")),
            "member_joined",
            json!({ "conversation_id": "c1", "user_id": "id-bob", "user": {
                "id": "id-bob", "username": "bob", "display_name": "BOB",
                "status_message": "hi", "presence": "offline", "avatar_url": null } }),
        );
        let friend = Friend {
            user: summary("bob", Presence::Online),
            since: "2026-01-02T00:00:00.000Z".to_owned(),
        };
        check(
            Event::friend_added(friend),
            "friend_added",
            json!({ "friend": { "user": summary_json("bob", "online"),
                                "since": "2026-01-02T00:00:00.000Z" } }),
        );
    }

    #[test]
    fn friend_requests_carry_created_at_only_while_pending() {
        let (ann, bob) = (
            summary("ann", Presence::Offline),
            summary("bob", Presence::Offline),
        );
        let request = FriendRequest {
            from: ann.clone(),
            to: bob.clone(),
            created_at: "2026-01-03T00:00:00.000Z".to_owned(),
        };
        check(
            Event::friend_request_pending(&request),
            "friend_request",
            json!({ "status": "pending", "request": {
                "from": summary_json("ann", "offline"), "to": summary_json("bob", "offline"),
                "created_at": "2026-01-03T00:00:00.000Z" } }),
        );
        check(
            Event::friend_request_closed(RequestStatus::Cancelled, &ann, &bob),
            "friend_request",
            json!({ "status": "cancelled", "request": {
                "from": summary_json("ann", "offline"), "to": summary_json("bob", "offline") } }),
        );
    }

    #[test]
    fn conversation_added_and_updated_carry_the_room() {
        let conversation = Conversation {
            id: c1(),
            kind: ConversationKind::Room,
            name: Some("lobby".to_owned()),
            title: None,
            topic: Some("all things".to_owned()),
            member_count: 1,
            members: None,
            last_message: None,
            unread_count: 0,
            mention_count: 0,
            muted: false,
            hidden: false,
            role: Role::Owner,
            invite_code: None,
            roles: None,
            read_marks: None,
            created_at: "2026-01-01T00:00:00.000Z".to_owned(),
        };
        let mut renamed = conversation.clone();
        check(
            Event::conversation_added(conversation),
            "conversation_added",
            json!({ "conversation_id": "c1", "conversation": {
                "id": "c1", "kind": "room", "name": "lobby", "title": null,
                "topic": "all things", "member_count": 1, "last_message": null,
                "unread_count": 0, "mention_count": 0, "muted": false, "hidden": false,
                "role": "owner", "invite_code": null,
                "created_at": "2026-01-01T00:00:00.000Z" } }),
        );
        renamed.title = Some("Book club".to_owned());
        renamed.topic = None;
        check(
            Event::conversation_updated(&renamed, &user("ann")),
            "conversation_updated",
            json!({ "conversation_id": "c1", "title": "Book club", "topic": null,
                    "invite_code": null, "by": { "id": "id-ann", "username": "ann", "display_name": "ANN",
                            "status_message": "hi", "presence": "offline", "avatar_url": null } }),
        );
    }

    #[test]
    fn resync_says_why() {
        let resync = Payload::resync();
        assert_eq!(resync.kind(), "resync");
        assert!(resync.data_json().contains("no longer available"));
    }
}
