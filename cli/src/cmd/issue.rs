//! `medcode issue`: sign a code and print its token text.

use std::path::PathBuf;

use clap::Args;

use crate::args::AtArg;
use crate::args::{ClaimsArgs, SignerArgs};
use crate::output::{CmdResult, RefusalLine, note, out, refusal, write_failure};
use medcode::files::write_replace;
use medcode::qr::{Ecc, Qr};

#[derive(Args, Debug)]
pub(crate) struct IssueArgs {
    #[command(flatten)]
    signer: SignerArgs,
    #[command(flatten)]
    who: ClaimsArgs,
    /// Validity in seconds: 1 to --max-validity (300, the tills' default
    /// maximum, unless raised).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(1..))]
    ttl: u16,
    /// Also write the QR code as a grayscale PNG.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
    /// Also write the QR code as SVG.
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Also draw the QR code on the terminal (standard error).
    #[arg(long)]
    terminal: bool,
    /// QR error-correction level.
    #[arg(long, default_value = "M", value_parser = ["L", "M", "Q", "H"])]
    ecc: String,
    /// Pixels per QR module in the PNG and SVG.
    #[arg(long, value_name = "N", default_value_t = medcode::limits::DEFAULT_MODULE_PX, value_parser = clap::value_parser!(u32).range(1..=i64::from(medcode::limits::MAX_MODULE_PX)))]
    module_px: u32,
    /// Print the QR version and module count (standard error).
    #[arg(long)]
    verbose: bool,
    /// Print this many codes, one per line, each with its own token id (the
    /// same claims and time): test data for a load benchmark of a till or
    /// `medcode serve` (benches/service_load.sh).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000_000),
          conflicts_with_all = ["png", "svg", "terminal", "verbose"])]
    count: u32,
    #[command(flatten)]
    at: AtArg,
}

pub(crate) fn run(args: &IssueArgs) -> CmdResult {
    let claims = args.who.claims().map_err(refusal(RefusalLine::Medcode))?;
    let now = args.at.now()?;
    let issuer = args.signer.issuer(args.ttl)?;
    if args.count > 1 {
        return print_many(&issuer, &claims, now, args.count);
    }
    let token = issuer.issue(&claims, now)?;
    let wants_qr = args.png.is_some() || args.svg.is_some() || args.terminal || args.verbose;
    if wants_qr {
        let qr = Qr::encode(token.text(), args.ecc.parse::<Ecc>()?)?;
        if let Some(path) = &args.png {
            write_replace(path, &qr.to_png(args.module_px)?)?;
        }
        if let Some(path) = &args.svg {
            write_replace(path, qr.to_svg(args.module_px).as_bytes())?;
        }
        if args.verbose {
            note(&format!(
                "QR version {} at level {}, {} x {} modules, {} characters, {} bytes",
                qr.version(),
                args.ecc,
                qr.modules(),
                qr.modules(),
                token.text().len(),
                token.binary_len()
            ));
        }
        if args.terminal {
            note(&qr.to_terminal());
        }
    }
    out(token.text())
}

/// `count` codes of `claims` issued at `now`, one per line, written in
/// blocks (not flushed line by line).
fn print_many(
    issuer: &medcode::Issuer,
    claims: &medcode::Claims,
    now: medcode::UnixTime,
    count: u32,
) -> CmdResult {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    for _ in 0..count {
        let token = issuer.issue(claims, now)?;
        if let Err(e) = writeln!(w, "{}", token.text()) {
            return Err(write_failure(e));
        }
    }
    w.flush().map_err(write_failure)
}
