//! Issue a code for a demo insured person with the demo key in keys/ and
//! write it as PNG and SVG.
//!
//!     cargo run --example issue_and_render [OUT_DIR]

use std::path::{Path, PathBuf};

use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr};
use medcode::{Claims, InsuredId, Issuer, MaskedName, Region, UnixTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::args()
        .nth(1)
        .map_or_else(std::env::temp_dir, PathBuf::from);
    // Demo key (public, NOT FOR PRODUCTION); a fresh clone has it 0644.
    let key = read_private_key(&root.join("keys/demo-issuer.pk8"), PermissionPolicy::Warn)?.key;
    let issuer = Issuer::new(key);

    let mut claims = Claims::new(
        InsuredId::new("12345678901234567890")?,
        Region::new("110000")?,
    );
    claims.name = Some(MaskedName::new("张*")?);
    // The library never reads the clock; an example may pick any instant.
    let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
    let token = issuer.issue(&claims, now)?;

    let qr = Qr::encode(token.text(), Ecc::M)?;
    let png = out.join("medcode-example.png");
    let svg = out.join("medcode-example.svg");
    std::fs::write(&png, qr.to_png(DEFAULT_MODULE_PX)?)?;
    std::fs::write(&svg, qr.to_svg(DEFAULT_MODULE_PX))?;
    println!("token: {}", token.text());
    println!(
        "QR version {} at level M, {} x {} modules; wrote {} and {}",
        qr.version(),
        qr.modules(),
        qr.modules(),
        png.display(),
        svg.display()
    );
    Ok(())
}
