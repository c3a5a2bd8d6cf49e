//! What a running till logs: changes of the shared replay guard's
//! reachability, with the log line every front end prints.

use std::fmt;
use std::sync::Arc;

#[cfg(feature = "redis")]
use crate::replay::{RedisEvent, UnavailablePolicy};

/// Something a running till should log: a change of the shared replay
/// guard's reachability, reported once per change, not once per code. Its
/// [`Display`](fmt::Display) is the log line every front end prints.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TillEvent {
    /// The shared replay guard could not be reached (or answered with an
    /// error); `policy` says what the till does meanwhile.
    #[cfg(feature = "redis")]
    ReplayGuardUnreachable {
        /// What failed (never a password).
        why: String,
        /// Refuse codes, or check them against this till's own records.
        policy: UnavailablePolicy,
    },
    /// The shared replay guard answers again; `synced` codes accepted
    /// offline were recorded in it.
    #[cfg(feature = "redis")]
    ReplayGuardReachable {
        /// Codes accepted offline that were written to the server.
        synced: usize,
    },
}

impl TillEvent {
    #[cfg(feature = "redis")]
    pub(super) fn from_redis(event: &RedisEvent, policy: UnavailablePolicy) -> Self {
        match event {
            RedisEvent::Unreachable { why } => TillEvent::ReplayGuardUnreachable {
                why: why.clone(),
                policy,
            },
            RedisEvent::Reachable { synced } => TillEvent::ReplayGuardReachable { synced: *synced },
        }
    }
}

impl fmt::Display for TillEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "redis")]
            TillEvent::ReplayGuardUnreachable { why, policy } => write!(
                f,
                "shared replay guard unreachable ({why}); {}",
                match policy {
                    UnavailablePolicy::LocalFallback =>
                        "checking codes against this till's own records only (local-fallback)",
                    _ => "refusing codes until it answers (fail-closed)",
                }
            ),
            #[cfg(feature = "redis")]
            TillEvent::ReplayGuardReachable { synced } => write!(
                f,
                "shared replay guard reachable again; {synced} code(s) accepted offline recorded in it"
            ),
            #[cfg(not(feature = "redis"))]
            _ => {
                let _ = f;
                Ok(())
            }
        }
    }
}

pub(super) type EventHook = Arc<dyn Fn(&TillEvent) + Send + Sync>;
