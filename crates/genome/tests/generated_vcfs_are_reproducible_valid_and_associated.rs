//! The synthetic VCF generator: the same seed gives the same bytes; bcftools reads
//! every generated site (plain and BGZF); the associated sites come out with small
//! p-values and most others do not; case and control counts agree with bcftools'
//! per-population counts (`+fill-tags -S`).

mod common;

use std::{io::Write, process::Command};

use strongroom_genome::{
    AlleleTable, MergedTallies, Phenotypes, VcfReader,
    generate::{GenerateParams, write_phenotypes, write_vcf, write_vcf_bgzf},
    split_by_sample, tally_sites,
};

fn params() -> GenerateParams {
    GenerateParams {
        associated: 5,
        ..GenerateParams::new(42, 400, 300)
    }
}

fn generated(params: &GenerateParams) -> Vec<u8> {
    let mut out = Vec::new();
    write_vcf(params, &mut out).unwrap_or_else(|e| panic!("{e}"));
    out
}

#[test]
fn same_seed_and_params_give_identical_bytes() {
    let a = generated(&params());
    assert_eq!(a, generated(&params()));
    let other = GenerateParams {
        seed: 43,
        ..params()
    };
    assert_ne!(a, generated(&other));
}

fn bcftools_count(bytes: &[u8], suffix: &str) -> usize {
    let mut file = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("bcftools")
        .args(["view", "-H"])
        .arg(file.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run bcftools ({e}); install it as scripts/test.sh does")
        });
    assert!(
        output.status.success(),
        "bcftools view failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "bcftools warned: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).lines().count()
}

#[test]
fn bcftools_reads_every_generated_site() {
    let params = params();
    assert_eq!(bcftools_count(&generated(&params), ".vcf"), 400);
    let mut bgzf = Vec::new();
    let g = write_vcf_bgzf(&params, &mut bgzf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.records, 400);
    assert_eq!(bcftools_count(&bgzf, ".vcf.gz"), 400);
    // Multi-allelic sites and missing genotypes are present.
    let text = String::from_utf8_lossy(&generated(&params)).into_owned();
    assert!(
        text.lines()
            .any(|l| !l.starts_with('#') && l.split('\t').nth(4).is_some_and(|a| a.contains(',')))
    );
    assert!(text.contains("./."));
}

/// Three parts (split by sample), summed: the associated sites have p < 1e-6, and
/// fewer than 2% of the other tested ALTs have p < 0.01 (about 1% expected).
#[test]
fn associated_sites_have_small_p_values_and_most_others_do_not() {
    let params = GenerateParams {
        associated: 8,
        ..GenerateParams::new(7, 2000, 600)
    };
    let mut vcf = Vec::new();
    let g = write_vcf(&params, &mut vcf).unwrap_or_else(|e| panic!("{e}"));
    let mut csv = Vec::new();
    write_phenotypes(&params, &mut csv).unwrap_or_else(|e| panic!("{e}"));
    let phenotypes = Phenotypes::read(&csv[..]).unwrap_or_else(|e| panic!("{e}"));
    let mut parts = vec![Vec::new(); 3];
    split_by_sample(&vcf[..], &mut parts).unwrap_or_else(|e| panic!("{e}"));
    let mut merged = MergedTallies::new();
    for part in &parts {
        let mut reader = VcfReader::new(&part[..]).unwrap_or_else(|e| panic!("{e}"));
        let join = phenotypes.join(reader.sample_names());
        assert_eq!((join.unlisted, join.unmatched), (0, 400));
        merged
            .add_dataset(tally_sites(&mut reader, Some(&phenotypes)))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let (mut others, mut small) = (0, 0);
    for (key, tally) in merged.sites() {
        for alt in 0..key.alternates.len() {
            let Some(table) = AlleleTable::new(&tally.case, &tally.control, alt) else {
                continue;
            };
            let p = table.test().p_value;
            if g.associated.contains(key) {
                assert!(p < 1e-6, "{key:?}: p = {p:e}");
            } else {
                others += 1;
                if p < 0.01 {
                    small += 1;
                }
            }
        }
    }
    assert_eq!(g.associated.len(), 8);
    assert!(others > 1900, "{others}");
    assert!(
        small * 50 < others,
        "{small} of {others} non-associated ALTs with p < 0.01"
    );
}

/// bcftools +fill-tags -S (samples file: name and population) writes AN_case,
/// AC_case, AN_control, AC_control; ours come from the phenotype join.
#[test]
fn case_and_control_counts_match_bcftools_populations() {
    let params = params();
    let vcf = generated(&params);
    let mut groups = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("{e}"));
    let mut csv = String::from("sample,status\n");
    // Leave every seventh sample out of the phenotypes: it counts only in the whole.
    for i in (0..params.samples).filter(|i| i % 7 != 3) {
        let status = if params.is_case(i) { "case" } else { "control" };
        let name = strongroom_genome::generate::sample_name(i);
        writeln!(groups, "{name}\t{status}").unwrap_or_else(|e| panic!("{e}"));
        csv.push_str(&format!("{name},{status}\n"));
    }
    let mut file = tempfile::Builder::new()
        .suffix(".vcf")
        .tempfile()
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(&vcf).unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("bcftools")
        .arg("+fill-tags")
        .arg(file.path())
        .args(["--", "-t", "AN,AC", "-S"])
        .arg(groups.path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run bcftools ({e})"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let theirs: Vec<&str> = stdout.lines().filter(|l| !l.starts_with('#')).collect();
    let phenotypes = Phenotypes::read(csv.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = VcfReader::new(&vcf[..]).unwrap_or_else(|e| panic!("{e}"));
    let ours: Vec<_> = tally_sites(&mut reader, Some(&phenotypes))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ours.len(), theirs.len());
    for (site, line) in ours.iter().zip(theirs) {
        let info = line.split('\t').nth(7).unwrap_or_default();
        let tag = |key: &str| {
            info.split(';')
                .find_map(|e| e.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                .unwrap_or_else(|| panic!("line {}: no {key}", site.line))
                .to_owned()
        };
        let join = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        let t = &site.tally;
        assert_eq!(tag("AN"), t.counts.an.to_string(), "line {}", site.line);
        assert_eq!(tag("AN_case"), t.case.an.to_string(), "line {}", site.line);
        assert_eq!(tag("AC_case"), join(&t.case.ac), "line {}", site.line);
        assert_eq!(
            tag("AN_control"),
            t.control.an.to_string(),
            "line {}",
            site.line
        );
        assert_eq!(tag("AC_control"), join(&t.control.ac), "line {}", site.line);
        assert!(t.case.an + t.control.an < t.counts.an, "line {}", site.line);
    }
}
