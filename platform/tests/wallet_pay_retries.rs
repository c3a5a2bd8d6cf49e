//! A payment retried under one request id while its first try is still
//! running: every try gets the first try's answer (the payment, or the
//! refusal given after the code was used), and the ledger pays once; on an
//! SQLite file and on a real PostgreSQL server (tests/support).
//!
//! Then the rules for a first try that does not finish (docs/WALLET.md, on
//! `pay` and `--request-id`): a retry that finds its claim waits at most
//! `WalletPolicy::pending_payment_wait` and is refused as
//! `payment_pending`; a claim older than `stale_payment_claim` (60 s by the
//! operations' times) is taken over by the retry, which pays in the dead
//! try's place (or answers `replayed` when the dead try had used the code);
//! a slow try whose claim was taken over pays nothing and answers as the new
//! owner did. A try is stopped, or killed, inside the replay guard of its
//! verifier (before or after the guard records the code), after it has
//! claimed the request: see [`StopFirst`].
//!
//! Times are Beijing time (UTC+8): 2026-12-02T02:00:00Z is 10:00 on
//! 2 December 2026 in Beijing.

mod support;

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use medcode::replay::{MemoryReplayGuard, ReplayGuard};
use medcode::verify::TillContext;
use medcode::{Claims, InsuredId, Issuer, Notice, Reason, Region, TokenId, UnixTime, Verifier};
use medcode_platform::wallet::{Fen, PayRequest, Payment, Wallet, WalletPolicy};

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

/// A try's answer as one line: `paid TOKEN AMOUNT FROM_PERSONAL` or
/// `refused REASON`.
fn outcome(answer: &medcode::Result<Payment>) -> String {
    match answer {
        Ok(p) => format!("paid {} {} {}", p.token_id, p.amount, p.from_personal),
        Err(e) => format!("refused {}", e.reason()),
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
                outcome(&wallet.pay(&verifier, &req, &TillContext::new(), now()))
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

/// Where [`StopFirst`] stops its first try: before the replay guard
/// records the code (the code is still unused) or just after (used up).
#[derive(Clone, Copy, Debug)]
enum StopAt {
    BeforeUse,
    AfterUse,
}

/// The test's end of a stopped try: `reached` hears that the try is
/// stopped; a word on `go` lets it go on, and dropping `go` kills it (it
/// panics there, as a process killed at that point would leave things).
struct Stopper {
    reached: Receiver<()>,
    go: Sender<()>,
}

/// A replay guard (over an in-memory one, shared like a till's Redis guard)
/// that stops the first code it is asked to record, at [`StopAt`], until
/// the test lets it go or kills it; later codes pass. A payment asks the
/// guard after it has claimed its request id, so the stopped try holds a
/// committed `pending` claim.
#[derive(Debug)]
struct StopFirst {
    inner: MemoryReplayGuard,
    at: StopAt,
    stop: Mutex<Option<(Sender<()>, Receiver<()>)>>,
}

impl StopFirst {
    fn new(at: StopAt) -> (Arc<StopFirst>, Stopper) {
        let (reached_tx, reached) = channel();
        let (go, go_rx) = channel();
        let guard = StopFirst {
            inner: MemoryReplayGuard::new(),
            at,
            stop: Mutex::new(Some((reached_tx, go_rx))),
        };
        (Arc::new(guard), Stopper { reached, go })
    }

    /// Stops here the first time it is called.
    fn stop_once(&self) {
        let Some((reached, go)) = self.stop.lock().unwrap().take() else {
            return;
        };
        reached.send(()).unwrap();
        if go.recv().is_err() {
            panic!("the stopped try dies here (a test's planned crash)");
        }
    }
}

impl ReplayGuard for StopFirst {
    fn mark_seen(
        &self,
        id: TokenId,
        until: UnixTime,
        now: UnixTime,
    ) -> medcode::Result<Option<Notice>> {
        if let StopAt::BeforeUse = self.at {
            self.stop_once();
        }
        let seen = self.inner.mark_seen(id, until, now);
        if let StopAt::AfterUse = self.at {
            self.stop_once();
        }
        seen
    }
}

/// The default rules, but a retry waits at most 200 ms for a try still
/// running.
fn short_wait() -> WalletPolicy {
    WalletPolicy::default().with_pending_payment_wait(Duration::from_millis(200))
}

/// A verifier whose replay guard stops its first code at `at`, and the
/// test's end of it; codes from an issuer it trusts that stay valid for
/// 300 s (longer than the 60 s after which a claim is stale).
fn stopping_till(at: StopAt) -> (Issuer, Arc<Verifier>, Stopper) {
    let (issuer, verifier) = till();
    let (guard, stopper) = StopFirst::new(at);
    (
        issuer.with_validity(300),
        Arc::new(verifier.with_replay_guard(guard)),
        stopper,
    )
}

/// A try of `req` at `at` on a thread, on its own connection to `db` (a
/// till's process); joined, its answer, or an error when it died.
fn try_on_thread(
    db: &str,
    verifier: &Arc<Verifier>,
    req: &PayRequest,
    at: UnixTime,
) -> JoinHandle<String> {
    let wallet = Wallet::open(db).unwrap();
    let (verifier, req) = (Arc::clone(verifier), req.clone());
    std::thread::spawn(move || outcome(&wallet.pay(&verifier, &req, &TillContext::new(), at)))
}

/// A try of `req` at `at` on this thread, on its own connection to `db`,
/// with the short wait.
fn try_here(db: &str, verifier: &Verifier, req: &PayRequest, at: UnixTime) -> String {
    let wallet = Wallet::open(db).unwrap().with_policy(short_wait());
    outcome(&wallet.pay(verifier, req, &TillContext::new(), at))
}

/// The ledger paid `paid` yuan from the patient's 100, and adds up.
fn assert_paid(db: &str, paid: u64) {
    let w = Wallet::open(db).unwrap();
    assert_eq!(
        w.balance(&patient()).unwrap().personal,
        Fen::yuan(100 - paid)
    );
    let t = w.totals().unwrap();
    assert_eq!(t.payments, Fen::yuan(paid));
    assert_eq!((t.unbalanced_movements, t.drifted_accounts), (0, 0));
}

/// The first try claims the request and is stuck inside the verifier: a
/// retry 5 s later waits its (short) wait and is refused as
/// `payment_pending` (reason code 44), and nothing is paid. Once the first
/// try finishes, it has paid, and the same retry gets its payment.
fn retry_of_a_stuck_try_is_pending(db: &str) {
    Wallet::open(db)
        .unwrap()
        .credit(&patient(), Fen::yuan(100), None, now())
        .unwrap();
    let (issuer, verifier, stopper) = stopping_till(StopAt::BeforeUse);
    let req = request(&code(&issuer), Fen::yuan(1), "till-2-stuck");
    let first = try_on_thread(db, &verifier, &req, now());
    stopper.reached.recv().unwrap();

    let wallet = Wallet::open(db).unwrap().with_policy(short_wait());
    let refused = wallet
        .pay(&verifier, &req, &TillContext::new(), now().plus(5))
        .unwrap_err();
    assert_eq!(refused.reason(), Reason::PaymentPending, "{refused}");
    assert_eq!(refused.reason().code(), 44);
    assert_eq!(refused.reason().as_str(), "payment_pending");
    assert_paid(db, 0);

    stopper.go.send(()).unwrap();
    let first = first.join().unwrap();
    assert!(first.starts_with("paid "), "{first}");
    assert_eq!(try_here(db, &verifier, &req, now().plus(10)), first);
    assert_paid(db, 1);
}

/// A try dies after claiming its request. Before the claim is 60 s old a
/// retry is still `payment_pending`; after, the retry takes the claim over:
/// it pays in the dead try's place when the dead try died before using the
/// code (later retries get the same payment), and answers `replayed`,
/// paying nothing, when the dead try had used it.
fn retry_takes_over_a_dead_try(db: &str) {
    Wallet::open(db)
        .unwrap()
        .credit(&patient(), Fen::yuan(100), None, now())
        .unwrap();

    // Died before using the code.
    let (issuer, verifier, stopper) = stopping_till(StopAt::BeforeUse);
    let req = request(&code(&issuer), Fen::yuan(1), "till-3-dead");
    let dead = try_on_thread(db, &verifier, &req, now());
    stopper.reached.recv().unwrap();
    drop(stopper);
    assert!(dead.join().is_err(), "the stopped try should have died");
    assert_eq!(
        try_here(db, &verifier, &req, now().plus(59)),
        "refused payment_pending"
    );
    assert_paid(db, 0);
    let paid = try_here(db, &verifier, &req, now().plus(61));
    assert!(paid.starts_with("paid "), "{paid}");
    assert!(paid.ends_with(" 1.00 1.00"), "{paid}");
    assert_paid(db, 1);
    assert_eq!(try_here(db, &verifier, &req, now().plus(62)), paid);
    assert_paid(db, 1);

    // Died after using the code.
    let (issuer, verifier, stopper) = stopping_till(StopAt::AfterUse);
    let req = request(&code(&issuer), Fen::yuan(2), "till-3-dead-used");
    let dead = try_on_thread(db, &verifier, &req, now());
    stopper.reached.recv().unwrap();
    drop(stopper);
    assert!(dead.join().is_err(), "the stopped try should have died");
    assert_eq!(
        try_here(db, &verifier, &req, now().plus(61)),
        "refused replayed"
    );
    assert_eq!(
        try_here(db, &verifier, &req, now().plus(62)),
        "refused replayed"
    );
    assert_paid(db, 1);
}

/// A try is slow past the 60 s after which its claim is stale, and a retry
/// takes the claim over. Slow before using the code: the retry pays, and
/// the slow try, let go, pays nothing and answers with the retry's payment.
/// Slow after using it: the retry answers `replayed`, and so does the slow
/// try, which pays nothing although it holds a verified code.
fn slow_try_taken_over_answers_as_the_new_owner(db: &str) {
    Wallet::open(db)
        .unwrap()
        .credit(&patient(), Fen::yuan(100), None, now())
        .unwrap();

    // Slow before using the code.
    let (issuer, verifier, stopper) = stopping_till(StopAt::BeforeUse);
    let req = request(&code(&issuer), Fen::yuan(1), "till-4-slow");
    let slow = try_on_thread(db, &verifier, &req, now());
    stopper.reached.recv().unwrap();
    let paid = try_here(db, &verifier, &req, now().plus(61));
    assert!(paid.starts_with("paid "), "{paid}");
    assert_paid(db, 1);
    stopper.go.send(()).unwrap();
    assert_eq!(slow.join().unwrap(), paid);
    assert_paid(db, 1);

    // Slow after using the code.
    let (issuer, verifier, stopper) = stopping_till(StopAt::AfterUse);
    let req = request(&code(&issuer), Fen::yuan(2), "till-4-slow-used");
    let slow = try_on_thread(db, &verifier, &req, now());
    stopper.reached.recv().unwrap();
    assert_eq!(
        try_here(db, &verifier, &req, now().plus(61)),
        "refused replayed"
    );
    stopper.go.send(()).unwrap();
    assert_eq!(slow.join().unwrap(), "refused replayed");
    assert_paid(db, 1);
}

#[test]
fn retry_of_a_stuck_payment_is_pending_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    retry_of_a_stuck_try_is_pending(db.to_str().unwrap());
}

#[test]
fn retry_of_a_stuck_payment_is_pending_on_postgres() {
    const TEST: &str = "retry_of_a_stuck_payment_is_pending_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    retry_of_a_stuck_try_is_pending(&pg.database("stuck"));
}

#[test]
fn retry_takes_over_a_dead_payment_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    retry_takes_over_a_dead_try(db.to_str().unwrap());
}

#[test]
fn retry_takes_over_a_dead_payment_on_postgres() {
    const TEST: &str = "retry_takes_over_a_dead_payment_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    retry_takes_over_a_dead_try(&pg.database("dead"));
}

#[test]
fn slow_payment_taken_over_answers_as_the_new_owner_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    slow_try_taken_over_answers_as_the_new_owner(db.to_str().unwrap());
}

#[test]
fn slow_payment_taken_over_answers_as_the_new_owner_on_postgres() {
    const TEST: &str = "slow_payment_taken_over_answers_as_the_new_owner_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    slow_try_taken_over_answers_as_the_new_owner(&pg.database("slow"));
}
