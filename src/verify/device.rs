//! Verifying a code a phone made offline (`MC2`): the issuer's credential,
//! then the device's code.
//!
//! Order of checks: the signed lists' staleness; the issuer key (trusted,
//! valid at enrolment and now); the issuer signature on the credential
//! (skipped for a credential in the cache, whose issuer key is still
//! checked above); the credential's lifetime and window; revocation (the
//! credential id, the issuer key, the insured person and the presenter with
//! their since-instant against the enrolment time); the device signature;
//! the code's validity and window; the counter within the quota; the
//! cross-province switch; and last the replay guard on (credential id,
//! counter).

use super::context::TillContext;
use super::credential_cache::CachedCredential;
use super::verdict::{Checked, Refusal, Verdict};
use super::verified::CodeKind;
use super::verified::{DeviceDetails, VerifiedToken};
use super::verifier::{check_cross_province, find_signer, keys_in_window};
use crate::Region;
use crate::UntrustedDeviceCode;
use crate::Verifier;
use crate::device::credential::MAX_CREDENTIAL_SECS;
use crate::device::{self, replay_id};
use crate::error::{Error, Result};
use crate::time::UnixTime;

impl Verifier {
    /// Verifies a parsed device code at time `now`.
    ///
    /// # Errors
    ///
    /// The first check that refuses the code, in this order:
    /// `trust_list_stale`, `unknown_key` (the credential's issuer key),
    /// `bad_signature` (the issuer's on the credential), `validity_too_long`
    /// (a credential above 7 days), `not_yet_valid` or `credential_expired`
    /// (the credential's window), `revoked`, `bad_signature` (the device's),
    /// `validity_too_long`, `not_yet_valid`, `expired` (the code's window),
    /// `quota_exceeded`, `cross_province_disabled`, then the replay guard.
    pub fn verify_device_code(
        &self,
        code: &UntrustedDeviceCode,
        now: UnixTime,
    ) -> Result<VerifiedToken> {
        let context = TillContext::new();
        let checked = self.checked_device_code(code, now, self.region_for(&context));
        self.observed(self.device_verdict(code, checked), &context, now)
            .into_result()
    }

    /// [`Verifier::verify_device_code`], with whether a refusal came after
    /// the credential's signature held.
    pub(super) fn checked_device_code(
        &self,
        code: &UntrustedDeviceCode,
        now: UnixTime,
        region: Option<Region>,
    ) -> Checked<VerifiedToken> {
        let (mut verified, until) = self.check_device_code(code, now, region)?;
        self.mark_seen(&mut verified, until, now)?;
        Ok(verified)
    }

    /// The verdict of a device code given its checks' outcome: the claims
    /// are the credential's, which the issuer signed.
    pub(super) fn device_verdict(
        &self,
        code: &UntrustedDeviceCode,
        checked: Checked<VerifiedToken>,
    ) -> Verdict {
        let credential = code.credential_body();
        let token_id = replay_id(credential, code.counter());
        Verdict::of_code(checked, token_id, || {
            (credential.claims.clone(), CodeKind::Device)
        })
    }

    /// Every check of [`Verifier::verify_device_code`] but the replay guard.
    pub(super) fn check_device_code(
        &self,
        code: &UntrustedDeviceCode,
        now: UnixTime,
        region: Option<Region>,
    ) -> Checked<(VerifiedToken, UnixTime)> {
        let cred = code.credential_body();
        let enrolled_at = cred.not_before();
        let not_after = cred.not_after();
        let lists = self.lists.snapshot();
        let mut notices = self.list_notices(&lists, now).map_err(Refusal::unsigned)?;

        // The issuer key: trusted, valid when the phone was enrolled and now.
        let in_window =
            keys_in_window(&lists, &cred.kid, now, enrolled_at).map_err(Refusal::unsigned)?;
        let mut first_sight = false;
        let cached = match self.credentials.get(code.credential_bytes()) {
            Some(hit) if in_window.iter().any(|k| k.key == hit.issuer_key) => hit,
            _ => {
                let message = device::credential_message(code.credential_signed_bytes());
                let signer = find_signer(
                    &in_window,
                    &cred.kid,
                    &message,
                    code.credential_signature(),
                    None,
                )
                .map_err(Refusal::unsigned)?;
                // A credential whose issuer signature holds and whose device
                // key is no point was signed so by the issuer: refuse it as
                // malformed, never cache it.
                let device_key = cred.device_public_key().map_err(|_| {
                    Refusal::unsigned(Error::Malformed(
                        "the device key is not a point of its curve",
                    ))
                })?;
                first_sight = true;
                self.credentials.insert(
                    code.credential_bytes(),
                    CachedCredential {
                        issuer_key: signer.key.clone(),
                        device_key,
                    },
                )
            }
        };
        let signer = in_window
            .iter()
            .find(|k| k.key == cached.issuer_key)
            .ok_or_else(|| Error::UnknownKey {
                kid: cred.kid.to_string(),
                detail: "the trusted key with this id is outside its validity window",
            })
            .map_err(Refusal::unsigned)?;

        // From here on the issuer's signature on the credential holds: a
        // refusal names its claims (but that of the device signature).
        // The credential's window.
        let leeway = u64::from(self.policy.leeway_secs);
        if cred.lifetime_secs() > MAX_CREDENTIAL_SECS {
            return Err(Refusal::signed(Error::ValidityTooLong {
                validity: u32::try_from(cred.lifetime_secs()).unwrap_or(u32::MAX),
                max: u32::try_from(MAX_CREDENTIAL_SECS).unwrap_or(u32::MAX),
            }));
        }
        if enrolled_at > now.plus(leeway) {
            return Err(Refusal::signed(Error::NotYetValid {
                issued_at: enrolled_at,
                now,
            }));
        }
        if now > not_after.plus(leeway) {
            return Err(Refusal::signed(Error::CredentialExpired { not_after, now }));
        }

        // Revocation: the credential itself, then the issuer key and the
        // persons from the enrolment on.
        if let Some(revoked) = &lists.revocations {
            revoked
                .check_credential(&cred.id)
                .map_err(Refusal::signed)?;
            revoked
                .check(&cred.kid, &cred.claims, enrolled_at)
                .map_err(Refusal::signed)?;
        }

        // The device's signature on the code.
        let message = device::code_message(code.signed_bytes());
        // A key seen for the first time is checked without building its
        // table (for Ed25519): a phone seen once costs two signature checks,
        // and the table comes with its next code.
        let holds = if first_sight {
            cached
                .device_key
                .verify_first_sight(&message, code.signature())
        } else {
            cached
                .device_key
                .verify_either_s(&message, code.signature())
        };
        // A code whose device signature fails was not made with the
        // certified key: its refusal names nobody.
        if !holds {
            return Err(Refusal::unsigned(Error::BadSignature {
                kid: cred.kid.to_string(),
                detail: Some(
                    "the device signature on the code does not verify under the key its credential certifies",
                ),
            }));
        }

        // The code's window: within what the credential allows, then the
        // policy; a code made after the credential's end is refused as such.
        let fields = code.fields();
        let generated_at = enrolled_at.plus(u64::from(fields.offset));
        if fields.validity > cred.max_validity {
            return Err(Refusal::signed(Error::ValidityTooLong {
                validity: u32::from(fields.validity),
                max: u32::from(cred.max_validity),
            }));
        }
        if generated_at > not_after {
            return Err(Refusal::signed(Error::CredentialExpired {
                not_after,
                now: generated_at,
            }));
        }
        self.check_code_window(generated_at, u32::from(fields.validity), now)
            .map_err(Refusal::signed)?;

        // The offline quota.
        if fields.counter >= cred.quota {
            return Err(Refusal::signed(Error::QuotaExceeded {
                counter: u32::from(fields.counter),
                quota: cred.quota,
            }));
        }

        check_cross_province(&cred.claims, region, &mut notices).map_err(Refusal::signed)?;

        let expires_at = generated_at.plus(u64::from(fields.validity));
        Ok((
            VerifiedToken {
                claims: cred.claims.clone(),
                kid: cred.kid,
                algorithm: signer.key.algorithm(),
                authority: signer.authority.clone(),
                token_id: replay_id(cred, fields.counter),
                issued_at: generated_at,
                expires_at,
                notices,
                device: Some(DeviceDetails {
                    credential_id: cred.id,
                    counter: fields.counter,
                    quota: cred.quota,
                    enrolled_at,
                    credential_expires_at: not_after,
                    device_algorithm: cached.device_key.algorithm(),
                }),
            },
            expires_at.plus(leeway),
        ))
    }
}
