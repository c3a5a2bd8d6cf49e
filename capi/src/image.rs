//! Decoding a QR image file into token text.

use std::ffi::{CString, c_char};

use crate::cstr::read_path;
use crate::guard::{Failure, call, quiet};
use crate::reason::MedcodeReason;

/// Reads the PNG or JPEG at `path`, finds its single QR code and writes its
/// text (NUL-terminated, allocated by the library) to `*text_out`; free it
/// with `medcode_string_free`. On failure `*text_out` is NULL and the code
/// says why: `MEDCODE_REASON_UNREADABLE` (no code, several, undecodable or
/// not an image), `MEDCODE_REASON_IO`, `MEDCODE_REASON_INVALID_ARGUMENT`.
/// Pass the text to `medcode_verify` exactly as if it had been typed.
///
/// # Safety
/// `path` is null or a NUL-terminated string; `text_out` is null or points
/// to writable memory for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_decode_qr_file(
    path: *const c_char,
    text_out: *mut *mut c_char,
) -> MedcodeReason {
    call(|| {
        if text_out.is_null() {
            return Err(Failure::null("text_out"));
        }
        // SAFETY: checked non-null; the caller promises it is writable.
        unsafe { text_out.write(std::ptr::null_mut()) };
        // SAFETY: the caller promises a NUL-terminated string or NULL;
        // read_path refuses NULL and reads at most MAX_PATH_LEN + 1 bytes.
        let path = unsafe { read_path(path) }?;
        let text = medcode::qr::decode_image_file(path).map_err(|e| Failure::from_error(&e))?;
        let c = CString::new(text)
            .map_err(|_| Failure::new(MedcodeReason::Unreadable, "the QR text holds a NUL byte"))?;
        // SAFETY: `text_out` was checked non-null above and is writable
        // (caller's contract); the string is handed over to the caller.
        unsafe { text_out.write(c.into_raw()) };
        Ok(())
    })
}

/// Frees a string returned by `medcode_decode_qr_file`. NULL is ignored.
///
/// # Safety
/// `s` is NULL or a pointer returned by `medcode_decode_qr_file`, not yet
/// freed, whose text the caller has not shortened (no NUL written inside
/// it): the library finds the size of the allocation from its terminator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_string_free(s: *mut c_char) {
    quiet((), || {
        if !s.is_null() {
            // SAFETY: non-null, so (caller's contract) it came from
            // CString::into_raw in medcode_decode_qr_file, is not freed yet
            // and still has its original length, which from_raw recomputes.
            drop(unsafe { CString::from_raw(s) });
        }
    });
}
