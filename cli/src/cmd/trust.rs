//! `medcode trust`: the offline root key and the lists it signs.
//!
//! - `root-keygen --out DIR [--name NAME]`: DIR/NAME.pk8 (mode 0600, keep it
//!   offline) and DIR/NAME.pub (pin it on every verifier).
//! - `sign --root ROOT.pk8 --in LIST --out SIGNED [--kind trust|revocation]`:
//!   signs the exact bytes of a trust or revocation list.
//! - `status --trust SIGNED --root-key ROOT.pub [--revocations SIGNED]`: how
//!   fresh the lists are; exit 1 once the staleness policy refuses codes.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::args::ListArgs;
use crate::args::{AtArg, key_path};
use crate::output::{CmdResult, Failure, out};
use medcode::Error;
use medcode::ListKind;
use medcode::RevocationList;
use medcode::RootKey;
use medcode::SignedList;
use medcode::TrustList;
use medcode::UnixTime;
use medcode::error::ListProblem;
use medcode::files::read_bounded;
use medcode::keys::{Algorithm, SigningKey};
use medcode::keys::{PermissionPolicy, read_private_key, write_private_key};
use medcode::lists::{ListPublisher, Validity};
use medcode::time::human_secs;
use medcode::verify::list_len_limit;

#[derive(Args, Debug)]
pub(crate) struct TrustArgs {
    #[command(subcommand)]
    command: TrustCommand,
}

#[derive(Subcommand, Debug)]
enum TrustCommand {
    /// Generate the root key pair: DIR/NAME.pk8 (mode 0600, keep offline) and DIR/NAME.pub.
    RootKeygen(RootKeygenArgs),
    /// Sign a trust or revocation list with the root key.
    Sign(SignArgs),
    /// Show how fresh the signed lists are: exit 0 while codes are accepted, 1 once refused.
    Status(StatusArgs),
}

#[derive(Args, Debug)]
struct RootKeygenArgs {
    /// Folder for the key files (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// File name stem: DIR/NAME.pk8 and DIR/NAME.pub.
    #[arg(long, value_name = "NAME", default_value = "root")]
    name: String,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// The root private key (PKCS#8 Ed25519).
    #[arg(long, value_name = "ROOT.pk8")]
    root: PathBuf,
    /// The list to sign: trust.json, or a revocation list with --kind revocation.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where to write the signed list (replaced atomically; FILE.lock beside
    /// it makes concurrent signs take one sequence each).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Which list FILE is.
    #[arg(long, default_value = "trust", value_parser = ["trust", "revocation"])]
    kind: String,
    /// Sequence number [default: one more than the list OUT holds, or 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    sequence: Option<u64>,
    /// When a newer list is due (RFC 3339).
    #[arg(long, value_name = "RFC3339", conflicts_with = "valid_for")]
    next_update: Option<String>,
    /// Hours from --at until a newer list is due.
    #[arg(long, value_name = "HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=876_000))]
    valid_for: u64,
    /// Refuse a root key file that others can read (instead of warning).
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct StatusArgs {
    #[command(flatten)]
    lists: ListArgs,
    #[command(flatten)]
    at: AtArg,
}

pub(crate) fn run(args: &TrustArgs) -> CmdResult {
    match &args.command {
        TrustCommand::RootKeygen(a) => root_keygen(a),
        TrustCommand::Sign(a) => sign(a),
        TrustCommand::Status(a) => status(a),
    }
}

fn root_keygen(args: &RootKeygenArgs) -> CmdResult {
    let key_file = key_path(&args.out, &args.name).map_err(|e| match e {
        Error::InvalidArgument { why, .. } => Error::InvalidArgument {
            what: "--name",
            why,
        },
        other => other,
    })?;
    let pub_file = key_file.with_extension("pub");
    if args.out.exists() && !args.out.is_dir() {
        return Err(Error::InvalidArgument {
            what: "--out",
            why: format!("{} is not a folder", args.out.display()),
        }
        .into());
    }
    for f in [&key_file, &pub_file] {
        if f.exists() {
            return Err(Error::InvalidArgument {
                what: "--out",
                why: format!(
                    "{} exists; refusing to overwrite a root key (choose another --out or --name)",
                    f.display()
                ),
            }
            .into());
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, "create folder", e))?;
    let key = SigningKey::generate(Algorithm::Ed25519)?;
    let root = RootKey::of(&key)?;
    write_private_key(&key_file, &key)?;
    root.save(&pub_file)?;
    out(&format!(
        "wrote {} (Ed25519 root key, key id {}, mode 0600: keep it offline) and {} (pin it on every verifier)",
        key_file.display(),
        root.key_id(),
        pub_file.display()
    ))
}

/// Reads the list to sign, with a hint when it is the other kind.
fn read_payload(path: &Path, kind: ListKind) -> Result<Vec<u8>, Error> {
    // The unsigned list's limit, as a till setup applies it.
    let bytes = read_bounded(path, list_len_limit(kind, false), "--in")?;
    if SignedList::is_envelope(&bytes) {
        return Err(Error::InvalidArgument {
            what: "--in",
            why: format!(
                "{} is already a signed list; sign the unsigned list it was made from",
                path.display()
            ),
        });
    }
    let (checked, other) = match kind {
        ListKind::Trust => (
            TrustList::from_json(&bytes).map(drop),
            RevocationList::from_json(&bytes).is_ok(),
        ),
        ListKind::Revocation => (
            RevocationList::from_json(&bytes).map(drop),
            TrustList::from_json(&bytes).is_ok(),
        ),
    };
    match checked {
        Ok(()) => Ok(bytes),
        Err(_) if other => Err(Error::InvalidArgument {
            what: "--kind",
            why: format!(
                "{} is a {}, not a {}: give --kind {}",
                path.display(),
                if kind == ListKind::Trust {
                    "revocation list"
                } else {
                    "trust list"
                },
                kind.describe(),
                if kind == ListKind::Trust {
                    "revocation"
                } else {
                    "trust"
                }
            ),
        }),
        Err(e) => Err(e.in_list_file(path)),
    }
}

/// The signed list `--out` holds before signing, if any (the publisher
/// decides whether it is one, and whether this root signed it).
fn previous(out: &Path, kind: ListKind) -> Result<Option<Vec<u8>>, Error> {
    if !out.exists() {
        return Ok(None);
    }
    read_bounded(out, list_len_limit(kind, true), "--out").map(Some)
}

/// A publisher's refusal in the words of `trust sign`'s flags; other
/// errors (the root key or the payload refused by signing) as they are.
fn publish_error(e: Error, out: &Path, kind: ListKind) -> Error {
    let sequence = |why: String| Error::InvalidArgument {
        what: "--sequence",
        why,
    };
    let Error::InvalidList { problem, .. } = &e else {
        return e;
    };
    match problem {
        ListProblem::NextUpdateNotAfterIssued {
            issued_at,
            next_update,
        } => Error::InvalidArgument {
            what: "--next-update",
            why: format!("{next_update} is not after the signing time {issued_at}"),
        },
        ListProblem::PreviousNotSigned => Error::InvalidArgument {
            what: "--out",
            why: format!(
                "{} exists and is not a signed list; refusing to overwrite it",
                out.display()
            ),
        },
        ListProblem::PreviousForeign { why } => sequence(format!(
            "{} holds no {} signed by this root ({why}); give --sequence N to replace it",
            out.display(),
            kind.describe()
        )),
        ListProblem::SequenceNotAbove { previous, .. } => sequence(format!(
            "{} holds sequence {previous}; verifiers refuse a list whose sequence does not go up: give a higher --sequence",
            out.display()
        )),
        ListProblem::SequenceExhausted => sequence("the sequence number is exhausted".into()),
        _ => e,
    }
}

fn sign(args: &SignArgs) -> CmdResult {
    let kind: ListKind = args.kind.parse()?;
    let issued_at = args.at.now()?;
    let validity =
        match &args.next_update {
            Some(text) => Validity::Until(UnixTime::parse_rfc3339(text).map_err(|e| {
                Error::InvalidArgument {
                    what: "--next-update",
                    why: e.to_string(),
                }
            })?),
            None => Validity::For(args.valid_for * 3600),
        };
    let next_update = ListPublisher::next_update(issued_at, validity)
        .map_err(|e| publish_error(e, &args.out, kind))?;
    let policy = if args.strict {
        PermissionPolicy::Refuse
    } else {
        PermissionPolicy::Warn
    };
    let loaded = read_private_key(&args.root, policy)?;
    crate::output::key_loaded(&args.root, &loaded);
    let root = RootKey::of(&loaded.key).map_err(|_| Error::InvalidKey {
        why: format!(
            "{} is a {} key; a root key is ed25519 (make one with medcode trust root-keygen)",
            args.root.display(),
            loaded.key.algorithm()
        ),
    })?;
    let payload = read_payload(&args.input, kind)?;
    // Held until OUT is replaced: signs running at once each take the next
    // sequence instead of all signing the same one (OUT.lock beside it).
    let _lock = crate::lock::lock(&args.out)?;
    let mut publisher = ListPublisher::new(kind);
    if let Some(n) = args.sequence {
        publisher = publisher.with_sequence(n);
    }
    let previous = previous(&args.out, kind)?;
    let signed = publisher
        .publish(
            &loaded.key,
            previous.as_deref(),
            payload,
            issued_at,
            validity,
        )
        .map_err(|e| publish_error(e, &args.out, kind))?;
    let sequence = signed.verify(&root, kind)?.info().sequence;
    signed.save(&args.out)?;
    out(&format!(
        "signed {} sequence {sequence} with root key {}: issued {issued_at}, next update {next_update}; wrote {}",
        kind.describe(),
        root.key_id(),
        args.out.display()
    ))
}

fn status(args: &StatusArgs) -> CmdResult {
    let now = args.at.now()?;
    let verifier = args
        .lists
        .config()
        .build(now)
        .map_err(|e| args.lists.in_flags(e))?;
    let statuses = verifier.list_status(now);
    if statuses.is_empty() {
        return Err(Error::InvalidArgument {
            what: "--trust",
            why: "the lists are unsigned: they carry no next-update time (give signed lists and --root-key)".into(),
        }
        .into());
    }
    let mut refused = false;
    for s in &statuses {
        let state = if s.refused {
            refused = true;
            format!(
                "STALE: every code is refused since {} (trust_list_stale)",
                s.refuses_at
            )
        } else if let Some(n) = &s.notice {
            n.to_string()
        } else {
            format!(
                "fresh: due for update in {}",
                human_secs(s.info.next_update.as_secs().saturating_sub(now.as_secs()))
            )
        };
        out(&format!(
            "{}: sequence {}, issued {}, next update {}: {state}",
            s.info.kind.describe(),
            s.info.sequence,
            s.info.issued_at,
            s.info.next_update
        ))?;
    }
    if refused {
        Err(Failure::Refused)
    } else {
        Ok(())
    }
}
