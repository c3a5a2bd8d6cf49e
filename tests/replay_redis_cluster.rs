//! The Redis replay guard on a real three-node Redis Cluster started on
//! free loopback ports (tests/support/redis_cluster.rs): the contract every
//! guard keeps, each code's key on the node of its slot, one acceptance for
//! threads racing on one code, both policies when the cluster is down, the
//! codes accepted offline written to the cluster when it is back, and a
//! failover (a primary killed, its replica promoted) followed without a
//! restart (a six-node cluster).
#![cfg(feature = "redis")]

mod support;

use std::sync::Barrier;
use std::time::{Duration, Instant};

use medcode::replay::{RedisReplayGuard, ReplayGuard, UnavailablePolicy};
use medcode::{Notice, UnixTime};
use support::redis_cluster::RedisCluster;
use support::replay_contract::{self as contract, T0, id};

#[test]
fn each_code_is_accepted_once_through_the_cluster() {
    let Some(cluster) = RedisCluster::start("each_code_is_accepted_once_through_the_cluster")
    else {
        return;
    };
    let g = RedisReplayGuard::new(&cluster.url()).unwrap();
    assert_eq!(g.target(), cluster.url());
    contract::second_presentation_is_replayed(&g);
    // The contract's checks take fresh guards: another key prefix is one.
    contract::token_ids_with_the_top_bit_set_are_codes_like_any_other(
        &RedisReplayGuard::new(&cluster.url())
            .unwrap()
            .with_key_prefix("top-bit:")
            .unwrap(),
    );

    let now = UnixTime::from_secs(T0);
    const N: u64 = 300;
    for n in 100..100 + N {
        assert_eq!(g.mark_seen(id(n), now.plus(75), now).unwrap(), None);
    }
    for n in 100..100 + N {
        let err = g.mark_seen(id(n), now.plus(75), now.plus(30)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }
    // One key per code (the 5 of the contract's checks too), each on the
    // node serving its slot: every node holds some.
    let per_node = cluster.keys_per_node();
    assert_eq!(per_node.iter().sum::<u64>(), N + 5, "{per_node:?}");
    assert!(per_node.iter().all(|&n| n > 0), "{per_node:?}");

    // Another guard (another till) on the same cluster, through another
    // node first: the codes are replayed there too.
    let nodes = cluster.nodes();
    let other =
        RedisReplayGuard::new(&format!("redis+cluster://127.0.0.1:{}", nodes[2].port())).unwrap();
    for n in 100..100 + N {
        let err = other.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }
    assert_eq!(other.mark_seen(id(99), now.plus(75), now).unwrap(), None);
}

#[test]
fn threads_racing_on_one_code_get_exactly_one_acceptance() {
    let Some(cluster) =
        RedisCluster::start("threads_racing_on_one_code_get_exactly_one_acceptance")
    else {
        return;
    };
    // Two tills, four threads each, all on the same 50 codes in turn.
    let tills = [
        RedisReplayGuard::new(&cluster.url()).unwrap(),
        RedisReplayGuard::new(&cluster.url()).unwrap(),
    ];
    let now = UnixTime::from_secs(T0);
    const THREADS: usize = 8;
    const CODES: u64 = 50;
    let barrier = Barrier::new(THREADS);
    let outcomes: Vec<Vec<&'static str>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (g, barrier) = (&tills[t % 2], &barrier);
                s.spawn(move || {
                    (0..CODES)
                        .map(|n| {
                            barrier.wait();
                            match g.mark_seen(id(1000 + n), now.plus(75), now) {
                                Ok(None) => "accepted",
                                Ok(Some(_)) => "notice",
                                Err(e) => e.reason().as_str(),
                            }
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for n in 0..usize::try_from(CODES).unwrap() {
        let of_code: Vec<&str> = outcomes.iter().map(|o| o[n]).collect();
        let accepted = of_code.iter().filter(|&&o| o == "accepted").count();
        let replayed = of_code.iter().filter(|&&o| o == "replayed").count();
        assert_eq!(
            (accepted, replayed),
            (1, THREADS - 1),
            "code {n}: {of_code:?}"
        );
    }
    assert_eq!(
        cluster.keys_per_node().iter().sum::<u64>(),
        CODES,
        "one key per code"
    );
}

#[test]
fn a_cluster_down_is_refused_fail_closed_or_falls_back_locally_then_synced() {
    let Some(mut cluster) = RedisCluster::start(
        "a_cluster_down_is_refused_fail_closed_or_falls_back_locally_then_synced",
    ) else {
        return;
    };
    let closed = RedisReplayGuard::new(&cluster.url()).unwrap();
    let fallback = RedisReplayGuard::new(&cluster.url())
        .unwrap()
        .with_policy(UnavailablePolicy::LocalFallback);
    let now = UnixTime::from_secs(T0);
    assert_eq!(closed.mark_seen(id(1), now.plus(75), now).unwrap(), None);
    assert_eq!(fallback.mark_seen(id(2), now.plus(75), now).unwrap(), None);

    cluster.kill_all();
    let err = closed.mark_seen(id(3), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replay_guard_unavailable");
    assert!(
        err.to_string()
            .starts_with(&format!("replay guard unavailable: {}: ", cluster.url())),
        "{err}"
    );
    assert_eq!(
        fallback.mark_seen(id(3), now.plus(75), now).unwrap(),
        Some(Notice::ReplayGuardLocalFallback)
    );
    // This till's own records still refuse what it accepted.
    for n in [2, 3] {
        let err = fallback.mark_seen(id(n), now.plus(75), now).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }

    // The cluster back (empty): the fallback till writes the code it
    // accepted offline to it by itself, and the other till refuses it.
    cluster.restart_all();
    let deadline = Instant::now() + Duration::from_secs(30);
    while cluster.keys_per_node().iter().sum::<u64>() < 1 {
        assert!(Instant::now() < deadline, "the offline code was not pushed");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(cluster.keys_per_node().iter().sum::<u64>(), 1);
    let err = closed.mark_seen(id(3), now.plus(75), now).unwrap_err();
    assert_eq!(err.reason().as_str(), "replayed");
    assert_eq!(closed.mark_seen(id(4), now.plus(75), now).unwrap(), None);
}

#[test]
fn a_killed_primary_is_replaced_by_its_replica_and_no_code_is_accepted_twice() {
    let test = "a_killed_primary_is_replaced_by_its_replica_and_no_code_is_accepted_twice";
    let Some(mut cluster) = RedisCluster::start_with_replicas(test) else {
        return;
    };
    let g = RedisReplayGuard::new(&cluster.url()).unwrap();
    let now = UnixTime::from_secs(T0);
    const N: u64 = 200;
    for n in 0..N {
        assert_eq!(g.mark_seen(id(n), now.plus(75), now).unwrap(), None);
    }
    // Redis replicates asynchronously: the test waits for the replicas, so
    // that what it checks is the guard's following of the failover.
    cluster.wait_replicated();
    let primary = (0..6).find(|&i| cluster.is_primary(i)).unwrap();
    cluster.kill(primary);

    // Until the replica is promoted, codes on the dead node's slots are
    // refused for the guard (fail-closed), never accepted nor replayed;
    // then the guard follows the new slot map without a restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut refused = 0;
    loop {
        let done = (0..N).all(|n| match g.mark_seen(id(n), now.plus(75), now.plus(1)) {
            Err(e) if e.reason().as_str() == "replayed" => true,
            Err(e) if e.reason().as_str() == "replay_guard_unavailable" => {
                refused += 1;
                false
            }
            other => panic!("code {n} after the primary died: {other:?}"),
        });
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the guard did not follow the failover ({refused} refusals)"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // The dead primary's codes were refused before its replica took over
    // (promotion takes at least the node timeout, one second).
    assert!(
        refused > 0,
        "no code was refused while the primary was down"
    );
    // Every earlier code is replayed on the new primary; new codes are
    // accepted once, on every slot.
    for n in 1_000..1_000 + N {
        assert_eq!(g.mark_seen(id(n), now.plus(75), now.plus(2)).unwrap(), None);
        let err = g.mark_seen(id(n), now.plus(75), now.plus(2)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed", "code {n}");
    }
}
