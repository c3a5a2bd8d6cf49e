//! Signed trust and revocation lists through the C ABI: a pinned root key,
//! revocations, updates of a running verifier (rollback refused, the list
//! in force kept), staleness notices and refusals, and list status. The
//! lists are signed here by the demo root (keys/demo-root.pk8, key id
//! 630e36ad). NOW is 2026-11-22T08:00:00Z.

mod common;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr;

use common::{
    NOW, buf, c_path, demo_claims, issue_with_id, last_error, new_err, new_ok, options_v2,
    options_v4, root, s, sign, trust_path, valid_token, verify_at,
};
use medcode::lists::RevocationReason;
use medcode::{InsuredId, KeyId, ListKind, RevocationList, UnixTime};
use medcode_capi::*;

const DAY: u64 = 24 * 3600;
/// 2026-11-01T08:00:00Z, when the test lists are signed.
const SIGNED_AT: u64 = NOW - 21 * DAY;

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Files {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// keys/trust.json signed with `sequence`, due at `next_update`.
    fn trust(&self, name: &str, sequence: u64, next_update: u64) -> PathBuf {
        let payload = std::fs::read(trust_path()).unwrap();
        self.write(
            name,
            &sign(ListKind::Trust, sequence, SIGNED_AT, next_update, &payload),
        )
    }

    /// A trust list without the demo Ed25519 key (only the P-256 one).
    fn trust_without_demo_key(&self, name: &str, sequence: u64) -> PathBuf {
        let mut list = medcode::TrustList::from_file(&trust_path()).unwrap();
        let keys: Vec<_> = list
            .keys()
            .iter()
            .filter(|k| k.key.key_id().to_string() != "32eac5b0")
            .cloned()
            .collect();
        list = medcode::TrustList::new(keys).unwrap();
        self.write(
            name,
            &sign(
                ListKind::Trust,
                sequence,
                SIGNED_AT,
                NOW + 30 * DAY,
                list.to_json().as_bytes(),
            ),
        )
    }

    /// A revocation list revoking the demo insured person from 07:00 today.
    fn revocations(&self) -> String {
        let mut list = RevocationList::new();
        list.revoke_insured(
            &InsuredId::new("12345678901234567890").unwrap(),
            UnixTime::from_secs(NOW - 3600),
        )
        .unwrap();
        list.to_json()
    }

    fn signed_revocations(&self, name: &str, sequence: u64) -> PathBuf {
        let json = self.revocations();
        self.write(
            name,
            &sign(
                ListKind::Revocation,
                sequence,
                SIGNED_AT,
                NOW + 30 * DAY,
                json.as_bytes(),
            ),
        )
    }
}

fn demo_root_pub() -> CString {
    c_path(&root().join("keys/demo-root.pub"))
}

fn signed_options(root_key: &CString) -> MedcodeOptions {
    let mut opts = options_v2();
    opts.root_key_file = root_key.as_ptr();
    opts
}

fn update(v: *mut MedcodeVerifier, kind: ListKind, path: &Path) -> MedcodeReason {
    let c = c_path(path);
    match kind {
        // SAFETY: callers pass a live handle from new_ok; `c` is a live CString.
        ListKind::Trust => unsafe { medcode_verifier_update_trust_list_file(v, c.as_ptr()) },
        // SAFETY: callers pass a live handle from new_ok; `c` is a live CString.
        ListKind::Revocation => unsafe { medcode_verifier_update_revocations_file(v, c.as_ptr()) },
    }
}

fn status(v: *const MedcodeVerifier, now: u64) -> (MedcodeListStatus, MedcodeListStatus) {
    let mut trust = MedcodeListStatus {
        present: true,
        state: 99,
        sequence: 99,
        issued_at: 99,
        next_update: 99,
        refuses_at: 99,
    };
    let mut revocations = trust;
    // SAFETY: callers pass a live handle from new_ok; both outs are writable locals.
    let code = unsafe { medcode_verifier_list_status(v, now, &mut trust, &mut revocations) };
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    (trust, revocations)
}

#[test]
fn the_signed_demo_list_verifies_under_the_demo_root() {
    let root_key = demo_root_pub();
    let opts = signed_options(&root_key);
    let v = new_ok(&root().join("keys/trust.signed.json"), &opts);
    let r = verify_at(v, &valid_token(), NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, 0);
    assert_eq!(buf(&r.detail), "");
    assert_eq!(buf(&r.insured), "12345678901234567890");
    let (trust, revocations) = status(v, NOW);
    assert_eq!(
        trust,
        MedcodeListStatus {
            present: true,
            state: MEDCODE_LIST_FRESH,
            sequence: 1,
            issued_at: 1_767_225_600,   // 2026-01-01T00:00:00Z
            next_update: 2_082_585_600, // 2035-12-30T00:00:00Z
            refuses_at: 2_082_585_600 + 3 * DAY,
        }
    );
    assert_eq!(revocations, MedcodeListStatus::default());
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };

    // The same from bytes.
    let json = std::fs::read(root().join("keys/trust.signed.json")).unwrap();
    let mut v = ptr::null_mut();
    // SAFETY: `json` has json.len() readable bytes; `opts` is live, its root_key_file the live
    // CString `root_key`, its other strings null; `v` is writable.
    let code = unsafe { medcode_verifier_new_from_bytes(json.as_ptr(), json.len(), &opts, &mut v) };
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    assert!(verify_at(v, &valid_token(), NOW).accepted);
    // SAFETY: `v` is the live handle from medcode_verifier_new_from_bytes (returned OK), freed
    // exactly once here, after its last use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn signed_and_unsigned_lists_are_not_mixed() {
    let root_key = demo_root_pub();
    let signed = root().join("keys/trust.signed.json");
    // An unsigned trust list with a root key.
    let err = new_err(
        &trust_path(),
        &signed_options(&root_key),
        MedcodeReason::InvalidTrustList,
    );
    assert_eq!(
        err,
        format!(
            "invalid trust list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign`",
            trust_path().display()
        )
    );
    // A signed trust list without one: a list problem, naming the list.
    let err = new_err(&signed, &options_v2(), MedcodeReason::InvalidTrustList);
    assert_eq!(
        err,
        format!(
            "invalid trust list: {} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it",
            signed.display()
        )
    );
    // The same from bytes, where there is no file name.
    let json = std::fs::read(&signed).unwrap();
    let mut v = ptr::null_mut();
    let code =
        // SAFETY: `json` has json.len() readable bytes; null options; `v` is writable.
        unsafe { medcode_verifier_new_from_bytes(json.as_ptr(), json.len(), ptr::null(), &mut v) };
    assert_eq!(code, MedcodeReason::InvalidTrustList);
    assert_eq!(
        last_error(),
        "invalid trust list: the trust list is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it"
    );

    // Revocations: signed without a root key, unsigned with one.
    let files = Files::new();
    let signed_rev = files.signed_revocations("rev.signed.json", 1);
    let signed_rev_c = c_path(&signed_rev);
    let mut opts = options_v2();
    opts.revocations_file = signed_rev_c.as_ptr();
    let err = new_err(&trust_path(), &opts, MedcodeReason::InvalidTrustList);
    assert_eq!(
        err,
        format!(
            "invalid revocation list: {} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it, with a signed trust list",
            signed_rev.display()
        )
    );
    let unsigned_rev = files.write("rev.json", &files.revocations());
    let unsigned_rev_c = c_path(&unsigned_rev);
    let mut opts = signed_options(&root_key);
    opts.revocations_file = unsigned_rev_c.as_ptr();
    let err = new_err(&signed, &opts, MedcodeReason::InvalidTrustList);
    assert_eq!(
        err,
        format!(
            "invalid revocation list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign --kind revocation`",
            unsigned_rev.display()
        )
    );
}

#[test]
fn bad_roots_and_bad_signatures_are_refused() {
    let files = Files::new();
    // The test vectors' root (9c341fe4) did not sign the demo list.
    let other_root = c_path(&root().join("tests/vectors/keys/vector-root.pub"));
    let err = new_err(
        &root().join("keys/trust.signed.json"),
        &signed_options(&other_root),
        MedcodeReason::InvalidTrustList,
    );
    assert!(
        err.ends_with(
            "signed trust list: signed by root key 630e36ad, but the pinned root key is 9c341fe4"
        ),
        "{err}"
    );
    // A root key file that is not one.
    let junk = c_path(&files.write("root.pub", "hello\n"));
    let err = new_err(
        &root().join("keys/trust.signed.json"),
        &signed_options(&junk),
        MedcodeReason::InvalidKey,
    );
    assert!(err.starts_with("invalid key: "), "{err}");
    let missing = CString::new("/nonexistent/root.pub").unwrap();
    let err = new_err(
        &root().join("keys/trust.signed.json"),
        &signed_options(&missing),
        MedcodeReason::Io,
    );
    assert!(err.contains("/nonexistent/root.pub"), "{err}");
    // A signed revocation list given as the trust list.
    let rev = files.signed_revocations("rev.signed.json", 1);
    let root_key = demo_root_pub();
    let err = new_err(
        &rev,
        &signed_options(&root_key),
        MedcodeReason::InvalidTrustList,
    );
    assert!(
        err.ends_with("a signed revocation list was given where a signed trust list is expected"),
        "{err}"
    );
    // A tampered signature.
    let text = std::fs::read_to_string(root().join("keys/trust.signed.json")).unwrap();
    let sig_at = text.find("\"signature\": \"").unwrap() + 14;
    let mut bytes = text.into_bytes();
    bytes[sig_at] = if bytes[sig_at] == b'A' { b'B' } else { b'A' };
    let tampered = files.write("tampered.json", std::str::from_utf8(&bytes).unwrap());
    let err = new_err(
        &tampered,
        &signed_options(&root_key),
        MedcodeReason::InvalidTrustList,
    );
    assert!(
        err.ends_with(
            "signed trust list: the signature does not verify under the pinned root key 630e36ad"
        ),
        "{err}"
    );
}

#[test]
fn revoked_insured_is_refused_signed_or_unsigned() {
    let files = Files::new();
    let revoked_token = valid_token(); // issued 07:59:55, after the 07:00 revocation
    let earlier = issue_with_id(&demo_claims(), NOW - 2 * 3600, [5; 8]); // issued 06:00
    let expected = "revoked: insured 12345678901234567890 for codes issued from 2026-11-22T07:00:00Z; this code was issued at 2026-11-22T07:59:55Z";

    // Unsigned, without a root key.
    let rev = c_path(&files.write("rev.json", &files.revocations()));
    let mut opts = options_v2();
    opts.revocations_file = rev.as_ptr();
    let v = new_ok(&trust_path(), &opts);
    let r = verify_at(v, &revoked_token, NOW);
    assert_eq!(r.reason, MedcodeReason::Revoked);
    assert_eq!(r.reason.code(), 10);
    assert_eq!(s(r.reason_str), "revoked");
    assert_eq!(buf(&r.detail), expected);
    // Issued before the revocation, at 06:00, validity 60 s: checked
    // within its validity it is accepted.
    assert!(verify_at(v, &earlier, NOW - 2 * 3600 + 10).accepted);
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };

    // Signed, with the root key.
    let root_key = demo_root_pub();
    let rev = c_path(&files.signed_revocations("rev.signed.json", 1));
    let mut opts = signed_options(&root_key);
    opts.revocations_file = rev.as_ptr();
    let v = new_ok(&files.trust("trust.json", 1, NOW + 30 * DAY), &opts);
    let r = verify_at(v, &revoked_token, NOW);
    assert_eq!(r.reason, MedcodeReason::Revoked);
    assert_eq!(buf(&r.detail), expected);
    let (_, revocations) = status(v, NOW);
    assert!(revocations.present);
    assert_eq!(revocations.sequence, 1);
    // SAFETY: `v` is the live handle from the second new_ok, freed exactly once here, after its
    // last use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn revoked_key_is_refused() {
    let files = Files::new();
    let mut list = RevocationList::new();
    list.revoke_key(
        KeyId::parse_hex("32eac5b0").unwrap(),
        RevocationReason::Compromised,
    )
    .unwrap();
    let rev = c_path(&files.write("rev.json", &list.to_json()));
    let mut opts = options_v2();
    opts.revocations_file = rev.as_ptr();
    let v = new_ok(&trust_path(), &opts);
    let r = verify_at(v, &valid_token(), NOW);
    assert_eq!(r.reason, MedcodeReason::Revoked);
    assert!(
        buf(&r.detail).starts_with("revoked: "),
        "{}",
        buf(&r.detail)
    );
    assert!(buf(&r.detail).contains("32eac5b0"), "{}", buf(&r.detail));
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn updates_install_newer_lists_and_refuse_rollbacks() {
    let files = Files::new();
    let root_key = demo_root_pub();
    // One code shown under each list: the lists, not the replay guard.
    let opts = MedcodeOptions {
        replay_guard: MEDCODE_REPLAY_NONE,
        ..signed_options(&root_key)
    };
    let v = new_ok(&files.trust("trust-2.json", 2, NOW + 30 * DAY), &opts);
    let token = valid_token();
    assert!(verify_at(v, &token, NOW).accepted);

    // Rollback to sequence 1: refused, sequence 2 stays in force.
    let old = files.trust("trust-1.json", 1, NOW + 30 * DAY);
    assert_eq!(
        update(v, ListKind::Trust, &old),
        MedcodeReason::InvalidTrustList
    );
    assert_eq!(
        last_error(),
        format!(
            "invalid trust list: {}: signed trust list: sequence 1 is older than sequence 2 held by this verifier (rollback refused)",
            old.display()
        )
    );
    assert_eq!(status(v, NOW).0.sequence, 2);
    assert!(verify_at(v, &token, NOW).accepted);

    // The same list again: nothing to do, no error.
    let same = files.trust("trust-2.json", 2, NOW + 30 * DAY);
    assert_eq!(update(v, ListKind::Trust, &same), MedcodeReason::Ok);
    assert_eq!(last_error(), "");

    // Sequence 3 drops the demo key: its codes are now unknown.
    let newer = files.trust_without_demo_key("trust-3.json", 3);
    assert_eq!(update(v, ListKind::Trust, &newer), MedcodeReason::Ok);
    assert_eq!(status(v, NOW).0.sequence, 3);
    let r = verify_at(v, &token, NOW);
    assert_eq!(r.reason, MedcodeReason::UnknownKey);
    assert_eq!(
        buf(&r.detail),
        "unknown key 32eac5b0: no trusted key has this id"
    );

    // A revocation list where a trust list is expected, an unsigned file,
    // a missing file: refused, sequence 3 stays.
    let rev = files.signed_revocations("rev.json", 4);
    assert_eq!(
        update(v, ListKind::Trust, &rev),
        MedcodeReason::InvalidTrustList
    );
    assert!(
        last_error()
            .ends_with("a signed revocation list was given where a signed trust list is expected"),
        "{}",
        last_error()
    );
    assert_eq!(
        update(v, ListKind::Trust, &trust_path()),
        MedcodeReason::InvalidTrustList
    );
    assert_eq!(
        last_error(),
        format!(
            "invalid trust list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign`",
            trust_path().display()
        )
    );
    assert_eq!(
        update(v, ListKind::Trust, Path::new("/nonexistent/trust.json")),
        MedcodeReason::Io
    );
    assert_eq!(status(v, NOW).0.sequence, 3);

    // A revocation list installed while running.
    let back = files.trust("trust-5.json", 5, NOW + 30 * DAY);
    assert_eq!(update(v, ListKind::Trust, &back), MedcodeReason::Ok);
    assert!(verify_at(v, &token, NOW).accepted);
    assert_eq!(update(v, ListKind::Revocation, &rev), MedcodeReason::Ok);
    assert_eq!(verify_at(v, &token, NOW).reason, MedcodeReason::Revoked);
    let rev_old = files.signed_revocations("rev-old.json", 3);
    assert_eq!(
        update(v, ListKind::Revocation, &rev_old),
        MedcodeReason::InvalidTrustList
    );
    assert!(last_error().ends_with(
        "signed revocation list: sequence 3 is older than sequence 4 held by this verifier (rollback refused)"
    ));
    let (trust, revocations) = status(v, NOW);
    assert_eq!((trust.sequence, revocations.sequence), (5, 4));
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

/// Version 3 of the options: a state file makes a verifier created later
/// (a restarted till) refuse a signed list older than one a verifier used
/// before; without it each verifier only knows the list it is given.
#[test]
fn a_state_file_refuses_a_rollback_across_verifiers() {
    let files = Files::new();
    let v1 = files.trust("trust-1.json", 1, NOW + 30 * DAY);
    let v2 = files.trust("trust-2.json", 2, NOW + 30 * DAY);
    let state = files.dir.path().join("lists.state");
    let state_c = c_path(&state);
    let root_key = demo_root_pub();
    let mut opts = options_v4();
    opts.root_key_file = root_key.as_ptr();
    opts.state_path = state_c.as_ptr();

    // The first verifier uses sequence 2 and records it.
    let first = new_ok(&v2, &opts);
    assert!(verify_at(first, &valid_token(), NOW).accepted);
    assert_eq!(status(first, NOW).0.sequence, 2);
    // SAFETY: `first` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(first) };
    // The sequence, with the SHA-256 (64 hex digits) of the list's payload.
    let saved = std::fs::read_to_string(&state).unwrap();
    let digest = saved
        .strip_prefix("{\"roots\":{\"630e36ad\":{\"trust\":2,\"trust_digest\":\"")
        .and_then(|rest| rest.strip_suffix("\",\"revocation\":0}}}\n"))
        .unwrap_or_else(|| panic!("{saved}"));
    assert_eq!(digest.len(), 64, "{saved}");
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()), "{saved}");

    // A second verifier, with the same state file, refuses sequence 1.
    let err = new_err(&v1, &opts, MedcodeReason::InvalidTrustList);
    assert_eq!(
        err,
        format!(
            "invalid trust list: {}: signed trust list sequence 1 is older than sequence 2 this till already used ({}): rollback refused",
            v1.display(),
            state.display()
        )
    );
    // From bytes too (the list then has no file name).
    let json = std::fs::read(&v1).unwrap();
    let mut v = ptr::null_mut();
    // SAFETY: `json` has json.len() readable bytes; `opts` is live, its root_key_file and
    // state_path live CStrings, the others null; `v` is writable.
    let code = unsafe { medcode_verifier_new_from_bytes(json.as_ptr(), json.len(), &opts, &mut v) };
    assert_eq!(code, MedcodeReason::InvalidTrustList);
    assert!(v.is_null());
    assert!(
        last_error().starts_with("invalid trust list: signed trust list sequence 1 is older than sequence 2 this till already used"),
        "{}",
        last_error()
    );
    // Sequence 2 is still accepted.
    let again = new_ok(&v2, &opts);
    // SAFETY: `again` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(again) };
    // Another list signed with sequence 2: refused, as within one verifier.
    let other = files.trust_without_demo_key("trust-2-other.json", 2);
    assert_eq!(
        new_err(&other, &opts, MedcodeReason::InvalidTrustList),
        format!(
            "invalid trust list: {}: signed trust list: sequence 2 is already held with other content",
            other.display()
        )
    );

    // Without the state file (a version-2 caller) sequence 1 is all a new
    // verifier knows.
    let old = new_ok(&v1, &signed_options(&root_key));
    assert_eq!(status(old, NOW).0.sequence, 1);
    // SAFETY: `old` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(old) };

    // A state file needs a pinned root key.
    let mut unsigned = options_v4();
    unsigned.state_path = state_c.as_ptr();
    assert_eq!(
        new_err(&trust_path(), &unsigned, MedcodeReason::InvalidArgument),
        "invalid state file: a rollback state file needs a pinned root key: only signed lists have sequence numbers"
    );
    // A corrupt one is a storage error, not a silent reset.
    std::fs::write(&state, "{").unwrap();
    let err = new_err(&v2, &opts, MedcodeReason::Storage);
    assert!(
        err.starts_with(&format!("storage error: state file {}: ", state.display())),
        "{err}"
    );
}

#[test]
fn updates_need_a_root_key_and_valid_arguments() {
    let v = new_ok(&trust_path(), &options_v2());
    let signed = root().join("keys/trust.signed.json");
    assert_eq!(
        update(v, ListKind::Trust, &signed),
        MedcodeReason::InvalidArgument
    );
    assert_eq!(
        last_error(),
        "this verifier pins no root key, so it cannot install a signed trust list: create it with root_key_file set in MedcodeOptions"
    );
    assert_eq!(
        update(v, ListKind::Revocation, &signed),
        MedcodeReason::InvalidArgument
    );
    assert_eq!(
        last_error(),
        "this verifier pins no root key, so it cannot install a signed revocation list: create it with root_key_file set in MedcodeOptions"
    );
    let (trust, _) = status(v, NOW);
    assert!(!trust.present);
    // SAFETY: `v` is the live handle from new_ok; a null path is allowed (refused).
    let code = unsafe { medcode_verifier_update_trust_list_file(v, ptr::null()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "path is a null pointer");
    let not_utf8 = [b'k' as std::ffi::c_char, 0xFFu8 as std::ffi::c_char, 0];
    // SAFETY: `v` is live; `not_utf8` is a NUL-terminated local array.
    let code = unsafe { medcode_verifier_update_revocations_file(v, not_utf8.as_ptr()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(last_error().starts_with("path is not valid UTF-8"));
    let c = c_path(&signed);
    // SAFETY: a null verifier is allowed and refused before `c` is read.
    let code = unsafe { medcode_verifier_update_trust_list_file(ptr::null_mut(), c.as_ptr()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert_eq!(last_error(), "verifier is a null pointer");
    let code =
        // SAFETY: a null verifier and null outs are allowed.
        unsafe { medcode_verifier_list_status(ptr::null(), NOW, ptr::null_mut(), ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    // Both outs NULL: nothing to write, no error.
    // SAFETY: `v` is live; null outs are skipped.
    let code = unsafe { medcode_verifier_list_status(v, NOW, ptr::null_mut(), ptr::null_mut()) };
    assert_eq!(code, MedcodeReason::Ok);
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last use.
    unsafe { medcode_verifier_free(v) };
}

#[test]
fn a_list_due_then_stale_then_refused() {
    let files = Files::new();
    let root_key = demo_root_pub();
    // Due at 2026-11-22T12:00:00Z, four hours after NOW.
    let due = NOW + 4 * 3600;
    let v = new_ok(
        &files.trust("trust.json", 1, due),
        &signed_options(&root_key),
    );
    let at = |t: u64, id: u8| verify_at(v, &issue_with_id(&demo_claims(), t - 5, [id; 8]), t);

    // 25 h before: fresh.
    let r = at(due - 25 * 3600, 1);
    assert!(r.accepted);
    assert_eq!(r.notices, 0);
    assert_eq!(status(v, due - 25 * 3600).0.state, MEDCODE_LIST_FRESH);

    // 4 h before: due soon.
    let r = at(NOW, 2);
    assert!(r.accepted);
    assert_eq!(r.notices, MEDCODE_NOTICE_LIST_DUE_SOON);
    assert_eq!(
        buf(&r.detail),
        "the signed trust list is due for update at 2026-11-22T12:00:00Z (in 4 h 0 min): install a newly signed one"
    );
    assert_eq!(status(v, NOW).0.state, MEDCODE_LIST_DUE_SOON);

    // 1 h after: stale, still accepted, refusal announced.
    let r = at(due + 3600, 3);
    assert!(r.accepted);
    assert_eq!(r.notices, MEDCODE_NOTICE_LIST_STALE);
    assert_eq!(
        buf(&r.detail),
        "the signed trust list was due for update at 2026-11-22T12:00:00Z: this verifier refuses every code from 2026-11-25T12:00:00Z (in 71 h 0 min) unless a newly signed one is installed"
    );
    let (trust, _) = status(v, due + 3600);
    assert_eq!(trust.state, MEDCODE_LIST_STALE);
    assert_eq!(trust.refuses_at, due + 3 * DAY);

    // At the end of the 72 h grace: every code refused.
    let r = at(due + 3 * DAY, 4);
    assert_eq!(r.reason, MedcodeReason::TrustListStale);
    assert_eq!(r.reason.code(), 13);
    assert_eq!(s(r.reason_str), "trust_list_stale");
    assert_eq!(status(v, due + 3 * DAY).0.state, MEDCODE_LIST_REFUSED);

    // A newly signed list brings the till back.
    let fresh = files.trust("trust-2.json", 2, due + 30 * DAY);
    assert_eq!(update(v, ListKind::Trust, &fresh), MedcodeReason::Ok);
    let r = at(due + 3 * DAY, 5);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, 0);
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

/// A raw handle shared between threads, as a C till would share it.
#[derive(Clone, Copy)]
struct Shared(*mut MedcodeVerifier);
// SAFETY: Shared holds only a pointer to a MedcodeVerifier, which is
// Send + Sync (handle.rs's handle_is_shareable test) and documented as usable
// by any number of threads at once; the handle outlives the scoped threads
// and is freed only after they are joined.
unsafe impl Send for Shared {}
// SAFETY: as for Send: a shared &Shared only lets threads copy the pointer, and the verifier behind
// it may be used by many threads at once (updates included).
unsafe impl Sync for Shared {}

/// Verifying threads see the list before or after each update, never an
/// error: odd sequences trust the demo key, even ones do not.
#[test]
fn updates_while_other_threads_verify() {
    let files = Files::new();
    let root_key = demo_root_pub();
    let lists: Vec<PathBuf> = (2..=21)
        .map(|seq| {
            let name = format!("trust-{seq}.json");
            if seq % 2 == 1 {
                files.trust(&name, seq, NOW + 30 * DAY)
            } else {
                files.trust_without_demo_key(&name, seq)
            }
        })
        .collect();
    // One code verified over and over while lists change: the lists, not
    // the replay guard.
    let opts = MedcodeOptions {
        replay_guard: MEDCODE_REPLAY_NONE,
        ..signed_options(&root_key)
    };
    let v = Shared(new_ok(
        &files.trust("trust-1.json", 1, NOW + 30 * DAY),
        &opts,
    ));
    let token = valid_token();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let (token, done) = (&token, &done);
            scope.spawn(move || {
                let v = v;
                let mut seen = 0u32;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || seen == 0 {
                    let r = verify_at(v.0, token, NOW);
                    assert!(
                        matches!(r.reason, MedcodeReason::Ok | MedcodeReason::UnknownKey),
                        "{:?}: {}",
                        r.reason,
                        buf(&r.detail)
                    );
                    seen += 1;
                }
            });
        }
        for path in &lists {
            assert_eq!(
                update(v.0, ListKind::Trust, path),
                MedcodeReason::Ok,
                "{}",
                last_error()
            );
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    // The last list (sequence 21) trusts the demo key.
    assert_eq!(status(v.0, NOW).0.sequence, 21);
    assert!(verify_at(v.0, &token, NOW).accepted);
    // SAFETY: the handle from new_ok, freed once after the scope joined every thread that used it.
    unsafe { medcode_verifier_free(v.0) };
}
