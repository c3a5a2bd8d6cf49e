//! The till side: the verifier that checks a scanned code offline, its
//! policy, batch verification and the verified result.

mod batch;
mod verdict;
mod verifier;

pub use batch::BATCH_MAX;
pub use verdict::to_json;
pub use verifier::{
    DEFAULT_LEEWAY_SECS, DEFAULT_MAX_VALIDITY_SECS, ListStatus, ListUpdate, Policy, VerifiedToken,
    Verifier,
};
