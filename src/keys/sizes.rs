//! The fixed sizes of keys and signatures, and which backend checks
//! Ed25519 in this build.

/// Which code checks Ed25519 signatures in this build: `"curve25519-dalek"`
/// by default, `"ring"` with the `ring-ed25519-verify` feature.
pub const ED25519_BACKEND: &str = if cfg!(feature = "ring-ed25519-verify") {
    "ring"
} else {
    "curve25519-dalek"
};

/// Length of every signature, for every algorithm.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 4;
