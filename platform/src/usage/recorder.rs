//! The recorder: a bounded queue of records that one background thread
//! writes to a [`UsageStore`] in batches (one transaction each), so that
//! recording never blocks or fails a verdict.
//!
//! Two kinds of verdict are recorded differently:
//!
//! - A verdict that names a code whose signature held (accepted,
//!   replayed, refused after the signature) is queued as one record, and
//!   while the store is up it is never dropped, however fast verdicts
//!   come: the verifier asks the recorder to [admit](VerdictObserver::admit)
//!   them before it consumes the codes, and that call waits while the
//!   queue is at its bound (back-pressure on the verdicts to come, never a
//!   lost trace of a code already used).
//! - A verdict on input that is not a signed code (malformed, unknown key,
//!   bad signature, ...) names nobody: such junk is counted, per caller
//!   (`org_id`), reason and minute, into one record each with its
//!   [`count`](UsageRecord::count), so a flood of junk costs the store a
//!   few rows a minute and never crowds out a real record. The counts are
//!   bounded by [`JUNK_KEYS`] callers and reasons at a time; past it, junk
//!   is counted under no caller.
//!
//! When the store fails, the records go back to the front of the queue and
//! the writer tries again after a pause that doubles up to a maximum; they
//! are written once the store is back. During such an outage (and only
//! then) the queue keeps its bound by dropping the oldest records, counted
//! ([`UsageRecorder::dropped`]), never silently; a record the writer is
//! sending when it becomes one of those is dropped only if that write
//! fails (if it succeeds, nothing was lost). The writer takes its batch out
//! of the queue, so `record` holds the lock only to push.
//! [`UsageRecorder::shutdown`] writes what is left, waiting a bounded time.
//!
//! Group commit: a store that syncs every transaction (SQLite's
//! `synchronous = FULL`, PostgreSQL's commit) costs about the same for one
//! record as for hundreds, so the writer waits up to
//! [`RecorderOptions::linger`] after the first record of a batch for more
//! to come (a full batch goes at once), and `record` wakes the writer only
//! when it has something to do (the first record of an idle queue, a full
//! batch), not once per record: on a busy service one thread wake-up and
//! one sync per batch instead of per verdict.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::UsageStore;
use super::record::{UsageContext, UsageRecord, UsageVerdict};
use medcode::Reason;
use medcode::error::{Error, Result};
use medcode::time::UnixTime;
use medcode::verify::{TillContext, Verdict, VerdictObserver};

/// Records the queue holds by default: the bound at which verdicts wait
/// while the store is up, and past which the oldest are dropped while it
/// is down.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// How long the writer waits by default for a batch to fill: at 10,000
/// verdicts a second a full batch of [`DEFAULT_BATCH`] in 10 ms.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(10);

/// Most records one transaction writes by default. Small enough that
/// writing a batch is a short burst of CPU beside the verdicts on the same
/// core (measured with benches/service_load.sh at 16 connections: p99 3.6
/// to 3.8 ms with batches of 100 against 5.1 to 6.9 ms with 500), large
/// enough that one sync serves a hundred records.
pub const DEFAULT_BATCH: usize = 100;

/// The length of the interval whose junk verdicts one record counts.
pub const JUNK_INTERVAL_SECS: u64 = 60;

/// Most distinct (minute, caller, reason) counts of junk held at a time;
/// past it, junk is counted under no caller.
pub const JUNK_KEYS: usize = 4096;

/// How a recorder queues and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecorderOptions {
    /// Most records queued (written or not yet): verdicts wait for room
    /// while the store is up; past it the oldest are dropped while it is
    /// down.
    pub capacity: usize,
    /// Most records one transaction writes.
    pub batch: usize,
    /// The first pause after a failed write.
    pub min_backoff: Duration,
    /// The longest pause between tries.
    pub max_backoff: Duration,
    /// How long the writer waits after the first record of a batch for
    /// the batch to fill (group commit); `Duration::ZERO` writes each
    /// record as soon as the writer gets to it.
    pub linger: Duration,
}

impl Default for RecorderOptions {
    fn default() -> Self {
        RecorderOptions {
            capacity: DEFAULT_CAPACITY,
            batch: DEFAULT_BATCH,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            linger: DEFAULT_LINGER,
        }
    }
}

/// What one junk count is kept under: the start of its minute, the
/// caller, the reason.
type JunkKey = (u64, Option<String>, Reason);

#[derive(Default)]
struct State {
    /// Records waiting, oldest first (the writer's batch not among them).
    queue: VecDeque<UsageRecord>,
    /// Junk verdicts counted and not yet taken by the writer.
    junk: HashMap<JunkKey, u64>,
    /// Junk verdicts counted in all.
    junk_counted: u64,
    /// The last write failed: the store is down.
    failing: bool,
    /// The writer thread has ended.
    stopped: bool,
    /// Records the writer is sending (older than every queued one).
    in_flight: usize,
    /// Of those, how many are past the bound: dropped if the write fails.
    doomed: usize,
    next_seq: u64,
    written: u64,
    dropped: u64,
    failures: u64,
    /// Write what is left, then stop.
    closing: bool,
    /// Stop at once (the shutdown's wait is over).
    abandon: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Rung when a record is queued or the recorder closes.
    work: Condvar,
    /// Rung when the recorder closes: ends a pause early.
    wake: Condvar,
    /// Rung when the queue has room (a batch written, the store failing,
    /// the recorder closing).
    room: Condvar,
    capacity: usize,
    /// The batch size: a queue this long wakes a lingering writer.
    batch: usize,
    /// This recorder's random prefix of record ids.
    prefix: String,
}

impl State {
    /// Records that will be written if the store takes them.
    fn live(&self) -> usize {
        self.queue.len() + self.in_flight - self.doomed
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked leaves consistent counters: go on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A bounded queue of usage records and the thread that writes them.
pub struct UsageRecorder {
    shared: Arc<Shared>,
    done: Mutex<Option<Receiver<()>>>,
}

impl std::fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageRecorder")
            .field("backlog", &self.backlog())
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl UsageRecorder {
    /// Starts the writer thread on `store`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` for a capacity or batch of 0; `io` when the
    /// system random source (for the record ids) or a thread is unavailable.
    pub fn start(store: Box<dyn UsageStore>, options: RecorderOptions) -> Result<UsageRecorder> {
        if options.capacity == 0 || options.batch == 0 {
            return Err(Error::argument(
                "recorder options",
                "capacity and batch must be at least 1",
            ));
        }
        let prefix = random_prefix()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            wake: Condvar::new(),
            room: Condvar::new(),
            capacity: options.capacity,
            batch: options.batch,
            prefix,
        });
        let (tx, rx) = channel();
        let thread_shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("medcode-usage-writer".into())
            .spawn(move || write_loop(&thread_shared, store, &options, &tx))
            .map_err(|e| Error::io("the usage writer thread", "start", e))?;
        Ok(UsageRecorder {
            shared,
            done: Mutex::new(Some(rx)),
        })
    }

    /// Queues `record` (its id assigned here), or counts it as junk when
    /// it names nobody (a refusal before any signature held); never blocks
    /// and never fails. While the store is down and the queue at its bound,
    /// the oldest queued record is dropped and counted.
    pub fn record(&self, mut record: UsageRecord) {
        let mut st = self.shared.lock();
        if st.closing {
            st.dropped += record.count;
            return;
        }
        if let (None, Some(reason)) = (&record.insured, record.reason) {
            let interval = record.at.as_secs() - record.at.as_secs() % JUNK_INTERVAL_SECS;
            let mut key = (interval, record.context.org_id.take(), reason);
            if st.junk.len() >= JUNK_KEYS && !st.junk.contains_key(&key) {
                key.1 = None;
            }
            if st.junk.len() >= 2 * JUNK_KEYS && !st.junk.contains_key(&key) {
                st.dropped += record.count;
                return;
            }
            let was_idle = st.junk.is_empty() && st.queue.is_empty();
            *st.junk.entry(key).or_insert(0) += record.count;
            st.junk_counted += record.count;
            drop(st);
            if was_idle {
                self.shared.work.notify_one();
            }
            return;
        }
        st.next_seq += 1;
        record.id = format!("{}-{}", self.shared.prefix, st.next_seq);
        if st.failing && st.live() >= self.shared.capacity {
            if st.doomed < st.in_flight {
                // The oldest is being written: dropped only if that write fails.
                st.doomed += 1;
            } else if let Some(old) = st.queue.pop_front() {
                st.dropped += old.count;
            }
        }
        st.queue.push_back(record);
        // The writer waits for work only on an empty queue, and lingers
        // for a full batch: a wake-up at any other push would be wasted.
        let wake = st.queue.len() == 1 || st.queue.len() == self.shared.batch;
        drop(st);
        if wake {
            self.shared.work.notify_one();
        }
    }

    /// Waits until the queue has room for `count` more records while the
    /// store is up (at once when it is down, closing, or the queue is
    /// empty): see [`VerdictObserver::admit`].
    pub fn admit(&self, count: usize) {
        let mut st = self.shared.lock();
        while !st.closing
            && !st.stopped
            && !st.failing
            && st.live() > 0
            && st.live() + count > self.shared.capacity
        {
            // A bounded wait: the conditions are checked again even if a
            // wake-up is missed.
            st = self
                .shared
                .room
                .wait_timeout(st, Duration::from_millis(100))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Junk verdicts counted (not queued one by one) since the start.
    pub fn junk_counted(&self) -> u64 {
        self.shared.lock().junk_counted
    }

    /// Records queued and not yet written (those past the bound not counted).
    pub fn backlog(&self) -> u64 {
        u64::try_from(self.shared.lock().live()).unwrap_or(u64::MAX)
    }

    /// Verdicts whose record was dropped: the oldest, because the queue was
    /// full while the store was down, or recorded after shutdown.
    pub fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    /// Records written to the store.
    pub fn written(&self) -> u64 {
        self.shared.lock().written
    }

    /// Writes that failed (each retried later).
    pub fn failures(&self) -> u64 {
        self.shared.lock().failures
    }

    /// Stops recording and writes the backlog, waiting at most `wait` for
    /// the store; returns how many records were left unwritten (0 when
    /// everything was written). Later records are dropped and counted.
    pub fn shutdown(&self, wait: Duration) -> u64 {
        {
            let mut st = self.shared.lock();
            st.closing = true;
        }
        self.shared.work.notify_all();
        self.shared.wake.notify_all();
        self.shared.room.notify_all();
        let rx = self
            .done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(rx) = rx
            && matches!(rx.recv_timeout(wait), Err(RecvTimeoutError::Timeout))
        {
            let mut st = self.shared.lock();
            st.abandon = true;
            drop(st);
            self.shared.wake.notify_all();
            self.shared.work.notify_all();
        }
        u64::try_from(self.shared.lock().live()).unwrap_or(u64::MAX)
    }
}

/// The recorder hears every verdict of a verifier it is attached to
/// (`TillConfig::observer`, `Verifier::with_observer`): one record each.
impl VerdictObserver for UsageRecorder {
    fn observe(&self, verdict: &Verdict, context: &TillContext, now: UnixTime) {
        self.record(UsageRecord::from_verdict(
            verdict,
            &UsageContext::from(context),
            now,
        ));
    }

    fn admit(&self, count: usize) {
        UsageRecorder::admit(self, count);
    }
}

impl Drop for UsageRecorder {
    fn drop(&mut self) {
        // The writer finishes the backlog on its own (or when the process ends).
        self.shared.lock().closing = true;
        self.shared.work.notify_all();
        self.shared.wake.notify_all();
        self.shared.room.notify_all();
    }
}

fn random_prefix() -> Result<String> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 8];
    SystemRandom::new().fill(&mut bytes).map_err(|_| {
        Error::io(
            "the system random source",
            "read",
            std::io::Error::other("unavailable"),
        )
    })?;
    Ok(hex::encode(bytes))
}

/// Marks the writer stopped when it ends, however it ends: verdicts
/// waiting for room stop waiting.
struct Stopped<'a>(&'a Shared);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        self.0.lock().stopped = true;
        self.0.room.notify_all();
    }
}

/// The junk counts taken out of `st`, as records (their ids assigned).
fn take_junk(shared: &Shared, st: &mut State) -> Vec<UsageRecord> {
    let junk = std::mem::take(&mut st.junk);
    let mut records: Vec<UsageRecord> = junk
        .into_iter()
        .map(|((interval, org_id, reason), count)| UsageRecord {
            id: String::new(),
            at: UnixTime::from_secs(interval),
            verdict: UsageVerdict::Refused,
            reason: Some(reason),
            token_id: None,
            insured: None,
            presenter: None,
            relation: None,
            kind: None,
            context: UsageContext {
                org_id,
                ..UsageContext::default()
            },
            count,
        })
        .collect();
    records.sort_by(|a, b| (a.at, &a.context.org_id).cmp(&(b.at, &b.context.org_id)));
    for r in &mut records {
        st.next_seq += 1;
        r.id = format!("{}-{}", shared.prefix, st.next_seq);
    }
    records
}

fn write_loop(
    shared: &Shared,
    mut store: Box<dyn UsageStore>,
    options: &RecorderOptions,
    _done: &Sender<()>, // dropped when the thread ends: the shutdown's signal
) {
    let _stopped = Stopped(shared);
    let mut backoff = options.min_backoff;
    loop {
        let batch: Vec<UsageRecord> = {
            let mut st = shared.lock();
            loop {
                let idle = st.queue.is_empty() && st.junk.is_empty();
                if st.abandon || (st.closing && idle) {
                    return;
                }
                if !idle {
                    break;
                }
                st = shared.work.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
            // Group commit: wait a little for the batch to fill.
            let deadline = Instant::now() + options.linger;
            while st.queue.len() < options.batch && !st.closing && !st.abandon {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                st = shared
                    .work
                    .wait_timeout(st, left)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if st.abandon {
                return;
            }
            let n = st.queue.len().min(options.batch);
            st.in_flight = n;
            st.doomed = 0;
            let mut batch: Vec<UsageRecord> = st.queue.drain(..n).collect();
            let junk = take_junk(shared, &mut st);
            st.in_flight += junk.len();
            batch.extend(junk);
            batch
        };
        let result = store.insert(&batch);
        let mut st = shared.lock();
        let doomed = st.doomed;
        st.in_flight = 0;
        st.doomed = 0;
        match result {
            Ok(()) => {
                st.written += batch.iter().map(|r| r.count).sum::<u64>();
                st.failing = false;
                backoff = options.min_backoff;
                drop(st);
                shared.room.notify_all();
            }
            Err(_) => {
                // Back to the front, but for the oldest past the bound.
                st.dropped += batch.iter().take(doomed).map(|r| r.count).sum::<u64>();
                for record in batch.into_iter().skip(doomed).rev() {
                    st.queue.push_front(record);
                }
                // The store is down: the queue keeps its bound by dropping
                // the oldest, and verdicts stop waiting for room.
                st.failing = true;
                while st.live() > shared.capacity {
                    match st.queue.pop_front() {
                        Some(old) => st.dropped += old.count,
                        None => break,
                    }
                }
                st.failures += 1;
                shared.room.notify_all();
                if st.abandon {
                    return;
                }
                let (guard, _) = shared
                    .wake
                    .wait_timeout(st, backoff)
                    .unwrap_or_else(PoisonError::into_inner);
                drop(guard);
                backoff = (backoff * 2).min(options.max_backoff);
            }
        }
    }
}
