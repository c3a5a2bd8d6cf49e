//! The Redis replay guard through the C ABI, against a real redis-server
//! started on a free loopback port (the main crate's helper,
//! tests/support/redis_server.rs): two tills of a chain share it; when it
//! is killed, a fail-closed till refuses and a local-fallback till keeps
//! selling with a notice. Without redis-server these tests print a loud
//! SKIPPED line, except in CI or with MEDCODE_REQUIRE_REDIS=1, where they
//! fail. NOW is 2026-11-22T08:00:00Z.

mod common;

#[allow(dead_code)]
#[path = "../../tests/support/redis_server.rs"]
mod redis_server;

use std::ffi::CString;

use common::{
    NOW, assert_replayed, buf, demo_claims, issue_with_id, new_ok, options_v2, trust_path,
    valid_token, verify_at,
};
use medcode_capi::*;
use redis_server::RedisServer;

fn redis_options(url: &CString, unavailable: u32, prefix: Option<&CString>) -> MedcodeOptions {
    let mut opts = options_v2();
    opts.replay_guard = MEDCODE_REPLAY_REDIS;
    opts.replay_target = url.as_ptr();
    opts.replay_unavailable = unavailable;
    if let Some(p) = prefix {
        opts.replay_key_prefix = p.as_ptr();
    }
    opts
}

#[test]
fn two_tills_of_a_chain_share_one_redis() {
    let Some(server) = RedisServer::start("capi two_tills_of_a_chain_share_one_redis") else {
        return;
    };
    let url = CString::new(format!("{}/2", server.url())).unwrap();
    let opts = redis_options(&url, MEDCODE_REPLAY_FAIL_CLOSED, None);
    let till_a = new_ok(&trust_path(), &opts);
    let till_b = new_ok(&trust_path(), &opts);
    let token = valid_token();
    let r = verify_at(till_a, &token, NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, 0);
    let r = verify_at(till_b, &token, NOW + 1);
    assert_eq!(r.reason, MedcodeReason::Replayed);
    assert_eq!(
        buf(&r.detail),
        "replayed: token 0102030405060708 was already accepted"
    );
    // The guard wrote the key into DB 2 with the default prefix.
    let mut client = server.client(2);
    let stored: Option<String> = redis::cmd("GET")
        .arg("medcode:seen:0102030405060708")
        .query(&mut client)
        .unwrap();
    assert!(stored.is_some());

    // Another chain on the same server, with its own prefix, has its own
    // records.
    let prefix = CString::new("chain-b:").unwrap();
    let other_chain = new_ok(
        &trust_path(),
        &redis_options(&url, MEDCODE_REPLAY_FAIL_CLOSED, Some(&prefix)),
    );
    assert!(verify_at(other_chain, &token, NOW + 2).accepted);
    assert_replayed(other_chain, &token, NOW + 3);
    for v in [till_a, till_b, other_chain] {
        // SAFETY: each handle came from new_ok above and is freed exactly once, after its last use.
        unsafe { medcode_verifier_free(v) };
    }
}

#[test]
fn an_unreachable_redis_fails_closed_or_falls_back_locally() {
    let Some(mut server) =
        RedisServer::start("capi an_unreachable_redis_fails_closed_or_falls_back_locally")
    else {
        return;
    };
    let url = CString::new(server.url()).unwrap();
    let closed = new_ok(
        &trust_path(),
        &redis_options(&url, MEDCODE_REPLAY_FAIL_CLOSED, None),
    );
    let fallback = new_ok(
        &trust_path(),
        &redis_options(&url, MEDCODE_REPLAY_LOCAL_FALLBACK, None),
    );
    let online = issue_with_id(&demo_claims(), NOW - 5, [1; 8]);
    assert!(verify_at(fallback, &online, NOW).accepted);

    server.kill();
    let offline = issue_with_id(&demo_claims(), NOW - 5, [2; 8]);
    let r = verify_at(closed, &offline, NOW);
    assert_eq!(r.reason, MedcodeReason::ReplayGuardUnavailable);
    assert_eq!(r.reason.code(), 12);
    assert!(
        buf(&r.detail).starts_with("replay guard unavailable: "),
        "{}",
        buf(&r.detail)
    );
    let r = verify_at(fallback, &offline, NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK);
    assert_eq!(
        buf(&r.detail),
        "the shared replay guard is unreachable: this code was checked against this till's own records only, so another till may already have accepted it"
    );
    // This till still refuses what it accepted, online or offline.
    assert_replayed(fallback, &offline, NOW + 1);
    assert_replayed(fallback, &online, NOW + 1);

    // Back online (an empty server): the fail-closed till accepts again,
    // and the code accepted offline was written to the server, so the
    // other till refuses it.
    server.restart();
    let r = verify_at(
        fallback,
        &issue_with_id(&demo_claims(), NOW - 5, [3; 8]),
        NOW + 2,
    );
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, 0);
    assert_replayed(closed, &offline, NOW + 3);
    for v in [closed, fallback] {
        // SAFETY: `closed` and `fallback` came from new_ok above and are freed exactly once, after
        // their last use.
        unsafe { medcode_verifier_free(v) };
    }
}

/// Version-4 options with `replay_fallback_file`: a till restarted during
/// the outage refuses the code it accepted offline before the restart, and
/// writes it to Redis when Redis returns, without verifying another code,
/// so that a fail-closed till refuses it. The fallback file is refused
/// with fail-closed.
#[test]
fn a_fallback_file_keeps_offline_codes_across_a_restart() {
    let Some(mut server) =
        RedisServer::start("capi a_fallback_file_keeps_offline_codes_across_a_restart")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = common::c_path(&dir.path().join("fallback.db"));
    let url = CString::new(server.url()).unwrap();
    let mut opts = MedcodeOptions::default();
    // SAFETY: `opts` is a whole MedcodeOptions, size_of::<MedcodeOptions>() writable bytes.
    let code = unsafe { medcode_options_init_size(&mut opts, size_of::<MedcodeOptions>()) };
    assert_eq!(code, MedcodeReason::Ok);
    assert_eq!(opts.struct_size, MEDCODE_OPTIONS_V4_SIZE);
    assert!(opts.replay_fallback_file.is_null());
    opts.replay_guard = MEDCODE_REPLAY_REDIS;
    opts.replay_target = url.as_ptr();
    opts.replay_unavailable = MEDCODE_REPLAY_LOCAL_FALLBACK;
    opts.replay_fallback_file = file.as_ptr();

    let first = new_ok(&trust_path(), &opts);
    server.kill();
    let offline = issue_with_id(&demo_claims(), NOW - 5, [7; 8]);
    let r = verify_at(first, &offline, NOW);
    assert!(r.accepted, "{}", buf(&r.detail));
    assert_eq!(r.notices, MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK);
    // SAFETY: `first` came from new_ok above and is freed exactly once, after its last use.
    unsafe { medcode_verifier_free(first) };

    let second = new_ok(&trust_path(), &opts);
    assert_replayed(second, &offline, NOW + 1);

    server.restart();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let mut client = server.client(0);
    loop {
        let held: bool = redis::cmd("EXISTS")
            .arg("medcode:seen:0707070707070707")
            .query(&mut client)
            .unwrap();
        if held {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the restarted till did not write its offline code within 2 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let closed = new_ok(
        &trust_path(),
        &redis_options(&url, MEDCODE_REPLAY_FAIL_CLOSED, None),
    );
    assert_replayed(closed, &offline, NOW + 2);
    for v in [second, closed] {
        // SAFETY: each handle came from new_ok above and is freed exactly once, after its last use.
        unsafe { medcode_verifier_free(v) };
    }

    opts.replay_unavailable = MEDCODE_REPLAY_FAIL_CLOSED;
    assert_eq!(
        common::new_err(&trust_path(), &opts, MedcodeReason::InvalidArgument),
        "options.replay_fallback_file applies to MEDCODE_REPLAY_REDIS with MEDCODE_REPLAY_LOCAL_FALLBACK only"
    );
}
