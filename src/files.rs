//! File helpers the till core and the programs built on it share: bounded
//! reads of a file a flag names, atomic replacement, secret files created
//! with mode 0600, and the check for loose permissions.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use tempfile::{NamedTempFile, PersistError};

use crate::error::{Error, ListLayer, ListProblem, Result};

/// Reads a whole file, refusing directories and files over `limit` bytes
/// before reading them.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when `path` is missing, a directory or unreadable;
/// [`Error::InvalidArgument`] (`invalid_argument`, naming `what`) when it is
/// over `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, "read", e))?;
    if meta.is_dir() {
        return Err(Error::io(
            path,
            "read",
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "is a directory"),
        ));
    }
    if meta.len() > limit {
        return Err(Error::InvalidArgument {
            what,
            why: format!(
                "{} is {} bytes, larger than the {limit}-byte limit",
                path.display(),
                meta.len()
            ),
        });
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, "read", e))?;
    Ok(bytes)
}

/// Reads a list file (a trust, revocation or signed list) for parsing:
/// a directory or a file over `limit` bytes is refused before anything is
/// read (`invalid_trust_list` for the size, `io` otherwise).
///
/// # Errors
///
/// [`Error::Io`] (`io`) when `path` is missing, a directory or unreadable;
/// [`Error::InvalidList`] (`invalid_trust_list`) with [`ListProblem::TooLarge`]
/// when the file is over `limit` bytes.
pub fn read_list_file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    read_bounded(path, limit, "list file").map_err(|e| match e {
        // Only the size is refused as an argument: name it as a list error.
        Error::InvalidArgument { .. } => Error::InvalidList {
            list: None,
            layer: ListLayer::File,
            file: Some(path.to_path_buf()),
            problem: ListProblem::TooLarge {
                len: fs::metadata(path).map_or(limit.saturating_add(1), |m| m.len()),
                limit,
            },
        },
        other => other,
    })
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A new temporary file beside `path`, created with `mode` (less the umask)
/// from the start, holding `bytes` and synced; it is deleted if dropped.
fn synced_temp_beside(path: &Path, mode: u32, bytes: &[u8]) -> Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".medcode-").suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(mode));
    #[cfg(not(unix))]
    let _ = mode;
    let mut tmp = builder
        .tempfile_in(parent_dir(path))
        .map_err(|e| Error::io(path, "create a temporary file beside", e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(path, "write", e))?;
    Ok(tmp)
}

/// Replaces `path` with `bytes` atomically (mode 0644: a list is not
/// secret): a synced temporary file beside it is renamed over it, so a
/// reader sees the old file or the new one, never half of one.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the temporary file cannot be written or moved.
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = synced_temp_beside(path, 0o644, bytes)?;
    settle(path, "replace", tmp.persist(path))
}

/// [`write_replace`] for a secret (an API key file): mode 0600 from the
/// moment the temporary file exists.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the temporary file cannot be written or moved.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = synced_temp_beside(path, 0o600, bytes)?;
    settle(path, "replace", tmp.persist(path))
}

/// Ends a move of a temporary file to `path`: its error, or a synced
/// directory so the new name is durable.
fn settle(
    path: &Path,
    action: &'static str,
    moved: std::result::Result<File, PersistError>,
) -> Result<()> {
    moved.map_err(|e| Error::io(path, action, e.error))?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Syncs a directory so a rename or link in it is durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The permission bits of a file that group or others may use, or `None`
/// when only the owner may (or on platforms without Unix modes).
#[cfg(unix)]
pub fn loose_permissions(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// The permission bits of a file that group or others may use, or `None`
/// when only the owner may (or on platforms without Unix modes).
#[cfg(not(unix))]
pub fn loose_permissions(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Creates a secret file (a private key, a registry secret) with mode 0600:
/// written to a temporary file beside it that is 0600 from the start, synced,
/// and moved into place only if the name is free (`persist_noclobber`), so
/// there is no moment when it is readable by others or half-written, and a
/// secret is never replaced (the error is `AlreadyExists`).
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the file exists or cannot be written.
pub fn create_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = synced_temp_beside(path, 0o600, bytes)?;
    settle(path, "create", tmp.persist_noclobber(path))
}
