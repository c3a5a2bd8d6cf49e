//! Every size and count limit of medcode in one place: what a token, a key
//! file, a list, an image or a registry entry may hold at most. Each limit
//! is also defined (and documented) in the module it governs.

pub use crate::device::{CREDENTIAL_ID_LEN, MAX_CREDENTIAL_LEN, MAX_CREDENTIAL_SECS};
pub use crate::keys::{KEY_ID_LEN, MAX_KEY_FILE_LEN, SIGNATURE_LEN};
pub use crate::lists::{
    MAX_REVOCATION_LIST_LEN, MAX_REVOKED_CREDENTIALS, MAX_REVOKED_INSURED, MAX_REVOKED_KEYS,
    MAX_ROOT_KEY_FILE_LEN, MAX_SIGNED_LIST_LEN, MAX_TRUST_LIST_LEN, MAX_TRUSTED_KEYS,
};
#[cfg(feature = "render")]
pub use crate::qr::MAX_MODULE_PX;
#[cfg(feature = "scan")]
pub use crate::qr::{MAX_IMAGE_FILE_LEN, MAX_IMAGE_SIDE};
pub use crate::token::{
    MAX_DEVICE_BINARY_LEN, MAX_ID_AND_NAME_BYTES, MAX_ID_CHARS, MAX_NAME_BYTES, MAX_NAME_CHARS,
    MAX_TEXT_LEN, TOKEN_ID_LEN,
};
pub use crate::verify::{BATCH_MAX, DEFAULT_CREDENTIAL_CACHE, MAX_STATE_FILE_LEN};
