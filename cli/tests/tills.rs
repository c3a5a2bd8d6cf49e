//! A chain of `medcode till` processes sharing one real redis-server: the
//! race over 1,000 codes, and Redis killed mid-run under both policies.

mod support;

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;
use support::redis_server::RedisServer;
use support::{AT, Till, medcode, notices, outcome, tokens, trust_file};

const FALLBACK_NOTE: &str = "the shared replay guard is unreachable: this code was checked against this till's own records only, so another till may already have accepted it";

/// Two tills, each fed all 1,000 codes at once, race over one Redis:
/// exactly 1,000 acceptances in total, every other answer `replayed`.
#[test]
fn two_tills_race_over_one_thousand_codes() {
    let Some(redis) = RedisServer::start("two_tills_race_over_one_thousand_codes") else {
        return;
    };
    let codes = tokens(1000);
    let input: String = codes.iter().map(|c| format!("{c}\n")).collect();
    let tills: Vec<_> = (0..2)
        .map(|_| {
            let mut child = medcode()
                .args([
                    "till",
                    "--json",
                    "--at",
                    AT,
                    "--replay",
                    &redis.url(),
                    "--trust",
                ])
                .arg(trust_file())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let input = input.clone();
            let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
            (child, writer)
        })
        .collect();
    let mut accepted = 0;
    let mut replayed = 0;
    let mut per_code = vec![0u32; codes.len()];
    for (child, writer) in tills {
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(stderr, "", "no warning while Redis is up");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1000, "one verdict line per code");
        for (i, line) in lines.iter().enumerate() {
            let v: Value = serde_json::from_str(line).unwrap();
            match outcome(&v) {
                "accepted" => {
                    accepted += 1;
                    per_code[i] += 1;
                    assert_eq!(notices(&v), Vec::<String>::new());
                }
                "replayed" => replayed += 1,
                other => panic!("code {i}: {other}: {line}"),
            }
        }
    }
    assert_eq!(accepted, 1000);
    assert_eq!(replayed, 1000);
    assert!(per_code.iter().all(|&n| n == 1), "each code accepted once");
}

/// fail_closed: while Redis is down every code is refused with
/// `replay_guard_unavailable`; on a new server on the same port the till
/// works again without a restart.
#[test]
fn redis_killed_mid_run_fail_closed() {
    let Some(mut redis) = RedisServer::start("redis_killed_mid_run_fail_closed") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let codes = tokens(3);
    let mut till = Till::start(&["--replay", &redis.url()], &dir.path().join("till.err"));
    assert_eq!(outcome(&till.present(&codes[0])), "accepted");
    assert_eq!(outcome(&till.present(&codes[0])), "replayed");

    redis.kill();
    for code in [&codes[1], &codes[1], &codes[0]] {
        let v = till.present(code);
        assert_eq!(outcome(&v), "replay_guard_unavailable", "{v}");
    }
    let stderr = till.stderr();
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("shared replay guard unreachable"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(stderr.contains("refusing codes until it answers (fail-closed)"));

    redis.restart();
    assert_eq!(outcome(&till.present(&codes[1])), "accepted");
    assert_eq!(outcome(&till.present(&codes[1])), "replayed");
    assert_eq!(outcome(&till.present(&codes[2])), "accepted");
    let stderr = till.finish();
    assert!(
        stderr.contains("shared replay guard reachable again"),
        "{stderr}"
    );
}

/// local_fallback: while Redis is down each till accepts a code once and
/// says so in the verdict; after Redis returns, the tills share it again
/// and what they accepted offline is refused at every till.
#[test]
fn redis_killed_mid_run_local_fallback() {
    let Some(mut redis) = RedisServer::start("redis_killed_mid_run_local_fallback") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let codes = tokens(4);
    let url = redis.url();
    // Each till its own fallback file, as on separate machines (tills of
    // one machine sharing the default file share their records).
    let till = |name: &str| {
        let file = dir.path().join(format!("{name}.db"));
        let file = file.to_str().unwrap().to_owned();
        Till::start(
            &[
                "--replay",
                &url,
                "--replay-unavailable",
                "local-fallback",
                "--replay-fallback-file",
                &file,
            ],
            &dir.path().join(format!("{name}.err")),
        )
    };
    let mut a = till("a");
    let mut b = till("b");

    let v = a.present(&codes[0]);
    assert_eq!(outcome(&v), "accepted");
    assert_eq!(notices(&v), Vec::<String>::new());
    assert_eq!(outcome(&b.present(&codes[0])), "replayed");

    redis.kill();
    for till in [&mut a, &mut b] {
        let v = till.present(&codes[1]);
        assert_eq!(outcome(&v), "accepted", "{v}");
        assert_eq!(notices(&v), [FALLBACK_NOTE]);
        assert_eq!(outcome(&till.present(&codes[1])), "replayed");
    }
    assert_eq!(outcome(&a.present(&codes[0])), "replayed");
    assert_eq!(notices(&b.present(&codes[2])), [FALLBACK_NOTE]);
    for (name, till) in [("a", &a), ("b", &b)] {
        let stderr = till.stderr();
        assert!(
            stderr.contains("checking codes against this till's own records only (local-fallback)"),
            "{name}: {stderr}"
        );
    }

    redis.restart();
    let v = a.present(&codes[3]);
    assert_eq!(outcome(&v), "accepted");
    assert_eq!(notices(&v), Vec::<String>::new());
    assert_eq!(outcome(&b.present(&codes[3])), "replayed");
    // A till started after the outage refuses what b accepted offline.
    let mut c = till("c");
    assert_eq!(outcome(&c.present(&codes[2])), "replayed");
    assert_eq!(outcome(&c.present(&codes[1])), "replayed");
    for till in [a, b, c] {
        till.finish();
    }
}

/// The plain-words output of a till: one line per code, the reason in
/// brackets, a note on the same line.
#[test]
fn till_prints_one_plain_line_per_code() {
    let Some(redis) = RedisServer::start("till_prints_one_plain_line_per_code") else {
        return;
    };
    let code = tokens(1).remove(0);
    let out = medcode()
        .args(["till", "--at", AT, "--replay", &redis.url(), "--trust"])
        .arg(trust_file())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let mut stdin = child.stdin.take().unwrap();
            write!(stdin, "{code}\n\n{code}\r\nnot a code\n")?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("accepted: insured 10000000000000000000, region 110000"));
    assert!(lines[1].starts_with("rejected (replayed): replayed: token "));
    assert_eq!(
        lines[2],
        "rejected (malformed): malformed token: not a medcode token (prefix MC1 missing)"
    );
}
