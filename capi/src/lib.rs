//! # medcode-capi: the medcode verifier behind a C ABI
//!
//! Till software in C, C++, C#, Java (JNI) or Python (ctypes) links
//! `libmedcode_capi` (shared or static), includes `include/medcode.h`
//! (generated from this crate by cbindgen and checked by a test), builds one
//! verifier from the trust list and checks each scanned code in one call:
//!
//! ```c
//! MedcodeOptions opts;
//! medcode_options_init(&opts);              // a macro: sizeof opts
//! // each code is accepted once by default (the in-memory replay guard);
//! // MEDCODE_REPLAY_FILE or _REDIS keep the record across restarts or tills
//! MedcodeVerifier *v = NULL;
//! if (medcode_verifier_new_from_file("keys/trust.json", &opts, &v) != MEDCODE_REASON_OK) {
//!     fprintf(stderr, "%s\n", medcode_last_error());
//! }
//! MedcodeResult r;
//! medcode_verify(v, scanned_text, (uint64_t)time(NULL), &r);
//! printf("%s %s\n", r.accepted ? "accepted" : "rejected", r.reason_str);
//! medcode_verifier_free(v);
//! ```
//!
//! Rules of the boundary (see docs/EMBEDDING.md):
//! - No panic unwinds into the caller: every entry point catches it and
//!   returns `MEDCODE_REASON_INTERNAL`.
//! - Null pointers and invalid UTF-8 are reported with a code, never
//!   dereferenced; caller strings are read with a length bound.
//! - A verifier handle is `Send + Sync`: share it between threads freely.
//! - Results are caller-owned structs with fixed-size buffers and static
//!   strings: nothing to free but the handle.
//! - Options are a versioned struct that only grows at its end (version 2
//!   added the replay guard, the pinned root key and the revocation list);
//!   a signed list is installed in a running verifier with
//!   `medcode_verifier_update_*_file`, safely while other threads verify.

mod cstr;
mod guard;
mod handle;
mod image;
mod lists;
mod observer;
mod options;
mod reason;
mod result;

use std::ffi::{CStr, c_char};

pub use guard::medcode_last_error;
pub use handle::{
    MedcodeVerifier, medcode_verifier_free, medcode_verifier_new_from_bytes,
    medcode_verifier_new_from_file,
};
pub use image::{medcode_decode_qr_file, medcode_string_free};
pub use lists::{
    MEDCODE_LIST_DUE_SOON, MEDCODE_LIST_FRESH, MEDCODE_LIST_REFUSED, MEDCODE_LIST_STALE,
    MedcodeListStatus, medcode_verifier_list_status, medcode_verifier_update_revocations_file,
    medcode_verifier_update_trust_list_file,
};
pub use observer::{
    MedcodeVerdictCallback, MedcodeVerdictEvent, medcode_verifier_set_verdict_callback,
};
pub use options::{
    MEDCODE_OPTIONS_V1_SIZE, MEDCODE_OPTIONS_V2_SIZE, MEDCODE_OPTIONS_V3_SIZE,
    MEDCODE_OPTIONS_V4_SIZE, MEDCODE_REPLAY_DEFAULT, MEDCODE_REPLAY_FAIL_CLOSED,
    MEDCODE_REPLAY_FILE, MEDCODE_REPLAY_LOCAL_FALLBACK, MEDCODE_REPLAY_MEMORY, MEDCODE_REPLAY_NONE,
    MEDCODE_REPLAY_REDIS, MedcodeOptions, medcode_options_init, medcode_options_init_size,
};
pub use reason::{MedcodeReason, medcode_reason_str};
pub use result::{
    MEDCODE_CREDENTIAL_ID_CAP, MEDCODE_DETAIL_CAP, MEDCODE_ID_CAP, MEDCODE_KID_CAP,
    MEDCODE_NAME_CAP, MEDCODE_NOTICE_CROSS_PROVINCE_NOT_CHECKED, MEDCODE_NOTICE_LIST_DUE_SOON,
    MEDCODE_NOTICE_LIST_STALE, MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK, MEDCODE_TOKEN_ID_CAP,
    MedcodeCodeInfo, MedcodePresenter, MedcodeResult, medcode_verify, medcode_verify_ex,
};

/// Version of the binary interface described by `medcode.h`: changes only
/// when an existing function or struct changes incompatibly (adding fields
/// at the end of `MedcodeOptions` or adding functions does not change it).
pub const MEDCODE_ABI_VERSION: u32 = 1;

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("the package version contains a NUL byte"),
    };

/// The library version, e.g. "0.1.0". Static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn medcode_version() -> *const c_char {
    guard::quiet(VERSION.as_ptr(), || VERSION.as_ptr())
}

/// The ABI version the library was built with; compare it with
/// `MEDCODE_ABI_VERSION` from the header you compiled against.
#[unsafe(no_mangle)]
pub extern "C" fn medcode_abi_version() -> u32 {
    guard::quiet(MEDCODE_ABI_VERSION, || MEDCODE_ABI_VERSION)
}
