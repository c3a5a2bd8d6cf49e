//! External tools a test needs (python3, c++, openssl, a PyPI package):
//! one rule for all of them. Where the tests must run, in CI (`CI` set, or
//! `MEDCODE_REQUIRE_TOOLS=1`, which `.ci/run` sets), a missing tool fails
//! the test; elsewhere (a developer machine with only the Rust toolchain)
//! the test prints a loud `SKIPPED ... did NOT run` line past the harness's
//! output capture and returns at once.

#![allow(dead_code)] // each test binary uses a part

use std::io::Write;

/// True where tests needing external tools must run (CI).
pub fn tools_required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("MEDCODE_REQUIRE_TOOLS")
}

/// Fails under [`tools_required`], else prints the SKIPPED line for `test`
/// and returns: the caller then returns at once.
pub fn skip_or_fail(test: &str, why: &str) {
    assert!(
        !tools_required(),
        "{test}: {why}, and this test must run here (CI or MEDCODE_REQUIRE_TOOLS=1)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why}; this test did NOT run (install it to run it; CI always does)"
    );
}

/// Prints a SKIPPED line for `test` whatever the environment: for what no
/// install step can bring (an installed tool that lacks a feature).
pub fn skip_loudly(test: &str, why: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why}; this test did NOT run"
    );
}

/// True when `tool --version` runs; otherwise [`skip_or_fail`] and false.
pub fn tool_or_skip(tool: &str, test: &str) -> bool {
    probe_or_skip(tool, &["--version"], test)
}

/// True when `tool PROBE...` runs and succeeds (`openssl version`: openssl
/// has no `--version`); otherwise [`skip_or_fail`] and false.
pub fn probe_or_skip(tool: &str, probe: &[&str], test: &str) -> bool {
    let runs = std::process::Command::new(tool)
        .args(probe)
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        skip_or_fail(test, &format!("`{tool}` not found"));
    }
    runs
}

/// Runs `cmd` with `input` on its standard input and its output captured;
/// `what` names the program in the panics.
pub fn output_with_input(
    cmd: &mut std::process::Command,
    input: &str,
    what: &str,
) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{what} ends: {e}"))
}
