//! The default Ed25519 verifier (off with `ring-ed25519-verify`): through
//! curve25519-dalek (pure Rust, AVX2 selected at run time) with a table
//! precomputed once per trusted key, and batch verification.
//!
//! # Same verdicts as ring
//!
//! A single check is ring's cofactorless equation: `s` must be canonical
//! (`s < L`), `k = SHA-512(R || A || message) mod L`, and the encoding of
//! `[s]B - [k]A` must equal the 32 bytes of `R`. Only the arithmetic differs:
//! ring decodes `A` and runs a double-scalar multiplication (about 253
//! doublings) on every call; here `[s]B` and `[k](-A)` are two fixed-base
//! multiplications without doublings, from curve25519-dalek's table of `B`
//! and a table of `-A` built once per key (30 KB, about 1 ms). Measured on
//! the reference machine: 22.6 µs against 30.4 µs for a Straus
//! multiplication with precomputed `B` and `-A` (docs/PERFORMANCE.md).
//!
//! # Batch equation
//!
//! For signatures `(R_i, s_i)` under one key, with fresh random 128-bit
//! `z_i`, a batch passes when
//! `[sum z_i s_i]B + [sum z_i k_i](-A) - sum [z_i]R_i` is the identity.
//! `R_i` whose encoding a single check could never match (not a point, `y`
//! not below `p`, or a negative zero `x`) and non-canonical `s_i` never
//! enter a batch. Every signature a single check accepts passes; a batch
//! holding any signature a single check refuses fails, except with
//! probability below 2^-120 over the `z_i`, with one exception that only a
//! trusted key's owner can produce: a signature whose `R` carries a
//! small-order component (ring's signer never makes one) is refused by the
//! single check and may pass a batch. See docs/PERFORMANCE.md.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{
    CompressedEdwardsY, EdwardsBasepointTable, EdwardsPoint, VartimeEdwardsPrecomputation,
};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{BasepointTable, IsIdentity, VartimePrecomputedMultiscalarMul};
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

use crate::keys::sizes::SIGNATURE_LEN;

/// Bytes of an Ed25519 public key, of `R` and of `s`.
const LEN: usize = 32;
/// Bytes of randomness per batch coefficient `z_i`.
const Z_LEN: usize = 16;

/// A trusted Ed25519 key made ready for fast checks: its raw bytes (hashed
/// into every challenge), the fixed-base table of `-A` for single checks,
/// and the Straus table of `B` and `-A` for batches.
pub(crate) struct PreparedKey {
    public: [u8; LEN],
    minus_a: Box<EdwardsBasepointTable>,
    table: VartimeEdwardsPrecomputation,
}

impl PreparedKey {
    /// Decodes and precomputes `public`; `None` when it is not a curve point
    /// (ring refuses every signature under such a key, and so do we).
    pub(crate) fn new(public: &[u8]) -> Option<Self> {
        let public: [u8; LEN] = public.try_into().ok()?;
        let a = CompressedEdwardsY(public).decompress()?;
        let minus_a = -a;
        Some(PreparedKey {
            public,
            minus_a: Box::new(EdwardsBasepointTable::create(&minus_a)),
            table: VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT, minus_a]),
        })
    }

    /// One signature, ring's verdict.
    pub(crate) fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let Some((r, s)) = split(sig) else {
            return false;
        };
        let Some(s) = canonical_scalar(s) else {
            return false;
        };
        let k = self.challenge(r, message);
        let r_check = EdwardsPoint::mul_base(&s) + self.minus_a.mul_base(&k);
        r_check.compress().as_bytes() == r
    }

    /// `k = SHA-512(R || A || message) mod L`.
    fn challenge(&self, r: &[u8; LEN], message: &[u8]) -> Scalar {
        challenge(&self.public, r, message)
    }

    /// True when every `(message, signature)` pair would pass
    /// [`PreparedKey::verify`], checked with one batch equation. `false`
    /// says that at least one would not (or that the system random
    /// generator failed); the caller then finds which by smaller batches or
    /// single checks.
    pub(crate) fn verify_batch(&self, items: &[(&[u8], &[u8])]) -> bool {
        let mut z_bytes = vec![0u8; Z_LEN * items.len()];
        if SystemRandom::new().fill(&mut z_bytes).is_err() {
            return false;
        }
        let mut b_coeff = Scalar::ZERO;
        let mut a_coeff = Scalar::ZERO;
        let mut r_coeffs = Vec::with_capacity(items.len());
        let mut r_points = Vec::with_capacity(items.len());
        for ((message, sig), z) in items.iter().zip(z_bytes.chunks_exact(Z_LEN)) {
            let Some((r, s)) = split(sig) else {
                return false;
            };
            let (Some(s), Some(r_point)) = (canonical_scalar(s), canonical_point(r)) else {
                return false;
            };
            let mut z_wide = [0u8; LEN];
            z_wide[..Z_LEN].copy_from_slice(z);
            let z = Scalar::from_bytes_mod_order(z_wide);
            b_coeff += z * s;
            a_coeff += z * self.challenge(r, message);
            r_coeffs.push(-z);
            r_points.push(r_point);
        }
        self.table
            .vartime_mixed_multiscalar_mul([b_coeff, a_coeff], &r_coeffs, &r_points)
            .is_identity()
    }
}

/// `k = SHA-512(R || A || message) mod L`.
fn challenge(public: &[u8; LEN], r: &[u8; LEN], message: &[u8]) -> Scalar {
    let mut ctx = digest::Context::new(&digest::SHA512);
    ctx.update(r);
    ctx.update(public);
    ctx.update(message);
    let mut wide = [0u8; 2 * LEN];
    wide.copy_from_slice(ctx.finish().as_ref());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// One signature under a key seen for the first time, with the same verdict
/// as [`PreparedKey::verify`] but no table of the key (building one takes
/// about 1 ms): a Straus double-scalar multiplication with curve25519-dalek's
/// table of `B`, as ring does. For a device key on its first presentation.
pub(crate) fn verify_unprepared(public: &[u8], message: &[u8], sig: &[u8]) -> bool {
    let Ok(public) = <[u8; LEN]>::try_from(public) else {
        return false;
    };
    let Some(a) = CompressedEdwardsY(public).decompress() else {
        return false;
    };
    let Some((r, s)) = split(sig) else {
        return false;
    };
    let Some(s) = canonical_scalar(s) else {
        return false;
    };
    let k = challenge(&public, r, message);
    let r_check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &-a, &s);
    r_check.compress().as_bytes() == r
}

/// `R` and `s` of a 64-byte signature.
fn split(sig: &[u8]) -> Option<(&[u8; LEN], &[u8; LEN])> {
    if sig.len() != SIGNATURE_LEN {
        return None;
    }
    let (r, s) = sig.split_at(LEN);
    Some((r.try_into().ok()?, s.try_into().ok()?))
}

/// `s` when it is below the group order `L`.
fn canonical_scalar(s: &[u8; LEN]) -> Option<Scalar> {
    Option::from(Scalar::from_canonical_bytes(*s))
}

/// The point `R` encodes, when its encoding is the one `compress` writes:
/// `y` below `p = 2^255 - 19` and no sign bit on `x = 0`. Only such an `R`
/// can equal the encoding a single check computes.
fn canonical_point(r: &[u8; LEN]) -> Option<EdwardsPoint> {
    let sign = r[LEN - 1] & 0x80 != 0;
    let mut y = *r;
    y[LEN - 1] &= 0x7F;
    // y >= p: the top 250 bits all set and the low byte at least 0xED.
    let at_least_p = y[0] >= 0xED && y[1..LEN - 1].iter().all(|&b| b == 0xFF) && y[LEN - 1] == 0x7F;
    if at_least_p {
        return None;
    }
    // x = 0 exactly when y = 1 or y = p - 1; its sign bit must be clear.
    let mut p_minus_one = [0xFFu8; LEN];
    p_minus_one[0] = 0xEC;
    p_minus_one[LEN - 1] = 0x7F;
    let mut one = [0u8; LEN];
    one[0] = 1;
    if sign && (y == one || y == p_minus_one) {
        return None;
    }
    CompressedEdwardsY(*r).decompress()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

    fn key() -> Ed25519KeyPair {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
    }

    fn ring_ok(public: &[u8], message: &[u8], sig: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, public)
            .verify(message, sig)
            .is_ok()
    }

    #[test]
    fn single_checks_agree_with_ring() {
        let pair = key();
        let public = pair.public_key().as_ref();
        let prepared = PreparedKey::new(public).unwrap();
        let message = b"medcode/1 a message";
        let sig = pair.sign(message).as_ref().to_vec();
        assert!(prepared.verify(message, &sig));
        assert!(ring_ok(public, message, &sig));
        // Every single-bit flip of the signature and of the message.
        for i in 0..sig.len() * 8 {
            let mut bad = sig.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                prepared.verify(message, &bad),
                ring_ok(public, message, &bad),
                "bit {i}"
            );
            assert!(!prepared.verify(message, &bad), "bit {i}");
        }
        let mut other = message.to_vec();
        other[3] ^= 1;
        assert!(!prepared.verify(&other, &sig));
        // s + L: the same scalar, not canonical; refused by both.
        let mut s_plus_l = sig.clone();
        let l: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (b, l) in s_plus_l[32..].iter_mut().zip(l) {
            let sum = u16::from(*b) + u16::from(l) + carry;
            *b = sum.to_le_bytes()[0];
            carry = sum >> 8;
        }
        assert!(!ring_ok(public, message, &s_plus_l));
        assert!(!prepared.verify(message, &s_plus_l));
        assert!(!prepared.verify_batch(&[(message, &s_plus_l)]));
        // Wrong lengths.
        assert!(!prepared.verify(message, &sig[..63]));
        assert!(!prepared.verify_batch(&[(message, &sig[..63])]));
    }

    #[test]
    fn batch_passes_only_when_every_signature_does() {
        let pair = key();
        let prepared = PreparedKey::new(pair.public_key().as_ref()).unwrap();
        let messages: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("medcode/1 message {i}").into_bytes())
            .collect();
        let sigs: Vec<Vec<u8>> = messages
            .iter()
            .map(|m| pair.sign(m).as_ref().to_vec())
            .collect();
        let items: Vec<(&[u8], &[u8])> = messages
            .iter()
            .zip(&sigs)
            .map(|(m, s)| (m.as_slice(), s.as_slice()))
            .collect();
        assert!(prepared.verify_batch(&items));
        assert!(prepared.verify_batch(&items[..1]));
        assert!(prepared.verify_batch(&[]));
        // One signature moved to another message.
        let mut swapped = items.clone();
        swapped[7].1 = items[8].1;
        assert!(!prepared.verify_batch(&swapped));
        // One flipped bit in R, and one in s.
        for byte in [5, 40] {
            let mut bad = sigs[13].clone();
            bad[byte] ^= 0x04;
            let mut with_bad = items.clone();
            with_bad[13].1 = &bad;
            assert!(!prepared.verify_batch(&with_bad), "byte {byte}");
        }
    }

    #[test]
    fn non_canonical_encodings_never_enter_a_batch() {
        // y = p (encodes 0), y = p + 1 (encodes 1), and negative zero x.
        let mut y_p = [0xFFu8; 32];
        y_p[0] = 0xED;
        y_p[31] = 0x7F;
        assert!(canonical_point(&y_p).is_none());
        let mut y_p1 = y_p;
        y_p1[0] = 0xEE;
        assert!(canonical_point(&y_p1).is_none());
        assert!(CompressedEdwardsY(y_p1).decompress().is_some());
        let mut neg_zero_identity = [0u8; 32];
        neg_zero_identity[0] = 1;
        assert!(canonical_point(&neg_zero_identity).is_some());
        neg_zero_identity[31] = 0x80;
        assert!(canonical_point(&neg_zero_identity).is_none());
        let mut neg_zero_order2 = [0xFFu8; 32];
        neg_zero_order2[0] = 0xEC;
        neg_zero_order2[31] = 0xFF;
        assert!(canonical_point(&neg_zero_order2).is_none());
        // The base point encodes canonically.
        let b = ED25519_BASEPOINT_POINT.compress();
        assert_eq!(canonical_point(b.as_bytes()), Some(ED25519_BASEPOINT_POINT));
    }

    #[test]
    fn a_key_that_is_not_a_point_is_not_prepared() {
        // y = 2 is not the y of any curve point.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        assert!(CompressedEdwardsY(bytes).decompress().is_none());
        assert!(PreparedKey::new(&bytes).is_none());
        assert!(PreparedKey::new(&[0u8; 31]).is_none());
    }
}
