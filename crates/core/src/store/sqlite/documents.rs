use rusqlite::OptionalExtension as _;
use uuid::Uuid;

use super::{is_unique_violation, ranking, uuid, SqliteTx};
use crate::clock::from_millis;
use crate::domain::documents::{Document, DocumentFolder, DocumentFormat};
use crate::error::{Error, Result};
use crate::store::documents::{
    corrupt, ClaimedJob, DocumentRecord, Documents, Inserted, NewDocument, NewPassage,
    StoredDocument,
};
use crate::store::passages::{PassageHit, Passages, SearchTerms};
use crate::store::Millis;

const COLUMNS: &str = "id, workspace_id, name, format, bytes, sha256, status, pages, pages_done, chunks, error_code, error_message, folder_id, folder_path, created_at, indexed_at, attempts";

/// The token that names a workspace in the index: "w" and its id's hex digits.
fn scope_token(workspace_id: &str) -> String {
    let hex: String = workspace_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    format!("w{hex}")
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<DocumentRecord>> {
    let id: String = row.get(0)?;
    let workspace_id: String = row.get(1)?;
    let stored = |id, workspace_id| -> rusqlite::Result<StoredDocument> {
        Ok(StoredDocument {
            id,
            workspace_id,
            name: row.get(2)?,
            format: row.get(3)?,
            bytes: row.get(4)?,
            sha256: row.get(5)?,
            status: row.get(6)?,
            pages: row.get(7)?,
            pages_done: row.get(8)?,
            chunks: row.get(9)?,
            error_code: row.get(10)?,
            error_message: row.get(11)?,
            folder_path: row.get(13)?,
            created_at: row.get(14)?,
            indexed_at: row.get(15)?,
            attempts: row.get(16)?,
        })
    };
    Ok(match (uuid(id), uuid(workspace_id)) {
        (Ok(id), Ok(workspace_id)) => stored(id, workspace_id)?.into_record(),
        (Err(err), _) | (_, Err(err)) => Err(err),
    })
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
        // Each word quoted, so FTS5 reads no operator in it, and matched by its stem.
        let phrases = terms
            .words()
            .iter()
            .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
            .collect::<Vec<_>>();
        let workspace = workspace_id.to_string();
        // Every passage of the workspace holds its token, in the column no word is matched in.
        let scope_phrase = format!("scope : \"{}\"", scope_token(&workspace));
        let counts = self.1.counts(self.0, &workspace, &scope_phrase, &phrases)?;
        let rows = counts.rows;
        // The words some passage of the workspace holds, commonest (lowest IDF) first.
        let mut words = phrases
            .into_iter()
            .zip(counts.hits)
            .filter(|(_, hits)| *hits > 0)
            .map(|(phrase, hits)| Word {
                phrase,
                hits,
                idf: ranking::idf(rows, hits),
            })
            .collect::<Vec<_>>();
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        words.sort_by(|a, b| a.idf.total_cmp(&b.idf).then(b.hits.cmp(&a.hits)));
        let scope = Scope {
            phrase: scope_phrase,
            average_length: counts.average_length,
        };

        // The first pass matches the rarest words, as many as hold together about 1% of the
        // passages (at least one word); the others only add to the scores (ranking.rs).
        let budget = (rows / 100).max(1_000);
        let mut split = words.len() - 1;
        let mut matched = words[split].hits;
        while split > 0 && matched + words[split - 1].hits <= budget {
            split -= 1;
            matched += words[split].hits;
        }
        let mut best = self.ranked(&scope, &words[split..], &[], &words[..split], limit)?;
        // The commonest words whose bounds add up to no more than the last score kept cannot
        // lift a passage that holds none of the others into these results.
        let floor = match best.get(limit as usize - 1) {
            Some(&(_, rank)) => -rank,
            None => 0.0,
        };
        let mut bound = 0.0;
        let mut needless = 0;
        while needless < split && bound + ranking::upper_bound(words[needless].idf) <= floor {
            bound += ranking::upper_bound(words[needless].idf);
            needless += 1;
        }
        if needless < split {
            // The first pass scored every passage holding one of the rarer words; the second
            // scores those holding none of them but one of the others it may not leave out.
            best.extend(self.ranked(
                &scope,
                &words[needless..split],
                &words[split..],
                &words[..needless],
                limit,
            )?);
            best.sort_by(|a, b| a.1.total_cmp(&b.1));
            best.truncate(limit as usize);
        }

        let mut statement = self.0.prepare_cached(
            "SELECT d.id, d.name, p.heading, p.page, p.text
             FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id = ?1",
        )?;
        best.into_iter()
            .map(|(passage_id, rank)| {
                let (document_id, name, heading, page, text) =
                    statement.query_row([passage_id], |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, String>(2)?,
                            row.get::<_, Option<u32>>(3)?,
                            row.get::<_, String>(4)?,
                        ))
                    })?;
                Ok(PassageHit {
                    passage_id,
                    document_id: uuid(document_id)?,
                    name,
                    heading,
                    page,
                    text,
                    // The rank is lower for better matches.
                    score: -rank,
                })
            })
            .collect()
    }

    fn index_parts(&self) -> Result<u64> {
        let parts: i64 = self.0.query_row(
            "SELECT count(DISTINCT segid) FROM passages_fts_idx",
            [],
            |row| row.get(0),
        )?;
        Ok(u64::try_from(parts).unwrap_or(0))
    }

    fn compact_step(&self, start: bool, pages: u32) -> Result<bool> {
        // FTS5's 'merge' with a negative page count starts merging every segment into one,
        // a positive one goes on; a merge that wrote nothing changes fewer than two rows.
        let pages = i64::from(pages);
        let before = self.0.total_changes();
        self.0.execute(
            "INSERT INTO passages_fts (passages_fts, rank) VALUES ('merge', ?1)",
            [if start { -pages } else { pages }],
        )?;
        Ok(self.0.total_changes() - before >= 2)
    }
}

/// The workspace a search is in: the FTS5 phrase matching its passages, and their average
/// length.
struct Scope {
    phrase: String,
    average_length: f64,
}

/// A word of a search, with the passages of the workspace holding it.
struct Word {
    /// The FTS5 phrase: the word, quoted.
    phrase: String,
    hits: u64,
    idf: f64,
}

impl SqliteTx<'_> {
    /// The best `limit` passages of the workspace (`scope`) holding one of `matched` and none
    /// of `excluded`, scored with `matched` and `scored` alike, as (passage id, rank: lower is
    /// better).
    fn ranked(
        &self,
        scope: &Scope,
        matched: &[Word],
        excluded: &[Word],
        scored: &[Word],
        limit: u32,
    ) -> Result<Vec<(i64, f64)>> {
        let any = |words: &[Word]| {
            words
                .iter()
                .map(|w| w.phrase.as_str())
                .collect::<Vec<_>>()
                .join(" OR ")
        };
        // Every passage of the workspace holds its token, so the second group matches them
        // all: its words are there to be counted, not to match. Phrases are numbered as they
        // come in the query, and so are their weights (the workspace's token weighs nothing).
        let phrase = &scope.phrase;
        let mut query = format!("({phrase} AND {{text heading}} : ({})", any(matched));
        let mut weights = vec![0.0];
        weights.extend(matched.iter().map(|w| w.idf));
        if !scored.is_empty() {
            query.push_str(&format!(
                " AND ({phrase} OR {{text heading}} : ({}))",
                any(scored)
            ));
            weights.push(0.0);
            weights.extend(scored.iter().map(|w| w.idf));
        }
        query.push(')');
        if !excluded.is_empty() {
            query.push_str(&format!(" NOT {{text heading}} : ({})", any(excluded)));
            weights.extend(excluded.iter().map(|_| 0.0));
        }
        let mut statement = self.0.prepare_cached(
            "SELECT rowid, docent_bm25(passages_fts, ?2) AS rank FROM passages_fts
             WHERE passages_fts MATCH ?1 ORDER BY rank LIMIT ?3",
        )?;
        let rows = statement.query_map(
            rusqlite::params![
                query,
                ranking::weights_blob(scope.average_length, &weights),
                limit
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::store::contract::passages_are_searched_per_workspace_and_leave_with_their_document;
    use crate::store::Store;

    /// A store over a fresh file, with its SQLite side for raw checks (and the temp dir it lives in).
    async fn opened() -> (Store, Arc<super::super::SqliteStore>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Arc::new(
            super::super::SqliteStore::open(&dir.path().join("docent.sqlite3"))
                .await
                .unwrap(),
        );
        (Store::new(sqlite.clone()), sqlite, dir)
    }

    /// Deleting documents and workspaces (whose documents go by cascade) leaves the full-text
    /// index exactly in line with the passages: FTS5's own integrity check passes.
    #[tokio::test]
    async fn the_index_keeps_no_entry_of_a_deleted_passage() {
        let (store, sqlite, _dir) = opened().await;
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

    /// Words with a spread like a real library's: word `i` is drawn with weight 1/(i+1), so a
    /// few are in most passages and most are rare. Letters only, so the index keeps them whole.
    fn word(i: usize) -> String {
        let mut word = String::from("q");
        let mut n = i;
        loop {
            word.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                break word;
            }
        }
    }

    /// A small, seeded generator (the test must find the same passages every run).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 33
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        /// A word index, Zipf-like over `vocabulary` words.
        fn zipf(&mut self, cumulative: &[f64]) -> usize {
            let total = cumulative[cumulative.len() - 1];
            let x = (self.next() as f64 / (1_u64 << 31) as f64) * total;
            cumulative
                .partition_point(|c| *c < x)
                .min(cumulative.len() - 1)
        }
    }

    /// The search's passes (ranking.rs) find what scoring every passage the words match finds,
    /// by FTS5's own bm25() over the workspace's passages alone: the same scores, in the same
    /// order, for common words and rare ones, few results and many, in either workspace, and
    /// again once the index has changed.
    #[tokio::test]
    async fn the_search_finds_what_scoring_every_match_finds() {
        use uuid::Uuid;

        use crate::store::contract::{account, new_document, workspace, write};
        use crate::store::documents::{Inserted, NewPassage};
        use crate::store::passages::SearchTerms;

        let (store, sqlite, _dir) = opened().await;
        let ada = account(&store, "ada@example.com", true).await;
        let workspaces = [
            workspace(&store, ada, "Mine", false).await,
            workspace(&store, ada, "Other", false).await,
        ];
        let vocabulary = 3_000;
        let cumulative = (0..vocabulary)
            .scan(0.0, |sum, i| {
                *sum += 1.0 / (i as f64 + 1.0);
                Some(*sum)
            })
            .collect::<Vec<f64>>();
        let mut rng = Lcg(7);
        let add = |rng: &mut Lcg, documents: usize, first: usize| {
            (0..documents)
                .map(|d| {
                    let passages = (0..40)
                        .map(|p| NewPassage {
                            page: Some(p / 3 + 1),
                            heading: (0..rng.below(4))
                                .map(|_| word(rng.zipf(&cumulative)))
                                .collect::<Vec<_>>()
                                .join(" "),
                            text: (0..40 + rng.below(260))
                                .map(|_| word(rng.zipf(&cumulative)))
                                .collect::<Vec<_>>()
                                .join(" "),
                        })
                        .collect::<Vec<_>>();
                    (
                        workspaces[usize::from(d % 4 == 3)],
                        format!("doc-{}", first + d),
                        passages,
                    )
                })
                .collect::<Vec<_>>()
        };
        let insert = |documents: Vec<(Uuid, String, Vec<NewPassage>)>| {
            let store = &store;
            async move {
                for (ws, name, passages) in documents {
                    write(store, move |tx| {
                        let sha = format!("{name}-sha");
                        let Inserted::New(d) =
                            tx.documents().insert(&new_document(ws, &name, &sha), 1)?
                        else {
                            panic!("a new document")
                        };
                        let job = tx.documents().claim_next(2, 3)?.expect("its job");
                        tx.documents()
                            .finish_ready(d.id, job.attempts, Some(14), &passages, 4)?;
                        Ok(())
                    })
                    .await;
                }
            }
        };
        insert(add(&mut rng, 60, 0)).await;

        let compare = |rng: &mut Lcg, queries: usize| {
            (0..queries)
                .map(|_| {
                    let words = (0..1 + rng.below(10))
                        .map(|_| {
                            // Half the words from the whole spread, half among the commonest.
                            if rng.below(2) == 0 {
                                word(rng.below(vocabulary as u64) as usize)
                            } else {
                                word(rng.zipf(&cumulative))
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    let ws = workspaces[rng.below(2) as usize];
                    let limit = [1, 3, 10, 50][rng.below(4) as usize];
                    (words, ws, limit)
                })
                .collect::<Vec<_>>()
        };
        let check = |queries: Vec<(String, Uuid, u32)>| {
            let store = &store;
            let sqlite = &sqlite;
            async move {
                // The reference: FTS5's own bm25() over a table holding only the workspace's
                // passages (what a search's scores must be: another workspace's passages
                // count for nothing).
                let mut references = std::collections::HashMap::new();
                for ws in workspaces {
                    let passages: Vec<(i64, String, String, String)> = sqlite
                        .with_connection(move |conn| {
                            let mut statement = conn.prepare(
                                "SELECT p.id, p.text, p.heading, p.scope FROM passages p
                                 JOIN documents d ON d.id = p.document_id WHERE d.workspace_id = ?1",
                            )?;
                            let rows = statement.query_map([ws.to_string()], |row| {
                                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                            })?;
                            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
                        })
                        .await
                        .unwrap();
                    let reference = rusqlite::Connection::open_in_memory().unwrap();
                    reference
                        .execute_batch(
                            "CREATE VIRTUAL TABLE reference USING fts5(text, heading, scope,
                             tokenize = 'porter unicode61 remove_diacritics 2')",
                        )
                        .unwrap();
                    for (id, text, heading, scope) in passages {
                        reference
                            .execute(
                                "INSERT INTO reference (rowid, text, heading, scope)
                                 VALUES (?1, ?2, ?3, ?4)",
                                rusqlite::params![id, text, heading, scope],
                            )
                            .unwrap();
                    }
                    references.insert(ws, reference);
                }
                for (words, ws, limit) in queries {
                    let terms = SearchTerms::parse(&words).unwrap();
                    let found = {
                        let terms = terms.clone();
                        write(store, move |tx| tx.passages().search(ws, &terms, limit)).await
                    };
                    let query = format!(
                        "scope : \"{}\" AND {{text heading}} : ({})",
                        super::scope_token(&ws.to_string()),
                        terms
                            .words()
                            .iter()
                            .map(|w| format!("\"{w}\""))
                            .collect::<Vec<_>>()
                            .join(" OR ")
                    );
                    let every: Vec<(i64, f64)> = references[&ws]
                        .prepare(
                            "SELECT rowid, bm25(reference, 1.0, 0.5, 0.0) AS rank FROM reference
                             WHERE reference MATCH ?1 ORDER BY rank LIMIT ?2",
                        )
                        .unwrap()
                        .query_map(rusqlite::params![query, limit], |row| {
                            Ok((row.get(0)?, -row.get::<_, f64>(1)?))
                        })
                        .unwrap()
                        .collect::<rusqlite::Result<Vec<_>>>()
                        .unwrap();
                    assert_eq!(
                        found.len(),
                        every.len(),
                        "as many results for {words:?} (limit {limit})"
                    );
                    for (at, (hit, (id, score))) in found.iter().zip(&every).enumerate() {
                        assert!(
                            (hit.score - score).abs() <= 1e-9 * score.abs().max(1.0),
                            "result {at} of {words:?}: score {} where bm25() gives {score}",
                            hit.score
                        );
                        // Equal scores may come in either order; a score of its own is one passage.
                        let tied = every
                            .iter()
                            .filter(|(_, s)| (s - score).abs() <= 1e-9)
                            .count();
                        if tied == 1 {
                            assert_eq!(hit.passage_id, *id, "result {at} of {words:?}");
                        }
                    }
                }
            }
        };
        check(compare(&mut rng, 300)).await;
        // Documents added (the word counts kept between searches are now stale), then deleted.
        insert(add(&mut rng, 10, 60)).await;
        check(compare(&mut rng, 100)).await;
        let first = write(&store, move |tx| tx.documents().in_workspace(workspaces[0])).await[0].id;
        assert!(write(&store, move |tx| tx.documents().delete(first)).await);
        check(compare(&mut rng, 100)).await;
        // And once the index is merged into one part.
        let mut start = true;
        while write(&store, move |tx| tx.passages().compact_step(start, 50)).await {
            start = false;
        }
        assert_eq!(write(&store, |tx| tx.passages().index_parts()).await, 1);
        check(compare(&mut rng, 100)).await;
    }
}
