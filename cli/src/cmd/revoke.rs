//! `medcode revoke`: create or extend an unsigned revocation list; sign it
//! with `medcode trust sign --kind revocation`.

use std::path::PathBuf;

use clap::{ArgGroup, Args};

use crate::args::AtArg;
use crate::output::{CmdResult, out};
use medcode::CredentialId;
use medcode::Error;
use medcode::InsuredId;
use medcode::RevocationList;
use medcode::SignedList;
use medcode::TrustList;
use medcode::UnixTime;
use medcode::files::read_bounded;
use medcode::keys::KeyId;
use medcode::limits::MAX_REVOCATION_LIST_LEN;
use medcode::lists::{Change, RevocationReason};

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("what").required(true).multiple(true).args(["kid", "insured", "insured_from", "credential"])))]
pub(crate) struct RevokeArgs {
    /// The unsigned revocation list to create or extend (replaced atomically;
    /// FILE.lock beside it keeps concurrent runs from losing entries).
    #[arg(long, value_name = "FILE")]
    list: PathBuf,
    /// Revoke an issuer key: its key id (8 hex digits), or its keygen label
    /// (the --kid given to keygen) resolved through --trust; may be repeated.
    #[arg(long, value_name = "KID|LABEL")]
    kid: Vec<String>,
    /// The trust list that resolves a key label given to --kid (e.g. DIR/trust.json).
    #[arg(long, value_name = "FILE")]
    trust: Option<PathBuf>,
    /// Why the key ids are revoked.
    #[arg(long, default_value = "compromised", requires = "kid", value_parser = ["compromised", "superseded", "retired", "unspecified"])]
    reason: String,
    /// Revoke an insured identifier; may be repeated.
    #[arg(long, value_name = "ID")]
    insured: Vec<String>,
    /// Revoke every insured identifier in FILE (one per line; blank lines and # comments skipped).
    #[arg(long, value_name = "FILE")]
    insured_from: Option<PathBuf>,
    /// Revoke a phone's device credential (a lost phone): its id, 16 hex
    /// digits, as `medcode device enroll` prints it; may be repeated.
    #[arg(long, value_name = "ID")]
    credential: Vec<String>,
    /// Refuse the identifiers' codes issued at or after this instant [default: --at, or now].
    #[arg(long, value_name = "RFC3339")]
    since: Option<String>,
    #[command(flatten)]
    at: AtArg,
}

fn count(changes: &[Change], which: Change) -> usize {
    changes.iter().filter(|c| **c == which).count()
}

/// A `--kid` value: a key id (8 hex digits), or a label of the trust list.
fn resolve_kid(k: &str, trust: Option<&TrustList>) -> Result<KeyId, Error> {
    if let Ok(kid) = KeyId::parse_hex(k) {
        return Ok(kid);
    }
    let Some(trust) = trust else {
        return Err(Error::InvalidArgument {
            what: "--kid",
            why: format!(
                "{k:?} is not a key id (8 hex digits); to name a key by its keygen label give --trust DIR/trust.json"
            ),
        });
    };
    let found: Vec<KeyId> = trust
        .keys()
        .iter()
        .filter(|t| t.label == k)
        .map(|t| t.key.key_id())
        .collect();
    match found.as_slice() {
        [kid] => Ok(*kid),
        [] => Err(Error::InvalidArgument {
            what: "--kid",
            why: format!(
                "{k:?} is neither a key id (8 hex digits) nor a label in the --trust list"
            ),
        }),
        _ => Err(Error::InvalidArgument {
            what: "--kid",
            why: format!(
                "{k:?} labels {} keys in the --trust list: give the key id",
                found.len()
            ),
        }),
    }
}

pub(crate) fn run(args: &RevokeArgs) -> CmdResult {
    let since = match &args.since {
        Some(text) => UnixTime::parse_rfc3339(text).map_err(|e| Error::InvalidArgument {
            what: "--since",
            why: e.to_string(),
        })?,
        None => args.at.now()?,
    };
    if args.since.is_some() && args.insured.is_empty() && args.insured_from.is_none() {
        return Err(Error::InvalidArgument {
            what: "--since",
            why: "applies to --insured or --insured-from only".into(),
        }
        .into());
    }
    // Check every argument before touching the file.
    let reason: RevocationReason = args.reason.parse()?;
    let trust = match &args.trust {
        Some(path) => Some(TrustList::from_file(path)?),
        None => None,
    };
    let kids = args
        .kid
        .iter()
        .map(|k| resolve_kid(k, trust.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut ids = args
        .insured
        .iter()
        .map(|i| {
            InsuredId::new(i).map_err(|e| Error::InvalidArgument {
                what: "--insured",
                why: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let credentials = args
        .credential
        .iter()
        .map(|c| {
            CredentialId::parse_hex(c).map_err(|e| Error::InvalidArgument {
                what: "--credential",
                why: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(path) = &args.insured_from {
        let bytes = read_bounded(path, MAX_REVOCATION_LIST_LEN, "--insured-from")?;
        let text = String::from_utf8(bytes).map_err(|_| Error::InvalidArgument {
            what: "--insured-from",
            why: format!("{} is not UTF-8 text", path.display()),
        })?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            ids.push(InsuredId::new(line).map_err(|e| Error::InvalidArgument {
                what: "--insured-from",
                why: format!("{} line {}: {e}", path.display(), n + 1),
            })?);
        }
    }

    // Held until the list is replaced: a process revoking at the same time
    // waits, then reads the list with this run's entries in it.
    let _lock = crate::lock::lock(&args.list)?;
    let mut list = if args.list.exists() {
        let bytes = read_bounded(&args.list, MAX_REVOCATION_LIST_LEN, "--list")?;
        if SignedList::is_envelope(&bytes) {
            return Err(Error::InvalidArgument {
                what: "--list",
                why: format!(
                    "{} is a signed list; revoke edits the unsigned list it was signed from",
                    args.list.display()
                ),
            }
            .into());
        }
        RevocationList::from_json(&bytes).map_err(|e| e.in_list_file(&args.list))?
    } else {
        RevocationList::new()
    };
    let key_changes = kids
        .iter()
        .map(|k| list.revoke_key(*k, reason))
        .collect::<Result<Vec<_>, _>>()?;
    let id_changes = ids
        .iter()
        .map(|i| list.revoke_insured(i, since))
        .collect::<Result<Vec<_>, _>>()?;
    let credential_changes = credentials
        .iter()
        .map(|c| list.revoke_credential(*c))
        .collect::<Result<Vec<_>, _>>()?;
    list.save(&args.list)?;

    for (kid, change) in kids.iter().zip(&key_changes) {
        let what = match change {
            Change::Added => "revoked",
            Change::Updated => "reason changed",
            Change::Unchanged => "already revoked",
        };
        out(&format!("key {kid}: {what} ({reason})"))?;
    }
    if !ids.is_empty() {
        out(&format!(
            "insured: {} revoked for codes issued from {since}, {} moved to that earlier instant, {} already revoked from an earlier one",
            count(&id_changes, Change::Added),
            count(&id_changes, Change::Updated),
            count(&id_changes, Change::Unchanged)
        ))?;
    }
    for (id, change) in credentials.iter().zip(&credential_changes) {
        let what = match change {
            Change::Unchanged => "already revoked",
            Change::Added | Change::Updated => "revoked",
        };
        out(&format!("device credential {id}: {what}"))?;
    }
    out(&format!(
        "{} holds {} key ids, {} insured identifiers and {} device credentials; sign it with: medcode trust sign --kind revocation --root ROOT.pk8 --in {} --out SIGNED",
        args.list.display(),
        list.key_count(),
        list.insured_count(),
        list.credential_count(),
        args.list.display()
    ))
}
