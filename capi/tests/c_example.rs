//! examples/c/pos_till.c compiled with the system C compiler against the
//! library cargo just built, dynamically and statically, and as C++, and
//! run on a valid, an expired and a garbage code and the valid one again
//! (replayed) at a pinned instant: with its default in-memory replay guard,
//! with the signed demo trust list under the demo root key, with a file
//! replay file across two runs, and without a guard.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{
    GARBAGE, NOW, expected_verdicts, expired_token, lib_dir, root, tool_or_skip, valid_token,
};

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
    run_env(exe, args, &[], input)
}

fn run_env(exe: &Path, args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    let mut cmd = Command::new(exe);
    // The program finds the library through its rpath (this run's build);
    // cargo's LD_LIBRARY_PATH would take precedence and may hold an older
    // libmedcode_capi.so left in target/debug by an earlier `cargo build`.
    cmd.args(args)
        .current_dir(root())
        .env_remove("LD_LIBRARY_PATH")
        .env("MEDCODE_NOW", NOW.to_string());
    for name in [
        "MEDCODE_TILL_REGION",
        "MEDCODE_REPLAY",
        "MEDCODE_REPLAY_UNAVAILABLE",
        "MEDCODE_ROOT_KEY",
        "MEDCODE_REVOCATIONS",
    ] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied());
    common::output_with_input(&mut cmd, input, "pos_till")
}

/// Valid (with a CRLF line end, as some scanners send), a blank line,
/// expired, garbage, and the valid code again without a final newline.
fn scanned() -> String {
    format!(
        "{}\r\n\n{}\n{GARBAGE}\n{}",
        valid_token(),
        expired_token(),
        valid_token()
    )
}

const ACCEPTED: &str = "accepted insured=12345678901234567890 name=张* region=110000 status=normal scheme=employee expires_at=1795334455\n";
const REPLAYED: &str = "rejected reason=replayed code=9 detail=replayed: token 0102030405060708 was already accepted\n";

/// The three verdicts, then the second presentation refused.
fn expected_with_replay() -> String {
    format!("{}{REPLAYED}", expected_verdicts())
}

fn assert_output(out: &Output, expected: &str) {
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(0));
}

fn check_till(exe: &Path) {
    // The default: keys/trust.json and an in-memory replay guard.
    assert_output(&run(exe, &[], &scanned()), &expected_with_replay());

    // The signed demo trust list (keys/trust.signed.json by default) under
    // the pinned demo root key.
    let signed = [("MEDCODE_ROOT_KEY", "keys/demo-root.pub")];
    assert_output(
        &run_env(exe, &[], &signed, &scanned()),
        &expected_with_replay(),
    );
    // An unsigned list with a root key is a setup error.
    let out = run_env(exe, &["keys/trust.json"], &signed, "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "pos_till: invalid trust list: keys/trust.json is not a signed list, but a root key is pinned: sign it with `medcode trust sign` (invalid_trust_list)\n"
    );

    // No guard: the second presentation is accepted too.
    let none = [("MEDCODE_REPLAY", "none")];
    assert_output(
        &run_env(exe, &[], &none, &scanned()),
        &format!("{}{ACCEPTED}", expected_verdicts()),
    );

    // A replay store file: the code accepted by one run is refused by the
    // next (a restarted till, or a second till process on the same file).
    let dir = workdir();
    let spec = format!("file:{}", dir.path().join("seen.db").display());
    let file = [("MEDCODE_REPLAY", spec.as_str())];
    assert_output(
        &run_env(exe, &[], &file, &format!("{}\n", valid_token())),
        ACCEPTED,
    );
    assert_output(
        &run_env(exe, &[], &file, &format!("{}\n", valid_token())),
        REPLAYED,
    );

    let out = run_env(exe, &[], &[("MEDCODE_REPLAY", "disk")], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "pos_till: MEDCODE_REPLAY=disk: expected memory, none, file:PATH, redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...]\n"
    );

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

/// The linker flags for libmedcode_capi.so in `lib`, found at run time
/// through the rpath.
fn dynamic_link(lib: &str) -> [String; 3] {
    [
        format!("-L{lib}"),
        "-lmedcode_capi".to_owned(),
        format!("-Wl,-rpath,{lib}"),
    ]
}

#[test]
fn pos_till_links_dynamically() {
    let lib = lib_dir();
    let dir = workdir();
    let exe = exe_in(&dir, "pos_till");
    let lib = lib.to_str().expect("UTF-8 path").to_owned();
    cc(&exe, &dynamic_link(&lib));
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
    if !tool_or_skip("c++", "pos_till_builds_as_cpp") {
        return;
    }
    let lib = lib_dir();
    let dir = workdir();
    let exe = exe_in(&dir, "pos_till_cpp");
    let lib = lib.to_str().expect("UTF-8 path").to_owned();
    compile(
        "c++",
        &["-x", "c++", "-std=c++17"],
        &exe,
        &dynamic_link(&lib),
    );
    check_till(&exe);
}

/// The header's structs, its offsetof-based MEDCODE_OPTIONS_V2_SIZE,
/// MEDCODE_OPTIONS_V3_SIZE and MEDCODE_OPTIONS_V4_SIZE and its
/// medcode_options_init macro, as a C compiler sees them, agree with the
/// Rust side.
#[test]
fn header_layout_and_init_macro_match_the_rust_side() {
    use medcode_capi::{MedcodeListStatus, MedcodeOptions, MedcodeResult};
    use std::mem::{offset_of, size_of};

    let lib = lib_dir();
    let dir = workdir();
    let src = dir.path().join("layout.c");
    std::fs::write(
        &src,
        r#"#include <stdio.h>
#include "medcode.h"
int main(void) {
    MedcodeOptions o;
    MedcodeReason rc = medcode_options_init(&o);
    printf("%u %u %u %u %u %u %u %d %d %d %d\n", (unsigned)rc, (unsigned)sizeof(MedcodeOptions),
           (unsigned)MEDCODE_OPTIONS_V4_SIZE, (unsigned)o.struct_size, (unsigned)o.leeway_secs,
           (unsigned)o.max_validity_secs, (unsigned)o.replay_guard, o.replay_target == NULL,
           o.revocations_file == NULL, o.state_path == NULL, o.replay_fallback_file == NULL);
    printf("%u %u %u %u %u %u %u %u\n", (unsigned)offsetof(MedcodeOptions, replay_guard),
           (unsigned)offsetof(MedcodeOptions, replay_target),
           (unsigned)offsetof(MedcodeOptions, root_key_file),
           (unsigned)offsetof(MedcodeOptions, revocations_file),
           (unsigned)MEDCODE_OPTIONS_V2_SIZE, (unsigned)offsetof(MedcodeOptions, state_path),
           (unsigned)MEDCODE_OPTIONS_V3_SIZE, (unsigned)offsetof(MedcodeOptions, replay_fallback_file));
    printf("%u %u %u\n", (unsigned)sizeof(MedcodeResult), (unsigned)sizeof(MedcodeListStatus),
           (unsigned)offsetof(MedcodeListStatus, sequence));
    return 0;
}
"#,
    )
    .expect("write layout.c");
    let exe = dir.path().join("layout");
    let lib = lib.to_str().expect("UTF-8 path").to_owned();
    let done = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(root().join("include"))
        .arg(&src)
        .arg(format!("-L{lib}"))
        .arg("-lmedcode_capi")
        .arg(format!("-Wl,-rpath,{lib}"))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("cc runs");
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let out = Command::new(&exe)
        .env_remove("LD_LIBRARY_PATH")
        .output()
        .expect("layout runs");
    let size = size_of::<MedcodeOptions>();
    let expected = format!(
        "0 {size} {size} {size} 15 300 0 1 1 1 1\n{} {} {} {} {} {} {} {}\n{} {} {}\n",
        offset_of!(MedcodeOptions, replay_guard),
        offset_of!(MedcodeOptions, replay_target),
        offset_of!(MedcodeOptions, root_key_file),
        offset_of!(MedcodeOptions, revocations_file),
        medcode_capi::MEDCODE_OPTIONS_V2_SIZE,
        offset_of!(MedcodeOptions, state_path),
        medcode_capi::MEDCODE_OPTIONS_V3_SIZE,
        offset_of!(MedcodeOptions, replay_fallback_file),
        size_of::<MedcodeResult>(),
        size_of::<MedcodeListStatus>(),
        offset_of!(MedcodeListStatus, sequence),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
