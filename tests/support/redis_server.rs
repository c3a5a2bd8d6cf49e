//! A real redis-server for the tests: started on a free loopback port with
//! no persistence, answered PING before use, killed on drop.
//!
//! When redis-server is not installed (a fresh developer machine with only
//! the Rust toolchain), each Redis test prints a loud `SKIPPED` line past
//! the harness's output capture and does nothing, so `cargo test` still
//! works there and says what it did not run. Where the tests must run, in
//! CI (`CI` set, or `MEDCODE_REQUIRE_REDIS=1`, which `.ci/run` sets), a
//! missing redis-server fails them.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a starting server may take to answer PING.
const START_TIMEOUT: Duration = Duration::from_secs(20);

pub struct RedisServer {
    bin: PathBuf,
    port: u16,
    /// The cluster bus port of a cluster node (tests/support/redis_cluster.rs).
    cluster_port: Option<u16>,
    /// The `--requirepass` of a server started with a password.
    password: Option<String>,
    dir: TempDir,
    child: Option<Child>,
}

/// `name` (a Redis program) on PATH or in the usual Debian places.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// `name` (a Redis program of Debian package `package`), or `None` after a
/// loud SKIPPED line for `test` when it is absent outside CI; in CI (`CI`
/// or `MEDCODE_REQUIRE_REDIS` set) a missing program fails the test.
pub fn find_or_skip(name: &str, package: &str, test: &str) -> Option<PathBuf> {
    if let Some(bin) = find_tool(name) {
        return Some(bin);
    }
    let set =
        |var: &str| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if set("CI") || set("MEDCODE_REQUIRE_REDIS") {
        panic!(
            "{name} not found on PATH or in /usr/bin, and these Redis tests must run here \
             (CI or MEDCODE_REQUIRE_REDIS=1): install it (apt-get install -y {package})"
        );
    }
    // Straight to the process's stderr, past the test harness's
    // output capture, so the line shows even for a passing test.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {name} not found, this Redis test did NOT run \
         (apt-get install -y {package}; CI always runs it)"
    );
    None
}

/// `n` distinct free loopback ports (held together while they are chosen).
pub fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port"))
        .collect();
    held.iter()
        .map(|l| l.local_addr().expect("a bound port").port())
        .collect()
}

fn free_port() -> u16 {
    free_ports(1)[0]
}

/// True when a server on `port` answers PING with PONG (after `AUTH
/// password`, for a server that requires one).
fn answers_ping(port: u16, password: Option<&str>) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if let Some(password) = password {
        let mut ok = [0u8; 5];
        let auth = format!("AUTH {password}\r\n");
        if s.write_all(auth.as_bytes()).is_err()
            || s.read_exact(&mut ok).is_err()
            || &ok != b"+OK\r\n"
        {
            return false;
        }
    }
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl RedisServer {
    /// Starts a server, or returns `None` after a loud SKIPPED line when
    /// redis-server is absent outside CI.
    pub fn start(test: &str) -> Option<RedisServer> {
        let bin = find_or_skip("redis-server", "redis-server", test)?;
        Some(RedisServer::start_with(bin, false, None))
    }

    /// As [`RedisServer::start`], a server that requires `password`
    /// (`--requirepass`): a client must send it before any command.
    pub fn start_with_password(test: &str, password: &str) -> Option<RedisServer> {
        let bin = find_or_skip("redis-server", "redis-server", test)?;
        Some(RedisServer::start_with(
            bin,
            false,
            Some(password.to_owned()),
        ))
    }

    /// Starts a node for a Redis Cluster (`--cluster-enabled yes`, its own
    /// config file and bus port), not yet part of any cluster. `bin` is a
    /// redis-server found by [`find_or_skip`].
    pub fn start_cluster_node(bin: PathBuf) -> RedisServer {
        RedisServer::start_with(bin, true, None)
    }

    fn start_with(bin: PathBuf, cluster: bool, password: Option<String>) -> RedisServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut server = RedisServer {
            bin,
            port: 0,
            cluster_port: None,
            password,
            dir,
            child: None,
        };
        // A port found free may be taken before the server binds it: retry.
        let mut last = String::new();
        for _ in 0..5 {
            if cluster {
                let ports = free_ports(2);
                server.port = ports[0];
                server.cluster_port = Some(ports[1]);
            } else {
                server.port = free_port();
            }
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    fn spawn(&mut self) -> Result<(), String> {
        let log = self.dir.path().join(format!("redis-{}.log", self.port));
        let mut command = Command::new(&self.bin);
        command.arg("--port").arg(self.port.to_string()).args([
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]);
        if let Some(password) = &self.password {
            command.arg("--requirepass").arg(password);
        }
        if let Some(bus) = self.cluster_port {
            // The config file (the node's id and slots) stays in the
            // folder, so that a restarted node rejoins its cluster.
            command
                .args(["--cluster-enabled", "yes", "--cluster-config-file"])
                .arg(format!("nodes-{}.conf", self.port))
                .arg("--cluster-port")
                .arg(bus.to_string());
        }
        let mut child = command
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if answers_ping(self.port, self.password.as_deref()) {
                self.child = Some(child);
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                return Err(format!("exited with {status}: {log}"));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("no answer to PING in time".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT` (DB 0).
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert!(
            !answers_ping(self.port, self.password.as_deref()),
            "still answering after kill"
        );
    }

    /// Starts a new, empty server on the same port.
    pub fn restart(&mut self) {
        self.kill();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn() {
                Ok(()) => return,
                // The port may linger for a moment after the kill.
                Err(e) if Instant::now() > deadline => panic!("restart failed: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// A plain client connection, for looking at what the guard stored.
    pub fn client(&self, db: u8) -> redis::Connection {
        let client = redis::Client::open(format!("{}/{db}", self.url())).unwrap();
        client
            .get_connection_with_timeout(Duration::from_secs(5))
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `done` every 10 ms for at most `bound`; true once it holds.
pub fn within(bound: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many keys database 0 of `redis` holds.
pub fn dbsize(redis: &RedisServer) -> u64 {
    redis::cmd("DBSIZE").query(&mut redis.client(0)).unwrap()
}
