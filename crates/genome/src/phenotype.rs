//! Case/control status per sample, read from a CSV file and joined to a VCF's samples
//! by name inside the worker. Sample names are never copied into errors or results.

use std::{
    collections::HashMap,
    fs::File,
    io::{self, BufRead, BufReader},
    path::Path,
};

use crate::genotype::Group;

/// A sample's phenotype.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Status {
    /// `case`.
    Case,
    /// `control`.
    Control,
}

/// Case/control status by sample name, from a CSV file.
///
/// The format: a header line naming the columns `sample` and `status` (in any order,
/// among others if any), then one line per sample; `status` is `case` or `control`.
/// Fields are separated by commas and trimmed of surrounding whitespace; there is no
/// quoting (a sample name cannot contain a comma). Empty lines are ignored.
///
/// ```
/// use strongroom_genome::{Phenotypes, Status};
///
/// let phenotypes = Phenotypes::read("sample,status\nS1,case\n S2 , control\n".as_bytes())?;
/// assert_eq!(phenotypes.status("S2"), Some(Status::Control));
/// let join = phenotypes.join(&["S2".to_owned(), "S3".to_owned()]);
/// assert_eq!((join.cases, join.controls, join.unlisted, join.unmatched), (0, 1, 1, 1));
/// # Ok::<_, strongroom_genome::PhenotypeError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Phenotypes {
    status: HashMap<String, Status>,
}

/// How phenotypes matched a VCF's samples ([`Phenotypes::join`]).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Join {
    /// VCF samples listed as cases.
    pub cases: usize,
    /// VCF samples listed as controls.
    pub controls: usize,
    /// VCF samples not listed: left out of the case and control counts (they still
    /// count in the site's AN and AC).
    pub unlisted: usize,
    /// Listed samples that the VCF does not have (allowed: a phenotype file may cover
    /// several datasets).
    pub unmatched: usize,
    /// The status of each VCF sample, by column.
    pub(crate) groups: Vec<Group>,
}

/// A phenotype file could not be read. Errors name the line (1-based), never a
/// sample name.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PhenotypeError {
    /// A sample is listed twice.
    #[error("line {line}: the sample is already listed on line {first}")]
    DuplicateSample {
        /// The second listing.
        line: u64,
        /// The first.
        first: u64,
    },
    /// The file has no header line.
    #[error("no header line (expected `sample,status`)")]
    Empty,
    /// The file could not be read.
    #[error("reading the phenotypes failed after line {line}: {source}")]
    Io {
        /// The last line read.
        line: u64,
        /// The underlying error.
        source: io::Error,
    },
    /// The header does not name a required column.
    #[error("line {line}: the header has no `{column}` column")]
    MissingColumn {
        /// The header's line.
        line: u64,
        /// The missing column: `sample` or `status`.
        column: &'static str,
    },
    /// A line has fewer fields than the header, or an empty sample name.
    #[error("line {line}: missing field `{column}`")]
    MissingField {
        /// The line.
        line: u64,
        /// The missing field.
        column: &'static str,
    },
    /// A status other than `case` or `control`.
    #[error("line {line}: the status is neither `case` nor `control`")]
    UnknownStatus {
        /// The line.
        line: u64,
    },
}

impl Phenotypes {
    /// Reads the phenotype CSV at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PhenotypeError> {
        let file = File::open(path).map_err(|source| PhenotypeError::Io { line: 0, source })?;
        Self::read(BufReader::new(file))
    }

    /// Reads a phenotype CSV.
    pub fn read(input: impl BufRead) -> Result<Self, PhenotypeError> {
        let mut columns: Option<(usize, usize)> = None;
        let mut status = HashMap::new();
        let mut first_line: HashMap<String, u64> = HashMap::new();
        let mut line_no = 0u64;
        for line in input.lines() {
            let line = line.map_err(|source| PhenotypeError::Io {
                line: line_no,
                source,
            })?;
            line_no += 1;
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let Some((sample_at, status_at)) = columns else {
                let find = |column: &'static str| {
                    fields
                        .iter()
                        .position(|f| *f == column)
                        .ok_or(PhenotypeError::MissingColumn {
                            line: line_no,
                            column,
                        })
                };
                columns = Some((find("sample")?, find("status")?));
                continue;
            };
            let field = |at: usize, column: &'static str| {
                fields
                    .get(at)
                    .filter(|f| !f.is_empty())
                    .ok_or(PhenotypeError::MissingField {
                        line: line_no,
                        column,
                    })
            };
            let sample = *field(sample_at, "sample")?;
            let value = match *field(status_at, "status")? {
                "case" => Status::Case,
                "control" => Status::Control,
                _ => return Err(PhenotypeError::UnknownStatus { line: line_no }),
            };
            if let Some(&first) = first_line.get(sample) {
                return Err(PhenotypeError::DuplicateSample {
                    line: line_no,
                    first,
                });
            }
            first_line.insert(sample.to_owned(), line_no);
            status.insert(sample.to_owned(), value);
        }
        if columns.is_none() {
            return Err(PhenotypeError::Empty);
        }
        Ok(Self { status })
    }

    /// The status of sample `name`, if listed.
    pub fn status(&self, name: &str) -> Option<Status> {
        self.status.get(name).copied()
    }

    /// How many samples are listed.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    /// Whether no sample is listed.
    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// Matches the listed samples to a VCF's sample names (its header's, in column
    /// order, as [`crate::VcfReader::sample_names`] gives them).
    pub fn join(&self, sample_names: &[String]) -> Join {
        let mut join = Join {
            cases: 0,
            controls: 0,
            unlisted: 0,
            unmatched: 0,
            groups: Vec::with_capacity(sample_names.len()),
        };
        let mut matched = 0;
        for name in sample_names {
            let group = match self.status(name) {
                Some(Status::Case) => {
                    join.cases += 1;
                    Group::Case
                }
                Some(Status::Control) => {
                    join.controls += 1;
                    Group::Control
                }
                None => {
                    join.unlisted += 1;
                    Group::Unlisted
                }
            };
            if group != Group::Unlisted {
                matched += 1;
            }
            join.groups.push(group);
        }
        // VCF sample names are unique (noodles rejects duplicates), so each listed
        // sample matches at most once.
        join.unmatched = self.status.len().saturating_sub(matched);
        join
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Phenotypes, PhenotypeError> {
        Phenotypes::read(text.as_bytes())
    }

    #[test]
    fn reads_trimmed_fields_in_any_column_order_and_skips_empty_lines() {
        let p = match read("\nstatus , sample\n\n case ,a b\ncontrol,c\n") {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(p.len(), 2);
        assert_eq!(p.status("a b"), Some(Status::Case));
        assert_eq!(p.status("c"), Some(Status::Control));
    }

    #[test]
    fn errors_name_the_line_and_never_the_sample() {
        let cases = [
            (
                "sample,status\nsecret,case\nsecret,control\n",
                "line 3: the sample is already listed on line 2",
            ),
            (
                "sample,status\nsecret,sick\n",
                "line 2: the status is neither `case` nor `control`",
            ),
            (
                "name,status\nsecret,case\n",
                "line 1: the header has no `sample` column",
            ),
            (
                "sample,phenotype\n",
                "line 1: the header has no `status` column",
            ),
            ("sample,status\nsecret\n", "line 2: missing field `status`"),
            ("sample,status\n,case\n", "line 2: missing field `sample`"),
            ("\n\n", "no header line (expected `sample,status`)"),
        ];
        for (text, want) in cases {
            match read(text) {
                Ok(_) => panic!("accepted {text:?}"),
                Err(e) => {
                    assert_eq!(e.to_string(), want);
                    assert!(!e.to_string().contains("secret"));
                }
            }
        }
    }
}
