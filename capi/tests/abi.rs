//! The C ABI called as C would call it: raw pointers, NUL-terminated
//! strings, caller-owned result structs. Times are pinned: NOW is
//! 2026-11-22T08:00:00Z.

mod common;

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use common::{
    GARBAGE, NOW, demo_claims, expired_token, issue, issue_with_id, reason_at, trust_path,
    valid_token,
};
use medcode::{InsuredId, Presenter, Relation, Status};
use medcode_capi::*;

fn s(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: non-null (asserted); callers pass the ABI's static strings, medcode_last_error's
    // thread-local string (copied before the next medcode call) or a result buffer, which fill()
    // always NUL-terminates.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

fn buf(b: &[c_char]) -> String {
    s(b.as_ptr())
}

fn last_error() -> String {
    s(medcode_last_error())
}

fn new_verifier(opts: Option<&MedcodeOptions>) -> *mut MedcodeVerifier {
    let path = CString::new(trust_path().to_str().unwrap()).unwrap();
    let mut v = ptr::null_mut();
    // SAFETY: `path` is a live CString; `opts` is null or a live reference to an initialised struct
    // whose string fields are null; `v` is a writable local.
    let code = unsafe {
        medcode_verifier_new_from_file(
            path.as_ptr(),
            opts.map_or(ptr::null(), ptr::from_ref),
            &mut v,
        )
    };
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    assert!(!v.is_null());
    v
}

/// An options struct of zeros, as a C caller's `memset`.
fn zeroed_options() -> MedcodeOptions {
    MedcodeOptions {
        struct_size: 0,
        leeway_secs: 0,
        max_validity_secs: 0,
        till_region: 0,
        replay_guard: 0,
        replay_unavailable: 0,
        replay_target: ptr::null(),
        replay_key_prefix: ptr::null(),
        root_key_file: ptr::null(),
        revocations_file: ptr::null(),
        state_path: ptr::null(),
        replay_fallback_file: ptr::null(),
    }
}

fn verify_at(v: *const MedcodeVerifier, token: &str, now: u64) -> MedcodeResult {
    let text = CString::new(token).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();
    // SAFETY: callers pass a handle from new_verifier that is freed only after their last verify;
    // `text` is a live CString; `r` is a writable MaybeUninit<MedcodeResult>.
    let code = unsafe { medcode_verify(v, text.as_ptr(), now, r.as_mut_ptr()) };
    // SAFETY: `out` was non-null, and medcode_verify writes *out on every path then (also after a
    // caught panic).
    let r = unsafe { r.assume_init() };
    assert_eq!(code, r.reason);
    r
}

#[test]
fn valid_code_is_accepted_with_every_field() {
    let v = new_verifier(None);
    let r = verify_at(v, &valid_token(), NOW);
    assert!(r.accepted);
    assert_eq!(r.reason, MedcodeReason::Ok);
    assert_eq!(s(r.reason_str), "ok");
    assert_eq!(buf(&r.detail), "");
    assert_eq!(buf(&r.insured), "12345678901234567890");
    assert_eq!(buf(&r.name), "张*");
    assert_eq!(r.region, 110_000);
    assert_eq!(s(r.status), "normal");
    assert_eq!(s(r.scheme), "employee");
    assert!(r.cross_province);
    assert_eq!(r.issued_at, NOW - 5);
    assert_eq!(r.expires_at, NOW + 55);
    assert_eq!(buf(&r.kid), "32eac5b0");
    assert_eq!(buf(&r.token_id), "0102030405060708");
    assert_eq!(r.notices, 0);
    assert!(!r.presenter.present);
    assert!(!r.presenter.mutual_aid);
    assert_eq!(buf(&r.presenter.insured), "");
    assert_eq!(s(r.presenter.relation), "");
    assert_eq!(last_error(), "");
    // SAFETY: `v` is the live handle from new_verifier, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn expired_and_garbage_are_rejected_with_reasons() {
    let v = new_verifier(None);
    let r = verify_at(v, &expired_token(), NOW);
    assert!(!r.accepted);
    assert_eq!(r.reason, MedcodeReason::Expired);
    assert_eq!(r.reason.code(), 5);
    assert_eq!(s(r.reason_str), "expired");
    let detail = "expired at 2026-11-22T07:01:00Z (checked at 2026-11-22T08:00:00Z)";
    assert_eq!(buf(&r.detail), detail);
    assert_eq!(last_error(), detail);
    // A rejection carries no personal data.
    assert_eq!(buf(&r.insured), "");
    assert_eq!(buf(&r.name), "");
    assert_eq!(r.region, 0);
    assert_eq!(s(r.status), "");
    assert_eq!(r.expires_at, 0);

    let r = verify_at(v, GARBAGE, NOW);
    assert_eq!(r.reason, MedcodeReason::Malformed);
    assert_eq!(s(r.reason_str), "malformed");
    assert_eq!(
        buf(&r.detail),
        "malformed token: not a medcode token (prefix MC1 missing)"
    );

    // The valid token one second after validity (55 s) plus leeway (15 s).
    let token = valid_token();
    assert!(verify_at(v, &token, NOW + 70).accepted);
    assert_eq!(reason_at(v, &token, NOW + 71), MedcodeReason::Expired);
    // Issued 5 s before NOW: shown 21 s before issue is beyond the leeway.
    assert_eq!(reason_at(v, &token, NOW - 21), MedcodeReason::NotYetValid);
    // SAFETY: `v` is the live handle from new_verifier, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn lapsed_and_delegate_codes_report_their_blocks() {
    let v = new_verifier(None);
    let mut claims = demo_claims();
    claims.status = Status::Lapsed;
    claims.presenter = Some(Presenter {
        insured: InsuredId::new("98765432109876543210").unwrap(),
        relation: Relation::Child,
        mutual_aid: true,
    });
    let r = verify_at(v, &issue(&claims, NOW), NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(s(r.status), "lapsed");
    assert!(r.presenter.present);
    assert!(r.presenter.mutual_aid);
    assert_eq!(buf(&r.presenter.insured), "98765432109876543210");
    assert_eq!(s(r.presenter.relation), "child");
    // SAFETY: `v` is the live handle from new_verifier, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn options_set_leeway_and_till_region() {
    // A caller built against the first header: the exported
    // medcode_options_init writes the 16-byte version 1.
    let mut opts = zeroed_options();
    // SAFETY: `opts` is a live MedcodeOptions, more than the 16 bytes medcode_options_init writes.
    unsafe { medcode_options_init(&mut opts) };
    assert_eq!(opts.struct_size, MEDCODE_OPTIONS_V1_SIZE);
    assert_eq!(opts.leeway_secs, 15);
    assert_eq!(opts.max_validity_secs, 300);

    // No leeway: the valid token (expiring at NOW + 55) is stale at NOW + 56.
    opts.leeway_secs = 0;
    let v = new_verifier(Some(&opts));
    let token = valid_token();
    assert!(verify_at(v, &token, NOW + 55).accepted);
    assert_eq!(reason_at(v, &token, NOW + 56), MedcodeReason::Expired);
    // SAFETY: `v` is the live handle from new_verifier (no leeway), freed exactly once here, after
    // its last use.
    unsafe { medcode_verifier_free(v) };

    // A maximum validity below the token's 60 s.
    opts.leeway_secs = 15;
    opts.max_validity_secs = 59;
    let v = new_verifier(Some(&opts));
    assert_eq!(reason_at(v, &token, NOW), MedcodeReason::ValidityTooLong);
    // SAFETY: `v` is the live handle from new_verifier (maximum validity 59 s), freed exactly once
    // here, after its last use.
    unsafe { medcode_verifier_free(v) };

    // The holder switched off use outside Beijing.
    let mut claims = demo_claims();
    claims.cross_province = false;
    let home_only = issue(&claims, NOW);
    opts.max_validity_secs = 300;
    let v = new_verifier(Some(&opts));
    let r = verify_at(v, &home_only, NOW);
    assert!(r.accepted);
    assert_eq!(r.notices, MEDCODE_NOTICE_CROSS_PROVINCE_NOT_CHECKED);
    // SAFETY: `v` is the live handle from new_verifier (no till region), freed exactly once here,
    // after its last use.
    unsafe { medcode_verifier_free(v) };
    opts.till_region = 310_000; // Shanghai
    let v = new_verifier(Some(&opts));
    let r = verify_at(v, &home_only, NOW);
    assert_eq!(r.reason, MedcodeReason::CrossProvinceDisabled);
    assert_eq!(s(r.reason_str), "cross_province_disabled");
    // SAFETY: `v` is the live handle from new_verifier (Shanghai till), freed exactly once here,
    // after its last use.
    unsafe { medcode_verifier_free(v) };
    opts.till_region = 110_105; // Beijing, Chaoyang
    let v = new_verifier(Some(&opts));
    let r = verify_at(v, &home_only, NOW);
    assert!(r.accepted);
    assert_eq!(r.notices, 0);
    // SAFETY: `v` is the live handle from new_verifier (Chaoyang till), freed exactly once here,
    // after its last use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn bad_options_are_refused() {
    let path = CString::new(trust_path().to_str().unwrap()).unwrap();
    let mut opts = zeroed_options();
    let mut v = ptr::dangling_mut::<MedcodeVerifier>(); // must be reset to NULL
    // SAFETY: `path` is a live CString; `opts` is a whole struct (struct_size 0 is refused after
    // reading only that field); `v` is a writable local.
    let code = unsafe { medcode_verifier_new_from_file(path.as_ptr(), &opts, &mut v) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(v.is_null());
    assert_eq!(
        last_error(),
        format!(
            "options struct_size is 0; set it with medcode_options_init (this library knows {MEDCODE_OPTIONS_V4_SIZE} bytes)"
        )
    );
    // SAFETY: `opts` is a live MedcodeOptions, more than the 16 bytes written.
    unsafe { medcode_options_init(&mut opts) };
    opts.till_region = 1234;
    // SAFETY: as above; `opts` now has struct_size 16 and null string fields.
    let code = unsafe { medcode_verifier_new_from_file(path.as_ptr(), &opts, &mut v) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(v.is_null());
    assert_eq!(
        last_error(),
        "till_region 1234 is not a 6-digit administrative division code"
    );
}

#[test]
fn trust_list_from_bytes_and_bad_trust_lists() {
    let json = std::fs::read(trust_path()).unwrap();
    let mut v = ptr::null_mut();
    let code =
        // SAFETY: `json` is a live Vec with json.len() readable bytes; null options mean the
        // defaults; `v` is writable.
        unsafe { medcode_verifier_new_from_bytes(json.as_ptr(), json.len(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::Ok);
    assert!(verify_at(v, &valid_token(), NOW).accepted);
    // SAFETY: `v` is the live handle from medcode_verifier_new_from_bytes (returned OK), freed
    // exactly once here, after its last use.
    unsafe { medcode_verifier_free(v) };

    let junk = b"{\"keys\": 5}";
    let code =
        // SAFETY: `junk` is a byte-string literal of junk.len() readable bytes; `v` is writable.
        unsafe { medcode_verifier_new_from_bytes(junk.as_ptr(), junk.len(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidTrustList);
    assert!(v.is_null());
    assert!(
        last_error().starts_with("invalid trust list: not a trust list:"),
        "{}",
        last_error()
    );

    // SAFETY: a null json is allowed and refused before any read.
    let code = unsafe { medcode_verifier_new_from_bytes(ptr::null(), 0, ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "json is a null pointer");

    // Over the 1 MiB limit: refused before the bytes are read.
    let big = vec![b' '; 1024 * 1024 + 1];
    let code =
        // SAFETY: `big` has big.len() readable bytes (refused by the size rule before they are
        // read).
        unsafe { medcode_verifier_new_from_bytes(big.as_ptr(), big.len(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidTrustList);

    let missing = c"/nonexistent/medcode/trust.json";
    // SAFETY: `missing` is a C string literal; null options; `v` is writable.
    let code = unsafe { medcode_verifier_new_from_file(missing.as_ptr(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::Io);
    assert!(v.is_null());
    assert!(
        last_error().contains("/nonexistent/medcode/trust.json"),
        "{}",
        last_error()
    );

    let not_utf8 = [b'k' as c_char, 0xFFu8 as c_char, 0];
    // SAFETY: `not_utf8` is a live local array ending in NUL.
    let code = unsafe { medcode_verifier_new_from_file(not_utf8.as_ptr(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(last_error().starts_with("path is not valid UTF-8"));

    // SAFETY: a null path and null options are allowed; `v` is writable.
    let code = unsafe { medcode_verifier_new_from_file(ptr::null(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "path is a null pointer");

    let code =
        // SAFETY: a null out is allowed and refused before the path is read.
        unsafe { medcode_verifier_new_from_file(missing.as_ptr(), ptr::null(), ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "out is a null pointer");
}

#[test]
fn null_pointers_and_bad_text_are_reported() {
    let v = new_verifier(None);
    let token = CString::new(valid_token()).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();

    // SAFETY: a null verifier is allowed; `token` is a live CString; `r` is writable.
    let code = unsafe { medcode_verify(ptr::null(), token.as_ptr(), NOW, r.as_mut_ptr()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    // SAFETY: `out` was non-null, so medcode_verify wrote the verdict to it.
    let got = unsafe { r.assume_init() };
    assert!(!got.accepted);
    assert_eq!(buf(&got.detail), "verifier is a null pointer");

    // SAFETY: `v` is the live handle from new_verifier; a null token is allowed; `r` is writable.
    let code = unsafe { medcode_verify(v, ptr::null(), NOW, r.as_mut_ptr()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(
        // SAFETY: the call above had a non-null out and so wrote it.
        buf(&unsafe { r.assume_init() }.detail),
        "token text is a null pointer"
    );

    // SAFETY: `v` and `token` are live; a null out is allowed and nothing is written.
    let code = unsafe { medcode_verify(v, token.as_ptr(), NOW, ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "out is a null pointer");

    let not_utf8 = [b'M' as c_char, b'C' as c_char, 0xC3u8 as c_char, 0];
    // SAFETY: `v` is live; `not_utf8` is a NUL-terminated local array; `r` is writable, and
    // medcode_verify writes it before assume_init reads it.
    let r = unsafe {
        medcode_verify(v, not_utf8.as_ptr(), NOW, r.as_mut_ptr());
        r.assume_init()
    };
    assert_eq!(r.reason, MedcodeReason::Malformed);
    assert!(buf(&r.detail).starts_with("token text is not valid UTF-8"));

    // 544 characters: refused after reading 544 bytes, whatever follows.
    let long = format!("MC1{}", "7".repeat(541));
    let r = verify_at(v, &long, NOW);
    assert_eq!(r.reason, MedcodeReason::Malformed);
    assert_eq!(buf(&r.detail), "token text is longer than 543 bytes");

    // A scanner's line end is not part of the token: ignored, as the
    // library ignores ASCII whitespace around the text; inside, refused.
    let r = verify_at(v, &format!("{}\r", valid_token()), NOW);
    assert_eq!(r.reason, MedcodeReason::Ok, "{}", buf(&r.detail));
    let token = valid_token();
    let r = verify_at(v, &format!("{} {}", &token[..40], &token[40..]), NOW);
    assert_eq!(r.reason, MedcodeReason::Malformed);
    // SAFETY: `v` is the live handle from new_verifier, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
    // SAFETY: a null handle is allowed and ignored.
    unsafe { medcode_verifier_free(ptr::null_mut()) };
}

#[test]
fn reason_strings_version_and_abi() {
    assert_eq!(s(medcode_reason_str(0)), "ok");
    assert_eq!(s(medcode_reason_str(5)), "expired");
    assert_eq!(s(medcode_reason_str(30)), "invalid_argument");
    assert_eq!(s(medcode_reason_str(1000)), "internal");
    assert_eq!(s(medcode_reason_str(31)), "sender_no_wallet");
    assert_eq!(s(medcode_reason_str(41)), "transfer_not_pending");
    assert_eq!(s(medcode_reason_str(42)), "credential_expired");
    assert_eq!(s(medcode_reason_str(43)), "quota_exceeded");
    assert_eq!(s(medcode_reason_str(44)), "payment_pending");
    assert_eq!(s(medcode_reason_str(45)), "unknown");
    assert_eq!(s(medcode_reason_str(u32::MAX)), "unknown");
    for r in medcode::Reason::ALL {
        assert_eq!(s(medcode_reason_str(r.code())), r.as_str());
    }
    assert_eq!(s(medcode_version()), env!("CARGO_PKG_VERSION"));
    assert_eq!(medcode_abi_version(), MEDCODE_ABI_VERSION);
    assert_eq!(MEDCODE_ABI_VERSION, 1);
}

/// A raw handle shared between threads, as a C till would share it.
#[derive(Clone, Copy)]
struct Shared(*const MedcodeVerifier);
// SAFETY: Shared holds only a pointer to a MedcodeVerifier, which is
// Send + Sync (handle.rs's handle_is_shareable test) and documented as usable
// by any number of threads at once; the handle outlives the scoped threads
// and is freed only after they are joined.
unsafe impl Send for Shared {}
// SAFETY: as for Send: a shared &Shared only lets threads copy the pointer, and the verifier behind
// it may be used by many threads at once.
unsafe impl Sync for Shared {}

#[test]
fn one_handle_serves_many_threads() {
    let v = Shared(new_verifier(None));
    let expired = expired_token();
    std::thread::scope(|scope| {
        for t in 0..8u8 {
            let expired = &expired;
            scope.spawn(move || {
                let v = v;
                for i in 0..100u8 {
                    // A fresh code each time (the handle accepts each once);
                    // the last one again is replayed.
                    let valid = issue_with_id(&demo_claims(), NOW - 5, [t, i, 0, 0, 0, 0, 0, 1]);
                    let r = verify_at(v.0, &valid, NOW + u64::from((i + t) % 10));
                    assert!(r.accepted);
                    assert_eq!(verify_at(v.0, &valid, NOW).reason, MedcodeReason::Replayed);
                    assert_eq!(buf(&r.insured), "12345678901234567890");
                    let r = verify_at(v.0, expired, NOW);
                    assert_eq!(r.reason, MedcodeReason::Expired);
                    // Each thread's last error is its own.
                    assert_eq!(
                        last_error(),
                        "expired at 2026-11-22T07:01:00Z (checked at 2026-11-22T08:00:00Z)"
                    );
                    let r = verify_at(v.0, GARBAGE, NOW);
                    assert_eq!(r.reason, MedcodeReason::Malformed);
                }
            });
        }
    });
    // SAFETY: the handle from new_verifier, freed once after the scope joined every thread that
    // used it.
    unsafe { medcode_verifier_free(v.0.cast_mut()) };
}

#[test]
fn a_qr_image_file_decodes_then_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let token = valid_token();
    let png = dir.path().join("code.png");
    let qr = medcode::qr::Qr::encode(&token, medcode::qr::Ecc::M).unwrap();
    std::fs::write(&png, qr.to_png(4).unwrap()).unwrap();
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not an image").unwrap();

    let decode = |path: &std::path::Path| {
        let c = CString::new(path.to_str().unwrap()).unwrap();
        let mut out: *mut c_char = ptr::null_mut();
        // SAFETY: `c` is a live CString; `out` is a writable local pointer.
        let code = unsafe { medcode_decode_qr_file(c.as_ptr(), &mut out) };
        let text = (!out.is_null()).then(|| s(out));
        // SAFETY: `out` is null (ignored) or the string medcode_decode_qr_file just returned,
        // unchanged and not yet freed.
        unsafe { medcode_string_free(out) };
        (code, text)
    };
    let (code, text) = decode(&png);
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    assert_eq!(text.as_deref(), Some(token.as_str()));
    let v = new_verifier(None);
    assert_eq!(verify_at(v, &text.unwrap(), NOW).reason, MedcodeReason::Ok);
    // SAFETY: `v` is the live handle from new_verifier, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };

    assert_eq!(decode(&junk), (MedcodeReason::Unreadable, None));
    assert!(
        last_error().contains("not a PNG or JPEG"),
        "{}",
        last_error()
    );
    assert_eq!(
        decode(&dir.path().join("missing.png")),
        (MedcodeReason::Io, None)
    );
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: a null path is allowed (refused); `out` is writable.
    let code = unsafe { medcode_decode_qr_file(ptr::null(), &mut out) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(out.is_null());
    let c = CString::new("x").unwrap();
    // SAFETY: a null text_out is allowed and refused before `c` is read.
    let code = unsafe { medcode_decode_qr_file(c.as_ptr(), ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    // SAFETY: a null string is allowed and ignored.
    unsafe { medcode_string_free(ptr::null_mut()) };
}

/// A code made offline on the phone, by a phone the demo issuer enrolled
/// an hour before NOW, with counter `counter`.
fn device_code(counter: u32) -> String {
    use medcode::{Algorithm, DeviceEnrolment, DeviceHolder, SigningKey, UnixTime};
    let key = SigningKey::generate(Algorithm::P256).unwrap();
    let enrolled = UnixTime::from_secs(NOW - 3600);
    let credential = common::demo_issuer()
        .enrol_device(
            &DeviceEnrolment::new(demo_claims(), key.public_key().clone()),
            enrolled,
        )
        .unwrap();
    let mut phone = DeviceHolder::new(key, credential, counter).unwrap();
    phone
        .code(UnixTime::from_secs(NOW - 2))
        .unwrap()
        .text()
        .to_owned()
}

/// A code-info struct as a C caller sets one up: all zero (`= {0}`), then
/// its size.
fn info_struct() -> MedcodeCodeInfo {
    // SAFETY: every field is an integer, a bool, a byte array or a raw
    // pointer, for which all zero bits are a valid value (a null pointer).
    let mut info: MedcodeCodeInfo = unsafe { std::mem::zeroed() };
    info.struct_size = u32::try_from(std::mem::size_of::<MedcodeCodeInfo>()).unwrap();
    info
}

fn verify_ex(v: *const MedcodeVerifier, token: &str, info: &mut MedcodeCodeInfo) -> MedcodeResult {
    let text = CString::new(token).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();
    // SAFETY: `v` is a live handle from new_verifier; `text` a live CString; `r` writable; `info`
    // a live, writable MedcodeCodeInfo with its struct_size set by the caller.
    let code = unsafe { medcode_verify_ex(v, text.as_ptr(), NOW, r.as_mut_ptr(), info) };
    // SAFETY: `out` was non-null, and medcode_verify_ex writes *out on every path then.
    let r = unsafe { r.assume_init() };
    assert_eq!(code, r.reason);
    r
}

#[test]
fn device_codes_are_verified_and_told_apart_by_verify_ex() {
    let v = new_verifier(None);
    // Plain medcode_verify accepts a device code with the holder's claims.
    let r = verify_at(v, &device_code(0), NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(buf(&r.insured), "12345678901234567890");
    assert_eq!(r.issued_at, NOW - 2);
    // medcode_verify_ex says what kind of code it was.
    let mut info = info_struct();
    let r = verify_ex(v, &device_code(7), &mut info);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(s(info.kind), "device");
    assert!(info.device);
    assert_eq!(buf(&info.credential_id).len(), 16);
    assert_eq!(info.counter, 7);
    assert_eq!(info.quota, 1000);
    assert_eq!(info.enrolled_at, NOW - 3600);
    assert_eq!(info.credential_expires_at, NOW - 3600 + 24 * 3600);
    let mut info = info_struct();
    let r = verify_ex(v, &valid_token(), &mut info);
    assert!(r.accepted);
    assert_eq!(s(info.kind), "self");
    assert!(!info.device);
    assert_eq!(info.counter, 0);
    // A refusal: kind "" and the reason.
    let mut info = info_struct();
    let r = verify_ex(v, GARBAGE, &mut info);
    assert_eq!(r.reason, MedcodeReason::Malformed);
    assert_eq!(s(info.kind), "");
    // SAFETY: `v` is the live handle from new_verifier, freed once, after its last use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn a_wrong_info_size_is_refused_before_the_code_is_used() {
    let v = new_verifier(None);
    let code = device_code(3);
    let mut info = info_struct();
    info.struct_size = 8;
    let r = verify_ex(v, &code, &mut info);
    assert_eq!(r.reason, MedcodeReason::InvalidArgument);
    assert!(
        buf(&r.detail).contains("set it to sizeof(MedcodeCodeInfo)"),
        "{}",
        buf(&r.detail)
    );
    // The code was not used up: it is accepted now, then replayed.
    let mut info = info_struct();
    assert!(verify_ex(v, &code, &mut info).accepted);
    let mut info = info_struct();
    assert_eq!(
        verify_ex(v, &code, &mut info).reason,
        MedcodeReason::Replayed
    );
    // A NULL info.
    let text = CString::new(code).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();
    // SAFETY: live handle and CString, writable `r`; `info` NULL on purpose.
    let reason =
        unsafe { medcode_verify_ex(v, text.as_ptr(), NOW, r.as_mut_ptr(), ptr::null_mut()) };
    assert_eq!(reason, MedcodeReason::InvalidArgument);
    // SAFETY: `v` is the live handle from new_verifier, freed once, after its last use.
    unsafe { medcode_verifier_free(v) };
}
