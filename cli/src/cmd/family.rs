//! `medcode family`: family-account bindings (亲情账户) and personal-account
//! mutual-aid filings (个人账户家庭共济).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use crate::args::AtArg;
use crate::args::{id_number_arg, insured_arg};
use crate::output::escape::shown;
use crate::output::{CmdResult, RefusalLine, out, refusal};
use medcode::Error;
use medcode::Relation;
use medcode_platform::registry::{
    BindRequest, DEFAULT_MAX_MEMBERS_PER_OWNER, DEFAULT_MAX_OWNERS_PER_MEMBER, FamilyPolicy,
    Registry,
};

#[derive(Args, Debug)]
pub(crate) struct FamilyArgs {
    /// The registry database (SQLite), as made by `medcode registry`.
    #[arg(long, value_name = "FILE")]
    db: PathBuf,
    /// Most members one owner may bind.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_MEMBERS_PER_OWNER, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_members: u32,
    /// Most owners that may bind one member.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_OWNERS_PER_MEMBER, value_parser = clap::value_parser!(u32).range(1..=1000))]
    max_owners: u32,
    #[command(subcommand)]
    command: FamilyCommand,
}

#[derive(Subcommand, Debug)]
enum FamilyCommand {
    /// Bind a family member to the owner's account (the member's name and ID number must match the record).
    Bind(BindArgs),
    /// Undo a binding; no delegate code is issued for the pair from then on.
    Unbind(PairArgs),
    /// List the owner's bound members.
    List(ListArgs),
    /// Personal-account mutual aid, a separate filing: file or revoke.
    #[command(subcommand)]
    Aid(AidCommand),
    /// The usage records of the owner's family account, newest first: the
    /// uses of the bound members' codes (self codes, and codes shown by
    /// anyone on their behalf) and of the codes the owner showed.
    Usage(UsageArgs),
}

#[derive(Subcommand, Debug)]
enum AidCommand {
    /// File mutual aid: the owner's personal account may pay for the member.
    File(PairArgs),
    /// Revoke a mutual-aid filing.
    Revoke(PairArgs),
}

#[derive(Args, Debug)]
struct BindArgs {
    /// The account owner's identifier.
    #[arg(long, value_name = "ID")]
    owner: String,
    /// The member's identifier.
    #[arg(long, value_name = "ID")]
    member: String,
    /// Who the member is to the owner: spouse, parent, child, sibling,
    /// grandparent, grandchild or other_family (parent: the owner's mother
    /// or father; the everyday words mother, son, wife, ... are taken too).
    #[arg(long, value_name = "REL", value_parser = crate::args::relation)]
    relation: Relation,
    /// The member's full name, exactly as on the insurance record.
    #[arg(long, value_name = "NAME")]
    member_name: String,
    /// The member's national ID number, or - to read it from standard input.
    #[arg(long, value_name = "NUM")]
    member_id_number: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct PairArgs {
    /// The account owner's identifier.
    #[arg(long, value_name = "ID")]
    owner: String,
    /// The member's identifier.
    #[arg(long, value_name = "ID")]
    member: String,
    #[command(flatten)]
    at: AtArg,
}

#[derive(Args, Debug)]
struct ListArgs {
    /// The account owner's identifier.
    #[arg(long, value_name = "ID")]
    owner: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct UsageArgs {
    /// The usage records: sqlite:PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, value_name = "URL")]
    usage_db: String,
    /// The account owner's identifier.
    #[arg(long, value_name = "ID")]
    owner: String,
    /// Only this bound member's codes (not_bound for anyone else).
    #[arg(long, value_name = "ID")]
    member: Option<String>,
    /// Only records at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339")]
    since: Option<String>,
    /// At most this many records.
    #[arg(long, value_name = "N", default_value_t = medcode_platform::usage::DEFAULT_QUERY_LIMIT, value_parser = clap::value_parser!(u32).range(1..=i64::from(medcode_platform::usage::MAX_QUERY_LIMIT)))]
    limit: u32,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &FamilyArgs) -> CmdResult {
    let policy = FamilyPolicy::new(args.max_members, args.max_owners)?;
    let registry = Registry::open_existing(&args.db)?.with_policy(policy);
    match &args.command {
        FamilyCommand::Bind(a) => {
            let request = BindRequest {
                owner: insured_arg(&a.owner, "--owner")?,
                member: insured_arg(&a.member, "--member")?,
                relation: a.relation,
                member_name: a.member_name.clone(),
                member_id_number: id_number_arg(&a.member_id_number)?,
            };
            let now = a.at.now()?;
            let b = registry
                .bind(&request, now)
                .map_err(refusal(RefusalLine::Medcode))?;
            out(&format!(
                "bound {} to {}'s family account as {}",
                b.member, b.owner, b.relation
            ))
        }
        FamilyCommand::Unbind(a) => {
            let (owner, member) = pair(a)?;
            let b = registry
                .unbind(&owner, &member, a.at.now()?)
                .map_err(refusal(RefusalLine::Medcode))?;
            out(&format!(
                "unbound {} from {}'s family account (bound since {})",
                b.member, b.owner, b.created_at
            ))
        }
        FamilyCommand::List(a) => list(&registry, a),
        FamilyCommand::Usage(a) => usage(&registry, a),
        FamilyCommand::Aid(AidCommand::File(a)) => {
            let (owner, member) = pair(a)?;
            let f = registry
                .file_aid(&owner, &member, a.at.now()?)
                .map_err(refusal(RefusalLine::Medcode))?;
            out(&format!(
                "mutual aid filed: {}'s personal account may pay for {} ({})",
                f.owner, f.member, f.relation
            ))
        }
        FamilyCommand::Aid(AidCommand::Revoke(a)) => {
            let (owner, member) = pair(a)?;
            let f = registry
                .revoke_aid(&owner, &member, a.at.now()?)
                .map_err(refusal(RefusalLine::Medcode))?;
            out(&format!(
                "mutual aid revoked: {}'s personal account no longer pays for {} (filed since {})",
                f.owner, f.member, f.created_at
            ))
        }
    }
}

fn pair(a: &PairArgs) -> Result<(medcode::InsuredId, medcode::InsuredId), Error> {
    Ok((
        insured_arg(&a.owner, "--owner")?,
        insured_arg(&a.member, "--member")?,
    ))
}

fn list(registry: &Registry, a: &ListArgs) -> CmdResult {
    let owner = insured_arg(&a.owner, "--owner")?;
    let members = registry
        .members(&owner)
        .map_err(refusal(RefusalLine::Medcode))?;
    let limit = registry.policy().max_members_per_owner();
    if a.json {
        return out(&json!({
            "owner": owner,
            "limit": limit,
            "members": members,
        })
        .to_string());
    }
    out(&format!(
        "{owner}: {} of {limit} family members bound",
        members.len()
    ))?;
    for m in &members {
        out(&format!(
            "  {} {} ({}) since {}, region {}, status {}; personal-account mutual aid: {}",
            shown(&m.member),
            shown(&m.name),
            m.relation,
            m.since,
            m.region,
            m.status,
            if m.mutual_aid { "filed" } else { "not filed" }
        ))?;
    }
    Ok(())
}

fn usage(registry: &Registry, a: &UsageArgs) -> CmdResult {
    let owner = insured_arg(&a.owner, "--owner")?;
    let member = a
        .member
        .as_deref()
        .map(|m| insured_arg(m, "--member"))
        .transpose()?;
    let since = a
        .since
        .as_deref()
        .map(medcode::UnixTime::parse_rfc3339)
        .transpose()
        .map_err(Error::from)?;
    // The store is opened first: a wrong --usage-db is a usage error even
    // for a request the registry would refuse.
    let mut store = crate::usage_store::open(&a.usage_db)?;
    let query = medcode_platform::usage::owner_query(registry, &owner, member.as_ref())
        .map_err(refusal(RefusalLine::Medcode))?
        .since(since)
        .limit(a.limit);
    let records = store.query(&query)?;
    if a.json {
        return out(&json!({
            "owner": owner,
            "member": member,
            "records": crate::output::usage::to_json(&records),
        })
        .to_string());
    }
    let whose = member
        .as_ref()
        .map_or_else(|| "family account".to_owned(), |m| format!("member {m}"));
    out(&format!(
        "{owner}: {} usage records of the {whose}, newest first",
        records.len()
    ))?;
    for r in &records {
        out(&format!("  {}", crate::output::usage::line(r)))?;
    }
    Ok(())
}
