//! The till side: the verifier that checks a scanned code offline, its
//! policy, batch verification, the verified result and the till setup that
//! builds a verifier from files and options.

mod batch;
mod context;
mod credential_cache;
mod device;
mod policy;
mod till;
mod verdict;
mod verified;
mod verifier;

pub use batch::BATCH_MAX;
pub use context::{TillContext, VerdictObserver};
pub use credential_cache::DEFAULT_CREDENTIAL_CACHE;
pub use policy::{DEFAULT_LEEWAY_SECS, Policy};
#[cfg(feature = "redis")]
pub use till::RedisSpec;
pub use till::{
    ListReload, ListSource, MAX_STATE_FILE_LEN, ReplaySpec, TillConfig, TillEvent, check_list_len,
    list_len_limit, read_signed_list_file,
};
pub use verdict::{Verdict, to_json};
pub use verified::{CodeKind, DeviceDetails, VerifiedToken};
pub use verifier::{ListStatus, ListUpdate, Verifier};
