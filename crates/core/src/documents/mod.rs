//! A workspace's own documents: added (uploaded, or by path on the desktop), kept in the data
//! dir, read and cut into passages by a background indexer whose jobs live in the database
//! (a restart resumes them), and searched with the database's full-text index.
//!
//! Who may do what follows the workspace ([`crate::access`]): its owner adds and deletes;
//! proven colleagues of a workspace shared with their domain list, open and search.

mod chunk;
mod extract;
mod files;
mod folders;
mod indexer;
mod isolate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use uuid::Uuid;

use crate::access::{owned_workspace, visible_workspace};
use crate::clock::{to_millis, Clock};
use crate::domain::documents::{
    Document, DocumentFormat, DocumentName, SearchHit, SearchQuery, SearchTerms,
};
use crate::error::{Error, ErrorCode, Result};
use crate::store::documents::{Inserted, NewDocument};
use crate::store::{Millis, Store};
use crate::user::CurrentUser;

pub use files::{Staged, Upload};
pub use folders::{FolderSync, FolderWatcher};
pub use indexer::Indexer;
#[cfg(feature = "testing")]
pub(crate) use indexer::CLAIM;
pub use isolate::{run_extractor_if_asked, Extractor, EXTRACT_FLAG};

/// The most passages a search answers.
pub const MAX_SEARCH_RESULTS: u32 = 50;

/// Pages of the search index one step of merging writes (about 4 KB each; a step over 100,000
/// passages took at most 170 ms).
const COMPACT_STEP_PAGES: u32 = 500;

/// How documents are taken and read.
#[derive(Debug, Clone)]
pub struct DocumentSettings {
    /// The largest file accepted, in bytes.
    pub max_document_bytes: u64,
    /// The most text (or unpacked XML) read from one document, in bytes.
    pub max_text_bytes: u64,
    /// How long reading one document may take.
    pub extract_timeout: Duration,
    /// The executable that reads documents in a process of its own (one that calls
    /// [`run_extractor_if_asked`] first); `None`: this executable.
    pub extractor_program: Option<PathBuf>,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        Self {
            max_document_bytes: 100_000_000,
            max_text_bytes: 32 * 1024 * 1024,
            extract_timeout: Duration::from_secs(600),
            extractor_program: None,
        }
    }
}

/// A workspace's documents.
#[derive(Debug, Clone)]
pub struct DocumentService {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    clock: Arc<dyn Clock>,
    files: files::FileStore,
    settings: DocumentSettings,
    extractor: Extractor,
    /// Wakes the indexer when a document is added.
    wake: Notify,
    /// Watches the folders kept in sync, while a watcher runs.
    watcher: folders::WatcherSlot,
}

impl DocumentService {
    pub(crate) fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        data_dir: &Path,
        settings: DocumentSettings,
    ) -> Result<Self> {
        let program = match &settings.extractor_program {
            Some(program) => program.clone(),
            None => std::env::current_exe().map_err(Error::internal)?,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                clock,
                files: files::FileStore::open(data_dir.join("documents"))?,
                extractor: Extractor {
                    program,
                    timeout: settings.extract_timeout,
                },
                settings,
                wake: Notify::new(),
                watcher: Default::default(),
            }),
        })
    }

    fn now(&self) -> Millis {
        to_millis(self.inner.clock.now())
    }

    /// The largest file accepted, in bytes.
    pub fn max_document_bytes(&self) -> u64 {
        self.inner.settings.max_document_bytes
    }

    /// Starts receiving a file: write its pieces to the [`Upload`], then hand the finished
    /// file to [`DocumentService::add`]. Past the size limit a piece is refused with
    /// `document_too_large`.
    pub async fn upload(&self) -> Result<Upload> {
        self.inner
            .files
            .upload(self.inner.settings.max_document_bytes)
            .await
    }

    /// Adds a received file named `name` to a workspace the caller owns. A file the workspace
    /// has already (the same bytes) is that document; an unsupported one is refused with
    /// `unsupported_document`. The document is queued: the indexer reads it next.
    pub async fn add(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        name: &str,
        staged: Staged,
    ) -> Result<Document> {
        // Whose workspace first: a stranger learns nothing from the file's name or format.
        let user_ = user.clone();
        self.inner
            .store
            .read(move |tx| owned_workspace(tx, &user_, workspace_id).map(|_| ()))
            .await?;
        self.insert(workspace_id, name, staged, None).await
    }

    /// Adds received files to a workspace the caller owns, all or none: each is checked (its
    /// name, its format) before any is added.
    pub async fn add_all(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        files: Vec<(String, Staged)>,
    ) -> Result<Vec<Document>> {
        let user_ = user.clone();
        self.inner
            .store
            .read(move |tx| owned_workspace(tx, &user_, workspace_id).map(|_| ()))
            .await?;
        for (name, staged) in &files {
            let name = DocumentName::parse(name)?;
            DocumentFormat::detect(name.as_str(), &staged.head)?;
        }
        let mut added = Vec::with_capacity(files.len());
        for (name, staged) in files {
            added.push(self.insert(workspace_id, &name, staged, None).await?);
        }
        Ok(added)
    }

    /// Adds a received file to a workspace (whose owner's right to was checked), from a
    /// folder kept in sync when `folder` says which and where.
    async fn insert(
        &self,
        workspace_id: Uuid,
        name: &str,
        staged: Staged,
        folder: Option<(Uuid, String)>,
    ) -> Result<Document> {
        let name = DocumentName::parse(name)?;
        let format = DocumentFormat::detect(name.as_str(), &staged.head)?;
        self.inner.files.keep(&staged).await?;
        let now = self.now();
        let sha256 = staged.sha256.clone();
        let bytes = staged.bytes;
        let inserted = self
            .inner
            .store
            .write(move |tx| {
                tx.documents().insert(
                    &NewDocument {
                        id: Uuid::new_v4(),
                        workspace_id,
                        name: name.as_str(),
                        format,
                        bytes,
                        sha256: &sha256,
                        folder: folder.as_ref().map(|(id, path)| (*id, path.as_str())),
                    },
                    now,
                )
            })
            .await?;
        Ok(match inserted {
            Inserted::New(document) => {
                tracing::info!(document = %document.id, format = format.as_str(), bytes, "document added");
                self.inner.wake.notify_one();
                document
            }
            Inserted::Existing(document) => document,
        })
    }

    /// Adds a file of this machine (the desktop's file picker and drops give paths).
    pub async fn add_path(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        path: &Path,
    ) -> Result<Document> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let staged = self.upload().await?.copy_from(path).await?;
        self.add(user, workspace_id, &name, staged).await
    }

    /// The documents of a workspace the caller may see, oldest first.
    pub async fn list(&self, user: &CurrentUser, workspace_id: Uuid) -> Result<Vec<Document>> {
        let user = user.clone();
        self.inner
            .store
            .read(move |tx| {
                visible_workspace(tx, &user, workspace_id)?;
                tx.documents().in_workspace(workspace_id)
            })
            .await
    }

    /// One document the caller may see.
    pub async fn get(&self, user: &CurrentUser, id: Uuid) -> Result<Document> {
        let user = user.clone();
        self.inner
            .store
            .read(move |tx| visible_document(tx, &user, id))
            .await
    }

    /// A document the caller may see, and where its original file is.
    pub async fn file(&self, user: &CurrentUser, id: Uuid) -> Result<(Document, PathBuf)> {
        let document = self.get(user, id).await?;
        let path = self.inner.files.path_of(&document.sha256);
        if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
            tracing::error!(document = %id, "a document's file is missing from the data dir");
            return Err(Error::NotFound { what: "Document" });
        }
        Ok((document, path))
    }

    /// Deletes a document of a workspace the caller owns: its passages leave the index in the
    /// same transaction; its file goes when no other document keeps it. Citations of it stay,
    /// as they were.
    pub async fn delete(&self, user: &CurrentUser, id: Uuid) -> Result<()> {
        let user = user.clone();
        let sha256 = self
            .inner
            .store
            .write(move |tx| {
                let document = visible_document(tx, &user, id)?;
                owned_workspace(tx, &user, document.workspace_id)?;
                tx.documents().delete(id)?;
                Ok((!tx.documents().file_in_use(&document.sha256)?).then_some(document.sha256))
            })
            .await?;
        if let Some(sha256) = sha256 {
            self.inner.files.remove(&sha256).await;
        }
        Ok(())
    }

    /// Deletes a document without asking whose it is (a synced folder's file went away).
    async fn delete_unchecked(&self, id: Uuid) -> Result<()> {
        let sha256 = self
            .inner
            .store
            .write(move |tx| {
                let Some(record) = tx.documents().find(id)? else {
                    return Ok(None);
                };
                tx.documents().delete(id)?;
                let sha = record.document.sha256;
                Ok((!tx.documents().file_in_use(&sha)?).then_some(sha))
            })
            .await?;
        if let Some(sha256) = sha256 {
            self.inner.files.remove(&sha256).await;
        }
        Ok(())
    }

    /// The passages of a workspace's ready documents that best match the query, best first.
    pub async fn search(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        query: &SearchQuery,
    ) -> Result<Vec<SearchHit>> {
        let terms = SearchTerms::parse(&query.q).ok_or_else(|| {
            Error::invalid(
                ErrorCode::EmptyQuery,
                "Type the words to look for in this workspace's documents.",
            )
        })?;
        let limit = query.limit.unwrap_or(10).clamp(1, MAX_SEARCH_RESULTS);
        let user = user.clone();
        let hits = self
            .inner
            .store
            .read(move |tx| {
                visible_workspace(tx, &user, workspace_id)?;
                tx.passages().search(workspace_id, &terms, limit)
            })
            .await?;
        Ok(hits.into_iter().map(SearchHit::from).collect())
    }

    /// Merges the search index into one part when it is in several: a search reads every
    /// part, and documents indexed one by one, or deleted, leave many (over 100,000 passages in
    /// 23 parts, matching a search's rarer words took 1.6 times as long as in one part:
    /// docs/benchmarks.md). In steps that each hold the database's writer briefly, so indexing
    /// and other writes go on meanwhile.
    pub async fn compact_index(&self) -> Result<()> {
        let parts = self
            .inner
            .store
            .read(|tx| tx.passages().index_parts())
            .await?;
        if parts <= 1 {
            return Ok(());
        }
        let mut start = true;
        while self
            .inner
            .store
            .write(move |tx| tx.passages().compact_step(start, COMPACT_STEP_PAGES))
            .await?
        {
            start = false;
            tokio::task::yield_now().await;
        }
        tracing::info!(parts, "search index merged into one part");
        Ok(())
    }

    /// Runs the indexer until the returned handle is stopped or dropped.
    pub fn spawn_indexer(&self) -> Indexer {
        Indexer::spawn(self.clone())
    }

    /// Deletes kept files no document keeps any more (a workspace deleted with its documents,
    /// a crash between steps). Files younger than an hour are left: their document may be
    /// being added.
    pub(crate) async fn sweep_files(&self) -> Result<usize> {
        let files = self.inner.files.clone();
        let candidates: Vec<String> = tokio::task::spawn_blocking(move || {
            files
                .all()
                .into_iter()
                .filter(|sha| {
                    std::fs::metadata(files.path_of(sha))
                        .and_then(|m| m.modified())
                        .map(|at| at.elapsed().unwrap_or_default() > Duration::from_secs(3600))
                        .unwrap_or(false)
                })
                .collect()
        })
        .await
        .map_err(Error::internal)?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let unused = self
            .inner
            .store
            .read(move |tx| {
                let mut unused = Vec::new();
                for sha in candidates {
                    if !tx.documents().file_in_use(&sha)? {
                        unused.push(sha);
                    }
                }
                Ok(unused)
            })
            .await?;
        for sha in &unused {
            self.inner.files.remove(sha).await;
        }
        Ok(unused.len())
    }
}

/// A document the caller may see (through its workspace), else not found.
fn visible_document(tx: &dyn crate::store::Tx, user: &CurrentUser, id: Uuid) -> Result<Document> {
    let not_found = || Error::NotFound { what: "Document" };
    let record = tx.documents().find(id)?.ok_or_else(not_found)?;
    match visible_workspace(tx, user, record.document.workspace_id) {
        Ok(_) => Ok(record.document),
        Err(Error::NotFound { .. }) => Err(not_found()),
        Err(err) => Err(err),
    }
}

impl From<crate::store::passages::PassageHit> for SearchHit {
    fn from(hit: crate::store::passages::PassageHit) -> Self {
        Self {
            chunk_id: format!("p{}", hit.passage_id),
            document_id: hit.document_id,
            title: if hit.heading.is_empty() {
                hit.name.clone()
            } else {
                hit.heading
            },
            name: hit.name,
            page: hit.page,
            snippet: hit.text,
            score: hit.score,
        }
    }
}
