//! SM2 signatures (SM2DSA with the SM3 hash, GB/T 32918.2 / GM/T 0003.2),
//! through RustCrypto's `sm2` crate.
//!
//! Every medcode SM2 key uses the standard's default user identity
//! `1234567812345678` (GM/T 0009): the signed hash is
//! `SM3(Z || message)` with `Z = SM3(ENTL || ID || a || b || xG || yG ||
//! xA || yA)`, as in GB/T 32918.2 and as OpenSSL (`distid`) and gmssl
//! compute it. A signature is `r || s`, 32 bytes each, big-endian.
//!
//! Signing is deterministic: the crate derives `k` from the private key and
//! the hash as RFC 6979 does, with HMAC-SM3 (`Signer::sign`); a verifier
//! cannot tell such a `k` from a random one, and the same key signing the
//! same bytes gives the same signature (like Ed25519), which is what keeps
//! the test vectors reproducible.
//!
//! One form per signature: the crate refuses an `r` or `s` of zero or not
//! below the group order `n` when it parses the signature, and an
//! `r + s = n` while verifying. SM2 has no "high-s" twin: `(r, n - s)`
//! changes `t = r + s` and so the point `[s]G + [t]P` (tested).

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The user identity (distinguishing identifier) of every medcode SM2 key:
/// the default of GM/T 0009.
pub const SM2_USER_ID: &str = "1234567812345678";

/// Which code signs and checks SM2 signatures.
pub const SM2_BACKEND: &str = "sm2 (RustCrypto)";

/// An SM2 public key parsed once (the curve point checked, `Z` computed).
#[derive(Clone)]
pub(crate) struct Sm2Verifier(sm2::dsa::VerifyingKey);

impl Sm2Verifier {
    /// Parses an uncompressed SEC1 point `0x04 || x || y` on the SM2 curve.
    pub(crate) fn from_uncompressed(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 65 || bytes[0] != 0x04 {
            return Err(Error::key(
                "an sm2 public key must be an uncompressed point (0x04, then 64 bytes)",
            ));
        }
        sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_USER_ID, bytes)
            .map(Sm2Verifier)
            .map_err(|_| Error::key("this sm2 public key is not a point of the SM2 curve"))
    }

    /// Checks `sig` (`r || s`) over `message`.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        sm2::dsa::Signature::from_slice(sig).is_ok_and(|sig| self.0.verify(message, &sig).is_ok())
    }
}

/// Why a 64-byte `sig` can never verify under any SM2 key, if it cannot: an
/// `r` or `s` that is zero or not below `n`.
pub(crate) fn form_problem(sig: &[u8]) -> Option<&'static str> {
    sm2::dsa::Signature::from_slice(sig).is_err().then_some(
        "its sm2 signature has an r or s that is zero or not below the group order n; only r and s in 1..n-1 are accepted, so that each token has one text",
    )
}

/// An SM2 private key with its PKCS#8 form.
pub(crate) struct Sm2Signer {
    key: sm2::dsa::SigningKey,
    public: [u8; 65],
}

impl Sm2Signer {
    /// A fresh key from ring's system randomness, with its PKCS#8 DER.
    pub(crate) fn generate(rng: &SystemRandom) -> Result<(Self, Zeroizing<Vec<u8>>)> {
        // A 32-byte string is a valid scalar unless it is 0 or >= n (a chance
        // near 2^-32 per draw): draw again then.
        for _ in 0..64 {
            let mut bytes = Zeroizing::new([0u8; 32]);
            rng.fill(&mut bytes[..])
                .map_err(|_| Error::key("the system random generator failed"))?;
            if let Ok(secret) = sm2::SecretKey::from_slice(&bytes[..]) {
                let der = secret
                    .to_pkcs8_der()
                    .map_err(|_| Error::key("encoding the sm2 key as PKCS#8 failed"))?;
                let pkcs8 = Zeroizing::new(der.as_bytes().to_vec());
                return Ok((Self::from_secret(&secret)?, pkcs8));
            }
        }
        Err(Error::key("the system random generator failed"))
    }

    /// Loads a PKCS#8 private key of the SM2 curve (`id-ecPublicKey` with
    /// the curve `1.2.156.10197.1.301`, as OpenSSL writes it).
    pub(crate) fn from_pkcs8(der: &[u8]) -> Result<Self> {
        let secret = sm2::SecretKey::from_pkcs8_der(der)
            .map_err(|_| Error::key("not a PKCS#8 SM2 private key"))?;
        Self::from_secret(&secret)
    }

    fn from_secret(secret: &sm2::SecretKey) -> Result<Self> {
        let key = sm2::dsa::SigningKey::new(SM2_USER_ID, secret)
            .map_err(|_| Error::key("not a usable SM2 private key"))?;
        let point = key.verifying_key().to_encoded_point(false);
        let public = <[u8; 65]>::try_from(point.as_bytes())
            .map_err(|_| Error::key("the sm2 public key is not 65 bytes"))?;
        Ok(Sm2Signer { key, public })
    }

    /// The public key, uncompressed (`0x04 || x || y`).
    pub(crate) const fn public_key(&self) -> &[u8; 65] {
        &self.public
    }

    /// Signs `message`: `r || s`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<[u8; 64]> {
        let sig: sm2::dsa::Signature = self
            .key
            .try_sign(message)
            .map_err(|_| Error::key("SM2 signing failed"))?;
        Ok(sig.to_bytes())
    }
}

impl fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sm2Signer(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order of the SM2 group, big-endian.
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x72, 0x03, 0xDF, 0x6B, 0x21, 0xC6, 0x05, 0x2B, 0x53, 0xBB, 0xF4, 0x09, 0x39, 0xD5,
        0x41, 0x23,
    ];

    /// `n - x` for a 32-byte big-endian `x < n`.
    fn n_minus(x: &[u8]) -> [u8; 32] {
        let mut out = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(N[i]) - i16::from(x[i]) - borrow;
            out[i] = u8::try_from(d.rem_euclid(256)).unwrap();
            borrow = i16::from(d < 0);
        }
        out
    }

    fn key() -> Sm2Signer {
        Sm2Signer::generate(&SystemRandom::new()).unwrap().0
    }

    #[test]
    fn signs_verifies_and_reloads() {
        let (signer, pkcs8) = Sm2Signer::generate(&SystemRandom::new()).unwrap();
        let verifier = Sm2Verifier::from_uncompressed(signer.public_key()).unwrap();
        let sig = signer.sign(b"medcode/1 body").unwrap();
        assert!(verifier.verify(b"medcode/1 body", &sig));
        assert!(!verifier.verify(b"medcode/1 bodz", &sig));
        // Deterministic: the same bytes give the same signature.
        assert_eq!(signer.sign(b"medcode/1 body").unwrap(), sig);
        let again = Sm2Signer::from_pkcs8(&pkcs8).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        assert_eq!(again.sign(b"medcode/1 body").unwrap(), sig);
    }

    #[test]
    fn out_of_range_scalars_and_the_n_minus_s_twin_are_refused() {
        let signer = key();
        let verifier = Sm2Verifier::from_uncompressed(signer.public_key()).unwrap();
        let message = b"one form per signature";
        let sig = signer.sign(message).unwrap();
        assert_eq!(form_problem(&sig), None);
        let (r, s) = sig.split_at(32);
        let with = |r: &[u8], s: &[u8]| -> [u8; 64] {
            let mut out = [0u8; 64];
            out[..32].copy_from_slice(r);
            out[32..].copy_from_slice(s);
            out
        };
        let zero = [0u8; 32];
        let ones = [0xFFu8; 32];
        let mut n_plus_1 = N;
        n_plus_1[31] += 1;
        for bad in [
            with(&zero, s),
            with(r, &zero),
            with(&N, s),
            with(r, &N),
            with(&n_plus_1, s),
            with(r, &ones),
        ] {
            assert!(!verifier.verify(message, &bad));
            assert!(form_problem(&bad).is_some());
        }
        // (r, n - s) is in range but does not verify: no high-s twin.
        let twin = with(r, &n_minus(s));
        assert_eq!(form_problem(&twin), None);
        assert!(!verifier.verify(message, &twin));
        // r + s = n (t = 0) is refused too.
        let t_zero = with(r, &n_minus(r));
        assert!(!verifier.verify(message, &t_zero));
    }

    #[test]
    fn points_off_the_curve_and_other_forms_are_refused() {
        let signer = key();
        let mut off = *signer.public_key();
        off[64] ^= 1;
        assert_eq!(
            Sm2Verifier::from_uncompressed(&off)
                .err()
                .unwrap()
                .to_string(),
            "invalid key: this sm2 public key is not a point of the SM2 curve"
        );
        let compressed = [&[0x02u8][..], &signer.public_key()[1..33]].concat();
        assert!(Sm2Verifier::from_uncompressed(&compressed).is_err());
        assert!(Sm2Verifier::from_uncompressed(&[0u8; 65]).is_err());
        assert!(Sm2Signer::from_pkcs8(b"not a key").is_err());
        assert!(!format!("{signer:?}").contains(&hex::encode(&signer.public_key()[1..])));
    }
}
