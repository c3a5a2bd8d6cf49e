//! One decoding attempt on one grey image: rxing's port of the zxing-cpp QR
//! reader (a local-block binarizer, finder patterns looked for on every
//! third row, grouped in threes, each group sampled as a symbol and decoded
//! with error correction), driven step by step here so that the work stays
//! bounded. rxing's own `QrReader` compares every candidate with every
//! pattern found before it, groups every three patterns (cubic in their
//! number) and tries every group: a picture tiled with finder-like squares
//! takes it hours. Here:
//!
//! - the search for patterns stops, and the image is refused, past
//!   [`MAX_FINDER_PATTERNS`] (before any grouping);
//! - at most [`MAX_SAMPLED_GROUPS`] groups are sampled, the most square
//!   first (rxing's order depends on a hash map's: not reproducible).

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::GrayImage;
use rxing::common::cpp_essentials::{ConcentricPattern, LocateConcentricPattern};
use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FinderPatternSet, GenerateFinderPatternSets, SampleQR};
use rxing::{Binarizer, Luma8Source, Point};

/// Most finder patterns one attempt groups (a code has 3, a busy photo a
/// few dozen look-alikes): at most 280,840 groups of three to check.
const MAX_FINDER_PATTERNS: usize = 120;
/// Most groups of three one attempt samples and decodes.
const MAX_SAMPLED_GROUPS: usize = 64;
/// The rows scanned: every third, as rxing's reader does when trying hard.
const ROW_STEP: u32 = 3;

/// What one attempt saw.
#[derive(Debug)]
pub(super) enum Found {
    /// No group of finder patterns that samples as a QR symbol.
    Nothing,
    /// Symbols were sampled, and none decoded (too damaged, or not a code).
    Undecodable,
    /// Exactly one code, its text.
    One(String),
    /// At least this many codes decoded.
    Several(usize),
    /// More finder-like runs or finder patterns than the limits: what was
    /// counted, and its limit.
    TooBusy(&'static str, usize),
}

/// Reads the QR codes in `img`, stopping at the second.
pub(super) fn read(img: &GrayImage) -> Found {
    // The decoder is a large port with arithmetic everywhere; a panic in
    // it is an unreadable image, never a crash of the till (the fuzz
    // target still reports it: libFuzzer aborts on the panic itself).
    catch_unwind(AssertUnwindSafe(|| read_unguarded(img))).unwrap_or(Found::Undecodable)
}

fn read_unguarded(img: &GrayImage) -> Found {
    let Ok(source) = Luma8Source::new_with_slice(img.as_raw(), img.width(), img.height()) else {
        return Found::Nothing;
    };
    let binarizer = HybridBinarizer::new(source);
    let Ok(bits) = binarizer.get_black_matrix() else {
        return Found::Nothing;
    };
    let Ok(mut patterns) = find_patterns(bits) else {
        return Found::TooBusy("finder patterns", MAX_FINDER_PATTERNS);
    };
    let mut groups = GenerateFinderPatternSets(&mut patterns);
    groups.sort_by(|a, b| {
        squareness(a)
            .total_cmp(&squareness(b))
            .then_with(|| position(a).cmp(&position(b)))
    });
    let mut used = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut symbols: Vec<(Point, f32)> = Vec::new();
    let mut sampled = false;
    for group in groups.iter().take(MAX_SAMPLED_GROUPS) {
        let corners = [group.bl, group.tl, group.tr];
        if corners.iter().any(|p| used.contains(p)) {
            continue;
        }
        let Ok(symbol) = SampleQR(bits, group) else {
            continue;
        };
        sampled = true;
        let Ok(decoded) = Decode(symbol.getBits()) else {
            continue;
        };
        if !decoded.isValid() {
            continue;
        }
        used.extend(corners);
        // One symbol found again through other patterns (a finder pattern
        // located twice) is the same code; two copies of one code side by
        // side are two codes: which one was shown?
        let (centre, size) = (
            Point {
                x: (group.bl.p.x + group.tr.p.x) / 2.0,
                y: (group.bl.p.y + group.tr.p.y) / 2.0,
            },
            Point::distance(group.bl.p, group.tr.p),
        );
        if symbols
            .iter()
            .any(|&(c, s): &(Point, f32)| Point::distance(c, centre) < s.max(size) / 2.0)
        {
            continue;
        }
        symbols.push((centre, size));
        texts.push(decoded.text());
        if texts.len() == 2 {
            break;
        }
    }
    match texts.len() {
        0 if sampled => Found::Undecodable,
        0 => Found::Nothing,
        1 => Found::One(texts.remove(0)),
        n => Found::Several(n),
    }
}

/// How far a group is from an isosceles right triangle (0: exactly),
/// relative to its size.
fn squareness(g: &FinderPatternSet) -> f64 {
    let d2 = |a: rxing::Point, b: rxing::Point| {
        let (dx, dy) = (f64::from(a.x - b.x), f64::from(a.y - b.y));
        dx * dx + dy * dy
    };
    let (ab, bc, ac) = (d2(g.bl.p, g.tl.p), d2(g.tl.p, g.tr.p), d2(g.bl.p, g.tr.p));
    ((ac - 2.0 * ab).abs() + (ac - 2.0 * bc).abs()) / ac.max(1.0)
}

/// A group's corner coordinates, rounded: the tie-break of the order.
fn position(g: &FinderPatternSet) -> [i64; 6] {
    let r = |v: f32| (f64::from(v) * 16.0).round() as i64;
    [
        r(g.tl.p.x),
        r(g.tl.p.y),
        r(g.bl.p.x),
        r(g.bl.p.y),
        r(g.tr.p.x),
        r(g.tr.p.y),
    ]
}

/// rxing's finder pattern search (`FindFinderPatterns` when trying hard),
/// bounded: along every [`ROW_STEP`]th row, each run of five (black
/// first) that passes [`finder_like`] and is not inside a pattern already
/// found is located as a concentric pattern by rxing; past
/// [`MAX_FINDER_PATTERNS`] patterns the search stops (`Err`). rxing's own
/// loop compares each candidate with every pattern found so far, without
/// a limit: quadratic in a picture tiled with look-alikes.
fn find_patterns(bits: &BitMatrix) -> Result<Vec<ConcentricPattern>, ()> {
    const FINDER: [u16; 5] = [1, 1, 3, 1, 1];
    let (w, h) = (bits.getWidth(), bits.getHeight());
    let mut found: Vec<ConcentricPattern> = Vec::new();
    let mut runs: Vec<u32> = Vec::with_capacity(w as usize + 1);
    let mut y = ROW_STEP - 1;
    while y < h {
        runs.clear();
        // runs[0] is white (possibly empty), then they alternate.
        let mut colour = false;
        let mut len = 0u32;
        for x in 0..w {
            let black = bits.get(x, y);
            if black != colour {
                runs.push(len);
                len = 0;
                colour = black;
            }
            len += 1;
        }
        runs.push(len);
        // Odd indexes are black runs; `left` is where runs[i] starts.
        let mut left: u32 = runs[0];
        let mut i = 1;
        while i + 4 < runs.len() {
            let window = &runs[i..i + 5];
            if !finder_like(window) {
                left += runs[i] + runs[i + 1];
                i += 2;
                continue;
            }
            let centre = Point {
                x: (left + window[0] + window[1]) as f32 + window[2] as f32 / 2.0,
                y: y as f32 + 0.5,
            };
            let inside = found
                .iter()
                .any(|old| Point::distance(centre, old.p) < old.size as f32 / 2.0);
            if !inside {
                let range = 3 * window.iter().sum::<u32>();
                let range = i32::try_from(range).unwrap_or(i32::MAX);
                if let Some(p) = LocateConcentricPattern::<true, 5, 7>(bits, &FINDER, centre, range)
                {
                    found.push(p);
                    if found.len() > MAX_FINDER_PATTERNS {
                        return Err(());
                    }
                }
            }
            // Past this pattern's inner runs, as rxing goes on.
            left += window[..4].iter().sum::<u32>();
            i += 4;
        }
        y += ROW_STEP;
    }
    Ok(found)
}

/// rxing's tests of five runs for a finder pattern (1:1:3:1:1), but for
/// the quiet zone around it.
fn finder_like(v: &[u32]) -> bool {
    if v[2] < 2 * v[0].max(v[4]) || v[2] < v[1].max(v[3]) {
        return false;
    }
    let bar = f64::from(v[0] + v[2] + v[4]) / 5.0;
    let space = f64::from(v[1] + v[3]) / 2.0;
    if bar.max(space) > 4.0 * bar.min(space) {
        return false;
    }
    let (bar_tol, space_tol) = (bar * 0.75 + 0.5, space / 3.0 + 0.5);
    [(v[0], 1.0), (v[2], 3.0), (v[4], 1.0)]
        .iter()
        .all(|&(r, m)| (f64::from(r) - m * bar).abs() <= bar_tol)
        && [v[1], v[3]]
            .iter()
            .all(|&r| (f64::from(r) - space).abs() <= space_tol)
}
