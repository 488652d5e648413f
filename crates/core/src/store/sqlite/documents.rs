use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{is_unique_violation, uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::documents::{Document, DocumentFolder, DocumentFormat, DocumentStatus};
use crate::error::{Error, ErrorBody, ErrorCode, Result};
use crate::store::documents::{
    ClaimedJob, DocumentRecord, Documents, Inserted, NewDocument, NewPassage,
};
use crate::store::passages::{PassageHit, Passages, SearchTerms};
use crate::store::Millis;

const COLUMNS: &str = "id, workspace_id, name, format, bytes, sha256, status, pages, pages_done, chunks, error_code, error_message, folder_id, folder_path, created_at, indexed_at";

/// The token that names a workspace in the index: "w" and its id's hex digits.
fn scope_token(workspace_id: &str) -> String {
    let hex: String = workspace_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    format!("w{hex}")
}

fn corrupt(what: &str) -> Error {
    Error::internal(anyhow::anyhow!("a stored document has an unknown {what}"))
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<DocumentRecord>> {
    let id: String = row.get(0)?;
    let workspace_id: String = row.get(1)?;
    let format: String = row.get(3)?;
    let status: String = row.get(6)?;
    let error_code: Option<String> = row.get(10)?;
    let error_message: Option<String> = row.get(11)?;
    let bytes: i64 = row.get(4)?;
    let created: i64 = row.get(14)?;
    let indexed: Option<i64> = row.get(15)?;
    let (name, sha256, pages, pages_done, chunks, folder_path) = (
        row.get::<_, String>(2)?,
        row.get::<_, String>(5)?,
        row.get::<_, Option<u32>>(7)?,
        row.get::<_, u32>(8)?,
        row.get::<_, u32>(9)?,
        row.get::<_, Option<String>>(13)?,
    );
    Ok((|| {
        let format = DocumentFormat::parse(&format).ok_or_else(|| corrupt("format"))?;
        let error = match (error_code, error_message) {
            (Some(code), Some(message)) => {
                let code: ErrorCode = serde_json::from_value(serde_json::Value::String(code))
                    .unwrap_or(ErrorCode::UnreadableDocument);
                Some(ErrorBody::new(code, message))
            }
            _ => None,
        };
        Ok(DocumentRecord {
            document: Document {
                id: uuid(id)?,
                workspace_id: uuid(workspace_id)?,
                name,
                format,
                media_type: format.media_type().to_owned(),
                bytes: bytes.max(0) as u64,
                sha256,
                status: DocumentStatus::parse(&status).ok_or_else(|| corrupt("status"))?,
                pages,
                pages_done,
                chunks,
                error,
                folder_path,
                created_at: from_millis(created),
                indexed_at: indexed.map(from_millis),
            },
        })
    })())
}

fn folder(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn to_folder(
    (id, workspace_id, path, created): (String, String, String, i64),
) -> Result<DocumentFolder> {
    Ok(DocumentFolder {
        id: uuid(id)?,
        workspace_id: uuid(workspace_id)?,
        path,
        created_at: from_millis(created),
    })
}

impl SqliteTx<'_> {
    fn by_workspace_and_hash(&self, workspace_id: Uuid, sha256: &str) -> Result<Option<Document>> {
        self.0
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM documents WHERE workspace_id = ?1 AND sha256 = ?2"
            ))?
            .query_row(rusqlite::params![workspace_id.to_string(), sha256], record)
            .optional()?
            .transpose()
            .map(|found| found.map(|r| r.document))
    }

    /// Runs `sql` (which names the job by `?1` id and `?2` attempts) when the job is still
    /// the claim's; whether it was.
    fn still_claimed(&self, id: Uuid, attempts: u32) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT 1 FROM documents WHERE id = ?1 AND attempts = ?2 AND status = 'indexing'",
            )?
            .query_row(rusqlite::params![id.to_string(), attempts], |_| Ok(()))
            .optional()?
            .is_some())
    }
}

impl Documents for SqliteTx<'_> {
    fn insert(&self, new: &NewDocument<'_>, now: Millis) -> Result<Inserted> {
        if let Some(existing) = self.by_workspace_and_hash(new.workspace_id, new.sha256)? {
            return Ok(Inserted::Existing(existing));
        }
        let (folder_id, folder_path) = match new.folder {
            Some((id, path)) => (Some(id.to_string()), Some(path)),
            None => (None, None),
        };
        let inserted = self
            .0
            .prepare_cached(
                "INSERT INTO documents (id, workspace_id, name, format, bytes, sha256, status,
                                        folder_id, folder_path, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?9)",
            )?
            .execute(rusqlite::params![
                new.id.to_string(),
                new.workspace_id.to_string(),
                new.name,
                new.format.as_str(),
                new.bytes as i64,
                new.sha256,
                folder_id,
                folder_path,
                now,
            ]);
        match inserted {
            Ok(_) => {}
            Err(err) if is_unique_violation(&err) => {
                let existing = self
                    .by_workspace_and_hash(new.workspace_id, new.sha256)?
                    .ok_or_else(|| Error::internal(err))?;
                return Ok(Inserted::Existing(existing));
            }
            Err(err) => return Err(err.into()),
        }
        let stored = self
            .find(new.id)?
            .ok_or_else(|| Error::internal(anyhow::anyhow!("a document just stored is gone")))?;
        Ok(Inserted::New(stored.document))
    }

    fn find(&self, id: Uuid) -> Result<Option<DocumentRecord>> {
        self.0
            .prepare_cached(&format!("SELECT {COLUMNS} FROM documents WHERE id = ?1"))?
            .query_row([id.to_string()], record)
            .optional()?
            .transpose()
    }

    fn in_workspace(&self, workspace_id: Uuid) -> Result<Vec<Document>> {
        let mut statement = self.0.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM documents WHERE workspace_id = ?1 ORDER BY created_at, rowid"
        ))?;
        let rows = statement.query_map([workspace_id.to_string()], record)?;
        rows.map(|row| Ok(row??.document)).collect()
    }

    fn ready_count(&self, workspace_id: Uuid) -> Result<u64> {
        let count: i64 = self
            .0
            .prepare_cached(
                "SELECT count(*) FROM documents WHERE workspace_id = ?1 AND status = 'ready'",
            )?
            .query_row([workspace_id.to_string()], |row| row.get(0))?;
        Ok(count.max(0) as u64)
    }

    fn delete(&self, id: Uuid) -> Result<bool> {
        // The passages go first, explicitly, so their index entries go with them.
        self.0
            .prepare_cached("DELETE FROM passages WHERE document_id = ?1")?
            .execute([id.to_string()])?;
        Ok(self
            .0
            .prepare_cached("DELETE FROM documents WHERE id = ?1")?
            .execute([id.to_string()])?
            > 0)
    }

    fn file_in_use(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .0
            .prepare_cached("SELECT 1 FROM documents WHERE sha256 = ?1 LIMIT 1")?
            .query_row([sha256], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn claim_next(&self, now: Millis, until: Millis) -> Result<Option<ClaimedJob>> {
        let found: Option<(String, String, String, String, u32)> = self
            .0
            .prepare_cached(
                "SELECT id, name, format, sha256, attempts FROM documents
                 WHERE status = 'queued' OR (status = 'indexing' AND claimed_until <= ?1)
                 ORDER BY created_at LIMIT 1",
            )?
            .query_row([now], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .optional()?;
        let Some((id, name, format, sha256, attempts)) = found else {
            return Ok(None);
        };
        let attempts = attempts + 1;
        self.0
            .prepare_cached(
                "UPDATE documents SET status = 'indexing', claimed_until = ?2, attempts = ?3,
                        pages_done = 0
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, until, attempts])?;
        Ok(Some(ClaimedJob {
            document_id: uuid(id)?,
            name,
            format: DocumentFormat::parse(&format).ok_or_else(|| corrupt("format"))?,
            sha256,
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
        Ok(self
            .0
            .prepare_cached(
                "UPDATE documents SET pages = ?3, pages_done = ?4, claimed_until = ?5
                 WHERE id = ?1 AND attempts = ?2 AND status = 'indexing'",
            )?
            .execute(rusqlite::params![
                id.to_string(),
                attempts,
                pages,
                pages_done,
                until
            ])?
            > 0)
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
        let document_id = id.to_string();
        // An earlier, interrupted attempt may have left nothing, but be sure.
        self.0
            .prepare_cached("DELETE FROM passages WHERE document_id = ?1")?
            .execute([&document_id])?;
        let workspace: String = self
            .0
            .prepare_cached("SELECT workspace_id FROM documents WHERE id = ?1")?
            .query_row([&document_id], |row| row.get(0))?;
        let scope = scope_token(&workspace);
        let mut insert = self.0.prepare_cached(
            "INSERT INTO passages (document_id, seq, page, heading, text, scope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (seq, passage) in passages.iter().enumerate() {
            insert.execute(rusqlite::params![
                document_id,
                seq as i64,
                passage.page,
                passage.heading,
                passage.text,
                scope
            ])?;
        }
        self.0
            .prepare_cached(
                "UPDATE documents SET status = 'ready', pages = ?2, pages_done = coalesce(?2, 0),
                        chunks = ?3, error_code = NULL, error_message = NULL,
                        claimed_until = NULL, indexed_at = ?4
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                document_id,
                pages,
                passages.len() as i64,
                now
            ])?;
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
        Ok(self
            .0
            .prepare_cached(
                "UPDATE documents SET status = 'failed', error_code = ?3, error_message = ?4,
                        claimed_until = NULL, indexed_at = ?5
                 WHERE id = ?1 AND attempts = ?2 AND status = 'indexing'",
            )?
            .execute(rusqlite::params![
                id.to_string(),
                attempts,
                code,
                message,
                now
            ])?
            > 0)
    }

    fn add_folder(
        &self,
        id: Uuid,
        workspace_id: Uuid,
        path: &str,
        now: Millis,
    ) -> Result<DocumentFolder> {
        self.0
            .prepare_cached(
                "INSERT INTO document_folders (id, workspace_id, path, created_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (workspace_id, path) DO NOTHING",
            )?
            .execute(rusqlite::params![
                id.to_string(),
                workspace_id.to_string(),
                path,
                now
            ])?;
        let row = self
            .0
            .prepare_cached(
                "SELECT id, workspace_id, path, created_at FROM document_folders
                 WHERE workspace_id = ?1 AND path = ?2",
            )?
            .query_row(rusqlite::params![workspace_id.to_string(), path], folder)?;
        to_folder(row)
    }

    fn folders(&self, workspace_id: Uuid) -> Result<Vec<DocumentFolder>> {
        let mut statement = self.0.prepare_cached(
            "SELECT id, workspace_id, path, created_at FROM document_folders
             WHERE workspace_id = ?1 ORDER BY created_at",
        )?;
        let rows = statement.query_map([workspace_id.to_string()], folder)?;
        rows.map(|row| to_folder(row?)).collect()
    }

    fn all_folders(&self) -> Result<Vec<DocumentFolder>> {
        let mut statement = self.0.prepare_cached(
            "SELECT id, workspace_id, path, created_at FROM document_folders ORDER BY created_at",
        )?;
        let rows = statement.query_map([], folder)?;
        rows.map(|row| to_folder(row?)).collect()
    }

    fn folder(&self, id: Uuid) -> Result<Option<DocumentFolder>> {
        self.0
            .prepare_cached(
                "SELECT id, workspace_id, path, created_at FROM document_folders WHERE id = ?1",
            )?
            .query_row([id.to_string()], folder)
            .optional()?
            .map(to_folder)
            .transpose()
    }

    fn delete_folder(&self, id: Uuid) -> Result<bool> {
        self.0
            .prepare_cached(
                "DELETE FROM passages WHERE document_id IN
                   (SELECT id FROM documents WHERE folder_id = ?1)",
            )?
            .execute([id.to_string()])?;
        self.0
            .prepare_cached("DELETE FROM documents WHERE folder_id = ?1")?
            .execute([id.to_string()])?;
        Ok(self
            .0
            .prepare_cached("DELETE FROM document_folders WHERE id = ?1")?
            .execute([id.to_string()])?
            > 0)
    }

    fn folder_documents(&self, folder_id: Uuid) -> Result<Vec<(String, Uuid, String)>> {
        let mut statement = self.0.prepare_cached(
            "SELECT folder_path, id, sha256 FROM documents WHERE folder_id = ?1 ORDER BY folder_path",
        )?;
        let rows = statement.query_map([folder_id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get(2)?,
            ))
        })?;
        rows.map(|row| {
            let (path, id, sha) = row?;
            Ok((path, uuid(id)?, sha))
        })
        .collect()
    }
}

impl Passages for SqliteTx<'_> {
    #[cfg(feature = "testing")]
    fn of_document(&self, document_id: Uuid) -> Result<Vec<(Option<u32>, String)>> {
        let mut statement = self.0.prepare_cached(
            "SELECT page, text FROM passages WHERE document_id = ?1 ORDER BY seq",
        )?;
        let rows = statement.query_map([document_id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn search(
        &self,
        workspace_id: Uuid,
        terms: &SearchTerms,
        limit: u32,
    ) -> Result<Vec<PassageHit>> {
        if terms.words().is_empty() {
            return Ok(Vec::new());
        }
        // The workspace's token, and any of the words, each quoted (so FTS5 reads no
        // operator in them): bm25 ranks passages with more, and rarer, words first; the text
        // weighs more than the heading, the workspace's token nothing. Only the best few are
        // joined to their documents.
        let words = terms
            .words()
            .iter()
            .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" OR ");
        let query = format!(
            "scope : \"{}\" AND {{text heading}} : ({words})",
            scope_token(&workspace_id.to_string())
        );
        let mut statement = self.0.prepare_cached(
            "SELECT p.id, d.id, d.name, p.heading, p.page, p.text, best.rank
             FROM (SELECT rowid, bm25(passages_fts, 1.0, 0.5, 0.0) AS rank FROM passages_fts
                   WHERE passages_fts MATCH ?1 ORDER BY rank LIMIT ?2) best
             JOIN passages p ON p.id = best.rowid
             JOIN documents d ON d.id = p.document_id
             ORDER BY best.rank",
        )?;
        let rows = statement.query_map(rusqlite::params![query, limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<u32>>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, f64>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (passage_id, document_id, name, heading, page, text, rank) = row?;
            Ok(PassageHit {
                passage_id,
                document_id: uuid(document_id)?,
                name,
                heading,
                page,
                text,
                // bm25() is lower for better matches.
                score: -rank,
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::contract::passages_are_searched_per_workspace_and_leave_with_their_document;
    use crate::store::Store;

    /// Deleting documents and workspaces (whose documents go by cascade) leaves the full-text
    /// index exactly in line with the passages: FTS5's own integrity check passes.
    #[tokio::test]
    async fn the_index_keeps_no_entry_of_a_deleted_passage() {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Arc::new(
            super::super::SqliteStore::open(&dir.path().join("docent.sqlite3"))
                .await
                .unwrap(),
        );
        let store = Store::new(sqlite.clone());
        passages_are_searched_per_workspace_and_leave_with_their_document(&store).await;
        let left: i64 = sqlite
            .with_connection(|conn| {
                conn.execute(
                    "INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)",
                    [],
                )?;
                Ok(conn.query_row("SELECT count(*) FROM passages", [], |r| r.get(0))?)
            })
            .await
            .unwrap();
        assert_eq!(left, 1, "only the one document left has a passage");
    }
}
