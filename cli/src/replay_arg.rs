//! `--replay file:PATH | redis://HOST:PORT[/DB]` and its options, shared by
//! `medcode verify` and `medcode till`.

use std::path::Path;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use crate::warn;
use medcode::Error;
use medcode::replay::FileReplayGuard;
use medcode::replay::ReplayGuard;
use medcode::replay::{RedisEvent, RedisReplayGuard, UnavailablePolicy};

#[derive(Args, Debug, Clone)]
pub(crate) struct ReplayArgs {
    /// Replay guard: file:PATH (an SQLite file on this till; survives restarts)
    /// or redis://HOST:PORT[/DB] (one guard shared by the tills of a chain).
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
    pub(crate) fn guard(&self) -> Result<Option<Arc<dyn ReplayGuard>>, Error> {
        let Some(spec) = self.replay.as_deref() else {
            return Ok(None);
        };
        if let Some(path) = spec.strip_prefix("file:") {
            if self.replay_unavailable.is_some() || self.replay_key_prefix.is_some() {
                return Err(bad(
                    "--replay-unavailable and --replay-key-prefix apply to a redis:// guard only",
                ));
            }
            if path.is_empty() {
                return Err(bad(
                    "file: needs a path, e.g. file:/var/lib/medcode/seen.db",
                ));
            }
            return Ok(Some(Arc::new(FileReplayGuard::open(Path::new(path))?)));
        }
        if spec.starts_with("redis://") {
            let policy = match self.replay_unavailable {
                None | Some(Unavailable::FailClosed) => UnavailablePolicy::FailClosed,
                Some(Unavailable::LocalFallback) => UnavailablePolicy::LocalFallback,
            };
            let mut guard = RedisReplayGuard::new(spec)?
                .with_policy(policy)
                .with_event_hook(move |event| log(event, policy));
            if let Some(prefix) = &self.replay_key_prefix {
                guard = guard.with_key_prefix(prefix)?;
            }
            return Ok(Some(Arc::new(guard)));
        }
        Err(bad(
            "expected file:PATH or redis://HOST:PORT[/DB] (see medcode verify --help)",
        ))
    }
}

fn bad(why: &str) -> Error {
    Error::InvalidArgument {
        what: "--replay",
        why: why.to_owned(),
    }
}

/// The till's log line for a change of the shared guard's reachability.
fn log(event: &RedisEvent, policy: UnavailablePolicy) {
    match event {
        RedisEvent::Unreachable { why } => warn(&format!(
            "shared replay guard unreachable ({why}); {}",
            match policy {
                UnavailablePolicy::LocalFallback =>
                    "checking codes against this till's own records only (local-fallback)",
                _ => "refusing codes until it answers (fail-closed)",
            }
        )),
        RedisEvent::Reachable { synced } => warn(&format!(
            "shared replay guard reachable again; {synced} code(s) accepted offline recorded in it"
        )),
        _ => {}
    }
}
