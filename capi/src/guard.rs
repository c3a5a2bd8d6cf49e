//! The boundary: no panic unwinds into the caller, and every fallible call
//! leaves a message for `medcode_last_error`.

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::reason::MedcodeReason;

/// A failed call: the code returned to C and the detail kept for
/// `medcode_last_error`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: MedcodeReason,
    pub(crate) detail: String,
}

impl Failure {
    pub(crate) fn new(code: MedcodeReason, detail: impl Into<String>) -> Self {
        Failure {
            code,
            detail: detail.into(),
        }
    }

    pub(crate) fn from_error(e: &medcode::Error) -> Self {
        Failure::new(MedcodeReason::from_reason(e.reason()), e.to_string())
    }

    pub(crate) fn null(what: &str) -> Self {
        Failure::new(
            MedcodeReason::InvalidArgument,
            format!("{what} is a null pointer"),
        )
    }

    /// The failure reported for a caught panic.
    pub(crate) fn from_panic(payload: &(dyn Any + Send)) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Failure::new(
            MedcodeReason::Internal,
            format!("internal error in medcode (please report): {what}"),
        )
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records the outcome of the current call for `medcode_last_error`.
pub(crate) fn set_last_error(detail: &str) {
    let text = CString::new(detail.replace('\0', " ")).unwrap_or_default();
    // During thread teardown the slot may be gone; there is no one left to
    // read the message then.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = text);
}

/// Runs a fallible entry point: catches panics, records the last error
/// (empty on success) and turns the outcome into a code.
pub(crate) fn call(f: impl FnOnce() -> Result<(), Failure>) -> MedcodeReason {
    let outcome = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(Failure::from_panic(payload.as_ref())));
    match outcome {
        Ok(()) => {
            set_last_error("");
            MedcodeReason::Ok
        }
        Err(failure) => {
            set_last_error(&failure.detail);
            failure.code
        }
    }
}

/// Runs an entry point that cannot fail; a panic yields `fallback`.
pub(crate) fn quiet<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// A message describing the outcome of the most recent fallible medcode call
/// on the calling thread: empty after a success, one line of plain words
/// after a failure (e.g. `"expired at 2026-11-22T08:01:00Z (checked at
/// 2026-11-22T09:00:00Z)"`). Never NULL. The string belongs to medcode and
/// stays valid until the next medcode call on the same thread: copy it to
/// keep it, never free it.
#[unsafe(no_mangle)]
pub extern "C" fn medcode_last_error() -> *const c_char {
    const EMPTY: &std::ffi::CStr = c"";
    quiet(EMPTY.as_ptr(), || {
        LAST_ERROR
            .try_with(|slot| slot.borrow().as_ptr())
            .unwrap_or(EMPTY.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last() -> String {
        // SAFETY: medcode_last_error never returns NULL; its thread-local CString stays valid until
        // the next medcode call on this thread, and it is copied before that.
        unsafe { CStr::from_ptr(medcode_last_error()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn panics_become_internal_errors() {
        let code = call(|| panic!("boom"));
        assert_eq!(code, MedcodeReason::Internal);
        assert_eq!(last(), "internal error in medcode (please report): boom");
        let code = call(|| {
            let n = String::from("formatted");
            panic!("{n} boom")
        });
        assert_eq!(code, MedcodeReason::Internal);
        assert_eq!(
            last(),
            "internal error in medcode (please report): formatted boom"
        );
        assert_eq!(quiet(7, || panic!("boom")), 7);
    }

    #[test]
    fn last_error_follows_the_latest_call_per_thread() {
        let code = call(|| Err(Failure::null("token")));
        assert_eq!(code, MedcodeReason::InvalidArgument);
        assert_eq!(last(), "token is a null pointer");
        // Another thread has its own slot.
        std::thread::spawn(|| assert_eq!(last(), ""))
            .join()
            .unwrap();
        assert_eq!(call(|| Ok(())), MedcodeReason::Ok);
        assert_eq!(last(), "");
    }
}
