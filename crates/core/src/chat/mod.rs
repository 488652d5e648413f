//! Workspaces, conversations and chat: a question goes to the retriever and the LLM, the answer
//! streams back, and it is stored with the sources it cites.
//!
//! Access: a user's own workspaces and conversations; a conversation in a workspace its owner
//! shares with their email domain can be read, never written, by people of that domain. Only
//! proven addresses are members of a domain, on either side: an unproven account neither sees
//! what its domain shares nor shares anything with it. Anything else is "not found", never
//! "forbidden", so ids reveal nothing.
//!
//! One module per part: [`workspaces`], [`conversations`] (and who may see them), `answer`
//! (the streamed run), `history`, `export`.

mod answer;
mod citations;
mod conversations;
mod export;
mod history;
mod llm;
mod prompt;
pub mod remote;
mod retrieval;
mod workspaces;

/// The chat area's records and values (they live in [`crate::domain::chat`]).
pub use crate::domain::chat as types;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use uuid::Uuid;

use crate::clock::{to_millis, Clock};
use crate::config::ChatSettings;
use crate::error::{Error, Result};
use crate::store::{Millis, Store};
pub(crate) use answer::fail_stale_answers;
pub use answer::PreparedChat;
pub use remote::{
    AppStatus, Connectivity, RemoteSettings, RemoteSettingsUpdate, RemoteStatus, SessionStorage,
    SettingsView,
};
pub(crate) use workspaces::create_personal_workspace;

/// Longest question accepted, in characters.
pub const MAX_MESSAGE_CHARS: usize = 8_000;

/// Workspaces, conversations and chat.
#[derive(Debug)]
pub struct ChatService {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Swapped whole when the person changes them in Settings; a running answer keeps the
    /// snapshot it started with.
    settings: std::sync::RwLock<Arc<ChatSettings>>,
    http: reqwest::Client,
    /// The answers being written by this process, by message id, each with its stop switch.
    running: Mutex<HashMap<Uuid, watch::Sender<bool>>>,
}

impl ChatService {
    pub(crate) fn new(store: Store, clock: Arc<dyn Clock>, settings: ChatSettings) -> Result<Self> {
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

    fn now(&self) -> Millis {
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
}
