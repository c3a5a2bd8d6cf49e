//! Trust list parsing: a till may be handed a corrupt or hostile file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = medcode::TrustList::from_json(data) {
        // Whatever parses must serialise and parse back to the same list.
        let again = medcode::TrustList::from_json(list.to_json().as_bytes())
            .expect("a list we wrote parses");
        assert_eq!(again.keys(), list.keys());
    }
});
