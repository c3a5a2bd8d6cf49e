//! The replay guard a verifier gets from its options.

use std::sync::Arc;

use medcode::replay::{FileReplayGuard, MemoryReplayGuard, RedisReplayGuard, ReplayGuard};

use crate::guard::Failure;
use crate::options::ReplayChoice;

/// Opens the guard the options name: `None` for `MEDCODE_REPLAY_NONE`.
/// Errors: the file store's (`storage` for a file that is not a replay
/// store or cannot be opened), and `invalid_argument` for a Redis URL or
/// key prefix the guard refuses. A Redis guard connects on the first check,
/// so a server that is down now is no error here: under fail-closed the
/// checks are refused until it answers.
pub(crate) fn open(choice: &ReplayChoice) -> Result<Option<Arc<dyn ReplayGuard>>, Failure> {
    let fail = |e: medcode::Error| Failure::from_error(&e);
    Ok(match choice {
        ReplayChoice::None => None,
        ReplayChoice::Memory => Some(Arc::new(MemoryReplayGuard::new())),
        ReplayChoice::File(path) => Some(Arc::new(FileReplayGuard::open(path).map_err(fail)?)),
        ReplayChoice::Redis {
            url,
            policy,
            key_prefix,
        } => {
            let mut guard = RedisReplayGuard::new(url)
                .map_err(fail)?
                .with_policy(*policy);
            if let Some(prefix) = key_prefix {
                guard = guard.with_key_prefix(prefix).map_err(fail)?;
            }
            Some(Arc::new(guard))
        }
    })
}
