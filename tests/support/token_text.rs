//! The text form of a binary token written out independently of the
//! library: the tests and the vector generator check the library's against
//! it.

/// The text form of a binary token (docs/FORMAT.md): `MC1` and the bytes
/// as one big-endian number in decimal, zero-padded to the digits of
/// 256^n - 1. Schoolbook arithmetic, independent of the library's.
pub fn token_text(bytes: &[u8]) -> String {
    fn decimal(bytes: &[u8]) -> String {
        let mut num = bytes.to_vec();
        let mut digits = Vec::new();
        while num.iter().any(|&b| b != 0) {
            let mut rem = 0u32;
            for b in &mut num {
                let cur = (rem << 8) | u32::from(*b);
                *b = u8::try_from(cur / 10).expect("a byte");
                rem = cur % 10;
            }
            digits.push(char::from(b'0' + u8::try_from(rem).expect("a digit")));
        }
        digits.iter().rev().collect()
    }
    let width = decimal(&vec![0xFF; bytes.len()]).len();
    format!("MC1{:0>width$}", decimal(bytes))
}
