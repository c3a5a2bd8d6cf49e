//! The one error type of the crate, with stable reason codes.
//!
//! Every failure carries a [`Reason`]: a short, stable string that a till can
//! show a cashier, that the CLI prints in `--json` output, and that the C ABI
//! returns as an enum. Variants carry context (an expired token reports both
//! its expiry and the time it was checked at) but never secret material.

use std::fmt;
use std::path::PathBuf;

use crate::time::UnixTime;

/// Stable reason codes. The string form (see [`Reason::as_str`]) is part of
/// the public contract: it never changes once released.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The token text or binary layout is not a well-formed medcode token.
    Malformed,
    /// The token is of a format version this build does not know.
    UnsupportedVersion,
    /// No trusted key with the token's key id is valid at this time.
    UnknownKey,
    /// The signature does not verify under any trusted key with that key id.
    BadSignature,
    /// The token's validity (plus leeway) has passed.
    Expired,
    /// The token's issued-at lies in the future (beyond the leeway).
    NotYetValid,
    /// The token claims a validity longer than the verifier's policy allows.
    ValidityTooLong,
    /// The holder switched off use outside their home province and the till
    /// is in another province.
    CrossProvinceDisabled,
    /// Claims given to the issuer are out of bounds.
    InvalidClaims,
    /// A key file or key material is unusable.
    InvalidKey,
    /// A trust list is unusable (bad JSON, wrong kid, empty, too large).
    InvalidTrustList,
    /// A file could not be read or written.
    Io,
    /// A caller-supplied argument is out of range.
    InvalidArgument,
}

impl Reason {
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
            Reason::InvalidClaims => "invalid_claims",
            Reason::InvalidKey => "invalid_key",
            Reason::InvalidTrustList => "invalid_trust_list",
            Reason::Io => "io",
            Reason::InvalidArgument => "invalid_argument",
        }
    }

    /// True when the reason is a verdict on a presented code (the code is
    /// refused), as opposed to a problem with the caller's setup or files.
    pub const fn is_rejection(self) -> bool {
        matches!(
            self,
            Reason::Malformed
                | Reason::UnsupportedVersion
                | Reason::UnknownKey
                | Reason::BadSignature
                | Reason::Expired
                | Reason::NotYetValid
                | Reason::ValidityTooLong
                | Reason::CrossProvinceDisabled
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
    UnsupportedVersion { found: u8 },
    /// No trusted key with this key id (or none valid at this time).
    UnknownKey { kid: String, detail: &'static str },
    /// No trusted key with the token's key id verified the signature.
    BadSignature { kid: String },
    /// Presented after `expires_at + leeway`.
    Expired { expires_at: UnixTime, now: UnixTime },
    /// Presented before `issued_at - leeway`.
    NotYetValid { issued_at: UnixTime, now: UnixTime },
    /// The token claims a validity above the policy maximum.
    ValidityTooLong { validity: u32, max: u32 },
    /// The holder disabled use outside their province; the till is elsewhere.
    CrossProvinceDisabled {
        holder_region: String,
        till_region: String,
    },
    /// Claims given to the issuer break a rule.
    InvalidClaims { field: &'static str, why: String },
    /// Key material or a key file is unusable. Never carries key bytes.
    InvalidKey { why: String },
    /// A trust list is unusable.
    InvalidTrustList { why: String },
    /// A file operation failed.
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    /// A caller-supplied argument is out of range.
    InvalidArgument { what: &'static str, why: String },
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
            Error::InvalidClaims { .. } => Reason::InvalidClaims,
            Error::InvalidKey { .. } => Reason::InvalidKey,
            Error::InvalidTrustList { .. } => Reason::InvalidTrustList,
            Error::Io { .. } => Reason::Io,
            Error::InvalidArgument { .. } => Reason::InvalidArgument,
        }
    }

    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
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

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strings_are_stable() {
        let all = [
            (Reason::Malformed, "malformed"),
            (Reason::UnsupportedVersion, "unsupported_version"),
            (Reason::UnknownKey, "unknown_key"),
            (Reason::BadSignature, "bad_signature"),
            (Reason::Expired, "expired"),
            (Reason::NotYetValid, "not_yet_valid"),
            (Reason::ValidityTooLong, "validity_too_long"),
            (Reason::CrossProvinceDisabled, "cross_province_disabled"),
            (Reason::InvalidClaims, "invalid_claims"),
            (Reason::InvalidKey, "invalid_key"),
            (Reason::InvalidTrustList, "invalid_trust_list"),
            (Reason::Io, "io"),
            (Reason::InvalidArgument, "invalid_argument"),
        ];
        for (reason, text) in all {
            assert_eq!(reason.as_str(), text);
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn rejections_are_told_apart_from_setup_errors() {
        assert!(Reason::Expired.is_rejection());
        assert!(Reason::BadSignature.is_rejection());
        assert!(!Reason::Io.is_rejection());
        assert!(!Reason::InvalidTrustList.is_rejection());
    }
}
