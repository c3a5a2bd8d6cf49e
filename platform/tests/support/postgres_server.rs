//! A real PostgreSQL server for the tests: a fresh cluster made by `initdb`
//! in a temporary folder, started by `pg_ctl` on a free loopback port
//! (trust authentication, no fsync), stopped on drop.
//!
//! PostgreSQL refuses to run as root; run as root (CI, this machine), the
//! helper hands the folder to the `postgres` user (else `nobody`) and runs
//! `initdb`, `pg_ctl` and `createdb` as that user through `runuser`.
//!
//! When PostgreSQL is not installed, each test using it prints a loud
//! `SKIPPED ... did NOT run` line and passes; where it must run (`CI` set,
//! or `MEDCODE_REQUIRE_POSTGRES=1`, which `.ci/run` sets), a missing server
//! fails the test.

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

pub struct PostgresServer {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
    /// The user the server runs as when the tests run as root.
    user: Option<String>,
}

/// The folder holding `initdb`, `pg_ctl` and `createdb`: on PATH, in /usr/local/bin,
/// or the newest /usr/lib/postgresql/*/bin (Debian).
fn find_bin_dir() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.push(PathBuf::from("/usr/local/bin"));
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    debian.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.extend(debian.into_iter().rev());
    dirs.into_iter().find(|d| {
        ["initdb", "pg_ctl", "createdb"]
            .iter()
            .all(|t| d.join(t).is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn id_of(args: &[&str]) -> Option<u32> {
    let out = Command::new("id").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

fn required() -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    set("CI") || set("MEDCODE_REQUIRE_POSTGRES")
}

/// Prints the loud SKIPPED line (past the harness's capture), or panics
/// where the test must run.
pub fn skip(test: &str, why: &str) {
    if required() {
        panic!(
            "{why}, and this PostgreSQL test must run here (CI or MEDCODE_REQUIRE_POSTGRES=1): \
             install it (apt-get install -y postgresql)"
        );
    }
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why}, this PostgreSQL test did NOT run \
         (apt-get install -y postgresql; CI always runs it)"
    );
}

impl PostgresServer {
    /// Starts a server, or returns `None` after a loud SKIPPED line when
    /// PostgreSQL is absent outside CI.
    pub fn start(test: &str) -> Option<PostgresServer> {
        let Some(bin) = find_bin_dir() else {
            skip(test, "initdb and pg_ctl not found");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let user = if id_of(&["-u"]) == Some(0) {
            let name = if id_of(&["-u", "postgres"]).is_some() {
                "postgres"
            } else {
                "nobody"
            };
            let uid = id_of(&["-u", name]).expect("uid");
            let gid = id_of(&["-g", name]).expect("gid");
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown the folder");
            Some(name.to_owned())
        } else {
            None
        };
        let mut server = PostgresServer {
            bin,
            dir,
            port: 0,
            user,
        };
        let data = server.data();
        let out = server.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "medcode",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut last = String::new();
        for _ in 0..5 {
            server.port = free_port();
            let opts = format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=60",
                server.port,
                server.dir.path().display()
            );
            let log = server.dir.path().join("server.log");
            let out = server.run(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-l",
                    log.to_str().unwrap(),
                    "-o",
                    &opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            );
            if out.status.success() {
                return Some(server);
            }
            last = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start: {last}");
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a PostgreSQL tool, as the server's user when we are root.
    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(tool);
        let mut cmd = match &self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database; returns its URL.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let out = self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "medcode", name],
        );
        assert!(
            out.status.success(),
            "createdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }

    /// `postgres://medcode@127.0.0.1:PORT/NAME`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://medcode@127.0.0.1:{}/{name}", self.port)
    }

    /// The folder of the cluster.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap_or(""),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }
}
