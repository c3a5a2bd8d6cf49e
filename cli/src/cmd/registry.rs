//! `medcode registry`: insured persons in the family-account registry.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::args::{AtArg, ShowPersonArgs, id_number_arg, insured_arg};
use crate::output::escape::shown;
use crate::output::{CmdResult, RefusalLine, out, refusal};
use medcode::Error;
use medcode::Region;
use medcode::Scheme;
use medcode::Status;
use medcode_platform::registry::{FullName, NewPerson, Person, Registry};

#[derive(Args, Debug)]
pub(crate) struct RegistryArgs {
    /// The registry database (SQLite); its secret is FILE.secret beside it.
    /// Accepted before or after the subcommand (`registry --db F person add`
    /// or `registry person add --db F`).
    /// Required (checked after parsing: clap cannot require a global flag).
    #[arg(long, value_name = "FILE", global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Subcommand, Debug)]
enum RegistryCommand {
    /// Insured persons: add, show, change status or switches.
    #[command(subcommand)]
    Person(PersonCommand),
    /// Print the append-only audit log.
    Audit(AuditArgs),
}

#[derive(Subcommand, Debug)]
enum PersonCommand {
    /// Add an insured person (creates the registry if needed).
    Add(AddArgs),
    /// Show a person's record (never the ID number: only its keyed hash is stored).
    Show(ShowPersonArgs),
    /// Set a person's insurance status.
    SetStatus(SetStatusArgs),
    /// Switch use at tills outside the home province on or off.
    SetCrossProvince(SetCrossProvinceArgs),
    /// Record that a person activated their own code.
    Activate(ActivateArgs),
}

#[derive(Args, Debug)]
struct AddArgs {
    /// The person's platform identifier (1-20 of 0-9, A-Z).
    #[arg(long, value_name = "ID")]
    insured: String,
    /// Full name as on the insurance record (codes show only its first character and '*').
    #[arg(long, value_name = "NAME")]
    name: String,
    /// National ID number (18 characters), or - to read it from standard input.
    #[arg(long, value_name = "NUM")]
    id_number: String,
    /// Region of enrolment, a 6-digit administrative division code.
    #[arg(long, value_name = "CODE")]
    region: String,
    /// Insurance status.
    #[arg(long, default_value = "normal", value_parser = ["normal", "lapsed"])]
    status: String,
    /// Insurance scheme.
    #[arg(long, default_value = "employee", value_parser = ["employee", "resident"])]
    scheme: String,
    /// The person has activated their own code.
    #[arg(long)]
    activated: bool,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct SetStatusArgs {
    /// The person's identifier.
    #[arg(long, value_name = "ID")]
    insured: String,
    /// The new status.
    #[arg(value_name = "STATUS", value_parser = ["normal", "lapsed"])]
    status: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct SetCrossProvinceArgs {
    /// The person's identifier.
    #[arg(long, value_name = "ID")]
    insured: String,
    /// on: the code works at tills in every province; off: only in the home province.
    #[arg(value_name = "SWITCH", value_parser = ["on", "off"])]
    switch: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct ActivateArgs {
    /// The person's identifier.
    #[arg(long, value_name = "ID")]
    insured: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct AuditArgs {
    /// Print one JSON array.
    #[arg(long)]
    json: bool,
}

/// One line about a person (masked name only), names and identifiers
/// escaped ([`crate::output::escape`]).
pub(crate) fn describe(p: &Person) -> String {
    format!(
        "{} {}: region {}, {} scheme, status {}, code {}, cross-province use {}",
        shown(&p.insured),
        shown(&p.full_name.masked()),
        p.region,
        p.scheme,
        p.status,
        if p.activated {
            "activated"
        } else {
            "not activated"
        },
        if p.cross_province { "on" } else { "off" }
    )
}

pub(crate) fn run(args: &RegistryArgs) -> CmdResult {
    let db = args.db.as_deref().ok_or_else(|| Error::InvalidArgument {
        what: "--db",
        why:
            "required: the registry database, e.g. medcode registry --db registry.db person add ..."
                .into(),
    })?;
    let cmd = match &args.command {
        RegistryCommand::Person(PersonCommand::Add(a)) => return add(db, a),
        RegistryCommand::Audit(a) => return audit(&Registry::open_existing(db)?, a),
        RegistryCommand::Person(cmd) => cmd,
    };
    let registry = Registry::open_existing(db)?;
    let person = match cmd {
        PersonCommand::Show(a) => {
            let p = registry
                .person(&insured_arg(&a.insured, "--insured")?)
                .map_err(refusal(RefusalLine::Medcode))?;
            return show(&p, a.json);
        }
        PersonCommand::SetStatus(a) => registry.set_status(
            &insured_arg(&a.insured, "--insured")?,
            a.status.parse::<Status>()?,
            a.at.now()?,
        ),
        PersonCommand::SetCrossProvince(a) => registry.set_cross_province(
            &insured_arg(&a.insured, "--insured")?,
            a.switch == "on",
            a.at.now()?,
        ),
        PersonCommand::Activate(a) => {
            registry.activate(&insured_arg(&a.insured, "--insured")?, a.at.now()?)
        }
        PersonCommand::Add(a) => return add(db, a),
    }
    .map_err(refusal(RefusalLine::Medcode))?;
    out(&describe(&person))
}

fn add(db: &std::path::Path, a: &AddArgs) -> CmdResult {
    let mut new = NewPerson::new(
        insured_arg(&a.insured, "--insured")?,
        FullName::new(&a.name)?,
        id_number_arg(&a.id_number)?,
        Region::new(&a.region)?,
    );
    new.status = a.status.parse::<Status>()?;
    new.scheme = a.scheme.parse::<Scheme>()?;
    new.activated = a.activated;
    let now = a.at.now()?;
    let registry = Registry::open(db)?;
    let person = registry
        .add_person(&new, now)
        .map_err(refusal(RefusalLine::Medcode))?;
    out(&format!("added {}", describe(&person)))
}

fn show(p: &Person, as_json: bool) -> CmdResult {
    if as_json {
        return out(&json!({
            "insured": p.insured,
            "name": p.full_name.masked(),
            "full_name": p.full_name.as_str(),
            "region": p.region,
            "status": p.status,
            "scheme": p.scheme,
            "activated": p.activated,
            "cross_province": p.cross_province,
            "registered_at": p.registered_at.to_rfc3339(),
        })
        .to_string());
    }
    out(&describe(p))?;
    out(&format!("full name: {}", shown(&p.full_name.as_str())))?;
    out(&format!("registered: {}", p.registered_at))
}

fn audit(registry: &Registry, a: &AuditArgs) -> CmdResult {
    let log = registry.audit_log()?;
    if a.json {
        return out(&serde_json::to_string(&log).map_err(|e| Error::Storage {
            why: format!("cannot print the audit log: {e}"),
        })?);
    }
    for e in &log {
        let family = match (&e.member, e.relation) {
            (Some(m), Some(r)) => format!(" member {} ({r})", shown(m)),
            (Some(m), None) => format!(" member {}", shown(m)),
            _ => String::new(),
        };
        out(&format!(
            "{} {} {} {}{family}: {}",
            e.seq,
            e.at,
            e.action,
            shown(&e.insured),
            shown(&e.detail)
        ))?;
    }
    Ok(())
}
