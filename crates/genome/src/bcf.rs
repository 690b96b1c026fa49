//! BCF (BGZF-compressed, as `bcftools view -Ob` writes it, or uncompressed) read
//! record by record with noodles-bcf, and its allele counts. Errors name the record by
//! its number (1-based), BCF having no lines.

use std::{fs::File, io::Read, path::Path};

use noodles_bcf as bcf;
use noodles_vcf::{self as vcf, variant::record::AlternateBases as _};

use crate::{
    bcf_genotypes::for_each_genotype,
    counts::{Site, SiteCounts, SiteKey},
    error::{ReadError, RecordProblem},
    genotype::{AlleleCounter, Group},
    phenotype::Phenotypes,
    tally::{SiteTally, tally_of},
};

/// Reads a BCF record by record; memory holds the header and one record.
pub struct BcfReader<'a> {
    inner: bcf::io::Reader<Box<dyn Read + 'a>>,
    header: vcf::Header,
    sample_names: Vec<String>,
    record: bcf::Record,
    counter: AlleleCounter,
    records: u64,
}

impl<'a> BcfReader<'a> {
    /// Opens the BCF at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<BcfReader<'static>, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Io { line: 0, source })?;
        BcfReader::new(file)
    }

    /// Reads the header of the BCF that `inner` yields: BGZF-compressed (as
    /// `bcftools view -Ob` writes it) or uncompressed (`-Ou`), detected from the first
    /// bytes.
    pub fn new<R: Read + 'a>(inner: R) -> Result<Self, ReadError> {
        let decoded = crate::input::decompressed(inner)
            .map_err(|source| ReadError::Io { line: 0, source })?;
        let mut inner = bcf::io::Reader::from(decoded);
        let header = inner
            .read_header()
            .map_err(|source| ReadError::BcfHeader { source })?;
        let sample_names = header.sample_names().iter().cloned().collect();
        Ok(Self {
            inner,
            header,
            sample_names,
            record: bcf::Record::default(),
            counter: AlleleCounter::new(),
            records: 0,
        })
    }

    /// The header.
    pub fn header(&self) -> &vcf::Header {
        &self.header
    }

    /// The header's sample names, in column order: for joining phenotypes inside the
    /// worker, never to be released (see [`crate::VcfReader::sample_names`]).
    pub fn sample_names(&self) -> &[String] {
        &self.sample_names
    }

    /// Reads and counts the next record: `Ok(None)` at the end.
    pub fn next_site(&mut self) -> Result<Option<Site>, ReadError> {
        Ok(self.next_record(&[])?.map(|(line, key, genotyped)| Site {
            line,
            key,
            genotyped,
            counts: SiteCounts::from_alleles(self.counter.all()),
        }))
    }

    /// Reads and tallies the next record (see [`crate::tally_sites`]); `groups` are
    /// the phenotype groups by column.
    fn next_tally(&mut self, groups: &[Group]) -> Result<Option<SiteTally>, ReadError> {
        Ok(self
            .next_record(groups)?
            .map(|(line, key, genotyped)| SiteTally {
                line,
                key,
                genotyped,
                tally: tally_of(&self.counter),
            }))
    }

    /// Reads the next record and counts it into `self.counter`: its number, site and
    /// whether it has GT.
    fn next_record(&mut self, groups: &[Group]) -> Result<Option<(u64, SiteKey, bool)>, ReadError> {
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
        let counter = &mut self.counter;
        counter.reset(alternates.len() + 1);
        let samples = r.samples().map_err(|e| fail(RecordProblem::Fields(e)))?;
        let gt_key = header.string_maps().strings().get_index_of("GT");
        let genotyped = for_each_genotype(
            samples.as_ref(),
            samples.format_count(),
            header.sample_names().len(),
            gt_key,
            |column, alleles| {
                let group = groups.get(column - 1).copied().unwrap_or(Group::Unlisted);
                counter.add_alleles(alleles, column, group)
            },
        )
        .map_err(fail)?;
        let key = SiteKey {
            chromosome,
            position,
            reference,
            alternates,
        };
        Ok(Some((record, key, genotyped)))
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

    /// Tallies each record, one record at a time (the BCF counterpart of
    /// [`crate::tally_sites`]; [`SiteTally::line`] is the record's number).
    pub fn tallies(
        &mut self,
        phenotypes: Option<&Phenotypes>,
    ) -> impl Iterator<Item = Result<SiteTally, ReadError>> + use<'_, 'a> {
        let groups = phenotypes
            .map(|p| p.join(&self.sample_names).groups)
            .unwrap_or_default();
        let mut done = false;
        std::iter::from_fn(move || {
            if done {
                return None;
            }
            let result = self.next_tally(&groups).transpose();
            if !matches!(result, Some(Ok(_))) {
                done = true;
            }
            result
        })
    }
}
