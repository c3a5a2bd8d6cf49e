//! The flags that build a verifier, shared by `medcode verify` and
//! `medcode till`: lists, leeway, till region and replay guard.

use std::sync::Arc;

use clap::Args;

use crate::lists::{ListArgs, load_verifier};
use crate::replay_arg::ReplayArgs;
use medcode::Error;
use medcode::UnixTime;
use medcode::replay::ReplayGuard;
use medcode::token::Region;
use medcode::verify::Verifier;

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
    /// `default_guard` when none is named.
    pub(crate) fn build(
        &self,
        now: UnixTime,
        default_guard: Option<Arc<dyn ReplayGuard>>,
    ) -> Result<Verifier, Error> {
        let mut verifier = load_verifier(&self.lists, now)?.with_leeway(self.leeway);
        if let Some(code) = &self.till_region {
            verifier = verifier.with_till_region(Region::new(code).map_err(|e| {
                Error::InvalidArgument {
                    what: "--till-region",
                    why: e.to_string(),
                }
            })?);
        }
        if let Some(guard) = self.replay.guard()?.or(default_guard) {
            verifier = verifier.with_replay_guard(guard);
        }
        Ok(verifier)
    }
}
