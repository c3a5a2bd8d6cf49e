//! The lists a verifier trusts: the issuers' keys (trust list), the revoked
//! keys and persons (revocation list), and the signed envelope that carries
//! either from an offline root key, with its staleness rules.

mod revocation;
mod root_key;
mod signed;
mod staleness;
mod trust;

pub use crate::error::ListKind;
pub use revocation::{
    Change, MAX_REVOCATION_LIST_LEN, MAX_REVOKED_CREDENTIALS, MAX_REVOKED_INSURED,
    MAX_REVOKED_KEYS, RevocationList, RevocationReason,
};
pub use root_key::{MAX_ROOT_KEY_FILE_LEN, ROOT_KEY_FORMAT, RootKey};
pub use signed::{LIST_FORMAT, ListInfo, MAX_SIGNED_LIST_LEN, SignedList, VerifiedList};
pub use staleness::{DEFAULT_DUE_SOON_SECS, DEFAULT_STALE_GRACE_SECS, StalenessPolicy};
pub use trust::{MAX_TRUST_LIST_LEN, MAX_TRUSTED_KEYS, TrustList, TrustedKey};
