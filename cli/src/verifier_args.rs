//! The flags that build a verifier, shared by `medcode verify` and
//! `medcode till`: lists, leeway, till region and replay guard, mapped to
//! the library's till setup (`medcode::verify::TillConfig`).

use clap::Args;

use crate::lists::ListArgs;
use crate::replay_arg::ReplayArgs;
use crate::warn;
use medcode::Error;
use medcode::UnixTime;
use medcode::token::Region;
use medcode::verify::{ReplaySpec, Verifier};

#[derive(Args, Debug)]
pub(crate) struct VerifierArgs {
    #[command(flatten)]
    lists: ListArgs,
    /// Clock leeway in seconds, applied to issued-at and expiry.
    #[arg(long, value_name = "SECONDS", default_value_t = medcode::verify::DEFAULT_LEEWAY_SECS, value_parser = clap::value_parser!(u32).range(0..=3600))]
    leeway: u32,
    /// This till's region (6 digits); enables the holder's cross-province switch.
    #[arg(long, value_name = "CODE")]
    till_region: Option<String>,
    #[command(flatten)]
    replay: ReplayArgs,
}

impl VerifierArgs {
    /// The verifier the flags describe, with the `--replay` guard, or with
    /// `default_guard` when none is named. Events of a shared guard are
    /// logged to standard error.
    pub(crate) fn build(
        &self,
        now: UnixTime,
        default_guard: ReplaySpec,
    ) -> Result<Verifier, Error> {
        let mut config = self
            .lists
            .config()
            .leeway(self.leeway)
            .replay(self.replay.spec()?.unwrap_or(default_guard))
            .on_event(|event| warn(&event.to_string()));
        if let Some(code) = &self.till_region {
            config = config.till_region(Region::new(code).map_err(|e| Error::InvalidArgument {
                what: "--till-region",
                why: e.to_string(),
            })?);
        }
        config.build(now)
    }
}
