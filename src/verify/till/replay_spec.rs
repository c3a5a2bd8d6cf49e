//! Which replay guard a till uses, parsed from text, and opening it.

#[cfg(feature = "redis")]
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::replay::{FileReplayGuard, MemoryReplayGuard, ReplayGuard};
#[cfg(feature = "redis")]
use crate::replay::{RedisReplayGuard, UnavailablePolicy};

use super::event::EventHook;
#[cfg(feature = "redis")]
use super::event::TillEvent;

/// Which replay guard a till uses: where accepted token ids are recorded,
/// so that a code shown a second time within its validity is `replayed`.
///
/// Parsed from text ([`FromStr`]): `none`, `memory`, `file:PATH`,
/// `redis://HOST:PORT[/DB]` or `redis+cluster://HOST:PORT[,HOST:PORT...]`
/// (then with the default key prefix and [`UnavailablePolicy::FailClosed`];
/// set the fields to change them).
///
/// The default is [`ReplaySpec::Memory`]: one code, one use, without
/// configuration. [`ReplaySpec::None`] is the explicit opt-out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaySpec {
    /// No replay guard: a code can be shown again within its validity. A
    /// till must not use this: a screenshot or photo of a code then works
    /// again until the code expires. For tests and tools that only inspect
    /// codes.
    None,
    /// This process's memory ([`MemoryReplayGuard`]): each code is accepted
    /// once while the verifier lives; a restart forgets. The default.
    #[default]
    Memory,
    /// A replay store file ([`FileReplayGuard`], created if missing):
    /// survives restarts and may be shared by the processes of one till.
    File(PathBuf),
    /// A Redis server or Redis Cluster shared by the tills of a chain
    /// ([`RedisReplayGuard`]).
    #[cfg(feature = "redis")]
    Redis(RedisSpec),
}

/// A Redis replay guard: the server (or cluster) and what to do when it is
/// unreachable.
#[cfg(feature = "redis")]
#[derive(Clone, PartialEq, Eq)]
pub struct RedisSpec {
    /// `redis://HOST:PORT[/DB]` (a password may be given as
    /// `redis://:PASSWORD@HOST:PORT`) or
    /// `redis+cluster://[:PASSWORD@]HOST:PORT[,HOST:PORT...]` (any nodes of
    /// one Redis Cluster); checked when the guard is opened
    /// ([`RedisReplayGuard::new`]).
    pub url: String,
    /// Prefix of the keys, so that several chains can share one server;
    /// `None` for [`DEFAULT_KEY_PREFIX`](crate::replay::redis::DEFAULT_KEY_PREFIX).
    pub key_prefix: Option<String>,
    /// What happens while the server cannot be reached.
    pub unavailable: UnavailablePolicy,
    /// Under [`UnavailablePolicy::LocalFallback`], the replay store file
    /// that keeps this till's own records
    /// ([`RedisReplayGuard::with_fallback_file`]), so that a restart during
    /// an outage forgets nothing; `None` keeps them in memory (a restart
    /// during an outage then accepts a code again, and never writes the
    /// codes accepted offline to the server). The library computes no
    /// default location: [`RedisSpec::fallback_file_name`] names a file per
    /// server and prefix, in a folder the caller chooses (`medcode` uses its
    /// state directory). Refused with fail-closed, which never falls back.
    pub fallback_file: Option<PathBuf>,
}

#[cfg(feature = "redis")]
impl RedisSpec {
    /// The file name for this server and key prefix, for
    /// [`RedisSpec::fallback_file`]: see
    /// [`fallback_file_name`](crate::replay::fallback_file_name).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for a URL or key
    /// prefix the guard refuses.
    pub fn fallback_file_name(&self) -> Result<String> {
        crate::replay::fallback_file_name(&self.url, self.key_prefix.as_deref())
    }
}

#[cfg(feature = "redis")]
impl fmt::Debug for RedisSpec {
    // Not the URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSpec")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .field("unavailable", &self.unavailable)
            .field("fallback_file", &self.fallback_file)
            .finish()
    }
}

/// The spec forms named in messages.
const SPEC_FORMS: &str = "expected file:PATH, redis://HOST:PORT[/DB], redis+cluster://HOST:PORT[,HOST:PORT...], memory or none";

impl FromStr for ReplaySpec {
    type Err = Error;

    /// Parses `none`, `memory`, `file:PATH`, `redis://HOST:PORT[/DB]` or
    /// `redis+cluster://HOST:PORT[,HOST:PORT...]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (`what` "replay guard") for any other text
    /// and for `file:` without a path. A Redis URL is checked when the guard
    /// is opened ([`TillConfig::build`](super::TillConfig::build)).
    fn from_str(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::argument("replay guard", why);
        match text {
            "none" => return Ok(ReplaySpec::None),
            "memory" => return Ok(ReplaySpec::Memory),
            _ => {}
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err(bad(
                    "file: needs a path, e.g. file:/var/lib/medcode/seen.db",
                ));
            }
            return Ok(ReplaySpec::File(PathBuf::from(path)));
        }
        if text.starts_with("redis://") || text.starts_with("redis+cluster://") {
            #[cfg(feature = "redis")]
            return Ok(ReplaySpec::Redis(RedisSpec {
                url: text.to_owned(),
                key_prefix: None,
                unavailable: UnavailablePolicy::FailClosed,
                fallback_file: None,
            }));
            #[cfg(not(feature = "redis"))]
            return Err(bad(
                "redis:// and redis+cluster:// need medcode built with the redis feature",
            ));
        }
        Err(bad(SPEC_FORMS))
    }
}

impl ReplaySpec {
    /// Opens the guard: `None` for [`ReplaySpec::None`].
    pub(super) fn open(&self, hook: Option<&EventHook>) -> Result<Option<Arc<dyn ReplayGuard>>> {
        #[cfg(not(feature = "redis"))]
        let _ = hook;
        Ok(match self {
            ReplaySpec::None => None,
            ReplaySpec::Memory => Some(Arc::new(MemoryReplayGuard::new())),
            ReplaySpec::File(path) => Some(Arc::new(FileReplayGuard::open(path)?)),
            #[cfg(feature = "redis")]
            ReplaySpec::Redis(spec) => {
                let policy = spec.unavailable;
                let mut guard = RedisReplayGuard::new(&spec.url)?.with_policy(policy);
                if let Some(prefix) = &spec.key_prefix {
                    guard = guard.with_key_prefix(prefix)?;
                }
                if let Some(hook) = hook {
                    let hook = Arc::clone(hook);
                    guard = guard
                        .with_event_hook(move |event| hook(&TillEvent::from_redis(event, policy)));
                }
                if let Some(path) = &spec.fallback_file {
                    if policy != UnavailablePolicy::LocalFallback {
                        return Err(Error::argument(
                            "replay fallback file",
                            "a fallback file applies to the local-fallback policy only; fail-closed refuses codes while Redis is unreachable",
                        ));
                    }
                    guard = guard.with_fallback_file(path)?;
                }
                Some(Arc::new(guard))
            }
        })
    }
}
