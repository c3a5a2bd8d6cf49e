//! Helpers shared by the CLI's tests: running the binary ([`run`]), demo
//! tokens, `medcode till` processes, a running `medcode serve`
//! ([`service`]), a real redis-server or Redis Cluster and a real PostgreSQL
//! server (the library's, tests/support/).
#![allow(dead_code)]

pub mod cmdline;
#[path = "../../../platform/tests/support/postgres_server.rs"]
pub mod postgres_server;
#[path = "../../../tests/support/redis_cluster.rs"]
pub mod redis_cluster;
#[path = "../../../tests/support/redis_server.rs"]
pub mod redis_server;
pub mod run;
pub mod service;

// Each test file uses some of these.
#[allow(unused_imports)]
pub use run::{Run, doc_example, doc_section, medcode, root, run, run_with, state_home};

/// The demo issuer's claims flags (run from the repository root) for the
/// demo holder of `issue` and `show`: `keys/demo-issuer.pk8`, insured
/// `12345678901234567890`, region `110000`.
pub const DEMO_HOLDER: [&str; 8] = [
    "--dir",
    "keys",
    "--kid",
    "demo-issuer",
    "--insured",
    "12345678901234567890",
    "--region",
    "110000",
];

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use medcode::keys::{PermissionPolicy, read_private_key};
use medcode::{Claims, InsuredId, Issuer, Region, UnixTime};
use serde_json::Value;

/// When the test tokens are issued.
pub const ISSUED: &str = "2026-11-22T08:00:00Z";
/// When the tills check them: 5 s later, well inside the 60 s validity.
pub const AT: &str = "2026-11-22T08:00:05Z";

/// The demo trust list in `keys/`.
pub fn trust_file() -> PathBuf {
    root().join("keys/trust.json")
}

/// `n` distinct codes from the demo issuer, issued at [`ISSUED`].
pub fn tokens(n: usize) -> Vec<String> {
    tokens_at(0..n, UnixTime::parse_rfc3339(ISSUED).unwrap())
}

/// Codes from the demo issuer, issued at `at`, one for each `i` of `ids`:
/// insured `10000000000000000000 + i`.
pub fn tokens_at(ids: std::ops::Range<usize>, at: UnixTime) -> Vec<String> {
    codes_from(&root().join("keys/demo-issuer.pk8"), ids, at)
}

/// Codes signed with the private key in `key_file`, issued at `at`, one
/// for each `i` of `ids`: insured `10000000000000000000 + i`, region
/// 110000.
pub fn codes_from(key_file: &Path, ids: std::ops::Range<usize>, at: UnixTime) -> Vec<String> {
    let key = read_private_key(key_file, PermissionPolicy::Warn)
        .expect("the issuer key")
        .key;
    let issuer = Issuer::new(key);
    ids.map(|i| {
        let insured = format!("{:020}", 10_000_000_000_000_000_000u128 + i as u128);
        let claims = Claims::new(
            InsuredId::new(&insured).unwrap(),
            Region::new("110000").unwrap(),
        );
        issuer.issue(&claims, at).unwrap().text().to_owned()
    })
    .collect()
}

/// Credits 100 yuan to `insured` in the wallet database `db`, at `at`
/// (RFC 3339): enough for every payment the tests make with demo codes.
pub fn credit_100_yuan(db: &str, insured: &InsuredId, at: &str) {
    medcode_platform::wallet::Wallet::open(db)
        .unwrap()
        .credit(
            insured,
            medcode_platform::wallet::Fen::yuan(100),
            None,
            UnixTime::parse_rfc3339(at).unwrap(),
        )
        .unwrap();
}

/// A running `medcode till --json` process, talked to line by line.
pub struct Till {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    stderr_path: PathBuf,
}

impl Till {
    /// Starts `medcode till --trust keys/trust.json --at AT --json EXTRA..`,
    /// its standard error going to `stderr_path`.
    pub fn start(extra: &[&str], stderr_path: &Path) -> Till {
        let stderr = std::fs::File::create(stderr_path).unwrap();
        let mut child = medcode()
            .args(["till", "--json", "--at", AT, "--trust"])
            .arg(trust_file())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("medcode till starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Till {
            child,
            stdin,
            stdout,
            stderr_path: stderr_path.to_owned(),
        }
    }

    /// Presents one code and returns the verdict line as JSON.
    pub fn present(&mut self, token: &str) -> Value {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{token}").unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).unwrap();
        assert!(n > 0, "till ended early; stderr: {}", self.stderr());
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// What the till wrote to standard error so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Closes standard input and waits: the till must exit 0 without a panic.
    pub fn finish(mut self) -> String {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        let stderr = self.stderr();
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(status.code(), Some(0), "{stderr}");
        stderr
    }
}

impl Drop for Till {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The reason of a rejected verdict, or "accepted".
pub fn outcome(v: &Value) -> &str {
    if v["valid"] == Value::Bool(true) {
        "accepted"
    } else {
        v["reason"].as_str().expect("reason")
    }
}

/// The outcome of a run of `medcode verify --json`: `accepted` or the
/// refusal's reason.
pub fn run_outcome(r: &Run) -> String {
    let v: Value =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}", r = r.stdout));
    outcome(&v).to_owned()
}

/// The notices of an accepted verdict.
pub fn notices(v: &Value) -> Vec<String> {
    v["notices"]
        .as_array()
        .map(|a| a.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}
