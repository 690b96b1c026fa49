//! The genome analyses a task can ask for, as the TEE worker (over every party's
//! dataset) or an owner-side analyzer (over its own) runs them: per-site allele
//! frequencies summed over the inputs, and a case/control association test.
//!
//! A task names the analysis and its parameters in JSON, the `name` being the
//! built-in's:
//!
//! ```
//! use strongroom_genome::analysis::GenomeAnalysis;
//!
//! let a: GenomeAnalysis = serde_json::from_str(
//!     r#"{"name": "allele_frequency", "vcf_file": "cohort.vcf.gz",
//!         "region": "22:16000000-17000000", "min_af": 0.01}"#,
//! )?;
//! assert_eq!(a.vcf_file(), "cohort.vcf.gz");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Every input (one dataset each) holds a VCF file of the name `vcf_file` (and, for
//! association, a phenotype table `phenotype_file`); the inputs hold different samples
//! of the same sites, and their counts are summed site by site as
//! [`MergedCounts`](crate::MergedCounts) does. A malformed record in any input fails the
//! whole analysis with the input and the record's line: there is no partial result.

mod private;
mod release;
mod run;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use private::{Privacy, run_private};
pub use release::{
    AlleleRow, AssociationRow, GenomeOutput, Genotypes, ReleaseViolation, Rows, Test, check_release,
};
pub use run::{GenomeIndex, GenomeInput, ReadSeek, run};

/// The names of the genome built-ins and what each computes.
pub const GENOME_BUILTINS: [(&str, &str); 4] = [
    (
        "allele_frequency",
        "per-site AC, AN and AF of each ALT allele (as bcftools +fill-tags), genotype counts and a Hardy-Weinberg exact test, summed over every input VCF; sites whose minor-allele count is below k suppressed",
    ),
    (
        "private_allele_frequency",
        "AC, AN and AF of each ALT allele at the first sites of a region, summed over every input VCF, with Laplace noise for epsilon-differential privacy of every sample (the task's epsilon is charged to each input's budget); noisy minor-allele counts below k suppressed",
    ),
    (
        "private_association",
        "case/control allele association at the first sites of a region over every input VCF and its phenotype table, each 2x2 allele table with Laplace noise for epsilon-differential privacy of every sample and its status (the task's epsilon is charged to each input's budget); noisy cells below k suppressed",
    ),
    (
        "association",
        "case/control allele association per site over every input VCF and its phenotype table: 2x2 allele table, odds ratio, chi-square or Fisher p-value; sites with a count below k suppressed",
    ),
];

/// The columns of a VCF an analysis reads (see [`crate::columns`]).
pub const VCF_COLUMNS_READ: [&str; 5] = ["CHROM", "POS", "REF", "ALT", "FORMAT/GT"];

/// The columns of a phenotype table the association reads.
pub const PHENOTYPE_COLUMNS: [&str; 2] = ["sample", "status"];

/// Most rows a result holds by default, and at most.
pub const DEFAULT_LIMIT: u32 = 1_000;
/// See [`DEFAULT_LIMIT`].
pub const MAX_LIMIT: u32 = 2_000;

/// A genome analysis and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum GenomeAnalysis {
    /// Allele counts and frequencies per site and ALT allele, with genotype counts
    /// and a Hardy-Weinberg test, in the order of the sites.
    AlleleFrequency {
        /// The VCF file of each input.
        vcf_file: String,
        /// Only sites in this region.
        #[serde(default)]
        region: Option<Region>,
        /// Only ALT alleles with AF at least this (0 to 1).
        #[serde(default)]
        min_af: Option<f64>,
        /// At most this many rows (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
        #[serde(default)]
        limit: Option<u32>,
        /// The requested suppression threshold; it can only raise the owners'.
        #[serde(default)]
        k: Option<u32>,
    },
    /// Allele counts and frequencies of the sites of one region, released with
    /// differentially private noise ([`run_private`]): a task of this built-in charges
    /// its ε to each input's privacy budget.
    PrivateAlleleFrequency {
        /// The VCF file of each input.
        vcf_file: String,
        /// The region: its first `limit` sites are the candidates.
        region: Region,
        /// Only ALT alleles with a noisy AF at least this (0 to 1).
        #[serde(default)]
        min_af: Option<f64>,
        /// The candidate sites, and at most as many rows (default [`DEFAULT_LIMIT`],
        /// at most [`MAX_LIMIT`]): the noise grows with it.
        #[serde(default)]
        limit: Option<u32>,
        /// The requested suppression threshold; it can only raise the owners'.
        #[serde(default)]
        k: Option<u32>,
    },
    /// The case/control association of the sites of one region, each 2x2 table
    /// released with differentially private noise ([`run_private`]), the most
    /// significant first: a task of this built-in charges its ε to each input's budget.
    PrivateAssociation {
        /// The VCF file of each input.
        vcf_file: String,
        /// The phenotype table of each input: `sample,status` with `case` or `control`.
        phenotype_file: String,
        /// The region: its first `limit` sites are the candidates.
        region: Region,
        /// Only ALT alleles with a noisy AF (over cases and controls) at least this.
        #[serde(default)]
        min_af: Option<f64>,
        /// The candidate sites, and at most as many rows (default [`DEFAULT_LIMIT`],
        /// at most [`MAX_LIMIT`]): the noise grows with it.
        #[serde(default)]
        limit: Option<u32>,
        /// The requested suppression threshold; it can only raise the owners'.
        #[serde(default)]
        k: Option<u32>,
    },
    /// Case/control association per site and ALT allele, the most significant first.
    Association {
        /// The VCF file of each input.
        vcf_file: String,
        /// The phenotype table of each input: `sample,status` with `case` or `control`.
        phenotype_file: String,
        /// Only sites in this region.
        #[serde(default)]
        region: Option<Region>,
        /// Only ALT alleles with AF (over all samples) at least this (0 to 1).
        #[serde(default)]
        min_af: Option<f64>,
        /// At most this many rows (default [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`]).
        #[serde(default)]
        limit: Option<u32>,
        /// The requested suppression threshold; it can only raise the owners'.
        #[serde(default)]
        k: Option<u32>,
    },
}

/// One file and column an analysis reads, for the permission check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnRead {
    /// The file, as the analysis names it.
    pub file: String,
    /// The column, as [`crate::columns`] names a VCF's.
    pub column: String,
}

impl GenomeAnalysis {
    /// The built-in's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AlleleFrequency { .. } => "allele_frequency",
            Self::PrivateAlleleFrequency { .. } => "private_allele_frequency",
            Self::PrivateAssociation { .. } => "private_association",
            Self::Association { .. } => "association",
        }
    }

    /// The VCF file each input holds.
    pub fn vcf_file(&self) -> &str {
        match self {
            Self::AlleleFrequency { vcf_file, .. }
            | Self::PrivateAlleleFrequency { vcf_file, .. }
            | Self::PrivateAssociation { vcf_file, .. }
            | Self::Association { vcf_file, .. } => vcf_file,
        }
    }

    /// The phenotype file each input holds (association only).
    pub fn phenotype_file(&self) -> Option<&str> {
        match self {
            Self::AlleleFrequency { .. } | Self::PrivateAlleleFrequency { .. } => None,
            Self::Association { phenotype_file, .. }
            | Self::PrivateAssociation { phenotype_file, .. } => Some(phenotype_file),
        }
    }

    /// The columns the analysis reads, per file: the task must declare them and the
    /// grants must cover them.
    pub fn columns(&self) -> Vec<ColumnRead> {
        let at = |file: &str, column: &str| ColumnRead {
            file: file.to_owned(),
            column: column.to_owned(),
        };
        let mut read: Vec<ColumnRead> = VCF_COLUMNS_READ
            .iter()
            .map(|c| at(self.vcf_file(), c))
            .collect();
        if let Some(phenotypes) = self.phenotype_file() {
            read.extend(PHENOTYPE_COLUMNS.iter().map(|c| at(phenotypes, c)));
        }
        read
    }

    fn filters(&self) -> (Option<&Region>, Option<f64>, Option<u32>, Option<u32>) {
        match self {
            Self::AlleleFrequency {
                region,
                min_af,
                limit,
                k,
                ..
            }
            | Self::Association {
                region,
                min_af,
                limit,
                k,
                ..
            } => (region.as_ref(), *min_af, *limit, *k),
            Self::PrivateAlleleFrequency {
                region,
                min_af,
                limit,
                k,
                ..
            }
            | Self::PrivateAssociation {
                region,
                min_af,
                limit,
                k,
                ..
            } => (Some(region), *min_af, *limit, *k),
        }
    }

    /// The region the analysis reads, if any (an input's index then serves it).
    pub fn region(&self) -> Option<&Region> {
        self.filters().0
    }

    /// Whether the analysis releases noisy counts ([`run_private`]).
    pub fn is_private(&self) -> bool {
        matches!(
            self,
            Self::PrivateAlleleFrequency { .. } | Self::PrivateAssociation { .. }
        )
    }

    /// Checks the parameters; the error says which is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let (_, min_af, limit, k) = self.filters();
        if let Some(min_af) = min_af
            && !(0.0..=1.0).contains(&min_af)
        {
            return Err(format!("min_af: {min_af} is not between 0 and 1"));
        }
        if let Some(limit) = limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            return Err(format!("limit: {limit} is not between 1 and {MAX_LIMIT}"));
        }
        if k == Some(0) {
            return Err("k: must be at least 1".into());
        }
        if self.vcf_file().is_empty() || self.phenotype_file().is_some_and(str::is_empty) {
            return Err("a file name is empty".into());
        }
        Ok(())
    }
}

/// A region of the genome: a whole contig (`22`) or the positions `START` to `END` of
/// one, 1-based and inclusive (`22:16000000-17000000`), as `bcftools -r` writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The contig (CHROM).
    pub contig: String,
    /// The first position, or none for the whole contig.
    pub start: Option<u64>,
    /// The last position, or none for the whole contig.
    pub end: Option<u64>,
}

impl Region {
    /// Whether a site at `contig`:`position` lies in the region.
    pub fn contains(&self, contig: &str, position: u64) -> bool {
        contig == self.contig
            && self.start.is_none_or(|start| position >= start)
            && self.end.is_none_or(|end| position <= end)
    }
}

impl std::str::FromStr for Region {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a region (CHROM or CHROM:START-END)");
        let (contig, span) = match text.rsplit_once(':') {
            Some((contig, span)) if span.contains('-') => (contig, Some(span)),
            _ => (text, None),
        };
        if contig.is_empty() || contig.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (start, end) = match span {
            None => (None, None),
            Some(span) => {
                let (start, end) = span.split_once('-').ok_or_else(bad)?;
                let number = |s: &str| s.replace(',', "").parse::<u64>().map_err(|_| bad());
                let (start, end) = (number(start)?, number(end)?);
                if start == 0 || end < start {
                    return Err(format!(
                        "{text:?}: the region must run from position 1 or later to a position not before its start"
                    ));
                }
                (Some(start), Some(end))
            }
        };
        Ok(Self {
            contig: contig.to_owned(),
            start,
            end,
        })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.start, self.end) {
            (Some(start), Some(end)) => write!(f, "{}:{start}-{end}", self.contig),
            _ => f.write_str(&self.contig),
        }
    }
}

impl Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Region {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A genome analysis failed: the task fails and nothing is released.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// The parameters are not valid.
    #[error("the parameters: {0}")]
    Parameters(String),
    /// An input's VCF could not be read (a malformed record: its line).
    #[error("input {input} ({file}): {source}")]
    Read {
        /// The input (its dataset).
        input: String,
        /// The file.
        file: String,
        /// What went wrong, and where.
        source: crate::ReadError,
    },
    /// An input's phenotype table is not valid.
    #[error("input {input} ({file}): {reason}")]
    Phenotypes {
        /// The input (its dataset).
        input: String,
        /// The file.
        file: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// The inputs do not fit together (the same site with another REF, say).
    #[error("the inputs do not fit together: {0}")]
    Inputs(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_parse_as_bcftools_writes_them() {
        let r: Region = "22:16,000,000-17000000"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (r.contig.as_str(), r.start, r.end),
            ("22", Some(16_000_000), Some(17_000_000))
        );
        assert!(r.contains("22", 16_000_000) && r.contains("22", 17_000_000));
        assert!(!r.contains("22", 17_000_001) && !r.contains("21", 16_500_000));
        let whole: Region = "chrX".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(whole.contains("chrX", 1) && whole.start.is_none());
        // A contig name with a colon but no span is a whole contig (HLA-style names).
        let hla: Region = "HLA-A*01:01".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hla.contig, "HLA-A*01:01");
    }

    #[test]
    fn bad_regions_are_refused_with_the_text() {
        for bad in ["", "22:0-5", "22:9-5", "22:a-5", "2 2"] {
            let e = bad.parse::<Region>().err();
            assert!(e.is_some(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn bad_parameters_are_refused_naming_the_parameter() {
        let parse = |json: &str| {
            serde_json::from_str::<GenomeAnalysis>(json).unwrap_or_else(|e| panic!("{e}"))
        };
        let cases = [
            (
                r#"{"name":"allele_frequency","vcf_file":"a","min_af":1.5}"#,
                "min_af:",
            ),
            (
                r#"{"name":"allele_frequency","vcf_file":"a","limit":0}"#,
                "limit:",
            ),
            (
                r#"{"name":"association","vcf_file":"a","phenotype_file":"p","k":0}"#,
                "k:",
            ),
        ];
        for (json, field) in cases {
            let e = parse(json).validate().err().unwrap_or_default();
            assert!(e.starts_with(field), "{json}: {e}");
        }
        assert!(
            serde_json::from_str::<GenomeAnalysis>(
                r#"{"name":"allele_frequency","vcf_file":"a","where":1}"#
            )
            .is_err()
        );
    }
}
