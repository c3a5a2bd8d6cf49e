//! Cross-request batching: concurrent `/v1/verify` requests are verified
//! together through `Verifier::check_batch`, each request still getting
//! its own verdict.
//!
//! No timer holds a request back. One collector task takes the requests
//! waiting in the queue, up to [`medcode::limits::BATCH_MAX`] at a time, and
//! hands them to the blocking pool as one batch; at most four batches per
//! core run at once (a batch waits on the replay guard as well as
//! computing). When every slot is busy, the requests that arrive queue up
//! meanwhile and form the next batch (the wait is at most one running
//! batch, under a millisecond); on an idle service a request is a batch of
//! one, checked as `verify` would check it. The verdicts are `verify`'s
//! (see docs/PERFORMANCE.md, "Batch verification"); a duplicate within a
//! batch is `replayed` exactly as in sequence.

use std::sync::Arc;

use prometheus_client::metrics::histogram::Histogram;
use tokio::sync::{Semaphore, mpsc, oneshot};

use medcode::Verifier;
use medcode::verify::{TillContext, Verdict};

use crate::clock::system_now;

/// Requests waiting for a batch, at most; more wait for room (back
/// pressure on the connections, not an unbounded queue).
const QUEUE: usize = 4096;

/// Batches running at once, per core.
const BATCHES_PER_CORE: usize = 4;

/// One request's code and the answer it waits for.
struct Job {
    code: String,
    context: TillContext,
    reply: oneshot::Sender<Verdict>,
}

/// The handle the handlers submit codes through.
pub(crate) struct Batcher {
    jobs: mpsc::Sender<Job>,
}

/// The collector's half: started with [`Collector::run`] on the runtime.
pub(crate) struct Collector {
    jobs: mpsc::Receiver<Job>,
    verifier: Verifier,
    sizes: Histogram,
}

/// A new batcher over `verifier` and the collector to run, which observes
/// each batch's size in `sizes`.
pub(crate) fn new(verifier: Verifier, sizes: Histogram) -> (Batcher, Collector) {
    let (tx, rx) = mpsc::channel(QUEUE);
    (
        Batcher { jobs: tx },
        Collector {
            jobs: rx,
            verifier,
            sizes,
        },
    )
}

impl Batcher {
    /// Verifies `code` in the next batch; `None` when the collector has
    /// stopped (the service is shutting down).
    pub(crate) async fn verify(&self, code: String, context: TillContext) -> Option<Verdict> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                code,
                context,
                reply,
            })
            .await
            .ok()?;
        answer.await.ok()
    }
}

impl Collector {
    /// Collects and runs batches until every [`Batcher`] is dropped.
    pub(crate) async fn run(mut self) {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        // A batch waits on the replay guard (a Redis round trip per code)
        // as much as it computes: a few batches per core keep the core busy
        // meanwhile.
        let slots = Arc::new(Semaphore::new(cores * BATCHES_PER_CORE));
        while let Some(first) = self.jobs.recv().await {
            // Waiting for a free core is what lets a batch grow.
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                break;
            };
            // Let the connections that are ready run first: on a loaded
            // service their requests join this batch; on an idle one the
            // yield returns at once.
            tokio::task::yield_now().await;
            let mut batch = vec![first];
            while batch.len() < medcode::limits::BATCH_MAX {
                match self.jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            #[allow(clippy::cast_precision_loss)] // at most BATCH_MAX
            self.sizes.observe(batch.len() as f64);
            let verifier = self.verifier.clone();
            tokio::task::spawn_blocking(move || {
                run_batch(&verifier, batch);
                drop(slot);
            });
        }
    }
}

/// Verifies `batch` at one instant, each code in its own till context, and
/// answers each job.
fn run_batch(verifier: &Verifier, batch: Vec<Job>) {
    let scans: Vec<(&str, &TillContext)> = batch
        .iter()
        .map(|job| (job.code.as_str(), &job.context))
        .collect();
    let verdicts = verifier.check_batch(&scans, system_now());
    for (job, verdict) in batch.into_iter().zip(verdicts) {
        // A request that went away (its connection closed) takes no answer.
        let _ = job.reply.send(verdict);
    }
}
