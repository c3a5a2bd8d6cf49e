//! `medcode show`: the holder's refreshing code, run as a real process and
//! stopped with SIGINT (Ctrl-C) the way a person would stop it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use medcode::{Reason, TrustList, UnixTime, Verifier};

mod support;
use support::{cmdline, medcode, trust_file};

fn demo_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = std::iter::once("show")
        .chain(support::DEMO_HOLDER)
        .chain(["--name", "张*"])
        .map(str::to_owned)
        .collect();
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn now() -> UnixTime {
    UnixTime::from_secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs(),
    )
}

#[test]
fn show_refreshes_codes_and_exits_0_on_ctrl_c() {
    let mut child = medcode()
        .args(demo_args(&["--ttl", "5", "--refresh", "1"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("medcode show starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();

    // Two consecutive codes, one second apart.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tokens = Vec::new();
    while tokens.len() < 2 && Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => tokens.push(line),
            _ => break,
        }
    }
    let checked_at = now();

    // Ctrl-C.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "medcode show did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0), "Ctrl-C ends show with status 0");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr readable");
    assert!(!stderr.contains("panicked"), "{stderr}");

    assert_eq!(tokens.len(), 2, "two codes within 20 s; stderr: {stderr}");
    let trust = TrustList::from_file(&trust_file()).expect("demo trust list");
    let verifier = Verifier::new(trust);
    let a = verifier
        .verify(&tokens[0], checked_at)
        .expect("first code verifies");
    let b = verifier
        .verify(&tokens[1], checked_at)
        .expect("second code verifies");
    assert_ne!(
        a.token_id(),
        b.token_id(),
        "each refresh has a new token id"
    );
    assert_eq!(a.insured().as_str(), "12345678901234567890");
    assert_eq!(b.name().map(|n| n.as_str()), Some("张*"));
    assert_eq!(
        b.expires_at().as_secs() - b.issued_at().as_secs(),
        5,
        "--ttl 5"
    );
    assert!(b.issued_at() > a.issued_at());

    // Every code's status line went to stderr, one per code.
    let status_lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("code ")).collect();
    assert!(status_lines.len() >= 2, "{stderr}");
    assert!(status_lines[0].contains(&a.token_id().to_string()));

    // The first code is stale a validity plus the verifier's leeway later.
    let stale = verifier
        .verify(&tokens[0], a.expires_at().plus(16))
        .unwrap_err();
    assert_eq!(stale.reason(), Reason::Expired);
}

#[test]
fn show_refuses_a_refresh_not_shorter_than_the_validity() {
    let out = medcode()
        .args(demo_args(&["--ttl", "10", "--refresh", "10"]))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "medcode: note: keys/demo-issuer.pk8 is the repository's published demo key demo-issuer (ed25519, key 32eac5b0): its private half is public, for trying medcode only (never trust it in production)",
            "medcode: error: invalid --refresh: 10 s: it must be shorter than the code's validity (--ttl 10 s)"
        ]
    );
}

#[test]
fn show_refuses_bad_flags_and_missing_keys_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["--refresh", "0"], "0 is not in 1.."),
        (&["--ttl", "1"], "1 is not in 2.."),
        (&["--ecc", "X"], "invalid value 'X' for '--ecc"),
    ];
    for (extra, expected) in cases {
        let out = medcode().args(demo_args(extra)).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        assert_eq!(stderr.lines().count(), 1, "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
    let out = medcode()
        .args(cmdline::holder("show", "/nonexistent", "k", "1", "110000"))
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("medcode: error: cannot "), "{stderr}");
}

/// Runs `medcode show` for about 2 s on a pseudo-terminal of `cols` x
/// `rows` (util-linux `script`, `stty`), and returns what it drew.
fn show_on_terminal(cols: u16, rows: u16) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIPPED show_on_terminal: util-linux `script` not found, this test did NOT run");
        return None;
    }
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let bin = quote(env!("CARGO_BIN_EXE_medcode"));
    let args: Vec<String> = demo_args(&[]).iter().map(|a| quote(a)).collect();
    let inner = format!(
        "stty cols {cols} rows {rows}; exec timeout --preserve-status -s INT 2 {bin} {}",
        args.join(" ")
    );
    let out = Command::new("script")
        .arg("-qfec")
        .arg(&inner)
        .arg("/dev/null")
        .current_dir(support::root())
        .env("XDG_STATE_HOME", support::state_home())
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn show_in_a_small_terminal_says_how_large_it_must_be_and_draws_no_code() {
    let Some(small) = show_on_terminal(40, 30) else {
        return;
    };
    // Version 6 (41 modules) with its 4-module quiet zone: 49 columns, 25
    // rows of half blocks, and the two lines below it.
    assert!(small.contains("The terminal is 40 x 30;"), "{small:?}");
    assert!(small.contains("the code needs 49 x 27"), "{small:?}");
    assert!(!small.contains('▀') && !small.contains('▄'), "{small:?}");
    let Some(large) = show_on_terminal(80, 30) else {
        return;
    };
    assert!(large.contains('▀') || large.contains('▄'), "{large:?}");
    assert!(!large.contains("The terminal is"), "{large:?}");
}
