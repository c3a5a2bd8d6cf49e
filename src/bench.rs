//! Verification throughput on this machine: what `medcode bench` measures,
//! so a till vendor can check the numbers on their own hardware.
//!
//! A [`Bench`] issues distinct codes in memory with a freshly generated key
//! and builds one shared [`Verifier`] for them, with the replay guard turned
//! off ([`Verifier::without_replay_guard`]): the run verifies the same codes
//! over and over, so it measures the bare checks (key, signature, lists,
//! times), not the guard. A till keeps the guard; `benches/` measures both. [`Bench::run_threads`] then
//! verifies them from N threads for a while, and [`Bench::reference`]
//! compares a single verify with the bare signature check of the same bytes
//! by the same backend, interleaved in one thread.
//!
//! The library reads no clock: durations come from a caller's monotonic
//! clock, a closure returning the time elapsed since any fixed origin (the
//! CLI passes `Instant::elapsed`). Codes are checked at the caller's `now`,
//! the time they were issued at.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::Claims;
use crate::InsuredId;
use crate::Issuer;
use crate::MaskedName;
use crate::Region;
use crate::TrustList;
use crate::TrustedKey;
use crate::Verifier;
use crate::error::{Error, Result};
use crate::keys::{Algorithm, PublicKey, SigningKey};
use crate::time::UnixTime;
use crate::token::{self, UntrustedToken};

/// A monotonic clock: the time elapsed since a fixed origin.
pub type Clock = dyn Fn() -> Duration + Sync;

/// Latency histogram resolution.
const BUCKET_NS: u64 = 100;
/// Latencies up to 2 ms are bucketed; longer ones are kept exactly.
const BUCKETS: usize = 20_000;
/// How often, at most, progress is reported while threads run.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// Slices of the reference measurement: verify and bare check alternate.
const REFERENCE_SLICES: u32 = 20;

/// Codes issued in memory and one shared verifier for them.
#[derive(Debug)]
pub struct Bench {
    alg: Algorithm,
    verifier: Verifier,
    texts: Vec<String>,
    now: UnixTime,
    key: PublicKey,
    /// The signed message and signature of every code, in order: the bare
    /// reference checks the same bytes `verify` does.
    signed: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Bench {
    /// Generates an `alg` key, trusts it, and issues `codes` distinct codes
    /// (1 to 1,000,000) at `now`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `codes` is outside
    /// 1..=1000000 or `now` lies beyond 2106-02-07; [`Error::InvalidKey`]
    /// (`invalid_key`) if key generation or signing fails.
    pub fn new(alg: Algorithm, codes: usize, now: UnixTime) -> Result<Self> {
        if !(1..=1_000_000).contains(&codes) {
            return Err(Error::InvalidArgument {
                what: "number of codes",
                why: format!("{codes} is not within 1..=1000000"),
            });
        }
        let key = SigningKey::generate(alg)?;
        let public = key.public_key().clone();
        let trust = TrustList::new(vec![TrustedKey {
            key: public.clone(),
            label: "bench".into(),
            authority: "medcode bench".into(),
            not_before: now.minus(3600),
            not_after: now.plus(3600),
        }])?;
        let issuer = Issuer::new(key);
        let mut claims = Claims::new(
            InsuredId::new("12345678901234567890")?,
            Region::new("110000")?,
        );
        claims.name = Some(MaskedName::new("张*")?);
        let texts = (0..codes)
            .map(|_| issuer.issue(&claims, now).map(|t| t.text().to_owned()))
            .collect::<Result<Vec<_>>>()?;
        let signed = texts
            .iter()
            .map(|text| {
                let token = UntrustedToken::parse(text)?;
                Ok((
                    token::signed_message(token.signed_bytes()),
                    token.signature().to_vec(),
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bench {
            alg,
            // Each code is verified many times: the bare checks.
            verifier: Verifier::new(trust).without_replay_guard(),
            signed,
            texts,
            now,
            key: public,
        })
    }

    /// The algorithm of the generated key.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The shared verifier (without a replay guard).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The issued codes' texts.
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// The time the codes were issued at and are checked at.
    pub fn now(&self) -> UnixTime {
        self.now
    }

    /// `threads` threads (1 to 1024) verify the shared codes against the
    /// shared verifier for `duration`, each taking every `threads`-th code
    /// in turn. `progress` is called from the calling thread about twice a
    /// second with the codes verified so far and the time elapsed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `threads` is outside
    /// 1..=1024 or a verifying thread panicked; the first error of [`Verifier::verify`]
    /// on a code, which stops every thread.
    pub fn run_threads(
        &self,
        threads: usize,
        duration: Duration,
        clock: &Clock,
        progress: &mut dyn FnMut(u64, Duration),
    ) -> Result<ThroughputRun> {
        if !(1..=1024).contains(&threads) {
            return Err(Error::InvalidArgument {
                what: "threads",
                why: format!("{threads} is not within 1..=1024"),
            });
        }
        let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
        let stop = AtomicBool::new(false);
        let start = clock();
        let deadline = start + duration;
        let results: Vec<Result<Latencies>> = std::thread::scope(|scope| {
            let workers: Vec<_> = counters
                .iter()
                .enumerate()
                .map(|(t, counter)| {
                    let stop = &stop;
                    scope.spawn(move || self.worker(t, threads, deadline, clock, counter, stop))
                })
                .collect();
            loop {
                let now = clock();
                if now >= deadline || workers.iter().all(|w| w.is_finished()) {
                    break;
                }
                std::thread::sleep(PROGRESS_EVERY.min(deadline - now));
                let done = counters.iter().map(|c| c.load(Ordering::Relaxed)).sum();
                progress(done, clock().saturating_sub(start));
            }
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(Error::InvalidArgument {
                            what: "bench",
                            why: "a verifying thread panicked".into(),
                        })
                    })
                })
                .collect()
        });
        let elapsed = clock().saturating_sub(start);
        let mut latencies = Latencies::new();
        let mut per_thread = Vec::with_capacity(threads);
        for result in results {
            let l = result?;
            per_thread.push(l.count);
            latencies.merge(l);
        }
        Ok(ThroughputRun {
            threads,
            per_thread,
            elapsed,
            latencies,
        })
    }

    fn worker(
        &self,
        first: usize,
        step: usize,
        deadline: Duration,
        clock: &Clock,
        counter: &AtomicU64,
        stop: &AtomicBool,
    ) -> Result<Latencies> {
        let mut latencies = Latencies::new();
        let mut i = first % self.texts.len();
        let mut before = clock();
        while before < deadline && !stop.load(Ordering::Relaxed) {
            if let Err(e) = self.verifier.verify(&self.texts[i], self.now) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
            let after = clock();
            latencies.record(after.saturating_sub(before));
            counter.fetch_add(1, Ordering::Relaxed);
            i = (i + step) % self.texts.len();
            before = after;
        }
        Ok(latencies)
    }

    /// One thread alternates slices of `verify` and of the bare signature
    /// check of the same codes' bytes with the same key and backend (both
    /// cycling through all the codes), for about `duration` in all; the medians of the
    /// slices give the format's overhead as a ratio.
    ///
    /// # Errors
    ///
    /// Any error of [`Verifier::verify`] on a code; [`Error::BadSignature`]
    /// (`bad_signature`) if the bare check refuses a code's signature.
    pub fn reference(&self, duration: Duration, clock: &Clock) -> Result<Reference> {
        let slice = duration / (2 * REFERENCE_SLICES);
        let mut verify_ns = Vec::new();
        let mut bare_ns = Vec::new();
        let (mut i, mut j) = (0, 0);
        for _ in 0..REFERENCE_SLICES {
            let start = clock();
            let mut n = 0u64;
            while clock().saturating_sub(start) < slice || n == 0 {
                self.verifier.verify(&self.texts[i], self.now)?;
                i = (i + 1) % self.texts.len();
                n += 1;
            }
            verify_ns.push(per_op(clock().saturating_sub(start), n));
            let start = clock();
            let mut n = 0u64;
            while clock().saturating_sub(start) < slice || n == 0 {
                let (message, signature) = &self.signed[j];
                if !self.key.verify(message, signature) {
                    return Err(Error::BadSignature {
                        kid: self.key.key_id().to_string(),
                        detail: self.key.signature_form_problem(signature),
                    });
                }
                j = (j + 1) % self.signed.len();
                n += 1;
            }
            bare_ns.push(per_op(clock().saturating_sub(start), n));
        }
        Ok(Reference {
            verify: Duration::from_nanos(median(&mut verify_ns)),
            bare_signature: Duration::from_nanos(median(&mut bare_ns)),
        })
    }
}

fn per_op(elapsed: Duration, n: u64) -> u64 {
    u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX) / n.max(1)
}

fn median(values: &mut [u64]) -> u64 {
    values.sort_unstable();
    values.get(values.len() / 2).copied().unwrap_or(0)
}

/// The outcome of [`Bench::reference`]: median time per operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// One `Verifier::verify`, text to verified token, no replay guard.
    pub verify: Duration,
    /// The bare signature check of the same kind of bytes, same backend.
    pub bare_signature: Duration,
}

impl Reference {
    /// `verify / bare_signature`: 1.0 would be no format overhead at all.
    pub fn ratio(&self) -> f64 {
        self.verify.as_secs_f64() / self.bare_signature.as_secs_f64().max(1e-12)
    }
}

/// The outcome of [`Bench::run_threads`].
#[derive(Clone, Debug)]
pub struct ThroughputRun {
    threads: usize,
    per_thread: Vec<u64>,
    elapsed: Duration,
    latencies: Latencies,
}

impl ThroughputRun {
    /// Threads that verified.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Codes verified, in all.
    pub fn verified(&self) -> u64 {
        self.per_thread.iter().sum()
    }

    /// Codes verified by each thread.
    pub fn per_thread(&self) -> &[u64] {
        &self.per_thread
    }

    /// Wall time from start to the last thread's end.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Codes verified per second, all threads together.
    pub fn per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            u64_to_f64(self.verified()) / secs
        } else {
            0.0
        }
    }

    /// The latency of one verify below which `percent` (0 to 100) of all
    /// verifies finished; bucketed to 0.1 µs up to 2 ms, exact above.
    pub fn latency_percentile(&self, percent: f64) -> Duration {
        self.latencies.percentile(percent)
    }
}

#[allow(clippy::cast_precision_loss)]
fn u64_to_f64(n: u64) -> f64 {
    n as f64
}

/// A latency histogram: 0.1 µs buckets up to 2 ms, exact samples above.
#[derive(Clone, Debug)]
struct Latencies {
    count: u64,
    buckets: Vec<u64>,
    slow: Vec<u64>,
}

impl Latencies {
    fn new() -> Self {
        Latencies {
            count: 0,
            buckets: vec![0; BUCKETS],
            slow: Vec::new(),
        }
    }

    fn record(&mut self, latency: Duration) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.count += 1;
        match usize::try_from(ns / BUCKET_NS) {
            Ok(b) if b < BUCKETS => self.buckets[b] += 1,
            _ => self.slow.push(ns),
        }
    }

    fn merge(&mut self, other: Latencies) {
        self.count += other.count;
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.slow.extend(other.slow);
    }

    fn percentile(&self, percent: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        // The rank of the sample at `percent`, 1-based.
        let wanted = (u64_to_f64(self.count) * percent.clamp(0.0, 100.0) / 100.0).ceil();
        let mut seen = 0u64;
        for (b, &n) in (0u64..).zip(&self.buckets) {
            seen += n;
            if n > 0 && u64_to_f64(seen) >= wanted {
                return Duration::from_nanos((b + 1) * BUCKET_NS);
            }
        }
        // Past the buckets: the sample of that rank among the slow ones.
        let mut slow = self.slow.clone();
        slow.sort_unstable();
        let within = wanted - u64_to_f64(seen);
        let ns = slow
            .iter()
            .zip(1u64..)
            .find(|(_, rank)| u64_to_f64(*rank) >= within)
            .map_or(slow.last().copied(), |(&ns, _)| Some(ns));
        Duration::from_nanos(ns.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_buckets_and_slow_samples() {
        let mut l = Latencies::new();
        for us in 1..=98u64 {
            l.record(Duration::from_micros(us));
        }
        l.record(Duration::from_millis(5));
        l.record(Duration::from_millis(7));
        assert_eq!(l.count, 100);
        // The 50th sample is 50 us, in the bucket ending at 50.1 us.
        assert_eq!(l.percentile(50.0), Duration::from_nanos(50_100));
        assert_eq!(l.percentile(98.0), Duration::from_nanos(98_100));
        assert_eq!(l.percentile(99.0), Duration::from_millis(5));
        assert_eq!(l.percentile(100.0), Duration::from_millis(7));
        assert_eq!(Latencies::new().percentile(50.0), Duration::ZERO);
    }

    #[test]
    fn threads_verify_shared_codes_with_a_fake_clock() {
        // A fake clock that advances 1 ms per reading: the run ends after a
        // bounded number of readings, whatever the machine's speed.
        let ticks = AtomicU64::new(0);
        let clock = move || Duration::from_millis(ticks.fetch_add(1, Ordering::Relaxed));
        // 2026-11-22T08:00:00Z
        let bench = Bench::new(Algorithm::Ed25519, 8, UnixTime::from_secs(1_795_334_400)).unwrap();
        let mut reports = 0;
        let run = bench
            .run_threads(2, Duration::from_millis(200), &clock, &mut |_, _| {
                reports += 1
            })
            .unwrap();
        assert_eq!(run.threads(), 2);
        assert_eq!(run.per_thread().len(), 2);
        assert!(run.verified() > 0);
        assert_eq!(run.latencies.count, run.verified());
        let reference = bench.reference(Duration::from_millis(80), &clock).unwrap();
        assert!(reference.verify > Duration::ZERO);
        assert!(reference.bare_signature > Duration::ZERO);
        let err = bench
            .run_threads(0, Duration::from_millis(1), &clock, &mut |_, _| ())
            .unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_argument");
        assert!(Bench::new(Algorithm::P256, 0, UnixTime::from_secs(0)).is_err());
    }
}
