//! `medcode till` and `medcode verify` with the file replay guard across
//! processes: a restart does not reopen the replay window, two tills share
//! one file, and bad replay specs are usage errors.

mod support;

use support::{AT, Till, medcode, outcome, tokens, trust_file};

/// The restart test: a code accepted by one `medcode verify` process is
/// refused by the next one using the same file.
#[test]
fn restart_does_not_reopen_the_replay_window() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("file:{}", dir.path().join("seen.db").display());
    let token = tokens(1).remove(0);
    let verify = || {
        medcode()
            .args(["verify", "--at", AT, "--replay", &spec, "--trust"])
            .arg(trust_file())
            .arg(&token)
            .output()
            .unwrap()
    };
    let first = verify();
    assert_eq!(first.status.code(), Some(0));
    assert!(
        String::from_utf8(first.stdout)
            .unwrap()
            .starts_with("accepted: ")
    );
    let second = verify();
    assert_eq!(second.status.code(), Some(1));
    let stdout = String::from_utf8(second.stdout).unwrap();
    assert!(stdout.starts_with("rejected (replayed): "), "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
}

/// Two till processes on one file present the same 200 codes concurrently:
/// each code is accepted exactly once.
#[test]
fn two_till_processes_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let spec = format!("file:{}", dir.path().join("seen.db").display());
    let codes = tokens(200);
    let run = |name: &str| {
        let codes = codes.clone();
        let spec = spec.clone();
        let err = dir.path().join(name);
        std::thread::spawn(move || {
            let mut till = Till::start(&["--replay", &spec], &err);
            let outcomes: Vec<String> = codes
                .iter()
                .map(|c| outcome(&till.present(c)).to_owned())
                .collect();
            till.finish();
            outcomes
        })
    };
    let (a, b) = (run("a.err"), run("b.err"));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let mut pair = [x.as_str(), y.as_str()];
        pair.sort_unstable();
        assert_eq!(pair, ["accepted", "replayed"], "code {i}");
    }
}

#[test]
fn bad_replay_specs_are_usage_errors() {
    for (spec, extra, message) in [
        (
            "sqlite:/tmp/x.db",
            None,
            "invalid --replay: expected file:PATH, redis://HOST:PORT[/DB], redis+cluster://HOST:PORT[,HOST:PORT...]",
        ),
        ("file:", None, "invalid --replay: file: needs a path"),
        (
            "file:/tmp/medcode-never.db",
            Some("--replay-unavailable=local-fallback"),
            "invalid --replay: --replay-unavailable, --replay-key-prefix and --replay-fallback-file apply to a redis:// or redis+cluster:// guard only",
        ),
        ("redis://127.0.0.1:6379/x", None, "invalid Redis URL: "),
        (
            "redis+cluster://:hunter2@127.0.0.1:7000/3",
            None,
            "invalid Redis URL: expected redis+cluster://HOST:PORT[,HOST:PORT...]: one or more nodes, no database number (a cluster has only database 0)",
        ),
        (
            "redis+cluster://127.0.0.1:7000,",
            None,
            "invalid Redis URL: expected redis+cluster://HOST:PORT[,HOST:PORT...]: one or more nodes",
        ),
    ] {
        let mut cmd = medcode();
        cmd.args(["verify", "--at", AT, "--replay", spec, "--trust"])
            .arg(trust_file())
            .arg("MC1000");
        if let Some(extra) = extra {
            cmd.arg(extra);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{spec}: {stderr}");
        assert!(
            stderr.starts_with(&format!("medcode: error: {message}")),
            "{spec}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    assert!(!std::path::Path::new("/tmp/medcode-never.db").exists());
}
