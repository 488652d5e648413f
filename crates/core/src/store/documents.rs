//! A workspace's documents and their indexing jobs (a document's status is its job: queued,
//! indexing under a claim that expires, ready, failed), and the folders kept in sync with them.

use uuid::Uuid;

use super::Millis;
use crate::clock::from_millis;
use crate::domain::documents::{Document, DocumentFolder, DocumentFormat, DocumentStatus};
use crate::error::{Error, ErrorBody, ErrorCode, Result};

/// A document about to be stored.
#[derive(Debug, Clone)]
pub(crate) struct NewDocument<'a> {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) name: &'a str,
    pub(crate) format: DocumentFormat,
    pub(crate) bytes: u64,
    pub(crate) sha256: &'a str,
    /// The folder it is kept in sync with, and its path there.
    pub(crate) folder: Option<(Uuid, &'a str)>,
}

/// What inserting a document found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// A new document, queued for indexing.
    New(Document),
    /// The workspace has this file already (same SHA-256): that document.
    Existing(Document),
}

/// An indexing job a worker has claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimedJob {
    pub(crate) document_id: Uuid,
    pub(crate) name: String,
    pub(crate) format: DocumentFormat,
    pub(crate) sha256: String,
    /// How many times it has been claimed, this time included.
    pub(crate) attempts: u32,
}

/// A passage as the indexer makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewPassage {
    pub(crate) page: Option<u32>,
    pub(crate) heading: String,
    pub(crate) text: String,
}

/// A document with the workspace it belongs to, for access checks.
#[derive(Debug, Clone)]
pub(crate) struct DocumentRecord {
    pub(crate) document: Document,
    /// How many times its indexing job was claimed (tests see that each is claimed once).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) attempts: u32,
}

/// A document's columns as every store keeps them (`COLUMNS` of each), before they are checked.
#[derive(Debug)]
pub(crate) struct StoredDocument {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) name: String,
    pub(crate) format: String,
    pub(crate) bytes: i64,
    pub(crate) sha256: String,
    pub(crate) status: String,
    pub(crate) pages: Option<u32>,
    pub(crate) pages_done: u32,
    pub(crate) chunks: u32,
    pub(crate) error_code: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) folder_path: Option<String>,
    pub(crate) created_at: Millis,
    pub(crate) indexed_at: Option<Millis>,
    pub(crate) attempts: u32,
}

/// A stored value no version of Docent writes.
pub(crate) fn corrupt(what: &str) -> Error {
    Error::internal(anyhow::anyhow!("a stored document has an unknown {what}"))
}

impl StoredDocument {
    /// The document, once its format and status are known values.
    pub(crate) fn into_record(self) -> Result<DocumentRecord> {
        let format = DocumentFormat::parse(&self.format).ok_or_else(|| corrupt("format"))?;
        let error = match (self.error_code, self.error_message) {
            (Some(code), Some(message)) => {
                let code: ErrorCode = serde_json::from_value(serde_json::Value::String(code))
                    .unwrap_or(ErrorCode::UnreadableDocument);
                Some(ErrorBody::new(code, message))
            }
            _ => None,
        };
        Ok(DocumentRecord {
            document: Document {
                id: self.id,
                workspace_id: self.workspace_id,
                name: self.name,
                format,
                media_type: format.media_type().to_owned(),
                bytes: self.bytes.max(0) as u64,
                sha256: self.sha256,
                status: DocumentStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?,
                pages: self.pages,
                pages_done: self.pages_done,
                chunks: self.chunks,
                error,
                folder_path: self.folder_path,
                created_at: from_millis(self.created_at),
                indexed_at: self.indexed_at.map(from_millis),
            },
            attempts: self.attempts,
        })
    }
}

pub(crate) trait Documents {
    /// Stores a new queued document, unless the workspace has the same file already.
    fn insert(&self, new: &NewDocument<'_>, now: Millis) -> Result<Inserted>;

    /// One document.
    fn find(&self, id: Uuid) -> Result<Option<DocumentRecord>>;

    /// A workspace's documents, oldest first.
    fn in_workspace(&self, workspace_id: Uuid) -> Result<Vec<Document>>;

    /// How many documents of a workspace are ready to search.
    fn ready_count(&self, workspace_id: Uuid) -> Result<u64>;

    /// Deletes a document and its passages; `false` if there was none.
    fn delete(&self, id: Uuid) -> Result<bool>;

    /// Whether any document (of any workspace) keeps the file with this SHA-256.
    fn file_in_use(&self, sha256: &str) -> Result<bool>;

    /// Claims the oldest job that is queued, or whose claim ran out, until `until`.
    fn claim_next(&self, now: Millis, until: Millis) -> Result<Option<ClaimedJob>>;

    /// Extends a claim and records progress; `false` when the job is no longer this claim's
    /// (deleted, or taken over).
    fn progress(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        pages_done: u32,
        until: Millis,
    ) -> Result<bool>;

    /// Stores a claimed job's passages and marks it ready; `false` when the job is no
    /// longer this claim's.
    fn finish_ready(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        passages: &[NewPassage],
        now: Millis,
    ) -> Result<bool>;

    /// Marks a claimed job failed with a code and a sentence.
    fn finish_failed(
        &self,
        id: Uuid,
        attempts: u32,
        code: &str,
        message: &str,
        now: Millis,
    ) -> Result<bool>;

    /// Adds a folder to keep in sync; the existing one when the workspace has it already.
    fn add_folder(
        &self,
        id: Uuid,
        workspace_id: Uuid,
        path: &str,
        now: Millis,
    ) -> Result<DocumentFolder>;

    /// The folders of a workspace.
    fn folders(&self, workspace_id: Uuid) -> Result<Vec<DocumentFolder>>;

    /// Every folder kept in sync (at start, to watch them).
    fn all_folders(&self) -> Result<Vec<DocumentFolder>>;

    /// One folder.
    fn folder(&self, id: Uuid) -> Result<Option<DocumentFolder>>;

    /// Deletes a folder and the documents it brought; `false` if there was none.
    fn delete_folder(&self, id: Uuid) -> Result<bool>;

    /// The documents a folder brought: (path in the folder, document id, SHA-256).
    fn folder_documents(&self, folder_id: Uuid) -> Result<Vec<(String, Uuid, String)>>;
}
