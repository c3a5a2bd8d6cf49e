//! Small file helpers: bounded reads and atomic replacement.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, ListLayer, ListProblem, Result};

/// Reads a whole file, refusing directories and files over `limit` bytes
/// before reading them.
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>> {
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

/// A fresh, unguessable temporary name beside `path`.
pub(crate) fn temp_beside(path: &Path) -> Result<PathBuf> {
    let mut nonce = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
        .map_err(|_| Error::key("the system random generator failed"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(parent_dir(path).join(format!(".{name}.{}.tmp", hex::encode(nonce))))
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates a new file (never an existing one) with the given mode, writes
/// `bytes` and syncs it.
pub(crate) fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .map_err(|e| Error::io(path, "create", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(path, "write", e))
}

/// Replaces `path` with `bytes` atomically: write a temporary file beside
/// it, sync, rename over.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_beside(path)?;
    let result = write_new(&tmp, bytes, 0o644)
        .and_then(|()| fs::rename(&tmp, path).map_err(|e| Error::io(path, "replace", e)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(parent_dir(path));
    Ok(())
}

/// Syncs a directory so a rename or link in it is durable.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The permission bits of a file that group or others may use, or `None`
/// when only the owner may (or on platforms without Unix modes).
#[cfg(unix)]
pub(crate) fn loose_permissions(meta: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// The permission bits of a file that group or others may use, or `None`
/// when only the owner may (or on platforms without Unix modes).
#[cfg(not(unix))]
pub(crate) fn loose_permissions(_meta: &std::fs::Metadata) -> Option<u32> {
    None
}

/// Creates a secret file (a private key, a registry secret) with mode 0600:
/// written to a temporary 0600 file beside it and hard-linked into place,
/// so there is no moment when it is readable by others or half-written, and
/// the link fails if the name exists, so a secret is never replaced.
pub(crate) fn create_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_beside(path)?;
    let result = write_new(&tmp, bytes, 0o600)
        .and_then(|()| std::fs::hard_link(&tmp, path).map_err(|e| Error::io(path, "create", e)));
    let _ = std::fs::remove_file(&tmp);
    result?;
    sync_dir(parent_dir(path));
    Ok(())
}
