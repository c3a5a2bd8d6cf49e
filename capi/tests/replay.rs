//! The replay guard options through the C ABI: callers naming no guard
//! (version 1, or versions 2 and 3 left at the default) get the in-memory
//! one, MEDCODE_REPLAY_NONE turns it off, a memory guard refuses a second
//! presentation, and a replay store file
//! guard refuses it across two handles (two tills, or a till restarted).
//! NOW is 2026-11-22T08:00:00Z.

mod common;

use std::ffi::CString;
use std::ptr;

use common::{
    NOW, assert_replayed, buf, c_path, demo_claims, issue_with_id, last_error, new_err, new_ok,
    options_v2, options_v4, s, trust_path, valid_token, verify_at,
};
use medcode_capi::*;

/// The line a second presentation of the demo token gets.
const REPLAYED: &str = "replayed: token 0102030405060708 was already accepted";

/// One code, one use by default: a version-1 caller (16-byte options, no
/// replay_guard field) gets the in-memory guard, and the second
/// presentation of a code is refused.
/// Verifies `token` at NOW (accepted, with no notice) and again a second
/// later; returns the second result, refused as replayed.
fn accepted_then_replayed(v: *const MedcodeVerifier, token: &str) -> MedcodeResult {
    let r = verify_at(v, token, NOW);
    assert!(r.accepted);
    assert_eq!(r.notices, 0);
    let r = verify_at(v, token, NOW + 1);
    assert!(!r.accepted);
    assert_eq!(r.reason, MedcodeReason::Replayed);
    r
}

#[test]
fn version_1_options_refuse_the_second_presentation() {
    let mut opts = options_v2();
    // SAFETY: `opts` is a live MedcodeOptions, more than the 16 bytes written.
    unsafe { medcode_options_init(&mut opts) };
    assert_eq!(opts.struct_size, MEDCODE_OPTIONS_V1_SIZE);
    // Fields past version 1 hold garbage the library must not read.
    opts.replay_guard = 77;
    opts.root_key_file = c"/nonexistent".as_ptr();
    let v = new_ok(&trust_path(), &opts);
    let r = accepted_then_replayed(v, &valid_token());
    assert_eq!(s(r.reason_str), "replayed");
    assert_eq!(buf(&r.detail), REPLAYED);
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };
}

/// Version-2 and version-3 callers that name no guard (replay_guard left
/// at MEDCODE_REPLAY_DEFAULT by medcode_options_init) get the in-memory
/// guard too; MEDCODE_REPLAY_NONE is the explicit opt-out.
#[test]
fn options_naming_no_guard_refuse_the_second_presentation() {
    for (version, opts) in [(2, options_v2()), (4, options_v4())] {
        assert_eq!(opts.replay_guard, MEDCODE_REPLAY_DEFAULT);
        let v = new_ok(&trust_path(), &opts);
        let token = valid_token();
        assert!(verify_at(v, &token, NOW).accepted, "version {version}");
        let r = verify_at(v, &token, NOW + 1);
        assert_eq!(r.reason, MedcodeReason::Replayed, "version {version}");
        assert_eq!(buf(&r.detail), REPLAYED);
        // SAFETY: `v` is the live handle from new_ok above, freed exactly once here.
        unsafe { medcode_verifier_free(v) };

        let mut none = opts;
        none.replay_guard = MEDCODE_REPLAY_NONE;
        let v = new_ok(&trust_path(), &none);
        assert!(verify_at(v, &token, NOW).accepted, "version {version}");
        assert!(verify_at(v, &token, NOW + 1).accepted, "version {version}");
        // SAFETY: `v` is the live handle from new_ok above, freed exactly once here.
        unsafe { medcode_verifier_free(v) };
    }
}

#[test]
fn memory_guard_refuses_the_second_presentation() {
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_MEMORY;
    let v = new_ok(&trust_path(), &opts);
    let token = valid_token();
    let r = accepted_then_replayed(v, &token);
    assert_eq!(r.reason.code(), 9);
    assert_eq!(s(r.reason_str), "replayed");
    assert_eq!(buf(&r.detail), REPLAYED);
    assert_eq!(buf(&r.insured), "");
    // Another code of the same person is a new code.
    let other = issue_with_id(&demo_claims(), NOW - 5, [9; 8]);
    assert!(verify_at(v, &other, NOW + 2).accepted);
    // A refused code is not recorded: an expired one stays "expired".
    let expired = issue_with_id(&demo_claims(), NOW - 3600, [7; 8]);
    assert_eq!(verify_at(v, &expired, NOW).reason, MedcodeReason::Expired);
    assert_eq!(verify_at(v, &expired, NOW).reason, MedcodeReason::Expired);
    // SAFETY: `v` is the live handle from new_ok above, freed exactly once here, after its last
    // use.
    unsafe { medcode_verifier_free(v) };

    // Each verifier has its own memory.
    let v = new_ok(&trust_path(), &opts);
    assert!(verify_at(v, &token, NOW + 3).accepted);
    // SAFETY: `v` is the live handle from the second new_ok, freed exactly once here, after its
    // last use.
    unsafe { medcode_verifier_free(v) };
}

/// A raw handle shared between threads, as a C till would share it.
#[derive(Clone, Copy)]
struct Shared(*const MedcodeVerifier);
// SAFETY: Shared holds only a pointer to a MedcodeVerifier, which is
// Send + Sync (handle.rs's handle_is_shareable test) and documented as usable
// by any number of threads at once; the handle outlives the scoped threads
// and is freed only after they are joined.
unsafe impl Send for Shared {}
// SAFETY: as for Send: a shared &Shared only lets threads copy the pointer, and the verifier behind
// it may be used by many threads at once.
unsafe impl Sync for Shared {}

#[test]
fn one_code_presented_on_eight_threads_is_accepted_once() {
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_MEMORY;
    let v = Shared(new_ok(&trust_path(), &opts));
    let token = valid_token();
    let accepted: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let token = &token;
                scope.spawn(move || {
                    let v = v;
                    let r = verify_at(v.0, token, NOW);
                    match r.reason {
                        MedcodeReason::Ok => 1,
                        MedcodeReason::Replayed => 0,
                        other => panic!("unexpected {other:?}: {}", buf(&r.detail)),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(accepted, 1);
    // SAFETY: the handle from new_ok, freed once after the scope joined every thread that used it.
    unsafe { medcode_verifier_free(v.0.cast_mut()) };
}

#[test]
fn file_guard_is_shared_by_two_handles_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("seen.db");
    let db_c = c_path(&db);
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_FILE;
    opts.replay_target = db_c.as_ptr();
    let till_a = new_ok(&trust_path(), &opts);
    let till_b = new_ok(&trust_path(), &opts);
    assert!(db.is_file());
    let token = valid_token();
    assert!(verify_at(till_a, &token, NOW).accepted);
    let r = verify_at(till_b, &token, NOW + 1);
    assert_eq!(r.reason, MedcodeReason::Replayed);
    assert_eq!(buf(&r.detail), REPLAYED);
    let other = issue_with_id(&demo_claims(), NOW - 5, [9; 8]);
    assert!(verify_at(till_b, &other, NOW + 1).accepted);
    assert_replayed(till_a, &other, NOW + 2);
    // SAFETY: `till_a` is the live handle from new_ok above, freed exactly once here, after its
    // last use.
    unsafe { medcode_verifier_free(till_a) };
    // SAFETY: `till_b` is the live handle from new_ok above, freed exactly once here, after its
    // last use.
    unsafe { medcode_verifier_free(till_b) };

    // A restarted till opens the same file and still refuses both.
    let till_a = new_ok(&trust_path(), &opts);
    assert_replayed(till_a, &token, NOW + 3);
    assert_replayed(till_a, &other, NOW + 3);
    // SAFETY: `till_a` is the live handle from the restart's new_ok, freed exactly once here, after
    // its last use.
    unsafe { medcode_verifier_free(till_a) };
}

#[test]
fn a_file_guard_that_cannot_open_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    // Not a replay store: refused without being written to.
    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, b"shopping list\n").unwrap();
    let foreign_c = c_path(&foreign);
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_FILE;
    opts.replay_target = foreign_c.as_ptr();
    let err = new_err(&trust_path(), &opts, MedcodeReason::Storage);
    assert!(err.starts_with("storage error: "), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(std::fs::read(&foreign).unwrap(), b"shopping list\n");

    // A directory that does not exist.
    let missing = CString::new("/nonexistent/medcode/seen.db").unwrap();
    opts.replay_target = missing.as_ptr();
    let err = new_err(&trust_path(), &opts, MedcodeReason::Storage);
    assert!(err.contains("/nonexistent/medcode/seen.db"), "{err}");

    // A bad list is refused before the replay file is created.
    let db = dir.path().join("seen.db");
    let db_c = c_path(&db);
    opts.replay_target = db_c.as_ptr();
    new_err(&dir.path().join("no-trust.json"), &opts, MedcodeReason::Io);
    assert!(!db.exists());
}

#[test]
fn bad_replay_options_are_refused_with_reasons() {
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_FILE;
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_target is NULL; MEDCODE_REPLAY_FILE needs the path of its replay store file"
    );
    let not_utf8 = [b's' as std::ffi::c_char, 0xFFu8 as std::ffi::c_char, 0];
    opts.replay_target = not_utf8.as_ptr();
    let err = new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument);
    assert!(
        err.starts_with("options.replay_target is not valid UTF-8"),
        "{err}"
    );
    opts.replay_target = c"".as_ptr();
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_target is an empty string; leave it NULL when unused"
    );
    opts.replay_guard = MEDCODE_REPLAY_REDIS;
    opts.replay_target = c"http://127.0.0.1:6379".as_ptr();
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "invalid Redis URL: expected redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...] (TLS and Unix sockets are not supported)"
    );
    opts.replay_target = c"redis://127.0.0.1:6379".as_ptr();
    opts.replay_key_prefix = c"has space".as_ptr();
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "invalid Redis key prefix: use at most 128 printable ASCII characters without spaces"
    );
    opts.replay_key_prefix = ptr::null();
    opts.replay_unavailable = 9;
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_unavailable is 9; expected MEDCODE_REPLAY_FAIL_CLOSED (0) or MEDCODE_REPLAY_LOCAL_FALLBACK (1)"
    );
    opts.replay_unavailable = MEDCODE_REPLAY_LOCAL_FALLBACK;
    opts.replay_guard = MEDCODE_REPLAY_MEMORY;
    opts.replay_target = ptr::null();
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_unavailable applies to MEDCODE_REPLAY_REDIS only, but replay_guard is MEDCODE_REPLAY_MEMORY"
    );
    opts.replay_unavailable = 0;
    opts.replay_guard = 5;
    assert_eq!(
        new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_guard is 5; expected MEDCODE_REPLAY_DEFAULT (0), MEDCODE_REPLAY_MEMORY (1), MEDCODE_REPLAY_FILE (2), MEDCODE_REPLAY_REDIS (3) or MEDCODE_REPLAY_NONE (4)"
    );
    assert!(!last_error().is_empty());
}

/// Options from a caller whose header is newer than this library: accepted
/// while the fields this library does not know are zero.
#[test]
fn a_newer_callers_struct_with_unset_tail_is_accepted() {
    #[repr(C)]
    struct Newer {
        current: MedcodeOptions,
        future: [u64; 2],
    }
    let mut newer = Newer {
        current: options_v4(),
        future: [0; 2],
    };
    let size = std::mem::size_of::<Newer>();
    // SAFETY: `newer` is a live repr(C) Newer of exactly `size` writable bytes.
    let code = unsafe { medcode_options_init_size(ptr::from_mut(&mut newer).cast(), size) };
    assert_eq!(code, MedcodeReason::Ok);
    newer.current.replay_guard = MEDCODE_REPLAY_MEMORY;
    let path = c_path(&trust_path());
    let mut v = ptr::null_mut();
    // SAFETY: `path` is a live CString; `newer` has struct_size = size_of::<Newer>() readable bytes
    // and null string fields; `v` is writable.
    let code = unsafe {
        medcode_verifier_new_from_file(path.as_ptr(), ptr::from_ref(&newer).cast(), &mut v)
    };
    assert_eq!(code, MedcodeReason::Ok, "{}", last_error());
    let token = valid_token();
    assert!(verify_at(v, &token, NOW).accepted);
    assert_eq!(verify_at(v, &token, NOW).reason, MedcodeReason::Replayed);
    // SAFETY: `v` is the live handle from medcode_verifier_new_from_file (returned OK), freed
    // exactly once here, after its last use.
    unsafe { medcode_verifier_free(v) };

    newer.future[1] = 1;
    // SAFETY: as above; `newer` is unchanged but for its last field.
    let code = unsafe {
        medcode_verifier_new_from_file(path.as_ptr(), ptr::from_ref(&newer).cast(), &mut v)
    };
    assert_eq!(code, MedcodeReason::InvalidArgument);
    assert!(v.is_null());
    assert_eq!(
        last_error(),
        format!(
            "options set fields beyond the {MEDCODE_OPTIONS_V4_SIZE} bytes this library version knows; upgrade libmedcode_capi"
        )
    );
}
