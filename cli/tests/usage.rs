//! Usage records end to end, with the real binary: `medcode serve`
//! records every verdict (a self code, a delegate code, the delegate code
//! replayed, and uses that are not the family's), the owner lists exactly
//! the family's uses newest first (`medcode family ... usage`, words and
//! `--json`), a stranger is `not_bound`, `GET /v1/usage` answers an
//! issuer's key and refuses a till's, SIGTERM writes the backlog, and
//! `medcode usage prune` deletes by age. On an SQLite file, and on a real
//! PostgreSQL server when one is installed (a loud SKIPPED line otherwise;
//! required in CI).

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

mod support;
use support::cmdline::{family_bind, person_add};
use support::run;
use support::service::{Service, agent, args, post};

const OWNER: &str = "11000000000000000001";
const PARENT: &str = "11000000000000000002";
const STRANGER: &str = "11000000000000000009";
// Valid GB 11643 numbers (the check character included).
const OWNER_ID: &str = "110105198001010016";
const PARENT_ID: &str = "11010519491231002X";

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

fn ok(r: &support::Run) -> String {
    assert_eq!(r.code, 0, "stdout {} stderr {}", r.stdout, r.stderr);
    r.stdout.clone()
}

/// A family registry with the owner and their father bound, and a
/// stranger; an issuer API key and a till's.
struct Family {
    dir: tempfile::TempDir,
    issuer_key: String,
    till_key: String,
}

impl Family {
    fn new() -> Family {
        let dir = tempfile::tempdir().unwrap();
        let db = p(&dir.path().join("family.db"));
        let add = |insured: &str, name: &str, id: &str| {
            let mut a = person_add(&db, insured, name, id, "110105");
            a.push("--activated");
            ok(&run(&a));
        };
        add(OWNER, "张伟", OWNER_ID);
        add(PARENT, "张建国", PARENT_ID);
        add(STRANGER, "李四", "110105198512120065");
        ok(&run(&family_bind(
            &db,
            OWNER,
            PARENT,
            "parent",
            "张建国",
            PARENT_ID,
        )));
        let keys = p(&dir.path().join("api-keys"));
        let issuer_key = ok(&run(&[
            "api-key", "new", "--org", "platform", "--file", &keys, "--role", "issuer",
        ]))
        .trim()
        .to_owned();
        let till_key = ok(&run(&[
            "api-key",
            "new",
            "--org",
            "P11010500001",
            "--file",
            &keys,
        ]))
        .trim()
        .to_owned();
        Family {
            dir,
            issuer_key,
            till_key,
        }
    }

    fn db(&self) -> String {
        p(&self.dir.path().join("family.db"))
    }

    fn keys(&self) -> String {
        p(&self.dir.path().join("api-keys"))
    }

    /// A code issued now from the registry: `insured`'s own, or shown by `presenter`.
    fn code(&self, insured: &str, presenter: Option<&str>) -> String {
        let db = self.db();
        let mut a = vec![
            "issue",
            "--dir",
            "keys",
            "--kid",
            "demo-issuer",
            "--db",
            &db,
            "--insured",
            insured,
        ];
        if let Some(p) = presenter {
            a.extend(["--presenter", p]);
        }
        ok(&run(&a)).trim().to_owned()
    }

    fn usage(&self, usage_db: &str, extra: &[&str]) -> support::Run {
        let db = self.db();
        let mut a = vec![
            "family",
            "--db",
            &db,
            "usage",
            "--usage-db",
            usage_db,
            "--owner",
            OWNER,
        ];
        a.extend_from_slice(extra);
        run(&a)
    }
}

fn serve(f: &Family, usage_db: &str) -> Service {
    Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--listen",
        "127.0.0.1:0",
        "--api-keys",
        &f.keys(),
        "--usage-db",
        usage_db,
    ]))
}

/// Verifies `code` with the till's key at desk `office`; returns the verdict.
fn verify(svc: &Service, f: &Family, code: &str, business: &str, office: &str) -> Value {
    let body = json!({"code": code, "business_type": business, "operator_id": "op-7", "office_id": office});
    let (status, v) = post(
        svc,
        "/v1/verify",
        "application/json",
        body.to_string().as_bytes(),
        Some(&f.till_key),
    );
    assert_eq!(status, 200, "{v}");
    v
}

fn get(svc: &Service, path: &str, key: Option<&str>) -> (u16, Value) {
    let mut req = agent().get(format!("{}{path}", svc.url));
    if let Some(key) = key {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    let mut resp = req.call().expect("an answer");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Waits until the service has written `n` usage records (a hang guard,
/// no time asserted).
fn wait_written(svc: &Service, n: u64) {
    let line = format!("medcode_usage_records_written_total {n}\n");
    let guard = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, metrics) = support::service::get(svc, "/metrics");
        if metrics.contains(&line) {
            assert!(
                metrics.contains("medcode_usage_records_dropped_total 0\n"),
                "{metrics}"
            );
            assert!(metrics.contains("medcode_usage_backlog 0\n"), "{metrics}");
            return;
        }
        assert!(Instant::now() < guard, "never {line}: {metrics}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The JSON of a record without its time: what the test can know exactly.
fn without_time(mut r: Value) -> Value {
    assert!(r["at"].as_str().unwrap().ends_with('Z'), "{r}");
    r.as_object_mut().unwrap().remove("at");
    r
}

/// The `records` of a usage answer, each without its time.
fn records_without_time(answer: &Value) -> Vec<Value> {
    answer["records"]
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(without_time)
        .collect()
}

fn record(reason: &str, token: &str, presenter: bool, business: &str, office: &str) -> Value {
    json!({
        "verdict": if reason == "accepted" { "accepted" } else { "refused" },
        "reason": reason,
        "token_id": token,
        "insured": PARENT,
        "presenter": if presenter { json!(OWNER) } else { Value::Null },
        "relation": if presenter { json!("child") } else { Value::Null },
        "kind": if presenter { "delegate" } else { "self" },
        "org_id": "P11010500001",
        "business_type": business,
        "operator_id": "op-7",
        "office_id": office,
    })
}

fn the_family_sees_its_uses(usage_db: &str) {
    let f = Family::new();
    let svc = serve(&f, usage_db);
    let own = f.code(PARENT, None);
    let shown = f.code(PARENT, Some(OWNER));
    let v1 = verify(&svc, &f, &own, "01101", "desk-1");
    assert_eq!(v1["valid"], true, "{v1}");
    let v2 = verify(&svc, &f, &shown, "02121", "desk-2");
    assert_eq!(v2["valid"], true, "{v2}");
    let v3 = verify(&svc, &f, &shown, "02121", "desk-3");
    assert_eq!(v3["reason"], "replayed", "{v3}");
    // Not the family's: the owner's own code, a stranger's.
    assert_eq!(
        verify(&svc, &f, &f.code(OWNER, None), "01101", "desk-1")["valid"],
        true
    );
    assert_eq!(
        verify(&svc, &f, &f.code(STRANGER, None), "01101", "desk-1")["valid"],
        true
    );
    wait_written(&svc, 5);

    let t1 = v1["token_id"].as_str().unwrap();
    let t2 = v2["token_id"].as_str().unwrap();
    let expected = vec![
        record("replayed", t2, true, "02121", "desk-3"),
        record("accepted", t2, true, "02121", "desk-2"),
        record("accepted", t1, false, "01101", "desk-1"),
    ];

    // The platform: an issuer's key reads, a till's does not.
    let path = format!("/v1/usage?insured={PARENT}");
    let (status, body) = get(&svc, &path, Some(&f.issuer_key));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["insured"], PARENT);
    let got = records_without_time(&body);
    assert_eq!(got, expected);
    let (status, body) = get(&svc, &path, Some(&f.till_key));
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let (status, _) = get(&svc, &path, None);
    assert_eq!(status, 401);
    for bad in ["since=yesterday", "limit=0", "limit=x", "other=1"] {
        let (status, body) = get(&svc, &format!("{path}&{bad}"), Some(&f.issuer_key));
        assert_eq!(
            (status, body["reason"].as_str()),
            (400, Some("invalid_request")),
            "{bad}: {body}"
        );
    }
    let (status, body) = get(&svc, "/v1/usage", Some(&f.issuer_key));
    assert_eq!(
        (status, body["reason"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
    let (_, body) = get(&svc, &format!("{path}&limit=1"), Some(&f.issuer_key));
    assert_eq!(body["records"].as_array().unwrap().len(), 1);

    // Verdicts given just before SIGTERM are written before the exit.
    let late = f.code(PARENT, None);
    let v4 = verify(&svc, &f, &late, "02122", "desk-4");
    assert_eq!(svc.stop(), 0);

    // The owner's list: newest first, exactly the family's uses.
    let mut expected = expected;
    expected.insert(
        0,
        record(
            "accepted",
            v4["token_id"].as_str().unwrap(),
            false,
            "02122",
            "desk-4",
        ),
    );
    let r = f.usage(usage_db, &["--json"]);
    let out: Value = serde_json::from_str(&ok(&r)).unwrap();
    assert_eq!(
        (&out["owner"], &out["member"]),
        (&json!(OWNER), &Value::Null)
    );
    let got = records_without_time(&out);
    assert_eq!(got, expected);
    let r = f.usage(usage_db, &["--member", PARENT]);
    let text = ok(&r);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("{OWNER}: 4 usage records of the member {PARENT}, newest first")
    );
    let rest: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.trim_start().split_once(' ').unwrap().1)
        .collect();
    let t4 = v4["token_id"].as_str().unwrap();
    assert_eq!(
        rest,
        [
            format!(
                "accepted {PARENT} self code; token {t4}, org P11010500001, business 02122, operator op-7, office desk-4"
            ),
            format!(
                "replayed {PARENT} delegate code shown by {OWNER} (child); token {t2}, org P11010500001, business 02121, operator op-7, office desk-3"
            ),
            format!(
                "accepted {PARENT} delegate code shown by {OWNER} (child); token {t2}, org P11010500001, business 02121, operator op-7, office desk-2"
            ),
            format!(
                "accepted {PARENT} self code; token {t1}, org P11010500001, business 01101, operator op-7, office desk-1"
            ),
        ]
    );
    let since = f.usage(usage_db, &["--since", "2099-01-01T00:00:00Z"]);
    assert_eq!(
        ok(&since),
        format!("{OWNER}: 0 usage records of the family account, newest first\n")
    );

    // A stranger is not the owner's to look up.
    let r = f.usage(usage_db, &["--member", STRANGER]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""), "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!("medcode: not_bound: {STRANGER} is not bound to {OWNER}'s family account\n")
    );
    let r = f.usage(usage_db, &["--since", "yesterday"]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // Retention: nothing is a year old yet; a year and a day later, all 6 are.
    let r = run(&["usage", "prune", "--usage-db", usage_db]);
    assert!(
        ok(&r).starts_with("pruned 0 usage records older than "),
        "{}",
        r.stdout
    );
    let r = run(&[
        "usage",
        "prune",
        "--usage-db",
        usage_db,
        "--at",
        "2099-01-01T00:00:00Z",
        "--usage-retention-days",
        "30",
    ]);
    assert_eq!(
        ok(&r),
        "pruned 6 usage records older than 2098-12-02T00:00:00Z (30 days before 2099-01-01T00:00:00Z)\n"
    );
    let r = f.usage(usage_db, &[]);
    assert_eq!(
        ok(&r),
        format!("{OWNER}: 0 usage records of the family account, newest first\n")
    );
}

#[test]
fn the_family_sees_its_uses_on_an_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", p(&dir.path().join("usage.sqlite")));
    the_family_sees_its_uses(&url);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("usage.sqlite"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_family_sees_its_uses_on_postgres() {
    const TEST: &str = "the_family_sees_its_uses_on_postgres";
    let Some(pg) = support::postgres_server::PostgresServer::start(TEST) else {
        return;
    };
    the_family_sees_its_uses(&pg.database("usage"));
}

/// Recording is on by default, into usage.sqlite in the state directory;
/// `--usage-db off` turns it off, and then `GET /v1/usage` is 404 for an
/// issuer and a service without keys refuses it (403).
#[test]
fn recording_is_on_by_default_and_off_is_explicit() {
    let f = Family::new();
    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--listen",
        "127.0.0.1:0",
    ]));
    let (status, body) = get(&svc, &format!("/v1/usage?insured={PARENT}"), None);
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );
    let code = f.code(PARENT, None);
    let (status, _) = post(
        &svc,
        "/v1/verify",
        "application/json",
        json!({"code": code}).to_string().as_bytes(),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(svc.stop(), 0);
    let file = support::state_home().join("medcode/usage.sqlite");
    let url = format!("sqlite:{}", p(&file));
    let r = run(&[
        "family",
        "--db",
        &f.db(),
        "usage",
        "--usage-db",
        &url,
        "--owner",
        OWNER,
    ]);
    assert!(
        ok(&r).starts_with(&format!("{OWNER}: 1 usage records")),
        "{}",
        r.stdout
    );

    let off = serve(&f, "off");
    assert!(
        off.stderr()
            .contains("--usage-db off: no verdict is recorded"),
        "{}",
        off.stderr()
    );
    let (status, body) = get(
        &off,
        &format!("/v1/usage?insured={PARENT}"),
        Some(&f.issuer_key),
    );
    assert_eq!(
        (status, body["reason"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    assert_eq!(off.stop(), 0);
}

/// `medcode till --usage-db` records its verdicts, written by the end of input.
#[test]
fn a_till_records_when_given_the_flag() {
    let f = Family::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", p(&dir.path().join("till-usage.sqlite")));
    let code = f.code(PARENT, Some(OWNER));
    let input = format!("{code}\n{code}\n");
    let r = support::run_with(
        &["till", "--trust", "keys/trust.json", "--usage-db", &url],
        &input,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = f.usage(&url, &["--json"]);
    let out: Value = serde_json::from_str(&ok(&r)).unwrap();
    let reasons: Vec<&str> = out["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["replayed", "accepted"]);
}

/// The worked example of docs/USAGE-RECORDS.md (the first `sh` block after
/// "Tried end to end"), run as written with `medcode` on PATH.
#[test]
fn the_documented_usage_example_runs_as_written() {
    let stdout = support::doc_example("docs/USAGE-RECORDS.md", "Usage records");
    let listed: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with(OWNER))
        .collect();
    assert_eq!(
        listed[0],
        format!("{OWNER}: 2 usage records of the family account, newest first")
    );
    assert!(
        listed[1].contains(&format!(
            " replayed {PARENT} delegate code shown by {OWNER} (child); token "
        )),
        "{stdout}"
    );
    assert!(
        listed[2].contains(&format!(
            " accepted {PARENT} delegate code shown by {OWNER} (child); token "
        )),
        "{stdout}"
    );
    assert!(
        listed[3].starts_with("pruned 0 usage records older than "),
        "{stdout}"
    );
}
