//! `medcode keygen`: a new issuer key pair and its trust-list entry.

use std::path::PathBuf;

use clap::Args;

use crate::args::{AtArg, key_path};
use crate::output::{CmdResult, out};
use medcode::Error;
use medcode::TrustList;
use medcode::TrustedKey;
use medcode::keys::write_private_key;
use medcode::keys::{Algorithm, SigningKey};

#[derive(Args, Debug)]
pub(crate) struct KeygenArgs {
    /// Folder for the key file and trust.json (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Name of the key: the file is DIR/KID.pk8 and the trust entry's label is KID.
    #[arg(long, value_name = "KID")]
    kid: String,
    /// Signature algorithm.
    #[arg(long, value_name = "ALG", default_value = "ed25519", value_parser = ["ed25519", "p256", "sm2"])]
    alg: String,
    /// Issuing authority named in the trust list.
    #[arg(long, value_name = "NAME", default_value = "medcode issuer")]
    authority: String,
    /// Days the key verifies tokens, from --at (or now).
    #[arg(long, value_name = "DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    valid_days: u32,
    #[command(flatten)]
    at: AtArg,
}

pub(crate) fn run(args: &KeygenArgs) -> CmdResult {
    let alg: Algorithm = args.alg.parse()?;
    let now = args.at.now()?;
    let key_file = key_path(&args.dir, &args.kid)?;
    let trust_file = args.dir.join("trust.json");
    if args.dir.exists() && !args.dir.is_dir() {
        return Err(Error::InvalidArgument {
            what: "--dir",
            why: format!("{} is not a folder", args.dir.display()),
        }
        .into());
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io(&args.dir, "create folder", e))?;
    // Held until trust.json is replaced, so keygens running at once into
    // one folder each add their key (trust.json.lock beside it).
    let _lock = crate::lock::lock(&trust_file)?;
    // Read the existing list first, so a broken one stops us before we write.
    let existing = if trust_file.exists() {
        Some(TrustList::from_file(&trust_file)?)
    } else {
        None
    };
    if key_file.exists() {
        return Err(Error::InvalidArgument {
            what: "--kid",
            why: format!("{} exists; refusing to overwrite a key", key_file.display()),
        }
        .into());
    }
    let key = SigningKey::generate(alg)?;
    let entry = TrustedKey {
        key: key.public_key().clone(),
        label: args.kid.clone(),
        authority: args.authority.clone(),
        not_before: now,
        not_after: now.plus(u64::from(args.valid_days) * 86_400),
    };
    let list = match existing {
        Some(list) => list.with_key(entry)?,
        None => TrustList::new(vec![entry])?,
    };
    write_private_key(&key_file, &key)?;
    list.save(&trust_file)?;
    out(&format!(
        "wrote {} ({alg}, key id {}, mode 0600) and added it to {}, valid {} to {}",
        key_file.display(),
        key.key_id(),
        trust_file.display(),
        now,
        now.plus(u64::from(args.valid_days) * 86_400)
    ))
}
