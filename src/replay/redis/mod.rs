//! The shared replay guard: one Redis server (or one Redis Cluster) for
//! every till of a pharmacy chain or hospital, so a code accepted at one
//! till is `replayed` at all the others.
//!
//! Each check is one round trip, `SET <prefix><token id> <nonce> NX PX <ms>`:
//! Redis sets the key only if it is absent, and expires it itself when the
//! token (plus leeway) has expired. Connections are kept in a small pool and
//! reused; connecting, reading and writing are bounded by timeouts. When
//! Redis cannot be reached an [`UnavailablePolicy`] decides: refuse the code
//! (the default) or check it against this till's own records and say so in
//! the verdict. Under local-fallback those records can be a replay store
//! file ([`RedisReplayGuard::with_fallback_file`]) that survives a restart, and a
//! background thread writes the codes accepted offline to the server as
//! soon as it answers again. The same thread asks the server every second
//! whether it restarted (`INFO server`'s `run_id`): a server restarted
//! without persistence has lost the codes accepted online too, and the
//! till writes back every live code it recorded. (A Redis Cluster is not
//! asked: run it with persistence.)
//!
//! On a Redis Cluster (`redis+cluster://HOST:PORT[,HOST:PORT...]`) each
//! check is the same single `SET NX PX`: a code's key is one token id, so
//! it lives on one hash slot and is sent to the node that serves that slot
//! (no cross-slot command is ever sent).

mod pusher;
mod remote;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};
use crate::notice::Notice;
use crate::replay::{FileReplayGuard, MemoryReplayGuard, ReplayGuard};
use crate::time::UnixTime;
use crate::token::TokenId;

use pusher::Pusher;
use remote::{Client, Remote, Shared, ttl_ms};

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
        /// Keep selling offline: check the code against this till's own
        /// records (its memory, or the file set with
        /// [`RedisReplayGuard::with_fallback_file`]), accept it if this till
        /// has not seen it, and add [`Notice::ReplayGuardLocalFallback`] to
        /// the verdict. Another till of the chain may accept the same code
        /// while the server is unreachable.
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
    /// After a restart with a fallback file, the live codes of the file
    /// are written too, and so are all the live codes of the till's own
    /// records when the server itself restarted meanwhile (a new `run_id`:
    /// without persistence it lost every code, those accepted online too);
    /// a no-op for those the server already holds.
    Reachable {
        /// Codes accepted offline that were written to the server.
        synced: usize,
    },
}

/// This till's own records under [`UnavailablePolicy::LocalFallback`].
pub(super) enum Local {
    Memory(MemoryReplayGuard),
    File(FileReplayGuard),
}

impl Local {
    fn capacity(&self) -> usize {
        match self {
            Local::Memory(m) => m.capacity(),
            Local::File(f) => f.capacity(),
        }
    }

    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>> {
        match self {
            Local::Memory(m) => m.mark_seen(id, until, now),
            Local::File(f) => f.mark_seen(id, until, now),
        }
    }

    /// Every code recorded, with the second it stays recorded until.
    fn entries(&self) -> Result<Vec<(TokenId, u64)>> {
        match self {
            Local::Memory(m) => Ok(m.entries()),
            Local::File(f) => f.entries(),
        }
    }
}

/// A replay guard shared through a Redis server.
///
/// Under [`UnavailablePolicy::LocalFallback`] the guard starts a background
/// thread the first time the server cannot be reached (or when its fallback
/// file holds codes not known to be on the server): it retries with a
/// backoff of at most 250 ms and writes the codes accepted offline, in
/// pipelined `SET NX PX` round trips, as soon as the server answers, without
/// waiting for the next check. The thread sleeps while there is nothing to
/// do and is stopped when the guard is dropped. It reads no wall clock: the
/// keys' lifetimes come from the expiry recorded with each code and the
/// last time a caller gave, advanced by a monotonic clock (before any, from
/// the recorded expiry by the server's clock).
pub struct RedisReplayGuard {
    remote: Remote,
    policy: UnavailablePolicy,
    /// This till's own record, consulted under `LocalFallback` only.
    local: Arc<Local>,
    pusher: Mutex<Option<Pusher>>,
}

impl RedisReplayGuard {
    /// A guard for the server at `url`, `redis://HOST:PORT[/DB]` (a password
    /// may be given as `redis://:PASSWORD@HOST:PORT`), or for the Redis
    /// Cluster reached through any of the nodes of
    /// `redis+cluster://HOST:PORT[,HOST:PORT...]` (a password as
    /// `redis+cluster://:PASSWORD@HOST:PORT,HOST:PORT`, the same for every
    /// node; a cluster has no database numbers). Nothing is connected yet:
    /// the first check connects.
    ///
    /// On a cluster a check is the same one `SET NX PX` of the code's key,
    /// sent to the node serving its slot; the cluster connection follows
    /// the cluster's redirections (a resharding, a failover) with at most
    /// [`CLUSTER_RETRIES`] retries, each bounded by the timeouts, so that
    /// an outage is still answered by the [`UnavailablePolicy`] in bounded
    /// time.
    ///
    /// Defaults: [`UnavailablePolicy::FailClosed`], key prefix
    /// [`DEFAULT_KEY_PREFIX`], timeouts [`DEFAULT_CONNECT_TIMEOUT`] and
    /// [`DEFAULT_IO_TIMEOUT`], up to [`DEFAULT_MAX_IDLE`] idle connections,
    /// a local fallback in memory of capacity [`DEFAULT_REPLAY_CAPACITY`](crate::replay::memory::DEFAULT_REPLAY_CAPACITY).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for anything but a
    /// `redis://` URL of a TCP server or a `redis+cluster://` list of TCP
    /// nodes; [`Error::InvalidKey`] (`invalid_key`) if the system random
    /// generator fails.
    pub fn new(url: &str) -> Result<Self> {
        let (client, target) = open_client(url)?;
        let mut nonce = [0u8; 8];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::key("the system random generator failed"))?;
        Ok(RedisReplayGuard {
            remote: Remote {
                client,
                target,
                prefix: DEFAULT_KEY_PREFIX.to_owned(),
                connect_timeout: DEFAULT_CONNECT_TIMEOUT,
                io_timeout: DEFAULT_IO_TIMEOUT,
                max_idle: DEFAULT_MAX_IDLE,
                hook: None,
                nonce_base: u64::from_le_bytes(nonce),
                shared: Arc::new(Shared::new()),
            },
            policy: UnavailablePolicy::FailClosed,
            local: Arc::new(Local::Memory(MemoryReplayGuard::new())),
            pusher: Mutex::new(None),
        })
    }

    /// Sets what happens when the server cannot be reached.
    #[must_use = "with_policy returns the changed guard"]
    pub fn with_policy(mut self, policy: UnavailablePolicy) -> Self {
        self.change(|g| g.policy = policy);
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
        check_prefix(prefix)?;
        self.change(|g| prefix.clone_into(&mut g.remote.prefix));
        Ok(self)
    }

    /// Sets the bounds on connecting and on each command's round trip.
    #[must_use = "with_timeouts returns the changed guard"]
    pub fn with_timeouts(mut self, connect: Duration, io: Duration) -> Self {
        self.change(|g| {
            g.remote.connect_timeout = connect;
            g.remote.io_timeout = io;
        });
        self
    }

    /// Sets how many idle connections are kept for reuse. Concurrent checks
    /// beyond that open extra connections, closed after use.
    #[must_use = "with_max_idle returns the changed guard"]
    pub fn with_max_idle(mut self, max_idle: usize) -> Self {
        self.change(|g| g.remote.max_idle = max_idle);
        self
    }

    /// Sets the capacity of the local guard used under
    /// [`UnavailablePolicy::LocalFallback`] (in memory, or the fallback
    /// file's).
    #[must_use = "with_fallback_capacity returns the changed guard"]
    pub fn with_fallback_capacity(mut self, capacity: usize) -> Self {
        self.change(|g| {
            let old = std::mem::replace(
                &mut g.local,
                Arc::new(Local::Memory(MemoryReplayGuard::new())),
            );
            g.local = match Arc::try_unwrap(old) {
                Ok(Local::Memory(_)) => {
                    Arc::new(Local::Memory(MemoryReplayGuard::with_capacity(capacity)))
                }
                Ok(Local::File(f)) => Arc::new(Local::File(f.with_capacity(capacity))),
                // Not shared while the guard is changed (the pusher is
                // stopped and the remote's copy taken back): kept as it is.
                Err(shared) => shared,
            };
        });
        self
    }

    /// Keeps this till's own records under
    /// [`UnavailablePolicy::LocalFallback`] in the replay store file at
    /// `path` ([`FileReplayGuard`], created with mode 0600 if missing)
    /// instead of memory, so that a till restarted during an outage (a
    /// crash, a kill, a clean exit and start) still refuses the codes it
    /// accepted, and writes them to the server when it answers again.
    ///
    /// The codes the file holds are written to the server when it answers
    /// (by the background thread, without waiting for a check); until the
    /// till has checked a code, and so given a time, their keys expire at
    /// their recorded second by the server's clock (`SET NX EXAT`), after
    /// that as every other key (`PX`, from the caller's time). Every code
    /// the till checks is recorded in the file, online or not, before the
    /// server is asked; each check is then one synced append to the file more.
    /// Expired entries are swept by the checks.
    ///
    /// Use one file per server and key prefix
    /// ([`fallback_file_name`] names one); tills sharing a file share
    /// their records, as processes of one till should.
    ///
    /// # Errors
    ///
    /// Those of [`FileReplayGuard::open`]: [`Error::Storage`] (`storage`) or
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`).
    pub fn with_fallback_file(mut self, path: &Path) -> Result<Self> {
        let file = FileReplayGuard::open(path)?.with_capacity(self.local.capacity());
        let held = file.entries()?;
        let capacity = file.capacity();
        self.change(|g| {
            g.local = Arc::new(Local::File(file));
            g.remote.add_pending(held, 0, capacity);
        });
        Ok(self)
    }

    /// Calls `hook` when the server becomes unreachable and when it answers
    /// again (for a log line; it must not block). Under local-fallback it
    /// may be called from the guard's background thread.
    #[must_use = "with_event_hook returns the changed guard"]
    pub fn with_event_hook(mut self, hook: impl Fn(&RedisEvent) + Send + Sync + 'static) -> Self {
        self.change(|g| g.remote.hook = Some(Arc::new(hook)));
        self
    }

    /// The server, as `redis://HOST:PORT/DB` without credentials (a
    /// cluster: `redis+cluster://HOST:PORT,HOST:PORT...`, its nodes as
    /// given).
    pub fn target(&self) -> &str {
        &self.remote.target
    }

    /// The key prefix.
    pub fn key_prefix(&self) -> &str {
        &self.remote.prefix
    }

    /// The policy for an unreachable server.
    pub fn policy(&self) -> UnavailablePolicy {
        self.policy
    }

    /// The Redis key recording `id`.
    pub fn key(&self, id: TokenId) -> String {
        self.remote.key(id)
    }

    /// Changes a setting: the pusher (which holds a copy of the settings)
    /// is stopped first and started again after, if it has work.
    fn change(&mut self, f: impl FnOnce(&mut Self)) {
        self.stop_pusher();
        self.remote.share_local(None);
        f(self);
        if self.policy == UnavailablePolicy::LocalFallback {
            self.remote.share_local(Some(Arc::clone(&self.local)));
        }
        self.start_pusher();
    }

    /// Stops and joins the background push, if it runs.
    fn stop_pusher(&mut self) {
        let running = self
            .pusher
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(pusher) = running {
            pusher.stop();
        }
    }

    /// Starts the background thread when this guard falls back locally (it
    /// pushes what is pending, and watches for a server restarted without
    /// its data); a no-op when it runs already.
    fn start_pusher(&self) {
        if self.policy != UnavailablePolicy::LocalFallback {
            return;
        }
        let mut pusher = self.pusher.lock().unwrap_or_else(PoisonError::into_inner);
        if pusher.is_none() {
            *pusher = Pusher::start(&self.remote);
        }
        drop(pusher);
        self.remote.wake();
    }
}

impl Drop for RedisReplayGuard {
    fn drop(&mut self) {
        self.stop_pusher();
    }
}

/// How many times a cluster connection retries a command after a
/// redirection or a broken node connection before the check is answered by
/// the [`UnavailablePolicy`].
pub const CLUSTER_RETRIES: u32 = 2;

/// The URL forms named in messages.
const URL_FORMS: &str = "expected redis://HOST:PORT[/DB] or redis+cluster://HOST:PORT[,HOST:PORT...] (TLS and Unix sockets are not supported)";

fn bad_url(why: String) -> Error {
    Error::InvalidArgument {
        what: "Redis URL",
        why,
    }
}

/// The client for `url` and its target without credentials.
fn open_client(url: &str) -> Result<(Client, String)> {
    if let Some(nodes) = url.strip_prefix("redis+cluster://") {
        return open_cluster(nodes);
    }
    if !url.starts_with("redis://") {
        return Err(bad_url(URL_FORMS.into()));
    }
    // The crate's message, not the URL: the URL may hold a password.
    let client = redis::Client::open(url).map_err(|e| bad_url(e.to_string()))?;
    let info = client.get_connection_info();
    let target = match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => {
            format!("redis://{host}:{port}/{}", info.redis_settings().db())
        }
        _ => return Err(bad_url("only plain TCP servers are supported".into())),
    };
    Ok((Client::Node(client), target))
}

/// The cluster client for `[USER:PASSWORD@]HOST:PORT[,HOST:PORT...]` and
/// its target without credentials.
fn open_cluster(list: &str) -> Result<(Client, String)> {
    // Host names hold no `@`; a password may (percent-encoded or not).
    let (auth, hosts) = match list.rsplit_once('@') {
        Some((auth, hosts)) => (Some(auth), hosts),
        None => (None, list),
    };
    let mut nodes = Vec::new();
    let mut shown = Vec::new();
    for node in hosts.split(',') {
        if node.is_empty() || node.contains('/') {
            return Err(bad_url(
                "expected redis+cluster://HOST:PORT[,HOST:PORT...]: one or more nodes, \
                 no database number (a cluster has only database 0)"
                    .into(),
            ));
        }
        let url = match auth {
            Some(auth) => format!("redis://{auth}@{node}"),
            None => format!("redis://{node}"),
        };
        // The crate's message, not the URL: the URL may hold a password.
        let info = redis::IntoConnectionInfo::into_connection_info(url.as_str())
            .map_err(|e| bad_url(format!("node {}: {e}", shown.len() + 1)))?;
        match info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => shown.push(format!("{host}:{port}")),
            _ => return Err(bad_url("only plain TCP nodes are supported".into())),
        }
        nodes.push(info);
    }
    let client = redis::cluster::ClusterClient::builder(nodes)
        .retries(CLUSTER_RETRIES)
        .min_retry_wait(10)
        .max_retry_wait(100)
        .build()
        .map_err(|e| bad_url(e.to_string()))?;
    let target = format!("redis+cluster://{}", shown.join(","));
    Ok((Client::Cluster(client), target))
}

fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.len() > MAX_KEY_PREFIX_LEN || !prefix.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidArgument {
            what: "Redis key prefix",
            why: format!(
                "use at most {MAX_KEY_PREFIX_LEN} printable ASCII characters without spaces"
            ),
        });
    }
    Ok(())
}

/// The file name of the fallback file for the server at `url` and the key
/// prefix `key_prefix` (`None` for [`DEFAULT_KEY_PREFIX`]):
/// `redis-fallback-` and 16 hex digits of the SHA-256 of
/// `redis://HOST:PORT/DB` (a cluster: `redis+cluster://HOST:PORT,...`, its
/// nodes in the order given) and the prefix, then `.db`. The name depends on
/// the server, the database number and the prefix only, never on a
/// password; the caller chooses the folder (`medcode` uses its state
/// directory).
///
/// # Errors
///
/// [`Error::InvalidArgument`] (`invalid_argument`) for a URL
/// [`RedisReplayGuard::new`] refuses or a prefix
/// [`RedisReplayGuard::with_key_prefix`] refuses.
pub fn fallback_file_name(url: &str, key_prefix: Option<&str>) -> Result<String> {
    let (_, target) = open_client(url)?;
    let prefix = key_prefix.unwrap_or(DEFAULT_KEY_PREFIX);
    check_prefix(prefix)?;
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{target}\n{prefix}").as_bytes(),
    );
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("redis-fallback-{hex}.db"))
}

impl fmt::Debug for RedisReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fallback = match &*self.local {
            Local::Memory(_) => None,
            Local::File(file) => Some(file.path()),
        };
        f.debug_struct("RedisReplayGuard")
            .field("target", &self.remote.target)
            .field("prefix", &self.remote.prefix)
            .field("policy", &self.policy)
            .field("fallback_file", &fallback)
            .field("connect_timeout", &self.remote.connect_timeout)
            .field("io_timeout", &self.remote.io_timeout)
            .finish_non_exhaustive()
    }
}

impl ReplayGuard for RedisReplayGuard {
    fn mark_seen(&self, id: TokenId, until: UnixTime, now: UnixTime) -> Result<Option<Notice>> {
        let (until_s, now_s) = (until.as_secs(), now.as_secs());
        let fallback = self.policy == UnavailablePolicy::LocalFallback;
        // Under LocalFallback this till records every code it sees, so a
        // code it accepted (online or not) stays refused here during an
        // outage and after one (after a restart too, with a fallback file).
        let mut local_full = None;
        if fallback {
            self.remote.set_clock(now_s);
            match self.local.mark_seen(id, until, now) {
                Ok(_) => {}
                Err(e @ Error::ReplayGuardFull { .. }) => local_full = Some(e),
                Err(e) => return Err(e),
            }
        }
        match self
            .remote
            .set_if_absent(&self.key(id), ttl_ms(until_s, now_s))
        {
            Ok(recorded) => {
                self.remote.answered(now_s);
                if recorded {
                    Ok(None)
                } else {
                    Err(Error::Replayed {
                        token_id: id.to_string(),
                    })
                }
            }
            Err(e) => {
                let why = self.remote.unreachable(&e);
                let verdict = match (self.policy, local_full) {
                    (UnavailablePolicy::FailClosed, _) => {
                        Err(Error::ReplayGuardUnavailable { why })
                    }
                    (UnavailablePolicy::LocalFallback, Some(full)) => Err(full),
                    (UnavailablePolicy::LocalFallback, None) => {
                        self.remote
                            .add_pending([(id, until_s)], now_s, self.local.capacity());
                        Ok(Some(Notice::ReplayGuardLocalFallback))
                    }
                };
                if fallback {
                    self.start_pusher();
                }
                verdict
            }
        }
    }

    /// One pipelined round trip for all of `items` under fail-closed; under
    /// local-fallback, [`ReplayGuard::mark_seen`] per item (its bookkeeping
    /// of this till's own record is per code).
    fn mark_seen_many(
        &self,
        items: &[(TokenId, UnixTime)],
        now: UnixTime,
    ) -> Vec<Result<Option<Notice>>> {
        if self.policy == UnavailablePolicy::LocalFallback || items.len() < 2 {
            return items
                .iter()
                .map(|&(id, until)| self.mark_seen(id, until, now))
                .collect();
        }
        let now_s = now.as_secs();
        let keyed: Vec<(String, u64)> = items
            .iter()
            .map(|&(id, until)| (self.key(id), ttl_ms(until.as_secs(), now_s)))
            .collect();
        match self.remote.set_if_absent_many(&keyed) {
            Ok(recorded) => {
                self.remote.answered(now_s);
                items
                    .iter()
                    .zip(recorded)
                    .map(|(&(id, _), recorded)| {
                        if recorded {
                            Ok(None)
                        } else {
                            Err(Error::Replayed {
                                token_id: id.to_string(),
                            })
                        }
                    })
                    .collect()
            }
            Err(e) => {
                let why = self.remote.unreachable(&e);
                items
                    .iter()
                    .map(|_| Err(Error::ReplayGuardUnavailable { why: why.clone() }))
                    .collect()
            }
        }
    }

    /// `PING` (on a cluster, to every node). An answer after an outage is
    /// the recovery (pending codes are written, `Reachable` is reported) as
    /// an answered `SET` would be; no answer is reported as an outage.
    fn check_reachable(&self, now: UnixTime) -> Result<()> {
        let now_s = now.as_secs();
        match self.remote.ping() {
            Ok(()) => {
                self.remote.answered(now_s);
                Ok(())
            }
            Err(e) => {
                let why = self.remote.unreachable(&e);
                if self.policy == UnavailablePolicy::LocalFallback {
                    self.start_pusher();
                }
                Err(Error::ReplayGuardUnavailable { why })
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
    fn cluster_urls_list_nodes_without_credentials() {
        let g = RedisReplayGuard::new("redis+cluster://127.0.0.1:7000,localhost:7001").unwrap();
        assert_eq!(g.target(), "redis+cluster://127.0.0.1:7000,localhost:7001");
        assert_eq!(
            g.key(TokenId::from_bytes([0xab; 8])),
            "medcode:seen:abababababababab"
        );
        let g =
            RedisReplayGuard::new("redis+cluster://:s3cr@t,x@10.0.0.1:7000,10.0.0.2:7000").unwrap();
        assert_eq!(g.target(), "redis+cluster://10.0.0.1:7000,10.0.0.2:7000");
        assert!(!format!("{g:?}").contains("s3cr"));
        for bad in [
            "redis+cluster://",
            "redis+cluster://127.0.0.1:7000,",
            "redis+cluster://127.0.0.1:7000/1",
            "redis+cluster://127.0.0.1:7000,127.0.0.1:notaport",
            "redis+cluster:127.0.0.1:7000",
        ] {
            let err = RedisReplayGuard::new(bad).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_argument", "{bad}");
            assert!(!err.to_string().contains("s3cr"), "{err}");
        }
        // A password never reaches a message, not even a refused one.
        let err = RedisReplayGuard::new("redis+cluster://:hunter2@127.0.0.1:x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        // The fallback file is per cluster, password aside.
        assert_eq!(
            fallback_file_name("redis+cluster://:pw@127.0.0.1:7000,127.0.0.1:7001", None).unwrap(),
            fallback_file_name("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", None).unwrap()
        );
        assert_ne!(
            fallback_file_name("redis+cluster://127.0.0.1:7000", None).unwrap(),
            fallback_file_name("redis://127.0.0.1:7000", None).unwrap()
        );
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

    #[test]
    fn fallback_file_names_hide_the_password_and_tell_targets_apart() {
        let name = |url: &str, prefix: Option<&str>| fallback_file_name(url, prefix).unwrap();
        let plain = name("redis://127.0.0.1:6379", None);
        assert_eq!(plain.len(), "redis-fallback-".len() + 16 + ".db".len());
        assert!(plain.starts_with("redis-fallback-") && plain.ends_with(".db"));
        // The password and the spelling of the defaults do not change it.
        assert_eq!(name("redis://:secret@127.0.0.1:6379/0", None), plain);
        assert_eq!(
            name("redis://127.0.0.1:6379", Some(DEFAULT_KEY_PREFIX)),
            plain
        );
        // Another port, database or prefix does.
        for other in [
            name("redis://127.0.0.1:6380", None),
            name("redis://127.0.0.1:6379/1", None),
            name("redis://127.0.0.1:6379", Some("chain-42:")),
        ] {
            assert_ne!(other, plain);
        }
        assert_eq!(
            fallback_file_name("http://x", None)
                .unwrap_err()
                .reason()
                .as_str(),
            "invalid_argument"
        );
        assert_eq!(
            fallback_file_name("redis://127.0.0.1:6379", Some("a b"))
                .unwrap_err()
                .reason()
                .as_str(),
            "invalid_argument"
        );
    }
}
