//! Verification: one code (`POST /v1/verify`), the code in an image
//! (`/v1/verify/image`) and a batch (`/v1/verify/batch`).

use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use medcode::Verifier;
use medcode::verify::{TillContext, to_json};
use medcode::{Error, VerifiedToken};

use crate::clock::system_now;
use crate::serve::problem::{LogReason, Problem, ProblemBody};
use crate::serve::request::{check_org, parse_json, require_content_type, till_context};
use crate::serve::state::{App, Caller, MAX_IMAGE_DECODES, RequestId};

/// Most codes in one `/v1/verify/batch` request.
pub(crate) const MAX_BATCH_CODES: usize = 256;

/// A code to verify, with the context of the till that scanned it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    /// The scanned token text (`MC1...`).
    code: String,
    /// The institution; with API keys, the key's organisation (another is refused with 403).
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    org_id: Option<String>,
    /// The business type, 5 digits (01101 registration, 01301 outpatient settlement, 02121 pharmacy purchase, ...).
    #[schema(pattern = r"^[0-9]{5}$")]
    business_type: Option<String>,
    /// The operator at the till (1-64 printable characters).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]{1,64}$"
    )]
    operator_id: Option<String>,
    /// The office of the till (1-64 printable characters).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]{1,64}$"
    )]
    office_id: Option<String>,
    /// The till's region (6 digits, a province-level prefix); enables the holder's cross-province switch.
    #[schema(pattern = r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}$")]
    till_region: Option<String>,
}

/// Codes to verify together.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BatchRequest {
    /// The token texts, at most 256.
    #[schema(max_items = 256)]
    codes: Vec<String>,
    /// The institution, as in a single verification.
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    org_id: Option<String>,
}

/// A verdict, as `medcode verify --json` prints it, with the request id.
#[derive(Serialize, ToSchema)]
pub(crate) struct VerifyResponse {
    /// This request's id (also in the `x-request-id` header and the log).
    request_id: String,
    /// `{"valid":true,"insured":...,"kind":"self"|"delegate"|"device","device":null|{...}}`
    /// (a device code's `device` holds its `credential_id`, `counter`,
    /// `quota`, `enrolled_at`, `credential_expires_at` and `device_alg`) or
    /// `{"valid":false,"reason":"<code>","detail":"..."}`.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    verdict: Value,
}

/// One verdict per code, in order.
#[derive(Serialize, ToSchema)]
pub(crate) struct BatchResponse {
    /// This request's id.
    request_id: String,
    /// The verdicts, as in a single verification.
    #[schema(value_type = Vec<Object>)]
    verdicts: Vec<Value>,
}

fn verdict_response(request_id: &RequestId, result: &Result<VerifiedToken, Error>) -> Response {
    let reason = match result {
        Ok(_) => "accepted",
        Err(e) => e.reason().as_str(),
    };
    let mut response = Json(VerifyResponse {
        request_id: request_id.0.clone(),
        verdict: to_json(result),
    })
    .into_response();
    response.extensions_mut().insert(LogReason(reason));
    response
}

/// Verify one code.
#[utoipa::path(post, tag = "handlers", path = "/v1/verify", request_body = VerifyRequest,
    responses(
        (status = 200, description = "The verdict, accepted or rejected alike", body = VerifyResponse),
        (status = 400, description = "Not a verification request", body = ProblemBody),
    ),
    security(("api_key" = [])))]
pub(crate) async fn verify(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let request: VerifyRequest = parse_json(&headers, &body)?;
    check_org(&caller, request.org_id.as_deref())?;
    let context = till_context(
        &caller,
        request.org_id.as_deref(),
        request.business_type.as_deref(),
        request.operator_id.as_deref(),
        request.office_id.as_deref(),
        request.till_region.as_deref(),
    )?;
    let code = request.code;
    let verdict = match &app.batcher {
        // Verified together with the requests arriving meanwhile.
        Some(batcher) => {
            let started = Instant::now();
            let verdict = batcher
                .verify(code, context)
                .await
                .ok_or_else(|| Problem::for_status(StatusCode::SERVICE_UNAVAILABLE))?;
            app.metrics.verify_took(started.elapsed());
            verdict
        }
        None => {
            let verifier: Verifier = app.verifier.clone();
            app.verify_blocking(move || verifier.check(&code, &context, system_now()))
                .await?
        }
    };
    app.metrics.verdict(verdict.result());
    Ok(verdict_response(&request_id, verdict.result()))
}

/// Verify the QR code in a PNG or JPEG image.
#[utoipa::path(post, tag = "handlers", path = "/v1/verify/image",
    request_body(content = Vec<u8>, content_type = "image/png", description = "A PNG or JPEG image (image/jpeg too), at most 16 MiB and 4096 pixels a side"),
    responses(
        (status = 200, description = "The verdict (`unreadable` for an image without one readable code)", body = VerifyResponse),
        (status = 413, description = "Body over 16 MiB", body = ProblemBody),
        (status = 415, description = "Not image/png or image/jpeg", body = ProblemBody),
        (status = 503, description = "Four images are being decoded already (reason `busy`): try again", body = ProblemBody),
    ),
    security(("api_key" = [])))]
pub(crate) async fn verify_image(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    require_content_type(&headers, &["image/png", "image/jpeg"])?;
    let verifier = app.verifier.clone();
    let context = till_context(&caller, None, None, None, None, None)?;
    let permit = decode_permit(&app.image_decodes)?;
    let verdict = app
        .verify_blocking(move || {
            let _permit = permit;
            match medcode::qr::decode_image(&body) {
                Ok(text) => verifier.check(&text, &context, system_now()),
                Err(e) => verifier.refuse_unread(e, &context, system_now()),
            }
        })
        .await?;
    app.metrics.verdict(verdict.result());
    Ok(verdict_response(&request_id, verdict.result()))
}

/// Room to decode one image, or `503` (reason `busy`) when
/// [`MAX_IMAGE_DECODES`] are being decoded already.
fn decode_permit(
    decodes: &Arc<tokio::sync::Semaphore>,
) -> Result<tokio::sync::OwnedSemaphorePermit, Problem> {
    Arc::clone(decodes).try_acquire_owned().map_err(|_| {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("{MAX_IMAGE_DECODES} images are being decoded: try again in a moment"),
        )
    })
}

/// Verify up to 256 codes at one time, one verdict each, in order.
#[utoipa::path(post, tag = "handlers", path = "/v1/verify/batch", request_body = BatchRequest,
    responses(
        (status = 200, description = "One verdict per code, in order", body = BatchResponse),
        (status = 400, description = "Not a batch request, or over 256 codes", body = ProblemBody),
    ),
    security(("api_key" = [])))]
pub(crate) async fn verify_batch(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let request: BatchRequest = parse_json(&headers, &body)?;
    check_org(&caller, request.org_id.as_deref())?;
    if request.codes.len() > MAX_BATCH_CODES {
        return Err(Problem::invalid(format!(
            "{} codes: a batch holds at most {MAX_BATCH_CODES}",
            request.codes.len()
        )));
    }
    let verifier = app.verifier.clone();
    let codes = request.codes;
    let context = till_context(&caller, request.org_id.as_deref(), None, None, None, None)?;
    let verdicts = app
        .verify_blocking(move || {
            let scans: Vec<(&str, &TillContext)> =
                codes.iter().map(|code| (code.as_str(), &context)).collect();
            verifier.check_batch(&scans, system_now())
        })
        .await?;
    for verdict in &verdicts {
        app.metrics.verdict(verdict.result());
    }
    let mut response = Json(BatchResponse {
        request_id: request_id.0.clone(),
        verdicts: verdicts.iter().map(|v| to_json(v.result())).collect(),
    })
    .into_response();
    response.extensions_mut().insert(LogReason("batch"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_an_image_is_answered_busy_at_once() {
        let decodes = Arc::new(tokio::sync::Semaphore::new(MAX_IMAGE_DECODES));
        let held: Vec<_> = (0..MAX_IMAGE_DECODES)
            .map(|_| decode_permit(&decodes).unwrap())
            .collect();
        let busy = decode_permit(&decodes).unwrap_err().into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            busy.extensions().get::<LogReason>().map(|r| r.0),
            Some("busy")
        );
        drop(held);
        assert!(decode_permit(&decodes).is_ok());
    }
}
