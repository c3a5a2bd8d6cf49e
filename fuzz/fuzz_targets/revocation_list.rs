//! Revocation list parsing: a till may be handed a corrupt or hostile file,
//! and the parser packs identifiers as it reads them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = medcode::RevocationList::from_json(data) {
        // Whatever parses must serialise and parse back to the same list,
        // and serialise to the same bytes again.
        let json = list.to_json();
        let again =
            medcode::RevocationList::from_json(json.as_bytes()).expect("a list we wrote parses");
        assert_eq!(again, list);
        assert_eq!(again.to_json(), json);
    }
});
