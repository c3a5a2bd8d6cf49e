//! Re-reading a running till's signed lists: [`TillConfig::reload`].

use std::path::Path;

use crate::ListKind;
use crate::Verifier;
use crate::error::{Error, ListLayer, ListProblem, Result};
use crate::verify::ListUpdate;

use super::TillConfig;
use super::source::{ListSource, signed_from};
use super::state::{PayloadDigest, State};

/// What reloading one list did: installed, already held, or refused (the
/// list in force is kept).
#[derive(Debug)]
pub struct ListReload {
    /// The list re-read.
    pub kind: ListKind,
    /// What installing it did, or why it was refused.
    pub outcome: Result<ListUpdate>,
}

impl TillConfig {
    /// Re-reads the signed trust list and revocation list of this setup
    /// and installs each newer one into `verifier` (built from this setup),
    /// for a long-running till or service that picks up new lists without
    /// a restart. One result per list, trust list first.
    ///
    /// The rules of [`TillConfig::build`] hold: a list must be signed by the
    /// pinned root; an older one than the list in force is refused
    /// ([`ListProblem::Rollback`]), so is another list of its sequence
    /// ([`ListProblem::SameSequence`]); with a state file, a list older than
    /// its record (raised meanwhile by another till) is refused too, and an
    /// installed list raises the record. On any refusal the list in force
    /// is kept; verifications go on during the swap.
    ///
    /// A setup without a pinned root key has unsigned lists, which carry no
    /// sequence to refuse a rollback with: each list is refused
    /// (`invalid_argument`) and the lists in force are kept.
    pub fn reload(&self, verifier: &Verifier) -> Vec<ListReload> {
        let mut done = vec![ListReload {
            kind: ListKind::Trust,
            outcome: self.reload_one(verifier, &self.trust, ListKind::Trust),
        }];
        if let Some(source) = &self.revocations {
            done.push(ListReload {
                kind: ListKind::Revocation,
                outcome: self.reload_one(verifier, source, ListKind::Revocation),
            });
        }
        done
    }

    fn reload_one(
        &self,
        verifier: &Verifier,
        source: &ListSource,
        kind: ListKind,
    ) -> Result<ListUpdate> {
        let root = verifier.root_key().filter(|_| self.root.is_some()).ok_or_else(|| {
            Error::argument(
                "reload",
                "the lists are unsigned: only signed lists (with a pinned root key) can be reloaded, restart to change them",
            )
        })?;
        let bytes = source.read(kind, true)?;
        let signed = signed_from(source, &bytes, kind)?;
        drop(bytes);
        let verified = signed.verify(root, kind).map_err(|e| source.named(e))?;
        let (sequence, digest) = (verified.info().sequence, verified.digest());
        let refuse = |problem, state_file: Option<&Path>| {
            let problem = match problem {
                ListProblem::Rollback {
                    installed, offered, ..
                } => ListProblem::Rollback {
                    installed,
                    offered,
                    state_file: state_file.map(Path::to_path_buf),
                },
                other => other,
            };
            Error::InvalidList {
                list: Some(kind),
                layer: ListLayer::Envelope,
                file: source.path().map(Path::to_path_buf),
                problem,
            }
        };
        let mut state = match &self.state_file {
            Some(path) => Some((path, State::load(path)?)),
            None => None,
        };
        if let Some((path, state)) = &mut state {
            let entry = state.roots.entry(root.key_id().to_string()).or_default();
            let (held, held_digest) = entry.of(kind);
            if sequence < *held {
                return Err(refuse(
                    ListProblem::Rollback {
                        installed: *held,
                        offered: sequence,
                        state_file: None,
                    },
                    Some(path),
                ));
            }
            if sequence == *held && held_digest.as_ref().is_some_and(|d| d.0 != digest) {
                return Err(refuse(ListProblem::SameSequence { sequence }, None));
            }
        }
        let update = match kind {
            ListKind::Trust => verifier.update_trust_list(&signed),
            ListKind::Revocation => verifier.update_revocations(&signed),
        }
        .map_err(|e| source.named(e))?;
        if let Some((path, mut state)) = state {
            let entry = state.roots.entry(root.key_id().to_string()).or_default();
            let (held, held_digest) = entry.of(kind);
            if sequence > *held || held_digest.is_none() {
                *held = sequence;
                *held_digest = Some(PayloadDigest(digest));
                state.save(path)?;
            }
        }
        Ok(update)
    }
}
