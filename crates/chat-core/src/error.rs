//! The domain error: one variant per thing that can go wrong, each mapped to an HTTP status
//! by chat-http. Variants carrying internal detail (database, bus) never reach a client.

use std::time::Duration;

/// Result with the domain [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the domain.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something that breaks a rule (400). `code` is a stable snake_case id.
    #[error("{message}")]
    Invalid {
        /// Stable machine-readable code, e.g. `invalid_body`.
        code: &'static str,
        /// Human-readable explanation, safe to show to the caller.
        message: String,
    },
    /// No valid session or token (401).
    #[error("authentication required")]
    Unauthenticated,
    /// Login with a wrong username or password (401); which one is never said.
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A sign-in step refused for a reason the caller may know (401): a wrong second-factor
    /// code, an expired login challenge.
    #[error("{message}")]
    SignInRefused {
        /// Stable machine-readable code, e.g. `invalid_code`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// Authenticated but not allowed (403).
    #[error("{message}")]
    Forbidden {
        /// Stable machine-readable code, e.g. `not_friends`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// The thing does not exist, or the caller may not know that it does (404).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `conversation`.
        what: &'static str,
    },
    /// The request conflicts with the current state (409).
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code, e.g. `username_taken`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// The request carries more than a limit allows (413): a file past the size limit, or
    /// past what its uploader may store.
    #[error("{message}")]
    TooLarge {
        /// Stable machine-readable code: `too_large` or `quota_exceeded`.
        code: &'static str,
        /// Human-readable explanation, with the limit.
        message: String,
    },
    /// Too many requests; try again after the given time (429).
    #[error("rate limited, retry after {retry_after:?}")]
    RateLimited {
        /// How long until the next attempt can succeed.
        retry_after: Duration,
    },
    /// The server is doing as much of this as it will at once (password hashes): the
    /// request changed nothing and may be retried after the given time (503).
    #[error("overloaded, retry after {retry_after:?}")]
    Overloaded {
        /// How long until capacity is expected back.
        retry_after: Duration,
    },
    /// The SQL store failed (a bug, a full disk, a corrupt file). Detail is for the log only.
    #[error("database error: {0}")]
    Database(String),
    /// The SQL store could not take the statement now: locked by other writers for the
    /// whole busy timeout (overload), or a database server that did not answer (down or
    /// restarting). The request may be retried (503 with Retry-After). Detail is for the
    /// log only.
    #[error("database busy: {0}")]
    Busy(String),
    /// The event bus (Redis, or the SQLite inbox) could not be reached or failed.
    #[error("event bus error: {0}")]
    Bus(String),
    /// A stored value did not have the shape the code expects.
    #[error("data error: {0}")]
    Data(String),
    /// A setting has a value that cannot be used.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// A 400 with a stable code and a message for the caller.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A 409 with a stable code and a message for the caller.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// A 401 for a sign-in step, with a stable code and a message for the caller.
    pub fn sign_in_refused(code: &'static str, message: impl Into<String>) -> Self {
        Error::SignInRefused {
            code,
            message: message.into(),
        }
    }

    /// A 403 with a stable code and a message for the caller.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Error::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// 400 `invalid_cursor`: an event id no inbox issued (both bus backends say so).
    pub fn invalid_cursor() -> Self {
        Error::invalid("invalid_cursor", "event id is not valid")
    }

    /// 400 `invalid_target`: the caller named themself where someone else is needed.
    pub fn invalid_target(message: &str) -> Self {
        Error::invalid("invalid_target", message)
    }

    /// 403 `not_friends`: direct conversations and their messages are between friends.
    pub fn not_friends(message: &str) -> Self {
        Error::forbidden("not_friends", message)
    }

    /// The same error with what was being done in front of its detail, for the failures
    /// whose detail goes to the log (database, bus, stored data); the others, meant for
    /// the caller, are left as they are.
    pub fn context(self, doing: &str) -> Self {
        match self {
            Error::Database(d) => Error::Database(format!("{doing}: {d}")),
            Error::Busy(d) => Error::Busy(format!("{doing}: {d}")),
            Error::Bus(d) => Error::Bus(format!("{doing}: {d}")),
            Error::Data(d) => Error::Data(format!("{doing}: {d}")),
            other => other,
        }
    }

    /// True for failures of a dependency rather than of the request.
    pub fn is_dependency_failure(&self) -> bool {
        matches!(self, Error::Database(_) | Error::Busy(_) | Error::Bus(_))
    }
}

/// `.context("what was being done")` on a domain result (zero2prod's habit): a 5xx in the
/// log then says which step of which service failed, not only what SQLite or Redis said.
pub trait ResultExt<T> {
    /// Adds `doing` to a database, bus or data error (see [`Error::context`]).
    fn context(self, doing: &str) -> Result<T>;
}

impl<T> ResultExt<T> for Result<T> {
    fn context(self, doing: &str) -> Result<T> {
        self.map_err(|e| e.context(doing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_the_step_of_dependency_failures_only() {
        let failed: Result<()> = Err(Error::Database("disk I/O error".into()));
        let described = failed.context("storing the message").unwrap_err();
        assert_eq!(
            described.to_string(),
            "database error: storing the message: disk I/O error"
        );
        let bus: Result<()> = Err(Error::Bus("connection refused".into()));
        assert!(
            bus.context("appending")
                .unwrap_err()
                .to_string()
                .contains("appending: ")
        );
        let callers: Result<()> = Err(Error::invalid("invalid_body", "body is empty"));
        assert_eq!(
            callers
                .context("storing the message")
                .unwrap_err()
                .to_string(),
            "body is empty"
        );
    }
}
