//! The Python ctypes snippet of docs/EMBEDDING.md ("Quick start: a till in
//! C, C++ or Python"), extracted from the page and run with python3 against
//! the library cargo just built: the verdicts of the C till (the cashier's
//! line on stdout, a refusal's detail on stderr), one use per code with the
//! 16-byte version-1 options, the presenter of a delegate code, the lapsed
//! warning and the notices.

mod common;

use std::process::{Command, Stdio};

use common::{
    GARBAGE, NOW, demo_claims, expired_token, issue_with_id, lib_dir, root, tool_or_skip,
    valid_token,
};
use medcode::{InsuredId, Presenter, Relation, Status};

/// The page that holds the snippet, from the repository root.
const PAGE: &str = "docs/EMBEDDING.md";
const SECTION: &str = "\n## Quick start: a till in C, C++ or Python\n";

/// The first ```python block after the section heading.
fn snippet() -> String {
    let doc = std::fs::read_to_string(root().join(PAGE)).expect(PAGE);
    let section = doc
        .split_once(SECTION)
        .unwrap_or_else(|| panic!("{PAGE} has no {SECTION:?} section"))
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

/// Runs the page's till.py on `input`; its stdout and stderr.
fn run_till(input: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("till.py");
    std::fs::write(&script, snippet()).expect("write till.py");
    let out = common::output_with_input(
        Command::new("python3")
            .arg(&script)
            .current_dir(root())
            .env("MEDCODE_LIB", lib_dir().join("libmedcode_capi.so"))
            .env("MEDCODE_NOW", NOW.to_string()),
        input,
        "python3",
    );
    assert_eq!(out.status.code(), Some(0));
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn readme_python_snippet_prints_the_three_verdicts() {
    if !tool_or_skip("python3", "readme_python_snippet_prints_the_three_verdicts") {
        return;
    }
    let input = format!("{}\n{}\n{GARBAGE}\n", valid_token(), expired_token());
    let (stdout, stderr) = run_till(&input);
    assert_eq!(
        stdout,
        "accepted insured=12345678901234567890 name=张* region=110000 status=normal scheme=employee expires_at=1795334455\n\
         rejected reason=expired\n\
         rejected reason=malformed\n"
    );
    assert_eq!(
        stderr,
        "till.py: code=5 detail=expired at 2026-11-22T07:01:00Z (checked at 2026-11-22T08:00:00Z)\n\
         till.py: code=1 detail=malformed token: not a medcode token (prefix MC1 missing)\n"
    );
}

/// One code piped twice: the version-1 options the snippet uses get the
/// in-memory replay guard, so the second line is the refusal. Then a
/// lapsed member's delegate code with the cross-province switch off: the
/// presenter, the lapsed warning and the notice, on the one accepted line.
#[test]
fn readme_python_snippet_accepts_a_code_once_and_shows_presenter_lapsed_and_notices() {
    if !tool_or_skip(
        "python3",
        "readme_python_snippet_accepts_a_code_once_and_shows_presenter_lapsed_and_notices",
    ) {
        return;
    }
    let code = valid_token();
    let mut delegate = demo_claims();
    delegate.status = Status::Lapsed;
    delegate.cross_province = false;
    delegate.presenter = Some(Presenter {
        insured: InsuredId::new("00000000000000000001").unwrap(),
        relation: Relation::Child,
        mutual_aid: true,
    });
    let delegate = issue_with_id(&delegate, NOW - 5, [5; 8]);
    let (stdout, stderr) = run_till(&format!("{code}\n{code}\n{delegate}\n"));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(
        lines[0],
        "accepted insured=12345678901234567890 name=张* region=110000 status=normal scheme=employee expires_at=1795334455"
    );
    assert_eq!(lines[1], "rejected reason=replayed");
    assert_eq!(
        lines[2],
        "accepted insured=12345678901234567890 name=张* region=110000 status=lapsed scheme=employee expires_at=1795334455 \
         presenter=00000000000000000001 relation=child mutual_aid=filed \
         note=cross_province_not_checked warning=lapsed \
         detail=the holder switched off use outside their province, but no till region is configured, so that rule was not checked"
    );
    assert_eq!(
        stderr,
        "till.py: code=9 detail=replayed: token 0102030405060708 was already accepted\n"
    );
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
