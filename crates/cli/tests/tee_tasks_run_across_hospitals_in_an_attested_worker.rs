//! A task over three hospitals' datasets runs in an attested worker, end to end
//! between processes over HTTPS: a node started with a worker policy that accepts
//! this build's (simulated) worker, three hospitals each holding a share of the real
//! Synthea patients (`data put --tee`), a lab that requests a TEE-mode task over all
//! three, each hospital's approval, and `strongroom worker` processes of the lab.
//! The combined result equals the test's own count over the unsplit file; each
//! hospital's audit trail shows its key released to the worker's measurement; a
//! worker killed mid-task leaves the task to a second worker once its lease runs out.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::{Member, NodeProcess, Org, output, succeeded, text};

const K: u64 = 11;
const HOSPITALS: [&str; 3] = ["Hosp1MSP", "Hosp2MSP", "Hosp3MSP"];

fn patients() -> PathBuf {
    common::synthea_patients()
}

fn count_by_group() -> PathBuf {
    common::example("count_by_group")
}

/// A module that keeps to the ABI and spins for a few seconds before it emits
/// nothing: long enough to kill its worker mid-task.
fn slow_module(dir: &Path) -> PathBuf {
    let wasm = wat::parse_str(
        r#"(module
          (memory (export "memory") 1)
          (func (export "run") (result i32)
            (local $i i64)
            (loop $spin
              (local.set $i (i64.add (local.get $i) (i64.const 1)))
              (br_if $spin (i64.lt_u (local.get $i) (i64.const 4000000000))))
            (i32.const 0)))"#,
    )
    .unwrap();
    let path = dir.join("slow.wasm");
    std::fs::write(&path, wasm).unwrap();
    path
}

/// Splits the patients file by row into three shares (every patient in exactly one).
fn shares(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(patients()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let mut parts = vec![vec![header.to_owned()]; 3];
    for (i, line) in lines.enumerate() {
        parts[i % 3].push(line.to_owned());
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, rows)| {
            let share = dir.join(format!("share-{}", i + 1));
            std::fs::create_dir_all(&share).unwrap();
            let path = share.join("patients.csv");
            std::fs::write(&path, rows.join("\n") + "\n").unwrap();
            path
        })
        .collect()
}

struct Consortium {
    node: NodeProcess,
    owners: Vec<Member>,
    rita: Member,
    workers: Vec<Member>,
    datasets: Vec<String>,
    base: PathBuf,
}

fn consortium(base: &Path) -> Consortium {
    consortium_with(base, &[])
}

/// A consortium whose hospitals put their shares with `put_args` added.
fn consortium_with(base: &Path, put_args: &[&str]) -> Consortium {
    let hospitals: Vec<Org> = HOSPITALS.iter().map(|msp| Org::init(base, msp)).collect();
    let lab = Org::init(base, "LabMSP");
    let owners: Vec<Member> = hospitals
        .iter()
        .map(|h| h.enroll("owner", "owner"))
        .collect();
    let rita = lab.enroll("rita", "analyst");
    let workers = vec![
        lab.enroll("worker1", "executor"),
        lab.enroll("worker2", "executor"),
    ];
    // The worker policy: the measurement `worker measurement` prints for this build.
    let out = output(common::strongroom(["worker", "measurement"]).stdin(Stdio::null()));
    let measurement = succeeded("worker measurement", &out).trim().to_owned();
    let policy = base.join("worker-policy.toml");
    std::fs::write(
        &policy,
        format!("allow_simulated = true\n[[allow]]\nplatform = \"sim\"\nmeasurement = \"{measurement}\"\n"),
    )
    .unwrap();
    let mut orgs: Vec<&Org> = hospitals.iter().collect();
    orgs.push(&lab);
    let node = NodeProcess::start_with(
        &base.join("node"),
        &orgs,
        &["--worker-policy", policy.to_str().unwrap()],
    );
    let mut datasets = Vec::new();
    for (owner, share) in owners.iter().zip(shares(base)) {
        let mut args = vec![
            "data",
            "put",
            "--name",
            "Patients",
            "--purpose",
            "research",
            "--tee",
            "--quiet",
        ];
        args.extend(put_args);
        args.push(share.to_str().unwrap());
        let put = node.json(owner, &args);
        datasets.push(text(&put["id"]).to_owned());
    }
    Consortium {
        node,
        owners,
        rita,
        workers,
        datasets,
        base: base.to_path_buf(),
    }
}

impl Consortium {
    /// Registers `module`, requests a TEE task with it over the three datasets
    /// (counting RACE of patients.csv, with `parameters`), installs the module for
    /// the workers, and has every hospital approve; the task id.
    fn approved_task(&self, module: &Path, name: &str, parameters: &Value) -> String {
        self.approved_task_with(module, name, parameters, &[], &[])
    }

    /// As [`Consortium::approved_task`], with `register` added to `algorithm register`
    /// and `request` to `task request`.
    fn approved_task_with(
        &self,
        module: &Path,
        name: &str,
        parameters: &Value,
        register: &[&str],
        request: &[&str],
    ) -> String {
        let id = self.requested_task(module, name, parameters, register, request);
        for owner in &self.owners {
            self.node.json(owner, &["task", "approve", &id]);
        }
        assert_eq!(self.node.task_status(&self.rita, &id), "approved");
        id
    }

    /// Registers `module` and requests a TEE task with it over the three datasets;
    /// the task id, pending the hospitals' approvals.
    fn requested_task(
        &self,
        module: &Path,
        name: &str,
        parameters: &Value,
        register: &[&str],
        request: &[&str],
    ) -> String {
        let modules = self.modules();
        let mut args = vec![
            "algorithm",
            "register",
            "--wasm",
            module.to_str().unwrap(),
            "--name",
            name,
            "--description",
            "a module",
            "--install",
            modules.to_str().unwrap(),
        ];
        args.extend(register);
        let registered = self.node.json(&self.rita, &args);
        let algorithm = text(&registered["id"]).to_owned();
        let parameters = parameters.to_string();
        let mut args = vec![
            "task",
            "request",
            "--tee",
            "--algorithm",
            &algorithm,
            "--parameters",
            &parameters,
            "--columns",
            "RACE",
        ];
        for dataset in &self.datasets {
            args.extend(["--dataset", dataset]);
        }
        args.extend(request);
        let task = self.node.json(&self.rita, &args);
        assert_eq!(task["mode"], "tee", "{task}");
        assert_eq!(task["status"], "pending_approval", "{task}");
        text(&task["id"]).to_owned()
    }

    fn modules(&self) -> PathBuf {
        self.base.join("worker-modules")
    }

    /// `worker run` as `worker`, with `extra` arguments; stdout to a file.
    fn worker(&self, worker: &Member, extra: &[&str]) -> (Child, PathBuf) {
        let log = self.base.join(format!("{}.stdout", worker.name));
        let work = self.base.join(format!("{}-work", worker.name));
        let modules = self.modules();
        let mut args = vec![
            "worker",
            "run",
            "--work-dir",
            work.to_str().unwrap(),
            "--modules",
            modules.to_str().unwrap(),
        ];
        args.extend(extra);
        let child = self
            .node
            .command(worker, &args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("stderr")).unwrap())
            .spawn()
            .unwrap();
        (child, log)
    }

    /// The `key_released` events of `task` on each hospital's audit trail.
    fn releases(&self, task: &str) -> Vec<Vec<Value>> {
        self.owners
            .iter()
            .zip(&self.datasets)
            .map(|(owner, dataset)| {
                let trail = self.node.json(owner, &["data", "audit", dataset]);
                trail
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|e| e["action"] == "key_released" && e["subject"] == task)
                    .cloned()
                    .collect()
            })
            .collect()
    }
}

fn expected_table() -> Value {
    common::race_table(&patients(), K)
}

#[test]
fn the_combined_result_of_three_hospitals_equals_the_count_over_their_union() {
    let temp = tempfile::tempdir().unwrap();
    let c = consortium(temp.path());
    let task = c.approved_task(
        &count_by_group(),
        "count-by-group",
        &json!({"file": "patients.csv"}),
    );
    let (mut worker, log) = c.worker(&c.workers[0], &["--once"]);
    let status = common::wait_for_exit("worker run --once", &mut worker);
    let printed = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{printed}");
    assert!(printed.contains("\"succeeded\""), "{printed}");
    let got = c.node.json(&c.rita, &["result", "get", &task]);
    assert_eq!(got["result"], expected_table()["result"], "{got}");
    // Each hospital's trail: one release of its key for this task, to the worker's build.
    let measurement = succeeded(
        "worker measurement",
        &output(common::strongroom(["worker", "measurement"]).stdin(Stdio::null())),
    )
    .trim()
    .to_owned();
    for (hospital, releases) in HOSPITALS.iter().zip(c.releases(&task)) {
        assert_eq!(releases.len(), 1, "{hospital}: {releases:?}");
        assert_eq!(
            releases[0]["released_to"]["measurement"],
            measurement.as_str()
        );
        assert_eq!(releases[0]["released_to"]["platform"], "sim");
        assert_eq!(releases[0]["actor"]["name"], "worker1");
    }
}

#[test]
fn data_stored_for_attested_workers_only_is_analysed_by_them_alone() {
    let temp = tempfile::tempdir().unwrap();
    let c = consortium_with(temp.path(), &["--tee-only"]);
    for (owner, dataset) in c.owners.iter().zip(&c.datasets) {
        let shown = c.node.json(owner, &["data", "show", dataset]);
        let recipients: Vec<&str> = shown["wrapped_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| text(&k["recipient"]))
            .collect();
        assert_eq!(recipients, ["tee:key-release"], "{shown}");
    }
    let task = c.approved_task(
        &count_by_group(),
        "count-by-group",
        &json!({"file": "patients.csv"}),
    );
    let (mut worker, log) = c.worker(&c.workers[0], &["--once"]);
    let status = common::wait_for_exit("worker run --once", &mut worker);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let got = c.node.json(&c.rita, &["result", "get", &task]);
    assert_eq!(got["result"], expected_table()["result"], "{got}");
}

#[test]
fn a_worker_killed_mid_task_leaves_it_to_a_second_worker_after_the_lease() {
    let temp = tempfile::tempdir().unwrap();
    let c = consortium(temp.path());
    let module = slow_module(temp.path());
    let task = c.approved_task(
        &module,
        "spin",
        &json!({"file": "patients.csv",
                "limits": {"fuel": 1_000_000_000_000u64, "memory_bytes": 1u64 << 24}}),
    );
    let (mut first, _) = c.worker(&c.workers[0], &["--lease", "3", "--interval", "1"]);
    common::wait_until("the first worker's claim", || {
        (c.node.task_status(&c.rita, &task) == "running").then_some(())
    });
    first.kill().unwrap();
    first.wait().unwrap();
    // The dead worker wrote nothing: the task is still running, claimed by it.
    let shown = c.node.json(&c.rita, &["task", "show", &task]);
    assert_eq!(shown["status"], "running", "{shown}");
    assert_eq!(shown["claimant"]["name"], "worker1", "{shown}");
    let (mut second, log) = c.worker(&c.workers[1], &["--interval", "1"]);
    let started = Instant::now();
    let status = loop {
        let status = c.node.task_status(&c.rita, &task);
        if status != "running" || started.elapsed() > Duration::from_secs(240) {
            break status;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(
        status,
        "succeeded",
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let shown = c.node.json(&c.rita, &["task", "show", &task]);
    assert_eq!(shown["claimant"]["name"], "worker2", "{shown}");
    assert_eq!(shown["result"]["executor"]["name"], "worker2", "{shown}");
    // Two releases per hospital: to the dead worker's key, then to the second's.
    for (hospital, releases) in HOSPITALS.iter().zip(c.releases(&task)) {
        let by: Vec<&Value> = releases.iter().map(|e| &e["actor"]["name"]).collect();
        assert_eq!(by, [&json!("worker1"), &json!("worker2")], "{hospital}");
    }
}

#[test]
fn a_private_count_adds_noise_and_spends_each_hospital_s_budget() {
    let temp = tempfile::tempdir().unwrap();
    let c = consortium_with(temp.path(), &["--epsilon-budget", "1"]);
    // ε = 0.1: noise of scale 10 on each count.
    let task = c.approved_task_with(
        &count_by_group(),
        "private-count",
        &json!({"file": "patients.csv"}),
        &["--differentially-private"],
        &["--epsilon", "0.1"],
    );
    let (mut worker, log) = c.worker(&c.workers[0], &["--once"]);
    let status = common::wait_for_exit("worker run --once", &mut worker);
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let got = c.node.json(&c.rita, &["result", "get", &task]);
    let truth = expected_table();
    let true_counts: std::collections::BTreeMap<String, u64> = truth["result"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                text(&r["labels"][0]).to_owned(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    let rows = got["result"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{got}");
    let mut differs = false;
    for row in rows {
        let label = text(&row["labels"][0]);
        let count = row["count"].as_u64().unwrap();
        assert!(count >= K, "{got}");
        // Groups of at least K true rows, or one near K the noise lifted over it.
        if let Some(&truth) = true_counts.get(label) {
            // P(|Laplace(10)| > 200) = e^-20.
            assert!(
                count.abs_diff(truth) <= 200,
                "{label}: {count} against {truth}"
            );
            differs |= count != truth;
        }
    }
    assert!(differs, "no count carries noise: {got}");
    // Each hospital's budget: 0.1 of 1 spent by its approval.
    for (owner, dataset) in c.owners.iter().zip(&c.datasets) {
        let shown = c.node.json(owner, &["data", "show", dataset]);
        assert_eq!(shown["summary"]["epsilon_spent_micro"], 100_000, "{shown}");
    }
    // A second task wanting more than what is left of a budget is refused at approval.
    let greedy = c.requested_task(
        &count_by_group(),
        "private-count-2",
        &json!({"file": "patients.csv"}),
        &["--differentially-private"],
        &["--epsilon", "0.95"],
    );
    let refused = c.node.refused(&c.owners[0], &["task", "approve", &greedy]);
    assert!(
        refused.contains("would exceed the privacy budget"),
        "{refused}"
    );
}
