//! Searching the passages of a workspace's documents (full text, ranked by bm25).

use uuid::Uuid;

pub(crate) use crate::domain::documents::SearchTerms;
use crate::error::Result;

/// A passage found, best first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PassageHit {
    pub(crate) passage_id: i64,
    pub(crate) document_id: Uuid,
    pub(crate) name: String,
    pub(crate) heading: String,
    pub(crate) page: Option<u32>,
    pub(crate) text: String,
    /// Higher is better.
    pub(crate) score: f64,
}

pub(crate) trait Passages {
    /// A document's passages in order, as (page, text) (for tests and benchmarks).
    #[cfg(feature = "testing")]
    fn of_document(&self, document_id: Uuid) -> Result<Vec<(Option<u32>, String)>>;

    /// The passages of the ready documents of `workspace_id` that match `terms`, best first.
    fn search(
        &self,
        workspace_id: Uuid,
        terms: &SearchTerms,
        limit: u32,
    ) -> Result<Vec<PassageHit>>;

    /// How many parts (FTS5 segments) the search index is in: a search reads each.
    fn index_parts(&self) -> Result<u64>;

    /// One bounded step of merging the search index's parts into one, writing about `pages`
    /// pages; `start` begins a new round, later steps continue it. Whether it did any work
    /// (none: the round is over).
    fn compact_step(&self, start: bool, pages: u32) -> Result<bool>;
}
