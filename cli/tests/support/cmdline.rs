//! Command lines the tests build again and again: a code issued from a
//! key directory, a person added to a registry file, a member bound to an
//! owner. Callers append their own options (`--activated`, `--at ...`) and
//! run them.

/// `medcode issue --dir DIR --kid KID --insured INSURED --region REGION`.
pub fn issue<'a>(dir: &'a str, kid: &'a str, insured: &'a str, region: &'a str) -> Vec<&'a str> {
    holder("issue", dir, kid, insured, region)
}

/// `medcode COMMAND --dir DIR --kid KID --insured INSURED --region REGION`:
/// `issue`, `show` or another command that makes the holder's code.
pub fn holder<'a>(
    command: &'a str,
    dir: &'a str,
    kid: &'a str,
    insured: &'a str,
    region: &'a str,
) -> Vec<&'a str> {
    vec![
        command,
        "--dir",
        dir,
        "--kid",
        kid,
        "--insured",
        insured,
        "--region",
        region,
    ]
}

/// `medcode registry --db DB person add --insured INSURED --name NAME
/// --id-number ID --region REGION`.
pub fn person_add<'a>(
    db: &'a str,
    insured: &'a str,
    name: &'a str,
    id: &'a str,
    region: &'a str,
) -> Vec<&'a str> {
    vec![
        "registry",
        "--db",
        db,
        "person",
        "add",
        "--insured",
        insured,
        "--name",
        name,
        "--id-number",
        id,
        "--region",
        region,
    ]
}

/// `medcode family --db DB bind --owner OWNER --member MEMBER --relation
/// RELATION --member-name NAME --member-id-number ID`. Options of `family`
/// itself (`--max-members`) go in before `bind`, at index 3.
pub fn family_bind<'a>(
    db: &'a str,
    owner: &'a str,
    member: &'a str,
    relation: &'a str,
    name: &'a str,
    id: &'a str,
) -> Vec<&'a str> {
    vec![
        "family",
        "--db",
        db,
        "bind",
        "--owner",
        owner,
        "--member",
        member,
        "--relation",
        relation,
        "--member-name",
        name,
        "--member-id-number",
        id,
    ]
}

/// `medcode wallet --db DB` goes before: `pay --trust TRUST --code CODE
/// --amount AMOUNT --org P44030500012 --request-id REQUEST`, at the one
/// organisation the wallet tests pay at.
pub fn pay<'a>(trust: &'a str, code: &'a str, amount: &'a str, request: &'a str) -> Vec<&'a str> {
    vec![
        "pay",
        "--trust",
        trust,
        "--code",
        code,
        "--amount",
        amount,
        "--org",
        "P44030500012",
        "--request-id",
        request,
    ]
}
