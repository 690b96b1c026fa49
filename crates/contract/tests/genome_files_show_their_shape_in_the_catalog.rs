//! A `vcf` dataset's genome files carry their shape (samples, contigs, records) into
//! the catalog, where every member sees it; no other kind of dataset may claim one,
//! and a refused registration changes nothing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{World, caller, sha};
use serde_json::{Value, json};
use strongroom_contract::ContractError;
use strongroom_contract::sharing::{CatalogPage, GenomeSummary};

/// A VCF file and its phenotype table, as `data put --kind vcf` registers them.
fn vcf_dataset(contigs: Vec<String>) -> Value {
    json!({
        "kind": "vcf",
        "files": [
            {
                "name": "cohort.vcf.gz",
                "columns": ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT/GT"],
                "plaintext_sha256": sha(b"vcf"), "ciphertext_sha256": sha(b"vcf enc"),
                "size_bytes": 4_096, "location": "",
                "genome": {"samples": 2_504, "contigs": contigs, "records": 120_000},
            },
            {
                "name": "phenotypes.csv", "columns": ["sample", "status"],
                "plaintext_sha256": sha(b"csv"), "ciphertext_sha256": sha(b"csv enc"),
                "size_bytes": 100, "location": "",
            },
        ],
        "time_column": null,
    })
}

#[test]
fn every_member_sees_the_shape_of_a_genome_file_in_the_catalog() {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let bob = caller("Org2MSP", "bob", "analyst");
    let id = w.register(&alice, "cohort", vcf_dataset(vec!["1".into(), "22".into()]));
    let page: CatalogPage = w.q(&bob, &json!({"op": "search_catalog", "kind": "vcf"}));
    let entry = page.items.iter().find(|d| d.id == id).unwrap();
    assert_eq!(entry.genomes.len(), 1, "only the VCF file has a shape");
    assert_eq!(entry.genomes[0].file, "cohort.vcf.gz");
    assert_eq!(
        entry.genomes[0].summary,
        GenomeSummary {
            samples: 2_504,
            contigs: vec!["1".into(), "22".into()],
            records: 120_000,
        }
    );
    assert!(entry.columns.contains(&"FORMAT/GT".to_owned()));
}

fn refused_and_unchanged(extra: Value, expected: &str) {
    let mut w = World::new();
    let alice = caller("Org1MSP", "alice", "owner");
    let invocation = w.dataset(&alice, "cohort", extra);
    let before = w.digest();
    match w.exec(&alice, &invocation) {
        Err(ContractError::Invalid(message)) => {
            assert!(message.starts_with(expected), "{message}")
        }
        other => panic!("expected Invalid({expected}…), got {other:?}"),
    }
    assert_eq!(
        w.digest(),
        before,
        "a refused registration changed the state"
    );
}

#[test]
fn a_csv_dataset_cannot_claim_a_genome_shape() {
    let mut extra = vcf_dataset(vec!["1".into()]);
    extra["kind"] = json!("csv");
    refused_and_unchanged(extra, "files[0].genome: only the files of a vcf dataset");
}

#[test]
fn more_than_4096_contigs_over_a_dataset_are_refused() {
    let contigs = (0..4097).map(|i| format!("chrUn_{i}")).collect();
    refused_and_unchanged(vcf_dataset(contigs), "files[0].genome.contigs:");
}

#[test]
fn an_empty_contig_name_is_refused() {
    refused_and_unchanged(
        vcf_dataset(vec!["1".into(), String::new()]),
        "files[0].genome.contigs[1]:",
    );
}
