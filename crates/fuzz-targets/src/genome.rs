//! The target for a genome dataset's bytes: what a worker or an owner-side analyzer
//! reads of a VCF or BCF file another organization uploaded.

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
