//! Signing and verifying keys, through ring.
//!
//! Ed25519 is the default; ECDSA P-256 with SHA-256 and fixed-size (64-byte)
//! signatures and SM2DSA with SM3 (`crate::keys::sm2_dsa`, the national
//! commercial cryptography of GB/T 32918) are the alternatives. A P-256
//! signature is made and accepted only in its low-s form
//! (`crate::keys::low_s`), so that a token has one text; an Ed25519
//! signature has one form already (ring refuses an `S` that is not below
//! the group order), and so has an SM2 one (`r` and `s` in 1..n-1). A key
//! id is the first four bytes of the SHA-256 of the public key. Private
//! key bytes are held in a zeroizing buffer, are redacted in `Debug`, and
//! never appear in an error.
//!
//! Ed25519 signatures are checked by `crate::keys::fast_ed25519`
//! (curve25519-dalek) against a table built once per public key (on its first
//! check); the verdicts are ring's. The `ring-ed25519-verify` feature checks
//! them with ring instead ([`ED25519_BACKEND`](crate::limits::ED25519_BACKEND) says which).

pub(crate) mod compact;
#[cfg(not(feature = "ring-ed25519-verify"))]
pub(crate) mod fast_ed25519;
pub(crate) mod file;
pub(crate) mod low_s;
pub(crate) mod sizes;
pub(crate) mod sm2_dsa;

pub use file::{LoadedKey, PermissionPolicy, read_private_key, write_private_key};
use sizes::{KEY_ID_LEN, SIGNATURE_LEN};

use std::fmt;
use std::sync::Arc;
#[cfg(not(feature = "ring-ed25519-verify"))]
use std::sync::OnceLock;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde::{Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
#[cfg(not(feature = "ring-ed25519-verify"))]
use crate::keys::fast_ed25519::PreparedKey;
use crate::keys::sm2_dsa::{Sm2Signer, Sm2Verifier};

text_enum!(
    /// A signature algorithm, named `ed25519`, `p256` or `sm2`.
    Algorithm, "algorithm", Error::argument {
        /// Ed25519 (the default).
        Ed25519 => "ed25519",
        /// ECDSA on P-256 with SHA-256, fixed-size signatures.
        P256 => "p256",
        /// SM2DSA on the SM2 curve with SM3 and the user identity
        /// [`SM2_USER_ID`](crate::limits::SM2_USER_ID) (GB/T 32918.2, GM/T 0009), fixed-size signatures.
        Sm2 => "sm2",
    }
);

impl Algorithm {
    /// ring's algorithm, for the algorithms ring checks.
    fn ring_algorithm(self) -> Option<&'static dyn signature::VerificationAlgorithm> {
        match self {
            Algorithm::Ed25519 => Some(&signature::ED25519),
            Algorithm::P256 => Some(&signature::ECDSA_P256_SHA256_FIXED),
            Algorithm::Sm2 => None,
        }
    }

    const fn public_key_len(self) -> usize {
        match self {
            Algorithm::Ed25519 => 32,
            Algorithm::P256 | Algorithm::Sm2 => 65,
        }
    }
}

/// A key id: the first four bytes of SHA-256 over the public key (the raw
/// 32 bytes of an Ed25519 key, the 65-byte uncompressed point of a P-256 or
/// SM2 key). Written as 8 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; KEY_ID_LEN]);

impl KeyId {
    /// Derives the key id of a public key.
    pub fn of_public_key(public_key: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest.as_ref()[..KEY_ID_LEN]);
        KeyId(id)
    }

    /// Wraps raw key-id bytes (as found in a token).
    pub const fn from_bytes(bytes: [u8; KEY_ID_LEN]) -> Self {
        KeyId(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }

    /// Parses the 8-hex-digit form.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `text` is not exactly 8
    /// hex digits.
    pub fn parse_hex(text: &str) -> Result<Self> {
        let mut id = [0u8; KEY_ID_LEN];
        hex::decode_to_slice(text, &mut id).map_err(|_| Error::InvalidArgument {
            what: "key id",
            why: format!("{text:?} is not 8 hex digits"),
        })?;
        Ok(KeyId(id))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl Serialize for KeyId {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A public key with its algorithm and derived key id.
#[derive(Clone)]
pub struct PublicKey {
    alg: Algorithm,
    bytes: Vec<u8>,
    kid: KeyId,
    /// The fast backend's table, built on the first check and shared by
    /// clones (`None` inside: not a curve point).
    #[cfg(not(feature = "ring-ed25519-verify"))]
    prepared: Arc<OnceLock<Option<PreparedKey>>>,
    /// An SM2 key, parsed when the key is made (the point checked).
    sm2: Option<Arc<Sm2Verifier>>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.alg == other.alg && self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// Checks the length (and, for P-256 and SM2, the uncompressed point
    /// form) of raw public key bytes; a P-256 or SM2 key must also be a
    /// point of its curve, so a key labelled with another algorithm than
    /// its own is refused.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `bytes` is not 32 bytes for Ed25519
    /// or 65 bytes for P-256 and SM2, a P-256 or SM2 key does not start with
    /// `0x04`, or a P-256 or SM2 key is not on its curve.
    pub fn from_bytes(alg: Algorithm, bytes: &[u8]) -> Result<Self> {
        if bytes.len() != alg.public_key_len() {
            return Err(Error::key(format!(
                "a {alg} public key is {} bytes, this one is {}",
                alg.public_key_len(),
                bytes.len()
            )));
        }
        if alg == Algorithm::P256 && bytes[0] != 0x04 {
            return Err(Error::key(
                "a p256 public key must be an uncompressed point (0x04...)",
            ));
        }
        // A key of another curve (an SM2 key labelled p256) would load and
        // then refuse every code as `bad_signature`: refused here instead.
        if alg == Algorithm::P256 && p256::PublicKey::from_sec1_bytes(bytes).is_err() {
            return Err(Error::key(
                "a p256 public key must be a point of the P-256 curve (is it a key of another algorithm?)",
            ));
        }
        let sm2 = match alg {
            Algorithm::Sm2 => Some(Arc::new(Sm2Verifier::from_uncompressed(bytes)?)),
            Algorithm::Ed25519 | Algorithm::P256 => None,
        };
        Ok(PublicKey {
            alg,
            bytes: bytes.to_vec(),
            kid: KeyId::of_public_key(bytes),
            #[cfg(not(feature = "ring-ed25519-verify"))]
            prepared: Arc::default(),
            sm2,
        })
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The raw public key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The derived key id.
    pub const fn key_id(&self) -> KeyId {
        self.kid
    }

    /// Checks a signature over `message`. A P-256 signature whose `s` is
    /// above half the group order is refused although the curve equation
    /// holds: its twin with `n - s` is the one form accepted. An SM2
    /// signature's `r` and `s` must be in 1..n-1.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        if self.signature_form_problem(sig).is_some() {
            return false;
        }
        if let Some(sm2) = &self.sm2 {
            return sm2.verify(message, sig);
        }
        // A key that is not a curve point has no table; ring refuses every
        // signature under such a key too.
        #[cfg(not(feature = "ring-ed25519-verify"))]
        if self.alg == Algorithm::Ed25519 {
            return self
                .prepared_ed25519()
                .is_some_and(|p| p.verify(message, sig));
        }
        self.alg.ring_algorithm().is_some_and(|alg| {
            signature::UnparsedPublicKey::new(alg, &self.bytes)
                .verify(message, sig)
                .is_ok()
        })
    }
}

impl PublicKey {
    /// [`PublicKey::verify`], but a P-256 signature's `s` may be in either
    /// half: for device signatures, made by phones' secure hardware, which
    /// does not normalize `s`. Their replay id does not depend on the
    /// signature, so the twin of a code is the same code to the guard.
    pub(crate) fn verify_either_s(&self, message: &[u8], sig: &[u8]) -> bool {
        match self.alg {
            Algorithm::P256 => {
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.bytes)
                    .verify(message, sig)
                    .is_ok()
            }
            Algorithm::Ed25519 | Algorithm::Sm2 => self.verify(message, sig),
        }
    }

    /// [`PublicKey::verify_either_s`] for a key seen for the first time: an
    /// Ed25519 key whose table is not built yet is checked without building
    /// it (about 1 ms), by the same equation. The table comes with the
    /// key's next check.
    pub(crate) fn verify_first_sight(&self, message: &[u8], sig: &[u8]) -> bool {
        #[cfg(not(feature = "ring-ed25519-verify"))]
        if self.alg == Algorithm::Ed25519 && self.prepared.get().is_none() {
            return fast_ed25519::verify_unprepared(&self.bytes, message, sig);
        }
        self.verify_either_s(message, sig)
    }

    /// Why `sig` is refused under this key whatever the message, if it is:
    /// a P-256 signature in its high-s form, an SM2 signature whose `r` or
    /// `s` is out of range.
    pub(crate) fn signature_form_problem(&self, sig: &[u8]) -> Option<&'static str> {
        match self.alg {
            Algorithm::P256 => low_s::is_high_s(sig).then_some(
                "its p256 signature has a high s (above half the group order); only the low-s form is accepted, so that each token has one text",
            ),
            Algorithm::Sm2 => sm2_dsa::form_problem(sig),
            Algorithm::Ed25519 => None,
        }
    }
}

#[cfg(not(feature = "ring-ed25519-verify"))]
impl PublicKey {
    /// The fast backend's table of an Ed25519 key that is a curve point.
    pub(crate) fn prepared_ed25519(&self) -> Option<&PreparedKey> {
        if self.alg != Algorithm::Ed25519 {
            return None;
        }
        self.prepared
            .get_or_init(|| PreparedKey::new(&self.bytes))
            .as_ref()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish()
    }
}

enum Pair {
    Ed25519(Ed25519KeyPair),
    P256(EcdsaKeyPair),
    Sm2(Sm2Signer),
}

/// A private signing key. Its PKCS#8 bytes are zeroized when dropped and
/// never printed: `Debug` shows only the algorithm and key id.
pub struct SigningKey {
    pair: Pair,
    pkcs8: Zeroizing<Vec<u8>>,
    public: PublicKey,
    rng: SystemRandom,
}

impl SigningKey {
    /// Generates a fresh key with ring's system randomness.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) if the system random generator fails.
    pub fn generate(alg: Algorithm) -> Result<Self> {
        let rng = SystemRandom::new();
        let doc = match alg {
            Algorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8(&rng),
            Algorithm::P256 => {
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
            Algorithm::Sm2 => {
                let (pair, pkcs8) = Sm2Signer::generate(&rng)?;
                return Self::with_pair(Pair::Sm2(pair), pkcs8, rng);
            }
        }
        .map_err(|_| Error::key("the system random generator failed"))?;
        Self::from_pkcs8(doc.as_ref())
    }

    /// Loads a key from PKCS#8 DER bytes, detecting the algorithm.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `der` is not a PKCS#8 Ed25519,
    /// ECDSA P-256 or SM2 private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = Zeroizing::new(der.to_vec());
        let pair = if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            Pair::Ed25519(pair)
        } else if let Ok(pair) =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
        {
            Pair::P256(pair)
        } else if let Ok(pair) = Sm2Signer::from_pkcs8(der) {
            Pair::Sm2(pair)
        } else {
            return Err(Error::key(
                "not a PKCS#8 Ed25519, ECDSA P-256 or SM2 private key",
            ));
        };
        Self::with_pair(pair, pkcs8, rng)
    }

    fn with_pair(pair: Pair, pkcs8: Zeroizing<Vec<u8>>, rng: SystemRandom) -> Result<Self> {
        let public = match &pair {
            Pair::Ed25519(p) => PublicKey::from_bytes(Algorithm::Ed25519, p.public_key().as_ref()),
            Pair::P256(p) => PublicKey::from_bytes(Algorithm::P256, p.public_key().as_ref()),
            Pair::Sm2(p) => PublicKey::from_bytes(Algorithm::Sm2, p.public_key()),
        }?;
        Ok(SigningKey {
            pair,
            pkcs8,
            public,
            rng,
        })
    }

    /// The PKCS#8 DER bytes, for writing to a key file.
    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public half.
    pub const fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The algorithm.
    pub const fn algorithm(&self) -> Algorithm {
        self.public.alg
    }

    /// The key id.
    pub const fn key_id(&self) -> KeyId {
        self.public.kid
    }

    /// Signs `message`, returning a 64-byte signature; a P-256 one in its
    /// low-s form, an SM2 one as `r || s`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN]> {
        let mut out = [0u8; SIGNATURE_LEN];
        match &self.pair {
            Pair::Ed25519(p) => out.copy_from_slice(p.sign(message).as_ref()),
            Pair::P256(p) => {
                let sig = p
                    .sign(&self.rng, message)
                    .map_err(|_| Error::key("ECDSA signing failed"))?;
                out.copy_from_slice(sig.as_ref());
                low_s::to_low_s(&mut out);
            }
            Pair::Sm2(p) => out = p.sign(message)?,
        }
        Ok(out)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.public.alg)
            .field("kid", &self.public.kid)
            .field("private", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_every_algorithm() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            assert_eq!(key.algorithm(), alg);
            let sig = key.sign(b"hello").unwrap();
            assert!(key.public_key().verify(b"hello", &sig));
            assert!(!key.public_key().verify(b"hellp", &sig));
            let again = SigningKey::from_pkcs8(key.pkcs8()).unwrap();
            assert_eq!(again.key_id(), key.key_id());
        }
    }

    #[test]
    fn p256_signatures_are_low_s_and_their_twins_refused() {
        let key = SigningKey::generate(Algorithm::P256).unwrap();
        for i in 0..64u32 {
            let message = i.to_be_bytes();
            let sig = key.sign(&message).unwrap();
            assert!(!low_s::is_high_s(&sig), "signature {i} is high-s");
            assert!(key.public_key().verify(&message, &sig));
            assert_eq!(key.public_key().signature_form_problem(&sig), None);
            let mut twin = sig;
            low_s::negate_s_for_tests(&mut twin);
            assert!(low_s::is_high_s(&twin));
            assert!(!key.public_key().verify(&message, &twin));
            assert!(key.public_key().signature_form_problem(&twin).is_some());
        }
        // Ed25519 signatures have no such form rule.
        let ed = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let sig = [0xFF; SIGNATURE_LEN];
        assert_eq!(ed.public_key().signature_form_problem(&sig), None);
    }

    #[test]
    fn key_id_is_sha256_prefix() {
        let kid = KeyId::of_public_key(b"");
        // SHA-256("") = e3b0c442...
        assert_eq!(kid.to_string(), "e3b0c442");
        assert_eq!(KeyId::parse_hex("e3b0c442").unwrap(), kid);
        assert!(KeyId::parse_hex("e3b0c4").is_err());
        assert!(KeyId::parse_hex("zzzzzzzz").is_err());
    }

    #[test]
    fn debug_never_shows_private_bytes() {
        let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains("<redacted>"));
        assert!(!debug.contains(&hex::encode(key.pkcs8())));
        assert!(!debug.contains(&format!("{:?}", key.pkcs8())));
    }

    #[test]
    fn garbage_is_not_a_key() {
        let err = SigningKey::from_pkcs8(b"not a key").unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_key");
        assert!(PublicKey::from_bytes(Algorithm::Ed25519, &[0; 31]).is_err());
        assert!(PublicKey::from_bytes(Algorithm::P256, &[0; 65]).is_err());
        assert!(PublicKey::from_bytes(Algorithm::Sm2, &[0; 65]).is_err());
        assert!(PublicKey::from_bytes(Algorithm::Sm2, &[4; 65]).is_err());
    }

    #[test]
    fn an_sm2_key_is_told_apart_from_a_p256_key_of_the_same_shape() {
        let sm2 = SigningKey::generate(Algorithm::Sm2).unwrap();
        let again = SigningKey::from_pkcs8(sm2.pkcs8()).unwrap();
        assert_eq!(again.algorithm(), Algorithm::Sm2);
        assert_eq!(again.key_id(), sm2.key_id());
        assert_eq!(sm2.public_key().as_bytes().len(), 65);
        assert_eq!(
            sm2.key_id(),
            KeyId::of_public_key(sm2.public_key().as_bytes())
        );
        // The point is on the SM2 curve, not P-256's: labelled p256 it is
        // refused as a key at all (it would verify nothing).
        let message = b"medcode/1 sm2";
        let sig = sm2.sign(message).unwrap();
        assert!(sm2.public_key().verify(message, &sig));
        let as_p256 =
            PublicKey::from_bytes(Algorithm::P256, sm2.public_key().as_bytes()).unwrap_err();
        assert_eq!(as_p256.reason().as_str(), "invalid_key");
        assert!(as_p256.to_string().contains("P-256 curve"), "{as_p256}");
        let debug = format!("{sm2:?}");
        assert!(debug.contains("<redacted>") && debug.contains("Sm2"));
        assert!(!debug.contains(&hex::encode(sm2.pkcs8())));
    }
}
