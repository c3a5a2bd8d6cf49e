//! Signed list parsing and checking against a pinned root (the test
//! vectors' root key): nothing may panic, a parsed envelope round-trips,
//! and whatever verifies carries a well-formed list of its kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use medcode::{ListKind, RevocationList, RootKey, SignedList, TrustList, Verifier};

const ROOT: &str = include_str!("../../tests/vectors/keys/vector-root.pub");

fuzz_target!(|data: &[u8]| {
    let Ok(signed) = SignedList::from_json(data) else {
        return;
    };
    let again = SignedList::from_json(signed.to_json().as_bytes()).expect("an envelope we wrote parses");
    assert_eq!(again, signed);
    let root = RootKey::from_text(ROOT).expect("fuzz root key");
    if let Ok(v) = signed.verify(&root, ListKind::Trust) {
        assert!(TrustList::from_json(v.payload()).is_ok());
        assert!(Verifier::from_signed(root.clone(), &signed).is_ok());
    }
    if let Ok(v) = signed.verify(&root, ListKind::Revocation) {
        assert!(RevocationList::from_json(v.payload()).is_ok());
    }
});
