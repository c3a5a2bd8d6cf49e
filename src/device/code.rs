//! The device code: a credential, then the code's own fields, signed by the
//! device key (layout in the module docs of `crate::device`).

use ring::digest;

use super::credential::{self, CredentialBody, CredentialId};
use crate::error::{Error, Result};
use crate::keys::KeyId;
use crate::keys::sizes::SIGNATURE_LEN;
use crate::time::UnixTime;
use crate::token::format::TOKEN_ID_LEN;
use crate::token::text::{self, MAX_DEVICE_BINARY_LEN, TextKind};
use crate::token::{Reader, TokenId};

/// Domain-separation tag prefixed to the message a device signs for a code.
pub(crate) const CODE_CONTEXT: &[u8] = b"medcode/2/code";
/// Bytes of a code's own fields after the credential: generation offset (3),
/// counter (2), validity (1).
pub(crate) const CODE_FIELDS_LEN: usize = 6;
/// The largest generation offset (3 bytes of seconds after not-before).
pub(crate) const MAX_GENERATION_OFFSET: u32 = (1 << 24) - 1;

/// A code's own fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CodeFields {
    /// Seconds after the credential's not-before.
    pub offset: u32,
    pub counter: u16,
    pub validity: u8,
}

/// Writes a code's fields after the credential bytes.
pub(crate) fn push_fields(out: &mut Vec<u8>, f: CodeFields) {
    out.extend_from_slice(&f.offset.to_be_bytes()[1..]);
    out.extend_from_slice(&f.counter.to_be_bytes());
    out.push(f.validity);
}

/// The exact message the device signature covers.
pub(crate) fn signed_message(signed: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CODE_CONTEXT.len() + signed.len());
    msg.extend_from_slice(CODE_CONTEXT);
    msg.extend_from_slice(signed);
    msg
}

/// The replay id of the code a credential made with `counter`: one use per
/// (credential id, counter), whatever else the code says.
pub(crate) fn replay_id(credential: &CredentialBody, counter: u16) -> TokenId {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(b"medcode/2/replay");
    ctx.update(credential.id.as_bytes());
    ctx.update(&counter.to_be_bytes());
    let d = ctx.finish();
    let mut id = [0u8; TOKEN_ID_LEN];
    id.copy_from_slice(&d.as_ref()[..TOKEN_ID_LEN]);
    TokenId::from_bytes(id)
}

/// A device code read from a scanner, not yet checked: the credential and
/// the code's fields, parsed for their layout only. It exposes what is safe
/// before verification (the issuer key id, the credential id); the claims
/// come out of [`crate::Verifier::verify`] only.
#[derive(Clone, Debug)]
pub struct UntrustedDeviceCode {
    bytes: Vec<u8>,
    credential: CredentialBody,
    /// Length of the credential (issuer signature included) and of its
    /// signed part.
    credential_len: usize,
    credential_signed_len: usize,
    fields: CodeFields,
    signed_len: usize,
}

impl UntrustedDeviceCode {
    /// Parses device code text (`MC2` and digits) without checking either
    /// signature; whitespace around it is ignored as for tokens.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedVersion`] (`unsupported_version`) for another
    /// version digit (an `MC1` token included: parse those with
    /// [`UntrustedToken::parse`](crate::UntrustedToken::parse));
    /// [`Error::Malformed`] (`malformed`) for anything else that is not one
    /// well-formed device code.
    pub fn parse(text: &str) -> Result<Self> {
        match text::decode_any(text)? {
            (TextKind::Device, bytes) => Self::from_bytes(&bytes),
            (TextKind::Token, _) => Err(Error::UnsupportedVersion { found: 1 }),
        }
    }

    /// Parses the binary form (as [`UntrustedDeviceCode::as_bytes`] gives it).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] (`malformed`) when `bytes` is not exactly one
    /// well-formed device code.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_DEVICE_BINARY_LEN {
            return Err(Error::Malformed(
                "device code is longer than any device code",
            ));
        }
        let mut r = Reader::new(bytes);
        let (body, cred_signed_len) = credential::read(&mut r)?;
        let cred_len = r.pos();
        let offset = r.array::<3>("generation time")?;
        let offset = u32::from_be_bytes([0, offset[0], offset[1], offset[2]]);
        let counter = u16::from_be_bytes(r.array("counter")?);
        let validity = r.byte("validity")?;
        if validity == 0 {
            return Err(Error::Malformed("validity of zero seconds"));
        }
        let signed_len = r.pos();
        let remaining = bytes.len() - signed_len;
        if remaining < SIGNATURE_LEN {
            return Err(Error::Malformed("device code is truncated"));
        }
        if remaining > SIGNATURE_LEN {
            return Err(Error::Malformed("trailing bytes after the signature"));
        }
        Ok(UntrustedDeviceCode {
            bytes: bytes.to_vec(),
            credential: body,
            credential_len: cred_len,
            credential_signed_len: cred_signed_len,
            fields: CodeFields {
                offset,
                counter,
                validity,
            },
            signed_len,
        })
    }

    /// The text form (prefix `MC2` and digits).
    pub fn to_text(&self) -> String {
        text::encode_as(TextKind::Device, &self.bytes)
    }

    /// The binary form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The binary form's length in bytes.
    pub fn binary_len(&self) -> usize {
        self.bytes.len()
    }

    /// The id of the credential the code carries (not yet verified).
    pub fn credential_id(&self) -> CredentialId {
        self.credential.id
    }

    /// The id of the issuer key the credential names (not yet verified).
    pub fn issuer_key_id(&self) -> KeyId {
        self.credential.kid
    }

    /// The code's counter (not yet verified).
    pub fn counter(&self) -> u16 {
        self.fields.counter
    }

    /// When the device says it made the code (not yet verified).
    pub fn generated_at(&self) -> UnixTime {
        self.credential
            .not_before()
            .plus(u64::from(self.fields.offset))
    }

    pub(crate) fn fields(&self) -> CodeFields {
        self.fields
    }

    pub(crate) fn credential_body(&self) -> &CredentialBody {
        &self.credential
    }

    /// The credential's bytes, issuer signature included: the key of a
    /// till's credential cache.
    pub(crate) fn credential_bytes(&self) -> &[u8] {
        &self.bytes[..self.credential_len]
    }

    pub(crate) fn credential_signed_bytes(&self) -> &[u8] {
        &self.bytes[..self.credential_signed_len]
    }

    pub(crate) fn credential_signature(&self) -> &[u8] {
        &self.bytes[self.credential_signed_len..self.credential_len]
    }

    pub(crate) fn signed_bytes(&self) -> &[u8] {
        &self.bytes[..self.signed_len]
    }

    pub(crate) fn signature(&self) -> &[u8] {
        &self.bytes[self.signed_len..]
    }
}
