//! The commands the UI invokes. Each is one core call with its error mapped to the same
//! `{code, message}` the HTTP API sends. Names are prefixed by area and listed in `build.rs`.

use docent_core::documents::FolderSync;
use docent_core::domain::documents::DocumentFolder;
use docent_core::{
    Accepted, AppStatus, ChatAnswer, ChatHistory, Conversation, ConversationPatch, Credentials,
    CurrentUser, Docent, Document, EmailRequest, Error, ErrorBody, Export, ExportFormat,
    HistoryEntry, HistoryQuery, NewConversation, NewSession, NewWorkspace, PasswordReset,
    RegisteredUser, RemoteSettingsUpdate, Requester, SearchHit, SearchQuery, SecretToken,
    SendMessage, SessionStorage, SettingsView, VerifyEmail, VerifyLogin, Workspace, WorkspacePatch,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tauri::async_runtime::JoinHandle;
use tauri::ipc::Channel;
use tauri::State;
use tokio::sync::{mpsc, Mutex, MutexGuard};
use uuid::Uuid;

use crate::keyring_store::{KeyringSecret, KeyringUnavailable};

/// The shell's state: the core, and the session token, which never reaches JavaScript. The
/// token and the LLM key are kept in the OS keyring when there is one, so a restart signs the
/// user back in; without one they last for this run only, never in a plain file.
pub struct Shell {
    docent: Docent,
    session: Mutex<Option<SecretToken>>,
    /// The keyring's read at start, still under way: it runs beside the window's start, so a
    /// slow or locked keyring never holds the window up. The first use of the session waits.
    restoring: Mutex<Option<JoinHandle<Option<SecretToken>>>>,
    keyring: Option<Keyring>,
}

/// The shell's entries in the OS keyring.
struct Keyring {
    session: Arc<KeyringSecret>,
    llm_api_key: Arc<KeyringSecret>,
}

impl Keyring {
    /// The platform's keyring, or `None` (with the reason logged) when there is none.
    fn open() -> Option<Self> {
        let entries = KeyringSecret::new("session")
            .and_then(|session| Ok((session, KeyringSecret::new("llm_api_key")?)));
        match entries {
            Ok((session, llm_api_key)) if session.is_platform_store() => Some(Self {
                session: Arc::new(session),
                llm_api_key: Arc::new(llm_api_key),
            }),
            Ok(_) => {
                tracing::warn!("no OS keyring store: the session is kept in memory for this run");
                None
            }
            Err(err) => {
                tracing::warn!(%err, "the session is kept in memory for this run");
                None
            }
        }
    }
}

/// Reads a keyring entry off the async threads; a keyring that fails reads as empty.
async fn load(entry: &Arc<KeyringSecret>) -> Option<SecretString> {
    let entry = entry.clone();
    tauri::async_runtime::spawn_blocking(move || entry.load())
        .await
        .unwrap_or_else(|err| Err(KeyringUnavailable(err.to_string())))
        .unwrap_or_else(|err| {
            tracing::warn!(%err, "could not read from the OS keyring");
            None
        })
}

/// Saves (or, with `None`, removes) a keyring entry off the async threads.
async fn store(entry: &Arc<KeyringSecret>, secret: Option<SecretString>) {
    let entry = entry.clone();
    let outcome = tauri::async_runtime::spawn_blocking(move || match secret {
        Some(secret) => entry.save(&secret),
        None => entry.delete(),
    })
    .await
    .unwrap_or_else(|err| Err(KeyringUnavailable(err.to_string())));
    if let Err(err) = outcome {
        tracing::warn!(%err, "the OS keyring refused; this lasts for this run only");
    }
}

impl Shell {
    /// A shell over an open core. The session and the LLM key the keyring held, if any, are
    /// read in the background; the first command that needs the session waits for them.
    pub fn start(docent: Docent) -> Self {
        let keyring = Keyring::open();
        let restoring = keyring.as_ref().map(|keyring| {
            let (session, llm_api_key) = (keyring.session.clone(), keyring.llm_api_key.clone());
            let docent = docent.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(key) = load(&llm_api_key).await {
                    let update = RemoteSettingsUpdate {
                        llm_api_key: Some(key),
                        ..Default::default()
                    };
                    if let Err(err) = docent.update_remote_settings(&update, false) {
                        tracing::warn!(
                            code = err.code().as_str(),
                            "the saved LLM key was not usable"
                        );
                    }
                }
                load(&session)
                    .await
                    .and_then(|token| SecretToken::parse(token.expose_secret()).ok())
            })
        });
        Self {
            docent,
            session: Mutex::new(None),
            restoring: Mutex::new(restoring),
            keyring,
        }
    }

    /// A shell that keeps the session in memory only, never in the OS keyring: what the IPC
    /// tests drive, which must not touch the keyring of the machine they run on.
    pub fn in_memory(docent: Docent) -> Self {
        Self {
            docent,
            session: Mutex::new(None),
            restoring: Mutex::new(None),
            keyring: None,
        }
    }

    /// The held session, once the keyring's read at start has finished.
    async fn session(&self) -> MutexGuard<'_, Option<SecretToken>> {
        let mut session = self.session.lock().await;
        if let Some(task) = self.restoring.lock().await.take() {
            *session = task.await.unwrap_or_else(|err| {
                tracing::warn!(%err, "could not read the session from the OS keyring");
                None
            });
        }
        session
    }

    /// Where the session is kept between runs.
    fn session_storage(&self) -> SessionStorage {
        match self.keyring {
            Some(_) => SessionStorage::Keyring,
            None => SessionStorage::Memory,
        }
    }

    /// Holds a new session (and saves it in the keyring); the UI learns who and until when.
    async fn keep(&self, session: NewSession) -> SignedIn {
        let signed_in = SignedIn {
            user_id: session.user_id,
            email_verified: session.email_verified,
            notice: session.notice.clone(),
            expires_at: session.expires_at,
        };
        if let Some(keyring) = &self.keyring {
            let token = SecretString::from(session.token.expose_secret());
            store(&keyring.session, Some(token)).await;
        }
        *self.session().await = Some(session.token);
        signed_in
    }

    /// Forgets the session, here and in the keyring.
    async fn forget(&self) {
        *self.session().await = None;
        if let Some(keyring) = &self.keyring {
            store(&keyring.session, None).await;
        }
    }

    /// The signed-in user, as an IPC error when there is none.
    async fn user(&self) -> Result<CurrentUser, ErrorBody> {
        self.current_user().await.map_err(ipc)
    }

    /// The user of the held session; a session that ended is forgotten.
    async fn current_user(&self) -> Result<CurrentUser, Error> {
        let session = self.session().await;
        let token = session.as_ref().ok_or(Error::Unauthenticated)?;
        let user = self.docent.auth().authenticate(token).await;
        drop(session);
        if matches!(user, Err(Error::Unauthenticated | Error::SessionExpired)) {
            self.forget().await;
        }
        user
    }
}

/// What the UI learns of a new session (the token stays in the shell).
#[derive(Debug, Serialize)]
pub struct SignedIn {
    /// Who signed in.
    pub user_id: uuid::Uuid,
    /// Whether the address is proven.
    pub email_verified: bool,
    /// Something the user must be told about this sign-in, if any.
    pub notice: Option<String>,
    /// When the session ends at the latest.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: time::OffsetDateTime,
}

fn ipc(err: Error) -> ErrorBody {
    err.report();
    err.body()
}

/// Creates an account.
#[tauri::command]
pub async fn auth_register(
    shell: State<'_, Shell>,
    credentials: Credentials,
) -> Result<RegisteredUser, ErrorBody> {
    shell
        .docent
        .auth()
        .register(credentials, &Requester::Local)
        .await
        .map_err(ipc)
}

/// Signs in; the shell keeps the session.
#[tauri::command]
pub async fn auth_login(
    shell: State<'_, Shell>,
    credentials: Credentials,
) -> Result<SignedIn, ErrorBody> {
    let session = shell.docent.auth().login(credentials).await.map_err(ipc)?;
    Ok(shell.keep(session).await)
}

/// Ends this session.
#[tauri::command]
pub async fn auth_logout(shell: State<'_, Shell>) -> Result<(), ErrorBody> {
    let user = shell.current_user().await.map_err(ipc)?;
    shell.docent.auth().logout(&user).await.map_err(ipc)?;
    shell.forget().await;
    Ok(())
}

/// Ends every session of the signed-in user.
#[tauri::command]
pub async fn auth_logout_all(shell: State<'_, Shell>) -> Result<(), ErrorBody> {
    let user = shell.current_user().await.map_err(ipc)?;
    shell.docent.auth().logout_all(&user).await.map_err(ipc)?;
    shell.forget().await;
    Ok(())
}

/// The signed-in user, or `null`.
#[tauri::command]
pub async fn auth_current_user(shell: State<'_, Shell>) -> Result<Option<CurrentUser>, ErrorBody> {
    let user = match shell.current_user().await {
        Ok(user) => Some(user),
        Err(Error::Unauthenticated | Error::SessionExpired) => None,
        Err(err) => return Err(ipc(err)),
    };
    tracing::debug!(signed_in = user.is_some(), "session checked");
    Ok(user)
}

/// Emails a password-reset link.
#[tauri::command]
pub async fn auth_request_reset(
    shell: State<'_, Shell>,
    request: EmailRequest,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .request_password_reset(request, &Requester::Local)
        .await
        .map_err(ipc)
}

/// Sets a new password with a reset link's token.
#[tauri::command]
pub async fn auth_reset_password(
    shell: State<'_, Shell>,
    request: PasswordReset,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .reset_password(request)
        .await
        .map_err(ipc)
}

/// Emails a sign-in link and code.
#[tauri::command]
pub async fn auth_request_login(
    shell: State<'_, Shell>,
    request: EmailRequest,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .request_login(request, &Requester::Local)
        .await
        .map_err(ipc)
}

/// Emails a new confirmation link and code for an address not confirmed yet.
#[tauri::command]
pub async fn auth_request_verification(
    shell: State<'_, Shell>,
    request: EmailRequest,
) -> Result<Accepted, ErrorBody> {
    shell
        .docent
        .auth()
        .request_verification(request, &Requester::Local)
        .await
        .map_err(ipc)
}

/// Confirms the address with its email's link or code and the password; the shell keeps the
/// session.
#[tauri::command]
pub async fn auth_verify_email(
    shell: State<'_, Shell>,
    request: VerifyEmail,
) -> Result<SignedIn, ErrorBody> {
    let session = shell
        .docent
        .auth()
        .verify_email(request)
        .await
        .map_err(ipc)?;
    Ok(shell.keep(session).await)
}

/// Signs in with a sign-in link's token or an emailed code; the shell keeps the session.
#[tauri::command]
pub async fn auth_verify_login(
    shell: State<'_, Shell>,
    request: VerifyLogin,
) -> Result<SignedIn, ErrorBody> {
    let session = shell
        .docent
        .auth()
        .verify_login(request)
        .await
        .map_err(ipc)?;
    Ok(shell.keep(session).await)
}

/// The caller's workspaces.
#[tauri::command]
pub async fn workspace_list(shell: State<'_, Shell>) -> Result<Vec<Workspace>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .list_workspaces(&user)
        .await
        .map_err(ipc)
}

/// Makes a workspace.
#[tauri::command]
pub async fn workspace_create(
    shell: State<'_, Shell>,
    request: NewWorkspace,
) -> Result<Workspace, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .create_workspace(&user, request)
        .await
        .map_err(ipc)
}

/// One workspace.
#[tauri::command]
pub async fn workspace_get(shell: State<'_, Shell>, id: Uuid) -> Result<Workspace, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .get_workspace(&user, id)
        .await
        .map_err(ipc)
}

/// Changes a workspace.
#[tauri::command]
pub async fn workspace_update(
    shell: State<'_, Shell>,
    id: Uuid,
    request: WorkspacePatch,
) -> Result<Workspace, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .update_workspace(&user, id, request)
        .await
        .map_err(ipc)
}

/// Deletes a workspace.
#[tauri::command]
pub async fn workspace_delete(shell: State<'_, Shell>, id: Uuid) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .delete_workspace(&user, id)
        .await
        .map_err(ipc)
}

/// The conversations in a workspace.
#[tauri::command]
pub async fn conversation_list(
    shell: State<'_, Shell>,
    workspace_id: Uuid,
) -> Result<Vec<Conversation>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .list_conversations(&user, workspace_id)
        .await
        .map_err(ipc)
}

/// Makes a conversation.
#[tauri::command]
pub async fn conversation_create(
    shell: State<'_, Shell>,
    workspace_id: Uuid,
    request: NewConversation,
) -> Result<Conversation, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .create_conversation(&user, workspace_id, request)
        .await
        .map_err(ipc)
}

/// One conversation.
#[tauri::command]
pub async fn conversation_get(
    shell: State<'_, Shell>,
    id: Uuid,
) -> Result<Conversation, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .get_conversation(&user, id)
        .await
        .map_err(ipc)
}

/// Renames a conversation.
#[tauri::command]
pub async fn conversation_update(
    shell: State<'_, Shell>,
    id: Uuid,
    request: ConversationPatch,
) -> Result<Conversation, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .update_conversation(&user, id, request)
        .await
        .map_err(ipc)
}

/// Deletes a conversation.
#[tauri::command]
pub async fn conversation_delete(shell: State<'_, Shell>, id: Uuid) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .delete_conversation(&user, id)
        .await
        .map_err(ipc)
}

/// Exports a conversation.
#[tauri::command]
pub async fn conversation_export(
    shell: State<'_, Shell>,
    id: Uuid,
    format: ExportFormat,
) -> Result<Export, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .export_conversation(&user, id, format)
        .await
        .map_err(ipc)
}

/// Asks a question. `events` gets `{event, data}`: first `started` `{conversation_id,
/// message_id}`, then the same events the server streams as SSE.
#[tauri::command]
pub async fn chat_send(
    shell: State<'_, Shell>,
    request: SendMessage,
    events: Channel<Value>,
) -> Result<ChatAnswer, ErrorBody> {
    let user = shell.user().await?;
    let prepared = shell
        .docent
        .chat()
        .prepare(&user, request)
        .await
        .map_err(ipc)?;
    let started = json!({"event": "started", "data": {
        "conversation_id": prepared.conversation_id(), "message_id": prepared.message_id()}});
    let _ = events.send(started);
    let (sender, mut received) = mpsc::channel::<docent_core::ChatEvent>(64);
    // When the window is gone the channel refuses, the receiver drops, and the answer stops.
    let forward = tauri::async_runtime::spawn(async move {
        while let Some(event) = received.recv().await {
            if events
                .send(json!({"event": event.name(), "data": event.data()}))
                .is_err()
            {
                break;
            }
        }
    });
    let answer = prepared.run(Some(sender)).await.map_err(ipc);
    let _ = forward.await;
    answer
}

/// Stops an answer.
#[tauri::command]
pub async fn chat_stop(shell: State<'_, Shell>, message_id: Uuid) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .stop(&user, message_id)
        .await
        .map_err(ipc)
}

/// A conversation's messages (default: the latest conversation).
#[tauri::command]
pub async fn chat_history(
    shell: State<'_, Shell>,
    conversation_id: Option<Uuid>,
) -> Result<ChatHistory, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .history(&user, conversation_id)
        .await
        .map_err(ipc)
}

/// Empties a conversation.
#[tauri::command]
pub async fn chat_clear(
    shell: State<'_, Shell>,
    conversation_id: Option<Uuid>,
) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .clear(&user, conversation_id)
        .await
        .map_err(ipc)
}

/// Searches history.
#[tauri::command]
pub async fn history_search(
    shell: State<'_, Shell>,
    query: HistoryQuery,
) -> Result<Vec<HistoryEntry>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .chat()
        .search_history(&user, query)
        .await
        .map_err(ipc)
}

/// The LLM and retrieval settings; in the desktop app the person sets them.
#[tauri::command]
pub async fn settings_get(shell: State<'_, Shell>) -> Result<SettingsView, ErrorBody> {
    shell.user().await?;
    Ok(SettingsView {
        settings: shell.docent.chat().remote_settings(),
        editable: true,
    })
}

/// Changes the LLM and retrieval settings: the URLs and model go to `docent.toml`, the key to
/// the OS keyring (never to a file).
#[tauri::command]
pub async fn settings_update(
    shell: State<'_, Shell>,
    update: RemoteSettingsUpdate,
) -> Result<SettingsView, ErrorBody> {
    shell.user().await?;
    let settings = shell
        .docent
        .update_remote_settings(&update, true)
        .map_err(ipc)?;
    if let (Some(keyring), Some(key)) = (&shell.keyring, &update.llm_api_key) {
        let key = Some(key.expose_secret().trim())
            .filter(|key| !key.is_empty())
            .map(SecretString::from);
        store(&keyring.llm_api_key, key).await;
    }
    Ok(SettingsView {
        settings,
        editable: true,
    })
}

/// Whether the LLM and the retrieval API can be reached, and where the session is kept.
#[tauri::command]
pub async fn app_status(shell: State<'_, Shell>) -> Result<AppStatus, ErrorBody> {
    shell.user().await?;
    Ok(AppStatus {
        connectivity: shell.docent.chat().connectivity().await,
        session_storage: shell.session_storage(),
        max_document_bytes: shell.docent.documents().max_document_bytes(),
    })
}

/// `docent://` links the OS handed to the app, held until the UI listens for them.
#[derive(Default)]
pub struct AppLinks {
    inner: std::sync::Mutex<AppLinksInner>,
}

#[derive(Default)]
struct AppLinksInner {
    listener: Option<Channel<String>>,
    pending: Vec<String>,
}

impl AppLinks {
    /// Sends the page `url` opens to the UI (or keeps it until the UI listens); a link that
    /// opens nothing is ignored. The token in it is never logged.
    pub fn open(&self, url: &str) {
        let Some(route) = docent_core::links::route_of_app_link(url) else {
            tracing::warn!("ignored a docent:// link that opens no page");
            return;
        };
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sent = inner
            .listener
            .as_ref()
            .is_some_and(|listener| listener.send(route.clone()).is_ok());
        if !sent {
            inner.pending.push(route);
        }
        tracing::info!(sent, "app link opened");
    }

    fn listen(&self, listener: Channel<String>) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for route in std::mem::take(&mut inner.pending) {
            let _ = listener.send(route);
        }
        inner.listener = Some(listener);
    }
}

/// Sends the UI the pages that `docent://` links open: any that came before, then each new one.
#[tauri::command]
pub fn app_links(links: State<'_, AppLinks>, on_link: Channel<String>) -> Result<(), ErrorBody> {
    links.listen(on_link);
    Ok(())
}

/// A workspace's documents, oldest first, with how far their indexing is.
#[tauri::command]
pub async fn document_list(
    shell: State<'_, Shell>,
    workspace_id: Uuid,
) -> Result<Vec<Document>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .documents()
        .list(&user, workspace_id)
        .await
        .map_err(ipc)
}

/// One document.
#[tauri::command]
pub async fn document_get(shell: State<'_, Shell>, id: Uuid) -> Result<Document, ErrorBody> {
    let user = shell.user().await?;
    shell.docent.documents().get(&user, id).await.map_err(ipc)
}

/// Deletes a document; its passages leave the index at once.
#[tauri::command]
pub async fn document_delete(shell: State<'_, Shell>, id: Uuid) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .documents()
        .delete(&user, id)
        .await
        .map_err(ipc)
}

/// The original file's bytes (the UI shows a PDF at its page from them).
#[tauri::command]
pub async fn document_file(
    shell: State<'_, Shell>,
    id: Uuid,
) -> Result<tauri::ipc::Response, ErrorBody> {
    let user = shell.user().await?;
    let (_, path) = shell
        .docent
        .documents()
        .file(&user, id)
        .await
        .map_err(ipc)?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|err| ipc(Error::internal(err)))?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// Searches a workspace's documents: the passages that best match, best first.
#[tauri::command]
pub async fn document_search(
    shell: State<'_, Shell>,
    workspace_id: Uuid,
    query: SearchQuery,
) -> Result<Vec<SearchHit>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .documents()
        .search(&user, workspace_id, &query)
        .await
        .map_err(ipc)
}

/// The extensions the file picker offers.
const PICKABLE: &[&str] = &[
    "pdf", "docx", "md", "markdown", "html", "htm", "txt", "text", "csv",
];

/// Adds every path to the workspace, in order; stops at the first that is refused.
async fn add_paths(
    shell: &Shell,
    user: &CurrentUser,
    workspace_id: Uuid,
    paths: Vec<std::path::PathBuf>,
) -> Result<Vec<Document>, ErrorBody> {
    let mut added = Vec::with_capacity(paths.len());
    for path in paths {
        added.push(
            shell
                .docent
                .documents()
                .add_path(user, workspace_id, &path)
                .await
                .map_err(ipc)?,
        );
    }
    Ok(added)
}

/// Opens the OS's file picker and adds the files chosen (none when it is cancelled). The
/// paths never reach the page: what it may read is only what the person picked here.
#[tauri::command]
pub async fn document_add_picked<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    shell: State<'_, Shell>,
    workspace_id: Uuid,
) -> Result<Vec<Document>, ErrorBody> {
    use tauri_plugin_dialog::DialogExt as _;
    let user = shell.user().await?;
    let (sender, chosen) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Add documents")
        .add_filter("Documents", PICKABLE)
        .pick_files(move |files| {
            let _ = sender.send(files);
        });
    let paths: Vec<std::path::PathBuf> = chosen
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|file| file.into_path().ok())
        .collect();
    add_paths(&shell, &user, workspace_id, paths).await
}

/// How many drops are held for the page at most.
const MAX_HELD_DROPS: usize = 16;

/// Files dropped on the window, held under an id until the page says where they go. The
/// page learns their names, never their paths.
#[derive(Default)]
pub struct Drops {
    inner: std::sync::Mutex<DropsInner>,
}

#[derive(Default)]
struct DropsInner {
    next: u64,
    held: std::collections::HashMap<u64, Vec<std::path::PathBuf>>,
    listener: Option<Channel<Dropped>>,
}

/// Files dropped on the window, as the page is told of them.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    /// What `document_add_dropped` takes.
    pub id: u64,
    /// The files' names.
    pub names: Vec<String>,
}

impl Drops {
    /// Holds dropped paths and tells the page.
    pub fn dropped(&self, paths: Vec<std::path::PathBuf>) {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.next += 1;
        let id = inner.next;
        let names = paths
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        inner.held.insert(id, paths);
        // Drops nobody added (the page was elsewhere) are let go, the oldest first.
        if inner.held.len() > MAX_HELD_DROPS {
            let oldest = *inner.held.keys().min().expect("held drops");
            inner.held.remove(&oldest);
        }
        if let Some(listener) = &inner.listener {
            let _ = listener.send(Dropped { id, names });
        }
    }

    fn take(&self, id: u64) -> Option<Vec<std::path::PathBuf>> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .held
            .remove(&id)
    }
}

/// Sends the page the files dropped on the window from now on.
#[tauri::command]
pub fn app_drops(drops: State<'_, Drops>, on_drop: Channel<Dropped>) -> Result<(), ErrorBody> {
    drops
        .inner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .listener = Some(on_drop);
    Ok(())
}

/// Adds the files of a drop to a workspace (a folder among them is kept in sync).
#[tauri::command]
pub async fn document_add_dropped(
    shell: State<'_, Shell>,
    drops: State<'_, Drops>,
    workspace_id: Uuid,
    drop_id: u64,
) -> Result<Vec<Document>, ErrorBody> {
    let user = shell.user().await?;
    let paths = drops.take(drop_id).ok_or_else(|| {
        ErrorBody::new(
            docent_core::ErrorCode::NotFound,
            "Those dropped files are gone; drop them again.",
        )
    })?;
    let (folders, files): (Vec<_>, Vec<_>) = paths.into_iter().partition(|p| p.is_dir());
    for folder in folders {
        shell
            .docent
            .documents()
            .add_folder(&user, workspace_id, &folder)
            .await
            .map_err(ipc)?;
    }
    add_paths(&shell, &user, workspace_id, files).await
}

/// A folder added, and what its first sync did.
#[derive(Debug, Serialize)]
pub struct FolderAdded {
    /// The folder.
    pub folder: DocumentFolder,
    /// What the first sync did.
    pub sync: FolderSync,
}

/// Opens the OS's folder picker and keeps the folder chosen in sync with the workspace
/// (`null` when it is cancelled).
#[tauri::command]
pub async fn folder_add_picked<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    shell: State<'_, Shell>,
    workspace_id: Uuid,
) -> Result<Option<FolderAdded>, ErrorBody> {
    use tauri_plugin_dialog::DialogExt as _;
    let user = shell.user().await?;
    let (sender, chosen) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Add a folder")
        .pick_folder(move |folder| {
            let _ = sender.send(folder);
        });
    let Some(path) = chosen.await.ok().flatten().and_then(|f| f.into_path().ok()) else {
        return Ok(None);
    };
    let (folder, sync) = shell
        .docent
        .documents()
        .add_folder(&user, workspace_id, &path)
        .await
        .map_err(ipc)?;
    Ok(Some(FolderAdded { folder, sync }))
}

/// The folders kept in sync with a workspace.
#[tauri::command]
pub async fn folder_list(
    shell: State<'_, Shell>,
    workspace_id: Uuid,
) -> Result<Vec<DocumentFolder>, ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .documents()
        .folders(&user, workspace_id)
        .await
        .map_err(ipc)
}

/// Stops keeping a folder in sync; the documents it brought go (its files stay on disk).
#[tauri::command]
pub async fn folder_remove(shell: State<'_, Shell>, id: Uuid) -> Result<(), ErrorBody> {
    let user = shell.user().await?;
    shell
        .docent
        .documents()
        .remove_folder(&user, id)
        .await
        .map_err(ipc)
}
