//! The one error type of the crate, with stable reason codes.
//!
//! Every failure carries a [`Reason`]: a short, stable string that a till can
//! show a cashier, that the CLI prints in `--json` output, and that the C ABI
//! returns as an enum. Variants carry context (an expired token reports both
//! its expiry and the time it was checked at) but never secret material.

use std::fmt;
use std::path::{Path, PathBuf};

#[macro_use]
pub(crate) mod text_enum;
pub(crate) mod key_problem;
pub(crate) mod list;
pub(crate) mod list_layer;
pub(crate) mod list_problem;
pub(crate) mod reason;
pub(crate) mod refusal;
pub(crate) mod revoked;
pub(crate) mod wallet_refusal;

pub use key_problem::KeyProblem;
use list::ListKind;
pub use list_layer::ListLayer;
pub use list_problem::ListProblem;
use reason::Reason;
pub use refusal::RegistryRefusal;
pub use revoked::RevokedItem;
pub use wallet_refusal::WalletRefusal;

use crate::time::{ParseTimeError, UnixTime};

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
        /// Why, when the signature is refused for its form rather than
        /// failing the check (a P-256 signature with a high `s`); shown after
        /// the message.
        detail: Option<&'static str>,
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
    /// A device code made after its credential's not-after, or shown after
    /// it (plus leeway): the phone must go online once for a new credential.
    CredentialExpired {
        /// The credential's not-after.
        not_after: UnixTime,
        /// When it was checked (or the code made).
        now: UnixTime,
    },
    /// A device code's counter is not below its credential's offline quota.
    QuotaExceeded {
        /// The code's counter.
        counter: u32,
        /// The credential's quota (counters 0 up to quota - 1).
        quota: u16,
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
    /// The key, the insured person or the presenter is revoked.
    Revoked {
        /// What matched the revocation list.
        what: RevokedItem,
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
    /// A rule of the family registry refused the request.
    Refused {
        /// The rule that refused it (`limit_members`, `identity_mismatch`,
        /// ...); its [`RegistryRefusal::reason`] is this error's reason.
        refusal: RegistryRefusal,
        /// The rule and the values that broke it.
        detail: String,
    },
    /// A rule of the medical-insurance wallet refused the request.
    WalletRefused {
        /// The rule that refused it (`limit_amount`, `quiet_hours`, ...);
        /// its [`WalletRefusal::reason`] is this error's reason.
        refusal: WalletRefusal,
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
    /// A trust, revocation or signed list is unusable (reason
    /// `invalid_trust_list`).
    InvalidList {
        /// Which list, where known (a signed envelope's kind is unknown
        /// until it is parsed).
        list: Option<ListKind>,
        /// Where in the list the problem is: the file, a bare list, the
        /// signed envelope or the list it carries.
        layer: ListLayer,
        /// The file the list came from, where there is one.
        file: Option<PathBuf>,
        /// What is wrong.
        problem: ListProblem,
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
            Error::CredentialExpired { .. } => Reason::CredentialExpired,
            Error::QuotaExceeded { .. } => Reason::QuotaExceeded,
            Error::CrossProvinceDisabled { .. } => Reason::CrossProvinceDisabled,
            Error::Replayed { .. } => Reason::Replayed,
            Error::Revoked { .. } => Reason::Revoked,
            Error::ReplayGuardFull { .. } => Reason::ReplayGuardFull,
            Error::ReplayGuardUnavailable { .. } => Reason::ReplayGuardUnavailable,
            Error::TrustListStale { .. } => Reason::TrustListStale,
            Error::Unreadable { .. } => Reason::Unreadable,
            Error::Refused { refusal, .. } => refusal.reason(),
            Error::WalletRefused { refusal, .. } => refusal.reason(),
            Error::Storage { .. } => Reason::Storage,
            Error::InvalidClaims { .. } => Reason::InvalidClaims,
            Error::InvalidKey { .. } => Reason::InvalidKey,
            Error::InvalidList { .. } => Reason::InvalidTrustList,
            Error::Io { .. } => Reason::Io,
            Error::InvalidArgument { .. } => Reason::InvalidArgument,
        }
    }

    /// Names the file a list came from in an `invalid_trust_list` error
    /// that names none yet (its message becomes `PATH: why`); any other
    /// error comes back unchanged.
    #[must_use]
    pub fn in_list_file(self, path: &Path) -> Self {
        match self {
            Error::InvalidList {
                list,
                layer,
                file: None,
                problem,
            } => Error::InvalidList {
                list,
                layer,
                file: Some(path.to_path_buf()),
                problem,
            },
            other => other,
        }
    }

    /// An `invalid_trust_list` error without a file: `problem` in `list` at
    /// `layer`.
    pub fn invalid_list(list: Option<ListKind>, layer: ListLayer, problem: ListProblem) -> Self {
        Error::InvalidList {
            list,
            layer,
            file: None,
            problem,
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

    /// An `invalid_claims` error: `field` of the claims is refused for `why`.
    pub fn claims(field: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidClaims {
            field,
            why: why.into(),
        }
    }

    /// An `invalid_argument` error: `what` is refused for `why`.
    pub fn argument(what: &'static str, why: impl Into<String>) -> Self {
        Error::InvalidArgument {
            what,
            why: why.into(),
        }
    }

    /// A wallet refusal with its detail.
    pub fn wallet(refusal: WalletRefusal, detail: impl Into<String>) -> Self {
        Error::WalletRefused {
            refusal,
            detail: detail.into(),
        }
    }

    /// An `invalid_key` error: key material is refused for `why`.
    pub fn key(why: impl Into<String>) -> Self {
        Error::InvalidKey { why: why.into() }
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
            Error::BadSignature { kid, detail } => {
                write!(f, "bad signature: no trusted key {kid} verifies this token")?;
                match detail {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
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
            Error::CredentialExpired { not_after, now } => write!(
                f,
                "the device credential expired at {} (checked at {}): the phone must go online once to renew it",
                not_after.to_rfc3339(),
                now.to_rfc3339()
            ),
            Error::QuotaExceeded { counter, quota } => write!(
                f,
                "offline quota used up: code {counter} of a credential that allows {quota} {} ({}); the phone must go online once to renew it",
                if *quota == 1 { "code" } else { "codes" },
                if *quota == 1 {
                    "code 0".to_owned()
                } else {
                    format!("0 to {}", quota.saturating_sub(1))
                }
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
            Error::Refused { refusal, detail } => write!(f, "{refusal}: {detail}"),
            Error::WalletRefused { refusal, detail } => write!(f, "{refusal}: {detail}"),
            Error::Storage { why } => write!(f, "storage error: {why}"),
            Error::InvalidClaims { field, why } => write!(f, "invalid {field}: {why}"),
            Error::InvalidKey { why } => write!(f, "invalid key: {why}"),
            Error::InvalidList {
                list,
                layer,
                file,
                problem,
            } => {
                // The reason code stays `invalid_trust_list` for both lists;
                // the words name the list that is broken.
                match list {
                    Some(ListKind::Revocation) => f.write_str("invalid revocation list: ")?,
                    _ => f.write_str("invalid trust list: ")?,
                }
                if let Some(path) = file
                    && *layer != ListLayer::File
                {
                    write!(f, "{}: ", path.display())?;
                }
                problem.describe(f, *list, *layer, file.as_deref())
            }
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
