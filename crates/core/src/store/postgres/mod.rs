//! The PostgreSQL store, for docent-server instances sharing one database (issue 14): a pool of
//! connections (`deadpool-postgres` over `tokio-postgres`), versioned migrations applied at
//! start under an advisory lock, so instances starting together apply each once. One module per
//! aggregate implements its trait over a transaction ([`PgTx`]).
//!
//! The aggregates' traits are synchronous (a closure runs on a blocking thread with its
//! transaction), so each call blocks that thread on the driver's future.
//!
//! Writes keep the SQLite store's guarantee that one write transaction runs at a time: each
//! takes a transaction-level advisory lock first, across every instance on the database, so a
//! check and the write that depends on it (a single-use token, the login throttle, a job's
//! claim) cannot interleave with another instance's. Reads run beside them on a snapshot
//! (REPEATABLE READ, read only).
//!
//! docent-server uses it when `DOCENT_DATABASE_URL` is set; the desktop app keeps SQLite.

mod accounts;
mod conversations;
mod documents;
mod email_tokens;
mod history;
mod login_attempts;
mod messages;
mod outbox;
mod passages;
mod sessions;
mod tls;
mod workspaces;

use std::path::{Path, PathBuf};

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use futures_util::StreamExt as _;
use tokio::runtime::Handle;
use tokio::sync::broadcast;
use tokio_postgres::types::ToSql;
use tokio_postgres::{AsyncMessage, IsolationLevel, Row};
use uuid::Uuid;

use crate::error::{Error, ErrorCode, Result};

use super::{
    Accounts, Backend, BoxFuture, Conversations, Documents, EmailTokens, History, LoginAttempts,
    Messages, Mode, Outbox, Passages, Sessions, Tx, Work, Workspaces,
};

/// Migrations in order; `schema_migrations` holds the versions applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_schema.sql"),
    include_str!("../migrations/postgres/0002_history_search.sql"),
    include_str!("../migrations/postgres/0003_passage_search.sql"),
];

/// Connections per instance: twice SQLite's pool, as a team's server waits on the database
/// over the network, not on its own CPU.
const POOL_SIZE: usize = 16;

/// How long connecting to the database may take.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// How long a request waits for a free connection when every one is busy.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The advisory lock (a 64-bit key of our own: "docent" and 1) held while migrating.
const MIGRATION_LOCK: i64 = 0x646f_6365_6e74_0001;
/// The advisory lock every write transaction holds until it ends.
const WRITE_LOCK: i64 = 0x646f_6365_6e74_0002;

/// The channel of `pg_notify` that carries answers to stop (their message ids).
const STOP_CHANNEL: &str = "docent_stop";

/// A pool of connections to one PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PostgresStore {
    pool: Pool,
    /// The server and database, for people (never the password).
    location: PathBuf,
    /// The stops announced on the database, as its listening connection hears them.
    stops: broadcast::Sender<Uuid>,
    /// That connection's task, ended with the store.
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// One PostgreSQL transaction, seen through the aggregates' traits.
pub(crate) struct PgTx<'a> {
    tx: &'a deadpool_postgres::Transaction<'a>,
    runtime: &'a Handle,
}

impl PgTx<'_> {
    /// The rows of `sql` (prepared once per connection).
    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
        Ok(self.runtime.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.query(&statement, params).await
        })?)
    }

    /// The row of `sql`, if any.
    fn query_opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>> {
        Ok(self.runtime.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.query_opt(&statement, params).await
        })?)
    }

    /// The one row of `sql`.
    fn query_one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Row> {
        Ok(self.runtime.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.query_one(&statement, params).await
        })?)
    }

    /// Runs `sql`: the rows it changed.
    fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
        Ok(self.runtime.block_on(async {
            let statement = self.tx.prepare_cached(sql).await?;
            self.tx.execute(&statement, params).await
        })?)
    }
}

impl Tx for PgTx<'_> {
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

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// libpq's `sslmode` and `sslrootcert` for TLS: tls.rs) and applies pending migrations.
    pub(crate) async fn connect(url: &str) -> Result<Self> {
        let tls::DatabaseUrl { mut config, tls } = tls::parse(url)?;
        let location = PathBuf::from(format!(
            "postgres://{}/{}",
            config
                .get_hosts()
                .iter()
                .map(|host| match host {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            config.get_dbname().unwrap_or_default()
        ));
        // A server out of reach fails a request in seconds, not after TCP's minutes.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let (stops, _) = broadcast::channel(64);
        let listener = tokio::spawn(listen_for_stops(config.clone(), tls.clone(), stops.clone()));
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(Error::internal)?;
        let store = Self {
            pool,
            location,
            stops,
            listener,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the pending migrations, each in its transaction, holding the migration lock so
    /// that instances starting together wait for each other.
    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        client
            .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let migrated = apply_migrations(&mut client).await;
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        migrated
    }
}

/// Listens on its own connection for the stops announced on the database, for as long as the
/// store lives, connecting again (each second) whenever the connection is lost.
async fn listen_for_stops(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    stops: broadcast::Sender<Uuid>,
) {
    loop {
        match config.connect(tls.clone()).await {
            Ok((client, mut connection)) => {
                let heard = stops.clone();
                let messages = async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let AsyncMessage::Notification(note) = message {
                            if let Ok(id) = Uuid::parse_str(note.payload()) {
                                let _ = heard.send(id);
                            }
                        }
                    }
                };
                let listen = async move {
                    if let Err(err) = client
                        .batch_execute(&format!("LISTEN {STOP_CHANNEL}"))
                        .await
                    {
                        tracing::warn!(error = %err, "could not listen for stopped answers");
                    }
                    // Kept until the connection ends.
                    client
                };
                let _ = tokio::join!(messages, listen);
            }
            Err(err) => tracing::debug!(error = %err, "listening for stopped answers"),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn apply_migrations(client: &mut deadpool_postgres::Client) -> Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let applied: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let applied = usize::try_from(applied).unwrap_or(0);
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
        let version = i32::try_from(index + 1).map_err(Error::internal)?;
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await.map_err(|err| {
            Error::internal(
                anyhow::Error::new(err).context(format!("applying migration {version}")),
            )
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

impl Backend for PostgresStore {
    fn run(&self, mode: Mode, work: Work) -> BoxFuture<'_, Result<Box<dyn std::any::Any + Send>>> {
        Box::pin(async move {
            let mut client = self.pool.get().await.map_err(pool_error)?;
            let runtime = Handle::current();
            tokio::task::spawn_blocking(move || {
                let tx = runtime.block_on(async {
                    let tx = match mode {
                        Mode::Read => {
                            client
                                .build_transaction()
                                .isolation_level(IsolationLevel::RepeatableRead)
                                .read_only(true)
                                .start()
                                .await?
                        }
                        Mode::Write => {
                            let tx = client
                                .build_transaction()
                                .isolation_level(IsolationLevel::ReadCommitted)
                                .start()
                                .await?;
                            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                                .await?;
                            tx
                        }
                    };
                    Ok::<_, tokio_postgres::Error>(tx)
                })?;
                let value = work(&PgTx {
                    tx: &tx,
                    runtime: &runtime,
                })?;
                runtime.block_on(tx.commit())?;
                Ok(value)
            })
            .await
            .map_err(Error::internal)?
        })
    }

    fn ping(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(pool_error)?;
            client.simple_query("SELECT 1").await?;
            Ok(())
        })
    }

    fn scrub(&self) -> BoxFuture<'_, Result<()>> {
        // VACUUM removes the dead versions of rows (blanked email bodies, used tokens) from the
        // tables' pages; it cannot run inside a transaction.
        Box::pin(async move {
            let client = self.pool.get().await.map_err(pool_error)?;
            client.batch_execute("VACUUM outbox, email_tokens").await?;
            Ok(())
        })
    }

    fn location(&self) -> &Path {
        &self.location
    }

    fn announce_stop(&self, message_id: Uuid) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let client = self.pool.get().await.map_err(pool_error)?;
            client
                .execute(
                    "SELECT pg_notify($1, $2)",
                    &[&STOP_CHANNEL, &message_id.to_string()],
                )
                .await?;
            Ok(())
        })
    }

    fn stops(&self) -> Option<broadcast::Receiver<Uuid>> {
        Some(self.stops.subscribe())
    }
}

/// A small count as stored (an INTEGER).
fn stored(n: u32) -> Result<i32> {
    i32::try_from(n).map_err(Error::internal)
}

/// A small count as read back.
fn read(n: i32) -> Result<u32> {
    u32::try_from(n).map_err(Error::internal)
}

/// A lexeme as tsquery input takes it: quoted, its quotes and backslashes doubled, so that no
/// query syntax reaches PostgreSQL and nothing is normalised again.
fn quoted_lexeme(lexeme: &str) -> String {
    format!("'{}'", lexeme.replace('\\', "\\\\").replace('\'', "''"))
}

/// A database that does not answer (its connection lost or refused, the server shutting down
/// or starting) is worth retrying; any other fault of the database is Docent's own. Either
/// way the detail is logged, never shown.
impl From<tokio_postgres::Error> for Error {
    fn from(err: tokio_postgres::Error) -> Self {
        let unreachable = match err.code() {
            // Connection exceptions (class 08), and the server shutting down or starting.
            Some(state) => {
                state.code().starts_with("08")
                    || ["57P01", "57P02", "57P03"].contains(&state.code())
            }
            // No answer from the server at all: its connection is gone, or never came.
            None => {
                err.is_closed()
                    || std::error::Error::source(&err)
                        .is_some_and(|source| source.is::<std::io::Error>())
            }
        };
        if unreachable {
            Self::DatabaseUnavailable(err.into())
        } else {
            Self::Internal(err.into())
        }
    }
}

/// No connection could be had from the pool: the database does not answer.
fn pool_error(err: deadpool_postgres::PoolError) -> Error {
    match err {
        deadpool_postgres::PoolError::Backend(err) => err.into(),
        other => Error::DatabaseUnavailable(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    /// Instances starting together on a new database wait for each other's migrations: all
    /// start, and each migration was applied once (without the lock, one fails).
    #[tokio::test]
    async fn instances_starting_together_apply_each_migration_once() {
        let server = docent_test_support::postgres::TestPostgres::shared();
        let url = server.fresh_database();
        let opened =
            futures_util::future::join_all((0..4).map(|_| Store::open_postgres(&url))).await;
        for store in opened {
            store.unwrap();
        }
        let name = url.rsplit('/').next().unwrap();
        let versions = server.sql(name, "SELECT version FROM schema_migrations ORDER BY 1");
        let expected: String = (1..=super::MIGRATIONS.len())
            .map(|v| format!("{v}\n"))
            .collect();
        assert_eq!(versions, expected);
    }
}
