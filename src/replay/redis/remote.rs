//! The guard's side of the wire: a pool of connections to one server or
//! one Redis Cluster, the `SET NX PX` of a check, and the push of the codes
//! accepted offline.
//!
//! A [`Remote`] is cloned into the background pusher; the clones share
//! one [`Shared`] (pool, pending codes, reachability, the caller's clock).
//! [`Client`] and [`Connection`] are the only places that tell a single
//! server from a cluster: a check's key is one token id, so it lives on one
//! slot, and every command is the same on both.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::token::TokenId;

use super::{Local, RedisEvent};

pub(super) type EventHook = Arc<dyn Fn(&RedisEvent) + Send + Sync>;

/// Most `SET` commands sent in one pipelined round trip of a push.
const PUSH_CHUNK: usize = 1000;

/// Where the keys live: one server, or a Redis Cluster whose connection
/// routes each key to the node serving its slot.
#[derive(Clone)]
pub(super) enum Client {
    Node(redis::Client),
    Cluster(redis::cluster::ClusterClient),
}

/// A connection of a [`Client`]. A cluster connection holds one
/// connection per node and follows the cluster's redirections itself.
pub(super) enum Connection {
    Node(redis::Connection),
    /// Boxed: it holds one connection per node and the slot map.
    Cluster(Box<redis::cluster::ClusterConnection>),
}

impl Client {
    fn connect(&self, connect: Duration, io: Duration) -> redis::RedisResult<Connection> {
        match self {
            Client::Node(client) => {
                let conn = client.get_connection_with_timeout(connect)?;
                conn.set_read_timeout(Some(io))?;
                conn.set_write_timeout(Some(io))?;
                Ok(Connection::Node(conn))
            }
            Client::Cluster(client) => {
                let config = redis::cluster::ClusterConfig::new()
                    .set_connection_timeout(connect)
                    .set_response_timeout(io);
                let conn = client.get_connection_with_config(config)?;
                conn.set_write_timeout(Some(io))?;
                Ok(Connection::Cluster(Box::new(conn)))
            }
        }
    }

    /// True when a command may have been sent more than once by the
    /// connection itself (a cluster connection retries after a broken
    /// node connection or a redirection), so that a `SET NX` answered
    /// "exists" may be this very check's own write.
    fn retries_itself(&self) -> bool {
        matches!(self, Client::Cluster(_))
    }
}

impl Connection {
    fn like(&mut self) -> &mut dyn redis::ConnectionLike {
        match self {
            Connection::Node(conn) => conn,
            Connection::Cluster(conn) => conn.as_mut(),
        }
    }

    /// Sends `commands` pipelined, their replies ignored (a cluster
    /// pipeline sends each to its key's node).
    fn pipeline(&mut self, commands: &[redis::Cmd]) -> redis::RedisResult<()> {
        match self {
            Connection::Node(conn) => {
                let mut pipe = redis::pipe();
                for cmd in commands {
                    pipe.add_command(cmd.clone()).ignore();
                }
                pipe.query::<()>(conn)
            }
            Connection::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                for cmd in commands {
                    pipe.add_command(cmd.clone()).ignore();
                }
                pipe.query::<()>(conn)
            }
        }
    }
}

impl Connection {
    /// Sends `commands` pipelined and returns their replies, in order.
    fn pipeline_replies(
        &mut self,
        commands: &[redis::Cmd],
    ) -> redis::RedisResult<Vec<redis::Value>> {
        match self {
            Connection::Node(conn) => {
                let mut pipe = redis::pipe();
                for cmd in commands {
                    pipe.add_command(cmd.clone());
                }
                pipe.query(conn)
            }
            Connection::Cluster(conn) => {
                let mut pipe = redis::cluster::cluster_pipe();
                for cmd in commands {
                    pipe.add_command(cmd.clone());
                }
                pipe.query(conn.as_mut())
            }
        }
    }
}

/// What the clones of one guard's [`Remote`] share.
pub(super) struct Shared {
    idle: Mutex<Vec<Connection>>,
    /// Codes accepted locally while the server was unreachable (and, after
    /// a restart, the live codes of the fallback file), with the second
    /// they stay recorded until: written to the server on recovery.
    pending: Mutex<Vec<(TokenId, u64)>>,
    down: AtomicBool,
    /// Held while the pending codes are written and the recovery reported,
    /// so that a check and the pusher report one recovery once.
    recovery: Mutex<()>,
    /// The last time a caller gave (`now` of a check) and the instant it
    /// was given: the pusher's clock. The library reads no wall clock; a
    /// monotonic instant measures the time since.
    clock: Mutex<Option<(u64, Instant)>>,
    nonce_counter: AtomicU64,
    /// The server's `run_id` when last asked: another one means the
    /// server restarted (and, without persistence, lost its keys).
    run_id: Mutex<Option<String>>,
    /// True while the guard keeps its own records and has not learned the
    /// server's `run_id` yet: the next answer asks for it. One atomic load
    /// on a check's path, no lock.
    learn_run_id: AtomicBool,
    /// `local` is set: this till writes its own records back.
    writes_back: AtomicBool,
    /// The guard's own records under local-fallback, written back to a
    /// server that restarted.
    local: Mutex<Option<Arc<Local>>>,
    /// The pusher's wake-up: `true` once the guard is dropped.
    pub(super) stop: Mutex<bool>,
    pub(super) wake: Condvar,
}

/// A connection to the server and what a push needs.
#[derive(Clone)]
pub(super) struct Remote {
    pub(super) client: Client,
    /// `redis://HOST:PORT/DB` or `redis+cluster://HOST:PORT,...`, without
    /// credentials, for messages.
    pub(super) target: String,
    pub(super) prefix: String,
    pub(super) connect_timeout: Duration,
    pub(super) io_timeout: Duration,
    pub(super) max_idle: usize,
    pub(super) hook: Option<EventHook>,
    /// Per-process random base of the values stored, so that a check that
    /// retries after a lost reply recognises its own write.
    pub(super) nonce_base: u64,
    pub(super) shared: Arc<Shared>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves its data consistent: a panic elsewhere
    // does not make it unusable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub(super) fn new() -> Self {
        Shared {
            idle: Mutex::new(Vec::new()),
            pending: Mutex::new(Vec::new()),
            down: AtomicBool::new(false),
            recovery: Mutex::new(()),
            clock: Mutex::new(None),
            nonce_counter: AtomicU64::new(0),
            run_id: Mutex::new(None),
            learn_run_id: AtomicBool::new(false),
            writes_back: AtomicBool::new(false),
            local: Mutex::new(None),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        }
    }
}

impl Remote {
    /// The Redis key recording `id`.
    pub(super) fn key(&self, id: TokenId) -> String {
        format!("{}{id}", self.prefix)
    }

    fn connect(&self) -> redis::RedisResult<Connection> {
        self.client.connect(self.connect_timeout, self.io_timeout)
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = lock(&self.shared.idle);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    /// Runs `f` on a pooled connection (or a new one). A pooled connection
    /// may have died since its last use (the server restarted): on a broken
    /// connection `f` runs once more on a fresh one, with `retried` set.
    fn with_connection<T>(
        &self,
        f: impl Fn(&mut Connection, bool) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let pooled = lock(&self.shared.idle).pop();
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
                lock(&self.shared.idle).clear();
                let mut conn = self.connect()?;
                let value = f(&mut conn, true)?;
                self.give_back(conn);
                Ok(value)
            }
        }
    }

    /// `PING`: the server answers (on a cluster, every node).
    pub(super) fn ping(&self) -> redis::RedisResult<()> {
        self.with_connection(|conn, _| redis::cmd("PING").query::<()>(conn.like()))
    }

    /// `SET key nonce NX PX ttl_ms`: true when this call recorded the key.
    pub(super) fn set_if_absent(&self, key: &str, ttl_ms: u64) -> redis::RedisResult<bool> {
        let nonce = self
            .nonce_base
            .wrapping_add(self.shared.nonce_counter.fetch_add(1, Ordering::Relaxed));
        let mut set = redis::cmd("SET");
        set.arg(key).arg(nonce).arg("NX").arg("PX").arg(ttl_ms);
        let retries_itself = self.client.retries_itself();
        // Under local-fallback this till's own records are written back
        // (value `nonce_base`) by its thread, and a code is recorded in them
        // before the server is asked: a write-back may land between the two.
        // The till's own records already refuse a code it saw before, so a
        // key holding its own write-back is this very check's code.
        let writes_back = self.shared.writes_back.load(Ordering::Acquire);
        self.with_connection(|conn, retried| {
            match set.query::<redis::Value>(conn.like())? {
                redis::Value::Okay => Ok(true),
                redis::Value::SimpleString(s) if s == "OK" => Ok(true),
                redis::Value::Nil if retried || retries_itself || writes_back => {
                    // An attempt's reply may have been lost: it may have
                    // been this very check that recorded the key (or this
                    // till's write-back of it).
                    let held: Option<u64> = redis::cmd("GET").arg(key).query(conn.like())?;
                    Ok(held == Some(nonce) || (writes_back && held == Some(self.nonce_base)))
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

    /// [`Remote::set_if_absent`] for several keys in one pipelined round
    /// trip, in order: true for each key this call recorded.
    pub(super) fn set_if_absent_many(
        &self,
        items: &[(String, u64)],
    ) -> redis::RedisResult<Vec<bool>> {
        let first = self
            .shared
            .nonce_counter
            .fetch_add(items.len() as u64, Ordering::Relaxed);
        let nonce = |i: usize| self.nonce_base.wrapping_add(first).wrapping_add(i as u64);
        let commands: Vec<redis::Cmd> = items
            .iter()
            .enumerate()
            .map(|(i, (key, ttl_ms))| {
                let mut set = redis::cmd("SET");
                set.arg(key).arg(nonce(i)).arg("NX").arg("PX").arg(*ttl_ms);
                set
            })
            .collect();
        let retries_itself = self.client.retries_itself();
        self.with_connection(|conn, retried| {
            let replies = conn.pipeline_replies(&commands)?;
            if replies.len() != items.len() {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::UnexpectedReturnType,
                    "a pipelined SET NX answered with another number of replies",
                )));
            }
            replies
                .into_iter()
                .enumerate()
                .map(|(i, reply)| match reply {
                    redis::Value::Okay => Ok(true),
                    redis::Value::SimpleString(s) if s == "OK" => Ok(true),
                    redis::Value::Nil if retried || retries_itself => {
                        // As in set_if_absent: an attempt may have
                        // recorded it.
                        let held: Option<u64> =
                            redis::cmd("GET").arg(&items[i].0).query(conn.like())?;
                        Ok(held == Some(nonce(i)))
                    }
                    redis::Value::Nil => Ok(false),
                    other => Err(redis::RedisError::from((
                        redis::ErrorKind::UnexpectedReturnType,
                        "unexpected reply to SET NX",
                        format!("{other:?}"),
                    ))),
                })
                .collect()
        })
    }

    /// Records the time a caller gave, the pusher's clock from now on.
    pub(super) fn set_clock(&self, now: u64) {
        *lock(&self.shared.clock) = Some((now, Instant::now()));
    }

    /// The caller's last time plus the seconds elapsed since it was given;
    /// `None` before any.
    fn clock(&self) -> Option<u64> {
        lock(&self.shared.clock).map(|(secs, at)| secs.saturating_add(at.elapsed().as_secs()))
    }

    /// True while the server is taken to be unreachable.
    pub(super) fn is_down(&self) -> bool {
        self.shared.down.load(Ordering::Acquire)
    }

    /// True while there is something for the pusher to do.
    pub(super) fn needs_push(&self) -> bool {
        self.is_down() || !lock(&self.shared.pending).is_empty()
    }

    /// Wakes the pusher (it re-checks [`Remote::needs_push`]).
    pub(super) fn wake(&self) {
        let _stop = lock(&self.shared.stop);
        self.shared.wake.notify_all();
    }

    /// Adds codes to be written on recovery, at most `capacity` in all:
    /// expired ones make room first, beyond that a code is not pushed.
    pub(super) fn add_pending(
        &self,
        codes: impl IntoIterator<Item = (TokenId, u64)>,
        now: u64,
        capacity: usize,
    ) {
        let mut pending = lock(&self.shared.pending);
        for code in codes {
            if pending.len() >= capacity {
                pending.retain(|&(_, until)| until >= now);
            }
            if pending.len() < capacity {
                pending.push(code);
            }
        }
    }

    /// Writes the codes accepted locally during an outage to the server,
    /// pipelined ([`PUSH_CHUNK`] a round trip). With the caller's time
    /// `now`, the expired ones are dropped and the keys live as a check's
    /// (`PX`); without one (a restarted till that has checked nothing yet)
    /// they expire at their recorded second by the server's clock (`EXAT`;
    /// one already past is not kept). Returns how many were written; on
    /// failure the unwritten ones stay pending.
    fn push_pending(&self, now: Option<u64>) -> redis::RedisResult<usize> {
        let pending = std::mem::take(&mut *lock(&self.shared.pending));
        let mut live: Vec<_> = pending
            .into_iter()
            .filter(|&(_, until)| now.is_none_or(|now| until >= now))
            .collect();
        let mut written = 0;
        while !live.is_empty() {
            let chunk = live.len().min(PUSH_CHUNK);
            let commands: Vec<redis::Cmd> = live[..chunk]
                .iter()
                .map(|&(id, until)| {
                    let mut set = redis::cmd("SET");
                    set.arg(self.key(id)).arg(self.nonce_base).arg("NX");
                    match now {
                        Some(now) => set.arg("PX").arg(ttl_ms(until, now)),
                        None => set.arg("EXAT").arg(until.saturating_add(1)),
                    };
                    set
                })
                .collect();
            if let Err(e) = self.with_connection(|conn, _| conn.pipeline(&commands)) {
                // Keep them for the next attempt.
                lock(&self.shared.pending).extend(live);
                return Err(e);
            }
            live.drain(..chunk);
            written += chunk;
        }
        Ok(written)
    }

    /// The server answered (a check's `SET`) at `now`: writes what is
    /// pending and reports the recovery once. On failure the server is
    /// taken to be unreachable again. Under local-fallback the first answer
    /// also learns the server's `run_id`, so that a restart after it is
    /// noticed.
    pub(super) fn answered(&self, now: u64) {
        if self.shared.learn_run_id.load(Ordering::Acquire) {
            let _ = self.restarted();
        }
        if !self.needs_push() {
            return;
        }
        if let Err(e) = self.recover(Some(now)) {
            self.unreachable(&e);
        }
    }

    /// The pusher's attempt: writes what is pending (or, with nothing
    /// pending while the server is taken to be down, asks it for `PING`)
    /// and reports the recovery once.
    pub(super) fn try_recover(&self) -> redis::RedisResult<()> {
        if self.is_down() && lock(&self.shared.pending).is_empty() {
            // On a cluster, PING goes to every node.
            self.ping()?;
        }
        self.recover(self.clock())
    }

    /// Sets the records that a restarted server is given back (`None`:
    /// none, the guard refuses rather than falls back).
    pub(super) fn share_local(&self, local: Option<Arc<Local>>) {
        let writes_back = local.is_some();
        let learn = writes_back && lock(&self.shared.run_id).is_none();
        *lock(&self.shared.local) = local;
        self.shared
            .writes_back
            .store(writes_back, Ordering::Release);
        self.shared.learn_run_id.store(learn, Ordering::Release);
    }

    /// Asks the server for its `run_id` (`INFO server`): true when it is
    /// not the one seen before, so the server restarted since and, without
    /// persistence, lost the codes recorded before. A Redis Cluster is not
    /// asked (its nodes restart one by one; run it with persistence).
    fn restarted(&self) -> redis::RedisResult<bool> {
        if self.client.retries_itself() {
            return Ok(false);
        }
        let info: String =
            self.with_connection(|conn, _| redis::cmd("INFO").arg("server").query(conn.like()))?;
        let run_id = info
            .lines()
            .find_map(|l| l.strip_prefix("run_id:"))
            .map(|v| v.trim().to_owned());
        let mut seen = lock(&self.shared.run_id);
        let restarted = matches!((&*seen, &run_id), (Some(before), Some(now)) if before != now);
        if run_id.is_some() {
            *seen = run_id;
            self.shared.learn_run_id.store(false, Ordering::Release);
        }
        Ok(restarted)
    }

    /// Queues every live code of this till's own records to be written:
    /// after a restart the server holds none of them, offline or not.
    fn requeue_local(&self) {
        let local = lock(&self.shared.local).clone();
        if let Some(local) = local
            && let Ok(codes) = local.entries()
        {
            let mut pending = lock(&self.shared.pending);
            let have: std::collections::HashSet<TokenId> =
                pending.iter().map(|&(id, _)| id).collect();
            pending.extend(codes.into_iter().filter(|(id, _)| !have.contains(id)));
        }
    }

    fn recover(&self, now: Option<u64>) -> redis::RedisResult<()> {
        let _one = lock(&self.shared.recovery);
        if self.restarted()? {
            self.requeue_local();
        }
        let synced = self.push_pending(now)?;
        if self.shared.down.swap(false, Ordering::AcqRel) {
            self.report(&RedisEvent::Reachable { synced });
        }
        Ok(())
    }

    fn report(&self, event: &RedisEvent) {
        if let Some(hook) = &self.hook {
            hook(event);
        }
    }

    /// Takes the server to be unreachable after `e`, reports the change
    /// once, and returns what failed.
    pub(super) fn unreachable(&self, e: &redis::RedisError) -> String {
        let why = format!("{}: {e}", self.target);
        if !self.shared.down.swap(true, Ordering::AcqRel) {
            self.report(&RedisEvent::Unreachable { why: why.clone() });
        }
        why
    }
}

/// True when the connection cannot be used again after `e`.
fn broken(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_unrecoverable_error()
}

/// Milliseconds a key lives: through the whole second `until`, as the
/// in-memory guard keeps an entry while `until >= now`.
pub(super) fn ttl_ms(until: u64, now: u64) -> u64 {
    until
        .saturating_sub(now)
        .saturating_add(1)
        .saturating_mul(1000)
}
