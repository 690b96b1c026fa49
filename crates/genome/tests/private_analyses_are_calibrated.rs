//! `private_allele_frequency` draws Laplace noise of scale `4 limit / ε` for AN and
//! each AC of every candidate site, `private_association` of scale `4 tables / ε` for
//! each cell of every candidate table; both decide what they release from the noisy
//! counts only, and never run without an ε.

mod common;

use std::fs;

use common::shared_vcf;
use strongroom_genome::analysis::{
    AnalysisError, GenomeAnalysis, GenomeInput, GenomeOutput, Privacy, check_release, run,
    run_private,
};

fn whole() -> Vec<u8> {
    fs::read(shared_vcf("pyvcf/1kg.vcf.gz")).unwrap_or_else(|e| panic!("{e}"))
}

fn input(vcf: &[u8]) -> Vec<GenomeInput<'_>> {
    vec![GenomeInput {
        label: "ds".into(),
        vcf: Box::new(vcf),
        phenotypes: None,
        index: None,
    }]
}

fn private(limit: u32) -> GenomeAnalysis {
    serde_json::from_str(&format!(
        r#"{{"name": "private_allele_frequency", "vcf_file": "x", "region": "2", "limit": {limit}}}"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the private analysis with `noise` as the Laplace source; also answers every
/// scale it was asked for.
fn with_noise(
    vcf: &[u8],
    limit: u32,
    epsilon: f64,
    noise: f64,
) -> (Result<GenomeOutput, AnalysisError>, Vec<f64>) {
    let mut scales = Vec::new();
    let mut laplace = |scale: f64| {
        scales.push(scale);
        Ok(noise)
    };
    let out = run_private(
        &private(limit),
        1,
        input(vcf),
        Privacy {
            epsilon,
            laplace: &mut laplace,
        },
    );
    (out, scales)
}

#[test]
fn the_noise_scale_is_four_times_the_candidates_over_epsilon() {
    let vcf = whole();
    let (out, scales) = with_noise(&vcf, 50, 0.5, 0.0);
    out.unwrap_or_else(|e| panic!("{e}"));
    // One draw for AN and one per ALT of each of the 50 candidate sites.
    let mut reader =
        strongroom_genome::VcfReader::new(vcf.as_slice()).unwrap_or_else(|e| panic!("{e}"));
    let draws: usize = strongroom_genome::count_alleles(&mut reader)
        .map(|s| s.unwrap_or_else(|e| panic!("{e}")))
        .filter(|s| s.key.chromosome == "2")
        .take(50)
        .map(|s| 1 + s.key.alternates.len())
        .sum();
    assert!(draws > 50, "{draws} draws");
    assert_eq!(scales.len(), draws);
    assert!(scales.iter().all(|&s| s == 4.0 * 50.0 / 0.5), "{scales:?}");
}

#[test]
fn without_noise_the_counts_are_the_exact_ones_without_genotypes() {
    let vcf = whole();
    let (out, _) = with_noise(&vcf, 40, 1.0, 0.0);
    let GenomeOutput::AlleleFrequency(noisy) = out.unwrap_or_else(|e| panic!("{e}")) else {
        panic!("not allele frequencies")
    };
    let exact: GenomeAnalysis = serde_json::from_str(
        r#"{"name": "allele_frequency", "vcf_file": "x", "region": "2", "limit": 2000}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let GenomeOutput::AlleleFrequency(exact) =
        run(&exact, 1, input(&vcf)).unwrap_or_else(|e| panic!("{e}"))
    else {
        panic!("not allele frequencies")
    };
    assert_eq!(noisy.epsilon, Some(1.0));
    assert!(noisy.rows.iter().all(|r| r.genotypes.is_none()));
    let positions: Vec<u64> = noisy.rows.iter().map(|r| r.pos).collect();
    let expected: Vec<(u64, u64, u64)> = exact
        .rows
        .iter()
        .filter(|r| positions.contains(&r.pos))
        .map(|r| (r.pos, r.ac, r.an))
        .collect();
    let got: Vec<(u64, u64, u64)> = noisy.rows.iter().map(|r| (r.pos, r.ac, r.an)).collect();
    assert!(!got.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn what_is_released_follows_the_noisy_counts() {
    let vcf = whole();
    // Noise that drives every count to 0: every row is withheld (minor-allele count
    // 0 < k), whatever the true counts.
    let (out, _) = with_noise(&vcf, 40, 1.0, -1e9);
    let out = out.unwrap_or_else(|e| panic!("{e}"));
    check_release(&out, 1).unwrap_or_else(|e| panic!("{e}"));
    let GenomeOutput::AlleleFrequency(rows) = out else {
        panic!("not allele frequencies")
    };
    assert!(rows.rows.is_empty(), "{:?}", rows.rows);
    assert!(rows.suppressed > 0);
}

#[test]
fn the_private_analysis_never_runs_without_an_epsilon() {
    let vcf = whole();
    match run(&private(10), 1, input(&vcf)) {
        Err(AnalysisError::Parameters(m)) => assert!(m.contains("epsilon"), "{m}"),
        other => panic!("ran without noise: {other:?}"),
    }
    for epsilon in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        match with_noise(&vcf, 10, epsilon, 0.0).0 {
            Err(AnalysisError::Parameters(m)) => assert!(m.starts_with("epsilon:"), "{m}"),
            other => panic!("epsilon {epsilon} accepted: {other:?}"),
        }
    }
}

#[test]
fn a_private_run_of_an_exact_analysis_is_refused() {
    let vcf = whole();
    let exact: GenomeAnalysis =
        serde_json::from_str(r#"{"name": "allele_frequency", "vcf_file": "x"}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    let mut laplace = |_: f64| Ok(0.0);
    let refused = run_private(
        &exact,
        1,
        input(&vcf),
        Privacy {
            epsilon: 1.0,
            laplace: &mut laplace,
        },
    );
    assert!(
        matches!(refused, Err(AnalysisError::Parameters(_))),
        "{refused:?}"
    );
}

/// A generated case/control cohort: the VCF and the phenotype table.
fn cohort() -> (Vec<u8>, Vec<u8>) {
    let mut params = strongroom_genome::generate::GenerateParams::new(5, 200, 120);
    params.associated = 2;
    let (mut vcf, mut phenotypes) = (Vec::new(), Vec::new());
    strongroom_genome::generate::write_vcf(&params, &mut vcf).unwrap_or_else(|e| panic!("{e}"));
    strongroom_genome::generate::write_phenotypes(&params, &mut phenotypes)
        .unwrap_or_else(|e| panic!("{e}"));
    (vcf, phenotypes)
}

fn association(name: &str, limit: u32) -> GenomeAnalysis {
    serde_json::from_str(&format!(
        r#"{{"name": "{name}", "vcf_file": "x", "phenotype_file": "p", "region": "1", "limit": {limit}}}"#
    ))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn with_phenotypes<'a>(vcf: &'a [u8], phenotypes: &'a [u8]) -> Vec<GenomeInput<'a>> {
    vec![GenomeInput {
        label: "ds".into(),
        vcf: Box::new(vcf),
        phenotypes: Some(Box::new(phenotypes)),
        index: None,
    }]
}

#[test]
fn the_association_noise_scale_is_four_times_the_tables_over_epsilon() {
    let (vcf, phenotypes) = cohort();
    let mut scales = Vec::new();
    let mut laplace = |scale: f64| {
        scales.push(scale);
        Ok(0.0)
    };
    run_private(
        &association("private_association", 30),
        1,
        with_phenotypes(&vcf, &phenotypes),
        Privacy {
            epsilon: 2.0,
            laplace: &mut laplace,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut reader =
        strongroom_genome::VcfReader::new(vcf.as_slice()).unwrap_or_else(|e| panic!("{e}"));
    let tables: usize = strongroom_genome::count_alleles(&mut reader)
        .map(|s| s.unwrap_or_else(|e| panic!("{e}")))
        .filter(|s| s.key.chromosome == "1")
        .take(30)
        .map(|s| s.key.alternates.len())
        .sum();
    assert!(tables >= 30, "{tables} tables");
    assert_eq!(scales.len(), 4 * tables, "four cells per table");
    assert!(
        scales.iter().all(|&s| s == 4.0 * tables as f64 / 2.0),
        "{scales:?}"
    );
}

#[test]
fn without_noise_the_private_association_is_the_exact_one_on_its_candidates() {
    let (vcf, phenotypes) = cohort();
    let mut laplace = |_: f64| Ok(0.0);
    let private = run_private(
        &association("private_association", 30),
        1,
        with_phenotypes(&vcf, &phenotypes),
        Privacy {
            epsilon: 1.0,
            laplace: &mut laplace,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let exact = run(
        &association("association", 2000),
        1,
        with_phenotypes(&vcf, &phenotypes),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (GenomeOutput::Association(private), GenomeOutput::Association(exact)) = (private, exact)
    else {
        panic!("not associations")
    };
    assert_eq!(private.epsilon, Some(1.0));
    // The candidates: the first 30 sites of contig 1.
    let mut reader =
        strongroom_genome::VcfReader::new(vcf.as_slice()).unwrap_or_else(|e| panic!("{e}"));
    let candidates: Vec<u64> = strongroom_genome::count_alleles(&mut reader)
        .map(|s| s.unwrap_or_else(|e| panic!("{e}")))
        .filter(|s| s.key.chromosome == "1")
        .take(30)
        .map(|s| s.key.position)
        .collect();
    let expected: Vec<_> = exact
        .rows
        .into_iter()
        .filter(|r| candidates.contains(&r.pos))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(private.rows, expected);
}
