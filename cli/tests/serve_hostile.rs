//! `medcode serve` against clients and operators' pipes that stop reading:
//! connections that never read their answers cannot lock other clients
//! out (the connection cap sheds the one that made progress longest ago),
//! SIGTERM with such a connection open still ends within the stop's grace
//! with the usage backlog written, and a log reader that stalls never
//! freezes requests (lines are dropped and counted instead).
//!
//! Each test has a hang guard (a client timeout, the stop's wait), never a
//! timing assertion.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::OpenOptionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use medcode_platform::usage::{UsageQuery, open_usage_store};
use support::service::{Service, args, now, post_json};
use support::{medcode, root, tokens_at};

/// A service on a free loopback port with the demo trust list, recording
/// nothing.
const PLAIN: [&str; 6] = [
    "--trust",
    "keys/trust.json",
    "--listen",
    "127.0.0.1:0",
    "--usage-db",
    "off",
];

/// `medcode serve ARGS` under `ulimit -n NOFILE`.
fn serve_limited(nofile: u32, list: &[&str]) -> Service {
    let base = medcode();
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("ulimit -n {nofile} && exec \"$0\" serve \"$@\""))
        .arg(base.get_program())
        .args(args(list))
        .current_dir(root());
    Service::spawn(command)
}

/// A connection that asks for the cashier's script `n` times in one go and
/// never reads an answer: the service's writes to it stall.
fn stalled_reader(svc: &Service, n: usize) -> TcpStream {
    let addr = svc.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    let one = format!("GET /page.js HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    stream.write_all(one.repeat(n).as_bytes()).unwrap();
    stream
}

/// A client whose requests give up after 20 s: a hang guard, not a timing
/// assertion.
fn guarded_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// `GET /healthz` on a fresh connection with a hang guard: the status, or
/// the error when there was no answer.
fn healthz(svc: &Service) -> Result<u16, String> {
    let agent = guarded_agent();
    agent
        .get(format!("{}/healthz", svc.url))
        .call()
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

#[test]
fn clients_that_stop_reading_cannot_lock_others_out() {
    // 48 descriptors: without a cap, 40 stalled connections and the
    // service's own files use them up and every other client waits.
    let mut list = PLAIN.to_vec();
    list.extend(["--max-connections", "24"]);
    let svc = serve_limited(48, &list);
    let stalled: Vec<TcpStream> = (0..40).map(|_| stalled_reader(&svc, 1000)).collect();
    assert_eq!(healthz(&svc), Ok(200), "{}", svc.stderr());
    assert_eq!(healthz(&svc), Ok(200), "{}", svc.stderr());
    drop(stalled);
    assert_eq!(svc.stop(), 0);
}

#[test]
fn sigterm_with_a_stalled_reader_ends_within_the_grace_and_writes_the_backlog() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("usage.sqlite").display());
    let svc = Service::start(&args(&[
        "--trust",
        "keys/trust.json",
        "--listen",
        "127.0.0.1:0",
        "--usage-db",
        &url,
    ]));
    let code = tokens_at(0..1, now()).remove(0);
    let (status, v) = post_json(&svc, "/v1/verify", &serde_json::json!({ "code": code }));
    assert_eq!(
        (status, &v["valid"]),
        (200, &serde_json::json!(true)),
        "{v}"
    );
    let _stalled = stalled_reader(&svc, 1000);
    // The stop's wait (30 s) is the hang guard: the write timeout or the
    // stop's grace (10 s each) ends the stalled connection.
    assert_eq!(svc.stop(), 0);
    let insured = medcode::InsuredId::new("10000000000000000000").unwrap();
    let records = open_usage_store(&url)
        .unwrap()
        .query(&UsageQuery::insured(insured))
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].reason, None);
}

#[test]
fn a_log_reader_that_stalls_never_freezes_requests() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stderr.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo");
    // The reader end first (without blocking), then the service's end.
    const O_NONBLOCK: i32 = 0o4000;
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let mut child = medcode()
        .arg("serve")
        .args(args(&PLAIN))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(writer))
        .spawn()
        .unwrap();
    // Read up to the listening line, then never again.
    let mut seen = String::new();
    let guard = Instant::now() + Duration::from_secs(30);
    let url = loop {
        let mut buf = [0u8; 4096];
        match reader.read(&mut buf) {
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("{e}"),
        }
        if let Some(line) = seen.lines().find(|l| l.starts_with("listening on ")) {
            break line["listening on ".len()..].to_owned();
        }
        assert!(Instant::now() < guard, "no listening line: {seen}");
    };
    let svc_url = url.clone();
    let agent = guarded_agent();
    // Each request logs a line of about 100 bytes: the pipe holds about
    // 650 of them and the log's queue 4,096 more.
    for i in 0..6000 {
        let status = agent
            .get(format!("{svc_url}/healthz"))
            .call()
            .map(|r| r.status().as_u16())
            .unwrap_or_else(|e| panic!("request {i} got no answer: {e}"));
        assert_eq!(status, 200);
    }
    let metrics = agent
        .get(format!("{svc_url}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let dropped: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("medcode_log_lines_dropped_total "))
        .unwrap_or_else(|| panic!("no log drop count: {metrics}"))
        .parse()
        .unwrap();
    assert!(dropped > 0, "{metrics}");
    let killed = Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let guard = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        assert!(Instant::now() < guard, "SIGTERM did not stop the service");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code, Some(0));
    drop(reader);
}

/// Sends `request` on a fresh connection and reads the answer to the end.
fn raw(svc: &Service, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(svc.url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn requests_the_http_layer_refuses_are_counted_and_logged() {
    let svc = Service::start(&args(&PLAIN));
    let answer = raw(&svc, b"NOT HTTP AT ALL\r\n\r\n");
    assert!(
        answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{answer}"
    );
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    let answer = raw(&svc, big.as_bytes());
    assert!(
        answer.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{answer}"
    );
    let (_, metrics) = support::service::get(&svc, "/metrics");
    for status in [400, 431] {
        let line = format!("medcode_http_requests_total{{route=\"-\",status=\"{status}\"}} 1\n");
        assert!(metrics.contains(&line), "{line} in {metrics}");
    }
    support::service::wait_for(&svc, "route=- status=431 reason=unparsed");
    assert!(
        svc.stderr()
            .contains("request id=- method=- route=- status=400 reason=unparsed"),
        "{}",
        svc.stderr()
    );
    assert_eq!(svc.stop(), 0);
}
