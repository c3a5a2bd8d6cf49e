//! The service's shared state: the verifier, the batcher, the wallet, the
//! usage records, the API keys, the metrics and the request ids; who is
//! calling and the request's id, as the router hands them to a handler.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::StatusCode;

use medcode::Error;
use medcode::Verifier;
use medcode_platform::usage::{UsageRecorder, UsageStore};

use super::api_keys::{KeyFile, Role};
use super::batcher::Batcher;
use super::metrics::Metrics;
use super::problem::Problem;

/// What every handler shares.
/// Images decoded at once at most (`POST /v1/verify/image`): a
/// 4096x4096 image takes about 30 MiB while it is decoded, so at most about
/// 120 MiB; one more is answered `503` at once.
pub(crate) const MAX_IMAGE_DECODES: usize = 4;

pub(crate) struct App {
    /// The verifier (its clones share the lists and the replay guard).
    pub verifier: Verifier,
    /// Cross-request batching of `/v1/verify`; `None` with `--no-batching`.
    pub batcher: Option<Batcher>,
    /// The wallet of `--wallet-db` (`POST /v1/pay`), if given.
    pub wallet: Option<Arc<medcode_platform::wallet::Wallet>>,
    /// The usage records of `--usage-db`; `None` with `--usage-db off`.
    pub usage: Option<Usage>,
    /// The keys of `--api-keys`; `None` without the flag (loopback only).
    pub keys: Option<KeyFile>,
    pub metrics: Metrics,
    /// Room for [`MAX_IMAGE_DECODES`] image decodes at once.
    pub image_decodes: Arc<tokio::sync::Semaphore>,
    /// This process's request-id prefix and counter.
    pub id_prefix: String,
    pub next_id: AtomicU64,
}

/// Who is calling: the organisation and role of the API key, `None`
/// without keys.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub org: Option<String>,
    pub role: Option<Role>,
}

/// This request's id.
#[derive(Clone, Debug)]
pub(crate) struct RequestId(pub String);

impl App {
    /// Runs `work` on the blocking pool (a verification may wait on the
    /// replay guard's file or server), timed and counted.
    pub(crate) async fn verify_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Problem> {
        let started = Instant::now();
        let done = tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        self.metrics.verify_took(started.elapsed());
        Ok(done)
    }
}

/// The service's usage records: the recorder of every verdict, and a
/// connection of its own for the readers.
pub(crate) struct Usage {
    pub recorder: Arc<UsageRecorder>,
    pub reader: Mutex<Box<dyn UsageStore>>,
}

impl Usage {
    /// Opens the store of `url` twice: one connection for the recorder's
    /// writer, one for the readers.
    pub(crate) fn open(url: &str) -> Result<Usage, Error> {
        Ok(Usage {
            recorder: Arc::new(crate::usage_store::recorder(url)?),
            reader: Mutex::new(crate::usage_store::open(url)?),
        })
    }
}
