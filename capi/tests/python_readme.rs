//! The Python ctypes snippet of README.md ("Embedding in C, C++, Python"),
//! extracted from the README and run with python3 against the library cargo
//! just built: the same three verdicts as the C till.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{
    GARBAGE, NOW, expected_verdicts, expired_token, lib_dir, root, tool_or_skip, valid_token,
};

const SECTION: &str = "## Embedding in C, C++, Python";

/// The first ```python block after the section heading.
fn snippet() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("README.md has no {SECTION:?} section"))
        .1;
    let body = section
        .split_once("```python\n")
        .expect("a ```python block in the section")
        .1;
    body.split_once("\n```")
        .expect("the python block ends")
        .0
        .to_owned()
}

#[test]
fn readme_python_snippet_prints_the_three_verdicts() {
    if !tool_or_skip("python3", "readme_python_snippet_prints_the_three_verdicts") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("till.py");
    std::fs::write(&script, snippet()).expect("write till.py");
    let input = format!("{}\n{}\n{GARBAGE}\n", valid_token(), expired_token());
    let mut child = Command::new("python3")
        .arg(&script)
        .current_dir(root())
        .env("MEDCODE_LIB", lib_dir().join("libmedcode_capi.so"))
        .env("MEDCODE_NOW", NOW.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("python3 ends");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected_verdicts());
    assert_eq!(out.status.code(), Some(0));
}

/// The snippet's ctypes structs have the C layout of the header's structs;
/// its `Options` is the first version (16 bytes), which the exported
/// `medcode_options_init` fills: a version-1 caller of this library.
#[test]
fn readme_python_structs_match_the_c_layout() {
    if !tool_or_skip("python3", "readme_python_structs_match_the_c_layout") {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("till.py");
    std::fs::write(&script, snippet()).expect("write till.py");
    let probe = format!(
        "exec(open({:?}).read())\n\
         print(ctypes.sizeof(Options), ctypes.sizeof(Result), Result.expires_at.offset, \
         Result.presenter.offset, ctypes.sizeof(Presenter))",
        script.to_str().expect("UTF-8 path")
    );
    let out = Command::new("python3")
        .args(["-c", &probe])
        .current_dir(root())
        .env("MEDCODE_LIB", lib_dir().join("libmedcode_capi.so"))
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let expected = format!(
        "{} {} {} {} {}\n",
        medcode_capi::MEDCODE_OPTIONS_V1_SIZE,
        std::mem::size_of::<medcode_capi::MedcodeResult>(),
        std::mem::offset_of!(medcode_capi::MedcodeResult, expires_at),
        std::mem::offset_of!(medcode_capi::MedcodeResult, presenter),
        std::mem::size_of::<medcode_capi::MedcodePresenter>(),
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
}
