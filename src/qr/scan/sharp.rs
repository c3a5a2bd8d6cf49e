//! Two image measures of the scanner's attempts, apart so that the
//! scanning bench (benches/scan.rs) runs the very same code around other
//! readers: whether an image is a sharp render and its module size, and the
//! sharpened copy for a blurred one. Nothing here but the `image` crate.

use image::{GrayImage, imageops};

/// Rows sampled to tell a sharp render and measure its module size.
const SAMPLE_ROWS: u32 = 24;

/// The module size in pixels of a sharp render, or `None` for anything
/// else: along [`SAMPLE_ROWS`] rows, every pixel is near black or near
/// white, and a twentieth of the runs of one colour at most are shorter
/// than 5 px; the size is the run length at that twentieth.
pub(super) fn sharp_module_px(img: &GrayImage) -> Option<u32> {
    let (w, h) = img.dimensions();
    if w < 40 || h < 40 {
        return None;
    }
    let mut runs = Vec::new();
    for i in 0..SAMPLE_ROWS {
        let y = h * (2 * i + 1) / (2 * SAMPLE_ROWS);
        let row = &img.as_raw()[(y * w) as usize..((y + 1) * w) as usize];
        if row.iter().any(|&v| (48..=207).contains(&v)) {
            return None;
        }
        let mut start = 0;
        for x in 1..row.len() {
            if (row[x] < 128) != (row[x - 1] < 128) {
                // Runs touching the image's edge are cut: not measured.
                if start > 0 {
                    runs.push(x - start);
                }
                start = x;
            }
        }
    }
    if runs.len() < 20 {
        return None;
    }
    runs.sort_unstable();
    let px = u32::try_from(runs[runs.len() / 20]).ok()?;
    (px >= 5).then_some(px)
}

/// An unsharp mask of twice the difference from a Gaussian blur of sigma
/// 2 px: of the settings tried on the corpus (sigma 1 to 3, once to four
/// times the difference) the one that reads the most blurred codes
/// (docs/PERFORMANCE.md, "Scanning").
pub(super) fn sharpened(img: &GrayImage) -> GrayImage {
    const SIGMA: f32 = 2.0;
    const AMOUNT: f32 = 2.0;
    let blurred = imageops::blur(img, SIGMA);
    let mut out = img.clone();
    for (o, b) in out.as_mut().iter_mut().zip(blurred.as_raw()) {
        let v = f32::from(*o);
        *o = (v + AMOUNT * (v - f32::from(*b))).clamp(0.0, 255.0) as u8;
    }
    out
}
