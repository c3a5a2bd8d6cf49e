//! The one error type of the crate, with stable reason codes.
//!
//! Every failure carries a [`Reason`]: a short, stable string that a till can
//! show a cashier, that the CLI prints in `--json` output, and that the C ABI
//! returns as an enum. Variants carry context (an expired token reports both
//! its expiry and the time it was checked at) but never secret material.

use std::fmt;
use std::path::{Path, PathBuf};

#[macro_use]
mod text_enum;
mod list;

pub use list::ListKind;

use crate::time::{ParseTimeError, UnixTime};

/// Stable reason codes. The string form (see [`Reason::as_str`]) is part of
/// the public contract: it never changes once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u32)]
pub enum Reason {
    /// The token text or binary layout is not a well-formed medcode token.
    Malformed = 1,
    /// The token is of a format version this build does not know.
    UnsupportedVersion = 2,
    /// No trusted key with the token's key id is valid at this time.
    UnknownKey = 3,
    /// The signature does not verify under any trusted key with that key id.
    BadSignature = 4,
    /// The token's validity (plus leeway) has passed.
    Expired = 5,
    /// The token's issued-at lies in the future (beyond the leeway).
    NotYetValid = 6,
    /// The token claims a validity longer than the verifier's policy allows.
    ValidityTooLong = 7,
    /// The holder switched off use outside their home province and the till is
    /// in another province.
    CrossProvinceDisabled = 8,
    /// The token id was already accepted within its validity.
    Replayed = 9,
    /// The issuing key or the insured person is on the revocation list.
    Revoked = 10,
    /// The replay guard is at its hard capacity and cannot record the token.
    ReplayGuardFull = 11,
    /// The replay guard (e.g. a shared Redis) cannot be reached.
    ReplayGuardUnavailable = 12,
    /// The signed trust or revocation list is past its next-update time beyond
    /// the staleness grace.
    TrustListStale = 13,
    /// An image holds no QR code, several, or one that cannot be decoded.
    Unreadable = 14,
    /// The owner already has the maximum number of bound family members.
    LimitMembers = 15,
    /// The member is already bound by the maximum number of owners.
    LimitOwners = 16,
    /// The member's name or national ID number given at binding does not match.
    IdentityMismatch = 17,
    /// The person has not activated their own code.
    NotActivated = 18,
    /// An owner tried to bind themselves.
    SelfBinding = 19,
    /// The binding (or filing) already exists.
    AlreadyBound = 20,
    /// No active binding (or filing) exists between owner and member.
    NotBound = 21,
    /// Mutual aid is only for close relatives.
    NotCloseRelative = 22,
    /// Mutual aid can only be filed by an owner in the employee scheme.
    NotEmployeeScheme = 23,
    /// The registry holds no person with this identifier.
    UnknownPerson = 24,
    /// Claims given to the issuer are out of bounds.
    InvalidClaims = 25,
    /// A key file or key material is unusable.
    InvalidKey = 26,
    /// A trust or revocation list is unusable (bad JSON, wrong kid, bad
    /// signature, rolled back, too large).
    InvalidTrustList = 27,
    /// An embedded or server store failed (database error, corrupt file).
    Storage = 28,
    /// A file could not be read or written.
    Io = 29,
    /// A caller-supplied argument is out of range.
    InvalidArgument = 30,
}

impl Reason {
    /// Every reason, in the order of their numeric codes.
    pub const ALL: [Reason; 30] = [
        Reason::Malformed,
        Reason::UnsupportedVersion,
        Reason::UnknownKey,
        Reason::BadSignature,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::ValidityTooLong,
        Reason::CrossProvinceDisabled,
        Reason::Replayed,
        Reason::Revoked,
        Reason::ReplayGuardFull,
        Reason::ReplayGuardUnavailable,
        Reason::TrustListStale,
        Reason::Unreadable,
        Reason::LimitMembers,
        Reason::LimitOwners,
        Reason::IdentityMismatch,
        Reason::NotActivated,
        Reason::SelfBinding,
        Reason::AlreadyBound,
        Reason::NotBound,
        Reason::NotCloseRelative,
        Reason::NotEmployeeScheme,
        Reason::UnknownPerson,
        Reason::InvalidClaims,
        Reason::InvalidKey,
        Reason::InvalidTrustList,
        Reason::Storage,
        Reason::Io,
        Reason::InvalidArgument,
    ];

    /// The stable string form of the reason code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::Malformed => "malformed",
            Reason::UnsupportedVersion => "unsupported_version",
            Reason::UnknownKey => "unknown_key",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::ValidityTooLong => "validity_too_long",
            Reason::CrossProvinceDisabled => "cross_province_disabled",
            Reason::Replayed => "replayed",
            Reason::Revoked => "revoked",
            Reason::ReplayGuardFull => "replay_guard_full",
            Reason::ReplayGuardUnavailable => "replay_guard_unavailable",
            Reason::TrustListStale => "trust_list_stale",
            Reason::Unreadable => "unreadable",
            Reason::LimitMembers => "limit_members",
            Reason::LimitOwners => "limit_owners",
            Reason::IdentityMismatch => "identity_mismatch",
            Reason::NotActivated => "not_activated",
            Reason::SelfBinding => "self_binding",
            Reason::AlreadyBound => "already_bound",
            Reason::NotBound => "not_bound",
            Reason::NotCloseRelative => "not_close_relative",
            Reason::NotEmployeeScheme => "not_employee_scheme",
            Reason::UnknownPerson => "unknown_person",
            Reason::InvalidClaims => "invalid_claims",
            Reason::InvalidKey => "invalid_key",
            Reason::InvalidTrustList => "invalid_trust_list",
            Reason::Storage => "storage",
            Reason::Io => "io",
            Reason::InvalidArgument => "invalid_argument",
        }
    }

    /// The stable numeric form of the reason code (used by the C ABI);
    /// 0 is reserved for "accepted".
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// Parses the stable string form.
    pub fn from_code_str(text: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// True when the reason is a refusal (of a presented code, or of a
    /// registry request by its rules), as opposed to a problem with the
    /// caller's setup, arguments or files. The CLI exits 1 for refusals and
    /// 2 for everything else.
    pub const fn is_rejection(self) -> bool {
        !matches!(
            self,
            Reason::InvalidClaims
                | Reason::InvalidKey
                | Reason::InvalidTrustList
                | Reason::Storage
                | Reason::Io
                | Reason::InvalidArgument
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The crate's error type.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Not a well-formed token; the detail says which rule was broken.
    Malformed(&'static str),
    /// A token of an unknown format version.
    UnsupportedVersion {
        /// The version byte found.
        found: u8,
    },
    /// No trusted key with this key id (or none valid at this time).
    UnknownKey {
        /// The token's key id, in hex.
        kid: String,
        /// Why no key matched (none with this id, or none valid now).
        detail: &'static str,
    },
    /// No trusted key with the token's key id verified the signature.
    BadSignature {
        /// The token's key id, in hex.
        kid: String,
    },
    /// Presented after `expires_at + leeway`.
    Expired {
        /// When the token expired.
        expires_at: UnixTime,
        /// When it was checked.
        now: UnixTime,
    },
    /// Presented before `issued_at - leeway`.
    NotYetValid {
        /// When the token says it was issued.
        issued_at: UnixTime,
        /// When it was checked.
        now: UnixTime,
    },
    /// The token claims a validity above the policy maximum.
    ValidityTooLong {
        /// The validity the token claims, in seconds.
        validity: u32,
        /// The policy maximum, in seconds.
        max: u32,
    },
    /// The holder disabled use outside their province; the till is elsewhere.
    CrossProvinceDisabled {
        /// The holder's region of enrolment.
        holder_region: String,
        /// This till's region.
        till_region: String,
    },
    /// The token id was already accepted (replay).
    Replayed {
        /// The token id, in hex.
        token_id: String,
    },
    /// The key or the insured person is revoked.
    Revoked {
        /// What matched the revocation list.
        what: String,
    },
    /// The replay guard is full.
    ReplayGuardFull {
        /// The guard's hard capacity.
        capacity: usize,
    },
    /// The replay guard cannot be reached.
    ReplayGuardUnavailable {
        /// What failed (never a password).
        why: String,
    },
    /// A signed list is past its next-update time beyond the grace period.
    TrustListStale {
        /// Which list.
        list: ListKind,
        /// When it was due for update.
        next_update: UnixTime,
        /// The first second at which codes are refused.
        refused_from: UnixTime,
        /// When it was checked.
        now: UnixTime,
    },
    /// No single readable QR code in an image.
    Unreadable {
        /// Why no single code could be read.
        why: String,
    },
    /// A registry rule refused the request; `reason` is one of the registry
    /// reasons (limit_members, identity_mismatch, ...).
    Refused {
        /// The registry reason.
        reason: Reason,
        /// The rule and the values that broke it.
        detail: String,
    },
    /// A store (database, file store, Redis) failed.
    Storage {
        /// What failed.
        why: String,
    },
    /// Claims given to the issuer break a rule.
    InvalidClaims {
        /// The claim.
        field: &'static str,
        /// The rule it breaks.
        why: String,
    },
    /// Key material or a key file is unusable. Never carries key bytes.
    InvalidKey {
        /// What is wrong (never key bytes).
        why: String,
    },
    /// A trust list is unusable.
    InvalidTrustList {
        /// What is wrong, with the file where known.
        why: String,
    },
    /// A file operation failed.
    Io {
        /// The file or stream.
        path: PathBuf,
        /// What was being done (`read`, `write`, `create`, ...).
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A caller-supplied argument is out of range.
    InvalidArgument {
        /// The argument or flag.
        what: &'static str,
        /// Why it is refused.
        why: String,
    },
}

impl Error {
    /// The stable reason code of this error.
    pub fn reason(&self) -> Reason {
        match self {
            Error::Malformed(_) => Reason::Malformed,
            Error::UnsupportedVersion { .. } => Reason::UnsupportedVersion,
            Error::UnknownKey { .. } => Reason::UnknownKey,
            Error::BadSignature { .. } => Reason::BadSignature,
            Error::Expired { .. } => Reason::Expired,
            Error::NotYetValid { .. } => Reason::NotYetValid,
            Error::ValidityTooLong { .. } => Reason::ValidityTooLong,
            Error::CrossProvinceDisabled { .. } => Reason::CrossProvinceDisabled,
            Error::Replayed { .. } => Reason::Replayed,
            Error::Revoked { .. } => Reason::Revoked,
            Error::ReplayGuardFull { .. } => Reason::ReplayGuardFull,
            Error::ReplayGuardUnavailable { .. } => Reason::ReplayGuardUnavailable,
            Error::TrustListStale { .. } => Reason::TrustListStale,
            Error::Unreadable { .. } => Reason::Unreadable,
            Error::Refused { reason, .. } => *reason,
            Error::Storage { .. } => Reason::Storage,
            Error::InvalidClaims { .. } => Reason::InvalidClaims,
            Error::InvalidKey { .. } => Reason::InvalidKey,
            Error::InvalidTrustList { .. } => Reason::InvalidTrustList,
            Error::Io { .. } => Reason::Io,
            Error::InvalidArgument { .. } => Reason::InvalidArgument,
        }
    }

    /// Names the file a list came from in an `invalid_trust_list` error
    /// (`PATH: why`); any other error comes back unchanged.
    #[must_use]
    pub fn in_list_file(self, path: &Path) -> Self {
        match self {
            Error::InvalidTrustList { why } => Error::InvalidTrustList {
                why: format!("{}: {why}", path.display()),
            },
            other => other,
        }
    }

    /// An `io` error: `action` (a verb such as `"read"`) on `path` failed.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    pub(crate) fn claims(field: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidClaims {
            field,
            why: why.into(),
        }
    }

    pub(crate) fn argument(what: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what,
            why: why.into(),
        }
    }

    pub(crate) fn key(why: impl Into<String>) -> Self {
        Error::InvalidKey { why: why.into() }
    }

    pub(crate) fn trust(why: impl Into<String>) -> Self {
        Error::InvalidTrustList { why: why.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(detail) => write!(f, "malformed token: {detail}"),
            Error::UnsupportedVersion { found } => {
                write!(f, "unsupported token format version {found}")
            }
            Error::UnknownKey { kid, detail } => write!(f, "unknown key {kid}: {detail}"),
            Error::BadSignature { kid } => {
                write!(f, "bad signature: no trusted key {kid} verifies this token")
            }
            Error::Expired { expires_at, now } => write!(
                f,
                "expired at {} (checked at {})",
                expires_at.to_rfc3339(),
                now.to_rfc3339()
            ),
            Error::NotYetValid { issued_at, now } => write!(
                f,
                "not yet valid: issued at {} (checked at {})",
                issued_at.to_rfc3339(),
                now.to_rfc3339()
            ),
            Error::ValidityTooLong { validity, max } => write!(
                f,
                "token claims a validity of {validity} s, above the accepted maximum of {max} s"
            ),
            Error::CrossProvinceDisabled {
                holder_region,
                till_region,
            } => write!(
                f,
                "the holder (region {holder_region}) switched off use outside their province; this till is in region {till_region}"
            ),
            Error::Replayed { token_id } => {
                write!(f, "replayed: token {token_id} was already accepted")
            }
            Error::Revoked { what } => write!(f, "revoked: {what}"),
            Error::ReplayGuardFull { capacity } => write!(
                f,
                "replay guard full: {capacity} live codes recorded, refusing rather than forgetting"
            ),
            Error::ReplayGuardUnavailable { why } => write!(f, "replay guard unavailable: {why}"),
            Error::TrustListStale {
                list,
                next_update,
                refused_from,
                now,
            } => write!(
                f,
                "the signed {} was due for update at {next_update} and its grace ended at {refused_from} (checked at {now}): install a newly signed list",
                list.describe()
            ),
            Error::Unreadable { why } => write!(f, "unreadable image: {why}"),
            Error::Refused { reason, detail } => write!(f, "{reason}: {detail}"),
            Error::Storage { why } => write!(f, "storage error: {why}"),
            Error::InvalidClaims { field, why } => write!(f, "invalid {field}: {why}"),
            Error::InvalidKey { why } => write!(f, "invalid key: {why}"),
            Error::InvalidTrustList { why } => write!(f, "invalid trust list: {why}"),
            Error::Io {
                path,
                action,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::InvalidArgument { what, why } => write!(f, "invalid {what}: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<ParseTimeError> for Error {
    fn from(e: ParseTimeError) -> Self {
        Error::InvalidArgument {
            what: "time",
            why: e.to_string(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strings_and_codes_are_stable() {
        let expected = [
            "malformed",
            "unsupported_version",
            "unknown_key",
            "bad_signature",
            "expired",
            "not_yet_valid",
            "validity_too_long",
            "cross_province_disabled",
            "replayed",
            "revoked",
            "replay_guard_full",
            "replay_guard_unavailable",
            "trust_list_stale",
            "unreadable",
            "limit_members",
            "limit_owners",
            "identity_mismatch",
            "not_activated",
            "self_binding",
            "already_bound",
            "not_bound",
            "not_close_relative",
            "not_employee_scheme",
            "unknown_person",
            "invalid_claims",
            "invalid_key",
            "invalid_trust_list",
            "storage",
            "io",
            "invalid_argument",
        ];
        assert_eq!(Reason::ALL.len(), expected.len());
        for (i, (reason, text)) in Reason::ALL.iter().zip(expected).enumerate() {
            assert_eq!(reason.as_str(), text);
            assert_eq!(reason.to_string(), text);
            assert_eq!(reason.code(), i as u32 + 1);
            assert_eq!(Reason::from_code_str(text), Some(*reason));
        }
        assert_eq!(Reason::from_code_str("nope"), None);
    }

    #[test]
    fn rejections_are_told_apart_from_setup_errors() {
        assert!(Reason::Expired.is_rejection());
        assert!(Reason::BadSignature.is_rejection());
        assert!(!Reason::Io.is_rejection());
        assert!(!Reason::InvalidTrustList.is_rejection());
    }
}
