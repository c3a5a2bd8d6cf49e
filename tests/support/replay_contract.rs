//! The contract every replay guard keeps, written once and run against the
//! in-memory, file and Redis guards by tests/replay_contract.rs. Each check
//! takes guards made fresh for it; what only one guard does (a file's
//! corruption, Redis outages, the memory guard's shards) is tested in that
//! guard's own tests.

use medcode::replay::ReplayGuard;
use medcode::{TokenId, UnixTime};

/// 2026-11-22T08:00:00Z, when the checks start.
pub const T0: u64 = 1_795_334_400;

/// A token id with `n` in its first bytes (`id(1)` is `0100000000000000`).
pub fn id(n: u64) -> TokenId {
    TokenId::from_bytes(n.to_le_bytes())
}

/// A code is accepted once; presented again up to and including its
/// `until` it is `replayed`, with the message a till shows. Another code
/// is not affected.
pub fn second_presentation_is_replayed(g: &impl ReplayGuard) {
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    assert_eq!(g.mark_seen(id(2), now.plus(300), now).unwrap(), None);
    let err = g.mark_seen(id(1), now.plus(75), now.plus(75)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(
        err.to_string(),
        "replayed: token 0100000000000000 was already accepted"
    );
    let err = g.mark_seen(id(2), now.plus(300), now.plus(75)).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
}

/// Token ids are 64 arbitrary bits: ids with the top bit set (negative as
/// a signed integer, as SQLite would hold them) are codes like any other,
/// and two that differ only there are two codes.
pub fn token_ids_with_the_top_bit_set_are_codes_like_any_other(g: &impl ReplayGuard) {
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(u64::MAX), now.plus(75), now).unwrap(), None);
    assert_eq!(g.mark_seen(id(1 << 63), now.plus(75), now).unwrap(), None);
    assert_eq!(g.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    for n in [u64::MAX, 1 << 63, 1] {
        let err = g.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
}

/// Once its record expired, a code is new again. `expire(t)` lets a record
/// made at `t` with `until == t` lapse and returns the time to present the
/// code at: the next second for a guard on the caller's clock, a real wait
/// for Redis, which expires records itself.
pub fn an_expired_record_is_swept(g: &impl ReplayGuard, expire: impl FnOnce(UnixTime) -> UnixTime) {
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(7), now, now).unwrap(), None);
    let err = g.mark_seen(id(7), now, now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    let later = expire(now);
    assert_eq!(g.mark_seen(id(7), later.plus(60), later).unwrap(), None);
}

/// A guard made with room for 3 live codes refuses a fourth with
/// `replay_guard_full` rather than forgetting one, records nothing for it,
/// and has room again once the three expired. `live` counts its records.
pub fn capacity_is_a_hard_limit_until_codes_expire(g: &impl ReplayGuard, live: impl Fn() -> usize) {
    let now = UnixTime::from_secs(T0);
    for n in 0..3 {
        assert_eq!(g.mark_seen(id(n), now.plus(10), now).unwrap(), None);
    }
    let err = g.mark_seen(id(3), now.plus(10), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_full");
    assert_eq!(
        err.to_string(),
        "replay guard full: 3 live codes recorded, refusing rather than forgetting"
    );
    // A refused code is not recorded, and a recorded one stays replayed.
    assert_eq!(live(), 3);
    let err = g.mark_seen(id(0), now.plus(10), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    // Once the three expire there is room again.
    assert_eq!(
        g.mark_seen(id(3), now.plus(30), now.plus(11)).unwrap(),
        None
    );
    assert_eq!(live(), 1);
}

/// `threads` threads, spread over `guards` (one store seen through several
/// guards, as several tills would), all present the same `codes` codes:
/// each code is accepted exactly once, without a notice.
pub fn many_threads_one_code_exactly_one_acceptance<G: ReplayGuard>(
    guards: &[G],
    threads: usize,
    codes: u64,
) {
    let now = UnixTime::from_secs(T0);
    let accepted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let g = &guards[t % guards.len()];
                s.spawn(move || {
                    let mut ok = 0;
                    for n in 0..codes {
                        match g.mark_seen(id(n), now.plus(60), now) {
                            Ok(None) => ok += 1,
                            Ok(Some(notice)) => panic!("unexpected notice {notice:?}"),
                            Err(e) => assert_eq!(e.reason().as_str(), "replayed", "{e}"),
                        }
                    }
                    ok
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(accepted, usize::try_from(codes).unwrap());
}
