//! The degraded-QR corpus: real medcode codes (self and
//! delegate, signed by the demo issuer key) rendered by the library and
//! degraded the way till cameras and scanners see them. Every image follows
//! from the seed alone (fixed key, fixed time, token ids and degradation
//! parameters drawn from a xorshift generator), so a failure reproduces.
//!
//! Shared by `tests/scan_corpus.rs`, `examples/scan_corpus.rs` and
//! `benches/scan.rs` through `#[path]`.
#![allow(dead_code)] // each user takes a part

use std::io::Cursor;
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::{GrayImage, ImageFormat, Luma, imageops};
use imageproc::geometric_transformations::{Interpolation, Projection, rotate_about_center, warp};
use medcode::qr::{Ecc, Qr};
use medcode::{
    Claims, InsuredId, Issuer, MaskedName, Presenter, Region, Relation, SigningKey, TokenId,
    UnixTime,
};

/// The degradation classes, in table order.
pub const CLASSES: &[&str] = &[
    "clean-8px",
    "bilinear-2px",
    "bilinear-3px",
    "bilinear-4px",
    "box-2px",
    "box-3px",
    "box-4px",
    "blur-1",
    "blur-2",
    "blur-3",
    "rotate-0-45",
    "rotate-90-180-270",
    "perspective",
    "jpeg-15-60",
    "low-contrast",
    "inverted",
    "sensor-noise",
    "in-scene",
    "screen-moire",
];

/// One corpus image.
pub struct Sample {
    /// The degradation class (one of [`CLASSES`]).
    pub class: &'static str,
    /// What exactly was done, e.g. `"blur sigma 2.6 at 4 px/module"`.
    pub detail: String,
    /// The encoded file: PNG, or JPEG where a camera would save one.
    pub bytes: Vec<u8>,
    /// `"png"` or `"jpg"`.
    pub ext: &'static str,
    /// The token text the image holds.
    pub text: String,
    /// Whether the code is a delegate code (else a self code).
    pub delegate: bool,
}

/// Xorshift64*: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn int(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next_u64() % u64::from(hi - lo + 1)) as u32
    }
}

/// The demo issuer (keys/demo-issuer.pk8, public, NOT FOR PRODUCTION).
fn issuer() -> Issuer {
    let der = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("keys/demo-issuer.pk8"))
        .expect("the demo issuer key");
    Issuer::new(SigningKey::from_pkcs8(&der).expect("the demo issuer key parses"))
}

/// A code's text: a self or delegate code with a token id from `rng`.
fn code_text(issuer: &Issuer, delegate: bool, rng: &mut Rng) -> String {
    let mut c = Claims::new(
        InsuredId::new("12345678901234567890").unwrap(),
        Region::new("110000").unwrap(),
    );
    c.name = Some(MaskedName::new("张*").unwrap());
    if delegate {
        c.presenter = Some(Presenter {
            insured: InsuredId::new("99999999999999999999").unwrap(),
            relation: Relation::Parent,
            mutual_aid: false,
        });
    }
    let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z").unwrap();
    let id = TokenId::from_bytes(rng.next_u64().to_be_bytes());
    issuer
        .issue_with_token_id(&c, now, id)
        .unwrap()
        .text()
        .to_owned()
}

/// The library's own PNG of `text` at `module_px`, as a grey image.
pub fn render(text: &str, module_px: u32) -> GrayImage {
    let png = Qr::encode(text, Ecc::M).unwrap().to_png(module_px).unwrap();
    image::load_from_memory(&png).unwrap().to_luma8()
}

/// The issuer's clean 8 px/module PNG of a self code (the timing reference).
pub fn clean_self_png(seed: u64) -> (Vec<u8>, String) {
    let mut rng = Rng::new(seed);
    let text = code_text(&issuer(), false, &mut rng);
    let png = Qr::encode(&text, Ecc::M).unwrap().to_png(8).unwrap();
    (png, text)
}

pub fn png(img: &GrayImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .unwrap();
    out
}

/// Modules across (code plus quiet zone) of an image rendered at 8 px.
fn modules_of(img: &GrayImage) -> u32 {
    img.width() / 8
}

/// Bilinear (triangle filter) resize of an 8 px/module render to `px`.
fn bilinear_to(img: &GrayImage, px: f32) -> GrayImage {
    let side = (modules_of(img) as f32 * px).round() as u32;
    imageops::resize(img, side, side, imageops::FilterType::Triangle)
}

/// Box (area-average) downscale of an 8 px/module render to `px`.
fn box_to(img: &GrayImage, px: f32) -> GrayImage {
    let side = (modules_of(img) as f32 * px).round() as u32;
    let scale = img.width() as f32 / side as f32;
    GrayImage::from_fn(side, side, |x, y| {
        let (x0, y0) = (x as f32 * scale, y as f32 * scale);
        let (x1, y1) = (x0 + scale, y0 + scale);
        let (mut sum, mut area) = (0.0f32, 0.0f32);
        for sy in y0.floor() as u32..(y1.ceil() as u32).min(img.height()) {
            let wy = (y1.min(sy as f32 + 1.0) - y0.max(sy as f32)).max(0.0);
            for sx in x0.floor() as u32..(x1.ceil() as u32).min(img.width()) {
                let wx = (x1.min(sx as f32 + 1.0) - x0.max(sx as f32)).max(0.0);
                sum += wx * wy * f32::from(img.get_pixel(sx, sy)[0]);
                area += wx * wy;
            }
        }
        Luma([(sum / area).round() as u8])
    })
}

/// `img` centred on a white canvas `factor` times its side.
fn pad(img: &GrayImage, factor: f32) -> GrayImage {
    let side = (img.width() as f32 * factor) as u32;
    let mut out = GrayImage::from_pixel(side, side, Luma([255]));
    let off = i64::from((side - img.width()) / 2);
    imageops::overlay(&mut out, img, off, off);
    out
}

/// Maps grey levels linearly onto `[black, white]`.
fn contrast(img: &GrayImage, black: u8, white: u8) -> GrayImage {
    let (b, w) = (f32::from(black), f32::from(white));
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let v = f32::from(img.get_pixel(x, y)[0]) / 255.0;
        Luma([(b + v * (w - b)).round() as u8])
    })
}

/// Adds zero-mean noise of about `sigma` grey levels (sum of uniforms).
fn noise(img: &GrayImage, sigma: f32, rng: &mut Rng) -> GrayImage {
    GrayImage::from_fn(img.width(), img.height(), |x, y| {
        let n: f32 = (0..4).map(|_| rng.range(-1.0, 1.0)).sum::<f32>() * sigma * 0.866;
        Luma([(f32::from(img.get_pixel(x, y)[0]) + n).clamp(0.0, 255.0) as u8])
    })
}

/// A photo-like scene: a lit gradient, a few shaded blocks and grain.
fn scene(w: u32, h: u32, rng: &mut Rng) -> GrayImage {
    let mut img = GrayImage::from_fn(w, h, |x, y| {
        let v = 70.0 + 110.0 * (x as f32 / w as f32) * 0.6 + 60.0 * (y as f32 / h as f32);
        Luma([v as u8])
    });
    for _ in 0..6 {
        let (bw, bh) = (rng.int(w / 10, w / 3), rng.int(h / 10, h / 3));
        let (bx, by) = (rng.int(0, w - bw), rng.int(0, h - bh));
        let shade = rng.int(20, 230) as u8;
        for y in by..by + bh {
            for x in bx..bx + bw {
                img.put_pixel(x, y, Luma([shade]));
            }
        }
    }
    noise(&img, 6.0, rng)
}

/// A phone screen photographed: the code lit on a dark bezel, a moiré-like
/// interference of the screen's pixel grid and the sensor's, and softness.
fn screen_photo(code: &GrayImage, rng: &mut Rng) -> GrayImage {
    let lit = contrast(code, 40, 215);
    let padded = {
        let side = lit.width() + 80;
        let mut out = GrayImage::from_pixel(side, side, Luma([18]));
        imageops::overlay(&mut out, &lit, 40, 40);
        out
    };
    let (fx, fy) = (rng.range(0.35, 0.6), rng.range(0.35, 0.6));
    let angle = rng.range(0.05, 0.4);
    let depth = rng.range(18.0, 32.0);
    let moire = GrayImage::from_fn(padded.width(), padded.height(), |x, y| {
        let (xf, yf) = (x as f32, y as f32);
        let u = xf * angle.cos() + yf * angle.sin();
        let v = -xf * angle.sin() + yf * angle.cos();
        let m = (u * fx).sin() * (v * fy).sin() * depth;
        let p = f32::from(padded.get_pixel(x, y)[0]);
        Luma([(p + m).clamp(0.0, 255.0) as u8])
    });
    let soft = imageproc::filter::gaussian_blur_f32(&moire, 0.8);
    noise(&soft, 5.0, rng)
}

/// `per_class` images of every class in [`CLASSES`], deterministic in `seed`;
/// codes alternate between self and delegate.
pub fn generate(seed: u64, per_class: usize) -> Vec<Sample> {
    let issuer = issuer();
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for &class in CLASSES {
        for i in 0..per_class {
            let delegate = i % 2 == 1;
            let text = code_text(&issuer, delegate, &mut rng);
            let base = render(&text, 8);
            let (detail, img, ext, quality) = degrade(class, &base, &mut rng);
            let bytes = match ext {
                "png" => png(&img),
                _ => jpeg(&img, quality),
            };
            out.push(Sample {
                class,
                detail,
                bytes,
                ext,
                text,
                delegate,
            });
        }
    }
    out
}

/// One degradation of the 8 px/module render `base`.
fn degrade(
    class: &'static str,
    base: &GrayImage,
    rng: &mut Rng,
) -> (String, GrayImage, &'static str, u8) {
    let png_of = |d: String, img: GrayImage| (d, img, "png", 0);
    match class {
        "clean-8px" => png_of("the issuer's PNG, 8 px/module".into(), base.clone()),
        "bilinear-2px" | "bilinear-3px" | "bilinear-4px" => {
            let px = f32::from(class.as_bytes()[9] - b'0') + rng.range(-0.25, 0.25);
            png_of(
                format!("bilinear to {px:.2} px/module"),
                bilinear_to(base, px),
            )
        }
        "box-2px" | "box-3px" | "box-4px" => {
            let px = f32::from(class.as_bytes()[4] - b'0') + rng.range(-0.25, 0.25);
            png_of(format!("box to {px:.2} px/module"), box_to(base, px))
        }
        "blur-1" | "blur-2" | "blur-3" => {
            let r = f32::from(class.as_bytes()[5] - b'0');
            let px = rng.int(4, 6) as f32;
            let small = bilinear_to(base, px);
            let img = imageproc::filter::gaussian_blur_f32(&small, r);
            png_of(format!("Gaussian blur sigma {r} at {px} px/module"), img)
        }
        "rotate-0-45" => {
            let deg = rng.range(0.0, 45.0);
            let small = bilinear_to(base, 5.0);
            let img = rotate_about_center(
                &pad(&small, 1.5),
                deg.to_radians(),
                Interpolation::Bilinear,
                Luma([255]),
            );
            png_of(format!("rotated {deg:.1} degrees at 5 px/module"), img)
        }
        "rotate-90-180-270" => {
            let small = bilinear_to(base, 5.0);
            let (deg, img) = match rng.int(0, 2) {
                0 => (90, imageops::rotate90(&small)),
                1 => (180, imageops::rotate180(&small)),
                _ => (270, imageops::rotate270(&small)),
            };
            png_of(format!("rotated {deg} degrees at 5 px/module"), img)
        }
        "perspective" => {
            let small = pad(&bilinear_to(base, 5.0), 1.3);
            let s = small.width() as f32;
            let k = s * rng.range(0.08, 0.2);
            let j = |rng: &mut Rng| rng.range(-0.03, 0.03) * s;
            let from = [(0.0, 0.0), (s, 0.0), (s, s), (0.0, s)];
            // A phone tilted back: the top edge shrinks, corners jitter.
            let to = [
                (k + j(rng), j(rng)),
                (s - k + j(rng), j(rng)),
                (s + j(rng), s + j(rng)),
                (j(rng), s + j(rng)),
            ];
            let p = Projection::from_control_points(from, to).expect("a proper quadrilateral");
            let img = warp(&small, &p, Interpolation::Bilinear, Luma([255]));
            png_of(
                format!("perspective, top edge {:.0}% shorter", 200.0 * k / s),
                img,
            )
        }
        "jpeg-15-60" => {
            let q = rng.int(15, 60) as u8;
            let small = bilinear_to(base, 4.0);
            (format!("JPEG quality {q} at 4 px/module"), small, "jpg", q)
        }
        "low-contrast" => {
            let black = rng.int(90, 120) as u8;
            let white = black + rng.int(35, 55) as u8;
            let img = contrast(&bilinear_to(base, 4.0), black, white);
            png_of(format!("grey {black} on {white} at 4 px/module"), img)
        }
        "inverted" => {
            let mut img = bilinear_to(base, rng.int(4, 6) as f32);
            imageops::invert(&mut img);
            png_of("white on black".into(), img)
        }
        "sensor-noise" => {
            let sigma = rng.range(20.0, 45.0);
            let img = noise(&bilinear_to(base, 4.0), sigma, rng);
            png_of(format!("noise sigma {sigma:.0} at 4 px/module"), img)
        }
        "in-scene" => {
            let px = rng.range(3.0, 4.5);
            let mut code = bilinear_to(base, px);
            code = contrast(&code, 30, 225);
            let mut img = scene(1024, 768, rng);
            let x = rng.int(0, 1024 - code.width());
            let y = rng.int(0, 768 - code.height());
            imageops::overlay(&mut img, &code, i64::from(x), i64::from(y));
            let q = rng.int(70, 90) as u8;
            (
                format!("{px:.1} px/module in a 1024 x 768 scene, JPEG {q}"),
                img,
                "jpg",
                q,
            )
        }
        "screen-moire" => {
            let code = bilinear_to(base, rng.range(4.0, 6.0));
            let img = screen_photo(&code, rng);
            (
                "a phone screen photographed: moiré, soft, JPEG 85".into(),
                img,
                "jpg",
                85,
            )
        }
        other => unreachable!("no degradation {other}"),
    }
}
