//! The system clock: the only place medcode reads it, and the one-second
//! pacing of the refreshing screens.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use medcode::UnixTime;

/// The only place medcode reads the system clock.
pub(crate) fn system_now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    UnixTime::from_secs(secs)
}

/// Sleeps in short steps until the system clock passes `now` or `stop` is set.
pub(crate) fn wait_for_next_second(now: UnixTime, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) && system_now() <= now {
        std::thread::sleep(Duration::from_millis(50));
    }
}
