//! Every constant of medcode in one place: what a token, a key file, a
//! list or an image may hold at most, and the defaults of the policies.
//! Each is defined (and documented) beside the code it governs; this is
//! its one public path.

pub use crate::device::credential::{
    CREDENTIAL_ID_LEN, DEFAULT_CREDENTIAL_SECS, DEFAULT_DEVICE_VALIDITY_SECS, DEFAULT_QUOTA,
    DEVICE_FORMAT_VERSION, MAX_CREDENTIAL_LEN, MAX_CREDENTIAL_SECS,
};
pub use crate::keys::file::MAX_KEY_FILE_LEN;
pub use crate::keys::sizes::{ED25519_BACKEND, KEY_ID_LEN, SIGNATURE_LEN};
pub use crate::keys::sm2_dsa::{SM2_BACKEND, SM2_USER_ID};
pub use crate::lists::revocation::{
    MAX_REVOCATION_LIST_LEN, MAX_REVOKED_CREDENTIALS, MAX_REVOKED_INSURED, MAX_REVOKED_KEYS,
};
pub use crate::lists::root_key::{MAX_ROOT_KEY_FILE_LEN, ROOT_KEY_FORMAT};
pub use crate::lists::signed::{LIST_FORMAT, MAX_SIGNED_LIST_LEN};
pub use crate::lists::staleness::{DEFAULT_DUE_SOON_SECS, DEFAULT_STALE_GRACE_SECS};
pub use crate::lists::trust::{MAX_TRUST_LIST_LEN, MAX_TRUSTED_KEYS};
#[cfg(feature = "render")]
pub use crate::qr::render::{DEFAULT_MODULE_PX, MAX_MODULE_PX, QUIET_ZONE_MODULES};
#[cfg(feature = "scan")]
pub use crate::qr::scan::{MAX_IMAGE_FILE_LEN, MAX_IMAGE_SIDE};
pub use crate::replay::file::DEFAULT_BUSY_TIMEOUT;
pub use crate::replay::memory::DEFAULT_REPLAY_CAPACITY;
#[cfg(feature = "redis")]
pub use crate::replay::redis::{
    CLUSTER_RETRIES, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT, DEFAULT_KEY_PREFIX,
    DEFAULT_MAX_IDLE, MAX_KEY_PREFIX_LEN,
};
pub use crate::token::budget::MAX_ID_AND_NAME_BYTES;
pub use crate::token::claims::{
    DEFAULT_VALIDITY_SECS, MAX_ID_CHARS, MAX_NAME_BYTES, MAX_NAME_CHARS, NAME_MIDDLE_DOT, PROVINCES,
};
pub use crate::token::format::{DEFAULT_MAX_VALIDITY_SECS, FORMAT_VERSION, TOKEN_ID_LEN};
pub use crate::token::text::{DEVICE_PREFIX, MAX_DEVICE_BINARY_LEN, MAX_TEXT_LEN, PREFIX};
pub use crate::verify::batch::BATCH_MAX;
pub use crate::verify::credential_cache::DEFAULT_CREDENTIAL_CACHE;
pub use crate::verify::policy::DEFAULT_LEEWAY_SECS;
pub use crate::verify::till::MAX_STATE_FILE_LEN;
