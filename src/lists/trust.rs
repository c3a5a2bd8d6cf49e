//! The trust list: the issuers' public keys a verifier accepts, each with a
//! validity window so keys can be rotated with overlap.
//!
//! The file is JSON:
//!
//! ```json
//! {
//!   "keys": [
//!     {
//!       "kid": "6b3a1f0e",
//!       "label": "issuer-2026",
//!       "alg": "ed25519",
//!       "authority": "National Healthcare Security Administration",
//!       "public_key": "base64 of the raw public key",
//!       "not_before": "2026-01-01T00:00:00Z",
//!       "not_after": "2027-01-01T00:00:00Z"
//!     }
//!   ]
//! }
//! ```
//!
//! `alg` is `ed25519` (the raw 32-byte key), `p256` or `sm2` (the 65-byte
//! uncompressed point; an `sm2` key must lie on the SM2 curve).
//! `kid` must equal the id derived from `public_key`; a list that disagrees
//! is refused whole, as is an empty list or one larger than
//! [`MAX_TRUST_LIST_LEN`].

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::ListKind;
use crate::error::{Error, KeyProblem, ListLayer, ListProblem, Result};
use crate::files::{read_list_file, write_replace};
use crate::keys::{Algorithm, KeyId, PublicKey};
use crate::time::UnixTime;

/// Largest trust list file accepted, in bytes, checked before parsing.
pub const MAX_TRUST_LIST_LEN: u64 = 1024 * 1024;
/// Most keys one trust list may hold.
pub const MAX_TRUSTED_KEYS: usize = 1024;

/// One trusted issuer key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedKey {
    /// The public key (and its algorithm and key id).
    pub key: PublicKey,
    /// A human name for the key, e.g. the file it was generated as.
    pub label: String,
    /// The issuing authority's name.
    pub authority: String,
    /// Start of the window in which the key verifies tokens (inclusive).
    pub not_before: UnixTime,
    /// End of that window (inclusive).
    pub not_after: UnixTime,
}

impl TrustedKey {
    /// True when `t` lies within the key's window.
    pub fn valid_at(&self, t: UnixTime) -> bool {
        self.not_before <= t && t <= self.not_after
    }
}

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a key entry {\"kid\", \"alg\", \"authority\", \"public_key\", \"not_before\", \"not_after\"}"
)]
struct KeyEntry {
    kid: String,
    #[serde(default)]
    label: String,
    alg: String,
    authority: String,
    public_key: String,
    not_before: String,
    not_after: String,
}

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a trust list: a JSON object {\"keys\": [...]}"
)]
struct ListFile {
    keys: Vec<KeyEntry>,
}

/// A validated set of trusted keys, indexed by key id.
#[derive(Clone, Debug)]
pub struct TrustList {
    keys: Vec<TrustedKey>,
    by_kid: HashMap<KeyId, Vec<usize>>,
}

impl TrustList {
    /// Builds a trust list from keys. Refuses an empty list, duplicate
    /// public keys and inverted windows.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with [`ListProblem::NoKeys`],
    /// [`ListProblem::TooManyKeys`] (over [`MAX_TRUSTED_KEYS`]),
    /// [`ListProblem::InvertedWindow`] or [`ListProblem::DuplicateKey`].
    pub fn new(keys: Vec<TrustedKey>) -> Result<Self> {
        if keys.is_empty() {
            return Err(bad(ListProblem::NoKeys));
        }
        if keys.len() > MAX_TRUSTED_KEYS {
            return Err(bad(ListProblem::TooManyKeys {
                count: keys.len(),
                limit: MAX_TRUSTED_KEYS,
            }));
        }
        let mut by_kid: HashMap<KeyId, Vec<usize>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            if k.not_before > k.not_after {
                return Err(bad(ListProblem::InvertedWindow {
                    kid: k.key.key_id().to_string(),
                    label: k.label.clone(),
                }));
            }
            let slot = by_kid.entry(k.key.key_id()).or_default();
            if slot.iter().any(|&j| keys[j].key == k.key) {
                return Err(bad(ListProblem::DuplicateKey {
                    kid: k.key.key_id().to_string(),
                }));
            }
            slot.push(i);
        }
        Ok(TrustList { keys, by_kid })
    }

    /// Parses and validates the JSON form.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with [`ListProblem::TooLarge`]
    /// over [`MAX_TRUST_LIST_LEN`] bytes, [`ListProblem::NotJson`], [`ListProblem::BadKey`]
    /// for an unusable entry, or as for [`TrustList::new`].
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_TRUST_LIST_LEN {
            return Err(bad(ListProblem::TooLarge {
                len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                limit: MAX_TRUST_LIST_LEN,
            }));
        }
        let file: ListFile = serde_json::from_slice(bytes).map_err(|e| {
            bad(ListProblem::NotJson {
                detail: e.to_string(),
            })
        })?;
        let keys = file
            .keys
            .into_iter()
            .map(entry_to_key)
            .collect::<Result<Vec<_>>>()?;
        TrustList::new(keys)
    }

    /// Reads and validates a trust list file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
    /// [`Error::InvalidList`] (`invalid_trust_list`) naming the file when it is too
    /// large or, as for [`TrustList::from_json`], not a valid trust list.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = read_list_file(path, MAX_TRUST_LIST_LEN)?;
        TrustList::from_json(&bytes).map_err(|e| e.in_list_file(path))
    }

    /// Writes the JSON form to `path`, replacing it atomically (a reader
    /// sees the old list or the new one, never half of one).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when a temporary file beside `path` cannot be created or
    /// written, or cannot replace `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_replace(path, self.to_json().as_bytes())
    }

    /// The JSON form, pretty-printed with a trailing newline.
    pub fn to_json(&self) -> String {
        let file = ListFile {
            keys: self.keys.iter().map(key_to_entry).collect(),
        };
        let mut out = serde_json::to_string_pretty(&file).unwrap_or_default();
        out.push('\n');
        out
    }

    /// All keys, in file order.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }

    /// The keys with this key id (usually one; more after a collision).
    pub fn candidates(&self, kid: &KeyId) -> impl Iterator<Item = &TrustedKey> {
        self.by_kid
            .get(kid)
            .into_iter()
            .flatten()
            .map(|&i| &self.keys[i])
    }

    /// A new list with `key` added.
    ///
    /// # Errors
    ///
    /// Those of [`TrustList::new`]: too many keys, an inverted window or a
    /// duplicate key.
    pub fn with_key(&self, key: TrustedKey) -> Result<Self> {
        let mut keys = self.keys.clone();
        keys.push(key);
        TrustList::new(keys)
    }
}

/// An `invalid_trust_list` error in a bare trust list.
fn bad(problem: ListProblem) -> Error {
    Error::invalid_list(Some(ListKind::Trust), ListLayer::Bare, problem)
}

fn entry_to_key(e: KeyEntry) -> Result<TrustedKey> {
    let bad_key = |problem: KeyProblem| {
        bad(ListProblem::BadKey {
            kid: e.kid.clone(),
            problem,
        })
    };
    let alg: Algorithm = e
        .alg
        .parse()
        .map_err(|_| bad_key(KeyProblem::UnknownAlg { alg: e.alg.clone() }))?;
    let raw = B64
        .decode(e.public_key.as_bytes())
        .map_err(|_| bad_key(KeyProblem::NotBase64))?;
    let key = PublicKey::from_bytes(alg, &raw).map_err(|err| {
        bad_key(KeyProblem::Unusable {
            why: err.to_string(),
        })
    })?;
    if key.key_id().to_string() != e.kid {
        return Err(bad_key(KeyProblem::KidMismatch {
            expected: key.key_id().to_string(),
        }));
    }
    let time = |field: &'static str, text: &str| {
        UnixTime::parse_rfc3339(text).map_err(|_| {
            bad_key(KeyProblem::BadTime {
                field,
                text: text.to_owned(),
            })
        })
    };
    Ok(TrustedKey {
        not_before: time("not_before", &e.not_before)?,
        not_after: time("not_after", &e.not_after)?,
        key,
        label: e.label,
        authority: e.authority,
    })
}

fn key_to_entry(k: &TrustedKey) -> KeyEntry {
    KeyEntry {
        kid: k.key.key_id().to_string(),
        label: k.label.clone(),
        alg: k.key.algorithm().as_str().to_owned(),
        authority: k.authority.clone(),
        public_key: B64.encode(k.key.as_bytes()),
        not_before: k.not_before.to_rfc3339(),
        not_after: k.not_after.to_rfc3339(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    fn trusted(alg: Algorithm, from: u64, to: u64) -> TrustedKey {
        TrustedKey {
            key: SigningKey::generate(alg).unwrap().public_key().clone(),
            label: "t".into(),
            authority: "Test Authority".into(),
            not_before: UnixTime::from_secs(from),
            not_after: UnixTime::from_secs(to),
        }
    }

    #[test]
    fn json_round_trip() {
        let list = TrustList::new(vec![
            trusted(Algorithm::Ed25519, 0, 100),
            trusted(Algorithm::P256, 50, 200),
        ])
        .unwrap();
        let json = list.to_json();
        let back = TrustList::from_json(json.as_bytes()).unwrap();
        assert_eq!(back.keys(), list.keys());
        let kid = list.keys()[1].key.key_id();
        assert_eq!(back.candidates(&kid).count(), 1);
    }

    #[test]
    fn a_key_labelled_with_another_algorithm_is_refused_when_read() {
        for (own, label) in [(Algorithm::Sm2, "p256"), (Algorithm::P256, "sm2")] {
            let list = TrustList::new(vec![trusted(own, 0, 100)]).unwrap();
            let json = list.to_json();
            let relabelled = json.replacen(
                &format!("\"alg\": \"{own}\""),
                &format!("\"alg\": \"{label}\""),
                1,
            );
            assert_ne!(relabelled, json, "{json}");
            let err = TrustList::from_json(relabelled.as_bytes()).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_trust_list", "{err}");
            assert!(err.to_string().contains("curve"), "{err}");
        }
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(TrustList::new(vec![]).is_err());
        assert!(TrustList::new(vec![trusted(Algorithm::Ed25519, 10, 5)]).is_err());
        let k = trusted(Algorithm::Ed25519, 0, 5);
        assert!(TrustList::new(vec![k.clone(), k]).is_err());
        for junk in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"keys\":[]}",
            b"{\"keys\":[{}]}",
            b"\xff",
        ] {
            let err = TrustList::from_json(junk).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_trust_list");
        }
        let list = TrustList::new(vec![trusted(Algorithm::Ed25519, 0, 5)]).unwrap();
        let wrong_kid = list.to_json().replacen("\"kid\": \"", "\"kid\": \"0", 1);
        assert!(TrustList::from_json(wrong_kid.as_bytes()).is_err());
        let extra = list
            .to_json()
            .replacen("\"label\"", "\"colour\": \"red\", \"label\"", 1);
        assert!(TrustList::from_json(extra.as_bytes()).is_err());
        let big = vec![b' '; usize::try_from(MAX_TRUST_LIST_LEN).unwrap() + 1];
        assert!(TrustList::from_json(&big).is_err());
    }
}
