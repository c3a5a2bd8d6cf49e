//! `medcode issue`: sign a code and print its token text.

use std::path::PathBuf;

use clap::Args;

use super::registry::{insured_arg, refusal};
use super::{AtArg, CmdResult, Failure, key_path, out, warn};
use crate::claims::{Claims, InsuredId, MaskedName, Region, Scheme, Status};
use crate::error::Error;
use crate::files::write_replace;
use crate::issuer::Issuer;
use crate::keyfile::{PermissionPolicy, read_private_key};
use crate::qr::{Ecc, Qr};
use crate::registry::Registry;

#[derive(Args, Debug)]
pub(crate) struct IssueArgs {
    /// Folder holding KID.pk8.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Name of the key to sign with (DIR/KID.pk8).
    #[arg(long, value_name = "KID")]
    kid: String,
    /// The insured person's platform identifier (1-20 of 0-9, A-Z).
    #[arg(long, value_name = "ID")]
    insured: String,
    /// Region of enrolment, a 6-digit administrative division code (not with --db).
    #[arg(
        long,
        value_name = "CODE",
        required_unless_present = "db",
        conflicts_with = "db"
    )]
    region: Option<String>,
    /// Masked display name, e.g. "张*" (not with --db).
    #[arg(long, value_name = "MASKED", conflicts_with = "db")]
    name: Option<String>,
    /// Insurance status [default: normal] (not with --db).
    #[arg(long, value_parser = ["normal", "lapsed"], conflicts_with = "db")]
    status: Option<String>,
    /// Insurance scheme [default: employee] (not with --db).
    #[arg(long, value_parser = ["employee", "resident"], conflicts_with = "db")]
    scheme: Option<String>,
    /// Take region, status, scheme, masked name and the cross-province switch
    /// from this family-account registry; unknown or unactivated persons are refused.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// Issue a delegate code: this bound owner shows the --insured member's code.
    #[arg(long, value_name = "OWNER", requires = "db")]
    presenter: Option<String>,
    /// Validity in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u16).range(1..))]
    ttl: u16,
    /// Refuse a key file that others can read (instead of warning).
    #[arg(long)]
    strict: bool,
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
    #[arg(long, value_name = "N", default_value_t = crate::qr::DEFAULT_MODULE_PX, value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::qr::MAX_MODULE_PX)))]
    module_px: u32,
    /// Print the QR version and module count (standard error).
    #[arg(long)]
    verbose: bool,
    #[command(flatten)]
    at: AtArg,
}

/// The claims from the flags, or from the registry with `--db`.
fn claims(args: &IssueArgs) -> Result<Claims, Failure> {
    let insured = InsuredId::new(&args.insured)?;
    if let Some(db) = &args.db {
        let registry = Registry::open_existing(db)?;
        let claims = match &args.presenter {
            Some(owner) => registry.delegate_claims(&insured_arg(owner, "--presenter")?, &insured),
            None => registry.self_claims(&insured),
        };
        return claims.map_err(refusal);
    }
    if args.presenter.is_some() {
        return Err(Error::InvalidArgument {
            what: "--presenter",
            why: "a delegate code comes from the family-account registry: give --db FILE".into(),
        }
        .into());
    }
    let region = args
        .region
        .as_deref()
        .ok_or_else(|| Error::InvalidArgument {
            what: "--region",
            why: "required unless --db gives the registry".into(),
        })?;
    let mut claims = Claims::new(insured, Region::new(region)?);
    claims.name = args.name.as_deref().map(MaskedName::new).transpose()?;
    claims.status = args
        .status
        .as_deref()
        .unwrap_or("normal")
        .parse::<Status>()?;
    claims.scheme = args
        .scheme
        .as_deref()
        .unwrap_or("employee")
        .parse::<Scheme>()?;
    Ok(claims)
}

pub(crate) fn run(args: &IssueArgs) -> CmdResult {
    let claims = claims(args)?;
    let now = args.at.now()?;
    let policy = if args.strict {
        PermissionPolicy::Refuse
    } else {
        PermissionPolicy::Warn
    };
    let loaded = read_private_key(&key_path(&args.dir, &args.kid)?, policy)?;
    if let Some(w) = &loaded.warning {
        warn(w);
    }
    let issuer = Issuer::new(loaded.key).with_validity(args.ttl);
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

/// Writes a line to standard error (not the token's stdout).
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
