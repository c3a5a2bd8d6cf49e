//! Signed lists: the trust list and the revocation list, signed by an
//! offline root key that every verifier pins.
//!
//! A signed list is a JSON envelope around the exact bytes of the list it
//! carries (base64, so nothing is re-serialised between signing and
//! checking):
//!
//! ```json
//! {
//!   "format": "medcode-list/1",
//!   "kind": "trust",
//!   "sequence": 7,
//!   "issued_at": "2026-11-22T08:00:00Z",
//!   "next_update": "2026-11-29T08:00:00Z",
//!   "root_kid": "1a2b3c4d",
//!   "payload": "base64 of the trust.json or revocations.json bytes",
//!   "signature": "base64 of the 64-byte Ed25519 signature"
//! }
//! ```
//!
//! The root's Ed25519 signature covers this byte string, built from the
//! parsed values (so equivalent spellings of a time do not matter, and no
//! JSON is ever signed loosely):
//!
//! ```text
//! "medcode-list/1" 0x00              domain tag (a token's is "medcode/1")
//! u8 len || kind                     "trust" or "revocation"
//! root_kid                           4 bytes
//! sequence, issued_at, next_update   u64 big-endian each (seconds)
//! payload length                     u64 big-endian
//! SHA-256(payload)                   32 bytes: the exact payload bytes
//! ```
//!
//! The root public key file (`ROOT.pub`) is text: `#` comment lines and one
//! line `medcode-root/1 ed25519 <base64 of the 32-byte public key>`.
//!
//! A verifier refuses a list that does not verify under its pinned root, a
//! list of the other kind and a list with a lower sequence number than the
//! one it holds (rollback), all as `invalid_trust_list`. After the list's
//! next-update time the [`StalenessPolicy`] applies: codes are still
//! accepted with a notice for a grace period (72 hours by default), then
//! refused with `trust_list_stale`.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::ListKind;
use crate::RevocationList;
use crate::RootKey;
use crate::TrustList;
use crate::error::{Error, ListLayer, ListProblem, Result};
use crate::files::{read_list_file, write_replace};
use crate::keys::sizes::SIGNATURE_LEN;
use crate::keys::{KeyId, SigningKey};
use crate::lists::revocation::MAX_REVOCATION_LIST_LEN;
use crate::lists::trust::MAX_TRUST_LIST_LEN;
use crate::time::UnixTime;

/// The envelope's format name and the signature's domain tag.
pub const LIST_FORMAT: &str = "medcode-list/1";
/// Largest signed list file accepted, in bytes, checked before parsing: a
/// revocation list of [`MAX_REVOCATION_LIST_LEN`] in base64, plus 64 KiB.
pub const MAX_SIGNED_LIST_LEN: u64 = MAX_REVOCATION_LIST_LEN / 3 * 4 + 64 * 1024;

/// The largest payload a list of this kind may carry.
const fn max_payload(kind: ListKind) -> u64 {
    match kind {
        ListKind::Trust => MAX_TRUST_LIST_LEN,
        ListKind::Revocation => MAX_REVOCATION_LIST_LEN,
    }
}

/// Checks that `payload` is a well-formed list of this kind.
fn check_payload(kind: ListKind, payload: &[u8]) -> Result<()> {
    match kind {
        ListKind::Trust => TrustList::from_json(payload).map(drop),
        ListKind::Revocation => RevocationList::from_json(payload).map(drop),
    }
}

/// The signed facts about a list besides its content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListInfo {
    /// Which list.
    pub kind: ListKind,
    /// Increases with every list the root signs; a verifier never goes back.
    pub sequence: u64,
    /// When the root signed it.
    pub issued_at: UnixTime,
    /// When a newer list is due; the staleness policy counts from here.
    pub next_update: UnixTime,
}

impl ListInfo {
    fn check(&self) -> Result<()> {
        if self.sequence == 0 {
            return Err(envelope(Some(self.kind), ListProblem::ZeroSequence));
        }
        if self.next_update <= self.issued_at {
            return Err(envelope(
                Some(self.kind),
                ListProblem::NextUpdateNotAfterIssued {
                    issued_at: self.issued_at,
                    next_update: self.next_update,
                },
            ));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a signed list envelope: a JSON object {\"format\", \"kind\", \"sequence\", ...}"
)]
struct Envelope<'a> {
    #[serde(borrow)]
    format: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    sequence: u64,
    #[serde(borrow)]
    issued_at: Cow<'a, str>,
    #[serde(borrow)]
    next_update: Cow<'a, str>,
    #[serde(borrow)]
    root_kid: Cow<'a, str>,
    #[serde(borrow)]
    payload: Cow<'a, str>,
    #[serde(borrow)]
    signature: Cow<'a, str>,
}

/// A signed list as read from a file: parsed, not yet checked. Only
/// [`SignedList::verify`] gives access to its content.
///
/// ```
/// use medcode::lists::ListInfo;
/// use medcode::{Algorithm, ListKind, Reason, RootKey, SignedList, SigningKey, TrustList,
///               TrustedKey, UnixTime, Verifier};
///
/// // Offline: the root key signs the exact bytes of the trust list file.
/// let root = SigningKey::generate(Algorithm::Ed25519)?;
/// let issuer = SigningKey::generate(Algorithm::Ed25519)?;
/// let trust = TrustList::new(vec![TrustedKey {
///     key: issuer.public_key().clone(),
///     label: "issuer-2026".into(),
///     authority: "Example Healthcare Security Administration".into(),
///     not_before: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z")?,
///     not_after: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z")?,
/// }])?;
/// let info = |sequence| ListInfo {
///     kind: ListKind::Trust,
///     sequence,
///     issued_at: UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap(),
///     next_update: UnixTime::parse_rfc3339("2026-11-29T08:00:00Z").unwrap(),
/// };
/// let v1 = SignedList::sign(&root, info(1), trust.to_json().into_bytes())?;
/// let v2 = SignedList::sign(&root, info(2), trust.to_json().into_bytes())?;
/// let root_pub = RootKey::of(&root)?.to_text(); // the ROOT.pub file
///
/// // The till: pins the root's public key and loads what it is sent.
/// let pinned = RootKey::from_text(&root_pub)?;
/// let verifier = Verifier::from_signed(pinned, &SignedList::from_json(v2.to_json().as_bytes())?)?;
/// let rollback = verifier.update_trust_list(&v1).unwrap_err();
/// assert_eq!(rollback.reason(), Reason::InvalidTrustList);
/// # Ok::<(), medcode::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SignedList {
    info: ListInfo,
    root_kid: KeyId,
    payload: Vec<u8>,
    signature: [u8; SIGNATURE_LEN],
}

impl fmt::Debug for SignedList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedList")
            .field("claimed", &self.info)
            .field("root_kid", &self.root_kid)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// A list whose root signature and kind have been checked. Only
/// [`SignedList::verify`] creates one.
#[derive(Debug)]
pub struct VerifiedList<'a> {
    info: ListInfo,
    payload: &'a [u8],
    digest: [u8; 32],
}

impl<'a> VerifiedList<'a> {
    /// The signed facts: kind, sequence, issued-at, next-update.
    pub fn info(&self) -> &ListInfo {
        &self.info
    }
    /// The exact list bytes the root signed.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
    /// SHA-256 of the payload.
    pub(crate) fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
    out
}

/// The exact bytes the root signs (see the module docs).
fn signed_message(
    info: &ListInfo,
    root_kid: &KeyId,
    payload_digest: &[u8; 32],
    len: u64,
) -> Vec<u8> {
    let kind = info.kind.as_str().as_bytes();
    let mut m = Vec::with_capacity(LIST_FORMAT.len() + 1 + 1 + kind.len() + 4 + 32 + 32);
    m.extend_from_slice(LIST_FORMAT.as_bytes());
    m.push(0);
    m.push(u8::try_from(kind.len()).unwrap_or(u8::MAX));
    m.extend_from_slice(kind);
    m.extend_from_slice(root_kid.as_bytes());
    m.extend_from_slice(&info.sequence.to_be_bytes());
    m.extend_from_slice(&info.issued_at.as_secs().to_be_bytes());
    m.extend_from_slice(&info.next_update.as_secs().to_be_bytes());
    m.extend_from_slice(&len.to_be_bytes());
    m.extend_from_slice(payload_digest);
    m
}

/// An `invalid_trust_list` error in a signed envelope.
fn envelope(list: Option<ListKind>, problem: ListProblem) -> Error {
    Error::invalid_list(list, ListLayer::Envelope, problem)
}

fn payload_len(payload: &[u8]) -> u64 {
    u64::try_from(payload.len()).unwrap_or(u64::MAX)
}

impl SignedList {
    /// Signs `payload` (the exact bytes of a trust or revocation list file)
    /// with the root key. Refuses a payload that is not a well-formed list
    /// of `info.kind`, a zero sequence, a next-update not after issued-at,
    /// and a root key that is not Ed25519.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `root` is not an Ed25519 key;
    /// [`Error::InvalidList`] (`invalid_trust_list`) when `info` breaks one of the
    /// rules above, or `payload` is too large or not a valid list of `info.kind`.
    pub fn sign(root: &SigningKey, info: ListInfo, payload: Vec<u8>) -> Result<Self> {
        let root_pub = RootKey::of(root)?;
        info.check()?;
        if payload_len(&payload) > max_payload(info.kind) {
            return Err(envelope(
                Some(info.kind),
                ListProblem::TooLarge {
                    len: payload_len(&payload),
                    limit: max_payload(info.kind),
                },
            ));
        }
        check_payload(info.kind, &payload)?;
        let root_kid = root_pub.key_id();
        let msg = signed_message(&info, &root_kid, &sha256(&payload), payload_len(&payload));
        let signature = root.sign(&msg)?;
        Ok(SignedList {
            info,
            root_kid,
            payload,
            signature,
        })
    }

    /// Checks the root signature and the kind, and returns the list's
    /// signed facts and exact bytes. Refusals are `invalid_trust_list`
    /// with the rule broken.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with [`ListProblem::WrongRoot`],
    /// [`ListProblem::BadSignature`] or, for a list not of kind `expected`,
    /// [`ListProblem::WrongKind`].
    pub fn verify(&self, root: &RootKey, expected: ListKind) -> Result<VerifiedList<'_>> {
        if self.root_kid != root.key_id() {
            return Err(envelope(
                Some(expected),
                ListProblem::WrongRoot {
                    expected: root.key_id().to_string(),
                    found: self.root_kid.to_string(),
                },
            ));
        }
        let digest = sha256(&self.payload);
        let msg = signed_message(
            &self.info,
            &self.root_kid,
            &digest,
            payload_len(&self.payload),
        );
        if !root.public_key().verify(&msg, &self.signature) {
            return Err(envelope(
                Some(expected),
                ListProblem::BadSignature {
                    root: root.key_id().to_string(),
                },
            ));
        }
        if self.info.kind != expected {
            return Err(envelope(
                Some(expected),
                ListProblem::WrongKind {
                    expected,
                    found: self.info.kind,
                },
            ));
        }
        Ok(VerifiedList {
            info: self.info,
            payload: &self.payload,
            digest,
        })
    }

    /// Parses the envelope (see the module docs). Checks its shape and
    /// limits only; [`SignedList::verify`] checks the signature.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) when `bytes` are over
    /// [`MAX_SIGNED_LIST_LEN`], not an envelope of this format and a known kind, or
    /// hold a bad time, sequence, root key id, base64 field or signature length,
    /// or a payload too large for its kind.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if payload_len(bytes) > MAX_SIGNED_LIST_LEN {
            return Err(envelope(
                None,
                ListProblem::TooLarge {
                    len: payload_len(bytes),
                    limit: MAX_SIGNED_LIST_LEN,
                },
            ));
        }
        let env: Envelope<'_> = serde_json::from_slice(bytes).map_err(|e| {
            envelope(
                None,
                ListProblem::NotJson {
                    detail: e.to_string(),
                },
            )
        })?;
        if env.format != LIST_FORMAT {
            return Err(envelope(
                None,
                ListProblem::UnknownFormat {
                    found: env.format.into_owned(),
                    expected: LIST_FORMAT,
                },
            ));
        }
        let kind: ListKind = env.kind.parse().map_err(|_| {
            envelope(
                None,
                ListProblem::UnknownKind {
                    found: env.kind.to_string(),
                },
            )
        })?;
        let time = |field: &'static str, text: &str| {
            UnixTime::parse_rfc3339(text).map_err(|_| {
                envelope(
                    Some(kind),
                    ListProblem::BadTime {
                        field,
                        text: text.to_owned(),
                    },
                )
            })
        };
        let info = ListInfo {
            kind,
            sequence: env.sequence,
            issued_at: time("issued_at", &env.issued_at)?,
            next_update: time("next_update", &env.next_update)?,
        };
        info.check()?;
        let root_kid = KeyId::parse_hex(&env.root_kid)
            .ok()
            .filter(|k| k.to_string() == env.root_kid)
            .ok_or_else(|| {
                envelope(
                    Some(kind),
                    ListProblem::BadRootKid {
                        found: env.root_kid.to_string(),
                    },
                )
            })?;
        // Base64 is 4 characters per 3 bytes: refuse an oversized payload
        // before decoding it.
        let max_b64 = max_payload(kind).div_ceil(3) * 4;
        if payload_len(env.payload.as_bytes()) > max_b64 {
            return Err(envelope(
                Some(kind),
                ListProblem::PayloadTooLarge {
                    limit: max_payload(kind),
                },
            ));
        }
        let payload = B64
            .decode(env.payload.as_bytes())
            .map_err(|_| envelope(Some(kind), ListProblem::NotBase64 { field: "payload" }))?;
        let sig = B64
            .decode(env.signature.as_bytes())
            .map_err(|_| envelope(Some(kind), ListProblem::NotBase64 { field: "signature" }))?;
        let signature: [u8; SIGNATURE_LEN] = sig.as_slice().try_into().map_err(|_| {
            envelope(
                Some(kind),
                ListProblem::SignatureLength {
                    len: sig.len(),
                    expected: SIGNATURE_LEN,
                },
            )
        })?;
        Ok(SignedList {
            info,
            root_kid,
            payload,
            signature,
        })
    }

    /// Reads a signed list file, refusing one larger than
    /// [`MAX_SIGNED_LIST_LEN`] before reading it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
    /// [`Error::InvalidList`] (`invalid_trust_list`) naming the file when it is too
    /// large or, as for [`SignedList::from_json`], not a signed list.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = read_list_file(path, MAX_SIGNED_LIST_LEN)?;
        SignedList::from_json(&bytes).map_err(|e| e.in_list_file(path))
    }

    /// True when `bytes` look like a signed envelope (a JSON object with a
    /// `format` field) rather than a bare list. Checks nothing else.
    pub fn is_envelope(bytes: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Probe {
            format: Option<serde::de::IgnoredAny>,
        }
        serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.format.is_some())
    }

    /// The envelope as JSON, with a trailing newline.
    pub fn to_json(&self) -> String {
        let env = Envelope {
            format: Cow::Borrowed(LIST_FORMAT),
            kind: Cow::Borrowed(self.info.kind.as_str()),
            sequence: self.info.sequence,
            issued_at: Cow::Owned(self.info.issued_at.to_rfc3339()),
            next_update: Cow::Owned(self.info.next_update.to_rfc3339()),
            root_kid: Cow::Owned(self.root_kid.to_string()),
            payload: Cow::Owned(B64.encode(&self.payload)),
            signature: Cow::Owned(B64.encode(self.signature)),
        };
        let mut out = serde_json::to_string_pretty(&env).unwrap_or_default();
        out.push('\n');
        out
    }

    /// Writes the envelope to `path`, replacing it atomically.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when a temporary file beside `path` cannot be created or
    /// written, or cannot replace `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_replace(path, self.to_json().as_bytes())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::keys::Algorithm;

    /// The signed facts of a test list: issued at 1,000,000 s, due at
    /// 2,000,000 s (shared with the staleness tests).
    pub(in crate::lists) fn info(kind: ListKind, seq: u64) -> ListInfo {
        ListInfo {
            kind,
            sequence: seq,
            issued_at: UnixTime::from_secs(1_000_000),
            next_update: UnixTime::from_secs(2_000_000),
        }
    }

    const TRUST: &str = r#"{"keys":[{"kid":"32eac5b0","label":"demo-issuer","alg":"ed25519","authority":"x","public_key":"maCE2O8xW9Ndj5lyP/xsykGmM3E2ubDC17cUfoYWYKU=","not_before":"2026-01-01T00:00:00Z","not_after":"2035-12-30T00:00:00Z"}]}"#;

    #[test]
    fn the_signed_message_is_laid_out_as_documented() {
        let i = info(ListKind::Trust, 7);
        let m = signed_message(&i, &KeyId::from_bytes([1, 2, 3, 4]), &[0xaa; 32], 5);
        let mut want = b"medcode-list/1\0\x05trust\x01\x02\x03\x04".to_vec();
        want.extend_from_slice(&7u64.to_be_bytes());
        want.extend_from_slice(&1_000_000u64.to_be_bytes());
        want.extend_from_slice(&2_000_000u64.to_be_bytes());
        want.extend_from_slice(&5u64.to_be_bytes());
        want.extend_from_slice(&[0xaa; 32]);
        assert_eq!(m, want);
        assert_eq!(m.len(), 15 + 1 + 5 + 4 + 24 + 8 + 32);
    }

    #[test]
    fn sign_round_trip_and_root_key_text() {
        let root = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let pinned = RootKey::of(&root).unwrap();
        let signed = SignedList::sign(&root, info(ListKind::Trust, 3), TRUST.into()).unwrap();
        let back = SignedList::from_json(signed.to_json().as_bytes()).unwrap();
        assert_eq!(back, signed);
        let v = back.verify(&pinned, ListKind::Trust).unwrap();
        assert_eq!(v.payload(), TRUST.as_bytes());
        assert_eq!(v.info().sequence, 3);
        assert!(SignedList::is_envelope(signed.to_json().as_bytes()));
        assert!(!SignedList::is_envelope(TRUST.as_bytes()));
        assert_eq!(RootKey::from_text(&pinned.to_text()).unwrap(), pinned);
        let p256 = SigningKey::generate(Algorithm::P256).unwrap();
        assert_eq!(
            RootKey::of(&p256).unwrap_err().reason().as_str(),
            "invalid_key"
        );
    }

    #[test]
    fn signing_refuses_bad_input() {
        let root = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let e = SignedList::sign(&root, info(ListKind::Trust, 0), TRUST.into()).unwrap_err();
        assert!(e.to_string().contains("sequence numbers start at 1"), "{e}");
        let mut backwards = info(ListKind::Trust, 1);
        backwards.next_update = backwards.issued_at;
        let e = SignedList::sign(&root, backwards, TRUST.into()).unwrap_err();
        assert!(e.to_string().contains("is not after issued_at"), "{e}");
        let e = SignedList::sign(&root, info(ListKind::Revocation, 1), TRUST.into()).unwrap_err();
        assert!(e.to_string().contains("revocation list"), "{e}");
    }
}
