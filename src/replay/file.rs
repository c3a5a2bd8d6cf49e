//! The embedded persistent replay guard: an SQLite file on the till, so that
//! restarting the till (or the `medcode verify` process) does not re-open a
//! replay window.
//!
//! One table `seen(id INTEGER PRIMARY KEY, until INTEGER)` and a one-row
//! counter of live rows. Every check is one `BEGIN IMMEDIATE` transaction:
//! drop the rows that expired before `now` (an index range scan, usually
//! empty), then `INSERT .. ON CONFLICT (id) DO NOTHING`: one changed row
//! means the code is new, none means it is already recorded and still live.
//! SQLite's write lock makes that atomic across the threads of one process
//! and across processes sharing the file; WAL mode lets readers proceed, a
//! busy timeout waits for the lock instead of failing, and `synchronous =
//! FULL` makes an accepted code durable before the till is told.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior, params};

use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::replay::{DEFAULT_REPLAY_CAPACITY, ReplayGuard};
use crate::time::UnixTime;
use crate::token::TokenId;

/// How long a check waits for another thread or process holding the store's
/// write lock before it gives up with `replay_guard_unavailable`.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// `PRAGMA application_id` of a medcode replay store ("MCRP"): a file of any
/// other SQLite application is refused rather than written into.
const APPLICATION_ID: i64 = 0x4D43_5250;
/// `PRAGMA user_version`: the schema version of the store.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
    CREATE TABLE seen (
        id    INTEGER PRIMARY KEY,  -- the 64-bit token id, as a signed integer
        until INTEGER NOT NULL      -- last second (Unix time) it stays recorded
    );
    CREATE INDEX seen_until ON seen (until);
    CREATE TABLE live (n INTEGER NOT NULL);  -- one row: rows in `seen`
    INSERT INTO live (n) VALUES (0);
";

/// A replay guard kept in an SQLite file.
///
/// Several threads may share one guard (its connection sits behind a
/// mutex) and several processes may open the same file: SQLite's write lock
/// serialises their checks. Entries are dropped once their token has expired
/// (plus leeway); a hard capacity refuses new codes with
/// [`Error::ReplayGuardFull`] rather than letting the file grow without bound.
///
/// Processes sharing one file should share one clock: a check sweeps away
/// the entries that expired before *its* `now`.
pub struct FileReplayGuard {
    conn: Mutex<Connection>,
    path: PathBuf,
    capacity: usize,
}

impl FileReplayGuard {
    /// Opens the store at `path`, creating it if it does not exist, with
    /// the default capacity ([`DEFAULT_REPLAY_CAPACITY`]) and busy timeout
    /// ([`DEFAULT_BUSY_TIMEOUT`]).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the file is not an SQLite database,
    /// is another application's database or of another schema version, or
    /// cannot be opened read-write in WAL mode; [`Error::ReplayGuardUnavailable`]
    /// (`replay_guard_unavailable`) when another process holds its lock beyond
    /// the busy timeout.
    ///
    /// A new file is created with mode 0600 on Unix (readable by its owner
    /// only); SQLite gives its `-wal` and `-shm` files the same mode. An
    /// existing file keeps its mode.
    pub fn open(path: &Path) -> Result<Self> {
        create_private(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| storage(path, &e))?;
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)
            .map_err(|e| storage(path, &e))?;
        // A foreign file is refused before WAL mode or anything else is
        // written to it.
        let format = format_of(&conn, path)?;
        setup(&mut conn, path)?;
        if let Format::Empty = format {
            create_schema(&mut conn, path)?;
        }
        Ok(FileReplayGuard {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            capacity: DEFAULT_REPLAY_CAPACITY,
        })
    }

    /// Sets the hard capacity: live codes recorded before new ones are
    /// refused with `replay_guard_full`.
    #[must_use = "with_capacity returns the changed guard"]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets how long a check waits for the write lock held by another
    /// thread or process.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) if SQLite refuses the setting.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        self.lock()
            .busy_timeout(timeout)
            .map_err(|e| storage(&self.path, &e))
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hard capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Rows recorded (expired ones not yet swept included), across every
    /// process sharing the file.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the count cannot be read;
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`) when the store
    /// stays locked beyond the busy timeout.
    pub fn len(&self) -> Result<usize> {
        let n: i64 = self
            .lock()
            .query_row("SELECT n FROM live", [], |row| row.get(0))
            .map_err(|e| self.error(&e))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// True when nothing is recorded.
    ///
    /// # Errors
    ///
    /// Those of [`FileReplayGuard::len`]: [`Error::Storage`] (`storage`) or
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`).
    pub fn is_empty(&self) -> Result<bool> {
        self.len().map(|n| n == 0)
    }

    /// Drops every entry that expired before `now`; returns how many.
    ///
    /// # Errors
    ///
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`) when another
    /// thread or process holds the write lock beyond the busy timeout;
    /// [`Error::Storage`] (`storage`) when SQLite fails otherwise.
    pub fn purge_expired(&self, now: UnixTime) -> Result<usize> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(&e))?;
        let swept = sweep(&tx, sql_int(now.as_secs())).map_err(|e| self.error(&e))?;
        tx.commit().map_err(|e| self.error(&e))?;
        Ok(swept)
    }

    /// The entries recorded (expired ones not yet swept included), as
    /// token ids and the second they stay recorded until: what a
    /// local-fallback Redis guard writes to the server after a restart.
    #[cfg(feature = "redis")]
    pub(crate) fn entries(&self) -> Result<Vec<(TokenId, u64)>> {
        let conn = self.lock();
        let mut st = conn
            .prepare_cached("SELECT id, until FROM seen")
            .map_err(|e| self.error(&e))?;
        let rows = st
            .query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))
            .map_err(|e| self.error(&e))?;
        let mut live = Vec::new();
        for row in rows {
            let (key, until) = row.map_err(|e| self.error(&e))?;
            live.push((
                TokenId::from_bytes(key.to_le_bytes()),
                u64::try_from(until).unwrap_or(0),
            ));
        }
        Ok(live)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled its transaction back when
        // the transaction was dropped: the connection is usable as is.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn error(&self, e: &rusqlite::Error) -> Error {
        storage(&self.path, e)
    }
}

/// What a file holds, read without writing to it.
enum Format {
    /// A new, empty database.
    Empty,
    /// A medcode replay store of this schema version.
    Ours,
}

/// Tells an empty file or a replay store of this version apart from
/// anything else, which is refused before anything is written to it.
fn format_of(conn: &Connection, path: &Path) -> Result<Format> {
    // One statement, so one snapshot of a file another process may be
    // creating right now.
    let (app, version, tables): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id),
                    (SELECT user_version FROM pragma_user_version),
                    (SELECT count(*) FROM sqlite_schema)",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .map_err(|e| storage(path, &e))?;
    let why = if app == 0 && version == 0 && tables == 0 {
        return Ok(Format::Empty);
    } else if app != APPLICATION_ID {
        "an SQLite database of another application, not a medcode replay store".to_owned()
    } else if version != SCHEMA_VERSION {
        format!("schema version {version}, this build reads version {SCHEMA_VERSION}")
    } else {
        return Ok(Format::Ours);
    };
    Err(Error::Storage {
        why: format!("replay store {}: {why}", path.display()),
    })
}

/// Creates the schema in an empty file. Under the write lock, so that of
/// two processes opening a new file at once exactly one creates it.
fn create_schema(conn: &mut Connection, path: &Path) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| storage(path, &e))?;
    if let Format::Empty = format_of(&tx, path)? {
        tx.execute_batch(SCHEMA)
            .and_then(|()| tx.pragma_update(None, "application_id", APPLICATION_ID))
            .and_then(|()| tx.pragma_update(None, "user_version", SCHEMA_VERSION))
            .map_err(|e| storage(path, &e))?;
    }
    tx.commit().map_err(|e| storage(path, &e))
}

/// Connection settings: WAL and full sync. The busy timeout is set first,
/// as switching to WAL may wait for another process.
fn setup(conn: &mut Connection, path: &Path) -> Result<()> {
    // Switching a new file to WAL while another process does the same can
    // fail with "locked" at once, without the busy handler: retry for as
    // long as the busy timeout.
    let deadline = Instant::now() + DEFAULT_BUSY_TIMEOUT;
    let mode: String = loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            result => break result.map_err(|e| storage(path, &e))?,
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Storage {
            why: format!(
                "replay store {}: the file system does not support SQLite's WAL mode (journal mode stayed {mode})",
                path.display()
            ),
        });
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| storage(path, &e))?;
    conn.set_prepared_statement_cache_capacity(8);
    Ok(())
}

/// Deletes the rows that expired before `now` and updates the live count.
fn sweep(conn: &Connection, now: i64) -> rusqlite::Result<usize> {
    let swept = conn
        .prepare_cached("DELETE FROM seen WHERE until < ?1")?
        .execute([now])?;
    if swept > 0 {
        conn.prepare_cached("UPDATE live SET n = n - ?1")?
            .execute([sql_int(u64::try_from(swept).unwrap_or(u64::MAX))])?;
    }
    Ok(swept)
}

/// Seconds as an SQLite integer; instants beyond year 292 billion clamp.
fn sql_int(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// An SQLite error as a crate error: a lock held beyond the busy timeout is
/// `replay_guard_unavailable` (a refusal: the code cannot be checked now);
/// anything else is `storage` (a broken or unusable file).
/// Creates `path` as an empty file of mode 0600 on Unix if it does not
/// exist yet, so that SQLite (which would create it 0644 less the umask)
/// opens a file only its owner can read. An empty file is an empty SQLite
/// database.
fn create_private(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it first, or it existed: SQLite opens it
        // and checks what it holds.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Storage {
            why: format!("replay store {}: cannot create: {e}", path.display()),
        }),
    }
}

fn storage(path: &Path, e: &rusqlite::Error) -> Error {
    let why = format!("replay store {}: {e}", path.display());
    if is_busy(e) {
        Error::ReplayGuardUnavailable { why }
    } else {
        Error::Storage { why }
    }
}

/// True for "another connection holds the lock".
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

impl fmt::Debug for FileReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileReplayGuard")
            .field("path", &self.path)
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl ReplayGuard for FileReplayGuard {
    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>> {
        // The token id's 8 bytes as the row's integer key.
        let key = i64::from_le_bytes(*id.as_bytes());
        let (now, until) = (sql_int(now.as_secs()), sql_int(until.as_secs()));
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.error(&e))?;
        // After the sweep every remaining row is live, so a conflict on the
        // primary key is exactly "already seen".
        sweep(&tx, now).map_err(|e| self.error(&e))?;
        let inserted = tx
            .prepare_cached(
                "INSERT INTO seen (id, until) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
            )
            .and_then(|mut st| st.execute(params![key, until]))
            .map_err(|e| self.error(&e))?;
        if inserted == 0 {
            // Keep the sweep's work; nothing else changed.
            tx.commit().map_err(|e| self.error(&e))?;
            return Err(Error::Replayed {
                token_id: id.to_string(),
            });
        }
        let live: i64 = tx
            .prepare_cached("UPDATE live SET n = n + 1 RETURNING n")
            .and_then(|mut st| st.query_row([], |row| row.get(0)))
            .map_err(|e| self.error(&e))?;
        if usize::try_from(live).map_or(true, |n| n > self.capacity) {
            // Dropping the transaction rolls the insert back: a refused code
            // is not recorded.
            drop(tx);
            return Err(Error::ReplayGuardFull {
                capacity: self.capacity,
            });
        }
        tx.commit().map_err(|e| self.error(&e))?;
        Ok(None)
    }
}
