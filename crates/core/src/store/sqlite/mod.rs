//! The SQLite store: one file in the data dir, WAL, foreign keys on, a busy timeout,
//! versioned migrations applied at open, created with mode 0600. One module per aggregate
//! implements its trait over a transaction ([`SqliteTx`]).
//!
//! SQLite calls block, so transactions run on Tokio's blocking pool, each on a connection
//! taken from a small pool (WAL lets readers run beside the one writer).

mod accounts;
mod conversations;
mod documents;
mod email_tokens;
mod history;
mod login_attempts;
mod messages;
mod outbox;
mod ranking;
mod sessions;
mod workspaces;

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};
use tokio::sync::Semaphore;
use uuid::Uuid;

use super::{
    Accounts, Backend, BoxFuture, Conversations, Documents, EmailTokens, History, LoginAttempts,
    Messages, Mode, Outbox, Passages, Sessions, Tx, Work, Workspaces,
};
use crate::error::{Error, ErrorCode, Result};

/// Migrations in order; the database's `user_version` is how many have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_accounts.sql"),
    include_str!("../migrations/0002_email.sql"),
    include_str!("../migrations/0003_chat.sql"),
    include_str!("../migrations/0004_proven_addresses.sql"),
    include_str!("../migrations/0005_documents.sql"),
];

/// How long a connection waits for another writer before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections kept open; more would not help on a small machine, fewer would serialise reads.
const POOL_SIZE: usize = 8;

/// A pool of connections to one SQLite file.
#[derive(Debug)]
pub(crate) struct SqliteStore {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Word counts for ranking searches, shared by the pool's connections.
    term_stats: Arc<ranking::TermStats>,
}

/// One SQLite transaction, seen through the aggregates' traits (and the store's word counts,
/// which searches rank with).
pub(crate) struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>, &'a ranking::TermStats);

impl Tx for SqliteTx<'_> {
    fn accounts(&self) -> &dyn Accounts {
        self
    }
    fn sessions(&self) -> &dyn Sessions {
        self
    }
    fn login_attempts(&self) -> &dyn LoginAttempts {
        self
    }
    fn email_tokens(&self) -> &dyn EmailTokens {
        self
    }
    fn outbox(&self) -> &dyn Outbox {
        self
    }
    fn workspaces(&self) -> &dyn Workspaces {
        self
    }
    fn conversations(&self) -> &dyn Conversations {
        self
    }
    fn messages(&self) -> &dyn Messages {
        self
    }
    fn history(&self) -> &dyn History {
        self
    }
    fn documents(&self) -> &dyn Documents {
        self
    }
    fn passages(&self) -> &dyn Passages {
        self
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub(crate) async fn open(path: &Path) -> Result<Self> {
        let path = path.to_owned();
        let first = tokio::task::spawn_blocking({
            let path = path.clone();
            move || -> Result<Connection> {
                create_private_file(&path)?;
                let mut conn = connect(&path)?;
                migrate(&mut conn)?;
                Ok(conn)
            }
        })
        .await
        .map_err(Error::internal)??;
        Ok(Self {
            path,
            idle: Mutex::new(vec![first]),
            permits: Semaphore::new(POOL_SIZE),
            term_stats: Arc::default(),
        })
    }

    /// Runs `work` with a pooled connection, off the async runtime.
    async fn with_connection<T, F>(&self, work: F) -> Result<T>
    where
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let pooled = self.idle.lock().expect("pool lock").pop();
        let path = self.path.clone();
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let mut conn = match pooled {
                Some(conn) => conn,
                None => match connect(&path) {
                    Ok(conn) => conn,
                    Err(err) => return (None, Err(err)),
                },
            };
            let result = work(&mut conn);
            (Some(conn), result)
        })
        .await
        .map_err(Error::internal)?;
        if let Some(conn) = conn {
            self.idle.lock().expect("pool lock").push(conn);
        }
        result
    }
}

impl Backend for SqliteStore {
    fn run(&self, mode: Mode, work: Work) -> BoxFuture<'_, Result<Box<dyn Any + Send>>> {
        let term_stats = self.term_stats.clone();
        Box::pin(self.with_connection(move |conn| {
            // A writer takes the write lock at once (IMMEDIATE), so it never has to upgrade a
            // read lock and fail; a reader's snapshot starts at its first read.
            let behavior = match mode {
                Mode::Write => TransactionBehavior::Immediate,
                Mode::Read => TransactionBehavior::Deferred,
            };
            let tx = conn.transaction_with_behavior(behavior)?;
            let value = work(&SqliteTx(&tx, &term_stats))?;
            tx.commit()?;
            Ok(value)
        }))
    }

    fn ping(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.with_connection(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?)))
    }

    fn scrub(&self) -> BoxFuture<'_, Result<()>> {
        // secure_delete zeroes what is deleted in the database file; moving the WAL into it
        // and emptying the WAL leaves no copy there either.
        Box::pin(self.with_connection(|conn| {
            Ok(conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?)
        }))
    }

    fn location(&self) -> &Path {
        &self.path
    }

    fn announce_stop(&self, _message_id: Uuid) -> BoxFuture<'_, Result<()>> {
        // One process answers from this file; its own stops need no messenger.
        Box::pin(async { Ok(()) })
    }

    fn stops(&self) -> Option<tokio::sync::broadcast::Receiver<Uuid>> {
        None
    }
}

/// A fault of the database is Docent's own: the detail is logged, never shown.
impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        Self::Internal(err.into())
    }
}

/// A UUID stored as TEXT.
pub(super) fn uuid(raw: String) -> Result<Uuid> {
    Uuid::parse_str(&raw).map_err(Error::internal)
}

/// Creates the file (and its folder) readable by its owner only, before SQLite opens it, or
/// tightens them if they exist; SQLite gives the `-wal` and `-shm` files the file's mode.
fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        crate::files::private_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("creating the database {}", path.display()))
        .map_err(Error::Internal)?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        crate::files::tighten(Path::new(&file), 0o600);
    }
    Ok(())
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .with_context(|| format!("opening the database {}", path.display()))
    .map_err(Error::Internal)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Deleted and overwritten content (sent emails' one-time links) is zeroed, not left behind.
    conn.pragma_update(None, "secure_delete", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    ranking::register(&conn)?;
    Ok(conn)
}

/// Applies the pending migrations in one transaction. Foreign keys are off meanwhile (SQLite
/// ignores the pragma inside a transaction, so it is set around it), as SQLite's procedure for
/// rebuilding a table asks; every reference is checked before the commit instead.
fn migrate(conn: &mut Connection) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = migrate_in_transaction(conn);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated
}

fn migrate_in_transaction(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if applied > MIGRATIONS.len() {
        return Err(Error::Config {
            code: ErrorCode::DatabaseTooNew,
            message: format!(
                "The database was written by a newer version of Docent (schema {applied}, this version knows {}). Update Docent.",
                MIGRATIONS.len()
            ),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)
            .with_context(|| format!("applying migration {}", index + 1))
            .map_err(Error::Internal)?;
        tx.pragma_update(None, "user_version", index + 1)?;
    }
    let broken: Option<String> = tx
        .query_row("PRAGMA foreign_key_check", [], |row| row.get(0))
        .optional()?;
    if let Some(table) = broken {
        return Err(Error::internal(anyhow::anyhow!(
            "a migration left a broken reference in {table}"
        )));
    }
    tx.commit()?;
    Ok(())
}

/// Whether a SQLite error is a UNIQUE constraint violation.
pub(super) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_private_wal_database_with_foreign_keys_and_all_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("docent.sqlite3");
        let store = SqliteStore::open(&path).await.unwrap();
        let (mode, fk, version): (String, i64, usize) = store
            .with_connection(|conn| {
                Ok((
                    conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                    conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?,
                    conn.pragma_query_value(None, "user_version", |r| r.get(0))?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
        assert_eq!(version, MIGRATIONS.len());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        drop(store);
        // Opening again applies nothing twice.
        SqliteStore::open(&path).await.unwrap();
    }

    /// A database of the version before proven addresses (schema 3) keeps everything: the
    /// outbox still points at its tokens after the token table is rebuilt, and the accounts
    /// made by an emailed sign-in (no password) count as proven, the others not.
    #[tokio::test]
    async fn proven_addresses_migrate_a_schema_3_database_without_losing_anything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docent.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            let tx = conn.transaction().unwrap();
            for sql in &MIGRATIONS[..3] {
                tx.execute_batch(sql).unwrap();
            }
            tx.pragma_update(None, "user_version", 3).unwrap();
            tx.execute_batch(
                "INSERT INTO users (id, email, password_hash, created_at, updated_at)
                   VALUES ('u1', 'pw@example.com', '$argon2id$x', 10, 10),
                          ('u2', 'link@example.com', NULL, 20, 20);
                 INSERT INTO email_tokens (id, purpose, email, user_id, token_hash, code_hash, created_at, expires_at)
                   VALUES (7, 'login', 'link@example.com', 'u2', x'01', x'02', 30, 99999999999999);
                 INSERT INTO outbox (kind, token_id, recipient, subject, text_body, html_body, created_at, next_attempt_at)
                   VALUES ('login', 7, 'link@example.com', 's', 't', 'h', 30, 30);",
            )
            .unwrap();
            tx.commit().unwrap();
        }
        let store = SqliteStore::open(&path).await.unwrap();
        type Proven = Vec<(String, Option<i64>)>;
        let (proven, token_id, purpose_ok, fk): (Proven, Option<i64>, bool, i64) = store
            .with_connection(|conn| {
                let proven = conn
                    .prepare("SELECT email, email_verified_at FROM users ORDER BY id")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let token_id = conn.query_row("SELECT token_id FROM outbox", [], |r| r.get(0))?;
                let purpose_ok = conn
                    .execute(
                        "INSERT INTO email_tokens (purpose, email, token_hash, created_at, expires_at)
                         VALUES ('verify', 'pw@example.com', x'03', 40, 50)",
                        [],
                    )
                    .is_ok();
                let fk = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
                Ok((proven, token_id, purpose_ok, fk))
            })
            .await
            .unwrap();
        assert_eq!(
            proven,
            [
                ("pw@example.com".to_owned(), None),
                ("link@example.com".to_owned(), Some(20))
            ]
        );
        assert_eq!(token_id, Some(7), "the pending email keeps its token");
        assert!(purpose_ok, "tokens may confirm addresses now");
        assert_eq!(fk, 1, "foreign keys are back on after the migration");
    }

    #[tokio::test]
    async fn refuses_a_database_from_a_newer_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docent.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 999).unwrap();
        }
        let err = SqliteStore::open(&path).await.unwrap_err();
        assert_eq!(err.code(), "database_too_new");
    }
}
