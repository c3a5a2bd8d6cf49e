//! One till setup: everything a front end (the command line, the C ABI, a
//! till program in Rust) needs to build its [`Verifier`], in one builder.
//!
//! ```
//! use medcode::verify::{ReplaySpec, TillConfig};
//! use medcode::UnixTime;
//!
//! let now = UnixTime::parse_rfc3339("2026-11-22T08:00:00Z")?;
//! let replay: ReplaySpec = "memory".parse()?;
//! let trust = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/keys/trust.json"))
//!     .map_err(|e| medcode::Error::io("keys/trust.json", "read", e))?;
//! let verifier = TillConfig::trust_bytes(trust).replay(replay).leeway(10).build(now)?;
//! assert_eq!(verifier.policy().leeway_secs, 10);
//! # Ok::<(), medcode::Error>(())
//! ```
//!
//! # The rules
//!
//! - **Signed or not.** With a pinned root key every list must be signed by
//!   it; without one every list must be unsigned. Which form a list is in is
//!   told by [`SignedList::is_envelope`]; a list of the other form is refused
//!   (`invalid_argument`) with a message saying what to change.
//! - **Size.** A list is refused (`invalid_trust_list`) before it is read or
//!   parsed when it is larger than the limit of the form the setup expects
//!   ([`list_len_limit`]): [`MAX_SIGNED_LIST_LEN`] for every list when a
//!   root key is pinned, [`MAX_TRUST_LIST_LEN`] (1 MiB) for an unsigned
//!   trust list and [`MAX_REVOCATION_LIST_LEN`] for an unsigned revocation
//!   list. The same rule holds for a file and for bytes.
//! - **Rollback across restarts.** A verifier never goes back to an older
//!   signed list while it lives; with a [state file](TillConfig::state_file)
//!   a till also refuses, across restarts, a list older than one it used
//!   before. The state file is JSON, one entry per pinned root key id,
//!   holding the highest sequence numbers used:
//!   `{"roots":{"1a2b3c4d":{"trust":3,"revocation":12}}}`. A list with a
//!   lower sequence is refused (`invalid_trust_list`); a higher one raises
//!   the entry (the file is replaced atomically).
//! - **Replay guard** ([`ReplaySpec`]): none, this process's memory, an
//!   SQLite file, or a Redis server shared by the tills of a chain. It is
//!   opened last, so nothing is created on disk for a setup refused for its
//!   lists. A Redis guard connects on the first check; changes of its
//!   reachability are reported to the [event hook](TillConfig::on_event)
//!   as [`TillEvent`]s.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ListKind, ListLayer, ListProblem, Result};
use crate::files::{read_bounded, read_list_file, write_replace};
use crate::lists::{
    MAX_REVOCATION_LIST_LEN, MAX_SIGNED_LIST_LEN, MAX_TRUST_LIST_LEN, RevocationList, RootKey,
    SignedList, StalenessPolicy, TrustList,
};
use crate::replay::{FileReplayGuard, MemoryReplayGuard, ReplayGuard};
#[cfg(feature = "redis")]
use crate::replay::{RedisEvent, RedisReplayGuard, UnavailablePolicy};
use crate::time::UnixTime;
use crate::token::Region;
use crate::verify::{Policy, Verifier};

/// Largest rollback state file read, in bytes.
pub const MAX_STATE_FILE_LEN: u64 = 64 * 1024;

/// The `what` of the `invalid_argument` errors about a list's form.
const LIST: &str = "list";

/// Where a list comes from: a file, or its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListSource {
    /// A file, read when the verifier is built.
    File(PathBuf),
    /// The list's bytes (JSON, or a signed envelope).
    Bytes(Vec<u8>),
}

impl ListSource {
    /// The file, if the list comes from one.
    fn path(&self) -> Option<&Path> {
        match self {
            ListSource::File(path) => Some(path),
            ListSource::Bytes(_) => None,
        }
    }

    /// The list's name in messages: its file, or "the trust list".
    fn name(&self, kind: ListKind) -> String {
        match self {
            ListSource::File(path) => path.display().to_string(),
            ListSource::Bytes(_) => format!("the {}", kind.describe()),
        }
    }

    /// Reads the list, refusing one over the setup's size limit first.
    fn read(&self, kind: ListKind, signed: bool) -> Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            ListSource::File(path) => {
                read_list_file(path, list_len_limit(kind, signed)).map(std::borrow::Cow::Owned)
            }
            ListSource::Bytes(bytes) => {
                check_list_len(kind, signed, u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
                Ok(std::borrow::Cow::Borrowed(bytes))
            }
        }
    }

    /// Names the file in an `invalid_trust_list` error, if there is one.
    fn named(&self, e: Error) -> Error {
        match self.path() {
            Some(path) => e.in_list_file(path),
            None => e,
        }
    }
}

/// The largest list of `kind` a till setup reads, in bytes: a signed list
/// (a root key is pinned) [`MAX_SIGNED_LIST_LEN`], an unsigned trust list
/// [`MAX_TRUST_LIST_LEN`], an unsigned revocation list
/// [`MAX_REVOCATION_LIST_LEN`].
pub const fn list_len_limit(kind: ListKind, signed: bool) -> u64 {
    match (kind, signed) {
        (_, true) => MAX_SIGNED_LIST_LEN,
        (ListKind::Trust, false) => MAX_TRUST_LIST_LEN,
        (ListKind::Revocation, false) => MAX_REVOCATION_LIST_LEN,
    }
}

/// Checks the size of a list given as `len` bytes against
/// [`list_len_limit`], so that a front end can refuse an oversized buffer
/// before it copies it, with the message [`TillConfig::build`] gives.
///
/// # Errors
/// [`Error::InvalidList`] when `len` is above the limit: "the trust
/// list is N bytes, larger than the L-byte limit".
pub fn check_list_len(kind: ListKind, signed: bool, len: u64) -> Result<()> {
    let limit = list_len_limit(kind, signed);
    if len > limit {
        return Err(Error::invalid_list(
            Some(kind),
            ListLayer::File,
            ListProblem::TooLarge { len, limit },
        ));
    }
    Ok(())
}

/// Reads a file that must hold a signed list of `kind`, for a verifier that
/// pins a root key: at setup, and when a newer list is installed in a
/// running verifier ([`Verifier::update_trust_list`],
/// [`Verifier::update_revocations`]). The signature is not checked here.
///
/// # Errors
/// [`Error::Io`]; [`Error::InvalidList`] for a file over
/// [`MAX_SIGNED_LIST_LEN`] or a malformed envelope (naming the file);
/// [`Error::InvalidArgument`] for a file that is not a signed list.
pub fn read_signed_list_file(path: &Path, kind: ListKind) -> Result<SignedList> {
    let source = ListSource::File(path.to_owned());
    let bytes = source.read(kind, true)?;
    signed_from(&source, &bytes, kind)
}

/// Parses the bytes of a list that must be signed (a root key is pinned).
fn signed_from(source: &ListSource, bytes: &[u8], kind: ListKind) -> Result<SignedList> {
    if !SignedList::is_envelope(bytes) {
        let how = match kind {
            ListKind::Trust => "`medcode trust sign`",
            ListKind::Revocation => "`medcode trust sign --kind revocation`",
        };
        return Err(Error::argument(
            LIST,
            format!(
                "{} is not a signed list, but a root key is pinned: sign it with {how}",
                source.name(kind)
            ),
        ));
    }
    SignedList::from_json(bytes).map_err(|e| source.named(e))
}

/// Refuses a signed list given to a setup without a root key.
fn refuse_signed(source: &ListSource, bytes: &[u8], kind: ListKind) -> Result<()> {
    if SignedList::is_envelope(bytes) {
        let also = match kind {
            ListKind::Trust => "",
            ListKind::Revocation => ", with a signed trust list",
        };
        return Err(Error::argument(
            LIST,
            format!(
                "{} is a signed list, but no root key is pinned: pin the root public key (ROOT.pub) that signed it{also}",
                source.name(kind)
            ),
        ));
    }
    Ok(())
}

/// Which replay guard a till uses: where accepted token ids are recorded,
/// so that a code shown a second time within its validity is `replayed`.
///
/// Parsed from text ([`FromStr`]): `none`, `memory`, `file:PATH` or
/// `redis://HOST:PORT[/DB]` (then with the default key prefix and
/// [`UnavailablePolicy::FailClosed`]; set the fields to change them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplaySpec {
    /// No replay guard: a code can be shown again within its validity.
    #[default]
    None,
    /// This process's memory ([`MemoryReplayGuard`]): each code is accepted
    /// once while the verifier lives; a restart forgets.
    Memory,
    /// An SQLite file ([`FileReplayGuard`], created if missing): survives
    /// restarts and may be shared by the processes of one till.
    File(PathBuf),
    /// A Redis server shared by the tills of a chain ([`RedisReplayGuard`]).
    #[cfg(feature = "redis")]
    Redis(RedisSpec),
}

/// A Redis replay guard: the server and what to do when it is unreachable.
#[cfg(feature = "redis")]
#[derive(Clone, PartialEq, Eq)]
pub struct RedisSpec {
    /// `redis://HOST:PORT[/DB]` (a password may be given as
    /// `redis://:PASSWORD@HOST:PORT`); checked when the guard is opened.
    pub url: String,
    /// Prefix of the keys, so that several chains can share one server;
    /// `None` for [`DEFAULT_KEY_PREFIX`](crate::replay::DEFAULT_KEY_PREFIX).
    pub key_prefix: Option<String>,
    /// What happens while the server cannot be reached.
    pub unavailable: UnavailablePolicy,
}

#[cfg(feature = "redis")]
impl fmt::Debug for RedisSpec {
    // Not the URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSpec")
            .field("url", &"<redacted>")
            .field("key_prefix", &self.key_prefix)
            .field("unavailable", &self.unavailable)
            .finish()
    }
}

/// The spec forms named in messages.
const SPEC_FORMS: &str = "expected file:PATH or redis://HOST:PORT[/DB], memory or none";

impl FromStr for ReplaySpec {
    type Err = Error;

    /// Parses `none`, `memory`, `file:PATH` or `redis://HOST:PORT[/DB]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] (`what` "replay guard") for any other text
    /// and for `file:` without a path. A Redis URL is checked when the guard
    /// is opened ([`TillConfig::build`]).
    fn from_str(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::argument("replay guard", why);
        match text {
            "none" => return Ok(ReplaySpec::None),
            "memory" => return Ok(ReplaySpec::Memory),
            _ => {}
        }
        if let Some(path) = text.strip_prefix("file:") {
            if path.is_empty() {
                return Err(bad(
                    "file: needs a path, e.g. file:/var/lib/medcode/seen.db",
                ));
            }
            return Ok(ReplaySpec::File(PathBuf::from(path)));
        }
        if text.starts_with("redis://") {
            #[cfg(feature = "redis")]
            return Ok(ReplaySpec::Redis(RedisSpec {
                url: text.to_owned(),
                key_prefix: None,
                unavailable: UnavailablePolicy::FailClosed,
            }));
            #[cfg(not(feature = "redis"))]
            return Err(bad("redis:// needs medcode built with the redis feature"));
        }
        Err(bad(SPEC_FORMS))
    }
}

impl ReplaySpec {
    /// Opens the guard: `None` for [`ReplaySpec::None`].
    fn open(&self, hook: Option<&EventHook>) -> Result<Option<Arc<dyn ReplayGuard>>> {
        #[cfg(not(feature = "redis"))]
        let _ = hook;
        Ok(match self {
            ReplaySpec::None => None,
            ReplaySpec::Memory => Some(Arc::new(MemoryReplayGuard::new())),
            ReplaySpec::File(path) => Some(Arc::new(FileReplayGuard::open(path)?)),
            #[cfg(feature = "redis")]
            ReplaySpec::Redis(spec) => {
                let policy = spec.unavailable;
                let mut guard = RedisReplayGuard::new(&spec.url)?.with_policy(policy);
                if let Some(prefix) = &spec.key_prefix {
                    guard = guard.with_key_prefix(prefix)?;
                }
                if let Some(hook) = hook {
                    let hook = Arc::clone(hook);
                    guard = guard
                        .with_event_hook(move |event| hook(&TillEvent::from_redis(event, policy)));
                }
                Some(Arc::new(guard))
            }
        })
    }
}

/// Something a running till should log: a change of the shared replay
/// guard's reachability, reported once per change, not once per code. Its
/// [`Display`](fmt::Display) is the log line every front end prints.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TillEvent {
    /// The shared replay guard could not be reached (or answered with an
    /// error); `policy` says what the till does meanwhile.
    #[cfg(feature = "redis")]
    ReplayGuardUnreachable {
        /// What failed (never a password).
        why: String,
        /// Refuse codes, or check them against this till's own records.
        policy: UnavailablePolicy,
    },
    /// The shared replay guard answers again; `synced` codes accepted
    /// offline were recorded in it.
    #[cfg(feature = "redis")]
    ReplayGuardReachable {
        /// Codes accepted offline that were written to the server.
        synced: usize,
    },
}

impl TillEvent {
    #[cfg(feature = "redis")]
    fn from_redis(event: &RedisEvent, policy: UnavailablePolicy) -> Self {
        match event {
            RedisEvent::Unreachable { why } => TillEvent::ReplayGuardUnreachable {
                why: why.clone(),
                policy,
            },
            RedisEvent::Reachable { synced } => TillEvent::ReplayGuardReachable { synced: *synced },
        }
    }
}

impl fmt::Display for TillEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "redis")]
            TillEvent::ReplayGuardUnreachable { why, policy } => write!(
                f,
                "shared replay guard unreachable ({why}); {}",
                match policy {
                    UnavailablePolicy::LocalFallback =>
                        "checking codes against this till's own records only (local-fallback)",
                    _ => "refusing codes until it answers (fail-closed)",
                }
            ),
            #[cfg(feature = "redis")]
            TillEvent::ReplayGuardReachable { synced } => write!(
                f,
                "shared replay guard reachable again; {synced} code(s) accepted offline recorded in it"
            ),
            #[cfg(not(feature = "redis"))]
            _ => {
                let _ = f;
                Ok(())
            }
        }
    }
}

type EventHook = Arc<dyn Fn(&TillEvent) + Send + Sync>;

/// The pinned root key: a file, or the key.
#[derive(Clone, Debug)]
enum RootSource {
    File(PathBuf),
    Key(RootKey),
}

/// The setup of a till's verifier: the lists, the pinned root key, the
/// rollback state file, the replay guard and the policy. Build the verifier
/// with [`TillConfig::build`]; see the [module docs](self) for the rules.
///
/// Defaults: no root key (an unsigned trust list), no revocation list, no
/// state file, no replay guard, [`Policy::default`],
/// [`StalenessPolicy::default`], no event hook.
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
            replay: ReplaySpec::None,
            policy: Policy::default(),
            staleness: StalenessPolicy::default(),
            hook: None,
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

    /// Keeps the highest list sequence numbers used in the file at `path`
    /// (created when missing), so that a list older than one used before is
    /// refused across restarts. Needs a pinned root key.
    #[must_use = "state_file returns the changed setup"]
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets the replay guard.
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
    /// - [`Error::InvalidArgument`] for a signed list without a root key,
    ///   an unsigned one with a root key, a state file without a root key,
    ///   and for a Redis URL or key prefix the guard refuses;
    /// - [`Error::InvalidList`] for a list that is too large, not a
    ///   list, not signed by the root, of the wrong kind, or older than the
    ///   state file's record (rollback);
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
        if let Some(guard) = self.replay.open(self.hook.as_ref())? {
            verifier = verifier.with_replay_guard(guard);
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

    /// Refuses a list older than the state file's record of it; raises the
    /// record for a newer one and saves the file.
    fn check_state(
        &self,
        verifier: &Verifier,
        root: &RootKey,
        (path, state): (&Path, &mut State),
        revocations: Option<&ListSource>,
        now: UnixTime,
    ) -> Result<()> {
        let entry = state.roots.entry(root.key_id().to_string()).or_default();
        let mut raised = false;
        for status in verifier.list_status(now) {
            let (kind, sequence) = (status.info.kind, status.info.sequence);
            let (held, source) = match kind {
                ListKind::Trust => (&mut entry.trust, &self.trust),
                ListKind::Revocation => (&mut entry.revocation, revocations.unwrap_or(&self.trust)),
            };
            if sequence < *held {
                return Err(Error::InvalidList {
                    list: Some(kind),
                    layer: ListLayer::Envelope,
                    file: source.path().map(Path::to_path_buf),
                    problem: ListProblem::Rollback {
                        installed: *held,
                        offered: sequence,
                        state_file: Some(path.to_path_buf()),
                    },
                });
            }
            if sequence > *held {
                *held = sequence;
                raised = true;
            }
        }
        if raised {
            state.save(path)?;
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Sequences {
    #[serde(default)]
    trust: u64,
    #[serde(default)]
    revocation: u64,
}

/// The rollback state file: the highest sequences used, per root key id.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct State {
    roots: BTreeMap<String, Sequences>,
}

impl State {
    fn load(path: &Path) -> Result<Self> {
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
    fn save(&self, path: &Path) -> Result<()> {
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
