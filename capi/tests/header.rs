//! include/medcode.h is generated from the Rust source by cbindgen and can
//! never drift: this test regenerates it and fails on any difference. Run
//! with MEDCODE_BLESS=1 to rewrite the file after an intended ABI change.
//!
//! `MedcodeReason` is defined by a macro from the library's reason table
//! (`medcode::reason_table!`), which cbindgen cannot expand: the test hands
//! cbindgen the enum's declaration (`MedcodeReason::DECLARATION`) as an
//! extra source file, so the header's enum follows the table.

use std::path::{Path, PathBuf};

use medcode::Reason;
use medcode_capi::MedcodeReason;

fn capi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    capi_dir().join("../include/medcode.h")
}

fn generate() -> String {
    let dir = capi_dir();
    let reason_src = tempfile::Builder::new()
        .suffix(".rs")
        .tempfile()
        .expect("a temporary file");
    std::fs::write(reason_src.path(), MedcodeReason::DECLARATION).expect("write the declaration");
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .with_src(reason_src.path())
        .generate()
        .expect("cbindgen generates the header");
    drop(reason_src);
    let mut out = Vec::new();
    bindings.write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn header_matches_the_rust_side() {
    let fresh = generate();
    let path = header_path();
    if std::env::var_os("MEDCODE_BLESS").is_some() {
        std::fs::write(&path, &fresh).expect("write include/medcode.h");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/medcode.h differs from what cbindgen generates from capi/src; \
         run `MEDCODE_BLESS=1 cargo test -p medcode-capi --test header` and review the diff"
    );
}

/// `MEDCODE_REASON_<NAME> = <code>` pairs, in header order.
fn header_reasons(header: &str) -> Vec<(String, u32)> {
    header
        .lines()
        .filter_map(|l| {
            let l = l.trim().trim_end_matches(',');
            let (name, value) = l.split_once(" = ")?;
            let name = name.strip_prefix("MEDCODE_REASON_")?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn reason_codes_match_the_library() {
    let header = std::fs::read_to_string(header_path()).expect("include/medcode.h");
    let mut expected = vec![("OK".to_owned(), 0)];
    expected.extend(
        Reason::ALL
            .iter()
            .map(|r| (r.as_str().to_uppercase(), r.code())),
    );
    expected.push(("INTERNAL".to_owned(), 1000));
    assert_eq!(header_reasons(&header), expected);

    // The Rust enum behind the header agrees, and every library reason maps
    // to its own code (not to INTERNAL).
    for r in Reason::ALL {
        let c = MedcodeReason::from_reason(r);
        assert_eq!(c.code(), r.code(), "{r}");
        assert_eq!(c.as_str(), r.as_str());
        assert_ne!(c, MedcodeReason::Internal);
    }
    assert_eq!(Reason::ALL.len(), 44);
    // Both enums come from one table: OK, the library's codes, INTERNAL.
    let codes: Vec<u32> = MedcodeReason::ALL.iter().map(|c| c.code()).collect();
    let mut want = vec![0];
    want.extend(Reason::ALL.iter().map(|r| r.code()));
    want.push(1000);
    assert_eq!(codes, want);
    assert!(MedcodeReason::DECLARATION.contains("InvalidArgument = 30"));
    assert!(MedcodeReason::DECLARATION.contains("TransferNotPending = 41"));
}

#[test]
fn header_declares_every_entry_point() {
    let header = std::fs::read_to_string(header_path()).expect("include/medcode.h");
    for f in [
        "const char *medcode_version(void);",
        "uint32_t medcode_abi_version(void);",
        "void medcode_options_init(struct MedcodeOptions *opts);",
        "MedcodeReason medcode_verifier_new_from_file(const char *path,",
        "MedcodeReason medcode_verifier_new_from_bytes(const uint8_t *json,",
        "void medcode_verifier_free(struct MedcodeVerifier *verifier);",
        "MedcodeReason medcode_verify(const struct MedcodeVerifier *verifier,",
        "const char *medcode_reason_str(uint32_t code);",
        "const char *medcode_last_error(void);",
        "MedcodeReason medcode_decode_qr_file(const char *path, char **text_out);",
        "void medcode_string_free(char *s);",
        "#define MEDCODE_ABI_VERSION 1",
        "#define MEDCODE_OPTIONS_V1_SIZE 16",
        "MedcodeReason medcode_options_init_size(struct MedcodeOptions *opts, size_t size);",
        "MedcodeReason medcode_verifier_update_trust_list_file(struct MedcodeVerifier *verifier,",
        "MedcodeReason medcode_verifier_update_revocations_file(struct MedcodeVerifier *verifier,",
        "MedcodeReason medcode_verifier_list_status(const struct MedcodeVerifier *verifier,",
        "#define MEDCODE_OPTIONS_V2_SIZE ((uint32_t)(offsetof(MedcodeOptions, revocations_file) + sizeof(const char *)))",
        "#define MEDCODE_OPTIONS_V3_SIZE ((uint32_t)(offsetof(MedcodeOptions, state_path) + sizeof(const char *)))",
        "#define MEDCODE_OPTIONS_V4_SIZE ((uint32_t)(offsetof(MedcodeOptions, replay_fallback_file) + sizeof(const char *)))",
        "#define medcode_options_init(opts) medcode_options_init_size((opts), sizeof *(opts))",
        "#define MEDCODE_REPLAY_DEFAULT 0",
        "#define MEDCODE_REPLAY_MEMORY 1",
        "#define MEDCODE_REPLAY_NONE 4",
        "#define MEDCODE_NOTICE_LIST_DUE_SOON 2",
        "#define MEDCODE_NOTICE_LIST_STALE 4",
        "#define MEDCODE_NOTICE_REPLAY_LOCAL_FALLBACK 8",
    ] {
        assert!(header.contains(f), "medcode.h lacks {f:?}");
    }
    assert!(Path::new(&header_path()).is_file());
    // The init macro follows the function's declaration (or it would
    // rewrite it), and both stay inside the include guard.
    let decl = header
        .find("void medcode_options_init(struct MedcodeOptions *opts);")
        .unwrap();
    let mac = header.find("#define medcode_options_init(opts)").unwrap();
    let guard_end = header.rfind("#endif /* MEDCODE_H */").unwrap();
    assert!(decl < mac && mac < guard_end);
    assert!(header.trim_end().ends_with("#endif /* MEDCODE_H */"));
}

/// docs/EMBEDDING.md's reason table lists every code with its constant and
/// string, in order.
#[test]
fn embedding_doc_lists_every_reason() {
    let doc = std::fs::read_to_string(capi_dir().join("../docs/EMBEDDING.md"))
        .expect("docs/EMBEDDING.md");
    let rows: Vec<(u32, String, String)> = doc
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            let constant = cells.get(2)?.trim_matches('`').to_owned();
            let string = cells.get(3)?.trim_matches('`').to_owned();
            constant
                .starts_with("MEDCODE_REASON_")
                .then_some((code, constant, string))
        })
        .collect();
    let mut expected = vec![(0, "MEDCODE_REASON_OK".to_owned(), "ok".to_owned())];
    expected.extend(Reason::ALL.iter().map(|r| {
        (
            r.code(),
            format!("MEDCODE_REASON_{}", r.as_str().to_uppercase()),
            r.as_str().to_owned(),
        )
    }));
    expected.push((
        1000,
        "MEDCODE_REASON_INTERNAL".to_owned(),
        "internal".to_owned(),
    ));
    assert_eq!(rows, expected);
}
