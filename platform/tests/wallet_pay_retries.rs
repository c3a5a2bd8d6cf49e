//! A payment retried under one request id while its first try is still
//! running: every try gets the first try's answer (the payment, or the
//! refusal given after the code was used), and the ledger pays once; on an
//! SQLite file and on a real PostgreSQL server (tests/support).
//!
//! Times are Beijing time (UTC+8): 2026-12-02T02:00:00Z is 10:00 on
//! 2 December 2026 in Beijing.

mod support;

use std::sync::{Arc, Barrier};

use medcode::verify::TillContext;
use medcode::{Claims, InsuredId, Issuer, Reason, Region, UnixTime, Verifier};
use medcode_platform::wallet::{Fen, PayRequest, Wallet};

/// Tries of one request at once.
const TRIES: usize = 8;

fn now() -> UnixTime {
    UnixTime::parse_rfc3339("2026-12-02T02:00:00Z").unwrap()
}

fn patient() -> InsuredId {
    InsuredId::new("44030000000000000001").unwrap()
}

/// An issuer and a verifier trusting it (with its own replay guard).
fn till() -> (Issuer, Verifier) {
    support::issuer_and_verifier()
}

fn code(issuer: &Issuer) -> String {
    let claims = Claims::new(patient(), Region::new("440305").unwrap());
    issuer.issue(&claims, now()).unwrap().text().to_owned()
}

fn request(code: &str, amount: Fen, id: &str) -> PayRequest {
    PayRequest {
        code: code.to_owned(),
        amount,
        org: "P44030500012".into(),
        request_id: Some(id.to_owned()),
    }
}

/// Runs `TRIES` tries of `req` at once, each on its own connection to `db`
/// (as separate tills' processes would), through one till's verifier.
fn at_once(db: &str, verifier: &Arc<Verifier>, req: &PayRequest) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(TRIES));
    let handles: Vec<_> = (0..TRIES)
        .map(|_| {
            let wallet = Wallet::open(db).unwrap();
            let (verifier, barrier, req) =
                (Arc::clone(verifier), Arc::clone(&barrier), req.clone());
            std::thread::spawn(move || {
                barrier.wait();
                match wallet.pay(&verifier, &req, &TillContext::new(), now()) {
                    Ok(p) => format!("paid {} {} {}", p.token_id, p.amount, p.from_personal),
                    Err(e) => format!("refused {}", e.reason()),
                }
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

/// Rounds of `TRIES` tries of one request at once: all paid with the same
/// payment; then a request the patient cannot afford: all refused as
/// `insufficient_funds` (never `replayed`); the ledger paid each round once.
fn concurrent_retries_get_the_first_answer(db: &str) {
    let w = Wallet::open(db).unwrap();
    w.credit(&patient(), Fen::yuan(100), None, now()).unwrap();
    let (issuer, verifier) = till();
    let verifier = Arc::new(verifier);
    const ROUNDS: u64 = 4;
    for round in 0..ROUNDS {
        let req = request(&code(&issuer), Fen::yuan(1), &format!("till-1-{round}"));
        let answers = at_once(db, &verifier, &req);
        assert!(
            answers[0].starts_with("paid "),
            "round {round}: {answers:?}"
        );
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "round {round}: {answers:?}"
        );
    }
    let req = request(&code(&issuer), Fen::yuan(1000), "till-1-dear");
    let answers = at_once(db, &verifier, &req);
    assert_eq!(
        answers,
        vec!["refused insufficient_funds".to_owned(); TRIES],
        "{answers:?}"
    );
    let b = w.balance(&patient()).unwrap();
    assert_eq!(b.personal, Fen::yuan(100 - ROUNDS));
    let t = w.totals().unwrap();
    assert_eq!(t.payments, Fen::yuan(ROUNDS));
    assert_eq!((t.unbalanced_movements, t.drifted_accounts), (0, 0));
    // The same request again later: the same refusal, not `replayed`.
    let again = w
        .pay(&verifier, &req, &TillContext::new(), now().plus(5))
        .unwrap_err();
    assert_eq!(again.reason(), Reason::InsufficientFunds, "{again}");
}

#[test]
fn concurrent_retries_of_a_payment_get_the_first_answer_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    concurrent_retries_get_the_first_answer(db.to_str().unwrap());
}

#[test]
fn concurrent_retries_of_a_payment_get_the_first_answer_on_postgres() {
    const TEST: &str = "concurrent_retries_of_a_payment_get_the_first_answer_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    concurrent_retries_get_the_first_answer(&pg.database("retries"));
}
