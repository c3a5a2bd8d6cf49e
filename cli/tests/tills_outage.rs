//! `medcode till --replay redis://.. --replay-unavailable local-fallback`
//! around a Redis outage, with real processes and a real redis-server: an
//! idle till writes what it accepted offline to Redis as soon as it
//! returns, and a till killed during the outage keeps its records in its
//! fallback file (by default in the state directory) across the restart.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::redis_server::{RedisServer, dbsize, within};
use support::run::state_home;
use support::{Till, notices, outcome, tokens};

const FALLBACK_NOTE: &str = "the shared replay guard is unreachable: this code was checked against this till's own records only, so another till may already have accepted it";

fn local_fallback(url: &str, file: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = ["--replay", url, "--replay-unavailable", "local-fallback"]
        .map(String::from)
        .into();
    if let Some(file) = file {
        args.extend(["--replay-fallback-file".to_owned(), file.to_owned()]);
    }
    args
}

fn start(args: &[String], stderr: PathBuf) -> Till {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Till::start(&args, &stderr)
}

/// Till A accepts code C offline, Redis returns, A stays idle: till B, a
/// separate process, refuses C once it is on the server, within 2 s of
/// Redis answering again.
#[test]
fn an_idle_till_pushes_its_offline_code_so_another_till_refuses_it() {
    let Some(mut redis) =
        RedisServer::start("an_idle_till_pushes_its_offline_code_so_another_till_refuses_it")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let code = &tokens(1)[0];
    let file = dir.path().join("a.db");
    let mut a = start(
        &local_fallback(&redis.url(), Some(file.to_str().unwrap())),
        dir.path().join("a.err"),
    );
    redis.kill();
    let v = a.present(code);
    assert_eq!(outcome(&v), "accepted");
    assert_eq!(notices(&v), [FALLBACK_NOTE]);

    redis.restart();
    assert!(
        within(Duration::from_secs(2), || dbsize(&redis) == 1),
        "the idle till did not write its offline code within 2 s"
    );
    let mut b = start(
        &["--replay".to_owned(), redis.url()],
        dir.path().join("b.err"),
    );
    assert_eq!(outcome(&b.present(code)), "replayed");
    b.finish();
    let stderr = a.finish();
    assert!(
        stderr.contains(
            "shared replay guard reachable again; 1 code(s) accepted offline recorded in it"
        ),
        "{stderr}"
    );
}

/// A till killed (SIGKILL) during the outage and started again with Redis
/// still down refuses the code it accepted before (its default fallback
/// file in the state directory kept it); once Redis returns, the
/// restarted till writes the code to it and another till refuses it.
#[test]
fn a_till_killed_during_the_outage_keeps_its_offline_code() {
    let Some(mut redis) =
        RedisServer::start("a_till_killed_during_the_outage_keeps_its_offline_code")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let codes = tokens(2);
    let args = local_fallback(&redis.url(), None);
    let mut a = start(&args, dir.path().join("a1.err"));
    assert_eq!(outcome(&a.present(&codes[0])), "accepted");
    redis.kill();
    assert_eq!(notices(&a.present(&codes[1])), [FALLBACK_NOTE]);
    // Dropping a running Till kills it with SIGKILL.
    drop(a);

    // The default fallback file: one per server and prefix, mode 0600.
    let files: Vec<PathBuf> = std::fs::read_dir(state_home().join("medcode"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "db"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert_eq!(
        name,
        medcode::replay::fallback_file_name(&redis.url(), None).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let mut a = start(&args, dir.path().join("a2.err"));
    for code in &codes {
        assert_eq!(outcome(&a.present(code)), "replayed");
    }

    // Redis returns empty; the restarted till writes both codes of its
    // file (the one accepted online was lost with the old server).
    redis.restart();
    assert!(
        within(Duration::from_secs(2), || dbsize(&redis) == 2),
        "{} codes on the server",
        dbsize(&redis)
    );
    let mut b = start(
        &["--replay".to_owned(), redis.url()],
        dir.path().join("b.err"),
    );
    for code in &codes {
        assert_eq!(outcome(&b.present(code)), "replayed");
    }
    b.finish();
    a.finish();
}

/// `--replay-fallback-file` belongs to local-fallback: refused with
/// fail-closed (which never falls back) and without a Redis guard.
#[test]
fn a_fallback_file_needs_local_fallback() {
    let run = support::run::run(&[
        "till",
        "--trust",
        "keys/trust.json",
        "--replay",
        "redis://127.0.0.1:1",
        "--replay-unavailable",
        "fail-closed",
        "--replay-fallback-file",
        "x.db",
    ]);
    run.assert_stderr(
        2,
        "invalid --replay-fallback-file: applies to --replay-unavailable local-fallback only",
    );
    let run = support::run::run(&[
        "till",
        "--trust",
        "keys/trust.json",
        "--replay-fallback-file",
        "x.db",
    ]);
    run.assert_stderr(2, "--replay-unavailable");
}
