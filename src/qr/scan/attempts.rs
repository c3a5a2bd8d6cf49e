//! The attempts that find the one code in an image, cheapest first, on its
//! grey levels stretched to the full range (a dim screen); the first that
//! finds a code (or several) decides:
//!
//! 1. a sharp render (a screenshot, the issuer's PNG: every pixel black or
//!    white, modules of 5 px or more) shrunk to about 2.5 px per module,
//!    since the reader's time grows with the pixels;
//! 2. the image as it is;
//! 3. its negative (a phone in dark mode, white modules on black);
//! 4. a sharpened copy (an out-of-focus camera, a code shrunk to 2 px per
//!    module).
//!
//! Attempts 3 and 4 run only when nothing was found before, on a copy
//! shrunk to at most [`FALLBACK_MAX_PIXELS`], so that the work on any
//! image stays a small multiple of one attempt on a 4096 x 4096 image.

use image::{GrayImage, imageops};

use super::load::unreadable;
use super::reader::{self, Found};
use super::sharp::{sharp_module_px, sharpened};
use crate::error::Result;

/// Most pixels of the copy the fallback attempts (negative, sharpened)
/// work on.
const FALLBACK_MAX_PIXELS: u32 = 2_000_000;

/// The text of the one QR code in `img`.
pub(super) fn read_one(mut img: GrayImage) -> Result<String> {
    stretch(&mut img);
    let mut seen = Found::Nothing;
    if let Some(px) = sharp_module_px(&img) {
        let factor = px * 2 / 5;
        let small = imageops::thumbnail(&img, img.width() / factor, img.height() / factor);
        match reader::read(&small) {
            found if found.decides() => return verdict(found),
            found => seen = worse(seen, found),
        }
    }
    match reader::read(&img) {
        found if found.decides() => return verdict(found),
        found => seen = worse(seen, found),
    }
    let mut copy = bounded_copy(&img);
    imageops::invert(&mut copy);
    match reader::read(&copy) {
        found if found.decides() => return verdict(found),
        found => seen = worse(seen, found),
    }
    imageops::invert(&mut copy);
    match reader::read(&sharpened(&copy)) {
        found if found.decides() => verdict(found),
        found => verdict(worse(seen, found)),
    }
}

impl Found {
    /// Whether this outcome ends the attempts: a code, several, or an
    /// image too busy to examine.
    fn decides(&self) -> bool {
        matches!(self, Found::One(_) | Found::Several(_) | Found::TooBusy(..))
    }
}

/// The more telling of two failures: a symbol that would not decode says
/// more than nothing found.
fn worse(a: Found, b: Found) -> Found {
    match (&a, &b) {
        (Found::Nothing, _) => b,
        _ => a,
    }
}

fn verdict(found: Found) -> Result<String> {
    match found {
        Found::One(text) => Ok(text),
        Found::Several(n) => Err(unreadable(format!("{n} QR codes in the image; show one"))),
        Found::Nothing => Err(unreadable("no QR code found in the image")),
        Found::Undecodable => Err(unreadable(
            "no QR code decodes: a symbol was found, damaged, blurred or cut off",
        )),
        Found::TooBusy(what, limit) => Err(unreadable(format!(
            "the image is too busy to examine: over {limit} {what}"
        ))),
    }
}

/// Maps the grey levels of `img` linearly onto 0 to 255: the binarizer
/// finds nothing in a code of grey 105 on 140 (a dim screen), and all of
/// it once stretched.
fn stretch(img: &mut GrayImage) {
    let (lo, hi) = img
        .as_raw()
        .iter()
        .fold((u8::MAX, u8::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if hi <= lo || (lo == 0 && hi == u8::MAX) {
        return;
    }
    let span = u32::from(hi - lo);
    let table: Vec<u8> = (0..=255u32)
        .map(|v| {
            let v = v.clamp(u32::from(lo), u32::from(hi)) - u32::from(lo);
            u8::try_from((v * 255 + span / 2) / span).unwrap_or(u8::MAX)
        })
        .collect();
    for v in img.iter_mut() {
        *v = table[usize::from(*v)];
    }
}

/// `img`, or a copy shrunk to at most [`FALLBACK_MAX_PIXELS`].
fn bounded_copy(img: &GrayImage) -> GrayImage {
    let pixels = u64::from(img.width()) * u64::from(img.height());
    if pixels <= u64::from(FALLBACK_MAX_PIXELS) {
        return img.clone();
    }
    let scale = (f64::from(FALLBACK_MAX_PIXELS) / pixels as f64).sqrt();
    let side = |s: u32| ((f64::from(s) * scale) as u32).max(1);
    imageops::thumbnail(img, side(img.width()), side(img.height()))
}
