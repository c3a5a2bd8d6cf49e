//! Verifying one scanned code into a caller-owned result struct.
//!
//! The result holds everything in fixed-size buffers and pointers to static
//! strings, so nothing in it is ever freed and it may live on the caller's
//! stack.

use std::ffi::c_char;
use std::ptr;

use medcode::limits::MAX_TEXT_LEN;
use medcode::verify::TillContext;
use medcode::{Error, Notice, UnixTime, VerifiedToken};

use crate::cstr::{fill, read_str, static_cstr};
use crate::guard::{Failure, call};
use crate::handle::MedcodeVerifier;
use crate::reason::MedcodeReason;

/// Room for an insured-person identifier (20 characters) and its NUL.
pub const MEDCODE_ID_CAP: usize = 24;
/// Room for a masked name (at most 12 bytes of UTF-8) and its NUL.
pub const MEDCODE_NAME_CAP: usize = 16;
/// Room for a key id (8 hex digits) and its NUL.
pub const MEDCODE_KID_CAP: usize = 12;
/// Room for a token id (16 hex digits) and its NUL.
pub const MEDCODE_TOKEN_ID_CAP: usize = 20;
/// Room for a device credential id (16 hex digits) and its NUL.
pub const MEDCODE_CREDENTIAL_ID_CAP: usize = 20;
/// Room for the detail message; longer messages are cut at a character
/// boundary (`medcode_last_error` has the whole message).
pub const MEDCODE_DETAIL_CAP: usize = 256;

/// Bit in `MedcodeResult.notices`: the holder switched off use outside
/// their home province, but the verifier has no till region, so that rule
/// was not checked.
pub const MEDCODE_NOTICE_CROSS_PROVINCE_NOT_CHECKED: u32 = 1;
/// Bit in `MedcodeResult.notices`: a signed list reaches its next-update
/// time within 24 hours; install a newly signed one
/// (`medcode_verifier_update_*_file`). `detail` says which list and when.
pub const MEDCODE_NOTICE_LIST_DUE_SOON: u32 = 2;
/// Bit in `MedcodeResult.notices`: a signed list is past its next-update
/// time. Codes are still accepted for the grace period (72 hours), then
/// every code is refused with `MEDCODE_REASON_TRUST_LIST_STALE`; `detail`
/// says which list and from when.
pub const MEDCODE_NOTICE_LIST_STALE: u32 = 4;
/// Bit in `MedcodeResult.notices`: the shared replay guard (Redis) could not
/// be reached and, under `MEDCODE_REPLAY_LOCAL_FALLBACK`, the code was
/// checked against this process's own records only: another till may
/// already have accepted it.
pub const MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK: u32 = 8;

/// The delegate block of a family-account code: who shows the code on the
/// insured person's behalf.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MedcodePresenter {
    /// True when the code is a delegate code; the other fields are empty
    /// otherwise.
    pub present: bool,
    /// True when a personal-account mutual-aid filing (个人账户家庭共济)
    /// existed when the code was issued: the presenter may pay from their
    /// own personal account. A family binding alone never sets it.
    pub mutual_aid: bool,
    /// The presenter's insured-person identifier.
    pub insured: [c_char; MEDCODE_ID_CAP],
    /// The presenter's relation to the insured person ("parent", "spouse",
    /// "child", "sibling", "grandparent", "grandchild", "other_family"), or
    /// "". Static: never free.
    pub relation: *const c_char,
}

/// The verdict on one scanned code. Caller-owned; all strings are either
/// inside the struct (NUL-terminated) or static. On rejection only
/// `accepted`, `reason`, `reason_str` and `detail` are set; the other fields
/// are zero or "".
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MedcodeResult {
    /// True when the code is accepted. A lapsed status is still accepted.
    pub accepted: bool,
    /// `MEDCODE_REASON_OK` when accepted, otherwise why not.
    pub reason: MedcodeReason,
    /// The stable string of `reason` ("ok", "expired", ...). Static.
    pub reason_str: *const c_char,
    /// Plain words for a log or a cashier: why a code was rejected; for an
    /// accepted code "" or, when `notices` is not 0, the notices in words
    /// (joined by "; ").
    pub detail: [c_char; MEDCODE_DETAIL_CAP],
    /// The insured person's opaque identifier (never a national ID number).
    pub insured: [c_char; MEDCODE_ID_CAP],
    /// Masked display name such as "张*" (UTF-8), or "" if the code has none.
    pub name: [c_char; MEDCODE_NAME_CAP],
    /// Region of enrolment, a 6-digit administrative division code.
    pub region: u32,
    /// "normal" or "lapsed" (code valid, but no insurance benefits for the
    /// lapsed period). Static.
    pub status: *const c_char,
    /// "employee" or "resident". Static.
    pub scheme: *const c_char,
    /// False when the holder switched off use outside their home province.
    pub cross_province: bool,
    /// Issued-at, Unix seconds.
    pub issued_at: u64,
    /// End of validity (before leeway), Unix seconds.
    pub expires_at: u64,
    /// The signing key's id, 8 hex digits.
    pub kid: [c_char; MEDCODE_KID_CAP],
    /// The token's random id, 16 hex digits.
    pub token_id: [c_char; MEDCODE_TOKEN_ID_CAP],
    /// `MEDCODE_NOTICE_*` bits: things the till should know.
    pub notices: u32,
    /// The delegate block.
    pub presenter: MedcodePresenter,
}

/// What kind of code was verified, and for a code made offline on the
/// phone (`MC2`) its credential and counter: filled by `medcode_verify_ex`.
/// The caller sets `struct_size` to `sizeof(MedcodeCodeInfo)` first (later
/// versions may add fields at the end). On rejection `kind` is "" and the
/// rest zero.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MedcodeCodeInfo {
    /// `sizeof(MedcodeCodeInfo)`, set by the caller.
    pub struct_size: u32,
    /// "self", "delegate" (an issuer's code shown by a family member) or
    /// "device" (made offline on the phone; `presenter` in the result
    /// says whether on someone's behalf). Static.
    pub kind: *const c_char,
    /// True for a device code; the fields below are zero otherwise.
    pub device: bool,
    /// The device credential's id, 16 hex digits: what revokes a lost phone.
    pub credential_id: [c_char; MEDCODE_CREDENTIAL_ID_CAP],
    /// The code's counter.
    pub counter: u32,
    /// The credential's offline quota (counters 0 up to quota - 1).
    pub quota: u32,
    /// When the phone was enrolled (the credential's not-before), Unix seconds.
    pub enrolled_at: u64,
    /// The end of the credential's window, Unix seconds.
    pub credential_expires_at: u64,
}

impl MedcodeCodeInfo {
    fn of(t: Option<&VerifiedToken>, struct_size: u32) -> Self {
        let mut info = MedcodeCodeInfo {
            struct_size,
            kind: static_cstr(t.map_or("", |t| t.kind().as_str())),
            device: false,
            credential_id: [0; MEDCODE_CREDENTIAL_ID_CAP],
            counter: 0,
            quota: 0,
            enrolled_at: 0,
            credential_expires_at: 0,
        };
        if let Some(d) = t.and_then(VerifiedToken::device) {
            info.device = true;
            fill(&mut info.credential_id, &d.credential_id.to_string());
            info.counter = u32::from(d.counter);
            info.quota = u32::from(d.quota);
            info.enrolled_at = d.enrolled_at.as_secs();
            info.credential_expires_at = d.credential_expires_at.as_secs();
        }
        info
    }
}

impl MedcodeResult {
    fn empty(reason: MedcodeReason) -> Self {
        MedcodeResult {
            accepted: false,
            reason,
            reason_str: static_cstr(reason.as_str()),
            detail: [0; MEDCODE_DETAIL_CAP],
            insured: [0; MEDCODE_ID_CAP],
            name: [0; MEDCODE_NAME_CAP],
            region: 0,
            status: static_cstr(""),
            scheme: static_cstr(""),
            cross_province: false,
            issued_at: 0,
            expires_at: 0,
            kid: [0; MEDCODE_KID_CAP],
            token_id: [0; MEDCODE_TOKEN_ID_CAP],
            notices: 0,
            presenter: MedcodePresenter {
                present: false,
                mutual_aid: false,
                insured: [0; MEDCODE_ID_CAP],
                relation: static_cstr(""),
            },
        }
    }

    fn rejected(failure: &Failure) -> Self {
        let mut r = MedcodeResult::empty(failure.code);
        fill(&mut r.detail, &failure.detail);
        r
    }

    fn accepted(t: &VerifiedToken) -> Self {
        let mut r = MedcodeResult::empty(MedcodeReason::Ok);
        r.accepted = true;
        fill(&mut r.insured, t.insured().as_str());
        fill(&mut r.name, t.name().map_or("", |n| n.as_str()));
        r.region = t.region().code();
        r.status = static_cstr(t.status().as_str());
        r.scheme = static_cstr(t.scheme().as_str());
        r.cross_province = t.cross_province();
        r.issued_at = t.issued_at().as_secs();
        r.expires_at = t.expires_at().as_secs();
        fill(&mut r.kid, &t.key_id().to_string());
        fill(&mut r.token_id, &t.token_id().to_string());
        for n in t.notices() {
            r.notices |= notice_bit(n);
        }
        let words: Vec<String> = t.notices().iter().map(ToString::to_string).collect();
        fill(&mut r.detail, &words.join("; "));
        if let Some(p) = t.presenter() {
            r.presenter.present = true;
            r.presenter.mutual_aid = p.mutual_aid;
            fill(&mut r.presenter.insured, p.insured.as_str());
            r.presenter.relation = static_cstr(p.relation.as_str());
        }
        r
    }
}

/// The `MEDCODE_NOTICE_*` bit of a library notice.
fn notice_bit(n: &Notice) -> u32 {
    match n {
        Notice::CrossProvinceNotChecked => MEDCODE_NOTICE_CROSS_PROVINCE_NOT_CHECKED,
        Notice::ListDueSoon { .. } => MEDCODE_NOTICE_LIST_DUE_SOON,
        Notice::ListStale { .. } => MEDCODE_NOTICE_LIST_STALE,
        Notice::ReplayGuardLocalFallback => MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK,
        // `Notice` is non-exhaustive: a notice added to the library but not
        // here yet still reaches the till in `detail`.
        _ => 0,
    }
}

/// Verifies one scanned code (`token`: the NUL-terminated text exactly as
/// scanned, without a line end: an issuer's code `MC1...` or a code made
/// offline on the phone `MC2...`) at `now_unix` (seconds since 1970; the
/// library never reads the clock). Writes the verdict to `*out` and returns
/// its reason: `MEDCODE_REASON_OK` (0) when accepted. A NULL `verifier` or
/// `token` gives `MEDCODE_REASON_INVALID_ARGUMENT` (also in `*out`); a
/// token that is not UTF-8 or longer than any code is
/// `MEDCODE_REASON_MALFORMED`. If `out` is NULL nothing is written and
/// `MEDCODE_REASON_INVALID_ARGUMENT` is returned. `medcode_verify_ex` also
/// says which kind of code it was.
///
/// Thread-safe: any number of threads may verify with one handle at once.
///
/// # Safety
/// `verifier` is null or a live handle; `token` is null or NUL-terminated
/// (at most 544 bytes are read); `out` is null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verify(
    verifier: *const MedcodeVerifier,
    token: *const c_char,
    now_unix: u64,
    out: *mut MedcodeResult,
) -> MedcodeReason {
    // SAFETY: passed on from the caller, with no info struct.
    unsafe { verify_into(verifier, token, now_unix, out, ptr::null_mut()) }
}

/// `medcode_verify`, and the kind of code (self, delegate, device) with a
/// device code's credential and counter in `*info`. `info->struct_size`
/// must be `sizeof(MedcodeCodeInfo)`; anything else, or a NULL `info`, is
/// `MEDCODE_REASON_INVALID_ARGUMENT` before the code is checked (so no code
/// is used up by a call that cannot report it).
///
/// # Safety
/// As `medcode_verify`; `info` is null or points to a writable
/// `MedcodeCodeInfo` whose `struct_size` the caller set.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verify_ex(
    verifier: *const MedcodeVerifier,
    token: *const c_char,
    now_unix: u64,
    out: *mut MedcodeResult,
    info: *mut MedcodeCodeInfo,
) -> MedcodeReason {
    let size = u32::try_from(std::mem::size_of::<MedcodeCodeInfo>()).unwrap_or(u32::MAX);
    let bad = if info.is_null() {
        Some(Failure::null("info"))
    } else {
        // SAFETY: non-null, and the caller guarantees it points to a
        // MedcodeCodeInfo whose struct_size it set.
        let given = unsafe { ptr::addr_of!((*info).struct_size).read() };
        (given != size).then(|| {
            Failure::new(
                MedcodeReason::InvalidArgument,
                format!(
                    "MedcodeCodeInfo.struct_size is {given}, this library's struct is {size} bytes: set it to sizeof(MedcodeCodeInfo)"
                ),
            )
        })
    };
    if let Some(failure) = bad {
        let reason = failure.code;
        if !out.is_null() {
            // SAFETY: checked non-null; the caller guarantees it is writable.
            unsafe { out.write(MedcodeResult::rejected(&failure)) };
        }
        return call(|| Err(Failure::new(reason, failure.detail.clone())));
    }
    // SAFETY: passed on from the caller; `info` checked above.
    unsafe { verify_into(verifier, token, now_unix, out, info) }
}

/// The body of `medcode_verify` and `medcode_verify_ex`.
///
/// # Safety
/// As `medcode_verify`; `info` is null or a writable, size-checked struct.
unsafe fn verify_into(
    verifier: *const MedcodeVerifier,
    token: *const c_char,
    now_unix: u64,
    out: *mut MedcodeResult,
    info: *mut MedcodeCodeInfo,
) -> MedcodeReason {
    if out.is_null() {
        return call(|| Err(Failure::null("out")));
    }
    let mut verdict = None;
    let mut kind = None;
    let code = call(|| {
        // SAFETY: passed on from the caller: `verifier` null or live,
        // `token` null or NUL-terminated.
        let outcome = unsafe { verify(verifier, token, now_unix) };
        let (result, outcome) = match outcome {
            Ok(t) => {
                kind = Some(MedcodeCodeInfo::of(Some(&t), 0));
                (MedcodeResult::accepted(&t), Ok(()))
            }
            Err(f) => (MedcodeResult::rejected(&f), Err(f)),
        };
        verdict = Some(result);
        outcome
    });
    let result = match verdict {
        Some(result) => result,
        // A panic before the verdict was made: report it in `*out` as well.
        None => {
            let failure = Failure::new(
                code,
                // SAFETY: `medcode_last_error` always returns a valid string.
                unsafe { std::ffi::CStr::from_ptr(crate::guard::medcode_last_error()) }
                    .to_string_lossy()
                    .into_owned(),
            );
            MedcodeResult::rejected(&failure)
        }
    };
    // SAFETY: checked non-null; the caller guarantees it is writable.
    unsafe { out.write(result) };
    if !info.is_null() {
        let mut filled = kind.unwrap_or_else(|| MedcodeCodeInfo::of(None, 0));
        filled.struct_size = u32::try_from(std::mem::size_of::<MedcodeCodeInfo>()).unwrap_or(0);
        // SAFETY: non-null, size-checked by medcode_verify_ex, writable.
        unsafe { info.write(filled) };
    }
    code
}

/// Checks one token with the handle.
///
/// # Safety
/// `verifier` is null or a live handle; `token` is null or NUL-terminated.
unsafe fn verify(
    verifier: *const MedcodeVerifier,
    token: *const c_char,
    now_unix: u64,
) -> Result<VerifiedToken, Failure> {
    if verifier.is_null() {
        return Err(Failure::null("verifier"));
    }
    // SAFETY: a non-null handle is live (caller's contract); only shared
    // access is taken.
    let verifier = unsafe { &*verifier };
    let now = UnixTime::from_secs(now_unix);
    let context = TillContext::new();
    // SAFETY: the caller guarantees `token` is null or NUL-terminated; at
    // most MAX_TEXT_LEN + 1 bytes are read.
    let text = unsafe {
        read_str(
            token,
            MAX_TEXT_LEN,
            "token text",
            MedcodeReason::Malformed,
            MedcodeReason::Malformed,
        )
    };
    let text = match text {
        Ok(text) => text,
        Err(failure) => {
            // Unreadable text is a verdict too: the callback hears it.
            if failure.code == MedcodeReason::Malformed {
                let _ = verifier.inner.refuse_unread(
                    Error::Malformed("not UTF-8, or longer than any code"),
                    &context,
                    now,
                );
            }
            return Err(failure);
        }
    };
    verifier
        .inner
        .check(text, &context, now)
        .into_result()
        .map_err(|e| Failure::from_error(&e))
}
