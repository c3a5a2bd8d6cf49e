//! `cargo bench --bench summary --features peers` (the default build: Ed25519
//! by curve25519-dalek; add `,ring-ed25519-verify` for ring): every contender
//! measured in the same run, interleaved (round after round, each contender
//! gets one time slice per round, in rotating order), so that the load of
//! a shared machine falls on all of them alike. Prints medians over the
//! rounds and the ratios the targets of docs/PERFORMANCE.md ("Targets") are
//! stated in, as Markdown tables for that page.
//!
//! `MEDCODE_BENCH_ROUNDS` (default 41) sets the rounds; `MEDCODE_BENCH_SLICE_MS`
//! (default 25) the slice.

mod common;
mod timing;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Jwt, Ours, POOL, Paseto, RingBare, Sm2Bare, now, qr_version_m};
use medcode::bench::Bench;
use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr};
use medcode::{Algorithm, UntrustedToken, Verifier};
use timing::{Contender, env_u32, measure};

fn us(ns: f64) -> String {
    format!("{:.2}", ns / 1000.0)
}

/// Prints one table: median µs per code, codes/s, and the time ratio to
/// the row named `reference`.
/// Which build a table comes from, for its heading.
fn build() -> &'static str {
    if cfg!(feature = "ring-ed25519-verify") {
        "`ring-ed25519-verify` build, Ed25519 by ring"
    } else {
        "default build, Ed25519 by curve25519-dalek"
    }
}

fn table(title: &str, contenders: &[Contender<'_>], reference: &str) {
    let base = contenders
        .iter()
        .find(|c| c.name == reference)
        .map(Contender::median)
        .expect("reference row");
    println!("\n### {title} ({})\n", build());
    println!("| contender | median µs/code | codes/s (1 core) | time / {reference} |");
    println!("| --- | ---: | ---: | ---: |");
    for c in contenders {
        let m = c.median();
        println!(
            "| {} | {} | {:.0} | {:.3} |",
            c.name,
            us(m),
            1e9 / m,
            m / base
        );
    }
}

/// The per-round samples (ns per code) of the row `name`.
fn samples_of<'c>(contenders: &'c [Contender<'_>], name: &str) -> &'c [f64] {
    contenders
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.samples.as_slice())
        .unwrap_or_else(|| panic!("no row {name}"))
}

/// The median over the rounds of `a / b`, each ratio taken within one
/// round (the two rows ran a fraction of a second apart), so that a
/// machine that slows down or speeds up between rounds moves both alike.
fn paired_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut r: Vec<f64> = a.iter().zip(b).map(|(x, y)| x / y).collect();
    r.sort_by(f64::total_cmp);
    r[r.len() / 2]
}

/// Per round, the faster of two rows.
fn faster_of(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x.min(*y)).collect()
}

struct Target {
    what: &'static str,
    value: f64,
    goal: &'static str,
    met: bool,
}

/// Calls `f` with 0, 1, 2, ...: the index of the next code in a pool.
fn counted<'a>(mut f: impl FnMut(usize) + 'a) -> impl FnMut() + 'a {
    let mut i = 0;
    move || {
        f(i);
        i = i.wrapping_add(1);
    }
}

/// Cycles through the pool of distinct codes.
fn cycler<'a>(texts: &'a [String]) -> impl FnMut() -> &'a str + 'a {
    let mut i = 0;
    move || {
        i = (i + 1) % texts.len();
        &texts[i]
    }
}

/// A verifier with a fresh replay guard per pass over the pool, so every
/// verify is an acceptance (recorded), never a replay.
fn guarded<'a>(ours: &'a Ours) -> impl FnMut() + 'a {
    let mut verifier = ours.guarded();
    let mut i = 0;
    move || {
        if i == ours.texts.len() {
            verifier = ours.guarded();
            i = 0;
        }
        black_box(verifier.verify(&ours.texts[i], now()).unwrap());
        i += 1;
    }
}

fn batch<'a>(verifier: &'a Verifier, texts: &'a [String]) -> impl FnMut() + 'a {
    let mut chunks = texts.chunks(medcode::limits::BATCH_MAX).cycle();
    move || {
        let chunk = chunks.next().unwrap();
        for r in verifier.verify_batch(chunk, now()) {
            black_box(r.unwrap());
        }
    }
}

fn main() {
    let rounds = env_u32("MEDCODE_BENCH_ROUNDS", 41);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("## medcode summary bench\n");
    println!(
        "Ed25519 backend: {}; {rounds} interleaved rounds; {cores} cores available.",
        medcode::limits::ED25519_BACKEND
    );
    let mut targets = Vec::new();
    let batch_items = u32::try_from(medcode::limits::BATCH_MAX).unwrap();

    // Ed25519.
    let ed = Ours::new(Algorithm::Ed25519, POOL);
    let ed_ring = RingBare::new(&ed);
    let ed_key = ed.issuer.signing_key().public_key().clone();
    let ed_jwt = Jwt::new(&ed);
    let paseto = Paseto::new();
    let ed_verifier = &ed.bare;
    let mut next = cycler(&ed.texts);
    let mut next_parse = cycler(&ed.texts);
    let mut c = vec![
        Contender::new(
            "ring bare signature",
            1,
            counted(|i| assert!(ed_ring.verify(i))),
        ),
        Contender::new(
            format!(
                "{} bare signature (PublicKey::verify)",
                medcode::limits::ED25519_BACKEND
            ),
            1,
            counted(|i| {
                let (message, sig) = &ed_ring.signed[i % ed_ring.signed.len()];
                assert!(ed_key.verify(message, sig));
            }),
        ),
        Contender::new("medcode parse only", 1, move || {
            black_box(UntrustedToken::parse(next_parse()).unwrap());
        }),
        Contender::new("medcode verify, no guard", 1, move || {
            black_box(ed_verifier.verify(next(), now()).unwrap());
        }),
        Contender::new("medcode verify + replay guard (default)", 1, guarded(&ed)),
        Contender::new(
            format!(
                "medcode verify_batch ({}), no guard",
                medcode::limits::BATCH_MAX
            ),
            batch_items,
            batch(&ed.bare, &ed.texts),
        ),
        Contender::new(
            "jsonwebtoken EdDSA (aws-lc-rs)",
            1,
            counted(|i| {
                black_box(ed_jwt.verify(i));
            }),
        ),
        Contender::new(
            "pasetors v4.public",
            1,
            counted(|i| assert!(paseto.verify(i))),
        ),
    ];
    measure(&mut c, rounds);
    table(
        "Ed25519: token text to verified claims",
        &c,
        "ring bare signature",
    );
    let ours = samples_of(&c, "medcode verify, no guard");
    let peer = faster_of(
        samples_of(&c, "jsonwebtoken EdDSA (aws-lc-rs)"),
        samples_of(&c, "pasetors v4.public"),
    );
    let backend = samples_of(
        &c,
        &format!(
            "{} bare signature (PublicKey::verify)",
            medcode::limits::ED25519_BACKEND
        ),
    );
    let batched = samples_of(
        &c,
        &format!(
            "medcode verify_batch ({}), no guard",
            medcode::limits::BATCH_MAX
        ),
    );
    targets.push(Target {
        what: "Ed25519 verify (no guard) throughput / fastest peer",
        value: paired_ratio(&peer, ours),
        goal: ">= 1.10",
        met: paired_ratio(&peer, ours) >= 1.10,
    });
    targets.push(Target {
        what: "Ed25519 verify (no guard) time / bare signature, same backend",
        value: paired_ratio(ours, backend),
        goal: "<= 1.05",
        met: paired_ratio(ours, backend) <= 1.05,
    });
    targets.push(Target {
        what: "Ed25519 verify_batch throughput / verify (no guard), one core",
        value: paired_ratio(ours, batched),
        goal: ">= 2.00",
        met: paired_ratio(ours, batched) >= 2.0,
    });
    drop(c);

    // P-256.
    let p = Ours::new(Algorithm::P256, POOL);
    let p_ring = RingBare::new(&p);
    let p_jwt = Jwt::new(&p);
    let p_verifier = &p.bare;
    let mut next = cycler(&p.texts);
    let mut c = vec![
        Contender::new(
            "ring bare signature",
            1,
            counted(|i| assert!(p_ring.verify(i))),
        ),
        Contender::new("medcode verify, no guard", 1, move || {
            black_box(p_verifier.verify(next(), now()).unwrap());
        }),
        Contender::new("medcode verify + replay guard (default)", 1, guarded(&p)),
        Contender::new(
            "jsonwebtoken ES256 (aws-lc-rs)",
            1,
            counted(|i| {
                black_box(p_jwt.verify(i));
            }),
        ),
    ];
    measure(&mut c, rounds);
    table(
        "P-256: token text to verified claims",
        &c,
        "ring bare signature",
    );
    let ours = samples_of(&c, "medcode verify, no guard");
    let peer = samples_of(&c, "jsonwebtoken ES256 (aws-lc-rs)");
    let bare = samples_of(&c, "ring bare signature");
    targets.push(Target {
        what: "P-256 verify (no guard) throughput / jsonwebtoken ES256",
        value: paired_ratio(peer, ours),
        goal: ">= 1.10",
        met: paired_ratio(peer, ours) >= 1.10,
    });
    targets.push(Target {
        what: "P-256 verify (no guard) time / bare signature (ring)",
        value: paired_ratio(ours, bare),
        goal: "<= 1.05",
        met: paired_ratio(ours, bare) <= 1.05,
    });
    drop(c);

    // SM2: the reference is the sm2 crate's own bare check, as
    // ring's is above; medcode's check (PublicKey::verify) uses the crate's
    // arithmetic with precomputed tables. verify_batch checks SM2 codes one
    // by one.
    let sm = Ours::new(Algorithm::Sm2, POOL);
    let sm_bare = Sm2Bare::new(&sm);
    let sm_key = sm.issuer.signing_key().public_key().clone();
    let sm_verifier = &sm.bare;
    let mut next = cycler(&sm.texts);
    let sm2_bare_name = "sm2 crate bare signature (VerifyingKey::verify)";
    let mut c = vec![
        Contender::new(sm2_bare_name, 1, counted(|i| assert!(sm_bare.verify(i)))),
        Contender::new(
            "medcode bare signature (PublicKey::verify)",
            1,
            counted(|i| {
                let (message, sig) = &sm_bare.signed[i % sm_bare.signed.len()];
                assert!(sm_key.verify(message, sig));
            }),
        ),
        Contender::new("medcode verify, no guard", 1, move || {
            black_box(sm_verifier.verify(next(), now()).unwrap());
        }),
        Contender::new("medcode verify + replay guard (default)", 1, guarded(&sm)),
        Contender::new(
            format!(
                "medcode verify_batch ({}), no guard",
                medcode::limits::BATCH_MAX
            ),
            batch_items,
            batch(&sm.bare, &sm.texts),
        ),
        Contender::new("issue (claims to text, SM2)", 1, || {
            black_box(sm.issuer.issue(&common::self_claims(), now()).unwrap());
        }),
    ];
    measure(&mut c, rounds);
    table(
        &format!(
            "SM2 ({}): token text to verified claims",
            medcode::limits::SM2_BACKEND
        ),
        &c,
        sm2_bare_name,
    );
    let ours = samples_of(&c, "medcode verify, no guard");
    let bare = samples_of(&c, "medcode bare signature (PublicKey::verify)");
    let mut sorted = ours.to_vec();
    sorted.sort_by(f64::total_cmp);
    let per_second = 1e9 / sorted[sorted.len() / 2];
    targets.push(Target {
        what: "SM2 verify (no guard) time / bare signature, same backend",
        value: paired_ratio(ours, bare),
        goal: "<= 1.05",
        met: paired_ratio(ours, bare) <= 1.05,
    });
    targets.push(Target {
        what: "SM2 verify (no guard) codes/s, one core",
        value: per_second,
        goal: ">= 5600",
        met: per_second >= 5600.0,
    });
    let sm_text = sm.texts[0].clone();
    let sm_delegate = sm.delegate_text();
    drop(c);

    // Codes made offline on the phone: device codes of one
    // phone (its credential cached after the first), of the same phone with
    // the cache off (every code a first sight: the issuer's signature, the
    // device key read, the device's signature), against the self code of
    // the same issuer key and two bare signature checks.
    let device_texts = |alg: Algorithm, claims: medcode::Claims| -> Vec<String> {
        let key = medcode::SigningKey::generate(alg).unwrap();
        let enrolment =
            medcode::DeviceEnrolment::new(claims, key.public_key().clone()).with_quota(u16::MAX);
        let credential = ed.issuer.enrol_device(&enrolment, now()).unwrap();
        let mut phone = medcode::DeviceHolder::new(key, credential, 0).unwrap();
        (0..POOL)
            .map(|_| phone.code(now()).unwrap().text().to_owned())
            .collect()
    };
    let dev_ed = device_texts(Algorithm::Ed25519, common::self_claims());
    let dev_p256 = device_texts(Algorithm::P256, common::self_claims());
    let dev_delegate = device_texts(Algorithm::P256, common::delegate_claims());
    let cold = ed.bare.clone().with_credential_cache(0);
    let (mut next_self, mut next_dev, mut next_p256, mut next_cold) = (
        cycler(&ed.texts),
        cycler(&dev_ed),
        cycler(&dev_p256),
        cycler(&dev_ed),
    );
    let ed_verifier = &ed.bare;
    let mut c = vec![
        Contender::new("medcode verify self code, no guard", 1, move || {
            black_box(ed_verifier.verify(next_self(), now()).unwrap());
        }),
        Contender::new(
            "device code (Ed25519 device), credential cached, no guard",
            1,
            move || {
                black_box(ed_verifier.verify(next_dev(), now()).unwrap());
            },
        ),
        Contender::new(
            "device code (P-256 device), credential cached, no guard",
            1,
            move || {
                black_box(ed_verifier.verify(next_p256(), now()).unwrap());
            },
        ),
        Contender::new(
            "device code (Ed25519 device), first sight (cache off), no guard",
            1,
            move || {
                black_box(cold.verify(next_cold(), now()).unwrap());
            },
        ),
        Contender::new(
            format!(
                "two bare signatures ({}, PublicKey::verify)",
                medcode::limits::ED25519_BACKEND
            ),
            1,
            counted(|i| {
                let (message, sig) = &ed_ring.signed[i % ed_ring.signed.len()];
                assert!(ed_key.verify(message, sig));
                let (message, sig) = &ed_ring.signed[(i + 1) % ed_ring.signed.len()];
                assert!(ed_key.verify(message, sig));
            }),
        ),
        Contender::new(
            "issuer bare signature (PublicKey::verify) + a new key's (ring)",
            1,
            counted(|i| {
                let (message, sig) = &ed_ring.signed[i % ed_ring.signed.len()];
                assert!(ed_key.verify(message, sig));
                assert!(ed_ring.verify(i + 1));
            }),
        ),
        Contender::new(
            format!(
                "verify_batch ({}) of device codes, cached, no guard",
                medcode::limits::BATCH_MAX
            ),
            batch_items,
            batch(&ed.bare, &dev_ed),
        ),
    ];
    measure(&mut c, rounds);
    table(
        "Device codes (issuer Ed25519): code text to verified claims",
        &c,
        "medcode verify self code, no guard",
    );
    let own = samples_of(&c, "medcode verify self code, no guard");
    let cached = samples_of(
        &c,
        "device code (Ed25519 device), credential cached, no guard",
    );
    let first = samples_of(
        &c,
        "device code (Ed25519 device), first sight (cache off), no guard",
    );
    // A first sight checks the issuer's signature (its key's table is
    // built) and one under a key never seen before: no table to use, so
    // the reference for it is ring's table-free check.
    let two = samples_of(
        &c,
        "issuer bare signature (PublicKey::verify) + a new key's (ring)",
    );
    targets.push(Target {
        what: "device code, credential cached: time / self code",
        value: paired_ratio(cached, own),
        goal: "<= 1.15",
        met: paired_ratio(cached, own) <= 1.15,
    });
    targets.push(Target {
        what: "device code, first sight: time / two bare signature checks (issuer's, a new key's)",
        value: paired_ratio(first, two),
        goal: "<= 1.05",
        met: paired_ratio(first, two) <= 1.05,
    });
    drop(c);

    // Issue, render, scan.
    let text = ed.texts[0].clone();
    let png = Qr::encode(&text, Ecc::M)
        .unwrap()
        .to_png(DEFAULT_MODULE_PX)
        .unwrap();
    let claims = common::self_claims();
    let mut c = vec![
        Contender::new("issue (claims to text, Ed25519)", 1, || {
            black_box(ed.issuer.issue(&claims, now()).unwrap());
        }),
        Contender::new("render (text to PNG)", 1, || {
            let qr = Qr::encode(&text, Ecc::M).unwrap();
            black_box(qr.to_png(DEFAULT_MODULE_PX).unwrap());
        }),
        Contender::new("scan (PNG to verified token), no guard", 1, || {
            let scanned = medcode::qr::decode_image(&png).unwrap();
            black_box(ed.bare.verify(&scanned, now()).unwrap());
        }),
    ];
    measure(&mut c, rounds.div_ceil(3));
    table("Issue, render, scan", &c, "issue (claims to text, Ed25519)");
    drop(c);

    // Multi-core: one shared verifier without a guard (medcode::bench), a
    // shared pool of distinct codes verified over and over.
    println!(
        "\n### Threads: one shared Verifier, {POOL} distinct codes (Ed25519, no guard; {})\n",
        build()
    );
    let bench = Bench::new(Algorithm::Ed25519, POOL, now()).unwrap();
    let origin = Instant::now();
    let clock = move || origin.elapsed();
    let mut per_threads: Vec<Vec<f64>> = vec![Vec::new(); cores];
    let scaling_rounds = rounds.div_ceil(3).max(3);
    for _ in 0..scaling_rounds {
        for (t, samples) in per_threads.iter_mut().enumerate() {
            let run = bench
                .run_threads(t + 1, Duration::from_millis(400), &clock, &mut |_, _| ())
                .unwrap();
            samples.push(run.per_second());
        }
    }
    println!("| threads | median codes/s | x 1 thread |");
    println!("| ---: | ---: | ---: |");
    let mut one = 0.0;
    for (t, samples) in per_threads.iter_mut().enumerate() {
        samples.sort_by(f64::total_cmp);
        let m = samples[samples.len() / 2];
        if t == 0 {
            one = m;
        }
        println!("| {} | {m:.0} | {:.2} |", t + 1, m / one);
        if t == 1 {
            targets.push(Target {
                what: "2 threads / 1 thread",
                value: m / one,
                goal: ">= 1.80",
                met: m / one >= 1.8,
            });
        }
    }

    // Sizes.
    println!("\n### Sizes: text length and QR version at level M\n");
    println!("| code | characters | QR version (M) |");
    println!("| --- | ---: | ---: |");
    let delegate = ed.delegate_text();
    for (name, text) in [
        ("medcode self (Ed25519, P-256 or SM2)", ed.texts[0].as_str()),
        ("medcode self, SM2", sm_text.as_str()),
        ("medcode delegate", delegate.as_str()),
        ("medcode delegate, SM2", sm_delegate.as_str()),
        (
            "medcode device code, P-256 device key",
            dev_p256[0].as_str(),
        ),
        (
            "medcode device code, delegate, P-256 device key",
            dev_delegate[0].as_str(),
        ),
        ("JWT EdDSA", ed_jwt.texts[0].as_str()),
        ("JWT ES256", p_jwt.texts[0].as_str()),
        ("PASETO v4.public", paseto.texts[0].as_str()),
    ] {
        println!("| {name} | {} | {} |", text.len(), qr_version_m(text));
    }
    let self_v = qr_version_m(&ed.texts[0]);
    let delegate_v = qr_version_m(&delegate);
    targets.push(Target {
        what: "self code QR version (M)",
        value: f64::from(self_v),
        goal: "<= 6",
        met: self_v <= 6,
    });
    targets.push(Target {
        what: "delegate code QR version (M)",
        value: f64::from(delegate_v),
        goal: "<= 7",
        met: delegate_v <= 7,
    });

    let device_v = qr_version_m(&dev_p256[0]);
    let device_delegate_v = qr_version_m(&dev_delegate[0]);
    targets.push(Target {
        what: "device code (P-256 device key) QR version (M)",
        value: f64::from(device_v),
        goal: "<= 10",
        met: device_v <= 10,
    });
    targets.push(Target {
        what: "delegate device code (P-256 device key) QR version (M)",
        value: f64::from(device_delegate_v),
        goal: "<= 11",
        met: device_delegate_v <= 11,
    });

    println!("\n### Targets\n");
    println!(
        "Each ratio of two rows is the median over the rounds of their ratio within one round.\n"
    );
    println!("| target | measured | goal | met |");
    println!("| --- | ---: | ---: | --- |");
    for t in targets {
        println!(
            "| {} | {:.2} | {} | {} |",
            t.what,
            t.value,
            t.goal,
            if t.met { "yes" } else { "NO" }
        );
    }
}
