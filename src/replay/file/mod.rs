//! The embedded persistent replay guard: a file on the till, so that
//! restarting the till (or the `medcode verify` process) does not re-open a
//! replay window. It uses the standard library only (no database engine),
//! so it builds wherever Rust does: Windows, Android, tills without SQLite.
//!
//! # The file
//!
//! A 32-byte header (the magic `"medcode replay\n\0"`, the format version,
//! the record size and a generation counter whose top bit is a "replaced"
//! flag), then 16-byte records `(token id, until)`, little-endian, appended
//! one per accepted code (the layout is in `format.rs`). A record is never
//! changed once written; an id accepted again after its record expired gets
//! a second record (the later `until` wins when the file is read).
//!
//! # One check
//!
//! Each handle ([`FileReplayGuard::open`]) keeps the records it has read in
//! memory (id → until) with the file length read so far. A check takes the
//! handle's mutex (the threads of one process), then the advisory lock on
//! the file ([`File::try_lock`], retried every 2 ms up to the busy timeout,
//! then `replay_guard_unavailable`; the processes sharing the file). Under
//! the lock it:
//!
//! 1. makes sure its handle is still the store (below, "Compaction"),
//! 2. reads the records appended since its last check (by other processes
//!    or other handles), truncates a torn last record (a length that is not
//!    the header plus whole records: a writer that crashed mid-append, never
//!    told its till "accepted"),
//! 3. drops from memory the ids whose `until` is before `now`,
//! 4. answers `replayed` for an id still held, `replay_guard_full` when the
//!    live ids fill the capacity, and otherwise appends the record and
//!    `sync_data`s the file, and only then answers "accepted",
//! 5. releases the lock.
//!
//! So of two concurrent checks of one id, across threads and processes,
//! exactly one is accepted, and an accepted id is on disk before the till
//! is told.
//!
//! # Compaction
//!
//! Expired records stay in the file until a check (or
//! [`FileReplayGuard::purge_expired`]) finds more than twice as many dead
//! records as live ones and at least 1024 records. Then, still under the
//! lock of the store:
//!
//! 1. the live records are written to `NAME.compact` in the same directory
//!    (created with mode 0600, then given the store's mode; a leftover of a
//!    crash is removed first), with generation `g + 1`, synced, and locked
//!    by this handle;
//! 2. the old store's header is rewritten with generation `g + 1` and the
//!    "replaced" flag;
//! 3. `NAME.compact` is renamed over `NAME`, and the directory is synced
//!    (when `NAME` is a symbolic link, all this happens beside and to its
//!    target, and the link stays);
//! 4. the handle switches to the new file (still locked) and the old one is
//!    closed, which releases its lock.
//!
//! A process waiting for the old store's lock gets it at step 4 and sees at
//! step 1 of its check that its handle is no longer the store: on Unix its
//! file's device and inode differ from those of `NAME`; elsewhere the old
//! file's header carries the "replaced" flag. It closes the handle, opens
//! `NAME`, takes its lock and reads it whole. A store with the flag that
//! still is `NAME` is what a crash between steps 2 and 3 leaves: on Unix the
//! device and inode say so, elsewhere opening `NAME` again gives a flagged
//! file of the same generation; its records are all there, and the process
//! holding the lock clears the flag and goes on. A crash before step 3
//! leaves the old store complete (and `NAME.compact` for the next
//! compaction to remove); a crash after it, the new one complete. Nothing
//! already synced is lost.
//!
//! Processes sharing one file should share one clock: a check drops the
//! entries that expired before *its* `now`.

mod format;

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use format::{HEADER_LEN, Header, RECORD_LEN};

use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::replay::ReplayGuard;
use crate::replay::memory::DEFAULT_REPLAY_CAPACITY;
use crate::time::UnixTime;
use crate::token::TokenId;

/// How long a check waits for another thread or process holding the store's
/// lock before it gives up with `replay_guard_unavailable`.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Records below which a store is never compacted.
const COMPACT_FLOOR: u64 = 1024;
/// How long a check waiting for the lock sleeps between two tries.
const LOCK_RETRY: Duration = Duration::from_millis(2);

/// A replay guard kept in a file of its own format (see the module's
/// documentation for the format and the locking protocol).
///
/// Several threads may share one guard (its state sits behind a mutex) and
/// several processes may open the same file: an advisory lock on the file
/// serialises their checks. Entries are dropped once their token has
/// expired (plus leeway); a hard capacity refuses new codes with
/// [`Error::ReplayGuardFull`] rather than letting the file grow without
/// bound, and the file is rewritten without its expired records once they
/// outnumber the live ones twice.
///
/// Processes sharing one file should share one clock: a check sweeps away
/// the entries that expired before *its* `now`.
pub struct FileReplayGuard {
    state: Mutex<Option<Store>>,
    path: PathBuf,
    capacity: usize,
    /// The busy timeout in nanoseconds.
    busy_timeout: AtomicU64,
    /// Records below which the store is never compacted.
    compact_floor: u64,
}

/// An open store and what this handle has read of it.
struct Store {
    file: File,
    /// The generation read from the header; `None` before the first read.
    generation: Option<u64>,
    /// Bytes read so far: the header and whole records.
    read_len: u64,
    /// The ids read or recorded (id → until), expired ones not yet swept
    /// included.
    seen: HashMap<u64, u64>,
    /// Records in the file at which compaction is tried again after an
    /// attempt failed.
    compact_retry_at: u64,
}

impl Store {
    fn new(file: File) -> Store {
        Store {
            file,
            generation: None,
            read_len: HEADER_LEN,
            seen: HashMap::new(),
            compact_retry_at: 0,
        }
    }

    /// Records in the file (read so far).
    fn records(&self) -> u64 {
        (self.read_len - HEADER_LEN) / RECORD_LEN
    }

    /// Drops the ids that expired before `now`; returns how many.
    fn sweep(&mut self, now: u64) -> usize {
        let before = self.seen.len();
        self.seen.retain(|_, until| *until >= now);
        before - self.seen.len()
    }
}

/// What a check under the lock decided about the handle.
enum Current {
    /// The handle is the store, read up to date.
    Yes,
    /// The store was replaced: close the handle and open the path again.
    Replaced,
}

impl FileReplayGuard {
    /// Opens the store at `path`, creating it if it does not exist, with
    /// the default capacity ([`DEFAULT_REPLAY_CAPACITY`]) and busy timeout
    /// ([`DEFAULT_BUSY_TIMEOUT`]).
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the file is not a medcode replay
    /// store (another application's file, an earlier medcode's SQLite
    /// store), is of another format version, or cannot be opened,
    /// read and written; [`Error::ReplayGuardUnavailable`]
    /// (`replay_guard_unavailable`) when another process holds its lock
    /// beyond the busy timeout.
    ///
    /// A new file is created with mode 0600 on Unix (readable by its owner
    /// only); an existing file keeps its mode. A foreign file is refused
    /// as it is: nothing is written to it. On a platform or file system
    /// without file locks, opening fails with `storage`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_store(path)?;
        // A foreign file is refused before its lock is taken, when it can
        // be read without it (elsewhere than Unix, a file locked by another
        // process cannot); the check under the lock refuses it otherwise.
        if let Ok(head) = read_head(&file)
            && !head.is_empty()
            && !format::is_torn_header(&head)
        {
            Header::decode(&head, path)?;
        }
        let guard = FileReplayGuard {
            state: Mutex::new(Some(Store::new(file))),
            path: path.to_owned(),
            capacity: DEFAULT_REPLAY_CAPACITY,
            busy_timeout: AtomicU64::new(nanos(DEFAULT_BUSY_TIMEOUT)),
            compact_floor: COMPACT_FLOOR,
        };
        // Writes the header of a new file and reads an existing one.
        guard.locked(|_| Ok(()))?;
        Ok(guard)
    }

    /// Sets the hard capacity: live codes recorded before new ones are
    /// refused with `replay_guard_full`.
    #[must_use = "with_capacity returns the changed guard"]
    pub fn with_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Sets how long a check waits for the lock held by another thread or
    /// process.
    ///
    /// # Errors
    ///
    /// None today; the `Result` is kept for the guards that had one.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        self.busy_timeout.store(nanos(timeout), Ordering::Relaxed);
        Ok(())
    }

    /// The file the store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The hard capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries recorded (expired ones this handle has not swept yet
    /// included), across every process sharing the file.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when the file cannot be read;
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`) when the
    /// store stays locked beyond the busy timeout.
    pub fn len(&self) -> Result<usize> {
        self.locked(|store| Ok(store.seen.len()))
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

    /// Drops every entry that expired before `now`; returns how many. The
    /// file is compacted if the expired records outnumber the live ones.
    ///
    /// # Errors
    ///
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`) when another
    /// thread or process holds the lock beyond the busy timeout;
    /// [`Error::Storage`] (`storage`) when the file cannot be read or written.
    pub fn purge_expired(&self, now: UnixTime) -> Result<usize> {
        self.locked(|store| {
            let swept = store.sweep(now.as_secs());
            self.maybe_compact(store)?;
            Ok(swept)
        })
    }

    /// The entries recorded (expired ones not yet swept included), as
    /// token ids and the second they stay recorded until: what a
    /// local-fallback Redis guard writes to the server after a restart.
    #[cfg(feature = "redis")]
    pub(crate) fn entries(&self) -> Result<Vec<(TokenId, u64)>> {
        self.locked(|store| {
            Ok(store
                .seen
                .iter()
                .map(|(&id, &until)| (TokenId::from_bytes(id.to_le_bytes()), until))
                .collect())
        })
    }

    /// Sets the number of records below which the store is never
    /// compacted (the unit tests compact small stores).
    #[cfg(test)]
    fn with_compact_floor(mut self, floor: u64) -> Self {
        self.compact_floor = floor;
        self
    }

    fn busy_timeout(&self) -> Duration {
        Duration::from_nanos(self.busy_timeout.load(Ordering::Relaxed))
    }

    fn state(&self) -> MutexGuard<'_, Option<Store>> {
        // A panic while the mutex was held may have left the state half
        // changed: drop it, so that the next check reads the file again.
        self.state.lock().unwrap_or_else(|poisoned| {
            let mut state = poisoned.into_inner();
            *state = None;
            state
        })
    }

    /// Runs `body` on the store, read up to date, under the handle's mutex
    /// and the file's lock. When `body` fails, the handle is closed and the
    /// next call opens and reads the file again: what this process knows
    /// of it may be wrong after a failed write.
    fn locked<T>(&self, body: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut state = self.state();
        let deadline = Instant::now() + self.busy_timeout();
        // The generation of a replaced store this call closed (elsewhere
        // than Unix, meeting it again at the path means a compaction
        // crashed before its rename).
        let mut replaced: Option<u64> = None;
        loop {
            let mut store = match state.take() {
                Some(store) => store,
                None => Store::new(open_store(&self.path)?),
            };
            loop {
                match store.file.try_lock() {
                    Ok(()) => break,
                    Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                        std::thread::sleep(LOCK_RETRY);
                    }
                    Err(TryLockError::WouldBlock) => {
                        *state = Some(store);
                        return Err(Error::ReplayGuardUnavailable {
                            why: format!(
                                "replay store {}: locked by another process or guard for more than {} ms",
                                self.path.display(),
                                self.busy_timeout().as_millis()
                            ),
                        });
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(self.io("cannot lock the file", &e));
                    }
                }
            }
            // From here on, dropping `store` closes the file, which
            // releases the lock.
            match self.refresh(&mut store, &mut replaced) {
                Ok(Current::Yes) => {}
                Ok(Current::Replaced) if Instant::now() < deadline => continue,
                Ok(Current::Replaced) => {
                    return Err(Error::ReplayGuardUnavailable {
                        why: format!(
                            "replay store {}: replaced again and again for more than {} ms",
                            self.path.display(),
                            self.busy_timeout().as_millis()
                        ),
                    });
                }
                Err(e) => return Err(e),
            }
            let result = body(&mut store);
            if result.is_ok() && store.file.unlock().is_ok() {
                *state = Some(store);
            }
            return result;
        }
    }

    /// Under the lock: checks that the handle is still the store, reads
    /// what was appended since the last call (or the whole file for a new
    /// handle or a new generation), truncates a torn last record, and
    /// writes the header of a new file.
    fn refresh(&self, store: &mut Store, replaced: &mut Option<u64>) -> Result<Current> {
        let meta = store
            .file
            .metadata()
            .map_err(|e| self.io("cannot read", &e))?;
        if !self.is_at_path(&meta)? {
            return Ok(Current::Replaced);
        }
        let len = meta.len();
        let head = read_head(&store.file).map_err(|e| self.io("cannot read", &e))?;
        if len < HEADER_LEN {
            if !format::is_torn_header(&head) {
                return Err(format::foreign(&head, &self.path));
            }
            // A new file, or one whose creation was cut short.
            return self.initialize(store).map(|()| Current::Yes);
        }
        let header = Header::decode(&head, &self.path)?;
        if header.replaced {
            // On Unix the handle is the file at the path (checked above):
            // a compaction crashed before its rename. Elsewhere, that is
            // what meeting the same replaced generation twice means.
            let remnant = cfg!(unix) || *replaced == Some(header.generation);
            if !remnant {
                *replaced = Some(header.generation);
                return Ok(Current::Replaced);
            }
            let cleared = Header {
                replaced: false,
                ..header
            };
            write_at(&store.file, 0, &cleared.encode())
                .and_then(|()| store.file.sync_data())
                .map_err(|e| self.io("cannot write", &e))?;
        }
        if store.generation != Some(header.generation) {
            store.generation = Some(header.generation);
            store.read_len = HEADER_LEN;
            store.seen.clear();
        }
        let whole = HEADER_LEN + (len - HEADER_LEN) / RECORD_LEN * RECORD_LEN;
        if whole < store.read_len {
            // Shorter than read before: not something medcode does; read it
            // all again.
            store.read_len = HEADER_LEN;
            store.seen.clear();
        }
        if whole > store.read_len {
            let bytes = read_at(&store.file, store.read_len, whole - store.read_len)
                .map_err(|e| self.io("cannot read", &e))?;
            for (id, until) in format::decode_records(&bytes) {
                let held = store.seen.entry(id).or_insert(until);
                *held = (*held).max(until);
            }
            store.read_len = whole;
        }
        if len > whole {
            // A torn last record: its writer crashed before syncing it, and
            // never told its till the code was accepted.
            store
                .file
                .set_len(whole)
                .map_err(|e| self.io("cannot truncate a torn last record", &e))?;
        }
        Ok(Current::Yes)
    }

    /// True when the file of `here` (the handle's metadata) is the file at
    /// the path. On Unix, the same device and inode; elsewhere the header's
    /// "replaced" flag tells (see the module's documentation), and this is
    /// always true.
    #[cfg(unix)]
    fn is_at_path(&self, here: &std::fs::Metadata) -> Result<bool> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(&self.path) {
            Ok(there) => Ok(there.dev() == here.dev() && there.ino() == here.ino()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io("cannot read", &e)),
        }
    }

    #[cfg(not(unix))]
    fn is_at_path(&self, here: &std::fs::Metadata) -> Result<bool> {
        let _ = here;
        Ok(true)
    }

    /// Writes the header of a new store (under the lock, so that of two
    /// processes creating one file exactly one does).
    fn initialize(&self, store: &mut Store) -> Result<()> {
        let header = Header {
            generation: new_generation(),
            replaced: false,
        };
        store
            .file
            .set_len(0)
            .and_then(|()| write_at(&store.file, 0, &header.encode()))
            .and_then(|()| store.file.sync_all())
            .and_then(|()| sync_dir(&self.path))
            .map_err(|e| self.io("cannot create", &e))?;
        store.generation = Some(header.generation);
        store.read_len = HEADER_LEN;
        store.seen.clear();
        Ok(())
    }

    /// Checks `items` in order under one lock, appending the accepted ones
    /// with one write and one sync.
    fn check_many(
        &self,
        items: &[(TokenId, UnixTime)],
        now: UnixTime,
    ) -> Result<Vec<Result<Option<Notice>>>> {
        self.locked(|store| {
            store.sweep(now.as_secs());
            // After the sweep every id held is live: held means replayed.
            self.maybe_compact(store)?;
            let mut answers = Vec::with_capacity(items.len());
            let mut records = Vec::new();
            for &(id, until) in items {
                let key = u64::from_le_bytes(*id.as_bytes());
                if store.seen.contains_key(&key) {
                    answers.push(Err(Error::Replayed {
                        token_id: id.to_string(),
                    }));
                } else if store.seen.len() >= self.capacity {
                    // A refused code is not recorded.
                    answers.push(Err(Error::ReplayGuardFull {
                        capacity: self.capacity,
                    }));
                } else {
                    store.seen.insert(key, until.as_secs());
                    records.extend_from_slice(&format::encode_record(key, until.as_secs()));
                    answers.push(Ok(None));
                }
            }
            if !records.is_empty() {
                // Durable before the till is told. On failure the handle is
                // closed (`locked`), so the ids just inserted are forgotten
                // with it; a partly written record is a torn one.
                if let Err(e) = write_at(&store.file, store.read_len, &records)
                    .and_then(|()| store.file.sync_data())
                {
                    // Take back what was written, if the file lets us.
                    let _ = store.file.set_len(store.read_len);
                    return Err(self.io("cannot write", &e));
                }
                store.read_len += records.len() as u64;
            }
            Ok(answers)
        })
    }

    /// Compacts the store when its dead records outnumber the live ones
    /// twice and it holds at least the floor's records. Under the lock,
    /// after a sweep. A compaction that fails before its rename leaves the
    /// store as it was (and is tried again once the file has doubled);
    /// after it, the check fails with `storage`.
    fn maybe_compact(&self, store: &mut Store) -> Result<()> {
        let records = store.records();
        let live = store.seen.len() as u64;
        if records < self.compact_floor
            || records.saturating_sub(live) <= live.saturating_mul(2)
            || records < store.compact_retry_at
        {
            return Ok(());
        }
        if let Err(e) = self.compact(store) {
            store.compact_retry_at = records.saturating_mul(2);
            return e.map_or(Ok(()), Err);
        }
        Ok(())
    }

    /// The compaction (module documentation, "Compaction"). `Err(None)`:
    /// it did not happen and the store is unchanged; `Err(Some(e))`: the
    /// new file is in place but its rename may not be durable.
    fn compact(&self, store: &mut Store) -> std::result::Result<(), Option<Error>> {
        let generation = store.generation.unwrap_or(0).wrapping_add(1) & !(1 << 63);
        // A symbolic link's target is compacted, and the link kept.
        let target = std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone());
        let tmp_path = compact_path(&target);
        match std::fs::remove_file(&tmp_path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(_) => return Err(None),
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let Ok(tmp) = options.open(&tmp_path) else {
            return Err(None);
        };
        // The store keeps its mode (0600 unless someone chose another).
        #[cfg(unix)]
        if let Ok(meta) = store.file.metadata() {
            let _ = tmp.set_permissions(meta.permissions());
        }
        let mut bytes = Vec::with_capacity(HEADER_LEN as usize + store.seen.len() * 16);
        bytes.extend_from_slice(
            &Header {
                generation,
                replaced: false,
            }
            .encode(),
        );
        for (&id, &until) in &store.seen {
            bytes.extend_from_slice(&format::encode_record(id, until));
        }
        let abandon = |tmp: File| {
            drop(tmp);
            let _ = std::fs::remove_file(&tmp_path);
            Err(None)
        };
        if write_at(&tmp, 0, &bytes)
            .and_then(|()| tmp.sync_all())
            .is_err()
            || tmp.try_lock().is_err()
        {
            return abandon(tmp);
        }
        let old = store.generation.unwrap_or(0);
        let flag = |replaced: bool, generation: u64| {
            write_at(
                &store.file,
                0,
                &Header {
                    generation,
                    replaced,
                }
                .encode(),
            )
            .and_then(|()| store.file.sync_data())
        };
        if flag(true, generation).is_err() {
            // Put the header back as it was, if the write got that far.
            let _ = flag(false, old);
            return abandon(tmp);
        }
        if std::fs::rename(&tmp_path, &target).is_err() {
            let _ = flag(false, old);
            return abandon(tmp);
        }
        // The new file is the store from here on: this handle holds its
        // lock, and closing the old one releases the old lock.
        let durable = sync_dir(&target);
        store.file = tmp;
        store.generation = Some(generation);
        store.read_len = bytes.len() as u64;
        durable.map_err(|e| Some(self.io("cannot sync the directory after compacting", &e)))
    }

    /// An I/O failure on the store as a `storage` error.
    fn io(&self, what: &str, e: &io::Error) -> Error {
        Error::Storage {
            why: format!("replay store {}: {what}: {e}", self.path.display()),
        }
    }
}

/// Opens the store read-write, creating it (mode 0600 on Unix) if missing.
fn open_store(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| Error::Storage {
        why: format!("replay store {}: cannot open: {e}", path.display()),
    })
}

/// The first bytes of a file: enough for the header and for telling what
/// a foreign file is (an SQLite header's application id is at 68).
fn read_head(file: &File) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(100);
    let mut reader = file;
    reader.seek(SeekFrom::Start(0))?;
    reader.take(100).read_to_end(&mut head)?;
    Ok(head)
}

fn read_at(file: &File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| io::Error::other("store too large"))?;
    let mut bytes = vec![0; len];
    let mut reader = file;
    reader.seek(SeekFrom::Start(offset))?;
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn write_at(file: &File, offset: u64, bytes: &[u8]) -> io::Result<()> {
    let mut writer = file;
    writer.seek(SeekFrom::Start(offset))?;
    writer.write_all(bytes)
}

/// `NAME.compact` beside the store `NAME`.
fn compact_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".compact");
    path.with_file_name(name)
}

/// Makes a new or renamed directory entry durable (Unix; elsewhere the
/// file system's metadata journal does, and directories cannot be opened).
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// The generation of a new store: the clock and the process id, so that a
/// store made again under the same name does not look like the old one.
fn new_generation() -> u64 {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, nanos);
    (clock ^ (u64::from(std::process::id()) << 32)) & !(1 << 63)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A copy of a failure, for each item of a batch that it failed.
fn copy_error(e: &Error) -> Error {
    match e {
        Error::ReplayGuardUnavailable { why } => Error::ReplayGuardUnavailable { why: why.clone() },
        Error::Storage { why } => Error::Storage { why: why.clone() },
        other => Error::Storage {
            why: other.to_string(),
        },
    }
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
        self.check_many(&[(id, until)], now)?
            .pop()
            .unwrap_or_else(|| {
                Err(Error::Storage {
                    why: format!(
                        "replay store {}: no answer for the code",
                        self.path.display()
                    ),
                })
            })
    }

    /// One lock, one read of what other processes appended, one write and
    /// one sync for the whole batch.
    fn mark_seen_many(
        &self,
        items: &[(TokenId, UnixTime)],
        now: UnixTime,
    ) -> Vec<Result<Option<Notice>>> {
        match self.check_many(items, now) {
            Ok(answers) => answers,
            Err(e) => items.iter().map(|_| Err(copy_error(&e))).collect(),
        }
    }
}

#[cfg(test)]
mod tests;
