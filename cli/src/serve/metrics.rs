//! The service's Prometheus metrics (`GET /metrics`): verdicts by reason,
//! verification time, replay-guard outages, list freshness, list reloads,
//! HTTP requests by route and status, and the usage records' queue.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use medcode::Verifier;
use medcode::{Error, UnixTime, VerifiedToken};
use medcode_platform::usage::UsageRecorder;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ListLabel {
    list: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReloadLabel {
    list: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabel {
    route: String,
    status: u16,
}

/// The metrics of one service process.
pub(crate) struct Metrics {
    registry: Registry,
    verdicts: Family<ReasonLabel, Counter>,
    verify_duration: Histogram,
    batch_size: Histogram,
    replay_guard_errors: Counter,
    until_stale: Family<ListLabel, Gauge>,
    reloads: Family<ReloadLabel, Counter>,
    http: Family<HttpLabel, Counter>,
    usage_backlog: Gauge,
    usage_dropped: Counter,
    usage_written: Counter,
    usage_errors: Counter,
    usage_junk: Counter,
    log_dropped: Counter,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let verdicts = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "medcode_verdicts",
            "Verdicts given, by reason (accepted or the refusal's reason code)",
            verdicts.clone(),
        );
        // 10 µs to about 1.3 s.
        let verify_duration = Histogram::new(exponential_buckets(0.000_01, 2.0, 18));
        registry.register(
            "medcode_verify_duration_seconds",
            "Time to verify one code or one batch, replay guard included",
            verify_duration.clone(),
        );
        // 1, 2, 4, ... 64 (BATCH_MAX).
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 7));
        registry.register(
            "medcode_verify_batch_size",
            "Codes of concurrent /v1/verify requests verified together in one batch (cross-request batching)",
            batch_size.clone(),
        );
        let replay_guard_errors = Counter::default();
        registry.register(
            "medcode_replay_guard_errors",
            "Times the shared replay guard was found unreachable",
            replay_guard_errors.clone(),
        );
        let until_stale = Family::<ListLabel, Gauge>::default();
        registry.register(
            "medcode_list_seconds_until_stale",
            "Seconds until a signed list is stale and every code is refused (negative: stale)",
            until_stale.clone(),
        );
        let reloads = Family::<ReloadLabel, Counter>::default();
        registry.register(
            "medcode_list_reloads",
            "Reloads of the lists and of the API key file (list=\"api_keys\"), by list and outcome (installed, unchanged, refused)",
            reloads.clone(),
        );
        let http = Family::<HttpLabel, Counter>::default();
        registry.register(
            "medcode_http_requests",
            "HTTP requests answered, by route and status",
            http.clone(),
        );
        let usage_backlog = Gauge::default();
        registry.register(
            "medcode_usage_backlog",
            "Usage records queued and not yet written to the usage store",
            usage_backlog.clone(),
        );
        let usage_dropped = Counter::default();
        registry.register(
            "medcode_usage_records_dropped",
            "Verdicts whose usage record was dropped, the oldest first, because the queue was full while the usage store was down",
            usage_dropped.clone(),
        );
        let usage_written = Counter::default();
        registry.register(
            "medcode_usage_records_written",
            "Verdicts recorded in the usage store (a junk count stands for its verdicts)",
            usage_written.clone(),
        );
        let usage_junk = Counter::default();
        registry.register(
            "medcode_usage_junk_verdicts",
            "Refusals before any signature held (junk), counted per caller, reason and minute rather than recorded one by one",
            usage_junk.clone(),
        );
        let usage_errors = Counter::default();
        registry.register(
            "medcode_usage_store_errors",
            "Failed writes to the usage store (each batch is tried again)",
            usage_errors.clone(),
        );
        let log_dropped = Counter::default();
        registry.register(
            "medcode_log_lines_dropped",
            "Log lines dropped because standard error was not read fast enough (a request never waits for the log)",
            log_dropped.clone(),
        );
        Metrics {
            log_dropped,
            registry,
            usage_backlog,
            usage_junk,
            usage_dropped,
            usage_written,
            usage_errors,
            verdicts,
            verify_duration,
            batch_size,
            replay_guard_errors,
            until_stale,
            reloads,
            http,
        }
    }

    /// Counts one verdict.
    pub(crate) fn verdict(&self, result: &Result<VerifiedToken, Error>) {
        let reason = match result {
            Ok(_) => "accepted",
            Err(e) => e.reason().as_str(),
        };
        self.verdicts.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// Records the time one verification (or batch) took.
    pub(crate) fn verify_took(&self, took: Duration) {
        self.verify_duration.observe(took.as_secs_f64());
    }

    /// The histogram of cross-request batch sizes.
    pub(crate) fn batch_size_histogram(&self) -> Histogram {
        self.batch_size.clone()
    }

    /// The counter of times the shared replay guard was found unreachable.
    pub(crate) fn guard_error_counter(&self) -> Counter {
        self.replay_guard_errors.clone()
    }

    /// Counts one list reload.
    pub(crate) fn reload(&self, list: &'static str, outcome: &'static str) {
        self.reloads
            .get_or_create(&ReloadLabel { list, outcome })
            .inc();
    }

    /// Counts one HTTP answer.
    pub(crate) fn http(&self, route: &str, status: u16) {
        self.http
            .get_or_create(&HttpLabel {
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    /// The metrics in the OpenMetrics text format, list freshness as of
    /// `now`, the usage queue as `recorder` counts it, `log_dropped` log
    /// lines dropped so far.
    pub(crate) fn render(
        &self,
        verifier: &Verifier,
        recorder: Option<&UsageRecorder>,
        log_dropped: u64,
        now: UnixTime,
    ) -> String {
        self.log_dropped
            .inc_by(log_dropped.saturating_sub(self.log_dropped.get()));
        if let Some(r) = recorder {
            self.usage_backlog
                .set(i64::try_from(r.backlog()).unwrap_or(i64::MAX));
            // The recorder's counts only grow: add what is new.
            for (counter, total) in [
                (&self.usage_dropped, r.dropped()),
                (&self.usage_written, r.written()),
                (&self.usage_errors, r.failures()),
                (&self.usage_junk, r.junk_counted()),
            ] {
                counter.inc_by(total.saturating_sub(counter.get()));
            }
        }
        for status in verifier.list_status(now) {
            let list = list_label(status.info.kind);
            let left = i128::from(status.refuses_at.as_secs()) - i128::from(now.as_secs());
            self.until_stale
                .get_or_create(&ListLabel { list })
                .set(i64::try_from(left).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// The `list` label of a list kind.
pub(crate) fn list_label(kind: medcode::ListKind) -> &'static str {
    match kind {
        medcode::ListKind::Trust => "trust",
        _ => "revocation",
    }
}
