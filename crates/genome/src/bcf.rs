//! BCF (BGZF-compressed, as `bcftools view -Ob` writes it) read record by record with
//! noodles-bcf, and its allele counts. Errors name the record by its number (1-based),
//! BCF having no lines.

use std::{fs::File, io::Read, path::Path};

use noodles_bcf as bcf;
use noodles_vcf::{self as vcf, variant::record::AlternateBases as _};

use crate::{
    bcf_genotypes::for_each_genotype,
    counts::{Site, SiteCounts, SiteKey},
    error::{ReadError, RecordProblem},
    genotype::add_alleles,
};

/// Reads a BCF record by record; memory holds the header and one record.
pub struct BcfReader<'a> {
    inner: bcf::io::Reader<noodles_bgzf::io::Reader<Box<dyn Read + 'a>>>,
    header: vcf::Header,
    record: bcf::Record,
    records: u64,
}

impl<'a> BcfReader<'a> {
    /// Opens the BCF at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<BcfReader<'static>, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Io { line: 0, source })?;
        BcfReader::new(file)
    }

    /// Reads the header of the BCF that `inner` yields.
    pub fn new<R: Read + 'a>(inner: R) -> Result<Self, ReadError> {
        let boxed: Box<dyn Read + 'a> = Box::new(inner);
        let mut inner = bcf::io::Reader::new(boxed);
        let header = inner
            .read_header()
            .map_err(|source| ReadError::BcfHeader { source })?;
        Ok(Self {
            inner,
            header,
            record: bcf::Record::default(),
            records: 0,
        })
    }

    /// The header.
    pub fn header(&self) -> &vcf::Header {
        &self.header
    }

    /// Reads and counts the next record: `Ok(None)` at the end.
    pub fn next_site(&mut self) -> Result<Option<Site>, ReadError> {
        let record = self.records + 1;
        let fail = |problem| ReadError::BcfRecord { record, problem };
        match self.inner.read_record(&mut self.record) {
            Ok(0) => return Ok(None),
            Ok(_) => self.records = record,
            Err(e) => return Err(fail(RecordProblem::Fields(e))),
        }
        let header = &self.header;
        let r = &self.record;
        let chromosome = r
            .reference_sequence_name(header.string_maps())
            .map_err(|e| fail(RecordProblem::Fields(e)))?
            .to_owned();
        let position = match r.variant_start() {
            None => 0,
            Some(Ok(position)) => usize::from(position) as u64,
            Some(Err(e)) => return Err(fail(RecordProblem::Fields(e))),
        };
        let reference = String::from_utf8(r.reference_bases().as_ref().to_vec()).map_err(|e| {
            fail(RecordProblem::Fields(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e,
            )))
        })?;
        let alternates = r
            .alternate_bases()
            .iter()
            .map(|alt| alt.map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(RecordProblem::Fields(e)))?;
        let mut alleles = vec![0u64; alternates.len() + 1];
        let samples = r.samples().map_err(|e| fail(RecordProblem::Fields(e)))?;
        let gt_key = header.string_maps().strings().get_index_of("GT");
        let genotyped = for_each_genotype(
            samples.as_ref(),
            samples.format_count(),
            header.sample_names().len(),
            gt_key,
            |sample, sample_alleles| add_alleles(sample_alleles, sample, &mut alleles),
        )
        .map_err(fail)?;
        Ok(Some(Site {
            line: record,
            key: SiteKey {
                chromosome,
                position,
                reference,
                alternates,
            },
            genotyped,
            counts: SiteCounts {
                an: alleles.iter().sum(),
                ac: alleles[1..].to_vec(),
            },
        }))
    }

    /// Counts the alleles of each record, one record at a time (the BCF counterpart
    /// of [`crate::count_alleles`]; [`Site::line`] is the record's number).
    pub fn sites(&mut self) -> impl Iterator<Item = Result<Site, ReadError>> + use<'_, 'a> {
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let result = self.next_site().transpose();
            if !matches!(result, Some(Ok(_))) {
                done = true;
            }
            result
        })
    }
}
