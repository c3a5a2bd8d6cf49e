//! `--replay none | memory | file:PATH | redis://HOST:PORT[/DB] |
//! redis+cluster://HOST:PORT[,HOST:PORT...]` and its
//! options, shared by `medcode verify` and `medcode till`. The spec itself is
//! the library's `medcode::verify::ReplaySpec`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use medcode::Error;
use medcode::replay::UnavailablePolicy;
use medcode::verify::ReplaySpec;

#[derive(Args, Debug, Clone)]
pub(crate) struct ReplayArgs {
    /// Replay guard: file:PATH (a replay store file on this till; survives restarts),
    /// redis://HOST:PORT[/DB] (one guard shared by the tills of a chain),
    /// redis+cluster://HOST:PORT[,HOST:PORT...] (the same on a Redis Cluster,
    /// reached through any of the nodes listed),
    /// memory (this process only) or none (no guard: the same code is accepted
    /// again; warned about on standard error). Default: see below.
    /// MEDCODE_REPLAY, if set, is read when the flag is not given: it keeps
    /// a Redis password (redis://:PASSWORD@HOST:PORT) off the command line,
    /// which every user of the machine can see.
    #[arg(
        long,
        value_name = "GUARD",
        env = "MEDCODE_REPLAY",
        hide_env_values = true
    )]
    replay: Option<String>,
    /// When the Redis guard cannot be reached: refuse codes (fail-closed, the
    /// default) or check them against this till's own records and say so
    /// (local-fallback: another till may accept the same code meanwhile).
    /// The codes accepted offline are written to Redis as soon as it
    /// answers again.
    #[arg(long, value_enum, value_name = "POLICY", requires = "replay")]
    replay_unavailable: Option<Unavailable>,
    /// With local-fallback: the replay store file keeping this till's own records,
    /// so that a restart during an outage still refuses the codes accepted
    /// and writes them to Redis when it returns. Default: one file per
    /// server and key prefix in the state directory (--state-dir).
    #[arg(long, value_name = "PATH", requires = "replay_unavailable")]
    replay_fallback_file: Option<PathBuf>,
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
    /// The guard named by `--replay`, or `None` without one; a default
    /// fallback file goes in the state directory (`--state-dir`, if given).
    pub(crate) fn spec(&self, state_dir: Option<&Path>) -> Result<Option<ReplaySpec>, Error> {
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
                redis.fallback_file = match (redis.unavailable, &self.replay_fallback_file) {
                    (UnavailablePolicy::LocalFallback, Some(path)) => Some(path.clone()),
                    (UnavailablePolicy::LocalFallback, None) => {
                        Some(crate::state_dir::default_fallback_file(
                            state_dir,
                            &redis.fallback_file_name()?,
                        )?)
                    }
                    (_, Some(_)) => {
                        return Err(Error::InvalidArgument {
                            what: "--replay-fallback-file",
                            why: "applies to --replay-unavailable local-fallback only".to_owned(),
                        });
                    }
                    (_, None) => None,
                };
            }
            _ if self.replay_unavailable.is_some() || self.replay_key_prefix.is_some() => {
                return Err(Error::InvalidArgument {
                    what: "--replay",
                    why: "--replay-unavailable, --replay-key-prefix and --replay-fallback-file apply to a redis:// or redis+cluster:// guard only"
                        .to_owned(),
                });
            }
            _ => {}
        }
        Ok(Some(spec))
    }
}
