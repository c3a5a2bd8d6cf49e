//! A verification result as one JSON object, as the CLI's `--json`, the
//! test vectors and the examples print it.

use serde_json::{Value, json};

use crate::error::Error;
use crate::verify::VerifiedToken;

/// The JSON object for a verification result:
/// `{"valid":true,"insured":..,"name":..,"region":..,"status":..,"scheme":..,
/// "issued_at":..,"expires_at":..,"kid":..,"token_id":..,"presenter":null,..}`
/// or `{"valid":false,"reason":"<code>","detail":".."}`.
pub fn to_json(result: &Result<VerifiedToken, Error>) -> Value {
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
        }),
        Err(e) => json!({
            "valid": false,
            "reason": e.reason().as_str(),
            "detail": e.to_string(),
        }),
    }
}
