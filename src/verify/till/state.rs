//! The rollback state file: the highest signed-list sequence numbers a
//! till has used, per root key id, each with the SHA-256 of the payload it
//! carried, kept across restarts.
//!
//! Files written before digests were kept hold sequences only; they are
//! read as they are (a list of the recorded sequence is then taken as the
//! one used) and written back with the digest.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::ListKind;
use crate::error::{Error, Result};
use crate::files::{read_bounded, write_replace};

/// Largest rollback state file read, in bytes.
pub const MAX_STATE_FILE_LEN: u64 = 64 * 1024;

/// The SHA-256 of a signed list's payload, written as 64 lower-case hex
/// digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PayloadDigest(pub(super) [u8; 32]);

impl Serialize for PayloadDigest {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for PayloadDigest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Hex;
        impl Visitor<'_> for Hex {
            type Value = PayloadDigest;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a SHA-256 digest as 64 lower-case hex digits")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<PayloadDigest, E> {
                let mut out = [0u8; 32];
                match hex::decode_to_slice(text, &mut out) {
                    Ok(()) if !text.bytes().any(|b| b.is_ascii_uppercase()) => {
                        Ok(PayloadDigest(out))
                    }
                    _ => Err(E::invalid_value(de::Unexpected::Str(text), &self)),
                }
            }
        }
        d.deserialize_str(Hex)
    }
}

/// One root key's record: per kind, the highest sequence used and the
/// digest of the payload of the list with that sequence (absent in files
/// written before digests were kept).
#[derive(Serialize, Deserialize, Default)]
#[serde(
    deny_unknown_fields,
    expecting = "a root key's record {\"trust\", \"revocation\", ...}"
)]
pub(super) struct Sequences {
    #[serde(default)]
    trust: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trust_digest: Option<PayloadDigest>,
    #[serde(default)]
    revocation: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocation_digest: Option<PayloadDigest>,
}

impl Sequences {
    /// The record of `kind`: its sequence and digest.
    pub(super) fn of(&mut self, kind: ListKind) -> (&mut u64, &mut Option<PayloadDigest>) {
        match kind {
            ListKind::Trust => (&mut self.trust, &mut self.trust_digest),
            ListKind::Revocation => (&mut self.revocation, &mut self.revocation_digest),
        }
    }
}

/// The rollback state file: the highest sequences used, per root key id.
#[derive(Serialize, Deserialize, Default)]
#[serde(
    deny_unknown_fields,
    expecting = "a till state file: a JSON object {\"roots\": {...}}"
)]
pub(super) struct State {
    pub(super) roots: BTreeMap<String, Sequences>,
}

impl State {
    pub(super) fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(State::default());
        }
        let bytes = read_bounded(path, MAX_STATE_FILE_LEN, "state file")?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
            why: format!("state file {}: {e}", path.display()),
        })
    }

    /// Writes the state, keeping the higher of each number if another run
    /// raised it meanwhile (with that run's digest; for the same number, the
    /// digest already on file wins).
    pub(super) fn save(&self, path: &Path) -> Result<()> {
        let mut merged = State::load(path).unwrap_or_default();
        for (kid, ours) in &self.roots {
            let theirs = merged.roots.entry(kid.clone()).or_default();
            for (kind, (sequence, digest)) in [
                (ListKind::Trust, (ours.trust, ours.trust_digest)),
                (
                    ListKind::Revocation,
                    (ours.revocation, ours.revocation_digest),
                ),
            ] {
                let (their_sequence, their_digest) = theirs.of(kind);
                if sequence > *their_sequence {
                    *their_sequence = sequence;
                    *their_digest = digest;
                } else if sequence == *their_sequence && their_digest.is_none() {
                    *their_digest = digest;
                }
            }
        }
        let mut text = serde_json::to_string(&merged).map_err(|e| Error::Storage {
            why: format!("state file {}: {e}", path.display()),
        })?;
        text.push('\n');
        write_replace(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_file_of_sequences_only_is_read_and_written_back_with_digests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(
            &path,
            "{\"roots\":{\"9c341fe4\":{\"trust\":2,\"revocation\":0}}}\n",
        )
        .unwrap();
        let mut state = State::load(&path).unwrap();
        let entry = state.roots.get_mut("9c341fe4").unwrap();
        let (sequence, digest) = entry.of(ListKind::Trust);
        assert_eq!((*sequence, *digest), (2, None));
        *digest = Some(PayloadDigest([0xab; 32]));
        state.save(&path).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!(
                "{{\"roots\":{{\"9c341fe4\":{{\"trust\":2,\"trust_digest\":\"{}\",\"revocation\":0}}}}}}\n",
                "ab".repeat(32)
            )
        );
    }

    #[test]
    fn a_digest_that_is_not_64_lower_case_hex_digits_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        for bad in ["\"ab\"", &format!("\"{}\"", "AB".repeat(32)), "7"] {
            std::fs::write(
                &path,
                format!("{{\"roots\":{{\"9c341fe4\":{{\"trust\":2,\"trust_digest\":{bad}}}}}}}"),
            )
            .unwrap();
            let e = State::load(&path).err().expect("refused");
            assert_eq!(e.reason().as_str(), "storage", "{bad}");
        }
    }

    #[test]
    fn saving_keeps_the_higher_sequence_and_the_digest_on_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let write = |trust: u64, digest: u8| {
            let mut s = State::default();
            let e = s.roots.entry("9c341fe4".into()).or_default();
            *e.of(ListKind::Trust).0 = trust;
            *e.of(ListKind::Trust).1 = Some(PayloadDigest([digest; 32]));
            s.save(&path).unwrap();
        };
        let on_file = || {
            let mut s = State::load(&path).unwrap();
            let e = s.roots.get_mut("9c341fe4").unwrap();
            let (sequence, digest) = e.of(ListKind::Trust);
            (*sequence, digest.unwrap().0[0])
        };
        write(3, 1);
        write(2, 2);
        assert_eq!(on_file(), (3, 1));
        write(3, 3);
        assert_eq!(on_file(), (3, 1));
        write(4, 4);
        assert_eq!(on_file(), (4, 4));
    }
}
