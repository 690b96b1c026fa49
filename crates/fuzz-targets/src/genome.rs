//! The target for a genome dataset's bytes: what a worker or an owner-side analyzer
//! reads of a VCF or BCF file another organization uploaded.

use strongroom_genome::analysis::{GenomeAnalysis, GenomeInput, check_release, run};
use strongroom_genome::{BcfReader, MergedCounts, VcfReader, count_alleles, summarize};

/// A VCF or BCF file. The first byte is the mode:
///
/// - even: the rest is read as VCF (plain, BGZF or gzip): `summarize`, then
///   `count_alleles` merged with `MergedCounts`; when both succeed, the summary counts
///   exactly the sites counted;
/// - odd: the rest is read as BCF with `BcfReader`, every site counted.
pub fn genome_vcf(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let summary = summarize(rest);
        let Ok(mut reader) = VcfReader::new(rest) else {
            return;
        };
        let mut merged = MergedCounts::new();
        let mut sites = 0u64;
        let counted = merged.add_dataset(count_alleles(&mut reader).inspect(|site| {
            if site.is_ok() {
                sites += 1;
            }
        }));
        if let (Ok(summary), Ok(())) = (summary, counted) {
            assert_eq!(
                summary.records, sites,
                "the summary counts the sites counted"
            );
        }
    } else {
        let Ok(mut reader) = BcfReader::new(rest) else {
            return;
        };
        for site in reader.sites() {
            if site.is_err() {
                return;
            }
        }
    }
}

/// A genome analysis over two inputs holding the same file, as the worker runs one over
/// datasets of several organizations: mode byte (bit 0: association rather than allele
/// frequencies; the rest: `k - 1`), the genome file's length (u32 big-endian), the
/// file (VCF or BCF, any compression), then the phenotype table. Whatever the bytes,
/// nothing panics and a result that is produced keeps the release rule.
pub fn genome_analysis(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((length, rest)) = rest.split_first_chunk::<4>() else {
        return;
    };
    let length = u32::from_be_bytes(*length) as usize;
    let (genome, phenotypes) = rest.split_at(length.min(rest.len()));
    let k = u32::from(mode >> 1) + 1;
    let analysis = if mode % 2 == 0 {
        GenomeAnalysis::AlleleFrequency {
            vcf_file: "g".into(),
            region: None,
            min_af: None,
            limit: None,
            k: None,
        }
    } else {
        GenomeAnalysis::Association {
            vcf_file: "g".into(),
            phenotype_file: "p".into(),
            region: None,
            min_af: None,
            limit: None,
            k: None,
        }
    };
    let input = || GenomeInput {
        label: "ds".into(),
        vcf: Box::new(genome),
        phenotypes: Some(Box::new(phenotypes)),
        index: None,
    };
    if let Ok(output) = run(&analysis, k, vec![input(), input()]) {
        assert_eq!(
            check_release(&output, k),
            Ok(()),
            "a released row breaks the rule"
        );
    }
}
