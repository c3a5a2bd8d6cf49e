//! QR image decoding: any bytes handed over as a PNG or JPEG.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = medcode::qr::decode_image(data) {
        // Whatever decodes is bounded text, then checked like typed text.
        let _ = medcode::UntrustedToken::parse(&text);
    }
});
