//! `strongroom bench genomes`: records per second of the allele-frequency analysis on
//! a generated VCF, against `bcftools +fill-tags` on the same file in the same run.
//!
//! Both run on one core (bcftools without `--threads`; the analysis in this thread)
//! over the same BGZF file, each reading, decompressing, parsing and counting every
//! genotype; bcftools writes its output as uncompressed BCF to /dev/null. The runs
//! alternate (ours, bcftools, ours, ...) and the ratio is taken pair by pair, so that
//! the machine's noise hits both alike.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Args;
use serde::Serialize;
use strongroom_genome::analysis::{GenomeAnalysis, GenomeInput, GenomeOutput};
use strongroom_genome::generate::GenerateParams;

/// Arguments of `bench genomes`.
#[derive(Debug, Args)]
pub struct GenomesBenchArgs {
    /// Sites of the generated VCF.
    #[arg(long, default_value_t = 100_000)]
    sites: u64,
    /// Samples of the generated VCF.
    #[arg(long, default_value_t = 1_000)]
    samples: u64,
    /// Pairs of runs (ours, then bcftools').
    #[arg(long, default_value_t = 3)]
    pairs: u32,
    /// Keep the generated VCF in this directory (reused if it is there already).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct Figures {
    sites: u64,
    samples: u64,
    file_bytes: u64,
    generate_s: f64,
    ours_records_per_s: Vec<f64>,
    bcftools_records_per_s: Vec<f64>,
    ratio_per_pair: Vec<f64>,
    median_ratio: f64,
}

/// Runs the benchmark.
pub fn run(args: &GenomesBenchArgs) -> Result<()> {
    ensure!(args.pairs >= 1, "--pairs must be at least 1");
    bcftools_version()?;
    let temp;
    let dir = match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            dir.clone()
        }
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let vcf = dir.join(format!("bench-{}x{}.vcf.gz", args.sites, args.samples));
    let phenotypes = dir.join(format!(
        "bench-{}x{}.phenotypes.csv",
        args.sites, args.samples
    ));
    let started = Instant::now();
    if !vcf.is_file() {
        let params = GenerateParams::new(16, args.sites, usize::try_from(args.samples)?);
        crate::commands::demo::generate_cohort(&params, &vcf, &phenotypes)?;
    }
    let generate_s = started.elapsed().as_secs_f64();
    let file_bytes = std::fs::metadata(&vcf)?.len();
    eprintln!(
        "bench genomes: {} sites x {} samples, {:.1} MiB BGZF ({generate_s:.1} s to generate)",
        args.sites,
        args.samples,
        file_bytes as f64 / (1 << 20) as f64
    );
    let analysis = GenomeAnalysis::AlleleFrequency {
        vcf_file: "bench.vcf.gz".into(),
        region: None,
        min_af: None,
        limit: None,
        k: None,
    };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for pair in 1..=args.pairs {
        let (records, took) = allele_frequency(&analysis, &vcf)?;
        ensure!(
            records == args.sites,
            "the analysis read {records} sites, the file has {}",
            args.sites
        );
        ours.push(records as f64 / took.as_secs_f64());
        let took = fill_tags(&vcf)?;
        theirs.push(args.sites as f64 / took.as_secs_f64());
        eprintln!(
            "pair {pair}: ours {:.0} records/s, bcftools +fill-tags {:.0} records/s",
            ours[ours.len() - 1],
            theirs[theirs.len() - 1]
        );
    }
    let ratio_per_pair: Vec<f64> = ours.iter().zip(&theirs).map(|(a, b)| a / b).collect();
    let mut sorted = ratio_per_pair.clone();
    sorted.sort_by(f64::total_cmp);
    let figures = Figures {
        sites: args.sites,
        samples: args.samples,
        file_bytes,
        generate_s,
        ours_records_per_s: ours,
        bcftools_records_per_s: theirs,
        median_ratio: sorted[sorted.len() / 2],
        ratio_per_pair,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!(
            "allele frequency (AC, AN, AF, genotype counts, HWE), one core: median {:.2}x bcftools +fill-tags -t AN,AC,AF,HWE (pairs: {})",
            figures.median_ratio,
            figures
                .ratio_per_pair
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// The analysis over `vcf`: the sites it read and the time it took.
fn allele_frequency(analysis: &GenomeAnalysis, vcf: &Path) -> Result<(u64, Duration)> {
    let started = Instant::now();
    let file = std::fs::File::open(vcf)?;
    let output = strongroom_genome::analysis::run(
        analysis,
        1,
        vec![GenomeInput {
            label: "bench".into(),
            vcf: Box::new(file),
            phenotypes: None,
            index: None,
        }],
    )?;
    let took = started.elapsed();
    let GenomeOutput::AlleleFrequency(rows) = output else {
        bail!("the analysis returned another kind of result");
    };
    Ok((rows.sites, took))
}

/// `bcftools +fill-tags` over `vcf` (same tags), output discarded.
fn fill_tags(vcf: &Path) -> Result<Duration> {
    let started = Instant::now();
    let status = Process::new("bcftools")
        .args(["+fill-tags", "-Ou", "-o", "/dev/null"])
        .arg(vcf)
        .args(["--", "-t", "AN,AC,AF,HWE"])
        .stdout(Stdio::null())
        .status()
        .context("cannot run bcftools")?;
    let took = started.elapsed();
    ensure!(status.success(), "bcftools +fill-tags failed: {status}");
    Ok(took)
}

fn bcftools_version() -> Result<()> {
    let out = Process::new("bcftools")
        .arg("--version")
        .output()
        .context("bench genomes compares with bcftools, which is not on PATH (Debian: apt-get install bcftools)")?;
    ensure!(out.status.success(), "bcftools --version failed");
    Ok(())
}
