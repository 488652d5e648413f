//! Accounts: an email (trimmed, lower-case, unique), a password hash or none, and whether the
//! address is proven.

use uuid::Uuid;

use super::Millis;
use crate::error::Result;

/// An account as the sign-in rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    /// An argon2id PHC string; `None` for an account that signs in by email only.
    pub(crate) password_hash: Option<String>,
    /// Whether the address is proven.
    pub(crate) email_verified: bool,
}

/// An account to create.
#[derive(Debug, Clone)]
pub(crate) struct NewAccount<'a> {
    pub(crate) id: Uuid,
    pub(crate) email: &'a str,
    pub(crate) password_hash: Option<&'a str>,
    /// Made by an emailed sign-in: the address is proven from the start.
    pub(crate) email_verified: bool,
    pub(crate) now: Millis,
}

pub(crate) trait Accounts {
    /// Whether an account has this email.
    fn email_taken(&self, email: &str) -> Result<bool>;

    /// Creates the account; `false` (and nothing written) when the email has one already.
    fn insert(&self, account: &NewAccount<'_>) -> Result<bool>;

    /// The account with this email.
    fn by_email(&self, email: &str) -> Result<Option<Account>>;

    /// The account with this id.
    fn by_id(&self, id: Uuid) -> Result<Option<Account>>;

    /// Sets (or, with `None`, removes) the password hash.
    fn set_password_hash(&self, id: Uuid, hash: Option<&str>, now: Millis) -> Result<()>;

    /// Marks the address proven now, unless it was already.
    fn prove_address(&self, id: Uuid, now: Millis) -> Result<()>;
}
