//! Workspaces, conversations and chat: a question goes to the retrieval API and the LLM, the
//! answer streams back, and it is stored with the sources it cites.
//!
//! Access: a user's own workspaces and conversations; a conversation in a workspace its owner
//! shares with their email domain can be read, never written, by people of that domain. Only
//! proven addresses are members of a domain, on either side: an unproven account neither sees
//! what its domain shares nor shares anything with it. Anything else is "not found", never
//! "forbidden", so ids reveal nothing.

mod citations;
mod llm;
mod prompt;
pub mod remote;
mod retrieval;
pub mod types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, Transaction};
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::clock::{duration_millis, from_millis, to_millis, Clock};
use crate::config::ChatSettings;
use crate::error::{Error, Result};
use crate::store::Store;
pub use remote::{
    AppStatus, Connectivity, RemoteSettings, RemoteSettingsUpdate, RemoteStatus, SessionStorage,
    SettingsView,
};
use retrieval::Chunk;
use types::*;

/// Longest question accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8_000;
/// A message still `streaming` after this long was cut off (a crash); cleanup marks it failed.
const STALE_STREAMING: Duration = Duration::from_secs(15 * 60);
const PERSONAL: &str = "Personal";

/// Workspaces, conversations and chat.
#[derive(Debug)]
pub struct ChatService {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    /// Swapped whole when the person changes them in Settings; a running answer keeps the
    /// snapshot it started with.
    settings: std::sync::RwLock<Arc<ChatSettings>>,
    http: reqwest::Client,
    running: Mutex<HashMap<Uuid, watch::Sender<bool>>>,
}

/// Creates the Personal workspace of a new account, in the caller's transaction.
pub(crate) fn create_personal_workspace(
    tx: &Transaction<'_>,
    user_id: &str,
    now: i64,
) -> Result<String> {
    let id = Uuid::new_v4().to_string();
    tx.execute(
        "INSERT INTO workspaces (id, owner_id, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        rusqlite::params![id, user_id, PERSONAL, now],
    )?;
    Ok(id)
}

/// The workspace new conversations go to by default: Personal (made again if deleted).
fn default_workspace(tx: &Transaction<'_>, user_id: &str, now: i64) -> Result<String> {
    let found: Option<String> = tx
        .query_row(
            "SELECT id FROM workspaces WHERE owner_id = ?1 ORDER BY name <> ?2, created_at LIMIT 1",
            rusqlite::params![user_id, PERSONAL],
            |row| row.get(0),
        )
        .optional()?;
    match found {
        Some(id) => Ok(id),
        None => create_personal_workspace(tx, user_id, now),
    }
}

fn uuid(raw: String) -> Result<Uuid> {
    Uuid::parse_str(&raw).map_err(Error::internal)
}

const WORKSPACE_COLUMNS: &str = "id, name, description, system_prompt, collection, top_k, model, shared_with_domain, created_at, updated_at";

fn workspace_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Workspace)> {
    let id: String = row.get(0)?;
    Ok((
        id,
        Workspace {
            id: Uuid::nil(),
            name: row.get(1)?,
            description: row.get(2)?,
            system_prompt: row.get(3)?,
            collection: row.get(4)?,
            top_k: row.get(5)?,
            model: row.get(6)?,
            shared_with_domain: row.get(7)?,
            created_at: from_millis(row.get(8)?),
            updated_at: from_millis(row.get(9)?),
        },
    ))
}

fn finish_workspace((id, mut workspace): (String, Workspace)) -> Result<Workspace> {
    workspace.id = uuid(id)?;
    Ok(workspace)
}

fn own_workspace(conn: &Connection, user_id: &str, id: Uuid) -> Result<Workspace> {
    conn.query_row(
        &format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?1 AND owner_id = ?2"),
        rusqlite::params![id.to_string(), user_id],
        workspace_row,
    )
    .optional()?
    .map(finish_workspace)
    .transpose()?
    .ok_or(Error::NotFound { what: "Workspace" })
}

/// Checked, trimmed workspace fields.
struct WorkspaceFields {
    name: String,
    description: String,
    system_prompt: String,
    collection: Option<String>,
    top_k: u32,
    model: Option<String>,
    shared_with_domain: bool,
}

fn check_length(value: &str, max: usize, code: &'static str, what: &str) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid(
            code,
            format!("The {what} can be at most {max} characters long."),
        ));
    }
    Ok(())
}

impl WorkspaceFields {
    fn checked(self) -> Result<Self> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::invalid(
                "invalid_name",
                "A workspace name must be 1 to 100 characters long.",
            ));
        }
        check_length(
            &self.description,
            2_000,
            "description_too_long",
            "description",
        )?;
        check_length(
            &self.system_prompt,
            20_000,
            "system_prompt_too_long",
            "system prompt",
        )?;
        if !(1..=50).contains(&self.top_k) {
            return Err(Error::invalid(
                "invalid_top_k",
                "top_k must be between 1 and 50 document chunks.",
            ));
        }
        let optional = |value: Option<String>, what: &str| -> Result<Option<String>> {
            let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            if let Some(v) = &value {
                check_length(v, 200, "value_too_long", what)?;
            }
            Ok(value)
        };
        Ok(Self {
            name,
            description: self.description,
            system_prompt: self.system_prompt,
            collection: optional(self.collection, "collection")?,
            top_k: self.top_k,
            model: optional(self.model, "model name")?,
            shared_with_domain: self.shared_with_domain,
        })
    }
}

/// How the caller may use a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Owner,
    ReadOnly,
}

struct ConversationRow {
    conversation: Conversation,
    id: String,
}

/// The conversation if the caller may see it: their own (a temporary one only from the session
/// that made it), or one shared with their domain (read-only). Otherwise not found.
fn visible_conversation(
    conn: &Connection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(ConversationRow, Access)> {
    let found = conn
        .query_row(
            "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.temporary, c.session_id,
                    c.created_at, c.updated_at, w.shared_with_domain, u.email, u.email_verified_at IS NOT NULL
             FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
             WHERE c.id = ?1",
            [id.to_string()],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, bool>(5)?,
                    row.get::<_, Option<i64>>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                    row.get::<_, bool>(9)?,
                    row.get::<_, String>(10)?,
                    row.get::<_, bool>(11)?,
                ))
            },
        )
        .optional()?;
    let Some((
        cid,
        workspace_id,
        owner,
        title,
        first_query,
        temporary,
        session_id,
        created,
        updated,
        shared,
        email,
        owner_proven,
    )) = found
    else {
        return Err(Error::NotFound {
            what: "Conversation",
        });
    };
    let mine = owner == user.user_id.to_string();
    let access = if mine && (!temporary || session_id == Some(user.session_id)) {
        Access::Owner
    } else if !mine
        && shared
        && !temporary
        && user.email_verified
        && owner_proven
        && email.rsplit('@').next() == Some(user.domain.as_str())
    {
        Access::ReadOnly
    } else {
        return Err(Error::NotFound {
            what: "Conversation",
        });
    };
    Ok((
        ConversationRow {
            conversation: Conversation {
                id: uuid(cid.clone())?,
                workspace_id: uuid(workspace_id)?,
                user_id: uuid(owner)?,
                title,
                first_query,
                temporary,
                read_only: access == Access::ReadOnly,
                created_at: from_millis(created),
                updated_at: from_millis(updated),
            },
            id: cid,
        },
        access,
    ))
}

fn writable_conversation(
    conn: &Connection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<ConversationRow> {
    match visible_conversation(conn, user, id)? {
        (row, Access::Owner) => Ok(row),
        (_, Access::ReadOnly) => Err(Error::Forbidden {
            code: "read_only",
            message: "This conversation is shared with you to read. Start your own conversation to ask questions.".to_owned(),
        }),
    }
}

/// The caller's most recent conversation (a temporary one only from this session).
fn latest_conversation(conn: &Connection, user: &CurrentUser) -> Result<Option<Uuid>> {
    conn.query_row(
        "SELECT id FROM conversations WHERE user_id = ?1 AND (temporary = 0 OR session_id = ?2)
         ORDER BY updated_at DESC LIMIT 1",
        rusqlite::params![user.user_id.to_string(), user.session_id],
        |row| row.get::<_, String>(0),
    )
    .optional()?
    .map(uuid)
    .transpose()
}

fn load_messages(conn: &Connection, conversation_id: &str) -> Result<Vec<Message>> {
    let mut citations: HashMap<String, Vec<Citation>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT c.message_id, c.idx, c.chunk_id, c.source, c.title, c.url, c.page, c.snippet
         FROM citations c JOIN messages m ON m.id = c.message_id
         WHERE m.conversation_id = ?1 ORDER BY c.message_id, c.idx",
    )?;
    let rows = stmt.query_map([conversation_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            Citation {
                index: row.get(1)?,
                chunk_id: row.get(2)?,
                source: row.get(3)?,
                title: row.get(4)?,
                url: row.get(5)?,
                page: row.get(6)?,
                snippet: row.get(7)?,
            },
        ))
    })?;
    for row in rows {
        let (message_id, citation) = row?;
        citations.entry(message_id).or_default().push(citation);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, role, content, status, error_code, created_at FROM messages
         WHERE conversation_id = ?1 ORDER BY created_at, rowid",
    )?;
    let rows = stmt.query_map([conversation_id], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, Option<String>>(4)?,
            row.get::<_, i64>(5)?,
        ))
    })?;
    let mut messages = Vec::new();
    for row in rows {
        let (id, role, content, status, error_code, created_at) = row?;
        messages.push(Message {
            citations: citations.remove(&id).unwrap_or_default(),
            id: uuid(id)?,
            role,
            content,
            status,
            error_code,
            created_at: from_millis(created_at),
        });
    }
    Ok(messages)
}

/// A conversation title as given: trimmed, 1 to 200 characters.
fn checked_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::invalid(
            "invalid_title",
            "A conversation title must be 1 to 200 characters long.",
        ));
    }
    Ok(title.to_owned())
}

/// A title from a first question: its first 60 characters, cut at a word.
fn title_from(question: &str) -> String {
    let words: Vec<&str> = question.split_whitespace().collect();
    let flat = words.join(" ");
    if flat.chars().count() <= 60 {
        return flat;
    }
    let cut: String = flat.chars().take(60).collect();
    let at_word = cut
        .rfind(' ')
        .filter(|i| *i > 20)
        .map_or(cut.as_str(), |i| &cut[..i]);
    format!("{at_word}…")
}

/// Words for an FTS5 query, each quoted (so no syntax leaks in) and matched as a prefix.
fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(16)
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// A question whose messages are stored and whose answer is about to be generated.
pub struct PreparedChat {
    chat: Arc<ChatService>,
    conversation_id: Uuid,
    message_id: Uuid,
    question: String,
    system_prompt: String,
    collection: Option<String>,
    top_k: u32,
    model: String,
    turns: Vec<(String, String)>,
    stop: watch::Receiver<bool>,
}

impl std::fmt::Debug for PreparedChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedChat")
            .field("conversation_id", &self.conversation_id)
            .field("message_id", &self.message_id)
            .finish_non_exhaustive()
    }
}

impl PreparedChat {
    /// The conversation the answer goes to.
    pub fn conversation_id(&self) -> Uuid {
        self.conversation_id
    }

    /// The answer's message id (for [`ChatService::stop`]).
    pub fn message_id(&self) -> Uuid {
        self.message_id
    }

    /// Generates the answer, sending events to `events` when given (closing it stops the
    /// answer, keeping what was written). The answer is stored whatever happens.
    pub async fn run(mut self, events: Option<mpsc::Sender<ChatEvent>>) -> Result<ChatAnswer> {
        let chat = self.chat.clone();
        let message_id = self.message_id;
        let result = self.generate(events.as_ref()).await;
        chat.running
            .lock()
            .expect("running lock")
            .remove(&message_id);
        match result {
            Ok(answer) => {
                if let Some(events) = &events {
                    let _ = events
                        .send(ChatEvent::Citations(answer.citations.clone()))
                        .await;
                    let _ = events
                        .send(ChatEvent::Done {
                            conversation_id: answer.conversation_id,
                            message_id: answer.message_id,
                            status: answer.status.clone(),
                            notice: answer.notice.clone(),
                        })
                        .await;
                }
                Ok(answer)
            }
            Err(err) => {
                if let Some(events) = &events {
                    let _ = events.send(ChatEvent::Error(err.body())).await;
                }
                Err(err)
            }
        }
    }

    async fn generate(&mut self, events: Option<&mpsc::Sender<ChatEvent>>) -> Result<ChatAnswer> {
        let chat = self.chat.clone();
        let settings = &*chat.current_settings();
        let mut notice = None;
        let chunks: Vec<Chunk> = match &settings.retrieval_url {
            None => {
                notice = Some("No document search is configured, so this answer comes from the model alone, without sources.".to_owned());
                Vec::new()
            }
            Some(url) => match retrieval::retrieve(
                &chat.http,
                settings,
                url,
                &self.question,
                self.top_k,
                self.collection.as_deref(),
            )
            .await
            {
                Ok(chunks) => chunks,
                Err(err) if settings.retrieval_required => {
                    chat.finish(self.message_id, "", "failed", Some(err.code()), &[])
                        .await?;
                    return Err(err);
                }
                Err(err) => {
                    tracing::warn!(
                        code = err.code(),
                        "retrieval failed; answering without documents"
                    );
                    notice = Some("The document search failed, so this answer comes from the model alone, without sources.".to_owned());
                    Vec::new()
                }
            },
        };
        let prompt = prompt::build(&self.system_prompt, &chunks, &self.turns, &self.question);
        let (pieces, mut incoming) = mpsc::channel::<String>(64);
        let task = {
            let (http, settings, model) = (chat.http.clone(), settings.clone(), self.model.clone());
            tokio::spawn(async move {
                llm::stream_completion(&http, &settings, &model, &prompt, pieces).await
            })
        };
        let mut answer = String::new();
        let mut stopped = false;
        loop {
            tokio::select! {
                changed = self.stop.changed() => {
                    if changed.is_ok() && *self.stop.borrow() {
                        stopped = true;
                        break;
                    }
                }
                piece = incoming.recv() => match piece {
                    Some(text) => {
                        answer.push_str(&text);
                        if let Some(events) = events {
                            if events.send(ChatEvent::Delta { text }).await.is_err() {
                                stopped = true; // the listener went away
                                break;
                            }
                        }
                    }
                    None => break,
                },
            }
        }
        let outcome = if stopped {
            task.abort(); // dropping the response closes the connection to the LLM
            Ok(())
        } else {
            task.await.map_err(Error::internal)?
        };
        if let Err(err) = outcome {
            chat.finish(self.message_id, &answer, "failed", Some(err.code()), &[])
                .await?;
            return Err(err);
        }
        let citations: Vec<Citation> = citations::cited_numbers(&answer, chunks.len())
            .into_iter()
            .map(|number| {
                let chunk = &chunks[number - 1];
                Citation {
                    index: number as u32,
                    chunk_id: chunk.id.clone(),
                    source: chunk.source.clone(),
                    title: chunk.title.clone(),
                    url: chunk.url.clone(),
                    page: chunk.page,
                    snippet: chunk.text.clone(),
                }
            })
            .collect();
        let status = if stopped { "stopped" } else { "complete" };
        chat.finish(self.message_id, &answer, status, None, &citations)
            .await?;
        Ok(ChatAnswer {
            conversation_id: self.conversation_id,
            message_id: self.message_id,
            answer,
            citations,
            status: status.to_owned(),
            notice,
        })
    }
}

impl ChatService {
    pub(crate) fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        settings: ChatSettings,
    ) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("Docent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(Self {
            store,
            clock,
            settings: std::sync::RwLock::new(Arc::new(settings)),
            http,
            running: Mutex::new(HashMap::new()),
        })
    }

    fn now(&self) -> i64 {
        to_millis(self.clock.now())
    }

    /// Whether an LLM is configured, so questions can be answered.
    pub fn llm_configured(&self) -> bool {
        self.current_settings().llm_configured
    }

    fn current_settings(&self) -> Arc<ChatSettings> {
        self.settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The remote services' settings, without their secrets.
    pub fn remote_settings(&self) -> RemoteSettings {
        RemoteSettings::of(&self.current_settings())
    }

    /// Changes the remote services' settings for the questions that follow. Nothing changes
    /// when any part of `update` is invalid.
    /// `persist` keeps them first; if it fails, nothing changes.
    pub(crate) fn update_remote_settings(
        &self,
        update: &RemoteSettingsUpdate,
        persist: impl FnOnce(&ChatSettings) -> Result<()>,
    ) -> Result<RemoteSettings> {
        let mut settings = self
            .settings
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let next = update.apply_to(&settings)?;
        persist(&next)?;
        let view = RemoteSettings::of(&next);
        *settings = Arc::new(next);
        Ok(view)
    }

    /// Whether the LLM and the retrieval API can be reached right now.
    pub async fn connectivity(&self) -> Connectivity {
        Connectivity::check(&self.current_settings()).await
    }

    // ---- workspaces ----------------------------------------------------------------------

    /// The caller's workspaces, oldest first (Personal is made again if none is left).
    pub async fn list_workspaces(&self, user: &CurrentUser) -> Result<Vec<Workspace>> {
        let user_id = user.user_id.to_string();
        let now = self.now();
        self.store
            .write(move |tx| {
                default_workspace(tx, &user_id, now)?;
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE owner_id = ?1 ORDER BY created_at, rowid"
                ))?;
                let rows = stmt.query_map([&user_id], workspace_row)?;
                rows.map(|row| finish_workspace(row?)).collect()
            })
            .await
    }

    /// Makes a workspace.
    pub async fn create_workspace(
        &self,
        user: &CurrentUser,
        new: NewWorkspace,
    ) -> Result<Workspace> {
        let fields = WorkspaceFields {
            name: new.name,
            description: new.description.unwrap_or_default(),
            system_prompt: new.system_prompt.unwrap_or_default(),
            collection: new.collection,
            top_k: new.top_k.unwrap_or(5),
            model: new.model,
            shared_with_domain: new.shared_with_domain.unwrap_or(false),
        }
        .checked()?;
        let id = Uuid::new_v4();
        let user_id = user.user_id.to_string();
        let now = self.now();
        self.store
            .write(move |tx| {
                tx.execute(
                    "INSERT INTO workspaces (id, owner_id, name, description, system_prompt, collection, top_k, model,
                                             shared_with_domain, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                    rusqlite::params![
                        id.to_string(), user_id, fields.name, fields.description, fields.system_prompt,
                        fields.collection, fields.top_k, fields.model, fields.shared_with_domain, now
                    ],
                )?;
                own_workspace(tx, &user_id, id)
            })
            .await
    }

    /// One of the caller's workspaces.
    pub async fn get_workspace(&self, user: &CurrentUser, id: Uuid) -> Result<Workspace> {
        let user_id = user.user_id.to_string();
        self.store
            .call(move |conn| own_workspace(conn, &user_id, id))
            .await
    }

    /// Changes a workspace.
    pub async fn update_workspace(
        &self,
        user: &CurrentUser,
        id: Uuid,
        patch: WorkspacePatch,
    ) -> Result<Workspace> {
        let user_id = user.user_id.to_string();
        let now = self.now();
        self.store
            .write(move |tx| {
                let current = own_workspace(tx, &user_id, id)?;
                let fields = WorkspaceFields {
                    name: patch.name.unwrap_or(current.name),
                    description: patch.description.unwrap_or(current.description),
                    system_prompt: patch.system_prompt.unwrap_or(current.system_prompt),
                    collection: patch.collection.or(current.collection),
                    top_k: patch.top_k.unwrap_or(current.top_k),
                    model: patch.model.or(current.model),
                    shared_with_domain: patch.shared_with_domain.unwrap_or(current.shared_with_domain),
                }
                .checked()?;
                tx.execute(
                    "UPDATE workspaces SET name = ?1, description = ?2, system_prompt = ?3, collection = ?4,
                            top_k = ?5, model = ?6, shared_with_domain = ?7, updated_at = ?8
                     WHERE id = ?9",
                    rusqlite::params![
                        fields.name, fields.description, fields.system_prompt, fields.collection,
                        fields.top_k, fields.model, fields.shared_with_domain, now, id.to_string()
                    ],
                )?;
                own_workspace(tx, &user_id, id)
            })
            .await
    }

    /// Deletes a workspace and its conversations.
    pub async fn delete_workspace(&self, user: &CurrentUser, id: Uuid) -> Result<()> {
        let user_id = user.user_id.to_string();
        self.store
            .write(move |tx| {
                let deleted = tx.execute(
                    "DELETE FROM workspaces WHERE id = ?1 AND owner_id = ?2",
                    rusqlite::params![id.to_string(), user_id],
                )?;
                if deleted == 0 {
                    return Err(Error::NotFound { what: "Workspace" });
                }
                Ok(())
            })
            .await
    }

    // ---- conversations -------------------------------------------------------------------

    /// The conversations in one of the caller's workspaces, newest first (temporary ones only
    /// from this session).
    pub async fn list_conversations(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
    ) -> Result<Vec<Conversation>> {
        let user = user.clone();
        self.store
            .call(move |conn| {
                let user_id = user.user_id.to_string();
                own_workspace(conn, &user_id, workspace_id)?;
                let mut stmt = conn.prepare_cached(
                    "SELECT id, title, first_query, temporary, created_at, updated_at FROM conversations
                     WHERE workspace_id = ?1 AND user_id = ?2 AND (temporary = 0 OR session_id = ?3)
                     ORDER BY updated_at DESC, rowid DESC",
                )?;
                let rows = stmt.query_map(
                    rusqlite::params![workspace_id.to_string(), user_id, user.session_id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Option<String>>(2)?,
                            row.get::<_, bool>(3)?,
                            row.get::<_, i64>(4)?,
                            row.get::<_, i64>(5)?,
                        ))
                    },
                )?;
                rows.map(|row| {
                    let (id, title, first_query, temporary, created, updated) = row?;
                    Ok(Conversation {
                        id: uuid(id)?,
                        workspace_id,
                        user_id: user.user_id,
                        title,
                        first_query,
                        temporary,
                        read_only: false,
                        created_at: from_millis(created),
                        updated_at: from_millis(updated),
                    })
                })
                .collect()
            })
            .await
    }

    /// Makes a conversation in one of the caller's workspaces.
    pub async fn create_conversation(
        &self,
        user: &CurrentUser,
        workspace_id: Uuid,
        new: NewConversation,
    ) -> Result<Conversation> {
        let title = match new.title {
            Some(title) => checked_title(&title)?,
            None => "New conversation".to_owned(),
        };
        let temporary = new.temporary.unwrap_or(false);
        let user = user.clone();
        let now = self.now();
        self.store
            .write(move |tx| {
                own_workspace(tx, &user.user_id.to_string(), workspace_id)?;
                let id = Uuid::new_v4();
                insert_conversation(
                    tx,
                    &user,
                    id,
                    &workspace_id.to_string(),
                    &title,
                    None,
                    temporary,
                    now,
                )?;
                Ok(visible_conversation(tx, &user, id)?.0.conversation)
            })
            .await
    }

    /// A conversation the caller may see (`read_only` when shared with them).
    pub async fn get_conversation(&self, user: &CurrentUser, id: Uuid) -> Result<Conversation> {
        let user = user.clone();
        self.store
            .call(move |conn| Ok(visible_conversation(conn, &user, id)?.0.conversation))
            .await
    }

    /// Renames a conversation.
    pub async fn update_conversation(
        &self,
        user: &CurrentUser,
        id: Uuid,
        patch: ConversationPatch,
    ) -> Result<Conversation> {
        let user = user.clone();
        let now = self.now();
        self.store
            .write(move |tx| {
                let row = writable_conversation(tx, &user, id)?;
                if let Some(title) = patch.title {
                    let title = checked_title(&title)?;
                    tx.execute(
                        "UPDATE conversations SET title = ?1, updated_at = ?2 WHERE id = ?3",
                        rusqlite::params![title, now, row.id],
                    )?;
                }
                Ok(visible_conversation(tx, &user, id)?.0.conversation)
            })
            .await
    }

    /// Deletes a conversation and its messages.
    pub async fn delete_conversation(&self, user: &CurrentUser, id: Uuid) -> Result<()> {
        let user = user.clone();
        self.store
            .write(move |tx| {
                let row = writable_conversation(tx, &user, id)?;
                tx.execute("DELETE FROM conversations WHERE id = ?1", [row.id])?;
                Ok(())
            })
            .await
    }

    /// A conversation with its messages and sources, as Markdown or JSON.
    pub async fn export_conversation(
        &self,
        user: &CurrentUser,
        id: Uuid,
        format: ExportFormat,
    ) -> Result<Export> {
        let user = user.clone();
        let (conversation, messages) = self
            .store
            .call(move |conn| {
                let (row, _) = visible_conversation(conn, &user, id)?;
                let messages = load_messages(conn, &row.id)?;
                Ok((row.conversation, messages))
            })
            .await?;
        let stem: String = conversation
            .title
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let stem = if stem.is_empty() {
            "conversation".to_owned()
        } else {
            stem
        };
        Ok(match format {
            ExportFormat::Json => Export {
                content_type: "application/json",
                file_name: format!("{stem}.json"),
                body: serde_json::to_string_pretty(&serde_json::json!({
                    "conversation": conversation,
                    "messages": messages,
                }))
                .map_err(Error::internal)?,
            },
            ExportFormat::Md => Export {
                content_type: "text/markdown; charset=utf-8",
                file_name: format!("{stem}.md"),
                body: markdown(&conversation, &messages),
            },
        })
    }

    // ---- messages ------------------------------------------------------------------------

    /// Stores a question (creating its conversation when needed) before anything remote is
    /// called, so a failure never loses it; [`PreparedChat::run`] then answers it.
    pub async fn prepare(
        self: &Arc<Self>,
        user: &CurrentUser,
        request: SendMessage,
    ) -> Result<PreparedChat> {
        let question = request.message.trim().to_owned();
        if question.is_empty() {
            return Err(Error::invalid("empty_message", "Type a question first."));
        }
        if question.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::invalid(
                "message_too_long",
                format!("A question can be at most {MAX_MESSAGE_CHARS} characters long."),
            ));
        }
        let settings = self.current_settings();
        if !settings.llm_configured {
            return Err(Error::Config {
                code: "llm_not_configured",
                message: "No language model is set up, so Docent cannot answer. Set DOCENT_LLM_API_KEY (OpenRouter, OpenAI) or DOCENT_LLM_BASE_URL (Ollama, vLLM, LM Studio), and DOCENT_LLM_MODEL.".to_owned(),
            });
        }
        let user = user.clone();
        let now = self.now();
        let message_id = Uuid::new_v4();
        let default_model = settings.llm_model.clone();
        let q = question.clone();
        let prepared = self
            .store
            .write(move |tx| {
                let user_id = user.user_id.to_string();
                let conversation = match request.conversation_id {
                    Some(id) => writable_conversation(tx, &user, id)?.id,
                    None => {
                        let workspace = match request.workspace_id {
                            Some(id) => own_workspace(tx, &user_id, id)?.id.to_string(),
                            None => default_workspace(tx, &user_id, now)?,
                        };
                        let id = Uuid::new_v4();
                        insert_conversation(tx, &user, id, &workspace, &title_from(&q), Some(&q), false, now)?;
                        id.to_string()
                    }
                };
                let (system_prompt, collection, top_k, model): (String, Option<String>, u32, Option<String>) = tx.query_row(
                    "SELECT w.system_prompt, w.collection, w.top_k, w.model FROM conversations c
                     JOIN workspaces w ON w.id = c.workspace_id WHERE c.id = ?1",
                    [&conversation],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )?;
                let turns: Vec<(String, String)> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT role, content FROM messages WHERE conversation_id = ?1
                         AND status IN ('complete', 'stopped') AND content <> ''
                         ORDER BY created_at DESC, rowid DESC LIMIT 40",
                    )?;
                    let mut turns = stmt
                        .query_map([&conversation], |row| Ok((row.get(0)?, row.get(1)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    turns.reverse();
                    turns
                };
                tx.execute(
                    "INSERT INTO messages (id, conversation_id, role, content, status, created_at)
                     VALUES (?1, ?2, 'user', ?3, 'complete', ?4)",
                    rusqlite::params![Uuid::new_v4().to_string(), conversation, q, now],
                )?;
                tx.execute(
                    "INSERT INTO messages (id, conversation_id, role, content, status, created_at)
                     VALUES (?1, ?2, 'assistant', '', 'streaming', ?3)",
                    rusqlite::params![message_id.to_string(), conversation, now + 1],
                )?;
                tx.execute(
                    "UPDATE conversations SET updated_at = ?1, first_query = coalesce(first_query, ?2) WHERE id = ?3",
                    rusqlite::params![now, q, conversation],
                )?;
                Ok((uuid(conversation)?, system_prompt, collection, top_k, model.unwrap_or(default_model), turns))
            })
            .await?;
        let (conversation_id, system_prompt, collection, top_k, model, turns) = prepared;
        let (stop_tx, stop) = watch::channel(false);
        self.running
            .lock()
            .expect("running lock")
            .insert(message_id, stop_tx);
        Ok(PreparedChat {
            chat: self.clone(),
            conversation_id,
            message_id,
            question,
            system_prompt,
            collection,
            top_k,
            model,
            turns,
            stop,
        })
    }

    /// Stops an answer being generated; what was written is kept and marked `stopped`.
    pub async fn stop(&self, user: &CurrentUser, message_id: Uuid) -> Result<()> {
        let user = user.clone();
        self.store
            .call(move |conn| {
                let conversation: Option<String> = conn
                    .query_row(
                        "SELECT conversation_id FROM messages WHERE id = ?1",
                        [message_id.to_string()],
                        |row| row.get(0),
                    )
                    .optional()?;
                let conversation = conversation.ok_or(Error::NotFound { what: "Message" })?;
                match visible_conversation(conn, &user, uuid(conversation)?) {
                    Ok((_, Access::Owner)) => Ok(()),
                    _ => Err(Error::NotFound { what: "Message" }),
                }
            })
            .await?;
        if let Some(stop) = self.running.lock().expect("running lock").get(&message_id) {
            let _ = stop.send(true);
        }
        Ok(())
    }

    /// A conversation's messages, oldest first; by default the caller's most recent one.
    pub async fn history(
        &self,
        user: &CurrentUser,
        conversation_id: Option<Uuid>,
    ) -> Result<ChatHistory> {
        let user = user.clone();
        self.store
            .call(move |conn| {
                let id = match conversation_id {
                    Some(id) => Some(id),
                    None => latest_conversation(conn, &user)?,
                };
                let Some(id) = id else {
                    return Ok(ChatHistory {
                        conversation_id: None,
                        messages: Vec::new(),
                    });
                };
                let (row, _) = visible_conversation(conn, &user, id)?;
                Ok(ChatHistory {
                    conversation_id: Some(id),
                    messages: load_messages(conn, &row.id)?,
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
                    None => match latest_conversation(tx, &user)? {
                        Some(id) => id,
                        None => return Ok(()),
                    },
                };
                let row = writable_conversation(tx, &user, id)?;
                tx.execute("DELETE FROM messages WHERE conversation_id = ?1", [&row.id])?;
                tx.execute(
                    "UPDATE conversations SET updated_at = ?1 WHERE id = ?2",
                    rusqlite::params![now, row.id],
                )?;
                Ok(())
            })
            .await
    }

    /// Searches conversation history, newest first.
    pub async fn search_history(
        &self,
        user: &CurrentUser,
        query: HistoryQuery,
    ) -> Result<Vec<HistoryEntry>> {
        let user = user.clone();
        self.store
            .call(move |conn| {
                let mut sql = String::from(
                    "SELECT c.id, c.workspace_id, c.user_id, c.title, c.first_query, c.created_at, c.updated_at
                     FROM conversations c JOIN workspaces w ON w.id = c.workspace_id JOIN users u ON u.id = c.user_id
                     WHERE c.temporary = 0",
                );
                let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
                match query.scope.unwrap_or_default() {
                    HistoryScope::Mine => {
                        params.push(Box::new(user.user_id.to_string()));
                        sql.push_str(&format!(" AND c.user_id = ?{}", params.len()));
                    }
                    // An unproven address is no member of its domain: it sees nothing shared.
                    HistoryScope::Domain if !user.email_verified => return Ok(Vec::new()),
                    HistoryScope::Domain => {
                        params.push(Box::new(user.domain.clone()));
                        sql.push_str(&format!(
                            " AND w.shared_with_domain = 1 AND u.email_verified_at IS NOT NULL
                              AND substr(u.email, instr(u.email, '@') + 1) = ?{}",
                            params.len()
                        ));
                    }
                }
                if let Some(workspace) = query.workspace_id {
                    params.push(Box::new(workspace.to_string()));
                    sql.push_str(&format!(" AND c.workspace_id = ?{}", params.len()));
                }
                if let Some(from) = query.from {
                    params.push(Box::new(to_millis(from)));
                    sql.push_str(&format!(" AND c.updated_at >= ?{}", params.len()));
                }
                if let Some(to) = query.to {
                    params.push(Box::new(to_millis(to)));
                    sql.push_str(&format!(" AND c.updated_at < ?{}", params.len()));
                }
                if let Some(terms) = query.q.as_deref().and_then(fts_query) {
                    params.push(Box::new(terms));
                    let n = params.len();
                    sql.push_str(&format!(
                        " AND (c.rowid IN (SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?{n})
                           OR c.id IN (SELECT m.conversation_id FROM messages m WHERE m.rowid IN
                                       (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?{n})))"
                    ));
                }
                params.push(Box::new(i64::from(query.limit.unwrap_or(50).clamp(1, 200))));
                params.push(Box::new(i64::from(query.offset.unwrap_or(0))));
                sql.push_str(&format!(
                    " ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?{} OFFSET ?{}",
                    params.len() - 1,
                    params.len()
                ));
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, i64>(5)?,
                        row.get::<_, i64>(6)?,
                    ))
                })?;
                rows.map(|row| {
                    let (id, workspace, owner, title, first_query, created, updated) = row?;
                    Ok(HistoryEntry {
                        conversation_id: uuid(id)?,
                        workspace_id: uuid(workspace)?,
                        user_id: uuid(owner)?,
                        title,
                        first_query,
                        created_at: from_millis(created),
                        updated_at: from_millis(updated),
                    })
                })
                .collect()
            })
            .await
    }

    /// Stores an answer's final text, status and citations.
    async fn finish(
        &self,
        message_id: Uuid,
        content: &str,
        status: &'static str,
        error_code: Option<&'static str>,
        citations: &[Citation],
    ) -> Result<()> {
        let content = content.to_owned();
        let citations = citations.to_vec();
        let now = self.now();
        self.store
            .write(move |tx| {
                let id = message_id.to_string();
                tx.execute(
                    "UPDATE messages SET content = ?1, status = ?2, error_code = ?3 WHERE id = ?4",
                    rusqlite::params![content, status, error_code, id],
                )?;
                for c in &citations {
                    tx.execute(
                        "INSERT INTO citations (message_id, idx, chunk_id, source, title, url, page, snippet)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                        rusqlite::params![id, c.index, c.chunk_id, c.source, c.title, c.url, c.page, c.snippet],
                    )?;
                }
                tx.execute(
                    "UPDATE conversations SET updated_at = ?1
                     WHERE id = (SELECT conversation_id FROM messages WHERE id = ?2)",
                    rusqlite::params![now, id],
                )?;
                Ok(())
            })
            .await
    }

    /// Marks answers left `streaming` by a crash as failed.
    pub(crate) fn fail_stale_answers(tx: &Transaction<'_>, now: i64) -> Result<usize> {
        Ok(tx.execute(
            "UPDATE messages SET status = 'failed', error_code = 'interrupted'
             WHERE status = 'streaming' AND created_at <= ?1",
            [now - duration_millis(STALE_STREAMING)],
        )?)
    }
}

#[allow(clippy::too_many_arguments)]
fn insert_conversation(
    tx: &Transaction<'_>,
    user: &CurrentUser,
    id: Uuid,
    workspace_id: &str,
    title: &str,
    first_query: Option<&str>,
    temporary: bool,
    now: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO conversations (id, workspace_id, user_id, title, first_query, session_id, temporary, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        rusqlite::params![
            id.to_string(),
            workspace_id,
            user.user_id.to_string(),
            title,
            first_query,
            temporary.then_some(user.session_id),
            temporary,
            now
        ],
    )?;
    Ok(())
}

fn markdown(conversation: &Conversation, messages: &[Message]) -> String {
    let mut out = format!("# {}\n\n", conversation.title);
    out.push_str(&format!(
        "Exported from Docent. Started {}.\n",
        conversation.created_at.date()
    ));
    for message in messages {
        let who = if message.role == "user" {
            "Question"
        } else {
            "Answer"
        };
        out.push_str(&format!("\n## {who}\n\n{}\n", message.content.trim()));
        if message.status != "complete" {
            out.push_str(&format!("\n_({})_\n", message.status));
        }
        if !message.citations.is_empty() {
            out.push_str("\nSources:\n\n");
            for c in &message.citations {
                let title = c.title.as_deref().unwrap_or(&c.source);
                let page = c.page.map(|p| format!(", page {p}")).unwrap_or_default();
                // Only web addresses become links: a stored `javascript:` URL stays out.
                let link = c
                    .url
                    .as_deref()
                    .filter(|u| retrieval::is_web_url(u))
                    .map(|u| format!(" <{u}>"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "{}. {title} ({}{page}){link}\n",
                    c.index, c.source
                ));
                let snippet: String = c.snippet.chars().take(400).collect();
                out.push_str(&format!("   > {}\n", snippet.replace('\n', " ")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_come_from_the_first_question() {
        assert_eq!(
            title_from("  What is   the retention policy? "),
            "What is the retention policy?"
        );
        let long =
            "How long do we keep personnel records after an employee leaves the company for good";
        let title = title_from(long);
        assert!(
            title.ends_with('…') && title.chars().count() <= 61,
            "{title}"
        );
        assert!(long.starts_with(title.trim_end_matches('…')));
    }

    #[test]
    fn search_words_are_quoted_prefixes() {
        assert_eq!(
            fts_query("retention \"policy\" OR*").unwrap(),
            "\"retention\"* \"policy\"* \"OR\"*"
        );
        assert_eq!(fts_query("  ;; "), None);
    }
}
