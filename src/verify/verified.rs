//! The result of a successful verification: what the till may rely on.

use crate::keys::{Algorithm, KeyId};
use crate::notice::Notice;
use crate::time::UnixTime;
use crate::token::{Claims, InsuredId, MaskedName, Presenter, Region, Scheme, Status, TokenId};

/// A token whose signature, key and times have been checked. Only
/// [`Verifier::verify`](super::Verifier::verify) creates one (its fields are
/// visible to the verifier's files only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedToken {
    pub(super) claims: Claims,
    pub(super) kid: KeyId,
    pub(super) algorithm: Algorithm,
    pub(super) authority: String,
    pub(super) token_id: TokenId,
    pub(super) issued_at: UnixTime,
    pub(super) expires_at: UnixTime,
    pub(super) notices: Vec<Notice>,
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
