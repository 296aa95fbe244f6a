//! The data of each event type: one struct per `data:` object the API documents.

use serde::{Deserialize, Serialize};

use crate::{
    ids::{ConversationId, MessageId, UserId},
    model::{Conversation, Friend, Message, Presence, Report, Role, UserSummary},
};

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
