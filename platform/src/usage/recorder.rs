//! The recorder: a bounded queue of records that one background thread
//! writes to a [`UsageStore`] in batches (one transaction each), so that
//! recording never blocks or fails a verdict.
//!
//! When the store fails, the records go back to the front of the queue and
//! the writer tries again after a pause that doubles up to a maximum; they
//! are written once the store is back. Past the bound the oldest records
//! are dropped and counted ([`UsageRecorder::dropped`]), never silently; a
//! record the writer is sending when it becomes one of those is dropped
//! only if that write fails (if it succeeds, nothing was lost). The writer
//! takes its batch out of the queue, so `record` holds the lock only to
//! push. [`UsageRecorder::shutdown`] writes what is left, waiting a
//! bounded time.
//!
//! Group commit: a store that syncs every transaction (SQLite's
//! `synchronous = FULL`, PostgreSQL's commit) costs about the same for one
//! record as for hundreds, so the writer waits up to
//! [`RecorderOptions::linger`] after the first record of a batch for more
//! to come (a full batch goes at once), and `record` wakes the writer only
//! when it has something to do (the first record of an idle queue, a full
//! batch), not once per record: on a busy service one thread wake-up and
//! one sync per batch instead of per verdict.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::UsageStore;
use super::record::{UsageContext, UsageRecord};
use medcode::error::{Error, Result};
use medcode::time::UnixTime;
use medcode::verify::{TillContext, Verdict, VerdictObserver};

/// Records the queue holds by default before dropping the oldest.
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

/// How a recorder queues and writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecorderOptions {
    /// Most records queued (written or not yet); past it the oldest are dropped.
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

#[derive(Default)]
struct State {
    /// Records waiting, oldest first (the writer's batch not among them).
    queue: VecDeque<UsageRecord>,
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

    /// Queues `record` (its id assigned here); never blocks on the store
    /// and never fails. Past the capacity the oldest queued record is
    /// dropped and counted.
    pub fn record(&self, mut record: UsageRecord) {
        let mut st = self.shared.lock();
        if st.closing {
            st.dropped += 1;
            return;
        }
        st.next_seq += 1;
        record.id = format!("{}-{}", self.shared.prefix, st.next_seq);
        if st.live() >= self.shared.capacity {
            if st.doomed < st.in_flight {
                // The oldest is being written: dropped only if that write fails.
                st.doomed += 1;
            } else if st.queue.pop_front().is_some() {
                st.dropped += 1;
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

    /// Records queued and not yet written (those past the bound not counted).
    pub fn backlog(&self) -> u64 {
        u64::try_from(self.shared.lock().live()).unwrap_or(u64::MAX)
    }

    /// Records dropped, oldest first, because the queue was full (or
    /// recorded after shutdown).
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
}

impl Drop for UsageRecorder {
    fn drop(&mut self) {
        // The writer finishes the backlog on its own (or when the process ends).
        self.shared.lock().closing = true;
        self.shared.work.notify_all();
        self.shared.wake.notify_all();
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

fn write_loop(
    shared: &Shared,
    mut store: Box<dyn UsageStore>,
    options: &RecorderOptions,
    _done: &Sender<()>, // dropped when the thread ends: the shutdown's signal
) {
    let mut backoff = options.min_backoff;
    loop {
        let batch: Vec<UsageRecord> = {
            let mut st = shared.lock();
            loop {
                if st.abandon || (st.closing && st.queue.is_empty()) {
                    return;
                }
                if !st.queue.is_empty() {
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
            st.queue.drain(..n).collect()
        };
        let result = store.insert(&batch);
        let mut st = shared.lock();
        let doomed = st.doomed;
        st.in_flight = 0;
        st.doomed = 0;
        match result {
            Ok(()) => {
                st.written += u64::try_from(batch.len()).unwrap_or(u64::MAX);
                backoff = options.min_backoff;
            }
            Err(_) => {
                // Back to the front, but for the oldest past the bound.
                st.dropped += u64::try_from(doomed).unwrap_or(u64::MAX);
                for record in batch.into_iter().skip(doomed).rev() {
                    st.queue.push_front(record);
                }
                st.failures += 1;
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
