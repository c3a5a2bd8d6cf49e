//! Codes made offline on the phone: the issuer certifies the
//! phone's own P-256 key once, while it is online; then, in a hospital
//! basement with no signal, the phone makes a fresh code every 20 s that
//! the till accepts, offline too. A screenshot of one, forwarded to another
//! phone, goes stale within a minute and is never accepted twice; the
//! credential copied to another phone makes no codes there; and once the
//! phone is reported lost, its credential is refused.

use std::path::Path;

use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::limits::DEFAULT_LEEWAY_SECS;
use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr, decode_image};
use medcode::verify::to_json;
use medcode::{
    Algorithm, Claims, DeviceEnrolment, DeviceHolder, InsuredId, Issuer, MaskedName, Reason,
    Region, RevocationList, SigningKey, TrustList, UnixTime, Verifier,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let issuer_key = read_private_key(&root.join("keys/demo-issuer.pk8"), PermissionPolicy::Warn)?;
    let issuer = Issuer::new(issuer_key.key);
    let trust = TrustList::from_file(&root.join("keys/trust.json"))?;
    let till = Verifier::new(trust);

    // Online, once: the phone's key (its secure hardware holds P-256) is
    // certified for 24 hours and 1000 codes.
    let enrolled = UnixTime::parse_rfc3339("2026-11-22T07:00:00Z")?;
    let phone_key = SigningKey::generate(Algorithm::P256)?;
    let mut claims = Claims::new(
        InsuredId::new("12345678901234567890")?,
        Region::new("110000")?,
    );
    claims.name = Some(MaskedName::new("张*")?);
    let credential = issuer.enrol_device(
        &DeviceEnrolment::new(claims, phone_key.public_key().clone()),
        enrolled,
    )?;
    println!(
        "enrolled: credential {} until {}, {} codes",
        credential.id(),
        credential.not_after(),
        credential.quota()
    );
    let mut phone = DeviceHolder::new(phone_key, credential.clone(), 0)?;

    // Offline, an hour later: the phone makes its own codes.
    let now = enrolled.plus(3600);
    let code = phone.code(now)?;
    let screen = Qr::encode(code.text(), Ecc::M)?;
    println!(
        "the phone's code: {} bytes, QR version {} at level M",
        code.binary_len(),
        screen.version()
    );
    let scanned = decode_image(&screen.to_png(DEFAULT_MODULE_PX)?)?;
    let accepted = till.verify(&scanned, now.plus(2));
    println!("the till, offline:          {}", to_json(&accepted));
    assert!(accepted.is_ok());
    let next = phone.code(now.plus(20))?;
    assert!(till.verify(next.text(), now.plus(21)).is_ok());

    // A screenshot of the first code, forwarded to another phone.
    let again = till.verify(&scanned, now.plus(30));
    println!("the screenshot, again:      {}", to_json(&again));
    assert_eq!(again.map(|_| ()).unwrap_err().reason(), Reason::Replayed);
    let later = code.expires_at().plus(u64::from(DEFAULT_LEEWAY_SECS) + 1);
    let stale = till.verify(&scanned, later);
    println!("the screenshot, later:      {}", to_json(&stale));
    assert_eq!(stale.map(|_| ()).unwrap_err().reason(), Reason::Expired);

    // The credential file copied to another phone: its key is not certified.
    let thief = DeviceHolder::new(
        SigningKey::generate(Algorithm::P256)?,
        credential.clone(),
        0,
    );
    println!(
        "the credential on another phone: {}",
        thief.as_ref().map(|_| ()).unwrap_err()
    );
    assert_eq!(thief.unwrap_err().reason(), Reason::InvalidKey);

    // The phone is reported lost: its credential id goes on the list.
    let mut lost = RevocationList::new();
    lost.revoke_credential(credential.id())?;
    let till = till.with_revocations(lost);
    let after = phone.code(now.plus(40))?;
    let refused = till.verify(after.text(), now.plus(41));
    println!("after the phone is revoked: {}", to_json(&refused));
    assert_eq!(refused.map(|_| ()).unwrap_err().reason(), Reason::Revoked);
    Ok(())
}
