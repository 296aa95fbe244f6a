//! One constructor per event: what each service calls to say what happened, so every
//! payload is built the same way wherever it is emitted.

use super::{Ephemeral, Event, Payload, payloads::*};
use crate::{
    ids::{ConversationId, MessageId, UserId},
    model::{
        Conversation, Friend, FriendRequest, Message, Presence, Report, Role, User, UserSummary,
    },
    time::rfc3339_ms,
};

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
