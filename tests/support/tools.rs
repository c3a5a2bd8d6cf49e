//! External tools the tests call where installed (python3, c++, zbarimg):
//! one rule for all, shared by the library's tests and the C ABI's
//! (`capi/tests/common/mod.rs` includes this file).

/// True when the external `tool` (python3, c++, zbarimg) runs here. When it does
/// not, on a developer machine with only the Rust toolchain the test prints
/// a loud SKIPPED line past the harness's capture and is to return at once;
/// in CI (`CI` set, or `MEDCODE_REQUIRE_TOOLS=1`, which `.ci/run` sets) it
/// fails instead.
pub fn tool_or_skip(tool: &str, test: &str) -> bool {
    let runs = std::process::Command::new(tool)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if runs {
        return true;
    }
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    assert!(
        !(set("CI") || set("MEDCODE_REQUIRE_TOOLS")),
        "`{tool}` does not run here, and this test must run (CI or MEDCODE_REQUIRE_TOOLS=1)"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: `{tool}` not found, this test did NOT run (install it to run it; CI always does)"
    );
    false
}
