//! The offline verifier: built once from a trust list and a policy, shared
//! across threads, and asked `verify(text, now)` for each scanned code.
//!
//! Order of checks: the signed lists' staleness, key, signature, the
//! revocation list (only once the signature holds, so an unsigned token
//! learns nothing), times, the cross-province switch, and last the replay
//! guard.

use std::sync::{Arc, PoisonError, RwLock};

use super::context::{TillContext, VerdictObserver};
use super::credential_cache::{CredentialCache, DEFAULT_CREDENTIAL_CACHE};
use super::policy::Policy;
use super::verdict::{Checked, Refusal, Verdict};
use super::verified::{CodeKind, VerifiedToken};
use crate::Claims;
use crate::ListKind;
use crate::Region;
use crate::RevocationList;
use crate::RootKey;
use crate::SignedList;
use crate::StalenessPolicy;
use crate::TrustList;
use crate::TrustedKey;
use crate::UntrustedDeviceCode;
use crate::error::{Error, ListLayer, ListProblem, Result};
use crate::keys::KeyId;
use crate::keys::PublicKey;
use crate::lists::ListInfo;
use crate::notice::Notice;
use crate::replay::{MemoryReplayGuard, ReplayGuard};
use crate::time::UnixTime;
use crate::token::text::{self, TextKind};
use crate::token::{self, UntrustedToken};

/// A scanned code, parsed by its prefix.
pub(super) enum Parsed {
    /// `MC1`.
    Token(UntrustedToken),
    /// `MC2`.
    Device(UntrustedDeviceCode),
}

/// Parses code text of either format.
pub(super) fn parse_code(text: &str) -> Result<Parsed> {
    match text::decode_any(text)? {
        (TextKind::Token, bytes) => UntrustedToken::from_bytes(&bytes).map(Parsed::Token),
        (TextKind::Device, bytes) => UntrustedDeviceCode::from_bytes(&bytes).map(Parsed::Device),
    }
}

/// A signed list a verifier holds: its signed facts and payload digest.
#[derive(Clone, Copy, Debug)]
struct Held {
    info: ListInfo,
    digest: [u8; 32],
}

/// The lists in force. Replaced whole (never edited) when a newer signed
/// list is installed, so a verification sees one consistent set.
#[derive(Clone, Debug)]
pub(super) struct Lists {
    pub(super) trust: Arc<TrustList>,
    trust_held: Option<Held>,
    pub(super) revocations: Option<Arc<RevocationList>>,
    revocations_held: Option<Held>,
}

impl Lists {
    fn held(&self, kind: ListKind) -> Option<Held> {
        match kind {
            ListKind::Trust => self.trust_held,
            ListKind::Revocation => self.revocations_held,
        }
    }
}

/// The pinned root and the current lists, shared by a verifier's clones.
/// A verification takes the read lock only to clone an `Arc` (two atomic
/// operations); installing a list takes the write lock only to swap it.
#[derive(Debug)]
pub(super) struct ListCell {
    root: Option<RootKey>,
    current: RwLock<Arc<Lists>>,
}

impl ListCell {
    fn new(root: Option<RootKey>, lists: Lists) -> Arc<Self> {
        Arc::new(ListCell {
            root,
            current: RwLock::new(Arc::new(lists)),
        })
    }

    pub(super) fn snapshot(&self) -> Arc<Lists> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What installing a signed list did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListUpdate {
    /// The list is now in force; `previous` is the signed list it replaced.
    Installed {
        /// The list replaced, if a signed one was held.
        previous: Option<ListInfo>,
    },
    /// The verifier already holds this very list (same sequence, same bytes).
    AlreadyHeld,
}

/// The freshness of one signed list a verifier holds, at a given time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListStatus {
    /// The list's signed facts.
    pub info: ListInfo,
    /// The first second at which the staleness policy refuses every code.
    pub refuses_at: UnixTime,
    /// The notice accepted codes carry now (due soon, stale), if any.
    pub notice: Option<Notice>,
    /// True when every code is refused now (`trust_list_stale`).
    pub refused: bool,
}

/// Checks scanned codes offline. Cheap to share: clone it or put it in an
/// `Arc`; it is `Send + Sync`. Clones share the replay guard and the lists,
/// so a list installed through one clone is in force for all of them.
///
/// One code, one use, by default: a new verifier ([`Verifier::new`],
/// [`Verifier::from_signed`]) records accepted token ids in a
/// [`MemoryReplayGuard`] of the default capacity and refuses a second
/// presentation within the code's validity as `replayed`. Choose another
/// guard (a file, Redis) with [`Verifier::with_replay_guard`]; turning the
/// guard off ([`Verifier::without_replay_guard`]) is for tests and tools
/// that are not tills.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub(super) lists: Arc<ListCell>,
    pub(super) policy: Policy,
    staleness: StalenessPolicy,
    replay: Option<Arc<dyn ReplayGuard>>,
    pub(super) credentials: Arc<CredentialCache>,
    pub(super) observer: Option<Arc<dyn VerdictObserver>>,
}

impl Verifier {
    /// A verifier for an unsigned `trust` list with the default (strict)
    /// policy and an in-memory replay guard ([`MemoryReplayGuard::new`]):
    /// each code is accepted once while the verifier and its clones live.
    /// It has no pinned root key, so it cannot install signed lists; see
    /// [`Verifier::from_signed`].
    pub fn new(trust: TrustList) -> Self {
        Verifier::with_lists(None, trust, None)
    }

    fn with_lists(root: Option<RootKey>, trust: TrustList, trust_held: Option<Held>) -> Self {
        Verifier {
            lists: ListCell::new(
                root,
                Lists {
                    trust: Arc::new(trust),
                    trust_held,
                    revocations: None,
                    revocations_held: None,
                },
            ),
            policy: Policy::default(),
            staleness: StalenessPolicy::default(),
            replay: Some(Arc::new(MemoryReplayGuard::new())),
            credentials: Arc::new(CredentialCache::new(DEFAULT_CREDENTIAL_CACHE)),
            observer: None,
        }
    }

    /// A verifier pinning `root`, for a trust list signed by it, with the
    /// default policy and an in-memory replay guard, as [`Verifier::new`].
    /// Refuses a
    /// list that does not verify under `root` or is not a trust list
    /// (`invalid_trust_list`). A list already past its next-update is
    /// installed all the same; [`Verifier::verify`] applies the staleness
    /// policy to every code.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) when `trust` does not verify
    /// under `root`, is not a trust list, or its payload is not a valid trust list.
    pub fn from_signed(root: RootKey, trust: &SignedList) -> Result<Self> {
        let verified = trust.verify(&root, ListKind::Trust)?;
        let list = parse_trust(verified.payload())?;
        let held = Held {
            info: *verified.info(),
            digest: verified.digest(),
        };
        Ok(Verifier::with_lists(Some(root), list, Some(held)))
    }

    /// Checks codes against an unsigned revocation list (for a verifier
    /// built with [`Verifier::new`]; with a pinned root, install signed ones
    /// with [`Verifier::update_revocations`]). The returned verifier has its
    /// own lists, no longer shared with clones of `self`.
    #[must_use = "with_revocations returns the changed verifier"]
    pub fn with_revocations(mut self, list: RevocationList) -> Self {
        let current = self.lists.snapshot();
        self.lists = ListCell::new(
            self.lists.root.clone(),
            Lists {
                revocations: Some(Arc::new(list)),
                revocations_held: None,
                ..(*current).clone()
            },
        );
        self
    }

    /// Replaces the staleness policy for signed lists.
    #[must_use = "with_staleness returns the changed verifier"]
    pub fn with_staleness(mut self, staleness: StalenessPolicy) -> Self {
        self.staleness = staleness;
        self
    }

    /// Installs a newer signed trust list. Refuses (`invalid_trust_list`,
    /// the list in force stays) a list that does not verify under the
    /// pinned root, a revocation list, a lower sequence number than the one
    /// held (rollback), and the same sequence with other content. Safe
    /// while other threads verify: they see the old list or the new one.
    /// [`Verifier::list_status`] tells how fresh the list in force is.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) for each refusal above, for
    /// a verifier that pins no root key, and for a payload that is not a trust list.
    pub fn update_trust_list(&self, signed: &SignedList) -> Result<ListUpdate> {
        self.update(signed, ListKind::Trust)
    }

    /// Installs a newer signed revocation list; the rules of
    /// [`Verifier::update_trust_list`] apply.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidList`] (`invalid_trust_list`) as for
    /// [`Verifier::update_trust_list`] (a signed trust list is the wrong kind here),
    /// and for a payload that is not a revocation list.
    pub fn update_revocations(&self, signed: &SignedList) -> Result<ListUpdate> {
        self.update(signed, ListKind::Revocation)
    }

    fn update(&self, signed: &SignedList, kind: ListKind) -> Result<ListUpdate> {
        let root = self.lists.root.as_ref().ok_or_else(|| {
            Error::invalid_list(Some(kind), ListLayer::Envelope, ListProblem::NoRootKey)
        })?;
        let verified = signed.verify(root, kind)?;
        let info = *verified.info();
        let held = Held {
            info,
            digest: verified.digest(),
        };
        // Refuse a rollback before parsing; check again under the lock.
        let decide = |lists: &Lists| -> Result<Option<ListUpdate>> {
            match lists.held(kind) {
                Some(h) if info.sequence < h.info.sequence => Err(Error::invalid_list(
                    Some(kind),
                    ListLayer::Envelope,
                    ListProblem::Rollback {
                        installed: h.info.sequence,
                        offered: info.sequence,
                        state_file: None,
                    },
                )),
                Some(h) if info.sequence == h.info.sequence && h.digest == held.digest => {
                    Ok(Some(ListUpdate::AlreadyHeld))
                }
                Some(h) if info.sequence == h.info.sequence => Err(Error::invalid_list(
                    Some(kind),
                    ListLayer::Envelope,
                    ListProblem::SameSequence {
                        sequence: info.sequence,
                    },
                )),
                _ => Ok(None),
            }
        };
        if let Some(done) = decide(&self.lists.snapshot())? {
            return Ok(done);
        }
        let (trust, revocations) = match kind {
            ListKind::Trust => (Some(Arc::new(parse_trust(verified.payload())?)), None),
            ListKind::Revocation => (None, Some(Arc::new(parse_revocations(verified.payload())?))),
        };
        let mut slot = self
            .lists
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(done) = decide(&slot)? {
            return Ok(done);
        }
        let mut next = (**slot).clone();
        let previous = next.held(kind).map(|h| h.info);
        match kind {
            ListKind::Trust => {
                next.trust = trust.unwrap_or_else(|| Arc::clone(&next.trust));
                next.trust_held = Some(held);
            }
            ListKind::Revocation => {
                next.revocations = revocations;
                next.revocations_held = Some(held);
            }
        }
        *slot = Arc::new(next);
        Ok(ListUpdate::Installed { previous })
    }

    /// The freshness of every signed list held, at `now`: for a till's
    /// status screen or a monitoring job, so a list that is not renewed is
    /// seen long before it refuses codes. Empty for unsigned lists.
    pub fn list_status(&self, now: UnixTime) -> Vec<ListStatus> {
        let lists = self.lists.snapshot();
        [lists.trust_held, lists.revocations_held]
            .into_iter()
            .flatten()
            .map(|h| {
                let (notice, refused) = match self.staleness.check(&h.info, now) {
                    Ok(n) => (n, false),
                    Err(_) => (None, true),
                };
                ListStatus {
                    info: h.info,
                    refuses_at: self.staleness.refuses_at(&h.info),
                    notice,
                    refused,
                }
            })
            .collect()
    }

    /// The SHA-256 of the payload (the exact list bytes the root signed) of
    /// the signed list of `kind` in force, if a signed one is held. Two
    /// lists of one sequence are the same list when these digests agree:
    /// [`Verifier::update_trust_list`] compares them, and a till's rollback
    /// state file records the digest beside the sequence so that the same
    /// sequence with other content is refused on a later run too.
    pub fn payload_digest(&self, kind: ListKind) -> Option<[u8; 32]> {
        self.lists.snapshot().held(kind).map(|h| h.digest)
    }

    /// The pinned root key, if the verifier was built from a signed list.
    pub fn root_key(&self) -> Option<&RootKey> {
        self.lists.root.as_ref()
    }

    /// The staleness policy in force.
    pub fn staleness(&self) -> &StalenessPolicy {
        &self.staleness
    }

    /// The revocation list in force, if any.
    pub fn revocations(&self) -> Option<Arc<RevocationList>> {
        self.lists.snapshot().revocations.clone()
    }

    /// Replaces the policy.
    #[must_use = "with_policy returns the changed verifier"]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets the clock leeway.
    #[must_use = "with_leeway returns the changed verifier"]
    pub fn with_leeway(mut self, secs: u32) -> Self {
        self.policy.leeway_secs = secs;
        self
    }

    /// Sets the till's region, which enables the cross-province rule.
    #[must_use = "with_till_region returns the changed verifier"]
    pub fn with_till_region(mut self, region: Region) -> Self {
        self.policy.till_region = Some(region);
        self
    }

    /// Consults `guard` after every other check has accepted a code: a
    /// token id is accepted once until its expiry plus leeway, then refused
    /// as `replayed`. Replaces the guard the verifier had (by default its
    /// own [`MemoryReplayGuard`]). Clones of this verifier share the guard.
    #[must_use = "with_replay_guard returns the changed verifier"]
    pub fn with_replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self
    }

    /// Turns the replay guard off: the returned verifier accepts the same
    /// code any number of times within its validity.
    ///
    /// **A till must not use this.** Without a guard, a screenshot or a
    /// photo of a customer's code works again at the till until the code
    /// expires (up to the maximum validity, 300 s by default, plus the
    /// leeway): the "one code, one use" promise rests on the guard alone.
    /// Use it for tests that verify one code several times, for tools that
    /// only inspect codes, and for benchmarks of the bare checks.
    #[must_use = "without_replay_guard returns the changed verifier"]
    pub fn without_replay_guard(mut self) -> Self {
        self.replay = None;
        self
    }

    /// True when the verifier consults a replay guard (the default).
    pub fn has_replay_guard(&self) -> bool {
        self.replay.is_some()
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The trust list in force.
    pub fn trust_list(&self) -> Arc<TrustList> {
        Arc::clone(&self.lists.snapshot().trust)
    }

    /// Verifies code text as scanned, at time `now`: a token the issuer
    /// signed (`MC1`, self or delegate) or a code a phone made offline
    /// (`MC2`, see [`Verifier::verify_device_code`]).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] (`malformed`) or [`Error::UnsupportedVersion`]
    /// (`unsupported_version`) when `text` does not parse (see [`UntrustedToken::parse`]
    /// and [`UntrustedDeviceCode::parse`]); then those of [`Verifier::verify_token`]
    /// or [`Verifier::verify_device_code`].
    pub fn verify(&self, text: &str, now: UnixTime) -> Result<VerifiedToken> {
        self.check(text, &TillContext::new(), now).into_result()
    }

    /// [`Verifier::verify`] in a till's `context`, as a [`Verdict`]: the
    /// same decision, with what a record of it may say (the token id, and
    /// the claims when a refusal came after the signature held). The
    /// context's till region, when set, is the one the holder's
    /// cross-province switch is checked against (else the policy's). The
    /// observer, if any, hears the verdict.
    pub fn check(&self, text: &str, context: &TillContext, now: UnixTime) -> Verdict {
        let region = self.region_for(context);
        let verdict = match parse_code(text) {
            Err(e) => Verdict::unread(e),
            Ok(Parsed::Token(token)) => {
                self.token_verdict(&token, self.checked_token(&token, now, None, region))
            }
            Ok(Parsed::Device(code)) => {
                self.device_verdict(&code, self.checked_device_code(&code, now, region))
            }
        };
        self.observed(verdict, context, now)
    }

    /// The verdict on input refused before it could be read as a code (an
    /// image without a readable code, a line longer than any code), told to
    /// the observer like any other: it names nothing but the refusal.
    pub fn refuse_unread(&self, error: Error, context: &TillContext, now: UnixTime) -> Verdict {
        self.observed(Verdict::unread(error), context, now)
    }

    /// Tells the observer, if any, of `verdict`; returns it.
    pub(super) fn observed(
        &self,
        verdict: Verdict,
        context: &TillContext,
        now: UnixTime,
    ) -> Verdict {
        if let Some(observer) = &self.observer {
            observer.observe(&verdict, context, now);
        }
        verdict
    }

    /// The till region a check in `context` uses.
    pub(super) fn region_for(&self, context: &TillContext) -> Option<Region> {
        context.till_region().or(self.policy.till_region)
    }

    /// Sets the observer that hears every verdict (see [`VerdictObserver`]);
    /// the verifier's clones share it.
    #[must_use = "with_observer returns the changed verifier"]
    pub fn with_observer(mut self, observer: Arc<dyn VerdictObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Removes the observer (the verifier's clones made before keep it).
    #[must_use = "without_observer returns the changed verifier"]
    pub fn without_observer(mut self) -> Self {
        self.observer = None;
        self
    }

    /// The verdict of a token given its checks' outcome.
    pub(super) fn token_verdict(
        &self,
        token: &UntrustedToken,
        checked: Checked<VerifiedToken>,
    ) -> Verdict {
        let body = token.body();
        Verdict::of_code(checked, body.token_id, || {
            let kind = match body.claims.presenter {
                Some(_) => CodeKind::Delegate,
                None => CodeKind::SelfCode,
            };
            (body.claims.clone(), kind)
        })
    }

    /// Sets how many verified device credentials the verifier remembers
    /// (default [`DEFAULT_CREDENTIAL_CACHE`]), so that the next code of a
    /// phone seen before costs one signature check; 0 turns the cache off.
    /// The returned verifier has a cache of its own, shared by its clones.
    #[must_use = "with_credential_cache returns the changed verifier"]
    pub fn with_credential_cache(mut self, capacity: usize) -> Self {
        self.credentials = Arc::new(CredentialCache::new(capacity));
        self
    }

    /// Consults the replay guard for a code that passed every other check.
    pub(super) fn mark_seen(
        &self,
        verified: &mut VerifiedToken,
        until: UnixTime,
        now: UnixTime,
    ) -> Checked<()> {
        if let Some(observer) = &self.observer {
            observer.admit(1);
        }
        if let Some(guard) = &self.replay
            && let Some(notice) = guard
                .mark_seen(verified.token_id, until, now)
                .map_err(Refusal::signed)?
        {
            verified.notices.push(notice);
        }
        Ok(())
    }

    /// Verifies an already parsed token at time `now`.
    ///
    /// # Errors
    ///
    /// The first check that refuses the code, in this order: `trust_list_stale`,
    /// `unknown_key`, `bad_signature`, `revoked`, `validity_too_long`, `not_yet_valid`,
    /// `expired`, `cross_province_disabled`, then the replay guard's [`ReplayGuard::mark_seen`].
    pub fn verify_token(&self, token: &UntrustedToken, now: UnixTime) -> Result<VerifiedToken> {
        let context = TillContext::new();
        let checked = self.checked_token(token, now, None, self.region_for(&context));
        self.observed(self.token_verdict(token, checked), &context, now)
            .into_result()
    }

    /// [`Verifier::verify_token`], where `proven` (from a passed batch, see
    /// `batch.rs`) is a key already shown to verify this token's signature:
    /// that key's check is skipped, every other step is the same.
    pub(crate) fn checked_token(
        &self,
        token: &UntrustedToken,
        now: UnixTime,
        proven: Option<&PublicKey>,
        region: Option<Region>,
    ) -> Checked<VerifiedToken> {
        let (mut verified, until) = self.check_token(token, now, proven, region)?;
        // Last: one code, one use.
        self.mark_seen(&mut verified, until, now)?;
        Ok(verified)
    }

    /// Asks the replay guard whether it answers, recording nothing (see
    /// [`ReplayGuard::check_reachable`]): a service's readiness check. A
    /// verifier without a guard, or with one in this process, answers
    /// `Ok(())`. The call blocks for at most the guard's timeouts.
    ///
    /// # Errors
    ///
    /// [`Error::ReplayGuardUnavailable`] (`replay_guard_unavailable`) when a
    /// shared guard does not answer.
    pub fn check_replay_guard(&self, now: UnixTime) -> Result<()> {
        match &self.replay {
            Some(guard) => guard.check_reachable(now),
            None => Ok(()),
        }
    }

    /// The replay guard, if any.
    pub(crate) fn replay_guard(&self) -> Option<&dyn ReplayGuard> {
        self.replay.as_deref()
    }

    /// Every check of [`Verifier::checked_token`] but the replay
    /// guard: the token as it is verified so far, and until when its id is
    /// to be recorded (expiry plus leeway).
    pub(crate) fn check_token(
        &self,
        token: &UntrustedToken,
        now: UnixTime,
        proven: Option<&PublicKey>,
        region: Option<Region>,
    ) -> Checked<(VerifiedToken, UnixTime)> {
        let body = token.body();
        let issued_at = UnixTime::from_secs(u64::from(body.issued_at));
        let expires_at = issued_at.plus(u64::from(body.validity));
        let lists = self.lists.snapshot();

        // Signed lists past their next-update: a notice, then a refusal.
        let mut notices = self.list_notices(&lists, now).map_err(Refusal::unsigned)?;

        // Key: any trusted key with this id, valid now and when issued.
        let in_window =
            keys_in_window(&lists, &body.kid, now, issued_at).map_err(Refusal::unsigned)?;
        let message = token::signed_message(token.signed_bytes());
        let signature = token.signature();
        let signer = find_signer(&in_window, &body.kid, &message, signature, proven)
            .map_err(Refusal::unsigned)?;

        // From here on the signature holds: a refusal names the code's
        // claims. Revocation first, only now that the signature holds.
        if let Some(revoked) = &lists.revocations {
            revoked
                .check(&body.kid, &body.claims, issued_at)
                .map_err(Refusal::signed)?;
        }

        // Times.
        let leeway = u64::from(self.policy.leeway_secs);
        self.check_code_window(issued_at, u32::from(body.validity), now)
            .map_err(Refusal::signed)?;

        // The holder's cross-province switch.
        check_cross_province(&body.claims, region, &mut notices).map_err(Refusal::signed)?;

        Ok((
            VerifiedToken {
                claims: body.claims.clone(),
                kid: body.kid,
                algorithm: signer.key.algorithm(),
                authority: signer.authority.clone(),
                token_id: body.token_id,
                issued_at,
                expires_at,
                notices,
                device: None,
            },
            expires_at.plus(leeway),
        ))
    }
}

impl Verifier {
    /// The notices of the signed lists held (due soon, stale within the
    /// grace), or `trust_list_stale` past it.
    pub(super) fn list_notices(&self, lists: &Lists, now: UnixTime) -> Result<Vec<Notice>> {
        let mut notices = Vec::new();
        for held in [lists.trust_held, lists.revocations_held]
            .into_iter()
            .flatten()
        {
            notices.extend(self.staleness.check(&held.info, now)?);
        }
        Ok(notices)
    }

    /// Refuses a code valid for `validity` seconds from `issued_at` at
    /// `now`: a validity above the policy's, a code from the future or a
    /// stale one (the leeway at both ends).
    pub(super) fn check_code_window(
        &self,
        issued_at: UnixTime,
        validity: u32,
        now: UnixTime,
    ) -> Result<()> {
        let leeway = u64::from(self.policy.leeway_secs);
        if validity > self.policy.max_validity_secs {
            return Err(Error::ValidityTooLong {
                validity,
                max: self.policy.max_validity_secs,
            });
        }
        if issued_at > now.plus(leeway) {
            return Err(Error::NotYetValid { issued_at, now });
        }
        let expires_at = issued_at.plus(u64::from(validity));
        if now > expires_at.plus(leeway) {
            return Err(Error::Expired { expires_at, now });
        }
        Ok(())
    }
}

/// The holder's cross-province switch against the till's `region`: a
/// refusal when the holder switched use outside their province off and the
/// till is in another; a notice when the till's region is unknown.
pub(super) fn check_cross_province(
    claims: &Claims,
    region: Option<Region>,
    notices: &mut Vec<Notice>,
) -> Result<()> {
    if !claims.cross_province {
        match region {
            Some(till) if till.province() != claims.region.province() => {
                return Err(Error::CrossProvinceDisabled {
                    holder_region: claims.region.to_string(),
                    till_region: till.to_string(),
                });
            }
            Some(_) => {}
            None => notices.push(Notice::CrossProvinceNotChecked),
        }
    }
    Ok(())
}

/// The trusted keys with id `kid` valid both `now` and at `at` (when the
/// code was issued, or the device enrolled); `unknown_key` when none is.
pub(super) fn keys_in_window<'l>(
    lists: &'l Lists,
    kid: &KeyId,
    now: UnixTime,
    at: UnixTime,
) -> Result<Vec<&'l TrustedKey>> {
    let mut saw_kid = false;
    let mut in_window = Vec::new();
    for k in lists.trust.candidates(kid) {
        saw_kid = true;
        if k.valid_at(now) && k.valid_at(at) {
            in_window.push(k);
        }
    }
    if in_window.is_empty() {
        return Err(Error::UnknownKey {
            kid: kid.to_string(),
            detail: if saw_kid {
                "the trusted key with this id is outside its validity window"
            } else {
                "no trusted key has this id"
            },
        });
    }
    Ok(in_window)
}

/// The key of `in_window` whose signature over `message` verifies (or the
/// one a batch already proved); `bad_signature` when none does.
pub(super) fn find_signer<'k>(
    in_window: &[&'k TrustedKey],
    kid: &KeyId,
    message: &[u8],
    signature: &[u8],
    proven: Option<&PublicKey>,
) -> Result<&'k TrustedKey> {
    in_window
        .iter()
        .copied()
        .find(|k| proven == Some(&k.key) || k.key.verify(message, signature))
        .ok_or_else(|| Error::BadSignature {
            kid: kid.to_string(),
            // A high-s P-256 twin is refused for its form: say so.
            detail: in_window
                .iter()
                .find_map(|k| k.key.signature_form_problem(signature)),
        })
}

/// Parses a verified trust list payload, naming the signed list in errors.
fn parse_trust(payload: &[u8]) -> Result<TrustList> {
    TrustList::from_json(payload).map_err(in_payload)
}

/// Parses a verified revocation list payload, naming the signed list in
/// errors.
fn parse_revocations(payload: &[u8]) -> Result<RevocationList> {
    RevocationList::from_json(payload).map_err(in_payload)
}

/// Moves a bare list's error into the payload of a signed list.
fn in_payload(e: Error) -> Error {
    match e {
        Error::InvalidList {
            list,
            layer: ListLayer::Bare,
            file,
            problem,
        } => Error::InvalidList {
            list,
            layer: ListLayer::Payload,
            file,
            problem,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifier_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Verifier>();
        assert_send_sync::<VerifiedToken>();
    }

    #[test]
    fn default_policy_is_strict() {
        let p = Policy::default();
        assert_eq!(p.leeway_secs, 15);
        assert_eq!(p.max_validity_secs, 300);
        assert_eq!(p.till_region, None);
        let s = StalenessPolicy::default();
        assert_eq!(s.grace_secs, 72 * 3600);
        assert_eq!(s.due_soon_secs, 24 * 3600);
    }
}
