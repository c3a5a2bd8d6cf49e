//! The service's router: the routes, their body limits, the request
//! timeout, API-key authentication of `/v1/`, JSON bodies for every error
//! and one log line per request.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::handlers::{health, pay, usage, verify};
use super::log::log_line;
use super::openapi;
use super::page;
use super::problem::{LogReason, Problem};
use super::state::{App, Caller, RequestId};

/// Largest JSON body accepted.
pub(crate) const MAX_JSON_BODY: usize = 64 * 1024;

/// Longest time a request may take before it is answered `408`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The router of the service.
pub(crate) fn router(app: Arc<App>) -> Router {
    let json_limit = RequestBodyLimitLayer::new(MAX_JSON_BODY);
    let v1 = Router::new()
        .route("/v1/verify", post(verify::verify).layer(json_limit))
        .route(
            "/v1/verify/batch",
            post(verify::verify_batch).layer(json_limit),
        )
        .route(
            "/v1/verify/image",
            post(verify::verify_image).layer(RequestBodyLimitLayer::new(
                usize::try_from(medcode::limits::MAX_IMAGE_FILE_LEN).unwrap_or(usize::MAX),
            )),
        )
        .route("/v1/pay", post(pay::pay).layer(json_limit))
        .route("/v1/usage", get(usage::usage))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            authenticate,
        ));
    Router::new()
        .merge(v1)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/openapi.json", get(openapi::openapi))
        // The cashier's page (GET /, /page.css, /page.js), no API key: it holds none.
        .merge(page::routes())
        // The tower-http layers above are the limits.
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // Outside the timeout, so that its 408 gets a JSON body too.
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            log_request,
        ))
        .with_state(app)
}

/// With API keys, a `/v1/` request needs `Authorization: Bearer KEY` of a
/// known key (`401` otherwise); the key's organisation is the caller's.
async fn authenticate(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let caller = match &app.keys {
        None => Caller {
            org: None,
            role: None,
        },
        Some(keys) => {
            let header = request
                .headers()
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes);
            match keys.caller_of(header) {
                Some((org, role)) => Caller {
                    org: Some(org),
                    role: Some(role),
                },
                None => {
                    let mut response = Problem::new(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized",
                        "a valid API key is required: Authorization: Bearer KEY",
                    )
                    .into_response();
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    return response;
                }
            }
        }
    };
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// Gives every error answer of the framework or a layer (404, 405, 408,
/// 413, ...) the JSON body of the handlers' own.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if (status.is_client_error() || status.is_server_error()) && !is_json {
        let mut replaced = Problem::for_status(status).into_response();
        if let Some(v) = response.headers().get(header::WWW_AUTHENTICATE) {
            replaced
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, v.clone());
        }
        return replaced;
    }
    response
}

/// Gives the request its id, counts the answer and logs one line: id,
/// method, route, status, reason and duration; never the body, a code,
/// an identifier or a key.
async fn log_request(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let n = app.next_id.fetch_add(1, Ordering::Relaxed);
    let id = RequestId(format!("{}-{n}", app.id_prefix));
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    request.extensions_mut().insert(id.clone());
    let mut response = next.run(request).await;
    let status = response.status();
    let reason = response
        .extensions()
        .get::<LogReason>()
        .map_or("-", |r| r.0);
    app.metrics.http(&route, status.as_u16());
    log_line(format_args!(
        "request id={} method={method} route={route} status={} reason={reason} duration_us={}",
        id.0,
        status.as_u16(),
        started.elapsed().as_micros()
    ));
    if let Ok(v) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
