//! The issuer: signs short-lived tokens.

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};
use crate::keys::{KeyId, SigningKey};
use crate::time::UnixTime;
use crate::token::text;
use crate::token::{self, Body, MAX_ID_AND_NAME_BYTES, TOKEN_ID_LEN, TokenId, budget};
use crate::token::{Claims, DEFAULT_VALIDITY_SECS};

/// A freshly issued token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    text: String,
    token_id: TokenId,
    issued_at: UnixTime,
    expires_at: UnixTime,
    binary_len: usize,
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
#[derive(Debug)]
pub struct Issuer {
    key: SigningKey,
    validity: u16,
    rng: SystemRandom,
}

impl Issuer {
    /// An issuer that signs with `key` and issues codes valid for 60 s.
    pub fn new(key: SigningKey) -> Self {
        Issuer {
            key,
            validity: DEFAULT_VALIDITY_SECS,
            rng: SystemRandom::new(),
        }
    }

    /// Sets the validity of issued codes in seconds (1..=65535).
    #[must_use = "with_validity returns the changed issuer"]
    pub fn with_validity(mut self, secs: u16) -> Self {
        self.validity = secs.max(1);
        self
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

    /// Checks that `claims` fit the size budget, without signing anything.
    pub(crate) fn check_claims(&self, claims: &Claims) -> Result<()> {
        check_budget(claims)
    }

    /// Issues a token for `claims` at time `now`, with a fresh random token id
    /// from ring's `SystemRandom`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) if the system random generator fails;
    /// otherwise those of [`Issuer::issue_with_token_id`].
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
    /// (`invalid_argument`) when `now` is after 2106-02-07; [`Error::InvalidKey`]
    /// (`invalid_key`) if ECDSA signing fails.
    pub fn issue_with_token_id(
        &self,
        claims: &Claims,
        now: UnixTime,
        token_id: TokenId,
    ) -> Result<IssuedToken> {
        check_budget(claims)?;
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
fn check_budget(claims: &Claims) -> Result<()> {
    budget::check(&claims.insured, claims.name.as_ref(), |used| {
        format!(
            "identifier and masked name pack into {used} bytes; at most {MAX_ID_AND_NAME_BYTES} fit a version-6 QR code (use a shorter mask such as one character and '*')"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Algorithm;
    use crate::token::{InsuredId, MaskedName, Region};

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
    fn times_beyond_the_format_are_refused() {
        let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
        let err = issuer
            .issue(&claims("1", None), UnixTime::from_secs(1 << 32))
            .unwrap_err();
        assert_eq!(err.reason().as_str(), "invalid_argument");
    }
}
