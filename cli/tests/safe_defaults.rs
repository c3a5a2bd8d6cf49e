//! Safe defaults of the command line: `medcode verify` records
//! accepted codes in a replay file in the user's state directory (one use
//! per code across runs), `--replay none` says what it gives up, `medcode
//! till` keeps its in-memory default, and `issue`/`show` refuse a validity
//! every till would refuse.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod support;
use support::{AT, Run, medcode, run, state_home, tokens, trust_file};

/// The one warning line of `--replay none`.
const NO_GUARD: &str = "medcode: warning: --replay none: no replay guard, the same code will be accepted again (every scan of it until it expires)\n";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Runs a prepared command with `stdin` and captures it; no panic text
/// may reach the user.
fn output(cmd: Command, stdin: &str) -> Run {
    let out = assert_cmd::Command::from_std(cmd)
        .write_stdin(stdin)
        .output()
        .expect("runs");
    let r = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

/// `medcode verify --json --trust keys/trust.json --at AT EXTRA.. TOKEN`.
fn verify_cmd(token: &str, extra: &[&str]) -> Command {
    let mut cmd = medcode();
    cmd.args(["verify", "--json", "--at", AT, "--trust"])
        .arg(trust_file())
        .args(extra)
        .arg(token);
    cmd
}

fn outcome(r: &Run) -> String {
    support::run_outcome(r)
}

#[test]
fn verify_without_flags_accepts_a_code_once_across_processes() {
    let token = &tokens(1)[0];
    let first = output(verify_cmd(token, &[]), "");
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(outcome(&first), "accepted");
    assert_eq!(first.stderr, "");
    let second = output(verify_cmd(token, &[]), "");
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert_eq!(outcome(&second), "replayed");
    assert_eq!(second.stderr, "");
    // Another code is still accepted: the file refuses what it recorded only.
    let other = output(verify_cmd(&tokens(1)[0], &[]), "");
    assert_eq!(outcome(&other), "accepted");

    // The replay file: XDG_STATE_HOME/medcode/replay.store, 0600 in a 0700 folder.
    let dir = state_home().join("medcode");
    let file = dir.join("replay.store");
    assert!(file.is_file(), "{} missing", file.display());
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("replay.store"))
        .collect();
    for name in names {
        assert_eq!(mode(&dir.join(&name)), 0o600, "{name}");
    }
}

#[test]
fn without_xdg_state_home_the_file_is_under_home() {
    let home = tempfile::tempdir().unwrap();
    let token = &tokens(1)[0];
    for (relative_xdg, expected) in [(true, 0), (true, 1), (false, 1)] {
        let mut cmd = verify_cmd(token, &[]);
        cmd.env("HOME", home.path());
        if relative_xdg {
            // A relative XDG_STATE_HOME is ignored, as the XDG spec says.
            cmd.env("XDG_STATE_HOME", "relative/state");
        } else {
            cmd.env_remove("XDG_STATE_HOME");
        }
        let r = output(cmd, "");
        assert_eq!(r.code, expected, "{}", r.stderr);
    }
    let file = home.path().join(".local/state/medcode/replay.store");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&home.path().join(".local/state/medcode")), 0o700);
    assert!(!state_home().join("medcode").exists());
}

#[test]
fn replay_none_accepts_twice_and_warns_once_per_run() {
    let token = &tokens(1)[0];
    for _ in 0..2 {
        let r = output(verify_cmd(token, &["--replay", "none"]), "");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(outcome(&r), "accepted");
        assert_eq!(r.stderr, NO_GUARD);
    }
    // Nothing is written when the guard is off.
    assert!(!state_home().join("medcode").exists());
    // Other guards say nothing.
    let db = tempfile::tempdir().unwrap();
    let spec = format!("file:{}", db.path().join("seen.db").display());
    let r = output(verify_cmd(token, &["--replay", &spec]), "");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    let r = output(verify_cmd(token, &["--replay", &spec]), "");
    assert_eq!((r.code, outcome(&r).as_str()), (1, "replayed"));
}

#[test]
fn an_unusable_state_directory_is_a_usage_error_naming_replay() {
    let token = &tokens(1)[0];
    // Neither variable set (or only relative paths).
    for (xdg, home) in [
        (None, None),
        (Some("state"), Some("home")),
        (None, Some("")),
    ] {
        let mut cmd = verify_cmd(token, &[]);
        cmd.env_remove("XDG_STATE_HOME").env_remove("HOME");
        if let Some(x) = xdg {
            cmd.env("XDG_STATE_HOME", x);
        }
        if let Some(h) = home {
            cmd.env("HOME", h);
        }
        let r = output(cmd, "");
        assert_eq!(r.code, 2, "{}", r.stderr);
        // --json: the error as a JSON object on stdout too.
        let v: Value = serde_json::from_str(&r.stdout).expect("a JSON error object");
        assert_eq!(v["reason"], "invalid_argument");
        assert_eq!(
            r.stderr,
            "medcode: error: invalid default replay file: no state directory: give --state-dir DIR, or set STATE_DIRECTORY (systemd's StateDirectory=), XDG_STATE_HOME or HOME to an absolute path; name a guard with --replay file:PATH (or --replay memory, or --replay none to accept a code again)\n"
        );
    }
    // A state directory that cannot be created: XDG_STATE_HOME is a file.
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let mut cmd = verify_cmd(token, &[]);
    cmd.env("XDG_STATE_HOME", &blocker);
    let r = output(cmd, "");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let head = format!(
        "medcode: error: invalid default replay file: cannot create the state directory {}/medcode: ",
        blocker.display()
    );
    assert!(r.stderr.starts_with(&head), "{}", r.stderr);
    assert!(
        r.stderr.ends_with("; name a guard with --replay file:PATH (or --replay memory, or --replay none to accept a code again)\n"),
        "{}",
        r.stderr
    );
    // With --replay the state directory is not needed.
    let mut cmd = verify_cmd(token, &["--replay", "memory"]);
    cmd.env_remove("XDG_STATE_HOME").env_remove("HOME");
    let r = output(cmd, "");
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
}

#[test]
fn verify_help_tells_the_replay_default() {
    let r = run(&["verify", "--help"]);
    assert_eq!(r.code, 0);
    for words in [
        "without --replay, every accepted code is recorded in the replay file $XDG_STATE_HOME/medcode/replay.store (~/.local/state/medcode/replay.store when XDG_STATE_HOME is not an absolute path)",
        "refused as `replayed` (exit 1)",
        "The folder is created with mode 0700 and the file with mode 0600 on first use.",
        "--replay none turns the guard off and prints a warning on standard error: the same code is then accepted again until it expires.",
    ] {
        assert!(r.stdout.contains(words), "{words:?} not in\n{}", r.stdout);
    }
    let r = run(&["till", "--help"]);
    assert!(
        r.stdout.contains("without --replay, this process's memory records accepted codes, so a code is accepted once per run"),
        "{}",
        r.stdout
    );
}

#[test]
fn till_keeps_its_in_memory_default() {
    let token = &tokens(1)[0];
    let input = format!("{token}\n{token}\n");
    for _ in 0..2 {
        let mut cmd = medcode();
        cmd.args(["till", "--json", "--at", AT, "--trust"])
            .arg(trust_file());
        let r = output(cmd, &input);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let verdicts: Vec<String> = r
            .stdout
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                if v["valid"] == Value::Bool(true) {
                    "accepted".to_owned()
                } else {
                    v["reason"].as_str().unwrap().to_owned()
                }
            })
            .collect();
        // Each run remembers its own codes only.
        assert_eq!(verdicts, ["accepted", "replayed"]);
        assert_eq!(r.stderr, "");
    }
    assert!(!state_home().join("medcode").exists());
    // --replay none warns at a till as well.
    let mut cmd = medcode();
    cmd.args(["till", "--json", "--at", AT, "--replay", "none", "--trust"])
        .arg(trust_file());
    let r = output(cmd, &input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2);
    assert!(
        r.stdout.lines().all(|l| l.contains("\"valid\":true")),
        "{}",
        r.stdout
    );
    assert_eq!(r.stderr, NO_GUARD);
}

/// `medcode issue` with the demo key at AT and `extra`.
fn issue(extra: &[&str]) -> Run {
    let mut args = vec!["issue"];
    args.extend_from_slice(&support::DEMO_HOLDER);
    args.extend_from_slice(&["--at", support::ISSUED]);
    args.extend_from_slice(extra);
    run(&args)
}

#[test]
fn issue_refuses_a_validity_every_till_refuses() {
    // 300 s, the tills' default maximum: issued and accepted.
    let r = issue(&["--ttl", "300"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = output(verify_cmd(r.stdout.trim_end(), &[]), "");
    assert_eq!(outcome(&v), "accepted");
    // 301 s and 3600 s: a one-line usage error, no code.
    for ttl in ["301", "3600"] {
        let r = issue(&["--ttl", ttl]);
        assert_eq!(r.code, 2);
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!(
                "medcode: error: invalid --ttl: {ttl} s is above 300 s, the longest validity tills accept by default (every till would refuse the code as validity_too_long); use at most 300, or --max-validity SECONDS if your tills accept longer codes\n"
            )
        );
    }
    // Raised explicitly: issued, and a default till refuses it as the help says.
    let r = issue(&["--ttl", "3600", "--max-validity", "3600"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = output(verify_cmd(r.stdout.trim_end(), &[]), "");
    assert_eq!((v.code, outcome(&v).as_str()), (1, "validity_too_long"));
    // A raised maximum is a maximum too.
    let r = issue(&["--ttl", "601", "--max-validity", "600"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "medcode: error: invalid --ttl: 601 s is above --max-validity 600 s (tills with that maximum would refuse the code as validity_too_long); use at most 600\n"
    );
    let r = issue(&["--ttl", "60", "--max-validity", "0"]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "medcode: invalid value '0' for '--max-validity <SECONDS>': 0 is not in 1..=65535 (see medcode issue --help)\n"
    );
    // The help shows the range.
    let help = run(&["issue", "--help"]).stdout;
    assert!(
        help.contains("Validity in seconds: 1 to --max-validity (300, the tills' default maximum, unless raised) [default: 60]"),
        "{help}"
    );
    assert!(
        help.contains("Tills refuse codes above their own maximum (validity_too_long; 300 s unless raised there)"),
        "{help}"
    );
}

#[test]
fn show_refuses_a_validity_every_till_refuses() {
    let show = |extra: &[&str]| {
        let mut args = vec!["show"];
        args.extend_from_slice(&support::DEMO_HOLDER);
        args.extend_from_slice(extra);
        run(&args)
    };
    let r = show(&["--ttl", "301"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "medcode: error: invalid --ttl: 301 s is above 300 s, the longest validity tills accept by default (every till would refuse the code as validity_too_long); use at most 300, or --max-validity SECONDS if your tills accept longer codes\n"
    );
    let help = run(&["show", "--help"]).stdout;
    assert!(
        help.contains("Validity of each code in seconds: 2 to --max-validity (300, the tills' default maximum, unless raised) [default: 60]"),
        "{help}"
    );
}
