//! Who the user is: the account and session behind a request, as every area sees it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in user behind a valid session.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    /// The account's id.
    pub user_id: Uuid,
    /// The account's email.
    pub email: String,
    /// The email's domain, which decides what is shared with whom.
    pub domain: String,
    /// Whether the address is proven; only then is the user a member of its domain.
    pub email_verified: bool,
    /// The session this request came with (not sent to clients).
    #[serde(skip)]
    pub session_id: i64,
}

/// The domain of an email address (what follows its last `@`).
pub(crate) fn domain_of(email: &str) -> &str {
    email.rsplit('@').next().unwrap_or_default()
}
