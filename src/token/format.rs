//! The fixed numbers of the token format.

/// The binary format version this build reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Length of a token id in bytes (64 bits).
pub const TOKEN_ID_LEN: usize = 8;
/// Default longest validity of a code, in seconds: what an issuer signs at
/// most and a verifier accepts unless its policy says otherwise.
pub const DEFAULT_MAX_VALIDITY_SECS: u32 = 300;
