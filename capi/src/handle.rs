//! The verifier handle: created from a trust list and options, shared by any
//! number of threads, freed once.

use std::ffi::c_char;
use std::path::Path;

use medcode::{MAX_TRUST_LIST_LEN, TrustList, Verifier};

use crate::cstr::read_str;
use crate::guard::{Failure, call, quiet};
use crate::options::MedcodeOptions;
use crate::reason::MedcodeReason;

/// Longest path accepted, in bytes.
const MAX_PATH_LEN: usize = 4096;

/// A verifier built once from a trust list and options. Opaque to C.
///
/// Thread safety: a handle may be used by any number of threads at the same
/// time (`medcode_verify` takes it by `const` pointer and takes no lock); it
/// must be freed exactly once, after every thread is done with it.
#[derive(Debug)]
pub struct MedcodeVerifier {
    pub(crate) inner: Verifier,
}

/// # Safety
/// `opts` is null or a readable options struct of its `struct_size`; `out`
/// is non-null and writable.
unsafe fn build(
    trust: Result<TrustList, medcode::Error>,
    opts: *const MedcodeOptions,
    out: *mut *mut MedcodeVerifier,
) -> Result<(), Failure> {
    // SAFETY: guaranteed by the caller of `build`.
    let opts = unsafe { MedcodeOptions::read(opts) }?;
    let policy = opts.policy()?;
    let trust = trust.map_err(|e| Failure::from_error(&e))?;
    let handle = Box::new(MedcodeVerifier {
        inner: Verifier::new(trust).with_policy(policy),
    });
    // SAFETY: guaranteed by the caller of `build`.
    unsafe { out.write(Box::into_raw(handle)) };
    Ok(())
}

/// Sets `*out` to NULL first, so it is NULL after any failure.
fn clear_out(out: *mut *mut MedcodeVerifier) -> Result<(), Failure> {
    if out.is_null() {
        return Err(Failure::null("out"));
    }
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { out.write(std::ptr::null_mut()) };
    Ok(())
}

/// Creates a verifier from a trust list file (the JSON written by `medcode
/// keygen`, at most 1 MiB). `path` is a NUL-terminated UTF-8 path; `opts` may
/// be NULL for the defaults. On success `*out` holds a new handle, to be
/// released with `medcode_verifier_free`; on failure `*out` is NULL, the
/// code says why (`MEDCODE_REASON_IO`, `MEDCODE_REASON_INVALID_TRUST_LIST`,
/// `MEDCODE_REASON_INVALID_ARGUMENT`) and `medcode_last_error` has details.
///
/// # Safety
/// `path` is null or NUL-terminated; `opts` is null or a valid options
/// struct; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_new_from_file(
    path: *const c_char,
    opts: *const MedcodeOptions,
    out: *mut *mut MedcodeVerifier,
) -> MedcodeReason {
    call(|| {
        clear_out(out)?;
        // SAFETY: the caller guarantees `path` is null or NUL-terminated.
        let path = unsafe {
            read_str(
                path,
                MAX_PATH_LEN,
                "path",
                MedcodeReason::InvalidArgument,
                MedcodeReason::InvalidArgument,
            )
        }?;
        // SAFETY: `out` is checked non-null above; `opts` is the caller's.
        unsafe { build(TrustList::from_file(Path::new(path)), opts, out) }
    })
}

/// Creates a verifier from the bytes of a trust list (JSON, `len` bytes, no
/// terminator needed, at most 1 MiB). Otherwise as
/// `medcode_verifier_new_from_file`.
///
/// # Safety
/// `json` is null or points to `len` readable bytes; `opts` is null or a
/// valid options struct; `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_new_from_bytes(
    json: *const u8,
    len: usize,
    opts: *const MedcodeOptions,
    out: *mut *mut MedcodeVerifier,
) -> MedcodeReason {
    call(|| {
        clear_out(out)?;
        if json.is_null() {
            return Err(Failure::null("json"));
        }
        if u64::try_from(len).unwrap_or(u64::MAX) > MAX_TRUST_LIST_LEN {
            return Err(Failure::new(
                MedcodeReason::InvalidTrustList,
                format!("{len} bytes, larger than the {MAX_TRUST_LIST_LEN}-byte limit"),
            ));
        }
        // SAFETY: the caller guarantees `len` readable bytes at `json`.
        let bytes = unsafe { std::slice::from_raw_parts(json, len) };
        // SAFETY: `out` is checked non-null above; `opts` is the caller's.
        unsafe { build(TrustList::from_json(bytes), opts, out) }
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
