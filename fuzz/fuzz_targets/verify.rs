//! Full verification with a fixed trust list (the test vectors' keys) at a
//! fixed time: nothing a customer shows may panic or be accepted unless it
//! was signed by the vector key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use medcode::{TrustList, UnixTime, Verifier};

const TRUST: &[u8] = include_bytes!("../trust.json");

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    // Without a replay guard: one input gives one verdict however often the
    // fuzzer runs it (a crash must reproduce), and memory does not grow.
    V.get_or_init(|| {
        Verifier::new(TrustList::from_json(TRUST).expect("fuzz trust list")).without_replay_guard()
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        // 2026-11-22T08:00:05Z, when the vector tokens are valid.
        let _ = verifier().verify(text, UnixTime::from_secs(1_795_334_405));
    }
});
