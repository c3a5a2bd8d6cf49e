//! Reason codes as a C enum, numbered exactly like [`medcode::Reason`].

use std::ffi::c_char;

use medcode::Reason;

use crate::cstr;
use crate::guard::quiet;

/// What a call did. `MEDCODE_REASON_OK` (0) means success (for
/// `medcode_verify`: the code was accepted); 1 to 30 are the library's stable
/// reason codes (`medcode::Reason::code`), never renumbered; 1000 reports a
/// bug inside medcode caught at the boundary (a panic that did not unwind
/// into the caller). `medcode_reason_str` gives the stable string form.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MedcodeReason {
    /// Success; for a verification: accepted.
    Ok = 0,
    /// Not a well-formed medcode token (also: token text not UTF-8).
    Malformed = 1,
    /// A token format version this build does not know.
    UnsupportedVersion = 2,
    /// No trusted key with the token's key id is valid at this time.
    UnknownKey = 3,
    /// The signature does not verify under any trusted key with that id.
    BadSignature = 4,
    /// The token's validity (plus leeway) has passed.
    Expired = 5,
    /// The token's issued-at lies in the future (beyond the leeway).
    NotYetValid = 6,
    /// The token claims a validity longer than the policy allows.
    ValidityTooLong = 7,
    /// The holder switched off use outside their province; the till is
    /// in another one.
    CrossProvinceDisabled = 8,
    /// The token id was already accepted within its validity.
    Replayed = 9,
    /// The issuing key or the insured person is revoked.
    Revoked = 10,
    /// The replay guard is full.
    ReplayGuardFull = 11,
    /// The replay guard cannot be reached.
    ReplayGuardUnavailable = 12,
    /// A signed trust or revocation list is too old.
    TrustListStale = 13,
    /// An image holds no single readable QR code.
    Unreadable = 14,
    /// Family registry: the owner has the maximum number of members.
    LimitMembers = 15,
    /// Family registry: the member has the maximum number of owners.
    LimitOwners = 16,
    /// Family registry: identity details do not match.
    IdentityMismatch = 17,
    /// Family registry: the person has not activated their code.
    NotActivated = 18,
    /// Family registry: an owner tried to bind themselves.
    SelfBinding = 19,
    /// Family registry: the binding already exists.
    AlreadyBound = 20,
    /// Family registry: no such binding.
    NotBound = 21,
    /// Mutual aid is only for close relatives.
    NotCloseRelative = 22,
    /// Mutual aid needs an owner in the employee scheme.
    NotEmployeeScheme = 23,
    /// The registry holds no such person.
    UnknownPerson = 24,
    /// Claims given to an issuer are out of bounds.
    InvalidClaims = 25,
    /// Key material is unusable.
    InvalidKey = 26,
    /// The trust list is unusable (bad JSON, too large, bad key).
    InvalidTrustList = 27,
    /// A store failed.
    Storage = 28,
    /// A file could not be read.
    Io = 29,
    /// A caller-supplied argument is out of range: a null pointer, a path
    /// that is not UTF-8, an options struct of an unknown size.
    InvalidArgument = 30,
    /// A bug in medcode, caught at the boundary. Not a `medcode::Reason`.
    Internal = 1000,
}

impl MedcodeReason {
    /// The C code of a library reason.
    pub fn from_reason(reason: Reason) -> MedcodeReason {
        match reason {
            Reason::Malformed => MedcodeReason::Malformed,
            Reason::UnsupportedVersion => MedcodeReason::UnsupportedVersion,
            Reason::UnknownKey => MedcodeReason::UnknownKey,
            Reason::BadSignature => MedcodeReason::BadSignature,
            Reason::Expired => MedcodeReason::Expired,
            Reason::NotYetValid => MedcodeReason::NotYetValid,
            Reason::ValidityTooLong => MedcodeReason::ValidityTooLong,
            Reason::CrossProvinceDisabled => MedcodeReason::CrossProvinceDisabled,
            Reason::Replayed => MedcodeReason::Replayed,
            Reason::Revoked => MedcodeReason::Revoked,
            Reason::ReplayGuardFull => MedcodeReason::ReplayGuardFull,
            Reason::ReplayGuardUnavailable => MedcodeReason::ReplayGuardUnavailable,
            Reason::TrustListStale => MedcodeReason::TrustListStale,
            Reason::Unreadable => MedcodeReason::Unreadable,
            Reason::LimitMembers => MedcodeReason::LimitMembers,
            Reason::LimitOwners => MedcodeReason::LimitOwners,
            Reason::IdentityMismatch => MedcodeReason::IdentityMismatch,
            Reason::NotActivated => MedcodeReason::NotActivated,
            Reason::SelfBinding => MedcodeReason::SelfBinding,
            Reason::AlreadyBound => MedcodeReason::AlreadyBound,
            Reason::NotBound => MedcodeReason::NotBound,
            Reason::NotCloseRelative => MedcodeReason::NotCloseRelative,
            Reason::NotEmployeeScheme => MedcodeReason::NotEmployeeScheme,
            Reason::UnknownPerson => MedcodeReason::UnknownPerson,
            Reason::InvalidClaims => MedcodeReason::InvalidClaims,
            Reason::InvalidKey => MedcodeReason::InvalidKey,
            Reason::InvalidTrustList => MedcodeReason::InvalidTrustList,
            Reason::Storage => MedcodeReason::Storage,
            Reason::Io => MedcodeReason::Io,
            Reason::InvalidArgument => MedcodeReason::InvalidArgument,
            // `Reason` is non-exhaustive: a reason added to the library but
            // not yet here is a bug in this crate, which the tests catch by
            // walking `Reason::ALL`.
            _ => MedcodeReason::Internal,
        }
    }

    /// The numeric code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The stable string form: `"ok"`, the library reason's string, or
    /// `"internal"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MedcodeReason::Ok => "ok",
            MedcodeReason::Internal => "internal",
            other => Reason::ALL
                .into_iter()
                .find(|r| r.code() == other.code())
                .map_or("internal", Reason::as_str),
        }
    }
}

/// The stable string form of a reason code, e.g. `"expired"` for 5, `"ok"`
/// for 0, `"internal"` for 1000 and `"unknown"` for any other number. The
/// string is static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn medcode_reason_str(code: u32) -> *const c_char {
    quiet(cstr::static_cstr(""), || {
        let text = if code == MedcodeReason::Ok.code() {
            "ok"
        } else if code == MedcodeReason::Internal.code() {
            "internal"
        } else {
            Reason::ALL
                .into_iter()
                .find(|r| r.code() == code)
                .map_or("unknown", Reason::as_str)
        };
        cstr::static_cstr(text)
    })
}
