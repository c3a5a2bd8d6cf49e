//! The till-side commands record their verdicts when given `--usage-db`:
//! `medcode verify` and `medcode wallet pay` write exactly one usage record
//! per code they check (a forged code's names nobody), and nothing without
//! the flag.

mod support;

use medcode::InsuredId;
use medcode_platform::usage::{SqliteUsageStore, UsageQuery, UsageStore};
use support::{AT, cmdline, run, tokens, trust_file};

const HOLDER: &str = "10000000000000000000";

/// Reasons of the records of `insured`, newest first (`accepted` or the
/// refusal's code), and the records in all.
fn recorded(path: &std::path::Path, insured: &str) -> (Vec<String>, u64) {
    let mut store = SqliteUsageStore::open(path).unwrap();
    let records = store
        .query(&UsageQuery::insured(InsuredId::new(insured).unwrap()))
        .unwrap();
    let reasons = records
        .iter()
        .map(|r| {
            r.reason
                .map_or("accepted", medcode::Reason::as_str)
                .to_owned()
        })
        .collect();
    (reasons, store.count().unwrap())
}

/// A code whose signature does not hold: the last character of a genuine
/// one changed (the text form is base32-like: another letter of it).
fn forged(code: &str) -> String {
    let mut text = code.to_owned();
    let last = text.pop().unwrap();
    text.push(if last == 'A' { 'B' } else { 'A' });
    text
}

#[test]
fn verify_records_one_record_per_code_it_checks() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.sqlite");
    let replay = dir.path().join("replay.store");
    let url = format!("sqlite:{}", usage.display());
    let replay = format!("file:{}", replay.display());
    let trust = trust_file();
    let code = tokens(1).remove(0);
    let verify_args = [
        "verify",
        "--trust",
        trust.to_str().unwrap(),
        "--replay",
        &replay,
        "--at",
        AT,
    ];
    let verify = |code: &str| run(&[&verify_args[..], &["--usage-db", &url, code]].concat());
    assert_eq!(verify(&code).code, 0);
    assert_eq!(verify(&code).code, 1);
    let bad = forged(&code);
    let r = verify(&bad);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // Two records name the holder; the forgery's names nobody.
    assert_eq!(
        recorded(&usage, HOLDER),
        (vec!["replayed".to_owned(), "accepted".to_owned()], 3)
    );
    // Without the flag nothing is written there.
    let other = tokens(2).remove(1);
    let r = run(&[&verify_args[..], &[&other]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(recorded(&usage, HOLDER).1, 3);
}

#[test]
fn wallet_pay_records_the_verdict_of_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let db = db.to_str().unwrap();
    let usage = dir.path().join("usage.sqlite");
    let url = format!("sqlite:{}", usage.display());
    let replay = format!("file:{}", dir.path().join("replay.store").display());
    let insured = InsuredId::new(HOLDER).unwrap();
    support::credit_100_yuan(db, &insured, AT);
    let code = tokens(1).remove(0);
    let trust = trust_file();
    let pay = |request: &str| {
        run(&[
            vec!["wallet", "--db", db],
            cmdline::pay(trust.to_str().unwrap(), &code, "1", request),
            vec!["--replay", &replay, "--usage-db", &url, "--at", AT],
        ]
        .concat())
    };
    assert_eq!(pay("r1").code, 0);
    // The same request again is answered from the ledger: no code checked.
    assert_eq!(pay("r1").code, 0);
    let r = pay("r2");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("refused: replayed: "), "{}", r.stderr);
    assert_eq!(
        recorded(&usage, HOLDER),
        (vec!["replayed".to_owned(), "accepted".to_owned()], 2)
    );
    let mut store = SqliteUsageStore::open(&usage).unwrap();
    let orgs: Vec<Option<String>> = store
        .query(&UsageQuery::insured(insured))
        .unwrap()
        .into_iter()
        .map(|r| r.context.org_id)
        .collect();
    assert_eq!(
        orgs,
        [
            Some("P44030500012".to_owned()),
            Some("P44030500012".to_owned())
        ]
    );
}
