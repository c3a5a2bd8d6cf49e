//! The device credential: the issuer certifies a phone's key for a bounded
//! time and number of codes (layout in the module docs of `crate::device`).

use std::fmt;

use crate::Claims;
use crate::error::{Error, Result};
use crate::keys::sizes::KEY_ID_LEN;
use crate::keys::sizes::SIGNATURE_LEN;
use crate::keys::{Algorithm, KeyId, PublicKey};
use crate::time::UnixTime;
use crate::token::{self, Reader};

/// Domain-separation tag prefixed to the message an issuer signs for a
/// credential.
pub(crate) const CREDENTIAL_CONTEXT: &[u8] = b"medcode/2/credential";
/// The format version of device credentials and codes (high nibble of the
/// first byte; text prefix `MC2`).
pub const DEVICE_FORMAT_VERSION: u8 = 2;
/// Length of a credential id in bytes (64 random bits).
pub const CREDENTIAL_ID_LEN: usize = 8;
/// Default credential lifetime: 24 hours.
pub const DEFAULT_CREDENTIAL_SECS: u64 = 24 * 3600;
/// Longest credential lifetime an issuer signs and a verifier accepts: 7
/// days.
pub const MAX_CREDENTIAL_SECS: u64 = 7 * 24 * 3600;
/// Default offline quota: codes one credential may make.
pub const DEFAULT_QUOTA: u16 = 1000;
/// Default longest code validity a credential lets the device claim, in
/// seconds (the validity of an issuer's code).
pub const DEFAULT_DEVICE_VALIDITY_SECS: u8 = 60;

/// Device-key algorithm byte of Ed25519.
const ALG_ED25519: u8 = 1;
/// Device-key algorithm byte of ECDSA P-256.
const ALG_P256: u8 = 2;

/// The random 64-bit id of a device credential: the unit of revocation (a
/// lost phone's credential is revoked by this id).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId([u8; CREDENTIAL_ID_LEN]);

impl CredentialId {
    /// Wraps raw bytes.
    pub const fn from_bytes(bytes: [u8; CREDENTIAL_ID_LEN]) -> Self {
        CredentialId(bytes)
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; CREDENTIAL_ID_LEN] {
        &self.0
    }

    /// Parses the 16 lower-case hex digits [`CredentialId`] displays as.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] (`invalid_argument`) for anything else.
    pub fn parse_hex(text: &str) -> Result<Self> {
        let mut out = [0u8; CREDENTIAL_ID_LEN];
        if text.len() != 2 * CREDENTIAL_ID_LEN
            || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            || hex::decode_to_slice(text, &mut out).is_err()
        {
            return Err(Error::argument(
                "credential id",
                format!("{text:?} is not 16 lower-case hex digits"),
            ));
        }
        Ok(CredentialId(out))
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CredentialId({self})")
    }
}

/// The signed fields of a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CredentialBody {
    pub kid: KeyId,
    pub id: CredentialId,
    pub not_before: u32,
    /// Lifetime in minutes (not-after = not-before + 60 * minutes).
    pub lifetime_minutes: u16,
    pub max_validity: u8,
    pub quota: u16,
    pub device_alg: Algorithm,
    /// The device key's compact form, checked to be a key only where it
    /// is used: a till decompresses it once per credential it caches.
    pub device_key: Vec<u8>,
    pub claims: Claims,
}

impl CredentialBody {
    pub(crate) fn not_before(&self) -> UnixTime {
        UnixTime::from_secs(u64::from(self.not_before))
    }

    pub(crate) fn not_after(&self) -> UnixTime {
        self.not_before()
            .plus(60 * u64::from(self.lifetime_minutes))
    }

    pub(crate) fn lifetime_secs(&self) -> u64 {
        60 * u64::from(self.lifetime_minutes)
    }

    /// The device public key (a P-256 point is decompressed and so checked).
    pub(crate) fn device_public_key(&self) -> Result<PublicKey> {
        PublicKey::from_compact(self.device_alg, &self.device_key)
    }
}

/// Writes the signed part of a credential.
pub(crate) fn encode_body(body: &CredentialBody) -> Result<Vec<u8>> {
    let alg = match body.device_alg {
        Algorithm::Ed25519 => ALG_ED25519,
        Algorithm::P256 => ALG_P256,
        Algorithm::Sm2 => {
            return Err(Error::key(
                "a device key is ed25519 or p256; sm2 keys sign as issuers only",
            ));
        }
    };
    if Some(body.device_key.len()) != body.device_alg.compact_len() {
        return Err(Error::key(
            "the device key's compact form has the wrong length",
        ));
    }
    let mut out = Vec::with_capacity(160);
    out.push((DEVICE_FORMAT_VERSION << 4) | token::claim_flags(&body.claims));
    out.extend_from_slice(body.kid.as_bytes());
    out.extend_from_slice(body.id.as_bytes());
    out.extend_from_slice(&body.not_before.to_be_bytes());
    out.extend_from_slice(&body.lifetime_minutes.to_be_bytes());
    out.push(body.max_validity);
    out.extend_from_slice(&body.quota.to_be_bytes());
    out.push(alg);
    out.extend_from_slice(&body.device_key);
    token::encode_claims(&mut out, &body.claims);
    Ok(out)
}

/// The exact message the issuer's signature on a credential covers.
pub(crate) fn signed_message(body_bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(CREDENTIAL_CONTEXT.len() + body_bytes.len());
    msg.extend_from_slice(CREDENTIAL_CONTEXT);
    msg.extend_from_slice(body_bytes);
    msg
}

/// Reads a credential from the front of `r`: its body, then the issuer's
/// signature. Returns the body and the length of its signed part.
pub(crate) fn read(r: &mut Reader<'_>) -> Result<(CredentialBody, usize)> {
    let head = r.byte("version")?;
    if head >> 4 != DEVICE_FORMAT_VERSION {
        return Err(Error::Malformed(
            "the version byte disagrees with the prefix",
        ));
    }
    let kid = KeyId::from_bytes(r.array::<KEY_ID_LEN>("issuer key id")?);
    let id = CredentialId(r.array("credential id")?);
    let not_before = u32::from_be_bytes(r.array("not-before")?);
    let lifetime_minutes = u16::from_be_bytes(r.array("lifetime")?);
    if lifetime_minutes == 0 {
        return Err(Error::Malformed("credential lifetime of zero minutes"));
    }
    let max_validity = r.byte("largest code validity")?;
    if max_validity == 0 {
        return Err(Error::Malformed("largest code validity of zero seconds"));
    }
    let quota = u16::from_be_bytes(r.array("quota")?);
    if quota == 0 {
        return Err(Error::Malformed("offline quota of zero codes"));
    }
    let alg = match r.byte("device key algorithm")? {
        ALG_ED25519 => Algorithm::Ed25519,
        ALG_P256 => Algorithm::P256,
        _ => return Err(Error::Malformed("unknown device key algorithm")),
    };
    let key_len = alg.compact_len().unwrap_or(0);
    let device_key = r.take(key_len, "device key")?.to_vec();
    let claims = r.claims(head)?;
    let signed_len = r.pos();
    r.take(SIGNATURE_LEN, "credential signature")?;
    Ok((
        CredentialBody {
            kid,
            id,
            not_before,
            lifetime_minutes,
            max_validity,
            quota,
            device_alg: alg,
            device_key,
            claims,
        },
        signed_len,
    ))
}

/// A device credential as the phone keeps it: the issuer-signed bytes that
/// certify its key. Parsing checks the layout only; what it says is not
/// trusted until a till's [`Verifier`](crate::Verifier) checks the issuer's
/// signature in a code. The phone reads its own terms (expiry, quota) here.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCredential {
    bytes: Vec<u8>,
    signed_len: usize,
    body: CredentialBody,
    device_key: PublicKey,
}

impl fmt::Debug for DeviceCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The claims name a person: Debug shows the credential's terms only.
        f.debug_struct("DeviceCredential")
            .field("id", &self.body.id)
            .field("kid", &self.body.kid)
            .field("not_before", &self.not_before())
            .field("not_after", &self.not_after())
            .field("quota", &self.body.quota)
            .finish_non_exhaustive()
    }
}

/// Largest credential in bytes (a delegate with the longest identifiers and
/// a P-256 key).
pub const MAX_CREDENTIAL_LEN: usize = 154;

impl DeviceCredential {
    /// Parses the bytes of a credential (as [`DeviceCredential::as_bytes`]
    /// gives them, the file `medcode device enroll` writes).
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] (`malformed`) when `bytes` is not exactly one
    /// well-formed credential (its device key a point of its curve).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_CREDENTIAL_LEN {
            return Err(Error::Malformed("credential is longer than any credential"));
        }
        let mut r = Reader::new(bytes);
        let (body, signed_len) = read(&mut r)?;
        if r.pos() != bytes.len() {
            return Err(Error::Malformed("trailing bytes after the credential"));
        }
        let device_key = body
            .device_public_key()
            .map_err(|_| Error::Malformed("the device key is not a point of its curve"))?;
        Ok(DeviceCredential {
            bytes: bytes.to_vec(),
            signed_len,
            body,
            device_key,
        })
    }

    /// The credential's bytes, issuer signature included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The credential id (what `medcode revoke --credential` takes).
    pub fn id(&self) -> CredentialId {
        self.body.id
    }

    /// The id of the issuer key that signed it.
    pub fn issuer_key_id(&self) -> KeyId {
        self.body.kid
    }

    /// The enrolment time: codes are made from here on.
    pub fn not_before(&self) -> UnixTime {
        self.body.not_before()
    }

    /// The end of the credential's window: tills refuse codes made after it
    /// (`credential_expired`).
    pub fn not_after(&self) -> UnixTime {
        self.body.not_after()
    }

    /// How many codes the credential may make (counters `0..quota`).
    pub fn quota(&self) -> u16 {
        self.body.quota
    }

    /// The longest validity a code of this credential may claim, seconds.
    pub fn max_code_validity(&self) -> u8 {
        self.body.max_validity
    }

    /// The device public key the issuer certified.
    pub fn device_key(&self) -> &PublicKey {
        &self.device_key
    }

    /// The holder's claims as the issuer wrote them (the phone's own copy,
    /// for its screen; a till relies only on a verified code).
    pub fn claims(&self) -> &Claims {
        &self.body.claims
    }

    pub(crate) fn body(&self) -> &CredentialBody {
        &self.body
    }

    pub(crate) fn signed_len(&self) -> usize {
        self.signed_len
    }
}
