//! An analyzer whose organization data key does not open a task's input (a key file
//! missing at its site, so a fresh one was made, or another organization's) says so
//! before it claims the task: the task stays approved, nothing is written to the
//! ledger, and an analyzer holding the right key then runs it. Through a real node,
//! one CLI process per step.
#![allow(clippy::unwrap_used)]

mod common;

use common::{NodeProcess, Org, access_request, task_request, text};

#[test]
fn an_analyzer_without_the_organization_data_key_leaves_the_task_approved() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let alice = org1.enroll("alice", "owner");
    let bob = org2.enroll("bob", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1, &org2]);
    node.json(&bob, &["algorithm", "register-builtins"]);
    let csv = base.join("patients.csv");
    let mut rows = String::from("GENDER\n");
    for i in 0..30 {
        rows.push_str(if i % 2 == 0 { "F\n" } else { "M\n" });
    }
    std::fs::write(&csv, rows).unwrap();
    let put = node.json(
        &alice,
        &[
            "data",
            "put",
            "--name",
            "P",
            "--purpose",
            "research",
            "--quiet",
            csv.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    let request =
        text(&node.json(&bob, &access_request(&dataset, "research", &["describe"]))["id"])
            .to_owned();
    node.json(&alice, &["access", "approve", &request]);
    let task = node.json(
        &bob,
        &task_request(
            &dataset,
            "describe",
            r#"{"file": "patients.csv", "column": "GENDER"}"#,
        ),
    );
    let task = text(&task["id"]).to_owned();

    // The executor runs at a site without the organization's data key.
    let elsewhere = Org::init(&base.join("elsewhere"), "Org1MSP");
    std::fs::copy(org1.dir.join("ca.pem"), elsewhere.dir.join("ca.pem")).unwrap();
    std::fs::copy(
        org1.dir.join("ca.key.pem"),
        elsewhere.dir.join("ca.key.pem"),
    )
    .unwrap();
    let stranded = elsewhere.enroll("analyzer", "executor");
    let work = base.join("work");
    let head_before = node.json(&bob, &["task", "show", &task]);
    let out = common::output(&mut node.command(
        &stranded,
        &[
            "analyzer",
            "run",
            "--once",
            "--work-dir",
            work.to_str().unwrap(),
        ],
    ));
    assert!(!out.status.success(), "a deferred task makes --once fail");
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "deferred", "{line}");
    let reason = text(&line["reason"]);
    assert!(
        reason.contains("organization data key does not open it") && reason.contains(&dataset),
        "{reason}"
    );
    // Not claimed, nothing written.
    assert_eq!(node.json(&bob, &["task", "show", &task]), head_before);

    // The executor at the owner's site, with the key, runs it.
    let analyzer = org1.enroll("analyzer", "executor");
    let out = common::output(&mut node.command(
        &analyzer,
        &[
            "analyzer",
            "run",
            "--once",
            "--work-dir",
            work.to_str().unwrap(),
        ],
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "succeeded", "{line}");
}
