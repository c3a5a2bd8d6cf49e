//! Codes made offline on the phone (format version 2, text prefix `MC2`).
//!
//! The issuer certifies a device key for a bounded time and number of codes
//! (a **device credential**, made by [`Issuer::enrol_device`](crate::Issuer::enrol_device));
//! the phone then signs each code itself with that key, with no network
//! ([`DeviceHolder`](crate::DeviceHolder), in `crate::issue`); a till checks both signatures
//! offline ([`Verifier::verify`](crate::Verifier::verify)). A screenshot goes
//! stale as an issuer's code does, and a forwarded credential cannot make
//! new codes without the device key. docs/FORMAT.md walks through one code
//! byte by byte; docs/SECURITY.md says what each of the screen, the
//! credential file and the device key lets an attacker do.
//!
//! A device code is the credential followed by the code's fields. All
//! integers big-endian:
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | version (high nibble, 2) and claim flags (low nibble, as in a token) |
//! | 4 | issuer key id |
//! | 8 | credential id, random: the unit of revocation |
//! | 4 | not-before (enrolment), Unix seconds |
//! | 2 | lifetime in minutes (not-after = not-before + 60 × minutes; at most 7 days) |
//! | 1 | the longest validity a code may claim, seconds |
//! | 2 | offline quota: counters 0 up to quota − 1 |
//! | 1 | device key algorithm: 1 Ed25519, 2 P-256 |
//! | 32 or 33 | device public key: Ed25519's 32 bytes, P-256's compressed point |
//! | 3 + n + m (+ k) | the claims exactly as a token carries them (region and name length, identifier, name, presenter block of a delegate) |
//! | 64 | issuer signature over `"medcode/2/credential" ‖ all bytes above` |
//! | 3 | generation time, seconds after not-before |
//! | 2 | counter |
//! | 1 | validity, seconds |
//! | 64 | device signature over `"medcode/2/code" ‖ all bytes above` |
//!
//! Sizes: a self device code with a P-256 key and the largest identifier
//! and name is 209 bytes, 507 characters of text, QR version 10 at level M;
//! a delegate one 224 bytes, version 11-M (`tests/device.rs` asserts both).
//! The replay guard records each code under a token id derived from
//! (credential id, counter), so one counter is accepted once.

pub(crate) mod code;
pub(crate) mod credential;

pub(crate) use code::{CODE_FIELDS_LEN, CodeFields, MAX_GENERATION_OFFSET, push_fields, replay_id};
pub(crate) use credential::{CredentialBody, encode_body};

/// The message the issuer signs for a credential's signed part.
pub(crate) fn credential_message(signed: &[u8]) -> Vec<u8> {
    credential::signed_message(signed)
}

/// The message the device signs for a code's signed part.
pub(crate) fn code_message(signed: &[u8]) -> Vec<u8> {
    code::signed_message(signed)
}
