//! Conversations: in a workspace, owned by a user; a temporary one belongs to the session that
//! made it and is deleted with it.

use uuid::Uuid;

use super::Millis;
use crate::domain::chat::{Conversation, TopK};
use crate::error::Result;

/// A conversation with what access to it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConversationRecord {
    /// Its fields (`read_only` is false: the caller decides).
    pub(crate) conversation: Conversation,
    /// The session a temporary one belongs to.
    pub(crate) session_id: Option<i64>,
    /// Whether its workspace is shared with the owner's email domain.
    pub(crate) shared_with_domain: bool,
    pub(crate) owner_email: String,
    pub(crate) owner_proven: bool,
}

/// A conversation to create.
#[derive(Debug, Clone)]
pub(crate) struct NewConversationRecord<'a> {
    pub(crate) id: Uuid,
    pub(crate) workspace_id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) title: &'a str,
    pub(crate) first_query: Option<&'a str>,
    /// The session a temporary conversation belongs to; `None`: a kept one.
    pub(crate) temporary_for: Option<i64>,
    pub(crate) now: Millis,
}

/// What the answers in a conversation use: its workspace's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AnswerSettings {
    pub(crate) workspace_id: Uuid,
    pub(crate) system_prompt: String,
    pub(crate) collection: Option<String>,
    pub(crate) top_k: TopK,
    pub(crate) model: Option<String>,
}

pub(crate) trait Conversations {
    /// One conversation, whoever's.
    fn find(&self, id: Uuid) -> Result<Option<ConversationRecord>>;

    /// The user's most recently changed conversation (a temporary one only of `session`).
    fn latest(&self, user: Uuid, session: i64) -> Result<Option<Uuid>>;

    /// The user's conversations in a workspace, newest first (temporary ones only of `session`).
    fn list_in(&self, workspace: Uuid, user: Uuid, session: i64) -> Result<Vec<Conversation>>;

    /// Creates a conversation.
    fn insert(&self, conversation: &NewConversationRecord<'_>) -> Result<()>;

    /// Renames a conversation.
    fn rename(&self, id: Uuid, title: &str, now: Millis) -> Result<()>;

    /// Records that a conversation changed at `now`.
    fn touch(&self, id: Uuid, now: Millis) -> Result<()>;

    /// Records a question asked: it changed now, and `question` is its first unless it had one.
    fn note_question(&self, id: Uuid, question: &str, now: Millis) -> Result<()>;

    /// Deletes a conversation with its messages.
    fn delete(&self, id: Uuid) -> Result<()>;

    /// The settings of the conversation's workspace.
    fn answer_settings(&self, id: Uuid) -> Result<AnswerSettings>;
}
