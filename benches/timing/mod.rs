//! Timing shared by the benches: contenders calibrated to one slice each,
//! then measured in interleaved rounds.
#![allow(dead_code)] // each bench uses a part

use std::time::{Duration, Instant};

pub struct Contender<'a> {
    pub name: String,
    /// Items (codes, images) one call handles.
    pub items: u32,
    pub call: Box<dyn FnMut() + 'a>,
    /// Calls per slice, calibrated once.
    pub calls: u32,
    /// Nanoseconds per item, one entry per round.
    pub samples: Vec<f64>,
}

impl<'a> Contender<'a> {
    pub fn new(name: impl Into<String>, items: u32, call: impl FnMut() + 'a) -> Self {
        Contender {
            name: name.into(),
            items,
            call: Box::new(call),
            calls: 0,
            samples: Vec::new(),
        }
    }

    pub fn median(&self) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    }
}

pub fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Calibrates each contender to one slice, then measures `rounds` rounds,
/// interleaved in rotating order.
pub fn measure(contenders: &mut [Contender<'_>], rounds: u32) {
    let slice = Duration::from_millis(u64::from(env_u32("MEDCODE_BENCH_SLICE_MS", 25)));
    for c in contenders.iter_mut() {
        // Warm up and calibrate.
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < slice / 2 || n < 2 {
            (c.call)();
            n += 1;
        }
        let per_call = start.elapsed() / n;
        c.calls = u32::try_from(slice.as_nanos() / per_call.as_nanos().max(1))
            .unwrap_or(u32::MAX)
            .max(1);
    }
    let count = contenders.len();
    for round in 0..rounds {
        for k in 0..count {
            let c = &mut contenders[(k + round as usize) % count];
            let start = Instant::now();
            for _ in 0..c.calls {
                (c.call)();
            }
            let ns = start.elapsed().as_nanos() as f64;
            c.samples.push(ns / f64::from(c.calls) / f64::from(c.items));
        }
    }
}
