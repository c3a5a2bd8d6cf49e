//! Trust and revocation lists: unsigned, or signed by a pinned root key.
//! Loading them when a verifier is created, installing newer signed ones
//! while it serves the till, and telling how fresh they are.
//!
//! The rules are those of `medcode verify` (src/cli/lists.rs): with a root
//! key every list must be signed by it, without one every list must be
//! unsigned, and a file of the other kind is refused with a message saying
//! which option to change.

use std::ffi::c_char;
use std::path::Path;

use medcode::limits::{MAX_SIGNED_LIST_LEN, MAX_TRUST_LIST_LEN};
use medcode::{
    ListKind, Notice, RevocationList, RootKey, SignedList, TrustList, UnixTime, Verifier,
};

use crate::cstr::read_path;
use crate::guard::{Failure, call};
use crate::handle::MedcodeVerifier;
use crate::options::Settings;
use crate::reason::MedcodeReason;

/// Where the trust list given to `medcode_verifier_new_*` comes from.
pub(crate) enum TrustInput<'a> {
    File(&'a Path),
    Bytes(&'a [u8]),
}

fn fail(e: &medcode::Error) -> Failure {
    Failure::from_error(e)
}

fn invalid(why: String) -> Failure {
    Failure::new(MedcodeReason::InvalidArgument, why)
}

/// Names the file in an `invalid_trust_list` error, as the library's
/// `from_file` functions do.
fn in_file(path: &Path) -> impl Fn(medcode::Error) -> Failure + '_ {
    move |e| fail(&e.in_list_file(path))
}

/// Reads a whole list file, refusing a directory and a file over `limit`
/// bytes before reading it (`invalid_trust_list`).
fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, Failure> {
    medcode::lists::read_list_file(path, limit).map_err(|e| fail(&e))
}

/// Reads a file that must be a signed list (a verifier with a root key).
fn read_signed(path: &Path, hint: &str) -> Result<SignedList, Failure> {
    let bytes = read_file(path, MAX_SIGNED_LIST_LEN)?;
    if !SignedList::is_envelope(&bytes) {
        return Err(invalid(format!(
            "{} is not a signed list, but the verifier pins a root key: {hint}",
            path.display()
        )));
    }
    SignedList::from_json(&bytes).map_err(in_file(path))
}

/// Builds the verifier for a trust list and the list options.
pub(crate) fn load(input: TrustInput<'_>, settings: &Settings) -> Result<Verifier, Failure> {
    let signed = settings.root_key_file.is_some();
    let limit = if signed {
        MAX_SIGNED_LIST_LEN
    } else {
        MAX_TRUST_LIST_LEN
    };
    let (bytes, path) = match input {
        TrustInput::File(path) => (std::borrow::Cow::Owned(read_file(path, limit)?), Some(path)),
        TrustInput::Bytes(bytes) => {
            if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
                return Err(Failure::new(
                    MedcodeReason::InvalidTrustList,
                    format!("{} bytes, larger than the {limit}-byte limit", bytes.len()),
                ));
            }
            (std::borrow::Cow::Borrowed(bytes), None)
        }
    };
    let name = path.map_or_else(|| "the trust list".to_owned(), |p| p.display().to_string());
    let named = |e: medcode::Error| match path {
        Some(p) => in_file(p)(e),
        None => fail(&e),
    };

    let Some(root_path) = &settings.root_key_file else {
        if SignedList::is_envelope(&bytes) {
            return Err(invalid(format!(
                "{name} is a signed list: set root_key_file in MedcodeOptions to the pinned root key (ROOT.pub)"
            )));
        }
        let mut verifier = Verifier::new(TrustList::from_json(&bytes).map_err(named)?);
        if let Some(path) = &settings.revocations_file {
            let bytes = read_file(path, MAX_SIGNED_LIST_LEN)?;
            if SignedList::is_envelope(&bytes) {
                return Err(invalid(format!(
                    "{} is a signed list: set root_key_file in MedcodeOptions to the pinned root key (ROOT.pub), with a signed trust list",
                    path.display()
                )));
            }
            verifier = verifier
                .with_revocations(RevocationList::from_json(&bytes).map_err(in_file(path))?);
        }
        return Ok(verifier);
    };

    let root = RootKey::from_file(root_path).map_err(|e| fail(&e))?;
    if !SignedList::is_envelope(&bytes) {
        return Err(invalid(format!(
            "{name} is not a signed list, but root_key_file is set: sign it with `medcode trust sign` or leave root_key_file NULL"
        )));
    }
    let trust = SignedList::from_json(&bytes).map_err(named)?;
    drop(bytes);
    let verifier = Verifier::from_signed(root, &trust).map_err(named)?;
    if let Some(path) = &settings.revocations_file {
        let list = read_signed(
            path,
            "sign it with `medcode trust sign --kind revocation` or leave revocations_file NULL",
        )?;
        verifier.update_revocations(&list).map_err(in_file(path))?;
    }
    Ok(verifier)
}

/// Installs the signed list of `kind` at `path` in a live verifier.
///
/// # Safety
/// `verifier` is null or a live handle; `path` is null or NUL-terminated.
unsafe fn update(
    verifier: *const MedcodeVerifier,
    path: *const c_char,
    kind: ListKind,
) -> Result<(), Failure> {
    if verifier.is_null() {
        return Err(Failure::null("verifier"));
    }
    // SAFETY: null or NUL-terminated (caller's contract); bounded read.
    let path = unsafe { read_path(path) }?;
    // SAFETY: a live handle (caller's contract); only shared access, the
    // lists are swapped under the verifier's own lock.
    let verifier = unsafe { &(*verifier).inner };
    if verifier.root_key().is_none() {
        return Err(invalid(format!(
            "this verifier pins no root key, so it cannot install a signed {}: create it with root_key_file set in MedcodeOptions",
            kind.describe()
        )));
    }
    let hint = match kind {
        ListKind::Trust => "sign it with `medcode trust sign`",
        ListKind::Revocation => "sign it with `medcode trust sign --kind revocation`",
    };
    let list = read_signed(path, hint)?;
    match kind {
        ListKind::Trust => verifier.update_trust_list(&list),
        ListKind::Revocation => verifier.update_revocations(&list),
    }
    .map(drop)
    .map_err(in_file(path))
}

/// Installs a newer signed trust list from the file at `path` in a running
/// verifier created with `root_key_file` set. Safe while other threads
/// verify with the same handle: each verification sees the old list or the
/// new one, never a mix. Returns `MEDCODE_REASON_OK` when the list is in
/// force (also when it was already: same sequence, same content). A refused
/// list leaves the list in force unchanged: `MEDCODE_REASON_INVALID_TRUST_LIST`
/// for a bad signature, a revocation list, a lower sequence than the one
/// held (rollback) or the same sequence with other content;
/// `MEDCODE_REASON_INVALID_ARGUMENT` for a verifier without a root key, an
/// unsigned file, a NULL or non-UTF-8 argument; `MEDCODE_REASON_IO`.
///
/// # Safety
/// `verifier` is null or a live handle; `path` is null or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_update_trust_list_file(
    verifier: *mut MedcodeVerifier,
    path: *const c_char,
) -> MedcodeReason {
    // SAFETY: passed on from the caller.
    call(|| unsafe { update(verifier, path, ListKind::Trust) })
}

/// Installs a newer signed revocation list from the file at `path`; the
/// rules of `medcode_verifier_update_trust_list_file` apply.
///
/// # Safety
/// `verifier` is null or a live handle; `path` is null or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_update_revocations_file(
    verifier: *mut MedcodeVerifier,
    path: *const c_char,
) -> MedcodeReason {
    // SAFETY: passed on from the caller.
    call(|| unsafe { update(verifier, path, ListKind::Revocation) })
}

/// `MedcodeListStatus.state`: fresh, nothing to do.
pub const MEDCODE_LIST_FRESH: u32 = 0;
/// `MedcodeListStatus.state`: next-update is less than 24 hours away;
/// accepted codes carry `MEDCODE_NOTICE_LIST_DUE_SOON`.
pub const MEDCODE_LIST_DUE_SOON: u32 = 1;
/// `MedcodeListStatus.state`: past next-update; codes are still accepted,
/// with `MEDCODE_NOTICE_LIST_STALE`, until `refuses_at`.
pub const MEDCODE_LIST_STALE: u32 = 2;
/// `MedcodeListStatus.state`: past `refuses_at`; every code is refused
/// with `MEDCODE_REASON_TRUST_LIST_STALE` until a newer list is installed.
pub const MEDCODE_LIST_REFUSED: u32 = 3;

/// The freshness of one signed list a verifier holds. Caller-owned.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MedcodeListStatus {
    /// True when the verifier holds a signed list of this kind; all other
    /// fields are 0 otherwise (no list, or an unsigned one).
    pub present: bool,
    /// `MEDCODE_LIST_FRESH`, `_DUE_SOON`, `_STALE` or `_REFUSED`.
    pub state: u32,
    /// The list's sequence number; a till that must never go back to an
    /// older list across restarts stores it.
    pub sequence: u64,
    /// When the root signed it, Unix seconds.
    pub issued_at: u64,
    /// When a newer list is due, Unix seconds.
    pub next_update: u64,
    /// The first second at which every code is refused, Unix seconds.
    pub refuses_at: u64,
}

/// Tells how fresh the verifier's signed trust list and signed revocation
/// list are at `now_unix`, for a status screen or a monitoring job: a list
/// that is not renewed is seen days before it refuses codes. Writes to
/// `trust_out` and `revocations_out` (either may be NULL to skip it).
/// Thread-safe, like `medcode_verify`.
///
/// # Safety
/// `verifier` is null or a live handle; each out pointer is null or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_list_status(
    verifier: *const MedcodeVerifier,
    now_unix: u64,
    trust_out: *mut MedcodeListStatus,
    revocations_out: *mut MedcodeListStatus,
) -> MedcodeReason {
    call(|| {
        if verifier.is_null() {
            return Err(Failure::null("verifier"));
        }
        // SAFETY: a live handle (caller's contract); shared access only.
        let verifier = unsafe { &(*verifier).inner };
        let mut trust = MedcodeListStatus::default();
        let mut revocations = MedcodeListStatus::default();
        for s in verifier.list_status(UnixTime::from_secs(now_unix)) {
            let out = match s.info.kind {
                ListKind::Trust => &mut trust,
                ListKind::Revocation => &mut revocations,
            };
            *out = MedcodeListStatus {
                present: true,
                state: match (&s.notice, s.refused) {
                    (_, true) => MEDCODE_LIST_REFUSED,
                    (Some(Notice::ListStale { .. }), false) => MEDCODE_LIST_STALE,
                    (Some(Notice::ListDueSoon { .. }), false) => MEDCODE_LIST_DUE_SOON,
                    _ => MEDCODE_LIST_FRESH,
                },
                sequence: s.info.sequence,
                issued_at: s.info.issued_at.as_secs(),
                next_update: s.info.next_update.as_secs(),
                refuses_at: s.refuses_at.as_secs(),
            };
        }
        for (ptr, value) in [(trust_out, trust), (revocations_out, revocations)] {
            if !ptr.is_null() {
                // SAFETY: non-null and writable (caller's contract).
                unsafe { ptr.write(value) };
            }
        }
        Ok(())
    })
}
