//! The issuer: signs short-lived tokens.

use ring::rand::{SecureRandom, SystemRandom};

use crate::Claims;
use crate::error::{Error, Result};
use crate::keys::{KeyId, SigningKey};
use crate::time::UnixTime;
use crate::token::budget::MAX_ID_AND_NAME_BYTES;
use crate::token::claims::DEFAULT_VALIDITY_SECS;
use crate::token::format::DEFAULT_MAX_VALIDITY_SECS;
use crate::token::format::TOKEN_ID_LEN;
use crate::token::text;
use crate::token::{self, Body, TokenId, budget};

/// A freshly issued token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub(super) text: String,
    pub(super) token_id: TokenId,
    pub(super) issued_at: UnixTime,
    pub(super) expires_at: UnixTime,
    pub(super) binary_len: usize,
}

impl IssuedToken {
    /// The text that goes into the QR code (prefix and digits).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The token's random id.
    pub fn token_id(&self) -> TokenId {
        self.token_id
    }

    /// When it was issued.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }

    /// When its validity ends (before any verifier leeway).
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// Length of the binary form in bytes.
    pub fn binary_len(&self) -> usize {
        self.binary_len
    }
}

/// Signs tokens with one private key.
///
/// An issuer refuses to sign a code that a till would refuse for its
/// validity: by default the longest validity is the verifier's default
/// maximum ([`DEFAULT_MAX_VALIDITY_SECS`], 300 s), so
/// `with_validity(3600)` makes [`Issuer::issue`] fail with
/// `invalid_argument` rather than hand out codes that every till refuses
/// as `validity_too_long`. An operator whose tills accept longer codes
/// (their `Policy::max_validity_secs` raised) says so with
/// [`Issuer::with_max_validity`].
#[derive(Debug)]
pub struct Issuer {
    key: SigningKey,
    validity: u16,
    max_validity: u32,
    pub(super) rng: SystemRandom,
}

impl Issuer {
    /// An issuer that signs with `key` and issues codes valid for 60 s.
    pub fn new(key: SigningKey) -> Self {
        Issuer {
            key,
            validity: DEFAULT_VALIDITY_SECS,
            max_validity: DEFAULT_MAX_VALIDITY_SECS,
            rng: SystemRandom::new(),
        }
    }

    /// Sets the validity of issued codes in seconds (1..=65535). Above the
    /// issuer's maximum ([`Issuer::max_validity`], by default 300 s)
    /// [`Issuer::issue`] refuses to sign.
    #[must_use = "with_validity returns the changed issuer"]
    pub fn with_validity(mut self, secs: u16) -> Self {
        self.validity = secs.max(1);
        self
    }

    /// Sets the longest validity this issuer signs, in seconds: the maximum
    /// the tills that check its codes accept (their
    /// `Policy::max_validity_secs`). Tills refuse codes above *their own*
    /// maximum as `validity_too_long`, so raise this only together with
    /// theirs. The default is [`DEFAULT_MAX_VALIDITY_SECS`] (300 s).
    #[must_use = "with_max_validity returns the changed issuer"]
    pub fn with_max_validity(mut self, secs: u32) -> Self {
        self.max_validity = secs;
        self
    }

    /// The longest validity this issuer signs, in seconds.
    pub fn max_validity(&self) -> u32 {
        self.max_validity
    }

    /// Checks that the validity is within the issuer's maximum.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when the validity is
    /// above [`Issuer::max_validity`].
    pub fn check_validity(&self) -> Result<()> {
        if u32::from(self.validity) > self.max_validity {
            return Err(Error::InvalidArgument {
                what: "validity",
                why: format!(
                    "{} s is above the maximum of {} s that tills accept (they would refuse the code as validity_too_long); use at most {} s, or raise the maximum with with_max_validity if the tills' own maximum is raised too",
                    self.validity, self.max_validity, self.max_validity
                ),
            });
        }
        Ok(())
    }

    /// The key id tokens will carry.
    pub fn key_id(&self) -> KeyId {
        self.key.key_id()
    }

    /// The signing key (for deriving its public half).
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The validity of issued codes in seconds.
    pub fn validity(&self) -> u16 {
        self.validity
    }

    /// Checks that `claims` fit the size budget and the validity the
    /// maximum, without signing anything.
    pub(crate) fn check_claims(&self, claims: &Claims) -> Result<()> {
        self.check_validity()?;
        check_budget(claims)
    }

    /// Issues a token for `claims` at time `now`, with a fresh random token id
    /// from ring's `SystemRandom`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when the validity is
    /// above [`Issuer::max_validity`] or `now` is beyond the format's last
    /// second; [`Error::InvalidClaims`] (`invalid_claims`) when the claims do
    /// not fit the size budget; [`Error::InvalidKey`] (`invalid_key`) when signing fails.
    pub fn issue(&self, claims: &Claims, now: UnixTime) -> Result<IssuedToken> {
        let mut id = [0u8; TOKEN_ID_LEN];
        self.rng
            .fill(&mut id)
            .map_err(|_| Error::key("the system random generator failed"))?;
        self.issue_with_token_id(claims, now, TokenId::from_bytes(id))
    }

    /// Issues a token with a caller-chosen token id. Meant for reproducible
    /// test vectors: production code calls [`Issuer::issue`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaims`] (`invalid_claims`) when the packed identifier and
    /// masked name exceed [`MAX_ID_AND_NAME_BYTES`]; [`Error::InvalidArgument`]
    /// (`invalid_argument`) when the validity is above [`Issuer::max_validity`]
    /// or `now` is after 2106-02-07; [`Error::InvalidKey`]
    /// (`invalid_key`) if ECDSA signing fails.
    pub fn issue_with_token_id(
        &self,
        claims: &Claims,
        now: UnixTime,
        token_id: TokenId,
    ) -> Result<IssuedToken> {
        self.check_claims(claims)?;
        let issued_at = u32::try_from(now.as_secs()).map_err(|_| Error::InvalidArgument {
            what: "issue time",
            why: format!("{now} is beyond 2106-02-07, the format's last second"),
        })?;
        let body = Body {
            kid: self.key.key_id(),
            issued_at,
            validity: self.validity,
            token_id,
            claims: claims.clone(),
        };
        let mut bytes = token::encode_body(&body);
        let sig = self.key.sign(&token::signed_message(&bytes))?;
        bytes.extend_from_slice(&sig);
        Ok(IssuedToken {
            text: text::encode(&bytes),
            token_id,
            issued_at: now,
            expires_at: now.plus(u64::from(self.validity)),
            binary_len: bytes.len(),
        })
    }
}

/// The issuer keeps every code small enough for QR version 6 (self) or 7
/// (delegate) at level M by bounding the identifier and masked name.
pub(super) fn check_budget(claims: &Claims) -> Result<()> {
    budget::check(&claims.insured, claims.name.as_ref(), |used| {
        format!(
            "identifier and masked name pack into {used} bytes; at most {MAX_ID_AND_NAME_BYTES} fit a version-6 QR code (use a shorter mask such as one character and '*')"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InsuredId;
    use crate::MaskedName;
    use crate::Region;
    use crate::keys::Algorithm;

    fn claims(id: &str, name: Option<&str>) -> Claims {
        let mut c = Claims::new(InsuredId::new(id).unwrap(), Region::new("110000").unwrap());
        c.name = name.map(|n| MaskedName::new(n).unwrap());
        c
    }

    #[test]
    fn token_ids_are_fresh() {
        let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
        let t = UnixTime::from_secs(1_795_334_400);
        let c = claims("123", None);
        let a = issuer.issue(&c, t).unwrap();
        let b = issuer.issue(&c, t).unwrap();
        assert_ne!(a.token_id(), b.token_id());
        assert_ne!(a.text(), b.text());
        assert_eq!(a.expires_at().as_secs() - a.issued_at().as_secs(), 60);
    }

    #[test]
    fn budget_keeps_codes_small() {
        let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
        let t = UnixTime::from_secs(1_795_334_400);
        // 9 + 6 = 15 bytes: the largest accepted with a 20-digit identifier.
        assert!(
            issuer
                .issue(&claims("12345678901234567890", Some("欧***")), t)
                .is_ok()
        );
        let c = claims("12345678901234567890", Some("欧阳*"));
        assert_eq!(
            issuer.issue(&c, t).unwrap_err().reason().as_str(),
            "invalid_claims"
        );
        // 13 + 2 = 15 bytes with a 20-character alphanumeric identifier.
        assert!(
            issuer
                .issue(&claims("ABCDEFGHIJKLMNOPQRST", Some("Z*")), t)
                .is_ok()
        );
        assert!(
            issuer
                .issue(&claims("ABCDEFGHIJKLMNOPQRST", Some("Z**")), t)
                .is_err()
        );
    }

    #[test]
    fn validity_above_the_verifiers_default_maximum_is_refused() {
        let key = || SigningKey::generate(Algorithm::Ed25519).unwrap();
        let t = UnixTime::from_secs(1_795_334_400);
        let c = claims("123", None);
        assert_eq!(Issuer::new(key()).max_validity(), 300);
        assert_eq!(
            crate::token::format::DEFAULT_MAX_VALIDITY_SECS,
            Issuer::new(key()).max_validity()
        );
        // 300 s, the boundary, is signed.
        let ok = Issuer::new(key()).with_validity(300).issue(&c, t).unwrap();
        assert_eq!(ok.expires_at().as_secs() - ok.issued_at().as_secs(), 300);
        // 301 s is refused before anything is signed.
        for validity in [301, 3600, u16::MAX] {
            let issuer = Issuer::new(key()).with_validity(validity);
            let err = issuer.issue(&c, t).unwrap_err();
            assert_eq!(err.reason().as_str(), "invalid_argument");
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid validity: {validity} s is above the maximum of 300 s that tills accept (they would refuse the code as validity_too_long); use at most 300 s, or raise the maximum with with_max_validity if the tills' own maximum is raised too"
                )
            );
            assert_eq!(
                issuer.check_validity().unwrap_err().reason().as_str(),
                "invalid_argument"
            );
        }
        // An explicitly raised maximum signs up to itself, and no further.
        let raised = Issuer::new(key())
            .with_validity(3600)
            .with_max_validity(3600);
        let long = raised.issue(&c, t).unwrap();
        assert_eq!(
            long.expires_at().as_secs() - long.issued_at().as_secs(),
            3600
        );
        let above = Issuer::new(key())
            .with_validity(3601)
            .with_max_validity(3600);
        assert_eq!(
            above.issue(&c, t).unwrap_err().reason().as_str(),
            "invalid_argument"
        );
        // The order of the two calls does not matter.
        let other_order = Issuer::new(key()).with_max_validity(301).with_validity(301);
        assert!(other_order.issue(&c, t).is_ok());
        // A holder's screen refuses such an issuer at once.
        let holder = crate::Holder::new(Issuer::new(key()).with_validity(301), c.clone());
        assert_eq!(holder.unwrap_err().reason().as_str(), "invalid_argument");
    }

    #[test]
    fn times_beyond_the_format_are_refused() {
        let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
        let err = issuer
            .issue(&claims("1", None), UnixTime::from_secs(1 << 32))
            .unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_argument");
    }
}
