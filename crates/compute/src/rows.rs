//! Rows of declared columns, for analyses that run outside this crate (a WebAssembly
//! algorithm in the sandbox): the same streaming CSV reader, field checks, line numbers
//! and row windows as the built-in analyses, exposing only the columns the task
//! declared.

use std::io::Read;

use crate::error::{ComputeError, Problem};
use crate::input::{CsvInput, Labeled};
use crate::window::RowWindows;

/// A CSV input read row by row, showing only the declared columns of each row inside
/// the row windows.
///
/// ```
/// use strongroom_compute::{ColumnRows, Labeled, RowWindows};
///
/// let csv = "Id,RACE,SSN\n1,white,999-1\n2,asian,999-2\n";
/// let mut rows = ColumnRows::open(
///     Labeled::new("patients.csv", csv.as_bytes()),
///     &["RACE".to_owned()],
///     &RowWindows::default(),
/// )?;
/// let mut seen = Vec::new();
/// while rows.advance()? {
///     seen.push(rows.field(0)?.to_owned());
/// }
/// assert_eq!(seen, ["white", "asian"]);
/// # Ok::<(), strongroom_compute::ComputeError>(())
/// ```
pub struct ColumnRows<R> {
    csv: CsvInput<R>,
    columns: Vec<usize>,
}

impl<R: Read> ColumnRows<R> {
    /// Reads the header of `input` and finds each of `columns` in it (failing with
    /// the first missing one and the header's columns). Applies every window of
    /// `windows` that governs this input, and fails if one of them cannot be applied
    /// because the header lacks its time column: such an input is never read
    /// unwindowed.
    pub fn open(
        input: Labeled<R>,
        columns: &[String],
        windows: &RowWindows,
    ) -> Result<Self, ComputeError> {
        let csv = CsvInput::open_windowed(input, windows)?;
        let applied: Vec<usize> = csv.applied_windows().collect();
        windows.check_applied_to(&applied, csv.label())?;
        let columns = columns
            .iter()
            .map(|column| csv.required(column))
            .collect::<Result<_, _>>()?;
        Ok(Self { csv, columns })
    }

    /// Moves to the next row inside the windows; `false` at the end of the input.
    /// Fails on a row with the wrong number of fields or a time that does not parse,
    /// naming the file and line.
    pub fn advance(&mut self) -> Result<bool, ComputeError> {
        self.csv.advance()
    }

    /// How many columns each row shows.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Declared column `index` of the current row, as UTF-8 (an error names the file,
    /// line and column, never the value).
    pub fn field(&self, index: usize) -> Result<&str, ComputeError> {
        match self.columns.get(index) {
            Some(&at) => self.csv.str(at),
            None => Err(self.csv.malformed(Problem::MissingColumn {
                column: format!("declared column #{index}"),
                available: self.csv.header().to_vec(),
            })),
        }
    }

    /// The caller's label of this input.
    pub fn label(&self) -> &str {
        self.csv.label()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::RowWindow;

    fn open(
        csv: &'static str,
        columns: &[&str],
        windows: &RowWindows,
    ) -> Result<ColumnRows<&'static [u8]>, ComputeError> {
        let columns: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        ColumnRows::open(Labeled::new("f.csv", csv.as_bytes()), &columns, windows)
    }

    #[test]
    fn a_missing_declared_column_is_named() {
        let error = open("A,B\n1,2\n", &["A", "C"], &RowWindows::default()).err();
        let text = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("\"C\"") && text.contains("f.csv"), "{text}");
    }

    #[test]
    fn a_window_over_a_column_the_input_lacks_is_refused() {
        let windows = RowWindows::everywhere(RowWindow::new("START", 0, 1));
        let error = open("A\n1\n", &["A"], &windows).err();
        assert!(
            matches!(error, Some(ComputeError::WindowNotApplicable { .. })),
            "{error:?}"
        );
    }

    #[test]
    fn only_rows_inside_the_window_are_shown() -> Result<(), ComputeError> {
        // 2015-01-01 <= START < 2016-01-01
        let windows = RowWindows::everywhere(RowWindow::new(
            "START",
            1_420_070_400_000,
            1_451_606_400_000,
        ));
        let mut rows = open(
            "START,A\n2014-12-31,x\n2015-06-01,y\n2016-01-01,z\n",
            &["A"],
            &windows,
        )?;
        let mut seen = Vec::new();
        while rows.advance()? {
            seen.push(rows.field(0)?.to_owned());
        }
        assert_eq!(seen, ["y"]);
        assert!(rows.field(1).is_err());
        Ok(())
    }
}
