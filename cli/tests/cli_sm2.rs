//! SM2 through the real `medcode` binary: `keygen --alg sm2` (PKCS#8,
//! 0600, `"alg": "sm2"` in trust.json), `issue`, `verify` (text and JSON),
//! a damaged code refused, `till` over stdin, and `show`, whose codes
//! verify under the key's trust list.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use medcode::{Algorithm, TrustList, UnixTime, Verifier};
use serde_json::Value;

mod support;
use support::{cmdline, medcode, run, run_with};

const AT: &str = "2026-11-22T08:00:00Z";
const CHECKED: &str = "2026-11-22T08:00:10Z";

fn keygen(dir: &Path) {
    let r = run(&[
        "keygen",
        "--dir",
        dir.to_str().unwrap(),
        "--kid",
        "issuer-sm2",
        "--alg",
        "sm2",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("(sm2, key id "), "{}", r.stdout);
}

fn issue(dir: &Path) -> String {
    let r = run(&[
        cmdline::issue(
            dir.to_str().unwrap(),
            "issuer-sm2",
            "12345678901234567890",
            "110000",
        ),
        vec!["--name", "张*", "--at", AT],
    ]
    .concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim_end().to_owned()
}

#[test]
fn keygen_issue_verify_and_till_with_sm2() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path());
    let key = dir.path().join("issuer-sm2.pk8");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let trust_file = dir.path().join("trust.json");
    let trust: Value = serde_json::from_slice(&std::fs::read(&trust_file).unwrap()).unwrap();
    assert_eq!(trust["keys"][0]["alg"], "sm2");
    let kid = trust["keys"][0]["kid"].as_str().unwrap().to_owned();
    let trust_arg = trust_file.to_str().unwrap();

    let token = issue(dir.path());
    assert_eq!(token.len(), 244);
    let v = run(&[
        "verify", "--trust", trust_arg, "--at", CHECKED, "--json", &token,
    ]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    let verdict: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(verdict["valid"], true);
    assert_eq!(verdict["kid"], kid.as_str());
    assert_eq!(verdict["insured"], "12345678901234567890");

    // The last digit changed: refused (exit 1) as a bad signature.
    let mut damaged = token.clone().into_bytes();
    let last = damaged.len() - 1;
    damaged[last] = if damaged[last] == b'0' { b'1' } else { b'0' };
    let damaged = String::from_utf8(damaged).unwrap();
    let v = run(&[
        "verify", "--trust", trust_arg, "--at", CHECKED, "--json", &damaged,
    ]);
    assert_eq!(v.code, 1, "{}", v.stderr);
    let verdict: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(verdict["reason"], "bad_signature");

    // A till: two fresh codes, the first again, the damaged one.
    let (a, b) = (issue(dir.path()), issue(dir.path()));
    let input = format!("{a}\n{b}\n{a}\n{damaged}\n");
    let t = run_with(
        &["till", "--trust", trust_arg, "--at", CHECKED, "--json"],
        &input,
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    let reasons: Vec<String> = t
        .stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["reason"].as_str().unwrap_or("accepted").to_owned()
        })
        .collect();
    assert_eq!(
        reasons,
        ["accepted", "accepted", "replayed", "bad_signature"]
    );
}

fn now() -> UnixTime {
    UnixTime::from_secs(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

#[test]
fn show_draws_sm2_codes_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    // The key must be valid now: show signs at the present time.
    let r = run(&[
        "keygen",
        "--dir",
        dir.path().to_str().unwrap(),
        "--kid",
        "issuer-sm2",
        "--alg",
        "sm2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut child = medcode()
        .args([
            "show",
            "--dir",
            dir.path().to_str().unwrap(),
            "--kid",
            "issuer-sm2",
            "--insured",
            "12345678901234567890",
            "--region",
            "110000",
            "--ttl",
            "5",
            "--refresh",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a code").unwrap();
    let checked_at = now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "show did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(exit.code(), Some(0));
    let trust = TrustList::from_file(&dir.path().join("trust.json")).unwrap();
    let v = Verifier::new(trust).verify(&first, checked_at).unwrap();
    assert_eq!(v.algorithm(), Algorithm::Sm2);
    assert_eq!(v.insured().as_str(), "12345678901234567890");
}
