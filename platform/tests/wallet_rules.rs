//! The wallet's rules, each at its boundary, on both stores: the same
//! suite runs on an SQLite file and on a real PostgreSQL server (started
//! by tests/support/postgres_server.rs; a loud SKIPPED line without one).
//!
//! Times are Beijing time (UTC+8): 2026-12-02T02:00:00Z is 10:00 on
//! Wednesday 2 December 2026 in Beijing.

#[path = "fixtures/people.rs"]
mod people;
mod support;
use people::Family;

use medcode::Relation;
use medcode::{InsuredId, Reason, Region, Scheme, UnixTime};
use medcode_platform::wallet::{
    Fen, OpenWallet, Source, TransferRequest, TransferState, Wallet, WalletPolicy,
};

fn t(s: &str) -> UnixTime {
    UnixTime::parse_rfc3339(s).unwrap()
}

fn id(n: u32) -> InsuredId {
    InsuredId::new(&format!(
        "{:020}",
        44_030_000_000_000_000_000u128 + u128::from(n)
    ))
    .unwrap()
}

fn yuan(s: &str) -> Fen {
    Fen::parse_yuan(s).unwrap()
}

fn open(w: &Wallet, who: &InsuredId, region: &str, scheme: Scheme, now: UnixTime) {
    w.open_wallet(
        &OpenWallet {
            insured: who.clone(),
            by: None,
            region: Region::new(region).unwrap(),
            scheme,
        },
        now,
    )
    .unwrap();
}

fn send(from: &InsuredId, to: &InsuredId, amount: &str) -> TransferRequest {
    TransferRequest {
        from: from.clone(),
        to: to.clone(),
        amount: yuan(amount),
        source: Source::Personal,
        request_id: None,
    }
}

/// Runs a transfer that must be refused with `reason`, and checks that it
/// changed nothing at all.
fn refused(w: &Wallet, req: &TransferRequest, now: UnixTime, reason: Reason) {
    let before = w.dump().unwrap();
    let e = w.transfer(req, now).unwrap_err();
    assert_eq!(e.reason(), reason, "{e}");
    assert_eq!(
        w.dump().unwrap(),
        before,
        "a refused transfer changed the store"
    );
}

fn conserved(w: &Wallet) {
    let tot = w.totals().unwrap();
    assert_eq!(tot.unbalanced_movements, 0);
    assert_eq!(tot.drifted_accounts, 0);
    assert_eq!(
        tot.held.fen() + tot.pending.fen() + tot.payments.fen(),
        tot.credits.fen(),
        "{tot:?}"
    );
}

/// Every rule at its boundary, in one run over `w` (a fresh store).
fn rules_hold(w: &Wallet, family: &Family) {
    let day1 = t("2026-12-02T02:00:00Z"); // 10:00 Beijing
    let son = id(1); // Shenzhen employee
    let mother = id(2); // Hunan resident
    let daughter = id(3);
    let sister = id(4);
    let grandpa = id(5);
    let no_wallet = id(6);
    let beijing = id(7); // wallet in a region not opened
    let stranger = id(8);
    let brother = id(9); // a second sender
    let cousin = id(10);

    w.open_region(Region::new("440000").unwrap(), day1).unwrap();
    w.open_region(Region::new("430000").unwrap(), day1).unwrap();
    open(w, &son, "440305", Scheme::Employee, day1);
    open(w, &mother, "430102", Scheme::Resident, day1);
    open(w, &daughter, "440305", Scheme::Employee, day1);
    open(w, &sister, "440106", Scheme::Employee, day1);
    open(w, &grandpa, "430102", Scheme::Resident, day1);
    open(w, &beijing, "110105", Scheme::Employee, day1);
    open(w, &stranger, "440305", Scheme::Employee, day1);
    open(w, &brother, "440305", Scheme::Employee, day1);
    open(w, &cousin, "440305", Scheme::Employee, day1);
    for (to, rel) in [
        (&mother, Relation::Parent),
        (&daughter, Relation::Child),
        (&sister, Relation::Sibling),
        (&grandpa, Relation::Grandparent),
        (&no_wallet, Relation::Sibling),
        (&beijing, Relation::Sibling),
        (&brother, Relation::Sibling),
    ] {
        family.relate(&son, to, rel, day1).unwrap();
    }
    family
        .relate(&brother, &mother, Relation::Parent, day1)
        .unwrap();
    // other_family is not a close relative: refused, nothing filed.
    let before = w.dump().unwrap();
    let e = family
        .relate(&son, &cousin, Relation::OtherFamily, day1)
        .unwrap_err();
    assert_eq!(e.reason(), Reason::NotCloseRelative);
    assert_eq!(w.dump().unwrap(), before);
    w.credit(&son, yuan("10000"), None, day1).unwrap();
    w.credit(&brother, yuan("5000"), None, day1).unwrap();
    w.credit(&mother, yuan("300"), None, day1).unwrap();

    // Both sides need a wallet.
    refused(
        w,
        &send(&no_wallet, &son, "10"),
        day1,
        Reason::SenderNoWallet,
    );
    refused(
        w,
        &send(&son, &no_wallet, "10"),
        day1,
        Reason::ReceiverNoWallet,
    );
    // Both regions must be open: Beijing (110000) is not.
    refused(
        w,
        &send(&son, &beijing, "10"),
        day1,
        Reason::RegionNotOpened,
    );
    refused(
        w,
        &send(&beijing, &son, "10"),
        day1,
        Reason::RegionNotOpened,
    );
    // A close relative with a filed relation only.
    refused(
        w,
        &send(&son, &stranger, "10"),
        day1,
        Reason::NotCloseRelative,
    );
    refused(
        w,
        &send(&son, &cousin, "10"),
        day1,
        Reason::NotCloseRelative,
    );
    refused(w, &send(&son, &son, "10"), day1, Reason::NotCloseRelative);
    // Personal-account money only from the employee scheme.
    refused(
        w,
        &send(&mother, &son, "10"),
        day1,
        Reason::NotEmployeeScheme,
    );
    // Amounts: 2,000.01 refused, zero refused, more than held refused.
    refused(
        w,
        &send(&son, &mother, "2000.01"),
        day1,
        Reason::LimitAmount,
    );
    refused(w, &send(&son, &mother, "0"), day1, Reason::InvalidAmount);
    assert_eq!(
        Fen::parse_yuan("2000.001").unwrap_err().reason(),
        Reason::InvalidAmount
    );
    refused(
        w,
        &send(&brother, &mother, "2000.00").with_source(Source::Wallet),
        day1,
        Reason::InsufficientFunds,
    );

    // 2,000.00 passes: transfer 1 of the day.
    let t1 = w.transfer(&send(&son, &mother, "2000.00"), day1).unwrap();
    assert_eq!(t1.state, TransferState::Pending);
    assert_eq!(t1.due_at, t("2026-12-02T22:00:00Z")); // 06:00 Beijing, 3 December
    // Not accepted yet: no second transfer to her.
    refused(
        w,
        &send(&son, &mother, "1"),
        day1.plus(60),
        Reason::PendingTransfer,
    );
    w.accept(&t1.id, day1.plus(120)).unwrap();
    let b = w.balance(&mother).unwrap();
    assert_eq!((b.personal, b.wallet), (yuan("300"), yuan("2000")));
    // Mutual aid moves money only: her wallet's scheme and region stay hers.
    let info = w.wallet(&mother).unwrap().unwrap();
    assert_eq!(
        (info.scheme, info.region),
        (Scheme::Resident, Region::new("430102").unwrap())
    );
    // Money in a wallet can be passed on, whatever the scheme (the
    // relation the son filed holds both ways).
    let back = w
        .transfer(
            &send(&mother, &son, "100").with_source(Source::Wallet),
            day1.plus(240),
        )
        .unwrap();
    w.accept(&back.id, day1.plus(300)).unwrap();

    // 21:59:59 passes (transfer 2), and transfer 3 passes too.
    let t2 = w
        .transfer(&send(&son, &daughter, "10"), t("2026-12-02T13:59:59Z"))
        .unwrap();
    let t3 = w
        .transfer(&send(&son, &sister, "10"), t("2026-12-02T13:59:59Z"))
        .unwrap();
    // The fourth of the day is refused.
    refused(
        w,
        &send(&son, &grandpa, "10"),
        t("2026-12-02T13:59:59Z"),
        Reason::LimitDailyTransfers,
    );
    // 22:00:00 is quiet (another sender, whose day is not used up).
    family
        .relate(&brother, &sister, Relation::Sibling, day1)
        .unwrap();
    refused(
        w,
        &send(&brother, &sister, "10"),
        t("2026-12-02T14:00:00Z"),
        Reason::QuietHours,
    );
    refused(
        w,
        &send(&brother, &sister, "10"),
        t("2026-12-02T21:59:59Z"),
        Reason::QuietHours,
    );

    // Not accepted: back at 06:00 the next day, not a second earlier.
    assert!(w.sweep(t("2026-12-02T21:59:59Z")).unwrap().is_empty());
    let before = w.balance(&son).unwrap();
    assert_eq!(before.pending_out, yuan("20"));
    let returned = w.sweep(t("2026-12-02T22:00:00Z")).unwrap();
    let ids: Vec<&str> = returned.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [t2.id.as_str(), t3.id.as_str()]);
    assert!(returned.iter().all(|r| r.state == TransferState::Returned));
    let after = w.balance(&son).unwrap();
    assert_eq!(
        after.personal,
        before.personal.checked_add(yuan("20")).unwrap()
    );
    assert_eq!(after.pending_out, Fen::ZERO);
    assert_eq!(
        w.accept(&t2.id, t("2026-12-02T22:00:01Z"))
            .unwrap_err()
            .reason(),
        Reason::TransferNotPending
    );
    assert_eq!(
        w.accept("T99999999", t("2026-12-02T22:00:01Z"))
            .unwrap_err()
            .reason(),
        Reason::UnknownTransfer
    );
    assert!(w.sweep(t("2026-12-02T22:00:00Z")).unwrap().is_empty());

    // 06:00:00 on the next Beijing day passes, and the day's count is new.
    let day2 = t("2026-12-02T22:00:00Z");
    for to in [&grandpa, &daughter, &sister] {
        w.transfer(&send(&son, to, "1"), day2).unwrap();
    }
    refused(
        w,
        &send(&son, &mother, "1"),
        day2,
        Reason::LimitDailyTransfers,
    );

    // A request id makes a transfer idempotent: the second call returns
    // the first transfer and moves nothing.
    let mut req = send(&brother, &mother, "50");
    req.request_id = Some("req-1".into());
    let first = w.transfer(&req, day2.plus(3600)).unwrap();
    let held = w.balance(&brother).unwrap();
    let again = w.transfer(&req, day2.plus(3700)).unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(w.balance(&brother).unwrap(), held);
    // The same id for another request is refused.
    let mut other = send(&brother, &sister, "50");
    other.request_id = Some("req-1".into());
    assert_eq!(
        w.transfer(&other, day2.plus(3800)).unwrap_err().reason(),
        Reason::InvalidArgument
    );

    // A credit under a request id happens once.
    let c1 = w
        .credit(&sister, yuan("1.50"), Some("credit-1"), day2)
        .unwrap();
    let c2 = w
        .credit(&sister, yuan("1.50"), Some("credit-1"), day2)
        .unwrap();
    assert_eq!(c1, c2);
    assert_eq!(w.balance(&sister).unwrap().personal, yuan("1.50"));

    // Usage location: the Beijing wallet moves to Guangzhou and can receive.
    w.set_location(&beijing, Region::new("440106").unwrap(), day2)
        .unwrap();
    let e = w
        .transfer(&send(&brother, &beijing, "5"), day2.plus(3900))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::NotCloseRelative); // brother filed no relation with them
    family
        .relate(&brother, &beijing, Relation::Sibling, day2)
        .unwrap();
    w.transfer(&send(&brother, &beijing, "5"), day2.plus(4000))
        .unwrap();
    // Closing a region closes it for both sides.
    w.close_region(Region::new("430000").unwrap(), day2)
        .unwrap();
    refused(
        w,
        &send(&brother, &grandpa, "5"),
        day2.plus(4100),
        Reason::RegionNotOpened,
    );

    conserved(w);
}

trait WithSource {
    fn with_source(self, s: Source) -> Self;
}

impl WithSource for TransferRequest {
    fn with_source(mut self, s: Source) -> Self {
        self.source = s;
        self
    }
}

#[test]
fn the_rules_hold_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let family = Family::new();
    let w = family.wallet(dir.path().join("wallet.db").to_str().unwrap());
    rules_hold(&w, &family);
}

#[test]
fn the_rules_hold_on_postgres() {
    let Some(pg) = support::postgres_or_skip("the_rules_hold_on_postgres") else {
        return;
    };
    let family = Family::new();
    let w = family.wallet(&pg.database("rules"));
    rules_hold(&w, &family);
}

#[test]
fn policy_settings_change_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let policy = WalletPolicy::default()
        .with_max_transfers_per_day(1)
        .unwrap()
        .with_max_transfer(yuan("100"))
        .unwrap();
    let family = Family::new();
    let w = family
        .wallet(dir.path().join("w.db").to_str().unwrap())
        .with_policy(policy);
    let now = t("2026-12-02T02:00:00Z");
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    open(&w, &id(1), "440305", Scheme::Employee, now);
    open(&w, &id(2), "440305", Scheme::Employee, now);
    open(&w, &id(3), "440305", Scheme::Employee, now);
    family
        .relate(&id(1), &id(2), Relation::Spouse, now)
        .unwrap();
    family.relate(&id(1), &id(3), Relation::Child, now).unwrap();
    w.credit(&id(1), yuan("1000"), None, now).unwrap();
    refused(
        &w,
        &send(&id(1), &id(2), "100.01"),
        now,
        Reason::LimitAmount,
    );
    w.transfer(&send(&id(1), &id(2), "100.00"), now).unwrap();
    refused(
        &w,
        &send(&id(1), &id(3), "1"),
        now,
        Reason::LimitDailyTransfers,
    );
    assert_eq!(
        WalletPolicy::default()
            .with_max_transfers_per_day(0)
            .unwrap_err()
            .reason(),
        Reason::InvalidArgument
    );
}

#[test]
fn a_relative_opens_a_wallet_on_a_holders_behalf_only_with_a_relation() {
    let dir = tempfile::tempdir().unwrap();
    let family = Family::new();
    let w = family.wallet(dir.path().join("w.db").to_str().unwrap());
    let now = t("2026-12-02T02:00:00Z");
    let req = OpenWallet {
        insured: id(2),
        by: Some(id(1)),
        region: Region::new("430102").unwrap(),
        scheme: Scheme::Resident,
    };
    assert_eq!(
        w.open_wallet(&req, now).unwrap_err().reason(),
        Reason::NotCloseRelative
    );
    assert_eq!(w.wallet(&id(2)).unwrap(), None);
    family
        .relate(&id(1), &id(2), Relation::Parent, now)
        .unwrap();
    let opened = w.open_wallet(&req, now).unwrap();
    assert_eq!(opened.opened_by, id(1));
    // Opening again changes nothing.
    let before = w.dump().unwrap();
    assert_eq!(w.open_wallet(&req, now.plus(5)).unwrap(), opened);
    assert_eq!(w.dump().unwrap(), before);
}

/// The PostgreSQL store connects again after the server closed its
/// connection (a restart, an administrator): the next use works on a new
/// connection.
#[cfg(feature = "postgres")]
#[test]
fn the_postgres_store_reconnects_after_its_connection_is_closed() {
    const TEST: &str = "the_postgres_store_reconnects_after_its_connection_is_closed";
    let Some(pg) = support::postgres_server::PostgresServer::start(TEST) else {
        return;
    };
    let url = pg.database("reconnect");
    let w = Wallet::open(&url).unwrap();
    let now = t("2026-12-02T02:00:00Z");
    w.credit(&id(1), yuan("10"), None, now).unwrap();
    // An administrator's own connection closes the wallet's.
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE pid <> pg_backend_pid() AND datname = current_database()) t",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    // pg_terminate_backend only signals: wait until the backend is gone.
    loop {
        let others: i64 = admin
            .query_one(
                "SELECT COUNT(*) FROM pg_stat_activity
                 WHERE pid <> pg_backend_pid() AND datname = current_database()",
                &[],
            )
            .unwrap()
            .get(0);
        if others == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let b = w.balance(&id(1)).unwrap();
    assert_eq!(b.personal, yuan("10"));
}

/// A closed region can neither send nor receive: a transfer sent before
/// the receiver's region closed, before the receiver moved to a region not
/// open, or before the sender's region closed, is refused at `accept`
/// (nothing changes) and goes back to the sender at the 06:00 sweep.
fn accept_needs_both_regions_open(w: &Wallet, family: &Family) {
    let now = t("2026-12-02T02:00:00Z"); // 10:00 Beijing
    let (son, mother, daughter, sister) = (id(1), id(2), id(3), id(4));
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    w.open_region(Region::new("430000").unwrap(), now).unwrap();
    w.open_region(Region::new("450000").unwrap(), now).unwrap();
    open(w, &son, "440305", Scheme::Employee, now);
    open(w, &mother, "430102", Scheme::Resident, now);
    open(w, &daughter, "440305", Scheme::Employee, now);
    open(w, &sister, "450102", Scheme::Employee, now);
    family.relate(&son, &mother, Relation::Parent, now).unwrap();
    family
        .relate(&son, &daughter, Relation::Child, now)
        .unwrap();
    family
        .relate(&sister, &daughter, Relation::Sibling, now)
        .unwrap();
    w.credit(&son, yuan("1000"), None, now).unwrap();
    w.credit(&sister, yuan("1000"), None, now).unwrap();
    let to_mother = w.transfer(&send(&son, &mother, "100"), now).unwrap();
    let to_daughter = w.transfer(&send(&son, &daughter, "200"), now).unwrap();
    let from_sister = w.transfer(&send(&sister, &daughter, "300"), now).unwrap();
    // The receiver's region closes; the receiver moves to Beijing (not
    // open); the sender's region closes.
    w.close_region(Region::new("430000").unwrap(), now.plus(60))
        .unwrap();
    w.set_location(&daughter, Region::new("110105").unwrap(), now.plus(60))
        .unwrap();
    for transfer in [&to_mother, &to_daughter] {
        let before = w.dump().unwrap();
        let e = w.accept(&transfer.id, now.plus(120)).unwrap_err();
        assert_eq!(e.reason(), Reason::RegionNotOpened, "{e}");
        assert_eq!(
            w.dump().unwrap(),
            before,
            "a refused accept changed the store"
        );
    }
    w.set_location(&daughter, Region::new("440305").unwrap(), now.plus(180))
        .unwrap();
    w.close_region(Region::new("450000").unwrap(), now.plus(180))
        .unwrap();
    let before = w.dump().unwrap();
    let e = w.accept(&from_sister.id, now.plus(240)).unwrap_err();
    assert_eq!(e.reason(), Reason::RegionNotOpened, "{e}");
    assert_eq!(
        w.dump().unwrap(),
        before,
        "a refused accept changed the store"
    );
    // Nothing reached the receivers; all three go back at 06:00.
    assert_eq!(w.balance(&mother).unwrap().wallet, Fen::ZERO);
    assert_eq!(w.balance(&daughter).unwrap().wallet, Fen::ZERO);
    let returned = w.sweep(t("2026-12-02T22:00:00Z")).unwrap();
    let mut ids: Vec<&str> = returned.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let mut want = [
        to_mother.id.as_str(),
        to_daughter.id.as_str(),
        from_sister.id.as_str(),
    ];
    want.sort_unstable();
    assert_eq!(ids, want);
    assert_eq!(w.balance(&son).unwrap().personal, yuan("1000"));
    assert_eq!(w.balance(&sister).unwrap().personal, yuan("1000"));
    conserved(w);
}

#[test]
fn accept_needs_both_regions_open_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let family = Family::new();
    let w = family.wallet(dir.path().join("w.db").to_str().unwrap());
    accept_needs_both_regions_open(&w, &family);
}

#[test]
fn accept_needs_both_regions_open_on_postgres() {
    let Some(pg) = support::postgres_or_skip("accept_needs_both_regions_open_on_postgres") else {
        return;
    };
    let family = Family::new();
    let w = family.wallet(&pg.database("accept_regions"));
    accept_needs_both_regions_open(&w, &family);
}

/// The relation is the family registry's filing, read at each transfer:
/// revoked there, the next transfer is refused; and a wallet with no
/// registry attached refuses what needs a relation rather than guess.
#[test]
fn the_registrys_filing_is_the_relation_the_wallet_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    let family = Family::new();
    let w = family.wallet(path.to_str().unwrap());
    let now = t("2026-12-02T02:00:00Z");
    let (son, mother) = (id(1), id(2));
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    open(&w, &son, "440305", Scheme::Employee, now);
    open(&w, &mother, "440305", Scheme::Resident, now);
    w.credit(&son, yuan("100"), None, now).unwrap();
    refused(&w, &send(&son, &mother, "1"), now, Reason::NotCloseRelative);
    family.relate(&son, &mother, Relation::Parent, now).unwrap();
    let first = w.transfer(&send(&son, &mother, "1"), now).unwrap();
    w.accept(&first.id, now.plus(10)).unwrap();
    // Filed by the son, it holds both ways: the mother's wallet money can go back.
    w.transfer(
        &send(&mother, &son, "0.50").with_source(Source::Wallet),
        now.plus(20),
    )
    .unwrap();
    family.revoke(&son, &mother, now.plus(30)).unwrap();
    refused(
        &w,
        &send(&son, &mother, "1"),
        now.plus(40),
        Reason::NotCloseRelative,
    );
    drop(w);

    let unattached = Wallet::open(path.to_str().unwrap()).unwrap();
    let before = unattached.dump().unwrap();
    let e = unattached
        .transfer(&send(&son, &mother, "1"), now.plus(50))
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidArgument, "{e}");
    assert_eq!(
        e.to_string(),
        "invalid relations: this wallet reads mutual-aid relations from a family registry, and none is attached"
    );
    assert_eq!(unattached.dump().unwrap(), before);
}

/// A wallet file from the build that kept its own relations: the upgrade
/// keeps them (renamed, read by nothing), and only the registry's filings
/// count from then on.
#[test]
fn an_upgraded_wallet_keeps_its_old_relations_but_reads_the_registrys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(include_str!("fixtures/wallet-v2.sql"))
        .unwrap();
    let family = Family::new();
    let w = family.wallet(path.to_str().unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT version FROM wallet_schema"), 3);
    assert_eq!(count("SELECT COUNT(*) FROM wallet_relations_retired"), 2);
    assert_eq!(
        count("SELECT COUNT(*) FROM sqlite_master WHERE name = 'wallet_relations'"),
        0
    );
    let now = t("2026-12-02T02:00:00Z");
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    open(&w, &id(1), "440305", Scheme::Employee, now);
    open(&w, &id(2), "440305", Scheme::Employee, now);
    w.credit(&id(1), yuan("10"), None, now).unwrap();
    refused(
        &w,
        &send(&id(1), &id(2), "1"),
        now,
        Reason::NotCloseRelative,
    );
}
