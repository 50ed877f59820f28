//! The database: one connection type over SQLite (embedded default) and PostgreSQL
//! (chosen by a `postgres://` URL), a pool, the embedded migrations of both dialects,
//! and `Database::run`, which moves blocking diesel work off the async workers.

pub mod schema;
pub mod slug_enum;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

/// A connection to whichever backend the configuration chose. Queries written with
/// diesel's DSL against `DbConnection` run unchanged on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The SQLite file's name in the data directory.
pub const SQLITE_FILE: &str = "stadsmaat.sqlite3";

/// Where the data lives: a SQLite file or a PostgreSQL server.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite { path: std::path::PathBuf },
    Postgres { url: String },
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs select PostgreSQL; without a URL the
    /// SQLite file in the data directory is used. Anything else is a configuration error,
    /// so a typo never silently creates a stray SQLite file.
    pub fn from_config(database_url: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        match database_url {
            None => Ok(Backend::Sqlite {
                path: data_dir.join(SQLITE_FILE),
            }),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Backend::Postgres { url: url.to_owned() })
            }
            Some(url) => match url.strip_prefix("sqlite://") {
                Some(path) => Ok(Backend::Sqlite { path: path.into() }),
                None => Err(format!(
                    "DATABASE_URL must start with postgres://, postgresql:// or sqlite://, got {url:?}"
                )),
            },
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
        }
    }
}

/// How SQLite waits for the disk at each commit (`PRAGMA synchronous`). `Full`, the
/// default, syncs the write-ahead log at every commit, so a committed change survives a
/// power cut; `Normal` syncs only at checkpoints: commits are faster and the file stays
/// consistent, but the last commits before a power cut or operating-system crash (not a
/// crash of the process) may be lost. PostgreSQL ignores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl std::str::FromStr for Synchronous {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.to_ascii_lowercase().as_str() {
            "full" => Ok(Synchronous::Full),
            "normal" => Ok(Synchronous::Normal),
            _ => Err(format!("expected full or normal, got {value:?}")),
        }
    }
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Opens connections of the configured backend for the pool. SQLite connections get
/// their pragmas here because they are per connection.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    synchronous: Synchronous,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.backend {
            Backend::Sqlite { path } => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout first, so a second writer waits instead of failing with
                // SQLITE_BUSY; WAL itself is set once in `Database::open`.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA synchronous = {}; \
                     PRAGMA foreign_keys = ON;",
                    self.synchronous.pragma()
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            Backend::Postgres { url } => PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// Arbitrary, fixed: the advisory lock key of database set-up.
const SETUP_LOCK_KEY: i64 = 7_400_400_000;

/// See [`Database::setup_lock`].
pub enum SetupLock {
    Postgres(PooledConnection),
    Sqlite(std::fs::File),
}

impl Drop for SetupLock {
    fn drop(&mut self) {
        if let SetupLock::Postgres(conn) = self {
            let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({SETUP_LOCK_KEY})"));
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// The shared handle to the database, cheap to clone.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    backend: Backend,
}

impl Database {
    /// Connects, creating the SQLite file if needed, and runs pending migrations; SQLite
    /// commits are durable ([`Synchronous::Full`]).
    pub fn open(backend: Backend) -> Result<Self, String> {
        Self::open_with(backend, Synchronous::default())
    }

    /// [`Database::open`] with the operator's choice of SQLite durability.
    pub fn open_with(backend: Backend, synchronous: Synchronous) -> Result<Self, String> {
        if let Backend::Sqlite { path } = &backend {
            enable_wal(path)?;
        }
        let size = match backend {
            // One writer at a time anyway; a few readers beside it are plenty.
            Backend::Sqlite { .. } => 4,
            Backend::Postgres { .. } => 10,
        };
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                backend: backend.clone(),
                synchronous,
            })
            .map_err(|e| format!("cannot connect to the {} database: {e}", backend.name()))?;
        let db = Database { pool, backend };
        let _lock = db.setup_lock()?;
        db.migrate()?;
        Ok(db)
    }

    /// Held while one process sets up a shared database (migrations, the first import):
    /// a second `serve` starting at the same moment waits instead of racing it. On
    /// PostgreSQL a session advisory lock; on SQLite an exclusive lock on a file beside
    /// the database. Released when dropped.
    pub fn setup_lock(&self) -> Result<SetupLock, String> {
        match &self.backend {
            Backend::Postgres { .. } => {
                let mut conn = self.connection().map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({SETUP_LOCK_KEY})"))
                    .map_err(|e| format!("cannot take the set-up lock: {e}"))?;
                Ok(SetupLock::Postgres(conn))
            }
            Backend::Sqlite { path } => {
                let mut lock_path = path.as_os_str().to_owned();
                lock_path.push(".setup-lock");
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| format!("cannot open {}: {e}", lock_path.to_string_lossy()))?;
                use std::os::fd::AsRawFd;
                // SAFETY: flock on a file descriptor we own; it is released on close.
                if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
                    return Err(format!(
                        "cannot lock {}: {}",
                        lock_path.to_string_lossy(),
                        std::io::Error::last_os_error()
                    ));
                }
                Ok(SetupLock::Sqlite(file))
            }
        }
    }

    fn migrate(&self) -> Result<(), String> {
        let mut conn = self.connection().map_err(|e| e.to_string())?;
        let result = match &mut *conn {
            DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
            DbConnection::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        };
        result.map_err(|e| format!("migrations failed: {e}"))
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A connection for synchronous work (CLI commands, start-up).
    pub fn connection(&self) -> AppResult<PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking database work on actix's blocking thread pool.
    pub async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|_| AppError::Internal("database worker stopped".into()))?
    }
}

/// Runs `work` in a transaction that will write. On SQLite it takes the write lock at
/// its start (`BEGIN IMMEDIATE`): a transaction that reads and then writes would
/// otherwise fail at once when another writer committed in between (a WAL snapshot
/// cannot be upgraded), instead of waiting its turn. On PostgreSQL a plain transaction.
pub fn write_transaction<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    let nested = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_some();
    if nested {
        // Inside a transaction the write lock is taken already: a savepoint will do.
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = work(conn);
    let DbConnection::Sqlite(sqlite) = conn else {
        return Err(AppError::Internal("the connection changed backend".into()));
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(e) => {
            // The work's error is what matters; a failed rollback is logged only.
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(sqlite) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Runs `work` in a write transaction that is always rolled back: what it would store,
/// seen from inside, with nothing stored (dry runs).
pub fn rolled_back<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> AppResult<T>,
) -> AppResult<T> {
    let mut result = None;
    let transaction = write_transaction(conn, |conn| {
        result = Some(work(conn));
        // An error is what makes `write_transaction` roll back.
        Err::<(), _>(AppError::Internal("rolled back on purpose".into()))
    });
    match (result, transaction) {
        (Some(result), _) => result,
        // The transaction could not even begin.
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Err(AppError::Internal("dry run did not run".into())),
    }
}

/// Switches the SQLite file to write-ahead logging (a persistent setting of the file),
/// from one connection before the pool opens several: WAL lets readers run beside the
/// one writer.
fn enable_wal(path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000;")
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    // Switching the journal mode needs the file to itself, and SQLite answers "locked"
    // at once (without its busy handler) while another process is migrating it, as when
    // two instances start together. Once the file is in WAL mode nothing is left to do.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match conn.batch_execute("PRAGMA journal_mode = WAL;") {
            Ok(()) => return Ok(()),
            Err(e) if std::time::Instant::now() < deadline && e.to_string().contains("locked") => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => return Err(format!("cannot enable WAL on {}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pooled connection commits with the chosen durability; full unless told.
    #[test]
    fn connections_use_the_chosen_synchronous_mode() {
        #[derive(diesel::QueryableByName)]
        struct Mode {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.sqlite3");
        for (open, expected) in [(None, 2), (Some(Synchronous::Normal), 1)] {
            let backend = Backend::Sqlite { path: path.clone() };
            let db = match open {
                None => Database::open(backend),
                Some(mode) => Database::open_with(backend, mode),
            }
            .expect("open");
            let mut conn = db.connection().expect("conn");
            let mode: Mode = diesel::RunQueryDsl::get_result(
                diesel::sql_query("PRAGMA synchronous"),
                &mut *conn,
            )
            .expect("pragma");
            assert_eq!(mode.synchronous, expected, "{open:?}");
        }
        assert_eq!("NORMAL".parse(), Ok(Synchronous::Normal));
        assert!("fast".parse::<Synchronous>().is_err());
    }
}
