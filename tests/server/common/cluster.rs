//! Several nodes of one cluster on this machine: one Postgres database,
//! real Redis under a key prefix of the test's own (deleted afterwards),
//! each node the real binary in its own process.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use super::server::ServerProcess;

pub const REDIS: &str = "redis://127.0.0.1:6379";

pub fn need_redis() {
    let addr = "127.0.0.1:6379".parse().expect("address");
    if let Err(err) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        panic!("this test needs Redis at 127.0.0.1:6379 (scripts/test.sh starts it): {err}");
    }
}

/// A Redis key prefix no other test (or run) uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("dianabot-test:{test}:{}:{nanos}", std::process::id())
}

/// Deletes every Redis key under `prefix` (leases, tokens, the live set,
/// streams): the test leaves nothing behind.
pub async fn clear_prefix(prefix: &str) {
    let client = redis::Client::open(REDIS).expect("Redis URL");
    let mut conn = client.get_multiplexed_async_connection().await.expect("connect to Redis");
    let mut cursor = 0_u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .expect("SCAN");
        if !keys.is_empty() {
            let () = redis::cmd("DEL").arg(keys).query_async(&mut conn).await.expect("DEL");
        }
        if next == 0 {
            return;
        }
        cursor = next;
    }
}

/// `kill -<signal>` to `server`.
pub fn signal(server: &ServerProcess, signal: &str) {
    let status =
        Command::new("kill").args([format!("-{signal}"), server.child.id().to_string()]).status().expect("run kill");
    assert!(status.success(), "kill -{signal}");
}

/// Polls `server`'s metric `name` until `done` holds (20 s at most).
pub async fn metric_until(server: &ServerProcess, name: &str, done: impl Fn(f64) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = server.metric(name).await;
        if done(value) {
            return;
        }
        assert!(Instant::now() < deadline, "{name} = {value}; log:\n{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SIGTERM, then waits (60 s at most) for an exit with status 0: drained,
/// flushed, shards handed back.
async fn terminate(mut server: ServerProcess, name: &str) {
    signal(&server, "TERM");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("child status") {
            break status;
        }
        assert!(Instant::now() < deadline, "node {name} still running 60 s after SIGTERM; log:\n{}", server.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "node {name} exited with {status}; log:\n{}", server.log_text());
}

/// `dianabot cluster status` for the cluster under `prefix`.
pub fn cluster_status(database_url: &str, prefix: &str, shards: u32) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dianabot"))
        .args(["cluster", "status"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", REDIS)
        .env("CLUSTER_PREFIX", prefix)
        .env("CLUSTER_SHARDS", shards.to_string())
        .output()
        .expect("run dianabot cluster status");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    text
}

const OWNED: &str = "dianabot_cluster_shards_owned";

/// A node: its name in the cluster, its process, where it listens (kept
/// across restarts, as behind a load balancer's fixed upstream).
pub struct Node {
    pub name: String,
    pub server: Option<ServerProcess>,
    addrs: (SocketAddr, SocketAddr),
}

impl Node {
    pub fn webhook_url(&self) -> String {
        format!("http://{}/telegram/webhook", self.addrs.0)
    }
}

/// Nodes of one cluster: the same database, Redis prefix, shard count and
/// lease, each with the environment `env` besides.
pub struct Cluster {
    pub database_url: String,
    pub prefix: String,
    pub shards: u32,
    lease_ms: u64,
    env: Vec<(&'static str, String)>,
    pub nodes: Vec<Node>,
}

impl Cluster {
    /// Starts a node per name, one after the other, and waits until they
    /// split the shards evenly.
    pub async fn start(
        database_url: &str,
        prefix: &str,
        names: &[&str],
        shards: u32,
        lease_ms: u64,
        env: Vec<(&'static str, String)>,
    ) -> Cluster {
        let mut cluster = Cluster {
            database_url: database_url.to_owned(),
            prefix: prefix.to_owned(),
            shards,
            lease_ms,
            env,
            nodes: Vec::new(),
        };
        for name in names {
            let listeners = [(); 2].map(|()| std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port"));
            let addrs = listeners.each_ref().map(|listener| listener.local_addr().expect("local addr"));
            drop(listeners);
            cluster.nodes.push(Node { name: (*name).to_owned(), server: None, addrs: (addrs[0], addrs[1]) });
            cluster.launch(cluster.nodes.len() - 1).await;
        }
        cluster.wait_balanced(Duration::from_secs(60)).await;
        cluster
    }

    /// Starts node `index` (again) where it listened, and waits until it is
    /// ready: it serves at least one shard.
    async fn launch(&mut self, index: usize) {
        let node = &self.nodes[index];
        let mut env = self.env.clone();
        env.extend([
            ("REDIS_URL", REDIS.to_owned()),
            ("CLUSTER_PREFIX", self.prefix.clone()),
            ("CLUSTER_SHARDS", self.shards.to_string()),
            ("CLUSTER_LEASE_MS", self.lease_ms.to_string()),
            ("CLUSTER_NODE_ID", node.name.clone()),
        ]);
        let env: Vec<(&str, &str)> = env.iter().map(|(name, value)| (*name, value.as_str())).collect();
        let server = ServerProcess::spawn_at(&self.database_url, &env, node.addrs.0, node.addrs.1);
        server.wait_ready().await;
        self.nodes[index].server = Some(server);
    }

    /// Shards each running node serves, by its own metric.
    pub async fn owned(&self) -> Vec<(String, u32)> {
        let mut owned = Vec::new();
        for node in &self.nodes {
            if let Some(server) = &node.server {
                owned.push((node.name.clone(), server.metric(OWNED).await as u32));
            }
        }
        owned
    }

    /// Waits until the running nodes serve every shard between them, none
    /// more than its fair share; how long that took.
    pub async fn wait_balanced(&self, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let owned = self.owned().await;
            let share = self.shards.div_ceil(owned.len() as u32);
            let total: u32 = owned.iter().map(|(_, n)| n).sum();
            if total == self.shards && owned.iter().all(|(_, n)| *n <= share && *n > 0) {
                return started.elapsed();
            }
            assert!(started.elapsed() < limit, "shards not balanced in {limit:?}: {owned:?}\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the running nodes serve every shard between them;
    /// how long that took.
    pub async fn wait_all_served(&self, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let owned = self.owned().await;
            if owned.iter().map(|(_, n)| n).sum::<u32>() == self.shards {
                return started.elapsed();
            }
            assert!(started.elapsed() < limit, "shards not all served in {limit:?}: {owned:?}\n{}", self.logs());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `kill -9` node `index`: no drain, no hand-over.
    pub fn kill(&mut self, index: usize) {
        let mut server = self.nodes[index].server.take().expect("the node is running");
        server.kill_hard();
    }

    /// Starts node `index` again after [`Cluster::kill`], and waits until
    /// the shards are split evenly again.
    pub async fn rejoin(&mut self, index: usize) {
        self.launch(index).await;
        self.wait_balanced(Duration::from_secs(60)).await;
    }

    /// SIGTERM node `index` and waits for a clean exit (drained, flushed,
    /// shards handed back), then starts it again where it listened and
    /// waits until the shards are split evenly again.
    pub async fn restart(&mut self, index: usize) {
        let server = self.nodes[index].server.take().expect("the node is running");
        terminate(server, &self.nodes[index].name).await;
        self.launch(index).await;
        self.wait_balanced(Duration::from_secs(60)).await;
    }

    /// SIGTERM every running node and waits for each to exit cleanly.
    pub async fn stop(&mut self) {
        for node in &mut self.nodes {
            if let Some(server) = node.server.take() {
                terminate(server, &node.name).await;
            }
        }
    }

    /// The running nodes' logs, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .filter_map(|node| Some(format!("--- {} ---\n{}", node.name, node.server.as_ref()?.log_text())))
            .collect::<Vec<_>>()
            .join("\n")
    }
}
