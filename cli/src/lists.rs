//! The list options of `medcode verify` (and `medcode trust status`):
//! an unsigned trust list, or signed trust and revocation lists checked
//! against a pinned root key, with an optional state file that refuses a
//! rollback across runs.
//!
//! The state file is JSON, one entry per pinned root key id, holding the
//! highest sequence numbers this till has used:
//!
//! ```json
//! {"roots":{"1a2b3c4d":{"trust":3,"revocation":12}}}
//! ```
//!
//! A list with a lower sequence is refused (`invalid_trust_list`, exit 2);
//! a higher one raises the entry (the file is replaced atomically). Without
//! `--state` each run only knows the files it is given: a till that must
//! never go back to an older list across restarts keeps a state file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::files::{read_bounded, write_replace};
use medcode::Error;
use medcode::UnixTime;
use medcode::error::{ListLayer, ListProblem};
use medcode::lists::RevocationList;
use medcode::lists::TrustList;
use medcode::lists::{ListKind, MAX_SIGNED_LIST_LEN, RootKey, SignedList};
use medcode::verify::Verifier;

/// Largest state file read, in bytes.
const MAX_STATE_LEN: u64 = 64 * 1024;

#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Trust list: unsigned JSON, or a signed list (then --root-key is required).
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Pinned root public key (ROOT.pub) that signs the trust and revocation lists.
    #[arg(long, value_name = "ROOT.pub")]
    root_key: Option<PathBuf>,
    /// Revocation list: signed when --root-key is given, unsigned JSON otherwise.
    #[arg(long, value_name = "FILE")]
    revocations: Option<PathBuf>,
    /// Keeps the highest list sequence numbers seen; refuses an older list on later runs.
    #[arg(long, value_name = "FILE", requires = "root_key")]
    state: Option<PathBuf>,
}

fn read_list_file(path: &Path) -> Result<Vec<u8>, Error> {
    medcode::lists::read_list_file(path, MAX_SIGNED_LIST_LEN)
}

/// Reads a signed list for a verifier pinning a root key.
fn read_signed(path: &Path, bytes: &[u8], flag: &'static str) -> Result<SignedList, Error> {
    if !SignedList::is_envelope(bytes) {
        return Err(Error::InvalidArgument {
            what: flag,
            why: format!(
                "{} is not a signed list, but --root-key was given: sign it with `medcode trust sign` or drop --root-key",
                path.display()
            ),
        });
    }
    SignedList::from_json(bytes).map_err(|e| e.in_list_file(path))
}

/// Builds the verifier the options describe.
pub(crate) fn load_verifier(args: &ListArgs, now: UnixTime) -> Result<Verifier, Error> {
    let trust_bytes = read_list_file(&args.trust)?;
    let Some(root_path) = &args.root_key else {
        if SignedList::is_envelope(&trust_bytes) {
            return Err(Error::InvalidArgument {
                what: "--trust",
                why: format!(
                    "{} is a signed list: give the pinned root key with --root-key ROOT.pub",
                    args.trust.display()
                ),
            });
        }
        let trust = TrustList::from_json(&trust_bytes).map_err(|e| e.in_list_file(&args.trust))?;
        let mut verifier = Verifier::new(trust);
        if let Some(path) = &args.revocations {
            let bytes = read_list_file(path)?;
            if SignedList::is_envelope(&bytes) {
                return Err(Error::InvalidArgument {
                    what: "--revocations",
                    why: format!(
                        "{} is a signed list: give the pinned root key with --root-key ROOT.pub (and a signed trust list)",
                        path.display()
                    ),
                });
            }
            verifier = verifier.with_revocations(
                RevocationList::from_json(&bytes).map_err(|e| e.in_list_file(path))?,
            );
        }
        return Ok(verifier);
    };

    let root = RootKey::from_file(root_path)?;
    let signed_trust = read_signed(&args.trust, &trust_bytes, "--trust")?;
    drop(trust_bytes);
    let signed_revocations = match &args.revocations {
        Some(path) => Some((
            path,
            read_signed(path, &read_list_file(path)?, "--revocations")?,
        )),
        None => None,
    };
    let mut state = match &args.state {
        Some(path) => Some(State::load(path)?),
        None => None,
    };
    let verifier = Verifier::from_signed(root.clone(), &signed_trust)
        .map_err(|e| e.in_list_file(&args.trust))?;
    if let Some((path, list)) = &signed_revocations {
        verifier
            .update_revocations(list)
            .map_err(|e| e.in_list_file(path))?;
    }
    if let (Some(state), Some(state_path)) = (&mut state, &args.state) {
        let kid = root.key_id().to_string();
        let entry = state.roots.entry(kid).or_default();
        let mut raised = false;
        for status in verifier.list_status(now) {
            let (kind, sequence) = (status.info.kind, status.info.sequence);
            let (held, file) = match kind {
                ListKind::Trust => (&mut entry.trust, args.trust.as_path()),
                ListKind::Revocation => (
                    &mut entry.revocation,
                    args.revocations.as_deref().unwrap_or(&args.trust),
                ),
            };
            if sequence < *held {
                return Err(Error::InvalidList {
                    list: Some(kind),
                    layer: ListLayer::Envelope,
                    file: Some(file.to_path_buf()),
                    problem: ListProblem::Rollback {
                        installed: *held,
                        offered: sequence,
                        state_file: Some(state_path.to_path_buf()),
                    },
                });
            }
            if sequence > *held {
                *held = sequence;
                raised = true;
            }
        }
        if raised {
            state.save(state_path)?;
        }
    }
    Ok(verifier)
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Sequences {
    #[serde(default)]
    trust: u64,
    #[serde(default)]
    revocation: u64,
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct State {
    roots: BTreeMap<String, Sequences>,
}

impl State {
    fn load(path: &Path) -> Result<Self, Error> {
        if !path.exists() {
            return Ok(State::default());
        }
        let bytes = read_bounded(path, MAX_STATE_LEN, "state file")?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Storage {
            why: format!("state file {}: {e}", path.display()),
        })
    }

    /// Writes the state, keeping the higher of each number if another run
    /// raised it meanwhile.
    fn save(&self, path: &Path) -> Result<(), Error> {
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
