//! The usage records' store as the commands open it: the `--usage-db URL`
//! of `serve`, the till-side commands (`verify`, `till`, `wallet pay`),
//! `usage prune` and `family ... usage`, the recorder hearing a verifier's
//! verdicts, and the backlog written when a process stops.

use std::sync::Arc;
use std::time::Duration;

use crate::output::warn;
use medcode::Error;
use medcode::Verifier;
use medcode::verify::VerdictObserver;
use medcode_platform::usage::{RecorderOptions, UsageRecorder, UsageStore, open_usage_store};

/// How long a stopping process waits for the usage store to take the backlog.
pub(crate) const FLUSH_WAIT: Duration = Duration::from_secs(10);

/// Opens the store of a `--usage-db` URL (`off` is not a store).
pub(crate) fn open(url: &str) -> Result<Box<dyn UsageStore>, Error> {
    if url == "off" {
        return Err(Error::InvalidArgument {
            what: "--usage-db",
            why: "off is not a usage store: give sqlite:PATH or postgres://USER@HOST:PORT/DB"
                .to_owned(),
        });
    }
    open_usage_store(url)
}

/// `verifier` with `recorder`, if any, hearing its verdicts.
pub(crate) fn observed(verifier: Verifier, recorder: Option<&Arc<UsageRecorder>>) -> Verifier {
    match recorder {
        Some(r) => verifier.with_observer(Arc::clone(r) as Arc<dyn VerdictObserver>),
        None => verifier,
    }
}

/// A recorder writing to the store of `url`.
pub(crate) fn recorder(url: &str) -> Result<UsageRecorder, Error> {
    UsageRecorder::start(open(url)?, RecorderOptions::default())
}

/// Writes the backlog of a stopping process, and says what could not be.
pub(crate) fn flush(recorder: &UsageRecorder) {
    let left = recorder.shutdown(FLUSH_WAIT);
    if left > 0 {
        warn(&format!(
            "{left} usage records were not written: the usage store did not take them within {} s",
            FLUSH_WAIT.as_secs()
        ));
    }
    let dropped = recorder.dropped();
    if dropped > 0 {
        warn(&format!(
            "{dropped} usage records were dropped while the usage store was unreachable (the oldest first)"
        ));
    }
}
