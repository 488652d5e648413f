use tokio_postgres::Row;
use uuid::Uuid;

use super::{read, stored, PgTx};
use crate::clock::from_millis;
use crate::domain::documents::{Document, DocumentFolder, DocumentFormat};
use crate::error::{Error, Result};
use crate::store::documents::{
    corrupt, ClaimedJob, DocumentRecord, Documents, Inserted, NewDocument, NewPassage,
    StoredDocument,
};
use crate::store::Millis;

const COLUMNS: &str = "id, workspace_id, name, format, bytes, sha256, status, pages, pages_done, chunks, error_code, error_message, folder_id, folder_path, created_at, indexed_at, attempts";

fn record(row: &Row) -> Result<DocumentRecord> {
    StoredDocument {
        id: row.get(0),
        workspace_id: row.get(1),
        name: row.get(2),
        format: row.get(3),
        bytes: row.get(4),
        sha256: row.get(5),
        status: row.get(6),
        pages: row.get::<_, Option<i32>>(7).map(read).transpose()?,
        pages_done: read(row.get(8))?,
        chunks: read(row.get(9))?,
        error_code: row.get(10),
        error_message: row.get(11),
        folder_path: row.get(13),
        created_at: row.get(14),
        indexed_at: row.get(15),
        attempts: read(row.get(16))?,
    }
    .into_record()
}

fn folder(row: &Row) -> DocumentFolder {
    DocumentFolder {
        id: row.get(0),
        workspace_id: row.get(1),
        path: row.get(2),
        created_at: from_millis(row.get(3)),
    }
}

impl PgTx<'_> {
    fn by_workspace_and_hash(&self, workspace_id: Uuid, sha256: &str) -> Result<Option<Document>> {
        self.query_opt(
            &format!("SELECT {COLUMNS} FROM documents WHERE workspace_id = $1 AND sha256 = $2"),
            &[&workspace_id, &sha256],
        )?
        .as_ref()
        .map(|row| Ok(record(row)?.document))
        .transpose()
    }

    /// Whether the job is still the claim's (not deleted, not taken over).
    fn still_claimed(&self, id: Uuid, attempts: u32) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM documents WHERE id = $1 AND attempts = $2 AND status = 'indexing'",
                &[&id, &stored(attempts)?],
            )?
            .is_some())
    }
}

impl Documents for PgTx<'_> {
    fn insert(&self, new: &NewDocument<'_>, now: Millis) -> Result<Inserted> {
        let (folder_id, folder_path) = match new.folder {
            Some((id, path)) => (Some(id), Some(path)),
            None => (None, None),
        };
        let bytes = i64::try_from(new.bytes).map_err(Error::internal)?;
        // A failed statement would end the whole transaction: the same file in the workspace
        // inserts nothing, and that document is the answer.
        let inserted = self.execute(
            "INSERT INTO documents (id, workspace_id, name, format, bytes, sha256, status,
                                    folder_id, folder_path, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9)
             ON CONFLICT (workspace_id, sha256) DO NOTHING",
            &[
                &new.id,
                &new.workspace_id,
                &new.name,
                &new.format.as_str(),
                &bytes,
                &new.sha256,
                &folder_id,
                &folder_path,
                &now,
            ],
        )?;
        if inserted == 0 {
            let existing = self
                .by_workspace_and_hash(new.workspace_id, new.sha256)?
                .ok_or_else(|| {
                    Error::internal(anyhow::anyhow!("a conflicting document is gone"))
                })?;
            return Ok(Inserted::Existing(existing));
        }
        let stored = self
            .find(new.id)?
            .ok_or_else(|| Error::internal(anyhow::anyhow!("a document just stored is gone")))?;
        Ok(Inserted::New(stored.document))
    }

    fn find(&self, id: Uuid) -> Result<Option<DocumentRecord>> {
        self.query_opt(
            &format!("SELECT {COLUMNS} FROM documents WHERE id = $1"),
            &[&id],
        )?
        .as_ref()
        .map(record)
        .transpose()
    }

    fn in_workspace(&self, workspace_id: Uuid) -> Result<Vec<Document>> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM documents WHERE workspace_id = $1 ORDER BY created_at, seq"
            ),
            &[&workspace_id],
        )?
        .iter()
        .map(|row| Ok(record(row)?.document))
        .collect()
    }

    fn ready_count(&self, workspace_id: Uuid) -> Result<u64> {
        let count: i64 = self
            .query_one(
                "SELECT count(*) FROM documents WHERE workspace_id = $1 AND status = 'ready'",
                &[&workspace_id],
            )?
            .get(0);
        Ok(count.max(0) as u64)
    }

    fn delete(&self, id: Uuid) -> Result<bool> {
        // Its passages go with it (ON DELETE CASCADE), and with them their index entries.
        Ok(self.execute("DELETE FROM documents WHERE id = $1", &[&id])? > 0)
    }

    fn file_in_use(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .query_opt(
                "SELECT 1 FROM documents WHERE sha256 = $1 LIMIT 1",
                &[&sha256],
            )?
            .is_some())
    }

    // A write transaction holds the store's write lock (mod.rs): two instances never claim the
    // same job, and a claim that runs out (its worker stopped) lets any instance take it over.
    fn claim_next(&self, now: Millis, until: Millis) -> Result<Option<ClaimedJob>> {
        let Some(row) = self.query_opt(
            "SELECT id, name, format, sha256, attempts FROM documents
             WHERE status = 'queued' OR (status = 'indexing' AND claimed_until <= $1)
             ORDER BY created_at, seq LIMIT 1",
            &[&now],
        )?
        else {
            return Ok(None);
        };
        let id: Uuid = row.get(0);
        let attempts = read(row.get(4))? + 1;
        self.execute(
            "UPDATE documents SET status = 'indexing', claimed_until = $2, attempts = $3,
                    pages_done = 0
             WHERE id = $1",
            &[&id, &until, &stored(attempts)?],
        )?;
        Ok(Some(ClaimedJob {
            document_id: id,
            name: row.get(1),
            format: DocumentFormat::parse(row.get(2)).ok_or_else(|| corrupt("format"))?,
            sha256: row.get(3),
            attempts,
        }))
    }

    fn progress(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        pages_done: u32,
        until: Millis,
    ) -> Result<bool> {
        Ok(self.execute(
            "UPDATE documents SET pages = $3, pages_done = $4, claimed_until = $5
             WHERE id = $1 AND attempts = $2 AND status = 'indexing'",
            &[
                &id,
                &stored(attempts)?,
                &pages.map(stored).transpose()?,
                &stored(pages_done)?,
                &until,
            ],
        )? > 0)
    }

    fn finish_ready(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        passages: &[NewPassage],
        now: Millis,
    ) -> Result<bool> {
        if !self.still_claimed(id, attempts)? {
            return Ok(false);
        }
        // An earlier, interrupted attempt may have left nothing, but be sure.
        self.execute("DELETE FROM passages WHERE document_id = $1", &[&id])?;
        for (seq, passage) in passages.iter().enumerate() {
            // The words (text A, heading path B) and their count, from one expression.
            self.execute(
                "INSERT INTO passages (document_id, seq, page, heading, text, words, length)
                 SELECT $1, $2, $3, $4, $5, v.words,
                        (SELECT coalesce(sum(array_length(u.positions, 1)), 0)
                         FROM unnest(v.words) u)
                 FROM (SELECT setweight(to_tsvector('english', $5), 'A')
                              || setweight(to_tsvector('english', $4), 'B') AS words) v",
                &[
                    &id,
                    &i32::try_from(seq).map_err(Error::internal)?,
                    &passage.page.map(stored).transpose()?,
                    &passage.heading,
                    &passage.text,
                ],
            )?;
        }
        self.execute(
            "UPDATE documents SET status = 'ready', pages = $2, pages_done = coalesce($2, 0),
                    chunks = $3, error_code = NULL, error_message = NULL,
                    claimed_until = NULL, indexed_at = $4
             WHERE id = $1",
            &[
                &id,
                &pages.map(stored).transpose()?,
                &i32::try_from(passages.len()).map_err(Error::internal)?,
                &now,
            ],
        )?;
        Ok(true)
    }

    fn finish_failed(
        &self,
        id: Uuid,
        attempts: u32,
        code: &str,
        message: &str,
        now: Millis,
    ) -> Result<bool> {
        Ok(self.execute(
            "UPDATE documents SET status = 'failed', error_code = $3, error_message = $4,
                    claimed_until = NULL, indexed_at = $5
             WHERE id = $1 AND attempts = $2 AND status = 'indexing'",
            &[&id, &stored(attempts)?, &code, &message, &now],
        )? > 0)
    }

    fn add_folder(
        &self,
        id: Uuid,
        workspace_id: Uuid,
        path: &str,
        now: Millis,
    ) -> Result<DocumentFolder> {
        self.execute(
            "INSERT INTO document_folders (id, workspace_id, path, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id, path) DO NOTHING",
            &[&id, &workspace_id, &path, &now],
        )?;
        Ok(folder(&self.query_one(
            "SELECT id, workspace_id, path, created_at FROM document_folders
             WHERE workspace_id = $1 AND path = $2",
            &[&workspace_id, &path],
        )?))
    }

    fn folders(&self, workspace_id: Uuid) -> Result<Vec<DocumentFolder>> {
        Ok(self
            .query(
                "SELECT id, workspace_id, path, created_at FROM document_folders
                 WHERE workspace_id = $1 ORDER BY created_at, id",
                &[&workspace_id],
            )?
            .iter()
            .map(folder)
            .collect())
    }

    fn all_folders(&self) -> Result<Vec<DocumentFolder>> {
        Ok(self
            .query(
                "SELECT id, workspace_id, path, created_at FROM document_folders
                 ORDER BY created_at, id",
                &[],
            )?
            .iter()
            .map(folder)
            .collect())
    }

    fn folder(&self, id: Uuid) -> Result<Option<DocumentFolder>> {
        Ok(self
            .query_opt(
                "SELECT id, workspace_id, path, created_at FROM document_folders WHERE id = $1",
                &[&id],
            )?
            .as_ref()
            .map(folder))
    }

    fn delete_folder(&self, id: Uuid) -> Result<bool> {
        // The documents it brought go with it (ON DELETE CASCADE), and their passages.
        Ok(self.execute("DELETE FROM document_folders WHERE id = $1", &[&id])? > 0)
    }

    fn folder_documents(&self, folder_id: Uuid) -> Result<Vec<(String, Uuid, String)>> {
        Ok(self
            .query(
                "SELECT folder_path, id, sha256 FROM documents WHERE folder_id = $1
                 ORDER BY folder_path",
                &[&folder_id],
            )?
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect())
    }
}
