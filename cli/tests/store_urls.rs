//! Every store flag takes one grammar (`StoreUrl`): `sqlite:PATH`, a bare
//! path (an SQLite file) or `postgres://...`; another scheme is refused
//! naming the flag. Checked on `wallet --db` and `--usage-db`.

mod support;

use support::run;

/// The wallet and the usage records at their locations: the wallet opens
/// `region`, the usage store prunes nothing.
fn both_stores_answer(wallet: &str, usage: &str, region: &str) {
    let r = run(&[
        "wallet", "--db", wallet, "region", "open", "--region", region,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&[
        "usage",
        "prune",
        "--usage-db",
        usage,
        "--at",
        "2026-12-01T00:00:00Z",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            "pruned 0 usage records older than 2025-12-01T00:00:00Z (365 days before 2026-12-01T00:00:00Z)\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn sqlite_urls_and_bare_paths_name_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = dir.path().join("wallet.db");
    let usage = dir.path().join("usage.db");
    let (wallet, usage) = (wallet.to_str().unwrap(), usage.to_str().unwrap());
    both_stores_answer(
        &format!("sqlite:{wallet}"),
        &format!("sqlite:{usage}"),
        "440000",
    );
    both_stores_answer(wallet, usage, "430000");
    // The same file by either name: the region opened through the URL is
    // closed through the bare path; one never opened was not open there.
    for (region, said) in [
        ("440000", "wallet service closed in region 440000\n"),
        (
            "110000",
            "wallet service was not open (as listed) in region 110000\n",
        ),
    ] {
        let r = run(&[
            "wallet", "--db", wallet, "region", "close", "--region", region,
        ]);
        assert_eq!((r.code, r.stdout.as_str()), (0, said), "{}", r.stderr);
    }
}

#[test]
fn postgres_urls_on_every_store_flag() {
    const TEST: &str = "postgres_urls_on_every_store_flag";
    let Some(pg) = support::postgres_server::PostgresServer::start(TEST) else {
        return;
    };
    both_stores_answer(&pg.database("wallet"), &pg.database("usage"), "440000");
}

#[test]
fn other_schemes_and_empty_locations_are_refused_naming_the_flag() {
    const EXPECTED: &str = "expected sqlite:PATH, a file path or postgres://USER@HOST:PORT/DB";
    for (flag, args) in [
        (
            "--db",
            &[
                "wallet", "--db", "LOC", "region", "open", "--region", "440000",
            ][..],
        ),
        ("--usage-db", &["usage", "prune", "--usage-db", "LOC"][..]),
    ] {
        for (location, why) in [
            (
                "mysql://h/db",
                format!("mysql:// is not a store medcode knows; {EXPECTED}"),
            ),
            ("sqlite:", format!("sqlite: names no file; {EXPECTED}")),
        ] {
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "LOC" { location } else { a })
                .collect();
            let r = run(&args);
            assert_eq!(
                (r.code, r.stderr.as_str()),
                (
                    2,
                    format!("medcode: error: invalid {flag}: {why}\n").as_str()
                ),
                "{args:?}"
            );
        }
    }
}
