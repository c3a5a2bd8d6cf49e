//! The one way the platform opens an SQLite file (bundled SQLite, nothing
//! to install): created readable by its owner only (it holds names, money
//! and who used whose code), a busy timeout so that a writer waits for
//! another's lock instead of failing, `synchronous = FULL`, and the
//! journal and foreign-key settings each store asks for. Schema
//! migrations run through [`migrate`] in one `BEGIN IMMEDIATE`
//! transaction, so two processes opening a new file at once migrate it
//! exactly once.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::store::migrate::{Dialect, Schema, SchemaTx, bring_up_to_date};
use medcode::error::{Error, Result};

/// How the file keeps its journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Journal {
    /// The rollback journal: the database is one file at rest (the
    /// registry, and the wallet that may share its file).
    Rollback,
    /// Write-ahead log: readers do not wait for the writer (usage records).
    Wal,
}

/// How a store opens its file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SqliteOptions {
    /// What creating the file is called in an `io` error (`create registry`).
    pub create: &'static str,
    /// Put before every storage error's text (`usage records: `), or empty.
    pub label: &'static str,
    /// How long a writer waits for another writer's lock.
    pub busy_timeout: Duration,
    /// The journal.
    pub journal: Journal,
    /// Whether SQLite enforces the schema's foreign keys.
    pub foreign_keys: bool,
}

impl SqliteOptions {
    /// A storage error: `cannot {action}: {e}` after the label.
    pub(crate) fn storage(&self, action: &str, e: &rusqlite::Error) -> Error {
        Error::Storage {
            why: format!("{}cannot {action}: {e}", self.label),
        }
    }
}

/// Creates an empty file readable by its owner only, unless it exists
/// (SQLite gives its journal and WAL files the same mode).
///
/// # Errors
///
/// `io` when the file cannot be created.
pub(crate) fn create_private(path: &Path, action: &'static str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io(path, action, e)),
    }
}

/// Creates the file (mode 0600) unless it exists, then opens it.
///
/// # Errors
///
/// As [`create_private`] and [`connect`].
pub(crate) fn open(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    create_private(path, options.create)?;
    connect(path, options)
}

/// Opens an existing file (never creates one) with `options`.
///
/// # Errors
///
/// `storage` when SQLite cannot open or configure it (a file that is not
/// SQLite).
pub(crate) fn connect(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| options.storage(&format!("open {}", path.display()), &e))?;
    conn.busy_timeout(options.busy_timeout)
        .map_err(|e| options.storage("configure the connection", &e))?;
    if options.journal == Journal::Wal {
        set_wal(&conn, path, options)?;
    }
    if options.foreign_keys {
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(|e| options.storage("configure the connection", &e))?;
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| options.storage("configure the connection", &e))?;
    Ok(conn)
}

/// Puts the file in WAL mode (kept in the file once set). Changing the
/// journal mode needs a lock that SQLite reports as `database is locked`
/// at once, without waiting in its busy handler, when other connections
/// open the same new file at the same moment: tried again until the busy
/// timeout has passed.
fn set_wal(conn: &Connection, path: &Path, options: &SqliteOptions) -> Result<()> {
    let deadline = std::time::Instant::now() + options.busy_timeout;
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Ok(()) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(options.storage(&format!("open {}", path.display()), &e)),
        }
    }
}

/// Opens an existing file read-only (never creates or changes one): a
/// reader of another store's file.
///
/// # Errors
///
/// `storage` when SQLite cannot open it (no file, a file that is not SQLite).
pub(crate) fn connect_read_only(path: &Path, options: &SqliteOptions) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| options.storage(&format!("open {}", path.display()), &e))?;
    conn.busy_timeout(options.busy_timeout)
        .map_err(|e| options.storage("configure the connection", &e))?;
    Ok(conn)
}

/// A transaction as the migration runner sees it.
pub(crate) struct SqliteSchemaTx<'a> {
    pub tx: &'a Transaction<'a>,
    pub options: &'a SqliteOptions,
}

impl SchemaTx for SqliteSchemaTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str) -> Result<()> {
        self.tx
            .execute_batch(sql)
            .map_err(|e| self.options.storage("migrate the schema", &e))
    }

    fn first_int(&mut self, sql: &str) -> Result<Option<i64>> {
        match self.tx.query_row(sql, [], |r| r.get(0)) {
            Ok(v) => Ok(Some(v)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(self.options.storage("read the schema version", &e)),
        }
    }
}

/// Begins the `BEGIN IMMEDIATE` transaction a migration runs in: it holds
/// the file's write lock from the start.
///
/// # Errors
///
/// `storage` when the transaction cannot begin (a file that is not SQLite).
pub(crate) fn begin_migration<'c>(
    conn: &'c mut Connection,
    options: &SqliteOptions,
) -> Result<Transaction<'c>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| options.storage("begin a transaction", &e))
}

/// Brings `schema` up to date in one `BEGIN IMMEDIATE` transaction;
/// returns the version found.
///
/// # Errors
///
/// `storage` as [`bring_up_to_date`], or when the transaction fails.
pub(crate) fn migrate(
    conn: &mut Connection,
    schema: &Schema,
    options: &SqliteOptions,
    place: &str,
) -> Result<i64> {
    let tx = begin_migration(conn, options)?;
    let found = bring_up_to_date(&mut SqliteSchemaTx { tx: &tx, options }, schema, place, 0)?;
    tx.commit()
        .map_err(|e| options.storage("commit the migration", &e))?;
    Ok(found)
}
