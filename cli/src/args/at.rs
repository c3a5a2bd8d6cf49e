//! `--at RFC3339`: the time option shared by commands that need "now".

use clap::Args;

use crate::clock::system_now;
use medcode::Error;
use medcode::UnixTime;

/// The time options shared by commands that need "now".
#[derive(Args, Debug, Clone)]
pub(crate) struct AtArg {
    /// Act as if the current time were this RFC 3339 instant (default: the system clock).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
}

impl AtArg {
    pub(crate) fn now(&self) -> Result<UnixTime, Error> {
        match &self.at {
            Some(text) => Ok(UnixTime::parse_rfc3339(text)?),
            None => Ok(system_now()),
        }
    }
}
