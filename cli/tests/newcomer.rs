//! What a newcomer trips over (issue 16): usage errors that keep clap's
//! suggestions and point at the right help, the demo keys, the labels of
//! errors, and the regions.

mod support;
use support::{Run, run};

fn usage_error(r: &Run) -> &str {
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    r.stderr.as_str()
}

#[test]
fn parse_errors_keep_clap_tips_and_point_at_the_subcommand_help() {
    assert_eq!(
        usage_error(&run(&["verify", "--trusted", "x"])),
        "medcode: unexpected argument '--trusted' found; tip: a similar argument exists: '--trust' (see medcode verify --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["isue"])),
        "medcode: unrecognized subcommand 'isue'; tip: a similar subcommand exists: 'issue' (see medcode --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["registry"])),
        "medcode: a subcommand is required (see medcode registry --help)\n"
    );
    assert_eq!(
        usage_error(&run(&["registry", "person", "add", "--insured", "A"])),
        "medcode: the following required arguments were not provided: --name <NAME>; --id-number <NUM>; --region <CODE> (see medcode registry person add --help)\n"
    );
}

#[test]
fn registry_db_is_accepted_after_the_subcommand_and_still_required() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let r = run(&["registry", "person", "show", "--insured", "A1", "--db", db]);
    // Parsed: the registry is opened (and does not exist yet).
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("unexpected argument"), "{}", r.stderr);
    assert!(r.stderr.contains("r.db"), "{}", r.stderr);
    let r = run(&["registry", "person", "show", "--insured", "A1"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (
            2,
            "medcode: error: invalid --db: required: the registry database, e.g. medcode registry --db registry.db person add ...\n"
        )
    );
}

#[test]
fn issue_usage_shows_region_unless_db() {
    let help = run(&["issue", "--help"]).stdout;
    assert!(
        help.contains(
            "Usage: medcode issue [OPTIONS] --dir <DIR> --kid <KID> --insured <ID> <--region <CODE>|--db <FILE>>"
        ),
        "{help}"
    );
}
