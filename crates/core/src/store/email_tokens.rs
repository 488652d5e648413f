//! One-time tokens sent by email (password reset, sign-in, address confirmation), stored as
//! SHA-256, with a code's hash where the email also carries a code; and the record of email
//! requests the allowance is kept from.

use uuid::Uuid;

use super::Millis;
use crate::domain::TokenHash;
use crate::error::Result;

/// What an emailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Reset,
    Login,
    Verify,
}

impl Purpose {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Login => "login",
            Self::Verify => "verify",
        }
    }
}

/// A token to store.
#[derive(Debug, Clone)]
pub(crate) struct NewToken<'a> {
    pub(crate) purpose: Purpose,
    pub(crate) email: &'a str,
    pub(crate) token_hash: &'a TokenHash,
    /// The code's hash, for emails that carry one.
    pub(crate) code_hash: Option<[u8; 32]>,
    pub(crate) now: Millis,
    pub(crate) expires_at: Millis,
}

/// A token not used, voided or expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveToken {
    pub(crate) id: i64,
    pub(crate) email: String,
    /// The account it is for; `None` for a sign-in that will create it.
    pub(crate) user_id: Option<Uuid>,
}

/// An address's newest live token, as its code is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveCode {
    pub(crate) token: LiveToken,
    pub(crate) token_hash: TokenHash,
    pub(crate) code_hash: Option<[u8; 32]>,
    /// Wrong codes typed for it so far.
    pub(crate) failures: i64,
}

/// Email requests for one address and purpose within a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RequestCounts {
    /// By the client asking now.
    pub(crate) by_client: i64,
    /// The newest by that client.
    pub(crate) newest_by_client: Option<Millis>,
    /// By anyone.
    pub(crate) by_anyone: i64,
}

pub(crate) trait EmailTokens {
    /// Voids the address's live tokens of the same purpose and stores this one, linked to the
    /// address's account if it has one; the new token's id.
    fn issue(&self, token: &NewToken<'_>) -> Result<i64>;

    /// The live token of `purpose` whose hash is `hash`.
    fn live_by_hash(
        &self,
        purpose: Purpose,
        hash: &TokenHash,
        now: Millis,
    ) -> Result<Option<LiveToken>>;

    /// The address's newest live token of `purpose`.
    fn newest_live(&self, purpose: Purpose, email: &str, now: Millis) -> Result<Option<LiveCode>>;

    /// Counts a wrong code against a token.
    fn count_code_failure(&self, id: i64) -> Result<()>;

    /// Uses a live token up; `false` when it was not live any more (another redemption won).
    fn claim(&self, id: i64, now: Millis) -> Result<bool>;

    /// Voids the account's live tokens of `purpose`.
    fn void_for_account(&self, purpose: Purpose, user_id: Uuid, now: Millis) -> Result<()>;

    /// Deletes the tokens past their end.
    fn delete_expired(&self, now: Millis) -> Result<usize>;

    /// The requests for `purpose` emails to `email` made after `since`, with `client`'s own.
    fn requests(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        since: Millis,
    ) -> Result<RequestCounts>;

    /// Records that `client` had a `purpose` email sent to `email`.
    fn record_request(
        &self,
        purpose: Purpose,
        email: &str,
        client: &str,
        now: Millis,
    ) -> Result<()>;

    /// Deletes the requests made at or before `cutoff`.
    fn delete_requests_before(&self, cutoff: Millis) -> Result<usize>;
}
