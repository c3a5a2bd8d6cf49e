//! A real Redis Cluster for the tests: three (or, with replicas, six) redis-server
//! processes started by [`RedisServer::start_cluster_node`] (free loopback
//! ports, no persistence, their own temp folders), joined with
//! `redis-cli --cluster create ... --cluster-replicas 0|1 --cluster-yes`,
//! used once every node reports `cluster_state:ok`, killed on drop.
//!
//! Without redis-server or redis-cli (Debian `redis-tools`) a test prints a
//! loud `SKIPPED` line and does nothing, unless `CI` or
//! `MEDCODE_REQUIRE_REDIS` is set: then it fails (tests/support/redis_server.rs).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::redis_server::{RedisServer, find_or_skip};

/// How long a new cluster may take to agree on its slots.
const FORM_TIMEOUT: Duration = Duration::from_secs(30);

pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts and joins three nodes, or returns `None` after a loud SKIPPED
    /// line when redis-server or redis-cli is absent outside CI.
    pub fn start(test: &str) -> Option<RedisCluster> {
        RedisCluster::start_nodes(test, 0)
    }

    /// Starts three primaries, each with one replica (six nodes), that
    /// declare a node failed after one second (`cluster-node-timeout`), so
    /// that a killed primary's replica is promoted within a few seconds.
    pub fn start_with_replicas(test: &str) -> Option<RedisCluster> {
        RedisCluster::start_nodes(test, 1)
    }

    fn start_nodes(test: &str, replicas: usize) -> Option<RedisCluster> {
        let server = find_or_skip("redis-server", "redis-server", test)?;
        let cli = find_or_skip("redis-cli", "redis-tools", test)?;
        let nodes: Vec<RedisServer> = (0..3 * (1 + replicas))
            .map(|_| RedisServer::start_cluster_node(server.clone()))
            .collect();
        if replicas > 0 {
            for node in &nodes {
                let () = redis::cmd("CONFIG")
                    .arg("SET")
                    .arg("cluster-node-timeout")
                    .arg("1000")
                    .query(&mut node.client(0))
                    .unwrap();
            }
        }
        let out = Command::new(&cli)
            .args(["--cluster", "create"])
            .args(nodes.iter().map(|n| format!("127.0.0.1:{}", n.port())))
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .expect("redis-cli runs");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = RedisCluster { nodes };
        cluster.wait_until_ok();
        Some(cluster)
    }

    /// Waits until every node reports `cluster_state:ok` and knows all of them.
    fn wait_until_ok(&self) {
        let known = format!("cluster_known_nodes:{}", self.nodes.len());
        let deadline = Instant::now() + FORM_TIMEOUT;
        for node in &self.nodes {
            let mut conn = node.client(0);
            loop {
                let info: String = redis::cmd("CLUSTER").arg("INFO").query(&mut conn).unwrap();
                let ok = info.lines().any(|l| l.trim() == "cluster_state:ok")
                    && info.lines().any(|l| l.trim() == known);
                if ok {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster did not form in time: {info}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`.
    pub fn url(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port()))
            .collect();
        format!("redis+cluster://{}", nodes.join(","))
    }

    /// The nodes (each a plain client away, for DBSIZE and the like).
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Kills every node (SIGKILL).
    pub fn kill_all(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }

    /// Starts every node again on its port, from its config file (its id
    /// and slots, no keys), and waits until the cluster is ok again.
    pub fn restart_all(&mut self) {
        for node in &mut self.nodes {
            node.restart();
        }
        self.wait_until_ok();
    }

    /// Kills node `i` (SIGKILL) and keeps it down.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Whether node `i` is a primary now (`ROLE`).
    pub fn is_primary(&self, i: usize) -> bool {
        let role: Vec<redis::Value> = redis::cmd("ROLE")
            .query(&mut self.nodes[i].client(0))
            .unwrap();
        matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master")
    }

    /// Blocks until every primary's writes so far are on its replica
    /// (`WAIT 1` on each primary, asked again for up to a minute: on a
    /// loaded machine a replica may still be in its first full sync when
    /// the cluster already says ok, and it acknowledges nothing before).
    pub fn wait_replicated(&self) {
        for i in 0..self.nodes.len() {
            if self.is_primary(i) {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
                loop {
                    let acked: i64 = redis::cmd("WAIT")
                        .arg(1)
                        .arg(2000)
                        .query(&mut self.nodes[i].client(0))
                        .unwrap();
                    if acked == 1 {
                        break;
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "node {i}'s replica did not acknowledge in a minute"
                    );
                }
            }
        }
    }

    /// How many keys each node holds, in node order.
    pub fn keys_per_node(&self) -> Vec<u64> {
        self.nodes
            .iter()
            .map(|n| redis::cmd("DBSIZE").query(&mut n.client(0)).unwrap())
            .collect()
    }
}
