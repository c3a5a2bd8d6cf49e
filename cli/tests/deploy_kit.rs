//! The deployment kit in `deploy/` (docs/DEPLOYMENT.md, "Installing with
//! systemd"), run for real:
//!
//! - `systemd-analyze verify` accepts every unit and timer, with the
//!   binary path `/usr/local/bin/medcode` replaced by the binary under test;
//! - every `${VAR}` the units use is set in `deploy/medcode.env`, and every
//!   variable there is used by a unit or read by medcode itself;
//! - the units' `ExecStart=` lines run as written (variables from a test
//!   environment, `%S` a temporary directory) as a system user whose home
//!   does not exist: the service behind `deploy/nginx/medcode.conf` in a
//!   real nginx on a free loopback port with a certificate made here
//!   (`openssl req -x509`), a code verified through HTTPS with curl
//!   (`--cacert`) accepted once and then `replayed`; the prune and the
//!   sweep with their exact outputs.
//!
//! Without systemd-analyze, nginx, openssl or curl the tests print a loud
//! `SKIPPED ... did NOT run` line and pass, unless they must run (`CI` or
//! `MEDCODE_REQUIRE_DEPLOY=1`, which `.ci/run` sets): then they fail.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use support::redis_server::{find_tool, free_ports};
use support::service::{Service, now};
use support::{medcode, root, run, tokens_at};

/// The binary path the units name.
const BIN: &str = "/usr/local/bin/medcode";

/// The units and timers of the kit.
const UNITS: [&str; 5] = [
    "medcode.service",
    "medcode-usage-prune.service",
    "medcode-usage-prune.timer",
    "medcode-wallet-sweep.service",
    "medcode-wallet-sweep.timer",
];

/// Variables medcode reads itself (clap `env`), never named in a unit.
const READ_BY_MEDCODE: [&str; 3] = ["MEDCODE_REPLAY", "MEDCODE_USAGE_DB", "MEDCODE_WALLET_DB"];

/// The host name of the nginx example, which the test certificate names.
const HOST: &str = "medcode.chain.example";

/// `tool` on PATH or in /usr/sbin, /usr/bin; else `None` after a loud
/// SKIPPED line, or a failure where the kit's tests must run.
fn tool(name: &str, package: &str, test: &str) -> Option<PathBuf> {
    if let Some(path) = find_tool(name) {
        return Some(path);
    }
    let set =
        |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    assert!(
        !set("CI") && !set("MEDCODE_REQUIRE_DEPLOY"),
        "{name} not found on PATH or in /usr/sbin, and the deployment kit tests must run here \
         (CI or MEDCODE_REQUIRE_DEPLOY=1): apt-get install -y {package}"
    );
    // Straight to the process's stderr, past the harness's output capture.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {name} not found, this deployment kit test did NOT run \
         (apt-get install -y {package}; CI always runs it)"
    );
    None
}

fn deploy(name: &str) -> String {
    let path = root().join("deploy").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn p(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// `text` with `from` replaced by `to`, which must occur exactly once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in:\n{text}");
    text.replace(from, to)
}

/// The logical lines of a unit file (continuations joined), comments and
/// blank lines left out.
fn unit_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(line);
            lines.push(std::mem::take(&mut current));
        }
    }
    lines
}

/// The one `ExecStart=` of a unit, split into words.
fn exec_start(unit: &str) -> Vec<String> {
    let starts: Vec<String> = unit_lines(&deploy(unit))
        .into_iter()
        .filter_map(|l| l.strip_prefix("ExecStart=").map(str::to_owned))
        .collect();
    assert_eq!(starts.len(), 1, "{unit}: one ExecStart=");
    starts[0].split_whitespace().map(str::to_owned).collect()
}

/// The words of an `ExecStart=` with `${VAR}` taken from `env` and `%S`
/// replaced by `state_root`, as systemd expands them; the binary checked
/// and left out.
fn expand(words: &[String], env: &BTreeMap<String, String>, state_root: &Path) -> Vec<String> {
    assert_eq!(words[0], BIN, "{words:?}");
    words[1..]
        .iter()
        .map(|w| {
            let mut w = w.replace("%S", &p(state_root));
            while let Some(start) = w.find("${") {
                let end = start + w[start..].find('}').expect("a closing brace");
                let name = &w[start + 2..end];
                let value = env
                    .get(name)
                    .unwrap_or_else(|| panic!("${{{name}}} is not in the test environment"));
                w.replace_range(start..=end, value);
            }
            assert!(!w.contains('%') && !w.contains('$'), "unexpanded: {w}");
            w
        })
        .collect()
}

/// The variables `deploy/medcode.env` sets (`VAR=value`) and names in a
/// commented-out line (`#VAR=value`).
fn env_file_names() -> (Vec<String>, Vec<String>) {
    let (mut set, mut commented) = (Vec::new(), Vec::new());
    for line in deploy("medcode.env").lines() {
        let (list, line) = match line.strip_prefix('#') {
            Some(rest) => (&mut commented, rest),
            None => (&mut set, line),
        };
        if let Some((name, _)) = line.split_once('=')
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        {
            list.push(name.to_owned());
        }
    }
    (set, commented)
}

/// Every `${VAR}` in the units.
fn unit_variables() -> Vec<String> {
    let mut names = Vec::new();
    for unit in UNITS {
        let text = deploy(unit);
        for part in text.split("${").skip(1) {
            names.push(part.split('}').next().unwrap().to_owned());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_environment_file_sets_every_variable_the_units_use() {
    let (set, commented) = env_file_names();
    for name in unit_variables() {
        assert!(
            set.contains(&name),
            "${{{name}}} used by a unit, not set in medcode.env"
        );
    }
    for name in set.iter().chain(&commented) {
        assert!(
            unit_variables().contains(name) || READ_BY_MEDCODE.contains(&name.as_str()),
            "{name} in medcode.env is used by no unit and not read by medcode"
        );
    }
    for name in READ_BY_MEDCODE {
        assert!(
            set.contains(&name.to_owned()) || commented.contains(&name.to_owned()),
            "{name} is not documented in medcode.env"
        );
    }
    // Every unit reads that file, runs as the system user with the state
    // directory, and the service reloads on SIGHUP.
    for unit in UNITS.iter().filter(|u| u.ends_with(".service")) {
        let lines = unit_lines(&deploy(unit));
        for line in [
            "EnvironmentFile=/etc/medcode/medcode.env",
            "User=medcode",
            "StateDirectory=medcode",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "CapabilityBoundingSet=",
            "SystemCallFilter=@system-service",
            "MemoryDenyWriteExecute=yes",
        ] {
            assert!(lines.iter().any(|l| l == line), "{unit}: no {line}");
        }
    }
    let service = unit_lines(&deploy("medcode.service"));
    for line in [
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "LimitNOFILE=65536",
    ] {
        assert!(
            service.iter().any(|l| l == line),
            "medcode.service: no {line}"
        );
    }
}

#[test]
fn systemd_analyze_verify_accepts_every_unit() {
    let test = "systemd_analyze_verify_accepts_every_unit";
    let Some(analyze) = tool("systemd-analyze", "systemd", test) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_medcode");
    let mut paths = Vec::new();
    for unit in UNITS {
        let mut text = deploy(unit);
        if unit.ends_with(".service") {
            assert_eq!(exec_start(unit)[0], BIN, "{unit}");
            text = text.replace(BIN, bin);
        }
        let path = dir.path().join(unit);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let out = Command::new(analyze)
        .arg("verify")
        .arg("--man=no")
        .args(&paths)
        .env("SYSTEMD_LOG_COLOR", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Lines about our units: none may be a complaint.
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("medcode")).collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify: {:?}\n{stderr}",
        out.status
    );
}

/// An nginx with its own prefix and configuration; stopped on drop.
struct Nginx {
    child: Child,
    prefix: PathBuf,
}

impl Nginx {
    /// Starts `nginx -p PREFIX -c nginx.conf -g 'daemon off;'` with the kit's
    /// server block, and waits until `port` answers.
    fn start(nginx: &Path, prefix: &Path, server_block: &str, port: u16) -> Nginx {
        for dir in ["logs", "tmp"] {
            std::fs::create_dir_all(prefix.join(dir)).unwrap();
        }
        std::fs::write(prefix.join("medcode.conf"), server_block).unwrap();
        let pre = p(prefix);
        let conf = format!(
            "pid {pre}/nginx.pid;\n\
             error_log {pre}/logs/error.log;\n\
             worker_processes 1;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             \x20   client_body_temp_path {pre}/tmp/body;\n\
             \x20   proxy_temp_path {pre}/tmp/proxy;\n\
             \x20   fastcgi_temp_path {pre}/tmp/fastcgi;\n\
             \x20   uwsgi_temp_path {pre}/tmp/uwsgi;\n\
             \x20   scgi_temp_path {pre}/tmp/scgi;\n\
             \x20   include {pre}/medcode.conf;\n\
             }}\n"
        );
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let check = Command::new(nginx)
            .args([
                "-t",
                "-q",
                "-p",
                &pre,
                "-e",
                &format!("{pre}/logs/error.log"),
            ])
            .args(["-c", &format!("{pre}/nginx.conf")])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = Command::new(nginx)
            .args(["-p", &pre, "-e", &format!("{pre}/logs/error.log")])
            .args(["-c", &format!("{pre}/nginx.conf"), "-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx {
            child,
            prefix: prefix.to_owned(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = nginx.child.try_wait().unwrap() {
                panic!("nginx exited {status}: {}", nginx.error_log());
            }
            assert!(Instant::now() < deadline, "nginx did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM to the master, which stops its workers and exits; SIGKILL
    /// only if it has not after 30 s (a killed master leaves its workers
    /// running).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for [`HOST`], made with openssl: (cert, key).
fn certificate(openssl: &Path, dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("medcode.crt"), dir.join("medcode.key"));
    let out = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:P-256", "-nodes", "-days", "2"])
        .args(["-subj", &format!("/CN={HOST}")])
        .args(["-addext", &format!("subjectAltName=DNS:{HOST}")])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// One HTTPS request with curl through the proxy, trusting only `cert`:
/// (status, body).
fn curl(
    curl: &Path,
    cert: &Path,
    port: u16,
    path: &str,
    key: &str,
    body: Option<&str>,
) -> (u16, String) {
    let mut cmd = Command::new(curl);
    cmd.args(["--silent", "--show-error", "--cacert"])
        .arg(cert)
        .args(["--resolve", &format!("{HOST}:{port}:127.0.0.1")])
        .args(["--header", &format!("Authorization: Bearer {key}")])
        .args(["--write-out", "\n%{http_code}"]);
    if let Some(body) = body {
        cmd.args(["--header", "Content-Type: application/json"])
            .args(["--data-binary", body]);
    }
    let out = cmd
        .arg(format!("https://{HOST}:{port}{path}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "curl {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (text, status) = stdout.rsplit_once('\n').expect("a status line");
    (status.parse().unwrap(), text.to_owned())
}

/// What the units need on disk, made in a temporary directory: the demo
/// signed trust list and root key, a signed revocation list, an API key
/// file, the state root (`%S`) and a home that does not exist.
struct Site {
    dir: tempfile::TempDir,
    key: String,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| p(&dir.path().join(name));
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::create_dir(dir.path().join("lib/medcode")).unwrap();
        let r = run(&[
            "revoke",
            "--list",
            &path("revocations.json"),
            "--insured",
            "99999999999999999999",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&[
            "trust",
            "sign",
            "--kind",
            "revocation",
            "--root",
            "keys/demo-root.pk8",
            "--in",
            &path("revocations.json"),
            "--out",
            &path("revocations.signed.json"),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let r = run(&[
            "api-key",
            "new",
            "--org",
            "chain",
            "--file",
            &path("api-keys"),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let key = r.stdout.trim().to_owned();
        Site { dir, key }
    }

    fn path(&self, name: &str) -> String {
        p(&self.dir.path().join(name))
    }

    /// `%S` of the units.
    fn state_root(&self) -> PathBuf {
        self.dir.path().join("lib")
    }

    /// The test's medcode.env: the kit's variables, with this site's files.
    fn env(&self, listen: &str) -> BTreeMap<String, String> {
        let (set, _) = env_file_names();
        let mut env = BTreeMap::new();
        for (name, value) in [
            ("MEDCODE_LISTEN", listen.to_owned()),
            ("MEDCODE_TRUST", p(&root().join("keys/trust.signed.json"))),
            ("MEDCODE_ROOT_KEY", p(&root().join("keys/demo-root.pub"))),
            ("MEDCODE_REVOCATIONS", self.path("revocations.signed.json")),
            ("MEDCODE_RELOAD_SECS", "60".to_owned()),
            ("MEDCODE_API_KEYS", self.path("api-keys")),
            ("MEDCODE_REPLAY", "memory".to_owned()),
            (
                "MEDCODE_USAGE_DB",
                format!(
                    "sqlite:{}",
                    p(&self.state_root().join("medcode/usage.sqlite"))
                ),
            ),
            ("MEDCODE_USAGE_RETENTION_DAYS", "365".to_owned()),
            ("MEDCODE_WALLET_DB", self.path("lib/medcode/wallet.sqlite")),
        ] {
            env.insert(name.to_owned(), value);
        }
        for name in set {
            assert!(env.contains_key(&name), "the test sets no {name}");
        }
        env
    }

    /// What systemd gives the units beyond the environment file: the state
    /// directory, and the system user's missing home.
    fn systemd_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "STATE_DIRECTORY".to_owned(),
                p(&self.state_root().join("medcode")),
            ),
            ("HOME".to_owned(), self.path("nonexistent")),
        ]
    }
}

#[test]
fn the_service_unit_behind_the_nginx_example_verifies_a_code_over_https() {
    let test = "the_service_unit_behind_the_nginx_example_verifies_a_code_over_https";
    let (Some(nginx), Some(openssl), Some(curl_bin)) = (
        tool("nginx", "nginx", test),
        tool("openssl", "openssl", test),
        tool("curl", "curl", test),
    ) else {
        return;
    };
    let site = Site::new();
    // The service, from medcode.service's ExecStart= on a free port.
    let env = site.env("127.0.0.1:0");
    let argv = expand(&exec_start("medcode.service"), &env, &site.state_root());
    assert_eq!(argv[0], "serve");
    let mut vars: Vec<(String, String)> = env.into_iter().collect();
    vars.extend(site.systemd_env());
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let svc = Service::start_with_env_removed(&argv[1..], &vars, &["XDG_STATE_HOME"]);
    let upstream = svc.url.strip_prefix("http://").unwrap().to_owned();

    // nginx with the kit's server block, pointed at it.
    let prefix = site.dir.path().join("nginx");
    std::fs::create_dir(&prefix).unwrap();
    let (cert, key) = certificate(&openssl, &prefix);
    let port = free_ports(1)[0];
    let mut conf = deploy("nginx/medcode.conf");
    conf = replace_once(
        &conf,
        "server 127.0.0.1:8080;",
        &format!("server {upstream};"),
    );
    conf = replace_once(
        &conf,
        "listen 443 ssl;",
        &format!("listen 127.0.0.1:{port} ssl;"),
    );
    conf = replace_once(&conf, "/etc/ssl/medcode/medcode.crt", &p(&cert));
    conf = replace_once(&conf, "/etc/ssl/medcode/medcode.key", &p(&key));
    conf = conf.replace("/var/log/nginx/", &format!("{}/logs/", p(&prefix)));
    let proxy = Nginx::start(&nginx, &prefix, &conf, port);

    // A code through HTTPS: accepted once, then replayed.
    let code = &tokens_at(0..1, now())[0];
    let body = serde_json::json!({"code": code}).to_string();
    let (status, text) = curl(&curl_bin, &cert, port, "/v1/verify", &site.key, Some(&body));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(status, 200, "{text}");
    assert_eq!(v["valid"], true, "{text}");
    assert_eq!(v["insured"], "10000000000000000000", "{text}");
    let (status, text) = curl(&curl_bin, &cert, port, "/v1/verify", &site.key, Some(&body));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        (status, v["valid"].as_bool(), v["reason"].as_str()),
        (200, Some(false), Some("replayed")),
        "{text}"
    );
    // A wrong key is the service's 401; the metrics stay behind the proxy.
    let (status, text) = curl(&curl_bin, &cert, port, "/v1/verify", "wrong", Some(&body));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        (status, v["reason"].as_str()),
        (401, Some("unauthorized")),
        "{text}"
    );
    let (status, _) = curl(&curl_bin, &cert, port, "/metrics", &site.key, None);
    assert_eq!(status, 404);
    let (status, text) = curl(&curl_bin, &cert, port, "/readyz", &site.key, None);
    assert_eq!(status, 200, "{text}");
    drop(proxy);

    // The usage records went to the state directory's file; the home was
    // never created.
    assert_eq!(svc.stop(), 0);
    assert!(site.state_root().join("medcode/usage.sqlite").is_file());
    assert!(!site.dir.path().join("nonexistent").exists());
}

#[test]
fn the_timer_services_run_as_written() {
    let site = Site::new();
    let env = site.env("127.0.0.1:0");
    let run_unit = |unit: &str| {
        let argv = expand(&exec_start(unit), &env, &site.state_root());
        let mut cmd = medcode();
        cmd.env_remove("XDG_STATE_HOME")
            .args(&argv)
            .envs(&env)
            .envs(site.systemd_env())
            .stdin(Stdio::null());
        let out = cmd.output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        );
        assert_eq!(out.status.code(), Some(0), "{unit}: {stderr}");
        assert_eq!(stderr, "", "{unit}");
        stdout
    };
    let pruned = run_unit("medcode-usage-prune.service");
    // The times are the system clock's: the words around them are exact.
    assert!(
        pruned.starts_with("pruned 0 usage records older than ")
            && pruned.contains(" (365 days before ")
            && pruned.ends_with(")\n")
            && pruned.lines().count() == 1,
        "{pruned}"
    );
    assert_eq!(
        run_unit("medcode-wallet-sweep.service"),
        "0 transfers returned\n"
    );
    assert!(site.state_root().join("medcode/wallet.sqlite").is_file());
    assert!(!site.dir.path().join("nonexistent").exists());
}
