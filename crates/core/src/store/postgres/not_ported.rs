//! The aggregates not on PostgreSQL yet: each call fails with an internal error saying so.
//! Nothing offers the PostgreSQL store while this module exists; it shrinks as each aggregate
//! is ported (issue 14).
#![allow(unused_variables)]

use crate::domain::documents::DocumentFolder;
use crate::error::{Error, Result};
use crate::store::Millis;
use crate::Document;
use uuid::Uuid;

use crate::store::documents::*;
use crate::store::passages::*;

/// The stand-in for every aggregate not ported yet.
pub(super) struct NotPorted;
pub(super) const NOT_PORTED: &NotPorted = &NotPorted;

fn not_ported() -> Error {
    Error::internal(anyhow::anyhow!(
        "this part of Docent's data is not on PostgreSQL yet"
    ))
}

impl Documents for NotPorted {
    fn insert(&self, new: &NewDocument<'_>, now: Millis) -> Result<Inserted> {
        Err(not_ported())
    }

    fn find(&self, id: Uuid) -> Result<Option<DocumentRecord>> {
        Err(not_ported())
    }

    fn in_workspace(&self, workspace_id: Uuid) -> Result<Vec<Document>> {
        Err(not_ported())
    }

    fn ready_count(&self, workspace_id: Uuid) -> Result<u64> {
        Err(not_ported())
    }

    fn delete(&self, id: Uuid) -> Result<bool> {
        Err(not_ported())
    }

    fn file_in_use(&self, sha256: &str) -> Result<bool> {
        Err(not_ported())
    }

    fn claim_next(&self, now: Millis, until: Millis) -> Result<Option<ClaimedJob>> {
        Err(not_ported())
    }

    fn progress(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        pages_done: u32,
        until: Millis,
    ) -> Result<bool> {
        Err(not_ported())
    }

    fn finish_ready(
        &self,
        id: Uuid,
        attempts: u32,
        pages: Option<u32>,
        passages: &[NewPassage],
        now: Millis,
    ) -> Result<bool> {
        Err(not_ported())
    }

    fn finish_failed(
        &self,
        id: Uuid,
        attempts: u32,
        code: &str,
        message: &str,
        now: Millis,
    ) -> Result<bool> {
        Err(not_ported())
    }

    fn add_folder(
        &self,
        id: Uuid,
        workspace_id: Uuid,
        path: &str,
        now: Millis,
    ) -> Result<DocumentFolder> {
        Err(not_ported())
    }

    fn folders(&self, workspace_id: Uuid) -> Result<Vec<DocumentFolder>> {
        Err(not_ported())
    }

    fn all_folders(&self) -> Result<Vec<DocumentFolder>> {
        Err(not_ported())
    }

    fn folder(&self, id: Uuid) -> Result<Option<DocumentFolder>> {
        Err(not_ported())
    }

    fn delete_folder(&self, id: Uuid) -> Result<bool> {
        Err(not_ported())
    }

    fn folder_documents(&self, folder_id: Uuid) -> Result<Vec<(String, Uuid, String)>> {
        Err(not_ported())
    }
}

impl Passages for NotPorted {
    #[cfg(feature = "testing")]
    fn of_document(&self, document_id: Uuid) -> Result<Vec<(Option<u32>, String)>> {
        Err(not_ported())
    }

    fn search(
        &self,
        workspace_id: Uuid,
        terms: &SearchTerms,
        limit: u32,
    ) -> Result<Vec<PassageHit>> {
        Err(not_ported())
    }

    fn index_parts(&self) -> Result<u64> {
        Err(not_ported())
    }

    fn compact_step(&self, start: bool, pages: u32) -> Result<bool> {
        Err(not_ported())
    }
}
