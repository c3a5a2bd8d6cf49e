//! What a verifier accepts: clock leeway, the longest validity, the till's
//! region.

use crate::Region;
use crate::token::format::DEFAULT_MAX_VALIDITY_SECS;

/// Default clock leeway in seconds.
pub const DEFAULT_LEEWAY_SECS: u32 = 15;

/// What a verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds of clock difference tolerated at both ends of the validity.
    pub leeway_secs: u32,
    /// Tokens claiming a longer validity are refused.
    pub max_validity_secs: u32,
    /// The region of the till this verifier serves, if configured. Needed to
    /// apply the holder's cross-province switch.
    pub till_region: Option<Region>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_validity_secs: DEFAULT_MAX_VALIDITY_SECS,
            till_region: None,
        }
    }
}
