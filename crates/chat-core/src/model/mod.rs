//! The data the API shows and events carry: users as they see themselves and as others
//! see them, presence, conversations, messages and reports, each with the columns it is
//! read from. Below every service: the event vocabulary and the services take these types
//! from here, never from each other.

pub(crate) mod conversation;
pub(crate) mod presence;
pub(crate) mod user;
pub(crate) mod user_summary;

pub use conversation::{
    Conversation, ConversationKind, Message, Reaction, ReplyQuote, Report, Role,
};
pub use presence::Presence;
pub use user::User;
pub use user_summary::{Friend, FriendRequest, UserSummary};
