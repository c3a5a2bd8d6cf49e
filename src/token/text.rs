//! The QR text form of a token: a fixed prefix and the binary token written
//! as one big decimal number.
//!
//! Digits survive every keyboard-style barcode scanner unchanged and QR
//! numeric mode packs them at 10 bits per 3 digits, about 8.03 bits per
//! binary byte: denser than base45 (8.25) and close to byte mode (8.0), which
//! a printable-ASCII text cannot use. A binary of `n` bytes is written as
//! exactly `D(n)` digits, where `D(n)` is the number of decimal digits of
//! `256^n - 1`; leading zeros pad it to that width. Each digit count maps
//! back to one byte count, and a number too large for that count is
//! refused, so every binary has exactly one text form.

use crate::error::{Error, Result};

/// The prefix of version-1 tokens (codes the issuer signs). Accepted in any
/// letter case on input, since some scanners flip case when Caps Lock is on.
pub const PREFIX: &str = "MC1";

/// The prefix of device codes (format version 2: a device credential and a
/// code the phone signed, see `crate::device`), in any letter case on input.
pub const DEVICE_PREFIX: &str = "MC2";

/// Longest code text accepted, in bytes, checked before any decoding: the
/// prefix and the digits of the longest device code
/// ([`MAX_DEVICE_BINARY_LEN`] bytes, 540 digits).
pub const MAX_TEXT_LEN: usize = 543;

/// Longest binary token, in bytes.
pub(crate) const MAX_BINARY_LEN: usize = 200;

/// Longest binary device code, in bytes: a delegate credential with the
/// longest identifiers, a P-256 device key, and the code's fields.
pub const MAX_DEVICE_BINARY_LEN: usize = 224;

/// Which format a code text's prefix names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TextKind {
    /// `MC1`: a token the issuer signed.
    Token,
    /// `MC2`: a device code.
    Device,
}

impl TextKind {
    fn prefix(self) -> &'static str {
        match self {
            TextKind::Token => PREFIX,
            TextKind::Device => DEVICE_PREFIX,
        }
    }

    fn max_binary_len(self) -> usize {
        match self {
            TextKind::Token => MAX_BINARY_LEN,
            TextKind::Device => MAX_DEVICE_BINARY_LEN,
        }
    }
}

const CHUNK_DIGITS: usize = 18;
const CHUNK: u64 = 1_000_000_000_000_000_000; // 10^18
/// Digits read per step when decoding: 10^19 < 2^64.
const DECODE_CHUNK_DIGITS: usize = 19;

/// Number of decimal digits used for a binary of `n` bytes.
pub(crate) fn digits_for_len(n: usize) -> usize {
    // ceil(n * 8 * log10(2)); exact for every n up to MAX_BINARY_LEN, as the
    // unit test checks against big-number arithmetic.
    const LOG10_256: f64 = 2.408_239_965_311_849_6;
    if n == 0 {
        return 0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let d = (n as f64 * LOG10_256).ceil() as usize;
    d
}

/// The byte length (at most `max_len`) whose text form has `digits`
/// digits, if any.
fn len_for_digits(digits: usize, max_len: usize) -> Option<usize> {
    // D(n) grows by 2 or 3 per byte, so n is near digits / 2.408.
    let guess = digits * 1000 / 2409;
    (guess.saturating_sub(1)..=guess + 2).find(|&n| n <= max_len && digits_for_len(n) == digits)
}

/// Writes `bytes` as its decimal text form (without prefix).
pub(crate) fn bytes_to_digits(bytes: &[u8]) -> String {
    let width = digits_for_len(bytes.len());
    // Little-endian base-2^64 limbs.
    let mut limbs: Vec<u64> = bytes
        .rchunks(8)
        .map(|chunk| chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
        .collect();
    let mut groups: Vec<u64> = Vec::with_capacity(width / CHUNK_DIGITS + 1);
    while limbs.iter().any(|&l| l != 0) {
        let mut rem: u128 = 0;
        for limb in limbs.iter_mut().rev() {
            let cur = (rem << 64) | u128::from(*limb);
            let q = cur / u128::from(CHUNK);
            rem = cur % u128::from(CHUNK);
            *limb = u64::try_from(q).unwrap_or(u64::MAX);
        }
        groups.push(u64::try_from(rem).unwrap_or(0));
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut out = String::with_capacity(width + CHUNK_DIGITS);
    for (i, g) in groups.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&g.to_string());
        } else {
            out.push_str(&format!("{g:018}"));
        }
    }
    if out.len() < width {
        let mut padded = "0".repeat(width - out.len());
        padded.push_str(&out);
        out = padded;
    }
    out
}

/// Reads a decimal text form back into at most `max_len` bytes, refusing
/// any digit count or value that no binary produces.
pub(crate) fn digits_to_bytes(digits: &str, max_len: usize) -> Result<Vec<u8>> {
    if digits.is_empty() {
        return Err(Error::Malformed("no digits after the prefix"));
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Malformed("only digits may follow the prefix"));
    }
    let n = len_for_digits(digits.len(), max_len).ok_or(Error::Malformed(
        "the number of digits matches no token length",
    ))?;
    let limb_count = n.div_ceil(8);
    let mut limbs = vec![0u64; limb_count];
    // Limbs that may be non-zero so far: the number grows by about one
    // limb per chunk, so only those are multiplied.
    let mut used = 0;
    let first = digits.len() % DECODE_CHUNK_DIGITS;
    let mut start = 0;
    let mut step = if first == 0 {
        DECODE_CHUNK_DIGITS
    } else {
        first
    };
    while start < digits.len() {
        // All ASCII digits (checked above): at most 19 of them fit a u64.
        let value = digits.as_bytes()[start..start + step]
            .iter()
            .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
        let mul = u128::from(10u64.pow(u32::try_from(step).unwrap_or(0)));
        let mut carry = u128::from(value);
        for limb in &mut limbs[..used] {
            let cur = u128::from(*limb) * mul + carry;
            *limb = u64::try_from(cur & u128::from(u64::MAX)).unwrap_or(0);
            carry = cur >> 64;
        }
        if carry != 0 {
            let Some(limb) = limbs.get_mut(used) else {
                return Err(Error::Malformed("the number is too large for its length"));
            };
            // carry < 2^64: it is at most (2^64 - 1) * 10^19 / 2^64 plus one.
            *limb = u64::try_from(carry).unwrap_or(u64::MAX);
            used += 1;
        }
        start += step;
        step = DECODE_CHUNK_DIGITS;
    }
    let mut bytes = Vec::with_capacity(limb_count * 8);
    for limb in limbs.iter().rev() {
        bytes.extend_from_slice(&limb.to_be_bytes());
    }
    let excess = bytes.len() - n;
    if bytes[..excess].iter().any(|&b| b != 0) {
        return Err(Error::Malformed("the number is too large for its length"));
    }
    bytes.drain(..excess);
    Ok(bytes)
}

/// Full text form of a token: prefix `MC1` and digits.
pub(crate) fn encode(bytes: &[u8]) -> String {
    encode_as(TextKind::Token, bytes)
}

/// Full text form of `kind`: its prefix and the digits of `bytes`.
pub(crate) fn encode_as(kind: TextKind, bytes: &[u8]) -> String {
    let mut out = String::from(kind.prefix());
    out.push_str(&bytes_to_digits(bytes));
    out
}

/// Splits the prefix `MC1` off a token text and decodes the digits; a
/// device code's `MC2` is `unsupported_version` here.
pub(crate) fn decode(text: &str) -> Result<Vec<u8>> {
    match decode_any(text)? {
        (TextKind::Token, bytes) => Ok(bytes),
        (TextKind::Device, _) => Err(Error::UnsupportedVersion { found: 2 }),
    }
}

/// Splits the prefix (`MC1` or `MC2`) off a code text and decodes the
/// digits; another version digit is `unsupported_version`.
pub(crate) fn decode_any(text: &str) -> Result<(TextKind, Vec<u8>)> {
    // Scanners add a leading space or a trailing CR/LF or tab: ASCII
    // whitespace around the text is not part of it. Inside it, it is refused.
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.len() > MAX_TEXT_LEN {
        return Err(Error::Malformed("token text is longer than any token"));
    }
    let head = text
        .get(..PREFIX.len())
        .ok_or(Error::Malformed("token text is too short"))?;
    let kind = if head.eq_ignore_ascii_case(PREFIX) {
        TextKind::Token
    } else if head.eq_ignore_ascii_case(DEVICE_PREFIX) {
        TextKind::Device
    } else {
        let bytes = text.as_bytes();
        if bytes.len() >= 3 && bytes[..2].eq_ignore_ascii_case(b"MC") && bytes[2].is_ascii_digit() {
            return Err(Error::UnsupportedVersion {
                found: bytes[2] - b'0',
            });
        }
        return Err(Error::Malformed("not a medcode token (prefix MC1 missing)"));
    };
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(Error::Malformed(
            "whitespace inside the token text (two codes, or a broken scan?)",
        ));
    }
    let bytes = digits_to_bytes(&text[PREFIX.len()..], kind.max_binary_len())?;
    Ok((kind, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decimal digit count of 256^n - 1, by schoolbook big-number division.
    fn exact_digits(n: usize) -> usize {
        bytes_to_digits_unpadded(&vec![0xFF; n]).len()
    }

    fn bytes_to_digits_unpadded(bytes: &[u8]) -> String {
        let mut num: Vec<u8> = bytes.to_vec();
        let mut out = Vec::new();
        while num.iter().any(|&b| b != 0) {
            let mut rem = 0u32;
            for b in num.iter_mut() {
                let cur = (rem << 8) | u32::from(*b);
                *b = u8::try_from(cur / 10).unwrap();
                rem = cur % 10;
            }
            out.push(char::from(b'0' + u8::try_from(rem).unwrap()));
        }
        out.iter().rev().collect()
    }

    #[test]
    fn digit_counts_are_exact_and_invertible() {
        for n in 1..=MAX_DEVICE_BINARY_LEN {
            assert_eq!(digits_for_len(n), exact_digits(n), "n = {n}");
            let max = MAX_DEVICE_BINARY_LEN;
            assert_eq!(len_for_digits(digits_for_len(n), max), Some(n), "n = {n}");
        }
        // Digit counts between two lengths belong to no length.
        assert_eq!(len_for_digits(4, MAX_BINARY_LEN), None);
        assert_eq!(len_for_digits(1, MAX_BINARY_LEN), None);
        // A token stops at MAX_BINARY_LEN bytes, a device code further.
        let d = digits_for_len(MAX_BINARY_LEN + 1);
        assert_eq!(len_for_digits(d, MAX_BINARY_LEN), None);
        assert_eq!(
            len_for_digits(d, MAX_DEVICE_BINARY_LEN),
            Some(MAX_BINARY_LEN + 1)
        );
        // The longest text is the longest device code's.
        assert_eq!(
            MAX_TEXT_LEN,
            DEVICE_PREFIX.len() + digits_for_len(MAX_DEVICE_BINARY_LEN)
        );
    }

    #[test]
    fn round_trips_with_leading_zeros() {
        let cases: Vec<Vec<u8>> = vec![
            vec![0],
            vec![0, 0, 1],
            vec![0xFF; 101],
            (0u8..200).collect(),
            vec![0; 102],
        ];
        for bytes in cases {
            let digits = bytes_to_digits(&bytes);
            assert_eq!(digits.len(), digits_for_len(bytes.len()));
            assert_eq!(digits_to_bytes(&digits, MAX_BINARY_LEN).unwrap(), bytes);
        }
    }

    #[test]
    fn every_length_round_trips_and_the_largest_digits_are_refused() {
        for n in 1..=MAX_BINARY_LEN {
            let mixed: Vec<u8> = (0..n).map(|i| (i * 37 + n) as u8).collect();
            for bytes in [vec![0xFF; n], vec![0; n], mixed] {
                let digits = bytes_to_digits(&bytes);
                assert_eq!(
                    digits_to_bytes(&digits, MAX_BINARY_LEN).unwrap(),
                    bytes,
                    "n = {n}"
                );
            }
            // 10^D(n) - 1 is always above 256^n - 1.
            let nines = "9".repeat(digits_for_len(n));
            assert_eq!(
                digits_to_bytes(&nines, MAX_BINARY_LEN)
                    .unwrap_err()
                    .reason()
                    .as_str(),
                "malformed",
                "n = {n}"
            );
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(bytes_to_digits(&[0x01, 0x00]), "00256");
        assert_eq!(bytes_to_digits(&[0xFF]), "255");
        assert_eq!(digits_to_bytes("00256", 2).unwrap(), vec![1, 0]);
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        // Three digits encode one byte: 256 does not fit.
        assert_eq!(
            digits_to_bytes("256", MAX_BINARY_LEN)
                .unwrap_err()
                .reason()
                .as_str(),
            "malformed"
        );
        assert_eq!(
            digits_to_bytes("99", MAX_BINARY_LEN)
                .unwrap_err()
                .reason()
                .as_str(),
            "malformed"
        );
        assert_eq!(
            digits_to_bytes("12a", MAX_BINARY_LEN)
                .unwrap_err()
                .reason()
                .as_str(),
            "malformed"
        );
        assert_eq!(
            digits_to_bytes("", MAX_BINARY_LEN)
                .unwrap_err()
                .reason()
                .as_str(),
            "malformed"
        );
    }

    #[test]
    fn prefix_rules() {
        assert_eq!(decode("MC1255").unwrap(), vec![255]);
        assert_eq!(decode("mc1255").unwrap(), vec![255]);
        assert_eq!(
            decode("MC2255").unwrap_err().reason().as_str(),
            "unsupported_version"
        );
        assert_eq!(decode_any("mc2255").unwrap(), (TextKind::Device, vec![255]));
        assert_eq!(
            decode_any("MC3255").unwrap_err().reason().as_str(),
            "unsupported_version"
        );
        assert_eq!(decode("XX1255").unwrap_err().reason().as_str(), "malformed");
        assert_eq!(decode("M").unwrap_err().reason().as_str(), "malformed");
        assert_eq!(decode("é").unwrap_err().reason().as_str(), "malformed");
        let long = format!("MC1{}", "1".repeat(MAX_TEXT_LEN));
        assert_eq!(decode(&long).unwrap_err().reason().as_str(), "malformed");
    }
}
