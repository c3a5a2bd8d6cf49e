//! The `medcode` command-line tool, built on the public API of the `medcode`
//! library only. This file parses the command line and dispatches; the
//! subcommands are in `cmd/` (one module each), their shared arguments in
//! `args/`, everything printed and the exit status in `output/`, and the
//! HTTP service of `medcode serve` in `serve/`. The logic is the library's.
//!
//! Exit status: 0 success (code accepted), 1 a code or request was refused
//! (the reason is printed), 2 usage, file or setup errors. Errors are one
//! line on stderr; a closed stdout pipe counts as success.

mod args;
mod clock;
mod cmd;
mod demo_keys;
mod lock;
mod output;
mod random;
mod serve;
mod state_dir;
mod usage_store;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "medcode",
    version,
    about = "Dynamic medical-insurance codes: issue, render and verify signed short-lived tokens",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate an issuer key pair: DIR/KID.pk8 (mode 0600) and an entry in DIR/trust.json.
    Keygen(cmd::keygen::KeygenArgs),
    /// Issue a code and print its token text (exactly what the QR holds).
    #[command(
        override_usage = "medcode issue [OPTIONS] --dir <DIR> --kid <KID> --insured <ID> <--region <CODE>|--db <FILE>>"
    )]
    Issue(cmd::issue::IssueArgs),
    /// Verify a token text: exit 0 accepted, 1 rejected, 2 usage or I/O error.
    Verify(cmd::verify::VerifyArgs),
    /// Show a refreshing code in the terminal (the holder's phone) until Ctrl-C.
    Show(cmd::show::ShowArgs),
    /// Codes made offline on the phone: device keys, enrolment, codes, the screen.
    Device(cmd::device::DeviceArgs),
    /// A till: verify one token per line of standard input, one verdict line each.
    Till(cmd::till::TillArgs),
    /// Run the whole job on embedded defaults: keys, issue, verify, a stale screenshot.
    Demo(cmd::demo::DemoArgs),
    /// Family-account registry: insured persons (issuer side, SQLite).
    Registry(cmd::registry::RegistryArgs),
    /// Family accounts: bind, unbind, list members, file or revoke mutual aid.
    Family(cmd::family::FamilyArgs),
    /// The offline root key and the trust and revocation lists it signs.
    Trust(cmd::trust::TrustArgs),
    /// Add key ids or insured identifiers to an unsigned revocation list.
    Revoke(cmd::revoke::RevokeArgs),
    /// Measure verification throughput on this machine: codes/s, latency, format overhead.
    Bench(cmd::bench::BenchArgs),
    /// A verification service: an HTTP API over one verifier (see docs/DEPLOYMENT.md).
    Serve(cmd::serve::ServeArgs),
    /// API keys of `medcode serve --api-keys`.
    ApiKey(cmd::api_key::ApiKeyArgs),
    /// The medical-insurance wallet (医保钱包): mutual-aid transfers and paying with the code.
    Wallet(cmd::wallet::WalletArgs),
    /// Usage records of `serve` and `till --usage-db`: retention (prune).
    Usage(cmd::usage::UsageArgs),
}

/// The (sub)command path the arguments name, e.g. `medcode registry
/// person add`: what a usage error points at for help.
fn command_path(args: &[String]) -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut path = vec!["medcode".to_owned()];
    for arg in args.iter().skip(1) {
        let Some(sub) = cmd.find_subcommand(arg).cloned() else {
            continue;
        };
        path.push(sub.get_name().to_owned());
        cmd = sub;
    }
    path.join(" ")
}

/// jemalloc, not the system allocator: a verification allocates and frees
/// dozens of small buffers (request, JSON, verdict, usage record); with it
/// the loaded service spends 5-7 % less CPU per request (docs/PERFORMANCE.md,
/// "Service"). mimalloc was tried too: its p99 was three times glibc's.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Runs the command line and returns the process exit status.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let rendered = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                // clap rendered the whole help: say what is missing instead.
                "a subcommand is required".to_owned()
            } else {
                e.to_string()
            };
            let args: Vec<String> = std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let help = command_path(&args);
            output::note(&output::parse_error_line(&rendered, &help));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Keygen(args) => cmd::keygen::run(&args),
        Command::Issue(args) => cmd::issue::run(&args),
        Command::Verify(args) => cmd::verify::run(&args),
        Command::Show(args) => cmd::show::run(&args),
        Command::Device(args) => cmd::device::run(&args),
        Command::Till(args) => cmd::till::run(&args),
        Command::Demo(args) => cmd::demo::run(&args),
        Command::Registry(args) => cmd::registry::run(&args),
        Command::Family(args) => cmd::family::run(&args),
        Command::Trust(args) => cmd::trust::run(&args),
        Command::Revoke(args) => cmd::revoke::run(&args),
        Command::Bench(args) => cmd::bench::run(&args),
        Command::Serve(args) => cmd::serve::run(&args),
        Command::ApiKey(args) => cmd::api_key::run(&args),
        Command::Wallet(args) => cmd::wallet::run(&args),
        Command::Usage(args) => cmd::usage::run(&args),
    };
    output::exit_code(result)
}
