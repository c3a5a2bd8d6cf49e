//! A family account (亲情账户) end to end: register an owner in Beijing and
//! her father in Shenzhen, bind him as her parent, issue the delegate code
//! she shows at a pharmacy on his behalf, render it as a PNG, scan the PNG
//! back and verify it as a till would. Then file personal-account mutual aid
//! and show that the next code carries it, and unbind and show that no
//! further code is issued.
//!
//!     cargo run -p medcode-platform --example family_delegate
//!
//! Everything lives in a fresh temporary folder; no network, no arguments.

use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr, decode_image};
use medcode::verify::to_json;
use medcode::{
    Algorithm, InsuredId, Issuer, Region, Relation, Scheme, SigningKey, TrustList, TrustedKey,
    UnixTime, Verifier,
};
use medcode_platform::registry::{BindRequest, FullName, IdNumber, NewPerson, Registry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // The library never reads the clock; an example may pick any instant.
    let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;

    // The issuer's registry: one SQLite file and its 0600 secret beside it.
    let registry = Registry::open(&dir.path().join("registry.db"))?;
    let owner = InsuredId::new("11000000000000000001")?;
    let father = InsuredId::new("44030000000000000002")?;
    let mut her = NewPerson::new(
        owner.clone(),
        FullName::new("张丽")?,
        IdNumber::new("110105198001010016")?,
        Region::new("110000")?,
    );
    her.activated = true;
    registry.add_person(&her, now)?;
    let mut him = NewPerson::new(
        father.clone(),
        FullName::new("张建国")?,
        IdNumber::new("440305195203150029")?,
        Region::new("440300")?,
    );
    him.activated = true;
    him.scheme = Scheme::Resident;
    registry.add_person(&him, now)?;

    // Binding needs his name and ID number exactly as on record; regions
    // play no part.
    let binding = registry.bind(
        &BindRequest {
            owner: owner.clone(),
            member: father.clone(),
            relation: Relation::Parent,
            member_name: "张建国".into(),
            member_id_number: IdNumber::new("440305195203150029")?,
        },
        now,
    )?;
    println!(
        "bound {} to {}'s family account as {}",
        binding.member, binding.owner, binding.relation
    );

    // The issuer's key and the till's trust list.
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let trusted = TrustedKey {
        key: key.public_key().clone(),
        label: "example-issuer".into(),
        authority: "Example Healthcare Security Administration".into(),
        not_before: UnixTime::parse_rfc3339("2026-01-01T00:00:00Z")?,
        not_after: UnixTime::parse_rfc3339("2027-01-01T00:00:00Z")?,
    };
    let issuer = Issuer::new(key);
    let verifier = Verifier::new(TrustList::new(vec![trusted])?);

    // She shows her father's code: render it, scan it back, verify.
    let token = registry.issue_delegate(&issuer, &owner, &father, now)?;
    let qr = Qr::encode(token.text(), Ecc::M)?;
    let png = dir.path().join("delegate.png");
    std::fs::write(&png, qr.to_png(DEFAULT_MODULE_PX)?)?;
    println!(
        "delegate code: {} characters, QR version {} at level M, written to {} (a temporary folder)",
        token.text().len(),
        qr.version(),
        png.display()
    );
    let scanned = decode_image(&std::fs::read(&png)?)?;
    let result = verifier.verify(&scanned, now.plus(3));
    println!("till: {}", to_json(&result));
    let verified = result?;
    let presenter = verified
        .presenter()
        .ok_or("a delegate code names its presenter")?;
    assert!(
        !presenter.mutual_aid,
        "a binding alone never grants mutual aid"
    );

    // Mutual aid is a separate filing; codes issued after it carry the flag.
    registry.file_aid(&owner, &father, now.plus(10))?;
    let token = registry.issue_delegate(&issuer, &owner, &father, now.plus(20))?;
    let result = verifier.verify(token.text(), now.plus(21));
    println!("after filing mutual aid:");
    println!("till: {}", to_json(&result));

    // Unbinding stops new delegate codes at once.
    registry.unbind(&owner, &father, now.plus(30))?;
    match registry.issue_delegate(&issuer, &owner, &father, now.plus(31)) {
        Err(e) => println!("after unbinding, issuing is refused: {e}"),
        Ok(_) => return Err("a delegate code was issued without a binding".into()),
    }
    Ok(())
}
