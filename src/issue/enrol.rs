//! The issuer side of codes made offline: certifying a device key.

use ring::rand::SecureRandom;

use super::issuer::{Issuer, check_budget};
use crate::Claims;
use crate::CredentialId;
use crate::DeviceCredential;
use crate::device::credential::CREDENTIAL_ID_LEN;
use crate::device::credential::DEFAULT_CREDENTIAL_SECS;
use crate::device::credential::DEFAULT_DEVICE_VALIDITY_SECS;
use crate::device::credential::DEFAULT_QUOTA;
use crate::device::credential::MAX_CREDENTIAL_SECS;
use crate::device::{self, CredentialBody};
use crate::error::{Error, Result};
use crate::keys::{Algorithm, PublicKey};
use crate::time::{UnixTime, human_secs};

/// What the issuer certifies for one device: the holder's claims (with the
/// presenter block for a family member's phone), the device's public key,
/// and the credential's terms. The defaults are the strict ones: 24 hours,
/// [`DEFAULT_QUOTA`] codes, codes of at most 60 s.
#[derive(Clone, Debug)]
pub struct DeviceEnrolment {
    claims: Claims,
    device_key: PublicKey,
    lifetime_secs: u64,
    quota: u16,
    max_code_validity: u8,
}

impl DeviceEnrolment {
    /// An enrolment of `device_key` (Ed25519 or P-256) for `claims` with the
    /// default terms.
    pub fn new(claims: Claims, device_key: PublicKey) -> Self {
        DeviceEnrolment {
            claims,
            device_key,
            lifetime_secs: DEFAULT_CREDENTIAL_SECS,
            quota: DEFAULT_QUOTA,
            max_code_validity: DEFAULT_DEVICE_VALIDITY_SECS,
        }
    }

    /// Sets the credential's lifetime in seconds: whole minutes, at most
    /// [`MAX_CREDENTIAL_SECS`] (7 days; checked by
    /// [`Issuer::enrol_device`]).
    #[must_use = "with_lifetime_secs returns the changed enrolment"]
    pub fn with_lifetime_secs(mut self, secs: u64) -> Self {
        self.lifetime_secs = secs;
        self
    }

    /// Sets the offline quota: how many codes the credential may make.
    #[must_use = "with_quota returns the changed enrolment"]
    pub fn with_quota(mut self, quota: u16) -> Self {
        self.quota = quota;
        self
    }

    /// Sets the longest validity a code of this credential may claim.
    #[must_use = "with_max_code_validity returns the changed enrolment"]
    pub fn with_max_code_validity(mut self, secs: u8) -> Self {
        self.max_code_validity = secs;
        self
    }
}

impl Issuer {
    /// Certifies a device key: a credential from `now` (the enrolment time)
    /// for the enrolment's lifetime, with a fresh random credential id.
    /// The phone keeps it beside its key and makes codes with a
    /// [`DeviceHolder`](crate::DeviceHolder).
    ///
    /// ```
    /// use medcode::{Algorithm, Claims, DeviceEnrolment, DeviceHolder, InsuredId, Issuer,
    ///               Region, SigningKey, UnixTime};
    ///
    /// let issuer = Issuer::new(SigningKey::generate(Algorithm::Ed25519)?);
    /// let device_key = SigningKey::generate(Algorithm::P256)?; // on the phone
    /// let claims = Claims::new(InsuredId::new("12345678901234567890")?, Region::new("110000")?);
    /// let now = UnixTime::parse_rfc3339("2026-12-01T08:00:00Z")?;
    /// let enrolment = DeviceEnrolment::new(claims, device_key.public_key().clone());
    /// let credential = issuer.enrol_device(&enrolment, now)?;
    /// assert_eq!(credential.not_after(), now.plus(24 * 3600));
    ///
    /// // Later, with no network: the phone signs its own codes.
    /// let mut phone = DeviceHolder::new(device_key, credential, 0)?;
    /// let code = phone.code(now.plus(3600))?;
    /// assert!(code.text().starts_with("MC2"));
    /// # Ok::<(), medcode::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for a lifetime that
    /// is not whole minutes, zero or above 7 days, a quota of zero, a code
    /// validity of zero or above the issuer's [`Issuer::max_validity`], or a
    /// time beyond the format's last second; [`Error::InvalidClaims`]
    /// (`invalid_claims`) when the claims do not fit the size budget;
    /// [`Error::InvalidKey`] (`invalid_key`) for an SM2 device key or when
    /// signing or the random generator fails.
    pub fn enrol_device(
        &self,
        enrolment: &DeviceEnrolment,
        now: UnixTime,
    ) -> Result<DeviceCredential> {
        let mut id = [0u8; CREDENTIAL_ID_LEN];
        self.rng
            .fill(&mut id)
            .map_err(|_| Error::key("the system random generator failed"))?;
        self.enrol_device_with_id(enrolment, now, CredentialId::from_bytes(id))
    }

    /// [`Issuer::enrol_device`] with a caller-chosen credential id: for
    /// reproducible test vectors only.
    ///
    /// # Errors
    ///
    /// As [`Issuer::enrol_device`].
    pub fn enrol_device_with_id(
        &self,
        enrolment: &DeviceEnrolment,
        now: UnixTime,
        id: CredentialId,
    ) -> Result<DeviceCredential> {
        let e = enrolment;
        if e.device_key.algorithm() == Algorithm::Sm2 {
            return Err(Error::key(
                "a device key is ed25519 or p256 (what phones' secure hardware holds); sm2 keys sign as issuers only",
            ));
        }
        if e.lifetime_secs == 0 || !e.lifetime_secs.is_multiple_of(60) {
            return Err(Error::argument(
                "credential lifetime",
                format!(
                    "{} s is not a whole number of minutes (at least one)",
                    e.lifetime_secs
                ),
            ));
        }
        if e.lifetime_secs > MAX_CREDENTIAL_SECS {
            return Err(Error::argument(
                "credential lifetime",
                format!(
                    "{} is above the maximum of 7 days that tills accept (they would refuse every code as validity_too_long)",
                    human_secs(e.lifetime_secs)
                ),
            ));
        }
        if e.quota == 0 {
            return Err(Error::argument(
                "quota",
                "a credential must allow at least one code",
            ));
        }
        if e.max_code_validity == 0 || u32::from(e.max_code_validity) > self.max_validity() {
            return Err(Error::argument(
                "code validity",
                format!(
                    "{} s is not within 1..={} s, the validity tills accept",
                    e.max_code_validity,
                    self.max_validity().min(255)
                ),
            ));
        }
        check_budget(&e.claims)?;
        let not_before = u32::try_from(now.as_secs()).map_err(|_| {
            Error::argument(
                "enrolment time",
                format!("{now} is beyond 2106-02-07, the format's last second"),
            )
        })?;
        let body = CredentialBody {
            kid: self.key_id(),
            id,
            not_before,
            lifetime_minutes: u16::try_from(e.lifetime_secs / 60).unwrap_or(u16::MAX),
            max_validity: e.max_code_validity,
            quota: e.quota,
            device_alg: e.device_key.algorithm(),
            device_key: e.device_key.to_compact()?,
            claims: e.claims.clone(),
        };
        let mut bytes = device::encode_body(&body)?;
        let signed_len = bytes.len();
        let sig = self
            .signing_key()
            .sign(&device::credential_message(&bytes))?;
        bytes.extend_from_slice(&sig);
        DeviceCredential::from_bytes(&bytes).inspect(|c| {
            debug_assert_eq!(c.signed_len(), signed_len);
        })
    }
}
