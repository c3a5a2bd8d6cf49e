//! QR size targets on the longest allowed claims, and the renderings.

use medcode::qr::{Ecc, Qr, png_width};
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, MaskedName, Presenter, Region, Relation, SigningKey,
    UnixTime,
};

fn issuer() -> Issuer {
    Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap())
}

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap()
}

/// The longest self claims the issuer accepts: 20 alphanumerics (13 packed
/// bytes) and a 2-byte masked name fill the 15-byte budget.
fn longest_self() -> Claims {
    let mut c = Claims::new(
        InsuredId::new("ZZZZZZZZZZZZZZZZZZZZ").unwrap(),
        Region::new("829999").unwrap(),
    );
    c.name = Some(MaskedName::new("A*").unwrap());
    c
}

fn longest_delegate() -> Claims {
    let mut c = longest_self();
    c.presenter = Some(Presenter {
        insured: InsuredId::new("ZZZZZZZZZZZZZZZZZZZZ").unwrap(),
        relation: Relation::OtherFamily,
        mutual_aid: true,
    });
    c
}

#[test]
fn size_targets_hold_on_the_longest_allowed_claims() {
    let issuer = issuer();
    let self_token = issuer.issue(&longest_self(), now()).unwrap();
    assert_eq!(self_token.binary_len(), 102);
    let qr = Qr::encode(self_token.text(), Ecc::M).unwrap();
    assert_eq!(qr.version(), 6);
    assert_eq!(qr.modules(), 41);

    let delegate = issuer.issue(&longest_delegate(), now()).unwrap();
    assert_eq!(delegate.binary_len(), 117);
    let qr = Qr::encode(delegate.text(), Ecc::M).unwrap();
    assert_eq!(qr.version(), 7);
    assert_eq!(qr.modules(), 45);

    // One more name byte is refused by the issuer, so no code outgrows them.
    let mut over = longest_self();
    over.name = Some(MaskedName::new("AB*").unwrap());
    assert!(issuer.issue(&over, now()).is_err());
}

#[test]
fn the_normal_demo_code_is_version_6_at_m_and_grows_with_ecc() {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    let token = issuer().issue(&c, now()).unwrap();
    let versions: Vec<u8> = [Ecc::L, Ecc::M, Ecc::Q, Ecc::H]
        .into_iter()
        .map(|e| Qr::encode(token.text(), e).unwrap().version())
        .collect();
    assert_eq!(versions, vec![5, 6, 8, 10]);
}

#[test]
fn png_is_grayscale_with_quiet_zone_and_module_size() {
    let token = issuer().issue(&longest_self(), now()).unwrap();
    let qr = Qr::encode(token.text(), Ecc::M).unwrap();
    for px in [2u32, 8] {
        let png = qr.to_png(px).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(img.color(), image::ColorType::L8);
        assert_eq!(img.width() as usize, png_width(41, px));
        assert_eq!(img.height() as usize, png_width(41, px));
        // The quiet zone's corner is light; the finder pattern's corner dark.
        let g = img.to_luma8();
        assert_eq!(g.get_pixel(0, 0).0[0], 255);
        assert_eq!(g.get_pixel(4 * px, 4 * px).0[0], 0);
    }
    assert_eq!(
        qr.to_png(0).unwrap_err().reason().as_str(),
        "invalid_argument"
    );
    assert_eq!(
        qr.to_png(65).unwrap_err().reason().as_str(),
        "invalid_argument"
    );
    let svg = qr.to_svg(8);
    assert!(svg.starts_with("<?xml") && svg.contains("width=\"392\""));
    let term = qr.to_terminal();
    // 41 modules + 8 quiet: 49 columns, ceil(49 / 2) = 25 rows.
    assert_eq!(term.lines().count(), 25);
    assert!(term.lines().all(|l| l.chars().count() == 49));
}
