//! The command line's own file handling: bounded reads of the files a flag
//! names, and atomic replacement of the files it writes (QR images, lists,
//! state), through `tempfile`.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use medcode::Error;

/// Reads a whole file named by the flag `what`, refusing a directory or a
/// file over `limit` bytes before reading it.
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, Error> {
    let read_error = |e| Error::io(path, "read", e);
    let meta = fs::metadata(path).map_err(read_error)?;
    if meta.is_dir() {
        let e = std::io::Error::new(std::io::ErrorKind::InvalidInput, "is a directory");
        return Err(read_error(e));
    }
    if meta.len() > limit {
        let (shown, len) = (path.display(), meta.len());
        let why = format!("{shown} is {len} bytes, larger than the {limit}-byte limit");
        return Err(Error::InvalidArgument { what, why });
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(read_error)?;
    Ok(bytes)
}

/// Replaces `path` with `bytes` atomically: a temporary file beside it,
/// synced, then renamed over it (mode 0644, as an image or a list is not
/// secret). A reader sees the old file or the new one, never half of one.
pub(crate) fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace_with_mode(path, bytes, 0o644)
}

/// [`write_replace`] for a secret (an API key file): mode 0600 from the
/// moment the temporary file exists.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    replace_with_mode(path, bytes, 0o600)
}

fn replace_with_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".medcode-")
        .suffix(".tmp")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .tempfile_in(dir)
        .map_err(|e| Error::io(path, "create a temporary file beside", e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(path, "write", e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(path, "replace", e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
