//! `medcode usage prune`: the retention of the usage records that `serve`
//! and the till-side commands write (`--usage-db`).

use clap::{Args, Subcommand};

use crate::args::AtArg;
use crate::output::{CmdResult, out};
use crate::usage_store::open;
use medcode_platform::usage::DEFAULT_RETENTION_DAYS;

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
    /// MEDCODE_USAGE_DB, if set, is read when the flag is not given.
    #[arg(
        long,
        value_name = "URL",
        env = "MEDCODE_USAGE_DB",
        hide_env_values = true
    )]
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
