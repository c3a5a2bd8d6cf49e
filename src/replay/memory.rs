//! The in-process replay guard: a sharded map from token id to expiry.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::ReplayGuard;
use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::time::UnixTime;
use crate::token::TokenId;

/// Default hard capacity of a [`MemoryReplayGuard`]: live codes it holds
/// before refusing with `replay_guard_full`.
pub const DEFAULT_REPLAY_CAPACITY: usize = 4_000_000;

/// Number of independently locked shards of a [`MemoryReplayGuard`].
const SHARDS: usize = 64;

/// Shards sweep their expired entries when the caller's clock has passed the
/// earliest expiry they hold; this is how often, at most, in seconds.
const SWEEP_EVERY_SECS: u64 = 1;

#[derive(Default)]
struct Shard {
    /// Token id (as a u64) to the last second it stays recorded.
    seen: HashMap<u64, u64>,
    /// Earliest `until` held, or `u64::MAX` when empty.
    earliest: u64,
    /// Caller time of the last sweep.
    last_sweep: u64,
}

impl Shard {
    /// Drops the entries that expired before `now`; returns how many.
    fn sweep(&mut self, now: u64) -> usize {
        self.last_sweep = now;
        if self.earliest >= now {
            return 0;
        }
        let before = self.seen.len();
        self.seen.retain(|_, until| *until >= now);
        self.earliest = self.seen.values().copied().min().unwrap_or(u64::MAX);
        if self.seen.capacity() > 64 && self.seen.len() < self.seen.capacity() / 4 {
            self.seen.shrink_to(self.seen.len() * 2);
        }
        before - self.seen.len()
    }
}

/// An in-process replay guard: a sharded hash map from token id to expiry.
///
/// - Memory is bounded by the number of live codes: an entry is dropped once
///   its token has expired (plus leeway), and a hard capacity refuses new
///   codes with [`Error::ReplayGuardFull`] rather than growing without bound.
/// - 64 shards, each behind its own mutex, chosen by the token id's random
///   bits: two tills' threads rarely wait for each other.
pub struct MemoryReplayGuard {
    shards: Box<[Mutex<Shard>]>,
    live: AtomicUsize,
    capacity: usize,
}

impl MemoryReplayGuard {
    /// A guard with the default capacity ([`DEFAULT_REPLAY_CAPACITY`]).
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_REPLAY_CAPACITY)
    }

    /// A guard holding at most `capacity` live codes. Memory is allocated
    /// as codes arrive, not up front.
    pub fn with_capacity(capacity: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    earliest: u64::MAX,
                    ..Shard::default()
                })
            })
            .collect();
        MemoryReplayGuard {
            shards,
            live: AtomicUsize::new(0),
            capacity,
        }
    }

    /// The hard capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Live entries recorded (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The codes recorded, each with the second it stays recorded until
    /// (expired ones not yet swept included).
    #[cfg(feature = "redis")]
    pub(crate) fn entries(&self) -> Vec<(TokenId, u64)> {
        let mut out = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            out.extend(
                lock(shard)
                    .seen
                    .iter()
                    .map(|(&id, &until)| (TokenId::from_bytes(id.to_le_bytes()), until)),
            );
        }
        out
    }

    /// Drops every entry that expired before `now`.
    pub fn purge_expired(&self, now: UnixTime) {
        for shard in self.shards.iter() {
            let dropped = lock(shard).sweep(now.as_secs());
            self.live.fetch_sub(dropped, Ordering::AcqRel);
        }
    }
}

impl Default for MemoryReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayGuard")
            .field("live", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

/// Locks a shard. A panic in another thread while it held the lock cannot
/// leave a shard half-updated (every update is a single map operation), so
/// a poisoned lock is used as is.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl ReplayGuard for MemoryReplayGuard {
    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>> {
        let key = u64::from_le_bytes(*id.as_bytes());
        // Token ids are random, so their low bits spread codes over shards.
        let index = usize::try_from(key % SHARDS as u64).unwrap_or(0);
        let (now, until) = (now.as_secs(), until.as_secs());
        for attempt in 0..2 {
            {
                let mut guard = lock(&self.shards[index]);
                let shard = &mut *guard;
                if now >= shard.last_sweep.saturating_add(SWEEP_EVERY_SECS) {
                    let dropped = shard.sweep(now);
                    self.live.fetch_sub(dropped, Ordering::AcqRel);
                }
                match shard.seen.get_mut(&key) {
                    Some(seen_until) if *seen_until >= now => {
                        return Err(Error::Replayed {
                            token_id: id.to_string(),
                        });
                    }
                    Some(seen_until) => {
                        // Expired but not yet swept: reuse the slot.
                        *seen_until = until;
                        shard.earliest = shard.earliest.min(until);
                        return Ok(None);
                    }
                    None => {}
                }
                if self.live.fetch_add(1, Ordering::AcqRel) < self.capacity {
                    shard.seen.insert(key, until);
                    shard.earliest = shard.earliest.min(until);
                    return Ok(None);
                }
                self.live.fetch_sub(1, Ordering::AcqRel);
            }
            // Full: sweep every shard once (this one's lock released first,
            // so no two locks are ever held together) and try again.
            if attempt == 0 {
                self.purge_expired(UnixTime::from_secs(now));
            }
        }
        Err(Error::ReplayGuardFull {
            capacity: self.capacity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> TokenId {
        TokenId::from_bytes(n.to_le_bytes())
    }

    const T0: u64 = 1_795_334_400; // 2026-11-22T08:00:00Z

    #[test]
    fn second_presentation_is_replayed_until_expiry() {
        let g = MemoryReplayGuard::new();
        let now = UnixTime::from_secs(T0);
        let until = now.plus(75);
        assert!(g.mark_seen(id(1), until, now).unwrap().is_none());
        let err = g.mark_seen(id(1), until, now.plus(75)).unwrap_err();
        assert_eq!(err.reason().as_str(), "replayed");
        // One second after `until` the entry is gone and memory freed: ids 1
        // and 65 share a shard, so recording 65 sweeps 1 away.
        assert!(g.mark_seen(id(65), now.plus(200), now.plus(76)).is_ok());
        assert_eq!(g.len(), 1);
        assert!(g.mark_seen(id(1), now.plus(200), now.plus(76)).is_ok());
        assert_eq!(g.len(), 2);
        // Expired entries in other shards go on an explicit purge.
        assert!(g.mark_seen(id(2), now.plus(300), now.plus(100)).is_ok());
        g.purge_expired(now.plus(201));
        assert_eq!(g.len(), 1);
    }
}
