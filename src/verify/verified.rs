//! The result of a successful verification: what the till may rely on.

use crate::Claims;
use crate::CredentialId;
use crate::InsuredId;
use crate::MaskedName;
use crate::Presenter;
use crate::Region;
use crate::Scheme;
use crate::Status;
use crate::error::Error;
use crate::keys::{Algorithm, KeyId};
use crate::notice::Notice;
use crate::time::UnixTime;
use crate::token::TokenId;

text_enum!(
    /// Which kind of code was verified.
    #[non_exhaustive]
    CodeKind, "code kind", Error::argument {
        /// The insured person's own code, signed by the issuer (`MC1`).
        SelfCode => "self",
        /// A family member's code shown by a delegate, signed by the issuer
        /// (`MC1`, with a presenter).
        Delegate => "delegate",
        /// A code the phone made offline with its certified device key
        /// (`MC2`); a delegate's phone makes these too (then with a
        /// presenter).
        Device => "device",
    }
);

/// What a verified device code adds: its credential and counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceDetails {
    /// The credential id (what revokes this phone's credential).
    pub credential_id: CredentialId,
    /// The code's counter.
    pub counter: u16,
    /// The credential's offline quota (counters 0 up to quota - 1).
    pub quota: u16,
    /// When the phone was enrolled (the credential's not-before).
    pub enrolled_at: UnixTime,
    /// The end of the credential's window.
    pub credential_expires_at: UnixTime,
    /// The device key's algorithm.
    pub device_algorithm: Algorithm,
}

/// A token whose signature, key and times have been checked. Only
/// [`Verifier::verify`](crate::Verifier::verify) creates one (its fields are
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
    pub(super) device: Option<DeviceDetails>,
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
    /// Which kind of code this was.
    pub fn kind(&self) -> CodeKind {
        match (&self.device, &self.claims.presenter) {
            (Some(_), _) => CodeKind::Device,
            (None, Some(_)) => CodeKind::Delegate,
            (None, None) => CodeKind::SelfCode,
        }
    }
    /// The credential and counter of a device code.
    pub fn device(&self) -> Option<&DeviceDetails> {
        self.device.as_ref()
    }
    /// Things the till should know.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }
}
