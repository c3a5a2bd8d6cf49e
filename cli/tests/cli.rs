//! Tests of the real `medcode` binary: the command-line contract.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;

mod support;
use support::{Run, cmdline, root, run, run_with};

const AT: &str = "2026-11-22T08:00:00Z";

fn keygen(dir: &Path, kid: &str, alg: &str) -> Run {
    run(&[
        "keygen",
        "--dir",
        dir.to_str().unwrap(),
        "--kid",
        kid,
        "--alg",
        alg,
        "--at",
        "2026-01-01T00:00:00Z",
    ])
}

fn issue(dir: &Path, kid: &str, extra: &[&str]) -> Run {
    let mut args = [
        cmdline::issue(dir.to_str().unwrap(), kid, "12345678901234567890", "110000"),
        vec!["--name", "张*", "--at", AT],
    ]
    .concat();
    args.extend_from_slice(extra);
    run(&args)
}

fn verify(dir: &Path, at: &str, extra: &[&str], stdin: Option<&str>) -> Run {
    let trust = dir.join("trust.json");
    let mut args = vec!["verify", "--trust", trust.to_str().unwrap(), "--at", at];
    args.extend_from_slice(extra);
    run_with(&args, stdin.unwrap_or(""))
}

#[test]
fn keygen_writes_a_private_key_0600_and_a_trust_list() {
    let dir = tempfile::tempdir().unwrap();
    let r = keygen(dir.path(), "issuer-a", "ed25519");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mode = std::fs::metadata(dir.path().join("issuer-a.pk8"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let r = keygen(dir.path(), "issuer-b", "p256");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let trust: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("trust.json")).unwrap()).unwrap();
    let keys = trust["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["alg"], "ed25519");
    assert_eq!(keys[1]["alg"], "p256");
    assert_eq!(keys[0]["not_before"], "2026-01-01T00:00:00Z");
    // Key bytes never appear on the terminal.
    let der = std::fs::read(dir.path().join("issuer-a.pk8")).unwrap();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
    assert!(!r.stdout.contains(&b64) && !r.stdout.contains(&hex::encode(&der)));
}

#[test]
fn keygen_refuses_to_overwrite_a_key() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(keygen(dir.path(), "k", "ed25519").code, 0);
    let before = std::fs::read(dir.path().join("k.pk8")).unwrap();
    let r = keygen(dir.path(), "k", "ed25519");
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("medcode: error: "), "{}", r.stderr);
    assert_eq!(std::fs::read(dir.path().join("k.pk8")).unwrap(), before);
}

#[test]
fn issue_prints_one_line_that_verify_accepts() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let r = issue(dir.path(), "k", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1);
    let token = r.stdout.trim_end();
    assert_eq!(token.len(), 244);
    assert!(token.starts_with("MC1"));

    // As an argument.
    let v = verify(dir.path(), "2026-11-22T08:00:10Z", &[token], None);
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(v.stdout.starts_with("accepted: insured 12345678901234567890 (张*), region 110000, employee scheme, status normal; valid until 2026-11-22T08:01:00Z"), "{}", v.stdout);
    // From stdin, with "-" and without an argument: each a fresh code, as
    // the first one is now used.
    for args in [&["-"][..], &[][..]] {
        let fresh = issue(dir.path(), "k", &[]);
        let v = verify(
            dir.path(),
            "2026-11-22T08:00:10Z",
            args,
            Some(&fresh.stdout),
        );
        assert_eq!(v.code, 0, "{}", v.stderr);
        assert!(v.stdout.starts_with("accepted: insured 12345678901234567890 (张*), region 110000, employee scheme, status normal; valid until 2026-11-22T08:01:00Z"), "{}", v.stdout);
    }
}

#[test]
fn verify_json_has_the_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "p256");
    let token = issue(
        dir.path(),
        "k",
        &["--status", "lapsed", "--scheme", "resident"],
    )
    .stdout;
    let v = verify(
        dir.path(),
        "2026-11-22T08:00:10Z",
        &["--json"],
        Some(&token),
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    let j: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(j["valid"], true);
    assert_eq!(j["insured"], "12345678901234567890");
    assert_eq!(j["name"], "张*");
    assert_eq!(j["region"], "110000");
    assert_eq!(j["status"], "lapsed");
    assert_eq!(j["scheme"], "resident");
    assert_eq!(j["issued_at"], AT);
    assert_eq!(j["expires_at"], "2026-11-22T08:01:00Z");
    assert_eq!(j["kid"].as_str().unwrap().len(), 8);
    assert_eq!(j["token_id"].as_str().unwrap().len(), 16);
    assert_eq!(j["presenter"], Value::Null);

    // The lapsed status in plain words, on a second code with the same
    // claims (the first one is used).
    let second = issue(
        dir.path(),
        "k",
        &["--status", "lapsed", "--scheme", "resident"],
    )
    .stdout;
    let v = verify(dir.path(), "2026-11-22T08:00:10Z", &[], Some(&second));
    assert_eq!(v.code, 0, "{}", v.stderr);
    assert!(
        v.stdout
            .contains("receives no insurance benefits for the lapsed period")
    );

    let v = verify(
        dir.path(),
        "2026-11-22T08:01:16Z",
        &["--json"],
        Some(&token),
    );
    assert_eq!(v.code, 1);
    let j: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(j["valid"], false);
    assert_eq!(j["reason"], "expired");
    assert_eq!(
        j["detail"],
        "expired at 2026-11-22T08:01:00Z (checked at 2026-11-22T08:01:16Z)"
    );
}

#[test]
fn verify_exit_codes_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let token = issue(dir.path(), "k", &["--ttl", "30"]).stdout;
    // Leeway: 30 s + 15 s accepted, one more second refused.
    assert_eq!(
        verify(dir.path(), "2026-11-22T08:00:45Z", &[], Some(&token)).code,
        0
    );
    let late = verify(dir.path(), "2026-11-22T08:00:46Z", &[], Some(&token));
    late.assert_stdout_starts(1, "rejected (expired): ");
    // A custom leeway.
    let r = verify(
        dir.path(),
        "2026-11-22T08:00:46Z",
        &["--leeway", "20"],
        Some(&token),
    );
    assert_eq!(r.code, 0);
    let early = verify(dir.path(), "2026-11-22T07:59:44Z", &[], Some(&token));
    assert_eq!(early.code, 1);
    assert!(early.stdout.starts_with("rejected (not_yet_valid): "));
    let garbage = verify(dir.path(), AT, &["MC1hello"], None);
    assert_eq!(garbage.code, 1);
    assert!(garbage.stdout.starts_with("rejected (malformed): "));
    let v2 = verify(dir.path(), AT, &["MC9123"], None);
    assert!(v2.stdout.starts_with("rejected (unsupported_version): "));
}

#[test]
fn a_till_region_applies_the_cross_province_switch() {
    // The switch itself is set in the family registry; here the till
    // region flag is validated.
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let token = issue(dir.path(), "k", &[]).stdout;
    let r = verify(dir.path(), AT, &["--till-region", "440300"], Some(&token));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = verify(dir.path(), AT, &["--till-region", "44030"], Some(&token));
    assert_eq!(r.code, 2);
}

#[test]
fn usage_and_file_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let d = dir.path().to_str().unwrap().to_owned();
    let trust = format!("{d}/trust.json");
    let missing = format!("{d}/missing.json");
    std::fs::write(dir.path().join("bad.json"), "{\"keys\": 5}").unwrap();
    let bad = format!("{d}/bad.json");
    let out = format!("{d}/out.json");
    std::fs::write(dir.path().join("junk.db"), "not a database at all").unwrap();
    let bad_guard = format!("file:{d}/junk.db");
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (vec![], None),
        (vec!["frobnicate"], None),
        (vec!["verify"], None),
        (vec!["verify", "--trust", &missing, "MC1"], None),
        (vec!["verify", "--trust", &d, "MC1"], None),
        (vec!["verify", "--trust", &bad, "MC1"], None),
        (vec!["verify", "--trust", &trust], Some("")),
        (
            vec!["verify", "--trust", &trust, "--at", "yesterday", "MC1"],
            None,
        ),
        (
            vec!["verify", "--trust", &trust, "--leeway", "-3", "MC1"],
            None,
        ),
        (vec!["issue", "--dir", &d, "--kid", "k"], None),
        (cmdline::issue(&d, "nope", "1", "110000"), None),
        (cmdline::issue(&d, "../k", "1", "110000"), None),
        (cmdline::issue(&d, "k", "x y", "110000"), None),
        (cmdline::issue(&d, "k", "1", "11"), None),
        (
            [cmdline::issue(&d, "k", "1", "110000"), vec!["--ttl", "0"]].concat(),
            None,
        ),
        (
            vec!["keygen", "--dir", &d, "--kid", "k2", "--alg", "rsa"],
            None,
        ),
        // The till, the replay guard and list flags.
        (vec!["till"], None),
        (vec!["till", "--trust", &missing], Some("")),
        (vec!["till", "--trust", &d], Some("")),
        (
            vec!["till", "--trust", &trust, "--replay", "ftp://x"],
            Some(""),
        ),
        (
            vec!["till", "--trust", &trust, "--replay", "file:"],
            Some(""),
        ),
        (
            vec!["till", "--trust", &trust, "--replay", &bad_guard],
            Some(""),
        ),
        (
            vec!["till", "--trust", &trust, "--replay", "redis://"],
            Some(""),
        ),
        (
            vec![
                "verify",
                "--trust",
                &trust,
                "--replay-unavailable",
                "local-fallback",
                "MC1",
            ],
            None,
        ),
        (
            vec!["verify", "--trust", &trust, "--root-key", &missing, "MC1"],
            None,
        ),
        (
            vec!["verify", "--trust", &trust, "--root-key", &trust, "MC1"],
            None,
        ),
        (
            vec!["verify", "--trust", &trust, "--state", &d, "MC1"],
            None,
        ),
        (
            vec!["verify", "--trust", &trust, "--revocations", &bad, "MC1"],
            None,
        ),
        // The holder's screen, the root key and its lists.
        (
            vec!["show", "--dir", &d, "--kid", "k", "--insured", "1"],
            None,
        ),
        (
            [
                cmdline::holder("show", &d, "k", "1", "110000"),
                vec!["--presenter", "2"],
            ]
            .concat(),
            None,
        ),
        (vec!["trust"], None),
        (
            vec![
                "trust", "sign", "--root", &missing, "--in", &trust, "--out", &out,
            ],
            None,
        ),
        (vec!["revoke", "--list", &out], None),
        (vec!["revoke", "--kid", "zz", "--list", &out], None),
        (
            vec![
                "revoke",
                "--insured",
                "1",
                "--since",
                "soon",
                "--list",
                &out,
            ],
            None,
        ),
        // The family-account registry.
        (
            vec![
                "registry",
                "--db",
                &missing,
                "person",
                "show",
                "--insured",
                "1",
            ],
            None,
        ),
        (vec!["family", "--db", &d, "list", "--owner", "1"], None),
        (
            vec![
                "family", "--db", &missing, "bind", "--owner", "1", "--member", "2",
            ],
            None,
        ),
        (
            vec![
                "issue",
                "--dir",
                &d,
                "--kid",
                "k",
                "--insured",
                "1",
                "--db",
                &missing,
            ],
            None,
        ),
    ];
    for (args, stdin) in cases {
        let r = run_with(&args, stdin.unwrap_or(""));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("medcode: "), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

#[test]
fn a_key_file_others_can_read_warns_and_strict_refuses() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let key = dir.path().join("k.pk8");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = issue(dir.path(), "k", &[]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.starts_with("medcode: warning: "), "{}", r.stderr);
    let r = issue(dir.path(), "k", &["--strict"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

#[test]
fn the_demo_keys_in_keys_verify() {
    let keys = root().join("keys");
    let r = issue(&keys, "demo-issuer", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = verify(&keys, "2026-11-22T08:00:01Z", &[], Some(&r.stdout));
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert!(v.stdout.contains("key 32eac5b0"));
}

#[test]
fn demo_runs_end_to_end() {
    // --png: a file of this test's (by default the demo keeps one in the temporary folder).
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("demo.png");
    let r = run(&["demo", "--png", png.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("rejected (expired)"));
    assert!(r.stdout.contains("rejected (bad_signature)"));
    assert!(r.stdout.contains("insurance lapsed"));
}

#[test]
fn issue_renders_qr_files_and_verify_scans_them_back() {
    let dir = tempfile::tempdir().unwrap();
    keygen(dir.path(), "k", "ed25519");
    let png = dir.path().join("code.png");
    let svg = dir.path().join("code.svg");
    let r = issue(
        dir.path(),
        "k",
        &[
            "--png",
            png.to_str().unwrap(),
            "--svg",
            svg.to_str().unwrap(),
            "--verbose",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end().len(), 244);
    assert_eq!(
        r.stderr,
        "QR version 6 at level M, 41 x 41 modules, 244 characters, 100 bytes\n"
    );
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
    let img = png.to_str().unwrap();
    let v = verify(
        dir.path(),
        "2026-11-22T08:00:05Z",
        &["--image", img, "--json"],
        None,
    );
    assert_eq!(v.code, 0, "{}", v.stderr);
    let j: Value = serde_json::from_str(&v.stdout).unwrap();
    assert_eq!(j["insured"], "12345678901234567890");
    // The same image after validity and leeway: a stale screenshot.
    let v = verify(dir.path(), "2026-11-22T08:01:16Z", &["--image", img], None);
    assert_eq!(v.code, 1);
    assert!(v.stdout.starts_with("rejected (expired): "));

    // Higher ECC, bigger code.
    let r = issue(dir.path(), "k", &["--ecc", "H", "--verbose"]);
    assert!(
        r.stderr.starts_with("QR version 10 at level H"),
        "{}",
        r.stderr
    );
    // Not an image: a refusal with the reason; no file or a directory: exit 2.
    std::fs::write(dir.path().join("junk.png"), b"not an image").unwrap();
    let junk = dir.path().join("junk.png");
    let v = verify(dir.path(), AT, &["--image", junk.to_str().unwrap()], None);
    v.assert_stdout_starts(1, "rejected (unreadable): ");
    for bad in [dir.path().join("missing.png"), dir.path().to_path_buf()] {
        let v = verify(dir.path(), AT, &["--image", bad.to_str().unwrap()], None);
        assert_eq!(v.code, 2, "{}", v.stderr);
        assert_eq!(v.stderr.lines().count(), 1);
    }
    // Contradictory and malformed flags.
    for args in [
        vec!["--image", img, "MC1123"],
        vec!["--module-px", "0"],
        vec!["--ecc", "X"],
    ] {
        let mut all = vec!["verify", "--trust", "t.json"];
        if args[0] != "--image" {
            all = cmdline::issue("d", "k", "1", "110000");
        }
        all.extend_from_slice(&args);
        let r = run(&all);
        assert_eq!(r.code, 2, "{all:?}");
        assert_eq!(r.stderr.lines().count(), 1, "{all:?}: {}", r.stderr);
    }
}

#[test]
fn issue_refuses_a_masked_name_with_an_invisible_character() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(keygen(dir.path(), "issuer-a", "ed25519").code, 0);
    for name in ["\u{202e}*", "\u{200b}*", "\u{2066}*"] {
        let r = run(&[
            cmdline::issue(
                dir.path().to_str().unwrap(),
                "issuer-a",
                "12345678901234567890",
                "110000",
            ),
            vec!["--name", name, "--at", AT],
        ]
        .concat());
        assert_ne!(r.code, 0, "{name:?}: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{name:?}: no code printed");
        assert!(r.stderr.contains("masked name"), "{name:?}: {}", r.stderr);
        // The refusal names the character, and never prints it raw.
        assert!(
            !r.stderr.contains(name.chars().next().unwrap()),
            "{}",
            r.stderr
        );
    }
}

/// `issue` with the demo holder's flags (`support::DEMO_HOLDER`) and `extra`.
fn demo_issue<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["issue"];
    args.extend(support::DEMO_HOLDER);
    args.extend(extra);
    args
}

#[test]
fn issue_count_prints_that_many_distinct_valid_codes() {
    let r = run(&demo_issue(&[
        "--at",
        "2026-11-22T08:00:00Z",
        "--count",
        "500",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let codes: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(codes.len(), 500);
    let distinct: std::collections::HashSet<&&str> = codes.iter().collect();
    assert_eq!(distinct.len(), 500);
    let trust = medcode::TrustList::from_file(&support::root().join("keys/trust.json")).unwrap();
    let verifier = medcode::Verifier::new(trust);
    let at = medcode::UnixTime::parse_rfc3339("2026-11-22T08:00:05Z").unwrap();
    assert!(verifier.verify_batch(&codes, at).iter().all(Result::is_ok));
    // Not with a picture: one code has one picture.
    let r = run(&demo_issue(&["--count", "2", "--verbose"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}
