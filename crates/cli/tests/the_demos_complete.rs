//! `strongroom demo`, `demo --multi-party` and `demo --nodes 3` run to the end as
//! processes.
//! Each demo checks its own claims as it goes (an unrelated organization's answers
//! equal those for nothing; the multi-party results equal the same analyses over the
//! unsplit data, computed by the demo) and exits nonzero if one fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;

use common::{output, succeeded};

#[test]
fn the_single_site_demo_completes_on_synthetic_patients() {
    let out = output(common::strongroom(["demo", "--patients", "300"]).stdin(Stdio::null()));
    let stdout = succeeded("demo", &out);
    assert!(stdout.contains("demo complete"), "{stdout}");
    assert!(stdout.contains("byte for byte the answer for an id that does not exist"));
}

#[test]
fn the_multi_party_demo_agrees_with_the_unsplit_synthea_data() {
    let wasm = common::example("count_by_group");
    let data = common::synthea_patients().parent().unwrap().to_path_buf();
    let out = output(
        common::strongroom(["demo", "--multi-party", "--data"])
            .arg(&data)
            .arg("--wasm")
            .arg(&wasm)
            .stdin(Stdio::null()),
    );
    let stdout = succeeded("demo --multi-party", &out);
    for line in [
        "stratify over the three shares = stratify over the unsplit data",
        "count by RACE over the three shares = the count over the unsplit data",
        "OtherMSP's worker, with the accepted measurement: no task listed, nothing claimed",
        "demo complete",
    ] {
        assert!(stdout.contains(line), "missing {line:?}:\n{stdout}");
    }
    // Three hospitals, two tasks: six key releases, each naming the worker.
    assert_eq!(stdout.matches("released for task-").count(), 6, "{stdout}");
}

#[test]
fn the_demo_on_three_nodes_completes_and_every_node_keeps_one_ledger() {
    let out = output(
        common::strongroom(["demo", "--nodes", "3", "--patients", "300"]).stdin(Stdio::null()),
    );
    let stdout = succeeded("demo --nodes 3", &out);
    assert!(stdout.contains("demo complete"), "{stdout}");
    assert!(stdout.contains("byte for byte the answer for an id that does not exist"));
    // The demo prints each node's offline-verified ledger head; all three are equal.
    let heads: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("node "))
        .filter_map(|l| l.split_once(" head ").map(|(_, head)| head))
        .collect();
    assert_eq!(heads.len(), 3, "{stdout}");
    assert!(heads.iter().all(|h| *h == heads[0]), "{heads:?}");
}
