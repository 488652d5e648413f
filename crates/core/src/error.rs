//! One error vocabulary for every face of Docent.
//!
//! Each error carries a stable snake_case [`ErrorCode`] from the one list below, a sentence
//! for people (its `Display`), and an [`ErrorKind`]: the same over HTTP and IPC. Each code has
//! its HTTP status, so transports look nothing up; the OpenAPI document enumerates the codes.
//! Transports never invent their own codes: the few that only HTTP has are in the list too.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What kind of failure an error is, the same over every transport (sent as `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorKind {
    /// The request cannot be taken as sent: malformed, or a value not acceptable.
    Invalid,
    /// The caller is not signed in, or the credentials are wrong.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// The thing does not exist, or is not the caller's.
    NotFound,
    /// The request conflicts with what is stored.
    Conflict,
    /// The caller must wait before trying again.
    RateLimited,
    /// A feature is not set up, or a service Docent depends on failed.
    Unavailable,
    /// A fault inside Docent.
    Internal,
}

impl ErrorKind {
    /// The kind of an HTTP status.
    fn of_status(status: u16) -> Self {
        match status {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            409 => Self::Conflict,
            429 => Self::RateLimited,
            500 => Self::Internal,
            status if status >= 500 => Self::Unavailable,
            _ => Self::Invalid,
        }
    }
}

/// Declares the error codes, each with its HTTP status.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal => $status:literal, )*) => {
        /// Every error code of Docent: the one list.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order of the list.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The code as sent: stable snake_case.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),* }
            }

            /// The HTTP status docent-server answers with.
            pub fn status(self) -> u16 {
                match self { $(Self::$variant => $status),* }
            }
        }
    };
}

error_codes! {
    /// The request could not be read.
    BadRequest = "bad_request" => 400,
    /// The body is not JSON.
    MalformedJson = "malformed_json" => 400,
    /// The query string does not fit the operation.
    InvalidQuery = "invalid_query" => 400,
    /// An emailed link is unknown, expired or used.
    InvalidToken = "invalid_token" => 400,
    /// An emailed code is wrong, expired or used up.
    InvalidCode = "invalid_code" => 400,
    /// The email or password is wrong.
    InvalidCredentials = "invalid_credentials" => 401,
    /// No session came with the request.
    Unauthenticated = "unauthenticated" => 401,
    /// The session has ended.
    SessionExpired = "session_expired" => 401,
    /// The address's domain may not have accounts here.
    DomainNotAllowed = "domain_not_allowed" => 403,
    /// The right password, for an address not confirmed yet.
    EmailNotVerified = "email_not_verified" => 403,
    /// A conversation shared with the caller to read.
    ReadOnly = "read_only" => 403,
    /// The settings are set by whoever runs the server.
    SettingsReadOnly = "settings_read_only" => 403,
    /// The request was addressed to a host that is not this server's.
    HostNotAllowed = "host_not_allowed" => 403,
    /// A state change from another website.
    OriginNotAllowed = "origin_not_allowed" => 403,
    /// A cookie-authenticated state change without an Origin.
    OriginRequired = "origin_required" => 403,
    /// Nothing there, or not the caller's.
    NotFound = "not_found" => 404,
    /// The address does not take that method.
    MethodNotAllowed = "method_not_allowed" => 405,
    /// The email has an account already.
    EmailTaken = "email_taken" => 409,
    /// The body is too large.
    PayloadTooLarge = "payload_too_large" => 413,
    /// A document larger than the limit (or whose text unpacks to more than it).
    DocumentTooLarge = "document_too_large" => 413,
    /// The body is not sent as JSON.
    UnsupportedMediaType = "unsupported_media_type" => 415,
    /// A file of a format Docent cannot read.
    UnsupportedDocument = "unsupported_document" => 415,
    /// The body has the wrong shape.
    InvalidBody = "invalid_body" => 422,
    /// Not an email address.
    InvalidEmail = "invalid_email" => 422,
    /// A new password shorter than the policy's minimum.
    PasswordTooShort = "password_too_short" => 422,
    /// A password longer than 1,024 characters.
    PasswordTooLong = "password_too_long" => 422,
    /// A new password on the list of common ones.
    PasswordTooCommon = "password_too_common" => 422,
    /// A new password that contains the email's name.
    PasswordContainsEmail = "password_contains_email" => 422,
    /// A new password too easy to guess.
    PasswordTooGuessable = "password_too_guessable" => 422,
    /// A workspace name that is empty or too long.
    InvalidName = "invalid_name" => 422,
    /// A workspace description that is too long.
    DescriptionTooLong = "description_too_long" => 422,
    /// A system prompt that is too long.
    SystemPromptTooLong = "system_prompt_too_long" => 422,
    /// A top-k outside 1 to 50.
    InvalidTopK = "invalid_top_k" => 422,
    /// A collection or model name that is too long.
    ValueTooLong = "value_too_long" => 422,
    /// A conversation title that is empty or too long.
    InvalidTitle = "invalid_title" => 422,
    /// An empty question.
    EmptyMessage = "empty_message" => 422,
    /// A question that is too long.
    MessageTooLong = "message_too_long" => 422,
    /// A URL in the settings that is not http(s).
    InvalidUrl = "invalid_url" => 422,
    /// A setting in the app that is not acceptable.
    InvalidSettings = "invalid_settings" => 422,
    /// A search with no words to look for.
    EmptyQuery = "empty_query" => 422,
    /// A file or folder on this machine that cannot be read.
    FileNotReadable = "file_not_readable" => 422,
    /// A document that is encrypted (password-protected).
    DocumentEncrypted = "document_encrypted" => 422,
    /// A PDF without a text layer (a scan): OCR is not supported.
    NoText = "no_text" => 422,
    /// A document with no text at all.
    EmptyDocument = "empty_document" => 422,
    /// A document that is malformed or truncated, or could not be read in time.
    UnreadableDocument = "unreadable_document" => 422,
    /// Too many failed sign-ins for one email.
    TooManyAttempts = "too_many_attempts" => 429,
    /// A fault inside Docent.
    Internal = "internal" => 500,
    /// The retrieval API failed.
    RetrievalUnavailable = "retrieval_unavailable" => 502,
    /// The language model could not be reached or answered badly.
    LlmUnavailable = "llm_unavailable" => 502,
    /// The language model refused the request.
    LlmRejected = "llm_rejected" => 502,
    /// Email is not set up.
    EmailNotConfigured = "email_not_configured" => 503,
    /// No language model is set up.
    LlmNotConfigured = "llm_not_configured" => 503,
    /// The language model asks to wait.
    LlmRateLimited = "llm_rate_limited" => 503,
    /// A setting is missing or wrong.
    InvalidSetting = "invalid_setting" => 503,
    /// The database was written by a newer Docent.
    DatabaseTooNew = "database_too_new" => 503,
    /// The database server does not answer (PostgreSQL down or out of reach).
    DatabaseUnavailable = "database_unavailable" => 503,
    /// The settings file could not be written.
    SettingsNotSaved = "settings_not_saved" => 503,
    /// An allow-list of domains without email to prove addresses.
    AllowListNeedsEmail = "allow_list_needs_email" => 503,
    /// The language model did not answer in time.
    LlmTimeout = "llm_timeout" => 504,
}

impl ErrorCode {
    /// The kind of failure the code is.
    pub fn kind(self) -> ErrorKind {
        ErrorKind::of_status(self.status())
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Everything that can go wrong in Docent's core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value from outside could not be parsed into a domain value.
    #[error("{message}")]
    Invalid {
        /// E.g. `invalid_email`, `password_too_short`.
        code: ErrorCode,
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
        /// E.g. `domain_not_allowed`.
        code: ErrorCode,
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
        /// E.g. `invalid_setting`.
        code: ErrorCode,
        /// Which setting and what to do.
        message: String,
    },
    /// A remote service (the LLM, the retrieval API) failed or timed out.
    #[error("{message}")]
    Upstream {
        /// E.g. `retrieval_unavailable`, `llm_timeout`.
        code: ErrorCode,
        /// What failed and what to do.
        message: String,
    },
    /// The database server does not answer: it is down, restarting or out of reach. Worth
    /// trying again; the detail is logged, never shown.
    #[error("The database does not answer. Docent reconnects by itself: try again in a moment.")]
    DatabaseUnavailable(#[source] anyhow::Error),
    /// A fault inside Docent: storage, I/O, a bug. The detail is logged, never shown.
    #[error("Something went wrong inside Docent; the details have been logged.")]
    Internal(#[source] anyhow::Error),
}

/// The `{code, kind, message}` every transport sends for an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable snake_case code.
    pub code: ErrorCode,
    /// What kind of failure it is.
    pub kind: ErrorKind,
    /// A sentence for people.
    pub message: String,
}

impl ErrorBody {
    /// The body for `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            kind: code.kind(),
            message: message.into(),
        }
    }
}

impl Error {
    /// Builds an [`Error::Invalid`].
    pub fn invalid(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// The code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Config { code, .. }
            | Self::Upstream { code, .. } => *code,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::SessionExpired => ErrorCode::SessionExpired,
            Self::EmailTaken => ErrorCode::EmailTaken,
            Self::EmailNotVerified => ErrorCode::EmailNotVerified,
            Self::InvalidToken => ErrorCode::InvalidToken,
            Self::InvalidCode => ErrorCode::InvalidCode,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::DatabaseUnavailable(_) => ErrorCode::DatabaseUnavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Logs what the error's sentence leaves out (an internal fault's cause, why the database
    /// did not answer); a face calls it once before it answers with [`Error::body`].
    pub fn report(&self) {
        match self {
            Self::Internal(source) => tracing::error!(error = ?source, "internal error"),
            Self::DatabaseUnavailable(source) => {
                tracing::warn!(error = ?source, "the database does not answer");
            }
            _ => {}
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.code().kind()
    }

    /// For [`Error::TooManyAttempts`], how long the caller must wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::TooManyAttempts { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The `{code, kind, message}` body for transports.
    pub fn body(&self) -> ErrorBody {
        ErrorBody::new(self.code(), self.to_string())
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
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        let body = err.body();
        assert_eq!(body.code, "too_many_attempts");
        assert_eq!(body.kind, ErrorKind::RateLimited);
        assert!(body.message.contains("2 minutes"), "{}", body.message);
    }

    #[test]
    fn the_code_list_is_snake_case_unique_and_sent_as_written() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                name,
                "serde writes {name}"
            );
            assert!((400..600).contains(&code.status()), "{name}");
        }
        assert_eq!(ErrorCode::InvalidEmail.kind(), ErrorKind::Invalid);
        assert_eq!(ErrorCode::LlmTimeout.kind(), ErrorKind::Unavailable);
        assert_eq!(ErrorCode::Internal.kind(), ErrorKind::Internal);
        assert_eq!(
            serde_json::to_value(ErrorKind::NotFound).unwrap(),
            "not_found"
        );
    }
}
