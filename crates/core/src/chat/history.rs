//! A conversation's messages, emptying one, and searching history.

use uuid::Uuid;

use super::conversations::{visible_conversation, writable_conversation};
use super::ChatService;
use crate::clock::to_millis;
use crate::domain::chat::{ChatHistory, HistoryEntry, HistoryQuery, HistoryScope};
use crate::error::Result;
use crate::store::history::{HistoryFilter, Whose};
use crate::user::CurrentUser;

/// Words longer searches are cut to.
const MAX_SEARCH_WORDS: usize = 16;

/// The words of a search: letters and digits, split at anything else.
fn search_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_SEARCH_WORDS)
        .map(str::to_owned)
        .collect()
}

impl ChatService {
    /// A conversation's messages, oldest first; by default the caller's most recent one.
    pub async fn history(
        &self,
        user: &CurrentUser,
        conversation_id: Option<Uuid>,
    ) -> Result<ChatHistory> {
        let user = user.clone();
        self.store
            .read(move |tx| {
                let id = match conversation_id {
                    Some(id) => Some(id),
                    None => tx.conversations().latest(user.user_id, user.session_id)?,
                };
                let Some(id) = id else {
                    return Ok(ChatHistory {
                        conversation_id: None,
                        messages: Vec::new(),
                    });
                };
                visible_conversation(tx, &user, id)?;
                Ok(ChatHistory {
                    conversation_id: Some(id),
                    messages: tx.messages().of_conversation(id)?,
                })
            })
            .await
    }

    /// Empties a conversation (by default the caller's most recent one).
    pub async fn clear(&self, user: &CurrentUser, conversation_id: Option<Uuid>) -> Result<()> {
        let user = user.clone();
        let now = self.now();
        self.store
            .write(move |tx| {
                let id = match conversation_id {
                    Some(id) => id,
                    None => match tx.conversations().latest(user.user_id, user.session_id)? {
                        Some(id) => id,
                        None => return Ok(()),
                    },
                };
                writable_conversation(tx, &user, id)?;
                tx.messages().clear(id)?;
                tx.conversations().touch(id, now)
            })
            .await
    }

    /// Searches conversation history, newest first. An unproven address is no member of its
    /// domain: it finds nothing shared.
    pub async fn search_history(
        &self,
        user: &CurrentUser,
        query: HistoryQuery,
    ) -> Result<Vec<HistoryEntry>> {
        let whose = match query.scope.unwrap_or_default() {
            HistoryScope::Mine => Whose::Own(user.user_id),
            HistoryScope::Domain if !user.email_verified => return Ok(Vec::new()),
            HistoryScope::Domain => Whose::SharedWithDomain(user.domain.clone()),
        };
        let filter = HistoryFilter {
            whose,
            workspace: query.workspace_id,
            from: query.from.map(to_millis),
            to: query.to.map(to_millis),
            words: query.q.as_deref().map(search_words).unwrap_or_default(),
            limit: query.limit.unwrap_or(50).clamp(1, 200),
            offset: query.offset.unwrap_or(0),
        };
        self.store
            .read(move |tx| tx.history().search(&filter))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_words_of_letters_and_digits() {
        assert_eq!(
            search_words("retention \"policy\" OR*"),
            ["retention", "policy", "OR"]
        );
        assert!(search_words("  ;; ").is_empty());
    }
}
