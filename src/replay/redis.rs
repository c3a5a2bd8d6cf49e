//! The shared replay guard: one Redis server for every till of a pharmacy
//! chain or hospital, so a code accepted at one till is `replayed` at all
//! the others.
//!
//! Each check is one round trip, `SET <prefix><token id> <nonce> NX PX <ms>`:
//! Redis sets the key only if it is absent, and expires it itself when the
//! token (plus leeway) has expired. Connections are kept in a small pool and
//! reused; connecting, reading and writing are bounded by timeouts. When
//! Redis cannot be reached an [`UnavailablePolicy`] decides: refuse the code
//! (the default) or check it against this process's own memory and say so
//! in the verdict.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::replay::{MemoryReplayGuard, ReplayGuard};
use crate::time::UnixTime;
use crate::token::TokenId;

/// Default prefix of the Redis keys: `medcode:seen:` then the token id in hex.
pub const DEFAULT_KEY_PREFIX: &str = "medcode:seen:";
/// Default bound on opening a connection to Redis.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Default bound on sending a command and reading its reply.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_millis(500);
/// Default number of idle connections kept for reuse.
pub const DEFAULT_MAX_IDLE: usize = 8;
/// Longest key prefix accepted.
pub const MAX_KEY_PREFIX_LEN: usize = 128;

text_enum!(
    /// What a shared guard does when its server cannot be reached, named as
    /// the CLI spells it.
    #[derive(Default)]
    #[non_exhaustive]
    UnavailablePolicy, "unavailable policy", Error::argument {
        /// Refuse the code with `replay_guard_unavailable`: no code is accepted
        /// that the chain's guard has not recorded. The default.
        #[default]
        FailClosed => "fail-closed",
        /// Keep selling offline: check the code against this process's own
        /// in-memory guard, accept it if this till has not seen it, and add
        /// [`Notice::ReplayGuardLocalFallback`] to the verdict. Another till of
        /// the chain may accept the same code while the server is unreachable.
        LocalFallback => "local-fallback",
    }
);

/// A change of a shared guard's reachability, reported to the hook set with
/// [`RedisReplayGuard::with_event_hook`] so that the till can log it. Each
/// change is reported once, not once per code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisEvent {
    /// The server could not be reached (or answered with an error); `why`
    /// says what failed. Never holds a password.
    Unreachable {
        /// What failed.
        why: String,
    },
    /// The server answers again. `synced` codes accepted under
    /// [`UnavailablePolicy::LocalFallback`] while it was unreachable were
    /// written to it, so that the other tills refuse them from now on.
    Reachable {
        /// Codes accepted offline that were written to the server.
        synced: usize,
    },
}

type EventHook = Arc<dyn Fn(&RedisEvent) + Send + Sync>;

/// A replay guard shared through a Redis server.
pub struct RedisReplayGuard {
    client: redis::Client,
    /// `redis://HOST:PORT/DB`, without credentials, for messages.
    target: String,
    prefix: String,
    connect_timeout: Duration,
    io_timeout: Duration,
    idle: Mutex<Vec<redis::Connection>>,
    max_idle: usize,
    policy: UnavailablePolicy,
    /// This process's own record, consulted under `LocalFallback` only.
    local: MemoryReplayGuard,
    /// Codes accepted locally while the server was unreachable, with the
    /// second they stay recorded until: written to the server on recovery.
    pending: Mutex<Vec<(TokenId, u64)>>,
    down: AtomicBool,
    hook: Option<EventHook>,
    /// Per-process random base of the values stored, so that a check that
    /// retries after a lost reply recognises its own write.
    nonce_base: u64,
    nonce_counter: AtomicU64,
}

impl RedisReplayGuard {
    /// A guard for the server at `url`, `redis://HOST:PORT[/DB]` (a password
    /// may be given as `redis://:PASSWORD@HOST:PORT`). Nothing is connected
    /// yet: the first check connects.
    ///
    /// Defaults: [`UnavailablePolicy::FailClosed`], key prefix
    /// [`DEFAULT_KEY_PREFIX`], timeouts [`DEFAULT_CONNECT_TIMEOUT`] and
    /// [`DEFAULT_IO_TIMEOUT`], up to [`DEFAULT_MAX_IDLE`] idle connections,
    /// a local fallback capacity of [`DEFAULT_REPLAY_CAPACITY`](crate::replay::DEFAULT_REPLAY_CAPACITY).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for anything but a
    /// `redis://` URL of a TCP server; [`Error::InvalidKey`] (`invalid_key`) if
    /// the system random generator fails.
    pub fn new(url: &str) -> Result<Self> {
        let bad = |why: String| Error::InvalidArgument {
            what: "Redis URL",
            why,
        };
        if !url.starts_with("redis://") {
            return Err(bad(
                "expected redis://HOST:PORT[/DB] (TLS and Unix sockets are not supported)".into(),
            ));
        }
        // The crate's message, not the URL: the URL may hold a password.
        let client = redis::Client::open(url).map_err(|e| bad(e.to_string()))?;
        let info = client.get_connection_info();
        let target = match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => {
                format!("redis://{host}:{port}/{}", info.redis_settings().db())
            }
            _ => return Err(bad("only plain TCP servers are supported".into())),
        };
        let mut nonce = [0u8; 8];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::key("the system random generator failed"))?;
        Ok(RedisReplayGuard {
            client,
            target,
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            io_timeout: DEFAULT_IO_TIMEOUT,
            idle: Mutex::new(Vec::new()),
            max_idle: DEFAULT_MAX_IDLE,
            policy: UnavailablePolicy::FailClosed,
            local: MemoryReplayGuard::new(),
            pending: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
            hook: None,
            nonce_base: u64::from_le_bytes(nonce),
            nonce_counter: AtomicU64::new(0),
        })
    }

    /// Sets what happens when the server cannot be reached.
    #[must_use = "with_policy returns the changed guard"]
    pub fn with_policy(mut self, policy: UnavailablePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the key prefix, so that several chains or environments can share
    /// one server.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for a prefix longer
    /// than [`MAX_KEY_PREFIX_LEN`] bytes or holding anything but printable
    /// ASCII without spaces.
    pub fn with_key_prefix(mut self, prefix: &str) -> Result<Self> {
        if prefix.len() > MAX_KEY_PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidArgument {
                what: "Redis key prefix",
                why: format!(
                    "use at most {MAX_KEY_PREFIX_LEN} printable ASCII characters without spaces"
                ),
            });
        }
        prefix.clone_into(&mut self.prefix);
        Ok(self)
    }

    /// Sets the bounds on connecting and on each command's round trip.
    #[must_use = "with_timeouts returns the changed guard"]
    pub fn with_timeouts(mut self, connect: Duration, io: Duration) -> Self {
        self.connect_timeout = connect;
        self.io_timeout = io;
        self
    }

    /// Sets how many idle connections are kept for reuse. Concurrent checks
    /// beyond that open extra connections, closed after use.
    #[must_use = "with_max_idle returns the changed guard"]
    pub fn with_max_idle(mut self, max_idle: usize) -> Self {
        self.max_idle = max_idle;
        self
    }

    /// Sets the capacity of the local guard used under
    /// [`UnavailablePolicy::LocalFallback`].
    #[must_use = "with_fallback_capacity returns the changed guard"]
    pub fn with_fallback_capacity(mut self, capacity: usize) -> Self {
        self.local = MemoryReplayGuard::with_capacity(capacity);
        self
    }

    /// Calls `hook` when the server becomes unreachable and when it answers
    /// again (for a log line; it must not block).
    #[must_use = "with_event_hook returns the changed guard"]
    pub fn with_event_hook(mut self, hook: impl Fn(&RedisEvent) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The server, as `redis://HOST:PORT/DB` without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.prefix
    }

    /// The policy for an unreachable server.
    pub fn policy(&self) -> UnavailablePolicy {
        self.policy
    }

    /// The Redis key recording `id`.
    pub fn key(&self, id: TokenId) -> String {
        format!("{}{id}", self.prefix)
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        conn.set_read_timeout(Some(self.io_timeout))?;
        conn.set_write_timeout(Some(self.io_timeout))?;
        Ok(conn)
    }

    fn idle(&self) -> MutexGuard<'_, Vec<redis::Connection>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn pending(&self) -> MutexGuard<'_, Vec<(TokenId, u64)>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn give_back(&self, conn: redis::Connection) {
        let mut idle = self.idle();
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    /// Runs `f` on a pooled connection (or a new one). A pooled connection
    /// may have died since its last use (the server restarted): on a broken
    /// connection `f` runs once more on a fresh one, with `retried` set.
    fn with_connection<T>(
        &self,
        f: impl Fn(&mut redis::Connection, bool) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let pooled = self.idle().pop();
        let was_pooled = pooled.is_some();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        match f(&mut conn, false) {
            Ok(value) => {
                self.give_back(conn);
                Ok(value)
            }
            Err(e) if !broken(&e) => {
                // An error reply: the connection itself is fine.
                self.give_back(conn);
                Err(e)
            }
            Err(e) if !was_pooled => Err(e),
            Err(_) => {
                // The other idle connections are as old as this one.
                self.idle().clear();
                let mut conn = self.connect()?;
                let value = f(&mut conn, true)?;
                self.give_back(conn);
                Ok(value)
            }
        }
    }

    /// `SET key nonce NX PX ttl_ms`: true when this call recorded the key.
    fn set_if_absent(&self, key: &str, ttl_ms: u64) -> redis::RedisResult<bool> {
        let nonce = self
            .nonce_base
            .wrapping_add(self.nonce_counter.fetch_add(1, Ordering::Relaxed));
        let mut set = redis::cmd("SET");
        set.arg(key).arg(nonce).arg("NX").arg("PX").arg(ttl_ms);
        self.with_connection(|conn, retried| {
            match set.query::<redis::Value>(conn)? {
                redis::Value::Okay => Ok(true),
                redis::Value::SimpleString(s) if s == "OK" => Ok(true),
                redis::Value::Nil if retried => {
                    // The first attempt's reply was lost: it may have been
                    // this very check that recorded the key.
                    let held: Option<u64> = redis::cmd("GET").arg(key).query(conn)?;
                    Ok(held == Some(nonce))
                }
                redis::Value::Nil => Ok(false),
                other => Err(redis::RedisError::from((
                    redis::ErrorKind::UnexpectedReturnType,
                    "unexpected reply to SET NX",
                    format!("{other:?}"),
                ))),
            }
        })
    }

    /// Writes the codes accepted locally during an outage to the server, in
    /// one pipelined round trip. Returns how many were written.
    fn sync_pending(&self, now: u64) -> redis::RedisResult<usize> {
        let pending = std::mem::take(&mut *self.pending());
        let live: Vec<_> = pending
            .into_iter()
            .filter(|&(_, until)| until >= now)
            .collect();
        if live.is_empty() {
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for &(id, until) in &live {
            pipe.cmd("SET")
                .arg(self.key(id))
                .arg(self.nonce_base)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms(until, now))
                .ignore();
        }
        match self.with_connection(|conn, _| pipe.query::<()>(conn)) {
            Ok(()) => Ok(live.len()),
            Err(e) => {
                // Keep them for the next recovery.
                self.pending().extend(live);
                Err(e)
            }
        }
    }

    fn report(&self, event: &RedisEvent) {
        if let Some(hook) = &self.hook {
            hook(event);
        }
    }

    fn reachable(&self, now: u64) {
        if self.down.swap(false, Ordering::AcqRel) {
            let synced = match self.sync_pending(now) {
                Ok(n) => n,
                Err(e) => {
                    self.unreachable(&e);
                    return;
                }
            };
            self.report(&RedisEvent::Reachable { synced });
        }
    }

    fn unreachable(&self, e: &redis::RedisError) -> String {
        let why = format!("{}: {e}", self.target);
        if !self.down.swap(true, Ordering::AcqRel) {
            self.report(&RedisEvent::Unreachable { why: why.clone() });
        }
        why
    }

    /// Remembers a code accepted locally, for [`Self::sync_pending`]. The list
    /// is bounded like the local guard; beyond that a code is not synced.
    fn remember(&self, id: TokenId, until: u64, now: u64) {
        let mut pending = self.pending();
        if pending.len() >= self.local.capacity() {
            pending.retain(|&(_, u)| u >= now);
        }
        if pending.len() < self.local.capacity() {
            pending.push((id, until));
        }
    }
}

/// True when the connection cannot be used again after `e`.
fn broken(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error()
}

/// Milliseconds a key lives: through the whole second `until`, as the
/// in-memory guard keeps an entry while `until >= now`.
fn ttl_ms(until: u64, now: u64) -> u64 {
    until
        .saturating_sub(now)
        .saturating_add(1)
        .saturating_mul(1000)
}

impl fmt::Debug for RedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayGuard")
            .field("target", &self.target)
            .field("prefix", &self.prefix)
            .field("policy", &self.policy)
            .field("connect_timeout", &self.connect_timeout)
            .field("io_timeout", &self.io_timeout)
            .finish_non_exhaustive()
    }
}

impl ReplayGuard for RedisReplayGuard {
    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>> {
        let (until_s, now_s) = (until.as_secs(), now.as_secs());
        // Under LocalFallback this till records every code it sees, so a
        // code it accepted (online or not) stays refused here during an
        // outage and after one.
        let mut local_full = None;
        if self.policy == UnavailablePolicy::LocalFallback {
            match self.local.mark_seen(id, until, now) {
                Ok(_) => {}
                Err(e @ Error::ReplayGuardFull { .. }) => local_full = Some(e),
                Err(e) => return Err(e),
            }
        }
        match self.set_if_absent(&self.key(id), ttl_ms(until_s, now_s)) {
            Ok(recorded) => {
                self.reachable(now_s);
                if recorded {
                    Ok(None)
                } else {
                    Err(Error::Replayed {
                        token_id: id.to_string(),
                    })
                }
            }
            Err(e) => {
                let why = self.unreachable(&e);
                match (self.policy, local_full) {
                    (UnavailablePolicy::FailClosed, _) => {
                        Err(Error::ReplayGuardUnavailable { why })
                    }
                    (UnavailablePolicy::LocalFallback, Some(full)) => Err(full),
                    (UnavailablePolicy::LocalFallback, None) => {
                        self.remember(id, until_s, now_s);
                        Ok(Some(Notice::ReplayGuardLocalFallback))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_without_connecting() {
        let g = RedisReplayGuard::new("redis://127.0.0.1:6390/3").unwrap();
        assert_eq!(g.target(), "redis://127.0.0.1:6390/3");
        assert_eq!(g.policy(), UnavailablePolicy::FailClosed);
        assert_eq!(
            g.key(TokenId::from_bytes([0xab; 8])),
            "medcode:seen:abababababababab"
        );
        let g = RedisReplayGuard::new("redis://:secret@localhost:6379").unwrap();
        assert_eq!(g.target(), "redis://localhost:6379/0");
        assert!(!format!("{g:?}").contains("secret"));
        for bad in [
            "rediss://127.0.0.1:6379",
            "redis+unix:///tmp/redis.sock",
            "http://127.0.0.1:6379",
            "redis://127.0.0.1:6379/notanumber",
            "127.0.0.1:6379",
        ] {
            let err = RedisReplayGuard::new(bad).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_argument", "{bad}");
        }
    }

    #[test]
    fn key_prefixes_are_bounded_printable_ascii() {
        let g = RedisReplayGuard::new("redis://127.0.0.1:6379").unwrap();
        let g = g.with_key_prefix("chain-42:").unwrap();
        assert_eq!(
            g.key(TokenId::from_bytes([1; 8])),
            "chain-42:0101010101010101"
        );
        for bad in ["with space", "tab\t", &"x".repeat(129)] {
            let g = RedisReplayGuard::new("redis://127.0.0.1:6379").unwrap();
            assert_eq!(
                g.with_key_prefix(bad).unwrap_err().reason().as_str(),
                "invalid_argument"
            );
        }
    }

    #[test]
    fn keys_live_through_the_last_second() {
        assert_eq!(ttl_ms(100, 100), 1000);
        assert_eq!(ttl_ms(175, 100), 76_000);
        assert_eq!(ttl_ms(100, 200), 1000);
    }
}
