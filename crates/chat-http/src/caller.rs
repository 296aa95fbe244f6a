//! What a signed-in route opens with, in one extractor: the caller's session, where they
//! call from, and the services acting as them. A handler is then its call and its reply
//! (`caller.conversations().send(..)`), with nothing to assemble first.

use axum::{extract::FromRequestParts, http::request::Parts};
use chat_core::{
    Ports, accounts::Accounts, accounts::Session, conversations::Conversations, model::User,
    users::Users,
};

use crate::{ApiError, AppState, Authenticated, extract::ClientInfo};

/// A request made with a valid session, and the services acting for its user.
pub(crate) struct Caller {
    /// The session the request was made with.
    pub session: Session,
    /// Where it came from: address, browser, https.
    pub(crate) client: ClientInfo,
    ports: Ports,
}

impl Caller {
    /// Who is calling.
    pub fn user(&self) -> &User {
        &self.session.user
    }

    /// The outside world, for the few routes that reach past the services.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    /// Account operations, recorded in the audit trail as coming from this client.
    pub fn accounts(&self) -> Accounts<'_> {
        Accounts::new(&self.ports).from(self.client.origin())
    }

    /// Contact-list operations as the caller.
    pub fn users(&self) -> Users<'_> {
        Users::new(&self.ports, &self.session.user)
    }

    /// Conversation operations as the caller.
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations::new(&self.ports, &self.session.user)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Authenticated(session) = Authenticated::from_request_parts(parts, state).await?;
        let client = ClientInfo::from_request_parts(parts, state).await?;
        Ok(Caller {
            session,
            client,
            ports: state.ports.clone(),
        })
    }
}
