//! A verification result as a till shows it: one JSON object or one line of
//! plain words. Used by the CLI, the examples and the C ABI alike.

use serde_json::{Value, json};

use crate::claims::Status;
use crate::error::Error;
use crate::verifier::VerifiedToken;

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

/// Plain words for a verification result, one line per fact; the first line
/// starts with `accepted:` or `rejected (<reason>):`.
pub fn to_lines(result: &Result<VerifiedToken, Error>) -> Vec<String> {
    match result {
        Err(e) => vec![format!("rejected ({}): {e}", e.reason())],
        Ok(t) => {
            let name = t.name().map(|n| format!(" ({n})")).unwrap_or_default();
            let mut lines = vec![format!(
                "accepted: insured {}{name}, region {}, {} scheme, status {}; valid until {} (key {}, token {})",
                t.insured(),
                t.region(),
                t.scheme(),
                t.status(),
                t.expires_at(),
                t.key_id(),
                t.token_id()
            )];
            if t.status() == Status::Lapsed {
                lines.push(
                    "insurance lapsed (断缴): the code is valid, but the person receives no insurance benefits for the lapsed period".to_owned(),
                );
            }
            if let Some(p) = t.presenter() {
                lines.push(format!(
                    "shown by {} ({}) on behalf of the insured; personal-account mutual aid: {}",
                    p.insured,
                    p.relation,
                    if p.mutual_aid { "filed" } else { "not filed" }
                ));
            }
            for n in t.notices() {
                lines.push(format!("note: {n}"));
            }
            lines
        }
    }
}
