//! Random sequences of wallet operations (open, credit, a mutual-aid
//! filing in the family registry, transfer,
//! accept, sweep, pay, with random times): money is conserved (balances
//! plus pending transfers equal credits less payments, every movement
//! balanced) and no refused operation changes anything. On SQLite always;
//! on PostgreSQL when a server can be started (tests/support).

#[path = "fixtures/people.rs"]
mod people;
mod support;
use people::Family;

use std::sync::atomic::{AtomicU32, Ordering};

use proptest::prelude::*;

use medcode::Relation;
use medcode::verify::TillContext;
use medcode::{Claims, InsuredId, Issuer, Presenter, Region, Scheme, UnixTime, Verifier};
use medcode_platform::wallet::{Fen, OpenWallet, PayRequest, Source, TransferRequest, Wallet};

#[derive(Clone, Debug)]
enum Op {
    Open(usize, usize, bool),
    Credit(usize, u64),
    Relate(usize, usize, usize),
    Transfer(usize, usize, u64, bool),
    Accept(usize),
    Sweep,
    Pay(usize, u64, Option<usize>),
    PayAgain,
    Advance(u64),
}

const PEOPLE: usize = 4;
const REGIONS: [&str; 3] = ["440305", "430102", "110105"];
const RELATIONS: [Relation; 4] = [
    Relation::Parent,
    Relation::Sibling,
    Relation::Spouse,
    Relation::OtherFamily,
];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..PEOPLE, 0..REGIONS.len(), any::<bool>()).prop_map(|(p, r, e)| Op::Open(p, r, e)),
        1 => (0..PEOPLE, 0u64..400_000).prop_map(|(p, f)| Op::Credit(p, f)),
        1 => (0..PEOPLE, 0..PEOPLE, 0..RELATIONS.len()).prop_map(|(a, b, r)| Op::Relate(a, b, r)),
        3 => (pair(), 0u64..260_000, any::<bool>()).prop_map(|((a, b), f, w)| Op::Transfer(a, b, f, w)),
        1 => (0usize..8).prop_map(Op::Accept),
        1 => Just(Op::Sweep),
        1 => (0..PEOPLE, 0u64..300_000, proptest::option::of(0..PEOPLE))
            .prop_map(|(p, f, d)| Op::Pay(p, f, d)),
        1 => Just(Op::PayAgain),
        1 => (0u64..50_000).prop_map(Op::Advance),
    ]
}

/// Mostly the related pairs of the starting family, sometimes any pair.
fn pair() -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        3 => Just((0, 1)),
        3 => Just((0, 2)),
        1 => Just((1, 0)),
        1 => Just((2, 0)),
        2 => (0..PEOPLE, 0..PEOPLE),
    ]
}

fn person(i: usize) -> InsuredId {
    InsuredId::new(&format!("4400000000000000000{i}")).unwrap()
}

struct Till {
    issuer: Issuer,
    verifier: Verifier,
}

fn till() -> Till {
    let (issuer, verifier) = support::issuer_and_verifier();
    Till { issuer, verifier }
}

/// Runs `ops` on a fresh wallet and checks the invariants after each.
fn check(w: &Wallet, family: &Family, ops: &[Op]) -> Result<(), TestCaseError> {
    let till = till();
    // 10:00 Beijing time on 2 December 2026.
    let mut now = UnixTime::parse_rfc3339("2026-12-02T02:00:00Z").unwrap();
    w.open_region(Region::new("440000").unwrap(), now).unwrap();
    w.open_region(Region::new("430000").unwrap(), now).unwrap();
    // A family to start from, so that transfers get past the wallet and
    // relation rules: 0 (employee) with 1 (resident, Hunan) and 2
    // (employee); person 3 only through the random operations.
    for (p, region, scheme) in [
        (0, "440305", Scheme::Employee),
        (1, "430102", Scheme::Resident),
        (2, "440305", Scheme::Employee),
    ] {
        let open = OpenWallet {
            insured: person(p),
            by: None,
            region: Region::new(region).unwrap(),
            scheme,
        };
        w.open_wallet(&open, now).unwrap();
    }
    family
        .relate(&person(0), &person(1), Relation::Parent, now)
        .unwrap();
    family
        .relate(&person(0), &person(2), Relation::Sibling, now)
        .unwrap();
    w.credit(&person(0), Fen::yuan(5_000), None, now).unwrap();
    let mut transfers: Vec<String> = Vec::new();
    let mut last_code: Option<String> = None;
    let (mut credits, mut payments) = (500_000u64, 0u64);
    for op in ops {
        let before = w.dump().unwrap();
        let result: medcode::Result<()> = match op {
            Op::Open(p, r, employee) => w
                .open_wallet(
                    &OpenWallet {
                        insured: person(*p),
                        by: None,
                        region: Region::new(REGIONS[*r]).unwrap(),
                        scheme: if *employee {
                            Scheme::Employee
                        } else {
                            Scheme::Resident
                        },
                    },
                    now,
                )
                .map(drop),
            Op::Credit(p, fen) => w.credit(&person(*p), Fen::new(*fen), None, now).map(|c| {
                credits += c.amount.fen();
            }),
            Op::Relate(a, b, r) => family
                .relate(&person(*a), &person(*b), RELATIONS[*r], now)
                .map(drop),
            Op::Transfer(a, b, fen, wallet) => w
                .transfer(
                    &TransferRequest {
                        from: person(*a),
                        to: person(*b),
                        amount: Fen::new(*fen),
                        source: if *wallet {
                            Source::Wallet
                        } else {
                            Source::Personal
                        },
                        request_id: None,
                    },
                    now,
                )
                .map(|t| transfers.push(t.id)),
            Op::Accept(k) => match transfers.get(*k % transfers.len().max(1)) {
                Some(id) => w.accept(id, now).map(drop),
                None => Ok(()),
            },
            Op::Sweep => w.sweep(now).map(drop),
            Op::Pay(p, fen, delegate) => {
                let mut claims = Claims::new(person(*p), Region::new("440305").unwrap());
                if let Some(d) = delegate.filter(|d| d != p) {
                    claims.presenter = Some(Presenter {
                        insured: person(d),
                        relation: Relation::Child,
                        mutual_aid: false,
                    });
                }
                let code = till.issuer.issue(&claims, now).unwrap().text().to_owned();
                last_code = Some(code.clone());
                let req = PayRequest {
                    code,
                    amount: Fen::new(*fen),
                    org: "P44030500012".into(),
                    request_id: None,
                };
                w.pay(&till.verifier, &req, &TillContext::new(), now)
                    .map(|p| {
                        payments += p.amount.fen();
                    })
            }
            Op::PayAgain => match &last_code {
                Some(code) => {
                    let req = PayRequest {
                        code: code.clone(),
                        amount: Fen::new(1),
                        org: "P44030500012".into(),
                        request_id: None,
                    };
                    let r = w
                        .pay(&till.verifier, &req, &TillContext::new(), now)
                        .map(|p| {
                            payments += p.amount.fen();
                        });
                    // A code never pays twice (replayed, or expired by now).
                    prop_assert!(r.is_err());
                    r
                }
                None => Ok(()),
            },
            Op::Advance(secs) => {
                now = now.plus(*secs);
                Ok(())
            }
        };
        if let Err(e) = result {
            prop_assert!(e.reason().is_rejection(), "{op:?}: {e}");
            prop_assert_eq!(
                &w.dump().unwrap(),
                &before,
                "{:?} was refused ({}) but changed the store",
                op,
                e
            );
        }
        let tot = w.totals().unwrap();
        prop_assert_eq!(tot.unbalanced_movements, 0);
        prop_assert_eq!(tot.drifted_accounts, 0);
        prop_assert_eq!(tot.credits.fen(), credits);
        prop_assert_eq!(tot.payments.fen(), payments);
        prop_assert_eq!(
            tot.held.fen() + tot.pending.fen(),
            credits - payments,
            "{:?}",
            tot
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn money_is_conserved_and_refusals_change_nothing_on_sqlite(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let family = Family::new();
        let w = family.wallet(dir.path().join("w.db").to_str().unwrap());
        check(&w, &family, &ops)?;
    }
}

#[test]
fn money_is_conserved_and_refusals_change_nothing_on_postgres() {
    const TEST: &str = "money_is_conserved_and_refusals_change_nothing_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    let n = AtomicU32::new(0);
    let config = ProptestConfig {
        cases: 8,
        ..ProptestConfig::default()
    };
    proptest::test_runner::TestRunner::new(config)
        .run(&proptest::collection::vec(op(), 1..30), |ops| {
            let db = pg.database(&format!("prop{}", n.fetch_add(1, Ordering::SeqCst)));
            let family = Family::new();
            let w = family.wallet(&db);
            check(&w, &family, &ops)
        })
        .unwrap();
}
