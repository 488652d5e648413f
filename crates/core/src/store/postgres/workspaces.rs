use tokio_postgres::Row;
use uuid::Uuid;

use super::PgTx;
use crate::clock::from_millis;
use crate::domain::chat::Workspace;
use crate::error::{Error, Result};
use crate::store::workspaces::{WorkspaceFields, WorkspaceRecord, Workspaces};
use crate::store::Millis;

const COLUMNS: &str = "w.id, w.name, w.description, w.system_prompt, w.collection, w.top_k, w.model, w.shared_with_domain, w.created_at, w.updated_at";

fn workspace(row: &Row) -> Result<Workspace> {
    Ok(Workspace {
        id: row.get(0),
        name: row.get(1),
        description: row.get(2),
        system_prompt: row.get(3),
        collection: row.get(4),
        top_k: u32::try_from(row.get::<_, i32>(5)).map_err(Error::internal)?,
        model: row.get(6),
        shared_with_domain: row.get(7),
        created_at: from_millis(row.get(8)),
        updated_at: from_millis(row.get(9)),
    })
}

/// A workspace's top_k as stored (an INTEGER; the domain keeps it small).
fn top_k(fields: &WorkspaceFields) -> i32 {
    i32::try_from(fields.top_k.get()).unwrap_or(i32::MAX)
}

impl Workspaces for PgTx<'_> {
    fn insert(&self, id: Uuid, owner: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()> {
        self.execute(
            "INSERT INTO workspaces (id, owner_id, name, description, system_prompt, collection, top_k, model,
                                     shared_with_domain, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            &[
                &id,
                &owner,
                &fields.name.as_str(),
                &fields.description,
                &fields.system_prompt,
                &fields.collection,
                &top_k(fields),
                &fields.model,
                &fields.shared_with_domain,
                &now,
            ],
        )?;
        Ok(())
    }

    fn owned(&self, owner: Uuid, id: Uuid) -> Result<Option<Workspace>> {
        self.query_opt(
            &format!("SELECT {COLUMNS} FROM workspaces w WHERE w.id = $1 AND w.owner_id = $2"),
            &[&id, &owner],
        )?
        .as_ref()
        .map(workspace)
        .transpose()
    }

    fn find(&self, id: Uuid) -> Result<Option<WorkspaceRecord>> {
        self.query_opt(
            &format!(
                "SELECT {COLUMNS}, u.id, u.email, u.email_verified_at IS NOT NULL
                 FROM workspaces w JOIN users u ON u.id = w.owner_id WHERE w.id = $1"
            ),
            &[&id],
        )?
        .map(|row| {
            Ok(WorkspaceRecord {
                workspace: workspace(&row)?,
                owner_id: row.get(10),
                owner_email: row.get(11),
                owner_proven: row.get(12),
            })
        })
        .transpose()
    }

    fn list(&self, owner: Uuid) -> Result<Vec<Workspace>> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM workspaces w WHERE w.owner_id = $1 ORDER BY w.created_at, w.seq"
            ),
            &[&owner],
        )?
        .iter()
        .map(workspace)
        .collect()
    }

    fn named_or_oldest(&self, owner: Uuid, name: &str) -> Result<Option<Uuid>> {
        Ok(self
            .query_opt(
                "SELECT id FROM workspaces WHERE owner_id = $1 ORDER BY name <> $2, created_at, seq LIMIT 1",
                &[&owner, &name],
            )?
            .map(|row| row.get(0)))
    }

    fn update(&self, id: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()> {
        self.execute(
            "UPDATE workspaces SET name = $1, description = $2, system_prompt = $3, collection = $4,
                    top_k = $5, model = $6, shared_with_domain = $7, updated_at = $8
             WHERE id = $9",
            &[
                &fields.name.as_str(),
                &fields.description,
                &fields.system_prompt,
                &fields.collection,
                &top_k(fields),
                &fields.model,
                &fields.shared_with_domain,
                &now,
                &id,
            ],
        )?;
        Ok(())
    }

    fn delete(&self, owner: Uuid, id: Uuid) -> Result<bool> {
        // Its documents, their passages and its conversations go with it (ON DELETE CASCADE).
        Ok(self.execute(
            "DELETE FROM workspaces WHERE id = $1 AND owner_id = $2",
            &[&id, &owner],
        )? == 1)
    }
}
