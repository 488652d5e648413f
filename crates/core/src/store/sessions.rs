//! Sessions: a token's SHA-256 (never the token), its account, an absolute end and when it
//! was last used.

use uuid::Uuid;

use super::Millis;
use crate::domain::TokenHash;
use crate::error::Result;

/// A session with what its checks need of its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) id: i64,
    pub(crate) user_id: Uuid,
    pub(crate) expires_at: Millis,
    pub(crate) last_seen_at: Millis,
    pub(crate) email: String,
    pub(crate) email_verified: bool,
}

pub(crate) trait Sessions {
    /// Starts a session for `user_id`, last seen `now`.
    fn insert(
        &self,
        token: &TokenHash,
        user_id: Uuid,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()>;

    /// The session whose token hashes to `token`.
    fn by_token(&self, token: &TokenHash) -> Result<Option<Session>>;

    /// Records that the session was used at `now`.
    fn touch(&self, id: i64, now: Millis) -> Result<()>;

    /// Ends one session (its temporary conversations go with it).
    fn delete(&self, id: i64) -> Result<()>;

    /// Ends every session of an account; how many there were.
    fn delete_for_account(&self, user_id: Uuid) -> Result<usize>;

    /// Deletes the sessions past their end, or last used at or before `idle_cutoff`.
    fn delete_expired(&self, now: Millis, idle_cutoff: Millis) -> Result<usize>;
}
