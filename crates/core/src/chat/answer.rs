//! Answering a question: it is stored before anything remote is called, so a failure never
//! loses it; then the retriever and the LLM are asked, the answer streams back, and it is
//! stored with the sources it cites, whatever happens (complete, stopped, or failed with the
//! error's code).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use super::conversations::{title_from, visible_conversation, writable_conversation, Access};
use super::retrieval::{fuse, retrievers_for, Chunk, RetrievalQuery};
use super::workspaces::{default_workspace, own_workspace};
use super::{citations, llm, prompt, ChatService, MAX_MESSAGE_CHARS};
use crate::clock::duration_millis;
use crate::domain::chat::{ChatAnswer, ChatEvent, Citation, MessageStatus, Role, SendMessage};
use crate::error::{Error, ErrorCode, Result};
use crate::store::conversations::NewConversationRecord;
use crate::store::messages::{FinishedAnswer, NewMessage};
use crate::store::{Millis, Tx};
use crate::user::CurrentUser;

/// A message still `streaming` after this long was cut off (a crash); cleanup marks it failed.
const STALE_STREAMING: Duration = Duration::from_secs(15 * 60);
/// How many earlier turns a prompt may draw from (the prompt keeps those that fit).
const RECENT_TURNS: usize = 40;

/// Marks answers left `streaming` by a crash as failed, in the caller's transaction.
pub(crate) fn fail_stale_answers(tx: &dyn Tx, now: Millis) -> Result<usize> {
    tx.messages()
        .fail_streaming_before(now - duration_millis(STALE_STREAMING), "interrupted")
}

/// A question whose messages are stored and whose answer is about to be generated.
pub struct PreparedChat {
    chat: Arc<ChatService>,
    conversation_id: Uuid,
    workspace_id: Uuid,
    has_documents: bool,
    message_id: Uuid,
    question: String,
    system_prompt: String,
    collection: Option<String>,
    top_k: u32,
    model: String,
    turns: Vec<(Role, String)>,
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
                            status: answer.status,
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

    /// Marks the answer failed with `err`'s code before anything was written, and gives `err`.
    async fn fail_before_answer(&self, err: Error) -> Result<ChatAnswer> {
        self.chat
            .finish(
                self.message_id,
                "",
                MessageStatus::Failed,
                Some(err.code()),
                &[],
            )
            .await?;
        Err(err)
    }

    async fn generate(&mut self, events: Option<&mpsc::Sender<ChatEvent>>) -> Result<ChatAnswer> {
        let chat = self.chat.clone();
        let settings = &*chat.current_settings();
        let mut notice = None;
        let retrievers = retrievers_for(
            settings,
            &chat.http,
            &chat.store,
            self.workspace_id,
            self.has_documents,
        );
        let query = RetrievalQuery {
            query: &self.question,
            top_k: self.top_k,
            collection: self.collection.as_deref(),
        };
        let remote_failed = |err: &Error| {
            tracing::warn!(
                code = err.code().as_str(),
                "retrieval failed; answering without its documents"
            );
        };
        let chunks: Vec<Chunk> = match (retrievers.local, retrievers.remote) {
            (None, None) => {
                notice = Some("No document search is configured and this workspace has no documents yet, so this answer comes from the model alone, without sources.".to_owned());
                Vec::new()
            }
            (Some(local), None) => match local.retrieve(query).await {
                Ok(chunks) => chunks,
                Err(err) => return self.fail_before_answer(err).await,
            },
            (local, Some(remote)) => {
                let (local_chunks, remote_chunks) = match &local {
                    Some(local) => {
                        let (l, r) = tokio::join!(local.retrieve(query), remote.retrieve(query));
                        (Some(l), r)
                    }
                    None => (None, remote.retrieve(query).await),
                };
                match (local_chunks, remote_chunks) {
                    (Some(Err(err)), _) => return self.fail_before_answer(err).await,
                    (Some(Ok(local)), Ok(remote)) => fuse(vec![local, remote], self.top_k as usize),
                    (Some(Ok(local)), Err(err)) => {
                        remote_failed(&err);
                        notice = Some("The document search service failed, so this answer uses only this workspace's own documents.".to_owned());
                        local
                    }
                    (None, Ok(remote)) => remote,
                    (None, Err(err)) if settings.retrieval_required => {
                        return self.fail_before_answer(err).await;
                    }
                    (None, Err(err)) => {
                        remote_failed(&err);
                        notice = Some("The document search failed, so this answer comes from the model alone, without sources.".to_owned());
                        Vec::new()
                    }
                }
            }
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
            chat.finish(
                self.message_id,
                &answer,
                MessageStatus::Failed,
                Some(err.code()),
                &[],
            )
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
                    document_id: chunk.document_id,
                }
            })
            .collect();
        let status = if stopped {
            MessageStatus::Stopped
        } else {
            MessageStatus::Complete
        };
        chat.finish(self.message_id, &answer, status, None, &citations)
            .await?;
        Ok(ChatAnswer {
            conversation_id: self.conversation_id,
            message_id: self.message_id,
            answer,
            citations,
            status,
            notice,
        })
    }
}

/// What a stored question's answer is made from.
struct Prepared {
    conversation_id: Uuid,
    workspace_id: Uuid,
    has_documents: bool,
    system_prompt: String,
    collection: Option<String>,
    top_k: u32,
    model: String,
    turns: Vec<(Role, String)>,
}

impl ChatService {
    /// Stores a question (creating its conversation when needed) before anything remote is
    /// called, so a failure never loses it; [`PreparedChat::run`] then answers it.
    pub async fn prepare(
        self: &Arc<Self>,
        user: &CurrentUser,
        request: SendMessage,
    ) -> Result<PreparedChat> {
        let question = request.message.trim().to_owned();
        if question.is_empty() {
            return Err(Error::invalid(
                ErrorCode::EmptyMessage,
                "Type a question first.",
            ));
        }
        if question.chars().count() > MAX_MESSAGE_CHARS {
            return Err(Error::invalid(
                ErrorCode::MessageTooLong,
                format!("A question can be at most {MAX_MESSAGE_CHARS} characters long."),
            ));
        }
        let settings = self.current_settings();
        if !settings.llm_configured {
            return Err(Error::Config {
                code: ErrorCode::LlmNotConfigured,
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
                let conversation_id = match request.conversation_id {
                    Some(id) => writable_conversation(tx, &user, id)?.id,
                    None => {
                        let workspace = match request.workspace_id {
                            Some(id) => own_workspace(tx, user.user_id, id)?.id,
                            None => default_workspace(tx, user.user_id, now)?,
                        };
                        let id = Uuid::new_v4();
                        tx.conversations().insert(&NewConversationRecord {
                            id,
                            workspace_id: workspace,
                            user_id: user.user_id,
                            title: &title_from(&q),
                            first_query: Some(&q),
                            temporary_for: None,
                            now,
                        })?;
                        id
                    }
                };
                let workspace = tx.conversations().answer_settings(conversation_id)?;
                let turns = tx.messages().recent_turns(conversation_id, RECENT_TURNS)?;
                tx.messages().insert(&NewMessage {
                    id: Uuid::new_v4(),
                    conversation_id,
                    role: Role::User,
                    content: &q,
                    status: MessageStatus::Complete,
                    now,
                })?;
                tx.messages().insert(&NewMessage {
                    id: message_id,
                    conversation_id,
                    role: Role::Assistant,
                    content: "",
                    status: MessageStatus::Streaming,
                    now: now + 1,
                })?;
                tx.conversations().note_question(conversation_id, &q, now)?;
                let has_documents = tx.documents().ready_count(workspace.workspace_id)? > 0;
                Ok(Prepared {
                    conversation_id,
                    workspace_id: workspace.workspace_id,
                    has_documents,
                    system_prompt: workspace.system_prompt,
                    collection: workspace.collection,
                    top_k: workspace.top_k.get(),
                    model: workspace.model.unwrap_or(default_model),
                    turns,
                })
            })
            .await?;
        let (stop_tx, stop) = watch::channel(false);
        self.running
            .lock()
            .expect("running lock")
            .insert(message_id, stop_tx);
        Ok(PreparedChat {
            chat: self.clone(),
            conversation_id: prepared.conversation_id,
            workspace_id: prepared.workspace_id,
            has_documents: prepared.has_documents,
            message_id,
            question,
            system_prompt: prepared.system_prompt,
            collection: prepared.collection,
            top_k: prepared.top_k,
            model: prepared.model,
            turns: prepared.turns,
            stop,
        })
    }

    /// Stops an answer being generated; what was written is kept and marked `stopped`.
    pub async fn stop(&self, user: &CurrentUser, message_id: Uuid) -> Result<()> {
        let user = user.clone();
        self.store
            .read(move |tx| {
                let conversation = tx
                    .messages()
                    .conversation_of(message_id)?
                    .ok_or(Error::NotFound { what: "Message" })?;
                match visible_conversation(tx, &user, conversation) {
                    Ok((_, Access::Owner)) => Ok(()),
                    _ => Err(Error::NotFound { what: "Message" }),
                }
            })
            .await?;
        if !self.stop_if_running(message_id) {
            // Another instance on the same database may be the one answering.
            self.store.announce_stop(message_id).await?;
        }
        Ok(())
    }

    /// Stops the answer if this process is generating it; whether it was.
    fn stop_if_running(&self, message_id: Uuid) -> bool {
        match self.running.lock().expect("running lock").get(&message_id) {
            Some(stop) => {
                let _ = stop.send(true);
                true
            }
            None => false,
        }
    }

    /// Stops the answers other processes on the database are asked to stop, for as long as
    /// this service lives.
    pub(crate) fn listen_for_stops(self: &Arc<Self>) {
        let Some(mut stops) = self.store.stops() else {
            return;
        };
        let chat = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match stops.recv().await {
                    Ok(message_id) => match chat.upgrade() {
                        Some(chat) => {
                            chat.stop_if_running(message_id);
                        }
                        None => break,
                    },
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }

    /// Stores an answer's final text, status and citations.
    async fn finish(
        &self,
        message_id: Uuid,
        content: &str,
        status: MessageStatus,
        error_code: Option<ErrorCode>,
        citations: &[Citation],
    ) -> Result<()> {
        let content = content.to_owned();
        let citations = citations.to_vec();
        let now = self.now();
        self.store
            .write(move |tx| {
                tx.messages().finish(&FinishedAnswer {
                    id: message_id,
                    content: &content,
                    status,
                    error_code: error_code.map(ErrorCode::as_str),
                    citations: &citations,
                    now,
                })
            })
            .await
    }
}
