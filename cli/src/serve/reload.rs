//! Re-reading the signed lists while the service runs: on SIGHUP and every
//! `--reload-secs`, through the library's [`TillConfig::reload`]. A newer
//! list is installed; a rollback or any other refusal keeps the list in
//! force. Each install and refusal is logged, each outcome counted.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use medcode::Error;
use medcode::verify::{ListUpdate, TillConfig};

use super::app::App;
use super::log;
use super::metrics::list_label;
use crate::escape::shown;
use crate::warn;

/// Reloads the lists on every SIGHUP and every `every`, until the process ends.
pub(crate) async fn run(app: Arc<App>, config: TillConfig, every: Duration) -> Result<(), Error> {
    let mut hangup =
        signal(SignalKind::hangup()).map_err(|e| Error::io("SIGHUP", "listen for", e))?;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once; the lists were just read.
    tick.tick().await;
    loop {
        tokio::select! {
            _ = hangup.recv() => {}
            _ = tick.tick() => {}
        }
        let (config, verifier) = (config.clone(), app.verifier.clone());
        let Ok(done) = tokio::task::spawn_blocking(move || config.reload(&verifier)).await else {
            continue;
        };
        for reload in done {
            let list = list_label(reload.kind);
            let outcome = match &reload.outcome {
                Ok(ListUpdate::Installed { previous }) => {
                    let from =
                        previous.map_or_else(|| "none".to_owned(), |p| p.sequence.to_string());
                    let to = app
                        .verifier
                        .list_status(crate::system_now())
                        .into_iter()
                        .find(|s| s.info.kind == reload.kind)
                        .map_or_else(|| "?".to_owned(), |s| s.info.sequence.to_string());
                    log(&format!(
                        "reload: {list} list sequence {to} installed (was {from})"
                    ));
                    "installed"
                }
                Ok(ListUpdate::AlreadyHeld) => "unchanged",
                Err(e) => {
                    warn(&format!(
                        "reload: {list} list refused, the list in force is kept: {}",
                        shown(e)
                    ));
                    "refused"
                }
            };
            app.metrics.reload(list, outcome);
        }
    }
}
