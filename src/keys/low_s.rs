//! One ECDSA P-256 signature per token: the low-s form.
//!
//! If `(r, s)` verifies, so does `(r, n - s)`, where `n` is the order of the
//! P-256 group: anyone holding a token could write a second token text with
//! the same claims and token id. The issuer therefore emits only signatures
//! whose `s` is at most `floor(n / 2)` ("low s"), replacing ring's `s` by
//! `n - s` when it is above, and the verifier refuses the other form.
//!
//! The arithmetic is on 32-byte big-endian numbers, a fixed number of steps
//! whatever the value (no early exit, no branch on the digits): the issuer
//! runs it on every signature it makes.

/// Length of `r` and of `s` in a fixed-size P-256 signature.
const LEN: usize = 32;

/// The order `n` of the P-256 group, big-endian.
const ORDER: [u8; LEN] = [
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
];

/// `floor(n / 2)`, big-endian: the largest low `s`.
const HALF_ORDER: [u8; LEN] = [
    0x7F, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xDE, 0x73, 0x7D, 0x56, 0xD3, 0x8B, 0xCF, 0x42, 0x79, 0xDC, 0xE5, 0x61, 0x7E, 0x31, 0x92, 0xA8,
];

/// `a - b` modulo 2^256 and the final borrow (1 when `b > a`, else 0).
fn sub(a: &[u8; LEN], b: &[u8; LEN]) -> ([u8; LEN], u8) {
    let mut out = [0u8; LEN];
    let mut borrow = 0i16;
    for i in (0..LEN).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        // d is in -256..=255: its low byte is the digit, bit 8 the borrow.
        out[i] = d.to_be_bytes()[1];
        borrow = (d >> 8) & 1;
    }
    (out, borrow.to_be_bytes()[1])
}

/// The `s` half of a fixed-size signature, if it is one (64 bytes).
fn s_of(sig: &[u8]) -> Option<&[u8; LEN]> {
    if sig.len() != 2 * LEN {
        return None;
    }
    sig[LEN..].try_into().ok()
}

/// True when `sig` is a 64-byte `r || s` whose `s` is above `floor(n / 2)`:
/// the form the verifier refuses.
pub(crate) fn is_high_s(sig: &[u8]) -> bool {
    s_of(sig).is_some_and(|s| sub(&HALF_ORDER, s).1 == 1)
}

/// Rewrites a 64-byte `r || s` whose `s` is high into `r || n - s`, which
/// verifies as well and is low; a low `s` stays. For `0 < s < n` (every
/// signature ring makes), the result's `s` is low.
pub(crate) fn to_low_s(sig: &mut [u8; 2 * LEN]) {
    let mut s = [0u8; LEN];
    s.copy_from_slice(&sig[LEN..]);
    let high = sub(&HALF_ORDER, &s).1;
    let (negated, _) = sub(&ORDER, &s);
    // All ones when high, all zeros when low: select without a branch.
    let mask = 0u8.wrapping_sub(high);
    for (out, (neg, keep)) in sig[LEN..].iter_mut().zip(negated.iter().zip(s.iter())) {
        *out = (neg & mask) | (keep & !mask);
    }
}

/// Replaces `s` by `n - s` unconditionally: the twin of a signature.
#[cfg(test)]
pub(crate) fn negate_s_for_tests(sig: &mut [u8; 2 * LEN]) {
    let mut s = [0u8; LEN];
    s.copy_from_slice(&sig[LEN..]);
    sig[LEN..].copy_from_slice(&sub(&ORDER, &s).0);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig_with_s(s: [u8; LEN]) -> [u8; 2 * LEN] {
        let mut sig = [7u8; 2 * LEN];
        sig[LEN..].copy_from_slice(&s);
        sig
    }

    fn plus_one(x: &[u8; LEN]) -> [u8; LEN] {
        let mut one = [0u8; LEN];
        one[LEN - 1] = 1;
        // x + 1 = x - (2^256 - 1) modulo 2^256.
        let (minus_one, _) = sub(&[0u8; LEN], &one);
        sub(x, &minus_one).0
    }

    #[test]
    fn half_order_is_floor_of_n_over_two() {
        // n is odd, so n = 2 * floor(n / 2) + 1.
        let (rest, borrow) = sub(&ORDER, &HALF_ORDER);
        assert_eq!(borrow, 0);
        assert_eq!(rest, plus_one(&HALF_ORDER));
    }

    #[test]
    fn subtraction_borrows_exactly_when_b_is_larger() {
        let zero = [0u8; LEN];
        let mut one = [0u8; LEN];
        one[LEN - 1] = 1;
        assert_eq!(sub(&one, &zero), (one, 0));
        assert_eq!(sub(&zero, &one), ([0xFF; LEN], 1));
        assert_eq!(sub(&ORDER, &ORDER), (zero, 0));
        let mut big = [0u8; LEN];
        big[0] = 1;
        let mut expected = [0xFF; LEN];
        expected[0] = 0;
        assert_eq!(sub(&big, &one), (expected, 0));
    }

    #[test]
    fn the_boundary_is_floor_of_n_over_two() {
        assert!(!is_high_s(&sig_with_s(HALF_ORDER)));
        assert!(is_high_s(&sig_with_s(plus_one(&HALF_ORDER))));
        let mut n_minus_one = ORDER;
        n_minus_one[LEN - 1] -= 1;
        assert!(is_high_s(&sig_with_s(n_minus_one)));
        let mut one = [0u8; LEN];
        one[LEN - 1] = 1;
        assert!(!is_high_s(&sig_with_s(one)));
        // Not a 64-byte signature: not the high form either.
        assert!(!is_high_s(&[0xFF; 63]));
        assert!(!is_high_s(&[0xFF; 65]));
    }

    #[test]
    fn a_high_s_becomes_n_minus_s_and_a_low_s_stays() {
        let mut n_minus_one = ORDER;
        n_minus_one[LEN - 1] -= 1;
        let mut sig = sig_with_s(n_minus_one);
        to_low_s(&mut sig);
        let mut one = [0u8; LEN];
        one[LEN - 1] = 1;
        assert_eq!(sig, sig_with_s(one));
        assert_eq!(sig[..LEN], [7u8; LEN], "r is untouched");

        let mut sig = sig_with_s(plus_one(&HALF_ORDER));
        to_low_s(&mut sig);
        assert_eq!(sig, sig_with_s(HALF_ORDER));

        for low in [one, HALF_ORDER, [0x12; LEN]] {
            let mut sig = sig_with_s(low);
            to_low_s(&mut sig);
            assert_eq!(sig, sig_with_s(low));
        }
    }

    #[test]
    fn ring_signatures_made_low_still_verify_and_half_needed_it() {
        use ring::rand::SystemRandom;
        use ring::signature::{self, EcdsaKeyPair, KeyPair};
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let doc = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), &rng).unwrap();
        let public = signature::UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            pair.public_key().as_ref().to_vec(),
        );
        let mut high = 0;
        for i in 0..200u32 {
            let message = i.to_be_bytes();
            let mut sig = [0u8; 2 * LEN];
            sig.copy_from_slice(pair.sign(&rng, &message).unwrap().as_ref());
            high += u32::from(is_high_s(&sig));
            let before = sig;
            to_low_s(&mut sig);
            assert!(!is_high_s(&sig));
            assert!(
                public.verify(&message, &sig).is_ok(),
                "the low form verifies"
            );
            if before != sig {
                // s + (n - s) = n: the two forms are twins.
                let s: [u8; LEN] = before[LEN..].try_into().unwrap();
                let low: [u8; LEN] = sig[LEN..].try_into().unwrap();
                assert_eq!(sub(&ORDER, &s), (low, 0));
                assert!(
                    public.verify(&message, &before).is_ok(),
                    "ring accepts both"
                );
            }
        }
        // Half of ring's signatures are high; none in 200 has odds 2^-200.
        assert!((40..=160).contains(&high), "{high} of 200 were high");
    }
}
