use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::chat::Workspace;
use crate::error::Result;
use crate::store::workspaces::{WorkspaceFields, WorkspaceRecord, Workspaces};
use crate::store::Millis;

const COLUMNS: &str = "id, name, description, system_prompt, collection, top_k, model, shared_with_domain, created_at, updated_at";

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    u32,
    Option<String>,
    bool,
    i64,
    i64,
);

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn workspace(
    (id, name, description, system_prompt, collection, top_k, model, shared, created, updated): Row,
) -> Result<Workspace> {
    Ok(Workspace {
        id: uuid(id)?,
        name,
        description,
        system_prompt,
        collection,
        top_k,
        model,
        shared_with_domain: shared,
        created_at: from_millis(created),
        updated_at: from_millis(updated),
    })
}

impl Workspaces for SqliteTx<'_> {
    fn insert(&self, id: Uuid, owner: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()> {
        self.0.execute(
            "INSERT INTO workspaces (id, owner_id, name, description, system_prompt, collection, top_k, model,
                                     shared_with_domain, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
            rusqlite::params![
                id.to_string(),
                owner.to_string(),
                fields.name.as_str(),
                fields.description,
                fields.system_prompt,
                fields.collection,
                fields.top_k.get(),
                fields.model,
                fields.shared_with_domain,
                now
            ],
        )?;
        Ok(())
    }

    fn owned(&self, owner: Uuid, id: Uuid) -> Result<Option<Workspace>> {
        self.0
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM workspaces WHERE id = ?1 AND owner_id = ?2"
            ))?
            .query_row([id.to_string(), owner.to_string()], row)
            .optional()?
            .map(workspace)
            .transpose()
    }

    fn find(&self, id: Uuid) -> Result<Option<WorkspaceRecord>> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("w.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.0
            .prepare_cached(&format!(
                "SELECT {columns}, u.id, u.email, u.email_verified_at IS NOT NULL
                 FROM workspaces w JOIN users u ON u.id = w.owner_id WHERE w.id = ?1"
            ))?
            .query_row([id.to_string()], |r| {
                Ok((
                    row(r)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, bool>(12)?,
                ))
            })
            .optional()?
            .map(|(fields, owner_id, owner_email, owner_proven)| {
                Ok(WorkspaceRecord {
                    workspace: workspace(fields)?,
                    owner_id: uuid(owner_id)?,
                    owner_email,
                    owner_proven,
                })
            })
            .transpose()
    }

    fn list(&self, owner: Uuid) -> Result<Vec<Workspace>> {
        let rows = self
            .0
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM workspaces WHERE owner_id = ?1 ORDER BY created_at, rowid"
            ))?
            .query_map([owner.to_string()], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(workspace).collect()
    }

    fn named_or_oldest(&self, owner: Uuid, name: &str) -> Result<Option<Uuid>> {
        self.0
            .prepare_cached(
                "SELECT id FROM workspaces WHERE owner_id = ?1 ORDER BY name <> ?2, created_at LIMIT 1",
            )?
            .query_row(rusqlite::params![owner.to_string(), name], |row| {
                row.get::<_, String>(0)
            })
            .optional()?
            .map(uuid)
            .transpose()
    }

    fn update(&self, id: Uuid, fields: &WorkspaceFields, now: Millis) -> Result<()> {
        self.0.execute(
            "UPDATE workspaces SET name = ?1, description = ?2, system_prompt = ?3, collection = ?4,
                    top_k = ?5, model = ?6, shared_with_domain = ?7, updated_at = ?8
             WHERE id = ?9",
            rusqlite::params![
                fields.name.as_str(),
                fields.description,
                fields.system_prompt,
                fields.collection,
                fields.top_k.get(),
                fields.model,
                fields.shared_with_domain,
                now,
                id.to_string()
            ],
        )?;
        Ok(())
    }

    fn delete(&self, owner: Uuid, id: Uuid) -> Result<bool> {
        // Its passages go explicitly, so their index entries go with them.
        self.0.execute(
            "DELETE FROM passages WHERE document_id IN
               (SELECT d.id FROM documents d JOIN workspaces w ON w.id = d.workspace_id
                WHERE w.id = ?1 AND w.owner_id = ?2)",
            [id.to_string(), owner.to_string()],
        )?;
        Ok(self.0.execute(
            "DELETE FROM workspaces WHERE id = ?1 AND owner_id = ?2",
            [id.to_string(), owner.to_string()],
        )? == 1)
    }
}
