//! `GET /v1/usage?insured=ID`: the usage records the service's recorder
//! wrote (`state::Usage`: every verdict of `/v1/verify`, `/v1/verify/image`,
//! `/v1/verify/batch` and `/v1/pay`), read back for the platform with an
//! API key of role `issuer` only (no key, no personal records).

use std::sync::{Arc, PoisonError};

use axum::Json;
use axum::extract::{Extension, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use medcode::{InsuredId, UnixTime};
use medcode_platform::usage::{MAX_QUERY_LIMIT, UsageQuery};

use crate::serve::api_keys::Role;
use crate::serve::problem::{LogReason, Problem, ProblemBody};
use crate::serve::state::{App, Caller, RequestId};

/// Records `GET /v1/usage` returns when the caller names no limit.
const DEFAULT_LIMIT: u32 = 100;

/// The parameters of `GET /v1/usage`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // read by hand from the query string: the document's only
pub(crate) struct UsageParams {
    /// The insured person (1-20 digits or upper-case letters).
    #[param(pattern = r"^[0-9A-Z]{1,20}$")]
    insured: String,
    /// Only records at or after this RFC 3339 time.
    #[param(format = DateTime)]
    since: Option<String>,
    /// At most this many records (1-10000, default 100).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u32>,
}

/// The usage records of one insured person, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct UsageResponse {
    /// This request's id.
    request_id: String,
    /// The insured person asked about.
    insured: String,
    /// The records: `at`, `verdict`, `reason`, `token_id`, `insured`,
    /// `presenter`, `relation`, `kind`, `org_id`, `business_type`,
    /// `operator_id`, `office_id`.
    #[schema(value_type = Vec<Object>)]
    records: Value,
}

fn parse_params(raw: Option<&str>) -> Result<UsageQuery, Problem> {
    let (mut insured, mut since, mut limit) = (None, None, None);
    for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let slot = match name.as_ref() {
            "insured" => &mut insured,
            "since" => &mut since,
            "limit" => &mut limit,
            other => {
                return Err(Problem::invalid(format!(
                    "unknown parameter \"{}\": insured, since and limit are known",
                    crate::output::escape::shown(&other)
                )));
            }
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(Problem::invalid(format!("{name} is given twice")));
        }
    }
    let insured = insured.ok_or_else(|| Problem::invalid("insured is required"))?;
    let insured =
        InsuredId::new(&insured).map_err(|e| Problem::invalid(format!("insured: {e}")))?;
    let since = since
        .map(|s| UnixTime::parse_rfc3339(&s))
        .transpose()
        .map_err(|e| Problem::invalid(format!("since: {e}")))?;
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_QUERY_LIMIT).contains(&n) => n,
            _ => {
                return Err(Problem::invalid(format!(
                    "limit must be a whole number from 1 to {MAX_QUERY_LIMIT}"
                )));
            }
        },
    };
    Ok(UsageQuery::insured(insured).since(since).limit(limit))
}

/// The usage records of an insured person's codes (self and delegate),
/// newest first: for the issuer's platform only.
#[utoipa::path(get, tag = "usage", path = "/v1/usage", params(UsageParams),
    responses(
        (status = 200, description = "The records, newest first", body = UsageResponse),
        (status = 400, description = "A bad insured, since or limit, or an unknown parameter", body = ProblemBody),
        (status = 403, description = "Not an issuer's key (a till's key, or a service without --api-keys: no key, no personal records)", body = ProblemBody),
        (status = 404, description = "The service runs with --usage-db off", body = ProblemBody),
        (status = 503, description = "The usage store failed", body = ProblemBody),
    ),
    security(("api_key" = [])))]
pub(crate) async fn usage(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    if caller.role != Some(Role::Issuer) {
        let why = if app.keys.is_none() {
            "usage records are personal data: this service runs without --api-keys, so no caller may read them"
        } else {
            "usage records are personal data: only an API key of role issuer may read them"
        };
        return Err(Problem::new(StatusCode::FORBIDDEN, "forbidden", why));
    }
    if app.usage.is_none() {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this service records no usage (--usage-db off)",
        ));
    }
    let query = parse_params(raw.as_deref())?;
    let insured = query.insured[0].as_str().to_owned();
    let app2 = Arc::clone(&app);
    let found = tokio::task::spawn_blocking(move || {
        let usage = app2.usage.as_ref().map(|u| &u.reader);
        match usage {
            Some(reader) => reader
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .query(&query),
            None => Ok(Vec::new()),
        }
    })
    .await
    .map_err(|_| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))?;
    let records = found.map_err(|_| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            "the usage store failed",
        )
    })?;
    let mut response = Json(UsageResponse {
        request_id: request_id.0.clone(),
        insured,
        records: serde_json::json!(records),
    })
    .into_response();
    response.extensions_mut().insert(LogReason("usage"));
    Ok(response)
}
