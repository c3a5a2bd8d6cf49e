//! `medcode wallet`: the medical-insurance wallet (医保钱包) on an SQLite
//! file (the family registry's file can hold it too) or a PostgreSQL
//! database (`--db postgres://...`), reading mutual-aid relations from the
//! family registry (`--registry`, read-only).
//!
//! Every command is one library call; refusals exit 1 with one line
//! `refused: <reason>: <detail>` on standard error, usage and I/O errors
//! exit 2. Commands that depend on the time take `--at RFC3339` (default:
//! the system clock).

mod pay;
mod print;

use clap::{Args, Subcommand};

use crate::args::insured_arg;
use crate::args::{AtArg, ShowPersonArgs};
use crate::output::{CmdResult, Failure, RefusalLine, out, refusal};
use medcode::Error;
use std::path::PathBuf;
use std::sync::Arc;

use medcode::{InsuredId, Region, Scheme};
use medcode_platform::StoreUrl;
use medcode_platform::registry::{SqliteRegistry, read_person};
use medcode_platform::wallet::{Fen, OpenWallet, Source, TransferRequest, Wallet, WalletPolicy};

#[derive(Args, Debug)]
pub(crate) struct WalletArgs {
    /// The wallet database: an SQLite file (created with mode 0600; may be the
    /// family registry's file) or a postgres://USER@HOST:PORT/DB URL.
    /// MEDCODE_WALLET_DB, if set, is read when the flag is not given (a
    /// PostgreSQL password then stays off the command line).
    #[arg(
        long,
        value_name = "FILE|URL",
        env = "MEDCODE_WALLET_DB",
        hide_env_values = true
    )]
    db: String,
    /// The family registry (an SQLite file, opened read-only) whose mutual-aid filings
    /// `transfer` and `open --by` read, and whose records `open` takes a region and scheme
    /// from; default: --db when it is an SQLite file.
    #[arg(long, value_name = "FILE")]
    registry: Option<PathBuf>,
    /// Most transfers per sending wallet per Beijing day.
    #[arg(long, value_name = "N", default_value_t = medcode_platform::wallet::DEFAULT_MAX_TRANSFERS_PER_DAY, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_transfers_per_day: u32,
    /// Most one transfer may move, in yuan.
    #[arg(long, value_name = "YUAN", default_value = "2000.00")]
    max_transfer: String,
    #[command(subcommand)]
    command: WalletCommand,
}

#[derive(Subcommand, Debug)]
enum WalletCommand {
    /// Open a wallet, by the holder or by a close relative on their behalf (--by).
    Open(OpenArgs),
    /// Open or close the wallet service in a region (a province code covers its cities).
    Region(RegionArgs),
    /// The fund credits a personal account.
    Credit(CreditArgs),
    /// Send money to a close relative's wallet; prints the transfer id.
    Transfer(TransferArgs),
    /// The receiver accepts a transfer into their wallet.
    Accept(AcceptArgs),
    /// Return every transfer not accepted by its due time (06:00 the next Beijing day).
    Sweep(SweepArgs),
    /// What a person holds: personal account, wallet, pending transfers (--json: amounts in fen).
    Balance(ShowPersonArgs),
    /// A person's history: every change about them or their money (--json: amounts in fen).
    History(ShowPersonArgs),
    /// Change a wallet's usage location (使用地变更).
    SetLocation(LocationArgs),
    /// Pay at a pharmacy or hospital with the code: wallet first, then personal account.
    Pay(Box<pay::PayArgs>),
}

#[derive(Args, Debug)]
struct OpenArgs {
    /// The holder.
    #[arg(long, value_name = "ID")]
    insured: String,
    /// A close relative opening it on the holder's behalf (代开通).
    #[arg(long, value_name = "ID")]
    by: Option<String>,
    /// The usage location (default: the person's region in the family registry).
    #[arg(long, value_name = "CODE")]
    region: Option<String>,
    /// The holder's scheme (default: the person's scheme in the family registry).
    #[arg(long, value_name = "SCHEME", value_parser = ["employee", "resident"])]
    scheme: Option<String>,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct RegionArgs {
    #[command(subcommand)]
    command: RegionCommand,
}

#[derive(Subcommand, Debug)]
enum RegionCommand {
    /// Open the wallet service in a region.
    Open(RegionCodeArgs),
    /// Close the wallet service in a region (as listed).
    Close(RegionCodeArgs),
}

#[derive(Args, Debug)]
struct RegionCodeArgs {
    /// The 6-digit region code (440000: all of Guangdong).
    #[arg(long, value_name = "CODE")]
    region: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct CreditArgs {
    /// The account holder.
    #[arg(long, value_name = "ID")]
    insured: String,
    /// Yuan, at most two decimals.
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    amount: String,
    /// Makes the request idempotent: the same id again does nothing more.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct TransferArgs {
    /// The sender.
    #[arg(long, value_name = "ID")]
    from: String,
    /// The receiver, a close relative with a wallet.
    #[arg(long, value_name = "ID")]
    to: String,
    /// Yuan, at most two decimals.
    #[arg(long, value_name = "YUAN", allow_hyphen_values = true)]
    amount: String,
    /// The sender's personal account (employee scheme only) or their wallet.
    #[arg(long, value_name = "SOURCE", value_parser = ["personal", "wallet"], default_value = "personal")]
    source: String,
    /// Makes the request idempotent: the same id again returns the first transfer.
    #[arg(long, value_name = "ID")]
    request_id: Option<String>,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct AcceptArgs {
    /// The transfer id `transfer` printed.
    #[arg(long, value_name = "ID")]
    transfer: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct SweepArgs {
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct LocationArgs {
    /// The holder.
    #[arg(long, value_name = "ID")]
    insured: String,
    /// The new usage location.
    #[arg(long, value_name = "CODE")]
    region: String,
    #[command(flatten)]
    at: AtArg,
}

fn region_arg(text: &str, flag: &'static str) -> Result<Region, Error> {
    Region::new(text).map_err(|e| Error::InvalidArgument {
        what: flag,
        why: e.to_string(),
    })
}

/// An amount typed on the command line: a bad one is a refusal
/// (`invalid_amount`, exit 1), like the library's.
fn amount_arg(text: &str) -> Result<Fen, Failure> {
    Fen::parse_yuan(text).map_err(refusal(RefusalLine::Refused))
}

fn open_wallet(args: &WalletArgs) -> Result<Wallet, Error> {
    let max = Fen::parse_yuan(&args.max_transfer).map_err(|e| Error::InvalidArgument {
        what: "--max-transfer",
        why: e.to_string(),
    })?;
    let policy = WalletPolicy::default()
        .with_max_transfers_per_day(args.max_transfers_per_day)?
        .with_max_transfer(max)?;
    // The crash test's pause exists only in builds with the platform's
    // feature `test-hooks` (this crate's tests); elsewhere a no-op.
    Ok(Wallet::open(&args.db)?
        .with_policy(policy)
        .with_test_pause_from_env())
}

/// The family registry's file: `--registry`, else `--db` when it is an
/// SQLite file (`None` for a PostgreSQL wallet without `--registry`).
fn registry_path(args: &WalletArgs) -> Result<Option<PathBuf>, Failure> {
    if let Some(path) = &args.registry {
        return Ok(Some(path.clone()));
    }
    match StoreUrl::parse("--db", &args.db)? {
        StoreUrl::Sqlite(path) => Ok(Some(path)),
        StoreUrl::Postgres(_) => Ok(None),
    }
}

/// The mutual-aid filings of the family registry, read-only: `wallet`
/// creates and changes nothing in the registry.
fn relations(args: &WalletArgs) -> Result<Arc<SqliteRegistry>, Failure> {
    let Some(path) = registry_path(args)? else {
        return Err(Failure::Error(Error::InvalidArgument {
            what: "--registry",
            why: "give --registry FILE, the family registry (a PostgreSQL wallet holds none)"
                .into(),
        }));
    };
    Ok(Arc::new(SqliteRegistry::open_read_only(&path)?))
}

/// Region and scheme for `open`: the flags, else the family registry's
/// record of the person in the same SQLite file.
fn open_details(
    args: &WalletArgs,
    a: &OpenArgs,
    id: &InsuredId,
) -> Result<(Region, Scheme), Failure> {
    let flags = (
        a.region
            .as_deref()
            .map(|r| region_arg(r, "--region"))
            .transpose()?,
        a.scheme.as_deref().map(str::parse::<Scheme>).transpose()?,
    );
    if let (Some(region), Some(scheme)) = flags {
        return Ok((region, scheme));
    }
    let Some(path) = registry_path(args)? else {
        return Err(Failure::Error(Error::InvalidArgument {
            what: "--region",
            why: "give --region and --scheme, or --registry FILE to read them from (a PostgreSQL wallet holds no family registry)".into(),
        }));
    };
    // Read only: `wallet open` creates nothing in the registry.
    let person = read_person(&path, id).map_err(refusal(RefusalLine::Refused))?;
    Ok((
        flags.0.unwrap_or(person.region),
        flags.1.unwrap_or(person.scheme),
    ))
}

pub(crate) fn run(args: &WalletArgs) -> CmdResult {
    let mut wallet = open_wallet(args)?;
    let reads_relations = match &args.command {
        WalletCommand::Open(a) => a.by.is_some(),
        WalletCommand::Transfer(_) => true,
        _ => false,
    };
    if reads_relations {
        wallet = wallet.with_relations(relations(args)?);
    }
    match &args.command {
        WalletCommand::Open(a) => {
            let insured = insured_arg(&a.insured, "--insured")?;
            let by =
                a.by.as_deref()
                    .map(|b| insured_arg(b, "--by"))
                    .transpose()?;
            let (region, scheme) = open_details(args, a, &insured)?;
            let req = OpenWallet {
                insured,
                by,
                region,
                scheme,
            };
            let w = wallet
                .open_wallet(&req, a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            out(&print::wallet_line(&w))
        }
        WalletCommand::Region(r) => match &r.command {
            RegionCommand::Open(a) => {
                let region = region_arg(&a.region, "--region")?;
                let new = wallet
                    .open_region(region, a.at.now()?)
                    .map_err(refusal(RefusalLine::Refused))?;
                out(&format!(
                    "wallet service {} in region {region}",
                    if new { "opened" } else { "already open" }
                ))
            }
            RegionCommand::Close(a) => {
                let region = region_arg(&a.region, "--region")?;
                let was = wallet
                    .close_region(region, a.at.now()?)
                    .map_err(refusal(RefusalLine::Refused))?;
                out(&format!(
                    "wallet service {} in region {region}",
                    if was {
                        "closed"
                    } else {
                        "was not open (as listed)"
                    }
                ))
            }
        },
        WalletCommand::Credit(a) => {
            let insured = insured_arg(&a.insured, "--insured")?;
            let amount = amount_arg(&a.amount)?;
            let c = wallet
                .credit(&insured, amount, a.request_id.as_deref(), a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            out(&format!(
                "credited {} yuan to {}'s personal account",
                c.amount, c.insured
            ))
        }
        WalletCommand::Transfer(a) => {
            let req = TransferRequest {
                from: insured_arg(&a.from, "--from")?,
                to: insured_arg(&a.to, "--to")?,
                amount: amount_arg(&a.amount)?,
                source: a.source.parse::<Source>()?,
                request_id: a.request_id.clone(),
            };
            let t = wallet
                .transfer(&req, a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            out(&t.id)
        }
        WalletCommand::Accept(a) => {
            let t = wallet
                .accept(&a.transfer, a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            out(&format!(
                "accepted {}: {} yuan from {} into {}'s wallet",
                t.id, t.amount, t.sender, t.receiver
            ))
        }
        WalletCommand::Sweep(a) => {
            let returned = wallet
                .sweep(a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            for t in &returned {
                out(&format!(
                    "returned {}: {} yuan to {}'s {} ({} did not accept it)",
                    t.id, t.amount, t.sender, t.source, t.receiver
                ))?;
            }
            out(&format!("{} transfers returned", returned.len()))
        }
        WalletCommand::Balance(a) => {
            let insured = insured_arg(&a.insured, "--insured")?;
            let b = wallet
                .balance(&insured)
                .map_err(refusal(RefusalLine::Refused))?;
            if a.json {
                return out(&print::json(&b)?);
            }
            out(&print::balance_line(&b))
        }
        WalletCommand::History(a) => {
            let insured = insured_arg(&a.insured, "--insured")?;
            let entries = wallet
                .history(&insured)
                .map_err(refusal(RefusalLine::Refused))?;
            if a.json {
                return out(&print::json(&serde_json::json!({
                    "insured": insured,
                    "entries": entries,
                }))?);
            }
            for e in &entries {
                out(&print::history_line(e))?;
            }
            Ok(())
        }
        WalletCommand::SetLocation(a) => {
            let insured = insured_arg(&a.insured, "--insured")?;
            let region = region_arg(&a.region, "--region")?;
            let w = wallet
                .set_location(&insured, region, a.at.now()?)
                .map_err(refusal(RefusalLine::Refused))?;
            out(&format!(
                "usage location of {}'s wallet is now {}",
                w.insured, w.region
            ))
        }
        WalletCommand::Pay(a) => pay::run(&wallet, a),
    }
}
