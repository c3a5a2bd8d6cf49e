//! The service's log: one line per event on standard error, each written
//! in one `write`, by a thread of its own. A request never waits for the
//! log: lines go through a bounded queue ([`QUEUE_LINES`]), and when
//! whoever reads standard error falls behind (a full pipe, a stalled
//! collector) the lines past the bound are dropped and counted
//! ([`dropped`], `medcode_log_lines_dropped_total`) rather than blocking
//! the service.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// Lines queued for the log's thread at most.
pub(crate) const QUEUE_LINES: usize = 4096;

/// The queue to the log's thread (`None` when the thread cannot start).
static WRITER: OnceLock<Option<SyncSender<String>>> = OnceLock::new();
/// Lines dropped because the queue was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Lines queued and not yet written.
static PENDING: AtomicU64 = AtomicU64::new(0);
/// Serialises the direct writes made when the log's thread cannot start.
static DIRECT: Mutex<()> = Mutex::new(());

fn writer() -> Option<&'static SyncSender<String>> {
    WRITER
        .get_or_init(|| {
            let (queue, lines) = sync_channel(QUEUE_LINES);
            std::thread::Builder::new()
                .name("medcode-log".into())
                .spawn(move || write_lines(&lines))
                .ok()
                .map(|_| queue)
        })
        .as_ref()
}

fn write_lines(lines: &Receiver<String>) {
    let stderr = std::io::stderr();
    for line in lines {
        let _ = stderr.lock().write_all(line.as_bytes());
        PENDING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Queues one line of the service's log for standard error (written in one
/// `write`: stderr is unbuffered, and `writeln!` would make a system call
/// per formatted piece and let the lines of concurrent requests
/// interleave). Never blocks: a line the queue has no room for is dropped
/// and counted.
pub(crate) fn log_line(line: std::fmt::Arguments<'_>) {
    let mut buf = std::fmt::format(line);
    buf.push('\n');
    match writer() {
        Some(queue) => {
            PENDING.fetch_add(1, Ordering::AcqRel);
            if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = queue.try_send(buf)
            {
                PENDING.fetch_sub(1, Ordering::AcqRel);
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        None => {
            let _held = DIRECT.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = std::io::stderr().write_all(buf.as_bytes());
        }
    }
}

/// One `medcode: ...` line of the service's log.
pub(crate) fn log(line: &str) {
    log_line(format_args!("medcode: {line}"));
}

/// Lines dropped because the log's queue was full.
pub(crate) fn dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Waits at most `wait` for the queued lines to be written (at the exit).
pub(crate) fn flush(wait: Duration) {
    let until = Instant::now() + wait;
    while PENDING.load(Ordering::Acquire) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One `medcode: warning: ...` line of the service's log, queued as the
/// others (a warning per request, such as a replay guard out of reach,
/// must not block requests either).
pub(crate) fn warn(line: &str) {
    log_line(format_args!("medcode: warning: {line}"));
}
