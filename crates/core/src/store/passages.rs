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

/// bm25 as FTS5's `bm25()` computes it, which every store ranks passages by; a word's
/// statistics come from the searched workspace's own passages.
pub(crate) mod bm25 {
    /// Term-frequency saturation.
    pub(crate) const K1: f64 = 1.2;
    /// Length normalisation.
    pub(crate) const B: f64 = 0.75;
    /// What a hit in a passage's heading path counts for, beside one in its text.
    pub(crate) const HEADING_WEIGHT: f64 = 0.5;

    /// The IDF of a word held by `hits` of `rows` passages (a word in most of them still
    /// counts a little).
    pub(crate) fn idf(rows: u64, hits: u64) -> f64 {
        let (rows, hits) = (rows as f64, hits.min(rows) as f64);
        let idf = ((rows - hits + 0.5) / (hits + 0.5)).ln();
        if idf <= 0.0 {
            1e-6
        } else {
            idf
        }
    }
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
