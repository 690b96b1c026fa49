//! A genome dataset end to end through a real node and one CLI process per step, run
//! owner-side: Org1 puts a generated cohort (BGZF VCF) with `--kind vcf`, the catalog shows
//! its shape (never a sample name), Org2's analyst is granted `allele_frequency` and
//! requests it, Org1's analyzer runs it, and the analyst reads rows whose AC and AN are
//! bcftools' on the same file, none with a minor-allele count below the owner's k. A
//! `private_allele_frequency` task charges its ε to the dataset's budget, and one over
//! what is left is refused.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::process::Command;

use serde_json::Value;

use common::{Member, NodeProcess, Org, access_request, output, text};

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

/// Org1 (owner alice, executor analyzer) holds a generated cohort put with `--kind vcf`
/// and `put_args`; Org2's bob has registered the built-ins.
struct Cohort {
    node: NodeProcess,
    alice: Member,
    analyzer: Member,
    bob: Member,
    dataset: String,
    vcf: std::path::PathBuf,
    work: std::path::PathBuf,
    builtins: Value,
}

fn cohort(base: &std::path::Path, put_args: &[&str]) -> Cohort {
    cohort_with(base, put_args, false)
}

/// [`cohort`], with the VCF's tabix index (`bcftools index -t`) in the dataset when
/// `indexed`.
fn cohort_with(base: &std::path::Path, put_args: &[&str], indexed: bool) -> Cohort {
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
    let mut args = vec![
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
    ];
    args.extend(put_args);
    args.push(vcf.to_str().unwrap());
    let index = base.join("cohort.vcf.gz.tbi");
    if indexed {
        let made = Command::new("bcftools")
            .args(["index", "-t"])
            .arg(&vcf)
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        args.push(index.to_str().unwrap());
    }
    let put = node.json(&alice, &args);
    let dataset = text(&put["id"]).to_owned();
    let builtins = node.json(&bob, &["algorithm", "register-builtins"]);
    Cohort {
        node,
        alice,
        analyzer,
        bob,
        dataset,
        vcf,
        work: base.join("org1-work"),
        builtins,
    }
}

impl Cohort {
    /// The id of the built-in `name`.
    fn algorithm(&self, name: &str) -> String {
        self.builtins
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| text(&a["id"]).to_owned())
            .unwrap()
    }

    /// Bob's access to the dataset with `algorithm`, approved by alice.
    fn grant(&self, algorithm: &str) {
        let request = access_request(&self.dataset, "research", &[algorithm]);
        let request = text(&self.node.json(&self.bob, &request)["id"]).to_owned();
        self.node
            .json(&self.alice, &["access", "approve", &request]);
    }

    /// Bob's task request with `algorithm`, `parameters` and `extra` flags.
    fn request(&self, algorithm: &str, parameters: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "task",
            "request",
            "--dataset",
            &self.dataset,
            "--algorithm",
            algorithm,
            "--parameters",
            parameters,
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    }

    /// `analyzer run --once --json` as Org1's executor: its JSON lines.
    fn run_analyzer(&self) -> Vec<Value> {
        let out = output(&mut self.node.command(
            &self.analyzer,
            &[
                "analyzer",
                "run",
                "--once",
                "--work-dir",
                self.work.to_str().unwrap(),
            ],
        ));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

#[test]
fn an_owner_side_allele_frequency_task_gives_bcftools_counts_above_k() {
    let temp = tempfile::tempdir().unwrap();
    let c = cohort(temp.path(), &[]);
    // The catalog, as the analyst sees it: the file's shape, no sample name.
    let catalog = c.node.json(&c.bob, &["catalog", "search", "--kind", "vcf"]);
    let entry = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == c.dataset.as_str())
        .unwrap();
    assert_eq!(entry["genomes"][0]["file"], "cohort.vcf.gz", "{entry}");
    assert_eq!(entry["genomes"][0]["summary"]["samples"], 200, "{entry}");
    assert_eq!(entry["genomes"][0]["summary"]["records"], 400, "{entry}");
    let first_sample = strongroom_genome::generate::sample_name(0);
    assert!(
        !entry.to_string().contains(&first_sample),
        "a sample name is in the catalog"
    );

    let algorithm = c.algorithm("allele_frequency");
    c.grant(&algorithm);
    let args = c.request(
        &algorithm,
        r#"{"vcf_file": "cohort.vcf.gz", "limit": 2000}"#,
        &[],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let task = c.node.json(&c.bob, &args);
    assert_eq!(task["status"], "approved", "{task}");
    let task = text(&task["id"]).to_owned();

    let executed = c.run_analyzer();
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");

    let got = c.node.json(&c.bob, &["result", "get", &task]);
    assert_eq!(got["name"], "allele_frequency", "{got}");
    let result = &got["result"];
    let rows = result["rows"].as_array().unwrap();
    assert!(rows.len() > 50, "only {} rows", rows.len());
    assert_eq!(result["k"], K);
    assert!(
        result["suppressed"].as_u64().unwrap() > 0,
        "nothing withheld: {result}"
    );
    let reference = bcftools_counts(&c.vcf);
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

#[test]
fn a_private_allele_frequency_task_spends_its_epsilon_and_no_more() {
    let temp = tempfile::tempdir().unwrap();
    let c = cohort(temp.path(), &["--epsilon-budget", "1"]);
    let algorithm = c.algorithm("private_allele_frequency");
    c.grant(&algorithm);
    let parameters = r#"{"vcf_file": "cohort.vcf.gz", "region": "1", "limit": 20}"#;
    let args = c.request(&algorithm, parameters, &["--epsilon", "0.75"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let task = c.node.json(&c.bob, &args);
    let task = text(&task["id"]).to_owned();
    let executed = c.run_analyzer();
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");
    let got = c.node.json(&c.bob, &["result", "get", &task]);
    assert_eq!(got["result"]["epsilon"], 0.75, "{got}");
    assert!(
        got["result"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["genotypes"].is_null()),
        "{got}"
    );
    let shown = c.node.json(&c.alice, &["data", "show", &c.dataset]);
    assert_eq!(shown["summary"]["epsilon_spent_micro"], 750_000, "{shown}");
    // 0.75 of 1 spent: a second task of 0.5, covered by the grant, is taken but its
    // claim (where a grant-covered task reserves its epsilon) is refused.
    let args = c.request(&algorithm, parameters, &["--epsilon", "0.5"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let greedy = c.node.json(&c.bob, &args);
    let greedy = text(&greedy["id"]).to_owned();
    let executed = c.run_analyzer();
    assert_eq!(executed.len(), 1, "{executed:?}");
    assert_ne!(executed[0]["status"], "succeeded", "{executed:?}");
    assert!(
        executed[0].to_string().contains("privacy budget"),
        "{executed:?}"
    );
    assert_ne!(c.node.task_status(&c.bob, &greedy), "succeeded");
    let shown = c.node.json(&c.alice, &["data", "show", &c.dataset]);
    assert_eq!(shown["summary"]["epsilon_spent_micro"], 750_000, "{shown}");
}

#[test]
fn a_region_read_through_the_datasets_tabix_index_gives_the_streamed_rows() {
    let temp = tempfile::tempdir().unwrap();
    let c = cohort_with(temp.path(), &[], true);
    let shown = c.node.json(&c.alice, &["data", "show", &c.dataset]);
    let files: Vec<&str> = shown["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(&f["name"]))
        .collect();
    assert_eq!(files, ["cohort.vcf.gz", "cohort.vcf.gz.tbi"], "{shown}");
    let algorithm = c.algorithm("allele_frequency");
    c.grant(&algorithm);
    let parameters = r#"{"vcf_file": "cohort.vcf.gz", "region": "2:2000-30000", "limit": 2000}"#;
    let args = c.request(&algorithm, parameters, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let task = c.node.json(&c.bob, &args);
    let task = text(&task["id"]).to_owned();
    let executed = c.run_analyzer();
    assert_eq!(executed[0]["status"], "succeeded", "{executed:?}");
    let got = c.node.json(&c.bob, &["result", "get", &task]);
    // The same analysis streamed over the plaintext, here.
    let analysis: strongroom_genome::analysis::GenomeAnalysis = serde_json::from_str(
        &parameters.replacen('{', r#"{"name": "allele_frequency", "k": 5, "#, 1),
    )
    .unwrap();
    let streamed = strongroom_genome::analysis::run(
        &analysis,
        K as u32,
        vec![strongroom_genome::analysis::GenomeInput {
            label: "plain".into(),
            vcf: Box::new(std::fs::File::open(&c.vcf).unwrap()),
            phenotypes: None,
            index: None,
        }],
    )
    .unwrap();
    let streamed = serde_json::to_value(&streamed).unwrap();
    assert!(
        !got["result"]["rows"].as_array().unwrap().is_empty(),
        "{got}"
    );
    assert_eq!(got["result"]["rows"], streamed["result"]["rows"]);
    assert_eq!(got["result"]["sites"], streamed["result"]["sites"]);
}
