//! Shared by the C ABI tests: demo-key tokens at fixed instants, and the
//! paths of the demo trust list and of the built library.

#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::path::{Path, PathBuf};
use std::ptr;

use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::lists::ListInfo;
use medcode::{
    Claims, InsuredId, Issuer, ListKind, MaskedName, Region, SignedList, SigningKey, TokenId,
    UnixTime,
};
use medcode_capi::{
    MEDCODE_OPTIONS_V2_SIZE, MEDCODE_OPTIONS_V4_SIZE, MedcodeOptions, MedcodeReason, MedcodeResult,
    MedcodeVerifier, medcode_last_error, medcode_options_init_size, medcode_verifier_new_from_file,
    medcode_verify,
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
    issue_with_id(claims, at, [1, 2, 3, 4, 5, 6, 7, 8])
}

/// A token for `claims` issued at `at` with the given token id.
pub fn issue_with_id(claims: &Claims, at: u64, id: [u8; 8]) -> String {
    demo_issuer()
        .issue_with_token_id(claims, UnixTime::from_secs(at), TokenId::from_bytes(id))
        .expect("issue")
        .text()
        .to_owned()
}

/// The demo root signing key (key id 630e36ad; keys/demo-root.pk8).
pub fn demo_root() -> SigningKey {
    read_private_key(&root().join("keys/demo-root.pk8"), PermissionPolicy::Warn)
        .expect("keys/demo-root.pk8 loads")
        .key
}

/// `payload` (the bytes of a trust or revocation list) signed by the demo
/// root with the given sequence and times.
pub fn sign(
    kind: ListKind,
    sequence: u64,
    issued_at: u64,
    next_update: u64,
    payload: &[u8],
) -> String {
    let info = ListInfo {
        kind,
        sequence,
        issued_at: UnixTime::from_secs(issued_at),
        next_update: UnixTime::from_secs(next_update),
    };
    SignedList::sign(&demo_root(), info, payload.to_vec())
        .expect("sign")
        .to_json()
}

/// A C string of a path.
pub fn c_path(path: &Path) -> CString {
    CString::new(path.to_str().expect("UTF-8 path")).expect("no NUL")
}

pub fn s(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: non-null (asserted); callers pass the ABI's static strings (reason_str, status,
    // scheme, relation, medcode_version), medcode_last_error's thread-local string (copied here
    // before the next medcode call) or a result buffer, which fill() always NUL-terminates.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

pub fn buf(b: &[c_char]) -> String {
    s(b.as_ptr())
}

pub fn last_error() -> String {
    s(medcode_last_error())
}

/// Version-2 options with the defaults, as the header of version 2's
/// `medcode_options_init(&opts)` macro makes them: `struct_size` is
/// `MEDCODE_OPTIONS_V2_SIZE` and the later fields are never read, so every
/// test using these shows that version-2 callers keep working.
pub fn options_v2() -> MedcodeOptions {
    // Zeroed first: the version-2 initialiser writes only its own bytes.
    let mut opts = std::mem::MaybeUninit::<MedcodeOptions>::zeroed();
    let size = usize::try_from(MEDCODE_OPTIONS_V2_SIZE).unwrap();
    // SAFETY: `opts` is a MaybeUninit<MedcodeOptions>: size_of::<MedcodeOptions>() writable bytes,
    // more than the version-2 size passed.
    let code = unsafe { medcode_options_init_size(opts.as_mut_ptr(), size) };
    assert_eq!(code, MedcodeReason::Ok);
    // SAFETY: zeroed, then initialised; every field is an integer or a raw
    // pointer, for which zero bytes are valid.
    let opts = unsafe { opts.assume_init() };
    assert_eq!(opts.struct_size, MEDCODE_OPTIONS_V2_SIZE);
    assert!(opts.state_path.is_null());
    opts
}

/// Options of the current header (version 4), with the defaults, as the
/// header's `medcode_options_init(&opts)` macro makes them.
pub fn options_v4() -> MedcodeOptions {
    let mut opts = std::mem::MaybeUninit::<MedcodeOptions>::uninit();
    // SAFETY: `opts` provides size_of::<MedcodeOptions>() writable bytes, exactly the size passed.
    let code = unsafe {
        medcode_options_init_size(opts.as_mut_ptr(), std::mem::size_of::<MedcodeOptions>())
    };
    assert_eq!(code, MedcodeReason::Ok);
    // SAFETY: the full-size init returned OK (asserted), so every byte was written from the
    // defaults; the struct has no padding (options.rs tests), so all of it is initialised.
    let opts = unsafe { opts.assume_init() };
    assert_eq!(opts.struct_size, MEDCODE_OPTIONS_V4_SIZE);
    opts
}

/// Creates a verifier from the trust list at `trust`; the code, and the
/// handle (null on failure).
pub fn try_new(trust: &Path, opts: &MedcodeOptions) -> (MedcodeReason, *mut MedcodeVerifier) {
    let path = c_path(trust);
    let mut v = ptr::dangling_mut::<MedcodeVerifier>();
    // SAFETY: `path` is a live CString; `opts` is a live reference to a whole struct whose string
    // fields every caller leaves null or points at live C strings; `v` is a writable local.
    let code = unsafe { medcode_verifier_new_from_file(path.as_ptr(), opts, &mut v) };
    assert_eq!(code == MedcodeReason::Ok, !v.is_null(), "{}", last_error());
    (code, v)
}

/// Creates a verifier that must succeed.
pub fn new_ok(trust: &Path, opts: &MedcodeOptions) -> *mut MedcodeVerifier {
    let (code, v) = try_new(trust, opts);
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    v
}

/// Creation that must fail with `code`; returns medcode_last_error.
pub fn new_err(trust: &Path, opts: &MedcodeOptions, code: MedcodeReason) -> String {
    let (got, v) = try_new(trust, opts);
    assert!(v.is_null());
    assert_eq!(got, code, "{}", last_error());
    last_error()
}

/// One verification; the returned code equals `result.reason`.
pub fn verify_at(v: *const MedcodeVerifier, token: &str, now: u64) -> MedcodeResult {
    let text = CString::new(token).unwrap();
    let mut r = std::mem::MaybeUninit::<MedcodeResult>::uninit();
    // SAFETY: callers pass a handle from new_ok that they free only after their last verify; `text`
    // is a live CString; `r` is a writable MaybeUninit<MedcodeResult>.
    let code = unsafe { medcode_verify(v, text.as_ptr(), now, r.as_mut_ptr()) };
    // SAFETY: `out` was non-null, and medcode_verify writes *out on every path then (also after a
    // caught panic).
    let r = unsafe { r.assume_init() };
    assert_eq!(code, r.reason);
    r
}

/// The reason [`verify_at`] gives for `token` at `now`.
pub fn reason_at(v: *const MedcodeVerifier, token: &str, now: u64) -> MedcodeReason {
    verify_at(v, token, now).reason
}

/// Asserts that `v` refuses `token` at `now` as replayed.
#[track_caller]
pub fn assert_replayed(v: *const MedcodeVerifier, token: &str, now: u64) {
    assert_eq!(reason_at(v, token, now), MedcodeReason::Replayed);
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

#[path = "../../../tests/support/tools.rs"]
mod tools;

/// True when the external `tool` (python3, c++) runs here. When it does
/// not, on a developer machine with only the Rust toolchain the test prints
/// a loud SKIPPED line past the harness's capture and is to return at once;
/// in CI (`CI` set, or `MEDCODE_REQUIRE_TOOLS=1`, which `.ci/run` sets) it
/// fails instead (the library's tests/support/tools.rs).
pub fn tool_or_skip(tool: &str, test: &str) -> bool {
    tools::tool_or_skip(tool, test)
}

/// Runs `cmd` with `input` on its standard input and its output captured;
/// `what` names the program in the panics.
pub fn output_with_input(
    cmd: &mut std::process::Command,
    input: &str,
    what: &str,
) -> std::process::Output {
    tools::output_with_input(cmd, input, what)
}
