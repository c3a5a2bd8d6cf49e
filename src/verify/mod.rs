//! The till side: the verifier that checks a scanned code offline, its
//! policy, batch verification, the verified result and the till setup that
//! builds a verifier from files and options.

pub(crate) mod batch;
pub(crate) mod context;
pub(crate) mod credential_cache;
pub(crate) mod device;
pub(crate) mod policy;
pub(crate) mod till;
pub(crate) mod verdict;
pub(crate) mod verified;
pub(crate) mod verifier;

pub use context::{TillContext, VerdictObserver};
#[cfg(feature = "redis")]
pub use till::RedisSpec;
pub use till::{
    ListReload, ListSource, ReplaySpec, TillEvent, check_list_len, list_len_limit,
    read_signed_list_file,
};
pub use verdict::{Verdict, to_json};
pub use verified::{CodeKind, DeviceDetails};
pub use verifier::{ListStatus, ListUpdate};
