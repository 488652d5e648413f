//! Workspaces: a user's own places for conversations, each with the settings its answers use.
//! Every account has one ("Personal"), made with the account and again if none is left.

use uuid::Uuid;

use super::ChatService;
use crate::domain::chat::{NewWorkspace, TopK, Workspace, WorkspaceName, WorkspacePatch, PERSONAL};
use crate::error::{Error, ErrorCode, Result};
use crate::store::workspaces::WorkspaceFields;
use crate::store::{Millis, Tx};
use crate::user::CurrentUser;

/// Creates the Personal workspace of a new account, in the caller's transaction.
pub(crate) fn create_personal_workspace(tx: &dyn Tx, owner: Uuid, now: Millis) -> Result<()> {
    let fields = WorkspaceFields {
        name: WorkspaceName::personal(),
        description: String::new(),
        system_prompt: String::new(),
        collection: None,
        top_k: TopK::DEFAULT,
        model: None,
        shared_with_domain: false,
    };
    tx.workspaces().insert(Uuid::new_v4(), owner, &fields, now)
}

/// The workspace new conversations go to by default: Personal (made again if none is left).
pub(super) fn default_workspace(tx: &dyn Tx, owner: Uuid, now: Millis) -> Result<Uuid> {
    if let Some(id) = tx.workspaces().named_or_oldest(owner, PERSONAL)? {
        return Ok(id);
    }
    create_personal_workspace(tx, owner, now)?;
    tx.workspaces()
        .named_or_oldest(owner, PERSONAL)?
        .ok_or_else(|| Error::internal(anyhow::anyhow!("the Personal workspace just made is gone")))
}

/// One of `owner`'s workspaces, or not found.
pub(super) fn own_workspace(tx: &dyn Tx, owner: Uuid, id: Uuid) -> Result<Workspace> {
    tx.workspaces()
        .owned(owner, id)?
        .ok_or(Error::NotFound { what: "Workspace" })
}

fn check_length(value: &str, max: usize, code: ErrorCode, what: &str) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(
            code,
            format!("The {what} can be at most {max} characters long."),
        ));
    }
    Ok(())
}

/// An optional setting as typed: trimmed, empty meaning none, at most 200 characters.
fn optional(value: Option<String>, what: &str) -> Result<Option<String>> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = &value {
        check_length(v, 200, ErrorCode::ValueTooLong, what)?;
    }
    Ok(value)
}

/// A workspace's settings as sent, before they are checked.
struct Typed {
    name: String,
    description: String,
    system_prompt: String,
    collection: Option<String>,
    top_k: u32,
    model: Option<String>,
    shared_with_domain: bool,
}

impl Typed {
    fn checked(self) -> Result<WorkspaceFields> {
        let name = WorkspaceName::parse(&self.name)?;
        check_length(
            &self.description,
            2_000,
            ErrorCode::DescriptionTooLong,
            "description",
        )?;
        check_length(
            &self.system_prompt,
            20_000,
            ErrorCode::SystemPromptTooLong,
            "system prompt",
        )?;
        Ok(WorkspaceFields {
            name,
            description: self.description,
            system_prompt: self.system_prompt,
            top_k: TopK::parse(self.top_k)?,
            collection: optional(self.collection, "collection")?,
            model: optional(self.model, "model name")?,
            shared_with_domain: self.shared_with_domain,
        })
    }
}

impl ChatService {
    /// The caller's workspaces, oldest first (Personal is made again if none is left).
    pub async fn list_workspaces(&self, user: &CurrentUser) -> Result<Vec<Workspace>> {
        let owner = user.user_id;
        let now = self.now();
        self.store
            .write(move |tx| {
                default_workspace(tx, owner, now)?;
                tx.workspaces().list(owner)
            })
            .await
    }

    /// Makes a workspace.
    pub async fn create_workspace(
        &self,
        user: &CurrentUser,
        new: NewWorkspace,
    ) -> Result<Workspace> {
        let fields = Typed {
            name: new.name,
            description: new.description.unwrap_or_default(),
            system_prompt: new.system_prompt.unwrap_or_default(),
            collection: new.collection,
            top_k: new.top_k.unwrap_or(TopK::DEFAULT.get()),
            model: new.model,
            shared_with_domain: new.shared_with_domain.unwrap_or(false),
        }
        .checked()?;
        let id = Uuid::new_v4();
        let owner = user.user_id;
        let now = self.now();
        self.store
            .write(move |tx| {
                tx.workspaces().insert(id, owner, &fields, now)?;
                own_workspace(tx, owner, id)
            })
            .await
    }

    /// One of the caller's workspaces.
    pub async fn get_workspace(&self, user: &CurrentUser, id: Uuid) -> Result<Workspace> {
        let owner = user.user_id;
        self.store
            .read(move |tx| own_workspace(tx, owner, id))
            .await
    }

    /// Changes a workspace.
    pub async fn update_workspace(
        &self,
        user: &CurrentUser,
        id: Uuid,
        patch: WorkspacePatch,
    ) -> Result<Workspace> {
        let owner = user.user_id;
        let now = self.now();
        self.store
            .write(move |tx| {
                let current = own_workspace(tx, owner, id)?;
                let fields = Typed {
                    name: patch.name.unwrap_or(current.name),
                    description: patch.description.unwrap_or(current.description),
                    system_prompt: patch.system_prompt.unwrap_or(current.system_prompt),
                    collection: patch.collection.or(current.collection),
                    top_k: patch.top_k.unwrap_or(current.top_k),
                    model: patch.model.or(current.model),
                    shared_with_domain: patch
                        .shared_with_domain
                        .unwrap_or(current.shared_with_domain),
                }
                .checked()?;
                tx.workspaces().update(id, &fields, now)?;
                own_workspace(tx, owner, id)
            })
            .await
    }

    /// Deletes a workspace and its conversations.
    pub async fn delete_workspace(&self, user: &CurrentUser, id: Uuid) -> Result<()> {
        let owner = user.user_id;
        self.store
            .write(move |tx| {
                if tx.workspaces().delete(owner, id)? {
                    Ok(())
                } else {
                    Err(Error::NotFound { what: "Workspace" })
                }
            })
            .await
    }
}
