//! `medcode serve`: the verification service (`crate::serve`) started from
//! its flags: the verifier of `medcode till`, the API keys, the wallet and
//! the usage records.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use clap::Args;

use crate::args::VerifierArgs;
use crate::clock::system_now;
use crate::output::{CmdResult, warn};
use crate::serve::api_keys::KeyFile;
use crate::serve::connections::DEFAULT_MAX_CONNECTIONS;
use crate::serve::metrics::Metrics;
use crate::serve::state::{App, MAX_IMAGE_DECODES, Usage};
use crate::serve::{batcher, request_id_prefix, serve};
use medcode::Error;
use medcode::verify::{ReplaySpec, TillEvent};

#[derive(Args, Debug)]
#[command(
    after_help = "One use per code: without --replay, this process's memory records accepted codes, as in `medcode till`: one replica is one till, and a restart forgets. Replicas behind a load balancer must share one guard: --replay redis://HOST:PORT[/DB], or redis+cluster://HOST:PORT[,HOST:PORT...] for a Redis Cluster (see docs/DEPLOYMENT.md). --replay none turns the guard off and prints a warning.\n\nWithout --api-keys the service listens on a loopback address only."
)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    verifier: VerifierArgs,
    /// Address and port to listen on (port 0: a free port, printed when ready).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// API keys (from `medcode api-key new`): every /v1/ request then needs
    /// `Authorization: Bearer KEY`. Required to listen beyond loopback.
    #[arg(long, value_name = "FILE")]
    api_keys: Option<PathBuf>,
    /// Most connections open at once; past it the one that made progress
    /// longest ago (a client that stopped reading, an idle keep-alive) is
    /// dropped to make room. Keep the descriptor limit (`ulimit -n`,
    /// systemd's LimitNOFILE=) above it, with 64 to spare.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    max_connections: usize,
    /// Re-read the signed lists every this many seconds (and on SIGHUP).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    reload_secs: u64,
    /// Verify each /v1/verify request on its own instead of together with
    /// the requests arriving meanwhile (cross-request batching, on by
    /// default: about 1.5x to 2x the throughput under load, the same
    /// verdicts; see docs/PERFORMANCE.md).
    #[arg(long)]
    no_batching: bool,
    /// The medical-insurance wallet (an SQLite file or a postgres:// URL):
    /// adds `POST /v1/pay`, a payment with the code (see `medcode wallet pay`).
    /// MEDCODE_WALLET_DB, if set, is read when the flag is not given (a
    /// PostgreSQL password then stays off the command line).
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "MEDCODE_WALLET_DB",
        hide_env_values = true
    )]
    wallet_db: Option<String>,
    /// Where every verdict is recorded (time, verdict, token id, insured,
    /// presenter, org, business type, operator, office): sqlite:PATH or
    /// postgres://USER@HOST:PORT/DB. Default: sqlite: usage.sqlite in the
    /// state directory (--state-dir). `off` records
    /// nothing; don't: family-account owners then cannot see how their
    /// relatives' codes were used, and a misused code leaves no trace.
    /// MEDCODE_USAGE_DB, if set, is read when the flag is not given (a
    /// PostgreSQL password then stays off the command line).
    #[arg(
        long,
        value_name = "URL|off",
        env = "MEDCODE_USAGE_DB",
        hide_env_values = true
    )]
    usage_db: Option<String>,
}

pub(crate) fn run(args: &ServeArgs) -> CmdResult {
    let keys = match &args.api_keys {
        Some(path) => Some(KeyFile::read(path)?),
        None if !args.listen.ip().is_loopback() => {
            return Err(Error::InvalidArgument {
                what: "--listen",
                why: format!(
                    "{} is not a loopback address: without --api-keys anyone who reaches it could verify and use up codes; give --api-keys FILE (see medcode api-key new) or listen on 127.0.0.1",
                    args.listen.ip()
                ),
            }
            .into());
        }
        None => None,
    };
    let metrics = Metrics::new();
    let guard_errors = metrics.guard_error_counter();
    let verifier = args.verifier.build_observed(
        system_now(),
        || Ok(ReplaySpec::Memory),
        move |event| {
            if let TillEvent::ReplayGuardUnreachable { .. } = event {
                guard_errors.inc();
            }
            crate::serve::log::warn(&event.to_string());
        },
    )?;
    let usage = match args.usage_db.as_deref() {
        Some("off") => {
            warn(
                "--usage-db off: no verdict is recorded; family-account owners cannot see how their relatives' codes were used",
            );
            None
        }
        Some(url) => Some(Usage::open(url)?),
        None => {
            let path = crate::state_dir::default_usage_file(args.verifier.state_dir())?;
            Some(Usage::open(&format!("sqlite:{}", path.display()))?)
        }
    };
    // Every verdict of the service's verifier is recorded (the verify
    // routes, the image route and the payments alike).
    let verifier = crate::usage_store::observed(verifier, usage.as_ref().map(|u| &u.recorder));
    let signed = verifier.root_key().is_some();
    let (batcher, collector) = if args.no_batching {
        (None, None)
    } else {
        let (batcher, collector) = batcher::new(verifier.clone(), metrics.batch_size_histogram());
        (Some(batcher), Some(collector))
    };
    let wallet = match &args.wallet_db {
        Some(db) => Some(Arc::new(medcode_platform::wallet::Wallet::open(db)?)),
        None => None,
    };
    let app = Arc::new(App {
        verifier,
        batcher,
        wallet,
        usage,
        keys,
        metrics,
        image_decodes: Arc::new(tokio::sync::Semaphore::new(MAX_IMAGE_DECODES)),
        id_prefix: request_id_prefix()?,
        next_id: AtomicU64::new(1),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("the service runtime", "start", e))?;
    let reload = signed.then(|| {
        (
            args.verifier.lists().config(),
            Duration::from_secs(args.reload_secs),
        )
    });
    let served = runtime.block_on({
        let app = Arc::clone(&app);
        async move {
            if let Some(collector) = collector {
                tokio::spawn(collector.run());
            }
            serve(app, args.listen, args.max_connections, reload).await
        }
    });
    // After the last request: the backlog of usage records, bounded wait.
    if let Some(usage) = &app.usage {
        crate::usage_store::flush(&usage.recorder);
    }
    crate::serve::log::flush(Duration::from_secs(1));
    served?;
    Ok(())
}
