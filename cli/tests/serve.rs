//! `medcode serve`, the real binary on a free loopback port: every route
//! with its exact statuses and reasons, API keys, the loopback rule,
//! SIGTERM, list reload on SIGHUP, and two replicas sharing one Redis guard
//! (the service helpers are in support/service.rs; a Redis Cluster: serve_cluster.rs).

mod support;

use std::path::Path;

use medcode::InsuredId;
use serde_json::{Value, json};

use support::redis_server::RedisServer;
use support::service::{START_TIMEOUT, Service, args, get, now, post, post_json, wait_for};
use support::{codes_from, outcome, run};

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// A folder with issuer key `k` (trust.json, valid from now) and codes from it.
struct Keys {
    dir: tempfile::TempDir,
}

impl Keys {
    fn new() -> Keys {
        let dir = tempfile::tempdir().unwrap();
        let r = run(&[
            "keygen",
            "--dir",
            &p(dir.path()),
            "--kid",
            "k",
            "--at",
            "2026-01-01T00:00:00Z",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        Keys { dir }
    }

    fn path(&self, name: &str) -> String {
        p(&self.dir.path().join(name))
    }

    /// `n` distinct codes issued now, insured 10000000000000000000 + i.
    fn codes(&self, n: usize) -> Vec<String> {
        codes_from(&self.dir.path().join("k.pk8"), 0..n, now())
    }

    /// `medcode serve --trust trust.json --listen 127.0.0.1:0`, then
    /// `extra`.
    fn serve_args(&self, extra: &[&str]) -> Vec<String> {
        let trust = self.path("trust.json");
        args(&[&["--trust", &trust, "--listen", "127.0.0.1:0"], extra].concat())
    }

    /// A service started with [`Keys::serve_args`].
    fn serve(&self, extra: &[&str]) -> Service {
        Service::start(&self.serve_args(extra))
    }

    /// Signs trust.json and (when given) the unsigned revocation list with a new root key.
    fn sign(&self, what: &str, input: &str, out: &str) {
        let root = self.path("root.pk8");
        if !Path::new(&root).exists() {
            let r = run(&["trust", "root-keygen", "--out", &p(self.dir.path())]);
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        let r = run(&[
            "trust",
            "sign",
            "--root",
            &root,
            "--in",
            &self.path(input),
            "--out",
            &self.path(out),
            "--kind",
            what,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
}

#[test]
fn the_routes_answer_with_exact_statuses_and_reasons() {
    let keys = Keys::new();
    let svc = keys.serve(&[]);
    let codes = keys.codes(4);

    // One code: accepted once, then replayed.
    let (status, first) = post_json(
        &svc,
        "/v1/verify",
        &json!({"code": codes[0], "business_type": "01101", "operator_id": "op-7", "office_id": "desk 3", "till_region": "110000"}),
    );
    assert_eq!(status, 200, "{first}");
    assert_eq!(outcome(&first), "accepted");
    assert_eq!(first["insured"], "10000000000000000000");
    assert!(
        first["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{first}"
    );
    let (status, again) = post_json(&svc, "/v1/verify", &json!({"code": codes[0]}));
    assert_eq!((status, outcome(&again)), (200, "replayed"), "{again}");
    assert_ne!(first["request_id"], again["request_id"]);
    let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": "MC1123"}));
    assert_eq!((status, outcome(&v)), (200, "malformed"), "{v}");

    // Bad bodies.
    let invalid = |body: &[u8]| {
        let (status, v) = post(&svc, "/v1/verify", "application/json", body, None);
        assert_eq!(
            (status, v["reason"].as_str()),
            (400, Some("invalid_request")),
            "{v}"
        );
    };
    invalid(b"{not json");
    invalid(b"[]");
    invalid(br#"{"org_id":"a"}"#);
    invalid(br#"{"code":"MC1","extra":1}"#);
    invalid(br#"{"code":"MC1","business_type":"1101"}"#);
    invalid(br#"{"code":"MC1","till_region":"11"}"#);
    let (status, v) = post(&svc, "/v1/verify", "text/plain", br#"{"code":"MC1"}"#, None);
    assert_eq!(
        (status, v["reason"].as_str()),
        (415, Some("unsupported_media_type")),
        "{v}"
    );
    let mut big = br#"{"code":""#.to_vec();
    big.resize(64 * 1024 - 2, b'1');
    big.extend_from_slice(br#""}"#);
    assert_eq!(big.len(), 64 * 1024);
    let (status, v) = post(&svc, "/v1/verify", "application/json", &big, None);
    assert_eq!(
        (status, outcome(&v)),
        (200, "malformed"),
        "exactly 64 KiB is read: {v}"
    );
    big.insert(big.len() - 2, b'1');
    let (status, v) = post(&svc, "/v1/verify", "application/json", &big, None);
    assert_eq!(
        (status, v["reason"].as_str()),
        (413, Some("payload_too_large")),
        "{v}"
    );

    // Batch: in order, the duplicate replayed; 257 codes refused.
    let (status, v) = post_json(
        &svc,
        "/v1/verify/batch",
        &json!({"codes": [codes[1], codes[2], codes[1], "MC1"]}),
    );
    assert_eq!(status, 200, "{v}");
    let got: Vec<&str> = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(outcome)
        .collect();
    assert_eq!(got, ["accepted", "accepted", "replayed", "malformed"]);
    let many = vec!["MC1"; 257];
    let (status, v) = post_json(&svc, "/v1/verify/batch", &json!({"codes": many}));
    assert_eq!(
        (status, v["reason"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    assert_eq!(v["error"], "257 codes: a batch holds at most 256");
    let (status, v) = post_json(
        &svc,
        "/v1/verify/batch",
        &json!({"codes": vec!["MC1"; 256]}),
    );
    assert_eq!(
        (status, v["verdicts"].as_array().map(Vec::len)),
        (200, Some(256))
    );

    // An image: the QR of a code, then bytes that are no image.
    let png = medcode::qr::Qr::encode(&codes[3], medcode::qr::Ecc::M)
        .unwrap()
        .to_png(8)
        .unwrap();
    let (status, v) = post(&svc, "/v1/verify/image", "image/png", &png, None);
    assert_eq!((status, outcome(&v)), (200, "accepted"), "{v}");
    let (status, v) = post(&svc, "/v1/verify/image", "image/png", b"not a png", None);
    assert_eq!((status, outcome(&v)), (200, "unreadable"), "{v}");
    let (status, v) = post(&svc, "/v1/verify/image", "application/json", &png, None);
    assert_eq!(
        (status, v["reason"].as_str()),
        (415, Some("unsupported_media_type")),
        "{v}"
    );

    // Unknown route and method: JSON too.
    let (status, body) = get(&svc, "/v2/nothing");
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"error":"no such route","reason":"not_found"}"#)
    );
    let (status, body) = get(&svc, "/v1/verify");
    assert_eq!(status, 405, "{body}");
    assert!(body.contains(r#""reason":"method_not_allowed""#), "{body}");

    assert_eq!(
        get(&svc, "/healthz"),
        (200, r#"{"status":"ok"}"#.to_owned())
    );
    assert_eq!(
        get(&svc, "/readyz"),
        (200, r#"{"status":"ready"}"#.to_owned())
    );

    let (status, metrics) = get(&svc, "/metrics");
    assert_eq!(status, 200);
    for line in [
        r#"medcode_verdicts_total{reason="accepted"} 4"#,
        r#"medcode_verdicts_total{reason="replayed"} 2"#,
        r#"medcode_verdicts_total{reason="malformed"} 259"#,
        r#"medcode_verdicts_total{reason="unreadable"} 1"#,
        "medcode_verify_duration_seconds_count 8",
        // The four single verifications, one after another: batches of one.
        "medcode_verify_batch_size_count 4",
        r#"medcode_verify_batch_size_bucket{le="1.0"} 4"#,
        "medcode_replay_guard_errors_total 0",
        r#"medcode_http_requests_total{route="/v1/verify",status="400"} 6"#,
        r#"medcode_http_requests_total{route="/v1/verify",status="413"} 1"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }

    let (status, doc) = get(&svc, "/openapi.json");
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let mut paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/healthz",
            "/metrics",
            "/openapi.json",
            "/readyz",
            "/v1/pay",
            "/v1/usage",
            "/v1/verify",
            "/v1/verify/batch",
            "/v1/verify/image"
        ]
    );
    assert_eq!(
        doc["paths"]["/v1/verify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/VerifyRequest"
    );

    assert_eq!(svc.stop_checked_logs(&codes), 0);
}

impl Service {
    /// Stops the service and checks its log: one line per request, no
    /// code and no insured identifier in it.
    fn stop_checked_logs(self, codes: &[String]) -> i32 {
        let log = self.stderr.clone();
        let status = self.stop();
        let log = log.lock().unwrap().join("\n");
        for code in codes {
            assert!(!log.contains(code.as_str()), "a code in the log:\n{log}");
        }
        assert!(
            !log.contains("10000000000000000000"),
            "an insured id in the log:\n{log}"
        );
        let requests = log.lines().filter(|l| l.starts_with("request id=")).count();
        assert_eq!(requests, 24, "{log}");
        status
    }
}

/// A new key for `org`, added to the key file `file` (`medcode api-key
/// new`, which prints it once): `mck_` and 64 characters.
fn new_api_key(file: &str, org: &str) -> String {
    let r = run(&["api-key", "new", "--org", org, "--file", file]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key = r.stdout.trim().to_owned();
    assert!(key.starts_with("mck_") && key.len() == 68, "{key}");
    key
}

/// Asserts that none of `keys` is in the service's log.
#[track_caller]
fn assert_no_key_logged(svc: &Service, keys: &[&str]) {
    let log = svc.stderr();
    assert!(
        keys.iter().all(|k| !log.contains(k)),
        "a key in the log:\n{log}"
    );
}

/// The service on a free loopback port, with the API keys of `file`.
fn keyed_service(keys: &Keys, file: &str) -> Service {
    keys.serve(&["--api-keys", file])
}

#[test]
fn api_keys_are_required_and_name_the_organisation() {
    let keys = Keys::new();
    let file = keys.path("api-keys");
    let new_key = |org: &str| new_api_key(&file, org);
    let a = new_key("hospital-a");
    let b = new_key("pharmacy-b");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        !text.contains(&a) && !text.contains(&b),
        "a key in the file: {text}"
    );
    let r = run(&["api-key", "new", "--org", "bad/org", "--file", &file]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let empty = keys.path("no-keys");
    std::fs::write(&empty, "").unwrap();
    let r = run(&[
        "serve",
        "--trust",
        &keys.path("trust.json"),
        "--api-keys",
        &empty,
    ]);
    r.assert_stderr(2, "holds no key: every request would be refused");

    let svc = keyed_service(&keys, &file);
    let codes = keys.codes(3);
    let body = |code: &str, org: Option<&str>| {
        let mut v = json!({"code": code});
        if let Some(org) = org {
            v["org_id"] = json!(org);
        }
        v.to_string().into_bytes()
    };
    let call = |code: &str, org: Option<&str>, key: Option<&str>| {
        post(
            &svc,
            "/v1/verify",
            "application/json",
            &body(code, org),
            key,
        )
    };
    let (status, v) = call(&codes[0], None, None);
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
    let (status, v) = call(&codes[0], None, Some("mck_0000"));
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
    let (status, v) = call(&codes[0], Some("pharmacy-b"), Some(&a));
    assert_eq!(
        (status, v["reason"].as_str()),
        (403, Some("forbidden")),
        "{v}"
    );
    let (status, v) = call(&codes[0], Some("hospital-a"), Some(&a));
    assert_eq!((status, outcome(&v)), (200, "accepted"), "{v}");
    let (status, v) = call(&codes[1], None, Some(&b));
    assert_eq!((status, outcome(&v)), (200, "accepted"), "{v}");
    let (status, v) = post(
        &svc,
        "/v1/verify/batch",
        "application/json",
        br#"{"codes":[]}"#,
        None,
    );
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("unauthorized")),
        "{v}"
    );
    // Health, readiness and metrics need no key.
    assert_eq!(get(&svc, "/healthz").0, 200);
    assert_no_key_logged(&svc, &[&a, &b]);
    assert_eq!(svc.stop(), 0);
}

#[test]
fn api_keys_are_reloaded_on_sighup_and_a_bad_file_keeps_them() {
    let keys = Keys::new();
    let file = keys.path("api-keys");
    let new_key = |org: &str| new_api_key(&file, org);
    let a = new_key("hospital-a");
    let svc = keyed_service(&keys, &file);
    let codes = keys.codes(4);
    let call = |code: &str, key: &str| {
        let (status, v) = post(
            &svc,
            "/v1/verify",
            "application/json",
            json!({ "code": code }).to_string().as_bytes(),
            Some(key),
        );
        (status, outcome(&v).to_owned())
    };
    let unauthorized = (401, "unauthorized".to_owned());
    let accepted = (200, "accepted".to_owned());
    // A key added to the file is refused until the file is re-read.
    let b = new_key("pharmacy-b");
    assert_eq!(call(&codes[0], &b), unauthorized);
    svc.signal("HUP");
    wait_for(&svc, "reload: 2 API keys in force (were 1)");
    assert_eq!(call(&codes[0], &b), accepted);
    // A file that no longer parses changes nothing.
    let good = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, "hospital-a not-a-digest\n").unwrap();
    svc.signal("HUP");
    wait_for(
        &svc,
        "reload: the API key file refused, the keys in force are kept",
    );
    assert_eq!(call(&codes[1], &a), accepted);
    assert_eq!(call(&codes[2], &b), accepted);
    // A key withdrawn from the file is refused once it is re-read.
    let only_b: String = good
        .lines()
        .filter(|l| l.starts_with("pharmacy-b "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&file, only_b).unwrap();
    svc.signal("HUP");
    wait_for(&svc, "reload: 1 API keys in force (were 2)");
    assert_eq!(call(&codes[3], &a), unauthorized);
    assert_eq!(call(&codes[3], &b), accepted);
    let (_, metrics) = get(&svc, "/metrics");
    for line in [
        r#"medcode_list_reloads_total{list="api_keys",outcome="installed"} 2"#,
        r#"medcode_list_reloads_total{list="api_keys",outcome="refused"} 1"#,
    ] {
        assert!(metrics.contains(line), "no {line} in:\n{metrics}");
    }
    assert_no_key_logged(&svc, &[&a, &b]);
    assert_eq!(svc.stop(), 0);
}

#[test]
fn without_api_keys_only_loopback_is_served() {
    let keys = Keys::new();
    let r = run(&[
        "serve",
        "--trust",
        &keys.path("trust.json"),
        "--listen",
        "0.0.0.0:0",
    ]);
    r.assert_stderr(
        2,
        "--listen: 0.0.0.0 is not a loopback address: without --api-keys",
    );
    assert!(!r.stderr.contains("listening on"), "{}", r.stderr);
}

#[test]
fn sighup_installs_a_newer_revocation_list_and_refuses_a_rollback() {
    let keys = Keys::new();
    let revoke = |insured: &str| {
        let r = run(&[
            "revoke",
            "--list",
            &keys.path("rev.json"),
            "--insured",
            insured,
            "--since",
            "2026-01-01T00:00:00Z",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    revoke("99999999999999999999");
    keys.sign("trust", "trust.json", "trust.signed.json");
    keys.sign("revocation", "rev.json", "rev.signed.json");
    let state = keys.path("state.json");
    let svc = Service::start(&args(&[
        "--trust",
        &keys.path("trust.signed.json"),
        "--root-key",
        &keys.path("root.pub"),
        "--revocations",
        &keys.path("rev.signed.json"),
        "--state",
        &state,
        "--listen",
        "127.0.0.1:0",
    ]));
    let codes = keys.codes(3);
    let (_, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[0]}));
    assert_eq!(outcome(&v), "accepted", "{v}");

    // Revoke insured 1 (codes[1]) in sequence 2, keeping sequence 1 aside.
    std::fs::copy(keys.path("rev.signed.json"), keys.path("rev.1.json")).unwrap();
    revoke("10000000000000000001");
    keys.sign("revocation", "rev.json", "rev.signed.json");
    svc.signal("HUP");
    wait_for(&svc, "reload: revocation list sequence 2 installed (was 1)");
    let (_, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[1]}));
    assert_eq!(outcome(&v), "revoked", "{v}");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let root = saved["roots"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(root["revocation"], 2, "{saved}");

    // Sequence 1 back in place: refused, sequence 2 stays in force.
    std::fs::copy(keys.path("rev.1.json"), keys.path("rev.signed.json")).unwrap();
    svc.signal("HUP");
    wait_for(
        &svc,
        "reload: revocation list refused, the list in force is kept",
    );
    let (_, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[2]}));
    assert_eq!(outcome(&v), "accepted", "{v}");
    let (_, metrics) = get(&svc, "/metrics");
    for line in [
        r#"medcode_list_reloads_total{list="revocation",outcome="installed"} 1"#,
        r#"medcode_list_reloads_total{list="revocation",outcome="refused"} 1"#,
        r#"medcode_list_reloads_total{list="trust",outcome="unchanged"} 2"#,
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
    assert!(
        metrics.contains(r#"medcode_list_seconds_until_stale{list="trust"} "#),
        "{metrics}"
    );
    assert_eq!(svc.stop(), 0);
}

#[test]
fn two_replicas_sharing_one_redis_accept_each_code_exactly_once() {
    let Some(redis) =
        RedisServer::start("two_replicas_sharing_one_redis_accept_each_code_exactly_once")
    else {
        return;
    };
    let keys = Keys::new();
    let replay = redis.url();
    let start = || keys.serve(&["--replay", &replay]);
    let (one, two) = (start(), start());
    const N: usize = 200;
    let codes = keys.codes(N);
    let present = |svc: &Service| -> Vec<String> {
        codes
            .iter()
            .map(|c| {
                let (status, v) = post_json(svc, "/v1/verify", &json!({"code": c}));
                assert_eq!(status, 200, "{v}");
                outcome(&v).to_owned()
            })
            .collect()
    };
    let accepted = std::thread::scope(|s| {
        let a = s.spawn(|| present(&one));
        let b = s.spawn(|| present(&two));
        (a.join().unwrap(), b.join().unwrap())
    });
    for i in 0..N {
        let pair = [accepted.0[i].as_str(), accepted.1[i].as_str()];
        assert!(
            pair == ["accepted", "replayed"] || pair == ["replayed", "accepted"],
            "code {i}: {pair:?}"
        );
    }
    assert_eq!(get(&one, "/readyz").0, 200);
    assert_eq!((one.stop(), two.stop()), (0, 0));
}

/// A redis-server for `test` (`None`: SKIPPED), issuer keys, and a
/// service with the server as its replay guard.
fn redis_service(test: &str) -> Option<(RedisServer, Keys, Service)> {
    let redis = RedisServer::start(test)?;
    let keys = Keys::new();
    let svc = keys.serve(&["--replay", &redis.url()]);
    Some((redis, keys, svc))
}

/// Asserts that `/readyz` answers 503 for the replay guard.
#[track_caller]
fn assert_unready(svc: &Service) {
    let (status, body) = get(svc, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains(r#""reason":"replay_guard_unavailable""#),
        "{body}"
    );
}

/// Asserts that `/metrics` has the line `line`.
#[track_caller]
fn assert_metric(svc: &Service, line: &str) {
    let (_, metrics) = get(svc, "/metrics");
    assert!(metrics.lines().any(|l| l == line), "{metrics}");
}

#[test]
fn a_redis_outage_refuses_codes_fail_closed_and_the_service_recovers() {
    let Some((mut redis, keys, svc)) =
        redis_service("a_redis_outage_refuses_codes_fail_closed_and_the_service_recovers")
    else {
        return;
    };
    let codes = keys.codes(3);
    let verify = |code: &str| {
        let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": code}));
        assert_eq!(status, 200, "{v}");
        outcome(&v).to_owned()
    };
    assert_eq!(verify(&codes[0]), "accepted");
    redis.kill();
    assert_eq!(verify(&codes[1]), "replay_guard_unavailable");
    assert_unready(&svc);
    redis.restart();
    assert_eq!(verify(&codes[1]), "accepted");
    assert_eq!(get(&svc, "/readyz").0, 200);
    assert_metric(&svc, "medcode_replay_guard_errors_total 1");
    assert_eq!(svc.stop(), 0);
}

#[test]
fn readyz_asks_the_redis_guard_before_any_code_is_shown() {
    let Some((mut redis, keys, svc)) =
        redis_service("readyz_asks_the_redis_guard_before_any_code_is_shown")
    else {
        return;
    };
    assert_eq!(get(&svc, "/readyz").0, 200);
    // Down before the first code: readiness says so without a code refused.
    redis.kill();
    assert_unready(&svc);
    // Back: ready again before any code is accepted.
    redis.restart();
    assert_eq!(get(&svc, "/readyz").0, 200);
    let code = &keys.codes(1)[0];
    let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": code}));
    assert_eq!((status, outcome(&v)), (200, "accepted"), "{v}");
    assert_metric(&svc, "medcode_replay_guard_errors_total 1");
    assert_eq!(svc.stop(), 0);
}

#[test]
fn a_redis_password_is_used_and_never_logged_or_shown() {
    const PASSWORD: &str = "s3cret-pw";
    let test = "a_redis_password_is_used_and_never_logged_or_shown";
    let Some(redis) = RedisServer::start_with_password(test, PASSWORD) else {
        return;
    };
    let keys = Keys::new();
    let port = redis.port();
    let start = |password: &str| {
        keys.serve(&["--replay", &format!("redis://:{password}@127.0.0.1:{port}")])
    };
    let codes = keys.codes(2);
    // MEDCODE_REPLAY instead of --replay: the password stays out of the
    // command line (`ps` shows it to every user of the machine).
    let url = format!("redis://:{PASSWORD}@127.0.0.1:{port}");
    let svc = Service::start_with_env(&keys.serve_args(&[]), &[("MEDCODE_REPLAY", &url)]);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", svc.pid())).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(PASSWORD));
    assert_eq!(get(&svc, "/readyz").0, 200);
    for expected in ["accepted", "replayed"] {
        let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[0]}));
        assert_eq!((status, outcome(&v)), (200, expected), "{v}");
    }
    let (_, metrics) = get(&svc, "/metrics");
    let log = svc.stderr();
    assert_eq!(svc.stop(), 0);
    assert!(!log.contains(PASSWORD), "the password in the log:\n{log}");
    assert!(!metrics.contains(PASSWORD), "the password in the metrics");

    // The wrong password: not ready, codes refused for the guard, and
    // neither the answers nor the log show what was sent.
    let svc = start("wrong-pw");
    let (status, body) = get(&svc, "/readyz");
    assert_eq!(status, 503, "{body}");
    let (status, v) = post_json(&svc, "/v1/verify", &json!({"code": codes[1]}));
    assert_eq!(
        (status, outcome(&v)),
        (200, "replay_guard_unavailable"),
        "{v}"
    );
    let log = svc.stderr();
    assert_eq!(svc.stop(), 0);
    // The log names the guard and what failed, not the password.
    assert!(
        log.contains(&format!("redis://127.0.0.1:{port}/0")),
        "{log}"
    );
    for shown in [&log, &body, &v.to_string()] {
        assert!(
            !shown.contains("wrong-pw") && !shown.contains(PASSWORD),
            "a password shown:\n{shown}"
        );
    }
}

#[test]
fn trickled_and_oversized_headers_are_cut_off() {
    use std::io::{Read, Write};
    let keys = Keys::new();
    let svc = keys.serve(&[]);
    let addr = svc.url.strip_prefix("http://").unwrap().to_owned();
    // Slow-loris: half a request head, then nothing; the service closes the
    // connection once its header read timeout (5 s) has passed.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(START_TIMEOUT)).unwrap();
    slow.write_all(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let read = slow.read_to_end(&mut answer);
    assert!(read.is_ok(), "the connection was not closed: {read:?}");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // A head over 16 KiB: 431.
    let mut big = std::net::TcpStream::connect(&addr).unwrap();
    big.set_read_timeout(Some(START_TIMEOUT)).unwrap();
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let _ = big.write_all(head.as_bytes());
    let mut answer = Vec::new();
    let _ = big.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");

    // Still serving.
    assert_eq!(get(&svc, "/healthz").0, 200);
    assert_eq!(svc.stop(), 0);
}

/// Many clients at once, each presenting every code (in its own order):
/// with cross-request batching (the default) and without, each code is
/// accepted exactly once and replayed for every other client, and a forged
/// code among them is refused for its signature, never accepted.
#[test]
fn concurrent_requests_verified_together_keep_every_verdict() {
    let keys = Keys::new();
    const CODES: usize = 150;
    const CLIENTS: usize = 12;
    for batching in [true, false] {
        let svc = keys.serve(if batching { &[] } else { &["--no-batching"] });
        let mut codes = keys.codes(CODES);
        let mut forged = codes[0].clone();
        let last = forged.pop().unwrap();
        forged.push(if last == '1' { '2' } else { '1' });
        codes.push(forged);
        let outcomes: Vec<Vec<String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let (svc, codes) = (&svc, &codes);
                    s.spawn(move || {
                        // Client c starts at a different code.
                        let mut out = vec![String::new(); codes.len()];
                        for k in 0..codes.len() {
                            let i = (k + c * 13) % codes.len();
                            let (status, v) =
                                post_json(svc, "/v1/verify", &json!({"code": codes[i]}));
                            assert_eq!(status, 200, "{v}");
                            out[i] = outcome(&v).to_owned();
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for i in 0..CODES {
            let accepted = outcomes.iter().filter(|o| o[i] == "accepted").count();
            let replayed = outcomes.iter().filter(|o| o[i] == "replayed").count();
            assert_eq!(
                (accepted, replayed),
                (1, CLIENTS - 1),
                "code {i}, batching {batching}"
            );
        }
        assert!(
            outcomes.iter().all(|o| o[CODES] == "bad_signature"),
            "batching {batching}"
        );
        assert_eq!(svc.stop(), 0);
    }
}

/// `POST /v1/pay` with `--wallet-db`: a code pays once from the insured
/// person's money, a retried request id returns the first payment, the same
/// code in another request is `replayed`, an amount is text with at most two
/// decimals; without `--wallet-db` the route is `404`.
#[test]
fn pay_with_a_wallet_db_pays_once() {
    let keys = Keys::new();
    let dir = tempfile::tempdir().unwrap();
    let db = p(&dir.path().join("wallet.db"));
    let insured = InsuredId::new("10000000000000000000").unwrap();
    let wallet = medcode_platform::wallet::Wallet::open(&db).unwrap();
    wallet
        .credit(
            &insured,
            medcode_platform::wallet::Fen::yuan(100),
            None,
            now(),
        )
        .unwrap();
    drop(wallet);
    let usage = dir.path().join("usage.sqlite");
    let svc = keys.serve(&[
        "--wallet-db",
        &db,
        "--usage-db",
        &format!("sqlite:{}", p(&usage)),
    ]);
    let codes = keys.codes(2);
    let pay = |code: &str, amount: Value, request: &str| {
        post_json(
            &svc,
            "/v1/pay",
            &json!({"code": code, "amount": amount, "org_id": "P44030500012", "request_id": request}),
        )
    };
    let (status, first) = pay(&codes[0], json!("30.50"), "r1");
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["paid"], true);
    assert_eq!(first["payment"]["amount"], 3050);
    assert_eq!(first["payment"]["from_personal"], 3050);
    let (status, again) = pay(&codes[0], json!("30.50"), "r1");
    assert_eq!(status, 200);
    assert_eq!(again["payment"], first["payment"]);
    let (status, other) = pay(&codes[0], json!("30.50"), "r2");
    assert_eq!(status, 200);
    assert_eq!(
        (other["paid"].clone(), other["reason"].clone()),
        (json!(false), json!("replayed"))
    );
    let (status, number) = pay(&codes[1], json!(30.5), "r3");
    assert_eq!(
        (status, number["reason"].clone()),
        (400, json!("invalid_request"))
    );
    let (status, bad) = pay(&codes[1], json!("1.234"), "r4");
    assert_eq!(
        (status, bad["reason"].clone()),
        (200, json!("invalid_amount"))
    );
    let balance = medcode_platform::wallet::Wallet::open(&db)
        .unwrap()
        .balance(&insured)
        .unwrap();
    assert_eq!(balance.personal, medcode_platform::wallet::Fen::new(6_950));
    assert_eq!(svc.stop(), 0);
    // One usage record per verdict: the payment, then the code in another
    // request; a retried request and a refused amount checked no code.
    let mut store = medcode_platform::usage::SqliteUsageStore::open(&usage).unwrap();
    use medcode_platform::usage::UsageStore;
    let records = store
        .query(&medcode_platform::usage::UsageQuery::insured(
            insured.clone(),
        ))
        .unwrap();
    let seen: Vec<(Option<medcode::Reason>, Option<&str>)> = records
        .iter()
        .map(|r| (r.reason, r.context.org_id.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (Some(medcode::Reason::Replayed), Some("P44030500012")),
            (None, Some("P44030500012"))
        ]
    );
    assert_eq!(store.count().unwrap(), 2);

    let plain = keys.serve(&[]);
    let (status, body) = pay_without(&plain, &codes[1]);
    assert_eq!((status, body["reason"].clone()), (404, json!("not_found")));
}

fn pay_without(svc: &Service, code: &str) -> (u16, Value) {
    post_json(
        svc,
        "/v1/pay",
        &json!({"code": code, "amount": "1", "org_id": "P1"}),
    )
}
