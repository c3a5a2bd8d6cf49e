//! The phone side of codes made offline: a device key and its credential.
//!
//! A [`DeviceHolder`] signs each code itself, with no network: the
//! credential the issuer certified, then the generation time, the next
//! counter and the validity, signed by the device key. The caller keeps the
//! counter across restarts (the next one is [`DeviceHolder::next_counter`]):
//! store it *before* showing a code, so that a crash never shows one
//! counter twice (`medcode device code` does this with a state file).

use super::issuer::IssuedToken;
use crate::DeviceCredential;
use crate::device::{
    self, CODE_FIELDS_LEN, CodeFields, MAX_GENERATION_OFFSET, push_fields, replay_id,
};
use crate::error::{Error, Result};
use crate::keys::SigningKey;
use crate::time::UnixTime;
use crate::token::text::{self, TextKind};

/// A phone's device key and the credential that certifies it. Its key is
/// zeroized when dropped and never printed (`Debug` shows the credential's
/// terms only).
#[derive(Debug)]
pub struct DeviceHolder {
    key: SigningKey,
    credential: DeviceCredential,
    next_counter: u32,
    validity: u8,
}

impl DeviceHolder {
    /// A holder that signs with `key`, the key `credential` certifies, and
    /// makes its next code with counter `next_counter`. Codes claim the
    /// credential's longest validity.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidKey`] (`invalid_key`) when `key` is not the device key
    /// the credential certifies (a credential copied to another phone).
    pub fn new(key: SigningKey, credential: DeviceCredential, next_counter: u32) -> Result<Self> {
        if key.public_key() != credential.device_key() {
            return Err(Error::key(
                "this device key is not the one the credential certifies (enrol this phone's own key)",
            ));
        }
        let validity = credential.max_code_validity();
        Ok(DeviceHolder {
            key,
            credential,
            next_counter,
            validity,
        })
    }

    /// Sets the validity codes claim, in seconds (1 up to the credential's
    /// [`DeviceCredential::max_code_validity`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) outside that range.
    pub fn with_validity(mut self, secs: u8) -> Result<Self> {
        if secs == 0 || secs > self.credential.max_code_validity() {
            return Err(Error::argument(
                "validity",
                format!(
                    "{secs} s is not within 1..={} s, the longest the credential allows",
                    self.credential.max_code_validity()
                ),
            ));
        }
        self.validity = secs;
        Ok(self)
    }

    /// The credential.
    pub fn credential(&self) -> &DeviceCredential {
        &self.credential
    }

    /// The counter the next code will carry (equal to the quota once every
    /// code is made).
    pub fn next_counter(&self) -> u32 {
        self.next_counter
    }

    /// Moves the counter forward to `counter` (never back): for a phone that
    /// reserved `counter` in its own storage, or whose other process made
    /// codes meanwhile.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) when `counter` is
    /// below the next counter: that counter may already have been shown.
    pub fn skip_to(&mut self, counter: u32) -> Result<()> {
        if counter < self.next_counter {
            return Err(Error::argument(
                "counter",
                format!(
                    "{counter} is below the next counter {}: a counter is never used twice",
                    self.next_counter
                ),
            ));
        }
        self.next_counter = counter;
        Ok(())
    }

    /// Codes the credential can still make.
    pub fn remaining(&self) -> u32 {
        u32::from(self.credential.quota()).saturating_sub(self.next_counter)
    }

    /// Makes the next code at `now` and advances the counter.
    ///
    /// # Errors
    ///
    /// [`Error::QuotaExceeded`] (`quota_exceeded`) when the credential made
    /// every code it may; [`Error::CredentialExpired`]
    /// (`credential_expired`) after its not-after; [`Error::NotYetValid`]
    /// (`not_yet_valid`) before its not-before (a phone clock behind the
    /// issuer's); [`Error::InvalidKey`] (`invalid_key`) if signing fails.
    pub fn code(&mut self, now: UnixTime) -> Result<IssuedToken> {
        let quota = self.credential.quota();
        let counter = u16::try_from(self.next_counter)
            .ok()
            .filter(|&c| c < quota)
            .ok_or(Error::QuotaExceeded {
                counter: self.next_counter,
                quota,
            })?;
        let not_before = self.credential.not_before();
        if now < not_before {
            return Err(Error::NotYetValid {
                issued_at: not_before,
                now,
            });
        }
        if now > self.credential.not_after() {
            return Err(Error::CredentialExpired {
                not_after: self.credential.not_after(),
                now,
            });
        }
        let offset = u32::try_from(now.as_secs() - not_before.as_secs())
            .ok()
            .filter(|&o| o <= MAX_GENERATION_OFFSET)
            .ok_or(Error::CredentialExpired {
                not_after: self.credential.not_after(),
                now,
            })?;
        let mut bytes = Vec::with_capacity(self.credential.as_bytes().len() + CODE_FIELDS_LEN + 64);
        bytes.extend_from_slice(self.credential.as_bytes());
        push_fields(
            &mut bytes,
            CodeFields {
                offset,
                counter,
                validity: self.validity,
            },
        );
        let sig = self.key.sign(&device::code_message(&bytes))?;
        bytes.extend_from_slice(&sig);
        self.next_counter += 1;
        Ok(IssuedToken {
            text: text::encode_as(TextKind::Device, &bytes),
            token_id: replay_id(self.credential.body(), counter),
            issued_at: now,
            expires_at: now.plus(u64::from(self.validity)),
            binary_len: bytes.len(),
        })
    }
}
