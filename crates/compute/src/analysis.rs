//! A named analysis request, the files and columns it reads, and running it.

use std::fmt;
use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::describe::{Describe, describe_csv};
use crate::error::ComputeError;
use crate::input::{CsvInput, Labeled};
use crate::stratify::{
    CONDITION_COLUMNS, ConditionMatch, PATIENT_COLUMNS, Stratification, StratifyParams,
    stratify_csv,
};
use crate::window::RowWindows;

/// A built-in analysis, as a requester writes it (JSON, for instance):
///
/// ```
/// use strongroom_compute::{Analysis, ConditionMatch};
///
/// let a: Analysis = serde_json::from_str(
///     r#"{"name": "stratify", "patients_file": "patients.csv",
///         "conditions_file": "conditions.csv", "condition": {"code": "444814009"}}"#,
/// )?;
/// assert_eq!(a, Analysis::Stratify {
///     patients_file: "patients.csv".into(),
///     conditions_file: "conditions.csv".into(),
///     condition: ConditionMatch::Code("444814009".into()),
///     k: None,
/// });
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Analysis {
    /// [`describe`](crate::describe()) one column of one file.
    Describe {
        /// The dataset file.
        file: String,
        /// The column to describe.
        column: String,
    },
    /// [`stratify`](crate::stratify()) a condition over patients and conditions files.
    Stratify {
        /// The Synthea `patients.csv` file.
        patients_file: String,
        /// The Synthea `conditions.csv` file.
        conditions_file: String,
        /// Which condition rows count.
        condition: ConditionMatch,
        /// The requested suppression threshold; it can only raise the owner's.
        #[serde(default)]
        k: Option<u32>,
    },
}

/// A column of a file, as read by an analysis.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ColumnRef {
    /// The file, as named in the analysis.
    pub file: String,
    /// The column name.
    pub column: String,
}

impl Analysis {
    /// The columns this analysis reads, per file, for permission checks. The
    /// analysis decodes no other column (it only counts the fields of each row), except
    /// the time column of a row window ([`run_windowed`]), which the grant names.
    pub fn columns(&self) -> Vec<ColumnRef> {
        let at = |file: &str, column: &str| ColumnRef {
            file: file.to_owned(),
            column: column.to_owned(),
        };
        match self {
            Self::Describe { file, column } => vec![at(file, column)],
            Self::Stratify {
                patients_file,
                conditions_file,
                condition,
                ..
            } => PATIENT_COLUMNS
                .iter()
                .map(|c| at(patients_file, c))
                .chain(CONDITION_COLUMNS.iter().map(|c| at(conditions_file, c)))
                .chain([at(conditions_file, condition.column())])
                .collect(),
        }
    }
}

/// The callback through which [`run`] opens the files an analysis names.
pub type Opener<'a> = dyn FnMut(&str) -> Result<Box<dyn Read>, ComputeError> + 'a;

/// The result of [`run`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "result", rename_all = "snake_case")]
pub enum AnalysisOutput {
    /// The result of [`Analysis::Describe`].
    Describe(Describe),
    /// The result of [`Analysis::Stratify`].
    Stratify(Stratification),
}

impl AnalysisOutput {
    /// Renders the result as a text table.
    pub fn render_table(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for AnalysisOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Describe(d) => d.fmt(f),
            Self::Stratify(s) => s.fmt(f),
        }
    }
}

/// Runs `analysis` over every row, opening each file it names through `open` (which
/// typically decrypts on the fly). `owner_k` is the dataset owner's suppression
/// threshold; the analysis may only raise it. See [`run_windowed`] to restrict rows.
///
/// ```
/// use std::io::Read;
/// use strongroom_compute::{Analysis, AnalysisOutput, ComputeError, run};
///
/// let analysis = Analysis::Describe { file: "c.csv".into(), column: "CODE".into() };
/// let mut open = |name: &str| -> Result<Box<dyn Read>, ComputeError> {
///     match name {
///         "c.csv" => Ok(Box::new(&b"CODE\n15777000\n15777000\n1501\n"[..])),
///         _ => Err(ComputeError::Open { file: name.into(), reason: "no such file".into() }),
///     }
/// };
/// let AnalysisOutput::Describe(d) = run(&analysis, 2, &mut open)? else { unreachable!() };
/// assert_eq!((d.count, d.top.as_deref(), d.freq), (Some(3), Some("15777000"), Some(2)));
/// // 1501 is held by one record, below k = 2: the distinct count is withheld.
/// assert_eq!(d.unique, None);
/// # Ok::<(), ComputeError>(())
/// ```
pub fn run(
    analysis: &Analysis,
    owner_k: u32,
    open: &mut Opener<'_>,
) -> Result<AnalysisOutput, ComputeError> {
    run_windowed(analysis, owner_k, &RowWindows::default(), open)
}

/// Runs `analysis` as [`run`] does, over only the rows inside `windows`: each window
/// applies to the files it governs whose header has its column, before the analysis
/// sees a row. Every file is opened and its header read before any row is, so a window
/// that no file read can take fails with [`ComputeError::WindowNotApplicable`] before
/// any work.
///
/// ```
/// use std::io::Read;
/// use strongroom_compute::{Analysis, AnalysisOutput, ComputeError, RowWindow, RowWindows};
///
/// let csv = "START,CODE\n2014-12-31,1\n2015-01-01,2\n2015-06-01T10:00:00Z,2\n2016-01-01,2\n";
/// let mut open = |_: &str| -> Result<Box<dyn Read>, ComputeError> { Ok(Box::new(csv.as_bytes())) };
/// let analysis = Analysis::Describe { file: "c.csv".into(), column: "CODE".into() };
/// // 2015-01-01 (inclusive) to 2016-01-01 (exclusive).
/// let windows = RowWindows::everywhere(RowWindow::new("START", 1_420_070_400_000, 1_451_606_400_000));
/// let out = strongroom_compute::run_windowed(&analysis, 2, &windows, &mut open)?;
/// let AnalysisOutput::Describe(d) = out else { unreachable!() };
/// assert_eq!((d.count, d.unique, d.freq), (Some(2), Some(1), Some(2)));
/// # Ok::<(), ComputeError>(())
/// ```
pub fn run_windowed(
    analysis: &Analysis,
    owner_k: u32,
    windows: &RowWindows,
    open: &mut Opener<'_>,
) -> Result<AnalysisOutput, ComputeError> {
    let mut input = |file: &str| -> Result<CsvInput<Box<dyn Read>>, ComputeError> {
        CsvInput::open_windowed(Labeled::new(file, open(file)?), windows)
    };
    match analysis {
        Analysis::Describe { file, column } => {
            let mut csv = input(file)?;
            let applied: Vec<usize> = csv.applied_windows().collect();
            windows.check_applied(&applied, &[file])?;
            describe_csv(&mut csv, column, owner_k).map(AnalysisOutput::Describe)
        }
        Analysis::Stratify {
            patients_file,
            conditions_file,
            condition,
            k,
        } => {
            let params = StratifyParams::new(condition.clone()).with_requested_k(owner_k, *k);
            let mut patients = input(patients_file)?;
            let mut conditions = input(conditions_file)?;
            let applied: Vec<usize> = patients
                .applied_windows()
                .chain(conditions.applied_windows())
                .collect();
            windows.check_applied(&applied, &[patients_file, conditions_file])?;
            stratify_csv(&mut patients, &mut conditions, &params).map(AnalysisOutput::Stratify)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_names_are_rejected() {
        let extra = r#"{"name": "describe", "file": "f", "column": "c", "where": "x"}"#;
        assert!(serde_json::from_str::<Analysis>(extra).is_err());
        let unknown = r#"{"name": "regress", "file": "f"}"#;
        assert!(serde_json::from_str::<Analysis>(unknown).is_err());
    }

    #[test]
    fn stratify_declares_the_match_column() {
        let a = Analysis::Stratify {
            patients_file: "p".into(),
            conditions_file: "c".into(),
            condition: ConditionMatch::Description("Otitis media".into()),
            k: Some(20),
        };
        let columns = a.columns();
        assert!(columns.contains(&ColumnRef {
            file: "c".into(),
            column: "DESCRIPTION".into()
        }));
        assert!(!columns.iter().any(|c| c.column == "CODE"));
        assert_eq!(columns.len(), 8);
    }
}
