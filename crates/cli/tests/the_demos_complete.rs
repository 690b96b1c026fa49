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

#[test]
fn the_genome_demo_agrees_with_the_unsplit_generated_cohort() {
    let out = output(
        common::strongroom(["demo", "--genomes", "--sites", "600", "--samples", "150"])
            .stdin(Stdio::null()),
    );
    let stdout = succeeded("demo --genomes", &out);
    // Each of the two results equals the analysis over the unsplit cohort.
    assert_eq!(
        stdout
            .matches("= the same analysis over the unsplit cohort")
            .count(),
        2,
        "{stdout}"
    );
    // The lab's table names sites as CHROM:POS with AF as a VCF INFO field.
    assert!(stdout.contains(" AF=0."), "{stdout}");
    assert_eq!(
        stdout
            .matches("the answer for an id that does not exist")
            .count(),
        2
    );
    assert!(stdout.contains("demo complete"), "{stdout}");
}

#[test]
fn the_genome_demo_splits_a_real_vcf_by_sample() {
    let vcf = common::shared_data("vcf/pyvcf/1kg.vcf.gz");
    let out = output(
        common::strongroom(["demo", "--genomes", "--data"])
            .arg(&vcf)
            .stdin(Stdio::null()),
    );
    let stdout = succeeded("demo --genomes --data 1kg.vcf.gz", &out);
    assert_eq!(
        stdout
            .matches("= the same analysis over the unsplit cohort")
            .count(),
        2,
        "{stdout}"
    );
    // 629 samples in three contiguous shares (part k: samples k*n/3 to (k+1)*n/3).
    for share in [
        "Hosp1MSP: 209 samples",
        "Hosp2MSP: 210 samples",
        "Hosp3MSP: 210 samples",
    ] {
        assert!(stdout.contains(share), "missing {share:?}:\n{stdout}");
    }
}
