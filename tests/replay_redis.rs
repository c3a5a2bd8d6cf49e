//! The Redis replay guard against a real redis-server started on a free
//! loopback port, beyond the contract every guard keeps
//! (tests/replay_contract.rs): one SET NX PX round trip per check on a
//! reused connection, DB number and key prefix, expiry by Redis itself, and
//! the two policies for an unreachable server.
#![cfg(feature = "redis")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medcode::replay::{RedisEvent, RedisReplayGuard, ReplayGuard, UnavailablePolicy};
use medcode::{Notice, TokenId, UnixTime};
use support::redis_server::{RedisServer, dbsize, within};

const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

fn id(n: u64) -> TokenId {
    TokenId::from_bytes(n.to_le_bytes())
}

fn info(conn: &mut redis::Connection, section: &str, field: &str) -> u64 {
    let text: String = redis::cmd("INFO").arg(section).query(conn).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// `calls=N` of one command in `INFO commandstats`, 0 when never called.
fn calls(conn: &mut redis::Connection, command: &str) -> u64 {
    let text: String = redis::cmd("INFO").arg("commandstats").query(conn).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .map_or(0, |rest| rest.split(',').next().unwrap().parse().unwrap())
}

/// The events `g` reports, recorded in order.
type Events = Arc<Mutex<Vec<RedisEvent>>>;

/// `g` with a hook that records its events.
fn recording(g: RedisReplayGuard) -> (RedisReplayGuard, Events) {
    let events = Events::default();
    let seen = Arc::clone(&events);
    (
        g.with_event_hook(move |e| seen.lock().unwrap().push(e.clone())),
        events,
    )
}

/// Waits up to 2 s for two events, then asserts that they are an outage
/// and the server back with `synced` codes pushed to it.
#[track_caller]
fn assert_outage_then_back(events: &Events, synced: usize) {
    assert!(within(Duration::from_secs(2), || events
        .lock()
        .unwrap()
        .len()
        == 2));
    let events = events.lock().unwrap();
    assert!(
        matches!(
            events.as_slice(),
            [RedisEvent::Unreachable { .. }, RedisEvent::Reachable { synced: s }] if *s == synced
        ),
        "{events:?}"
    );
}

/// An admin connection, and a guard on `redis` whose first check (of id
/// `first`, recorded at T0) connected it, with the server's command
/// statistics reset after that check; and T0.
fn connected(redis: &RedisServer, first: u64) -> (redis::Connection, RedisReplayGuard, UnixTime) {
    let mut admin = redis.client(0);
    let g = RedisReplayGuard::new(&redis.url()).unwrap();
    let now = UnixTime::from_secs(T0);
    assert_eq!(g.mark_seen(id(first), now.plus(75), now).unwrap(), None);
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query(&mut admin)
        .unwrap();
    (admin, g, now)
}

#[test]
fn one_set_nx_px_per_check_on_a_reused_connection() {
    let Some(redis) = RedisServer::start("one_set_nx_px_per_check_on_a_reused_connection") else {
        return;
    };
    let (mut admin, g, now) = connected(&redis, 0);

    for n in 1..=100 {
        assert_eq!(g.mark_seen(id(n), now.plus(75), now).unwrap(), None);
    }
    for n in 1..=100 {
        let err = g.mark_seen(id(n), now.plus(75), now.plus(30)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
    // 200 checks, 200 commands, all SET, on the one connection of the first.
    assert_eq!(calls(&mut admin, "set"), 200);
    let total: u64 = ["get", "select", "hello", "client|setinfo", "ping"]
        .iter()
        .map(|c| calls(&mut admin, c))
        .sum();
    assert_eq!(total, 0, "no command but SET");
    assert_eq!(info(&mut admin, "stats", "total_connections_received"), 0);

    // The key: prefix + token id, a nonce as value, expiring with the token.
    let key = "medcode:seen:0100000000000000";
    let ttl: i64 = redis::cmd("PTTL").arg(key).query(&mut admin).unwrap();
    assert!((1..=76_000).contains(&ttl), "{ttl}");
    let value: String = redis::cmd("GET").arg(key).query(&mut admin).unwrap();
    assert!(value.parse::<u64>().is_ok(), "{value}");
}

#[test]
fn db_number_and_key_prefix_are_honoured() {
    let Some(redis) = RedisServer::start("db_number_and_key_prefix_are_honoured") else {
        return;
    };
    let g = RedisReplayGuard::new(&format!("{}/5", redis.url()))
        .unwrap()
        .with_key_prefix("chain-a:")
        .unwrap();
    assert_eq!(g.target(), format!("{}/5", redis.url()));
    let now = UnixTime::from_secs(T0);
    g.mark_seen(id(9), now.plus(75), now).unwrap();
    let key = "chain-a:0900000000000000";
    let in_db5: bool = redis::cmd("EXISTS")
        .arg(key)
        .query(&mut redis.client(5))
        .unwrap();
    let in_db0: u64 = redis::cmd("DBSIZE").query(&mut redis.client(0)).unwrap();
    assert!(in_db5);
    assert_eq!(in_db0, 0);
    // Another prefix is another namespace: the same code is new there.
    let other = RedisReplayGuard::new(&format!("{}/5", redis.url()))
        .unwrap()
        .with_key_prefix("chain-b:")
        .unwrap();
    other.mark_seen(id(9), now.plus(75), now).unwrap();
    let err = g.mark_seen(id(9), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
}

#[test]
fn redis_expires_the_record_itself() {
    let Some(redis) = RedisServer::start("redis_expires_the_record_itself") else {
        return;
    };
    let g = RedisReplayGuard::new(&redis.url()).unwrap();
    let now = UnixTime::from_secs(T0);
    // `until == now`: recorded for the rest of this second, i.e. 1000 ms.
    g.mark_seen(id(1), now, now).unwrap();
    let err = g.mark_seen(id(1), now, now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    std::thread::sleep(Duration::from_millis(1300));
    let exists: bool = redis::cmd("EXISTS")
        .arg(g.key(id(1)))
        .query(&mut redis.client(0))
        .unwrap();
    assert!(!exists, "Redis dropped the expired record");
}

#[test]
fn fail_closed_refuses_while_redis_is_down_and_recovers() {
    let Some(mut redis) =
        RedisServer::start("fail_closed_refuses_while_redis_is_down_and_recovers")
    else {
        return;
    };
    let (g, events) = recording(RedisReplayGuard::new(&redis.url()).unwrap());
    assert_eq!(g.policy(), UnavailablePolicy::FailClosed);
    let now = UnixTime::from_secs(T0);
    g.mark_seen(id(1), now.plus(75), now).unwrap();

    redis.kill();
    for n in [1, 2, 2] {
        let err = g.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
        assert!(
            err.to_string()
                .starts_with(&format!("replay guard unavailable: {}/0: ", redis.url())),
            "{err}"
        );
    }
    // Reported once, not once per code.
    assert!(matches!(
        events.lock().unwrap().as_slice(),
        [RedisEvent::Unreachable { .. }]
    ));

    redis.restart();
    g.mark_seen(id(2), now.plus(75), now).unwrap();
    let err = g.mark_seen(id(2), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(
        events.lock().unwrap().last(),
        Some(&RedisEvent::Reachable { synced: 0 })
    );
}

#[test]
fn check_reachable_pings_without_recording_and_reports_the_outage_once() {
    let Some(mut redis) =
        RedisServer::start("check_reachable_pings_without_recording_and_reports_the_outage_once")
    else {
        return;
    };
    let (g, events) = recording(RedisReplayGuard::new(&redis.url()).unwrap());
    let now = UnixTime::from_secs(T0);
    g.check_reachable(now).unwrap();
    assert_eq!(dbsize(&redis), 0, "a readiness check records nothing");

    redis.kill();
    for _ in 0..2 {
        let err = g.check_reachable(now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    }
    assert!(matches!(
        events.lock().unwrap().as_slice(),
        [RedisEvent::Unreachable { .. }]
    ));

    redis.restart();
    g.check_reachable(now).unwrap();
    assert_eq!(
        events.lock().unwrap().last(),
        Some(&RedisEvent::Reachable { synced: 0 })
    );
    assert_eq!(events.lock().unwrap().len(), 2);
    g.mark_seen(id(1), now.plus(75), now).unwrap();
}

#[test]
fn local_fallback_accepts_once_per_till_and_syncs_on_recovery() {
    let Some(mut redis) =
        RedisServer::start("local_fallback_accepts_once_per_till_and_syncs_on_recovery")
    else {
        return;
    };
    let till = |events: &Arc<Mutex<Vec<RedisEvent>>>| {
        let seen = Arc::clone(events);
        RedisReplayGuard::new(&redis.url())
            .unwrap()
            .with_policy(UnavailablePolicy::LocalFallback)
            .with_event_hook(move |e| seen.lock().unwrap().push(e.clone()))
    };
    let (ev_a, ev_b) = (Arc::default(), Arc::default());
    let (a, b) = (till(&ev_a), till(&ev_b));
    let now = UnixTime::from_secs(T0);
    let fallback = Some(Notice::ReplayGuardLocalFallback);

    a.mark_seen(id(1), now.plus(75), now).unwrap();
    let err = b.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");

    redis.kill();
    // Each till accepts code 2 once, saying it checked locally only.
    assert_eq!(a.mark_seen(id(2), now.plus(75), now).unwrap(), fallback);
    assert_eq!(b.mark_seen(id(2), now.plus(75), now).unwrap(), fallback);
    for g in [&a, &b] {
        let err = g.mark_seen(id(2), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
    // Till a accepted code 1 online: still refused offline.
    let err = a.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    // Only b saw code 3 offline.
    assert_eq!(b.mark_seen(id(3), now.plus(75), now).unwrap(), fallback);

    redis.restart();
    // Back online: no notice, shared again.
    assert_eq!(a.mark_seen(id(4), now.plus(75), now).unwrap(), None);
    let err = b.mark_seen(id(4), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    // b's offline acceptance of code 3 was written to the new server on
    // recovery, so a third till refuses it.
    let c = RedisReplayGuard::new(&redis.url()).unwrap();
    let err = c.mark_seen(id(3), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    // Each wrote at least what it accepted offline (b: codes 2 and 3, a:
    // code 2); the restarted server also got back the live codes each had
    // recorded online, as many as were live when it noticed the restart.
    for (events, offline) in [(&ev_b, 2), (&ev_a, 1)] {
        let last = events.lock().unwrap().last().cloned();
        assert!(
            matches!(last, Some(RedisEvent::Reachable { synced }) if (offline..=4).contains(&synced)),
            "{last:?}"
        );
    }
}

#[test]
fn an_error_reply_is_unavailable_and_the_connection_kept() {
    let Some(redis) = RedisServer::start("an_error_reply_is_unavailable_and_the_connection_kept")
    else {
        return;
    };
    let mut admin = redis.client(0);
    let g = RedisReplayGuard::new(&redis.url()).unwrap();
    let now = UnixTime::from_secs(T0);
    g.mark_seen(id(1), now.plus(75), now).unwrap();
    let connections = info(&mut admin, "stats", "total_connections_received");
    // A server out of memory refuses writes with an error reply.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("1")
        .query(&mut admin)
        .unwrap();
    let err = g.mark_seen(id(2), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    assert!(err.to_string().contains("OOM"), "{err}");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg("0")
        .query(&mut admin)
        .unwrap();
    g.mark_seen(id(2), now.plus(75), now).unwrap();
    assert_eq!(
        info(&mut admin, "stats", "total_connections_received"),
        connections
    );
}

#[test]
fn an_unreachable_address_is_bounded_by_the_connect_timeout() {
    // Nothing listens on a port just found free: refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let g = RedisReplayGuard::new(&format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .with_timeouts(Duration::from_millis(200), Duration::from_millis(200));
    let now = UnixTime::from_secs(T0);
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
}

/// Till a accepts 3,000 codes while Redis is down and then stands idle:
/// its background push writes them all once Redis answers again, so that
/// till b refuses them without a's checking another code.
#[test]
fn an_idle_local_fallback_till_pushes_its_offline_codes_when_redis_returns() {
    let Some(mut redis) = RedisServer::start(
        "an_idle_local_fallback_till_pushes_its_offline_codes_when_redis_returns",
    ) else {
        return;
    };
    const CODES: u64 = 3000;
    let (a, events) = recording(
        RedisReplayGuard::new(&redis.url())
            .unwrap()
            .with_policy(UnavailablePolicy::LocalFallback),
    );
    let now = UnixTime::from_secs(T0);
    redis.kill();
    for n in 0..CODES {
        assert_eq!(
            a.mark_seen(id(n), now.plus(75), now).unwrap(),
            Some(Notice::ReplayGuardLocalFallback)
        );
    }

    redis.restart();
    let back = Instant::now();
    // Within 2 s of Redis returning, with no check by a in between.
    assert!(
        within(Duration::from_secs(2), || dbsize(&redis) == CODES),
        "{} of {CODES} codes on the server 2 s after it returned",
        dbsize(&redis)
    );
    eprintln!(
        "pushed {CODES} offline codes {:?} after redis returned",
        back.elapsed()
    );
    let b = RedisReplayGuard::new(&redis.url()).unwrap();
    for n in [0, CODES / 2, CODES - 1] {
        let err = b.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
    assert_outage_then_back(&events, 3000);
    // Dropping the guard stops its thread; the server is unchanged.
    drop(a);
    assert_eq!(dbsize(&redis), CODES);
}

/// A code accepted online, then Redis restarted without persistence
/// (empty), then the same code at a second replica: `replayed`. The first
/// replica noticed the restart (the server's `run_id`) without a check and
/// wrote back every live code of its own records, not only those it
/// accepted offline.
#[test]
fn codes_accepted_online_are_written_back_to_a_redis_restarted_empty() {
    let Some(mut redis) =
        RedisServer::start("codes_accepted_online_are_written_back_to_a_redis_restarted_empty")
    else {
        return;
    };
    let a = RedisReplayGuard::new(&redis.url())
        .unwrap()
        .with_policy(UnavailablePolicy::LocalFallback);
    let now = UnixTime::from_secs(T0);
    for n in 0..3 {
        assert_eq!(a.mark_seen(id(n), now.plus(75), now).unwrap(), None);
    }
    assert_eq!(dbsize(&redis), 3);
    redis.restart();
    assert_eq!(dbsize(&redis), 0);
    // No check by a: its own thread writes the three back (a hang guard,
    // no time asserted).
    assert!(
        within(Duration::from_secs(30), || dbsize(&redis) == 3),
        "{} of 3 codes back on the restarted server",
        dbsize(&redis)
    );
    let b = RedisReplayGuard::new(&redis.url()).unwrap();
    for n in 0..3 {
        let err = b.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
    }
    // A code a never saw is still accepted once.
    assert_eq!(b.mark_seen(id(9), now.plus(75), now).unwrap(), None);
}

/// With a fallback file, a till restarted during the outage still refuses
/// what it accepted before, and after Redis returns writes to it both the
/// code it accepted offline before the restart and the codes of its file
/// the restarted server lost, without a check.
#[test]
fn a_fallback_file_survives_a_restart_during_the_outage() {
    let Some(mut redis) =
        RedisServer::start("a_fallback_file_survives_a_restart_during_the_outage")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir
        .path()
        .join(medcode::replay::fallback_file_name(&redis.url(), None).unwrap());
    let now = UnixTime::from_secs(T0);
    let url = redis.url();
    let till = |events: &Arc<Mutex<Vec<RedisEvent>>>| {
        let seen = Arc::clone(events);
        RedisReplayGuard::new(&url)
            .unwrap()
            .with_policy(UnavailablePolicy::LocalFallback)
            .with_event_hook(move |e| seen.lock().unwrap().push(e.clone()))
            .with_fallback_file(&file)
            .unwrap()
    };
    let fallback = Some(Notice::ReplayGuardLocalFallback);

    let first = till(&Arc::default());
    // Code 1 online, code 2 offline.
    assert_eq!(first.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    redis.kill();
    assert_eq!(first.mark_seen(id(2), now.plus(75), now).unwrap(), fallback);
    drop(first);

    // Restarted with Redis still down.
    let events = Arc::default();
    let second = till(&events);
    for n in [1, 2] {
        let err = second.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }
    assert_eq!(
        second.mark_seen(id(3), now.plus(75), now).unwrap(),
        fallback
    );

    // Redis returns empty (no persistence); the idle till fills it.
    redis.restart();
    assert!(
        within(Duration::from_secs(2), || dbsize(&redis) == 3),
        "{} codes on the server",
        dbsize(&redis)
    );
    let other = RedisReplayGuard::new(&redis.url()).unwrap();
    for n in [1, 2, 3] {
        let err = other.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }
    assert_outage_then_back(&events, 3);
}

/// A till restarted during the outage that checks no code before Redis
/// returns still writes its fallback file's codes, with the expiry
/// recorded for each (the server's clock: `EXAT`), so another till refuses
/// them. The codes here expire in 2100, after this test by any clock.
#[test]
fn a_restarted_till_pushes_its_file_before_its_first_check() {
    let Some(mut redis) =
        RedisServer::start("a_restarted_till_pushes_its_file_before_its_first_check")
    else {
        return;
    };
    const LATER: u64 = 4_102_444_800; // 2100-01-01T00:00:00Z
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fallback.db");
    let url = redis.url();
    let till = || {
        RedisReplayGuard::new(&url)
            .unwrap()
            .with_policy(UnavailablePolicy::LocalFallback)
            .with_fallback_file(&file)
            .unwrap()
    };
    let now = UnixTime::from_secs(LATER);
    let first = till();
    redis.kill();
    assert_eq!(
        first.mark_seen(id(9), now.plus(75), now).unwrap(),
        Some(Notice::ReplayGuardLocalFallback)
    );
    drop(first);
    let restarted = till();
    redis.restart();
    assert!(
        within(Duration::from_secs(2), || dbsize(&redis) == 1),
        "the restarted till did not write its file's code"
    );
    let mut admin = redis.client(0);
    let expires_at: i64 = redis::cmd("EXPIRETIME")
        .arg(restarted.key(id(9)))
        .query(&mut admin)
        .unwrap();
    assert_eq!(expires_at, i64::try_from(LATER + 75 + 1).unwrap());
    let other = RedisReplayGuard::new(&redis.url()).unwrap();
    let err = other.mark_seen(id(9), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
}

#[test]
fn mark_seen_many_is_one_pipelined_round_trip_with_in_order_verdicts() {
    let Some(redis) =
        RedisServer::start("mark_seen_many_is_one_pipelined_round_trip_with_in_order_verdicts")
    else {
        return;
    };
    let (mut admin, g, now) = connected(&redis, 1000);
    // 64 ids, id 7 twice and id 1000 already recorded.
    let mut items: Vec<(TokenId, UnixTime)> = (0..62).map(|n| (id(n), now.plus(75))).collect();
    items.push((id(7), now.plus(75)));
    items.push((id(1000), now.plus(75)));
    let verdicts: Vec<&str> = g
        .mark_seen_many(&items, now)
        .iter()
        .map(|r| match r {
            Ok(None) => "recorded",
            Ok(Some(_)) => "notice",
            Err(e) => e.reason().as_str(),
        })
        .collect();
    let mut want = vec!["recorded"; 62];
    want.extend(["replayed", "replayed"]);
    assert_eq!(verdicts, want);
    // 64 SET commands, in one connection's pipeline, nothing else.
    assert_eq!(calls(&mut admin, "set"), 64);
    assert_eq!(calls(&mut admin, "get"), 0);
    assert_eq!(info(&mut admin, "stats", "total_connections_received"), 0);
    // Redis down: every item is unavailable (fail-closed).
    drop(redis);
    let items = [(id(5000), now.plus(75)), (id(5001), now.plus(75))];
    let reasons: Vec<&str> = g
        .mark_seen_many(&items, now)
        .iter()
        .map(|r| r.as_ref().unwrap_err().reason().as_str())
        .collect();
    assert_eq!(reasons, ["replay_guard_unavailable"; 2]);
}

#[test]
fn a_password_is_sent_and_never_shown() {
    const PASSWORD: &str = "s3cret-pw";
    let Some(redis) =
        RedisServer::start_with_password("a_password_is_sent_and_never_shown", PASSWORD)
    else {
        return;
    };
    let port = redis.port();
    let now = UnixTime::from_secs(T0);
    let g = RedisReplayGuard::new(&format!("redis://:{PASSWORD}@127.0.0.1:{port}")).unwrap();
    assert_eq!(g.target(), format!("redis://127.0.0.1:{port}/0"));
    assert!(!format!("{g:?}").contains(PASSWORD), "{g:?}");
    g.mark_seen(id(1), now.plus(75), now).unwrap();
    let err = g.mark_seen(id(1), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");

    // A wrong password, or none, is an unreachable guard: refused codes,
    // and neither the error nor the event shows what was sent.
    for url in [
        format!("redis://:wrong-pw@127.0.0.1:{port}"),
        format!("redis://127.0.0.1:{port}"),
    ] {
        let (g, events) = recording(RedisReplayGuard::new(&url).unwrap());
        let err = g.mark_seen(id(2), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replay_guard_unavailable", "{url}");
        let shown = format!("{err} {err:?} {:?}", events.lock().unwrap());
        assert!(
            !shown.contains("wrong-pw") && !shown.contains(PASSWORD),
            "{shown}"
        );
        assert!(
            matches!(
                events.lock().unwrap().as_slice(),
                [RedisEvent::Unreachable { .. }]
            ),
            "{shown}"
        );
    }
    // Nothing was recorded by the refused guards.
    let err = g.mark_seen(id(2), now.plus(75), now);
    assert_eq!(err.map_err(|e| e.reason().as_str()), Ok(None));
}
