//! What is wrong with one key entry of a trust list.

use std::fmt;

/// Why one key entry of a trust list is unusable
/// ([`ListProblem::BadKey`](super::ListProblem::BadKey)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The `alg` is not an algorithm this build knows.
    UnknownAlg {
        /// The `alg` given.
        alg: String,
    },
    /// The `public_key` is not base64.
    NotBase64,
    /// The public key bytes are not a usable key of that algorithm.
    Unusable {
        /// Why the key is refused.
        why: String,
    },
    /// The `kid` is not the key id of the public key.
    KidMismatch {
        /// The key id of the public key, in hex.
        expected: String,
    },
    /// A validity bound is not an RFC 3339 time.
    BadTime {
        /// `not_before` or `not_after`.
        field: &'static str,
        /// The text given.
        text: String,
    },
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::UnknownAlg { alg } => write!(f, "unknown alg {alg:?}"),
            KeyProblem::NotBase64 => f.write_str("public_key is not base64"),
            KeyProblem::Unusable { why } => f.write_str(why),
            KeyProblem::KidMismatch { expected } => {
                write!(f, "kid does not match its public key (expected {expected})")
            }
            KeyProblem::BadTime { field, text } => {
                write!(f, "{field} {text:?} is not an RFC 3339 time")
            }
        }
    }
}
