//! The store: every SQL statement of Docent, behind typed functions over domain types, one
//! module per aggregate. Services never see SQL or a driver's types: they run a closure in a
//! transaction ([`Store::write`], [`Store::read`]) and call the aggregates' functions on the
//! [`Tx`] it gets.
//!
//! The aggregates are traits, so a second database can implement them beside SQLite
//! ([`sqlite`]); `contract` holds the one test suite every implementation must pass.
//! Transactions run on a blocking thread, so a closure may call as many functions as it needs
//! without awaiting; a backend whose driver is asynchronous blocks that thread on each call.

pub(crate) mod accounts;
pub(crate) mod conversations;
pub(crate) mod documents;
pub(crate) mod email_tokens;
pub(crate) mod history;
pub(crate) mod login_attempts;
pub(crate) mod messages;
pub(crate) mod outbox;
pub(crate) mod passages;
pub(crate) mod postgres;
pub(crate) mod sessions;
pub(crate) mod sqlite;
pub(crate) mod workspaces;

#[cfg(test)]
mod contract;

use std::any::Any;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use uuid::Uuid;

use crate::error::Result;

pub(crate) use accounts::Accounts;
pub(crate) use conversations::Conversations;
pub(crate) use documents::Documents;
pub(crate) use email_tokens::EmailTokens;
pub(crate) use history::History;
pub(crate) use login_attempts::LoginAttempts;
pub(crate) use messages::Messages;
pub(crate) use outbox::Outbox;
pub(crate) use passages::Passages;
pub(crate) use sessions::Sessions;
pub(crate) use workspaces::Workspaces;

/// One transaction: every aggregate, reached by name (`tx.accounts().by_email(..)`).
pub(crate) trait Tx {
    fn accounts(&self) -> &dyn Accounts;
    fn sessions(&self) -> &dyn Sessions;
    fn login_attempts(&self) -> &dyn LoginAttempts;
    fn email_tokens(&self) -> &dyn EmailTokens;
    fn outbox(&self) -> &dyn Outbox;
    fn workspaces(&self) -> &dyn Workspaces;
    fn conversations(&self) -> &dyn Conversations;
    fn messages(&self) -> &dyn Messages;
    fn history(&self) -> &dyn History;
    fn documents(&self) -> &dyn Documents;
    fn passages(&self) -> &dyn Passages;
}

/// Whether a transaction may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A consistent snapshot for reading.
    Read,
    /// The one writer at a time: it never has to upgrade a read lock and fail.
    Write,
}

/// A closure over a transaction, with its result boxed so backends can be trait objects.
pub(crate) type Work = Box<dyn FnOnce(&dyn Tx) -> Result<Box<dyn Any + Send>> + Send>;

/// A boxed future, for backends behind `dyn`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a database implements to hold Docent's data.
pub(crate) trait Backend: Send + Sync + std::fmt::Debug {
    /// Runs `work` in one transaction of `mode`, committing when it returns `Ok`.
    fn run(&self, mode: Mode, work: Work) -> BoxFuture<'_, Result<Box<dyn Any + Send>>>;

    /// Checks that the database answers.
    fn ping(&self) -> BoxFuture<'_, Result<()>>;

    /// Makes deleted and blanked rows unrecoverable from the database's files (sent emails'
    /// one-time links): best effort, readers may hold them for a while.
    fn scrub(&self) -> BoxFuture<'_, Result<()>>;

    /// Where the data lives, for people (a file path, a server).
    fn location(&self) -> &Path;

    /// Asks whichever process on this database streams answer `message_id` to stop it (a
    /// person's stop may reach another instance than the one answering). A database that only
    /// this process uses has no one else to tell.
    fn announce_stop(&self, message_id: Uuid) -> BoxFuture<'_, Result<()>>;

    /// The stops announced on this database, by any process, as they come; `None` when only
    /// this process uses it.
    fn stops(&self) -> Option<tokio::sync::broadcast::Receiver<Uuid>>;
}

/// The store of one running core. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    backend: Arc<dyn Backend>,
}

impl Store {
    /// The store over `backend`.
    pub(crate) fn new(backend: Arc<dyn Backend>) -> Self {
        Self { backend }
    }

    /// The SQLite file at `path` (created with mode 0600 if missing, migrated).
    pub(crate) async fn open_sqlite(path: &Path) -> Result<Self> {
        Ok(Self::new(Arc::new(sqlite::SqliteStore::open(path).await?)))
    }

    /// The PostgreSQL database at `url` (migrated).
    pub(crate) async fn open_postgres(url: &str) -> Result<Self> {
        Ok(Self::new(Arc::new(
            postgres::PostgresStore::connect(url).await?,
        )))
    }

    /// Runs `work` in one write transaction.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(Mode::Write, work).await
    }

    /// Runs `work` in one read transaction (a consistent snapshot).
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run(Mode::Read, work).await
    }

    async fn run<T, F>(&self, mode: Mode, work: F) -> Result<T>
    where
        F: FnOnce(&dyn Tx) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let work: Work = Box::new(move |tx| work(tx).map(|value| Box::new(value) as _));
        let value = self.backend.run(mode, work).await?;
        Ok(*value
            .downcast::<T>()
            .expect("a transaction gives back what its closure made"))
    }

    /// Checks that the database answers.
    pub(crate) async fn ping(&self) -> Result<()> {
        self.backend.ping().await
    }

    /// See [`Backend::scrub`].
    pub(crate) async fn scrub(&self) -> Result<()> {
        self.backend.scrub().await
    }

    /// Where the data lives.
    pub(crate) fn location(&self) -> &Path {
        self.backend.location()
    }

    /// See [`Backend::announce_stop`].
    pub(crate) async fn announce_stop(&self, message_id: Uuid) -> Result<()> {
        self.backend.announce_stop(message_id).await
    }

    /// See [`Backend::stops`].
    pub(crate) fn stops(&self) -> Option<tokio::sync::broadcast::Receiver<Uuid>> {
        self.backend.stops()
    }
}

/// Milliseconds since the Unix epoch, UTC: how the store takes and gives instants.
pub(crate) type Millis = i64;

/// A 32-byte hash as stored (a BLOB, a BYTEA).
pub(crate) fn hash32(raw: Vec<u8>) -> Result<[u8; 32]> {
    raw.try_into().map_err(|_| {
        crate::error::Error::internal(anyhow::anyhow!("a stored hash is not 32 bytes"))
    })
}
