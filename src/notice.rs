//! What a verifier tells a till about an accepted code besides the holder:
//! produced by the lists (staleness) and the replay guards (fallback), read
//! by the verifier and every front end.

use std::fmt;

use serde::Serialize;

use crate::ListKind;
use crate::time::{UnixTime, human_secs};

/// Something the verifier wants the till to know about an accepted code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Notice {
    /// The holder switched off use outside their province, but this verifier
    /// has no till region, so the rule could not be applied.
    CrossProvinceNotChecked,
    /// A signed list reaches its next-update time soon; install a newer one.
    ListDueSoon {
        /// Which list.
        list: ListKind,
        /// When it is due.
        next_update: UnixTime,
        /// Seconds until then.
        secs_left: u64,
    },
    /// A signed list is past its next-update time: codes are still accepted
    /// until `refuses_at`, then refused with `trust_list_stale`.
    ListStale {
        /// Which list.
        list: ListKind,
        /// When it was due.
        next_update: UnixTime,
        /// The first second at which every code is refused.
        refuses_at: UnixTime,
        /// Seconds until then.
        secs_left: u64,
    },
    /// The shared replay guard (Redis) could not be reached, and under the
    /// local-fallback policy the code was checked against this till's own
    /// records only: another till may already have accepted it.
    ReplayGuardLocalFallback,
}

impl Notice {
    /// A sentence for a log line or a cashier.
    pub fn describe(&self) -> &'static str {
        match self {
            Notice::CrossProvinceNotChecked => {
                "the holder switched off use outside their province, but no till region is configured, so that rule was not checked"
            }
            Notice::ReplayGuardLocalFallback => {
                "the shared replay guard is unreachable: this code was checked against this till's own records only, so another till may already have accepted it"
            }
            Notice::ListDueSoon { .. } => {
                "a signed list is due for update soon: install a newly signed one"
            }
            Notice::ListStale { .. } => {
                "a signed list is past its next-update time: this verifier will refuse every code when the grace period ends"
            }
        }
    }
}

/// The full sentence, with the times of list notices.
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::ListDueSoon {
                list,
                next_update,
                secs_left,
            } => write!(
                f,
                "the signed {} is due for update at {next_update} (in {}): install a newly signed one",
                list.describe(),
                human_secs(*secs_left)
            ),
            Notice::ListStale {
                list,
                next_update,
                refuses_at,
                secs_left,
            } => write!(
                f,
                "the signed {} was due for update at {next_update}: this verifier refuses every code from {refuses_at} (in {}) unless a newly signed one is installed",
                list.describe(),
                human_secs(*secs_left)
            ),
            other => f.write_str(other.describe()),
        }
    }
}
