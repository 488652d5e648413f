//! Who may see a workspace and what is in it: its owner, to do anything; and, to read only,
//! proven people of the owner's email domain when the owner shares the workspace with it and
//! the owner's address is proven too. Anything else is "not found", never "forbidden", so
//! ids reveal nothing. Conversations and documents both follow this rule.

use uuid::Uuid;

use crate::domain::chat::Workspace;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Tx;
use crate::user::{domain_of, CurrentUser};

/// How the caller may use a workspace (or what is in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Everything.
    Owner,
    /// Reading, as a proven colleague of a workspace shared with the domain.
    ReadOnly,
}

/// Whether `user` is a proven member of the domain of an owner who shares with it.
pub(crate) fn shared_with(
    user: &CurrentUser,
    shared_with_domain: bool,
    owner_email: &str,
    owner_proven: bool,
) -> bool {
    shared_with_domain
        && user.email_verified
        && owner_proven
        && domain_of(owner_email) == user.domain
}

/// The workspace if the caller may see it, and how; otherwise not found.
pub(crate) fn visible_workspace(
    tx: &dyn Tx,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Workspace, Access)> {
    let not_found = || Error::NotFound { what: "Workspace" };
    let record = tx.workspaces().find(id)?.ok_or_else(not_found)?;
    if record.owner_id == user.user_id {
        return Ok((record.workspace, Access::Owner));
    }
    if shared_with(
        user,
        record.workspace.shared_with_domain,
        &record.owner_email,
        record.owner_proven,
    ) {
        return Ok((record.workspace, Access::ReadOnly));
    }
    Err(not_found())
}

/// The workspace if the caller owns it; one shared with them to read is refused with a
/// reason, any other is not found.
pub(crate) fn owned_workspace(tx: &dyn Tx, user: &CurrentUser, id: Uuid) -> Result<Workspace> {
    match visible_workspace(tx, user, id)? {
        (workspace, Access::Owner) => Ok(workspace),
        (_, Access::ReadOnly) => Err(Error::Forbidden {
            code: ErrorCode::ReadOnly,
            message: "This workspace is shared with you to read. Only its owner can add or remove its documents.".to_owned(),
        }),
    }
}
