//! The event vocabulary: every event a stream can send (docs/api.md, "Events"), as typed
//! payloads ([`payloads`]) with one constructor each ([`constructors`]). Services build
//! events only here; the bus carries them as JSON envelopes (`{"kind": .., "data": ..,
//! ..}`) and the stream reads them back typed.
//!
//! The payloads serialise to exactly the JSON the API documents; the tests pin it.

mod constructors;
mod payloads;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use payloads::*;

use crate::{Error, Result, ports::Envelope};

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
    /// nothing (see [`crate::ports::Inbox::append`]). Carried beside the JSON, not in it.
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

impl Event {
    /// The event as the bus carries it: its JSON, and its key beside it.
    pub fn envelope(&self) -> Result<Envelope> {
        Ok(Envelope {
            json: serde_json::to_string(self).map_err(|e| Error::Data(format!("event: {e}")))?,
            key: self.key.clone(),
        })
    }

    /// An event from the JSON of its [`Event::envelope`] (the key is not in it).
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Data(format!("event: {e}")))
    }
}
