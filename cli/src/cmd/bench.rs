//! `medcode bench`: verification throughput on this machine, for a till
//! vendor to measure on their own hardware. The measuring is in the library
//! (`medcode::bench`); this file reads the clock and prints.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;

use crate::clock::system_now;
use crate::output::{CmdResult, out};
use medcode::bench::Bench;
use medcode::keys::Algorithm;
use medcode::limits::ED25519_BACKEND;
use medcode::limits::SM2_BACKEND;

/// Distinct codes issued before measuring; threads cycle through them.
const CODES: usize = 4096;

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// Seconds to verify for.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    seconds: u64,
    /// Verifying threads (default: one per available core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Signature algorithm of the generated issuer key.
    #[arg(long, value_name = "ALG", default_value = "ed25519", value_parser = ["ed25519", "p256", "sm2"])]
    alg: String,
}

fn progress(line: &str) {
    let _ = writeln!(std::io::stderr(), "medcode bench: {line}");
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

pub(crate) fn run(args: &BenchArgs) -> CmdResult {
    let alg: Algorithm = args.alg.parse()?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = args
        .threads
        .map_or(cores, |t| usize::try_from(t).unwrap_or(cores));
    let duration = Duration::from_secs(args.seconds);
    let origin = Instant::now();
    let clock = move || origin.elapsed();

    progress(&format!("issuing {CODES} codes with a new {alg} key"));
    let bench = Bench::new(alg, CODES, system_now())?;
    // The reference: a fifth of the run, at least 0.4 s and at most 3 s.
    let reference_time = (duration / 5).clamp(Duration::from_millis(400), Duration::from_secs(3));
    progress(&format!(
        "reference: verify and the bare signature check, interleaved in one thread, {:.1} s",
        reference_time.as_secs_f64()
    ));
    let reference = bench.reference(reference_time, &clock)?;
    progress(&format!(
        "verifying from {threads} thread{} for {} s",
        if threads == 1 { "" } else { "s" },
        args.seconds
    ));
    let run = bench.run_threads(threads, duration, &clock, &mut |done, elapsed| {
        let secs = elapsed.as_secs_f64();
        if secs > 0.0 {
            #[allow(clippy::cast_precision_loss)]
            let rate = done as f64 / secs;
            progress(&format!(
                "{secs:5.1} s  {done} codes verified  {rate:.0} codes/s"
            ));
        }
    })?;

    let backend = match alg {
        Algorithm::Ed25519 => ED25519_BACKEND,
        Algorithm::P256 => "ring",
        Algorithm::Sm2 => SM2_BACKEND,
    };
    let per_second = run.per_second();
    // One thread on one core: the reference's single-thread verify time, not
    // the total divided by threads (threads share cores and caches).
    let one_thread = 1.0 / reference.verify.as_secs_f64().max(1e-12);
    let lines = [
        format!("algorithm          {alg}"),
        format!("backend            {backend}"),
        format!("threads            {threads} ({cores} cores available)"),
        format!("seconds            {:.2}", run.elapsed().as_secs_f64()),
        format!("codes verified     {}", run.verified()),
        format!("codes/s total      {per_second:.0}"),
        format!("codes/s 1 thread   {one_thread:.0}"),
        format!(
            "latency p50        {}",
            micros(run.latency_percentile(50.0))
        ),
        format!(
            "latency p99        {}",
            micros(run.latency_percentile(99.0))
        ),
        format!("verify (1 thread)  {}", micros(reference.verify)),
        format!("bare signature     {}", micros(reference.bare_signature)),
        format!("verify / bare      {:.3}", reference.ratio()),
    ];
    for line in lines {
        out(&line)?;
    }
    Ok(())
}
