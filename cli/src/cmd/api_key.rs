//! `medcode api-key new --org ORG --file FILE [--role till|issuer]`: makes
//! an API key for `medcode serve --api-keys FILE`, prints it once on
//! standard output and adds the organisation, the key's SHA-256 and its
//! role to FILE (mode 0600, under the file's lock, replaced atomically).
//! The key itself is kept nowhere.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::output::{CmdResult, out};
use crate::serve::api_keys::{KEY_PREFIX, Role, check_key_file, check_org, digest};
use medcode::Error;

/// Largest key file read back before adding a line.
const MAX_FILE_LEN: u64 = 1024 * 1024;

#[derive(Args, Debug)]
pub(crate) struct ApiKeyArgs {
    #[command(subcommand)]
    command: ApiKeyCommand,
}

#[derive(Subcommand, Debug)]
enum ApiKeyCommand {
    /// Make a key for an organisation: printed once, its SHA-256 added to FILE.
    New {
        /// The organisation the key speaks for (its org_id).
        #[arg(long, value_name = "ORG")]
        org: String,
        /// The key file of `medcode serve --api-keys` (created mode 0600).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// What the key may do: `till` verifies codes; `issuer` (the
        /// platform) may also read personal usage records (GET /v1/usage).
        #[arg(long, value_name = "ROLE", default_value = "till", value_parser = ["till", "issuer"])]
        role: String,
    },
}

pub(crate) fn run(args: &ApiKeyArgs) -> CmdResult {
    match &args.command {
        ApiKeyCommand::New { org, file, role } => {
            new_key(org, file, Role::parse(role).unwrap_or(Role::Till))
        }
    }
}

fn new_key(org: &str, file: &Path, role: Role) -> CmdResult {
    check_org(org).map_err(|why| Error::InvalidArgument { what: "--org", why })?;
    let mut bytes = Zeroizing::new([0u8; 32]);
    crate::random::fill(bytes.as_mut())?;
    let key = Zeroizing::new(format!("{KEY_PREFIX}{}", hex::encode(bytes.as_ref())));
    {
        let _lock = crate::lock::lock(file)?;
        let mut text = match std::fs::metadata(file) {
            Ok(_) => medcode::files::read_bounded(file, MAX_FILE_LEN, "API key file")?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(Error::io(file, "read", e).into()),
        };
        // Refuse to add to a file the service would refuse.
        check_key_file(&text).map_err(|why| Error::InvalidArgument {
            what: "--file",
            why: format!("{}: {why}", file.display()),
        })?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            text.push(b'\n');
        }
        writeln!(
            text,
            "{org} {} {}",
            hex::encode(digest(&key)),
            role.as_str()
        )
        .map_err(|e| Error::io(file, "write", e))?;
        medcode::files::write_private(file, &text)?;
    }
    out(&key)?;
    crate::output::warn(
        "the key is printed once and kept nowhere: give it to the organisation now",
    );
    Ok(())
}
