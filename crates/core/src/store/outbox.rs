//! The outbox: every email, written in the same transaction as the token it carries, until
//! it is sent, given up, or dropped because its token ended. A sender leases a row by moving
//! its next attempt ahead.

use super::Millis;
use crate::error::Result;

/// What kind of email a row is; those that carry a token die with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EmailKind {
    PasswordReset,
    SignIn,
    ConfirmAddress,
    PasswordChanged,
    PasswordRemoved,
}

impl EmailKind {
    pub(crate) const ALL: [Self; 5] = [
        Self::PasswordReset,
        Self::SignIn,
        Self::ConfirmAddress,
        Self::PasswordChanged,
        Self::PasswordRemoved,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "reset",
            Self::SignIn => "login",
            Self::ConfirmAddress => "verify",
            Self::PasswordChanged => "password_changed",
            Self::PasswordRemoved => "password_removed",
        }
    }

    pub(crate) fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// Whether the email carries a one-time link, and so dies with its token.
    pub(crate) fn carries_token(self) -> bool {
        matches!(
            self,
            Self::PasswordReset | Self::SignIn | Self::ConfirmAddress
        )
    }
}

/// An email for the outbox.
#[derive(Debug, Clone)]
pub(crate) struct NewEmail<'a> {
    pub(crate) kind: EmailKind,
    pub(crate) token_id: Option<i64>,
    pub(crate) recipient: &'a str,
    pub(crate) subject: &'a str,
    pub(crate) text: &'a str,
    pub(crate) html: &'a str,
    pub(crate) now: Millis,
}

/// Where an email's token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenState {
    /// The email carries none.
    NoToken,
    /// Live until `expires_at`.
    Live { expires_at: Millis },
    /// Used, or replaced by a newer email's.
    Used,
    /// Deleted (it expired long ago, or its account went).
    Deleted,
}

impl TokenState {
    /// Where the token of an email of `kind` stands, from the row's reference to it
    /// (`pointed`) and the token row that reference finds (`found`: its id, `used_at`,
    /// `expires_at`). A token deleted with its row leaves no reference (ON DELETE SET NULL),
    /// yet an email of a kind that carries one needed it.
    pub(crate) fn of(
        kind: EmailKind,
        pointed: Option<i64>,
        found: Option<i64>,
        used_at: Option<Millis>,
        expires_at: Option<Millis>,
    ) -> Self {
        match (pointed, found, used_at) {
            (None, _, _) if kind.carries_token() => Self::Deleted,
            (None, _, _) => Self::NoToken,
            (Some(_), None, _) => Self::Deleted,
            (Some(_), Some(_), Some(_)) => Self::Used,
            (Some(_), Some(_), None) => Self::Live {
                expires_at: expires_at.unwrap_or(0),
            },
        }
    }
}

/// A due email, leased to this sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueEmail {
    pub(crate) id: i64,
    pub(crate) kind: EmailKind,
    pub(crate) recipient: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
    pub(crate) attempts: i64,
    pub(crate) created_at: Millis,
    pub(crate) token: TokenState,
}

/// How an email's life ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finished {
    Sent,
    /// Given up after failing for too long.
    Failed,
    /// Dropped: its token ended before it could be sent.
    Void,
}

impl Finished {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Void => "void",
        }
    }
}

pub(crate) trait Outbox {
    /// Puts an email in the outbox, due now.
    fn enqueue(&self, email: &NewEmail<'_>) -> Result<()>;

    /// Leases up to `limit` pending emails due at `now`, oldest due first, until `lease_until`.
    fn claim_due(&self, now: Millis, lease_until: Millis, limit: usize) -> Result<Vec<DueEmail>>;

    /// Ends an email's life and blanks its bodies (they may hold a one-time link).
    fn finish(&self, id: i64, how: Finished, now: Millis, error: Option<&str>) -> Result<()>;

    /// Records a failed attempt; the next one is due at `next`.
    fn retry_later(&self, id: i64, attempts: i64, error: &str, next: Millis) -> Result<()>;

    /// Deletes the emails finished at or before `cutoff`.
    fn delete_finished_before(&self, cutoff: Millis) -> Result<usize>;

    /// Every email's status, oldest first (for tests).
    #[cfg(any(test, feature = "testing"))]
    fn statuses(&self) -> Result<Vec<String>>;
}
