//! A minimal till: one scanned token per line on stdin (as a keyboard-wedge
//! scanner types it), one verdict line per code on stdout. Uses the demo
//! trust list in keys/ and the system clock (a till is the edge that reads
//! it). Each code is accepted once (in-memory replay guard).
//!
//!     medcode issue --dir keys --kid demo-issuer --insured 1 --region 110000 \
//!       | cargo run --example pos_verifier

use std::io::BufRead;
use std::path::Path;

use medcode::verify::to_json;
use medcode::{TrustList, UnixTime, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // One code, one use: a verifier records accepted codes in memory by
    // default, so a second scan of a code is refused as replayed.
    let verifier = Verifier::new(TrustList::from_file(&root.join("keys/trust.json"))?);
    let mut scanned = 0usize;
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        let result = verifier.verify(text, UnixTime::from_secs(secs));
        println!("{}", to_json(&result));
        scanned += 1;
    }
    eprintln!("till closed after {scanned} scanned codes");
    Ok(())
}
