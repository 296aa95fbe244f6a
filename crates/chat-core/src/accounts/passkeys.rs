//! Passkeys (WebAuthn, verified by the `webauthn_rp` crate, pure Rust): a signed-in user
//! adds one (the browser creates a key pair on their device and proves it), lists and
//! removes them; anyone signs in with one without a username or password. Each ceremony's
//! server half is stored (`passkey_ceremonies`) so that whichever instance or process
//! answers the second request can finish it, and it is good once: taking it deletes it.
//! A passkey asks for user verification (a PIN, a fingerprint), so it stands for both
//! factors: signing in with one never asks for an authenticator code.

use std::net::IpAddr;

use serde::Serialize;
use webauthn_rp::{
    AuthenticatedCredential, DiscoverableAuthentication64, DiscoverableAuthenticationServerState,
    DiscoverableCredentialRequestOptions, PublicKeyCredentialCreationOptions, Registration,
    RegistrationServerState,
    bin::{Decode, Encode},
    request::{
        AsciiDomain, ExtensionInfo, PublicKeyCredentialDescriptor, RpId,
        auth::AuthenticationVerificationOptions,
        register::{
            CredProtect, Nickname, PublicKeyCredentialUserEntity, RegistrationVerificationOptions,
            USER_HANDLE_MAX_LEN, UserHandle64, Username as WebauthnName,
        },
    },
    response::{
        AuthTransports, CredentialId,
        register::{CompressedPubKey, DynamicState, StaticState},
    },
};

mod ceremonies;

use ceremonies::Ceremony;

use super::{Accounts, Session, SignedIn, User};
use crate::{
    Error, Result, ResultExt,
    audit::SecurityEvent,
    ports::{Rate, Value},
    time::rfc3339_ms,
};

/// Passkeys one account may hold.
pub const PASSKEYS_MAX: i64 = 20;
/// The longest name a passkey may be given.
const NAME_MAX: usize = 64;

/// The public key as stored: what `StaticState::encode` wrote, read back compressed.
type StoredKey = CompressedPubKey<[u8; 32], [u8; 32], [u8; 48], Vec<u8>>;

/// Where the ceremonies happen: the relying party's id (the host's domain name) and the
/// origin the browser must report (scheme, host and port the page was served from).
#[derive(Debug)]
pub struct RelyingParty {
    rp_id: RpId,
    origin: String,
}

impl RelyingParty {
    /// The relying party of a request to `host` (the `Host` header, port included). 400
    /// `passkeys_unavailable` when the host is an IP address: WebAuthn binds a passkey to
    /// a domain name (`localhost` counts), and browsers refuse others.
    pub fn for_host(host: &str, https: bool) -> Result<Self> {
        let unavailable = || {
            Error::invalid(
                "passkeys_unavailable",
                "passkeys need the service to be reached by a domain name (localhost counts), not an IP address",
            )
        };
        let host = host.trim().to_ascii_lowercase();
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host.as_str(),
        };
        if name.is_empty() || name.starts_with('[') || name.parse::<IpAddr>().is_ok() {
            return Err(unavailable());
        }
        let domain = AsciiDomain::try_from(name.to_owned()).map_err(|_| unavailable())?;
        let scheme = if https { "https" } else { "http" };
        Ok(RelyingParty {
            rp_id: RpId::Domain(domain),
            origin: format!("{scheme}://{host}"),
        })
    }
}

/// One passkey as its owner sees it: `{id, name, created_at, last_used_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct PasskeyInfo {
    /// Its id in the API.
    pub id: String,
    /// What its owner called it ("Laptop", "Phone").
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or null when it was never used to sign in.
    pub last_used_at: Option<String>,
}

/// 400 `invalid_credential`: what the browser sent is not a ceremony's answer.
fn invalid_credential() -> Error {
    Error::invalid(
        "invalid_credential",
        "the passkey's answer could not be read",
    )
}

/// 401 `passkey_refused`: the ceremony is unknown, expired or its answer does not verify.
fn refused() -> Error {
    Error::sign_in_refused("passkey_refused", "the passkey was not accepted; try again")
}

impl Accounts<'_> {
    /// The caller's passkeys, oldest first.
    pub async fn passkeys(&self, session: &Session) -> Result<Vec<PasskeyInfo>> {
        let rows = self
            .ports
            .sql
            .query(
                "SELECT id, name, created_at_ms, last_used_at_ms FROM passkeys
                  WHERE user_id = ?1 ORDER BY created_at_ms, id",
                &[Value::from(&session.user.id)],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok(PasskeyInfo {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    created_at: rfc3339_ms(row.get(2)?),
                    last_used_at: row.get::<Option<i64>>(3)?.map(rfc3339_ms),
                })
            })
            .collect()
    }

    /// The account's WebAuthn user handle (64 random bytes, made on first use): what a
    /// passkey names its account by, never the username, which can change.
    async fn user_handle(&self, user: &User) -> Result<UserHandle64> {
        let fresh = UserHandle64::new();
        let encoded = fresh
            .encode()
            .map_err(|_| Error::Data("user handle".into()))?;
        let rows = self
            .ports
            .sql
            .query(
                "INSERT INTO passkey_handles (user_id, handle) VALUES (?1, ?2)
                 ON CONFLICT (user_id) DO UPDATE SET handle = handle
                 RETURNING handle",
                &[Value::from(&user.id), Value::from(encoded.to_vec())],
            )
            .await
            .context("passkeys: the user handle")?;
        let stored: Vec<u8> = rows
            .first()
            .ok_or_else(|| Error::Data("user handle not stored".into()))?
            .get(0)?;
        let stored = <[u8; USER_HANDLE_MAX_LEN]>::try_from(stored.as_slice())
            .map_err(|_| Error::Data("a stored user handle".into()))?;
        UserHandle64::decode(stored).map_err(|_| Error::Data("user handle".into()))
    }

    /// Starts adding a passkey: the options for the browser's `navigator.credentials.create`
    /// (WebAuthn's JSON form). The account's passkeys are excluded, so a device that holds
    /// one is not asked to make a second.
    pub async fn start_passkey(
        &self,
        session: &Session,
        rp: &RelyingParty,
    ) -> Result<serde_json::Value> {
        let user = &session.user;
        let registered = self
            .ports
            .sql
            .query(
                "SELECT credential_id FROM passkeys WHERE user_id = ?1",
                &[Value::from(&user.id)],
            )
            .await?;
        if registered.len() as i64 >= PASSKEYS_MAX {
            return Err(Error::conflict(
                "too_many_passkeys",
                format!("an account holds at most {PASSKEYS_MAX} passkeys; remove one first"),
            ));
        }
        let exclude = registered
            .iter()
            .map(|row| {
                let id: Vec<u8> = row.get(0)?;
                let id = CredentialId::<Vec<u8>>::decode(id)
                    .map_err(|_| Error::Data("a stored credential id".into()))?;
                Ok(PublicKeyCredentialDescriptor {
                    id,
                    transports: AuthTransports::ALL,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let handle = self.user_handle(user).await?;
        let name = WebauthnName::try_from(user.username.as_str())
            .map_err(|_| Error::Data("a username WebAuthn refuses".into()))?;
        let display = Nickname::try_from(user.display_name.as_str()).ok();
        let entity = PublicKeyCredentialUserEntity {
            name,
            id: &handle,
            display_name: display,
        };
        let mut creation = PublicKeyCredentialCreationOptions::passkey(&rp.rp_id, entity, exclude);
        // Ask authenticators that can to keep the passkey behind user verification, but do
        // not insist: many platform authenticators (and Chromium's virtual one) lack the
        // credProtect extension, and insisting makes the browser refuse to create the
        // passkey at all. User verification is required of every ceremony regardless.
        creation.extensions.cred_protect =
            CredProtect::UserVerificationRequired(ExtensionInfo::AllowDontEnforceValue);
        let (server, client) = creation
            .start_ceremony()
            .map_err(|e| Error::Data(format!("passkey options: {e}")))?;
        ceremonies::keep(self.ports, Ceremony::Register, Some(user), &server, &client).await
    }

    /// Finishes adding a passkey from the browser's answer (`PublicKeyCredential.toJSON()`
    /// of the credential `create` made), under `name`.
    pub async fn add_passkey(
        &self,
        session: &Session,
        rp: &RelyingParty,
        name: &str,
        answer: &[u8],
    ) -> Result<PasskeyInfo> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || crate::text::is_deceptive(name) {
            return Err(Error::invalid(
                "invalid_name",
                format!("a passkey's name is 1-{NAME_MAX} characters on one line"),
            ));
        }
        // WebAuthn's own JSON form (`RegistrationResponseJSON`), as `toJSON()` gives it.
        let registration: Registration =
            serde_json::from_slice(answer).map_err(|_| invalid_credential())?;
        let challenge = registration.challenge().map_err(|_| invalid_credential())?;
        let state = ceremonies::take(
            self.ports,
            challenge.0,
            Ceremony::Register,
            Some(&session.user),
        )
        .await?;
        let server = RegistrationServerState::<USER_HANDLE_MAX_LEN>::decode(state.as_slice())
            .map_err(|_| Error::Data("a stored passkey ceremony".into()))?;
        let origins = [rp.origin.as_str()];
        let options = RegistrationVerificationOptions::<&str, &str> {
            allowed_origins: &origins,
            ..RegistrationVerificationOptions::default()
        };
        let credential = server
            .verify(&rp.rp_id, &registration, &options)
            .map_err(|e| {
                tracing::info!(target: "security", kind = "passkey_refused", "registration: {e}");
                refused()
            })?;
        let static_state = credential
            .static_state()
            .encode()
            .map_err(|_| Error::Data("passkey key".into()))?;
        let dynamic_state = credential
            .dynamic_state()
            .encode()
            .map_err(|_| Error::Data("passkey state".into()))?;
        let id = crate::ports::uuid_v7(self.ports.clock.as_ref(), self.ports.random.as_ref())?;
        let now = self.ports.clock.now_ms();
        let inserted = self
            .ports
            .sql
            .query(
                "INSERT INTO passkeys
                    (id, credential_id, user_id, name, static_state, dynamic_state, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (credential_id) DO NOTHING
                 RETURNING 1",
                &[
                    Value::from(id.as_str()),
                    Value::from(credential.id().as_ref().to_vec()),
                    Value::from(&session.user.id),
                    Value::from(name),
                    Value::from(static_state),
                    Value::from(dynamic_state.to_vec()),
                    Value::Integer(now),
                ],
            )
            .await
            .context("passkeys: storing")?;
        if inserted.is_empty() {
            return Err(Error::conflict(
                "passkey_exists",
                "this passkey is already registered",
            ));
        }
        self.audit(SecurityEvent::PasskeyAdded, &session.user.id)
            .await;
        Ok(PasskeyInfo {
            id,
            name: name.to_owned(),
            created_at: rfc3339_ms(now),
            last_used_at: None,
        })
    }

    /// Removes one of the caller's passkeys (404 `passkey` when it is not theirs).
    pub async fn remove_passkey(&self, session: &Session, passkey_id: &str) -> Result<()> {
        let removed = self
            .ports
            .sql
            .query(
                "DELETE FROM passkeys WHERE id = ?1 AND user_id = ?2 RETURNING 1",
                &[Value::from(passkey_id), Value::from(&session.user.id)],
            )
            .await?;
        if removed.is_empty() {
            return Err(Error::NotFound { what: "passkey" });
        }
        self.audit(SecurityEvent::PasskeyRemoved, &session.user.id)
            .await;
        Ok(())
    }

    /// Starts signing in with a passkey: options for `navigator.credentials.get`, asking
    /// for any passkey of this site (the browser offers the ones it has).
    pub async fn start_passkey_login(
        &self,
        rp: &RelyingParty,
        address: &str,
    ) -> Result<serde_json::Value> {
        self.take_passkey_attempt(address).await?;
        let (server, client) = DiscoverableCredentialRequestOptions::passkey(&rp.rp_id)
            .start_ceremony()
            .map_err(|e| Error::Data(format!("passkey options: {e}")))?;
        ceremonies::keep(self.ports, Ceremony::Login, None, &server, &client).await
    }

    /// Finishes signing in with a passkey from the browser's answer: a session, as a login
    /// with password and second factor gives.
    pub async fn finish_passkey_login(
        &self,
        rp: &RelyingParty,
        answer: &[u8],
        address: &str,
        user_agent: &str,
    ) -> Result<SignedIn> {
        self.take_passkey_attempt(address).await?;
        let authentication: DiscoverableAuthentication64 =
            serde_json::from_slice(answer).map_err(|_| invalid_credential())?;
        let challenge = authentication
            .challenge()
            .map_err(|_| invalid_credential())?;
        let state = ceremonies::take(self.ports, challenge.0, Ceremony::Login, None).await?;
        let server = DiscoverableAuthenticationServerState::decode(state.as_slice())
            .map_err(|_| Error::Data("a stored passkey ceremony".into()))?;
        let handle = authentication
            .response()
            .user_handle()
            .encode()
            .map_err(|_| invalid_credential())?;
        let credential_id = authentication.raw_id().as_ref().to_vec();
        let rows = self
            .ports
            .sql
            .query(
                &format!(
                    "SELECT p.id, p.static_state, p.dynamic_state, {}
                       FROM passkeys p
                       JOIN passkey_handles h ON h.user_id = p.user_id AND h.handle = ?2
                       JOIN users u ON u.id = p.user_id
                      WHERE p.credential_id = ?1",
                    User::columns("u.")
                ),
                &[
                    Value::from(credential_id.clone()),
                    Value::from(handle.to_vec()),
                ],
            )
            .await
            .context("passkeys: finding the credential")?;
        let Some(row) = rows.first() else {
            return Err(refused());
        };
        let mut columns = row.columns();
        let passkey_id: String = columns.read()?;
        let static_state: Vec<u8> = columns.read()?;
        let dynamic_state: Vec<u8> = columns.read()?;
        let user = User::read(&mut columns)?;
        let static_state = StaticState::<StoredKey>::decode(static_state.as_slice())
            .map_err(|_| Error::Data("a stored passkey key".into()))?;
        let dynamic_state = <[u8; 7]>::try_from(dynamic_state.as_slice())
            .ok()
            .and_then(|bytes| DynamicState::decode(bytes).ok())
            .ok_or_else(|| Error::Data("a stored passkey state".into()))?;
        let user_handle = authentication.response().user_handle();
        let id = CredentialId::<&[u8]>::decode(credential_id.as_slice()).map_err(|_| refused())?;
        let mut credential =
            AuthenticatedCredential::new(id, user_handle, static_state, dynamic_state)
                .map_err(|_| Error::Data("a stored passkey".into()))?;
        let origins = [rp.origin.as_str()];
        let options = AuthenticationVerificationOptions::<&str, &str> {
            allowed_origins: &origins,
            ..AuthenticationVerificationOptions::default()
        };
        server
            .verify(&rp.rp_id, &authentication, &mut credential, &options)
            .map_err(|e| {
                tracing::info!(target: "security", kind = "passkey_refused", user_id = %user.id, "sign-in: {e}");
                refused()
            })?;
        let dynamic_state = credential
            .dynamic_state()
            .encode()
            .map_err(|_| Error::Data("passkey state".into()))?;
        self.ports
            .sql
            .execute(
                "UPDATE passkeys SET dynamic_state = ?2, last_used_at_ms = ?3 WHERE id = ?1",
                &[
                    Value::from(passkey_id.as_str()),
                    Value::from(dynamic_state.to_vec()),
                    Value::Integer(self.ports.clock.now_ms()),
                ],
            )
            .await?;
        let signed = self.open_session(user, user_agent, None).await?;
        self.audit(SecurityEvent::SignedInWithPasskey, &signed.user.id)
            .await;
        Ok(signed)
    }

    /// Passkey sign-ins are throttled per client address (each start stores a ceremony;
    /// each answer costs a signature check): 30, then one every 2 s.
    async fn take_passkey_attempt(&self, address: &str) -> Result<()> {
        self.ports
            .limiter
            .acquire(&format!("passkey:{address}"), Rate::bucket(30, 0.5))
            .await?
            .into_result()
    }
}

#[cfg(test)]
mod tests;
