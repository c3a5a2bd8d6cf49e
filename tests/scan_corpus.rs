//! The degraded-QR corpus (tests/support/corpus.rs): the same seed gives
//! the same images, every class is present with self and delegate codes,
//! and the scanner reads the classes it must never miss.

#[path = "support/corpus.rs"]
mod corpus;

use medcode::qr::decode_image;
use medcode::{Issuer, SigningKey, UntrustedToken};

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

#[test]
fn the_scanner_reads_the_clean_and_quarter_turned_images() {
    for s in corpus::generate(15, 2)
        .iter()
        .filter(|s| matches!(s.class, "clean-8px" | "rotate-90-180-270"))
    {
        assert_eq!(
            decode_image(&s.bytes).unwrap(),
            s.text,
            "{} ({})",
            s.class,
            s.detail
        );
    }
}
