//! `cargo bench --bench scan`: the scanners side by side on the degraded-QR
//! corpus (tests/support/corpus.rs, seed 15), in one run, and the time to
//! decode the issuer's clean 8 px/module PNG of a self code, interleaved
//! (round after round, each contender one time slice per round, in rotating
//! order) so that a shared machine's load falls on all alike. Prints
//! Markdown tables for docs/PERFORMANCE.md, "Scanning".
//!
//! Contenders: `decode_image` (medcode's scanner: rxing's reader in cost-
//! ordered attempts); the rqrr path it replaced, as it was; rqrr with the
//! same cheap attempts (a sharp render shrunk, the negative, a sharpened
//! copy); rxing's `QrReader` as shipped, on the image as it is; and
//! `zbarimg` (Debian's zbar-tools) as the reference, where installed
//! (a subprocess per image: in the corpus table only, never timed).
//!
//! `MEDCODE_SCAN_PER_CLASS` (default 6) sets the corpus images per class;
//! `MEDCODE_BENCH_ROUNDS` (default 15) and `MEDCODE_BENCH_SLICE_MS` (default
//! 25) the rounds and slice of the timing.

#[path = "../tests/support/corpus.rs"]
mod corpus;
/// The library's own sharp-render test and sharpening.
#[path = "../src/qr/scan/sharp.rs"]
mod sharp;
mod timing;

use std::collections::HashSet;
use std::hint::black_box;
use std::io::Cursor;
use std::process::{Command, Stdio};
use std::time::Instant;

use image::{GrayImage, ImageReader, Luma, imageops};
use medcode::qr::decode_image;
use sharp::{sharp_module_px, sharpened};
use timing::{Contender, env_u32, measure};

fn grey(bytes: &[u8]) -> Option<GrayImage> {
    Some(
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .ok()?
            .decode()
            .ok()?
            .into_luma8(),
    )
}

/// rqrr on one grey image: the texts of the grids it finds (an
/// undecodable grid counts, as a failure).
fn rqrr_texts(img: &GrayImage) -> Vec<Option<String>> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img.as_raw()[y * w + x]);
    prepared
        .detect_grids()
        .iter()
        .map(|g| g.decode().ok().map(|(_, t)| t))
        .collect()
}

/// The scanner before this bench: `decode_image` as it was (image crate to
/// grey, then rqrr once on the image as it is; exactly one grid decodes).
fn rqrr_before(bytes: &[u8]) -> Option<String> {
    match rqrr_texts(&grey(bytes)?).as_slice() {
        [Some(text)] => Some(text.clone()),
        _ => None,
    }
}

/// rqrr with the cheap attempts medcode's scanner makes around its reader:
/// a sharp render shrunk to about 2.5 px/module first, then the image as
/// it is, its negative, and an unsharp-masked copy.
fn rqrr_attempts(bytes: &[u8]) -> Option<String> {
    let img = grey(bytes)?;
    let one = |img: &GrayImage| match rqrr_texts(img).as_slice() {
        [Some(text)] => Some(Ok(text.clone())),
        [] => None,
        _ => Some(Err(())),
    };
    if let Some(px) = sharp_module_px(&img) {
        let f = px * 2 / 5;
        if let Some(r) = one(&imageops::thumbnail(
            &img,
            img.width() / f,
            img.height() / f,
        )) {
            return r.ok();
        }
    }
    if let Some(r) = one(&img) {
        return r.ok();
    }
    let mut neg = img.clone();
    imageops::invert(&mut neg);
    if let Some(r) = one(&neg) {
        return r.ok();
    }
    one(&sharpened(&img)).and_then(Result::ok)
}

/// rxing's zxing-cpp QR reader as shipped (`QrReader`, try harder, QR
/// only) on the image as it is.
fn rxing_shipped(bytes: &[u8]) -> Option<String> {
    use rxing::multi::MultipleBarcodeReader;
    let img = grey(bytes)?;
    let (w, h) = img.dimensions();
    let source = rxing::Luma8LuminanceSource::new(img.into_raw(), w, h).ok()?;
    let mut bitmap = rxing::BinaryBitmap::new(rxing::common::HybridBinarizer::new(source));
    let hints = rxing::DecodeHints {
        PossibleFormats: Some(HashSet::from([rxing::BarcodeFormat::QR_CODE])),
        TryHarder: Some(true),
        ..Default::default()
    };
    let found = rxing::qrcode::cpp_port::QrReader
        .decode_multiple_with_hints(&mut bitmap, &hints)
        .ok()?;
    match found.as_slice() {
        [one] => Some(one.getText().to_owned()),
        _ => None,
    }
}

fn zbarimg_runs() -> bool {
    Command::new("zbarimg")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `zbarimg` (QR only) on the image written to a temporary file: the one
/// symbol's text.
fn zbarimg(bytes: &[u8], ext: &str) -> Option<String> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join(format!("code.{ext}"));
    std::fs::write(&path, bytes).ok()?;
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(&path)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let lines: Vec<_> = text.lines().collect();
    match (out.status.success(), lines.as_slice()) {
        (true, [one]) => Some((*one).to_owned()),
        _ => None,
    }
}

type Decoder<'a> = (&'a str, Box<dyn Fn(&corpus::Sample) -> Option<String> + 'a>);

fn corpus_table(samples: &[corpus::Sample], with_zbar: bool) {
    let mut decoders: Vec<Decoder<'_>> = vec![
        (
            "**medcode `decode_image`**",
            Box::new(|s| decode_image(&s.bytes).ok()),
        ),
        ("rqrr, before", Box::new(|s| rqrr_before(&s.bytes))),
        ("rqrr + attempts", Box::new(|s| rqrr_attempts(&s.bytes))),
        ("rxing `QrReader`", Box::new(|s| rxing_shipped(&s.bytes))),
    ];
    if with_zbar {
        decoders.push(("zbarimg", Box::new(|s| zbarimg(&s.bytes, s.ext))));
    }
    // read[d][i]: decoder d read sample i (exactly its text).
    let mut read = vec![Vec::new(); decoders.len()];
    let mut ms = vec![0f64; decoders.len()];
    for s in samples {
        for (d, (_, f)) in decoders.iter().enumerate() {
            let start = Instant::now();
            let got = f(s);
            ms[d] += start.elapsed().as_secs_f64() * 1000.0;
            read[d].push(got.as_deref() == Some(s.text.as_str()));
        }
    }
    let per = samples.len() / corpus::CLASSES.len();
    println!("\n### Corpus: images read per degradation class (seed 15, {per} per class)\n");
    let names: Vec<_> = decoders.iter().map(|(n, _)| *n).collect();
    println!("| class | {} |", names.join(" | "));
    println!("| --- |{}", " ---: |".repeat(names.len()));
    for class in corpus::CLASSES {
        let idx: Vec<_> = (0..samples.len())
            .filter(|&i| samples[i].class == *class)
            .collect();
        let cells: Vec<_> = read
            .iter()
            .map(|r| format!("{}/{}", idx.iter().filter(|&&i| r[i]).count(), idx.len()))
            .collect();
        println!("| {class} | {} |", cells.join(" | "));
    }
    let totals: Vec<_> = read
        .iter()
        .map(|r| format!("**{}/{}**", r.iter().filter(|&&x| x).count(), samples.len()))
        .collect();
    println!("| all | {} |", totals.join(" | "));
    let mean: Vec<_> = ms
        .iter()
        .enumerate()
        .map(|(d, t)| {
            if with_zbar && d == decoders.len() - 1 {
                format!("({:.1}, a process each)", t / samples.len() as f64)
            } else {
                format!("{:.1}", t / samples.len() as f64)
            }
        })
        .collect();
    println!("| mean ms per image (one pass) | {} |", mean.join(" | "));
    if with_zbar {
        let z = &read[decoders.len() - 1];
        let ours = &read[0];
        let list = |pick: &dyn Fn(usize) -> bool| {
            let v: Vec<_> = (0..samples.len())
                .filter(|&i| pick(i))
                .map(|i| format!("{} ({})", samples[i].class, samples[i].detail))
                .collect();
            if v.is_empty() {
                "none".to_owned()
            } else {
                v.join("; ")
            }
        };
        println!(
            "\nRead by zbarimg, not by `decode_image`: {}.",
            list(&|i| z[i] && !ours[i])
        );
        println!(
            "Read by `decode_image`, not by zbarimg: {}.",
            list(&|i| ours[i] && !z[i])
        );
    } else {
        println!(
            "\n(zbarimg not installed: its column is left out; apt-get install -y zbar-tools)"
        );
    }
}

fn speed_table() {
    let (png, text) = corpus::clean_self_png(15);
    let check = |got: Option<String>, who: &str| {
        assert_eq!(
            got.as_deref(),
            Some(text.as_str()),
            "{who} misread the clean PNG"
        );
    };
    check(decode_image(&png).ok(), "decode_image");
    check(rqrr_before(&png), "rqrr");
    check(rqrr_attempts(&png), "rqrr + attempts");
    check(rxing_shipped(&png), "rxing");
    let mut contenders = vec![
        Contender::new("rqrr, before", 1, || {
            black_box(rqrr_before(black_box(&png)));
        }),
        Contender::new("**medcode `decode_image`**", 1, || {
            black_box(decode_image(black_box(&png)).ok());
        }),
        Contender::new("rqrr + attempts", 1, || {
            black_box(rqrr_attempts(black_box(&png)));
        }),
        Contender::new("rxing `QrReader`", 1, || {
            black_box(rxing_shipped(black_box(&png)));
        }),
        Contender::new("PNG to grey only (image crate)", 1, || {
            black_box(grey(black_box(&png)));
        }),
    ];
    let rounds = env_u32("MEDCODE_BENCH_ROUNDS", 15);
    measure(&mut contenders, rounds);
    let base = contenders[0].median();
    println!(
        "\n### Clean 8 px/module PNG of a self code ({} bytes), median of {rounds} interleaved rounds\n",
        png.len()
    );
    println!("| contender | median µs | images/s (1 core) | time / rqrr before | speed-up |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for c in &contenders {
        let m = c.median();
        println!(
            "| {} | {:.1} | {:.0} | {:.3} | {:.1}x |",
            c.name,
            m / 1000.0,
            1e9 / m,
            m / base,
            base / m
        );
    }
}

/// Hostile images at the size limit: the time `decode_image` takes to
/// refuse each, once (the PNG decoding included).
fn hostile_table() {
    let side = medcode::limits::MAX_IMAGE_SIDE;
    let mut s = 0x5eed_u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    // Black and white at random: runs of every length everywhere.
    let binary = GrayImage::from_fn(side, side, |_, _| {
        Luma([if next() >> 63 == 1 { 0 } else { 255 }])
    });
    // Finder-pattern look-alikes (7 x 7 at 1 px per module) tiled every
    // 10 px: thousands of patterns, cubic in their number to group.
    let tiled = GrayImage::from_fn(side, side, |x, y| {
        let (i, j) = ((x % 10) as i32 - 3, (y % 10) as i32 - 3);
        let ring = i.abs().max(j.abs());
        Luma([if ring == 3 || ring <= 1 { 0 } else { 255 }])
    });
    let white = GrayImage::from_pixel(side, side, Luma([255]));
    println!("\n### Hostile images at {side} x {side} pixels, `decode_image` once each\n");
    println!("| image | file bytes | ms | verdict |");
    println!("| --- | ---: | ---: | --- |");
    for (name, img) in [
        ("black and white noise", binary),
        ("finder look-alikes every 10 px", tiled),
        ("blank white (a compression bomb)", white),
    ] {
        let bytes = corpus::png(&img);
        let start = Instant::now();
        let got = decode_image(&bytes);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let verdict = match got {
            Ok(_) => "read a code (?)".to_owned(),
            Err(e) => e.to_string(),
        };
        println!("| {name} | {} | {ms:.0} | {verdict} |", bytes.len());
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let per_class = env_u32("MEDCODE_SCAN_PER_CLASS", 6) as usize;
    let samples = corpus::generate(15, per_class);
    let with_zbar = zbarimg_runs();
    corpus_table(&samples, with_zbar);
    speed_table();
    hostile_table();
}
