//! Checks every committed test vector in tests/vectors/*.json: the verdict
//! JSON must match exactly, and the binary form must match its hex.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use medcode::qr::decode_image;
use medcode::replay::MemoryReplayGuard;
use medcode::verify::to_json;
use medcode::{
    ListKind, Reason, Region, RevocationList, RootKey, SignedList, TrustList, UnixTime,
    UntrustedDeviceCode, UntrustedToken, Verifier,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn vector_files() -> Vec<PathBuf> {
    let dir = vectors_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("readable vector")).expect("vector is JSON")
}

fn check(v: &Value) {
    let name = v["name"].as_str().expect("name");
    let trust = TrustList::from_json(v["trust_list"].to_string().as_bytes()).expect("trust list");
    let leeway = u32::try_from(v["leeway_secs"].as_u64().expect("leeway")).expect("leeway fits");
    let mut verifier = match v.get("signed_trust_list") {
        // A signed list: it must verify under the vector's root key, and
        // carry exactly the vector's trust list.
        Some(envelope) => {
            let root = RootKey::from_text(v["root_key"].as_str().expect("root_key")).expect("root");
            let signed =
                SignedList::from_json(envelope.to_string().as_bytes()).expect("signed list");
            let payload = signed.verify(&root, ListKind::Trust).expect("signature");
            let carried = TrustList::from_json(payload.payload()).expect("payload");
            assert_eq!(carried.keys(), trust.keys(), "{name}: signed payload");
            Verifier::from_signed(root, &signed).expect("signed verifier")
        }
        None => Verifier::new(trust),
    }
    .with_leeway(leeway);
    if let Some(r) = v["till_region"].as_str() {
        verifier = verifier.with_till_region(Region::new(r).expect("region"));
    }
    if let Some(list) = v.get("revocations") {
        let list = RevocationList::from_json(list.to_string().as_bytes()).expect("revocations");
        verifier = verifier.with_revocations(list);
    }
    if let Some(capacity) = v["replay_capacity"].as_u64() {
        let capacity = usize::try_from(capacity).expect("capacity fits");
        verifier = verifier.with_replay_guard(Arc::new(MemoryReplayGuard::with_capacity(capacity)));
    }
    let at = UnixTime::parse_rfc3339(v["verify_at"].as_str().expect("verify_at")).expect("time");
    if let Some(earlier) = v.get("presented_before") {
        for text in earlier.as_array().expect("presented_before is a list") {
            let text = text.as_str().expect("token text");
            verifier
                .verify(text, at)
                .unwrap_or_else(|e| panic!("{name}: an earlier presentation was refused: {e}"));
        }
    }
    let result = match v["image_file"].as_str() {
        // A scanned image: decoded, then verified exactly as if typed; the
        // vector's token is the text it holds (null when none is readable).
        Some(file) => {
            let png = std::fs::read(vectors_dir().join(file)).expect("the vector's image");
            let decoded = decode_image(&png);
            assert_eq!(
                decoded.as_ref().ok().map(String::as_str),
                v["token"].as_str(),
                "{name}: decoded text"
            );
            assert_eq!(
                v["text_len"].as_u64(),
                v["token"].as_str().map(|t| t.len() as u64),
                "{name}: text_len"
            );
            decoded.and_then(|text| verifier.verify(&text, at))
        }
        None => {
            let token = v["token"].as_str().expect("token");
            assert_eq!(
                v["text_len"].as_u64(),
                Some(token.len() as u64),
                "{name}: text_len"
            );
            verifier.verify(token, at)
        }
    };
    assert_eq!(to_json(&result), v["expected"], "{name}: verdict");
    let Some(token) = v["token"].as_str() else {
        return;
    };
    // The binary of a token or of a device code (MC2), whichever it is.
    let binary = UntrustedToken::parse(token)
        .map(|t| t.as_bytes().to_vec())
        .or_else(|_| UntrustedDeviceCode::parse(token).map(|d| d.as_bytes().to_vec()));
    match v["binary_hex"].as_str() {
        Some(hex_text) => {
            let bytes = binary.expect("parseable vector");
            assert_eq!(hex::encode(&bytes), hex_text, "{name}: binary");
            assert_eq!(
                v["binary_len"].as_u64(),
                Some(bytes.len() as u64),
                "{name}: binary_len"
            );
        }
        None => assert!(binary.is_err(), "{name}: unparseable"),
    }
}

#[test]
fn every_vector_gives_its_exact_verdict() {
    let files = vector_files();
    assert!(files.len() >= 23, "vectors are missing: {files:?}");
    for f in &files {
        check(&load(f));
    }
}

#[test]
fn every_token_rejection_reason_has_a_vector() {
    let mut covered = BTreeSet::new();
    let mut accepted = 0;
    for f in vector_files() {
        let v = load(&f);
        match v["expected"]["reason"].as_str() {
            Some(r) => {
                covered.insert(r.to_owned());
            }
            None => accepted += 1,
        }
    }
    for reason in [
        Reason::Malformed,
        Reason::UnsupportedVersion,
        Reason::UnknownKey,
        Reason::BadSignature,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::ValidityTooLong,
        Reason::CrossProvinceDisabled,
        Reason::Revoked,
        Reason::TrustListStale,
        Reason::Replayed,
        Reason::ReplayGuardFull,
        Reason::Unreadable,
        Reason::CredentialExpired,
        Reason::QuotaExceeded,
    ] {
        assert!(covered.contains(reason.as_str()), "no vector for {reason}");
    }
    assert!(accepted >= 5);
}

#[test]
fn the_format_walkthrough_matches_its_vector() {
    walkthrough_matches("walkthrough", "valid_self_ed25519");
}

#[test]
fn the_device_code_walkthrough_matches_its_vector() {
    walkthrough_matches("device-walkthrough", "valid_device_ed25519");
}

/// The table of docs/FORMAT.md between `<!-- MARKER:begin -->` and
/// `<!-- MARKER:end -->` spells out the binary of the vector `name`, and
/// the document shows its text.
fn walkthrough_matches(marker: &str, name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/FORMAT.md")).expect("docs/FORMAT.md");
    let v = load(&root.join(format!("tests/vectors/{name}.json")));
    let hex_text = v["binary_hex"].as_str().expect("hex");
    // The walk-through lists the token's bytes in a table whose first column
    // is the hex of each field; concatenated they are the whole token.
    let mut walked = String::new();
    let mut in_table = false;
    let (begin, end) = (
        format!("<!-- {marker}:begin -->"),
        format!("<!-- {marker}:end -->"),
    );
    for line in doc.lines() {
        if line.starts_with(&begin) {
            in_table = true;
        } else if line.starts_with(&end) {
            in_table = false;
        } else if in_table && line.starts_with("| `") {
            let cell = line.split('`').nth(1).expect("hex cell");
            walked.push_str(&cell.replace(' ', ""));
        }
    }
    assert_eq!(
        walked, hex_text,
        "docs/FORMAT.md walk-through disagrees with the vector"
    );
    let token = v["token"].as_str().expect("token");
    assert!(
        doc.contains(token),
        "docs/FORMAT.md must show the token text"
    );
}
