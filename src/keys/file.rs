//! Private key files: PKCS#8 DER, created with mode 0600 atomically and
//! never overwritten.
//!
//! A new key is written to a temporary file that is created with mode 0600
//! from the start (there is no moment when it is readable by others), synced,
//! and then moved to its final name only if that name is free, so an existing
//! key is never replaced, even by a concurrent writer.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::files::{create_secret, loose_permissions};
use crate::keys::SigningKey;

/// Largest key file read, in bytes; a PKCS#8 Ed25519, P-256 or SM2 key is
/// far smaller.
pub const MAX_KEY_FILE_LEN: u64 = 4096;

/// What to do when a private key file can be read by group or others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PermissionPolicy {
    /// Load the key and report a warning (the default).
    #[default]
    Warn,
    /// Refuse to load the key.
    Refuse,
}

/// A key loaded from a file, with any warning about the file.
#[derive(Debug)]
pub struct LoadedKey {
    /// The key.
    pub key: SigningKey,
    /// Set when the file's permissions let others read it.
    pub warning: Option<String>,
}

/// Writes `key` to `path` as PKCS#8 DER with mode 0600. Refuses to replace
/// an existing file.
///
/// # Errors
///
/// [`Error::Io`] (`io`) when a file of that name exists or the key cannot be
/// written and linked into place; [`Error::InvalidKey`] (`invalid_key`) if the
/// system random generator fails while naming the temporary file.
pub fn write_private_key(path: &Path, key: &SigningKey) -> Result<()> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(Error::io(
            path,
            "create",
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "a file of that name exists; refusing to overwrite a key",
            ),
        ));
    }
    create_secret(path, key.pkcs8())?;
    Ok(())
}

/// Reads a private key file. A file readable by group or others is loaded
/// with a warning, or refused under [`PermissionPolicy::Refuse`].
///
/// # Errors
///
/// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
/// [`Error::InvalidKey`] (`invalid_key`) when others may read it under
/// [`PermissionPolicy::Refuse`], it is over [`MAX_KEY_FILE_LEN`] bytes, or it
/// is not a PKCS#8 Ed25519, P-256 or SM2 key.
pub fn read_private_key(path: &Path, policy: PermissionPolicy) -> Result<LoadedKey> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, "read key file", e))?;
    if meta.is_dir() {
        return Err(Error::io(
            path,
            "read key file",
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "is a directory"),
        ));
    }
    let warning = loose_permissions(&meta).map(|mode| {
        format!(
            "private key file {} has mode {mode:04o}: others can read it; run chmod 600 on it",
            path.display()
        )
    });
    if let (Some(w), PermissionPolicy::Refuse) = (&warning, policy) {
        return Err(Error::key(format!("refusing to load: {w}")));
    }
    if meta.len() > MAX_KEY_FILE_LEN {
        return Err(Error::key(format!(
            "{} is {} bytes, larger than any private key file ({MAX_KEY_FILE_LEN} bytes at most)",
            path.display(),
            meta.len()
        )));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    File::open(path)
        .and_then(|f| f.take(MAX_KEY_FILE_LEN + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, "read key file", e))?;
    let key = SigningKey::from_pkcs8(&bytes).map_err(|_| {
        Error::key(format!(
            "{} is not a PKCS#8 Ed25519, ECDSA P-256 or SM2 private key",
            path.display()
        ))
    })?;
    Ok(LoadedKey { key, warning })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;

    #[test]
    fn written_with_mode_0600_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pk8");
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        write_private_key(&path, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let before = fs::read(&path).unwrap();
        let other = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let err = write_private_key(&path, &other).unwrap_err();
        assert_eq!(err.reason().as_str(), "io");
        assert_eq!(fs::read(&path).unwrap(), before);
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        let loaded = read_private_key(&path, PermissionPolicy::Refuse).unwrap();
        assert_eq!(loaded.key.key_id(), key.key_id());
        assert!(loaded.warning.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn readable_by_others_warns_or_refuses() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pk8");
        write_private_key(&path, &SigningKey::generate(Algorithm::P256).unwrap()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let loaded = read_private_key(&path, PermissionPolicy::Warn).unwrap();
        assert!(loaded.warning.unwrap().contains("mode 0644"));
        let err = read_private_key(&path, PermissionPolicy::Refuse).unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_key");
    }

    #[test]
    fn wrong_files_are_refused_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_private_key(dir.path(), PermissionPolicy::Warn).unwrap_err();
        assert_eq!(err.reason().as_str(), "io");
        let missing =
            read_private_key(&dir.path().join("nope"), PermissionPolicy::Warn).unwrap_err();
        assert_eq!(missing.reason().as_str(), "io");
        let junk = dir.path().join("junk.pk8");
        crate::files::create_secret(&junk, b"{\"not\":\"a key\"}").unwrap();
        let err = read_private_key(&junk, PermissionPolicy::Warn).unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_key");
        let big = dir.path().join("big.pk8");
        crate::files::create_secret(&big, &vec![0u8; 10_000]).unwrap();
        let err = read_private_key(&big, PermissionPolicy::Warn).unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_key");
    }
}
