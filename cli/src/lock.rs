//! Exclusive advisory locks around the command line's read-modify-write of
//! a list or key file: `revoke` extending an unsigned revocation list,
//! `keygen` adding its key to `trust.json`, `trust sign` taking the next
//! sequence of the signed list it replaces. Without the lock, processes
//! running at once each read the old file and the last rename wins: all
//! exit 0 and most entries are lost.
//!
//! The lock is on a sidecar file, `FILE.lock` beside `FILE`, created if
//! missing and left in place (it stays empty). Not on `FILE` itself: that
//! is replaced by a rename ([`medcode::files::write_replace`]), so a lock on
//! it would guard the old inode while the next process opens the new one.
//! Deleting a `.lock` file while a medcode command runs on its file breaks
//! the exclusion; deleting it otherwise is harmless.
//!
//! The lock is advisory (`flock` through the `fs4` crate): it excludes other
//! medcode processes, not an editor. A command waits up to [`WAIT`] for it,
//! then fails (exit 2) naming the lock file, without writing anything.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::{FileExt, TryLockError};
use medcode::Error;

/// How long a command waits for another process's lock.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// How often a waiting command tries again.
const RETRY: Duration = Duration::from_millis(20);

/// An exclusive lock on the sidecar of one file, released when dropped
/// (closing the descriptor releases the `flock`).
#[must_use = "the lock is released when this is dropped"]
pub(crate) struct FileLock {
    _file: File,
}

/// The sidecar lock file of `target`: `NAME.lock` in the same folder.
pub(crate) fn lock_path(target: &Path) -> PathBuf {
    let mut name = target
        .file_name()
        .map(ToOwned::to_owned)
        .unwrap_or_default();
    name.push(".lock");
    target.with_file_name(name)
}

/// Takes the exclusive lock guarding the read-modify-write of `target`,
/// waiting up to [`WAIT`] while another process holds it. Hold the result
/// from before reading `target` until after replacing it.
pub(crate) fn lock(target: &Path) -> Result<FileLock, Error> {
    let path = lock_path(target);
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, "create the lock file", e))?;
    let deadline = Instant::now() + WAIT;
    loop {
        // fs4's trait method, by name: std's own `File::try_lock` is newer
        // than the crate's minimum Rust version.
        match FileExt::try_lock(&file) {
            Ok(()) => return Ok(FileLock { _file: file }),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(RETRY);
            }
            Err(TryLockError::WouldBlock) => {
                let why = format!(
                    "another process held it for more than {} s while changing {}; try again once it has finished",
                    WAIT.as_secs(),
                    target.display()
                );
                let e = std::io::Error::new(std::io::ErrorKind::TimedOut, why);
                return Err(Error::io(&path, "lock", e));
            }
            Err(TryLockError::Error(e)) => return Err(Error::io(&path, "lock", e)),
        }
    }
}
