//! A genome dataset end to end through a real node and one CLI process per step, run
//! owner-side: Org1 puts a generated cohort (BGZF VCF) with `--kind vcf`, the catalog shows
//! its shape (never a sample name), Org2's analyst is granted `allele_frequency` and
//! requests it, Org1's analyzer runs it, and the analyst reads rows whose AC and AN are
//! bcftools' on the same file, none with a minor-allele count below the owner's k.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use serde_json::Value;

use common::{NodeProcess, Org, access_request, output, text};

/// The owner's threshold: the dataset is registered with `--min-cell-size 5`.
const K: u64 = 5;

/// `(CHROM, POS, REF, ALT) -> (AC, AN)` of every ALT allele, as bcftools +fill-tags
/// computes them on `vcf`.
fn bcftools_counts(vcf: &std::path::Path) -> HashMap<(String, u64, String, String), (u64, u64)> {
    let filled = Command::new("bcftools")
        .args(["+fill-tags", "-Ov"])
        .arg(vcf)
        .args(["--", "-t", "AN,AC"])
        .output()
        .unwrap();
    assert!(
        filled.status.success(),
        "{}",
        String::from_utf8_lossy(&filled.stderr)
    );
    let mut counts = HashMap::new();
    for line in String::from_utf8(filled.stdout).unwrap().lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let info: HashMap<&str, &str> = fields[7]
            .split(';')
            .filter_map(|kv| kv.split_once('='))
            .collect();
        let (Some(an), Some(ac)) = (info.get("AN"), info.get("AC")) else {
            continue;
        };
        let an: u64 = an.parse().unwrap();
        for (alt, ac) in fields[4].split(',').zip(ac.split(',')) {
            counts.insert(
                (
                    fields[0].to_owned(),
                    fields[1].parse().unwrap(),
                    fields[3].to_owned(),
                    alt.to_owned(),
                ),
                (ac.parse().unwrap(), an),
            );
        }
    }
    counts
}

#[test]
fn an_owner_side_allele_frequency_task_gives_bcftools_counts_above_k() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let org1 = Org::init(base, "Org1MSP");
    let org2 = Org::init(base, "Org2MSP");
    let alice = org1.enroll("alice", "owner");
    let analyzer = org1.enroll("analyzer", "executor");
    let bob = org2.enroll("bob", "analyst");
    let node = NodeProcess::start(&base.join("node"), &[&org1, &org2]);
    let vcf = base.join("cohort.vcf.gz");
    let params = strongroom_genome::generate::GenerateParams::new(3, 400, 200);
    strongroom_genome::generate::write_vcf_bgzf(&params, std::fs::File::create(&vcf).unwrap())
        .unwrap();

    let put = node.json(
        &alice,
        &[
            "data",
            "put",
            "--kind",
            "vcf",
            "--name",
            "Cohort",
            "--purpose",
            "research",
            "--min-cell-size",
            "5",
            "--quiet",
            vcf.to_str().unwrap(),
        ],
    );
    let dataset = text(&put["id"]).to_owned();
    // The catalog, as the analyst sees it: the file's shape, no sample name.
    let catalog = node.json(&bob, &["catalog", "search", "--kind", "vcf"]);
    let entry = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == dataset.as_str())
        .unwrap();
    assert_eq!(entry["genomes"][0]["file"], "cohort.vcf.gz", "{entry}");
    assert_eq!(entry["genomes"][0]["summary"]["samples"], 200, "{entry}");
    assert_eq!(entry["genomes"][0]["summary"]["records"], 400, "{entry}");
    let first_sample = strongroom_genome::generate::sample_name(0);
    assert!(
        !entry.to_string().contains(&first_sample),
        "a sample name is in the catalog"
    );

    let builtins = node.json(&bob, &["algorithm", "register-builtins"]);
    let algorithm = builtins
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "allele_frequency")
        .map(|a| text(&a["id"]).to_owned())
        .unwrap();
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
            r#"{"vcf_file": "cohort.vcf.gz", "limit": 2000}"#,
        ],
    );
    assert_eq!(task["status"], "approved", "{task}");
    let task = text(&task["id"]).to_owned();

    let work = base.join("org1-work");
    let out = output(&mut node.command(
        &analyzer,
        &[
            "analyzer",
            "run",
            "--once",
            "--work-dir",
            work.to_str().unwrap(),
        ],
    ));
    let executed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");

    let got = node.json(&bob, &["result", "get", &task]);
    assert_eq!(got["name"], "allele_frequency", "{got}");
    let result = &got["result"];
    let rows = result["rows"].as_array().unwrap();
    assert!(rows.len() > 50, "only {} rows", rows.len());
    assert_eq!(result["k"], K);
    assert!(
        result["suppressed"].as_u64().unwrap() > 0,
        "nothing withheld: {result}"
    );
    let reference = bcftools_counts(&vcf);
    for row in rows {
        let key = (
            text(&row["chrom"]).to_owned(),
            row["pos"].as_u64().unwrap(),
            text(&row["reference"]).to_owned(),
            text(&row["alternate"]).to_owned(),
        );
        let (ac, an) = (row["ac"].as_u64().unwrap(), row["an"].as_u64().unwrap());
        assert_eq!(reference.get(&key), Some(&(ac, an)), "{row}");
        assert!(ac.min(an - ac) >= K, "a minor-allele count below k: {row}");
    }
}
