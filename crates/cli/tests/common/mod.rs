//! Process helpers for the tests that run `strongroom` as separate processes over real
//! HTTPS: organizations and members made with the CLI, a `strongroom node start` child
//! process (killed on drop), and CLI calls as a member.
// Each test binary uses part of these.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long any poll loop may wait before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The refusal a member gets for something it may not see, and for nothing at all.
pub const REFUSAL: &str = "strongroom: error: refused: not found or not allowed";

/// A `strongroom` command with `args`.
pub fn strongroom<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(env!("CARGO_BIN_EXE_strongroom"));
    command.args(args);
    command
}

/// Runs a command to completion.
pub fn output(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().unwrap()
}

/// Asserts that a command succeeded; returns its stdout.
pub fn succeeded(what: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Asserts that a command failed with exactly one `strongroom: error:` line and printed
/// nothing on stdout; returns its whole stderr.
pub fn failed(what: &str, out: &Output) -> String {
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    assert!(
        !out.status.success(),
        "{what} should have failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "{what} printed on failure: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let errors = stderr
        .lines()
        .filter(|l| l.starts_with("strongroom: error: "))
        .count();
    assert_eq!(errors, 1, "{what}: one error line expected: {stderr}");
    stderr
}

/// The last line of a failure's stderr: its error.
pub fn error_line(stderr: &str) -> &str {
    stderr.lines().last().unwrap_or("")
}

/// Polls `probe` until it returns a value; fails the test after [`DEADLINE`].
pub fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "gave up after {DEADLINE:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a child to exit, at most [`DEADLINE`]; kills it and fails otherwise.
pub fn wait_for_exit(what: &str, child: &mut Child) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() >= DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The arguments of `task request` over one dataset.
pub fn task_request<'a>(dataset: &'a str, algorithm: &'a str, parameters: &'a str) -> [&'a str; 8] {
    [
        "task",
        "request",
        "--dataset",
        dataset,
        "--algorithm",
        algorithm,
        "--parameters",
        parameters,
    ]
}

/// `access request` arguments: `dataset` for `purpose`, with each of `algorithms`.
pub fn access_request<'a>(
    dataset: &'a str,
    purpose: &'a str,
    algorithms: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "access",
        "request",
        "--dataset",
        dataset,
        "--purpose",
        purpose,
    ];
    for algorithm in algorithms {
        args.extend(["--algorithm", algorithm]);
    }
    args
}

/// A JSON string's text.
pub fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// An id of the same shape as `id` that names nothing: every character after the
/// prefix replaced (`task-6df6…` becomes `task-0000…`).
pub fn bogus_id(id: &str) -> String {
    let (prefix, rest) = id.split_once('-').unwrap();
    let zeros = if rest.chars().all(|c| c == '0') {
        "1"
    } else {
        "0"
    };
    format!("{prefix}-{}", zeros.repeat(rest.len()))
}

/// An organization made with `strongroom org init`.
#[derive(Clone, Debug)]
pub struct Org {
    /// Its MSP id.
    pub msp: String,
    /// Its directory: CA, members' credentials and keys.
    pub dir: PathBuf,
}

impl Org {
    /// `strongroom org init --msp MSP --dir BASE/MSP`.
    pub fn init(base: &Path, msp: &str) -> Self {
        let dir = base.join(msp);
        let out = output(strongroom(["org", "init", "--msp", msp, "--dir"]).arg(&dir));
        succeeded(&format!("org init {msp}"), &out);
        assert!(dir.join("ca.pem").is_file() && dir.join("ca.key.pem").is_file());
        Self {
            msp: msp.to_owned(),
            dir,
        }
    }

    /// `strongroom member enroll` into the organization's directory.
    pub fn enroll(&self, name: &str, role: &str) -> Member {
        let out = output(
            strongroom(["member", "enroll", "--ca"])
                .arg(&self.dir)
                .args(["--name", name, "--role", role, "--out"])
                .arg(&self.dir),
        );
        succeeded(&format!("member enroll {name}"), &out);
        assert!(self.dir.join(format!("{name}.pem")).is_file());
        Member {
            identity: self.dir.clone(),
            name: name.to_owned(),
        }
    }

    /// `--org MSP=DIR/ca.pem` for `node start`.
    pub fn genesis_flag(&self) -> String {
        format!("{}={}", self.msp, self.dir.join("ca.pem").display())
    }
}

/// A member's credentials on disk.
#[derive(Clone, Debug)]
pub struct Member {
    /// `--identity`.
    pub identity: PathBuf,
    /// `--member`.
    pub name: String,
}

static NODE_STARTS: AtomicUsize = AtomicUsize::new(0);

/// A `strongroom node start` child process; SIGKILLed on drop if still running.
#[derive(Debug)]
pub struct NodeProcess {
    child: Child,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// `https://localhost:PORT`.
    pub url: String,
    stderr_log: PathBuf,
}

impl NodeProcess {
    /// Starts a node on `data_dir` (port 0) and waits for its "listening" line. Its
    /// stdout and stderr go to files beside the data directory.
    pub fn start(data_dir: &Path, orgs: &[&Org]) -> Self {
        Self::start_with(data_dir, orgs, &[])
    }

    /// Starts a node as [`NodeProcess::start`] does, with `extra` arguments.
    pub fn start_with(data_dir: &Path, orgs: &[&Org], extra: &[&str]) -> Self {
        let n = NODE_STARTS.fetch_add(1, Ordering::Relaxed);
        let logs = data_dir.parent().unwrap();
        let stdout_log = logs.join(format!("node-{n}.stdout"));
        let stderr_log = logs.join(format!("node-{n}.stderr"));
        let mut command = strongroom(["node", "start", "--data-dir"]);
        command
            .arg(data_dir)
            .args(["--listen", "127.0.0.1:0", "--signature-every-ms", "50"]);
        for org in orgs {
            command.arg("--org").arg(org.genesis_flag());
        }
        command.args(extra);
        let child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(File::create(&stdout_log).unwrap())
            .stderr(File::create(&stderr_log).unwrap())
            .spawn()
            .unwrap();
        let mut node = Self {
            child,
            data_dir: data_dir.to_path_buf(),
            url: String::new(),
            stderr_log,
        };
        let port = wait_until("the node's listening line", || {
            if let Some(status) = node.child.try_wait().unwrap() {
                panic!(
                    "the node exited ({status}) before listening: {}",
                    node.stderr()
                );
            }
            let stdout = std::fs::read_to_string(&stdout_log).unwrap();
            let rest = stdout
                .lines()
                .find_map(|l| l.strip_prefix("strongroom node listening on https://127.0.0.1:"))?;
            let (port, _) = rest.split_once(' ')?;
            Some(port.parse::<u16>().unwrap())
        });
        node.url = format!("https://localhost:{port}");
        node
    }

    /// Everything the node wrote on stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
    }

    /// Its TLS certificate, pinned by clients.
    pub fn cert(&self) -> PathBuf {
        self.data_dir.join("tls").join("cert.pem")
    }

    /// The node's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `--node URL --node-cert CERT --allow-insecure-simulation --json`.
    pub fn connection_args(&self) -> Vec<String> {
        vec![
            "--node".into(),
            self.url.clone(),
            "--node-cert".into(),
            self.cert().display().to_string(),
            "--allow-insecure-simulation".into(),
            "--json".into(),
        ]
    }

    /// A networked command `args` as `member`, with `--json`.
    pub fn command(&self, member: &Member, args: &[&str]) -> Command {
        let mut command = strongroom(args);
        command
            .args(self.connection_args())
            .arg("--identity")
            .arg(&member.identity)
            .args(["--member", &member.name]);
        command
    }

    /// Runs `args` as `member`; asserts success and returns the JSON it printed.
    pub fn json(&self, member: &Member, args: &[&str]) -> Value {
        let out = output(&mut self.command(member, args));
        let stdout = succeeded(&format!("{} {args:?}", member.name), &out);
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {stdout}"))
    }

    /// Runs `args` as `member`; asserts it failed and returns its whole stderr.
    pub fn refused(&self, member: &Member, args: &[&str]) -> String {
        let out = output(&mut self.command(member, args));
        failed(&format!("{} {args:?}", member.name), &out)
    }

    /// `task show ID --json`: the task's status.
    pub fn task_status(&self, member: &Member, task: &str) -> String {
        self.json(member, &["task", "show", task])["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `analyzer run --once --work-dir WORK --json` as `analyzer`: asserts success and
    /// returns the JSON line it printed for each task it handled.
    pub fn run_analyzer_once(&self, analyzer: &Member, work_dir: &Path) -> Vec<Value> {
        let work = work_dir.to_str().unwrap();
        let out =
            output(&mut self.command(analyzer, &["analyzer", "run", "--once", "--work-dir", work]));
        succeeded("analyzer run --once", &out)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// SIGKILL: the node gets no chance to finish anything.
    pub fn sigkill(mut self) {
        // `Child::kill` sends SIGKILL on Unix.
        self.child.kill().unwrap();
        let status = self.child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "the node died of SIGKILL: {status}"
        );
    }

    /// SIGTERM, then waits for the graceful stop; returns the exit status.
    pub fn stop(mut self) -> ExitStatus {
        let out = output(Command::new("kill").args(["-TERM", &self.pid().to_string()]));
        succeeded("kill -TERM", &out);
        wait_for_exit("the node after SIGTERM", &mut self.child)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `strongroom ledger verify DIR [--service-key KEY]` on a stopped node's data
/// directory; asserts it passes and returns its report.
pub fn verify_ledger(data_dir: &Path, service_key: Option<&Path>) -> String {
    let mut command = strongroom(["ledger", "verify"]);
    command.arg(data_dir);
    if let Some(key) = service_key {
        command.arg("--service-key").arg(key);
    }
    let stdout = succeeded("ledger verify", &output(&mut command));
    assert!(stdout.starts_with("ledger ok: "), "{stdout}");
    stdout
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example algorithm `name` (such as `count_by_group`), built for wasm32 by
/// scripts/build-algorithms.sh.
pub fn example(name: &str) -> PathBuf {
    let status = std::process::Command::new("bash")
        .arg(root().join("scripts/build-algorithms.sh"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "scripts/build-algorithms.sh failed");
    root().join(format!(
        "target/algorithms/wasm32-unknown-unknown/release/{name}.wasm"
    ))
}

/// A file of the shared third-party test data (`../shared/data/PATH`).
pub fn shared_data(path: &str) -> PathBuf {
    let path = root().join("../shared/data").join(path);
    assert!(
        path.is_file(),
        "shared test data missing: {}",
        path.display()
    );
    path
}

/// The real Synthea patients of the shared test data.
pub fn synthea_patients() -> PathBuf {
    let path = root().join("../shared/data/synthea/apr2020_1k/patients.csv");
    assert!(
        path.is_file(),
        "Synthea test data missing: {}",
        path.display()
    );
    path
}

/// The test's own count of RACE over `patients`, as a released count-by-group table
/// shows it with threshold `k`: `{"name": "wasm_table", "result": {...}}`.
pub fn race_table(patients: &Path, k: u64) -> Value {
    let mut reader = csv::Reader::from_path(patients).unwrap();
    let race = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "RACE")
        .unwrap();
    let mut counts: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for record in reader.records() {
        *counts.entry(record.unwrap()[race].to_owned()).or_default() += 1;
    }
    let rows: Vec<Value> = counts
        .iter()
        .filter(|(_, n)| **n >= k)
        .map(|(race, n)| serde_json::json!({"labels": [race], "count": n, "cells": {}}))
        .collect();
    let withheld = counts.values().filter(|n| **n < k).count();
    serde_json::json!({"name": "wasm_table", "result": {"k": k, "rows": rows, "withheld_groups": withheld}})
}
