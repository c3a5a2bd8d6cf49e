//! The offline verifier: built once from a trust list and a policy, shared
//! across threads, and asked `verify(text, now)` for each scanned code.

use std::sync::Arc;

use serde::Serialize;

use crate::claims::{Claims, InsuredId, MaskedName, Presenter, Region, Scheme, Status};
use crate::error::{Error, Result};
use crate::keys::{Algorithm, KeyId, PublicKey};
use crate::replay::ReplayGuard;
use crate::time::UnixTime;
use crate::token::{self, TokenId, UntrustedToken};
use crate::trust::TrustList;

/// Default clock leeway in seconds.
pub const DEFAULT_LEEWAY_SECS: u32 = 15;
/// Default longest validity a verifier accepts, in seconds.
pub const DEFAULT_MAX_VALIDITY_SECS: u32 = 300;

/// What a verifier accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Seconds of clock difference tolerated at both ends of the validity.
    pub leeway_secs: u32,
    /// Tokens claiming a longer validity are refused.
    pub max_validity_secs: u32,
    /// The region of the till this verifier serves, if configured. Needed to
    /// apply the holder's cross-province switch.
    pub till_region: Option<Region>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_validity_secs: DEFAULT_MAX_VALIDITY_SECS,
            till_region: None,
        }
    }
}

/// Something the verifier wants the till to know about an accepted code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Notice {
    /// The holder switched off use outside their province, but this verifier
    /// has no till region, so the rule could not be applied.
    CrossProvinceNotChecked,
}

impl Notice {
    /// A sentence for a log line or a cashier.
    pub fn describe(&self) -> &'static str {
        match self {
            Notice::CrossProvinceNotChecked => {
                "the holder switched off use outside their province, but no till region is configured, so that rule was not checked"
            }
        }
    }
}

/// A token whose signature, key and times have been checked. Only
/// [`Verifier::verify`] creates one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    claims: Claims,
    kid: KeyId,
    algorithm: Algorithm,
    authority: String,
    token_id: TokenId,
    issued_at: UnixTime,
    expires_at: UnixTime,
    notices: Vec<Notice>,
}

impl VerifiedToken {
    /// The insured person whose insurance pays.
    pub fn insured(&self) -> &InsuredId {
        &self.claims.insured
    }
    /// The masked display name, if the code carries one.
    pub fn name(&self) -> Option<&MaskedName> {
        self.claims.name.as_ref()
    }
    /// Region of enrolment.
    pub fn region(&self) -> Region {
        self.claims.region
    }
    /// Insurance status: a lapsed person is accepted but receives no
    /// benefits for the lapsed period.
    pub fn status(&self) -> Status {
        self.claims.status
    }
    /// Insurance scheme.
    pub fn scheme(&self) -> Scheme {
        self.claims.scheme
    }
    /// Whether the holder allows use outside their home province.
    pub fn cross_province(&self) -> bool {
        self.claims.cross_province
    }
    /// The presenter of a delegate (family-account) code.
    pub fn presenter(&self) -> Option<&Presenter> {
        self.claims.presenter.as_ref()
    }
    /// All claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
    /// The key id that signed it.
    pub fn key_id(&self) -> KeyId {
        self.kid
    }
    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    /// The issuing authority named in the trust list.
    pub fn authority(&self) -> &str {
        &self.authority
    }
    /// The random token id.
    pub fn token_id(&self) -> TokenId {
        self.token_id
    }
    /// When it was issued.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// When its validity ends (before leeway).
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }
    /// Things the till should know.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }
}

/// Checks scanned codes offline. Cheap to share: clone it or put it in an
/// `Arc`; it is `Send + Sync` and takes no lock on the verification path.
#[derive(Clone, Debug)]
pub struct Verifier {
    trust: Arc<TrustList>,
    policy: Policy,
    replay: Option<Arc<dyn ReplayGuard>>,
}

impl Verifier {
    /// A verifier for `trust` with the default (strict) policy.
    pub fn new(trust: TrustList) -> Self {
        Verifier {
            trust: Arc::new(trust),
            policy: Policy::default(),
            replay: None,
        }
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
    /// as `replayed`. Clones of this verifier share the guard.
    #[must_use = "with_replay_guard returns the changed verifier"]
    pub fn with_replay_guard(mut self, guard: Arc<dyn ReplayGuard>) -> Self {
        self.replay = Some(guard);
        self
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The trust list in force.
    pub fn trust_list(&self) -> &TrustList {
        &self.trust
    }

    /// Verifies token text as scanned, at time `now`.
    pub fn verify(&self, text: &str, now: UnixTime) -> Result<VerifiedToken> {
        let token = UntrustedToken::parse(text)?;
        self.verify_token(&token, now)
    }

    /// Verifies an already parsed token at time `now`.
    pub fn verify_token(&self, token: &UntrustedToken, now: UnixTime) -> Result<VerifiedToken> {
        self.verify_token_proven(token, now, None)
    }

    /// [`Verifier::verify_token`], where `proven` (from a passed batch, see
    /// `batch.rs`) is a key already shown to verify this token's signature:
    /// that key's check is skipped, every other step is the same.
    pub(crate) fn verify_token_proven(
        &self,
        token: &UntrustedToken,
        now: UnixTime,
        proven: Option<&PublicKey>,
    ) -> Result<VerifiedToken> {
        let body = token.body();
        let issued_at = UnixTime::from_secs(u64::from(body.issued_at));
        let expires_at = issued_at.plus(u64::from(body.validity));

        // Key: any trusted key with this id, valid now and when issued.
        let mut saw_kid = false;
        let mut in_window = Vec::new();
        for k in self.trust.candidates(&body.kid) {
            saw_kid = true;
            if k.valid_at(now) && k.valid_at(issued_at) {
                in_window.push(k);
            }
        }
        if in_window.is_empty() {
            return Err(Error::UnknownKey {
                kid: body.kid.to_string(),
                detail: if saw_kid {
                    "the trusted key with this id is outside its validity window"
                } else {
                    "no trusted key has this id"
                },
            });
        }
        let message = token::signed_message(token.signed_bytes());
        let signer = in_window
            .into_iter()
            .find(|k| proven == Some(&k.key) || k.key.verify(&message, token.signature()))
            .ok_or_else(|| Error::BadSignature {
                kid: body.kid.to_string(),
            })?;

        // Times.
        let leeway = u64::from(self.policy.leeway_secs);
        if u32::from(body.validity) > self.policy.max_validity_secs {
            return Err(Error::ValidityTooLong {
                validity: u32::from(body.validity),
                max: self.policy.max_validity_secs,
            });
        }
        if issued_at > now.plus(leeway) {
            return Err(Error::NotYetValid { issued_at, now });
        }
        if now > expires_at.plus(leeway) {
            return Err(Error::Expired { expires_at, now });
        }

        // The holder's cross-province switch.
        let mut notices = Vec::new();
        if !body.claims.cross_province {
            match self.policy.till_region {
                Some(till) if till.province() != body.claims.region.province() => {
                    return Err(Error::CrossProvinceDisabled {
                        holder_region: body.claims.region.to_string(),
                        till_region: till.to_string(),
                    });
                }
                Some(_) => {}
                None => notices.push(Notice::CrossProvinceNotChecked),
            }
        }

        // Last: one code, one use.
        if let Some(guard) = &self.replay
            && let Some(notice) = guard.mark_seen(body.token_id, expires_at.plus(leeway), now)?
        {
            notices.push(notice);
        }

        Ok(VerifiedToken {
            claims: body.claims.clone(),
            kid: body.kid,
            algorithm: signer.key.algorithm(),
            authority: signer.authority.clone(),
            token_id: body.token_id,
            issued_at,
            expires_at,
            notices,
        })
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
    }
}
