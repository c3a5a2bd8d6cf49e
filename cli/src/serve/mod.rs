//! `medcode serve`: the verification service. One verifier (the till setup
//! of `medcode till`, with the same list and replay flags) behind an HTTP
//! API: `POST /v1/verify`, `/v1/verify/image`, `/v1/verify/batch`,
//! `GET /healthz`, `/readyz`, `/metrics`, `/openapi.json`, and the cashier's
//! page at `GET /` (`page/`); with `--wallet-db`, `POST /v1/pay` (the
//! medical-insurance wallet, `pay.rs`); every verdict recorded in the usage
//! records (`--usage-db`, `usage.rs`), read back by the platform with
//! `GET /v1/usage`.

pub(crate) mod api_keys;
pub(crate) mod app;
pub(crate) mod batcher;
pub(crate) mod connections;
pub(crate) mod handlers;
pub(crate) mod metrics;
pub(crate) mod openapi;
pub(crate) mod page;
pub(crate) mod pay;
pub(crate) mod problem;
pub(crate) mod reload;
pub(crate) mod usage;

pub(crate) use api_keys::{KEY_PREFIX, Role, check_org, digest};

/// Checks the text of an API key file as the service reads it.
pub(crate) fn check_key_file(bytes: &[u8]) -> Result<(), String> {
    ApiKeys::parse(bytes).map(drop)
}

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use medcode::Error;

use crate::output::warn;
use api_keys::ApiKeys;
use app::App;

pub(crate) async fn serve(
    app: Arc<App>,
    listen: SocketAddr,
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
                    crate::output::escape::shown(&e)
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
    connections::serve(listener, app::router(app), shutdown).await;
    log("stopped");
    Ok(())
}

/// A random prefix for this process's request ids, so that the ids of
/// replicas do not collide in one log store.
pub(crate) fn request_id_prefix() -> Result<String, Error> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 4];
    SystemRandom::new().fill(&mut bytes).map_err(|_| {
        Error::io(
            "the system random source",
            "read",
            std::io::Error::other("unavailable"),
        )
    })?;
    Ok(hex::encode(bytes))
}

/// Writes one line of the service's log to stderr in one `write` (stderr
/// is unbuffered: `writeln!` would make a system call per formatted piece,
/// a tenth of a loaded service's time, and let the lines of concurrent
/// requests interleave).
pub(crate) fn log_line(line: std::fmt::Arguments<'_>) {
    let mut buf = std::fmt::format(line);
    buf.push('\n');
    let _ = std::io::stderr().write_all(buf.as_bytes());
}

/// One `medcode: ...` line of the service's log.
pub(crate) fn log(line: &str) {
    log_line(format_args!("medcode: {line}"));
}
