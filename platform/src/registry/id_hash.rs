//! National ID numbers (居民身份证号码) and their keyed hashes.
//!
//! The registry never stores an ID number: only HMAC-SHA-256 of it under a
//! registry secret, so that a copy of the database alone neither reveals the
//! numbers nor lets anyone confirm a guess. The secret is 32 random bytes in
//! a file beside the database, created with mode 0600 from the start and
//! never replaced; a fresh secret for an existing database would make every
//! stored hash unmatched, so the registry records a fingerprint of the
//! secret and refuses any other.

use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use medcode::error::{Error, Result};
use medcode::files::{create_secret, loose_permissions, parent_dir};

/// Length of the registry secret in bytes.
pub const REGISTRY_SECRET_LEN: usize = 32;
/// Length of an ID-number hash in bytes.
pub const ID_HASH_LEN: usize = 32;

/// Domain separation: the hash of an ID number and the fingerprint of the
/// secret are HMACs of messages that can never be equal.
const ID_CONTEXT: &[u8] = b"medcode/id-number/v1\0";
const FINGERPRINT_CONTEXT: &[u8] = b"medcode/registry-secret-fingerprint/v1\0";

/// Weights of GB 11643-1999 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each `sum % 11`.
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// A national ID number: 17 digits and a check character (a digit or `X`),
/// with the ISO 7064 MOD 11-2 check of GB 11643-1999. A lower-case `x` is
/// read as `X`. Held in memory that is zeroized on drop; `Debug` and errors
/// never show it.
#[derive(Clone)]
pub struct IdNumber(Zeroizing<String>);

impl IdNumber {
    /// Validates an 18-character ID number.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `text` is not 17 digits
    /// and a check character, or the check character does not match the digits.
    pub fn new(text: &str) -> Result<Self> {
        let invalid = |why: &str| Error::InvalidArgument {
            what: "national ID number",
            why: why.to_owned(),
        };
        let bytes = text.as_bytes();
        if bytes.len() != 18 {
            return Err(invalid(
                "must be 18 characters: 17 digits and a check digit or X",
            ));
        }
        let mut sum = 0u32;
        for (b, w) in bytes.iter().zip(WEIGHTS) {
            if !b.is_ascii_digit() {
                return Err(invalid("the first 17 characters must be digits"));
            }
            sum += u32::from(b - b'0') * w;
        }
        let last = bytes[17].to_ascii_uppercase();
        let expected = CHECK_CHARS[usize::try_from(sum % 11).unwrap_or(0)];
        if last != expected {
            return Err(invalid(
                "the check character does not match the other 17 digits (GB 11643 MOD 11-2)",
            ));
        }
        let mut canonical = Zeroizing::new(String::with_capacity(18));
        canonical.push_str(&text[..17]);
        canonical.push(char::from(last));
        Ok(IdNumber(canonical))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdNumber(<redacted>)")
    }
}

/// HMAC-SHA-256 of an ID number under the registry secret.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdHash([u8; ID_HASH_LEN]);

impl IdHash {
    /// Wraps stored hash bytes; refuses any other length.
    ///
    /// # Errors
    ///
    /// [`Error::Storage`] (`storage`) when `bytes` is not [`ID_HASH_LEN`] bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        <[u8; ID_HASH_LEN]>::try_from(bytes)
            .map(IdHash)
            .map_err(|_| Error::Storage {
                why: format!(
                    "a stored ID-number hash is {} bytes, not {ID_HASH_LEN}",
                    bytes.len()
                ),
            })
    }

    /// The hash bytes.
    pub fn as_bytes(&self) -> &[u8; ID_HASH_LEN] {
        &self.0
    }
}

impl fmt::Debug for IdHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdHash({}..)", hex::encode(&self.0[..4]))
    }
}

/// Hashes ID numbers under the registry secret.
pub struct IdHasher {
    key: hmac::Key,
    fingerprint: [u8; ID_HASH_LEN],
}

impl IdHasher {
    /// A hasher for a secret of exactly [`REGISTRY_SECRET_LEN`] bytes.
    ///
    /// The caller's copy of the secret is its own to zeroize; ring's
    /// `hmac::Key` keeps only the derived HMAC state.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `secret` is not
    /// [`REGISTRY_SECRET_LEN`] bytes long.
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        if secret.len() != REGISTRY_SECRET_LEN {
            return Err(Error::key(format!(
                "a registry secret is {REGISTRY_SECRET_LEN} bytes, not {}",
                secret.len()
            )));
        }
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let fingerprint = tag(&key, FINGERPRINT_CONTEXT, b"");
        Ok(IdHasher { key, fingerprint })
    }

    /// Loads the secret file at `path`, or creates it (32 random bytes, mode
    /// 0600, atomically, never replacing a file another process created at
    /// the same moment) when it does not exist.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file cannot be examined or created;
    /// [`Error::InvalidKey`] (`invalid_key`) if the system random generator fails;
    /// for an existing file, those of [`IdHasher::load`].
    pub fn load_or_create(path: &Path) -> Result<Self> {
        match fs::symlink_metadata(path) {
            Ok(_) => Self::load(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = Zeroizing::new([0u8; REGISTRY_SECRET_LEN]);
                SystemRandom::new()
                    .fill(&mut secret[..])
                    .map_err(|_| Error::key("the system random generator failed"))?;
                match create_secret(path, &secret[..]) {
                    Ok(()) => Self::from_secret(&secret[..]),
                    // Another process created it first: use theirs.
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::AlreadyExists =>
                    {
                        Self::load(path)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(Error::io(path, "read registry secret", e)),
        }
    }

    /// Loads an existing secret file. Refuses a file that group or others
    /// may read, and any file that is not exactly 32 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file is missing or unreadable;
    /// [`Error::InvalidKey`] (`invalid_key`) when it is not a regular file, group or
    /// others may read it, or it is not [`REGISTRY_SECRET_LEN`] bytes long.
    pub fn load(path: &Path) -> Result<Self> {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, "read registry secret", e))?;
        if !meta.is_file() {
            return Err(Error::key(format!(
                "registry secret {} is not a regular file",
                path.display()
            )));
        }
        if let Some(mode) = loose_permissions(&meta) {
            return Err(Error::key(format!(
                "refusing to use registry secret {}: mode {mode:04o} lets others read it; run chmod 600 on it",
                path.display()
            )));
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(REGISTRY_SECRET_LEN + 1));
        let limit = u64::try_from(REGISTRY_SECRET_LEN + 1).unwrap_or(u64::MAX);
        File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| Error::io(path, "read registry secret", e))?;
        if bytes.len() != REGISTRY_SECRET_LEN {
            return Err(Error::key(format!(
                "registry secret {} is not {REGISTRY_SECRET_LEN} bytes long",
                path.display()
            )));
        }
        Self::from_secret(&bytes)
    }

    /// The keyed hash of an ID number.
    pub fn hash(&self, number: &IdNumber) -> IdHash {
        IdHash(tag(&self.key, ID_CONTEXT, number.as_bytes()))
    }

    /// A value that identifies the secret without revealing it; the registry
    /// stores it to notice a wrong or regenerated secret file.
    pub fn fingerprint(&self) -> &[u8; ID_HASH_LEN] {
        &self.fingerprint
    }
}

impl fmt::Debug for IdHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdHasher(<redacted>)")
    }
}

fn tag(key: &hmac::Key, context: &[u8], message: &[u8]) -> [u8; ID_HASH_LEN] {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(context);
    ctx.update(message);
    let mut out = [0u8; ID_HASH_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// The secret file that belongs to the database at `db`: its name with
/// `.secret` appended, in the same folder.
pub fn registry_secret_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".secret");
    parent_dir(db).join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_follow_gb_11643() {
        // The worked examples of GB 11643-1999.
        assert!(IdNumber::new("11010519491231002X").is_ok());
        assert!(IdNumber::new("440524188001010014").is_ok());
        let lower = IdNumber::new("11010519491231002x").unwrap();
        assert_eq!(lower.as_bytes(), b"11010519491231002X");
        for bad in [
            "",
            "11010519491231002",
            "110105194912310021",
            "11010519491231002XX",
            "1101051949123100AX",
            "440524188001010015",
            "４40524188001010014",
        ] {
            let err = IdNumber::new(bad).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_argument", "{bad:?}");
            assert!(!err.to_string().contains("1101051949"), "{err}");
        }
        assert_eq!(
            format!("{:?}", IdNumber::new("440524188001010014").unwrap()),
            "IdNumber(<redacted>)"
        );
    }

    #[test]
    fn hashes_are_keyed_and_domain_separated() {
        let a = IdHasher::from_secret(&[1u8; 32]).unwrap();
        let b = IdHasher::from_secret(&[2u8; 32]).unwrap();
        let n = IdNumber::new("440524188001010014").unwrap();
        assert_eq!(a.hash(&n), a.hash(&n));
        assert_ne!(a.hash(&n), b.hash(&n));
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.hash(&n).as_bytes(), a.fingerprint());
        // Lower- and upper-case X are the same number.
        assert_eq!(
            a.hash(&IdNumber::new("11010519491231002x").unwrap()),
            a.hash(&IdNumber::new("11010519491231002X").unwrap())
        );
        assert!(IdHasher::from_secret(&[0u8; 31]).is_err());
        assert_eq!(format!("{a:?}"), "IdHasher(<redacted>)");
    }

    #[test]
    fn secret_path_sits_beside_the_database() {
        assert_eq!(
            registry_secret_path(Path::new("/srv/reg/registry.db")),
            PathBuf::from("/srv/reg/registry.db.secret")
        );
        assert_eq!(
            registry_secret_path(Path::new("registry.db")),
            PathBuf::from("./registry.db.secret")
        );
    }

    #[cfg(unix)]
    #[test]
    fn secret_file_is_created_0600_once_and_refused_when_loose() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db.secret");
        let first = IdHasher::load_or_create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::read(&path).unwrap().len(), REGISTRY_SECRET_LEN);
        let again = IdHasher::load_or_create(&path).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = IdHasher::load(&path).unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_key");
        assert!(err.to_string().contains("mode 0640"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, [0u8; 31]).unwrap();
        assert_eq!(
            IdHasher::load(&path).unwrap_err().reason().as_str(),
            "invalid_key"
        );
    }
}
