//! `medcode wallet` end to end: the command-line contract (exit codes, the
//! one refusal line), 20 processes transferring from one wallet at once
//! (exactly 3 succeed) on SQLite and PostgreSQL, a SIGKILL inside a
//! transfer (no half-transfer), paying with a code, and the worked example
//! of docs/WALLET.md run as written.
//!
//! Times are Beijing time (UTC+8): 2026-12-02T02:00:00Z is 10:00 on
//! 2 December 2026 in Beijing.

#[path = "../../platform/tests/fixtures/people.rs"]
mod people;
mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use medcode::Relation;
use medcode::{InsuredId, Region, Scheme};
use medcode_platform::wallet::{Fen, OpenWallet, Wallet};
use people::Family;
use support::postgres_server::PostgresServer;
use support::{cmdline, medcode, run};

const AT: &str = "2026-12-02T02:00:00Z";

fn id(n: usize) -> InsuredId {
    InsuredId::new(&format!(
        "{:020}",
        44_030_000_000_000_000_000u128 + n as u128
    ))
    .unwrap()
}

/// A sender (id 0, Shenzhen employee, 10,000 yuan) and `n` relatives with
/// wallets (ids 1..=n), the service open in Guangdong, their mutual aid
/// filed in the family registry: in the wallet's own SQLite file when it is
/// new (where `wallet` reads it by default; the registry makes the file),
/// else in a file of its own (beside a PostgreSQL wallet, or a wallet file
/// made without a registry).
fn family(db: &str, n: usize) -> Family {
    let family = if db.starts_with("postgres://") || Path::new(db).exists() {
        Family::new()
    } else {
        Family::at(Path::new(db))
    };
    let _ = family.relations(); // the registry first, then the wallet's tables
    let w = Wallet::open(db).unwrap();
    let now = medcode::UnixTime::parse_rfc3339(AT).unwrap();
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    for i in 0..=n {
        w.open_wallet(
            &OpenWallet {
                insured: id(i),
                by: None,
                region: Region::new("440305").unwrap(),
                scheme: Scheme::Employee,
            },
            now,
        )
        .unwrap();
        if i > 0 {
            family
                .relate(&id(0), &id(i), Relation::Sibling, now)
                .unwrap();
        }
    }
    w.credit(&id(0), Fen::yuan(10_000), None, now).unwrap();
    family
}

/// `--db DB`.
fn db_flag(db: &str) -> Vec<String> {
    vec!["--db".to_owned(), db.to_owned()]
}

/// `--db DB`, and `--registry FILE` when the family registry is not in the
/// wallet's own SQLite file.
fn stores(db: &str, family: &Family) -> Vec<String> {
    let mut flags = db_flag(db);
    if family.path() != Path::new(db) {
        flags.push("--registry".to_owned());
        flags.push(family.path().display().to_string());
    }
    flags
}

fn wallet(db: &str, args: &[&str]) -> support::Run {
    let mut all = vec!["wallet", "--db", db];
    all.extend_from_slice(args);
    run(&all)
}

/// Runs `medcode wallet STORES ARGS` in `n` processes at once (`stores`:
/// `--db DB` and maybe `--registry FILE`); returns their outputs.
fn at_once(
    stores: &[String],
    n: usize,
    args: impl Fn(usize) -> Vec<String>,
) -> Vec<std::process::Output> {
    let children: Vec<Child> = (1..=n)
        .map(|i| {
            medcode()
                .arg("wallet")
                .args(stores)
                .args(args(i))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect()
}

fn twenty_processes_make_exactly_three_transfers(db: &str) {
    // Twenty first openers of a new database migrate it once, together.
    let first = at_once(&db_flag(db), 20, |_| {
        vec!["balance".into(), "--insured".into(), id(0).as_str().into()]
    });
    assert!(
        first.iter().all(|o| o.status.code() == Some(0)),
        "{first:?}"
    );
    let family = family(db, 20);
    let outputs = at_once(&stores(db, &family), 20, |i| {
        [
            "transfer",
            "--from",
            id(0).as_str(),
            "--to",
            id(i).as_str(),
            "--amount",
            "100",
            "--at",
            AT,
        ]
        .map(String::from)
        .to_vec()
    });
    let ok = exit_count(&outputs, 0);
    let refused: Vec<String> = outputs
        .iter()
        .filter(|o| o.status.code() == Some(1))
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    assert_eq!(ok, 3, "{outputs:?}");
    assert_eq!(refused.len(), 17, "{outputs:?}");
    for line in &refused {
        assert!(
            line.starts_with("refused: limit_daily_transfers: ") && line.lines().count() == 1,
            "{line}"
        );
    }
    let w = Wallet::open(db).unwrap();
    let b = w.balance(&id(0)).unwrap();
    assert_eq!(b.personal, Fen::yuan(9_700));
    assert_eq!(b.pending_out, Fen::yuan(300));
    let t = w.totals().unwrap();
    assert_eq!((t.unbalanced_movements, t.drifted_accounts), (0, 0));
}

/// How many of `outputs` exited with `code`.
fn exit_count(outputs: &[std::process::Output], code: i32) -> usize {
    outputs
        .iter()
        .filter(|o| o.status.code() == Some(code))
        .count()
}

/// A temporary directory and the path of a wallet database file in it.
fn temp_wallet() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db").to_str().unwrap().to_owned();
    (dir, db)
}

#[test]
fn twenty_processes_make_exactly_three_transfers_on_sqlite() {
    let (_dir, db) = temp_wallet();
    twenty_processes_make_exactly_three_transfers(&db);
}

#[test]
fn twenty_processes_make_exactly_three_transfers_on_postgres() {
    let Some(pg) =
        PostgresServer::start("twenty_processes_make_exactly_three_transfers_on_postgres")
    else {
        return;
    };
    twenty_processes_make_exactly_three_transfers(&pg.database("twenty"));
}

/// Kills (SIGKILL) a transfer paused inside its transaction, after the
/// movement is written and before the commit: nothing of it remains, and
/// the next transfer goes through.
fn a_killed_transfer_leaves_nothing(db: &str) {
    let family = family(db, 1);
    let stores = stores(db, &family);
    let before = Wallet::open(db).unwrap().dump().unwrap();
    let mut child = medcode()
        .env("MEDCODE_WALLET_TEST_PAUSE", "transfer")
        .arg("wallet")
        .args(&stores)
        .args(["transfer", "--from"])
        .arg(id(0).as_str())
        .arg("--to")
        .arg(id(1).as_str())
        .args(["--amount", "100", "--at", AT])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert_eq!(line, "medcode: test pause inside transfer\n");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let w = Wallet::open(db).unwrap();
    assert_eq!(
        w.dump().unwrap(),
        before,
        "a killed transfer left something behind"
    );
    drop(w);
    let r = run(&[
        ["wallet"].as_slice(),
        &stores.iter().map(String::as_str).collect::<Vec<_>>(),
        &[
            "transfer",
            "--from",
            id(0).as_str(),
            "--to",
            id(1).as_str(),
            "--amount",
            "100",
            "--at",
            AT,
        ],
    ]
    .concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let b = Wallet::open(db).unwrap().balance(&id(0)).unwrap();
    assert_eq!(
        (b.personal, b.pending_out),
        (Fen::yuan(9_900), Fen::yuan(100))
    );
}

#[test]
fn a_killed_transfer_leaves_nothing_on_sqlite() {
    let (_dir, db) = temp_wallet();
    a_killed_transfer_leaves_nothing(&db);
}

#[test]
fn a_killed_transfer_leaves_nothing_on_postgres() {
    let Some(pg) = PostgresServer::start("a_killed_transfer_leaves_nothing_on_postgres") else {
        return;
    };
    a_killed_transfer_leaves_nothing(&pg.database("crash"));
}

#[test]
fn refusals_are_one_line_and_exit_1_usage_errors_exit_2() {
    let (_dir, db) = temp_wallet();
    let db = db.as_str();
    family(db, 4);
    let (a, b, c) = (id(0), id(1), id(2));
    // `policy` (flags of `wallet` itself) before the transfer from a.
    let send_with = |policy: &[&str], to: &InsuredId, amount: &str, at: &str| {
        let transfer = [
            "transfer",
            "--from",
            a.as_str(),
            "--to",
            to.as_str(),
            "--amount",
            amount,
            "--at",
            at,
        ];
        wallet(db, &[policy, &transfer].concat())
    };
    let send = |to: &InsuredId, amount: &str, at: &str| send_with(&[], to, amount, at);
    let r = send(&b, "2000.01", AT);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        "refused: limit_amount: 2000.01 yuan is above the 2000.00 yuan one transfer may move\n"
    );
    assert_eq!(r.stdout, "");
    for bad in ["1.234", "-5", "1e3", "abc", "0"] {
        let r = send(&b, bad, AT);
        assert_eq!(r.code, 1, "{bad}");
        assert!(
            r.stderr.starts_with("refused: invalid_amount: "),
            "{bad}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1);
    }
    // 22:00:00 Beijing is quiet, 21:59:59 is not.
    let r = send(&b, "10", "2026-12-02T14:00:00Z");
    r.assert_stderr_starts(1, "refused: quiet_hours: no transfers 22:00-06:00 (UTC+8)");
    let r = send(&b, "2000.00", "2026-12-02T13:59:59Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with('T') && r.stdout.lines().count() == 1,
        "{}",
        r.stdout
    );
    let transfer = r.stdout.trim().to_owned();
    let r = send(&b, "1", "2026-12-02T13:59:59Z");
    r.assert_stderr_starts(1, "refused: pending_transfer: ");
    let r = wallet(
        db,
        &[
            "accept",
            "--transfer",
            &transfer,
            "--at",
            "2026-12-02T13:59:59Z",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = wallet(db, &["balance", "--insured", b.as_str(), "--json"]);
    assert_eq!(r.code, 0);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["wallet"], 200_000);
    assert_eq!(json["personal"], 0);
    // Not accepted by 06:00 the next Beijing day: the sweep returns it.
    let r = send(&c, "5", "2026-12-02T13:59:59Z");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = wallet(db, &["sweep", "--at", "2026-12-02T21:59:59Z"]);
    assert_eq!(r.stdout, "0 transfers returned\n");
    let r = wallet(db, &["sweep", "--at", "2026-12-02T22:00:00Z"]);
    assert_eq!(
        r.stdout.lines().last(),
        Some("1 transfers returned"),
        "{}",
        r.stdout
    );
    // The policy flags.
    let r = send_with(
        &["--max-transfer", "100"],
        &id(3),
        "100.01",
        "2026-12-03T02:00:00Z",
    );
    assert!(
        r.stderr
            .starts_with("refused: limit_amount: 100.01 yuan is above the 100.00 yuan"),
        "{}",
        r.stderr
    );
    let r = send_with(
        &["--max-transfers-per-day", "1"],
        &id(3),
        "1",
        "2026-12-02T13:59:59Z",
    );
    r.assert_stderr_starts(1, "refused: limit_daily_transfers: ");
    // A new usage location.
    let r = wallet(
        db,
        &[
            "set-location",
            "--insured",
            c.as_str(),
            "--region",
            "430102",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!("usage location of {c}'s wallet is now 430102\n")
    );
    // Usage errors: a missing flag, a bad region, an unknown command.
    let r = wallet(db, &["transfer", "--from", a.as_str(), "--to", c.as_str()]);
    assert_eq!(r.code, 2);
    let r = wallet(
        db,
        &["set-location", "--insured", a.as_str(), "--region", "12345"],
    );
    assert_eq!(r.code, 2);
    let r = wallet(db, &["open", "--insured", id(9).as_str()]);
    // No --region/--scheme and a person the registry does not hold.
    r.assert_stderr_starts(1, "refused: unknown_person: ");
    // A registry file that is not there: an I/O error, nothing created.
    let missing = Path::new(db).with_file_name("no-registry.db");
    let r = wallet(
        db,
        &[
            "--registry",
            missing.to_str().unwrap(),
            "transfer",
            "--from",
            a.as_str(),
            "--to",
            c.as_str(),
            "--amount",
            "1",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!missing.exists());
    let r = wallet(db, &["history", "--insured", a.as_str()]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout
            .lines()
            .filter(|l| l.contains(" transfer personal -2000.00:"))
            .count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn a_code_pays_once_and_a_retried_request_returns_the_first_payment() {
    let (_dir, db) = temp_wallet();
    let db = db.as_str();
    family(db, 1);
    let code = support::tokens(1).remove(0); // insured 10000000000000000000, issued at support::ISSUED
    let insured = InsuredId::new("10000000000000000000").unwrap();
    support::credit_100_yuan(db, &insured, AT);
    let trust = support::trust_file();
    let pay = |request: &str, amount: &str| {
        wallet(
            db,
            &[
                cmdline::pay(trust.to_str().unwrap(), &code, amount, request),
                vec!["--at", support::AT, "--json"],
            ]
            .concat(),
        )
    };
    let first = pay("r1", "30.50");
    assert_eq!(first.code, 0, "{}", first.stderr);
    let p: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(p["amount"], 3050);
    assert_eq!(p["from_personal"], 3050);
    assert_eq!(p["insured"], "10000000000000000000");
    // The same request again: the first result, nothing paid twice.
    let again = pay("r1", "30.50");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, first.stdout);
    // The same code in another request: replayed.
    let other = pay("r2", "30.50");
    other.assert_stderr_starts(1, "refused: replayed: ");
    let b = Wallet::open(db).unwrap().balance(&insured).unwrap();
    assert_eq!(b.personal, Fen::new(6_950));
}

/// The worked example of docs/WALLET.md, run as written (its first `sh`
/// block after "Tried end to end"), with `medcode` on PATH.
#[test]
fn the_documented_wallet_example_runs_as_written() {
    let stdout = support::doc_example("docs/WALLET.md", "Medical-insurance wallet");
    assert!(
        stdout.contains("paid 86.50 yuan to P43010200031 from 43010200000000000002's money: 86.50 from the wallet, 0.00 from the personal account"),
        "{stdout}"
    );
    assert!(
        stdout.contains("43010200000000000002: personal account 0.00 yuan, wallet 413.50 yuan"),
        "{stdout}"
    );
    assert!(
        stdout.contains("44030500000000000001: personal account 2500.00 yuan, wallet 0.00 yuan"),
        "{stdout}"
    );
}

#[test]
fn a_postgres_url_without_a_server_is_a_storage_error() {
    let r = run(&[
        "wallet",
        "--db",
        "postgres://nobody@127.0.0.1:1/none",
        "balance",
        "--insured",
        "1",
    ]);
    r.assert_stderr_starts(
        2,
        "medcode: error: storage error: cannot connect to the PostgreSQL server",
    );
    assert!(
        !r.stderr.contains("nobody@"),
        "the URL is not printed: {}",
        r.stderr
    );
}

/// One code shown at 20 tills at once (20 processes, one shared replay file
/// and one wallet database): exactly one payment.
#[test]
fn twenty_processes_paying_with_one_code_pay_once() {
    let (_dir, db) = temp_wallet();
    let db = db.as_str();
    let insured = InsuredId::new("10000000000000000000").unwrap();
    support::credit_100_yuan(db, &insured, AT);
    let code = support::tokens(1).remove(0);
    let trust = support::trust_file();
    let outputs = at_once(&db_flag(db), 20, |i| {
        let request = format!("till-{i}");
        [
            cmdline::pay(trust.to_str().unwrap(), &code, "1", &request),
            vec!["--at", support::AT],
        ]
        .concat()
        .into_iter()
        .map(String::from)
        .collect()
    });
    let paid = exit_count(&outputs, 0);
    let replayed = outputs
        .iter()
        .filter(|o| {
            o.status.code() == Some(1)
                && String::from_utf8_lossy(&o.stderr).starts_with("refused: replayed: ")
        })
        .count();
    assert_eq!((paid, replayed), (1, 19), "{outputs:?}");
    let b = Wallet::open(db).unwrap().balance(&insured).unwrap();
    assert_eq!(b.personal, Fen::yuan(99));
}

/// One till retrying a payment under one request id from 8 processes at
/// once (one replay file, one wallet database), round after round: every
/// process prints the first try's payment, and each code pays once; a
/// payment the patient cannot afford is `insufficient_funds` for every
/// try, never `replayed`.
#[test]
fn eight_processes_retrying_one_payment_all_get_its_answer() {
    const ROUNDS: usize = 3;
    const TRIES: usize = 8;
    let (_dir, db) = temp_wallet();
    let db = db.as_str();
    let codes = support::tokens(ROUNDS + 1);
    let insured: Vec<InsuredId> = (0..=ROUNDS)
        .map(|i| {
            InsuredId::new(&format!("{}", 10_000_000_000_000_000_000u128 + i as u128)).unwrap()
        })
        .collect();
    for who in &insured {
        support::credit_100_yuan(db, who, AT);
    }
    let trust = support::trust_file();
    let tries = |code: &str, amount: &str, request: &str| {
        at_once(&db_flag(db), TRIES, |_| {
            [
                cmdline::pay(trust.to_str().unwrap(), code, amount, request),
                vec!["--at", support::AT, "--json"],
            ]
            .concat()
            .into_iter()
            .map(String::from)
            .collect()
        })
    };
    for round in 0..ROUNDS {
        let outputs = tries(&codes[round], "2.50", &format!("till-7-{round}"));
        assert_eq!(exit_count(&outputs, 0), TRIES, "round {round}: {outputs:?}");
        assert!(
            outputs.iter().all(|o| o.stdout == outputs[0].stdout),
            "round {round}: {outputs:?}"
        );
        let b = Wallet::open(db).unwrap().balance(&insured[round]).unwrap();
        assert_eq!(b.personal, Fen::new(9_750), "round {round}");
    }
    let outputs = tries(&codes[ROUNDS], "1000", "till-7-dear");
    for o in &outputs {
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.starts_with("refused: insufficient_funds: "),
            "{stderr}"
        );
    }
    let t = Wallet::open(db).unwrap().totals().unwrap();
    assert_eq!(t.payments, Fen::new(250 * ROUNDS as u64));
}
