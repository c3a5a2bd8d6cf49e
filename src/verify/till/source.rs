//! Where a till's lists come from (a file or bytes), the size each may
//! have, and whether it must be signed.

use std::path::{Path, PathBuf};

use crate::ListKind;
use crate::SignedList;
use crate::error::{Error, ListLayer, ListProblem, Result};
use crate::files::read_list_file;
use crate::lists::revocation::MAX_REVOCATION_LIST_LEN;
use crate::lists::signed::MAX_SIGNED_LIST_LEN;
use crate::lists::trust::MAX_TRUST_LIST_LEN;

/// Where a list comes from: a file, or its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListSource {
    /// A file, read when the verifier is built.
    File(PathBuf),
    /// The list's bytes (JSON, or a signed envelope).
    Bytes(Vec<u8>),
}

impl ListSource {
    /// The file, if the list comes from one.
    pub(super) fn path(&self) -> Option<&Path> {
        match self {
            ListSource::File(path) => Some(path),
            ListSource::Bytes(_) => None,
        }
    }

    /// Reads the list, refusing one over the setup's size limit first.
    pub(super) fn read(&self, kind: ListKind, signed: bool) -> Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            ListSource::File(path) => {
                read_list_file(path, list_len_limit(kind, signed)).map(std::borrow::Cow::Owned)
            }
            ListSource::Bytes(bytes) => {
                check_list_len(kind, signed, u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
                Ok(std::borrow::Cow::Borrowed(bytes))
            }
        }
    }

    /// Names the file in an `invalid_trust_list` error, if there is one.
    pub(super) fn named(&self, e: Error) -> Error {
        match self.path() {
            Some(path) => e.in_list_file(path),
            None => e,
        }
    }
}

/// The largest list of `kind` a till setup reads, in bytes: a signed list
/// (a root key is pinned) [`MAX_SIGNED_LIST_LEN`], an unsigned trust list
/// [`MAX_TRUST_LIST_LEN`], an unsigned revocation list
/// [`MAX_REVOCATION_LIST_LEN`].
pub const fn list_len_limit(kind: ListKind, signed: bool) -> u64 {
    match (kind, signed) {
        (_, true) => MAX_SIGNED_LIST_LEN,
        (ListKind::Trust, false) => MAX_TRUST_LIST_LEN,
        (ListKind::Revocation, false) => MAX_REVOCATION_LIST_LEN,
    }
}

/// Checks the size of a list given as `len` bytes against
/// [`list_len_limit`], so that a front end can refuse an oversized buffer
/// before it copies it, with the message [`TillConfig::build`](super::TillConfig::build) gives.
///
/// # Errors
/// [`Error::InvalidList`] when `len` is above the limit: "the trust
/// list is N bytes, larger than the L-byte limit".
pub fn check_list_len(kind: ListKind, signed: bool, len: u64) -> Result<()> {
    let limit = list_len_limit(kind, signed);
    if len > limit {
        return Err(Error::invalid_list(
            Some(kind),
            ListLayer::File,
            ListProblem::TooLarge { len, limit },
        ));
    }
    Ok(())
}

/// Reads a file that must hold a signed list of `kind`, for a verifier that
/// pins a root key: at setup, and when a newer list is installed in a
/// running verifier ([`Verifier::update_trust_list`](crate::Verifier::update_trust_list),
/// [`Verifier::update_revocations`](crate::Verifier::update_revocations)). The signature is not checked here.
///
/// # Errors
/// [`Error::Io`]; [`Error::InvalidList`] for a file over
/// [`MAX_SIGNED_LIST_LEN`] or a malformed envelope (naming the file);
/// [`ListProblem::NotSigned`] for a file that is not a signed list.
pub fn read_signed_list_file(path: &Path, kind: ListKind) -> Result<SignedList> {
    let source = ListSource::File(path.to_owned());
    let bytes = source.read(kind, true)?;
    signed_from(&source, &bytes, kind)
}

/// Parses the bytes of a list that must be signed (a root key is pinned).
pub(super) fn signed_from(source: &ListSource, bytes: &[u8], kind: ListKind) -> Result<SignedList> {
    if !SignedList::is_envelope(bytes) {
        return Err(source.named(Error::invalid_list(
            Some(kind),
            ListLayer::File,
            ListProblem::NotSigned,
        )));
    }
    SignedList::from_json(bytes).map_err(|e| source.named(e))
}

/// Refuses a signed list given to a setup without a root key:
/// [`ListProblem::NoRootKey`] at the file layer (told by the first bytes,
/// before anything is parsed), naming the list's file if it has one.
pub(super) fn refuse_signed(source: &ListSource, bytes: &[u8], kind: ListKind) -> Result<()> {
    if SignedList::is_envelope(bytes) {
        return Err(source.named(Error::invalid_list(
            Some(kind),
            ListLayer::File,
            ListProblem::NoRootKey,
        )));
    }
    Ok(())
}
