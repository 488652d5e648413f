//! Searching conversation history: by owner or by shared domain, by time, by workspace, and by
//! words in titles and messages (full-text).

use uuid::Uuid;

use super::Millis;
use crate::domain::chat::HistoryEntry;
use crate::error::Result;

/// Whose conversations a search covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Whose {
    /// One user's own (not temporary).
    Own(Uuid),
    /// Those in workspaces shared with this email domain by proven accounts of it.
    SharedWithDomain(String),
}

/// A history search, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryFilter {
    pub(crate) whose: Whose,
    pub(crate) workspace: Option<Uuid>,
    /// Updated at or after.
    pub(crate) from: Option<Millis>,
    /// Updated before.
    pub(crate) to: Option<Millis>,
    /// Words that must each start a word of the title or of a message (any order).
    pub(crate) words: Vec<String>,
    pub(crate) limit: u32,
    pub(crate) offset: u32,
}

pub(crate) trait History {
    /// The conversations that match, most recently changed first.
    fn search(&self, filter: &HistoryFilter) -> Result<Vec<HistoryEntry>>;
}
