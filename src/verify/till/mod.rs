//! One till setup: everything a front end (the command line, the C ABI, a
//! till program in Rust) needs to build its [`Verifier`], in one builder.
//! The rules are documented on [`TillConfig`].

mod event;
mod reload;
mod replay_spec;
mod source;
mod state;

pub use event::TillEvent;
pub use reload::ListReload;
#[cfg(feature = "redis")]
pub use replay_spec::RedisSpec;
pub use replay_spec::ReplaySpec;
pub use source::{ListSource, check_list_len, list_len_limit, read_signed_list_file};
pub use state::MAX_STATE_FILE_LEN;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ListKind;
use crate::Policy;
use crate::Region;
use crate::RevocationList;
use crate::RootKey;
use crate::StalenessPolicy;
use crate::TrustList;
use crate::Verifier;
use crate::error::{Error, ListLayer, ListProblem, Result};
use crate::time::UnixTime;
use crate::verify::VerdictObserver;

use event::EventHook;
use source::{refuse_signed, signed_from};
use state::{PayloadDigest, State};

/// The pinned root key: a file, or the key.
#[derive(Clone, Debug)]
enum RootSource {
    File(PathBuf),
    Key(RootKey),
}

/// The setup of a till's verifier: the lists, the pinned root key, the
/// rollback state file, the replay guard and the policy. Build the verifier
/// with [`TillConfig::build`].
///
/// Defaults: no root key (an unsigned trust list), no revocation list, no
/// state file, the in-memory replay guard ([`ReplaySpec::Memory`]: each code
/// is accepted once while the verifier lives), [`Policy::default`],
/// [`StalenessPolicy::default`], no event hook.
///
/// ```
/// use medcode::verify::ReplaySpec;
/// use medcode::TillConfig;
/// use medcode::UnixTime;
///
/// let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
/// let replay: ReplaySpec = "memory".parse()?;
/// let trust = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/trust.json"))
///     .map_err(|e| medcode::Error::io("keys/trust.json", "read", e))?;
/// let verifier = TillConfig::trust_bytes(trust).replay(replay).leeway(10).build(now)?;
/// assert_eq!(verifier.policy().leeway_secs, 10);
/// # Ok::<(), medcode::Error>(())
/// ```
///
/// # The rules
///
/// - **Signed or not.** With a pinned root key every list must be signed by
///   it; without one every list must be unsigned. Which form a list is in is
///   told by [`SignedList::is_envelope`](crate::SignedList::is_envelope); a list of the other form is refused
///   with a message saying what to change: a signed list without a root key
///   as [`ListProblem::NoRootKey`](crate::error::ListProblem::NoRootKey)
///   and an unsigned list with one as
///   [`ListProblem::NotSigned`](crate::error::ListProblem::NotSigned)
///   (both `invalid_trust_list`, naming the list).
/// - **Size.** A list is refused (`invalid_trust_list`) before it is read or
///   parsed when it is larger than the limit of the form the setup expects
///   ([`list_len_limit`]): [`MAX_SIGNED_LIST_LEN`](crate::limits::MAX_SIGNED_LIST_LEN) for every list when a
///   root key is pinned, [`MAX_TRUST_LIST_LEN`](crate::limits::MAX_TRUST_LIST_LEN) (1 MiB) for an unsigned
///   trust list and [`MAX_REVOCATION_LIST_LEN`](crate::limits::MAX_REVOCATION_LIST_LEN) for an unsigned revocation
///   list. The same rule holds for a file and for bytes.
/// - **Rollback across restarts.** A verifier never goes back to an older
///   signed list while it lives; with a [state file](TillConfig::state_file)
///   a till also refuses, across restarts, a list older than one it used
///   before, and a list of the sequence it used with other content. The
///   state file is JSON, one entry per pinned root key id, holding the
///   highest sequence numbers used and the SHA-256 (hex) of the payload of
///   each list used ([`Verifier::payload_digest`]):
///   `{"roots":{"1a2b3c4d":{"trust":3,"trust_digest":"9f86…","revocation":12,"revocation_digest":"2c26…"}}}`.
///   A list with a lower sequence is refused (`invalid_trust_list`,
///   [`ListProblem::Rollback`]), one with the recorded sequence and another
///   digest too (`invalid_trust_list`, [`ListProblem::SameSequence`], as
///   within one verifier); a higher one raises the entry (the file is
///   replaced atomically). A file written before digests were kept
///   (sequences only) is read as it is, the list of its sequence taken as
///   the one used, and written back with the digest.
/// - **Replay guard** ([`ReplaySpec`]): this process's memory (the
///   default), a replay store file, a Redis server shared by the tills of a
///   chain, or none ([`ReplaySpec::None`], the explicit opt-out a till must
///   not use: a screenshot of a code then works again within its
///   validity). It is
///   opened last, so nothing is created on disk for a setup refused for its
///   lists. A Redis guard connects on the first check; changes of its
///   reachability are reported to the [event hook](TillConfig::on_event)
///   as [`TillEvent`]s (under local-fallback possibly from the guard's
///   background thread). A local-fallback guard keeps its records in
///   `RedisSpec::fallback_file` when set, so that a restart during an
///   outage forgets nothing; the caller chooses the path.
#[derive(Clone)]
pub struct TillConfig {
    trust: ListSource,
    root: Option<RootSource>,
    revocations: Option<ListSource>,
    state_file: Option<PathBuf>,
    replay: ReplaySpec,
    policy: Policy,
    staleness: StalenessPolicy,
    hook: Option<EventHook>,
    observer: Option<Arc<dyn VerdictObserver>>,
}

impl fmt::Debug for TillConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TillConfig")
            .field("trust", &self.trust.path())
            .field("root", &self.root)
            .field(
                "revocations",
                &self.revocations.as_ref().map(ListSource::path),
            )
            .field("state_file", &self.state_file)
            .field("replay", &self.replay)
            .field("policy", &self.policy)
            .field("staleness", &self.staleness)
            .field("hook", &self.hook.is_some())
            .field("observer", &self.observer)
            .finish()
    }
}

impl TillConfig {
    /// A setup for the trust list from `trust`.
    pub fn new(trust: ListSource) -> Self {
        TillConfig {
            trust,
            root: None,
            revocations: None,
            state_file: None,
            replay: ReplaySpec::Memory,
            policy: Policy::default(),
            staleness: StalenessPolicy::default(),
            hook: None,
            observer: None,
        }
    }

    /// A setup for the trust list in the file at `path`.
    pub fn trust_file(path: impl Into<PathBuf>) -> Self {
        TillConfig::new(ListSource::File(path.into()))
    }

    /// A setup for the trust list `bytes`.
    pub fn trust_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        TillConfig::new(ListSource::Bytes(bytes.into()))
    }

    /// Pins the root public key in the file at `path` (ROOT.pub): every
    /// list must then be signed by it.
    #[must_use = "root_key_file returns the changed setup"]
    pub fn root_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.root = Some(RootSource::File(path.into()));
        self
    }

    /// Pins `root`: every list must then be signed by it.
    #[must_use = "root_key returns the changed setup"]
    pub fn root_key(mut self, root: RootKey) -> Self {
        self.root = Some(RootSource::Key(root));
        self
    }

    /// Checks codes against a revocation list from `source` (signed when a
    /// root key is pinned, unsigned otherwise).
    #[must_use = "revocations returns the changed setup"]
    pub fn revocations(mut self, source: ListSource) -> Self {
        self.revocations = Some(source);
        self
    }

    /// Checks codes against the revocation list in the file at `path`.
    #[must_use = "revocations_file returns the changed setup"]
    pub fn revocations_file(self, path: impl Into<PathBuf>) -> Self {
        self.revocations(ListSource::File(path.into()))
    }

    /// Checks codes against the revocation list `bytes`.
    #[must_use = "revocations_bytes returns the changed setup"]
    pub fn revocations_bytes(self, bytes: impl Into<Vec<u8>>) -> Self {
        self.revocations(ListSource::Bytes(bytes.into()))
    }

    /// Keeps the highest list sequence numbers used, with the digest of
    /// each list's payload, in the file at `path` (created when missing), so
    /// that a list older than one used before, or of a sequence used before
    /// with other content, is refused across restarts. Needs a pinned root
    /// key.
    #[must_use = "state_file returns the changed setup"]
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the replay guard (by default [`ReplaySpec::Memory`]);
    /// [`ReplaySpec::None`] turns it off, which a till must not do.
    #[must_use = "replay returns the changed setup"]
    pub fn replay(mut self, spec: ReplaySpec) -> Self {
        self.replay = spec;
        self
    }

    /// Replaces the whole policy (leeway, maximum validity, till region).
    #[must_use = "policy returns the changed setup"]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the clock leeway in seconds.
    #[must_use = "leeway returns the changed setup"]
    pub fn leeway(mut self, secs: u32) -> Self {
        self.policy.leeway_secs = secs;
        self
    }

    /// Sets the longest validity accepted, in seconds.
    #[must_use = "max_validity returns the changed setup"]
    pub fn max_validity(mut self, secs: u32) -> Self {
        self.policy.max_validity_secs = secs;
        self
    }

    /// Sets the till's region, which enables the holder's cross-province
    /// switch.
    #[must_use = "till_region returns the changed setup"]
    pub fn till_region(mut self, region: Region) -> Self {
        self.policy.till_region = Some(region);
        self
    }

    /// Sets the staleness policy of signed lists.
    #[must_use = "staleness returns the changed setup"]
    pub fn staleness(mut self, staleness: StalenessPolicy) -> Self {
        self.staleness = staleness;
        self
    }

    /// Calls `hook` for every [`TillEvent`] (for a log line; it must not
    /// block): a shared replay guard becoming unreachable or reachable.
    #[must_use = "on_event returns the changed setup"]
    pub fn on_event(mut self, hook: impl Fn(&TillEvent) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Attaches `observer` to the verifier built: it hears every verdict
    /// (see [`VerdictObserver`]), e.g. the platform's usage records.
    #[must_use = "observer returns the changed setup"]
    pub fn observer(mut self, observer: Arc<dyn VerdictObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The replay guard set.
    pub fn replay_spec(&self) -> &ReplaySpec {
        &self.replay
    }

    /// True when a root key is pinned (every list must be signed).
    pub fn pins_root_key(&self) -> bool {
        self.root.is_some()
    }

    /// Builds the verifier at time `now` (the library never reads the
    /// clock): reads the root key and the lists, checks the state file and
    /// raises it, then opens the replay guard. The setup can be built again
    /// (a second verifier shares nothing with the first but the files).
    ///
    /// # Errors
    /// - [`Error::InvalidArgument`] for a state file without a root key,
    ///   and for a Redis URL or key prefix the guard refuses;
    /// - [`Error::InvalidList`] for a signed list without a root key
    ///   ([`ListProblem::NoRootKey`](crate::error::ListProblem::NoRootKey))
    ///   or an unsigned one with a root key
    ///   ([`ListProblem::NotSigned`](crate::error::ListProblem::NotSigned)),
    ///   and for a list that is too large, not a list, not signed by the
    ///   root, of the wrong kind, or older than the state file's record
    ///   (rollback) or of its sequence with other content;
    /// - [`Error::InvalidKey`] for a bad root key file;
    /// - [`Error::Storage`] for a corrupt state file or a replay file that
    ///   cannot be opened; [`Error::Io`].
    pub fn build(&self, now: UnixTime) -> Result<Verifier> {
        let verifier = match &self.root {
            None => self.load_unsigned()?,
            Some(root) => self.load_signed(root, now)?,
        };
        let mut verifier = verifier
            .with_policy(self.policy)
            .with_staleness(self.staleness);
        // Last, so that nothing is created on disk for a setup refused for
        // its lists.
        verifier = match self.replay.open(self.hook.as_ref())? {
            Some(guard) => verifier.with_replay_guard(guard),
            None => verifier.without_replay_guard(),
        };
        if let Some(observer) = &self.observer {
            verifier = verifier.with_observer(Arc::clone(observer));
        }
        Ok(verifier)
    }

    fn load_unsigned(&self) -> Result<Verifier> {
        if self.state_file.is_some() {
            return Err(Error::argument(
                "state file",
                "a rollback state file needs a pinned root key: only signed lists have sequence numbers",
            ));
        }
        let bytes = self.trust.read(ListKind::Trust, false)?;
        refuse_signed(&self.trust, &bytes, ListKind::Trust)?;
        let trust = TrustList::from_json(&bytes).map_err(|e| self.trust.named(e))?;
        drop(bytes);
        let mut verifier = Verifier::new(trust);
        if let Some(source) = &self.revocations {
            let bytes = source.read(ListKind::Revocation, false)?;
            refuse_signed(source, &bytes, ListKind::Revocation)?;
            verifier = verifier
                .with_revocations(RevocationList::from_json(&bytes).map_err(|e| source.named(e))?);
        }
        Ok(verifier)
    }

    fn load_signed(&self, root: &RootSource, now: UnixTime) -> Result<Verifier> {
        let root = match root {
            RootSource::File(path) => RootKey::from_file(path)?,
            RootSource::Key(key) => key.clone(),
        };
        let bytes = self.trust.read(ListKind::Trust, true)?;
        let trust = signed_from(&self.trust, &bytes, ListKind::Trust)?;
        drop(bytes);
        let revocations = match &self.revocations {
            Some(source) => {
                let bytes = source.read(ListKind::Revocation, true)?;
                Some((source, signed_from(source, &bytes, ListKind::Revocation)?))
            }
            None => None,
        };
        let state = match &self.state_file {
            Some(path) => Some((path, State::load(path)?)),
            None => None,
        };
        let verifier =
            Verifier::from_signed(root.clone(), &trust).map_err(|e| self.trust.named(e))?;
        drop(trust);
        if let Some((source, list)) = &revocations {
            verifier
                .update_revocations(list)
                .map_err(|e| source.named(e))?;
        }
        if let Some((path, mut state)) = state {
            let revocations = revocations.as_ref().map(|(source, _)| *source);
            self.check_state(&verifier, &root, (path, &mut state), revocations, now)?;
        }
        Ok(verifier)
    }

    /// Refuses a list older than the state file's record of it, and one of
    /// the recorded sequence with another payload; raises the record for a
    /// newer one (or adds the digest to a record of sequences only) and
    /// saves the file.
    fn check_state(
        &self,
        verifier: &Verifier,
        root: &RootKey,
        (path, state): (&Path, &mut State),
        revocations: Option<&ListSource>,
        now: UnixTime,
    ) -> Result<()> {
        let entry = state.roots.entry(root.key_id().to_string()).or_default();
        let mut changed = false;
        for status in verifier.list_status(now) {
            let (kind, sequence) = (status.info.kind, status.info.sequence);
            let digest = verifier.payload_digest(kind).map(PayloadDigest);
            let source = match kind {
                ListKind::Trust => &self.trust,
                ListKind::Revocation => revocations.unwrap_or(&self.trust),
            };
            let refuse = |problem| Error::InvalidList {
                list: Some(kind),
                layer: ListLayer::Envelope,
                file: source.path().map(Path::to_path_buf),
                problem,
            };
            let (held, held_digest) = entry.of(kind);
            if sequence < *held {
                return Err(refuse(ListProblem::Rollback {
                    installed: *held,
                    offered: sequence,
                    state_file: Some(path.to_path_buf()),
                }));
            }
            if sequence == *held {
                match held_digest {
                    Some(used) if Some(*used) != digest => {
                        return Err(refuse(ListProblem::SameSequence { sequence }));
                    }
                    Some(_) => {}
                    // A record of sequences only (an older file): this list
                    // is taken as the one used, and its digest recorded.
                    None => {
                        *held_digest = digest;
                        changed = true;
                    }
                }
            } else {
                *held = sequence;
                *held_digest = digest;
                changed = true;
            }
        }
        if changed {
            state.save(path)?;
        }
        Ok(())
    }
}
