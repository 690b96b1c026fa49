//! `strongroom governance propose set-defaults` and `remove-node` against a real node
//! process: a bad value is refused with what was wrong and proposes nothing; a carried
//! change shows in the constitution and in `governance history`, with the votes that
//! carried it.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Member, NodeProcess, Org, text};

struct Setup {
    _base: tempfile::TempDir,
    node: NodeProcess,
    admin_a: Member,
    admin_b: Member,
}

fn setup() -> Setup {
    let base = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        Org::init(base.path(), "OrgAMSP"),
        Org::init(base.path(), "OrgBMSP"),
        Org::init(base.path(), "OrgCMSP"),
    );
    let (admin_a, admin_b) = (a.enroll("root-a", "admin"), b.enroll("root-b", "admin"));
    let node = NodeProcess::start(&base.path().join("node"), &[&a, &b, &c]);
    Setup {
        _base: base,
        node,
        admin_a,
        admin_b,
    }
}

/// Asserts that `args` (after `governance propose`) is refused saying `words`, and that
/// nothing was proposed.
fn refused_proposing(s: &Setup, args: &[&str], words: &str) {
    let mut all = vec!["governance", "propose"];
    all.extend_from_slice(args);
    let stderr = s.node.refused(&s.admin_a, &all);
    assert!(stderr.contains(words), "{args:?}: {stderr}");
    let listed = s.node.json(&s.admin_a, &["governance", "list"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "{args:?} proposed: {listed}"
    );
}

#[test]
fn defaults_out_of_range_are_refused_and_propose_nothing() {
    let s = setup();
    refused_proposing(
        &s,
        &["set-defaults", "--min-cell-size", "0"],
        "change.min_cell_size: 0 is out of range",
    );
    refused_proposing(
        &s,
        &["set-defaults", "--privacy-budget", "0"],
        "change.epsilon_budget_micro: 0 is out of range",
    );
    refused_proposing(
        &s,
        &["set-defaults", "--privacy-budget", "1e3"],
        "\"1e3\" is not a privacy budget",
    );
    refused_proposing(
        &s,
        &["set-defaults"],
        "give --min-cell-size N, --privacy-budget EPS or --no-privacy-budget (at least one)",
    );
}

#[test]
fn removing_a_node_the_cluster_lacks_or_its_last_voter_is_refused() {
    let s = setup();
    refused_proposing(
        &s,
        &["remove-node", "--node-id", "7"],
        "node 7 is not a node of the cluster",
    );
    refused_proposing(&s, &["remove-node", "--node-id", "1"], "last voter");
}

#[test]
fn carried_defaults_show_in_the_constitution_and_the_history() {
    let s = setup();
    let proposal = s.node.json(
        &s.admin_a,
        &[
            "governance",
            "propose",
            "set-defaults",
            "--min-cell-size",
            "20",
            "--privacy-budget",
            "1.5",
        ],
    );
    assert_eq!(text(&proposal["status"]), "open", "{proposal}");
    let id = text(&proposal["id"]).to_owned();
    let empty = s.node.json(&s.admin_a, &["governance", "history"]);
    assert_eq!(empty.as_array().unwrap().len(), 0, "{empty}");
    let decided = s
        .node
        .json(&s.admin_b, &["governance", "vote", &id, "--approve"]);
    assert_eq!(text(&decided["status"]), "enacted", "{decided}");

    let constitution = s.node.json(&s.admin_b, &["governance", "constitution"]);
    assert_eq!(
        constitution["defaults"]["min_cell_size"], 20,
        "{constitution}"
    );
    assert_eq!(
        constitution["defaults"]["epsilon_budget_micro"], 1_500_000,
        "{constitution}"
    );
    let history = s.node.json(&s.admin_a, &["governance", "history"]);
    let entries = history.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{history}");
    let entry = &entries[0];
    assert_eq!(text(&entry["proposal"]), id);
    assert_eq!(
        text(&entry["summary"]),
        "dataset defaults: minimum cell size 20, privacy budget ε 1.5"
    );
    assert_eq!(text(&entry["proposer"]["msp_id"]), "OrgAMSP");
    let votes = entry["votes"].as_array().unwrap();
    assert_eq!(votes.len(), 2, "{entry}");
    let carried_at = entry["sequence"].as_u64().unwrap();
    assert_eq!(votes[1]["sequence"].as_u64(), Some(carried_at), "{entry}");
    assert!(
        votes[0]["sequence"].as_u64().unwrap() < carried_at,
        "{entry}"
    );

    // Without --json: one block per change, the votes under it.
    let connection: Vec<String> = s
        .node
        .connection_args()
        .into_iter()
        .filter(|a| a != "--json")
        .collect();
    let out = common::strongroom(["governance", "history"])
        .args(connection)
        .arg("--identity")
        .arg(&s.admin_a.identity)
        .args(["--member", &s.admin_a.name])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "ledger entry {carried_at}  {id}  dataset defaults"
        )) && stdout.contains(&format!(
            "for     OrgBMSP/root-b (ledger entry {carried_at})"
        )),
        "{stdout}"
    );
}

/// Proposes `set-defaults ARGS` as OrgA's admin and carries it with OrgB's vote.
fn carry_defaults(s: &Setup, args: &[&str]) {
    let mut all = vec!["governance", "propose", "set-defaults"];
    all.extend_from_slice(args);
    let proposal = s.node.json(&s.admin_a, &all);
    let id = text(&proposal["id"]).to_owned();
    let decided = s
        .node
        .json(&s.admin_b, &["governance", "vote", &id, "--approve"]);
    assert_eq!(text(&decided["status"]), "enacted", "{decided}");
}

#[test]
fn a_vote_removes_the_default_privacy_budget() {
    let s = setup();
    carry_defaults(&s, &["--privacy-budget", "2"]);
    let constitution = s.node.json(&s.admin_a, &["governance", "constitution"]);
    assert_eq!(constitution["defaults"]["epsilon_budget_micro"], 2_000_000);
    carry_defaults(&s, &["--no-privacy-budget"]);
    let constitution = s.node.json(&s.admin_a, &["governance", "constitution"]);
    assert!(
        constitution["defaults"]["epsilon_budget_micro"].is_null(),
        "{constitution}"
    );
    // The minimum cell size is left as it was.
    assert_eq!(
        constitution["defaults"]["min_cell_size"], 11,
        "{constitution}"
    );
    let history = s.node.json(&s.admin_a, &["governance", "history"]);
    assert_eq!(
        text(&history[1]["summary"]),
        "dataset defaults: no privacy budget",
        "{history}"
    );
}

#[test]
fn setting_and_removing_the_budget_at_once_is_refused() {
    let s = setup();
    let stderr = s.node.refused(
        &s.admin_a,
        &[
            "governance",
            "propose",
            "set-defaults",
            "--privacy-budget",
            "1",
            "--no-privacy-budget",
        ],
    );
    assert!(stderr.contains("--no-privacy-budget"), "{stderr}");
}
