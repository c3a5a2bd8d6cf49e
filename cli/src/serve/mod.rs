//! The verification service of `medcode serve` (started from its flags by
//! `cmd/serve.rs`). One verifier (the till setup of `medcode till`, with the
//! same list and replay flags) behind an HTTP API: `POST /v1/verify`,
//! `/v1/verify/image`, `/v1/verify/batch`, `GET /healthz`, `/readyz`,
//! `/metrics`, `/openapi.json`, and the cashier's page at `GET /` (`page/`);
//! with `--wallet-db`, `POST /v1/pay` (the medical-insurance wallet,
//! `handlers/pay.rs`); every verdict recorded in the usage records
//! (`--usage-db`), read back by the platform with `GET /v1/usage`
//! (`handlers/usage.rs`).
//!
//! The files import one another in one direction only, each from the
//! lines above it, never from its own line or below:
//!
//! 1. `log`, `problem`, `metrics`, `api_keys`, `batcher`: the leaves (the
//!    log lines, the JSON error body, the counters, the key file, the
//!    cross-request batcher); they import nothing of the service.
//! 2. `state`: `App` and its parts, the caller and the request id
//!    (imports `api_keys`, `batcher`, `metrics`, `problem`).
//! 3. `request`: a request's JSON body, content type, organisation and
//!    till context (imports `state`, `api_keys`, `problem`).
//! 4. `handlers/` (`verify`, `health`, `pay`, `usage`): the routes' work
//!    (imports `request`, `state`, `problem`, `metrics`, `api_keys`); no
//!    handler imports another.
//! 5. `openapi` (the document and its route, from the handlers) and
//!    `page/` (the cashier's page; imports `state`).
//! 6. `router`: the routes and their layers (imports `handlers`,
//!    `openapi`, `page`, `state`, `problem`, `log`);
//!    `reload`: the lists and keys re-read while running (imports
//!    `state`, `api_keys`, `metrics`, `log`); `connections`: the connection loop
//!    (imports `log`).
//! 7. this file: [`serve`], the whole service on a listener.

pub(crate) mod api_keys;
pub(crate) mod batcher;
pub(crate) mod connections;
pub(crate) mod handlers;
pub(crate) mod log;
pub(crate) mod metrics;
pub(crate) mod openapi;
pub(crate) mod page;
pub(crate) mod problem;
pub(crate) mod reload;
pub(crate) mod request;
pub(crate) mod router;
pub(crate) mod state;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use medcode::Error;

use crate::output::escape;
use log::log;
use log::warn;
use state::App;

/// Serves `app` on `listen` with at most `max_connections` open until
/// SIGTERM or Ctrl-C, re-reading the lists (`reload`: signed lists, their
/// setup and interval) and the API keys meanwhile.
pub(crate) async fn serve(
    app: Arc<App>,
    listen: SocketAddr,
    max_connections: usize,
    reload: Option<(medcode::TillConfig, Duration)>,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::io(listen.to_string(), "listen on", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io(listen.to_string(), "listen on", e))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| Error::io("SIGTERM", "listen for", e))?;
    if reload.is_none() {
        warn(
            "the lists are unsigned (no --root-key): they are not reloaded; restart to change them",
        );
    }
    {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            if let Err(e) = reload::run(app, reload).await {
                warn(&format!(
                    "lists and API keys are not reloaded: {}",
                    escape::shown(&e)
                ));
            }
        });
    }
    if let Some(keys) = &app.keys {
        log(&format!("{} API keys loaded", keys.len()));
    }
    // The one line a supervisor or a test waits for.
    let _ = writeln!(std::io::stderr(), "listening on http://{addr}");
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let unrouted: connections::Unrouted = {
        let app = Arc::clone(&app);
        Arc::new(move |status| {
            app.metrics.http(UNROUTED, status);
            log::log_line(format_args!(
                "request id=- method=- route={UNROUTED} status={status} reason=unparsed duration_us=0"
            ));
        })
    };
    connections::serve(
        listener,
        router::router(app),
        max_connections,
        unrouted,
        shutdown,
    )
    .await;
    log("stopped");
    Ok(())
}

/// The route label of a request the HTTP layer refused before any route
/// ran (not HTTP, a head too large).
const UNROUTED: &str = "-";

/// A random prefix for this process's request ids, so that the ids of
/// replicas do not collide in one log store.
pub(crate) fn request_id_prefix() -> Result<String, Error> {
    let mut bytes = [0u8; 4];
    crate::random::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}
