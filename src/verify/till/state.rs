//! The rollback state file: the highest signed-list sequence numbers a
//! till has used, per root key id, kept across restarts.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::files::{read_bounded, write_replace};

/// Largest rollback state file read, in bytes.
pub const MAX_STATE_FILE_LEN: u64 = 64 * 1024;

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct Sequences {
    #[serde(default)]
    pub(super) trust: u64,
    #[serde(default)]
    pub(super) revocation: u64,
}

/// The rollback state file: the highest sequences used, per root key id.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct State {
    pub(super) roots: BTreeMap<String, Sequences>,
}

impl State {
    pub(super) fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(State::default());
        }
        let bytes = read_bounded(path, MAX_STATE_FILE_LEN, "state file")?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
            why: format!("state file {}: {e}", path.display()),
        })
    }

    /// Writes the state, keeping the higher of each number if another run
    /// raised it meanwhile.
    pub(super) fn save(&self, path: &Path) -> Result<()> {
        let mut merged = State::load(path).unwrap_or_default();
        for (kid, s) in &self.roots {
            let e = merged.roots.entry(kid.clone()).or_default();
            e.trust = e.trust.max(s.trust);
            e.revocation = e.revocation.max(s.revocation);
        }
        let mut text = serde_json::to_string(&merged).map_err(|e| Error::Storage {
            why: format!("state file {}: {e}", path.display()),
        })?;
        text.push('\n');
        write_replace(path, text.as_bytes())
    }
}
