//! A verification result as one JSON object, as the CLI's `--json`, the
//! test vectors and the examples print it.

use serde_json::{Value, json};

use crate::error::Error;
use crate::verify::VerifiedToken;

/// The JSON object for a verification result:
/// `{"valid":true,"insured":..,"name":..,"region":..,"status":..,"scheme":..,
/// "issued_at":..,"expires_at":..,"kid":..,"token_id":..,"presenter":null,
/// "kind":"self"|"delegate"|"device","device":null|{..},..}` or
/// `{"valid":false,"reason":"<code>","detail":".."}`. For a device code,
/// `device` holds `credential_id`, `counter`, `quota`, `enrolled_at`,
/// `credential_expires_at` and `device_alg`.
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
