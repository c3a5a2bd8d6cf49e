//! Shared by the C ABI tests: demo-key tokens at fixed instants, and the
//! paths of the demo trust list and of the built library.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use medcode::{
    Claims, InsuredId, Issuer, MaskedName, PermissionPolicy, Region, TokenId, UnixTime,
    read_private_key,
};

/// 2026-11-22T08:00:00Z: the instant every till check in these tests runs at.
pub const NOW: u64 = 1_795_334_400;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("capi/ has a parent")
        .to_path_buf()
}

/// keys/trust.json: the demo trust list (public demo keys, never for real).
pub fn trust_path() -> PathBuf {
    root().join("keys/trust.json")
}

/// An issuer with the demo Ed25519 key (key id 32eac5b0), 60 s validity.
pub fn demo_issuer() -> Issuer {
    let loaded = read_private_key(&root().join("keys/demo-issuer.pk8"), PermissionPolicy::Warn)
        .expect("keys/demo-issuer.pk8 loads");
    Issuer::new(loaded.key)
}

/// Claims of the demo person: 20-digit id, "张*", Beijing, normal, employee.
pub fn demo_claims() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").expect("id"),
        Region::new("110000").expect("region"),
    );
    c.name = Some(MaskedName::new("张*").expect("name"));
    c
}

/// A token for `claims` issued at `at` with token id 0102030405060708.
pub fn issue(claims: &Claims, at: u64) -> String {
    demo_issuer()
        .issue_with_token_id(
            claims,
            UnixTime::from_secs(at),
            TokenId::from_bytes([1, 2, 3, 4, 5, 6, 7, 8]),
        )
        .expect("issue")
        .text()
        .to_owned()
}

/// Valid at NOW: issued 5 s before.
pub fn valid_token() -> String {
    issue(&demo_claims(), NOW - 5)
}

/// Issued an hour before NOW (2026-11-22T07:00:00Z), expired at 07:01:00Z.
pub fn expired_token() -> String {
    issue(&demo_claims(), NOW - 3600)
}

/// Not a token at all.
pub const GARBAGE: &str = "HELLO-NOT-A-CODE";

/// The verdict lines the C and Python tills print for valid, expired and
/// garbage, in that order.
pub fn expected_verdicts() -> String {
    [
        "accepted insured=12345678901234567890 name=张* region=110000 status=normal scheme=employee expires_at=1795334455",
        "rejected reason=expired code=5 detail=expired at 2026-11-22T07:01:00Z (checked at 2026-11-22T08:00:00Z)",
        "rejected reason=malformed code=1 detail=malformed token: not a medcode token (prefix MC1 missing)",
        "",
    ]
    .join("\n")
}

/// The directory holding the libmedcode_capi.so / .a that cargo built for
/// this test run: cargo builds every crate type of the library into the
/// deps/ folder that also holds the test binary.
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().expect("deps dir").to_path_buf();
    for name in ["libmedcode_capi.so", "libmedcode_capi.a"] {
        assert!(
            dir.join(name).is_file(),
            "{name} not found next to the test binary in {}",
            dir.display()
        );
    }
    dir
}
