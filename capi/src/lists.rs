//! Trust and revocation lists: installing newer signed ones while a
//! verifier serves the till, and telling how fresh they are. Loading them
//! when a verifier is created is the library's till setup
//! (`medcode::TillConfig`, see `handle.rs`), with its rules: with a
//! root key every list must be signed by it, without one every list must be
//! unsigned, one size limit per form, one wording of every message.

use std::ffi::c_char;

use medcode::verify::read_signed_list_file;
use medcode::{ListKind, Notice, UnixTime};

use crate::cstr::read_path;
use crate::guard::{Failure, call};
use crate::handle::MedcodeVerifier;
use crate::reason::MedcodeReason;

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
        return Err(Failure::new(
            MedcodeReason::InvalidArgument,
            format!(
                "this verifier pins no root key, so it cannot install a signed {}: create it with root_key_file set in MedcodeOptions",
                kind.describe()
            ),
        ));
    }
    let list = read_signed_list_file(path, kind).map_err(|e| Failure::from_error(&e))?;
    match kind {
        ListKind::Trust => verifier.update_trust_list(&list),
        ListKind::Revocation => verifier.update_revocations(&list),
    }
    .map(drop)
    .map_err(|e| Failure::from_error(&e.in_list_file(path)))
}

/// Installs a newer signed trust list from the file at `path` in a running
/// verifier created with `root_key_file` set. Safe while other threads
/// verify with the same handle: each verification sees the old list or the
/// new one, never a mix. Returns `MEDCODE_REASON_OK` when the list is in
/// force (also when it was already: same sequence, same content). A refused
/// list leaves the list in force unchanged: `MEDCODE_REASON_INVALID_TRUST_LIST`
/// for a bad signature, a revocation list, an unsigned file, a lower
/// sequence than the one held (rollback) or the same sequence with other
/// content; `MEDCODE_REASON_INVALID_ARGUMENT` for a verifier without a root
/// key, a NULL or non-UTF-8 argument; `MEDCODE_REASON_IO`.
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
