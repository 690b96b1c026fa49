//! Our Hardy-Weinberg p-value per site and ALT (from `tally_sites`' genotype counts)
//! against `bcftools +fill-tags FILE -- -t HWE` on every shared VCF where bcftools
//! writes HWE; and against a brute-force enumeration in Python (SciPy log-factorials).

mod common;

use std::{fs, io::Write, process::Command};

use common::{
    declare_undeclared,
    python::{Cases, close, reference},
    shared_vcf, site_name, vcf_text,
};
use strongroom_genome::{Site, VcfReader, hwe_p_value, tally_sites};

/// bcftools' HWE values per record (`None` where it writes none).
fn bcftools_hwe(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut file = tempfile::Builder::new()
        .suffix(".vcf")
        .tempfile()
        .unwrap_or_else(|e| panic!("{e}"));
    file.write_all(declare_undeclared(text).as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let output = Command::new("bcftools")
        .arg("+fill-tags")
        .arg(file.path())
        .args(["--", "-t", "HWE"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run bcftools ({e}); install it as scripts/test.sh does")
        });
    if !output.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let hwe = f[7]
                    .split(';')
                    .find_map(|e| e.strip_prefix("HWE="))
                    .map(str::to_owned);
                (format!("{}:{}:{}:{}", f[0], f[1], f[3], f[4]), hwe)
            })
            .collect(),
    )
}

/// Compares one file; returns the number of values compared.
fn compare(relative: &str) -> usize {
    let path = shared_vcf(relative);
    let text = vcf_text(&path);
    let Some(theirs) = bcftools_hwe(&text) else {
        // bcftools stops on genotypes it cannot test (see the test below).
        return 0;
    };
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut reader = VcfReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
    let ours: Vec<_> = tally_sites(&mut reader, None)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    assert_eq!(ours.len(), theirs.len(), "{relative}: records");
    let mut compared = 0;
    for (site, (name, hwe)) in ours.iter().zip(&theirs) {
        let as_site = Site {
            line: site.line,
            key: site.key.clone(),
            genotyped: site.genotyped,
            counts: site.tally.counts.clone(),
        };
        assert_eq!(&site_name(&as_site), name, "{relative}");
        let Some(hwe) = hwe else { continue };
        let values: Vec<f64> = hwe
            .split(',')
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|e| panic!("{name}: HWE={hwe}: {e}"))
            })
            .collect();
        assert_eq!(
            values.len(),
            site.tally.genotypes.len(),
            "{relative} {name}"
        );
        for (g, theirs) in site.tally.genotypes.iter().zip(values) {
            let ours = g.hwe_p_value();
            // bcftools stores HWE as a 32-bit float and prints it with %g (6
            // significant digits): relative 5e-6 from printing plus 6e-8 from the
            // float, so 1e-5; below the smallest normal float (1.2e-38) digits are
            // lost, so values there only need both to be below it.
            assert!(
                close(ours, theirs, 1e-5, 1.2e-38),
                "{relative} line {} {name}: HWE {ours:e}, bcftools {theirs:e} ({g:?})",
                site.line
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn hwe_p_values_match_bcftools_fill_tags() {
    let files = [
        "htslib/index.vcf",
        "htslib/vcf_file.vcf",
        "pyvcf/1kg.vcf.gz",
        "pyvcf/1kg.sites.vcf.gz",
        "pyvcf/bad-info-character.vcf",
        "pyvcf/example-4.1.vcf",
        "pyvcf/uncalled_genotypes.vcf",
        "vcfanno/exac.vcf.gz",
        "vcfanno/query.vcf.gz",
    ];
    let mut total = 0;
    for file in files {
        let n = compare(file);
        eprintln!("{file}: {n} HWE values identical to bcftools'");
        total += n;
    }
    assert!(total > 300, "only {total} HWE values compared");
}

/// Seeded random genotype counts (up to a few thousand samples) and edge cases,
/// against an enumeration of every heterozygote count with log-factorials.
#[test]
fn hwe_p_values_match_brute_force_enumeration() {
    let mut cases: Vec<Vec<u64>> = vec![
        vec![0, 0, 0],
        vec![0, 10, 0],
        vec![1, 0, 0],
        vec![3, 0, 0],
        vec![1, 1, 1],
        vec![0, 50, 50],
        vec![100, 0, 0],
        vec![57, 14, 29],
        vec![1, 999, 0],
        vec![0, 999, 1],
        vec![2000, 500, 500],
    ];
    let mut rng = Cases(2005);
    for scale in [3, 10, 100, 1000, 3000] {
        for _ in 0..40 {
            cases.push(vec![
                rng.below(scale),
                rng.below(scale),
                rng.below(scale / 3 + 1),
            ]);
        }
    }
    let theirs = reference("hwe", &cases);
    for (case, t) in cases.iter().zip(&theirs) {
        let ours = hwe_p_value(case[0], case[1], case[2]);
        let theirs = t[0].unwrap_or_else(|| panic!("{case:?}"));
        assert!(
            close(ours, theirs, 1e-9, 1e-300),
            "{case:?}: ours {ours:e}, brute force {theirs:e}"
        );
    }
}
