//! Accounts and sessions: validated credentials, Argon2id password hashes, opaque session
//! tokens stored only as hashes, and the services behind the `auth` routes.

mod api_tokens;
mod closing;
mod common_passwords;
mod credentials;
mod devices;
mod fields;
mod passkeys;
mod password;
mod second_factor;
mod sessions;

pub use crate::model::User;
pub use api_tokens::ApiTokenInfo;
pub use credentials::{Accounts, LoginAttempt, NewAccount};
pub use fields::{DisplayName, Password, Username};
pub use passkeys::{PASSKEYS_MAX, PasskeyInfo, RelyingParty};
pub use password::HashCost;
pub use second_factor::{LoginOutcome, SecondFactorStatus, TotpSetup};
pub use sessions::{Session, SessionInfo, SessionToken, SignedIn};
