//! Re-reading what the service was started with, while it runs: the signed
//! lists on SIGHUP and every `--reload-secs`, through the library's
//! [`TillConfig::reload`] (a newer list is installed; a rollback or any
//! other refusal keeps the list in force), and the `--api-keys` file on
//! SIGHUP (a file that does not read keeps the keys in force). Each
//! install and refusal is logged, each outcome counted.

use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};

use medcode::Error;
use medcode::TillConfig;
use medcode::verify::ListUpdate;

use super::log::{log, warn};
use super::metrics::list_label;
use super::state::App;
use crate::output::escape::shown;

/// The label of the API key file in `medcode_list_reloads_total`.
const API_KEYS: &str = "api_keys";

/// Reloads the API keys (if any) and the lists (if signed: `lists`) on
/// every SIGHUP, and the lists every `every`, until the process ends.
pub(crate) async fn run(app: Arc<App>, lists: Option<(TillConfig, Duration)>) -> Result<(), Error> {
    let mut hangup =
        signal(SignalKind::hangup()).map_err(|e| Error::io("SIGHUP", "listen for", e))?;
    let mut tick = lists.as_ref().map(|(_, every)| {
        let mut tick = tokio::time::interval(*every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    });
    if let Some(tick) = &mut tick {
        // The first tick is at once; the lists were just read.
        tick.tick().await;
    }
    loop {
        let hung_up = tokio::select! {
            _ = hangup.recv() => true,
            () = next_tick(tick.as_mut()) => false,
        };
        if hung_up {
            reload_keys(&app).await;
        }
        match &lists {
            Some((config, _)) => reload_lists(&app, config).await,
            None if hung_up && app.keys.is_none() => log(
                "SIGHUP: nothing to reload (the lists are unsigned and there is no --api-keys file)",
            ),
            None => {}
        }
    }
}

/// The next tick of the lists' timer; never without one.
async fn next_tick(tick: Option<&mut tokio::time::Interval>) {
    match tick {
        Some(tick) => {
            tick.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Re-reads the API key file, if the service has one.
async fn reload_keys(app: &Arc<App>) {
    if app.keys.is_none() {
        return;
    }
    let app2 = Arc::clone(app);
    let Ok(done) = tokio::task::spawn_blocking(move || {
        app2.keys.as_ref().map(super::api_keys::KeyFile::reload)
    })
    .await
    else {
        return;
    };
    let outcome = match done {
        Some(Ok((before, now))) => {
            log(&format!("reload: {now} API keys in force (were {before})"));
            "installed"
        }
        Some(Err(e)) => {
            warn(&format!(
                "reload: the API key file refused, the keys in force are kept: {}",
                shown(&e)
            ));
            "refused"
        }
        None => return,
    };
    app.metrics.reload(API_KEYS, outcome);
}

/// Re-reads the signed lists.
async fn reload_lists(app: &Arc<App>, config: &TillConfig) {
    let (config, verifier) = (config.clone(), app.verifier.clone());
    let Ok(done) = tokio::task::spawn_blocking(move || config.reload(&verifier)).await else {
        return;
    };
    for reload in done {
        let list = list_label(reload.kind);
        let outcome = match &reload.outcome {
            Ok(ListUpdate::Installed { previous }) => {
                let from = previous.map_or_else(|| "none".to_owned(), |p| p.sequence.to_string());
                let to = app
                    .verifier
                    .list_status(crate::clock::system_now())
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
