//! Criterion benches: `cargo bench --bench verify --features
//! peers[,ring-ed25519-verify] [-- FILTER]`. Criterion gives each contender's time with
//! confidence intervals; the ratios between contenders measured in one run
//! come from `benches/summary.rs`, which interleaves them.
//!
//! Groups: `verify-ed25519` and `verify-p256` (the bare ring reference, our
//! verify with the replay guard, the default, and without it,
//! `verify_batch`, the peers), `codes` (issue, render, scan) and `threads`
//! (one shared verifier, a shared batch of distinct codes, 1 to all cores).
//! A bench that verifies the same codes over and over uses the verifier
//! with its guard turned off and is named `...-no-guard`; the guarded one
//! gets a fresh guard for each pass over the pool.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Jwt, Ours, POOL, Paseto, RingBare, now};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use medcode::Algorithm;
use medcode::limits::BATCH_MAX;
use medcode::limits::DEFAULT_MODULE_PX;
use medcode::qr::{Ecc, Qr};

fn verify_group(c: &mut Criterion, alg: Algorithm) {
    let ours = Ours::new(alg, POOL);
    let bare = RingBare::new(&ours);
    let jwt = Jwt::new(&ours);
    let mut group = c.benchmark_group(format!("verify-{}", alg.as_str()));
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(4));

    let mut i = 0usize;
    group.bench_function("ring-bare-signature", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            assert!(bare.verify(i));
        });
    });
    let mut i = 0usize;
    group.bench_function("medcode-verify-no-guard", |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(ours.verify_bare(i))
        });
    });
    // The default verifier, with a fresh replay guard for every pass over
    // the pool: each verify is an acceptance that the guard records, never
    // a replay.
    group.bench_function("medcode-verify-replay-guard", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let verifier = ours.guarded();
                let n = usize::try_from(left).unwrap_or(POOL).min(POOL);
                let start = Instant::now();
                for text in &ours.texts[..n] {
                    black_box(verifier.verify(text, now()).unwrap());
                }
                total += start.elapsed();
                left -= u64::try_from(n).unwrap_or(left);
            }
            total
        });
    });
    group.throughput(Throughput::Elements(u64::try_from(BATCH_MAX).unwrap()));
    let mut chunks = ours.texts.chunks(BATCH_MAX).cycle();
    group.bench_function(
        BenchmarkId::new("medcode-verify-batch-no-guard", BATCH_MAX),
        |b| {
            b.iter(|| {
                for r in ours.bare.verify_batch(chunks.next().unwrap(), now()) {
                    black_box(r.unwrap());
                }
            });
        },
    );
    group.throughput(Throughput::Elements(1));
    let jwt_name = match alg {
        Algorithm::Ed25519 => "jsonwebtoken-eddsa-aws-lc-rs",
        _ => "jsonwebtoken-es256-aws-lc-rs",
    };
    let mut i = 0usize;
    group.bench_function(jwt_name, |b| {
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(jwt.verify(i))
        });
    });
    if alg == Algorithm::Ed25519 {
        let paseto = Paseto::new();
        let mut i = 0usize;
        group.bench_function("pasetors-v4-public", |b| {
            b.iter(|| {
                i = i.wrapping_add(1);
                assert!(paseto.verify(i));
            });
        });
    }
    group.finish();
}

fn verify_ed25519(c: &mut Criterion) {
    verify_group(c, Algorithm::Ed25519);
}

fn verify_p256(c: &mut Criterion) {
    verify_group(c, Algorithm::P256);
}

fn codes(c: &mut Criterion) {
    let ours = Ours::new(Algorithm::Ed25519, 16);
    let claims = common::self_claims();
    let text = ours.texts[0].clone();
    let png = Qr::encode(&text, Ecc::M)
        .unwrap()
        .to_png(DEFAULT_MODULE_PX)
        .unwrap();
    let mut group = c.benchmark_group("codes");
    group.bench_function("issue", |b| {
        b.iter(|| black_box(ours.issuer.issue(&claims, now()).unwrap()));
    });
    group.bench_function("render-png", |b| {
        b.iter(|| {
            let qr = Qr::encode(&text, Ecc::M).unwrap();
            black_box(qr.to_png(DEFAULT_MODULE_PX).unwrap())
        });
    });
    group.sample_size(20);
    // One image scanned over and over: the bare verifier.
    group.bench_function("scan-png-and-verify-no-guard", |b| {
        b.iter(|| {
            let scanned = medcode::qr::decode_image(&png).unwrap();
            black_box(ours.bare.verify(&scanned, now()).unwrap())
        });
    });
    group.finish();
}

/// A shared batch of distinct codes split between N threads, all verifying
/// against one shared `Verifier` (without a guard: every iteration verifies
/// the same batch again); throughput per element, so the scaling factor is
/// the ratio of the elements/s criterion prints.
fn threads(c: &mut Criterion) {
    const SHARED: usize = 512;
    let ours = Ours::new(Algorithm::Ed25519, SHARED);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("threads-no-guard");
    group.throughput(Throughput::Elements(u64::try_from(SHARED).unwrap()));
    group.sample_size(20);
    for n in 1..=cores {
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                std::thread::scope(|scope| {
                    for part in ours.texts.chunks(SHARED.div_ceil(n)) {
                        let verifier = &ours.bare;
                        scope.spawn(move || {
                            for text in part {
                                black_box(verifier.verify(text, now()).unwrap());
                            }
                        });
                    }
                });
            });
        });
    }
    group.finish();
}

criterion_group!(benches, verify_ed25519, verify_p256, codes, threads);
criterion_main!(benches);
