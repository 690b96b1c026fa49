//! The built-in analyses of strongroom (first part): [`describe`](describe()) a column
//! and [`stratify`](stratify()) a condition by demographics, over CSV datasets such as
//! Synthea's export. Results release aggregates only: no figure rests on fewer than `k`
//! records and no category is named from the data ([`check_release`] verifies this on
//! any output), and a grant's [`RowWindow`] restricts the rows an analysis sees
//! ([`run_windowed`]).
//!
//! Inputs are [`std::io::Read`] streams of plaintext CSV with a header row (the
//! caller decrypts on the fly); they are read once, record by record, and never held
//! whole in memory. Results are plain serde types that also render as text tables.
//! This crate does no I/O of its own except [`synthetic::generate`], which writes
//! test data.
//!
//! An analysis returns a complete result or a [`ComputeError`], never a partial
//! result. Malformed input (a row with the wrong number of fields, a bad date, invalid
//! UTF-8, a missing column) yields [`ComputeError::Malformed`] naming the file, the
//! line and the problem, without quoting any cell's value.
//!
//! ```
//! use strongroom_compute::{Analysis, AnalysisOutput, ComputeError, ConditionMatch, run, synthetic};
//!
//! let dir = tempfile::tempdir()?;
//! synthetic::generate(dir.path(), 200, 42)?;
//! let analysis = Analysis::Stratify {
//!     patients_file: "patients.csv".into(),
//!     conditions_file: "conditions.csv".into(),
//!     condition: ConditionMatch::Code("444814009".into()),
//!     k: None,
//! };
//! let mut open = |name: &str| -> Result<Box<dyn std::io::Read>, ComputeError> {
//!     std::fs::File::open(dir.path().join(name))
//!         .map(|f| Box::new(f) as Box<dyn std::io::Read>)
//!         .map_err(|e| ComputeError::Open { file: name.into(), reason: e.to_string() })
//! };
//! let output = run(&analysis, 11, &mut open)?;
//! println!("{}", output.render_table());
//! let AnalysisOutput::Stratify(s) = output else { unreachable!() };
//! assert!(s.total.count().is_some_and(|n| n >= 11));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod analysis;
mod date;
pub mod describe;
mod error;
mod input;
pub mod release;
mod rows;
pub mod split;
pub mod stratify;
pub mod synthetic;
pub mod window;

pub use analysis::{Analysis, AnalysisOutput, ColumnRef, Opener, run, run_windowed};
pub use describe::{Describe, Withheld, describe, describe_labeled};
pub use error::{ComputeError, MalformedInput, Problem};
pub use input::Labeled;
pub use release::{ReleaseViolation, check_release};
pub use rows::ColumnRows;
pub use stratify::{
    Cell, ConditionMatch, Row, Stratification, StratifyParams, stratify, stratify_labeled,
};
pub use window::{RowWindow, RowWindows, timestamp_ms};
