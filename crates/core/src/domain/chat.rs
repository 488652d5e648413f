//! The chat area's records, as the UI sends and gets them over HTTP and IPC alike and as the
//! store keeps them, and its values that are valid once built (a workspace's name, top-k, a
//! message's role and status).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Error, ErrorBody, ErrorCode, Result};

/// A workspace's name: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Parses a name as typed.
    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_CHARS {
            return Err(Error::invalid(
                ErrorCode::InvalidName,
                "A workspace name must be 1 to 100 characters long.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name of the workspace every account has.
    pub fn personal() -> Self {
        Self(PERSONAL.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of every account's first workspace.
pub const PERSONAL: &str = "Personal";

/// How many document chunks an answer retrieves: 1 to 50.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopK(u32);

impl TopK {
    /// What a new workspace retrieves.
    pub const DEFAULT: Self = Self(5);

    /// Parses a number of chunks.
    pub fn parse(raw: u32) -> Result<Self> {
        if !(1..=50).contains(&raw) {
            return Err(Error::invalid(
                ErrorCode::InvalidTopK,
                "top_k must be between 1 and 50 document chunks.",
            ));
        }
        Ok(Self(raw))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// The person asking.
    User,
    /// The model answering.
    Assistant,
}

impl Role {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }

    /// Reads a stored role.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            other => Err(Error::internal(anyhow::anyhow!("a stored role {other:?}"))),
        }
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MessageStatus {
    /// Written whole.
    Complete,
    /// Being written now.
    Streaming,
    /// Stopped by the person; what was written is kept.
    Stopped,
    /// Failed; what was written is kept, with the error's code.
    Failed,
}

impl MessageStatus {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Streaming => "streaming",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored status.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "complete" => Ok(Self::Complete),
            "streaming" => Ok(Self::Streaming),
            "stopped" => Ok(Self::Stopped),
            "failed" => Ok(Self::Failed),
            other => Err(Error::internal(anyhow::anyhow!(
                "a stored status {other:?}"
            ))),
        }
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A workspace: a user's own place for conversations, with its settings for answers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    /// Its id.
    pub id: Uuid,
    /// 1 to 100 characters.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Instructions given to the model before every question.
    pub system_prompt: String,
    /// The retrieval collection to search, if not the default.
    pub collection: Option<String>,
    /// How many document chunks to retrieve (1 to 50).
    pub top_k: u32,
    /// The model to use, if not the default.
    pub model: Option<String>,
    /// Whether people with the owner's email domain may read its conversations.
    pub shared_with_domain: bool,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// A new workspace.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWorkspace {
    /// 1 to 100 characters.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Instructions for the model.
    pub system_prompt: Option<String>,
    /// Retrieval collection.
    pub collection: Option<String>,
    /// Chunks to retrieve (1 to 50) [default: 5].
    pub top_k: Option<u32>,
    /// Model override.
    pub model: Option<String>,
    /// Share with my email domain [default: false].
    pub shared_with_domain: Option<bool>,
}

/// Changes to a workspace; absent fields stay as they are, an empty `collection` or `model`
/// goes back to the default.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspacePatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New system prompt.
    pub system_prompt: Option<String>,
    /// New collection ("" for the default).
    pub collection: Option<String>,
    /// New top-k.
    pub top_k: Option<u32>,
    /// New model ("" for the default).
    pub model: Option<String>,
    /// Share with my domain or not.
    pub shared_with_domain: Option<bool>,
}

/// A conversation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    /// Its id.
    pub id: Uuid,
    /// The workspace it is in.
    pub workspace_id: Uuid,
    /// Who owns it.
    pub user_id: Uuid,
    /// Its title (from the first question unless renamed).
    pub title: String,
    /// The first question asked in it.
    pub first_query: Option<String>,
    /// Temporary: never in history; deleted with the session that made it.
    pub temporary: bool,
    /// Whether the caller may only read it (shared by someone of the same domain).
    pub read_only: bool,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// A new conversation.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewConversation {
    /// Its title [default: "New conversation", then the first question].
    pub title: Option<String>,
    /// Temporary [default: false].
    pub temporary: Option<bool>,
}

/// Changes to a conversation.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConversationPatch {
    /// New title (1 to 200 characters).
    pub title: Option<String>,
}

/// A source an answer cites, as the document chunk was when the answer was written.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citation {
    /// The number the answer uses, `[index]`.
    pub index: u32,
    /// The retrieval API's id of the chunk.
    pub chunk_id: String,
    /// Where the chunk comes from (a file, a system).
    pub source: String,
    /// The document's title.
    pub title: Option<String>,
    /// A link to the document.
    pub url: Option<String>,
    /// The page in the document.
    pub page: Option<u32>,
    /// The chunk's text.
    pub snippet: String,
    /// The workspace's own document the passage comes from (it may have been deleted since:
    /// the citation keeps the passage as it was); `null` for the retrieval API's chunks.
    #[serde(default)]
    pub document_id: Option<Uuid>,
}

/// A message in a conversation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Its id.
    pub id: Uuid,
    /// Who wrote it.
    pub role: Role,
    /// The text (an answer may be partial when stopped or failed).
    pub content: String,
    /// The sources an answer cites.
    pub citations: Vec<Citation>,
    /// Where it stands.
    pub status: MessageStatus,
    /// Why an answer failed, as an error code.
    pub error_code: Option<String>,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// A conversation's messages, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatHistory {
    /// The conversation, if there is one yet.
    pub conversation_id: Option<Uuid>,
    /// Its messages.
    pub messages: Vec<Message>,
}

/// A question.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SendMessage {
    /// The question (1 to 8,000 characters).
    pub message: String,
    /// The conversation to continue; without it a new one is made.
    pub conversation_id: Option<Uuid>,
    /// Where a new conversation goes [default: the user's Personal workspace].
    pub workspace_id: Option<Uuid>,
}

/// A finished answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatAnswer {
    /// The conversation.
    pub conversation_id: Uuid,
    /// The answer's message id.
    pub message_id: Uuid,
    /// The answer's text.
    pub answer: String,
    /// Its sources.
    pub citations: Vec<Citation>,
    /// `complete` or `stopped`.
    pub status: MessageStatus,
    /// Said when the answer could not use documents (no retrieval configured, or it failed
    /// and is not required).
    pub notice: Option<String>,
}

/// What a streamed answer sends, in order: `delta`s, then `citations`, then `done`; or `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatEvent {
    /// More text.
    Delta {
        /// The new text.
        text: String,
    },
    /// The answer's sources.
    Citations(Vec<Citation>),
    /// The answer is stored.
    Done {
        /// The conversation.
        conversation_id: Uuid,
        /// The answer's message id.
        message_id: Uuid,
        /// `complete` or `stopped`.
        status: MessageStatus,
        /// As in [`ChatAnswer::notice`].
        notice: Option<String>,
    },
    /// The answer failed.
    Error(ErrorBody),
}

impl ChatEvent {
    /// The event's name (the SSE `event:` field).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Delta { .. } => "delta",
            Self::Citations(_) => "citations",
            Self::Done { .. } => "done",
            Self::Error(_) => "error",
        }
    }

    /// The event's data as JSON (the SSE `data:` field).
    pub fn data(&self) -> serde_json::Value {
        match self {
            Self::Delta { text } => serde_json::json!({ "text": text }),
            Self::Citations(citations) => serde_json::json!(citations),
            Self::Done {
                conversation_id,
                message_id,
                status,
                notice,
            } => serde_json::json!({
                "conversation_id": conversation_id,
                "message_id": message_id,
                "status": status,
                "notice": notice,
            }),
            Self::Error(body) => serde_json::json!(body),
        }
    }
}

/// Which conversations a history search covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum HistoryScope {
    /// The caller's own.
    #[default]
    Mine,
    /// Those shared by people with the caller's email domain.
    Domain,
}

/// A history search.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HistoryQuery {
    /// `mine` or `domain`.
    pub scope: Option<HistoryScope>,
    /// Words to find in titles and messages.
    pub q: Option<String>,
    /// Only conversations updated at or after this (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>), schema(value_type = Option<String>))]
    pub from: Option<OffsetDateTime>,
    /// Only conversations updated before this (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<String>), schema(value_type = Option<String>))]
    pub to: Option<OffsetDateTime>,
    /// Only this workspace.
    pub workspace_id: Option<Uuid>,
    /// At most this many (1 to 200) [default: 50].
    #[cfg_attr(feature = "openapi", param(format = Int64, maximum = 4_294_967_295_f64), schema(format = Int64, maximum = 4_294_967_295_f64))]
    pub limit: Option<u32>,
    /// Skip this many.
    #[cfg_attr(feature = "openapi", param(format = Int64, maximum = 4_294_967_295_f64), schema(format = Int64, maximum = 4_294_967_295_f64))]
    pub offset: Option<u32>,
}

/// A conversation in a history listing.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// The conversation.
    pub conversation_id: Uuid,
    /// Its workspace.
    pub workspace_id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// Its title.
    pub title: String,
    /// Its first question.
    pub first_query: Option<String>,
    /// When it was made.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
}

/// How to export a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ExportFormat {
    /// Markdown with numbered sources.
    #[default]
    Md,
    /// JSON: the conversation and its messages with citations.
    Json,
}

/// An exported conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    /// Its media type.
    pub content_type: &'static str,
    /// A file name for it.
    pub file_name: String,
    /// Its contents.
    pub body: String,
}
