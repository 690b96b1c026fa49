//! An analyzer that cannot open a task's input says so before it claims the task: the
//! task stays approved and nothing is written to the ledger. At a site without the
//! organization's data key the analyzer stops at once, naming the commands that
//! provision it; once it has published its member key and an owner has shared the
//! organization's key with it (`org data-key publish`, `org data-key share --to`), it
//! fetches the key from the ledger and runs the task. A key that does not open the
//! data (another organization's) defers the task instead. Through a real node, one CLI
//! process per step.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{Member, NodeProcess, Org, access_request, task_request, text};

struct Site {
    node: NodeProcess,
    org1: Org,
    alice: Member,
    bob: Member,
    task: String,
    dataset: String,
}

/// Org1's alice holds a dataset; Org2's bob was granted it and asked for a describe.
fn approved_task(base: &Path) -> Site {
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

    Site {
        node,
        org1,
        alice,
        bob,
        task,
        dataset,
    }
}

/// An executor of Org1 enrolled at another site (its own identity directory).
fn stranded(site: &Site, base: &Path) -> Member {
    elsewhere(site, base, "analyzer", "executor")
}

/// A member of Org1 enrolled at a site of its own.
fn elsewhere(site: &Site, base: &Path, name: &str, role: &str) -> Member {
    let org = Org::init(&base.join(format!("site-{name}")), "Org1MSP");
    for file in ["ca.pem", "ca.key.pem"] {
        std::fs::copy(site.org1.dir.join(file), org.dir.join(file)).unwrap();
    }
    org.enroll(name, role)
}

fn analyzer_once(site: &Site, analyzer: &Member, work: &Path) -> std::process::Output {
    common::output(&mut site.node.command(
        analyzer,
        &[
            "analyzer",
            "run",
            "--once",
            "--work-dir",
            work.to_str().unwrap(),
        ],
    ))
}

#[test]
fn an_analyzer_without_the_key_claims_nothing_until_an_owner_shares_it() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let site = approved_task(base);
    let analyzer = stranded(&site, base);
    let work = base.join("work");
    let before = site.node.json(&site.bob, &["task", "show", &site.task]);
    let out = analyzer_once(&site, &analyzer, &work);
    let stderr = common::failed("analyzer run without a key", &out);
    assert!(
        stderr.contains("holds no organization data key")
            && stderr.contains("org data-key share --to analyzer"),
        "{stderr}"
    );
    assert_eq!(
        site.node.json(&site.bob, &["task", "show", &site.task]),
        before
    );

    // Provisioned through the ledger: the analyzer publishes its key, alice shares.
    site.node.json(&analyzer, &["org", "data-key", "publish"]);
    let shared = site.node.json(
        &site.alice,
        &["org", "data-key", "share", "--to", "analyzer"],
    );
    assert_eq!(shared["to"]["name"], "analyzer", "{shared}");
    let out = analyzer_once(&site, &analyzer, &work);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "succeeded", "{line}");
    assert_eq!(
        std::fs::read(analyzer.identity.join("org-data-key.x25519.key")).unwrap(),
        std::fs::read(site.org1.dir.join("org-data-key.x25519.key")).unwrap(),
        "the fetched key is the organization's"
    );
}

#[test]
fn a_share_is_readable_only_by_the_member_it_is_for() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let site = approved_task(base);
    let analyzer = stranded(&site, base);
    site.node.json(&analyzer, &["org", "data-key", "publish"]);
    site.node.json(
        &site.alice,
        &["org", "data-key", "share", "--to", "analyzer"],
    );
    // bob (Org2) and another member of Org1 find nothing to fetch.
    let other = elsewhere(&site, base, "oscar", "analyst");
    for member in [&site.bob, &other] {
        let stderr = site.node.refused(member, &["org", "data-key", "fetch"]);
        assert!(
            stderr.contains("no organization data key was shared"),
            "{stderr}"
        );
    }
    // Nor can bob share Org1's key, or see Org1's member key.
    let stderr = site
        .node
        .refused(&site.bob, &["org", "data-key", "share", "--to", "analyzer"]);
    assert!(stderr.contains("no organization data key here"), "{stderr}");
}

#[test]
fn an_analyzer_whose_key_does_not_open_the_data_leaves_the_task_approved() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let site = approved_task(base);
    let analyzer = stranded(&site, base);
    // A key of its own making, which opens nothing of Org1's.
    site.node.json(&analyzer, &["org", "data-key", "publish"]);
    std::fs::copy(
        analyzer.identity.join("analyzer.x25519.key"),
        analyzer.identity.join("org-data-key.x25519.key"),
    )
    .unwrap();
    let before = site.node.json(&site.bob, &["task", "show", &site.task]);
    let out = analyzer_once(&site, &analyzer, &base.join("work"));
    assert!(!out.status.success(), "a deferred task makes --once fail");
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(line["status"], "deferred", "{line}");
    let reason = text(&line["reason"]);
    assert!(
        reason.contains("organization data key does not open it") && reason.contains(&site.dataset),
        "{reason}"
    );
    assert_eq!(
        site.node.json(&site.bob, &["task", "show", &site.task]),
        before
    );
}
