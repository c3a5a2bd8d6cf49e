//! The verifier's decision about one code ([`Verdict`]), and a result as
//! one JSON object, as the CLI's `--json`, the test vectors and the
//! examples print it.

use serde_json::{Value, json};

use crate::Claims;
use crate::Reason;
use crate::VerifiedToken;
use crate::error::{Error, Result};
use crate::token::TokenId;
use crate::verify::CodeKind;

/// What the verifier decided about one code, and what a record of the
/// decision may say about it.
///
/// Only the verifier makes verdicts ([`Verifier::check`],
/// [`Verifier::check_batch`]). A refused code names its insured person
/// ([`Verdict::signed_claims`]) only when the refusal came after a
/// signature held: the check itself says so as it refuses, so the claims
/// of a forged code are never given under anyone's name.
///
/// [`Verifier::check`]: crate::Verifier::check
/// [`Verifier::check_batch`]: crate::Verifier::check_batch
#[derive(Debug)]
pub struct Verdict {
    result: Result<VerifiedToken>,
    /// A refused code's id, as parsed (signed only if `signed` is some).
    token_id: Option<TokenId>,
    /// A refused code's claims and kind, when its signature held.
    signed: Option<(Claims, CodeKind)>,
}

/// A refusal inside the verifier, with whether the code's signature had
/// held when it was given.
#[derive(Debug)]
pub(crate) struct Refusal {
    pub(crate) error: Error,
    pub(crate) signed: bool,
}

impl Refusal {
    /// A refusal given before any signature held (or of a signature).
    pub(crate) fn unsigned(error: Error) -> Self {
        Refusal {
            error,
            signed: false,
        }
    }

    /// A refusal given after the signature held.
    pub(crate) fn signed(error: Error) -> Self {
        Refusal {
            error,
            signed: true,
        }
    }
}

/// A check's outcome inside the verifier.
pub(crate) type Checked<T> = std::result::Result<T, Refusal>;

impl Verdict {
    /// The verdict on input refused before the verifier read it as a
    /// code (an image without one, a line longer than any code): it names
    /// nothing but the refusal.
    pub fn unread(error: Error) -> Self {
        Verdict {
            result: Err(error),
            token_id: None,
            signed: None,
        }
    }

    /// The verdict of a parsed code with id `token_id`: `claims` gives its
    /// claims and kind, taken only when a refusal came after the signature.
    pub(crate) fn of_code(
        checked: Checked<VerifiedToken>,
        token_id: TokenId,
        claims: impl FnOnce() -> (Claims, CodeKind),
    ) -> Self {
        match checked {
            Ok(verified) => Verdict {
                result: Ok(verified),
                token_id: None,
                signed: None,
            },
            Err(Refusal { error, signed }) => Verdict {
                result: Err(error),
                token_id: Some(token_id),
                signed: signed.then(claims),
            },
        }
    }

    /// The result: the verified token, or the refusal.
    pub fn result(&self) -> &Result<VerifiedToken> {
        &self.result
    }

    /// The result, taken.
    ///
    /// # Errors
    ///
    /// The refusal, when the code was refused.
    pub fn into_result(self) -> Result<VerifiedToken> {
        self.result
    }

    /// Whether the code was accepted.
    pub fn is_accepted(&self) -> bool {
        self.result.is_ok()
    }

    /// `None` when accepted, else the refusal's reason.
    pub fn reason(&self) -> Option<Reason> {
        self.result.as_ref().err().map(Error::reason)
    }

    /// The code's token id: verified when accepted; for a refused code the
    /// id it carries (which only a held signature vouches for); `None` for
    /// a code that did not parse.
    pub fn token_id(&self) -> Option<TokenId> {
        match &self.result {
            Ok(verified) => Some(verified.token_id()),
            Err(_) => self.token_id,
        }
    }

    /// The claims an issuer signed: those of an accepted code, or of a code
    /// refused after its signature held (expired, replayed, revoked, ...);
    /// `None` for a code that did not parse or whose signature did not hold.
    pub fn signed_claims(&self) -> Option<&Claims> {
        match &self.result {
            Ok(verified) => Some(verified.claims()),
            Err(_) => self.signed.as_ref().map(|(claims, _)| claims),
        }
    }

    /// The kind of code, known as [`Verdict::signed_claims`] is.
    pub fn kind(&self) -> Option<CodeKind> {
        match &self.result {
            Ok(verified) => Some(verified.kind()),
            Err(_) => self.signed.as_ref().map(|&(_, kind)| kind),
        }
    }
}

/// The JSON object for a verification result:
/// `{"valid":true,"insured":..,"name":..,"region":..,"status":..,"scheme":..,
/// "issued_at":..,"expires_at":..,"kid":..,"token_id":..,"presenter":null,
/// "kind":"self"|"delegate"|"device","device":null|{..},..}` or
/// `{"valid":false,"reason":"<code>","detail":".."}`. For a device code,
/// `device` holds `credential_id`, `counter`, `quota`, `enrolled_at`,
/// `credential_expires_at` and `device_alg`.
pub fn to_json(result: &Result<VerifiedToken>) -> Value {
    match result {
        Ok(t) => json!({
            "valid": true,
            "insured": t.insured(),
            "name": t.name(),
            "region": t.region(),
            "status": t.status(),
            "scheme": t.scheme(),
            "issued_at": t.issued_at().to_rfc3339(),
            "expires_at": t.expires_at().to_rfc3339(),
            "kid": t.key_id(),
            "token_id": t.token_id().to_string(),
            "presenter": t.presenter(),
            "cross_province": t.cross_province(),
            "notices": t.notices().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "kind": t.kind().as_str(),
            "device": t.device().map(|d| json!({
                "credential_id": d.credential_id.to_string(),
                "counter": d.counter,
                "quota": d.quota,
                "enrolled_at": d.enrolled_at.to_rfc3339(),
                "credential_expires_at": d.credential_expires_at.to_rfc3339(),
                "device_alg": d.device_algorithm,
            })),
        }),
        Err(e) => json!({
            "valid": false,
            "reason": e.reason().as_str(),
            "detail": e.to_string(),
        }),
    }
}
