//! One error vocabulary for every face of Docent.
//!
//! Each error carries a stable snake_case [`Error::code`], a sentence for people (its
//! `Display`), and an [`ErrorKind`] that transports translate into a status (HTTP) or pass on
//! as is (IPC). Transports never invent their own codes for product rules.

use std::time::Duration;

use serde::Serialize;

/// What kind of failure an error is, independent of the transport that reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is malformed (HTTP 400).
    BadRequest,
    /// The caller is not signed in, or the credentials are wrong (HTTP 401).
    Unauthorized,
    /// The caller may not do this (HTTP 403).
    Forbidden,
    /// The thing does not exist, or is not the caller's (HTTP 404).
    NotFound,
    /// The request conflicts with what is stored (HTTP 409).
    Conflict,
    /// The request is too large (HTTP 413).
    PayloadTooLarge,
    /// The request is well-formed but its values are not acceptable (HTTP 422).
    Unprocessable,
    /// The caller must wait before trying again (HTTP 429).
    TooManyRequests,
    /// A remote service answered badly (HTTP 502).
    BadGateway,
    /// A feature is not configured or a dependency is down (HTTP 503).
    Unavailable,
    /// A remote service did not answer in time (HTTP 504).
    GatewayTimeout,
    /// A fault inside Docent (HTTP 500).
    Internal,
}

/// Everything that can go wrong in Docent's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from outside could not be parsed into a domain value.
    #[error("{message}")]
    Invalid {
        /// Stable code, e.g. `invalid_email`, `password_too_short`.
        code: &'static str,
        /// What is wrong and how to do better.
        message: String,
    },
    /// Sign-in failed; deliberately says nothing about which part was wrong.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// No valid session accompanies the request.
    #[error("You are not signed in. Please sign in.")]
    Unauthenticated,
    /// The session existed but has ended (absolute lifetime or idle timeout).
    #[error("Your session has expired. Please sign in again.")]
    SessionExpired,
    /// A one-time link (reset or sign-in) is unknown, expired or already used.
    #[error("This link has expired or has already been used. Request a new email.")]
    InvalidToken,
    /// A sign-in code is wrong or expired, or its request is void after too many wrong codes.
    #[error("That code is not valid. Check the newest email from Docent, or request a new one.")]
    InvalidCode,
    /// A right password for an account whose address is not proven yet, where email is set up.
    #[error("Confirm your email address first: open the link Docent emailed you, or type its code. If the email is lost, send a new one.")]
    EmailNotVerified,
    /// Registration with an email that already has an account.
    #[error("An account with this email already exists. Sign in, or reset your password.")]
    EmailTaken,
    /// Too many failed sign-ins for one email; try again after `retry_after`.
    #[error("Too many failed sign-in attempts for this email. Try again in {}.", human_wait(*.retry_after))]
    TooManyAttempts {
        /// How long until the next attempt is allowed.
        retry_after: Duration,
    },
    /// The caller may not do this.
    #[error("{message}")]
    Forbidden {
        /// Stable code, e.g. `domain_not_allowed`.
        code: &'static str,
        /// Why, in a sentence.
        message: String,
    },
    /// The thing does not exist, or belongs to someone else.
    #[error("{what} was not found.")]
    NotFound {
        /// What was looked for, capitalised ("Workspace").
        what: &'static str,
    },
    /// A setting is missing or wrong.
    #[error("{message}")]
    Config {
        /// Stable code, e.g. `invalid_setting`.
        code: &'static str,
        /// Which setting and what to do.
        message: String,
    },
    /// A remote service (the LLM, the retrieval API) failed or timed out.
    #[error("{message}")]
    Upstream {
        /// BadGateway, Unavailable or GatewayTimeout.
        kind: ErrorKind,
        /// Stable code, e.g. `retrieval_unavailable`, `llm_timeout`.
        code: &'static str,
        /// What failed and what to do.
        message: String,
    },
    /// A fault inside Docent: storage, I/O, a bug. The detail is logged, never shown.
    #[error("Something went wrong inside Docent; the details have been logged.")]
    Internal(#[source] anyhow::Error),
}

/// The `{code, message}` pair every transport sends for an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl Error {
    /// Builds an [`Error::Invalid`].
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Config { code, .. }
            | Self::Upstream { code, .. } => code,
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthenticated => "unauthenticated",
            Self::SessionExpired => "session_expired",
            Self::EmailTaken => "email_taken",
            Self::EmailNotVerified => "email_not_verified",
            Self::InvalidToken => "invalid_token",
            Self::InvalidCode => "invalid_code",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::NotFound { .. } => "not_found",
            Self::Internal(_) => "internal",
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid { .. } => ErrorKind::Unprocessable,
            Self::InvalidCredentials | Self::Unauthenticated | Self::SessionExpired => {
                ErrorKind::Unauthorized
            }
            Self::EmailTaken => ErrorKind::Conflict,
            Self::InvalidToken | Self::InvalidCode => ErrorKind::BadRequest,
            Self::TooManyAttempts { .. } => ErrorKind::TooManyRequests,
            Self::Forbidden { .. } | Self::EmailNotVerified => ErrorKind::Forbidden,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Config { .. } => ErrorKind::Unavailable,
            Self::Upstream { kind, .. } => *kind,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    /// For [`Error::TooManyAttempts`], how long the caller must wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The `{code, message}` body for transports.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }

    /// Wraps any fault as [`Error::Internal`].
    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// "3 minutes", "1 minute", "45 seconds": rounded up, for people.
fn human_wait(wait: Duration) -> String {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    if secs >= 60 {
        let mins = secs.div_ceil(60);
        format!("{mins} minute{}", if mins == 1 { "" } else { "s" })
    } else {
        format!("{secs} second{}", if secs == 1 { "" } else { "s" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_rounded_up_for_people() {
        assert_eq!(human_wait(Duration::from_secs(1)), "1 second");
        assert_eq!(human_wait(Duration::from_millis(44_500)), "45 seconds");
        assert_eq!(human_wait(Duration::from_secs(61)), "2 minutes");
        assert_eq!(human_wait(Duration::from_secs(60)), "1 minute");
    }

    #[test]
    fn codes_are_snake_case_and_bodies_carry_them() {
        let err = Error::TooManyAttempts {
            retry_after: Duration::from_secs(90),
        };
        assert_eq!(err.kind(), ErrorKind::TooManyRequests);
        let body = err.body();
        assert_eq!(body.code, "too_many_attempts");
        assert!(body.message.contains("2 minutes"), "{}", body.message);
    }
}
