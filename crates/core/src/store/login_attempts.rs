//! Password attempts per email (an account's or not, so throttling reveals nothing), each
//! recorded before its password is checked.

use super::Millis;
use crate::error::Result;

/// The record of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttemptId(pub(crate) i64);

/// What reserving an attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reservation {
    /// Recorded: the password may be checked.
    Reserved(AttemptId),
    /// `max` attempts since the window's start already; the oldest of the newest `max` was
    /// made at this instant.
    Full { oldest: Millis },
}

pub(crate) trait LoginAttempts {
    /// Counts the email's attempts made after `since` and, when there are fewer than `max`,
    /// records one at `now`, as one step that concurrent transactions (of this server or of
    /// others on the same database) cannot interleave.
    fn reserve(&self, email: &str, since: Millis, max: usize, now: Millis) -> Result<Reservation>;

    /// Deletes the record of an attempt whose password was right.
    fn forget(&self, attempt: AttemptId) -> Result<()>;

    /// Deletes every record of the email (its owner proved the mailbox).
    fn clear(&self, email: &str) -> Result<()>;

    /// Deletes the records made at or before `cutoff`.
    fn delete_before(&self, cutoff: Millis) -> Result<usize>;
}
