//! Messages of conversations, each answer with the citations it was stored with (the chunks as
//! they were, so they show offline and never drift).

use uuid::Uuid;

use super::Millis;
use crate::domain::chat::{Citation, Message, MessageStatus, Role};
use crate::error::Result;

/// A message to store.
#[derive(Debug, Clone)]
pub(crate) struct NewMessage<'a> {
    pub(crate) id: Uuid,
    pub(crate) conversation_id: Uuid,
    pub(crate) role: Role,
    pub(crate) content: &'a str,
    pub(crate) status: MessageStatus,
    pub(crate) now: Millis,
}

/// An answer's end.
#[derive(Debug, Clone)]
pub(crate) struct FinishedAnswer<'a> {
    pub(crate) id: Uuid,
    pub(crate) content: &'a str,
    pub(crate) status: MessageStatus,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) citations: &'a [Citation],
    pub(crate) now: Millis,
}

pub(crate) trait Messages {
    /// A conversation's messages with their citations, oldest first.
    fn of_conversation(&self, conversation: Uuid) -> Result<Vec<Message>>;

    /// The last `limit` complete or stopped turns with text, oldest first.
    fn recent_turns(&self, conversation: Uuid, limit: usize) -> Result<Vec<(Role, String)>>;

    /// Stores a message.
    fn insert(&self, message: &NewMessage<'_>) -> Result<()>;

    /// Stores an answer's final text, status and citations; its conversation changed now.
    fn finish(&self, answer: &FinishedAnswer<'_>) -> Result<()>;

    /// The conversation a message is in.
    fn conversation_of(&self, message: Uuid) -> Result<Option<Uuid>>;

    /// Deletes every message of a conversation.
    fn clear(&self, conversation: Uuid) -> Result<()>;

    /// Marks answers still `streaming` that were started at or before `cutoff` as failed with
    /// `error_code`; how many.
    fn fail_streaming_before(&self, cutoff: Millis, error_code: &str) -> Result<usize>;
}
