//! examples/c/pos_till.c compiled with the system C compiler against the
//! library cargo just built, dynamically and statically, and run on a valid,
//! an expired and a garbage code at a pinned instant.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{GARBAGE, NOW, expected_verdicts, expired_token, lib_dir, root, valid_token};

/// What `cargo rustc -p medcode-capi --crate-type staticlib -- --print
/// native-static-libs` lists on Linux.
const NATIVE_STATIC_LIBS: &[&str] = &[
    "-lm",
    "-lrt",
    "-lpthread",
    "-lgcc_s",
    "-lutil",
    "-ldl",
    "-lc",
];

fn cc(out: &Path, link: &[String]) {
    compile("cc", &["-std=c11"], out, link);
}

/// Compiles pos_till.c with `compiler` and the strictest warnings.
fn compile(compiler: &str, lang: &[&str], out: &Path, link: &[String]) {
    let root = root();
    let mut cmd = Command::new(compiler);
    cmd.args(lang)
        .args(["-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("examples/c/pos_till.c"))
        .args(link)
        .arg("-o")
        .arg(out);
    let done = cmd
        .output()
        .unwrap_or_else(|e| panic!("the system compiler `{compiler}` runs: {e}"));
    assert!(
        done.status.success(),
        "{compiler} failed:\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
}

fn run(exe: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(exe)
        .args(args)
        .current_dir(root())
        .env("MEDCODE_NOW", NOW.to_string())
        .env_remove("MEDCODE_TILL_REGION")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pos_till starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("pos_till ends")
}

/// Valid (with a CRLF line end, as some scanners send), a blank line,
/// expired, and garbage without a final newline.
fn scanned() -> String {
    format!("{}\r\n\n{}\n{GARBAGE}", valid_token(), expired_token())
}

fn check_till(exe: &Path) {
    let out = run(exe, &[], &scanned());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected_verdicts());
    assert_eq!(out.status.code(), Some(0));

    let out = run(exe, &["keys/no-such-trust.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("pos_till: cannot read keys/no-such-trust.json: ")
            && err.ends_with(" (io)\n")
            && err.lines().count() == 1,
        "{err}"
    );
}

fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn exe_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn pos_till_links_dynamically() {
    let lib = lib_dir();
    let dir = workdir();
    let exe = exe_in(&dir, "pos_till");
    let lib = lib.to_str().expect("UTF-8 path").to_owned();
    cc(
        &exe,
        &[
            format!("-L{lib}"),
            "-lmedcode_capi".to_owned(),
            format!("-Wl,-rpath,{lib}"),
        ],
    );
    check_till(&exe);
}

#[test]
fn pos_till_links_statically() {
    let lib = lib_dir();
    let dir = workdir();
    let exe = exe_in(&dir, "pos_till_static");
    let mut link = vec![
        lib.join("libmedcode_capi.a")
            .to_str()
            .expect("UTF-8 path")
            .to_owned(),
    ];
    link.extend(NATIVE_STATIC_LIBS.iter().map(|s| (*s).to_owned()));
    cc(&exe, &link);
    // No rpath and no libmedcode_capi.so needed: the library is inside.
    check_till(&exe);
}

/// The header also serves C++: the same till compiled as C++17.
#[test]
fn pos_till_builds_as_cpp() {
    let lib = lib_dir();
    let dir = workdir();
    let exe = exe_in(&dir, "pos_till_cpp");
    let lib = lib.to_str().expect("UTF-8 path").to_owned();
    compile(
        "c++",
        &["-x", "c++", "-std=c++17"],
        &exe,
        &[
            format!("-L{lib}"),
            "-lmedcode_capi".to_owned(),
            format!("-Wl,-rpath,{lib}"),
        ],
    );
    check_till(&exe);
}
