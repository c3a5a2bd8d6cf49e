//! `--replay none | memory | file:PATH | redis://HOST:PORT[/DB]` and its
//! options, shared by `medcode verify` and `medcode till`. The spec itself is
//! the library's `medcode::verify::ReplaySpec`.

use clap::{Args, ValueEnum};

use medcode::Error;
use medcode::replay::UnavailablePolicy;
use medcode::verify::ReplaySpec;

#[derive(Args, Debug, Clone)]
pub(crate) struct ReplayArgs {
    /// Replay guard: file:PATH (an SQLite file on this till; survives restarts),
    /// redis://HOST:PORT[/DB] (one guard shared by the tills of a chain),
    /// memory (this process only) or none (no guard: the same code is accepted
    /// again; warned about on standard error). Default: see below.
    #[arg(long, value_name = "GUARD")]
    replay: Option<String>,
    /// When the Redis guard cannot be reached: refuse codes (fail-closed, the
    /// default) or check them against this process's own records and say so.
    #[arg(long, value_enum, value_name = "POLICY", requires = "replay")]
    replay_unavailable: Option<Unavailable>,
    /// Prefix of the Redis keys (default medcode:seen:).
    #[arg(long, value_name = "PREFIX", requires = "replay")]
    replay_key_prefix: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Unavailable {
    FailClosed,
    LocalFallback,
}

impl ReplayArgs {
    /// The guard named by `--replay`, or `None` without one.
    pub(crate) fn spec(&self) -> Result<Option<ReplaySpec>, Error> {
        let Some(text) = self.replay.as_deref() else {
            return Ok(None);
        };
        let mut spec: ReplaySpec = text.parse().map_err(|e| match e {
            Error::InvalidArgument { why, .. } => Error::InvalidArgument {
                what: "--replay",
                why,
            },
            other => other,
        })?;
        match &mut spec {
            ReplaySpec::Redis(redis) => {
                redis.unavailable = match self.replay_unavailable {
                    None | Some(Unavailable::FailClosed) => UnavailablePolicy::FailClosed,
                    Some(Unavailable::LocalFallback) => UnavailablePolicy::LocalFallback,
                };
                redis.key_prefix.clone_from(&self.replay_key_prefix);
            }
            _ if self.replay_unavailable.is_some() || self.replay_key_prefix.is_some() => {
                return Err(Error::InvalidArgument {
                    what: "--replay",
                    why: "--replay-unavailable and --replay-key-prefix apply to a redis:// guard only"
                        .to_owned(),
                });
            }
            _ => {}
        }
        Ok(Some(spec))
    }
}
