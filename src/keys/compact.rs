//! The compact form of a public key inside a device credential: an Ed25519
//! key as its 32 bytes, a P-256 key as its SEC1 compressed point (33 bytes:
//! `0x02` or `0x03` and the x coordinate) instead of the 65-byte
//! uncompressed point. The 32 bytes saved keep a device code within QR
//! version 10 at level M (docs/FORMAT.md). SM2 is not a device-key algorithm.

use p256::elliptic_curve::sec1::ToEncodedPoint;

use super::{Algorithm, PublicKey};
use crate::error::{Error, Result};

/// Bytes of a compact Ed25519 key.
pub(crate) const ED25519_COMPACT_LEN: usize = 32;
/// Bytes of a compressed P-256 point.
pub(crate) const P256_COMPACT_LEN: usize = 33;

impl Algorithm {
    /// The length of a key's compact form, for the device-key algorithms.
    pub(crate) const fn compact_len(self) -> Option<usize> {
        match self {
            Algorithm::Ed25519 => Some(ED25519_COMPACT_LEN),
            Algorithm::P256 => Some(P256_COMPACT_LEN),
            Algorithm::Sm2 => None,
        }
    }
}

impl PublicKey {
    /// The compact form: Ed25519's 32 bytes, P-256's compressed point.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) for an SM2 key (not a device-key
    /// algorithm) or a P-256 key that is not a curve point.
    pub fn to_compact(&self) -> Result<Vec<u8>> {
        match self.algorithm() {
            Algorithm::Ed25519 => Ok(self.as_bytes().to_vec()),
            Algorithm::P256 => {
                let point = p256::PublicKey::from_sec1_bytes(self.as_bytes())
                    .map_err(|_| Error::key("the p256 public key is not a point of the curve"))?;
                Ok(point.to_encoded_point(true).as_bytes().to_vec())
            }
            Algorithm::Sm2 => Err(Error::key(
                "a device key is ed25519 or p256; sm2 keys sign as issuers only",
            )),
        }
    }

    /// Reads a compact form back: a P-256 point is decompressed (and so
    /// checked to be on the curve).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `bytes` has the wrong length
    /// for `alg`, is not a compressed point on P-256, or `alg` is SM2.
    pub fn from_compact(alg: Algorithm, bytes: &[u8]) -> Result<Self> {
        match alg {
            Algorithm::Ed25519 => PublicKey::from_bytes(alg, bytes),
            Algorithm::P256 => {
                if bytes.len() != P256_COMPACT_LEN || !matches!(bytes[0], 0x02 | 0x03) {
                    return Err(Error::key(
                        "a compact p256 key is a 33-byte compressed point (0x02 or 0x03, then x)",
                    ));
                }
                let point = p256::PublicKey::from_sec1_bytes(bytes).map_err(|_| {
                    Error::key("the compressed p256 key is not a point of the curve")
                })?;
                PublicKey::from_bytes(alg, point.to_encoded_point(false).as_bytes())
            }
            Algorithm::Sm2 => Err(Error::key(
                "a device key is ed25519 or p256; sm2 keys sign as issuers only",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningKey;

    #[test]
    fn compact_forms_round_trip() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let key = SigningKey::generate(alg).unwrap();
            let compact = key.public_key().to_compact().unwrap();
            assert_eq!(Some(compact.len()), alg.compact_len());
            let back = PublicKey::from_compact(alg, &compact).unwrap();
            assert_eq!(&back, key.public_key());
        }
    }

    #[test]
    fn bad_compact_keys_are_refused() {
        let key = SigningKey::generate(Algorithm::P256).unwrap();
        let mut compact = key.public_key().to_compact().unwrap();
        // An uncompressed tag, and an x with no point (x = p - 1 is not on
        // the curve for one of the two tags at most; all-0xFF is above p).
        compact[0] = 0x04;
        assert!(PublicKey::from_compact(Algorithm::P256, &compact).is_err());
        let mut above_p = vec![0x02];
        above_p.extend([0xFF; 32]);
        assert!(PublicKey::from_compact(Algorithm::P256, &above_p).is_err());
        assert!(PublicKey::from_compact(Algorithm::P256, &compact[..32]).is_err());
        let sm2 = SigningKey::generate(Algorithm::Sm2).unwrap();
        assert!(sm2.public_key().to_compact().is_err());
        assert!(PublicKey::from_compact(Algorithm::Sm2, &[2; 33]).is_err());
    }
}
