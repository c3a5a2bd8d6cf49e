//! The lists a verifier trusts: the issuers' keys (trust list), the revoked
//! keys and persons (revocation list), and the signed envelope that carries
//! either from an offline root key, with its staleness rules.

pub(crate) mod publisher;
pub(crate) mod revocation;
pub(crate) mod root_key;
pub(crate) mod signed;
pub(crate) mod staleness;
pub(crate) mod trust;

pub use publisher::{ListPublisher, Validity};
pub use revocation::{Change, RevocationReason};
pub use signed::{ListInfo, VerifiedList};
