//! The state directory of a system user: `medcode verify` and `medcode
//! serve` run as a user whose home does not exist (HOME=/nonexistent, no
//! XDG_STATE_HOME, as systemd's DynamicUser= or a `useradd --system` user
//! gets) work when `STATE_DIRECTORY` (systemd's `StateDirectory=`) or
//! `--state-dir DIR` names the directory, and otherwise exit 2 with one
//! exact line, creating nothing under the missing home.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

mod support;
use support::service::{Service, args, post_json};
use support::{AT, Run, medcode, tokens, trust_file};

/// A home that does not exist, inside a temporary directory of the test.
struct MissingHome {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    /// An existing directory to use as a state directory.
    state: PathBuf,
}

impl MissingHome {
    fn new() -> MissingHome {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("nonexistent");
        let state = tmp.path().join("state");
        std::fs::create_dir(&state).unwrap();
        MissingHome {
            _tmp: tmp,
            home,
            state,
        }
    }

    /// `medcode ARGS` as the system user: HOME missing, no XDG_STATE_HOME
    /// and no STATE_DIRECTORY unless `state_directory`.
    fn cmd(&self, state_directory: Option<&str>) -> Command {
        let mut cmd = medcode();
        cmd.env_remove("XDG_STATE_HOME").env("HOME", &self.home);
        if let Some(dir) = state_directory {
            cmd.env("STATE_DIRECTORY", dir);
        }
        cmd
    }

    fn assert_home_untouched(&self) {
        assert!(!self.home.exists(), "{} was created", self.home.display());
    }
}

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

fn output(mut cmd: Command) -> Run {
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    let r = Run {
        code: out.status.code().expect("an exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

/// `medcode verify --json --at AT --trust keys/trust.json EXTRA.. TOKEN`.
fn verify(mut cmd: Command, token: &str, extra: &[&str]) -> Run {
    cmd.args(["verify", "--json", "--at", AT, "--trust"])
        .arg(trust_file())
        .args(extra)
        .arg(token);
    output(cmd)
}

fn outcome(r: &Run) -> String {
    support::run_outcome(r)
}

#[test]
fn a_missing_home_is_refused_with_one_line_and_never_created() {
    let u = MissingHome::new();
    let token = &tokens(1)[0];
    let r = verify(u.cmd(None), token, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "medcode: error: invalid default replay file: no state directory: HOME is {}, which is not a directory (a system user's home?), and neither --state-dir DIR, STATE_DIRECTORY (systemd's StateDirectory=) nor XDG_STATE_HOME is given; name a guard with --replay file:PATH (or --replay memory, or --replay none to accept a code again)\n",
            u.home.display()
        )
    );
    u.assert_home_untouched();

    // The service's default usage records: the same refusal, before it listens.
    let mut cmd = u.cmd(None);
    cmd.args([
        "serve",
        "--trust",
        "keys/trust.json",
        "--listen",
        "127.0.0.1:0",
    ]);
    let r = output(cmd);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "medcode: error: invalid default usage records: no state directory: HOME is {}, which is not a directory (a system user's home?), and neither --state-dir DIR, STATE_DIRECTORY (systemd's StateDirectory=) nor XDG_STATE_HOME is given; name them with --usage-db sqlite:PATH (or postgres://...), or --usage-db off\n",
            u.home.display()
        )
    );
    u.assert_home_untouched();
}

#[test]
fn state_directory_holds_the_replay_file_of_a_system_user() {
    let u = MissingHome::new();
    let token = &tokens(1)[0];
    // systemd joins several StateDirectory= paths with ':': the first is used.
    let env = format!("{}:{}", p(&u.state), p(&u.home.join("second")));
    let first = verify(u.cmd(Some(&env)), token, &[]);
    assert_eq!(
        (first.code, outcome(&first).as_str()),
        (0, "accepted"),
        "{}",
        first.stderr
    );
    assert_eq!(first.stderr, "");
    let again = verify(u.cmd(Some(&env)), token, &[]);
    assert_eq!(
        (again.code, outcome(&again).as_str()),
        (1, "replayed"),
        "{}",
        again.stderr
    );
    assert!(u.state.join("replay.store").is_file());
    u.assert_home_untouched();
}

#[test]
fn the_state_dir_flag_comes_first_and_is_created_without_parents() {
    let u = MissingHome::new();
    let token = &tokens(1)[0];
    let dir = u.state.join("medcode-flag");
    // The flag wins over STATE_DIRECTORY; a missing directory is created (0700).
    let elsewhere = u.state.join("from-env");
    let r = verify(
        u.cmd(Some(&p(&elsewhere))),
        token,
        &["--state-dir", &p(&dir)],
    );
    assert_eq!(
        (r.code, outcome(&r).as_str()),
        (0, "accepted"),
        "{}",
        r.stderr
    );
    assert!(dir.join("replay.store").is_file());
    assert!(!elsewhere.exists());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let r = verify(u.cmd(None), token, &["--state-dir", &p(&dir)]);
    assert_eq!(
        (r.code, outcome(&r).as_str()),
        (1, "replayed"),
        "{}",
        r.stderr
    );

    // Its parent must exist: nothing is created under the missing home.
    let under_home = u.home.join("state");
    let r = verify(u.cmd(None), token, &["--state-dir", &p(&under_home)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "medcode: error: invalid default replay file: cannot create the state directory {}: No such file or directory (os error 2); name a guard with --replay file:PATH (or --replay memory, or --replay none to accept a code again)\n",
            under_home.display()
        )
    );
    u.assert_home_untouched();
}

#[test]
fn serve_as_a_system_user_records_usage_in_state_directory_or_the_flag() {
    let u = MissingHome::new();
    let codes = tokens_now(2);
    let home = p(&u.home);
    let removed = ["XDG_STATE_HOME"];
    for (i, (flag, env)) in [
        (None, Some(p(&u.state))),
        (Some(p(&u.state.join("flag"))), None),
    ]
    .into_iter()
    .enumerate()
    {
        let mut list = vec!["--trust", "keys/trust.json", "--listen", "127.0.0.1:0"];
        if let Some(f) = &flag {
            list.extend(["--state-dir", f.as_str()]);
        }
        let mut vars = vec![("HOME", home.as_str())];
        if let Some(e) = &env {
            vars.push(("STATE_DIRECTORY", e.as_str()));
        }
        let svc = Service::start_with_env_removed(&args(&list), &vars, &removed);
        let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[i]}));
        assert_eq!((status, v["valid"].as_bool()), (200, Some(true)), "{v}");
        assert_eq!(svc.stop(), 0);
        let dir = flag.map_or_else(|| u.state.clone(), PathBuf::from);
        assert!(dir.join("usage.sqlite").is_file(), "{}", dir.display());
    }
    u.assert_home_untouched();
}

/// Codes issued now (the service reads the system clock).
fn tokens_now(n: usize) -> Vec<String> {
    support::tokens_at(0..n, support::service::now())
}
