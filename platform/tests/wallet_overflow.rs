//! Balances past `i64::MAX` fen are refused, never stored: the ledger adds
//! with checked arithmetic on both stores (SQLite would otherwise turn the
//! sum into a float). The states are planted: the fund (which holds minus
//! every credit) or a wallet a few fen from the limit.
//!
//! Times are Beijing time (UTC+8): 2026-12-02T02:00:00Z is 10:00 on
//! 2 December 2026 in Beijing.

#[path = "fixtures/people.rs"]
mod people;
mod support;
use people::Family;

use medcode::Relation;
use medcode::{InsuredId, Reason, Region, Scheme, UnixTime};
use medcode_platform::wallet::{Fen, OpenWallet, Source, TransferRequest, Wallet};

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-12-02T02:00:00Z").unwrap()
}

fn id(n: u32) -> InsuredId {
    InsuredId::new(&format!(
        "{:020}",
        44_030_000_000_000_000_000u128 + u128::from(n)
    ))
    .unwrap()
}

/// Sets an account's balance directly, as a planted state.
type Plant<'a> = &'a dyn Fn(&str, i64);
/// The stored type of an account's balance (`integer` on SQLite).
type Kind<'a> = &'a dyn Fn(&str) -> String;

fn past_the_limit_is_refused(w: Wallet, plant: Plant<'_>, kind: Kind<'_>) {
    let family = Family::new();
    let w = &w.with_relations(family.relations());
    let (son, mother) = (id(1), id(2));
    w.open_region(Region::new("440000").unwrap(), now())
        .unwrap();
    for who in [&son, &mother] {
        w.open_wallet(
            &OpenWallet {
                insured: who.clone(),
                by: None,
                region: Region::new("440305").unwrap(),
                scheme: Scheme::Employee,
            },
            now(),
        )
        .unwrap();
    }
    family
        .relate(&son, &mother, Relation::Parent, now())
        .unwrap();
    w.credit(&son, Fen::yuan(10), None, now()).unwrap();

    // The fund has credited i64::MAX - 99 fen in all: 2 yuan more would
    // take it past -i64::MAX.
    plant("fund", -(i64::MAX - 99));
    let before = w.dump().unwrap();
    let e = w.credit(&son, Fen::yuan(2), None, now()).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidAmount, "{e}");
    assert_eq!(
        w.dump().unwrap(),
        before,
        "a refused credit changed the store"
    );
    assert_eq!(kind("fund"), "integer");
    assert_eq!(w.balance(&son).unwrap().personal, Fen::yuan(10));

    // A wallet 50 fen from i64::MAX cannot accept 1 yuan.
    let t = w
        .transfer(
            &TransferRequest {
                from: son.clone(),
                to: mother.clone(),
                amount: Fen::yuan(1),
                source: Source::Personal,
                request_id: None,
            },
            now(),
        )
        .unwrap();
    let near = i64::MAX - 50;
    plant(&format!("wallet/{mother}"), near);
    let before = w.dump().unwrap();
    let e = w.accept(&t.id, now().plus(60)).unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidAmount, "{e}");
    assert_eq!(
        w.dump().unwrap(),
        before,
        "a refused accept changed the store"
    );
    assert_eq!(kind(&format!("wallet/{mother}")), "integer");
    assert_eq!(
        w.balance(&mother).unwrap().wallet,
        Fen::new(u64::try_from(near).unwrap())
    );
}

#[test]
fn a_balance_past_i64_max_is_refused_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let w = Wallet::open(path.to_str().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let plant = |account: &str, fen: i64| {
        let n = conn
            .execute(
                "INSERT INTO wallet_balances (account, fen) VALUES (?1, ?2)
                 ON CONFLICT (account) DO UPDATE SET fen = excluded.fen",
                rusqlite::params![account, fen],
            )
            .unwrap();
        assert_eq!(n, 1);
    };
    let kind = |account: &str| -> String {
        conn.query_row(
            "SELECT typeof(fen) FROM wallet_balances WHERE account = ?1",
            [account],
            |r| r.get(0),
        )
        .unwrap()
    };
    past_the_limit_is_refused(w, &plant, &kind);
}

#[test]
fn a_balance_past_i64_max_is_refused_on_postgres() {
    let Some(pg) = support::postgres_or_skip("a_balance_past_i64_max_is_refused_on_postgres")
    else {
        return;
    };
    let url = pg.database("overflow");
    let w = Wallet::open(&url).unwrap();
    let admin = std::cell::RefCell::new(postgres::Client::connect(&url, postgres::NoTls).unwrap());
    let plant = |account: &str, fen: i64| {
        let n = admin
            .borrow_mut()
            .execute(
                "INSERT INTO wallet_balances (account, fen) VALUES ($1, $2)
                 ON CONFLICT (account) DO UPDATE SET fen = excluded.fen",
                &[&account, &fen],
            )
            .unwrap();
        assert_eq!(n, 1);
    };
    let kind = |account: &str| -> String {
        let t: String = admin
            .borrow_mut()
            .query_one(
                "SELECT pg_typeof(fen)::text FROM wallet_balances WHERE account = $1",
                &[&account],
            )
            .unwrap()
            .get(0);
        if t == "bigint" { "integer".into() } else { t }
    };
    past_the_limit_is_refused(w, &plant, &kind);
}
