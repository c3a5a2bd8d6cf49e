//! Two `medcode serve` replicas sharing one real three-node Redis Cluster
//! (tests/support/redis_cluster.rs, `--replay redis+cluster://...`): each of
//! 2,000 distinct codes, sent to both replicas at once by several client
//! threads, is accepted exactly once and `replayed` once.

mod support;

use std::sync::Barrier;

use serde_json::json;

use support::redis_cluster::RedisCluster;
use support::service::{Service, agent, args, get, now, post_json_on};
use support::{outcome, tokens_at, trust_file};

/// Codes in all.
const CODES: usize = 2_000;
/// Codes issued together, well inside their 60 s validity while sent.
const BATCH: usize = 250;
/// Client threads per replica.
const THREADS: usize = 4;

/// The value of `medcode_verdicts_total{reason="REASON"}` in a replica's metrics.
fn verdicts(svc: &Service, reason: &str) -> u64 {
    let (status, text) = get(svc, "/metrics");
    assert_eq!(status, 200, "{text}");
    let name = format!(r#"medcode_verdicts_total{{reason="{reason}"}} "#);
    text.lines()
        .find_map(|l| l.strip_prefix(name.as_str()))
        .map_or(0, |v| v.trim().parse().unwrap())
}

#[test]
fn two_replicas_on_one_redis_cluster_accept_each_of_2000_codes_exactly_once() {
    let test = "two_replicas_on_one_redis_cluster_accept_each_of_2000_codes_exactly_once";
    let Some(cluster) = RedisCluster::start(test) else {
        return;
    };
    let trust = trust_file();
    let start = || {
        Service::start(&args(&[
            "--trust",
            trust.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--replay",
            &cluster.url(),
        ]))
    };
    let replicas = [start(), start()];
    let mut outcomes: Vec<[String; 2]> = Vec::with_capacity(CODES);
    for batch in 0..CODES / BATCH {
        // Distinct insured ids across batches: distinct codes.
        let codes = tokens_at(batch * BATCH..(batch + 1) * BATCH, now());
        let barrier = Barrier::new(2 * THREADS);
        // Thread t of each replica sends codes t, t + THREADS, ...: both
        // replicas get every code at about the same moment.
        let sent: Vec<Vec<(usize, String)>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2 * THREADS)
                .map(|w| {
                    let (svc, t) = (&replicas[w / THREADS], w % THREADS);
                    let (codes, barrier) = (&codes, &barrier);
                    s.spawn(move || {
                        let agent = agent();
                        barrier.wait();
                        (t..codes.len())
                            .step_by(THREADS)
                            .map(|i| {
                                let body = json!({"code": codes[i]});
                                let (status, v) = post_json_on(&agent, svc, "/v1/verify", &body);
                                assert_eq!(status, 200, "{v}");
                                (i, outcome(&v).to_owned())
                            })
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut of_batch = vec![[String::new(), String::new()]; BATCH];
        for (w, answers) in sent.into_iter().enumerate() {
            for (i, verdict) in answers {
                of_batch[i][w / THREADS] = verdict;
            }
        }
        outcomes.extend(of_batch);
    }

    assert_eq!(outcomes.len(), CODES);
    for (i, pair) in outcomes.iter().enumerate() {
        let pair = [pair[0].as_str(), pair[1].as_str()];
        assert!(
            pair == ["accepted", "replayed"] || pair == ["replayed", "accepted"],
            "code {i}: {pair:?}"
        );
    }
    let count = |verdict: &str| {
        outcomes
            .iter()
            .flatten()
            .filter(|v| v.as_str() == verdict)
            .count()
    };
    assert_eq!((count("accepted"), count("replayed")), (CODES, CODES));
    // The replicas count the same: 2,000 acceptances and 2,000 replays
    // between them.
    let total = |reason: &str| replicas.iter().map(|r| verdicts(r, reason)).sum::<u64>();
    assert_eq!((total("accepted"), total("replayed")), (2_000, 2_000));
    // One key per code, spread over the cluster's three nodes.
    let per_node = cluster.keys_per_node();
    assert_eq!(per_node.iter().sum::<u64>(), 2_000, "{per_node:?}");
    assert!(per_node.iter().all(|&n| n > 0), "{per_node:?}");
    for svc in &replicas {
        assert_eq!(get(svc, "/readyz").0, 200);
    }
    let [one, two] = replicas;
    assert_eq!((one.stop(), two.stop()), (0, 0));
}
