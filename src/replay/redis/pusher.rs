//! The background push of a local-fallback guard: while the server is
//! unreachable (or codes accepted offline are not written yet) a thread
//! retries with a short backoff, so that the codes reach the server as soon
//! as it answers again, without waiting for the till's next check. While
//! there is nothing to push it asks the server every [`WATCH_INTERVAL`]
//! whether it restarted (its `run_id`): a server restarted without
//! persistence has lost every code, those accepted online included, and
//! the thread writes back every live code of the till's own records. The
//! thread ends when the guard is dropped.

use std::sync::PoisonError;
use std::thread::JoinHandle;
use std::time::Duration;

use super::remote::Remote;

/// First wait after a failed attempt.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
/// Longest wait between attempts: the push starts at most this long (plus
/// one connect timeout) after the server answers again.
const MAX_BACKOFF: Duration = Duration::from_millis(250);

/// How often an idle pusher asks the server whether it restarted.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_secs(1);

/// A running pusher thread.
pub(super) struct Pusher {
    remote: Remote,
    thread: JoinHandle<()>,
}

impl Pusher {
    /// Starts the thread, or `None` when the system cannot start one: the
    /// codes are then pushed by the next check that reaches the server.
    pub(super) fn start(remote: &Remote) -> Option<Pusher> {
        *remote
            .shared
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = false;
        let mine = remote.clone();
        let thread = std::thread::Builder::new()
            .name("medcode-redis-push".into())
            .spawn(move || run(&mine))
            .ok()?;
        Some(Pusher {
            remote: remote.clone(),
            thread,
        })
    }

    /// Stops the thread and waits for it (at most one attempt's timeouts).
    pub(super) fn stop(self) {
        *self
            .remote
            .shared
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.remote.shared.wake.notify_all();
        // A panic in the thread (a hook that panicked) has nothing left to
        // clean up.
        let _ = self.thread.join();
    }
}

fn run(remote: &Remote) {
    let shared = &remote.shared;
    let mut backoff = FIRST_BACKOFF;
    loop {
        {
            let mut stop = shared.stop.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked under the lock a waker takes, so no wake-up is missed.
            if !*stop && !remote.needs_push() {
                stop = shared
                    .wake
                    .wait_timeout(stop, WATCH_INTERVAL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if *stop {
                return;
            }
            if remote.needs_push() {
                let (stop, _) = shared
                    .wake
                    .wait_timeout(stop, backoff)
                    .unwrap_or_else(PoisonError::into_inner);
                if *stop {
                    return;
                }
            }
        }
        backoff = match remote.try_recover() {
            Ok(()) => FIRST_BACKOFF,
            Err(e) => {
                remote.unreachable(&e);
                (backoff * 2).min(MAX_BACKOFF)
            }
        };
    }
}
