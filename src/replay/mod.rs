//! One code, one use: the replay guard the verifier consults last, after the
//! signature, the times and the revocation list have accepted a code.
//!
//! A guard answers one atomic question: "mark this token id as seen until
//! `until`; fail if it is already marked". [`MemoryReplayGuard`] is the
//! in-process guard; the trait is the seam for a persistent or shared store.

pub(crate) mod file;
pub(crate) mod memory;
#[cfg(feature = "redis")]
pub(crate) mod redis;

pub use file::FileReplayGuard;
pub use memory::MemoryReplayGuard;
#[cfg(feature = "redis")]
pub use redis::{RedisEvent, RedisReplayGuard, UnavailablePolicy, fallback_file_name};

use std::fmt;

use crate::error::Result;
use crate::notice::Notice;
use crate::time::UnixTime;
use crate::token::TokenId;

/// Marks token ids as seen. Implementations are shared by every thread of a
/// verifier, so they are `Send + Sync`, and `mark_seen` is atomic: of two
/// concurrent calls with one id, exactly one succeeds.
pub trait ReplayGuard: Send + Sync + fmt::Debug {
    /// Records `id` as seen until `until` (the token's expiry plus the
    /// verifier's leeway), at time `now` given by the caller.
    ///
    /// Returns `Ok(None)` when the id was not seen before, and
    /// `Ok(Some(notice))` when it was recorded but the till should be told
    /// something (e.g. a shared guard was unreachable and a local one was used).
    ///
    /// # Errors
    ///
    /// [`Error::Replayed`] (`replayed`) when the id is already recorded and not
    /// yet expired; [`Error::ReplayGuardFull`], [`Error::ReplayGuardUnavailable`]
    /// or [`Error::Storage`] when the guard is full, unreachable or failing.
    ///
    /// [`Error::Replayed`]: crate::Error::Replayed
    /// [`Error::ReplayGuardFull`]: crate::Error::ReplayGuardFull
    /// [`Error::ReplayGuardUnavailable`]: crate::Error::ReplayGuardUnavailable
    /// [`Error::Storage`]: crate::Error::Storage
    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>>;

    /// Records several ids at once, in order, as [`ReplayGuard::mark_seen`]
    /// would one after the other (an id given twice is `replayed` the
    /// second time): one result per item. `Verifier::verify_batch` calls
    /// it; a guard that can do it in one round trip (the Redis guard, with
    /// a pipeline) overrides it. The default calls `mark_seen` per item.
    fn mark_seen_many(
        &self,
        items: &[(TokenId, UnixTime)],
        now: UnixTime,
    ) -> Vec<Result<Option<Notice>>> {
        items
            .iter()
            .map(|&(id, until)| self.mark_seen(id, until, now))
            .collect()
    }

    /// Asks the guard whether it answers, recording nothing: a service's
    /// readiness check calls it, so that a shared guard that is down shows
    /// before the first code is refused. The default (a guard in this
    /// process, which always answers) returns `Ok(())`; the Redis guard
    /// sends `PING`.
    ///
    /// # Errors
    ///
    /// [`Error::ReplayGuardUnavailable`] when a shared guard does not answer.
    ///
    /// [`Error::ReplayGuardUnavailable`]: crate::Error::ReplayGuardUnavailable
    fn check_reachable(&self, now: UnixTime) -> Result<()> {
        let _ = now;
        Ok(())
    }
}
