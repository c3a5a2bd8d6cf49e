//! The system's random source, for API keys and request-id prefixes.

use ring::rand::{SecureRandom, SystemRandom};

use medcode::Error;

/// Fills `bytes` from the system's random source.
pub(crate) fn fill(bytes: &mut [u8]) -> Result<(), Error> {
    SystemRandom::new().fill(bytes).map_err(|_| {
        Error::io(
            "the system random source",
            "read",
            std::io::Error::other("unavailable"),
        )
    })
}
