//! Token text parsing: any bytes a scanner hands over.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(token) = medcode::UntrustedToken::parse(text)
    {
        // A parsed token is within the format's bounds.
        assert!(token.binary_len() <= 200);
        assert_eq!(token.as_bytes().len(), token.binary_len());
    }
});
