//! The verdict callback: a till's own record of every verdict its handle
//! gives (the platform's usage records, a journal, a counter), told by the
//! library on every path that checks a code, once per code.

use std::ffi::{c_char, c_void};
use std::fmt;
use std::sync::Arc;

use medcode::UnixTime;
use medcode::verify::{TillContext, Verdict, VerdictObserver};

use crate::cstr::{fill, static_cstr};
use crate::guard::{Failure, call};
use crate::handle::MedcodeVerifier;
use crate::reason::MedcodeReason;
use crate::result::{MEDCODE_ID_CAP, MEDCODE_TOKEN_ID_CAP};

/// One verdict as the callback sees it. Valid only during the call: copy
/// what you keep. A refused code names its insured person (`insured`,
/// `presenter`, `relation`, `kind`) only when it was refused after a
/// signature held (expired, replayed, revoked, ...); a forged or
/// unreadable code names nobody.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MedcodeVerdictEvent {
    /// `MEDCODE_REASON_OK` when accepted, otherwise why not.
    pub reason: MedcodeReason,
    /// The stable string of `reason`. Static.
    pub reason_str: *const c_char,
    /// The time the verdict was given at (`now_unix` of the call).
    pub at: u64,
    /// The code's token id, 16 hex digits, or "" for a code that did not
    /// parse (a refused code's id is only vouched for when `insured` is set).
    pub token_id: [c_char; MEDCODE_TOKEN_ID_CAP],
    /// The insured person whose code it is, or "".
    pub insured: [c_char; MEDCODE_ID_CAP],
    /// Who showed a delegate code on the insured person's behalf, or "".
    pub presenter: [c_char; MEDCODE_ID_CAP],
    /// The presenter's relation, or "". Static.
    pub relation: *const c_char,
    /// "self", "delegate", "device", or "" when unknown. Static.
    pub kind: *const c_char,
}

impl MedcodeVerdictEvent {
    fn of(verdict: &Verdict, now: UnixTime) -> Self {
        let reason = match verdict.result() {
            Ok(_) => MedcodeReason::Ok,
            Err(e) => MedcodeReason::from_reason(e.reason()),
        };
        let mut event = MedcodeVerdictEvent {
            reason,
            reason_str: static_cstr(reason.as_str()),
            at: now.as_secs(),
            token_id: [0; MEDCODE_TOKEN_ID_CAP],
            insured: [0; MEDCODE_ID_CAP],
            presenter: [0; MEDCODE_ID_CAP],
            relation: static_cstr(""),
            kind: static_cstr(verdict.kind().map_or("", |k| k.as_str())),
        };
        if let Some(id) = verdict.token_id() {
            fill(&mut event.token_id, &id.to_string());
        }
        if let Some(claims) = verdict.signed_claims() {
            fill(&mut event.insured, claims.insured.as_str());
            if let Some(p) = &claims.presenter {
                fill(&mut event.presenter, p.insured.as_str());
                event.relation = static_cstr(p.relation.as_str());
            }
        }
        event
    }
}

/// The callback: `user_data` as given to `medcode_verifier_set_verdict_callback`,
/// and the verdict. It runs on the thread that verifies, inside
/// `medcode_verify`: it must be quick, must not block, and must be safe
/// to call from several threads at once when the handle is shared.
pub type MedcodeVerdictCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const MedcodeVerdictEvent)>;

/// A C callback and its data, as the library's observer.
struct CallbackObserver {
    callback: unsafe extern "C" fn(*mut c_void, *const MedcodeVerdictEvent),
    user_data: *mut c_void,
}

// SAFETY: the caller of `medcode_verifier_set_verdict_callback` guarantees
// that the callback may be called with `user_data` from any thread, and at
// once from several (its documented contract); the pointer itself is never
// dereferenced here.
unsafe impl Send for CallbackObserver {}
// SAFETY: as for `Send`: concurrent calls are the caller's promise.
unsafe impl Sync for CallbackObserver {}

impl fmt::Debug for CallbackObserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackObserver")
    }
}

impl VerdictObserver for CallbackObserver {
    fn observe(&self, verdict: &Verdict, _context: &TillContext, now: UnixTime) {
        let event = MedcodeVerdictEvent::of(verdict, now);
        // SAFETY: the caller registered a function of this signature, which
        // may be called with its `user_data` (see the Send/Sync notes);
        // `event` lives for the duration of the call.
        unsafe { (self.callback)(self.user_data, &event) };
    }
}

/// Sets the function told of every verdict the handle gives from now on
/// (`medcode_verify`, `medcode_verify_ex`, once per code, accepted or
/// not), with `user_data` passed back unchanged; a NULL `callback` removes
/// it. Call it before the handle is shared between threads: it must not
/// run while another thread verifies with the handle. Returns
/// `MEDCODE_REASON_OK`, or `MEDCODE_REASON_INVALID_ARGUMENT` for a NULL
/// `verifier`.
///
/// # Safety
/// `verifier` is null or a live handle no other thread uses during the
/// call. `callback`, if not null, may be called with `user_data` from any
/// thread that verifies with the handle, at once from several, until the
/// handle is freed or the callback replaced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn medcode_verifier_set_verdict_callback(
    verifier: *mut MedcodeVerifier,
    callback: MedcodeVerdictCallback,
    user_data: *mut c_void,
) -> MedcodeReason {
    call(|| {
        if verifier.is_null() {
            return Err(Failure::null("verifier"));
        }
        // SAFETY: a non-null handle is live and not used by another thread
        // during this call (the caller's contract).
        let handle = unsafe { &mut *verifier };
        handle.inner = match callback {
            Some(callback) => handle
                .inner
                .clone()
                .with_observer(Arc::new(CallbackObserver {
                    callback,
                    user_data,
                })),
            None => handle.inner.clone().without_observer(),
        };
        Ok(())
    })
}
