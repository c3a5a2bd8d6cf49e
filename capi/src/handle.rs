//! The verifier handle: created from a trust list and options, shared by any
//! number of threads, freed once.

use std::ffi::c_char;
use std::time::{SystemTime, UNIX_EPOCH};

use medcode::verify::{ListSource, check_list_len};
use medcode::{ListKind, UnixTime, Verifier};

use crate::cstr::read_path;
use crate::guard::{Failure, call, quiet};
use crate::options::{MedcodeOptions, Settings};
use crate::reason::MedcodeReason;

/// A verifier built once from a trust list and options. Opaque to C.
///
/// Thread safety: a handle may be used by any number of threads at the same
/// time (`medcode_verify` takes it by `const` pointer; the lists in force
/// are swapped whole by `medcode_verifier_update_*_file`, so a verification
/// sees the old list or the new one); it must be freed exactly once, after
/// every thread is done with it.
#[derive(Debug)]
pub struct MedcodeVerifier {
    pub(crate) inner: Verifier,
}

/// Reads and checks the caller's options.
///
/// # Safety
/// `opts` is null or a readable options struct of its `struct_size` whose
/// strings are null or NUL-terminated.
unsafe fn settings(opts: *const MedcodeOptions) -> Result<Settings, Failure> {
    // SAFETY: guaranteed by the caller.
    unsafe { MedcodeOptions::read(opts)?.settings() }
}

/// Builds the verifier through the library's till setup and hands it out.
///
/// # Safety
/// `out` is non-null and writable.
unsafe fn build(
    trust: ListSource,
    settings: &Settings,
    out: *mut *mut MedcodeVerifier,
) -> Result<(), Failure> {
    // The till setup needs the time only for the rollback state; the C
    // calls that create a verifier take none, so this front end reads the
    // clock (the library never does).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let verifier = settings
        .config(trust)
        .build(UnixTime::from_secs(now))
        .map_err(|e| Failure::from_error(&e))?;
    let handle = Box::new(MedcodeVerifier { inner: verifier });
    // SAFETY: guaranteed by the caller of `build`.
    unsafe { out.write(Box::into_raw(handle)) };
    Ok(())
}

/// Sets `*out` to NULL first, so it is NULL after any failure.
///
/// # Safety
/// `out` is null or writable.
unsafe fn clear_out(out: *mut *mut MedcodeVerifier) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::null("out"));
    }
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { out.write(std::ptr::null_mut()) };
    Ok(())
}

/// Creates a verifier from a trust list file: the JSON written by `medcode
/// keygen` (at most 1 MiB), or, when `opts->root_key_file` is set, a list
/// signed by that root (`medcode trust sign`). `path` is a NUL-terminated
/// UTF-8 path; `opts` may be NULL for the defaults. The options' revocation
/// list and state file are read, and the replay guard opened, here (a
/// state file is also raised to the lists' sequences). On success `*out` holds
/// a new handle, to be released with `medcode_verifier_free`; on failure
/// `*out` is NULL, the code says why (`MEDCODE_REASON_IO`,
/// `MEDCODE_REASON_INVALID_TRUST_LIST` also for a bad list signature, a
/// list older than the state file's record (rollback), a signed list
/// without a root key or an unsigned list with one,
/// `MEDCODE_REASON_INVALID_KEY` for a bad root key file,
/// `MEDCODE_REASON_STORAGE` for a replay file that cannot be opened or a
/// corrupt state file,
/// `MEDCODE_REASON_INVALID_ARGUMENT` for bad options) and
/// `medcode_last_error` has details.
///
/// # Safety
/// `path` is null or NUL-terminated; `opts` is null or a valid options
/// struct whose string fields are null or NUL-terminated; `out` is null or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_new_from_file(
    path: *const c_char,
    opts: *const MedcodeOptions,
    out: *mut *mut MedcodeVerifier,
) -> MedcodeReason {
    call(|| {
        // SAFETY: the caller guarantees `out` is null or writable.
        unsafe { clear_out(out) }?;
        // SAFETY: the caller guarantees `path` is null or NUL-terminated.
        let path = unsafe { read_path(path) }?;
        // SAFETY: the caller's options contract.
        let settings = unsafe { settings(opts) }?;
        // SAFETY: `out` is checked non-null above.
        unsafe { build(ListSource::File(path.to_owned()), &settings, out) }
    })
}

/// Creates a verifier from the bytes of a trust list (JSON, `len` bytes, no
/// terminator needed, at most 1 MiB; or a signed list when
/// `opts->root_key_file` is set, at most `MAX_SIGNED_LIST_LEN` of the Rust
/// library). Otherwise as
/// `medcode_verifier_new_from_file`.
///
/// # Safety
/// `json` is null or points to `len` readable bytes; `opts` is null or a
/// valid options struct whose string fields are null or NUL-terminated;
/// `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_new_from_bytes(
    json: *const u8,
    len: usize,
    opts: *const MedcodeOptions,
    out: *mut *mut MedcodeVerifier,
) -> MedcodeReason {
    call(|| {
        // SAFETY: the caller guarantees `out` is null or writable.
        unsafe { clear_out(out) }?;
        if json.is_null() {
            return Err(Failure::null("json"));
        }
        // SAFETY: the caller's options contract.
        let settings = unsafe { settings(opts) }?;
        // The till setup's size rule, checked before the bytes are copied.
        let signed = settings.root_key_file.is_some();
        check_list_len(
            ListKind::Trust,
            signed,
            u64::try_from(len).unwrap_or(u64::MAX),
        )
        .map_err(|e| Failure::from_error(&e))?;
        // SAFETY: `json` is non-null (checked above) and the caller
        // guarantees `len` readable bytes at it; check_list_len bounded
        // `len` to the list size limit, far below isize::MAX.
        let bytes = unsafe { std::slice::from_raw_parts(json, len) };
        // SAFETY: `out` is checked non-null above.
        unsafe { build(ListSource::Bytes(bytes.to_vec()), &settings, out) }
    })
}

/// Releases a verifier. NULL is ignored. The handle must not be used
/// afterwards, by any thread.
///
/// # Safety
/// `verifier` is null or a handle from `medcode_verifier_new_*` that was not
/// freed yet.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_free(verifier: *mut MedcodeVerifier) {
    quiet((), || {
        if !verifier.is_null() {
            // SAFETY: the caller hands back a pointer from Box::into_raw,
            // once.
            drop(unsafe { Box::from_raw(verifier) });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MedcodeVerifier>();
    }
}
