//! Running the `medcode` binary from the repository root, the way the
//! README's commands are run, and capturing what it says.

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
/// this test's [`state_home`] as `XDG_STATE_HOME`.
pub fn medcode() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_medcode"));
    cmd.current_dir(root()).env("XDG_STATE_HOME", state_home());
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

/// Runs the README's worked example of `section` as written: the first
/// `sh` block after "Tried end to end" under the heading `## SECTION`, in
/// the repository root with `medcode` on `PATH` and `bash -euo pipefail`.
/// Returns standard output after asserting that it succeeded.
#[allow(dead_code)]
pub fn readme_example(section: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let script = readme
        .split(&format!("## {section}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("a README section {section:?}"))
        .split("Tried end to end")
        .nth(1)
        .expect("a worked example")
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
