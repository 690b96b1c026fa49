//! What the catalog records of a VCF dataset: counts and contig names, never a
//! sample name.

use std::io::Read;

use crate::{error::ReadError, reader::VcfReader};

/// A VCF dataset's shape, for its catalog entry.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Summary {
    /// Samples named by the header.
    pub samples: usize,
    /// The header's `##contig` names in order, then any other CHROM the records use,
    /// in order of first use.
    pub contigs: Vec<String>,
    /// Data records.
    pub records: u64,
}

/// Reads a whole VCF (plain, BGZF or gzip), checking every record (fixed fields,
/// position, one column per sample, and every GT value against the record's alleles),
/// and summarizes it. A file that is not a valid VCF is an error naming the line.
pub fn summarize<R: Read>(reader: R) -> Result<Summary, ReadError> {
    let mut reader = VcfReader::new(reader)?;
    let samples = reader.header().sample_names().len();
    let mut contigs: Vec<String> = reader.header().contigs().keys().cloned().collect();
    let mut known: std::collections::HashSet<String> = contigs.iter().cloned().collect();
    let mut records = 0u64;
    for site in crate::counts::count_alleles(&mut reader) {
        let site = site?;
        if !known.contains(&site.key.chromosome) {
            known.insert(site.key.chromosome.clone());
            contigs.push(site.key.chromosome);
        }
        records += 1;
    }
    Ok(Summary {
        samples,
        contigs,
        records,
    })
}
