//! Docent's core: every rule of the product lives here, behind a small public surface that
//! the desktop shell and the local server both call. It knows nothing of Tauri or HTTP.
//!
//! Start with [`Docent::open`]; the areas hang off it ([`Docent::auth`]).

#![deny(missing_docs)]

mod access;
pub mod auth;
pub mod chat;
pub mod clock;
pub mod config;
pub mod documents;
pub mod domain;
pub mod error;
mod files;
pub mod links;
mod mail;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod user;

use std::sync::Arc;

pub use auth::{
    Accepted, AuthService, Credentials, EmailRequest, NewSession, PasswordReset, RegisteredUser,
    VerifyEmail, VerifyLogin,
};
pub use chat::types::{
    ChatAnswer, ChatEvent, ChatHistory, Citation, Conversation, ConversationPatch, Export,
    ExportFormat, HistoryEntry, HistoryQuery, HistoryScope, Message, NewConversation, NewWorkspace,
    SendMessage, Workspace, WorkspacePatch,
};
pub use chat::{
    AppStatus, ChatService, Connectivity, PreparedChat, RemoteSettings, RemoteSettingsUpdate,
    RemoteStatus, SessionStorage, SettingsView,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{Settings, SettingsLayer};
pub use documents::DocumentService;
pub use domain::documents::{Document, DocumentFormat, DocumentStatus, SearchHit, SearchQuery};
pub use domain::{Requester, SecretToken};
pub use error::{Error, ErrorBody, ErrorCode, ErrorKind, Result};
pub use mail::{DeliveryReport, MailWorker};
pub use user::CurrentUser;

use crate::auth::{AuthParts, EmailLinks, Hasher, SessionPolicy};
use crate::domain::PasswordPolicy;
use crate::mail::Mailer;
use crate::store::Store;

/// A running Docent core over one data dir. Cheap to clone; clones share everything.
#[derive(Clone, Debug)]
pub struct Docent {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: Settings,
    store: Store,
    mailer: Arc<Mailer>,
    auth: AuthService,
    chat: Arc<ChatService>,
    documents: DocumentService,
}

impl Docent {
    /// Opens the data dir (creating the database and applying migrations) on the system clock.
    pub async fn open(settings: Settings) -> Result<Self> {
        Self::open_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Opens the data dir with a given clock (tests move a [`ManualClock`]).
    pub async fn open_with_clock(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self> {
        settings.check_enforceable()?;
        let store = match &settings.database_url {
            Some(url) => Store::open_postgres(url.expose_secret()).await?,
            None => Store::open_sqlite(&settings.database_path()).await?,
        };
        let hasher = Hasher::start().await?;
        let mailer = Arc::new(Mailer::new(&settings.mail, store.clone(), clock.clone())?);
        let chat = Arc::new(ChatService::new(
            store.clone(),
            clock.clone(),
            settings.chat.clone(),
        )?);
        chat.listen_for_stops();
        let documents = DocumentService::new(
            store.clone(),
            clock.clone(),
            &settings.data_dir,
            settings.documents.clone(),
        )?;
        let auth = AuthService::new(AuthParts {
            store: store.clone(),
            clock,
            hasher,
            mailer: mailer.clone(),
            passwords: PasswordPolicy {
                min_length: settings.password_min_length,
            },
            sessions: SessionPolicy {
                ttl: settings.session_ttl,
                idle_timeout: settings.session_idle_timeout,
            },
            email_domains: settings.email_domains.clone(),
            email_links: EmailLinks {
                public_base: settings.public_base_url(),
                reset_ttl: settings.reset_token_ttl,
                login_ttl: settings.login_token_ttl,
                verify_ttl: settings.verify_token_ttl,
                desktop_links: settings.desktop_links,
            },
            // Every new account gets its Personal workspace, in the transaction that makes it.
            new_account: chat::create_personal_workspace,
        });
        tracing::info!(
            database = %store.location().display(),
            email = mailer.is_configured(),
            "data dir open"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                store,
                mailer,
                auth,
                chat,
                documents,
            }),
        })
    }

    /// The settings this core runs with.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Accounts and sessions.
    pub fn auth(&self) -> &AuthService {
        &self.inner.auth
    }

    /// Workspaces, conversations and chat.
    pub fn chat(&self) -> &Arc<ChatService> {
        &self.inner.chat
    }

    /// A workspace's own documents.
    pub fn documents(&self) -> &DocumentService {
        &self.inner.documents
    }

    /// Changes the LLM and retrieval settings for the questions that follow, and keeps the URLs
    /// and the model in the data dir's `docent.toml` for the next start. API keys are never
    /// written to a file: the desktop shell keeps the LLM key in the OS keyring and hands it
    /// over at each start with `remember_file = false`.
    pub fn update_remote_settings(
        &self,
        update: &RemoteSettingsUpdate,
        remember_file: bool,
    ) -> Result<RemoteSettings> {
        let path = self.inner.settings.data_dir.join(config::SETTINGS_FILE);
        let key_changed = update.llm_api_key.is_some();
        self.inner.chat.update_remote_settings(update, |next| {
            if remember_file {
                config::save_remote_settings(&path, next, key_changed)
            } else {
                Ok(())
            }
        })
    }

    /// Deletes whatever has expired (sessions, tokens, throttling records, old outbox rows)
    /// and marks answers a crash left half-written as failed, in one transaction.
    pub async fn cleanup_expired(&self) -> Result<CleanupReport> {
        let now = self.inner.auth.now();
        let docent = self.clone();
        self.inner
            .store
            .write(move |tx| {
                let expired = docent.inner.auth.delete_expired(tx, now)?;
                Ok(CleanupReport {
                    sessions: expired.sessions,
                    login_failures: expired.login_failures,
                    email_tokens: expired.email_tokens,
                    outbox: mail::delete_finished(tx, now)?,
                    interrupted_answers: chat::fail_stale_answers(tx, now)?,
                })
            })
            .await
    }

    /// Deletes documents' files that no document keeps any more.
    pub async fn sweep_document_files(&self) -> Result<usize> {
        self.inner.documents.sweep_files().await
    }

    /// Runs [`Docent::cleanup_expired`] every `settings.cleanup_interval` until the returned
    /// task is aborted or the runtime stops.
    pub fn spawn_cleanup(&self) -> tokio::task::JoinHandle<()> {
        let docent = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(docent.settings().cleanup_interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match docent.cleanup_expired().await {
                    Ok(report) if report != CleanupReport::default() => {
                        tracing::info!(?report, "expired records deleted");
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = ?err, "cleanup failed"),
                }
                match docent.sweep_document_files().await {
                    Ok(0) => {}
                    Ok(files) => {
                        tracing::info!(files, "documents' files no document keeps deleted")
                    }
                    Err(err) => tracing::error!(error = ?err, "document file cleanup failed"),
                }
            }
        })
    }

    /// Sends the outbox's due emails now (the mail worker does this on its own; tests call it
    /// after moving the clock).
    pub async fn deliver_outbox(&self) -> Result<DeliveryReport> {
        self.inner.mailer.deliver_due().await
    }

    /// Runs the mail worker (sending the outbox, retrying failures) until it is stopped or the
    /// runtime ends. Does nothing when email is not configured.
    pub fn spawn_mail_worker(&self) -> MailWorker {
        MailWorker::spawn(self.inner.mailer.clone())
    }

    /// Runs the document indexer until it is stopped or dropped.
    pub fn spawn_indexer(&self) -> documents::Indexer {
        self.inner.documents.spawn_indexer()
    }

    /// Checks that the database answers.
    pub async fn check_health(&self) -> Result<()> {
        self.inner.store.ping().await
    }

    /// The store behind the services, for tests and benchmarks.
    #[cfg(feature = "testing")]
    pub fn testing(&self) -> testing::Testing<'_> {
        testing::Testing(self)
    }

    /// Where this core's data lives: the SQLite file, or `postgres://<host>/<database>` (never
    /// the user or password).
    pub fn database_path(&self) -> &std::path::Path {
        self.inner.store.location()
    }
}

/// What a cleanup pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Sessions past their lifetime or idle timeout.
    pub sessions: usize,
    /// Failed-login records older than the throttling window.
    pub login_failures: usize,
    /// Reset, sign-in and confirmation tokens past their lifetime.
    pub email_tokens: usize,
    /// Outbox rows finished more than a week ago.
    pub outbox: usize,
    /// Answers left half-written by a crash, now marked failed.
    pub interrupted_answers: usize,
}
