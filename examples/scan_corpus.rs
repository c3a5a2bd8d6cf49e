//! Write the degraded-QR corpus (tests/support/corpus.rs) to a folder and
//! say which images the library's scanner reads.
//!
//!     cargo run --example scan_corpus [OUT_DIR [PER_CLASS [SEED]]]
//!
//! Defaults: a temporary folder, 1 image per degradation class, seed 15
//! (the benchmark's). The images follow from the seed alone. `index.tsv`
//! beside them names each file's class, kind (self or delegate), the token
//! text it holds and the degradation, so that other decoders (`zbarimg`,
//! zxing-cpp) can be scored on the same files.

use std::path::PathBuf;

#[path = "../tests/support/corpus.rs"]
mod corpus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args.next().map_or_else(
        || std::env::temp_dir().join("medcode-scan-corpus"),
        PathBuf::from,
    );
    let per_class: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let seed: u64 = args.next().map_or(Ok(15), |a| a.parse())?;
    std::fs::create_dir_all(&out)?;
    let samples = corpus::generate(seed, per_class);
    let mut read = 0;
    let mut index = String::from("file\tclass\tkind\ttext\tdetail\n");
    for (i, s) in samples.iter().enumerate() {
        let name = format!("{i:03}-{}.{}", s.class, s.ext);
        std::fs::write(out.join(&name), &s.bytes)?;
        let kind = if s.delegate { "delegate" } else { "self" };
        index += &format!("{name}\t{}\t{kind}\t{}\t{}\n", s.class, s.text, s.detail);
        let ok = medcode::qr::decode_image(&s.bytes).ok().as_deref() == Some(s.text.as_str());
        read += usize::from(ok);
        println!(
            "{name:<28} {:<5} {} ({})",
            if ok { "read" } else { "MISS" },
            kind,
            s.detail
        );
    }
    std::fs::write(out.join("index.tsv"), index)?;
    println!(
        "read {read} of {} (seed {seed}, {per_class} per class); images in {}",
        samples.len(),
        out.display()
    );
    Ok(())
}
