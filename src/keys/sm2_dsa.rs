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
//!
//! Verification follows the crate's steps B1 to B7 (GB/T 32918.2 §7) with
//! the crate's own field and point arithmetic, but computes `[s]G + [t]P`
//! from tables of precomputed multiples (`Comb`): one for `G`, built once,
//! and one per public key, built on its first check and shared by clones,
//! as the Ed25519 backend does. The crate computes it as two constant-time
//! scalar multiplications, about four times the time (docs/PERFORMANCE.md); a verifier handles
//! only public data, so the tables are walked in variable time. Its
//! verdicts are the crate's `VerifyingKey::verify` (tested on valid,
//! damaged and random signatures, and by the interoperability tests).

use std::fmt;
use std::sync::{Arc, OnceLock};

use ring::rand::{SecureRandom, SystemRandom};
use sm2::dsa::signature::Signer;
use sm2::elliptic_curve::group::Group;
use sm2::elliptic_curve::ops::Reduce;
use sm2::elliptic_curve::point::AffineCoordinates;
use sm2::elliptic_curve::point::BatchNormalize;
use sm2::elliptic_curve::sec1::ToEncodedPoint;
use sm2::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sm2::{AffinePoint, FieldBytes, ProjectivePoint, Scalar, U256};
use sm3::{Digest, Sm3};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The user identity (distinguishing identifier) of every medcode SM2 key:
/// the default of GM/T 0009.
pub const SM2_USER_ID: &str = "1234567812345678";

/// Which code signs and checks SM2 signatures.
pub const SM2_BACKEND: &str = "sm2 (RustCrypto)";

/// The SM2 curve's `a`, `b` and generator, big-endian (GB/T 32918.5): the
/// inputs of `Z`.
const CURVE_A_B_G: [&str; 4] = [
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC",
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93",
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7",
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0",
];

/// Multiples of one point for multiplying it by any scalar with additions
/// only: `rows[i][j - 1] = j * 16^i * P` for the 64 base-16 digits `i` of a
/// scalar and the digit values `j` in 1..15 (960 affine points, about 70 KiB).
struct Comb {
    rows: Vec<[AffinePoint; 15]>,
}

impl Comb {
    fn new(point: ProjectivePoint) -> Self {
        let mut rows = Vec::with_capacity(64);
        let mut base = point;
        for _ in 0..64 {
            let mut row = [base; 15];
            for j in 1..15 {
                row[j] = row[j - 1] + base;
            }
            rows.push(ProjectivePoint::batch_normalize(&row));
            base = base.double().double().double().double();
        }
        Comb { rows }
    }

    /// `k * P`, in variable time (for public scalars only).
    fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let bytes = k.to_bytes();
        let mut acc = ProjectivePoint::IDENTITY;
        for (i, row) in self.rows.iter().enumerate() {
            let byte = bytes[31 - i / 2];
            let digit = usize::from(if i % 2 == 0 { byte & 0x0F } else { byte >> 4 });
            if digit != 0 {
                acc += &row[digit - 1];
            }
        }
        acc
    }
}

/// The table of the generator, built on the first SM2 check.
fn generator_comb() -> &'static Comb {
    static COMB: OnceLock<Comb> = OnceLock::new();
    COMB.get_or_init(|| Comb::new(ProjectivePoint::GENERATOR))
}

/// An SM2 public key parsed once: the curve point checked, `Z` hashed, and
/// (on its first check) its table built.
#[derive(Clone)]
pub(crate) struct Sm2Verifier {
    key: sm2::dsa::VerifyingKey,
    /// `Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA)`.
    z: [u8; 32],
    comb: Arc<OnceLock<Comb>>,
}

impl Sm2Verifier {
    /// Parses an uncompressed SEC1 point `0x04 || x || y` on the SM2 curve.
    pub(crate) fn from_uncompressed(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 65 || bytes[0] != 0x04 {
            return Err(Error::key(
                "an sm2 public key must be an uncompressed point (0x04, then 64 bytes)",
            ));
        }
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(SM2_USER_ID, bytes)
            .map_err(|_| Error::key("this sm2 public key is not a point of the SM2 curve"))?;
        let mut z = Sm3::new();
        let id_bits = u16::try_from(SM2_USER_ID.len() * 8).unwrap_or(u16::MAX);
        z.update(id_bits.to_be_bytes());
        z.update(SM2_USER_ID.as_bytes());
        for constant in CURVE_A_B_G {
            let mut b = [0u8; 32];
            hex::decode_to_slice(constant, &mut b).map_err(|_| Error::key("curve constant"))?;
            z.update(b);
        }
        z.update(&bytes[1..]);
        Ok(Sm2Verifier {
            key,
            z: z.finalize().into(),
            comb: Arc::default(),
        })
    }

    /// Checks `sig` (`r || s`) over `message`: GB/T 32918.2 §7.1, B1 to B7.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        // B1, B2: r and s in 1..n-1 (the crate's parser).
        let Ok(sig) = sm2::dsa::Signature::from_slice(sig) else {
            return false;
        };
        let (r, s) = (*sig.r(), *sig.s());
        // B3, B4: e = SM3(Z || M).
        let digest = Sm3::new_with_prefix(self.z)
            .chain_update(message)
            .finalize();
        let e = <Scalar as Reduce<U256>>::reduce_bytes(&digest);
        // B5: t = r + s, not 0.
        let t = r + s;
        if bool::from(t.is_zero()) {
            return false;
        }
        // B6: (x1, y1) = [s]G + [t]P.
        let comb = self
            .comb
            .get_or_init(|| Comb::new(ProjectivePoint::from(*self.key.as_affine())));
        let point = generator_comb().mul(&s) + comb.mul(&t);
        // B7: R = e + x1 mod n must equal r.
        let x: FieldBytes = point.to_affine().x();
        r == e + <Scalar as Reduce<U256>>::reduce_bytes(&x)
    }

    /// The crate's own check, the reference the tests compare with.
    #[cfg(test)]
    pub(crate) fn verify_by_the_crate(&self, message: &[u8], sig: &[u8]) -> bool {
        use sm2::dsa::signature::Verifier as _;
        sm2::dsa::Signature::from_slice(sig).is_ok_and(|sig| self.key.verify(message, &sig).is_ok())
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
    fn the_tables_give_the_crates_verdicts() {
        let signer = key();
        let verifier = Sm2Verifier::from_uncompressed(signer.public_key()).unwrap();
        let stranger = Sm2Verifier::from_uncompressed(key().public_key()).unwrap();
        let mut agreed = [0usize; 2];
        for i in 0u32..300 {
            let message = i.to_be_bytes();
            let sig = signer.sign(&message).unwrap();
            let mut damaged = sig;
            damaged[usize::try_from(i % 64).unwrap()] ^= 1 << (i % 8);
            let mut random = [0u8; 64];
            SystemRandom::new().fill(&mut random).unwrap();
            for (v, m, s) in [
                (&verifier, &message[..], sig),
                (&verifier, &message[..], damaged),
                (&verifier, &b"other"[..], sig),
                (&stranger, &message[..], sig),
                (&verifier, &message[..], random),
            ] {
                let fast = v.verify(m, &s);
                assert_eq!(fast, v.verify_by_the_crate(m, &s), "case {i}");
                agreed[usize::from(fast)] += 1;
            }
        }
        assert_eq!(agreed, [1200, 300]);
        // The example of GM/T 0003.5 Annex A.
        let public = hex::decode("0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13").unwrap();
        let sig = hex::decode("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA").unwrap();
        let annex = Sm2Verifier::from_uncompressed(&public).unwrap();
        assert_eq!(
            hex::encode_upper(annex.z),
            "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"
        );
        assert!(annex.verify(b"message digest", &sig));
        assert!(annex.verify_by_the_crate(b"message digest", &sig));
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
