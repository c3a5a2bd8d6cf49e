//! The flags that build a verifier, shared by `medcode verify` and
//! `medcode till`: lists, leeway, till region and replay guard, mapped to
//! the library's till setup (`medcode::TillConfig`).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::args::ListArgs;
use crate::args::replay::ReplayArgs;
use crate::output::warn;
use medcode::Error;
use medcode::Region;
use medcode::UnixTime;
use medcode::Verifier;
use medcode::verify::{ReplaySpec, TillEvent};

#[derive(Args, Debug)]
pub(crate) struct VerifierArgs {
    #[command(flatten)]
    lists: ListArgs,
    /// Clock leeway in seconds, applied to issued-at and expiry.
    #[arg(long, value_name = "SECONDS", default_value_t = medcode::limits::DEFAULT_LEEWAY_SECS, value_parser = clap::value_parser!(u32).range(0..=3600))]
    leeway: u32,
    /// This till's region (6 digits); enables the holder's cross-province switch.
    #[arg(long, value_name = "CODE")]
    till_region: Option<String>,
    #[command(flatten)]
    replay: ReplayArgs,
    /// The state directory of the default files (replay file, replay
    /// fallback file, the service's usage records). Default:
    /// STATE_DIRECTORY (set by systemd's StateDirectory=), else
    /// $XDG_STATE_HOME/medcode/, else ~/.local/state/medcode/ when HOME
    /// exists. Created with mode 0700 if missing (its parent must exist).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
}

impl VerifierArgs {
    /// The verifier the flags describe, with the `--replay` guard, or with
    /// the guard `default_guard` gives when none is named (called only
    /// then). `--replay none` is warned about on standard error, once.
    /// Events of a shared guard are logged to standard error.
    pub(crate) fn build(
        &self,
        now: UnixTime,
        default_guard: impl FnOnce() -> Result<ReplaySpec, Error>,
    ) -> Result<Verifier, Error> {
        self.build_observed(now, default_guard, |event| warn(&event.to_string()))
    }

    /// [`VerifierArgs::build`], with the events of a shared guard passed to
    /// `on_event` instead of being logged (`medcode serve` logs and counts them).
    pub(crate) fn build_observed(
        &self,
        now: UnixTime,
        default_guard: impl FnOnce() -> Result<ReplaySpec, Error>,
        on_event: impl Fn(&TillEvent) + Send + Sync + 'static,
    ) -> Result<Verifier, Error> {
        let spec = match self.replay.spec(self.state_dir())? {
            Some(ReplaySpec::None) => {
                warn(NO_GUARD_WARNING);
                ReplaySpec::None
            }
            Some(spec) => spec,
            None => default_guard()?,
        };
        let mut config = self
            .lists
            .config()
            .leeway(self.leeway)
            .replay(spec)
            .on_event(on_event);
        if let Some(code) = &self.till_region {
            config = config.till_region(Region::new(code).map_err(|e| Error::InvalidArgument {
                what: "--till-region",
                why: e.to_string(),
            })?);
        }
        config.build(now).map_err(|e| self.lists.in_flags(e))
    }

    /// `--state-dir`, if given (see `crate::state_dir`).
    pub(crate) fn state_dir(&self) -> Option<&Path> {
        self.state_dir.as_deref()
    }

    /// The list flags (for a service that re-reads the lists).
    pub(crate) fn lists(&self) -> &ListArgs {
        &self.lists
    }
}

/// The one line `--replay none` prints on standard error.
pub(crate) const NO_GUARD_WARNING: &str = "--replay none: no replay guard, the same code will be accepted again (every scan of it until it expires)";
