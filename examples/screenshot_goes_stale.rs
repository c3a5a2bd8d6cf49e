//! A screenshot goes stale: issue, render to PNG, decode the PNG, verify it
//! now (accepted); the same image shown again at once is refused as
//! replayed (a verifier accepts each code once by default), and 1 s after
//! validity + leeway as expired.

use std::path::Path;

use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::limits::DEFAULT_LEEWAY_SECS;
use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr, decode_image};
use medcode::verify::to_json;
use medcode::{Claims, InsuredId, Issuer, Reason, Region, TrustList, UnixTime, Verifier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let key = read_private_key(&root.join("keys/demo-issuer.pk8"), PermissionPolicy::Warn)?.key;
    let issuer = Issuer::new(key);
    let verifier = Verifier::new(TrustList::from_file(&root.join("keys/trust.json"))?);

    let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
    let claims = Claims::new(
        InsuredId::new("12345678901234567890")?,
        Region::new("110000")?,
    );
    let token = issuer.issue(&claims, now)?;
    let screenshot = Qr::encode(token.text(), Ecc::M)?.to_png(DEFAULT_MODULE_PX)?;

    let scanned = decode_image(&screenshot)?;
    assert_eq!(scanned, token.text());
    let at_once = verifier.verify(&scanned, now.plus(1));
    println!("scanned at once:        {}", to_json(&at_once));
    assert!(at_once.is_ok());

    let again = verifier.verify(&decode_image(&screenshot)?, now.plus(2));
    println!("the screenshot, again:  {}", to_json(&again));
    assert_eq!(again.map(|_| ()).unwrap_err().reason(), Reason::Replayed);

    let later = token.expires_at().plus(u64::from(DEFAULT_LEEWAY_SECS) + 1);
    let stale = verifier.verify(&decode_image(&screenshot)?, later);
    println!("the screenshot, later:  {}", to_json(&stale));
    assert_eq!(stale.map(|_| ()).unwrap_err().reason(), Reason::Expired);
    Ok(())
}
