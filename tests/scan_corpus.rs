//! The degraded-QR corpus (tests/support/corpus.rs): the same seed gives
//! the same images, every class is present with self and delegate codes,
//! the scanner reads exactly the images it is known to read, and (where
//! `zbarimg` is installed) every image zbar reads.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/tools.rs"]
mod tools;

use std::sync::OnceLock;

use medcode::qr::decode_image;
use medcode::{Issuer, Reason, SigningKey, UntrustedToken};

#[test]
fn the_corpus_follows_from_the_seed_alone() {
    let a = corpus::generate(15, 2);
    let b = corpus::generate(15, 2);
    assert_eq!(a.len(), corpus::CLASSES.len() * 2);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((x.class, &x.detail, &x.text), (y.class, &y.detail, &y.text));
        assert!(x.bytes == y.bytes, "{} ({}) differs", x.class, x.detail);
    }
    let c = corpus::generate(16, 2);
    assert!(a.iter().zip(&c).all(|(x, y)| x.text != y.text));
}

#[test]
fn every_class_has_a_self_and_a_delegate_code_of_the_demo_issuer() {
    let samples = corpus::generate(15, 2);
    let der = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-issuer.pk8"),
    )
    .unwrap();
    let kid = Issuer::new(SigningKey::from_pkcs8(&der).unwrap()).key_id();
    for class in corpus::CLASSES {
        let of: Vec<_> = samples.iter().filter(|s| s.class == *class).collect();
        assert_eq!(of.len(), 2, "{class}");
        assert_eq!(
            of.iter().map(|s| s.delegate).collect::<Vec<_>>(),
            [false, true]
        );
        let tokens: Vec<_> = of
            .iter()
            .map(|s| UntrustedToken::parse(&s.text).unwrap())
            .collect();
        assert!(tokens.iter().all(|t| t.key_id() == kid), "{class}");
        // The delegate block (presenter id and relation) makes it longer.
        assert!(tokens[1].binary_len() > tokens[0].binary_len(), "{class}");
    }
}

/// The corpus the scanner tests share: seed 15, 2 images per class (a self
/// code, then a delegate code), generated once per test binary.
fn shared() -> &'static [corpus::Sample] {
    static SAMPLES: OnceLock<Vec<corpus::Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| corpus::generate(15, 2))
}

/// Which images of [`shared`] `decode_image` reads, per class: [self,
/// delegate]. The exact set, measured (docs/PERFORMANCE.md, "Scanning",
/// has the larger corpus); a change either way is to be looked at.
const READS: &[(&str, [bool; 2])] = &[
    ("clean-8px", [true, true]),
    ("bilinear-2px", [true, true]),
    ("bilinear-3px", [true, true]),
    ("bilinear-4px", [true, true]),
    ("box-2px", [true, true]),
    ("box-3px", [true, true]),
    ("box-4px", [true, true]),
    ("blur-1", [true, true]),
    ("blur-2", [true, true]),
    ("blur-3", [false, false]),
    ("rotate-0-45", [true, true]),
    ("rotate-90-180-270", [true, true]),
    ("perspective", [true, true]),
    ("jpeg-15-60", [true, true]),
    ("low-contrast", [true, true]),
    ("inverted", [true, true]),
    ("sensor-noise", [true, true]),
    ("in-scene", [true, true]),
    ("screen-moire", [true, true]),
];

/// Whether `decode_image` reads each image of [`shared`], computed once.
fn read_by_us() -> &'static [bool] {
    static READ: OnceLock<Vec<bool>> = OnceLock::new();
    READ.get_or_init(|| shared().iter().map(reads).collect())
}

/// Whether `decode_image` reads `s`: exactly its text, or an error that
/// says why not (never a wrong text).
fn reads(s: &corpus::Sample) -> bool {
    match decode_image(&s.bytes) {
        Ok(text) => {
            assert_eq!(
                text, s.text,
                "{} ({}) read as another text",
                s.class, s.detail
            );
            true
        }
        Err(e) => {
            assert_eq!(e.reason(), Reason::Unreadable, "{} ({})", s.class, s.detail);
            false
        }
    }
}

#[test]
fn the_scanner_reads_exactly_the_expected_images_of_each_class() {
    let (samples, read) = (shared(), read_by_us());
    assert_eq!(
        READS.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        corpus::CLASSES
    );
    let mut wrong = Vec::new();
    for (class, expected) in READS {
        let of: Vec<_> = (0..samples.len())
            .filter(|&i| samples[i].class == *class)
            .collect();
        let got = [read[of[0]], read[of[1]]];
        if got != *expected {
            wrong.push(format!("{class}: read {got:?}, expected {expected:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `zbarimg` (QR only) on `s`: whether it reads exactly its text.
fn zbar_reads(s: &corpus::Sample) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("code.{}", s.ext));
    std::fs::write(&path, &s.bytes).unwrap();
    let out = std::process::Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    out.status.success() && String::from_utf8_lossy(&out.stdout).trim_end() == s.text
}

#[test]
fn the_scanner_reads_every_image_zbarimg_reads() {
    if !tools::tool_or_skip("zbarimg", "the_scanner_reads_every_image_zbarimg_reads") {
        return;
    }
    let (mut zbar_only, mut ours_only, mut zbar_count) = (Vec::new(), Vec::new(), 0);
    for (s, &ours) in shared().iter().zip(read_by_us()) {
        let z = zbar_reads(s);
        zbar_count += usize::from(z);
        let name = format!("{} ({})", s.class, s.detail);
        match (z, ours) {
            (true, false) => zbar_only.push(name),
            (false, true) => ours_only.push(name),
            _ => {}
        }
    }
    // The reference reads a good part of the corpus, or it is not one.
    assert!(
        zbar_count >= shared().len() / 2,
        "zbarimg read only {zbar_count}"
    );
    assert!(
        zbar_only.is_empty(),
        "zbarimg reads, decode_image does not: {zbar_only:?}"
    );
    eprintln!(
        "decode_image reads {} images zbarimg does not: {ours_only:?}",
        ours_only.len()
    );
}
