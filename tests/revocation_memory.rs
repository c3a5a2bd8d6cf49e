//! Memory of a revocation list holding 1,000,000 insured identifiers,
//! measured with a counting global allocator (its own test binary, one
//! test, so nothing else allocates meanwhile).
//!
//! Counted are the bytes requested from the allocator (not malloc's own
//! bookkeeping). Measured on x86-64 (`cargo test --test revocation_memory
//! -- --nocapture`): the list holds 52,428,816 bytes, 52.4 bytes per
//! identifier (a hash map of 2^21 slots of 24 bytes plus one control byte
//! each, for 16-byte packed identifiers and 8-byte instants); parsing peaks
//! at the same, as the map is sized once up front and entries are packed
//! while they are read (no per-entry strings). The bound asserted is 64
//! bytes per identifier, for the list and for the parse peak; the 66 MB
//! input text is the caller's. Parse time is printed, not asserted (0.45 s
//! with `--release`, about 5 s unoptimised, on the 2-core CI machine).
// The one unsafe code of the package's targets: a counting allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use medcode::{InsuredId, RevocationList, UnixTime};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

// SAFETY: every call forwards to the system allocator with the caller's
// arguments unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const N: u64 = 1_000_000;
const BOUND_BYTES_PER_ID: usize = 64;

fn id_of(i: u64) -> String {
    // 20-digit identifiers in increasing order, so the list writes them
    // back in the same order.
    format!("{:020}", 12_345_678_900_000_000_000u64 + i * 7919)
}

/// 2026-11-22T08:00:00Z plus up to a day.
fn since_of(i: u64) -> UnixTime {
    UnixTime::from_secs(1_795_334_400 + i % 86_400)
}

#[test]
fn a_million_identifiers_fit_in_under_64_bytes_each() {
    let mut json = String::with_capacity(64 * 1_000_000 + 64);
    json.push_str("{\n  \"keys\": [],\n  \"insured\": [");
    for i in 0..N {
        json.push_str(if i == 0 { "\n" } else { ",\n" });
        json.push_str(&format!(
            "    {{\"id\":\"{}\",\"since\":\"{}\"}}",
            id_of(i),
            since_of(i).to_rfc3339()
        ));
    }
    json.push_str("\n  ]\n}\n");

    let before = LIVE.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let started = Instant::now();
    let list = RevocationList::from_json(json.as_bytes()).expect("the list parses");
    let parse_time = started.elapsed();
    let held = LIVE.load(Ordering::SeqCst) - before;
    let peak = PEAK.load(Ordering::SeqCst) - before;
    let n = usize::try_from(N).unwrap();
    println!(
        "1,000,000 identifiers: file {} bytes, list holds {held} bytes ({:.1} bytes/id), parse peak {peak} bytes, parsed in {parse_time:?}",
        json.len(),
        held as f64 / N as f64
    );
    assert_eq!(list.insured_count(), n);
    assert!(
        held < BOUND_BYTES_PER_ID * n,
        "{held} bytes for {N} identifiers is over {BOUND_BYTES_PER_ID} bytes each"
    );
    assert!(
        peak < BOUND_BYTES_PER_ID * n,
        "parsing peaked at {peak} bytes"
    );

    // Lookups: every thousandth identifier with its exact instant, and
    // identifiers that are not on the list.
    for i in (0..N).step_by(1000) {
        let id = InsuredId::new(&id_of(i)).unwrap();
        assert_eq!(list.insured_since(&id), Some(since_of(i)), "{id}");
        let absent = InsuredId::new(&format!(
            "{:020}",
            12_345_678_900_000_000_000u64 + i * 7919 + 1
        ))
        .unwrap();
        assert_eq!(list.insured_since(&absent), None);
    }
    // Written back byte for byte.
    assert!(list.to_json() == json, "to_json differs from the input");
}
