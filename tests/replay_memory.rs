//! Memory of the in-memory replay guard per live code, measured with a
//! counting global allocator. This binary holds one test, so no other test
//! allocates while it measures.
// A counting allocator measures the guard's memory: unsafe by nature.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use medcode::replay::{MemoryReplayGuard, ReplayGuard};
use medcode::{TokenId, UnixTime};

/// Bytes currently allocated through the global allocator.
static LIVE: AtomicUsize = AtomicUsize::new(0);

struct Counting;

// SAFETY: forwards every call to the system allocator unchanged and only
// counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

/// Token ids as the issuer makes them: 64 random bits (here a fixed
/// splitmix64 sequence, so the run is the same every time).
fn token_id(n: u64) -> TokenId {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    TokenId::from_bytes((z ^ (z >> 31)).to_le_bytes())
}

#[test]
fn memory_guard_holds_a_live_code_in_under_100_bytes() {
    let now = UnixTime::from_secs(T0);
    let before = LIVE.load(Ordering::Relaxed);
    let guard = MemoryReplayGuard::new();
    let empty = LIVE.load(Ordering::Relaxed) - before;
    let mut start = 0;
    for n in [100_000u64, 1_000_000] {
        for i in start..n {
            // Tokens of the last minute: none expires during the run.
            guard.mark_seen(token_id(i), now.plus(75), now).unwrap();
        }
        assert_eq!(guard.len(), usize::try_from(n).unwrap());
        let used = LIVE.load(Ordering::Relaxed) - before;
        let per_entry = (used - empty) as f64 / n as f64;
        println!(
            "MemoryReplayGuard: {n} live codes use {used} bytes ({empty} for the empty guard), {per_entry:.1} bytes per live code"
        );
        // 16 bytes of key and expiry is the floor; the hash tables' spare
        // capacity (load factor at most 7/8, power-of-two sizes) comes on top.
        assert!(per_entry >= 16.0, "{per_entry}");
        assert!(per_entry < 100.0, "{per_entry} bytes per live code");
        start = n;
    }
    // Expired codes give their memory back.
    guard.purge_expired(now.plus(76));
    assert_eq!(guard.len(), 0);
    let after_purge = LIVE.load(Ordering::Relaxed) - before;
    println!("MemoryReplayGuard: {after_purge} bytes after every code expired");
    assert!(after_purge < 1_000_000, "{after_purge}");
    drop(guard);
}
