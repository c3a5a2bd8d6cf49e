//! What matched the revocation list.

use std::fmt;

use crate::time::UnixTime;

/// Which entry of the revocation list refused a code
/// ([`Error::Revoked`](super::Error::Revoked)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevokedItem {
    /// The key id that signed the code is revoked.
    Key {
        /// The key id, in hex (as `KeyId` displays it).
        kid: String,
        /// The revocation reason's stable string (`compromised`, ...).
        reason: &'static str,
    },
    /// The device credential that made the code is revoked (a lost phone).
    Credential {
        /// The credential id, in hex.
        id: String,
    },
    /// The insured person the code is for is revoked for codes issued from
    /// `since`.
    Insured {
        /// The insured person's identifier.
        insured: String,
        /// Codes issued at or after this instant are refused.
        since: UnixTime,
        /// When this code was issued.
        issued_at: UnixTime,
    },
    /// The family member presenting someone else's code is revoked for
    /// codes issued from `since`.
    Presenter {
        /// The presenter's identifier.
        presenter: String,
        /// The insured person whose code was shown.
        insured: String,
        /// Codes issued at or after this instant are refused.
        since: UnixTime,
        /// When this code was issued.
        issued_at: UnixTime,
    },
}

impl fmt::Display for RevokedItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RevokedItem::Key { kid, reason } => write!(f, "issuer key {kid} ({reason})"),
            RevokedItem::Credential { id } => write!(f, "device credential {id}"),
            RevokedItem::Insured {
                insured,
                since,
                issued_at,
            } => write!(
                f,
                "insured {insured} for codes issued from {since}; this code was issued at {issued_at}"
            ),
            RevokedItem::Presenter {
                presenter,
                insured,
                since,
                issued_at,
            } => write!(
                f,
                "presenter {presenter} (showing the code of {insured}) for codes issued from {since}; this code was issued at {issued_at}"
            ),
        }
    }
}
