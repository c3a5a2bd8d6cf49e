//! `POST /v1/pay` (with `--wallet-db`): a till's payment with the code,
//! as `medcode wallet pay` makes it, through the service's own verifier and
//! replay guard. The amount is text (yuan, at most two decimals), never a
//! JSON number; a refused payment is a `200` with `"paid":false` and its
//! reason, like a rejected code on `/v1/verify`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use medcode_platform::wallet::{Fen, PayRequest};

use crate::clock::system_now;
use crate::output::escape::shown;
use crate::serve::problem::{LogReason, Problem, ProblemBody};
use crate::serve::request::{check_org, parse_json, till_context};
use crate::serve::state::{App, Caller, RequestId};

/// A payment with a scanned code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayBody {
    /// The scanned token text (`MC1...`).
    code: String,
    /// Yuan, at most two decimals, as text: `"86.50"`.
    amount: String,
    /// The institution paid; with API keys, the key's organisation.
    org_id: Option<String>,
    /// Makes the request idempotent: the same id returns the first payment.
    request_id: Option<String>,
}

/// Pay with a scanned code (with `--wallet-db`): the insured person's wallet
/// first, then their personal account.
#[utoipa::path(post, tag = "pay", path = "/v1/pay", request_body = PayBody,
    responses(
        (status = 200, description = "`{\"paid\":true,\"payment\":{...}}` (amounts in fen), or `{\"paid\":false,\"reason\":\"<code>\",\"detail\":...}` for a refused code or payment"),
        (status = 400, description = "Not a payment request (an amount that is not text, unknown fields)", body = ProblemBody),
        (status = 404, description = "The service runs without --wallet-db", body = ProblemBody),
        (status = 503, description = "The wallet database failed", body = ProblemBody),
    ),
    security(("api_key" = [])))]
pub(crate) async fn pay(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let Some(wallet) = app.wallet.clone() else {
        return Err(Problem::for_status(StatusCode::NOT_FOUND));
    };
    let request: PayBody = parse_json(&headers, &body)?;
    check_org(&caller, request.org_id.as_deref())?;
    let org = request
        .org_id
        .or_else(|| caller.org.clone())
        .ok_or_else(|| Problem::invalid("org_id is required (the institution paid)"))?;
    let context = till_context(&caller, Some(&org), None, None, None, None)?;
    let verifier = app.verifier.clone();
    let result = app
        .verify_blocking(move || {
            let amount = Fen::parse_yuan(&request.amount)?;
            let req = PayRequest {
                code: request.code,
                amount,
                org,
                request_id: request.request_id,
            };
            wallet.pay(&verifier, &req, &context, system_now())
        })
        .await?;
    let (body, reason) = match result {
        Ok(payment) => (
            json!({"request_id": request_id.0, "paid": true, "payment": payment}),
            "paid",
        ),
        Err(e) if e.reason().is_rejection() => (
            json!({
                "request_id": request_id.0,
                "paid": false,
                "reason": e.reason().as_str(),
                "detail": shown(&e),
            }),
            e.reason().as_str(),
        ),
        Err(e) => {
            return Err(Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                e.reason().as_str(),
                shown(&e),
            ));
        }
    };
    let mut response = Json(body).into_response();
    response.extensions_mut().insert(LogReason(reason));
    Ok(response)
}
