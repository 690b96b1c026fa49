//! A BCF (compressed or not, as bcftools writes it) summarizes and analyses exactly as
//! the VCF it was written from: datasets may hold either.

mod common;

use std::fs;

use common::{bcftools_to_bcf_as, shared_vcf, vcf_text};
use strongroom_genome::analysis::{GenomeAnalysis, GenomeInput, run};
use strongroom_genome::{GenomeReader, split_by_sample, summarize};

fn summaries_agree(output_type: &str) {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let bcf = bcftools_to_bcf_as(&text, output_type);
    let from_vcf =
        summarize(common::declare_undeclared(&text).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let from_bcf = summarize(fs::File::open(bcf.path()).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (from_bcf.samples, from_bcf.records, &from_bcf.contigs),
        (from_vcf.samples, from_vcf.records, &from_vcf.contigs)
    );
}

#[test]
fn a_compressed_bcf_summarizes_as_its_vcf() {
    summaries_agree("-Ob");
}

#[test]
fn an_uncompressed_bcf_summarizes_as_its_vcf() {
    summaries_agree("-Ou");
}

#[test]
fn a_bcf_is_told_from_a_vcf_by_its_first_bytes() {
    let text = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let bcf = bcftools_to_bcf_as(&text, "-Ou");
    let reader = GenomeReader::open(bcf.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(reader, GenomeReader::Bcf(_)));
    let reader = GenomeReader::new(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(reader, GenomeReader::Vcf(_)));
}

#[test]
fn allele_frequencies_over_vcf_and_bcf_inputs_equal_those_over_vcf_alone() {
    let whole = vcf_text(&shared_vcf("pyvcf/1kg.vcf.gz"));
    let whole = common::declare_undeclared(&whole);
    let mut parts = vec![Vec::new(); 3];
    split_by_sample(whole.as_bytes(), &mut parts).unwrap_or_else(|e| panic!("{e}"));
    let text = |i: usize| String::from_utf8(parts[i].clone()).unwrap_or_else(|e| panic!("{e}"));
    // Part 2 as compressed BCF, part 3 as uncompressed BCF.
    let bgzf = bcftools_to_bcf_as(&text(1), "-Ob");
    let plain = bcftools_to_bcf_as(&text(2), "-Ou");
    let analysis: GenomeAnalysis =
        serde_json::from_str(r#"{"name": "allele_frequency", "vcf_file": "x", "limit": 2000}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    let input = |label: &str, vcf: Box<dyn std::io::Read>| GenomeInput {
        label: label.into(),
        vcf,
        phenotypes: None,
        index: None,
    };
    let open = |path: &std::path::Path| -> Box<dyn std::io::Read> {
        Box::new(fs::File::open(path).unwrap_or_else(|e| panic!("{e}")))
    };
    let mixed = run(
        &analysis,
        3,
        vec![
            input("vcf", Box::new(std::io::Cursor::new(parts[0].clone()))),
            input("bcf", open(bgzf.path())),
            input("ubcf", open(plain.path())),
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vcf_only = run(
        &analysis,
        3,
        parts
            .iter()
            .map(|p| input("vcf", Box::new(std::io::Cursor::new(p.clone()))))
            .collect(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(mixed, vcf_only);
}
