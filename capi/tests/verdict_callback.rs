//! `medcode_verifier_set_verdict_callback`: the C ABI tells a till's own
//! function of every verdict its handle gives, once per code, with the
//! insured person only when a signature held; NULL removes the callback.

mod common;

use std::ffi::{CStr, c_char, c_void};
use std::ptr;
use std::sync::Mutex;

use common::{
    GARBAGE, NOW, buf, demo_claims, expired_token, issue_with_id, new_ok, options_v2, trust_path,
    verify_at,
};
use medcode::UntrustedToken;
use medcode_capi::{
    MedcodeReason, MedcodeVerdictEvent, medcode_verifier_free,
    medcode_verifier_set_verdict_callback, medcode_verify,
};

/// What the callback heard of one verdict: reason, token id, insured, kind.
type Heard = (String, String, String, String);

/// Copies the event into the `Mutex<Vec<Heard>>` behind `user_data`.
unsafe extern "C" fn remember(user_data: *mut c_void, event: *const MedcodeVerdictEvent) {
    // SAFETY: the test registers a live `Mutex<Vec<Heard>>` as `user_data`
    // and the library passes a live event for the duration of the call.
    let (log, event) = unsafe { (&*(user_data as *const Mutex<Vec<Heard>>), &*event) };
    // SAFETY: static strings of the ABI.
    let text = |p: *const c_char| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned();
    log.lock().unwrap().push((
        text(event.reason_str),
        buf(&event.token_id),
        buf(&event.insured),
        text(event.kind),
    ));
}

fn heard(reason: &str, token_id: &str, insured: &str, kind: &str) -> Heard {
    (reason.into(), token_id.into(), insured.into(), kind.into())
}

#[test]
fn the_callback_hears_every_verdict_once() {
    let log: Mutex<Vec<Heard>> = Mutex::new(Vec::new());
    let v = new_ok(&trust_path(), &options_v2());
    // SAFETY: a live handle used by this thread only; `log` outlives every
    // verification below (the callback is removed before it is dropped).
    let code = unsafe {
        medcode_verifier_set_verdict_callback(v, Some(remember), ptr::from_ref(&log) as *mut c_void)
    };
    assert_eq!(code, MedcodeReason::Ok);

    let good = issue_with_id(&demo_claims(), NOW - 5, [9, 9, 9, 9, 9, 9, 9, 1]);
    assert_eq!(verify_at(v, &good, NOW).reason, MedcodeReason::Ok);
    assert_eq!(verify_at(v, &good, NOW).reason, MedcodeReason::Replayed);
    assert_eq!(
        verify_at(v, &expired_token(), NOW).reason,
        MedcodeReason::Expired
    );
    // One bit of a genuine signature flipped: refused, names nobody.
    let fresh = issue_with_id(&demo_claims(), NOW - 5, [9, 9, 9, 9, 9, 9, 9, 2]);
    let mut bytes = UntrustedToken::parse(&fresh).unwrap().as_bytes().to_vec();
    *bytes.last_mut().unwrap() ^= 1;
    let forged = UntrustedToken::from_bytes(&bytes).unwrap().to_text();
    assert_eq!(
        verify_at(v, &forged, NOW).reason,
        MedcodeReason::BadSignature
    );
    assert_eq!(verify_at(v, GARBAGE, NOW).reason, MedcodeReason::Malformed);
    // Text that is not UTF-8: refused before it is read as a code, heard too.
    let mut out = std::mem::MaybeUninit::uninit();
    let not_utf8 = b"MC1\xff\xfe\0";
    // SAFETY: a live handle, a NUL-terminated byte string, a writable result.
    let code = unsafe { medcode_verify(v, not_utf8.as_ptr().cast(), NOW, out.as_mut_ptr()) };
    assert_eq!(code, MedcodeReason::Malformed);

    let holder = "12345678901234567890";
    assert_eq!(
        log.lock().unwrap().clone(),
        [
            heard("ok", "0909090909090901", holder, "self"),
            heard("replayed", "0909090909090901", holder, "self"),
            heard("expired", "0102030405060708", holder, "self"),
            heard("bad_signature", "0909090909090902", "", ""),
            heard("malformed", "", "", ""),
            heard("malformed", "", "", ""),
        ]
    );

    // NULL removes the callback: nothing more is heard.
    // SAFETY: as above.
    let code = unsafe { medcode_verifier_set_verdict_callback(v, None, ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::Ok);
    assert_eq!(verify_at(v, &fresh, NOW).reason, MedcodeReason::Ok);
    assert_eq!(log.lock().unwrap().len(), 6);
    // SAFETY: created by new_ok, freed once, not used after.
    unsafe { medcode_verifier_free(v) };

    // A NULL handle is an invalid argument.
    // SAFETY: NULL is allowed.
    let code =
        unsafe { medcode_verifier_set_verdict_callback(ptr::null_mut(), None, ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
}
