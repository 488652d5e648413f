//! Workspaces: a user's own places for conversations, with the settings their answers use.

use uuid::Uuid;

use super::Millis;
use crate::domain::chat::{TopK, Workspace, WorkspaceName};
use crate::error::Result;

/// A workspace's settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkspaceFields {
    pub(crate) name: WorkspaceName,
    pub(crate) description: String,
    pub(crate) system_prompt: String,
    pub(crate) collection: Option<String>,
    pub(crate) top_k: TopK,
    pub(crate) model: Option<String>,
    pub(crate) shared_with_domain: bool,
}

/// A workspace with its owner, for deciding who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkspaceRecord {
    pub(crate) workspace: Workspace,
    pub(crate) owner_id: Uuid,
    pub(crate) owner_email: String,
    /// Whether the owner's address is proven.
    pub(crate) owner_proven: bool,
}

pub(crate) trait Workspaces {
    /// Creates a workspace of `owner`.
    fn insert(&self, id: Uuid, owner: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()>;

    /// One of `owner`'s workspaces.
    fn owned(&self, owner: Uuid, id: Uuid) -> Result<Option<Workspace>>;

    /// Any workspace, with its owner.
    fn find(&self, id: Uuid) -> Result<Option<WorkspaceRecord>>;

    /// `owner`'s workspaces, oldest first.
    fn list(&self, owner: Uuid) -> Result<Vec<Workspace>>;

    /// `owner`'s workspace named `name`, else their oldest; `None` when they have none.
    fn named_or_oldest(&self, owner: Uuid, name: &str) -> Result<Option<Uuid>>;

    /// Replaces a workspace's settings.
    fn update(&self, id: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()>;

    /// Deletes one of `owner`'s workspaces with its conversations and documents; `false` if
    /// there was none.
    fn delete(&self, owner: Uuid, id: Uuid) -> Result<bool>;
}
