//! A devnet (`strongroom devnet up`) driven by a test: its nodes' metrics, SIGKILL and
//! restart of one node, and clients of the consortium's admins.
// Each test binary uses part of these.
#![allow(dead_code)]

pub mod proxy;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use strongroom_client::Client;
use strongroom_enclave::governance::{GovernanceInvocation, ProposedChange, Threshold};
use strongroom_identity::Member;
use strongroom_tee::{CodeIdentity, MeasurementPattern, PlatformKind, Policy};

/// How long a poll loop may wait before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// A node of the devnet.
#[derive(Clone, Debug)]
pub struct Node {
    /// Raft id.
    pub id: u64,
    /// `https://localhost:PORT`.
    pub api: String,
    /// `127.0.0.1:PORT` of /metrics.
    pub ops: String,
    /// `127.0.0.1:PORT` of its peer listener.
    pub peer: String,
    /// Its settings file.
    pub config: PathBuf,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Its log.
    pub log: PathBuf,
    /// Its process.
    pub pid: u32,
}

/// A running devnet; its nodes are SIGKILLed on drop if still running.
#[derive(Debug)]
pub struct Devnet {
    /// The devnet's directory.
    pub dir: PathBuf,
    /// The nodes, by index (node id - 1).
    pub nodes: Vec<Node>,
    /// Organization directories (CA and `admin`), by index.
    pub orgs: Vec<PathBuf>,
    /// Nodes this test restarted (its children, reaped here).
    restarted: Vec<Child>,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

impl Devnet {
    /// `strongroom devnet up --nodes N --orgs K --dir DIR --json`.
    pub fn up(dir: &Path, nodes: u64, orgs: u64) -> Self {
        Self::up_with(dir, nodes, orgs, &[])
    }

    /// `devnet up` as [`Devnet::up`], with `extra` arguments.
    pub fn up_with(dir: &Path, nodes: u64, orgs: u64, extra: &[&str]) -> Self {
        Self::up_with_env(dir, nodes, orgs, extra, &[])
    }

    /// `devnet up` as [`Devnet::up_with`], with `envs` added to its environment, which
    /// its nodes inherit (AWS credentials, say).
    pub fn up_with_env(
        dir: &Path,
        nodes: u64,
        orgs: u64,
        extra: &[&str],
        envs: &[(&str, &str)],
    ) -> Self {
        let out = Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .args(["devnet", "up", "--json", "--nodes", &nodes.to_string()])
            .args(["--orgs", &orgs.to_string(), "--dir"])
            .arg(dir)
            .args(extra)
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        if !out.status.success() {
            // Stop what started, so that a failed test leaves no node behind.
            let _ = Command::new(env!("CARGO_BIN_EXE_strongroom"))
                .args(["devnet", "down", "--dir"])
                .arg(dir)
                .output();
            panic!("devnet up failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        Self::from_json(dir, &out.stdout)
    }

    /// The devnet that `devnet up --json` described in `json`, in `dir`.
    pub fn from_json(dir: &Path, json: &[u8]) -> Self {
        let devnet: Value = serde_json::from_slice(json).unwrap();
        let node = |n: &Value| Node {
            id: n["id"].as_u64().unwrap(),
            api: text(&n["api"]),
            ops: text(&n["ops"]).trim_start_matches("http://").to_owned(),
            peer: text(&n["peer"]),
            config: PathBuf::from(text(&n["config"])),
            data_dir: PathBuf::from(text(&n["data_dir"])),
            log: PathBuf::from(text(&n["log"])),
            pid: u32::try_from(n["pid"].as_u64().unwrap()).unwrap(),
        };
        Self {
            dir: dir.to_path_buf(),
            nodes: devnet["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(node)
                .collect(),
            orgs: (devnet["orgs"].as_array().unwrap().iter())
                .map(|o| PathBuf::from(text(&o["dir"])))
                .collect(),
            restarted: Vec::new(),
        }
    }

    /// `--node API --node-cert CERT --allow-insecure-simulation --json` for node `i`.
    pub fn connection_args(&self, i: usize) -> Vec<String> {
        vec![
            "--node".into(),
            self.nodes[i].api.clone(),
            "--node-cert".into(),
            self.nodes[i]
                .data_dir
                .join("tls")
                .join("cert.pem")
                .display()
                .to_string(),
            "--allow-insecure-simulation".into(),
            "--json".into(),
        ]
    }

    /// A gauge of node `i`'s /metrics, if it answers.
    pub fn gauge(&self, i: usize, name: &str) -> Option<u64> {
        let mut stream = TcpStream::connect(&self.nodes[i].ops).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    }

    /// Whether node `i`'s process runs.
    pub fn alive(&self, i: usize) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.nodes[i].pid)) else {
            return false;
        };
        !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    }

    /// The index of the node every running node names as leader, once they agree.
    pub fn wait_for_leader(&self) -> usize {
        let started = Instant::now();
        loop {
            let named: Vec<Option<u64>> = (0..self.nodes.len())
                .filter(|&i| self.alive(i))
                .map(|i| self.gauge(i, "strongroom_raft_leader_id"))
                .collect();
            if let Some(Some(leader)) = named.first()
                && *leader > 0
                && named.iter().all(|n| *n == Some(*leader))
            {
                let index = usize::try_from(*leader - 1).unwrap();
                if self.alive(index) {
                    return index;
                }
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the running nodes never agreed on a leader: {named:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until every node has applied as far as node `reference` had when called.
    pub fn wait_caught_up(&self) {
        let started = Instant::now();
        loop {
            let applied: Vec<Option<u64>> = (0..self.nodes.len())
                .map(|i| self.gauge(i, "strongroom_ledger_sequence"))
                .collect();
            if applied.iter().all(|a| a.is_some() && *a == applied[0]) {
                return;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the nodes never reached the same ledger sequence: {applied:?}\n{}",
                (0..self.nodes.len())
                    .map(|i| self.describe(i))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL to node `i`; returns once its process is gone.
    pub fn sigkill(&mut self, i: usize) {
        let pid =
            rustix::process::Pid::from_raw(i32::try_from(self.nodes[i].pid).unwrap()).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
        for child in &mut self.restarted {
            if child.id() == self.nodes[i].pid {
                let _ = child.wait();
            }
        }
        let started = Instant::now();
        while self.alive(i) {
            assert!(started.elapsed() < DEADLINE, "node {i} survived SIGKILL");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM to node `i` (a graceful stop); returns once its process is gone.
    pub fn sigterm(&mut self, i: usize) {
        let pid =
            rustix::process::Pid::from_raw(i32::try_from(self.nodes[i].pid).unwrap()).unwrap();
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
        for child in &mut self.restarted {
            if child.id() == self.nodes[i].pid {
                let _ = child.wait();
            }
        }
        let started = Instant::now();
        while self.alive(i) {
            assert!(
                started.elapsed() < DEADLINE,
                "node {i} did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts node `i` again on its settings and data; returns once it serves metrics
    /// and names a leader.
    pub fn restart(&mut self, i: usize) {
        let log = std::fs::File::options()
            .append(true)
            .open(&self.nodes[i].log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .args(["node", "start", "--config"])
            .arg(&self.nodes[i].config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.nodes[i].pid = child.id();
        self.restarted.push(child);
        let started = Instant::now();
        while self.gauge(i, "strongroom_raft_leader_id").unwrap_or(0) == 0 {
            assert!(
                self.alive(i),
                "node {i} exited after its restart: {}",
                self.log_tail(i)
            );
            assert!(started.elapsed() < DEADLINE, "node {i} never rejoined");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Node `i`'s Raft gauges and the last lines of its log, for a failure message.
    pub fn describe(&self, i: usize) -> String {
        let gauges: Vec<String> = [
            "raft_node_id",
            "raft_leader_id",
            "raft_term",
            "raft_applied_index",
            "raft_snapshot_index",
            "raft_voters",
            "raft_learners",
            "ledger_sequence",
        ]
        .iter()
        .map(|g| format!("{g}={:?}", self.gauge(i, &format!("strongroom_{g}"))))
        .collect();
        format!(
            "--- node {i} (alive: {}): {}\n{}",
            self.alive(i),
            gauges.join(" "),
            self.log_tail(i)
        )
    }

    /// The last lines of node `i`'s log.
    pub fn log_tail(&self, i: usize) -> String {
        let text = std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Moves node `i`'s peer listener behind `proxies`: the node restarts listening
    /// (and calling its peers) on [`proxy::node_ip`], while its peers keep reaching it
    /// at the address they know, where the proxy now listens.
    pub fn route_peers_through(&mut self, i: usize, proxies: &proxy::Proxies) {
        let id = self.nodes[i].id;
        self.sigterm(i);
        let config = std::fs::read_to_string(&self.nodes[i].config).unwrap();
        let line = config
            .lines()
            .find(|l| l.starts_with("peer_listen = "))
            .unwrap()
            .to_owned();
        let front: std::net::SocketAddr = line
            .trim_start_matches("peer_listen = ")
            .trim_matches('"')
            .parse()
            .unwrap();
        let back = std::net::TcpListener::bind((proxy::node_ip(id), 0))
            .unwrap()
            .local_addr()
            .unwrap();
        let rewired = config.replace(
            &line,
            &format!("peer_listen = \"{back}\"\npeer_advertise = \"{front}\""),
        );
        std::fs::write(&self.nodes[i].config, rewired).unwrap();
        proxies.serve(id, front, back);
        self.restart(i);
    }

    /// Stops every node, then checks that every node's ledger verifies and is the
    /// same (`ledger verify` reports alike); returns that report.
    pub fn stop_and_compare_ledgers(&mut self) -> String {
        self.stop_all();
        let reports: Vec<String> = self
            .nodes
            .iter()
            .map(|n| ledger_report(&n.data_dir))
            .collect();
        for (i, report) in reports.iter().enumerate().skip(1) {
            assert_eq!(
                &reports[0],
                report,
                "nodes 1 and {} hold the same ledger",
                i + 1
            );
        }
        reports[0].clone()
    }

    /// The admin of organization `k`.
    pub fn admin(&self, k: usize) -> Member {
        Member::load(&self.orgs[k], "admin", None).unwrap()
    }

    /// SIGTERM to every node, and waits until each stopped.
    pub fn stop_all(&mut self) {
        for i in 0..self.nodes.len() {
            if self.alive(i) {
                let pid = rustix::process::Pid::from_raw(i32::try_from(self.nodes[i].pid).unwrap())
                    .unwrap();
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
        }
        for child in &mut self.restarted {
            let _ = child.wait();
        }
        let started = Instant::now();
        while (0..self.nodes.len()).any(|i| self.alive(i)) {
            assert!(
                started.elapsed() < DEADLINE,
                "a node did not stop on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Devnet {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            if self.alive(i)
                && let Some(pid) =
                    rustix::process::Pid::from_raw(i32::try_from(self.nodes[i].pid).unwrap_or(0))
            {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        for child in &mut self.restarted {
            let _ = child.wait();
        }
    }
}

/// A node started by a test to join a devnet (`strongroom node start --join`).
pub struct Joiner {
    pub child: Child,
    pub data_dir: PathBuf,
    /// Its stdout and stderr.
    pub log: PathBuf,
}

impl Joiner {
    /// Waits until the joiner stops (it was refused); its exit status and log.
    pub fn wait_stopped(&mut self) -> (std::process::ExitStatus, String) {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "the joiner neither joined nor stopped"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (
            status,
            std::fs::read_to_string(&self.log).unwrap_or_default(),
        )
    }
}

impl Drop for Joiner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Devnet {
    /// Carries `change` by vote of the first two organizations: Org1's admin proposes,
    /// Org2's votes for it; asserts that it was enacted (a majority of two or three).
    pub fn carry(&self, change: ProposedChange) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let client = connect(&self.nodes[0].api).await.unwrap();
            let proposal = client
                .govern(
                    &self.admin(0),
                    &GovernanceInvocation::Propose {
                        change,
                        description: "carried by the test".into(),
                        expires_at_ms: None,
                    },
                )
                .await
                .unwrap();
            let carried = client
                .govern(
                    &self.admin(1),
                    &GovernanceInvocation::Vote {
                        proposal: proposal.value.id,
                        approve: true,
                    },
                )
                .await
                .unwrap();
            assert_eq!(
                carried.value.status,
                strongroom_enclave::governance::ProposalStatus::Enacted
            );
        });
    }

    /// Enrolls node `name` with organization `org`'s CA under `dir` and starts it as
    /// node `node_id`, joining through the founding node's peer listener.
    pub fn spawn_joiner(&self, dir: &Path, org: usize, name: &str, node_id: u64) -> Joiner {
        let out = Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .args(["node", "enroll", "--ca"])
            .arg(&self.orgs[org])
            .args(["--name", name, "--san", "127.0.0.1", "--out"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let data_dir = dir.join("data");
        let log = dir.join("node.log");
        let output = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_strongroom"))
            .args(["node", "start", "--data-dir"])
            .arg(&data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", port()))
            .arg("--peer-listen")
            .arg(format!("127.0.0.1:{}", port()))
            .args([
                "--node-id",
                &node_id.to_string(),
                "--join",
                &self.nodes[0].peer,
            ])
            .arg("--node-certificate")
            .arg(dir.join(format!("{name}.pem")))
            .args(self.orgs.iter().enumerate().flat_map(|(i, dir)| {
                [
                    "--org".to_owned(),
                    format!("Org{}MSP={}", i + 1, dir.join("ca.pem").display()),
                ]
            }))
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .unwrap();
        Joiner {
            child,
            data_dir,
            log,
        }
    }
}

/// The policy that accepts this build's simulated nodes. INSECURE, for tests.
pub fn sim_policy() -> Policy {
    Policy::new().with_allow_simulated(true).with_allowed(
        PlatformKind::Sim,
        MeasurementPattern::Exact(CodeIdentity::of_this_build().measurement()),
    )
}

/// A client of the node at `url`, its attestation verified.
pub async fn connect(url: &str) -> Result<Client, strongroom_client::ClientError> {
    Client::connect(url, None, &sim_policy()).await
}

/// A write: a governance proposal described by `description`.
pub fn propose(description: &str) -> GovernanceInvocation {
    GovernanceInvocation::Propose {
        change: ProposedChange::SetThreshold {
            threshold: Threshold::Majority,
        },
        description: description.to_owned(),
        expires_at_ms: None,
    }
}

/// `strongroom ledger verify DIR` of a stopped node's data directory.
pub fn ledger_report(data_dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_strongroom"))
        .args(["ledger", "verify"])
        .arg(data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ledger verify {}: {}",
        data_dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
