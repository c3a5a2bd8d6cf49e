//! What a request says: its JSON body (of the right content type), the
//! organisation it names checked against the caller's API key, and the
//! till context of its fields.

use axum::http::{HeaderMap, StatusCode, header};

use medcode::Error;
use medcode::Region;
use medcode::verify::TillContext;

use super::api_keys;
use super::problem::Problem;
use super::state::Caller;

/// The body must be one of these media types (`415` otherwise).
pub(crate) fn require_content_type(headers: &HeaderMap, allowed: &[&str]) -> Result<(), Problem> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match given {
        Some(t) if allowed.contains(&t.as_str()) => Ok(()),
        _ => Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be {}", allowed.join(" or ")),
        )),
    }
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Problem> {
    require_content_type(headers, &["application/json"])?;
    serde_json::from_slice(body)
        .map_err(|e| Problem::invalid(format!("the body is not a valid request: {e}")))
}

/// The till context of a request: the caller's organisation (the API
/// key's, else the request's) and the request's till fields, each refused
/// as the context's rules say (`business_type must be 5 digits`, ...).
pub(crate) fn till_context(
    caller: &Caller,
    org_id: Option<&str>,
    business_type: Option<&str>,
    operator_id: Option<&str>,
    office_id: Option<&str>,
    till_region: Option<&str>,
) -> Result<TillContext, Problem> {
    let refused = |e: Error| match e {
        Error::InvalidArgument { what, why } => Problem::invalid(format!("{what} {why}")),
        other => Problem::invalid(other.to_string()),
    };
    let mut context = TillContext::new();
    if let Some(org) = caller.org.as_deref().or(org_id) {
        context = context.with_org_id(org).map_err(refused)?;
    }
    if let Some(v) = business_type {
        context = context.with_business_type(v).map_err(refused)?;
    }
    if let Some(v) = operator_id {
        context = context.with_operator_id(v).map_err(refused)?;
    }
    if let Some(v) = office_id {
        context = context.with_office_id(v).map_err(refused)?;
    }
    if let Some(v) = till_region {
        let region = Region::new(v).map_err(|e| Problem::invalid(format!("till_region: {e}")))?;
        context = context.with_till_region(region);
    }
    Ok(context)
}

/// Refuses a body naming another organisation than the caller's key.
pub(crate) fn check_org(caller: &Caller, named: Option<&str>) -> Result<(), Problem> {
    if let Some(named) = named
        && api_keys::check_org(named).is_err()
    {
        return Err(Problem::invalid(
            "org_id must be 1-64 letters, digits, '-', '_' or '.'",
        ));
    }
    match (&caller.org, named) {
        (Some(own), Some(named)) if own != named => Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "org_id names another organisation than the API key's",
        )),
        _ => Ok(()),
    }
}
