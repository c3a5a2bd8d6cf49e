//! The arguments shared by several commands: the time (`--at`), the
//! verifier's flags (lists, leeway, till region, replay guard), whose code
//! and which key signs it, `--usage-db` of the till-side commands, and the
//! checks of a key name, an insured identifier and an ID number typed on
//! the command line.

pub(crate) mod at;
pub(crate) mod claims;
pub(crate) mod lists;
pub(crate) mod person;
pub(crate) mod relation;
pub(crate) mod replay;
pub(crate) mod usage;
pub(crate) mod verifier;

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use medcode::Error;
use medcode::InsuredId;
use medcode_platform::registry::IdNumber;

pub(crate) use at::AtArg;
pub(crate) use claims::{ClaimsArgs, SignerArgs};
pub(crate) use lists::ListArgs;
pub(crate) use person::ShowPersonArgs;
pub(crate) use relation::relation;
pub(crate) use usage::RecordArg;
pub(crate) use verifier::VerifierArgs;

/// Checks a key name used as a file name: no path separators, no dot start.
pub(crate) fn key_path(dir: &Path, kid: &str) -> Result<PathBuf, Error> {
    let ok = !kid.is_empty()
        && kid.len() <= 64
        && !kid.starts_with('.')
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !ok {
        return Err(Error::InvalidArgument {
            what: "--kid",
            why: format!(
                "{kid:?} is not a key name: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'"
            ),
        });
    }
    Ok(dir.join(format!("{kid}.pk8")))
}

/// Parses an identifier given on the command line for `flag`.
pub(crate) fn insured_arg(text: &str, flag: &'static str) -> Result<InsuredId, Error> {
    InsuredId::new(text).map_err(|e| Error::InvalidArgument {
        what: flag,
        why: e.to_string(),
    })
}

/// Reads an ID number from the argument, or from one line of standard input
/// for `-` (keeps it out of the shell history and the process list).
pub(crate) fn id_number_arg(text: &str) -> Result<IdNumber, Error> {
    if text != "-" {
        return IdNumber::new(text);
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .take(64)
        .read_line(&mut line)
        .map_err(|e| Error::io("standard input", "read", e))?;
    IdNumber::new(line.trim_end_matches(['\n', '\r']))
}
