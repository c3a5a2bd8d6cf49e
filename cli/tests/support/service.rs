//! A running `medcode serve` for the tests (port 0, the `listening on`
//! line read from its standard error) and the plain HTTP calls the tests
//! make to it, shared by tests/serve.rs and tests/serve_cluster.rs.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medcode::UnixTime;
use serde_json::Value;

use super::medcode;

/// How long a starting service may take to print its listening line.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The system clock, as the service reads it.
pub fn now() -> UnixTime {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    UnixTime::from_secs(secs)
}

/// A running `medcode serve`; killed on drop if still running.
pub struct Service {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its standard error, line by line, so far.
    pub stderr: Arc<Mutex<Vec<String>>>,
}

impl Service {
    pub fn start(args: &[String]) -> Service {
        Service::start_with_env(args, &[])
    }

    /// As [`Service::start`], with `env` set in the service's environment.
    pub fn start_with_env(args: &[String], env: &[(&str, &str)]) -> Service {
        Service::start_with_env_removed(args, env, &[])
    }

    /// As [`Service::start_with_env`], with the variables `removed` taken
    /// out of the service's environment.
    pub fn start_with_env_removed(
        args: &[String],
        env: &[(&str, &str)],
        removed: &[&str],
    ) -> Service {
        let mut command = medcode();
        for name in removed {
            command.env_remove(name);
        }
        command.arg("serve").args(args).envs(env.iter().copied());
        Service::spawn(command)
    }

    /// Starts `command` (a `medcode serve` however it is wrapped), its
    /// standard error read for the listening line.
    pub fn spawn(mut command: Command) -> Service {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("medcode serve starts");
        let (tx, rx) = std::sync::mpsc::channel();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&lines);
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.to_owned());
                }
                kept.lock().unwrap().push(line);
            }
        });
        let url = rx
            .recv_timeout(START_TIMEOUT)
            .unwrap_or_else(|_| panic!("no listening line: {:?}", lines.lock().unwrap()));
        Service {
            child,
            url,
            stderr: lines,
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// The service's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -s {name}");
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(mut self) -> i32 {
        self.signal("TERM");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().expect("an exit code, not a signal");
            }
            assert!(
                Instant::now() < deadline,
                "medcode serve did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status and body (JSON, or the text as a JSON string) of one request.
pub fn post(
    svc: &Service,
    path: &str,
    content_type: &str,
    body: &[u8],
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = agent()
        .post(format!("{}{path}", svc.url))
        .header("content-type", content_type);
    if let Some(key) = key {
        req = req.header("authorization", format!("Bearer {key}"));
    }
    let mut resp = req.send(body).expect("an answer");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Status and JSON body of one POST of `body` on `agent`'s kept-alive
/// connections.
pub fn post_json_on(agent: &ureq::Agent, svc: &Service, path: &str, body: &Value) -> (u16, Value) {
    let mut resp = agent
        .post(format!("{}{path}", svc.url))
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .expect("an answer");
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub fn post_json(svc: &Service, path: &str, body: &Value) -> (u16, Value) {
    post(
        svc,
        path,
        "application/json",
        body.to_string().as_bytes(),
        None,
    )
}

pub fn get(svc: &Service, path: &str) -> (u16, String) {
    let mut resp = agent()
        .get(format!("{}{path}", svc.url))
        .call()
        .expect("an answer");
    (
        resp.status().as_u16(),
        resp.body_mut().read_to_string().unwrap(),
    )
}

pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Waits until the service's log has a line containing `text`.
pub fn wait_for(svc: &Service, text: &str) {
    let deadline = Instant::now() + START_TIMEOUT;
    while !svc.stderr().contains(text) {
        assert!(
            Instant::now() < deadline,
            "no {text:?} in:\n{}",
            svc.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
