//! A grant's row window is enforced as written, through a real node and one CLI process
//! per step: Org1 registers the real Synthea sample with `--time-column START`, grants
//! Org2 the rows of 2015-01-01 to 2019-01-01 (half-open), and the analyzer's results
//! equal the same analyses run here over the rows this test filtered itself. A window
//! that cannot be applied (an analysis of a file without the time column) fails the
//! task with its reason on the ledger, and nothing is released.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use strongroom_compute::{Analysis, ComputeError};

use common::{Member, NodeProcess, Org, access_request, error_line, task_request, text};

/// The grant's window: 2015-01-01T00:00:00Z (inclusive) to 2019-01-01T00:00:00Z
/// (exclusive), in ms since the epoch.
const FROM_MS: u64 = 1_420_070_400_000;
const TO_MS: u64 = 1_546_300_800_000;

/// The owner's threshold: the dataset is registered without `--min-cell-size`.
const K: u32 = 11;

fn synthea_sample(file: &str) -> PathBuf {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/synthea/apr2020_1k"
    ))
    .join(file);
    assert!(
        path.is_file(),
        "Synthea test data missing: {} (see shared/data/README.md)",
        path.display()
    );
    path
}

/// Org1 (owner alice, executor analyzer) shares the Synthea sample with Org2 (analyst
/// bob) under a grant limited to the rows of 2015 to 2018.
struct Shared {
    node: NodeProcess,
    analyzer: Member,
    bob: Member,
    dataset: String,
    work: PathBuf,
}

fn share_with_a_row_window(base: &Path) -> Shared {
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1, &org2]);
    node.json(&bob, &["algorithm", "register-builtins"]);
    let patients = synthea_sample("patients.csv");
    let conditions = synthea_sample("conditions.csv");
    let put = node.json(
        &alice,
        &[
            "data",
            "put",
            "--name",
            "Patients and conditions",
            "--purpose",
            "research",
            "--time-column",
            "START",
            "--quiet",
            patients.to_str().unwrap(),
            conditions.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    let mut request = access_request(&dataset, "research", &["describe", "stratify"]);
    request.extend(["--rows-from", "2015-01-01", "--rows-to", "2019-01-01"]);
    let request = text(&node.json(&bob, &request)["id"]).to_owned();
    node.json(&alice, &["access", "approve", &request]);
    let shown = node.json(&bob, &["access", "show", &request]);
    assert_eq!(
        shown["grant"]["scope"]["rows"],
        json!({"from_ms": FROM_MS, "to_ms": TO_MS}),
        "{shown}"
    );
    Shared {
        node,
        analyzer,
        bob,
        dataset,
        work: base.join("analyzer-work"),
    }
}

/// The Synthea files, with conditions.csv reduced to the rows whose START (a
/// `YYYY-MM-DD` date, the first field) is in [2015-01-01, 2019-01-01).
fn filtered_by_the_test() -> BTreeMap<String, Vec<u8>> {
    let conditions = std::fs::read_to_string(synthea_sample("conditions.csv")).unwrap();
    let mut lines = conditions.lines();
    let mut kept = format!("{}\n", lines.next().unwrap());
    let mut rows = 0;
    for line in lines {
        if ("2015-01-01".."2019-01-01").contains(&&line[..10]) {
            kept.push_str(line);
            kept.push('\n');
            rows += 1;
        }
    }
    // 1,990 of the 8,376 rows (counted independently with Python's csv module).
    assert_eq!(rows, 1_990);
    let patients = std::fs::read(synthea_sample("patients.csv")).unwrap();
    BTreeMap::from([
        ("patients.csv".to_owned(), patients),
        ("conditions.csv".to_owned(), kept.into_bytes()),
    ])
}

/// What `analysis` gives over the test's own filtered rows, as `result get` prints it.
fn expected(analysis: &Value, files: &BTreeMap<String, Vec<u8>>) -> Value {
    let analysis: Analysis = serde_json::from_value(analysis.clone()).unwrap();
    let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
        let bytes = files.get(name).ok_or_else(|| ComputeError::Open {
            file: name.into(),
            reason: "absent".into(),
        })?;
        Ok(Box::new(Cursor::new(bytes.clone())))
    };
    serde_json::to_value(strongroom_compute::run(&analysis, K, &mut open).unwrap()).unwrap()
}

/// Requests a built-in task; returns its id.
fn request(shared: &Shared, algorithm: &str, parameters: &Value) -> String {
    let parameters = parameters.to_string();
    let task = shared.node.json(
        &shared.bob,
        &task_request(&shared.dataset, algorithm, &parameters),
    );
    assert_eq!(task["status"], "approved", "{task}");
    text(&task["id"]).to_owned()
}

#[test]
fn results_cover_exactly_the_rows_of_the_grant_window() {
    let temp = tempfile::tempdir().unwrap();
    let shared = share_with_a_row_window(temp.path());
    let describe = json!({"file": "conditions.csv", "column": "DESCRIPTION"});
    let stratify = json!({
        "patients_file": "patients.csv",
        "conditions_file": "conditions.csv",
        "condition": {"code": "444814009"},
    });
    let tasks = [
        (
            request(&shared, "describe", &describe),
            "describe",
            describe,
        ),
        (
            request(&shared, "stratify", &stratify),
            "stratify",
            stratify,
        ),
    ];
    let executed = shared
        .node
        .run_analyzer_once(&shared.analyzer, &shared.work);
    assert_eq!(executed.len(), 2, "{executed:?}");
    for e in &executed {
        assert_eq!(e["status"], "succeeded", "{e}");
    }
    let files = filtered_by_the_test();
    for (task, name, parameters) in &tasks {
        let mut analysis = parameters.clone();
        analysis["name"] = json!(name);
        let got = shared.node.json(&shared.bob, &["result", "get", task]);
        assert_eq!(got, expected(&analysis, &files), "{name}");
    }
    // The window made a difference: the whole file has 8,376 descriptions.
    let got = shared
        .node
        .json(&shared.bob, &["result", "get", &tasks[0].0]);
    assert_eq!(got["result"]["count"], json!(1_990), "{got}");
}

#[test]
fn window_that_cannot_be_applied_fails_the_task_with_its_reason() {
    let temp = tempfile::tempdir().unwrap();
    let shared = share_with_a_row_window(temp.path());
    // patients.csv has no START column: the window cannot restrict its rows.
    let task = request(
        &shared,
        "describe",
        &json!({"file": "patients.csv", "column": "GENDER"}),
    );
    let executed = shared
        .node
        .run_analyzer_once(&shared.analyzer, &shared.work);
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["status"], "failed", "{}", executed[0]);
    let reason = "the row window over column \"START\" cannot be applied";
    // On the ledger, for the requester to read.
    let shown = shared.node.json(&shared.bob, &["task", "show", &task]);
    assert_eq!(shown["status"], "failed", "{shown}");
    let recorded = text(&shown["result"]["reason"]);
    assert!(recorded.contains(reason), "{recorded}");
    assert!(recorded.contains("patients.csv"), "{recorded}");
    // And nothing to decrypt.
    let stderr = shared.node.refused(&shared.bob, &["result", "get", &task]);
    assert!(error_line(&stderr).contains(reason), "{stderr}");
    assert!(
        !shared.work.join(&task).exists(),
        "plaintext outlived {task}"
    );
}
