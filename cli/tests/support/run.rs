//! Running the `medcode` binary from the repository root, the way the
//! commands of the README and of docs/ are run, and capturing what it says.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root: the tests run the binary there, so `keys/...`
/// names the demo files.
pub fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

thread_local! {
    /// This test's state directory (libtest runs each test on its own
    /// thread), removed when the test ends.
    static STATE_HOME: tempfile::TempDir = tempfile::tempdir().expect("a temporary state directory");
}

/// The `XDG_STATE_HOME` every `medcode` run of the current test gets: a
/// temporary directory of its own, so that `medcode verify`'s default
/// replay file (`STATE_HOME/medcode/replay.store`) is never the real home's
/// and is shared by the runs of one test only.
pub fn state_home() -> PathBuf {
    STATE_HOME.with(|dir| dir.path().to_owned())
}

/// The `medcode` binary under test, to be run in the repository root with
/// this test's [`state_home`] as `XDG_STATE_HOME`, and none of the
/// variables that stand in for flags of a deployment (`STATE_DIRECTORY`
/// comes before `XDG_STATE_HOME`; `MEDCODE_USAGE_DB`, `MEDCODE_WALLET_DB`
/// and `MEDCODE_REPLAY` are read when their flags are not given), so that
/// a test run from a configured shell or a systemd unit runs the same.
pub fn medcode() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_medcode"));
    cmd.current_dir(root()).env("XDG_STATE_HOME", state_home());
    for name in [
        "STATE_DIRECTORY",
        "MEDCODE_USAGE_DB",
        "MEDCODE_WALLET_DB",
        "MEDCODE_REPLAY",
    ] {
        cmd.env_remove(name);
    }
    cmd
}

/// What one run of the binary did.
pub struct Run {
    /// The exit code.
    pub code: i32,
    /// Standard output, UTF-8.
    pub stdout: String,
    /// Standard error, UTF-8.
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code `code` and `part` in standard output.
    #[track_caller]
    pub fn assert_stdout(&self, code: i32, part: &str) {
        self.assert_code(code);
        assert!(self.stdout.contains(part), "{}", self.stdout);
    }

    /// Asserts the exit code `code` and `part` in standard error.
    #[track_caller]
    pub fn assert_stderr(&self, code: i32, part: &str) {
        self.assert_code(code);
        assert!(self.stderr.contains(part), "{}", self.stderr);
    }

    /// Asserts the exit code `code` and standard output starting with
    /// `start`.
    #[track_caller]
    pub fn assert_stdout_starts(&self, code: i32, start: &str) {
        self.assert_code(code);
        assert!(self.stdout.starts_with(start), "{}", self.stdout);
    }

    /// Asserts the exit code `code` and standard error starting with
    /// `start`.
    #[track_caller]
    pub fn assert_stderr_starts(&self, code: i32, start: &str) {
        self.assert_code(code);
        assert!(self.stderr.starts_with(start), "{}", self.stderr);
    }

    #[track_caller]
    fn assert_code(&self, code: i32) {
        assert_eq!(self.code, code, "{}{}", self.stdout, self.stderr);
    }
}

/// Runs `medcode ARGS` with an empty standard input; see [`run_with`].
pub fn run(args: &[&str]) -> Run {
    run_with(args, "")
}

/// Runs `medcode ARGS` in the repository root with `stdin` as its standard
/// input, and checks that no panic text reached the user.
pub fn run_with(args: &[&str], stdin: &str) -> Run {
    let out = assert_cmd::Command::from_std(medcode())
        .args(args)
        .write_stdin(stdin)
        .output()
        .expect("runs");
    let r = Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    };
    assert!(
        !r.stderr.contains("panicked") && !r.stderr.contains("RUST_BACKTRACE"),
        "panic text reached the user: {}",
        r.stderr
    );
    r
}

/// The text of `page` (a path from the repository root, such as
/// `docs/WALLET.md`) after its heading `section`: the first line that is
/// `# SECTION`, `## SECTION` or `### SECTION`.
#[allow(dead_code)]
pub fn doc_section(page: &str, section: &str) -> String {
    let doc = std::fs::read_to_string(root().join(page))
        .unwrap_or_else(|e| panic!("cannot read {page}: {e}"));
    let mut rest = None;
    let mut offset = 0;
    for line in doc.split_inclusive('\n') {
        offset += line.len();
        let heading = line.trim_end_matches('\n');
        let level = heading.len() - heading.trim_start_matches('#').len();
        if (1..=3).contains(&level) && heading[level..].strip_prefix(' ') == Some(section) {
            rest = Some(&doc[offset..]);
            break;
        }
    }
    rest.unwrap_or_else(|| panic!("{page} has no section {section:?}"))
        .to_owned()
}

/// Runs the worked example of `section` in `page` (see [`doc_section`]) as
/// written: the first `sh` block after "Tried end to end" under that
/// heading, in the repository root with `medcode` on `PATH` and
/// `bash -euo pipefail`. Returns standard output after asserting that it
/// succeeded.
#[allow(dead_code)]
pub fn doc_example(page: &str, section: &str) -> String {
    let text = doc_section(page, section);
    let script = text
        .split("Tried end to end")
        .nth(1)
        .unwrap_or_else(|| panic!("a worked example in {page}, {section:?}"))
        .split("```sh\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("an sh block");
    let bin = Path::new(env!("CARGO_BIN_EXE_medcode")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(root())
        .env("PATH", path)
        .env("XDG_STATE_HOME", state_home())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    stdout
}
