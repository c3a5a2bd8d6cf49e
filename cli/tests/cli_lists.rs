//! The command-line contract of the root key, signed lists and revocation:
//! `medcode trust root-keygen|sign|status`, `medcode revoke`, and
//! `medcode verify --root-key --revocations --state`. Exit 0 success, 1 a
//! refused code (or a refused list in `trust status`), 2 usage, file or
//! setup errors, always as one line.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

mod support;
use support::{Run, cmdline, root, run};

const AT: &str = "2026-11-22T08:00:00Z";

/// An exit-2 error: exactly one line on stderr, starting `medcode: `.
fn assert_error(r: &Run, contains: &str) {
    assert_eq!(r.code, 2, "stdout {} stderr {}", r.stdout, r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("medcode: "), "{}", r.stderr);
    assert!(
        r.stderr.contains(contains),
        "want {contains:?}: {}",
        r.stderr
    );
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A folder with an issuer key `k` (trust.json) and a root key `root`.
fn setup(dir: &Path) {
    let r = run(&[
        "keygen",
        "--dir",
        p(dir),
        "--kid",
        "k",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["trust", "root-keygen", "--out", p(dir)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

fn sign(dir: &Path, input: &str, out: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "trust",
        "sign",
        "--root",
        p(&dir.join("root.pk8")).to_owned().leak(),
        "--in",
        p(&dir.join(input)).to_owned().leak(),
        "--out",
        p(&dir.join(out)).to_owned().leak(),
        "--at",
        AT,
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn issue(dir: &Path, insured: &str, at: &str) -> String {
    let r = run(&[
        cmdline::issue(p(dir), "k", insured, "110000"),
        vec!["--at", at],
    ]
    .concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim().to_owned()
}

/// `medcode verify --trust DIR/trust.signed.json --root-key DIR/root.pub
/// --at AT EXTRA.. TOKEN`.
fn verify(dir: &Path, token: &str, at: &str, extra: &[&str]) -> Run {
    verify_files(
        dir,
        &[("--trust", "trust.signed.json"), ("--root-key", "root.pub")],
        at,
        extra,
        token,
    )
}

/// `medcode verify FLAG DIR/FILE.. --at AT EXTRA.. TOKEN`, one pair of
/// `files` a flag and the file in `dir` it names.
fn verify_files(dir: &Path, files: &[(&str, &str)], at: &str, extra: &[&str], token: &str) -> Run {
    let mut args = vec!["verify".to_owned()];
    for (flag, name) in files {
        args.push((*flag).to_owned());
        args.push(p(&dir.join(name)).to_owned());
    }
    args.extend(["--at", at].map(String::from));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args.push(token.to_owned());
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `medcode trust status --trust DIR/trust.signed.json --root-key
/// DIR/root.pub --at AT`.
fn status(dir: &Path, at: &str) -> Run {
    run(&[
        "trust",
        "status",
        "--trust",
        p(&dir.join("trust.signed.json")),
        "--root-key",
        p(&dir.join("root.pub")),
        "--at",
        at,
    ])
}

#[test]
fn root_keygen_writes_a_0600_key_and_a_public_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let root_keygen = |name: &str| {
        run(&[
            "trust",
            "root-keygen",
            "--out",
            p(dir.path()),
            "--name",
            name,
        ])
    };
    let r = root_keygen("r1");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("keep it offline"), "{}", r.stdout);
    let mode = std::fs::metadata(dir.path().join("r1.pk8"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let public = std::fs::read_to_string(dir.path().join("r1.pub")).unwrap();
    assert!(public.contains("\nmedcode-root/1 ed25519 "), "{public}");
    let before = std::fs::read(dir.path().join("r1.pk8")).unwrap();
    let again = root_keygen("r1");
    assert_error(&again, "refusing to overwrite a root key");
    assert_eq!(std::fs::read(dir.path().join("r1.pk8")).unwrap(), before);
    assert_error(&root_keygen("../x"), "invalid --name");
}

#[test]
fn a_signed_trust_list_verifies_and_the_sequence_only_goes_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let r = sign(d, "trust.json", "trust.signed.json", &[]);
    r.assert_stdout_starts(0, "signed trust list sequence 1 with root key ");
    assert!(
        r.stdout.contains("next update 2026-11-29T08:00:00Z"),
        "{}",
        r.stdout
    );
    let r = sign(d, "trust.json", "trust.signed.json", &["--valid-for", "24"]);
    assert!(
        r.stdout.starts_with("signed trust list sequence 2 "),
        "{}",
        r.stdout
    );
    assert_error(
        &sign(d, "trust.json", "trust.signed.json", &["--sequence", "2"]),
        "holds sequence 2; verifiers refuse a list whose sequence does not go up",
    );
    let r = sign(d, "trust.json", "trust.signed.json", &["--sequence", "9"]);
    assert!(
        r.stdout.starts_with("signed trust list sequence 9 "),
        "{}",
        r.stdout
    );

    let token = issue(d, "12345678901234567890", AT);
    let r = verify(d, &token, "2026-11-22T08:00:05Z", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("accepted: insured 12345678901234567890")
    );

    // Never overwrite a file that is not a signed list (e.g. the input).
    assert_error(
        &sign(d, "trust.json", "trust.json", &[]),
        "exists and is not a signed list; refusing to overwrite it",
    );
}

#[test]
fn signed_and_unsigned_lists_must_match_the_root_key_option() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    sign(d, "trust.json", "trust.signed.json", &[]);
    let token = issue(d, "1", AT);
    let verify_with = |files: &[(&str, &str)]| verify_files(d, files, AT, &[], &token);
    let r = verify_with(&[("--trust", "trust.signed.json")]);
    assert_error(
        &r,
        &format!(
            "medcode: error: invalid list: {} is a signed list: give --root-key ROOT.pub, the root public key that signed it",
            d.join("trust.signed.json").display()
        ),
    );
    let r = verify_with(&[("--trust", "trust.json"), ("--root-key", "root.pub")]);
    assert_error(
        &r,
        &format!(
            "medcode: error: invalid trust list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign`",
            d.join("trust.json").display()
        ),
    );
    let r = verify_with(&[("--trust", "trust.json"), ("--state", "state.json")]);
    assert_error(&r, "--root-key");
    // The wrong root key.
    let r = run(&["trust", "root-keygen", "--out", p(d), "--name", "other"]);
    assert_eq!(r.code, 0);
    let r = verify_with(&[
        ("--trust", "trust.signed.json"),
        ("--root-key", "other.pub"),
    ]);
    assert_error(&r, "invalid trust list: ");
    assert!(
        r.stderr.contains("but the pinned root key is"),
        "{}",
        r.stderr
    );
    // Not a root key file.
    let r = verify_with(&[
        ("--trust", "trust.signed.json"),
        ("--root-key", "trust.json"),
    ]);
    assert_error(&r, "invalid key: ");
}

#[test]
fn revoke_then_sign_then_verify_refuses_with_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    sign(d, "trust.json", "trust.signed.json", &[]);
    let list = d.join("revocations.json");
    let r = run(&[
        "revoke",
        "--list",
        p(&list),
        "--insured",
        "12345678901234567890",
        "--since",
        "2026-11-22T08:00:00Z",
    ]);
    r.assert_stdout(
        0,
        "insured: 1 revoked for codes issued from 2026-11-22T08:00:00Z",
    );
    assert_error(
        &sign(d, "revocations.json", "revocations.signed.json", &[]),
        "is a revocation list, not a trust list: give --kind revocation",
    );
    let r = sign(
        d,
        "revocations.json",
        "revocations.signed.json",
        &["--kind", "revocation"],
    );
    r.assert_stdout_starts(0, "signed revocation list sequence 1 ");
    let signed_rev = p(&d.join("revocations.signed.json")).to_owned();

    // Issued 1 s before the since-instant: accepted; at it: revoked (exit 1).
    let before = issue(d, "12345678901234567890", "2026-11-22T07:59:59Z");
    let r = verify(
        d,
        &before,
        "2026-11-22T08:00:05Z",
        &["--revocations", &signed_rev],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let at = issue(d, "12345678901234567890", AT);
    let r = verify(
        d,
        &at,
        "2026-11-22T08:00:05Z",
        &["--revocations", &signed_rev],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "rejected (revoked): revoked: insured 12345678901234567890 for codes issued from 2026-11-22T08:00:00Z; this code was issued at 2026-11-22T08:00:00Z\n"
    );
    let r = verify(
        d,
        &at,
        "2026-11-22T08:00:05Z",
        &["--revocations", &signed_rev, "--json"],
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["reason"], "revoked");

    // The unsigned list with a root key: a usage error.
    let r = verify(d, &at, AT, &["--revocations", p(&list)]);
    assert_error(
        &r,
        &format!(
            "medcode: error: invalid revocation list: {} is not a signed list, but a root key is pinned: sign it with `medcode trust sign --kind revocation`",
            list.display()
        ),
    );
    // The signed list without a root key (and an unsigned trust list): the
    // error names the revocation list and --root-key.
    let r = verify_files(
        d,
        &[
            ("--trust", "trust.json"),
            ("--revocations", "revocations.signed.json"),
        ],
        AT,
        &[],
        &at,
    );
    assert_error(
        &r,
        &format!(
            "medcode: error: invalid list: {signed_rev} is a signed list: give --root-key ROOT.pub, the root public key that signed it, with a signed trust list"
        ),
    );

    // Revoke the issuing key itself.
    let kid = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(d.join("trust.json")).unwrap(),
    )
    .unwrap()["keys"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = run(&[
        "revoke",
        "--list",
        p(&list),
        "--kid",
        &kid,
        "--reason",
        "superseded",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("key {kid}: revoked (superseded)")),
        "{}",
        r.stdout
    );
    sign(
        d,
        "revocations.json",
        "revocations.signed.json",
        &["--kind", "revocation"],
    );
    let r = verify(
        d,
        &before,
        "2026-11-22T08:00:05Z",
        &["--revocations", &signed_rev],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        format!("rejected (revoked): revoked: issuer key {kid} (superseded)\n")
    );
}

#[test]
fn revoke_checks_its_arguments_before_touching_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("r.json");
    for (extra, expected) in [
        (&[][..], "required arguments"),
        (&["--kid", "xyz"][..], "invalid --kid"),
        (&["--insured", "12a"][..], "invalid --insured"),
        (
            &["--insured", "1", "--since", "later"][..],
            "invalid --since",
        ),
        (
            &["--kid", "00000000", "--since", AT][..],
            "applies to --insured or --insured-from only",
        ),
        (&["--insured", "1", "--reason", "retired"][..], "--kid"),
    ] {
        assert_error(
            &run(&[&["revoke", "--list", p(&list)], extra].concat()),
            expected,
        );
    }
    assert!(!list.exists());
    // Bulk from a file, then a broken file refuses without changing the list.
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "# stolen phones\n1\n\n22\n333\n").unwrap();
    let r = run(&[
        "revoke",
        "--list",
        p(&list),
        "--insured-from",
        p(&ids),
        "--at",
        AT,
    ]);
    r.assert_stdout(
        0,
        "holds 0 key ids, 3 insured identifiers and 0 device credentials",
    );
    let before = std::fs::read(&list).unwrap();
    std::fs::write(&ids, "4\nnot-an-id\n").unwrap();
    assert_error(
        &run(&["revoke", "--list", p(&list), "--insured-from", p(&ids)]),
        "line 2",
    );
    assert_eq!(std::fs::read(&list).unwrap(), before);
    // Again with an earlier instant: made stricter, not duplicated.
    let r = run(&[
        "revoke",
        "--list",
        p(&list),
        "--insured",
        "22",
        "--since",
        "2026-01-01T00:00:00Z",
    ]);
    assert!(
        r.stdout.contains(
            "0 revoked for codes issued from 2026-01-01T00:00:00Z, 1 moved to that earlier instant"
        ),
        "{}",
        r.stdout
    );
    // A damaged list is refused, not replaced.
    std::fs::write(&list, "{\"keys\":[]}").unwrap();
    assert_error(
        &run(&["revoke", "--list", p(&list), "--insured", "5"]),
        "invalid revocation list: ",
    );
    assert_eq!(std::fs::read(&list).unwrap(), b"{\"keys\":[]}");
}

#[test]
fn a_state_file_refuses_a_rollback_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    sign(d, "trust.json", "old.signed.json", &[]);
    sign(d, "trust.json", "trust.signed.json", &["--sequence", "2"]);
    let state = p(&d.join("state.json")).to_owned();
    let token = issue(d, "1", AT);
    let r = verify(d, &token, AT, &["--state", &state]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = std::fs::read_to_string(d.join("state.json")).unwrap();
    assert!(saved.contains("\"trust\":2"), "{saved}");
    std::fs::rename(d.join("old.signed.json"), d.join("trust.signed.json")).unwrap();
    let r = verify(d, &token, AT, &["--state", &state]);
    assert_error(
        &r,
        "signed trust list sequence 1 is older than sequence 2 this till already used",
    );
    assert!(r.stderr.contains("rollback refused"), "{}", r.stderr);
    // Without the state file the old list is all this run knows (a fresh
    // code: the first one was used by the first run).
    let fresh = issue(d, "1", AT);
    let r = verify(d, &fresh, AT, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A corrupt state file is a storage error, not a silent reset.
    std::fs::write(d.join("state.json"), "nonsense").unwrap();
    assert_error(
        &verify(d, &token, AT, &["--state", &state]),
        "storage error: state file",
    );
}

#[test]
fn a_state_file_refuses_the_same_sequence_with_other_content_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let state = p(&d.join("state.json")).to_owned();
    let token = issue(d, "1", AT);
    let r = sign(d, "trust.json", "trust.signed.json", &["--sequence", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = verify(d, &token, AT, &["--state", &state]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = std::fs::read_to_string(d.join("state.json")).unwrap();
    assert!(saved.contains("\"trust\":2,\"trust_digest\":\""), "{saved}");
    // Another list with the same sequence: one more key in trust.json.
    let r = run(&[
        "keygen",
        "--dir",
        p(d),
        "--kid",
        "k2",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = sign(d, "trust.json", "other.signed.json", &["--sequence", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::rename(d.join("other.signed.json"), d.join("trust.signed.json")).unwrap();
    let r = verify(d, &token, AT, &["--state", &state]);
    assert_eq!(r.code, 2, "stdout {} stderr {}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "medcode: error: invalid trust list: {}: signed trust list: sequence 2 is already held with other content\n",
            d.join("trust.signed.json").display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(d.join("state.json")).unwrap(),
        saved,
        "the state is unchanged"
    );
    // Without the state file this run knows only the list it is given (a
    // fresh guard: the default replay file already holds this code).
    assert_eq!(verify(d, &token, AT, &["--replay", "memory"]).code, 0);
}

#[test]
fn staleness_warns_then_refuses_at_the_exact_second() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    // Next update 2026-11-23T08:00:00Z; the grace ends 72 h later.
    let r = sign(
        d,
        "trust.json",
        "trust.signed.json",
        &["--next-update", "2026-11-23T08:00:00Z"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = "2026-11-26T07:59:59Z";
    let token = issue(d, "1", last);
    let r = verify(d, &token, last, &[]);
    r.assert_stdout(0, "note: the signed trust list was due for update at 2026-11-23T08:00:00Z: this verifier refuses every code from 2026-11-26T08:00:00Z (in 1 s)");
    let r = status(d, last);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("trust list: sequence 1, issued 2026-11-22T08:00:00Z, next update 2026-11-23T08:00:00Z: the signed trust list was due"), "{}", r.stdout);

    let boundary = "2026-11-26T08:00:00Z";
    let token = issue(d, "1", boundary);
    let r = verify(d, &token, boundary, &["--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["reason"], "trust_list_stale");
    assert_eq!(
        v["detail"],
        "the signed trust list was due for update at 2026-11-23T08:00:00Z and its grace ended at 2026-11-26T08:00:00Z (checked at 2026-11-26T08:00:00Z): install a newly signed list"
    );
    let r = status(d, boundary);
    r.assert_stdout(1, "STALE: every code is refused since 2026-11-26T08:00:00Z");
}

#[test]
fn the_demo_root_key_and_signed_list_verify() {
    let root = root();
    let r = run(&[
        cmdline::issue(
            p(&root.join("keys")),
            "demo-issuer",
            "12345678901234567890",
            "110000",
        ),
        vec!["--at", AT],
    ]
    .concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&[
        "verify",
        "--trust",
        p(&root.join("keys/trust.signed.json")),
        "--root-key",
        p(&root.join("keys/demo-root.pub")),
        "--at",
        AT,
        r.stdout.trim(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("accepted: "), "{}", r.stdout);
}

#[test]
fn the_demo_shows_signed_lists_rollback_staleness_and_revocation() {
    // --png: a file of this test's (by default the demo keeps one in the temporary folder).
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("demo.png");
    let r = run(&["demo", "--png", png.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("(rollback refused)"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("note: the signed trust list was due for update at ")
    );
    assert!(r.stdout.contains("rejected (trust_list_stale): "));
    assert!(
        r.stdout
            .contains("rejected (revoked): revoked: insured 12345678901234567890")
    );
}
