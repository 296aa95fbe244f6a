//! Accounts and sessions: validated credentials, Argon2id password hashes, opaque session
//! tokens stored only as hashes, and the services behind the `auth` routes.

mod fields;
mod password;
mod service;
mod sessions;
mod user;

pub use fields::{DisplayName, Password, Username};
pub use password::HashCost;
pub use service::{Accounts, LoginAttempt, SignedIn};
pub use sessions::{Session, SessionInfo, SessionToken};
pub use user::User;
