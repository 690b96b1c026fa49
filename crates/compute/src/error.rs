//! Why an analysis failed.
//!
//! Error messages name files, columns and line numbers but never quote a cell's value:
//! they may be shown to a requester who is not allowed to see the data.

use std::io;

/// Why an analysis failed. An analysis returns either a complete result or one of
/// these, never a partial result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ComputeError {
    /// An input is not a well-formed dataset of the expected shape.
    #[error(transparent)]
    Malformed(#[from] MalformedInput),
    /// The caller's callback could not open a file the analysis names.
    #[error("{file}: cannot open: {reason}")]
    Open {
        /// The file name, as written in the analysis.
        file: String,
        /// Why the caller could not open it.
        reason: String,
    },
    /// Reading an input failed (an I/O error of the underlying stream, for instance a
    /// decryption failure surfaced by the caller's reader).
    #[error("{file}, line {line}: read error: {source}")]
    Read {
        /// The caller-supplied label of the input.
        file: String,
        /// The 1-based line being read when the error occurred.
        line: u64,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The column the analysis asks for is not in the file's header.
    #[error("{file}: no column {column:?}; the header has {available:?}")]
    UnknownColumn {
        /// The caller-supplied label of the input.
        file: String,
        /// The column asked for.
        column: String,
        /// The header's columns, in file order.
        available: Vec<String>,
    },
    /// A row window cannot be applied: none of the files the analysis reads that the
    /// window governs has its time column. The analysis does not run unwindowed.
    #[error(
        "the row window over column {column:?} cannot be applied: none of the files read ({files:?}) has that column"
    )]
    WindowNotApplicable {
        /// The window's time column.
        column: String,
        /// The files the analysis reads that the window governs, in reading order.
        files: Vec<String>,
    },
    /// Writing an output file failed (synthetic data generation).
    #[error("{file}: write error: {source}")]
    Write {
        /// The path written to.
        file: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// A malformed input: which file, which line, and what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}: {problem}")]
pub struct MalformedInput {
    /// The caller-supplied label of the input.
    pub file: String,
    /// The 1-based line on which the offending record starts (the header is line 1).
    pub line: u64,
    /// What was wrong.
    pub problem: Problem,
}

/// What was wrong with a malformed input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A date field is not a valid `YYYY-MM-DD` calendar date.
    #[error("column {column}: not a YYYY-MM-DD date")]
    BadDate {
        /// The column holding the date.
        column: String,
    },
    /// A row window's time field is neither a `YYYY-MM-DD` date nor an RFC 3339
    /// date-time (an empty field included).
    #[error("column {column}: not a YYYY-MM-DD date or RFC 3339 date-time")]
    BadTime {
        /// The window's time column.
        column: String,
    },
    /// An identifier that must be unique appears a second time.
    #[error("column {column}: duplicate identifier")]
    DuplicateId {
        /// The identifier column.
        column: String,
    },
    /// The input is empty: it has no header row.
    #[error("empty input: no header row")]
    EmptyInput,
    /// A row has a different number of fields than the header.
    #[error("expected {expected} fields (as in the header), found {found}")]
    FieldCount {
        /// The number of fields in the header.
        expected: usize,
        /// The number of fields in this row.
        found: usize,
    },
    /// A field is not valid UTF-8.
    #[error("column {column}: invalid UTF-8")]
    InvalidUtf8 {
        /// The column holding the field (`header` for the header row itself).
        column: String,
    },
    /// A column the analysis needs is not in the header.
    #[error("missing required column {column:?}; the header has {available:?}")]
    MissingColumn {
        /// The required column.
        column: String,
        /// The header's columns, in file order.
        available: Vec<String>,
    },
    /// A condition starts before the birth date of its patient.
    #[error("column {column}: date is before the patient's birth date")]
    StartBeforeBirth {
        /// The date column.
        column: String,
    },
    /// A row refers to a patient that is not in the patients file.
    #[error("column {column}: patient not found in the patients file")]
    UnknownPatient {
        /// The patient reference column.
        column: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_message_names_file_line_and_problem() {
        let e = ComputeError::from(MalformedInput {
            file: "conditions.csv".into(),
            line: 7,
            problem: Problem::FieldCount {
                expected: 6,
                found: 5,
            },
        });
        assert_eq!(
            e.to_string(),
            "conditions.csv, line 7: expected 6 fields (as in the header), found 5"
        );
    }
}
