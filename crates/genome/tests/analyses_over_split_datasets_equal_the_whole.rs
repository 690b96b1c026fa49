//! The worker's genome analyses (`allele_frequency`, `association`) over a cohort
//! split by sample into three datasets give what they give over the whole cohort;
//! every released row keeps the release rule; a malformed record in any input fails
//! the analysis naming the input and the line.

mod common;

use std::fs;

use common::shared_vcf;
use strongroom_genome::analysis::{
    AnalysisError, GenomeAnalysis, GenomeInput, GenomeOutput, check_release, run,
};
use strongroom_genome::generate::{GenerateParams, write_phenotypes, write_vcf};
use strongroom_genome::split_by_sample;

fn analysis(json: &str) -> GenomeAnalysis {
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// `vcf` split by sample into `parts` plain-text VCFs.
fn split(vcf: &[u8], parts: usize) -> Vec<Vec<u8>> {
    let mut outputs = vec![Vec::new(); parts];
    split_by_sample(vcf, &mut outputs).unwrap_or_else(|e| panic!("{e}"));
    outputs
}

fn inputs<'a>(vcfs: &'a [Vec<u8>], phenotypes: Option<&'a [u8]>) -> Vec<GenomeInput<'a>> {
    vcfs.iter()
        .enumerate()
        .map(|(i, vcf)| GenomeInput {
            label: format!("ds-{i}"),
            vcf: Box::new(vcf.as_slice()),
            phenotypes: phenotypes.map(|p| Box::new(p) as Box<dyn std::io::Read>),
            index: None,
        })
        .collect()
}

/// The output with its input count set to `n` (the only figure that differs).
fn with_inputs(mut output: GenomeOutput, n: u32) -> GenomeOutput {
    match &mut output {
        GenomeOutput::AlleleFrequency(rows) => rows.inputs = n,
        GenomeOutput::Association(rows) => rows.inputs = n,
    }
    output
}

/// A generated case/control cohort: the VCF and the phenotype table.
fn cohort(sites: u64, samples: usize, associated: u64) -> (Vec<u8>, Vec<u8>) {
    let mut params = GenerateParams::new(7, sites, samples);
    params.associated = associated;
    let (mut vcf, mut phenotypes) = (Vec::new(), Vec::new());
    write_vcf(&params, &mut vcf).unwrap_or_else(|e| panic!("{e}"));
    write_phenotypes(&params, &mut phenotypes).unwrap_or_else(|e| panic!("{e}"));
    (vcf, phenotypes)
}

#[test]
fn allele_frequencies_of_1kg_split_in_three_equal_those_of_the_whole() {
    let whole = fs::read(shared_vcf("pyvcf/1kg.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    let a = analysis(r#"{"name": "allele_frequency", "vcf_file": "x", "limit": 2000}"#);
    let parts = split(&whole, 3);
    let combined = run(&a, 5, inputs(&parts, None)).unwrap_or_else(|e| panic!("{e}"));
    let single = run(&a, 5, inputs(&[whole], None)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(combined, with_inputs(single, 3));
    let GenomeOutput::AlleleFrequency(rows) = &combined else {
        panic!("not allele frequencies")
    };
    assert!(
        rows.rows.len() > 100,
        "only {} rows released",
        rows.rows.len()
    );
    assert!(rows.rows.iter().any(|r| r.genotypes.is_some()));
}

#[test]
fn association_of_a_split_cohort_equals_that_of_the_whole() {
    let (vcf, phenotypes) = cohort(400, 90, 4);
    let a = analysis(
        r#"{"name": "association", "vcf_file": "x", "phenotype_file": "p", "limit": 2000}"#,
    );
    let parts = split(&vcf, 3);
    let combined = run(&a, 3, inputs(&parts, Some(&phenotypes))).unwrap_or_else(|e| panic!("{e}"));
    let single = run(&a, 3, inputs(&[vcf], Some(&phenotypes))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(combined, with_inputs(single, 3));
}

#[test]
fn the_generated_associated_sites_come_first() {
    let mut params = GenerateParams::new(11, 300, 400);
    params.associated = 3;
    let (mut vcf, mut phenotypes) = (Vec::new(), Vec::new());
    let generated = write_vcf(&params, &mut vcf).unwrap_or_else(|e| panic!("{e}"));
    write_phenotypes(&params, &mut phenotypes).unwrap_or_else(|e| panic!("{e}"));
    let a =
        analysis(r#"{"name": "association", "vcf_file": "x", "phenotype_file": "p", "limit": 3}"#);
    let out = run(&a, 1, inputs(&[vcf], Some(&phenotypes))).unwrap_or_else(|e| panic!("{e}"));
    let GenomeOutput::Association(rows) = out else {
        panic!("not an association")
    };
    let top: Vec<(String, u64)> = rows.rows.iter().map(|r| (r.chrom.clone(), r.pos)).collect();
    for site in &generated.associated {
        assert!(
            top.contains(&(site.chromosome.clone(), site.position)),
            "associated site {}:{} is not among the top 3: {top:?}",
            site.chromosome,
            site.position
        );
    }
    assert!(rows.rows.iter().all(|r| r.p < 1e-4), "{:?}", rows.rows);
}

#[test]
fn every_released_row_keeps_the_release_rule_and_every_allele_is_accounted_for() {
    let whole = fs::read(shared_vcf("pyvcf/1kg.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    // Every ALT allele of the file, to account for each row.
    let mut reader =
        strongroom_genome::VcfReader::new(whole.as_slice()).unwrap_or_else(|e| panic!("{e}"));
    let alleles: u64 = strongroom_genome::count_alleles(&mut reader)
        .map(|s| s.unwrap_or_else(|e| panic!("{e}")).key.alternates.len() as u64)
        .sum();
    for k in [1, 11, 50] {
        let a = analysis(
            r#"{"name": "allele_frequency", "vcf_file": "x", "min_af": 0.01, "limit": 100}"#,
        );
        let out = run(&a, k, inputs(std::slice::from_ref(&whole), None))
            .unwrap_or_else(|e| panic!("{e}"));
        check_release(&out, k).unwrap_or_else(|e| panic!("k = {k}: {e}"));
        let GenomeOutput::AlleleFrequency(rows) = &out else {
            panic!("not allele frequencies")
        };
        assert_eq!(rows.k, k);
        assert_eq!(
            rows.rows.len() as u64 + rows.filtered + rows.suppressed + rows.truncated,
            alleles,
            "k = {k}"
        );
        assert!(rows.rows.iter().all(|r| r.af >= 0.01));
        if k == 50 {
            assert!(rows.suppressed > 0, "nothing withheld at k = 50");
        }
    }
}

#[test]
fn a_region_keeps_only_its_sites() {
    let whole = fs::read(shared_vcf("pyvcf/1kg.vcf.gz")).unwrap_or_else(|e| panic!("{e}"));
    let all = analysis(r#"{"name": "allele_frequency", "vcf_file": "x", "limit": 2000}"#);
    let GenomeOutput::AlleleFrequency(every) =
        run(&all, 1, inputs(std::slice::from_ref(&whole), None)).unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not allele frequencies")
    };
    // From the second row's site to the middle row's, on the first row's contig.
    let contig = every.rows[0].chrom.clone();
    let (from, to) = (every.rows[1].pos, every.rows[every.rows.len() / 2].pos);
    assert_eq!(every.rows[every.rows.len() / 2].chrom, contig);
    let region = analysis(&format!(
        r#"{{"name": "allele_frequency", "vcf_file": "x", "limit": 2000, "region": "{contig}:{from}-{to}"}}"#
    ));
    let GenomeOutput::AlleleFrequency(inside) =
        run(&region, 1, inputs(&[whole], None)).unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not allele frequencies")
    };
    let expected: Vec<_> = every
        .rows
        .iter()
        .filter(|r| r.chrom == contig && (from..=to).contains(&r.pos))
        .collect();
    assert!(!expected.is_empty() && expected.len() < every.rows.len());
    assert_eq!(inside.rows.iter().collect::<Vec<_>>(), expected);
}

#[test]
fn a_malformed_record_in_any_input_fails_the_analysis_naming_it() {
    let (vcf, _) = cohort(50, 12, 0);
    let mut parts = split(&vcf, 3);
    // Break the second part's third record: a GT allele beyond REF and ALT.
    let text = String::from_utf8(parts[1].clone()).unwrap_or_else(|e| panic!("{e}"));
    let header_lines = text.lines().take_while(|l| l.starts_with('#')).count();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let target = header_lines + 2;
    let fields: Vec<&str> = lines[target].split('\t').collect();
    let broken = format!("{}\t9/9", fields[..9].join("\t")) + &"\t0/0".repeat(fields.len() - 10);
    lines[target] = broken;
    parts[1] = (lines.join("\n") + "\n").into_bytes();
    let a = analysis(r#"{"name": "allele_frequency", "vcf_file": "cohort.vcf"}"#);
    match run(&a, 1, inputs(&parts, None)) {
        Err(e @ AnalysisError::Read { .. }) => {
            let message = e.to_string();
            assert!(
                message.starts_with(&format!("input ds-1 (cohort.vcf): line {}:", target + 1)),
                "{message}"
            );
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}
