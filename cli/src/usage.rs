//! Usage records on the command line: the `--usage-db URL` flag of `serve`
//! and of the till-side commands (`verify`, `till`, `wallet pay`), `medcode
//! usage prune` (retention), and the printing of records for `medcode
//! family ... usage`.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::AtArg;
use crate::output::escape::shown;
use crate::output::{CmdResult, out};
use medcode::Error;
use medcode::Verifier;
use medcode::verify::VerdictObserver;
use medcode_platform::usage::{
    DEFAULT_RETENTION_DAYS, RecorderOptions, UsageRecord, UsageRecorder, UsageStore,
    open_usage_store,
};

/// How long a stopping process waits for the usage store to take the backlog.
pub(crate) const FLUSH_WAIT: Duration = Duration::from_secs(10);

#[derive(Args, Debug)]
pub(crate) struct UsageArgs {
    #[command(subcommand)]
    command: UsageCommand,
}

#[derive(Subcommand, Debug)]
enum UsageCommand {
    /// Delete the records older than the retention period; prints how many.
    Prune(PruneArgs),
}

#[derive(Args, Debug)]
struct PruneArgs {
    /// The usage records: sqlite:PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, value_name = "URL")]
    usage_db: String,
    /// Keep the records of this many days (before --at).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    usage_retention_days: u32,
    #[command(flatten)]
    at: AtArg,
}

pub(crate) fn run(args: &UsageArgs) -> CmdResult {
    match &args.command {
        UsageCommand::Prune(a) => {
            let now = a.at.now()?;
            let before = now.minus(u64::from(a.usage_retention_days) * 86_400);
            let mut store = open(&a.usage_db)?;
            let n = store.prune(before)?;
            out(&format!(
                "pruned {n} usage records older than {before} ({} days before {now})",
                a.usage_retention_days
            ))
        }
    }
}

/// Opens the store of a `--usage-db` URL (`off` is not a store).
pub(crate) fn open(url: &str) -> Result<Box<dyn UsageStore>, Error> {
    if url == "off" {
        return Err(Error::InvalidArgument {
            what: "--usage-db",
            why: "off is not a usage store: give sqlite:PATH or postgres://USER@HOST:PORT/DB"
                .to_owned(),
        });
    }
    open_usage_store(url)
}

/// `--usage-db URL` of a till-side command: its verdicts recorded there,
/// nothing recorded without it.
#[derive(Args, Debug)]
pub(crate) struct RecordArg {
    /// Record every verdict in these usage records (sqlite:PATH, a file
    /// path or postgres://...; off by default at a till, as `off`): written
    /// in the background, never slowing a verdict, the backlog written at
    /// the end.
    #[arg(long, value_name = "URL")]
    usage_db: Option<String>,
}

impl RecordArg {
    /// The recorder of `--usage-db`, if one is named (`off` names none).
    pub(crate) fn recorder(&self) -> Result<Option<Arc<UsageRecorder>>, Error> {
        self.usage_db
            .as_deref()
            .filter(|url| *url != "off")
            .map(|url| recorder(url).map(Arc::new))
            .transpose()
    }
}

/// `verifier` with `recorder`, if any, hearing its verdicts.
pub(crate) fn observed(verifier: Verifier, recorder: Option<&Arc<UsageRecorder>>) -> Verifier {
    match recorder {
        Some(r) => verifier.with_observer(Arc::clone(r) as Arc<dyn VerdictObserver>),
        None => verifier,
    }
}

/// A recorder writing to the store of `url`.
pub(crate) fn recorder(url: &str) -> Result<UsageRecorder, Error> {
    UsageRecorder::start(open(url)?, RecorderOptions::default())
}

/// Writes the backlog of a stopping process, and says what could not be.
pub(crate) fn flush(recorder: &UsageRecorder) {
    let left = recorder.shutdown(FLUSH_WAIT);
    if left > 0 {
        crate::output::warn(&format!(
            "{left} usage records were not written: the usage store did not take them within {} s",
            FLUSH_WAIT.as_secs()
        ));
    }
    let dropped = recorder.dropped();
    if dropped > 0 {
        crate::output::warn(&format!(
            "{dropped} usage records were dropped while the usage store was unreachable (the oldest first)"
        ));
    }
}

fn or_dash(v: Option<&str>) -> String {
    v.map_or_else(|| "-".to_owned(), |s| shown(&s))
}

/// One record as a line: time, verdict reason, whose code, who showed it,
/// where.
pub(crate) fn line(r: &UsageRecord) -> String {
    let insured = or_dash(r.insured.as_ref().map(|i| i.as_str()));
    let kind = r.kind.map_or("code", |k| match k.as_str() {
        "self" => "self code",
        "delegate" => "delegate code",
        other => other,
    });
    let shown_by = match (&r.presenter, r.relation) {
        (Some(p), Some(rel)) => format!(" shown by {} ({rel})", shown(&p.as_str())),
        (Some(p), None) => format!(" shown by {}", shown(&p.as_str())),
        _ => String::new(),
    };
    format!(
        "{} {} {insured} {kind}{shown_by}; token {}, org {}, business {}, operator {}, office {}",
        r.at,
        r.reason,
        or_dash(r.token_id.as_deref()),
        or_dash(r.context.org_id.as_deref()),
        or_dash(r.context.business_type.as_deref()),
        or_dash(r.context.operator_id.as_deref()),
        or_dash(r.context.office_id.as_deref()),
    )
}

/// The records as JSON values.
pub(crate) fn to_json(records: &[UsageRecord]) -> serde_json::Value {
    json!(records)
}
