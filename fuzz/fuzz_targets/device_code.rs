//! Device code parsing (`MC2`): any bytes a scanner hands over,
//! as text and as a binary; a parsed code re-encodes to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(code) = medcode::UntrustedDeviceCode::parse(text)
    {
        assert!(code.binary_len() <= medcode::limits::MAX_DEVICE_BINARY_LEN);
        let again = medcode::UntrustedDeviceCode::parse(&code.to_text()).expect("round trip");
        assert_eq!(again.as_bytes(), code.as_bytes());
    }
    if let Ok(code) = medcode::UntrustedDeviceCode::from_bytes(data) {
        assert_eq!(code.as_bytes(), data);
        let _ = medcode::DeviceCredential::from_bytes(&data[..data.len().min(154)]);
    }
});
