//! The usage records' stores and recorder, the same tests on both stores:
//! a real SQLite file, and a real PostgreSQL server (started by
//! tests/support/postgres_server.rs; a loud SKIPPED line without one, a
//! failure where CI requires it). Exact outcomes only: the order of the
//! rows, the counts, the dropped records.
//!
//! Times: 2026-12-03T08:00:00Z is 16:00 Beijing time on 3 December 2026.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use medcode::Relation;
use medcode::{Algorithm, Claims, InsuredId, Issuer, Presenter, Reason, Region, SigningKey};
use medcode::{TrustList, TrustedKey, UnixTime, UntrustedToken, Verifier};
use medcode_platform::usage::{
    CodeKind, RecorderOptions, SqliteUsageStore, UsageContext, UsageQuery, UsageRecord,
    UsageRecorder, UsageStore, UsageVerdict, open_usage_store,
};

/// 2026-12-03T08:00:00Z.
const T0: u64 = 1_796_284_800;

fn id(n: u32) -> InsuredId {
    InsuredId::new(&format!(
        "{:020}",
        11_000_000_000_000_000_000u128 + u128::from(n)
    ))
    .unwrap()
}

fn rec(rid: &str, at: u64, insured: u32, presenter: Option<u32>, reason: &str) -> UsageRecord {
    UsageRecord {
        id: rid.to_owned(),
        at: UnixTime::from_secs(T0 + at),
        verdict: if reason == "accepted" {
            UsageVerdict::Accepted
        } else {
            UsageVerdict::Refused
        },
        reason: Reason::from_code_str(reason),
        token_id: Some(format!("{at:016x}").parse().unwrap()),
        insured: Some(id(insured)),
        presenter: presenter.map(id),
        relation: presenter.map(|_| Relation::Child),
        kind: Some(if presenter.is_some() {
            CodeKind::Delegate
        } else {
            CodeKind::SelfCode
        }),
        context: UsageContext {
            org_id: Some("P11010500001".into()),
            business_type: Some("02121".into()),
            operator_id: Some("op-7".into()),
            office_id: Some("counter-2".into()),
        },
        count: 1,
    }
}

fn ids(records: &[UsageRecord]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

/// How a test opens a fresh connection to its (one) database.
type Open<'a> = &'a (dyn Fn() -> Box<dyn UsageStore> + Sync);

/// Insert, the owner's query (order, filters, limit), duplicates, prune.
fn insert_query_prune(open: Open) {
    let mut store = open();
    // 1 is the owner; 2 and 3 their parents; 4 a stranger.
    store
        .insert(&[
            rec("a", 10, 2, None, "accepted"),
            rec("b", 20, 2, Some(1), "accepted"),
            rec("c", 20, 2, Some(1), "replayed"),
            rec("d", 30, 3, None, "expired"),
            rec("e", 40, 4, None, "accepted"),
            rec("f", 50, 1, None, "accepted"),
        ])
        .unwrap();
    // The same ids again (a batch retried): stored once.
    store
        .insert(&[
            rec("a", 10, 2, None, "accepted"),
            rec("e", 40, 4, None, "accepted"),
        ])
        .unwrap();
    assert_eq!(store.count().unwrap(), 6);

    let members = UsageQuery {
        insured: vec![id(2), id(3)],
        presenter: Some(id(1)),
        since: None,
        limit: 100,
    };
    let got = store.query(&members).unwrap();
    // Newest first; of two in one second, the later written first.
    assert_eq!(ids(&got), ["d", "c", "b", "a"]);
    assert_eq!(got[1], rec("c", 20, 2, Some(1), "replayed"));
    let since = members.clone().since(Some(UnixTime::from_secs(T0 + 20)));
    assert_eq!(ids(&store.query(&since).unwrap()), ["d", "c", "b"]);
    assert_eq!(
        ids(&store.query(&members.clone().limit(2)).unwrap()),
        ["d", "c"]
    );
    assert_eq!(
        ids(&store.query(&UsageQuery::insured(id(4))).unwrap()),
        ["e"]
    );
    let nobody = UsageQuery {
        insured: vec![],
        presenter: None,
        since: None,
        limit: 100,
    };
    assert!(store.query(&nobody).unwrap().is_empty());

    // A record without an id is refused, nothing of its batch written.
    let mut no_id = rec("", 60, 2, None, "accepted");
    no_id.id.clear();
    let e = store
        .insert(&[rec("g", 60, 2, None, "accepted"), no_id])
        .unwrap_err();
    assert_eq!(e.reason(), Reason::InvalidArgument);
    assert_eq!(store.count().unwrap(), 6);

    // Retention: strictly older than the bound.
    assert_eq!(store.prune(UnixTime::from_secs(T0 + 20)).unwrap(), 1);
    assert_eq!(store.prune(UnixTime::from_secs(T0 + 20)).unwrap(), 0);
    assert_eq!(store.prune(UnixTime::from_secs(T0 + 41)).unwrap(), 4);
    assert_eq!(store.count().unwrap(), 1);
    // A second connection sees the same (and the schema is not migrated twice).
    assert_eq!(open().count().unwrap(), 1);
}

/// Writers on their own connections at once lose nothing.
fn concurrent_writers(open: Open) {
    const THREADS: usize = 6;
    const BATCHES: usize = 20;
    const PER_BATCH: usize = 10;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            s.spawn(move || {
                let mut store = open();
                for b in 0..BATCHES {
                    let batch: Vec<UsageRecord> = (0..PER_BATCH)
                        .map(|i| {
                            rec(
                                &format!("w{t}-{b}-{i}"),
                                u64::try_from(b).unwrap(),
                                u32::try_from(t).unwrap(),
                                None,
                                "accepted",
                            )
                        })
                        .collect();
                    store.insert(&batch).unwrap();
                }
            });
        }
    });
    let mut store = open();
    assert_eq!(
        store.count().unwrap(),
        u64::try_from(THREADS * BATCHES * PER_BATCH).unwrap()
    );
    let one = UsageQuery::insured(id(3)).limit(1000);
    assert_eq!(store.query(&one).unwrap().len(), BATCHES * PER_BATCH);
}

/// The `UsageStore` methods a test store hands to its `inner` store
/// unchanged: all but `insert` and `kind`.
macro_rules! reads_from_inner {
    () => {
        fn query(&mut self, q: &UsageQuery) -> medcode::Result<Vec<UsageRecord>> {
            self.inner.query(q)
        }
        fn prune(&mut self, before: UnixTime) -> medcode::Result<u64> {
            self.inner.prune(before)
        }
        fn count(&mut self) -> medcode::Result<u64> {
            self.inner.count()
        }
    };
}

/// A store that fails while `down` is set, and, once, reports a failure
/// after committing (an ambiguous commit): the recorder must store each
/// record once anyway.
struct Flaky {
    inner: Box<dyn UsageStore>,
    down: Arc<AtomicBool>,
    fail_after_commit: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
}

impl UsageStore for Flaky {
    fn insert(&mut self, records: &[UsageRecord]) -> medcode::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(medcode::Error::Storage {
                why: "the test's store is down".into(),
            });
        }
        self.inner.insert(records)?;
        if self.fail_after_commit.swap(false, Ordering::SeqCst) {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Err(medcode::Error::Storage {
                why: "the connection was lost during the commit".into(),
            });
        }
        Ok(())
    }
    reads_from_inner!();
    fn kind(&self) -> &'static str {
        "flaky"
    }
}

struct Switches {
    down: Arc<AtomicBool>,
    fail_after_commit: Arc<AtomicBool>,
    failures: Arc<AtomicU64>,
}

fn flaky(open: Open) -> (Box<dyn UsageStore>, Switches) {
    let s = Switches {
        down: Arc::new(AtomicBool::new(true)),
        fail_after_commit: Arc::new(AtomicBool::new(false)),
        failures: Arc::new(AtomicU64::new(0)),
    };
    let store = Flaky {
        inner: open(),
        down: Arc::clone(&s.down),
        fail_after_commit: Arc::clone(&s.fail_after_commit),
        failures: Arc::clone(&s.failures),
    };
    (Box::new(store), s)
}

fn fast(capacity: usize, batch: usize) -> RecorderOptions {
    RecorderOptions {
        capacity,
        batch,
        min_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        linger: Duration::from_millis(5),
    }
}

/// Waits (no time limit asserted: a hang guard only) until `done`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let guard = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(Instant::now() < guard, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The backlog survives an outage, and an ambiguous commit: every record
/// written exactly once, none dropped.
fn backlog_survives_an_outage(open: Open) {
    let (store, s) = flaky(open);
    let recorder = UsageRecorder::start(store, fast(1000, 16)).unwrap();
    for i in 0..100 {
        recorder.record(rec("", i, 2, None, "accepted"));
    }
    wait_until("a failed write", || s.failures.load(Ordering::SeqCst) >= 1);
    assert_eq!(recorder.written(), 0);
    assert_eq!(recorder.backlog(), 100);
    s.fail_after_commit.store(true, Ordering::SeqCst);
    s.down.store(false, Ordering::SeqCst);
    assert_eq!(recorder.shutdown(Duration::from_secs(120)), 0);
    assert_eq!(recorder.dropped(), 0);
    assert_eq!(recorder.backlog(), 0);
    let mut check = open();
    assert_eq!(check.count().unwrap(), 100);
    let all = check
        .query(&UsageQuery::insured(id(2)).limit(1000))
        .unwrap();
    let times: Vec<u64> = all.iter().map(|r| r.at.as_secs() - T0).collect();
    assert_eq!(times, (0..100).rev().collect::<Vec<_>>());
    // After shutdown a record is counted as dropped, not queued.
    recorder.record(rec("", 200, 2, None, "accepted"));
    assert_eq!(recorder.dropped(), 1);
}

/// Past the bound the oldest are dropped, counted exactly.
fn the_oldest_are_dropped(open: Open) {
    let (store, s) = flaky(open);
    let recorder = UsageRecorder::start(store, fast(10, 4)).unwrap();
    for i in 0..25 {
        recorder.record(rec("", i, 2, None, "accepted"));
    }
    // Two failures after the last record: the second try began after it,
    // so every earlier try has failed and its records' fate is settled.
    let f0 = s.failures.load(Ordering::SeqCst);
    wait_until("two more failed writes", || {
        s.failures.load(Ordering::SeqCst) >= f0 + 2
    });
    assert_eq!(recorder.dropped(), 15);
    assert_eq!(recorder.backlog(), 10);
    s.down.store(false, Ordering::SeqCst);
    assert_eq!(recorder.shutdown(Duration::from_secs(120)), 0);
    assert_eq!(recorder.dropped(), 15);
    assert_eq!(recorder.written(), 10);
    let kept = open()
        .query(&UsageQuery::insured(id(2)).limit(100))
        .unwrap();
    let times: Vec<u64> = kept.iter().map(|r| r.at.as_secs() - T0).collect();
    assert_eq!(times, (15..25).rev().collect::<Vec<_>>());
}

/// The store down past the shutdown's wait: it returns, naming what is left.
fn shutdown_waits_a_bounded_time(open: Open) {
    let (store, s) = flaky(open);
    let recorder = UsageRecorder::start(store, fast(100, 8)).unwrap();
    for i in 0..5 {
        recorder.record(rec("", i, 2, None, "accepted"));
    }
    wait_until("a failed write", || s.failures.load(Ordering::SeqCst) >= 1);
    assert_eq!(recorder.shutdown(Duration::from_millis(50)), 5);
    assert_eq!(recorder.written(), 0);
}

/// A store whose writes wait for the test's word: the test knows which
/// records are being written when more arrive.
struct Gated {
    inner: Box<dyn UsageStore>,
    entered: std::sync::mpsc::Sender<usize>,
    verdict: std::sync::mpsc::Receiver<bool>,
}

impl UsageStore for Gated {
    fn insert(&mut self, records: &[UsageRecord]) -> medcode::Result<()> {
        self.entered.send(records.len()).unwrap();
        if self.verdict.recv().unwrap() {
            self.inner.insert(records)
        } else {
            Err(medcode::Error::Storage {
                why: "the test's store refused".into(),
            })
        }
    }
    reads_from_inner!();
    fn kind(&self) -> &'static str {
        "gated"
    }
}

/// A recorder on a [`Gated`] store of `open` with an hour's linger (only
/// a full batch or the shutdown starts a write): the recorder, the sizes of
/// the writes entered, the test's verdict on each, and the store's count
/// before.
fn gated_recorder(
    open: Open,
    capacity: usize,
    batch: usize,
) -> (
    UsageRecorder,
    std::sync::mpsc::Receiver<usize>,
    std::sync::mpsc::Sender<bool>,
    u64,
) {
    let (entered_tx, entered) = std::sync::mpsc::channel();
    let (verdict, verdict_rx) = std::sync::mpsc::channel();
    let mut first = open();
    let before = first.count().unwrap();
    let store = Gated {
        inner: first,
        entered: entered_tx,
        verdict: verdict_rx,
    };
    let options = RecorderOptions {
        linger: Duration::from_secs(3600),
        ..fast(capacity, batch)
    };
    let recorder = UsageRecorder::start(Box::new(store), options).unwrap();
    (recorder, entered, verdict, before)
}

/// Records pushed past the bound while the oldest are being written: the
/// store is not known to be down, so all are kept; if that write succeeds
/// nothing is lost; if it fails the queue keeps its bound and exactly the
/// oldest go.
fn past_the_bound_while_writing(open: Open) {
    for succeed in [true, false] {
        // The first batch waits until all four are queued (group commit).
        let (recorder, entered, verdict, before) = gated_recorder(open, 4, 4);
        let base = if succeed { 0 } else { 100 };
        for i in 0..4 {
            recorder.record(rec("", base + i, 2, None, "accepted"));
        }
        assert_eq!(entered.recv().unwrap(), 4); // all four in flight
        for i in 4..8 {
            recorder.record(rec("", base + i, 2, None, "accepted"));
        }
        assert_eq!(recorder.backlog(), 8);
        verdict.send(succeed).unwrap();
        // The next batch: the four newest.
        assert_eq!(entered.recv().unwrap(), 4);
        verdict.send(true).unwrap();
        assert_eq!(recorder.shutdown(Duration::from_secs(120)), 0);
        let (written, dropped) = if succeed { (8, 0) } else { (4, 4) };
        assert_eq!((recorder.written(), recorder.dropped()), (written, dropped));
        assert_eq!(open().count().unwrap(), before + written);
        if !succeed {
            let from = UnixTime::from_secs(T0 + 100);
            let kept = open()
                .query(&UsageQuery::insured(id(2)).since(Some(from)))
                .unwrap();
            let times: Vec<u64> = kept.iter().map(|r| r.at.as_secs() - T0).collect();
            assert_eq!(times, [107, 106, 105, 104]);
        }
    }
}

/// Group commit: the writer waits for a full batch and writes it in one
/// transaction; a full batch goes at once, and the shutdown does not wait
/// out the linger.
fn a_batch_is_one_transaction(open: Open) {
    let (recorder, entered, verdict, before) = gated_recorder(open, 1000, 16);
    for i in 0..16 {
        recorder.record(rec("", 200 + i, 2, None, "accepted"));
    }
    let hang_guard = Duration::from_secs(120);
    assert_eq!(entered.recv_timeout(hang_guard).unwrap(), 16);
    verdict.send(true).unwrap();
    for i in 16..19 {
        recorder.record(rec("", 200 + i, 2, None, "accepted"));
    }
    // The three wait for a batch that will not fill: the shutdown writes them.
    verdict.send(true).unwrap();
    assert_eq!(recorder.shutdown(hang_guard), 0);
    assert_eq!(entered.try_recv().unwrap(), 3);
    assert_eq!((recorder.written(), recorder.dropped()), (19, 0));
    assert_eq!(open().count().unwrap(), before + 19);
}

/// A store that takes a millisecond per write: far slower than verdicts.
struct Slow(Box<dyn UsageStore>);

impl UsageStore for Slow {
    fn insert(&mut self, records: &[UsageRecord]) -> medcode::Result<()> {
        std::thread::sleep(Duration::from_millis(1));
        self.0.insert(records)
    }
    fn query(&mut self, q: &UsageQuery) -> medcode::Result<Vec<UsageRecord>> {
        self.0.query(q)
    }
    fn prune(&mut self, before: UnixTime) -> medcode::Result<u64> {
        self.0.prune(before)
    }
    fn count(&mut self) -> medcode::Result<u64> {
        self.0.count()
    }
    fn kind(&self) -> &'static str {
        "slow"
    }
}

/// A flood of junk (unreadable and forged codes, in batches of 256) before
/// and after each accepted code, from two tills at once, into a queue of 8
/// that a slow store drains: with the store up, every accepted code's
/// record is written and none is dropped; the junk is counted, not queued.
fn a_junk_flood_never_erases_a_record(open: Open) {
    const CODES: u64 = 20;
    const JUNK: usize = 256;
    let before = open().count().unwrap();
    let recorder = Arc::new(UsageRecorder::start(Box::new(Slow(open())), fast(8, 4)).unwrap());
    let now = UnixTime::from_secs(T0 + 30);
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = TrustList::new(vec![TrustedKey {
        key: key.public_key().clone(),
        label: "k".into(),
        authority: "test".into(),
        not_before: now.minus(86_400),
        not_after: now.plus(86_400),
    }])
    .unwrap();
    let verifier = Verifier::new(trust)
        .with_observer(Arc::clone(&recorder) as Arc<dyn medcode::verify::VerdictObserver>);
    let issuer = Issuer::new(key);
    let forger = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
    let claims = Claims::new(id(3), Region::new("110000").unwrap());
    let forged = forger.issue(&claims, now).unwrap().text().to_owned();
    let junk: Vec<String> = (0..JUNK)
        .map(|i| {
            if i % 2 == 0 {
                format!("MC1{i}")
            } else {
                forged.clone()
            }
        })
        .collect();
    let till = medcode::verify::TillContext::new()
        .with_org_id("P11010500001")
        .unwrap();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let flood: Vec<(&str, &medcode::verify::TillContext)> =
                    junk.iter().map(|t| (t.as_str(), &till)).collect();
                for _ in 0..CODES {
                    verifier.check_batch(&flood, now);
                    let code = issuer.issue(&claims, now).unwrap();
                    let v = verifier.check(code.text(), &till, now);
                    assert_eq!(v.reason(), None);
                    verifier.check_batch(&flood, now);
                }
            });
        }
    });
    assert_eq!(recorder.shutdown(Duration::from_secs(120)), 0);
    let junk_verdicts = 2 * CODES * 2 * JUNK as u64;
    assert_eq!(recorder.dropped(), 0);
    assert_eq!(recorder.junk_counted(), junk_verdicts);
    assert_eq!(recorder.written(), 2 * CODES + junk_verdicts);
    let accepted = open()
        .query(&UsageQuery::insured(id(3)).limit(1000))
        .unwrap();
    assert_eq!(accepted.len(), 2 * CODES as usize);
    assert!(accepted.iter().all(|r| r.reason.is_none() && r.count == 1));
    // The junk is a few counted rows (per reason and minute), not 20,480.
    let rows = open().count().unwrap() - before - 2 * CODES;
    // At most one row per reason each time the writer takes the counts.
    assert!((2..=12 * CODES).contains(&rows), "{rows} junk rows");
}

/// A named case.
type Case = (&'static str, fn(Open));

const CASES: [Case; 8] = [
    (
        "a_junk_flood_never_erases_a_record",
        a_junk_flood_never_erases_a_record,
    ),
    ("a_batch_is_one_transaction", a_batch_is_one_transaction),
    ("past_the_bound_while_writing", past_the_bound_while_writing),
    ("insert_query_prune", insert_query_prune),
    ("concurrent_writers", concurrent_writers),
    ("backlog_survives_an_outage", backlog_survives_an_outage),
    ("the_oldest_are_dropped", the_oldest_are_dropped),
    (
        "shutdown_waits_a_bounded_time",
        shutdown_waits_a_bounded_time,
    ),
];

#[test]
fn every_case_on_an_sqlite_file() {
    for (name, case) in CASES {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("usage.sqlite").display());
        println!("{name} on {url}");
        case(&|| open_usage_store(&url).unwrap());
    }
}

#[test]
fn every_case_on_postgres() {
    const TEST: &str = "every_case_on_postgres";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    for (name, case) in CASES {
        let url = pg.database(name);
        println!("{name} on postgres");
        case(&|| open_usage_store(&url).unwrap());
    }
}

/// A real outage: the database refuses connections and the recorder's is
/// cut; records queue up, failed writes are counted, and once the database
/// is back every record is written exactly once.
#[test]
fn the_recorder_rides_out_a_postgres_outage() {
    const TEST: &str = "the_recorder_rides_out_a_postgres_outage";
    let Some(pg) = support::postgres_or_skip(TEST) else {
        return;
    };
    let url = pg.database("outage");
    let mut admin = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    let recorder = UsageRecorder::start(open_usage_store(&url).unwrap(), fast(1000, 16)).unwrap();
    for i in 0..10 {
        recorder.record(rec("", i, 2, None, "accepted"));
    }
    wait_until("10 records written", || recorder.written() == 10);
    admin
        .batch_execute(
            "ALTER DATABASE outage ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'outage';",
        )
        .unwrap();
    for i in 10..60 {
        recorder.record(rec("", i, 2, None, "accepted"));
    }
    wait_until("two failed writes", || recorder.failures() >= 2);
    assert_eq!(recorder.written(), 10);
    assert_eq!(recorder.backlog(), 50);
    admin
        .batch_execute("ALTER DATABASE outage ALLOW_CONNECTIONS true")
        .unwrap();
    assert_eq!(recorder.shutdown(Duration::from_secs(120)), 0);
    assert_eq!((recorder.written(), recorder.dropped()), (60, 0));
    let mut check = open_usage_store(&url).unwrap();
    assert_eq!(check.count().unwrap(), 60);
    let all = check.query(&UsageQuery::insured(id(2)).limit(100)).unwrap();
    let times: Vec<u64> = all.iter().map(|r| r.at.as_secs() - T0).collect();
    assert_eq!(times, (0..60).rev().collect::<Vec<_>>());
}

#[test]
fn the_sqlite_file_is_private_and_a_bad_url_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("usage.sqlite");
    SqliteUsageStore::open(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    for bad in ["sqlite:", "mysql://x", ""] {
        let e = open_usage_store(bad).err().unwrap();
        assert_eq!(e.reason(), Reason::InvalidArgument, "{bad}");
    }
    // Not an SQLite file: refused, left as it was.
    let other = dir.path().join("notes.txt");
    std::fs::write(&other, "not a database, but long enough to be read as one").unwrap();
    let e = SqliteUsageStore::open(&other).unwrap_err();
    assert_eq!(e.reason(), Reason::Storage);
    assert_eq!(
        std::fs::read_to_string(&other).unwrap(),
        "not a database, but long enough to be read as one"
    );
}

/// A verdict's record: the verified claims of an accepted or a replayed
/// code; a forged code names nobody.
#[test]
fn a_record_names_the_insured_only_when_the_signature_held() {
    // 2026-12-03T08:00:00Z.
    let now = UnixTime::from_secs(T0);
    let key = SigningKey::generate(Algorithm::Ed25519).unwrap();
    let trust = TrustList::new(vec![TrustedKey {
        key: key.public_key().clone(),
        label: "k".into(),
        authority: "test".into(),
        not_before: now.minus(86_400),
        not_after: now.plus(86_400),
    }])
    .unwrap();
    let issuer = Issuer::new(key);
    let mut claims = Claims::new(id(2), Region::new("110000").unwrap());
    claims.presenter = Some(Presenter {
        insured: id(1),
        relation: Relation::Child,
        mutual_aid: false,
    });
    let code = issuer.issue(&claims, now).unwrap();
    let verifier = Verifier::new(trust);
    let till = medcode::verify::TillContext::new();
    let ctx = UsageContext {
        org_id: Some("P1".into()),
        ..UsageContext::default()
    };
    let text = code.text();
    let first = UsageRecord::from_verdict(&verifier.check(text, &till, now), &ctx, now);
    assert_eq!(first.verdict, UsageVerdict::Accepted);
    assert_eq!(first.reason, None);
    assert_eq!(first.insured, Some(id(2)));
    assert_eq!(first.presenter, Some(id(1)));
    assert_eq!(first.relation, Some(Relation::Child));
    assert_eq!(first.kind, Some(CodeKind::Delegate));
    assert_eq!(first.context, ctx);
    let again = UsageRecord::from_verdict(&verifier.check(text, &till, now), &ctx, now);
    assert_eq!(again.reason, Some(Reason::Replayed));
    assert_eq!(again.insured, Some(id(2)));
    assert_eq!(again.token_id, first.token_id);
    // Another key's signature: the claims are nobody's.
    let forger = Issuer::new(SigningKey::generate(Algorithm::Ed25519).unwrap());
    let forged = forger.issue(&claims, now).unwrap();
    let r = UsageRecord::from_verdict(&verifier.check(forged.text(), &till, now), &ctx, now);
    assert_eq!(r.verdict, UsageVerdict::Refused);
    assert_eq!(r.reason, Some(Reason::UnknownKey));
    assert_eq!((r.insured, r.presenter, r.kind), (None, None, None));
    assert!(r.token_id.is_some());
    // The trusted key's id, a real person's claims, a signature that does
    // not hold (one bit of the genuine one flipped): it names nobody, and
    // neither does the same forgery presented again.
    let fresh = issuer.issue(&claims, now).unwrap();
    let mut bytes = UntrustedToken::parse(fresh.text())
        .unwrap()
        .as_bytes()
        .to_vec();
    *bytes.last_mut().unwrap() ^= 1;
    let forged = UntrustedToken::from_bytes(&bytes).unwrap().to_text();
    for _ in 0..2 {
        let r = UsageRecord::from_verdict(&verifier.check(&forged, &till, now), &ctx, now);
        assert_eq!(r.reason, Some(Reason::BadSignature));
        assert_eq!(
            (r.insured, r.presenter, r.relation, r.kind),
            (None, None, None, None)
        );
        assert_eq!(r.token_id, Some(fresh.token_id()));
    }
    // The genuine code is still unused: accepted once, under its holder.
    let genuine = UsageRecord::from_verdict(&verifier.check(fresh.text(), &till, now), &ctx, now);
    assert_eq!((genuine.reason, genuine.insured), (None, Some(id(2))));
    let junk = UsageRecord::from_verdict(&verifier.check("MC1x", &till, now), &ctx, now);
    assert_eq!(
        (junk.reason, junk.token_id),
        (Some(Reason::Malformed), None)
    );
}
