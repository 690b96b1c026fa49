//! A streamed VCF reader: the header, then one record at a time with its line number.
//! Memory holds the header and one record, whatever the file's size.

use std::{
    fs::File,
    io::{self, Read},
    path::Path,
};

use noodles_vcf as vcf;

use crate::{
    error::{ReadError, RecordProblem},
    input::{LineCounter, decompressed},
};

/// Reads a VCF (plain, BGZF or gzip, detected from its first bytes) record by record.
pub struct VcfReader<'a> {
    inner: vcf::io::Reader<LineCounter<Box<dyn Read + 'a>>>,
    header: vcf::Header,
    sample_names: Vec<String>,
    record: vcf::Record,
}

impl<'a> VcfReader<'a> {
    /// Opens the VCF at `path` and reads its header.
    pub fn open(path: impl AsRef<Path>) -> Result<VcfReader<'static>, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Io { line: 0, source })?;
        VcfReader::new(file)
    }

    /// Reads the header of the VCF that `inner` yields.
    pub fn new<R: Read + 'a>(inner: R) -> Result<Self, ReadError> {
        let inner = decompressed(inner).map_err(|source| ReadError::Io { line: 0, source })?;
        let mut inner = vcf::io::Reader::new(LineCounter::new(inner));
        let header = inner.read_header().map_err(|source| {
            let line = inner.get_ref().last_line().max(1);
            match source.kind() {
                io::ErrorKind::InvalidData => ReadError::Header { line, source },
                _ => ReadError::Io { line, source },
            }
        })?;
        let sample_names = header.sample_names().iter().cloned().collect();
        Ok(Self {
            inner,
            header,
            sample_names,
            record: vcf::Record::default(),
        })
    }

    /// Reads the records of `inner`, which holds record lines only, of a VCF whose
    /// header was read before; lines are counted from the first byte of `inner`.
    pub(crate) fn records_of<R: Read + 'a>(
        inner: R,
        header: vcf::Header,
        sample_names: Vec<String>,
    ) -> Self {
        let inner: Box<dyn Read + 'a> = Box::new(inner);
        Self {
            inner: vcf::io::Reader::new(LineCounter::new(inner)),
            header,
            sample_names,
            record: vcf::Record::default(),
        }
    }

    /// The header.
    pub fn header(&self) -> &vcf::Header {
        &self.header
    }

    /// The header's sample names, in column order.
    ///
    /// For joining phenotypes or other per-sample data inside the worker
    /// ([`crate::Phenotypes::join`]); sample names identify people and must never be
    /// released with a result, logged, or put in an error.
    pub fn sample_names(&self) -> &[String] {
        &self.sample_names
    }

    /// Reads the next record: `Ok(None)` at the end. The record is checked to have
    /// the fixed fields, a valid position, and one column per sample of the header.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        let line = self.inner.get_ref().complete_lines() + 1;
        let fail = |problem| ReadError::Record { line, problem };
        match self.inner.read_record(&mut self.record) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(fail(RecordProblem::Fields(e)));
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(fail(RecordProblem::Fields(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the record ends before its INFO field",
                ))));
            }
            Err(source) => return Err(ReadError::Io { line, source }),
        }
        let position = match self.record.variant_start() {
            None => 0,
            Some(Ok(position)) => usize::from(position) as u64,
            Some(Err(e)) => return Err(fail(RecordProblem::Fields(e))),
        };
        let expected = self.sample_names.len();
        let found = self.record.samples().iter().count();
        if found != expected {
            return Err(fail(RecordProblem::SampleCount { expected, found }));
        }
        Ok(Some(Record {
            line,
            position,
            inner: &self.record,
        }))
    }
}

/// A record just read, with its line number.
pub struct Record<'r> {
    line: u64,
    position: u64,
    inner: &'r vcf::Record,
}

impl<'r> Record<'r> {
    /// The record's line (1-based, in the decompressed text).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// CHROM.
    pub fn chromosome(&self) -> &'r str {
        self.inner.reference_sequence_name()
    }

    /// POS (1-based; 0 for a telomere).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// REF.
    pub fn reference(&self) -> &'r str {
        self.inner.reference_bases()
    }

    /// The ALT alleles (none when ALT is `.`).
    pub fn alternates(&self) -> Vec<String> {
        let bases = self.inner.alternate_bases();
        let alt: &str = bases.as_ref();
        if alt == "." || alt.is_empty() {
            Vec::new()
        } else {
            alt.split(',').map(str::to_owned).collect()
        }
    }

    /// Calls `f` with each sample's 1-based column and GT value, in sample order;
    /// `None` when the record has no GT in FORMAT. A sample whose trailing fields are
    /// dropped has GT `.` (VCF 4.3, section 1.6.2).
    pub fn for_each_genotype<E>(
        &self,
        mut f: impl FnMut(usize, &str) -> Result<(), E>,
    ) -> Option<Result<(), E>> {
        let samples = self.inner.samples();
        let keys = samples.keys();
        let index = keys.iter().position(|key| key == "GT")?;
        for (i, sample) in samples.iter().enumerate() {
            let raw: &str = sample.as_ref();
            let gt = raw.split(':').nth(index).unwrap_or(".");
            if let Err(e) = f(i + 1, gt) {
                return Some(Err(e));
            }
        }
        Some(Ok(()))
    }
}
