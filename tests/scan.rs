//! Render then scan back: every ECC level and module size, a shrunken,
//! rotated code inside a noisy photo, a negative, and garbage and hostile
//! images (no code, two codes, finder-pattern look-alikes by the thousand)
//! refused.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma, imageops};
use medcode::qr::{Ecc, Qr, decode_image};
use medcode::{
    Algorithm, Claims, InsuredId, Issuer, MaskedName, Reason, Region, SigningKey, UnixTime,
};

fn token() -> String {
    let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap();
    issuer.issue(&c, now).unwrap().text().to_owned()
}

fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Deterministic noise (xorshift), so failures reproduce.
fn noisy(w: u32, h: u32, seed: u64) -> GrayImage {
    let mut s = seed;
    GrayImage::from_fn(w, h, |_, _| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        Luma([96 + (s % 96) as u8])
    })
}

#[test]
fn every_ecc_level_and_module_size_scans_back() {
    let text = token();
    for ecc in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H] {
        let qr = Qr::encode(&text, ecc).unwrap();
        for px in 2..=8 {
            let bytes = qr.to_png(px).unwrap();
            assert_eq!(decode_image(&bytes).unwrap(), text, "{ecc} at {px} px");
        }
    }
}

#[test]
fn a_shrunken_rotated_code_in_a_noisy_photo_scans_back() {
    // A fixed token (the format walk-through's vector), so the picture is
    // the same on every run.
    let vector: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/vectors/valid_self_ed25519.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let text = vector["token"].as_str().unwrap().to_owned();
    let code = image::load_from_memory(&Qr::encode(&text, Ecc::M).unwrap().to_png(8).unwrap())
        .unwrap()
        .to_luma8();
    // 392 px (8 px per module) scaled to 294 px (6 px per module), turned
    // 90 degrees, pasted off-centre.
    let small = imageops::resize(&code, 294, 294, imageops::FilterType::Triangle);
    let turned = imageops::rotate90(&small);
    let mut photo = noisy(800, 600, 0x5eed);
    imageops::overlay(&mut photo, &turned, 370, 170);
    assert_eq!(decode_image(&png(&photo)).unwrap(), text);
    // And as a JPEG, as phone cameras save it.
    let mut jpeg = Cursor::new(Vec::new());
    photo.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
    assert_eq!(decode_image(jpeg.get_ref()).unwrap(), text);
}

fn unreadable(bytes: &[u8]) -> String {
    let e = decode_image(bytes).unwrap_err();
    assert_eq!(e.reason(), Reason::Unreadable);
    e.to_string()
}

#[test]
fn images_without_exactly_one_readable_code_are_unreadable() {
    assert!(unreadable(&png(&noisy(200, 200, 7))).contains("no QR code"));
    assert!(unreadable(&png(&GrayImage::from_pixel(1, 1, Luma([255])))).contains("no QR code"));
    // Two codes side by side.
    let qr = image::load_from_memory(&Qr::encode(&token(), Ecc::M).unwrap().to_png(4).unwrap())
        .unwrap()
        .to_luma8();
    let mut two = GrayImage::from_pixel(qr.width() * 2 + 20, qr.height(), Luma([255]));
    imageops::overlay(&mut two, &qr, 0, 0);
    imageops::overlay(&mut two, &qr, i64::from(qr.width()) + 20, 0);
    assert!(unreadable(&png(&two)).contains("2 QR codes"));
}

#[test]
fn garbage_is_refused_before_decoding() {
    let mut s = 1u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
            (s >> 56) as u8
        })
        .collect();
    assert!(unreadable(&random).contains("not a PNG or JPEG"));
    assert!(unreadable(b"").contains("not a PNG or JPEG"));
    // A PNG header declaring 100000 x 100000 pixels: refused from the header.
    let mut huge = png(&GrayImage::from_pixel(1, 1, Luma([0])));
    huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&huge[12..29]); // IHDR type and data
    huge[29..33].copy_from_slice(&crc.to_be_bytes());
    let why = unreadable(&huge);
    assert!(why.contains("100000 x 100000"), "{why}");
    // A truncated PNG.
    let real = Qr::encode(&token(), Ecc::M).unwrap().to_png(4).unwrap();
    unreadable(&real[..real.len() / 2]);
}

/// The PNG chunk checksum (CRC-32, ISO-HDLC), to forge a valid header.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A 7 x 7 finder pattern look-alike (1:1:3:1:1 both ways) of `module` px
/// per module, its top left corner at (`x0`, `y0`).
fn stamp_finder(img: &mut GrayImage, x0: u32, y0: u32, module: u32) {
    for y in 0..7 * module {
        for x in 0..7 * module {
            let (i, j) = ((x / module) as i32 - 3, (y / module) as i32 - 3);
            let ring = i.abs().max(j.abs());
            let v = if ring == 3 || ring <= 1 { 0 } else { 255 };
            img.put_pixel(x0 + x, y0 + y, Luma([v]));
        }
    }
}

#[test]
fn a_picture_tiled_with_finder_look_alikes_is_refused_as_too_busy() {
    // 10,000 patterns at 1 px per module: comparing each candidate with
    // every pattern found and grouping every three (as the decoder alone
    // would) is 1.7e11 groups. The search stops at the 121st pattern.
    let mut img = GrayImage::from_pixel(1000, 1000, Luma([255]));
    for y in (0..1000).step_by(10) {
        for x in (0..1000).step_by(10) {
            stamp_finder(&mut img, x + 1, y + 1, 1);
        }
    }
    let why = unreadable(&png(&img));
    assert!(
        why.contains("too busy to examine: over 120 finder patterns"),
        "{why}"
    );
}

#[test]
fn more_finder_patterns_than_a_scan_groups_are_refused() {
    // 169 patterns at 3 px per module, apart: more than the 120 the reader
    // groups.
    let mut img = GrayImage::from_pixel(13 * 30 + 20, 13 * 30 + 20, Luma([255]));
    for y in 0..13 {
        for x in 0..13 {
            stamp_finder(&mut img, 10 + x * 30, 10 + y * 30, 3);
        }
    }
    let why = unreadable(&png(&img));
    assert!(
        why.contains("too busy to examine: over 120 finder patterns"),
        "{why}"
    );
}

#[test]
fn a_white_on_black_code_scans_back() {
    // A phone in dark mode: the negative is tried when nothing is found.
    let text = token();
    let mut img = image::load_from_memory(&Qr::encode(&text, Ecc::M).unwrap().to_png(4).unwrap())
        .unwrap()
        .to_luma8();
    imageops::invert(&mut img);
    assert_eq!(decode_image(&png(&img)).unwrap(), text);
}
