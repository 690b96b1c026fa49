//! Splitting a VCF by sample into several datasets (as if several hospitals each held
//! some of the samples): every record kept, each output with a contiguous share of
//! the sample columns. For tests, demos and benchmarks of summing across datasets.
//!
//! Phenotypes need no splitting: [`crate::Phenotypes::join`] matches by name, so one
//! phenotype file serves every part (the others' samples count as unmatched).

use std::io::{self, BufRead, BufReader, Read, Write};

use crate::input::decompressed;

/// What [`split_by_sample`] wrote.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct SplitReport {
    /// Records written to each part.
    pub records: u64,
    /// Samples in each part, in order.
    pub samples: Vec<usize>,
}

/// Splitting failed. Errors name the input line (1-based, decompressed), never a
/// sample name or genotype.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SplitError {
    /// No `#CHROM` line before the first record, or none at all.
    #[error("line {line}: expected the #CHROM header line")]
    Header {
        /// Where it was expected.
        line: u64,
    },
    /// The input could not be read or decompressed.
    #[error("reading failed after line {line}: {source}")]
    Io {
        /// The last line read.
        line: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// No output was given.
    #[error("no output to split into")]
    NoParts,
    /// A record has not as many sample columns as the header.
    #[error(
        "line {line}: the header names {expected} samples but the record has {found} sample columns"
    )]
    SampleCount {
        /// The record's line.
        line: u64,
        /// Samples in the header.
        expected: usize,
        /// Sample columns in the record.
        found: usize,
    },
    /// More parts than samples.
    #[error("cannot split {samples} samples into {parts} parts")]
    TooManyParts {
        /// Parts asked for.
        parts: usize,
        /// Samples in the header.
        samples: usize,
    },
    /// An output could not be written.
    #[error("writing part {part} failed: {source}")]
    Write {
        /// The part (0-based).
        part: usize,
        /// The underlying error.
        source: io::Error,
    },
}

/// Splits the VCF `input` (plain, BGZF or gzip) into `outputs.len()` plain-text VCFs:
/// part `k` holds samples `[k n / parts, (k + 1) n / parts)` of the `n` samples, the
/// whole header (its `#CHROM` line cut likewise) and every record (the first nine
/// columns and its share of the sample columns). Records without sample columns are
/// copied whole to every part. Outputs are flushed, not closed.
pub fn split_by_sample<W: Write>(
    input: impl Read,
    outputs: &mut [W],
) -> Result<SplitReport, SplitError> {
    let parts = outputs.len();
    if parts == 0 {
        return Err(SplitError::NoParts);
    }
    let inner = decompressed(input).map_err(|source| SplitError::Io { line: 0, source })?;
    let mut input = BufReader::with_capacity(1 << 20, inner);
    let mut line = Vec::new();
    let mut line_no = 0u64;
    let mut shares: Option<Vec<(usize, usize)>> = None;
    let mut samples = 0usize;
    let mut records = 0u64;
    let mut tabs: Vec<usize> = Vec::new();
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|source| SplitError::Io {
                line: line_no,
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.starts_with(b"##") {
            write_all(outputs, |_| [text, b"", b"\n"])?;
            continue;
        }
        if text.is_empty() && shares.is_some() {
            continue;
        }
        tabs.clear();
        tabs.extend(
            text.iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\t')
                .map(|(i, _)| i),
        );
        let columns = tabs.len() + 1;
        let Some(shares) = &shares else {
            if !text.starts_with(b"#CHROM") {
                return Err(SplitError::Header { line: line_no });
            }
            samples = columns.saturating_sub(9);
            if parts > samples.max(1) {
                return Err(SplitError::TooManyParts { parts, samples });
            }
            let cut: Vec<(usize, usize)> = (0..parts)
                .map(|k| (k * samples / parts, (k + 1) * samples / parts))
                .collect();
            write_all(outputs, |k| cut_line(text, &tabs, cut[k]))?;
            shares = Some(cut);
            continue;
        };
        if columns <= 9 {
            write_all(outputs, |_| [text, b"", b"\n"])?;
        } else if columns - 9 != samples {
            return Err(SplitError::SampleCount {
                line: line_no,
                expected: samples,
                found: columns - 9,
            });
        } else {
            write_all(outputs, |k| cut_line(text, &tabs, shares[k]))?;
        }
        records += 1;
    }
    let Some(shares) = shares else {
        return Err(SplitError::Header { line: line_no + 1 });
    };
    for (part, out) in outputs.iter_mut().enumerate() {
        out.flush()
            .map_err(|source| SplitError::Write { part, source })?;
    }
    Ok(SplitReport {
        records,
        samples: shares.iter().map(|(a, b)| b - a).collect(),
    })
}

/// The first nine columns of `text`, then sample columns `[from, to)` with their
/// leading tab, then a newline: a contiguous share is one slice.
fn cut_line<'t>(text: &'t [u8], tabs: &[usize], (from, to): (usize, usize)) -> [&'t [u8]; 3] {
    // Column c (0-based) ends at tabs[c] (or the end of the line); sample s is column
    // 9 + s, preceded by tabs[8 + s].
    let end_of = |c: usize| tabs.get(c).copied().unwrap_or(text.len());
    let fixed = &text[..end_of(8)];
    if from == to {
        return [fixed, b"", b"\n"];
    }
    let start = tabs.get(8 + from).copied().unwrap_or(text.len());
    [fixed, &text[start..end_of(9 + to - 1)], b"\n"]
}

/// Writes `pieces(k)` to output `k`, for each output.
fn write_all<'t, W: Write>(
    outputs: &mut [W],
    pieces: impl Fn(usize) -> [&'t [u8]; 3],
) -> Result<(), SplitError> {
    for (part, out) in outputs.iter_mut().enumerate() {
        for piece in pieces(part) {
            out.write_all(piece)
                .map_err(|source| SplitError::Write { part, source })?;
        }
    }
    Ok(())
}
