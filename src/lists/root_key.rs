//! The root public key that signs lists, pinned on every verifier, and its
//! text file (`ROOT.pub`): `#` comment lines and one line
//! `medcode-root/1 ed25519 <base64 of the 32-byte public key>`.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::{Error, Result};
use crate::files::{read_bounded, write_replace};
use crate::keys::{Algorithm, KeyId, PublicKey, SigningKey};

/// The first word of a root public key file's key line.
pub const ROOT_KEY_FORMAT: &str = "medcode-root/1";
/// Largest root public key file accepted, in bytes.
pub const MAX_ROOT_KEY_FILE_LEN: u64 = 4096;

/// The pinned root public key (Ed25519) that signs lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootKey {
    key: PublicKey,
}

impl RootKey {
    /// Wraps an Ed25519 public key; other algorithms are refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `key` is not an Ed25519 key.
    pub fn new(key: PublicKey) -> Result<Self> {
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(Error::key(format!(
                "a root key must be ed25519, this one is {}",
                key.algorithm()
            )));
        }
        Ok(RootKey { key })
    }

    /// The public half of a root signing key.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `signing` is not an Ed25519 key.
    pub fn of(signing: &SigningKey) -> Result<Self> {
        RootKey::new(signing.public_key().clone())
    }

    /// The key id (first 4 bytes of SHA-256 of the public key).
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Parses the text form (see the module docs).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when there is no key line or more than
    /// one, the line is not `medcode-root/1 ed25519 <base64>`, or the key is not
    /// base64 or not a usable Ed25519 public key.
    pub fn from_text(text: &str) -> Result<Self> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let line = lines
            .next()
            .ok_or_else(|| Error::key("root key file: no key line"))?;
        if lines.next().is_some() {
            return Err(Error::key("root key file: more than one key line"));
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            [format, alg, b64] if *format == ROOT_KEY_FORMAT => {
                if *alg != "ed25519" {
                    return Err(Error::key(format!(
                        "root key file: algorithm {alg:?}, a root key must be ed25519"
                    )));
                }
                let raw = B64
                    .decode(b64.as_bytes())
                    .map_err(|_| Error::key("root key file: the key is not base64"))?;
                RootKey::new(
                    PublicKey::from_bytes(Algorithm::Ed25519, &raw)
                        .map_err(|e| Error::key(format!("root key file: {e}")))?,
                )
            }
            _ => Err(Error::key(format!(
                "root key file: expected one line \"{ROOT_KEY_FORMAT} ed25519 <base64>\""
            ))),
        }
    }

    /// Reads a root public key file (at most [`MAX_ROOT_KEY_FILE_LEN`]
    /// bytes).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
    /// [`Error::InvalidKey`] (`invalid_key`) naming the file when it is over
    /// [`MAX_ROOT_KEY_FILE_LEN`] bytes, not UTF-8, or refused by [`RootKey::from_text`].
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes =
            read_bounded(path, MAX_ROOT_KEY_FILE_LEN, "root key file").map_err(|e| match e {
                Error::InvalidArgument { why, .. } => Error::key(why),
                other => other,
            })?;
        // A private key file (PKCS#8 DER: an ASN.1 SEQUENCE) given by
        // mistake is named as such and not looked into any further.
        if bytes.first() == Some(&0x30) {
            return Err(Error::key(format!(
                "{}: this is a private key (PKCS#8), not a root public key: give the root's .pub file, and keep the private key offline",
                path.display()
            )));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::key(format!(
                "{}: not a root public key (not UTF-8 text)",
                path.display()
            ))
        })?;
        RootKey::from_text(text).map_err(|e| match e {
            Error::InvalidKey { why } => Error::key(format!("{}: {why}", path.display())),
            other => other,
        })
    }

    /// The text form, with comment lines naming the key id.
    pub fn to_text(&self) -> String {
        format!(
            "# medcode root public key (Ed25519), key id {}.\n# Pin this file on every verifier: it checks signed trust and revocation lists.\n{ROOT_KEY_FORMAT} ed25519 {}\n",
            self.key_id(),
            B64.encode(self.key.as_bytes())
        )
    }

    /// Writes the text form to `path`, replacing it atomically.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when a temporary file beside `path` cannot be created or
    /// written, or cannot replace `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_replace(path, self.to_text().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_root_key_files_are_refused() {
        for (text, want) in [
            ("", "no key line"),
            ("# only a comment\n", "no key line"),
            (
                "medcode-root/1 ed25519 AAAA\nmedcode-root/1 ed25519 AAAA",
                "more than one",
            ),
            ("medcode-root/2 ed25519 AAAA", "expected one line"),
            ("medcode-root/1 p256 AAAA", "must be ed25519"),
            ("medcode-root/1 ed25519 !!!!", "not base64"),
            ("medcode-root/1 ed25519 AAAA", "public key is 32 bytes"),
        ] {
            let e = RootKey::from_text(text).unwrap_err();
            assert_eq!(e.reason().as_str(), "invalid_key");
            assert!(e.to_string().contains(want), "{text}: {e}");
        }
    }
}
