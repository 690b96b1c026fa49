//! A WebAssembly algorithm, end to end through a real node and one CLI process per
//! step: Org2's analyst registers the `count-by-group` example (built for wasm32 by
//! scripts/build-algorithms.sh), asks Org1 for access with it, and requests a task over
//! the real Synthea patients; Org1's analyzer runs the module it holds under the
//! registered measurement, and the analyst reads a table equal to the test's own count
//! of the column, without the groups of fewer than k patients. (The data is put with
//! `--tee`: its key is wrapped to the node's key-release key as well.) A module file that is
//! not the approved code fails the task and releases nothing; an analyzer without the
//! module leaves the task unclaimed for one that has it.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

use common::{Member, NodeProcess, Org, access_request, example, output, text};

/// The owner's threshold: the dataset is registered without `--min-cell-size`.
const K: u64 = 11;

fn patients() -> PathBuf {
    common::synthea_patients()
}

/// Org1 (owner alice, executor analyzer) holds the Synthea patients; Org2's bob has
/// registered `count-by-group`, been granted access with it, and requested a count of
/// RACE.
struct Requested {
    node: NodeProcess,
    analyzer: Member,
    bob: Member,
    task: String,
    measurement: String,
    modules: PathBuf,
    work: PathBuf,
}

fn request_a_count_by_race(base: &Path) -> Requested {
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1, &org2]);
    let module = example("count_by_group");
    let registered = node.json(
        &bob,
        &[
            "algorithm",
            "register",
            "--wasm",
            module.to_str().unwrap(),
            "--name",
            "count-by-group",
            "--description",
            "rows per value of one column",
        ],
    );
    assert_eq!(registered["kind"], "wasm", "{registered}");
    let algorithm = text(&registered["id"]).to_owned();
    let measurement = text(&registered["measurement"]).to_owned();
    let put = node.json(
        &alice,
        &[
            "data",
            "put",
            "--name",
            "Patients",
            "--purpose",
            "research",
            "--tee",
            "--quiet",
            patients().to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    // --tee: the data key is wrapped to the node's attested key-release key as well
    // as to the organization's key, which the owner-side analyzer uses.
    let shown = node.json(&alice, &["data", "show", &dataset]);
    let recipients: Vec<&str> = shown["wrapped_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| text(&k["recipient"]))
        .collect();
    assert_eq!(recipients, ["org:Org1MSP", "tee:key-release"], "{shown}");
    let request = access_request(&dataset, "research", &[&algorithm]);
    let request = text(&node.json(&bob, &request)["id"]).to_owned();
    node.json(&alice, &["access", "approve", &request]);
    let task = node.json(
        &bob,
        &[
            "task",
            "request",
            "--dataset",
            &dataset,
            "--algorithm",
            &algorithm,
            "--parameters",
            r#"{"file": "patients.csv"}"#,
            "--columns",
            "RACE",
        ],
    );
    assert_eq!(task["status"], "approved", "{task}");
    Requested {
        node,
        analyzer,
        bob,
        task: text(&task["id"]).to_owned(),
        measurement,
        modules: base.join("org1-modules"),
        work: base.join("org1-work"),
    }
}

/// `analyzer run --once --json` with `--modules`, as the executor; its JSON lines.
fn run_analyzer(r: &Requested, modules: Option<&Path>) -> (bool, Vec<Value>) {
    let mut args = vec![
        "analyzer",
        "run",
        "--once",
        "--work-dir",
        r.work.to_str().unwrap(),
    ];
    if let Some(modules) = modules {
        args.extend(["--modules", modules.to_str().unwrap()]);
    }
    let out = output(&mut r.node.command(&r.analyzer, &args));
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    (out.status.success(), lines)
}

/// Puts `module` in the analyzer's module directory under the registered measurement.
fn install(r: &Requested, module: &Path) {
    std::fs::create_dir_all(&r.modules).unwrap();
    std::fs::copy(module, r.modules.join(format!("{}.wasm", r.measurement))).unwrap();
}

fn expected_table() -> Value {
    common::race_table(&patients(), K)
}

#[test]
fn a_wasm_task_releases_exactly_the_groups_of_at_least_k_rows() {
    let temp = tempfile::tempdir().unwrap();
    let r = request_a_count_by_race(temp.path());
    install(&r, &example("count_by_group"));
    let (ok, executed) = run_analyzer(&r, Some(&r.modules));
    assert!(ok, "{executed:?}");
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");
    let got = r.node.json(&r.bob, &["result", "get", &r.task]);
    let expected = expected_table();
    assert_eq!(got, expected);
    assert!(expected["result"]["withheld_groups"].as_u64().unwrap() > 0);
    // Nothing of the task is left in the work directory.
    let left: Vec<_> = std::fs::read_dir(&r.work).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_module_that_is_not_the_approved_code_fails_the_task_and_releases_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let r = request_a_count_by_race(temp.path());
    // Another module under the approved measurement's name.
    install(&r, &example("two_by_two"));
    let (ok, executed) = run_analyzer(&r, Some(&r.modules));
    assert!(ok, "{executed:?}");
    assert_eq!(executed[0]["status"], "failed", "{executed:?}");
    let reason = text(&executed[0]["reason"]);
    assert!(reason.contains("not the approved measurement"), "{reason}");
    assert_eq!(r.node.task_status(&r.bob, &r.task), "failed");
    let out = output(&mut r.node.command(&r.bob, &["result", "get", &r.task]));
    let shown =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!shown.contains("\"rows\""), "{shown}");
}

#[test]
fn an_analyzer_without_the_module_leaves_the_task_for_one_that_has_it() {
    let temp = tempfile::tempdir().unwrap();
    let r = request_a_count_by_race(temp.path());
    let (ok, executed) = run_analyzer(&r, None);
    assert!(!ok, "a deferred task makes --once fail");
    assert_eq!(executed[0]["status"], "deferred", "{executed:?}");
    assert!(
        text(&executed[0]["reason"]).contains("no module directory"),
        "{executed:?}"
    );
    // Not claimed: still approved, and an analyzer with the module runs it.
    assert_eq!(r.node.task_status(&r.bob, &r.task), "approved");
    install(&r, &example("count_by_group"));
    let (ok, executed) = run_analyzer(&r, Some(&r.modules));
    assert!(ok, "{executed:?}");
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");
}

#[test]
fn a_module_that_does_not_fit_the_abi_is_not_registered() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org2 = Org::init(base, "Org2MSP");
    let bob = org2.enroll("bob", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org2]);
    // A valid, empty module: no memory, no `run`.
    let empty = base.join("empty.wasm");
    std::fs::write(&empty, b"\0asm\x01\0\0\0").unwrap();
    let before = node.json(&bob, &["algorithm", "list"]);
    let refused = node.refused(
        &bob,
        &[
            "algorithm",
            "register",
            "--wasm",
            empty.to_str().unwrap(),
            "--name",
            "empty",
        ],
    );
    assert!(
        refused.contains("does not fit the algorithm ABI") && refused.contains("missing"),
        "{refused}"
    );
    assert_eq!(node.json(&bob, &["algorithm", "list"]), before);
}
