//! The revocation list: issuer keys and insured persons whose codes a
//! verifier refuses with reason `revoked`.
//!
//! - A revoked **key id** stops every code signed by a trusted key with that
//!   id, whenever it was issued, and names the reason (`compromised`,
//!   `superseded`, `retired`, `unspecified`). Key ids are 4 bytes and may
//!   collide: revoking one refuses every trusted key sharing it (the safe
//!   side).
//! - A revoked **insured identifier** carries a since-instant: codes issued
//!   at or after it are refused, codes issued before it still verify (a
//!   stolen phone reported at 10:00 stops the codes it shows from 10:00).
//!   The identifier is checked both as the insured person of a code and as
//!   the presenter of a family-account delegate code. For a code a phone
//!   made offline, the since-instant is compared with the phone's enrolment
//!   (its credential's not-before): a credential made before the revocation
//!   keeps working until it expires unless it is revoked too.
//! - A revoked **device credential id** stops every code that credential
//!   makes (a lost phone). The field `credentials` is optional and written
//!   only when the list holds one, so older lists and tools read on.
//!
//! The file is JSON, one entry per line so that a list of a million
//! identifiers stays diffable and about 61 bytes per identifier:
//!
//! ```json
//! {
//!   "keys": [
//!     {"kid":"32eac5b0","reason":"compromised"}
//!   ],
//!   "insured": [
//!     {"id":"12345678901234567890","since":"2026-11-22T08:00:00Z"}
//!   ],
//!   "credentials": [
//!     {"id":"0f1e2d3c4b5a6978"}
//!   ]
//! }
//! ```
//!
//! Unknown fields, duplicate entries, malformed identifiers or times and
//! files over [`MAX_REVOCATION_LIST_LEN`] are refused whole
//! (`invalid_trust_list`). An empty list is valid: a signed empty list is a
//! statement that nothing is revoked.
//!
//! Lookups are O(1): identifiers are packed into 128 bits (they are at most
//! 20 characters of 36 symbols, under 2^105) and held in a hash map with
//! their since-instant, 24 bytes per slot. `tests/revocation_memory.rs`
//! measures a million identifiers and asserts under 64 bytes each.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::Claims;
use crate::CredentialId;
use crate::InsuredId;
use crate::ListKind;
use crate::error::{Error, ListLayer, ListProblem, Result, RevokedItem};
use crate::files::{read_list_file, write_replace};
use crate::keys::KeyId;
use crate::time::UnixTime;
use crate::token::claims::MAX_ID_CHARS;

/// Largest revocation list accepted, in bytes, checked before parsing: room
/// for about 1.6 million identifiers at 61 bytes per line. A trust list's
/// 1 MiB limit would hold only some 17,000.
pub const MAX_REVOCATION_LIST_LEN: u64 = 96 * 1024 * 1024;
/// Most insured identifiers one revocation list may hold.
pub const MAX_REVOKED_INSURED: usize = 2_000_000;
/// Most key ids one revocation list may hold.
pub const MAX_REVOKED_KEYS: usize = 65_536;
/// Most device credential ids one revocation list may hold (about 26 bytes
/// a line: a million lost phones fit the file limit).
pub const MAX_REVOKED_CREDENTIALS: usize = 1_000_000;

text_enum!(
    /// Why a key was revoked.
    #[non_exhaustive]
    RevocationReason, "revocation reason", Error::argument {
        /// The private key is known or suspected to have leaked.
        Compromised => "compromised",
        /// A newer key replaced it.
        Superseded => "superseded",
        /// The issuer stopped using it.
        Retired => "retired",
        /// No reason given.
        Unspecified => "unspecified",
    }
);

/// An insured identifier packed into 128 bits, held as two `u64` so a map
/// slot with its since-instant is 24 bytes (a `u128` would align it to 32).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct PackedId([u64; 2]);

/// The value of one identifier character, 1..=36 (never 0).
fn symbol_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0' + 1),
        b'A'..=b'Z' => Some(b - b'A' + 11),
        _ => None,
    }
}

const SYMBOLS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl PackedId {
    /// Packs 1-20 characters of `0-9A-Z` as a base-37 number whose digits
    /// are all non-zero, so every identifier has exactly one packed value.
    fn pack(text: &str) -> Option<Self> {
        if text.is_empty() || text.len() > MAX_ID_CHARS {
            return None;
        }
        let mut v: u128 = 0;
        for b in text.bytes() {
            v = v * 37 + u128::from(symbol_value(b)?);
        }
        let bytes = v.to_be_bytes();
        let mut hi = [0u8; 8];
        let mut lo = [0u8; 8];
        hi.copy_from_slice(&bytes[..8]);
        lo.copy_from_slice(&bytes[8..]);
        Some(PackedId([u64::from_be_bytes(hi), u64::from_be_bytes(lo)]))
    }

    fn of(id: &InsuredId) -> Self {
        // An InsuredId is always 1-20 characters of 0-9A-Z.
        PackedId::pack(id.as_str()).unwrap_or(PackedId([u64::MAX; 2]))
    }

    fn unpack(self) -> String {
        let mut v = (u128::from(self.0[0]) << 64) | u128::from(self.0[1]);
        let mut out = Vec::with_capacity(MAX_ID_CHARS);
        while v > 0 {
            let digit = usize::try_from(v % 37).unwrap_or(0);
            out.push(SYMBOLS[digit.saturating_sub(1)]);
            v /= 37;
        }
        out.reverse();
        String::from_utf8(out).unwrap_or_default()
    }
}

/// What [`RevocationList::revoke_insured`] and
/// [`RevocationList::revoke_key`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new entry.
    Added,
    /// The entry existed and was made stricter (an earlier since-instant, or
    /// a different key reason).
    Updated,
    /// The entry existed and already said as much.
    Unchanged,
}

/// A validated revocation list. Cheap O(1) lookups; see the module docs for
/// the file format.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RevocationList {
    keys: HashMap<KeyId, RevocationReason>,
    insured: HashMap<PackedId, u64>,
    credentials: HashSet<CredentialId>,
}

impl fmt::Debug for RevocationList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationList")
            .field("keys", &self.keys.len())
            .field("insured", &self.insured.len())
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

/// An `invalid_trust_list` error in a bare revocation list.
fn bad(problem: ListProblem) -> Error {
    Error::invalid_list(Some(ListKind::Revocation), ListLayer::Bare, problem)
}

impl RevocationList {
    /// An empty list: nothing revoked.
    pub fn new() -> Self {
        RevocationList::default()
    }

    /// Revokes every trusted key with id `kid`. Revoking it again with
    /// another reason replaces the reason.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with
    /// [`ListProblem::TooManyRevokedKeys`] when `kid` is new and the list already
    /// holds [`MAX_REVOKED_KEYS`] key ids.
    pub fn revoke_key(&mut self, kid: KeyId, reason: RevocationReason) -> Result<Change> {
        if self.keys.len() >= MAX_REVOKED_KEYS && !self.keys.contains_key(&kid) {
            return Err(bad(ListProblem::TooManyRevokedKeys {
                limit: MAX_REVOKED_KEYS,
            }));
        }
        Ok(match self.keys.insert(kid, reason) {
            None => Change::Added,
            Some(old) if old == reason => Change::Unchanged,
            Some(_) => Change::Updated,
        })
    }

    /// Refuses codes of `id` issued at or after `since`. Revoking an
    /// identifier again keeps the earlier of the two instants.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with
    /// [`ListProblem::TooManyRevokedInsured`] when `id` is new and the list already
    /// holds [`MAX_REVOKED_INSURED`] identifiers.
    pub fn revoke_insured(&mut self, id: &InsuredId, since: UnixTime) -> Result<Change> {
        let len = self.insured.len();
        match self.insured.entry(PackedId::of(id)) {
            Entry::Vacant(slot) => {
                if len >= MAX_REVOKED_INSURED {
                    return Err(bad(ListProblem::TooManyRevokedInsured {
                        limit: MAX_REVOKED_INSURED,
                    }));
                }
                slot.insert(since.as_secs());
                Ok(Change::Added)
            }
            Entry::Occupied(mut slot) => {
                if since.as_secs() < *slot.get() {
                    slot.insert(since.as_secs());
                    Ok(Change::Updated)
                } else {
                    Ok(Change::Unchanged)
                }
            }
        }
    }

    /// Refuses every code of the device credential `id` (a lost phone).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with
    /// [`ListProblem::TooManyRevokedCredentials`] when `id` is new and the list
    /// already holds [`MAX_REVOKED_CREDENTIALS`] credential ids.
    pub fn revoke_credential(&mut self, id: CredentialId) -> Result<Change> {
        if self.credentials.contains(&id) {
            return Ok(Change::Unchanged);
        }
        if self.credentials.len() >= MAX_REVOKED_CREDENTIALS {
            return Err(bad(ListProblem::TooManyRevokedCredentials {
                limit: MAX_REVOKED_CREDENTIALS,
            }));
        }
        self.credentials.insert(id);
        Ok(Change::Added)
    }

    /// True when the device credential `id` is revoked.
    pub fn is_credential_revoked(&self, id: &CredentialId) -> bool {
        self.credentials.contains(id)
    }

    /// Number of revoked device credentials.
    pub fn credential_count(&self) -> usize {
        self.credentials.len()
    }

    /// Refuses a code of a revoked device credential.
    pub(crate) fn check_credential(&self, id: &CredentialId) -> Result<()> {
        if self.credentials.contains(id) {
            return Err(Error::Revoked {
                what: RevokedItem::Credential { id: id.to_string() },
            });
        }
        Ok(())
    }

    /// The reason `kid` is revoked, if it is.
    pub fn key_reason(&self, kid: &KeyId) -> Option<RevocationReason> {
        self.keys.get(kid).copied()
    }

    /// The instant from which codes of `id` are refused, if it is revoked.
    pub fn insured_since(&self, id: &InsuredId) -> Option<UnixTime> {
        self.insured
            .get(&PackedId::of(id))
            .map(|&s| UnixTime::from_secs(s))
    }

    /// Number of revoked key ids.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Number of revoked insured identifiers.
    pub fn insured_count(&self) -> usize {
        self.insured.len()
    }

    /// Refuses a code signed with `kid`, issued at `issued_at`, for
    /// `claims`, when the list says so. The verifier calls this after the
    /// signature has verified.
    pub(crate) fn check(&self, kid: &KeyId, claims: &Claims, issued_at: UnixTime) -> Result<()> {
        if let Some(reason) = self.key_reason(kid) {
            return Err(Error::Revoked {
                what: RevokedItem::Key {
                    kid: kid.to_string(),
                    reason: reason.as_str(),
                },
            });
        }
        if let Some(since) = self.insured_since(&claims.insured)
            && issued_at >= since
        {
            return Err(Error::Revoked {
                what: RevokedItem::Insured {
                    insured: claims.insured.to_string(),
                    since,
                    issued_at,
                },
            });
        }
        if let Some(p) = &claims.presenter
            && let Some(since) = self.insured_since(&p.insured)
            && issued_at >= since
        {
            return Err(Error::Revoked {
                what: RevokedItem::Presenter {
                    presenter: p.insured.to_string(),
                    insured: claims.insured.to_string(),
                    since,
                    issued_at,
                },
            });
        }
        Ok(())
    }

    /// Parses the JSON form. Identifiers are packed as they are read, so
    /// parsing a million of them holds no per-entry strings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) with [`ListProblem::TooLarge`]
    /// over [`MAX_REVOCATION_LIST_LEN`] bytes, or [`ListProblem::NotJson`] when `bytes`
    /// are not a well-formed revocation list (bad JSON, field, key id, reason or
    /// identifier, a duplicate, or more entries than allowed).
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_REVOCATION_LIST_LEN {
            return Err(bad(ListProblem::TooLarge {
                len: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                limit: MAX_REVOCATION_LIST_LEN,
            }));
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let list = ListVisitor {
            insured_hint: insured_hint(bytes),
        }
        .deserialize(&mut de)
        .and_then(|list| de.end().map(|()| list))
        .map_err(|e| {
            bad(ListProblem::NotJson {
                detail: e.to_string(),
            })
        })?;
        Ok(list)
    }

    /// Reads and parses a revocation list file, refusing one larger than
    /// [`MAX_REVOCATION_LIST_LEN`] before reading it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when the file is missing, a directory or unreadable;
    /// [`Error::InvalidList`] (`invalid_trust_list`) naming the file when it is too
    /// large or, as for [`RevocationList::from_json`], not a revocation list.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = read_list_file(path, MAX_REVOCATION_LIST_LEN)?;
        RevocationList::from_json(&bytes).map_err(|e| e.in_list_file(path))
    }

    /// The JSON form: one entry per line, keys in key-id order and
    /// identifiers shortest first, then in character order; a trailing
    /// newline. The same list always gives the same bytes.
    pub fn to_json(&self) -> String {
        let mut keys: Vec<_> = self.keys.iter().collect();
        keys.sort_unstable_by_key(|(kid, _)| **kid);
        let mut insured: Vec<_> = self.insured.iter().collect();
        insured.sort_unstable_by_key(|(id, _)| **id);
        let file = FileOut {
            keys: keys
                .into_iter()
                .map(|(&kid, &reason)| KeyOut { kid, reason })
                .collect(),
            insured: insured
                .into_iter()
                .map(|(id, &since)| InsuredOut {
                    id: id.unpack(),
                    since: UnixTime::from_secs(since),
                })
                .collect(),
            credentials: {
                let mut ids: Vec<String> =
                    self.credentials.iter().map(ToString::to_string).collect();
                ids.sort_unstable();
                ids.into_iter().map(|id| CredentialOut { id }).collect()
            },
        };
        let mut out = Vec::with_capacity(32 + file.keys.len() * 48 + file.insured.len() * 62);
        let layout = EntryPerLine {
            depth: 0,
            pretty: PrettyFormatter::new(),
        };
        let mut ser = serde_json::Serializer::with_formatter(&mut out, layout);
        // Writing plain strings into a Vec cannot fail.
        let _ = file.serialize(&mut ser);
        out.push(b'\n');
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the JSON form to `path`, replacing it atomically.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] (`io`) when a temporary file beside `path` cannot be created or
    /// written, or cannot replace `path`.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_replace(path, self.to_json().as_bytes())
    }
}

/// The file as written: see [`RevocationList::to_json`].
#[derive(Serialize)]
struct FileOut {
    keys: Vec<KeyOut>,
    insured: Vec<InsuredOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    credentials: Vec<CredentialOut>,
}

#[derive(Serialize)]
struct CredentialOut {
    id: String,
}

#[derive(Serialize)]
struct KeyOut {
    kid: KeyId,
    reason: RevocationReason,
}

#[derive(Serialize)]
struct InsuredOut {
    id: String,
    since: UnixTime,
}

/// The file's layout: the outer object and its two arrays as
/// `serde_json`'s pretty form (two-space indent), each entry compact on its
/// own line.
struct EntryPerLine {
    /// Containers open at this point.
    depth: usize,
    pretty: PrettyFormatter<'static>,
}

/// Calls the pretty formatter for containers down to the entries' arrays
/// (depth 2) and for the values in them, the compact one inside an entry.
macro_rules! at_depth {
    ($self:ident, $method:ident($($arg:expr),*)) => {
        if $self.depth <= 2 {
            $self.pretty.$method($($arg),*)
        } else {
            CompactFormatter.$method($($arg),*)
        }
    };
}

impl Formatter for EntryPerLine {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        at_depth!(self, begin_array(w))
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        let closed = at_depth!(self, end_array(w));
        self.depth -= 1;
        closed
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        at_depth!(self, begin_array_value(w, first))
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        at_depth!(self, end_array_value(w))
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        at_depth!(self, begin_object(w))
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        let closed = at_depth!(self, end_object(w));
        self.depth -= 1;
        closed
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        at_depth!(self, begin_object_key(w, first))
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        at_depth!(self, begin_object_value(w))
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        at_depth!(self, end_object_value(w))
    }
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a revoked device credential {\"id\"}"
)]
struct CredentialEntry<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a revoked key {\"kid\", \"reason\"}")]
struct KeyEntry<'a> {
    #[serde(borrow)]
    kid: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    reason: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a revoked insured person {\"id\", \"since\"}"
)]
struct InsuredEntry<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    since: std::borrow::Cow<'a, str>,
}

/// How many identifiers to make room for before parsing, so the map is
/// allocated once at its final size instead of doubling (which holds the
/// old and the new table at once). An estimate: the number of `"id"` keys,
/// capped by what the file's length allows (an entry is at least 41 bytes)
/// and by [`MAX_REVOKED_INSURED`].
fn insured_hint(bytes: &[u8]) -> usize {
    let keys = bytes.windows(4).filter(|w| w == b"\"id\"").count();
    keys.min(bytes.len() / 41).min(MAX_REVOKED_INSURED)
}

/// Reads the whole file object: exactly the fields `keys` and `insured`.
struct ListVisitor {
    insured_hint: usize,
}

impl<'de> DeserializeSeed<'de> for ListVisitor {
    type Value = RevocationList;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListVisitor {
    type Value = RevocationList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with the fields \"keys\" and \"insured\"")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut list = RevocationList::new();
        let (mut saw_keys, mut saw_insured, mut saw_credentials) = (false, false, false);
        while let Some(field) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match field.as_ref() {
                "keys" if !saw_keys => {
                    saw_keys = true;
                    map.next_value_seed(KeysSeed(&mut list))?;
                }
                "insured" if !saw_insured => {
                    saw_insured = true;
                    list.insured.reserve(self.insured_hint);
                    map.next_value_seed(InsuredSeed(&mut list))?;
                }
                "credentials" if !saw_credentials => {
                    saw_credentials = true;
                    map.next_value_seed(CredentialsSeed(&mut list))?;
                }
                "keys" | "insured" | "credentials" => {
                    return Err(de::Error::custom(format!("field {field:?} appears twice")));
                }
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown field {other:?}, expected \"keys\", \"insured\" or \"credentials\""
                    )));
                }
            }
        }
        if !saw_keys || !saw_insured {
            return Err(de::Error::custom(
                "both fields \"keys\" and \"insured\" are required (an empty list is [])",
            ));
        }
        Ok(list)
    }
}

struct KeysSeed<'l>(&'l mut RevocationList);

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"kid\", \"reason\"} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(e) = seq.next_element::<KeyEntry<'de>>()? {
            let kid = KeyId::parse_hex(&e.kid)
                .map_err(|_| de::Error::custom(format!("kid {:?} is not 8 hex digits", e.kid)))?;
            if kid.to_string() != e.kid {
                return Err(de::Error::custom(format!(
                    "kid {:?} must be written in lower case",
                    e.kid
                )));
            }
            let reason: RevocationReason = e.reason.parse().map_err(de::Error::custom)?;
            if self.0.keys.contains_key(&kid) {
                return Err(de::Error::custom(format!("key {kid} is listed twice")));
            }
            self.0.revoke_key(kid, reason).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

struct CredentialsSeed<'l>(&'l mut RevocationList);

impl<'de> DeserializeSeed<'de> for CredentialsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CredentialsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"id\"} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(e) = seq.next_element::<CredentialEntry<'de>>()? {
            let id = CredentialId::parse_hex(&e.id).map_err(|_| {
                de::Error::custom(format!(
                    "credential id {:?} is not 16 lower-case hex digits",
                    e.id
                ))
            })?;
            if self.0.credentials.contains(&id) {
                return Err(de::Error::custom(format!(
                    "credential {id} is listed twice"
                )));
            }
            self.0.revoke_credential(id).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

struct InsuredSeed<'l>(&'l mut RevocationList);

impl<'de> DeserializeSeed<'de> for InsuredSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for InsuredSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {\"id\", \"since\"} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(e) = seq.next_element::<InsuredEntry<'de>>()? {
            let packed = PackedId::pack(&e.id).ok_or_else(|| {
                de::Error::custom(format!(
                    "insured id {:?} is not 1-{MAX_ID_CHARS} characters of 0-9 and A-Z",
                    e.id
                ))
            })?;
            let since = UnixTime::parse_rfc3339(&e.since).map_err(|_| {
                de::Error::custom(format!(
                    "insured {}: since {:?} is not an RFC 3339 time",
                    e.id, e.since
                ))
            })?;
            if self.0.insured.len() >= MAX_REVOKED_INSURED {
                return Err(de::Error::custom(format!(
                    "at most {MAX_REVOKED_INSURED} insured identifiers allowed"
                )));
            }
            if self.0.insured.insert(packed, since.as_secs()).is_some() {
                return Err(de::Error::custom(format!(
                    "insured {} is listed twice",
                    e.id
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_is_one_to_one_and_reversible() {
        let samples = [
            "0",
            "00",
            "000",
            "1",
            "9",
            "A",
            "Z",
            "0Z",
            "Z0",
            "10",
            "12345678901234567890",
            "ZZZZZZZZZZZZZZZZZZZZ",
            "00000000000000000000",
            "A1B2C3D4E5",
        ];
        let mut seen = std::collections::HashSet::new();
        for s in samples {
            let p = PackedId::pack(s).unwrap();
            assert_eq!(p.unpack(), s);
            assert!(seen.insert(p), "{s} collides");
        }
        for bad in ["", "a", "-", "123456789012345678901", "ÄB"] {
            assert!(PackedId::pack(bad).is_none(), "{bad:?}");
        }
        // Shortest first, then character order.
        assert!(PackedId::pack("Z").unwrap() < PackedId::pack("00").unwrap());
        assert!(PackedId::pack("09").unwrap() < PackedId::pack("0A").unwrap());
    }

    #[test]
    fn a_map_slot_is_24_bytes() {
        assert_eq!(std::mem::size_of::<(PackedId, u64)>(), 24);
    }

    #[test]
    fn json_round_trip_is_byte_exact() {
        let mut list = RevocationList::new();
        let since = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap();
        list.revoke_key(
            KeyId::parse_hex("32eac5b0").unwrap(),
            RevocationReason::Compromised,
        )
        .unwrap();
        for id in ["12345678901234567890", "A1B2C3D4E5", "7"] {
            list.revoke_insured(&InsuredId::new(id).unwrap(), since)
                .unwrap();
        }
        let json = list.to_json();
        assert_eq!(
            json,
            "{\n  \"keys\": [\n    {\"kid\":\"32eac5b0\",\"reason\":\"compromised\"}\n  ],\n  \"insured\": [\n    {\"id\":\"7\",\"since\":\"2026-11-22T08:00:00Z\"},\n    {\"id\":\"A1B2C3D4E5\",\"since\":\"2026-11-22T08:00:00Z\"},\n    {\"id\":\"12345678901234567890\",\"since\":\"2026-11-22T08:00:00Z\"}\n  ]\n}\n"
        );
        let back = RevocationList::from_json(json.as_bytes()).unwrap();
        assert_eq!(back, list);
        assert_eq!(back.to_json(), json);
        let empty = RevocationList::new().to_json();
        assert_eq!(empty, "{\n  \"keys\": [],\n  \"insured\": []\n}\n");
        assert_eq!(
            RevocationList::from_json(empty.as_bytes()).unwrap(),
            RevocationList::new()
        );
    }

    #[test]
    fn revoking_again_keeps_the_earlier_instant() {
        let mut list = RevocationList::new();
        let id = InsuredId::new("42").unwrap();
        let t = UnixTime::from_secs(1000);
        assert_eq!(list.revoke_insured(&id, t).unwrap(), Change::Added);
        assert_eq!(
            list.revoke_insured(&id, t.plus(5)).unwrap(),
            Change::Unchanged
        );
        assert_eq!(list.insured_since(&id), Some(t));
        assert_eq!(
            list.revoke_insured(&id, t.minus(5)).unwrap(),
            Change::Updated
        );
        assert_eq!(list.insured_since(&id), Some(t.minus(5)));
        let kid = KeyId::from_bytes([1, 2, 3, 4]);
        assert_eq!(
            list.revoke_key(kid, RevocationReason::Superseded).unwrap(),
            Change::Added
        );
        assert_eq!(
            list.revoke_key(kid, RevocationReason::Superseded).unwrap(),
            Change::Unchanged
        );
        assert_eq!(
            list.revoke_key(kid, RevocationReason::Compromised).unwrap(),
            Change::Updated
        );
        assert_eq!(list.key_reason(&kid), Some(RevocationReason::Compromised));
    }

    #[test]
    fn bad_lists_are_refused_with_the_rule_broken() {
        let cases: [(&str, &str); 14] = [
            ("", "EOF"),
            ("[]", "an object with the fields"),
            ("{}", "both fields"),
            ("{\"keys\":[]}", "both fields"),
            (
                "{\"keys\":[],\"insured\":[],\"x\":1}",
                "unknown field \"x\"",
            ),
            ("{\"keys\":[],\"keys\":[],\"insured\":[]}", "appears twice"),
            (
                "{\"keys\":[{\"kid\":\"32EAC5B0\",\"reason\":\"compromised\"}],\"insured\":[]}",
                "lower case",
            ),
            (
                "{\"keys\":[{\"kid\":\"32eac5\",\"reason\":\"compromised\"}],\"insured\":[]}",
                "not 8 hex digits",
            ),
            (
                "{\"keys\":[{\"kid\":\"32eac5b0\",\"reason\":\"lost\"}],\"insured\":[]}",
                "\"lost\" is not one of",
            ),
            (
                "{\"keys\":[{\"kid\":\"32eac5b0\",\"reason\":\"retired\"},{\"kid\":\"32eac5b0\",\"reason\":\"retired\"}],\"insured\":[]}",
                "key 32eac5b0 is listed twice",
            ),
            (
                "{\"keys\":[],\"insured\":[{\"id\":\"12a\",\"since\":\"2026-11-22T08:00:00Z\"}]}",
                "insured id \"12a\" is not",
            ),
            (
                "{\"keys\":[],\"insured\":[{\"id\":\"12\",\"since\":\"yesterday\"}]}",
                "insured 12: since \"yesterday\" is not an RFC 3339 time",
            ),
            (
                "{\"keys\":[],\"insured\":[{\"id\":\"12\",\"since\":\"2026-11-22T08:00:00Z\"},{\"id\":\"12\",\"since\":\"2026-11-22T09:00:00Z\"}]}",
                "insured 12 is listed twice",
            ),
            (
                "{\"keys\":[],\"insured\":[{\"id\":\"12\",\"since\":\"2026-11-22T08:00:00Z\",\"note\":\"x\"}]}",
                "unknown field `note`",
            ),
        ];
        for (text, want) in cases {
            let err = RevocationList::from_json(text.as_bytes()).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_trust_list", "{text}");
            assert!(err.to_string().contains(want), "{text}: {err}");
        }
        let trailing = "{\"keys\":[],\"insured\":[]} x";
        assert!(RevocationList::from_json(trailing.as_bytes()).is_err());
        let big = vec![b' '; usize::try_from(MAX_REVOCATION_LIST_LEN).unwrap() + 1];
        let err = RevocationList::from_json(&big).unwrap_err();
        assert!(err.to_string().contains("larger than the"), "{err}");
    }
}
