//! What a newcomer trips over: usage errors that keep clap's
//! suggestions and point at the right help, the demo keys, the labels of
//! errors, and the regions.

mod support;
use support::cmdline::{self, person_add};
use support::{Run, run};

fn usage_error(r: &Run) -> &str {
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    r.stderr.as_str()
}

#[test]
fn parse_errors_keep_clap_tips_and_point_at_the_subcommand_help() {
    assert_eq!(
        usage_error(&run(&["verify", "--trusted", "x"])),
        "medcode: unexpected argument '--trusted' found; tip: a similar argument exists: '--trust' (see medcode verify --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["isue"])),
        "medcode: unrecognized subcommand 'isue'; tip: a similar subcommand exists: 'issue' (see medcode --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["registry"])),
        "medcode: a subcommand is required (see medcode registry --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["registry", "person", "add", "--insured", "A"])),
        "medcode: the following required arguments were not provided: --name <NAME>; --id-number <NUM>; --region <CODE> (see medcode registry person add --help)\n"
    );
}

#[test]
fn registry_db_is_accepted_after_the_subcommand_and_still_required() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let r = run(&["registry", "person", "show", "--insured", "A1", "--db", db]);
    // Parsed: the registry is opened (and does not exist yet).
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("unexpected argument"), "{}", r.stderr);
    assert!(r.stderr.contains("r.db"), "{}", r.stderr);
    let r = run(&["registry", "person", "show", "--insured", "A1"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid --db: required: the registry database, e.g. medcode registry --db registry.db person add ...\n"
        )
    );
}

#[test]
fn issue_usage_shows_region_unless_db() {
    let help = run(&["issue", "--help"]).stdout;
    assert!(
        help.contains(
            "Usage: medcode issue [OPTIONS] --dir <DIR> --kid <KID> --insured <ID> <--region <CODE>|--db <FILE>>"
        ),
        "{help}"
    );
}

#[test]
fn the_published_demo_keys_get_one_note_real_keys_the_mode_warning() {
    // The demo key as checked out (git keeps no mode: 0644) and as a copy under another
    // name with mode 0600: recognised by its public key either way.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("renamed.pk8");
    std::fs::copy(support::root().join("keys/demo-issuer.pk8"), &copy).unwrap();
    for (mode, kid) in [(0o644, "demo-issuer"), (0o600, "renamed")] {
        let keys = if kid == "renamed" {
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(mode)).unwrap();
            dir.path().to_str().unwrap().to_owned()
        } else {
            "keys".to_owned()
        };
        let r = run(&cmdline::issue(&keys, kid, "1", "110105"));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr,
            format!(
                "medcode: note: {keys}/{kid}.pk8 is the repository's published demo key demo-issuer (ed25519, key 32eac5b0): its private half is public, for trying medcode only (never trust it in production)\n"
            )
        );
    }
    // A real key readable by others keeps the warning, and --strict refuses it.
    let r = run(&[
        "keygen",
        "--dir",
        dir.path().to_str().unwrap(),
        "--kid",
        "real",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let real = dir.path().join("real.pk8");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    let d = dir.path().to_str().unwrap();
    let r = run(&cmdline::issue(d, "real", "1", "110105"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "medcode: warning: private key file {d}/real.pk8 has mode 0644: others can read it; run chmod 600 on it\n"
        )
    );
    let r = run(&[cmdline::issue(d, "real", "1", "110105"), vec!["--strict"]].concat());
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "medcode: error: invalid key: refusing to load: private key file {d}/real.pk8 has mode 0644: others can read it; run chmod 600 on it\n"
        )
    );
}

#[test]
fn a_region_outside_the_provinces_is_refused_at_issue_and_in_the_registry() {
    let why = "999999: 99 is not a province-level division code (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82)";
    let r = run(&cmdline::issue("keys", "demo-issuer", "1", "999999"));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .ends_with(&format!("medcode: error: invalid region: {why}\n")),
        "{}",
        r.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let r = run(&person_add(
        db.to_str().unwrap(),
        "1",
        "张三",
        "11010519491231002X",
        "999999",
    ));
    assert_eq!((r.code, r.stdout.as_str()), (2, ""), "{}", r.stderr);
    assert_eq!(r.stderr, format!("medcode: error: invalid region: {why}\n"));
}

#[test]
fn revoke_kid_takes_the_keygen_label_through_the_trust_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("revoked.json");
    let l = list.to_str().unwrap();
    let r = run(&["revoke", "--list", l, "--kid", "demo-issuer"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid --kid: \"demo-issuer\" is not a key id (8 hex digits); to name a key by its keygen label give --trust DIR/trust.json\n"
        )
    );
    assert!(!list.exists());
    let r = run(&[
        "revoke",
        "--list",
        l,
        "--kid",
        "nosuch",
        "--trust",
        "keys/trust.json",
    ]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid --kid: \"nosuch\" is neither a key id (8 hex digits) nor a label in the --trust list\n"
        )
    );
    let r = run(&[
        "revoke",
        "--list",
        l,
        "--kid",
        "demo-issuer",
        "--trust",
        "keys/trust.json",
    ]);
    r.assert_stdout_starts(0, "key 32eac5b0: revoked (compromised)\n");
}

#[test]
fn rerunning_root_keygen_names_the_folder_not_a_name_never_given() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_eq!(run(&["trust", "root-keygen", "--out", d]).code, 0);
    let r = run(&["trust", "root-keygen", "--out", d]);
    assert_eq!(
        (r.code, r.stderr),
        (
            2,
            format!(
                "medcode: error: invalid --out: {d}/root.pk8 exists; refusing to overwrite a root key (choose another --out or --name)\n"
            )
        )
    );
}

/// A code of the demo issuer at 2026-11-22T08:00:00Z.
fn demo_code() -> String {
    let mut args = vec!["issue"];
    args.extend(support::DEMO_HOLDER);
    args.extend(["--at", "2026-11-22T08:00:00Z"]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim_end().to_owned()
}

const AT: &str = "2026-11-22T08:00:05Z";

#[test]
fn a_scanned_line_is_trimmed_and_whitespace_inside_or_two_codes_are_refused() {
    let code = demo_code();
    let args = [
        "verify",
        "--trust",
        "keys/trust.json",
        "--at",
        AT,
        "--replay",
        "memory",
    ];
    let verify = |stdin: &str| support::run_with(&args, stdin);
    // A scanner's leading space and trailing CR LF.
    let r = verify(&format!(" {code}\r\n"));
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with("accepted: insured 12345678901234567890")
    );
    // A tab before, and as an argument.
    let r = run(&[&args[..], &[&format!("\t{code} ")]].concat());
    assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    // Whitespace inside.
    let (head, tail) = code.split_at(100);
    let r = verify(&format!("{head} {tail}\n"));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            1,
            "rejected (malformed): malformed token: whitespace inside the token text (two codes, or a broken scan?)\n"
        )
    );
    // Two codes on one standard input.
    let r = verify(&format!("{code}\n{code}\n"));
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid token: standard input holds more than one line: verify checks one code; `medcode till` checks one code per line\n"
        )
    );
}

#[test]
fn verify_json_prints_errors_as_json_too() {
    let r = run(&["verify", "--trust", "keys/missing.json", "--json", "MC1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    assert_eq!(v["reason"], "io");
    assert_eq!(
        v["error"],
        "cannot read keys/missing.json: No such file or directory (os error 2)"
    );
    assert_eq!(
        r.stderr,
        "medcode: error: cannot read keys/missing.json: No such file or directory (os error 2)\n"
    );
    // A refusal stays the verdict object (exit 1).
    let r = run(&[
        "verify",
        "--trust",
        "keys/trust.json",
        "--json",
        "--replay",
        "memory",
        "MC1",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    assert_eq!(
        (v["valid"].as_bool(), v["reason"].as_str()),
        (Some(false), Some("malformed"))
    );
}

#[test]
fn list_errors_name_the_list_and_no_internal_type() {
    let dir = tempfile::tempdir().unwrap();
    let rev = dir.path().join("rev.json");
    std::fs::write(&rev, "[]").unwrap();
    let trust = dir.path().join("trust.json");
    std::fs::write(&trust, "5").unwrap();
    let r = run(&[
        "verify",
        "--trust",
        "keys/trust.json",
        "--revocations",
        rev.to_str().unwrap(),
        "MC1",
    ]);
    assert_eq!(
        (r.code, r.stderr),
        (
            2,
            format!(
                "medcode: error: invalid revocation list: {}: revocation list: invalid type: sequence, expected an object with the fields \"keys\" and \"insured\" at line 1 column 0\n",
                rev.display()
            )
        )
    );
    let r = run(&["verify", "--trust", trust.to_str().unwrap(), "MC1"]);
    assert_eq!(
        (r.code, r.stderr),
        (
            2,
            format!(
                "medcode: error: invalid trust list: {}: not a trust list: invalid type: integer `5`, expected a trust list: a JSON object {{\"keys\": [...]}} at line 1 column 1\n",
                trust.display()
            )
        )
    );
}

#[test]
fn a_root_private_key_given_as_root_key_is_named_as_such() {
    let r = run(&[
        "verify",
        "--trust",
        "keys/trust.signed.json",
        "--root-key",
        "keys/demo-root.pk8",
        "MC1",
    ]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid key: keys/demo-root.pk8: this is a private key (PKCS#8), not a root public key: give the root's .pub file, and keep the private key offline\n"
        )
    );
}

#[test]
fn the_demo_shows_the_replay_guard_and_writes_its_png() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("demo.png");
    let r = run(&["demo", "--png", png.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("4. The same code scanned again 10 s later"))
        .expect("the replay step");
    assert!(
        lines[at + 1].starts_with("   rejected (replayed): replayed: token "),
        "{}",
        lines[at + 1]
    );
    assert!(
        r.stdout
            .contains(&format!("Wrote the QR image to {} (kept", png.display()))
    );
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // The command the demo prints checks the kept image again, with the
    // trust list kept beside it.
    let line = lines
        .iter()
        .find(|l| l.contains("Wrote the QR image"))
        .unwrap();
    let command = line.split('`').nth(1).expect("a command in backticks");
    let words: Vec<&str> = command.split(' ').collect();
    assert_eq!(words[..2], ["medcode", "verify"], "{command}");
    let again = run(&words[1..]);
    assert_eq!(again.code, 0, "{command}: {}{}", again.stdout, again.stderr);
    assert!(again.stdout.starts_with("accepted"), "{}", again.stdout);
}
