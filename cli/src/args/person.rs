//! `--insured ID [--json]`: the flags of a command that shows one person's
//! record, money or history.

use clap::Args;

#[derive(Args, Debug)]
pub(crate) struct ShowPersonArgs {
    /// The person's identifier.
    #[arg(long, value_name = "ID")]
    pub(crate) insured: String,
    /// Print one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}
